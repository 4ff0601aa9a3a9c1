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

"""The rules every console script follows, in one place.

- Results go to stdout (valid JSON with ``--format json``), logs to stderr:
  see ``zha_scheduler.cmd.logs``.
- Exit status: ``EXIT_OK`` done, ``EXIT_FAILED`` something failed,
  ``EXIT_USAGE`` usage or configuration error, ``EXIT_REFUSED`` refused
  without change.
- A user's mistake is one line on stderr saying what is wrong and how to fix
  it, never a traceback: raise ``UsageError`` and print it with ``fail``.
  ``parse_args`` (oslo.config) and ``ArgumentParser`` (argparse) turn the
  parsers' own errors into such a line.
- A config file is a readable regular file of UTF-8 text, whichever command
  reads it (``zha_scheduler.conf.files``).
"""

import argparse
from collections.abc import Iterable, Sequence
import contextlib
import io
import os
import re
import sys
from typing import Any, NoReturn

from oslo_config import cfg

from zha_scheduler.conf import files

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


class UsageError(Exception):
    """A user's mistake: a bad argument, config file or option value."""


def fail(prog: str, error: BaseException | str, status: int = EXIT_USAGE,
         label: str | None = None) -> int:
    """Print ``prog: [label: ]error`` as one line on stderr.

    :param prog: the command, e.g. ``zha-scheduler explain``.
    :param error: what is wrong and how to fix it.
    :param label: what kind of problem, e.g. ``error``.
    :returns: ``status``, for ``return fail(...)``.
    """
    message = files.one_line(error) or type(error).__name__
    prefix = '%s: %s: ' % (prog, label) if label else '%s: ' % prog
    print(prefix + message, file=sys.stderr)
    return status


def _config_values(argv: Sequence[str], option: str) -> list[str]:
    """The values of --config-file or --config-dir (``option``) in argv.

    As with argparse, a prefix of ``option`` counts for it; ``--config-f``
    is the shortest one that tells --config-file from --config-dir.
    """
    shortest = len('--config-f')
    found = []
    for i, arg in enumerate(argv):
        name, equals, value = arg.partition('=')
        if len(name) < shortest or not option.startswith(name):
            continue
        if equals:
            found.append(value)
        elif i + 1 < len(argv):
            found.append(argv[i + 1])
    return found


def _config_paths(conf: cfg.ConfigOpts, argv: Sequence[str]) -> list[str]:
    # The files oslo.config reads: those of the command line, else its
    # defaults, then those of the config directories.
    paths = (_config_values(argv, '--config-file') or
             list(getattr(conf, 'default_config_files', None) or []))
    dirs = (_config_values(argv, '--config-dir') or
            list(getattr(conf, 'default_config_dirs', None) or []))
    return paths + files.files_in_dirs(dirs)


_ARGUMENT = re.compile(r'^argument (--[\w-]+): (.*)$')


def _argparse_message(prog: str, output: str,
                      argv: Sequence[str]) -> str:
    # argparse printed its usage, then "prog: error: WHY": keep WHY.
    lines = [line for line in output.splitlines() if line.strip()]
    why = lines[-1] if lines else 'invalid arguments'
    why = why.split(': error: ', 1)[-1].strip()
    found = _ARGUMENT.match(why)
    if found and not any(a.split('=')[0] == found.group(1) for a in argv):
        # oslo.config checks a [DEFAULT] value of a command-line option
        # with argparse: the option was not on the command line.
        why = '[DEFAULT] %s in the config files: %s' % (
            found.group(1)[2:].replace('-', '_'), found.group(2))
    return '%s; see %s --help' % (why, prog)


def parse_args(conf: cfg.ConfigOpts, argv: Sequence[str], prog: str,
               **kwargs: Any) -> None:
    """Parse the command line and config files of an oslo.config tool.

    :param kwargs: passed to ``conf()`` (``project``...).
    :raises UsageError: for any mistake in the arguments or config files,
        as one line naming the argument or file.
    :raises SystemExit: with status 0 after ``--help``.
    """
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            conf(list(argv), prog=prog, **kwargs)
    except SystemExit as exc:
        if exc.code in (0, None):
            sys.stderr.write(captured.getvalue())
            raise SystemExit(EXIT_OK) from None
        raise UsageError(_argparse_message(prog, captured.getvalue(),
                                           argv)) from None
    except files.CONFIG_ERRORS as exc:
        raise UsageError(str(files.config_error(
            exc, _config_paths(conf, argv)))) from None
    sys.stderr.write(captured.getvalue())


def read_options(conf: cfg.ConfigOpts, group: str | None,
                 opts: Iterable[cfg.Opt]) -> None:
    """Read each option once: oslo.config checks a value when it is read.

    :raises UsageError: naming the first invalid option and its file.
    """
    try:
        for opt in opts:
            getattr(conf[group] if group else conf, opt.dest)
    except cfg.ConfigSourceValueError as exc:
        raise UsageError(files.value_error_text(
            exc, group or 'DEFAULT')) from None
    except files.CONFIG_ERRORS as exc:
        raise UsageError(str(files.config_error(exc))) from None


def existing_dir(path: str, option: str) -> str:
    """``path`` if it names a directory.

    :raises UsageError: naming ``option`` when it does not.
    """
    if not path:
        raise UsageError('%s is empty; give a directory' % option)
    if not os.path.isdir(path):
        why = 'is not a directory' if os.path.exists(path) else (
            'does not exist')
        raise UsageError('%s %s %s; give an existing directory'
                         % (option, path, why))
    return path


def writable_file(path: str, option: str) -> str:
    """``path`` once a file there can be appended to (it is created).

    :raises UsageError: naming ``option`` and why it cannot be written.
    """
    if not path:
        raise UsageError('%s is empty; give a file path' % option)
    try:
        with open(path, 'a'):
            pass
    except OSError as exc:
        raise UsageError('%s %s: cannot write there: %s; give a file in an '
                         'existing, writable directory'
                         % (option, path, exc.strerror or exc)) from None
    return path


# argparse.

class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, '%s: error: %s; see %s --help\n'
                  % (self.prog, files.one_line(message), self.prog))
