# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Config files and option values, read as the tools' users expect.

A config file is a readable regular file of UTF-8 text; oslo.config lets a
directory or a file in another encoding through as ``OSError`` or
``UnicodeDecodeError`` without naming the file. ``config_error`` turns
whatever oslo.config raises into one ``ConfigFileError`` that names the file
or option at fault and says how to fix it. Shared by the console scripts
and ``zha-scheduler check``.
"""

from collections.abc import Iterable, Sequence
import glob
import os
import re
import stat

from oslo_config import cfg


class ConfigFileError(Exception):
    """A config file or an option value in it cannot be used."""


def one_line(text: object) -> str:
    """``text`` with every run of whitespace, newlines included, one space."""
    return ' '.join(str(text).split())


def config_file_problem(path: str) -> str | None:
    """Why ``path`` cannot be read as a config file, or None if it can.

    A regular file is read whole and decoded as UTF-8, as oslo.config
    decodes it; a pipe or a device is left to the parser, since reading it
    here would consume it.
    """
    if not path:
        return 'a config file path is empty; give the path of a config file'
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            return ('cannot read %s: it is a directory; give the path of a '
                    'config file' % path)
        if not stat.S_ISREG(mode):
            return None
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as exc:
        return 'cannot read %s: %s' % (path, exc.strerror or exc)
    try:
        data.decode('utf-8')
    except UnicodeDecodeError as exc:
        return ('cannot read %s: not UTF-8 text (byte 0x%02x on line %d); '
                'save it in UTF-8' % (path, data[exc.start],
                                      data.count(b'\n', 0, exc.start) + 1))
    return None


def check_config_files(paths: Iterable[str]) -> None:
    """Refuse the first of ``paths`` that cannot be read as a config file.

    :raises ConfigFileError: naming the file and why.
    """
    for path in paths:
        problem = config_file_problem(path)
        if problem:
            raise ConfigFileError(problem)


def files_in_dirs(dirs: Iterable[str]) -> list[str]:
    """The ``*.conf`` files oslo.config reads in each of ``dirs``."""
    return [path for directory in dirs
            for path in sorted(glob.glob(os.path.join(
                os.path.expanduser(directory), '*.conf')))]


# "at FILE:LINE, WHY: 'TEXT'" (oslo.config's ParseError) -> "line LINE, ...".
_PARSE_AT = re.compile(r'^at .*:(\d+), ')
# "Value for option X from LocationInfo(..., detail='FILE') is not valid: WHY"
_VALUE = re.compile(r"^Value for option (\S+) from LocationInfo\(.*?"
                    r"(?:detail='([^']*)')?\) is not valid: (.*)$", re.S)


def value_error_text(exc: BaseException, group: str | None = None) -> str:
    """oslo.config's message for an invalid option value, said plainly.

    :param group: the option's group, which oslo.config does not name.
    """
    found = _VALUE.match(str(exc))
    if not found:
        return one_line(exc)
    name, where, why = found.groups()
    return 'invalid value for %s%s: %s; set a valid one (see its help)' % (
        '[%s] %s' % (group, name) if group else 'option ' + name,
        ' in %s' % where if where else '', one_line(why))


def config_error(exc: BaseException, paths: Sequence[str] = ()
                 ) -> ConfigFileError:
    """The user's mistake behind an error oslo.config raised.

    :param exc: raised while parsing config files or reading an option:
        an oslo.config error, or the ``OSError`` / ``UnicodeError`` its
        parser lets through for a directory or a file that is not UTF-8.
    :param paths: the config files that were being read, to find the one
        at fault when ``exc`` does not name it.
    """
    if isinstance(exc, (cfg.ConfigFilesNotFoundError,
                        cfg.ConfigFilesPermissionDeniedError)):
        return ConfigFileError('; '.join(
            config_file_problem(p) or 'cannot read %s' % p
            for p in exc.config_files))
    if isinstance(exc, cfg.ConfigFileParseError):
        why = _PARSE_AT.sub(r'line \1, ', one_line(exc.msg))
        return ConfigFileError('cannot parse %s: %s; it must be an ini file '
                               'of [section] and "option = value" lines'
                               % (exc.config_file, why))
    if isinstance(exc, cfg.ConfigSourceValueError):
        return ConfigFileError(value_error_text(exc))
    if isinstance(exc, cfg.Error):
        return ConfigFileError(one_line(exc))
    for path in paths:
        problem = config_file_problem(path)
        if problem:
            return ConfigFileError(problem)
    filename = getattr(exc, 'filename', None)
    if isinstance(exc, OSError) and filename:
        return ConfigFileError('cannot read %s: %s'
                               % (filename, exc.strerror or exc))
    return ConfigFileError('cannot read the config files (%s): %s' % (
        ', '.join(paths) or 'none given', one_line(exc)))


#: What oslo.config's parser raises for a file it cannot use.
CONFIG_ERRORS = (cfg.Error, OSError, UnicodeError)


def dir_problem(path: str) -> str | None:
    """Why ``path`` cannot be (made) a directory this process writes in.

    Nothing is created: the nearest existing ancestor of a missing directory
    must be a writable directory.
    """
    if not path:
        return 'no directory is set'
    if os.path.exists(path):
        if not os.path.isdir(path):
            return '%s is not a directory' % path
        if not os.access(path, os.W_OK | os.X_OK):
            return '%s is not writable by this user' % path
        return None
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        return '%s cannot be created: %s is not a directory' % (path, parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        return ('%s cannot be created: %s is not writable by this user'
                % (path, parent))
    return None
