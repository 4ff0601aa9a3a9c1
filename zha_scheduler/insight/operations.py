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

"""Drain and failback runs: plan, lock, change, move, report.

The library entry points of ``zha-scheduler drain`` and ``failback``: each
takes an openstacksdk Connection and the snapshot it planned from, holds
the target's locks for the whole run, and returns a report the command
prints (the demo's maintenance scene reads it too).
"""

from collections.abc import Iterator
import contextlib
import dataclasses
import datetime
import time
from typing import Any

from zha_scheduler.clients import coordination_locks
from zha_scheduler.clients import nova_client
from zha_scheduler.insight import drain
from zha_scheduler.insight import failback
from zha_scheduler.insight import homes
from zha_scheduler.insight import maintenance
from zha_scheduler.insight import migrate
from zha_scheduler.insight import snapshot


class Refused(Exception):
    """Another drain or failback holds a host of the target."""


@dataclasses.dataclass
class Options:
    """How a run moves instances: the command's options."""

    dry_run: bool = False
    max_parallel: int = 2
    timeout: float = 600.0
    poll_interval: float = 2.0
    #: drain only
    allow_degraded: bool = False
    skip_stopped: bool = False
    use_standby: bool = False
    reason: str = 'maintenance'


@dataclasses.dataclass
class Report:
    """A run's plan, whether it was refused, what it changed and moved."""

    kind: str                   # drain or failback
    plan: Any                   # drain.DrainPlan or failback.FailbackPlan
    options: Options
    refused: bool = False
    changed: list[str] = dataclasses.field(default_factory=list)
    outcomes: list[migrate.Outcome] = dataclasses.field(
        default_factory=list)
    standby_instances: dict[str, int] | None = None
    seconds: float | None = None

    def counts(self) -> dict[str, int]:
        """How many moved, failed, were skipped by choice or cannot move."""
        steps = self.plan.steps
        return {
            'moved': sum(o.outcome == migrate.MOVED for o in self.outcomes),
            'failed': sum(o.outcome == migrate.FAILED
                          for o in self.outcomes),
            'skipped': sum(s.action == maintenance.SKIP for s in steps),
            'cannot_move': sum(s.action == maintenance.STAY for s in steps)}

    @property
    def failed(self) -> bool:
        counts = self.counts()
        return bool(counts['failed'] or
                    (counts['cannot_move'] and not self.options.dry_run))

    def to_dict(self) -> dict[str, Any]:
        found = dict(self.plan.to_dict(), dry_run=self.options.dry_run,
                     refused=self.refused,
                     results=[dataclasses.asdict(o) for o in self.outcomes],
                     seconds=(None if self.seconds is None
                              else round(self.seconds, 1)),
                     **self.counts())
        if self.kind == 'drain':
            found.update(allow_degraded=self.options.allow_degraded,
                         disabled=self.changed)
        else:
            found.update(enabled=self.changed,
                         standby_instances=self.standby_instances)
        return found


@contextlib.contextmanager
def _locked(url: str, target: maintenance.Target,
            kind: str) -> Iterator[None]:
    """Hold every host's lock for the run, or raise Refused at once."""
    def busy(name: bytes) -> str:
        return ('another drain or failback holds %s (lock %s); it finishes '
                'the job, or the lock expires when it has died' % (
                    target, name.decode(errors='replace')))
    member = coordination_locks.coordinator(
        url, coordination_locks.member_id(kind, tool='zha-scheduler'))
    try:
        with coordination_locks.held(member, url, target.lock_names(),
                                     busy):
            yield
    except coordination_locks.LockBusy as exc:
        raise Refused(str(exc)) from None


def run_drain(conn: Any, snap: snapshot.Snapshot,
              target: maintenance.Target, level: str, url: str,
              options: Options,
              on_done: migrate.OnDone | None = None) -> Report:
    """Plan the drain of a target and, unless a dry run or refused, do it.

    :param level: ``[zha_scheduler] spread_domain``.
    :param url: the coordination backend of the locks.
    :raises Refused: another run holds the target.
    :raises coordination_locks.LockError: the backend cannot be reached.
    :raises nova_client.NovaError: Nova refused to disable a service.
    """
    started = time.monotonic()
    nova = nova_client.NovaClient(conn)
    if options.dry_run:
        plan = _drain_plan(nova, snap, target, level, options)
        return Report('drain', plan, options, refused=_at_risk(plan,
                                                               options))
    with _locked(url, target, 'drain'):
        plan = _drain_plan(nova, snap, target, level, options)
        if _at_risk(plan, options):
            return Report('drain', plan, options, refused=True)
        _disable(nova, plan.to_disable, options.reason)
        outcomes = _runner(nova, options, on_done, fallback=(
            drain.StandbyPicker(snap, target) if options.use_standby
            else None)).run(plan.steps)
    return Report('drain', plan, options, changed=plan.to_disable,
                  outcomes=outcomes, seconds=time.monotonic() - started)


def run_failback(conn: Any, snap: snapshot.Snapshot,
                 target: maintenance.Target, url: str, options: Options,
                 on_done: migrate.OnDone | None = None) -> Report:
    """Check the target and, unless a dry run or not ready, bring home.

    :raises Refused: another run holds the target.
    :raises coordination_locks.LockError: the backend cannot be reached.
    :raises nova_client.NovaError: Nova refused to enable a service.
    """
    started = time.monotonic()
    nova = nova_client.NovaClient(conn)
    if options.dry_run:
        plan = _failback_plan(nova, snap, target)
        return Report('failback', plan, options,
                      refused=bool(plan.not_ready))
    with _locked(url, target, 'failback'):
        plan = _failback_plan(nova, snap, target)
        if plan.not_ready:
            return Report('failback', plan, options, refused=True)
        services = {s.host: s for s in nova.services()}
        for host in sorted(plan.to_enable):
            nova.enable(services[host])
        outcomes = _runner(nova, options, on_done).run(plan.steps)
    return Report('failback', plan, options, changed=sorted(plan.to_enable),
                  outcomes=outcomes,
                  standby_instances=_standby_load(nova, snap),
                  seconds=time.monotonic() - started)


def _drain_plan(nova: nova_client.NovaClient, snap: snapshot.Snapshot,
                target: maintenance.Target, level: str,
                options: Options) -> drain.DrainPlan:
    unconfirmed = {m.instance: m.source for h in target.hosts
                   for m in nova.migrations_from(h, status='finished')
                   if m.instance and m.source and
                   m.kind == nova_client.COLD_MIGRATION}
    return drain.plan(snap, target, level, skip_stopped=options.skip_stopped,
                      use_standby=options.use_standby,
                      unconfirmed=unconfirmed)


def _at_risk(plan: drain.DrainPlan, options: Options) -> bool:
    return bool(plan.risks) and not options.allow_degraded


def _disable(nova: nova_client.NovaClient, hosts: list[str],
             why: str) -> None:
    when = datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')
    # Nova keeps 255 characters of a disabled reason.
    reason = ('%s %s since %s' % (maintenance.DRAIN_REASON_PREFIX, why,
                                  when))[:255]
    services = {s.host: s for s in nova.services()}
    for host in hosts:
        nova.disable(services[host], reason)


def _runner(nova: nova_client.NovaClient, options: Options,
            on_done: migrate.OnDone | None,
            fallback: migrate.Fallback | None = None) -> migrate.Runner:
    return migrate.Runner(nova, max_parallel=options.max_parallel,
                          timeout=options.timeout,
                          poll_interval=options.poll_interval,
                          on_done=on_done, fallback=fallback)


def _failback_plan(nova: nova_client.NovaClient, snap: snapshot.Snapshot,
                   target: maintenance.Target) -> failback.FailbackPlan:
    services = {s.host: s for s in nova.services()}
    return failback.plan(snap, target, services,
                         homes.away_from(nova, target.hosts))


def _standby_load(nova: nova_client.NovaClient,
                  snap: snapshot.Snapshot) -> dict[str, int]:
    """Instances on each standby host now."""
    load = dict.fromkeys(sorted(h.name for h in snap.hosts
                                if snap.profile(h).standby), 0)
    for inst in nova.instances():
        if inst.placed and inst.host in load:
            load[inst.host] += 1
    return load
