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

"""``zha-scheduler capacity``: can standby capacity absorb each LPAR and CPC?

Exit status: 0 every primary and every single-CPC failure is absorbed, 1 some
is not, 2 usage, configuration, snapshot or connection error.
"""

import argparse
import json
from typing import Any

from zha_scheduler.cmd.commands import _insight


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        'capacity', help='check that standby partitions can absorb each LPAR '
        'and each single-CPC failure',
        description='For each primary LPAR, whether its standby partner (or, '
        'without one, the standby hosts on other CPCs) has the free vCPU, RAM '
        'and disk in Placement for all its instances; then, for each CPC, '
        'whether the cloud survives the failure of all its LPARs at once. '
        'Exit status 1 when something cannot be absorbed.')
    _insight.add_source_arguments(parser)
    parser.add_argument('--partners', metavar='FILE',
                        help='primary -> standby YAML (default: '
                        '[zha_evacuate] partners_file of the config files)')
    parser.set_defaults(func=run)


def _partners(path: str | None) -> dict[str, str]:
    from zha_scheduler.clients import topology_files
    try:
        return topology_files.load_partners(path)
    except topology_files.TopologyFileError as exc:
        raise _insight.UsageError('cannot use partners file: %s'
                                  % exc) from None


def run(args: argparse.Namespace, conn: Any = None) -> int:
    """Run the check; ``conn`` replaces the one built from [nova] (tests)."""
    from zha_scheduler.insight import capacity

    _insight.quiet_logs()
    try:
        conf = _insight.load_conf(args)
        partners = _partners(args.partners or conf.zha_evacuate.partners_file)
        snap = _insight.read_snapshot(args, conf, conn)
    except _insight.UsageError as exc:
        return _insight.fail('capacity', exc)
    report = capacity.capacity(snap, partners)
    if args.format == 'json':
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        print(render(report))
    return _insight.EXIT_OK if report.ok else _insight.EXIT_FOUND


_UNITS = (('VCPU', '%d vCPU'), ('MEMORY_MB', '%d MB'), ('DISK_GB', '%d GB'))


def _amounts(amounts: dict[str, int]) -> str:
    return ', '.join(fmt % amounts[rc] for rc, fmt in _UNITS
                     if amounts.get(rc))


def render(report: Any) -> str:
    """The report as a table per primary, a line per CPC and a summary."""
    rows = [('HOST', 'CPC', 'TARGET', 'VCPU need/free', 'RAM MB need/free',
             'DISK GB need/free', 'VERDICT')]
    for v in report.primaries:
        target = (v.targets[0] if v.target_kind == 'partner' else
                  'pool: ' + v.targets[0] if len(v.targets) == 1 else
                  'pool of %d' % len(v.targets) if v.targets else '-')
        verdict = 'ok'
        if not v.ok:
            verdict = 'SHORT: %d of %d do not fit' % (len(v.unplaced),
                                                      v.instances)
            verdict += ('; missing ' + _amounts(v.shortfall) if v.shortfall
                        else ' (max_unit or fragmentation)')
        rows.append((v.host, v.cpc or '?', target,
                     *('%d/%d' % (v.demand[rc], v.free[rc])
                       for rc, _ in _UNITS),
                     verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ['  '.join(c.ljust(w)
                       for c, w in zip(r[:-1], widths, strict=True)) +
             '  ' + r[-1] for r in rows]
    lines.append('')
    for f in report.cpc_failures:
        if f.survivable:
            state = 'survivable (%d instances)' % f.instances
        else:
            state = 'NOT survivable: %d instances (%s) do not fit' % (
                len(f.unplaced), _amounts(f.unplaced_demand) or 'no resources')
        lines.append('CPC %s failure (%d LPARs): %s'
                     % (f.cpc, len(f.hosts), state))
    if report.findings:
        lines.append('')
        lines.extend('note: %s' % f.message for f in report.findings)
    short = sum(not v.ok for v in report.primaries)
    fatal = sum(not f.survivable for f in report.cpc_failures)
    lines.append('')
    lines.append('%s: %d of %d primaries cannot be absorbed, %d of %d '
                 'single-CPC failures not survivable'
                 % ('OK' if report.ok else 'FAILED', short,
                    len(report.primaries), fatal, len(report.cpc_failures)))
    return '\n'.join(lines)
