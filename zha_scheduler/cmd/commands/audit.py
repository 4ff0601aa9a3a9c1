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

"""``zha-scheduler audit``: server groups breaking their policy, and fixes."""

import argparse
import json
from typing import Any

from zha_scheduler.cmd.commands import _insight


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        'audit', help='list server groups whose members break their policy at '
        'host, LPAR, CPC or site level, and the live migrations that repair '
        'them',
        description='Checks every server group: members sharing a host beyond '
        'the rules, skew above max_skew at the [zha_scheduler] spread_domain '
        'level, members on degraded hosts and on standby partitions outside a '
        'recovery. Proposes live migrations; --apply performs them one at a '
        'time through the Nova API (the scheduler, with the ZHA filters, '
        'picks each target) and stops at the first failure. On the live '
        'cloud it also lists the instances on standby partitions whose home '
        'host is healthy again (failback due). Exit status: 0 nothing broken '
        '(or all repaired) and no failback due, 1 violations remain, a '
        'failback is due or a move failed, 2 usage or configuration error.')
    _insight.add_source_arguments(parser)
    parser.add_argument('--group',
                        help='audit one server group (uuid or name)')
    parser.add_argument('--domain', choices=('lpar', 'cpc', 'site'),
                        help='failure domain level (default: [zha_scheduler] '
                        'spread_domain)')
    parser.add_argument('--max-skew', type=int,
                        help='allowed skew (default: [zha_scheduler] '
                        'max_skew)')
    parser.add_argument('--apply', action='store_true',
                        help='perform the proposed live migrations '
                        '(live cloud only)')
    parser.add_argument('--timeout', type=float, default=600.0,
                        help='seconds to wait for each live migration '
                        '(default 600)')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, conn: Any = None,
        poll_interval: float = 2.0) -> int:
    """Audit, and with --apply repair; ``conn`` overrides [nova] (tests)."""
    from zha_scheduler.clients import nova_client
    from zha_scheduler.insight import audit
    from zha_scheduler.insight import repair
    from zha_scheduler.insight import snapshot

    _insight.quiet_logs()
    try:
        if args.apply and args.snapshot:
            raise _insight.UsageError('--apply changes the live cloud: it '
                                      'cannot be used with --snapshot')
        if args.max_skew is not None and args.max_skew < 1:
            raise _insight.UsageError('--max-skew must be 1 or more')
        conf = _insight.load_conf(args)
        if conn is None and not args.snapshot:
            conn = _insight.connection(conf)
        level = args.domain or conf.zha_scheduler.spread_domain
        skew = args.max_skew or conf.zha_scheduler.max_skew
        snap = _insight.read_snapshot(args, conf, conn)
        report = audit.audit(snap, level, skew, group=args.group)
    except (_insight.UsageError, snapshot.SnapshotError) as exc:
        return _insight.fail('audit', exc)
    output: dict[str, Any] = {'audit': report.to_dict()}
    sections = [render(report)]
    due = None
    if not args.snapshot:
        from zha_scheduler.insight import homes

        try:
            due = homes.failback_due(nova_client.NovaClient(conn), snap)
        except Exception as exc:  # openstacksdk raises its HttpException tree
            return _insight.fail('audit', 'cannot read the migrations: %s'
                                 % exc)
        sections.append(render_failback_due(due))
    output['failback_due'] = (None if due is None else
                              [d.__dict__ for d in due])
    status = (_insight.EXIT_FOUND if report.violations or due
              else _insight.EXIT_OK)
    if args.apply and report.moves:
        results = repair.apply(nova_client.NovaClient(conn), report.moves,
                               timeout=args.timeout,
                               poll_interval=poll_interval)
        output['applied'] = [r.__dict__ for r in results]
        sections.append(render_applied(results))
        failed = any(r.outcome != repair.DONE for r in results)
        try:
            after = audit.audit(_insight.read_snapshot(args, conf, conn),
                                level, skew, group=args.group)
        except _insight.UsageError as exc:
            return _insight.fail('audit', exc)
        output['after'] = after.to_dict()
        sections.append('After the moves:\n' + render(after))
        status = (_insight.EXIT_FOUND if failed or after.violations or due
                  else _insight.EXIT_OK)
    if args.format == 'json':
        print(json.dumps(output, indent=2))
    else:
        print('\n\n'.join(sections))
    return status


def render(report: Any) -> str:
    lines = ['Audited %d server group(s) at %s level, max_skew %d%s.' % (
        report.checked, report.level, report.max_skew,
        '; a recovery is in progress, members on standby hosts are expected'
        if report.recovery_in_progress else '')]
    for group in report.groups:
        lines.append('')
        lines.append('%s (%s, %s, %d members)' % (
            group.name or '-', group.uuid, group.policy, group.members))
        for violation in group.violations:
            severity = 'advice' if violation.advisory else 'BROKEN'
            lines.append('  %s %s: %s' % (severity, violation.kind,
                                          violation.detail))
        for move in group.moves:
            landing = ('; expected to land in %s' % move.towards
                       if move.towards else '')
            lines.append('  move %s (%s) off %s: %s%s' % (
                move.name, move.instance, move.source, move.reason, landing))
    lines.append('')
    lines.append('%d violation(s) in %d group(s); %d move(s) proposed.' % (
        report.violations, len(report.groups), len(report.moves)))
    return '\n'.join(lines)


def render_failback_due(due: list[Any]) -> str:
    if not due:
        return ('Failback due: none (no instance on a standby partition '
                'whose home is healthy).')
    lines = ['Failback due (on a standby partition, home healthy again; '
             'run "zha-scheduler failback HOME"):']
    for d in due:
        lines.append('  %s (%s) on %s, home %s' % (d.name, d.instance,
                                                   d.host, d.home))
    return '\n'.join(lines)


def render_applied(results: list[Any]) -> str:
    lines = ['Applied:']
    for r in results:
        lines.append('  %s %s (%s): %s -> %s in %.1f s%s' % (
            r.outcome.upper(), r.name, r.instance, r.source,
            r.destination or '-', r.seconds,
            ': ' + r.detail if r.detail else ''))
    return '\n'.join(lines)
