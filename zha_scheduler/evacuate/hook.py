"""The evacuation of one failed host: lock, check, fence, plan, evacuate, report."""

import concurrent.futures
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from oslo_log import log as logging

from zha_scheduler import topology
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import nova
from zha_scheduler.evacuate import plan as plan_mod
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import report as report_mod

LOG = logging.getLogger(__name__)
EVACUABLE = ('ACTIVE', 'SHUTOFF', 'ERROR')


class HookRefused(Exception):
    """The hook will not evacuate this host (up and not fenced, unknown...)."""


class Hook:
    """Evacuates the instances of a failed host, once, resumably."""

    def __init__(self, client: nova.NovaClient, fencer: Any, *,
                 coordination_url: str, state_dir: str,
                 partners: Mapping[str, str] | None = None,
                 max_parallel: int = 3, instance_timeout: float = 300,
                 poll_interval: float = 2.0, max_down_fraction: float = 0.5,
                 profiles: Callable[[], Mapping[str, topology.HostProfile]] | None = None
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

    def run(self, host: str, dry_run: bool = False) -> report_mod.Report:
        """Evacuate a host (or only plan it).

        :raises lock.LockBusy: another run holds the host.
        :raises brake.BrakeEngaged: too many computes are down.
        :raises HookRefused: the host is up and not fenced, or unknown.
        :raises fencing.FencingError: fencing failed; nothing was evacuated.
        """
        if dry_run:
            return self._run(host, dry_run=True)
        with lock.host_lock(self.coordination_url, host):
            return self._run(host)

    def _run(self, host: str, dry_run: bool = False) -> report_mod.Report:
        started = time.monotonic()
        run_id = uuid.uuid4().hex[:12]
        rep = report_mod.Report(host=host, run_id=run_id, dry_run=dry_run)
        services = self.nova.services()
        service = next((s for s in services if s.host == host), None)
        if service is None:
            raise HookRefused('no nova-compute service on host %s' % host)
        brake.check(services, self.max_down_fraction)
        if not dry_run and self.fencer is not None:
            LOG.info('Fencing %s before any evacuation.', host)
            rep.fenced = self.fencer.fence(host)
        if service.up and rep.fenced is None and not (dry_run and self.fencer):
            raise HookRefused(
                'the nova-compute service of %s is up and the host was not fenced: '
                'refusing to evacuate a host that may still run its guests' % host)
        store = progress.ProgressStore(self.state_dir, host)
        if not dry_run:
            store.start_run(run_id)
            self.nova.set_service(service, progress.in_progress_reason(run_id))
            LOG.info('Run %s: %s forced down and disabled.', run_id, host)
        plan, targets = self._plan(host, services, store, rep)
        rep.plan = plan.to_dict()
        if dry_run:
            for inst in plan.instances:
                rep.instances.append(report_mod.InstanceResult(
                    inst.id, inst.name, host, targets[inst.id], inst.status, 'planned'))
        else:
            self._evacuate_all(host, plan.instances, targets, store, rep)
            self.nova.set_service(service, progress.done_reason(run_id, len(rep.failed)))
        rep.seconds = time.monotonic() - started
        LOG.info('Run %s on %s: %d instance(s), %d failed, %.1f s.', run_id, host,
                 len(rep.instances), len(rep.failed), rep.seconds)
        return rep

    def _plan(self, host: str, services: list[nova.Service],
              store: progress.ProgressStore, rep: report_mod.Report
              ) -> tuple[plan_mod.Plan, dict[str, str | None]]:
        todo = self.nova.instances_on(host)
        for inst in todo:
            # Done is recorded only once the instance is seen elsewhere: one
            # listed on the host again came back (failback) and failed again.
            if store.done(inst.id):
                LOG.info('%(name)s (%(id)s) was evacuated by run %(run)s and is '
                         'back on %(host)s: evacuating it again.',
                         {'name': inst.name, 'id': inst.id, 'host': host,
                          'run': store.data['instances'][inst.id].get('run_id')})
        listed = {inst.id for inst in todo}
        for instance_id, entry in store.data['instances'].items():
            if entry.get('state') == progress.DONE and instance_id not in listed:
                rep.instances.append(report_mod.InstanceResult(
                    instance_id, entry.get('name', ''), host, entry.get('target'),
                    outcome='skipped', reason='evacuated by run %s' % entry.get('run_id')))
        usable = {s.host for s in services if s.up and not s.disabled and s.host != host}
        profiles = self.profiles() if host not in self.partners else {}
        target, why = plan_mod.choose_target(host, self.partners, profiles, usable)
        ordered = plan_mod.order(todo)
        free = self.nova.free_capacity(target) if target else None
        targets, missing = plan_mod.assign(ordered, target, free)
        if missing:
            LOG.warning('Not everything fits on %s (missing %s): the rest goes '
                        "where Nova's scheduler finds room.", target, missing)
        return plan_mod.Plan(host, target, why, ordered, missing), targets

    def _evacuate_all(self, host: str, instances: list[nova.Instance],
                      targets: Mapping[str, str | None],
                      store: progress.ProgressStore, rep: report_mod.Report) -> None:
        with concurrent.futures.ThreadPoolExecutor(self.max_parallel) as pool:
            futures = [pool.submit(self._evacuate_one, host, inst, targets[inst.id],
                                   store, rep.run_id) for inst in instances]
            for future in futures:
                rep.instances.append(future.result())

    def _evacuate_one(self, host: str, inst: nova.Instance, target: str | None,
                      store: progress.ProgressStore, run_id: str
                      ) -> report_mod.InstanceResult:
        result = report_mod.InstanceResult(inst.id, inst.name, host, target, inst.status)
        started = time.monotonic()
        try:
            if inst.task_state is None:
                if inst.status not in EVACUABLE:
                    raise nova.NovaError('cannot evacuate an instance in status %s'
                                         % inst.status)
                LOG.info('Evacuating %s (%s) from %s to %s.', inst.id, inst.status,
                         host, target or "the scheduler's choice")
                try:
                    final = self._request_and_wait(host, inst, target, store, run_id)
                except nova.EvacuationFailed as exc:
                    # Not on a timeout or ERROR: that instance may have moved.
                    if target is None:
                        raise
                    # E.g. the group's spreading policy forbids the standby
                    # for this one: the instance is still on the failed host,
                    # so asking the scheduler is not a second evacuation.
                    LOG.warning('%s cannot go to %s (%s); letting the scheduler '
                                'choose.', inst.id, target, exc)
                    result.reason = '%s refused: %s' % (target, str(exc)[:200])
                    final = self._request_and_wait(host, inst, None, store, run_id)
            else:
                LOG.info('%s is already %s: waiting for it, not evacuating it again.',
                         inst.id, inst.task_state)
                failed_before = {u for u, st in self.nova.evacuations(inst.id).items()
                                 if st in nova.FAILED_MIGRATION}
                final = self._wait(host, inst.id, failed_before)
        except nova.NovaError as exc:
            result.outcome, result.reason = 'failed', str(exc)
            store.record(inst.id, progress.FAILED, name=inst.name, target=target,
                         run_id=run_id, error=str(exc))
        else:
            result.outcome, result.target, result.status = ('evacuated', final.host,
                                                            final.status)
            store.record(inst.id, progress.DONE, name=inst.name, target=final.host,
                         run_id=run_id)
        result.seconds = time.monotonic() - started
        return result

    def _request_and_wait(self, host: str, inst: nova.Instance, target: str | None,
                          store: progress.ProgressStore, run_id: str) -> nova.Instance:
        store.record(inst.id, progress.REQUESTED, name=inst.name, target=target,
                     run_id=run_id)
        earlier = set(self.nova.evacuations(inst.id))
        self.nova.evacuate(inst.id, target)
        return self._wait(host, inst.id, earlier)

    def _wait(self, host: str, instance_id: str,
              earlier: set[str] | None = None) -> nova.Instance:
        """Poll an instance until it is rebuilt away from the failed host.

        Nova clears the task state before it moves the instance's host (under
        the resource tracker's lock), so an instance without a task state
        still on the failed host has failed only if its evacuation migration
        says so.

        :param earlier: evacuation migrations of the instance before the
            request (None: any failed one counts).
        :raises nova.NovaError: on ERROR, on a failed evacuation, on timeout.
        """
        deadline = time.monotonic() + self.instance_timeout
        while True:
            inst = self.nova.get(instance_id)
            if inst.task_state is None:
                if inst.host != host and inst.status in ('ACTIVE', 'SHUTOFF'):
                    return inst
                if inst.host != host and inst.status == 'ERROR':
                    raise nova.NovaError('instance went to ERROR on %s' % inst.host)
                if inst.host == host:
                    # E.g. NoValidHost in the conductor (the instance goes to
                    # ERROR there) or a failed claim on the destination.
                    ended = {uuid: status for uuid, status in
                             self.nova.evacuations(instance_id).items()
                             if uuid not in (earlier or set())}
                    failed = [u for u, st in ended.items() if st in nova.FAILED_MIGRATION]
                    if failed:
                        raise nova.EvacuationFailed(
                            'evacuation failed: still on %s (migration %s)'
                            % (host, failed[0]))
            if time.monotonic() >= deadline:
                raise nova.NovaError('not rebuilt after %s s (task %s, status %s)' % (
                    self.instance_timeout, inst.task_state, inst.status))
            time.sleep(self.poll_interval)
