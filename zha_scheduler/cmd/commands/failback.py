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

"""``zha-scheduler failback``: bring instances home after a drain or a
recovery, so that standby partitions are free again."""

import argparse
import dataclasses
import json
import time
from typing import Any

from zha_scheduler.cmd.commands import _insight
from zha_scheduler.cmd.commands import _maintenance
from zha_scheduler.cmd import common


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
    from zha_scheduler.clients import coordination_locks
    from zha_scheduler.clients import nova_client
    from zha_scheduler.insight import maintenance
    from zha_scheduler.insight import migrate

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
        return _insight.fail('failback', exc)
    try:
        if args.dry_run:
            return _report(args, _plan(nova, snap, target))
        with _maintenance.locked(url, target, 'failback'):
            plan = _plan(nova, snap, target)
            if plan.not_ready:
                return _report(args, plan)
            services = {s.host: s for s in nova.services()}
            for host in plan.to_enable:
                nova.enable(services[host])
            moving = [s for s in plan.steps
                      if s.action in maintenance.MOVES]
            outcomes = migrate.Runner(
                nova, max_parallel=args.max_parallel, timeout=args.timeout,
                poll_interval=poll_interval,
                on_done=progress or _maintenance.Progress(len(moving))
            ).run(moving)
            standby = _maintenance.standby_load(nova, snap)
    except _maintenance.Refused as exc:
        return common.fail('zha-scheduler failback', exc,
                           common.EXIT_REFUSED)
    except _insight.UsageError as exc:
        return _insight.fail('failback', exc)
    except (coordination_locks.LockError, nova_client.NovaError) as exc:
        return common.fail('zha-scheduler failback', exc, common.EXIT_FAILED)
    return _report(args, plan, outcomes, standby,
                   time.monotonic() - started)


def _plan(nova: Any, snap: Any, target: Any) -> Any:
    from zha_scheduler.insight import failback
    from zha_scheduler.insight import homes

    services = {s.host: s for s in nova.services()}
    return failback.plan(snap, target, services,
                         homes.away_from(nova, target.hosts))


def _report(args: argparse.Namespace, plan: Any,
            outcomes: list[Any] | None = None,
            standby: dict[str, int] | None = None,
            seconds: float | None = None) -> int:
    outcomes = outcomes or []
    counts = _maintenance.counts(outcomes, plan.steps)
    refused = bool(plan.not_ready)
    report = dict(plan.to_dict(), dry_run=args.dry_run, refused=refused,
                  enabled=[] if refused or args.dry_run
                  else sorted(plan.to_enable),
                  results=[dataclasses.asdict(o) for o in outcomes],
                  standby_instances=standby,
                  seconds=None if seconds is None else round(seconds, 1),
                  **counts)
    if args.format == 'json':
        print(json.dumps({'failback': report}, indent=2))
    else:
        print(_render(plan, report, outcomes))
    if refused:
        return common.EXIT_REFUSED
    if counts['failed'] or (counts['cannot_move'] and not args.dry_run):
        return common.EXIT_FAILED
    return common.EXIT_OK


def _render(plan: Any, report: dict[str, Any], outcomes: list[Any]) -> str:
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
