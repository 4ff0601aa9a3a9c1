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

"""``zha-scheduler failback``: bring instances home, free the standbys."""

import argparse
from typing import Any

from zha_scheduler.cmd.commands import _insight
from zha_scheduler.cmd.commands import _maintenance


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        'failback', help='re-enable a host, a CPC or a site after '
        'maintenance or a failure and bring its instances home',
        description='Once every compute service of the target is up (not '
        'forced down) and its traits show no degraded network or storage, '
        're-enables the services a drain or zha-evacuate disabled and '
        'live-migrates (cold-migrates, when SHUTOFF) every instance whose '
        'home is there back to that host by name, instances on standby '
        'partitions first; the filters still judge each move. An instance\'s '
        'home is read from Nova\'s migration records: the host it left first '
        'and has not come back to. Exit status: 0 done, 1 an instance did '
        'not come back, 2 usage or configuration error, 3 refused without '
        'change (the target is not ready, or another drain or failback of '
        'it runs).')
    _maintenance.add_arguments(parser, 'fail back')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, conn: Any = None,
        poll_interval: float = 2.0, progress: Any = None) -> int:
    """Check the target, then bring its instances home."""
    from zha_scheduler.insight import operations

    _insight.quiet_logs()
    try:
        _, url, conn, snap, target = _maintenance.prepare(args, conn)
    except _insight.UsageError as exc:
        return _insight.fail('failback', exc)
    options = _maintenance.options(args, poll_interval)
    return _maintenance.run(
        args, lambda on_done: operations.run_failback(
            conn, snap, target, url, options, on_done),
        progress or _maintenance.Progress(), _render)


def _render(result: Any) -> str:
    plan, report, outcomes = result.plan, result.to_dict(), result.outcomes
    lines = ['Failback of %s (%s):' % (plan.target,
                                        ', '.join(plan.target.hosts))]
    for host, reason in sorted(plan.not_ready.items()):
        lines.append('  not ready: %s: %s' % (host, reason))
    for host, reason in sorted(plan.to_enable.items()):
        lines.append('  enable %s (disabled: %s)' % (host, reason or '-'))
    lines += _maintenance.render_steps(plan.steps)
    if report['refused']:
        lines.append('Refused: %d host(s) not ready; nothing was changed.'
                     % len(plan.not_ready))
        return '\n'.join(lines)
    if report['dry_run']:
        lines.append('Dry run: nothing was changed.')
        return '\n'.join(lines)
    if outcomes:
        lines.append('Results:')
        lines += _maintenance.render_outcomes(outcomes)
    standby = report['standby_instances']
    if standby is not None:
        load = ', '.join('%s: %d' % kv for kv in sorted(standby.items()))
        lines.append('Instances on standby hosts now: %s' % (
            load or 'no standby host'))
    lines.append('%d moved, %d failed, %d cannot move, in %.1f s.' % (
        report['moved'], report['failed'], report['cannot_move'],
        report['seconds'] or 0.0))
    return '\n'.join(lines)
