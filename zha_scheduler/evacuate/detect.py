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

"""Which hosts to evacuate now, and why: the HMC first, Nova's heartbeat next.

Two causes, in this order:

``hmc``
    The HMC reports the host's LPAR (or partition, or its CPC) failed (see
    :mod:`zha_scheduler.clients.hmc` for the statuses) in
    :data:`CONFIRM_POLLS` consecutive polls. The host is due at once, with
    no grace period, even while Nova still shows its service up: the hook
    fences it, which is what makes evacuating a host Nova calls up safe.
    Such a failure is real, so the mass-failure brake does not hold it.
``heartbeat``
    Nova reports the service down for ``grace_period`` seconds and the HMC
    does not report the LPAR failed (not configured, unreachable, or the
    LPAR is operating: a hung hypervisor). As before the HMC existed: the
    hook fences before anything moves, and the brake applies.

Two consecutive polls, not one: the failed statuses are lasting states, but
a host passes through one for a moment in normal operation (a re-IPL resets
the LPAR, stopping every processor, before it loads), and an answer read
while the SE recovers its link to the CPC can be stale. Two reads
``hmc_poll_interval`` apart (2 s by default) say the status lasted; the
second read costs at most one interval, against the two minutes of
``service_down_time`` plus ``grace_period``. A poll without an answer (HMC
unreachable) forgets what the HMC said: its evidence must be current, and
detection falls back to the heartbeat alone until two new reads agree.

Not due: a host whose service carries the hook's ``zha-evacuate: done``
reason (its run finished; one marked ``incomplete`` is due again), and a
host the HMC reports failed while an operator has disabled its service
with a reason of their own. Disabled by an operator means maintenance: a
planned re-IPL or deactivation must not be fenced within seconds. Such a
host is still evacuated by the heartbeat rule once its service is down for
``grace_period``, as before, unless ``zha-scheduler drain`` disabled it
(``zha-scheduler drain:`` reason): a drained host has given its instances
away before its maintenance, and fencing it would stop the LPAR the
operator is working on; it is never due.
"""

from collections.abc import Callable
from collections.abc import Mapping
import dataclasses
import threading
import time

from zha_scheduler.clients import hmc
from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import progress

HMC = 'hmc'
HEARTBEAT = 'heartbeat'
#: Consecutive HMC polls that must report a failed status.
CONFIRM_POLLS = 2


@dataclasses.dataclass(frozen=True)
class Due:
    """A host to evacuate now, and why."""

    host: str
    #: HMC or HEARTBEAT.
    cause: str
    reason: str

    @property
    def confirmed(self) -> bool:
        """Whether the HMC confirmed the failure (the brake does not hold)."""
        return self.cause == HMC


def finished(service: nova_client.Service) -> bool:
    """Whether the hook's run on the host is done (not incomplete)."""
    return (service.disabled_reason or '').startswith(
        progress.REASON_PREFIX + ' done')


def in_maintenance(service: nova_client.Service) -> bool:
    """Whether someone other than the hook disabled the service."""
    return service.disabled and not (service.disabled_reason or '').startswith(
        progress.REASON_PREFIX)


class Detector:
    """Tells which hosts are due, from HMC polls and Nova's service list."""

    # The HMC poller and the service poller may run in two threads.

    def __init__(self, grace_period: float,
                 clock: Callable[[], float] = time.monotonic,
                 confirm_polls: int = CONFIRM_POLLS) -> None:
        self.grace_period = grace_period
        self.clock = clock
        self.confirm_polls = confirm_polls
        self._lock = threading.Lock()
        #: When each host's service was first seen down.
        self.down_since: dict[str, float] = {}
        #: Consecutive polls in which the HMC reported each host failed.
        self._streak: dict[str, int] = {}
        #: Why, as of the last poll.
        self._why: dict[str, str] = {}

    def observe_hmc(self, statuses: Mapping[str, hmc.LparStatus] | None
                    ) -> dict[str, str]:
        """Record one HMC poll.

        :param statuses: each mapped host's LPAR status, or None when the
            HMC did not answer (everything it said is forgotten).
        :returns: the hosts this poll confirmed failed, and why.
        """
        with self._lock:
            if statuses is None:
                self._streak.clear()
                self._why.clear()
                return {}
            confirmed = {}
            for host in list(self._streak):
                if host not in statuses:  # no longer in lpars_file
                    del self._streak[host]
                    self._why.pop(host, None)
            for host, status in statuses.items():
                why = status.failure()
                if why is None:
                    self._streak.pop(host, None)
                    self._why.pop(host, None)
                    continue
                self._streak[host] = self._streak.get(host, 0) + 1
                self._why[host] = why
                if self._streak[host] == self.confirm_polls:
                    confirmed[host] = why
            return confirmed

    def hmc_failed(self) -> dict[str, str]:
        """The hosts the HMC reports failed, confirmed, and why."""
        with self._lock:
            return {host: self._why[host]
                    for host, streak in self._streak.items()
                    if streak >= self.confirm_polls}

    def due(self, services: list[nova_client.Service]
            ) -> tuple[list[Due], list[str]]:
        """Update the down timers; the hosts due now, and those up again.

        :returns: the hosts due (HMC-confirmed first, then heartbeat, each
            by name) and the hosts whose service came back up.
        """
        now = self.clock()
        failed = self.hmc_failed()
        down = {s.host: s for s in services if not s.up}
        with self._lock:
            back = sorted(h for h in self.down_since if h not in down)
            for host in back:
                del self.down_since[host]
            for host in down:
                self.down_since.setdefault(host, now)
            since = dict(self.down_since)
        confirmed, heartbeat = [], []
        for service in sorted(services, key=lambda s: s.host):
            host = service.host
            if finished(service) or brake.drained(service):
                continue
            if host in failed and not in_maintenance(service):
                confirmed.append(Due(host, HMC, 'the HMC reports it '
                                     'failed: %s' % failed[host]))
            elif host in since and now - since[host] >= self.grace_period:
                heartbeat.append(Due(host, HEARTBEAT, (
                    'Nova reports its nova-compute down for grace_period '
                    '(%s s) or longer' % self.grace_period)))
        return confirmed + heartbeat, back
