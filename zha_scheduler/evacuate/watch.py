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
hook runs in the service loop, one host at a time. An HMC that cannot be
read leaves detection to the heartbeat, logged once when it starts and
once when it ends, like every lasting problem.

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

LOG = logging.getLogger(__name__)
#: Key of the problem of reading the service list, in Watcher.problems.
POLL = None


class Source(enum.Enum):
    """Keys of the HMC's problems in Watcher.problems (hosts are str)."""

    HMC = 'hmc'


def _explained(exc: Exception) -> bool:
    """Whether the message says it all: the package's own errors do.

    Its errors (brake, refusal, state file, lock backend, fencing, Nova,
    credentials, HMC) are written to tell the operator what to fix;
    anything else is a library's error or a bug, which needs its
    traceback.
    """
    return type(exc).__module__.split('.')[0] == 'zha_scheduler'


class Watcher:
    """Polls the HMC and the services; runs the hook for each host due."""

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
        #: The problem each host (or the poll, key POLL, or the HMC, keys
        #: Source.HMC and (Source.HMC, host)) has, as logged. A problem
        #: that lasts is logged when it starts, when it changes and when it
        #: is resolved, not at every poll.
        self.problems: dict[object, str] = {}
        self._problems_lock = threading.Lock()
        #: Set by the HMC thread when it confirms a failure.
        self._wake = threading.Event()
        #: The hosts due at the last round, to log each episode once.
        self._due: set[str] = set()

    @property
    def down_since(self) -> dict[str, float]:
        """When each host was first seen down."""
        return self.detector.down_since

    def _problem(self, key: object, what: str, exc: Exception) -> None:
        explained = _explained(exc)
        # What is compared from poll to poll: a KeyError('x') and a
        # ValueError('x') are two problems.
        message = '%s: %s' % (what, exc if explained else '%s: %s' % (
            type(exc).__name__, exc))
        with self._problems_lock:
            if self.problems.get(key) == message:
                LOG.debug('Still: %s', message)
                return
            self.problems[key] = message
        # The line leaves the type out: the traceback ends with it.
        LOG.error('%s: %s (logged again when it changes or is resolved)',
                  what, exc, exc_info=not explained)

    def _resolved(self, key: object, how: str) -> None:
        with self._problems_lock:
            was = self.problems.pop(key, None)
        if was is not None:
            LOG.info('Resolved: %s (was: %s)', how, was)

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
            self._problem(Source.HMC, "Cannot read the LPAR statuses on the "
                          "HMC, detecting failures by Nova's heartbeat "
                          "only", exc)
            return {}
        self._resolved(Source.HMC, 'the HMC answers again: failures it '
                       'reports are detected again')
        for host, status in sorted(statuses.items()):
            if status.note:
                self._problem((Source.HMC, host), 'The HMC cannot tell '
                              'whether host %s failed' % host,
                              hmc.HmcError(status.note))
            else:
                self._resolved((Source.HMC, host), 'the HMC reports the '
                               '%s of host %s' % (status.kind, host))
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
        if not self.leads():
            return done
        for host in back:
            LOG.info('%s is up again.', host)
            self._resolved(host, '%s is up again' % host)
        due_hosts = {d.host for d in due}
        with self._problems_lock:
            hosts = [h for h in self.problems if isinstance(h, str)]
        for host in hosts:
            if host not in due_hosts:  # e.g. marked done by another watcher
                self._resolved(host, '%s is no longer due' % host)
        hmc_failed = set(self.detector.hmc_failed())
        for item in due:
            if item.host not in self._due:
                LOG.warning('Evacuating %s: %s.', item.host, item.reason)
        self._due = due_hosts
        for item in due:
            # Asked again before each host: leadership may pass to another
            # watcher while the hook runs on the one before.
            if item is not due[0] and not self.leads():
                break
            try:
                rep = self.hook.run(item.host, confirmed=item.confirmed,
                                    hmc_failed=hmc_failed)
            except lock.LockBusy as exc:
                LOG.info('Skipping %s: %s.', item.host, exc)
            except Exception as exc:
                # Brake, refusal, state file, lock backend, fencing, Nova:
                # tried again at the next poll, logged once.
                self._problem(item.host, 'Not evacuating %s (%s failure)'
                              % (item.host, item.cause), exc)
            else:
                self._resolved(item.host, '%s evacuated' % item.host)
                LOG.info('Evacuated %s (%s): %d instance(s), %d failed.',
                         item.host, item.cause, len(rep.instances),
                         len(rep.failed))
                done.append(item.host)
        return done

    def _poll_hmc_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.poll_hmc()
            except Exception as exc:  # a bug: keep the thread polling
                self.detector.observe_hmc(None)
                self._problem(Source.HMC, 'Could not poll the HMC', exc)
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
                    self._problem(POLL, 'Could not poll the compute services',
                                  exc)
                else:
                    self._resolved(POLL, 'the compute services are read '
                                   'again')
                if poller is None:
                    stop.wait(self.poll_interval)
                else:
                    self._wake.wait(self.poll_interval)
        finally:
            if self.election is not None:
                self.election.stop()
            if poller is not None and self.hmc is not None:
                stop.set()
                # A read in progress ends within the poll's read timeout.
                poller.join(hmc.POLL_READ_TIMEOUT + hmc.POLL_CONNECT_TIMEOUT)
                if not poller.is_alive():
                    self.hmc.close()
