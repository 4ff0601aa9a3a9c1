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

"""One evacuation per host at a time: a tooz lock per host."""

from collections.abc import Callable
from collections.abc import Iterator
import contextlib
import os
import socket
from typing import Any
import urllib.parse
import uuid

from oslo_log import log as logging
from tooz import coordination

from zha_scheduler.clients import coordination_backend
from zha_scheduler.evacuate import state_files

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
    """Another zha-evacuate holds the lock of this host."""


class LockError(Exception):
    """The coordination backend cannot be used to take a host's lock."""


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return coordination_backend.redact(url)


def check_url(url: str) -> None:
    """Check a coordination URL as tooz will use it, without connecting.

    :raises LockError: what is wrong, with the known drivers.
    """
    try:
        coordination_backend.check_url(url)
    except coordination_backend.CoordinationError as exc:
        raise LockError(str(exc)) from None


def expiry_options(url: str) -> dict[str, float]:
    """The options zha-evacuate adds to the URL's for its driver.

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


def member_id(role: str) -> bytes:
    """A member id unique to this process and call, that says who it is.

    Host name and process id, so that an operator looking at the backend
    knows which controller holds what; a random part, so that two
    coordinators of one process (the watcher and a run) never share one.
    """
    return ('zha-evacuate-%s-%s-%d-%s' % (
        role, socket.gethostname(), os.getpid(),
        uuid.uuid4().hex[:8])).encode('ascii', 'backslashreplace')


def coordinator(url: str, member: bytes) -> coordination.CoordinationDriver:
    """A tooz coordinator for the URL with zha-evacuate's expiry, unstarted.

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
def host_lock(url: str, host: str) -> Iterator[None]:
    """Hold the host's lock, never waiting for it.

    A second run gives up at once: the holder finishes the job, and a later
    run resumes from the progress file if the holder died. The lock is named
    after the host key of the state file (``state_files.host_key``). The
    coordinator's heartbeat renews it while the run lasts; if the process
    dies, a distributed backend frees it within EXPIRY seconds (a file lock
    at once).

    :raises LockBusy: when another process holds it.
    :raises LockError: the backend cannot be loaded or reached.
    :raises ValueError: the host name is empty.
    """
    name = ('zha-evacuate-%s' % state_files.host_key(host)).encode()
    member = coordinator(url, member_id('run'))
    try:
        member.start(start_heart=True)
    except BACKEND_ERRORS as exc:
        raise LockError('cannot use the coordination backend %s: %s' % (
            redact(url), exc)) from exc
    try:
        lock = member.get_lock(name)
        try:
            acquired = lock.acquire(blocking=False)
        except BACKEND_ERRORS as exc:
            raise LockError('cannot take the lock of %s from %s: %s' % (
                host, redact(url), exc)) from exc
        if not acquired:
            raise LockBusy('another zha-evacuate is evacuating %s' % host)
        try:
            yield
        finally:
            quietly(lock.release, 'release the lock of %s' % host)
    finally:
        quietly(member.stop, 'leave the coordination backend')
