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

"""``zha-scheduler drain``: empty a host, CPC or site before maintenance."""

import argparse
from typing import Any

from zha_scheduler.cmd.commands import _insight
from zha_scheduler.cmd.commands import _maintenance


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
    from zha_scheduler.insight import operations

    _insight.quiet_logs()
    try:
        conf, url, conn, snap, target = _maintenance.prepare(args, conn)
    except _insight.UsageError as exc:
        return _insight.fail('drain', exc)
    options = _maintenance.options(
        args, poll_interval, allow_degraded=args.allow_degraded,
        skip_stopped=args.skip_stopped, use_standby=args.use_standby,
        reason=args.reason)
    return _maintenance.run(
        args, lambda on_done: operations.run_drain(
            conn, snap, target, conf.zha_scheduler.spread_domain, url,
            options, on_done),
        progress or _maintenance.Progress(), _render)


def _render(result: Any) -> str:
    plan, report, outcomes = result.plan, result.to_dict(), result.outcomes
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
