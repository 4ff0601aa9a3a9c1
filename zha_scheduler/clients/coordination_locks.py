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

"""Named tooz locks that a dead holder loses within seconds.

Every tool that must not run twice on the same hosts at once takes them
here: zha-evacuate (one lock per failed host, and the watchers' leadership)
and the drain and failback of ``zha-scheduler`` (one lock per host of the
target). The backend is ``[zha_evacuate] coordination_url``.
"""

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
import contextlib
import os
import socket
from typing import Any
import urllib.parse
import uuid

from oslo_log import log as logging
from tooz import coordination

from zha_scheduler.clients import coordination_backend

LOG = logging.getLogger(__name__)

#: What tooz raises when its backend cannot be loaded or reached.
BACKEND_ERRORS = coordination_backend.BACKEND_ERRORS

#: Seconds after which the backend drops what a dead controller held: its
#: per-host locks, its leadership of the watchers (``leader.py``) and its
#: group membership. tooz renews them every half of it (its heartbeat waits
#: half the time it returns), so a live holder has EXPIRY / 2 seconds of
#: slack, and another controller takes over at most EXPIRY seconds after the
#: holder's last renewal. A URL that sets the driver's own option (or
#: ``timeout``, from which tooz derives them) keeps its value.
EXPIRY = 10
#: The options of each driver that bound how long a dead member's locks and
#: membership last. Redis also gets a socket timeout of EXPIRY / 4: with
#: tooz's default (30 s) a heartbeat stuck on a dead connection would hang
#: past the lock's expiry; this way it gives up and tooz retries it (1 s
#: later, on a new connection) before the lock expires.
#: ZooKeeper's session timeout (``timeout``) already defaults to 10 s, and
#: the file driver's locks are released by the kernel when the process
#: dies.
_EXPIRY_OPTIONS: dict[str, dict[str, float]] = {
    'redis': {'lock_timeout': EXPIRY, 'membership_timeout': EXPIRY,
              'socket_timeout': EXPIRY / 4},
    'etcd3+http': {'lock_timeout': EXPIRY, 'membership_timeout': EXPIRY},
    'etcd3+https': {'lock_timeout': EXPIRY, 'membership_timeout': EXPIRY},
    'memcached': {'lock_timeout': EXPIRY, 'membership_timeout': EXPIRY},
    'kazoo': {'timeout': EXPIRY},
    'zookeeper': {'timeout': EXPIRY},
}


class LockBusy(Exception):
    """Another process holds one of the locks."""


class LockError(Exception):
    """The coordination backend cannot be used to take a lock."""


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return coordination_backend.redact(url)


def expiry_options(url: str) -> dict[str, float]:
    """The options the tools add to the URL's for its driver.

    Those of ``_EXPIRY_OPTIONS`` the URL does not set itself, none when it
    sets ``timeout`` (tooz derives the others from it).
    """
    parts = urllib.parse.urlsplit(url)
    given = urllib.parse.parse_qs(parts.query)
    if 'timeout' in given:
        return {}
    return {name: value
            for name, value in _EXPIRY_OPTIONS.get(parts.scheme, {}).items()
            if name not in given}


def member_id(role: str, tool: str = 'zha-evacuate') -> bytes:
    """A member id unique to this process and call, that says who it is.

    Host name and process id, so that an operator looking at the backend
    knows which controller holds what; a random part, so that two
    coordinators of one process (the watcher and a run) never share one.
    """
    return ('%s-%s-%s-%d-%s' % (
        tool, role, socket.gethostname(), os.getpid(),
        uuid.uuid4().hex[:8])).encode('ascii', 'backslashreplace')


def coordinator(url: str, member: bytes) -> coordination.CoordinationDriver:
    """A tooz coordinator for the URL with the tools' expiry, unstarted.

    :raises LockError: the driver cannot be loaded.
    """
    try:
        made = coordination.get_coordinator(url, member, None,
                                            **expiry_options(url))
    except BACKEND_ERRORS as exc:
        raise LockError('cannot use the coordination backend %s: %s' % (
            redact(url), exc)) from exc
    if urllib.parse.urlsplit(url).scheme == 'redis':
        _fail_fast(made)
    return made


def _fail_fast(member: coordination.CoordinationDriver) -> None:
    """Let a Redis coordinator fail within seconds when its server is down.

    redis-py (6 and later) retries a failed command 10 times with backoff,
    and tooz's Redis driver retries a refused connection 15 times on top:
    each call then took about a minute (56 s measured) to fail, a watcher's
    stop included. The client tooz makes gets no retry of its own, so that
    tooz's retries (immediate) are all there is; a server that does not
    answer still fails a call after the socket timeout.
    """
    make = getattr(member, '_make_client', None)
    if make is None:  # a tooz that makes its client otherwise
        return
    from redis import backoff
    from redis import retry

    def make_client(*args: Any, **kwargs: Any) -> Any:
        client = make(*args, **kwargs)
        if hasattr(client, 'set_retry'):
            client.set_retry(retry.Retry(backoff.NoBackoff(), 0))
        return client
    # The driver calls it as self._make_client when it starts.
    setattr(member, '_make_client', make_client)


def quietly(action: Callable[[], Any], what: str) -> None:
    """Do it, or log a WARNING: for what is done when leaving.

    A run is over, a watcher steps down: a backend failing now must not
    turn the result into an error, since the backend expires what a silent
    member held.
    """
    try:
        action()
    except Exception as exc:
        LOG.warning('Could not %(what)s: %(err)s', {'what': what, 'err': exc})


@contextlib.contextmanager
def held(coordinator_: coordination.CoordinationDriver, url: str,
         names: Sequence[bytes],
         busy: Callable[[bytes], str]) -> Iterator[None]:
    """Hold every named lock, never waiting for one; release them at the end.

    The coordinator (``coordinator()``, unstarted) is started here and
    stopped at the end; its heartbeat renews the locks while the block
    lasts. If the process dies, a distributed backend frees them within
    EXPIRY seconds (a file lock at once).

    :param url: the coordinator's URL, for messages.
    :param busy: the LockBusy message for a name another process holds.
    :raises LockBusy: another process holds one of them (those taken
        before it are released).
    :raises LockError: the backend cannot be reached.
    """
    try:
        coordinator_.start(start_heart=True)
    except BACKEND_ERRORS as exc:
        raise LockError('cannot use the coordination backend %s: %s' % (
            redact(url), exc)) from exc
    taken: list[tuple[bytes, Any]] = []
    try:
        for name in names:
            lock = coordinator_.get_lock(name)
            try:
                acquired = lock.acquire(blocking=False)
            except BACKEND_ERRORS as exc:
                raise LockError('cannot take the lock %s from %s: %s' % (
                    name.decode(errors='replace'), redact(url),
                    exc)) from exc
            if not acquired:
                raise LockBusy(busy(name))
            taken.append((name, lock))
        yield
    finally:
        for name, lock in reversed(taken):
            quietly(lock.release, 'release the lock %s' % name.decode(
                errors='replace'))
        quietly(coordinator_.stop, 'leave the coordination backend')
