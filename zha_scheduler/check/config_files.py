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

"""Load the config files under check, each into its own ConfigOpts.

A file that cannot be read or parsed stops the check (exit status 2): no
finding about its contents could be trusted. What "cannot be read" means
(missing, a directory, not UTF-8...) and how it is said are those of every
command, in ``zha_scheduler.conf.files``. An option whose value is
invalid only becomes a finding, since oslo.config raises when the value is
read, not when the file is parsed, and so does the service reading it.
"""

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from oslo_config import cfg

from zha_scheduler.check import findings
from zha_scheduler.conf import files

#: Options of one group to read, as ``(group or None for DEFAULT, opts)``.
OptList = Iterable[tuple[str | None, Iterable[cfg.Opt]]]


class ConfigFileError(Exception):
    """A config file is missing, unreadable or not an ini file."""


def load(path: str, register: Callable[[cfg.ConfigOpts], None],
         config_dirs: Iterable[str] = ()) -> cfg.ConfigOpts:
    """Parse ``path`` (and the ``*.conf`` files of ``config_dirs``).

    :param register: registers the options to read on the new ConfigOpts.
    :returns: the parsed configuration; environment variables are ignored,
        so the result is what the file says.
    :raises ConfigFileError: when a file is missing, unreadable (a
        directory, not UTF-8...) or malformed.
    """
    paths = [path] + files.files_in_dirs(config_dirs)
    try:
        files.check_config_files(paths)
    except files.ConfigFileError as exc:
        raise ConfigFileError(str(exc)) from None
    conf = cfg.ConfigOpts()
    register(conf)
    try:
        conf(args=[], default_config_files=[path],
             default_config_dirs=list(config_dirs), use_env=False)
    except files.CONFIG_ERRORS as exc:
        raise ConfigFileError(str(files.config_error(exc, paths))) from None
    return conf


def register_group(conf: cfg.ConfigOpts, group: str | None,
                   opts: Iterable[cfg.Opt]) -> None:
    """Register ``opts`` in a group object of this ConfigOpts' own.

    oslo.config copies a registered OptGroup shallowly, so two ConfigOpts
    registering the same module-level group share its option table: Nova's
    ``[placement]`` helpers would then clash with the process-wide CONF.
    """
    if group is not None:
        conf.register_group(cfg.OptGroup(group))
    conf.register_opts(list(opts), group=group)


_LOCATION = re.compile(r"detail='([^']*)'")


def _invalid_text(exc: Exception) -> str:
    # "Value for option X from LocationInfo(..., detail='FILE') is not valid:
    # WHY" -> "WHY (in FILE)".
    text = str(exc)
    why = text.split('is not valid: ', 1)[-1]
    where = _LOCATION.search(text)
    return '%s (in %s)' % (why, where.group(1)) if where else why


class SafeConf:
    """A parsed config whose invalid option values are found up front."""

    def __init__(self, conf: cfg.ConfigOpts, path: str, scan: OptList) -> None:
        """Read every option of ``scan`` once.

        :param conf: the parsed configuration.
        :param path: the main config file, for messages.
        :param scan: the options whose values to check.
        """
        self.conf = conf
        self.path = path
        #: Why each invalid option is invalid, by ``(group, name)``.
        self.invalid: dict[tuple[str | None, str], str] = {}
        for group, opts in scan:
            for opt in opts:
                try:
                    self._read(group, opt.dest)
                except (cfg.Error, ValueError) as exc:
                    self.invalid[(group, opt.dest)] = _invalid_text(exc)

    def _read(self, group: str | None, name: str) -> Any:
        return getattr(self.conf[group] if group else self.conf, name)

    def get(self, group: str | None, name: str, fallback: Any = None) -> Any:
        """The option's value, or ``fallback`` when it is invalid."""
        if (group, name) in self.invalid:
            return fallback
        return self._read(group, name)

    @staticmethod
    def option_name(group: str | None, name: str) -> str:
        return '[%s] %s' % (group or 'DEFAULT', name)

    def invalid_messages(self) -> list[tuple[str, str]]:
        """``(option name, why)`` for each invalid option, sorted."""
        return sorted((self.option_name(g, n), why)
                      for (g, n), why in self.invalid.items())


def files_read(conf: cfg.ConfigOpts) -> list[str]:
    """The files oslo.config read: the main file, then each directory's."""
    found = list(conf.config_file or [])
    for directory in conf.config_dir or []:
        if os.path.isdir(directory):
            found += sorted(os.path.join(directory, n)
                            for n in os.listdir(directory)
                            if n.endswith('.conf'))
    return found


def invalid_values(safe: SafeConf, check: str,
                   service: str) -> list[findings.Finding]:
    """An ERROR per invalid option value."""
    return [findings.error(
        check, '%s is invalid: %s' % (option, why),
        'set a valid value for %s (its help lists them): %s cannot use this '
        'one' % (option, service))
        for option, why in safe.invalid_messages()]
