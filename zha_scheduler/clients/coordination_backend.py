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

"""The tooz coordination backend of ``[zha_evacuate] coordination_url``.

``check_url`` checks a URL without connecting (the driver is installed and
loads, a ``file://`` directory is usable); ``probe`` joins the backend and
leaves it within a deadline, whatever the driver's own retry policy.
"""

import importlib.metadata
import socket
import threading
import time
from typing import Any
import urllib.parse
import uuid

from stevedore import driver
from stevedore import exception as stevedore_exc
import tooz
from tooz import coordination

from zha_scheduler.conf import files

#: What tooz raises when its backend cannot be loaded or reached.
BACKEND_ERRORS = (tooz.ToozError, stevedore_exc.NoMatches, ImportError,
                  OSError)
#: Drivers that keep their state on this machine: nothing to reach.
LOCAL_SCHEMES = ('file', 'ipc')
#: The server port of each network driver when its URL names none.
DEFAULT_PORTS = {'redis': 6379, 'etcd3+http': 2379, 'etcd3+https': 2379,
                 'zookeeper': 2181, 'kazoo': 2181, 'memcached': 11211,
                 'mysql': 3306, 'postgresql': 5432}
#: The Python library each network driver imports.
LIBRARIES = {'redis': 'redis', 'etcd3+http': 'etcd3gw',
             'etcd3+https': 'etcd3gw', 'zookeeper': 'kazoo',
             'kazoo': 'kazoo', 'memcached': 'pymemcache', 'mysql': 'PyMySQL',
             'postgresql': 'psycopg2', 'ipc': 'sysv_ipc',
             'kubernetes': 'kubernetes'}


class CoordinationError(Exception):
    """The coordination backend cannot be used."""


class UnknownDriverError(CoordinationError):
    """The URL names no installed tooz driver."""


class DriverLibraryError(CoordinationError):
    """The tooz driver is installed but its library does not import."""


class LockDirectoryError(CoordinationError):
    """A ``file://`` URL names a directory this process cannot use."""


class UnreachableError(CoordinationError):
    """The backend did not let this process join and leave it."""


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = '%s:***@%s' % (parts.username or '',
                            parts.netloc.rpartition('@')[2])
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def drivers() -> list[str]:
    """The names of the tooz drivers installed (URL schemes)."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(
        group=coordination.TOOZ_BACKENDS_NAMESPACE)})


def scheme(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme


def is_local(url: str) -> bool:
    """Whether the backend lives on this machine (one controller only)."""
    return scheme(url) in LOCAL_SCHEMES


def check_url(url: str) -> None:
    """Check a coordination URL as tooz will use it, without connecting.

    The driver is resolved as ``tooz.coordination.get_coordinator`` does
    (stevedore, tooz's namespace) but not started; a ``file://`` URL must
    name a directory this process can create or write.

    :raises UnknownDriverError: no installed driver has the URL's scheme.
    :raises DriverLibraryError: the driver's module does not import.
    :raises LockDirectoryError: the ``file://`` directory is unusable.
    """
    name = scheme(url)
    known = drivers()
    if name not in known:
        raise UnknownDriverError(
            '%s is not a tooz driver; known drivers: %s' % (
                repr(name) if name else 'no driver is named',
                ', '.join(known)))

    def failed(manager: Any, ep: Any, err: BaseException) -> None:
        library = LIBRARIES.get(name)
        raise DriverLibraryError(
            'the tooz driver %s cannot be loaded: %s (%s)' % (
                name, err, 'install the Python package %s' % library
                if library else 'install the library it needs')) from err
    driver.DriverManager(coordination.TOOZ_BACKENDS_NAMESPACE, name,
                         invoke_on_load=False,
                         on_load_failure_callback=failed)
    if name == 'file':
        problem = files.dir_problem(urllib.parse.urlsplit(url).path)
        if problem:
            raise LockDirectoryError('the lock directory: %s' % problem)


def _server(url: str) -> tuple[str, int] | None:
    """The host and port a network driver connects to first, if known."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    # A sentinel list or a socket path: the driver knows better where to go.
    if not parts.hostname or 'sentinel_fallback' in query:
        return None
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    return (parts.hostname, port) if port else None


def _connect(url: str, timeout: float) -> None:
    """Fail fast on a refused or unanswered TCP connection."""
    server = _server(url)
    if server is None:
        return
    try:
        with socket.create_connection(server, timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise UnreachableError('cannot connect to %s port %d: %s' % (
            server[0], server[1], reason)) from None


def _join_and_leave(coordinator: coordination.CoordinationDriver,
                    outcome: dict[str, Exception | None]) -> None:
    try:
        coordinator.start(start_heart=False)
        # Leave at once, also when the caller gave up waiting: no member
        # of ours stays behind in the backend.
        coordinator.stop()
    except Exception as exc:
        outcome['error'] = exc
    else:
        outcome['error'] = None


def probe(url: str, timeout: float) -> float:
    """Join the backend of ``url`` as a member and leave it again.

    A network URL's server is first connected to over TCP, so that a
    refused connection is reported at once (tooz's redis driver retries it
    for about a minute). Joining and leaving then run in a thread that is
    given up after ``2 * timeout`` seconds; the driver is also asked for
    ``timeout`` (tooz's ``timeout`` option).

    Do not probe a ``file://`` URL where its directory does not exist yet:
    tooz creates it, owned by this process's user.

    :returns: the seconds it took.
    :raises UnreachableError: the backend refused, failed or did not answer.
    :raises CoordinationError: as check_url.
    """
    check_url(url)
    started = time.monotonic()
    _connect(url, timeout)
    member = ('zha-scheduler-check-%s' % uuid.uuid4().hex).encode()
    try:
        coordinator = coordination.get_coordinator(
            url, member, timeout=str(int(max(1, timeout))))
    except BACKEND_ERRORS + (ValueError,) as exc:
        raise UnreachableError(str(exc) or type(exc).__name__) from None
    outcome: dict[str, Exception | None] = {}
    # A daemon thread: one that never returns does not keep the command
    # from exiting.
    thread = threading.Thread(target=_join_and_leave,
                              args=(coordinator, outcome),
                              name='zha-coordination-probe', daemon=True)
    thread.start()
    thread.join(2 * timeout)
    if 'error' not in outcome:
        raise UnreachableError('no answer within %g s' % (2 * timeout))
    error = outcome['error']
    if error is not None:
        raise UnreachableError(' '.join(str(error).split()) or
                               type(error).__name__) from None
    return time.monotonic() - started
