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

"""One acting watcher among several: leader election over tooz.

The watchers sharing a ``coordination_url`` join the group ``GROUP`` (so
that the live ones can be listed) and the one holding the lock
``LEADER_LOCK`` leads. The lock is tooz's own per driver: on Redis a key
with a time to live that the coordinator's heartbeat renews every
``lock.EXPIRY / 2`` seconds, on ZooKeeper an ephemeral node of the session,
with ``file://`` an fcntl lock. A leader that dies, or whose heartbeats stop
reaching the backend, loses the lock when it expires (at most
``lock.EXPIRY`` seconds after the last renewal; at once with ``file://``,
where the kernel drops the lock of a dead process), and the next candidate
to ask takes it.

A lock rather than tooz's ``watch_elected_as_leader``: tooz implements that
for neither ``file://`` nor etcd3, and on Redis and ZooKeeper it announces
the gain of leadership but never its loss. Holding the lock object, the
leader can ask the backend whether it still owns it (``is_still_owner``),
so that ``is_leader()`` answers for now, not for when it was elected.
"""

import os
import socket
from typing import Any

from oslo_log import log as logging
import tooz
from tooz import coordination
from tooz import locking

from zha_scheduler.evacuate import lock

LOG = logging.getLogger(__name__)

#: The group every watcher joins.
GROUP = b'zha-evacuate-watch'
#: The lock whose holder leads the group.
LEADER_LOCK = b'zha-evacuate-watch-leader'


class ElectionError(Exception):
    """The coordination backend cannot be used for the election."""


def _owns(held: locking.Lock) -> bool:
    """Whether the backend says the lock is still this member's."""
    try:
        return held.is_still_owner()
    except tooz.NotImplemented:
        # etcd3 cannot tell; its lease renewal is all there is to trust.
        return bool(getattr(held, 'acquired', True))


class Election:
    """This watcher's candidacy to lead the watchers of one backend."""

    def __init__(self, url: str, group: bytes = GROUP) -> None:
        self.url = url
        self.group = group
        #: Host name, process id and a random part (``lock.member_id``).
        self.member_id = lock.member_id('watch')
        self._coordinator: coordination.CoordinationDriver | None = None
        self._lock: locking.Lock | None = None
        #: Whether the driver has groups (tooz's file, Redis, ZooKeeper,
        #: etcd3 and memcached drivers do).
        self._grouped = True
        #: The backend problem last logged, until it is resolved.
        self._problem: str | None = None

    def __enter__(self) -> 'Election':
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> None:
        """Connect, join the group and start the heartbeat; no election yet.

        Calling it is optional: ``is_leader()`` starts what is not started
        (and retries after a failure).

        :raises ElectionError: the backend cannot be loaded or reached.
        """
        if self._coordinator is not None:
            return
        try:
            member = lock.coordinator(self.url, self.member_id)
        except lock.LockError as exc:
            raise ElectionError(str(exc)) from exc
        try:
            member.start(start_heart=True)
        except lock.BACKEND_ERRORS as exc:
            raise ElectionError('cannot use the coordination backend %s: %s'
                                % (lock.redact(self.url), exc)) from exc
        try:
            self._join(member)
        except lock.BACKEND_ERRORS as exc:
            lock.quietly(member.stop, 'leave the coordination backend')
            raise ElectionError('cannot join the group %s on %s: %s' % (
                self.group.decode(), lock.redact(self.url), exc)) from exc
        self._coordinator = member

    def _join(self, member: coordination.CoordinationDriver) -> None:
        # The capabilities say which controller a member id is.
        capabilities = {'host': socket.gethostname(), 'pid': os.getpid()}
        try:
            try:
                member.create_group(self.group).get()
            except coordination.GroupAlreadyExist:
                pass
            try:
                member.join_group(self.group, capabilities).get()
            except coordination.MemberAlreadyExist:
                pass
        except tooz.NotImplemented:
            # The election needs only the lock.
            self._grouped = False
            LOG.info('The coordination driver of %s has no groups: the '
                     'watchers cannot be listed.', lock.redact(self.url))

    def is_leader(self) -> bool:
        """Whether this watcher leads now, as the backend says; never raises.

        One round of the election: the leader asks the backend whether the
        lock is still its own, a candidate tries to take it without
        waiting. Call it before each action (it costs one request to the
        backend): a leader whose heartbeats stopped reaching the backend has
        lost the lock once it expired, and then answers False. A backend
        that cannot be reached means False (logged once, and again when it
        changes or is resolved); a leader that merely could not ask keeps
        its lock and leads again if it is still its own at the next call.
        Elections and losses are logged.
        """
        try:
            self.start()
            assert self._coordinator is not None
            member = self._coordinator
            leading = self._round(member)
        except Exception as exc:
            # The watcher goes on whatever happens here: a follower that
            # cannot ask the backend does nothing, which is safe.
            failure: Exception | None = exc
        else:
            failure = None
        if failure is not None:
            # Logged out of the handler: oslo.log would repeat the error.
            self._failed(failure)
            return False
        if self._problem is not None:
            LOG.info('Resolved: the coordination backend %(url)s answers '
                     'again (was: %(err)s)',
                     {'url': lock.redact(self.url), 'err': self._problem})
            self._problem = None
            if self._grouped:
                # A backend that restarted without persistence forgot the
                # group: join again, so that this watcher is listed.
                lock.quietly(lambda: self._join(member),
                             'join the group %s again' % self.group.decode())
        return leading

    def _failed(self, exc: Exception) -> None:
        explained = isinstance(exc, (ElectionError, *lock.BACKEND_ERRORS))
        if isinstance(exc, ElectionError):
            message = str(exc)
        else:
            message = 'the coordination backend %s failed: %s' % (
                lock.redact(self.url),
                exc if explained else '%s: %s' % (type(exc).__name__, exc))
        if message == self._problem:
            return
        self._problem = message
        # A library's error or a bug needs its traceback; the others say
        # it all.
        LOG.error('Leader election: %(err)s; not leading (logged again '
                  'when it changes or is resolved)', {'err': message},
                  exc_info=None if explained else exc)

    def _round(self, member: coordination.CoordinationDriver) -> bool:
        if self._lock is not None:
            if _owns(self._lock):
                return True
            LOG.warning('%(member)s no longer leads the zha-evacuate '
                        'watchers: its lock expired before its heartbeat '
                        'renewed it.', {'member': self.member_id.decode()})
            # Stops the heartbeat from renewing a lock that is no longer
            # this member's (tooz logs that it cannot release it).
            held, self._lock = self._lock, None
            lock.quietly(held.release, 'drop the lost leader lock')
        candidate = member.get_lock(LEADER_LOCK)
        if not candidate.acquire(blocking=False):
            return False
        self._lock = candidate
        LOG.info('%(member)s leads the zha-evacuate watchers.',
                 {'member': self.member_id.decode()})
        return True

    def members(self) -> list[str]:
        """The member ids of the live watchers, sorted.

        Empty when the driver has no groups. With ``file://`` a watcher
        that died stays listed until its heartbeat is 10 s old.

        :raises ElectionError: not started, or the backend failed.
        """
        if self._coordinator is None:
            raise ElectionError('the election is not started')
        if not self._grouped:
            return []
        try:
            found = self._coordinator.get_members(self.group).get()
        except lock.BACKEND_ERRORS as exc:
            raise ElectionError('cannot list the watchers on %s: %s' % (
                lock.redact(self.url), exc)) from exc
        return sorted(m.decode() if isinstance(m, bytes) else m
                      for m in found)

    def stop(self) -> None:
        """Give the leadership up, leave the group and disconnect.

        Another watcher can lead at its next ``is_leader()``. Never raises;
        calling it again does nothing.
        """
        member, self._coordinator = self._coordinator, None
        if member is None:
            return
        if self._lock is not None:
            held, self._lock = self._lock, None
            lock.quietly(held.release, 'release the leader lock')
            LOG.info('%(member)s stepped down as leader of the zha-evacuate '
                     'watchers.', {'member': self.member_id.decode()})
        # tooz's stop leaves the group.
        lock.quietly(member.stop, 'leave the coordination backend')
