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

"""Read a host's files and commands, live or under another root directory.

``HostFS('/')`` reads the live host. ``HostFS('/some/dir')`` reads every
absolute host path (``/proc/sysinfo``, ``/sys/class/net/...``) under that
directory instead: a copy of a host, or a fixture tree of the unit tests.

Symbolic links are resolved one component at a time inside the root: a
relative target is followed as usual and an absolute target such as
``/sys/devices/qeth/0.0.f500`` is re-rooted, so a copied sysfs tree works
whichever kind of links it carries, and no link leads out of the root.

Commands run only on the live host (root ``/``). Under another root,
``run(command)`` returns the content of the captured output file
``<root>/_commands/<name>.out``, where ``<name>`` is the command with every
run of white space and every ``/`` replaced by ``_``; for instance
``multipathd show maps json`` is read from
``_commands/multipathd_show_maps_json.out``. A missing file means the command
is not available there.
"""

import collections
import errno
import os
import posixpath
import re
import shlex
import subprocess

COMMANDS_DIR = '_commands'
COMMAND_TIMEOUT = 30
_MAX_LINKS = 40
_NAME_CHARS = re.compile(r'[\s/]+')


class CommandError(Exception):
    """A command could not be run or failed."""


def command_file_name(command: str) -> str:
    """Return the captured output file name of a command.

    :param command: the command line, e.g. ``multipathd show maps json``.
    :returns: e.g. ``multipathd_show_maps_json.out``.
    """
    return _NAME_CHARS.sub('_', command.strip()) + '.out'


class HostFS:
    """The files and commands of one host, under a root directory."""

    def __init__(self, root: str = '/') -> None:
        self.root = os.path.abspath(root)

    @property
    def live(self) -> bool:
        """Whether this is the live host (root ``/``)."""
        return self.root == '/'

    def local_path(self, path: str) -> str:
        """Return where a host path is on this machine, not resolving links.

        :param path: an absolute host path.
        :returns: the path under the root.
        :raises ValueError: if the path is not absolute.
        """
        if not path.startswith('/'):
            raise ValueError('host paths are absolute, got %r' % (path,))
        return os.path.join(self.root, posixpath.normpath(path).lstrip('/'))

    def resolve(self, path: str) -> str:
        """Resolve every symbolic link of a host path, staying under the root.

        Components that do not exist are kept as they are (like
        ``os.path.realpath``), so reading the result fails as it should.

        :param path: an absolute host path.
        :returns: the resolved absolute host path (not prefixed by the root).
        :raises OSError: on a symbolic link loop.
        """
        if not path.startswith('/'):
            raise ValueError('host paths are absolute, got %r' % (path,))
        todo = collections.deque(p for p in path.split('/') if p)
        resolved = '/'
        links = 0
        while todo:
            part = todo.popleft()
            if part == '.':
                continue
            if part == '..':
                resolved = posixpath.dirname(resolved)
                continue
            candidate = posixpath.join(resolved, part)
            local = self.local_path(candidate)
            if not os.path.islink(local):
                resolved = candidate
                continue
            links += 1
            if links > _MAX_LINKS:
                raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
            target = os.readlink(local)
            if target.startswith('/'):
                resolved = '/'
            todo.extendleft(reversed([p for p in target.split('/') if p]))
        return resolved

    def _real(self, path: str) -> str:
        return self.local_path(self.resolve(path))

    def read_text(self, path: str) -> str:
        """Return the content of a host file.

        :param path: an absolute host path, e.g. ``/proc/sysinfo``.
        :returns: the content, decoded as UTF-8 (bad bytes replaced).
        :raises OSError: if the file cannot be read.
        """
        with open(self._real(path), encoding='utf-8', errors='replace') as f:
            return f.read()

    def exists(self, path: str) -> bool:
        """Whether a host path exists (after resolving links).

        :param path: an absolute host path.
        :returns: True if it exists.
        """
        try:
            return os.path.exists(self._real(path))
        except OSError:
            return False

    def listdir(self, path: str) -> list[str]:
        """Return the sorted entries of a host directory.

        :param path: an absolute host path.
        :returns: the entry names.
        :raises OSError: if the directory cannot be read.
        """
        return sorted(os.listdir(self._real(path)))

    def readlink(self, path: str) -> str:
        """Return the raw target of a symbolic link, as stored.

        :param path: an absolute host path of a link.
        :returns: the link target, relative or absolute.
        :raises OSError: if the path is not a link.
        """
        parent = self.resolve(posixpath.dirname(path) or '/')
        return os.readlink(self.local_path(
            posixpath.join(parent, posixpath.basename(path))))

    def run(self, command: str, timeout: int = COMMAND_TIMEOUT) -> str:
        """Run a command on the host, or read its captured output.

        :param command: the command line; split like a shell would, never
            run through a shell.
        :param timeout: seconds before the command is given up.
        :returns: the command's standard output.
        :raises CommandError: if the command is missing, times out or exits
            with a non-zero status (or, under another root, if its captured
            output file is missing).
        """
        if not self.live:
            name = posixpath.join('/', COMMANDS_DIR,
                                  command_file_name(command))
            try:
                return self.read_text(name)
            except OSError as e:
                raise CommandError('no captured output %s: %s'
                                   % (self.local_path(name), e)) from e
        try:
            done = subprocess.run(shlex.split(command), capture_output=True,
                                  text=True, timeout=timeout, check=False)
        except Exception as e:
            # Not only OSError and SubprocessError: under eventlet (as in
            # Nova's test environment) a green Popen raises its own
            # TimeoutExpired class, outside the standard hierarchy.
            raise CommandError('%s: %s' % (command, e)) from e
        if done.returncode != 0:
            message = (done.stderr or done.stdout or '').strip().splitlines()
            raise CommandError('%s exited with status %d%s' % (
                command, done.returncode,
                ': ' + message[0] if message else ''))
        return done.stdout
