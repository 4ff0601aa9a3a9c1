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

"""Watch mode: evacuate the hosts the HMC or Nova's heartbeat reports failed.

The compute services are polled every ``poll_interval``. With an HMC
reader (``fencing = hmc``) a second thread polls the HMC every
``hmc_poll_interval`` and wakes the service loop as soon as it confirms a
failure, so that a host is fenced and evacuated seconds after its LPAR
fails instead of minutes after its heartbeat stops
(:mod:`zha_scheduler.evacuate.detect` decides which hosts are due). The
hook runs in the service loop: the hosts due at one poll (the LPARs of a
failed CPC) are one recovery (:mod:`zha_scheduler.evacuate.recovery`); a
host due later is planned after it ended, when Placement holds its claims.
An HMC that cannot be read leaves detection to the heartbeat, logged once
when it starts and once when it ends, like every lasting problem
(:mod:`zha_scheduler.evacuate.problems`).

Several watchers may run on several controllers: with an election
(:mod:`zha_scheduler.evacuate.leader`) only the leader runs the hook; the
others poll too, and the one that takes over after the leader died finishes
its runs from Nova's records.
"""

from collections.abc import Callable
import enum
import threading
import time

from oslo_log import log as logging

from zha_scheduler.clients import hmc
from zha_scheduler.evacuate import detect
from zha_scheduler.evacuate import hook
from zha_scheduler.evacuate import leader
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import problems

LOG = logging.getLogger(__name__)
#: Seconds between two asks for the leadership by a follower that sees
#: hosts due: one call to the backend each.
TAKEOVER_INTERVAL = 0.5
#: Key of the problem of reading the service list, in Watcher.problems.
POLL = None


class Source(enum.Enum):
    """Keys of the HMC's problems in Watcher.problems (hosts are str)."""

    HMC = 'hmc'


class Watcher:
    """Polls the HMC and the services; recovers the hosts due together."""

    def __init__(self, evacuation: hook.Hook, grace_period: float,
                 poll_interval: float,
                 clock: Callable[[], float] = time.monotonic,
                 hmc_reader: hmc.StatusReader | None = None,
                 hmc_poll_interval: float = 2.0,
                 election: leader.Election | None = None) -> None:
        self.hook = evacuation
        self.grace_period = grace_period
        self.poll_interval = poll_interval
        self.clock = clock
        self.detector = detect.Detector(grace_period, clock=clock)
        #: None: detection by Nova's heartbeat only, as before the HMC.
        self.hmc = hmc_reader
        self.hmc_poll_interval = hmc_poll_interval
        #: None: the only watcher, which always acts.
        self.election = election
        self._leading: bool | None = None
        #: Whether the last round saw hosts due and left them to the leader.
        self.waiting = False
        #: The problem each host (or the poll, key POLL, or the HMC, keys
        #: Source.HMC and (Source.HMC, host)) has, as logged.
        self.problems = problems.Problems(LOG)
        #: Set by the HMC thread when it confirms a failure.
        self._wake = threading.Event()
        #: The hosts due at the last round, to log each episode once.
        self._due: set[str] = set()

    @property
    def down_since(self) -> dict[str, float]:
        """When each host was first seen down."""
        return self.detector.down_since

    def leads(self) -> bool:
        """Whether this watcher acts now; logs each change of leadership.

        Followers keep polling, so that their grace timers and HMC reads
        are current the moment the leader dies.
        """
        leading = self.election is None or self.election.is_leader()
        if leading != self._leading and self.election is not None:
            if leading:
                LOG.info('This watcher (%s) leads: it evacuates the failed '
                         'hosts.', self.election.member_id.decode())
            else:
                LOG.info('Another watcher leads: %s stands by.',
                         self.election.member_id.decode())
        self._leading = leading
        return leading

    def poll_hmc(self) -> dict[str, str]:
        """Read the HMC once (never raises).

        :returns: the hosts this poll confirmed failed, and why.
        """
        if self.hmc is None:
            return {}
        try:
            statuses = self.hmc.read_hosts()
        except Exception as exc:
            # HMC unreachable or refusing, lpars_file unreadable, or a bug:
            # the heartbeat alone detects until the HMC answers again.
            self.detector.observe_hmc(None)
            self.problems.report(
                Source.HMC, "Cannot read the LPAR statuses on the HMC, "
                "detecting failures by Nova's heartbeat only", exc)
            return {}
        self.problems.resolved(Source.HMC, 'the HMC answers again: '
                               'failures it reports are detected again')
        for host, status in sorted(statuses.items()):
            if status.note:
                self.problems.report(
                    (Source.HMC, host), 'The HMC cannot tell whether host '
                    '%s failed' % host, hmc.HmcError(status.note))
            else:
                self.problems.resolved(
                    (Source.HMC, host),
                    'the HMC reports the %s of host %s' % (status.kind, host))
        confirmed = self.detector.observe_hmc(statuses)
        for host, why in sorted(confirmed.items()):
            LOG.info('The HMC confirms host %s failed: %s.', host, why)
        if confirmed:
            self._wake.set()
        return confirmed

    def run_once(self) -> list[str]:
        """One poll of the services; returns the hosts it evacuated."""
        done: list[str] = []
        due, back = self.detector.due(self.hook.nova.services())
        self.waiting = bool(due)
        if not self.leads():
            return done
        self.waiting = False
        for host in back:
            LOG.info('%s is up again.', host)
            self.problems.resolved(host, '%s is up again' % host)
        due_hosts = {d.host for d in due}
        for host in self.problems.hosts():
            if host not in due_hosts:  # e.g. marked done by another watcher
                self.problems.resolved(host, '%s is no longer due' % host)
        hmc_failed = set(self.detector.hmc_failed())
        for item in due:
            if item.host not in self._due:
                LOG.warning('Evacuating %s: %s.', item.host, item.reason)
        self._due = due_hosts
        if not due:
            return done
        try:
            # One plan of the standbys' room for all; leadership is asked
            # again before each host is fenced.
            outcomes = self.hook.recover(
                {item.host: item.confirmed for item in due},
                hmc_failed=hmc_failed, proceed=self.leads)
        except Exception as exc:  # a bug: the hosts are tried again
            outcomes = {item.host: exc for item in due}
        for item in due:
            outcome = outcomes.get(item.host)
            if outcome is None:  # left to the watcher that leads now
                continue
            if isinstance(outcome, lock.LockBusy):
                LOG.info('Skipping %s: %s.', item.host, outcome)
            elif isinstance(outcome, Exception):
                # Brake, refusal, state file, lock backend, fencing, Nova:
                # tried again at the next poll, logged once.
                self.problems.report(
                    item.host, 'Not evacuating %s (%s failure)'
                    % (item.host, item.cause), outcome)
            else:
                self.problems.resolved(item.host, '%s evacuated' % item.host)
                LOG.info('Evacuated %s (%s): %d instance(s), %d failed.',
                         item.host, item.cause, len(outcome.instances),
                         len(outcome.failed))
                done.append(item.host)
        return done

    def _poll_hmc_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.poll_hmc()
            except Exception as exc:  # a bug: keep the thread polling
                self.detector.observe_hmc(None)
                self.problems.report(Source.HMC, 'Could not poll the HMC', exc)
            # Reads start every interval, however long one took.
            stop.wait(max(0.0, self.hmc_poll_interval -
                          (time.monotonic() - started)))
        self._wake.set()

    def run_forever(self, stop: threading.Event) -> None:
        poller = None
        if self.hmc is not None:
            poller = threading.Thread(target=self._poll_hmc_forever,
                                      args=(stop,), name='zha-hmc-poll',
                                      daemon=True)
            poller.start()
        try:
            while not stop.is_set():
                # Cleared first: a failure confirmed while the hook runs
                # makes the next round start at once.
                self._wake.clear()
                try:
                    self.run_once()
                except Exception as exc:
                    self.problems.report(
                        POLL, 'Could not poll the compute services', exc)
                else:
                    self.problems.resolved(
                        POLL, 'the compute services are read again')
                # A follower with hosts due asks for the leadership often:
                # it takes over the moment a dead leader's lock expires.
                pause = min(self.poll_interval, TAKEOVER_INTERVAL) if (
                    self.waiting) else self.poll_interval
                if poller is None:
                    stop.wait(pause)
                else:
                    self._wake.wait(pause)
        finally:
            if self.election is not None:
                self.election.stop()
            if poller is not None and self.hmc is not None:
                stop.set()
                # A read in progress ends within the poll's read timeout.
                poller.join(hmc.POLL_READ_TIMEOUT + hmc.POLL_CONNECT_TIMEOUT)
                if not poller.is_alive():
                    self.hmc.close()
