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

"""``zha-scheduler drain``: empty a host, a CPC or a site before maintenance.
"""

import argparse
import datetime
import json
import time
from typing import Any

from zha_scheduler.cmd.commands import _insight
from zha_scheduler.cmd.commands import _maintenance
from zha_scheduler.cmd import common


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        'drain', help='move every instance off a compute host, a CPC or a '
        'site before maintenance, keeping each server group\'s spread',
        description='Plans first: each instance and how it moves, and each '
        'server group whose spread cannot hold while the target is away '
        '(refused unless --allow-degraded). Then disables the target\'s '
        'compute services with a reason, live-migrates ACTIVE and PAUSED '
        'instances and cold-migrates SHUTOFF ones, --max-parallel at a time; '
        'Nova\'s scheduler and the ZHA filters choose every destination, '
        'never a standby partition unless --use-standby. A re-run resumes a '
        'drain that was killed. Exit status: 0 done, 1 an instance did not '
        'move, 2 usage or configuration error, 3 refused without change '
        '(groups at risk, or another drain or failback of the target).')
    _maintenance.add_arguments(parser, 'drain')
    parser.add_argument('--allow-degraded', action='store_true',
                        help='drain even when server groups cannot keep '
                        'their spread; the report names them')
    parser.add_argument('--skip-stopped', action='store_true',
                        help='leave SHUTOFF instances on the target')
    parser.add_argument('--use-standby', action='store_true',
                        help='let an instance the scheduler cannot place go '
                        'to a standby partition')
    parser.add_argument('--reason', default='maintenance',
                        help='why, written into the services\' disabled '
                        'reason (default "maintenance")')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, conn: Any = None,
        poll_interval: float = 2.0, progress: Any = None) -> int:
    """Plan, then drain; ``conn`` overrides [nova] (tests)."""
    from zha_scheduler.clients import coordination_locks
    from zha_scheduler.clients import nova_client
    from zha_scheduler.insight import maintenance

    _insight.quiet_logs()
    started = time.monotonic()
    try:
        _maintenance.check_arguments(args)
        conf = _insight.load_conf(args)
        url = _maintenance.coordination_url(conf)
        if conn is None:
            conn = _insight.connection(conf)
        nova = nova_client.NovaClient(conn)
        snap = _insight.read_snapshot(args, conf, conn)
        target = maintenance.resolve(snap, args.host, args.cpc, args.site)
    except (_insight.UsageError, maintenance.TargetError) as exc:
        return _insight.fail('drain', exc)
    level = conf.zha_scheduler.spread_domain
    if args.dry_run:
        plan = _plan(args, nova, snap, target, level)
        return _report(args, plan, refused=_refused(args, plan))
    try:
        with _maintenance.locked(url, target, 'drain'):
            plan = _plan(args, nova, snap, target, level)
            if _refused(args, plan):
                return _report(args, plan, refused=True)
            disabled = _disable(nova, plan.to_disable, args.reason)
            outcomes = _move(args, nova, snap, target, plan, poll_interval,
                             progress)
    except _maintenance.Refused as exc:
        return common.fail('zha-scheduler drain', exc, common.EXIT_REFUSED)
    except _insight.UsageError as exc:
        return _insight.fail('drain', exc)
    except (coordination_locks.LockError, nova_client.NovaError) as exc:
        return common.fail('zha-scheduler drain', exc, common.EXIT_FAILED)
    return _report(args, plan, disabled=disabled, outcomes=outcomes,
                   seconds=time.monotonic() - started)


def _plan(args: argparse.Namespace, nova: Any, snap: Any, target: Any,
          level: str) -> Any:
    from zha_scheduler.clients import nova_client
    from zha_scheduler.insight import drain

    unconfirmed = {m.instance: m.source for h in target.hosts
                   for m in nova.migrations_from(h, status='finished')
                   if m.instance and m.kind == nova_client.COLD_MIGRATION}
    return drain.plan(snap, target, level, skip_stopped=args.skip_stopped,
                      use_standby=args.use_standby, unconfirmed=unconfirmed)


def _refused(args: argparse.Namespace, plan: Any) -> bool:
    return bool(plan.risks) and not args.allow_degraded


def _disable(nova: Any, hosts: list[str], why: str) -> list[str]:
    from zha_scheduler.insight import maintenance

    when = datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')
    reason = ('%s %s since %s' % (maintenance.DRAIN_REASON_PREFIX, why,
                                  when))[:255]
    services = {s.host: s for s in nova.services()}
    for host in hosts:
        nova.disable(services[host], reason)
    return hosts


def _move(args: argparse.Namespace, nova: Any, snap: Any, target: Any,
          plan: Any, poll_interval: float, progress: Any) -> list[Any]:
    from zha_scheduler.insight import drain
    from zha_scheduler.insight import maintenance
    from zha_scheduler.insight import migrate

    moving = [s for s in plan.steps if s.action in maintenance.MOVES]
    runner = migrate.Runner(
        nova, max_parallel=args.max_parallel, timeout=args.timeout,
        poll_interval=poll_interval,
        on_done=progress or _maintenance.Progress(len(moving)),
        fallback=(drain.StandbyPicker(snap, target) if args.use_standby
                  else None))
    return runner.run(moving)


def _report(args: argparse.Namespace, plan: Any, refused: bool = False,
            disabled: list[str] | None = None,
            outcomes: list[Any] | None = None,
            seconds: float | None = None) -> int:
    import dataclasses

    outcomes = outcomes or []
    counts = _maintenance.counts(outcomes, plan.steps)
    report = dict(plan.to_dict(), dry_run=args.dry_run, refused=refused,
                  allow_degraded=args.allow_degraded,
                  disabled=disabled or [],
                  results=[dataclasses.asdict(o) for o in outcomes],
                  seconds=None if seconds is None else round(seconds, 1),
                  **counts)
    if args.format == 'json':
        print(json.dumps({'drain': report}, indent=2))
    else:
        print(_render(plan, report, outcomes))
    if refused:
        return common.EXIT_REFUSED
    if counts['failed'] or (counts['cannot_move'] and not args.dry_run):
        return common.EXIT_FAILED
    return common.EXIT_OK


def _render(plan: Any, report: dict[str, Any], outcomes: list[Any]) -> str:
    lines = ['Drain of %s (%s), %s level:' % (
        plan.target, ', '.join(plan.target.hosts), plan.level)]
    lines += _maintenance.render_steps(plan.steps)
    for risk in plan.risks:
        lines.append('  group at risk: %s (%s, %s): %s' % (
            risk.name or '-', risk.uuid, risk.policy, risk.reason))
    if plan.shortfall:
        lines.append('  warning: the hosts that stay lack %s for all of '
                     'them' % ', '.join('%d %s' % (n, rc) for rc, n in
                                        sorted(plan.shortfall.items())))
    if report['refused']:
        lines.append('Refused: %d server group(s) cannot keep their spread; '
                     'nothing was changed. --allow-degraded drains anyway.'
                     % len(plan.risks))
        return '\n'.join(lines)
    if report['dry_run']:
        lines.append('Dry run: nothing was changed.')
        return '\n'.join(lines)
    if report['disabled']:
        lines.append('Disabled: %s' % ', '.join(report['disabled']))
    if outcomes:
        lines.append('Results:')
        lines += _maintenance.render_outcomes(outcomes)
    lines.append('%d moved, %d failed, %d skipped, %d cannot move, in '
                 '%.1f s.' % (report['moved'], report['failed'],
                              report['skipped'], report['cannot_move'],
                              report['seconds'] or 0.0))
    return '\n'.join(lines)
