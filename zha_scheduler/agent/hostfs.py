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

Only regular files are read, and only up to a size limit: a FIFO, a device
node, a socket or a directory where a file is expected, and a file larger
than the limit, raise OSError like a missing file, so every probe takes its
usual "cannot read" path instead of blocking or filling the memory.
"""

import collections
import errno
import os
import posixpath
import re
import shlex
import stat
import subprocess

COMMANDS_DIR = '_commands'
COMMAND_TIMEOUT = 30
# The largest /proc or /sys file the agent reads: sysfs attributes are at
# most a page, /proc/sysinfo and /proc/net/bonding/<bond> a few KiB even
# with hundreds of slaves; anything bigger is not what the kernel prints.
MAX_FILE_SIZE = 1 << 20
# The largest command output (``multipathd show maps json``), captured or
# live: about 400 bytes per path, so 16 MiB holds some 40,000 paths (5,000
# volumes over 8 paths) while bounding what the JSON parser allocates.
MAX_COMMAND_OUTPUT = 16 << 20
_OPEN_FLAGS = (os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC |
               os.O_NOFOLLOW)
_KINDS = ((stat.S_ISFIFO, 'a FIFO'), (stat.S_ISCHR, 'a character device'),
          (stat.S_ISBLK, 'a block device'), (stat.S_ISSOCK, 'a socket'))
_MAX_LINKS = 40
_NAME_CHARS = re.compile(r'[\s/]+')


class CommandError(Exception):
    """A command could not be run or failed."""


def _check_regular(mode: int, local: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR),
                                local)
    kind = next((name for test, name in _KINDS if test(mode)), 'special')
    raise OSError(errno.EINVAL, 'not a regular file but %s' % kind, local)


def read_regular(local: str, limit: int = MAX_FILE_SIZE) -> bytes:
    """Return the bytes of a regular file of this machine, up to a limit.

    :param local: the file's path on this machine.
    :param limit: the largest size accepted, in bytes.
    :returns: the content.
    :raises OSError: if the file cannot be read, is not a regular file
        (``IsADirectoryError`` for a directory) or is larger than ``limit``.
    """
    # stat first, so that a device node is never opened (opening one can
    # have side effects, such as rewinding a tape). The path may still be
    # swapped between stat and open: O_NONBLOCK keeps a FIFO from blocking
    # the open, O_NOFOLLOW refuses a link, and fstat checks what was
    # actually opened. Regular files ignore O_NONBLOCK.
    _check_regular(os.stat(local).st_mode, local)
    fd = os.open(local, _OPEN_FLAGS)
    with os.fdopen(fd, 'rb') as f:
        _check_regular(os.fstat(fd).st_mode, local)
        # sysfs reports 4096 and procfs 0 as the size of every file: only
        # reading tells the real size.
        data = f.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, 'larger than %d bytes, the limit for '
                      'this file' % limit, local)
    return data


def why(error: BaseException) -> str:
    """Say briefly why a read failed: strerror, without the long path.

    :param error: an OSError (``No such file or directory``, ``not a
        regular file but a FIFO``) or any other exception (its text).
    """
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


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
        :raises OSError: if it holds a NUL byte (names read from files can;
            no file has such a name).
        """
        if not path.startswith('/'):
            raise ValueError('host paths are absolute, got %r' % (path,))
        if '\0' in path:
            raise OSError(errno.EINVAL, 'NUL byte in host path', path)
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

    def read_text(self, path: str, limit: int = MAX_FILE_SIZE) -> str:
        """Return the content of a regular host file.

        :param path: an absolute host path, e.g. ``/proc/sysinfo``.
        :param limit: the largest size accepted, in bytes.
        :returns: the content, decoded as UTF-8 (bad bytes replaced).
        :raises OSError: if the file cannot be read, is not a regular file
            or is larger than ``limit`` (see read_regular).
        """
        return read_regular(self._real(path), limit).decode(
            'utf-8', errors='replace')

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
        :raises CommandError: if the command is missing, times out, exits
            with a non-zero status or prints more than MAX_COMMAND_OUTPUT
            characters (or, under another root, if its captured output file
            cannot be read: missing, not a regular file, too large).
        """
        if not self.live:
            name = posixpath.join('/', COMMANDS_DIR,
                                  command_file_name(command))
            try:
                return self.read_text(name, MAX_COMMAND_OUTPUT)
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
        if len(done.stdout) > MAX_COMMAND_OUTPUT:
            raise CommandError('%s printed more than %d characters, the '
                               'limit for command output'
                               % (command, MAX_COMMAND_OUTPUT))
        return done.stdout
