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

"""Hosts that failed together, recovered from one plan of the standbys.

Planned one after the other, the LPARs of a failed CPC each counted the
standby's room whole, and the first took it for all its guests, however
unimportant. A recovery takes every host due at once through the steps of
``zha-evacuate HOST`` (a recovery of one host): lock, services and brake,
state file and instances, one plan (:func:`plan.assign` on one
:class:`plan.Ledger`), then fencing and forcing down each host, all the
evacuations in one pool in priority order, one report per host. A step
that fails for one host leaves it out, the error as its outcome.
"""

from collections.abc import Callable, Collection, Iterator, Mapping
import concurrent.futures
import contextlib
import time
from typing import TYPE_CHECKING
import uuid

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import failed_host
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import moves
from zha_scheduler.evacuate import plan
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import report
from zha_scheduler.evacuate import state_files
from zha_scheduler import model

if TYPE_CHECKING:
    from zha_scheduler.evacuate import hook

LOG = logging.getLogger(__name__)
#: What a recovery ends with for a host: its report, or why it stopped.
Outcome = report.Report | Exception


class Recovery:
    """One plan and one pool of evacuations for hosts that failed together."""

    def __init__(self, evacuation: 'hook.Hook', failures: Mapping[str, bool],
                 hmc_failed: Collection[str] = (), dry_run: bool = False,
                 proceed: Callable[[], bool] | None = None) -> None:
        """:param failures: each host, and whether the HMC confirmed it.

        :param hmc_failed: every host the HMC reports failed: the brake
            sets them aside, and none is a target.
        :param proceed: asked before fencing each host after the first
            (a watcher that no longer leads leaves the rest alone).
        """
        self.hook = evacuation
        self.nova = evacuation.nova
        self.failures = dict(failures)
        self.hmc_failed = frozenset(hmc_failed) | {
            host for host, confirmed in failures.items() if confirmed}
        self.dry_run = dry_run
        self.proceed = proceed
        self.run_id = uuid.uuid4().hex[:12]
        self.started = time.monotonic()
        self.outcomes: dict[str, Outcome] = {}
        #: The hosts still in the recovery, in the order given.
        self.hosts: dict[str, failed_host.FailedHost] = {}
        self.ledger = plan.Ledger(plan.room_reader(self.nova))
        #: (host, instance) in the order the plan served them.
        self.order: list[tuple[str, model.Instance]] = []
        self.targets: dict[str, str | None] = {}

    @contextlib.contextmanager
    def _alone(self, host: str) -> Iterator[None]:
        """Leave the host out of the recovery if the block raises."""
        try:
            yield
        except Exception as exc:
            self.outcomes[host] = exc
            self.hosts.pop(host, None)

    def run(self) -> dict[str, Outcome]:
        """Recover the hosts; each host's report, or why it stopped."""
        with contextlib.ExitStack() as held:
            for host in self.failures:
                with self._alone(host):
                    try:
                        state_files.host_key(host)
                    except ValueError:
                        raise failed_host.HookRefused(
                            'no host named: name the failed compute host '
                            "as Nova's service list shows it") from None
                    if not self.dry_run:
                        held.enter_context(lock.host_lock(
                            self.hook.coordination_url, host))
            try:
                self._run()
            except Exception as exc:  # e.g. Nova's service list: every host
                for host in self.failures:
                    self.outcomes.setdefault(host, exc)
        return self.outcomes

    def _run(self) -> None:
        services = self.nova.services()
        for name, confirmed in self.failures.items():
            if name not in self.outcomes:
                with self._alone(name):
                    self.hosts[name] = failed_host.prepare(
                        self.nova, name, confirmed, services,
                        fenced=self.hook.fencer is not None,
                        max_down_fraction=self.hook.max_down_fraction,
                        hmc_failed=self.hmc_failed,
                        state_dir=self.hook.state_dir, run_id=self.run_id,
                        dry_run=self.dry_run)
        if len(self.hosts) > 1:
            LOG.info('Run %s: %s failed together, planned as one recovery.',
                     self.run_id, ', '.join(self.hosts))
        self._route(services)
        self._plan()
        if self.dry_run:
            for host in self.hosts.values():
                host.rep.instances.extend(host.skipped())
                host.rep.instances.extend(
                    report.InstanceResult(
                        inst.uuid, inst.name, host.name,
                        self.targets[inst.uuid], inst.status, 'planned')
                    for _, inst in self._order_of(host.name))
                self._finish(host)
            return
        self._take_over()
        self._evacuate()

    def _route(self, services: list[nova_client.Service]) -> None:
        # Nova may still show the other failed LPARs of a CPC up.
        usable = {s.host for s in services
                  if s.up and not s.disabled and
                  s.host not in self.failures and
                  s.host not in self.hmc_failed}
        profiles = self.hook.profiles()
        # Standbys on the CPC of any host of the recovery may be lost too.
        lost = {p.cpc for h, p in profiles.items()
                if h in self.failures and p.cpc}
        for host in self.hosts.values():
            host.route = plan.route(host.name, self.hook.partners, profiles,
                                    usable, lost)

    def _plan(self) -> None:
        """Plan the hosts left from the rooms read once (again if asked)."""
        self.ledger.reset()
        self.order, self.targets, missing = plan.assign(
            {h.name: h.listed for h in self.hosts.values()},
            {h.name: [t for t, _ in h.route] for h in self.hosts.values()},
            self.ledger)
        for host in self.hosts.values():
            target, why = host.route[0] if host.route else (
                None, plan.NO_STANDBY)
            planned = plan.Plan(
                host.name, target, why,
                [inst for _, inst in self._order_of(host.name)],
                shortfall=missing[host.name],
                fallback=[t for t, _ in host.route[1:]],
                targets={i.uuid: self.targets[i.uuid] for i in host.listed},
                together=[h for h in self.hosts if h != host.name])
            host.rep.plan = planned.to_dict()
            if missing[host.name]:
                LOG.warning('Not every instance of %s fits on %s (missing '
                            "%s): the rest goes where Nova's scheduler finds "
                            'room.', host.name, ', '.join(
                                [t for t, _ in host.route]),
                            missing[host.name])

    def _order_of(self, name: str) -> list[tuple[str, model.Instance]]:
        return [pair for pair in self.order if pair[0] == name]

    def _take_over(self) -> None:
        """Fence each host, force it down and disable it; plan again if due."""
        planned = set(self.hosts)
        for host in list(self.hosts.values()):
            with self._alone(host.name):
                # Proves the state can be written before anything changes.
                host.store.start_run(self.run_id)
        for index, host in enumerate(list(self.hosts.values())):
            if index and self.proceed is not None and not self.proceed():
                # Untouched: the watcher that leads now takes it.
                del self.hosts[host.name]
                continue
            with self._alone(host.name):
                if self.hook.fencer is not None:
                    LOG.info('Fencing %s before any evacuation.', host.name)
                    host.rep.fenced = self.hook.fencer.fence(host.name)
                if host.service.up and host.rep.fenced is None:
                    raise failed_host.alive(host.name)
                self.nova.set_service(
                    host.service, progress.in_progress_reason(self.run_id))
                LOG.info('Run %s: %s forced down and disabled.', self.run_id,
                         host.name)
        changed = False
        for host in list(self.hosts.values()):
            with self._alone(host.name):
                # Listed before fencing; a host that was up may have received
                # an instance since. Forced down, it receives none now.
                now = self.nova.instances(host.name)
                if {i.uuid for i in now} != {i.uuid for i in host.listed}:
                    LOG.info('The instances on %s changed since they were '
                             'listed: planning again.', host.name)
                    host.listed, changed = now, True
        if changed or set(self.hosts) != planned:
            # The rooms are not read again: nothing was evacuated yet.
            self._plan()

    def _evacuate(self) -> None:
        mover = moves.Mover(self.nova, self.hook.instance_timeout,
                            self.hook.poll_interval)
        for host in self.hosts.values():
            host.rep.instances.extend(host.skipped())
        with concurrent.futures.ThreadPoolExecutor(
                self.hook.max_parallel) as pool:
            futures = [(name, pool.submit(
                mover.evacuate, name, inst, self.targets[inst.uuid],
                self.hosts[name].store, self.run_id))
                for name, inst in self.order]
            for name, future in futures:
                try:
                    result = future.result()
                except Exception as exc:
                    # The host stays "in progress": the next run resumes it.
                    self.outcomes.setdefault(name, exc)
                else:
                    self.hosts[name].rep.instances.append(result)
        for host in list(self.hosts.values()):
            if host.name not in self.outcomes:
                with self._alone(host.name):
                    self.nova.set_service(host.service, progress.done_reason(
                        self.run_id, len(host.rep.failed)))
                    self._finish(host)

    def _finish(self, host: failed_host.FailedHost) -> None:
        rep = host.rep
        rep.seconds = time.monotonic() - self.started
        LOG.info('Run %s on %s: %d instance(s), %d failed, %.1f s.',
                 self.run_id, host.name, len(rep.instances), len(rep.failed),
                 rep.seconds)
        self.outcomes[host.name] = rep
