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

"""Watch mode: evacuate hosts with nova-compute down past a grace period."""

from collections.abc import Callable
import threading
import time

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import hook
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import progress

LOG = logging.getLogger(__name__)
#: Key of the problem of reading the service list, in Watcher.problems.
POLL = None


def _explained(exc: Exception) -> bool:
    """Whether the message says it all: the package's own errors do.

    Its errors (brake, refusal, state file, lock backend, fencing, Nova,
    credentials) are written to tell the operator what to fix; anything
    else is a library's error or a bug, which needs its traceback.
    """
    return type(exc).__module__.split('.')[0] == 'zha_scheduler'


class Watcher:
    """Polls the compute services and runs the hook for hosts down too long."""

    def __init__(self, evacuation: hook.Hook, grace_period: float,
                 poll_interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hook = evacuation
        self.grace_period = grace_period
        self.poll_interval = poll_interval
        self.clock = clock
        #: When each host was first seen down.
        self.down_since: dict[str, float] = {}
        #: The problem each host (or the poll, key POLL) has, as logged.
        #: A problem that lasts is logged when it starts, when it changes
        #: and when it is resolved, not at every poll.
        self.problems: dict[str | None, str] = {}

    def _problem(self, key: str | None, what: str, exc: Exception) -> None:
        explained = _explained(exc)
        # What is compared from poll to poll: a KeyError('x') and a
        # ValueError('x') are two problems.
        message = '%s: %s' % (what, exc if explained else '%s: %s' % (
            type(exc).__name__, exc))
        if self.problems.get(key) == message:
            LOG.debug('Still: %s', message)
            return
        self.problems[key] = message
        # The line leaves the type out: the traceback ends with it.
        LOG.error('%s: %s (logged again when it changes or is resolved)',
                  what, exc, exc_info=not explained)

    def _resolved(self, key: str | None, how: str) -> None:
        if key in self.problems:
            LOG.info('Resolved: %s (was: %s)', how, self.problems.pop(key))

    def due(self, services: list[nova_client.Service]) -> list[str]:
        """Update the down timers; return the hosts to evacuate now."""
        now = self.clock()
        down = {s.host: s for s in services if not s.up}
        for host in list(self.down_since):
            if host not in down:
                LOG.info('%s is up again.', host)
                del self.down_since[host]
                self._resolved(host, '%s is up again' % host)
        hosts = []
        for host, service in sorted(down.items()):
            first = self.down_since.setdefault(host, now)
            finished = (service.disabled_reason or '').startswith(
                progress.REASON_PREFIX + ' done')
            if now - first >= self.grace_period and not finished:
                hosts.append(host)
        return hosts

    def run_once(self) -> list[str]:
        """One poll; returns the hosts it evacuated."""
        done = []
        due = self.due(self.hook.nova.services())
        for host in [h for h in self.problems if h is not None]:
            if host not in due:  # e.g. marked done by another watcher
                self._resolved(host, '%s is no longer due' % host)
        for host in due:
            try:
                rep = self.hook.run(host)
            except lock.LockBusy as exc:
                LOG.info('Skipping %s: %s.', host, exc)
            except Exception as exc:
                # Brake, refusal, state file, lock backend, fencing, Nova:
                # tried again at the next poll, logged once.
                self._problem(host, 'Not evacuating %s' % host, exc)
            else:
                self._resolved(host, '%s evacuated' % host)
                LOG.info('Evacuated %s: %d instance(s), %d failed.', host,
                         len(rep.instances), len(rep.failed))
                done.append(host)
        return done

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception as exc:
                self._problem(POLL, 'Could not poll the compute services',
                              exc)
            else:
                self._resolved(POLL, 'the compute services are read again')
            stop.wait(self.poll_interval)
