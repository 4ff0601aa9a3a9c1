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

"""Evacuating one failed host: lock, check, fence, plan, evacuate, report."""

import concurrent.futures
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import plan
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import report
from zha_scheduler.evacuate import state_files
from zha_scheduler import model
from zha_scheduler import topology

LOG = logging.getLogger(__name__)
EVACUABLE = ('ACTIVE', 'SHUTOFF', 'ERROR')


class HookRefused(Exception):
    """The hook will not evacuate this host (up and not fenced, unknown...)."""


class Hook:
    """Evacuates the instances of a failed host, once, resumably."""

    def __init__(self, client: nova_client.NovaClient, fencer: Any, *,
                 coordination_url: str, state_dir: str,
                 partners: Mapping[str, str] | None = None,
                 max_parallel: int = 3, instance_timeout: float = 300,
                 poll_interval: float = 2.0, max_down_fraction: float = 0.5,
                 profiles: Callable[
                     [], Mapping[str, topology.HostProfile]] | None = None
                 ) -> None:
        self.nova = client
        self.fencer = fencer
        self.coordination_url = coordination_url
        self.state_dir = state_dir
        self.partners = dict(partners or {})
        self.max_parallel = max_parallel
        self.instance_timeout = instance_timeout
        self.poll_interval = poll_interval
        self.max_down_fraction = max_down_fraction
        self.profiles = profiles or (lambda: {})

    def run(self, host: str, dry_run: bool = False, confirmed: bool = False,
            hmc_failed: Collection[str] = ()) -> report.Report:
        """Evacuate a host (or only plan it).

        Everything that can fail is read and checked before the fencer is
        called: the lock, the services and the brake, the state file, the
        instances and the plan. Fencing is the last step before the first
        change (forcing the service down).

        :param confirmed: the HMC reports the host failed: the brake does
            not apply (the host is still fenced first).
        :param hmc_failed: every host the HMC reports failed: the brake sets
            them aside, and none is chosen as the target.
        :raises lock.LockBusy: another run holds the host.
        :raises lock.LockError: the coordination backend is unusable.
        :raises brake.BrakeEngaged: too many computes are down.
        :raises HookRefused: the host is up and not fenced, or unknown.
        :raises progress.StateError: the state file cannot be read or
            written; nothing was fenced or changed.
        :raises fencing.FencingError: fencing failed; nothing was evacuated.
        """
        try:
            state_files.host_key(host)
        except ValueError:
            raise HookRefused('no host named: name the failed compute host '
                              "as Nova's service list shows it") from None
        failed = frozenset(hmc_failed) | ({host} if confirmed else set())
        if dry_run:
            return self._run(host, failed, confirmed, dry_run=True)
        with lock.host_lock(self.coordination_url, host):
            return self._run(host, failed, confirmed)

    def _run(self, host: str, hmc_failed: frozenset[str], confirmed: bool,
             dry_run: bool = False) -> report.Report:
        started = time.monotonic()
        run_id = uuid.uuid4().hex[:12]
        rep = report.Report(host=host, run_id=run_id, dry_run=dry_run)
        services = self.nova.services()
        service = next((s for s in services if s.host == host), None)
        if service is None:
            raise HookRefused('no nova-compute service on host %s' % host)
        if confirmed:
            LOG.info('The HMC reports %s failed: the mass-failure brake does '
                     'not apply.', host)
        else:
            brake.check(services, self.max_down_fraction, host, hmc_failed)
        if service.up and self.fencer is None:
            raise self._alive(host)
        store = progress.ProgressStore(self.state_dir, host,
                                       repair=not dry_run)
        # Nova may still show the other failed LPARs of a CPC up.
        services = [s for s in services if s.host not in hmc_failed]
        planned, targets, skipped = self._plan(host, services, store)
        rep.plan = planned.to_dict()
        if not dry_run:
            # Proves the state can be written before anything changes.
            store.start_run(run_id)
            if self.fencer is not None:
                LOG.info('Fencing %s before any evacuation.', host)
                rep.fenced = self.fencer.fence(host)
        if service.up and rep.fenced is None and not (dry_run and self.fencer):
            raise self._alive(host)
        if dry_run:
            rep.instances.extend(skipped)
            for inst in planned.instances:
                rep.instances.append(report.InstanceResult(
                    inst.uuid, inst.name, host, targets[inst.uuid],
                    inst.status, 'planned'))
        else:
            self.nova.set_service(service, progress.in_progress_reason(run_id))
            LOG.info('Run %s: %s forced down and disabled.', run_id, host)
            # Listed before fencing; a host that was up may have received an
            # instance since. Forced down, it receives none now.
            if ({i.uuid for i in self.nova.instances(host)} !=
                    {i.uuid for i in planned.instances}):
                LOG.info('The instances on %s changed since they were '
                         'listed: planning again.', host)
                planned, targets, skipped = self._plan(host, services, store)
                rep.plan = planned.to_dict()
            rep.instances.extend(skipped)
            self._evacuate_all(host, planned.instances, targets, store, rep)
            self.nova.set_service(
                service, progress.done_reason(run_id, len(rep.failed)))
        rep.seconds = time.monotonic() - started
        LOG.info('Run %s on %s: %d instance(s), %d failed, %.1f s.', run_id,
                 host, len(rep.instances), len(rep.failed), rep.seconds)
        return rep

    @staticmethod
    def _alive(host: str) -> HookRefused:
        return HookRefused(
            'the nova-compute service of %s is up and the host was not '
            'fenced: refusing to evacuate a host that may still run its '
            'guests' % host)

    def _plan(self, host: str, services: list[nova_client.Service],
              store: progress.ProgressStore
              ) -> tuple[plan.Plan, dict[str, str | None],
                         list[report.InstanceResult]]:
        """The plan, each instance's target and the rows of those done."""
        todo = self.nova.instances(host)
        for inst in todo:
            # Done is recorded only once the instance is seen elsewhere: one
            # listed on the host again came back (failback) and failed again.
            if store.done(inst.uuid):
                earlier = store.data['instances'][inst.uuid].get('run_id')
                LOG.info('%(name)s (%(id)s) was evacuated by run %(run)s and '
                         'is back on %(host)s: evacuating it again.',
                         {'name': inst.name, 'id': inst.uuid, 'host': host,
                          'run': earlier})
        listed = {inst.uuid for inst in todo}
        skipped = []
        for instance_id, entry in store.data['instances'].items():
            if (entry.get('state') == progress.DONE and
                    instance_id not in listed):
                skipped.append(report.InstanceResult(
                    instance_id, entry.get('name', ''), host,
                    entry.get('target'), outcome='skipped',
                    reason='evacuated by run %s' % entry.get('run_id')))
        usable = {s.host for s in services
                  if s.up and not s.disabled and s.host != host}
        profiles = self.profiles() if host not in self.partners else {}
        target, why = plan.choose_target(host, self.partners, profiles, usable)
        ordered = plan.order(todo)
        room = self._room(target) if target else None
        targets, missing = plan.assign(ordered, target, room)
        if missing:
            LOG.warning('Not everything fits on %s (missing %s): the rest '
                        "goes where Nova's scheduler finds room.", target,
                        missing)
        return (plan.Plan(host, target, why, ordered, missing), targets,
                skipped)

    def _room(self, target: str) -> model.Room | None:
        """What the target can take; None (assume it fits) if unknown."""
        try:
            return self.nova.placement().room(target)
        except Exception as exc:  # capacity is advice, never a blocker
            LOG.warning('Could not read the capacity of %s: %s', target, exc)
            return None

    def _evacuations(self, instance_id: str) -> list[nova_client.Migration]:
        return self.nova.migrations(instance_id, nova_client.EVACUATION)

    def _in_flight(self, host: str,
                   instance_id: str) -> tuple[str, str] | None:
        """The newest evacuation of an instance from host, if not ended.

        :returns: its migration id and status, or None.
        """
        evacuations = self._evacuations(instance_id)
        if not evacuations:
            return None
        newest = evacuations[-1]
        if (newest.failed or newest.status in nova_client.ENDED_MIGRATION or
                newest.source not in (None, host)):
            return None
        return newest.id, newest.status

    def _evacuate_all(self, host: str, instances: list[model.Instance],
                      targets: Mapping[str, str | None],
                      store: progress.ProgressStore,
                      rep: report.Report) -> None:
        with concurrent.futures.ThreadPoolExecutor(self.max_parallel) as pool:
            futures = [pool.submit(self._evacuate_one, host, inst,
                                   targets[inst.uuid], store, rep.run_id)
                       for inst in instances]
            for future in futures:
                rep.instances.append(future.result())

    def _evacuate_one(self, host: str, inst: model.Instance,
                      target: str | None, store: progress.ProgressStore,
                      run_id: str) -> report.InstanceResult:
        result = report.InstanceResult(inst.uuid, inst.name, host, target,
                                       inst.status)
        started = time.monotonic()
        try:
            moving = None
            if inst.task_state is None:
                # Nova clears the task state, then moves the host, then
                # marks the migration done: an instance another run
                # evacuated can list here without a task state. Read the
                # migration, then the instance: once the migration is
                # over, the instance shows its new host.
                moving = self._in_flight(host, inst.uuid)
                if moving is None:
                    inst = self.nova.get(inst.uuid)
            if inst.task_state is None and moving is None and (
                    inst.host == host):
                if inst.status not in EVACUABLE:
                    raise nova_client.NovaError(
                        'cannot evacuate an instance in status %s'
                        % inst.status)
                LOG.info('Evacuating %s (%s) from %s to %s.', inst.uuid,
                         inst.status, host,
                         target or "the scheduler's choice")
                try:
                    final = self._request_and_wait(host, inst, target, store,
                                                   run_id)
                except nova_client.EvacuationFailed as exc:
                    # Not on a timeout or ERROR: that instance may have moved.
                    if target is None:
                        raise
                    # E.g. the group's spreading policy forbids the standby
                    # for this one: the instance is still on the failed host,
                    # so asking the scheduler is not a second evacuation.
                    LOG.warning('%s cannot go to %s (%s); letting the '
                                'scheduler choose.', inst.uuid, target, exc)
                    result.reason = '%s refused: %s' % (target, str(exc)[:200])
                    final = self._request_and_wait(host, inst, None, store,
                                                   run_id)
            else:
                if inst.task_state:
                    under_way = inst.task_state
                elif moving:
                    under_way = 'evacuated (migration %s is %s)' % moving
                else:
                    under_way = 'on %s' % inst.host
                LOG.info('%s is already %s: waiting for it, not evacuating '
                         'it again.', inst.uuid, under_way)
                failed_before = {m.id for m in self._evacuations(inst.uuid)
                                 if m.failed}
                final = self._wait(host, inst.uuid, failed_before)
        except nova_client.NovaError as exc:
            result.outcome, result.reason = 'failed', str(exc)
            store.record(inst.uuid, progress.FAILED, name=inst.name,
                         target=target, run_id=run_id, error=str(exc))
        else:
            result.outcome, result.target, result.status = (
                'evacuated', final.host, final.status)
            store.record(inst.uuid, progress.DONE, name=inst.name,
                         target=final.host, run_id=run_id)
        result.seconds = time.monotonic() - started
        return result

    def _request_and_wait(self, host: str, inst: model.Instance,
                          target: str | None, store: progress.ProgressStore,
                          run_id: str) -> model.Instance:
        store.record(inst.uuid, progress.REQUESTED, name=inst.name,
                     target=target, run_id=run_id)
        earlier = {m.id for m in self._evacuations(inst.uuid)}
        self.nova.evacuate(inst.uuid, target)
        return self._wait(host, inst.uuid, earlier)

    def _wait(self, host: str, instance_id: str,
              earlier: set[str] | None = None) -> model.Instance:
        """Poll an instance until it is rebuilt away from the failed host.

        Nova clears the task state before it moves the instance's host (under
        the resource tracker's lock), so an instance without a task state
        still on the failed host has failed only if its evacuation migration
        says so.

        :param earlier: evacuation migrations of the instance before the
            request (None: any failed one counts).
        :raises nova_client.NovaError: on ERROR, on a failed evacuation, on
            timeout.
        """
        deadline = time.monotonic() + self.instance_timeout
        while True:
            inst = self.nova.get(instance_id)
            if inst.task_state is None:
                if inst.host != host and inst.status in ('ACTIVE', 'SHUTOFF'):
                    return inst
                if inst.host != host and inst.status == 'ERROR':
                    raise nova_client.NovaError('instance went to ERROR on %s'
                                                % inst.host)
                if inst.host == host:
                    # E.g. NoValidHost in the conductor (the instance goes to
                    # ERROR there) or a failed claim on the destination.
                    failed = [m.id for m in self._evacuations(instance_id)
                              if m.failed and m.id not in (earlier or set())]
                    if failed:
                        raise nova_client.EvacuationFailed(
                            'evacuation failed: still on %s (migration %s)'
                            % (host, failed[0]))
            if time.monotonic() >= deadline:
                raise nova_client.NovaError(
                    'not rebuilt after %s s (task %s, status %s)' % (
                        self.instance_timeout, inst.task_state, inst.status))
            time.sleep(self.poll_interval)
