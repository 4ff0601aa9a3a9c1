"""``zha-scheduler capacity``: can the standby capacity absorb each LPAR and CPC?

Exit status: 0 every primary and every single-CPC failure is absorbed, 1 some
is not, 2 usage, configuration, snapshot or connection error.
"""

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_SHORT, EXIT_USAGE = 0, 1, 2
_PROG = 'zha-scheduler capacity'


class _UsageError(Exception):
    """Configuration, input or connection problem: exit 2 with one line."""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        'capacity', help='check that standby partitions can absorb each LPAR '
        'and each single-CPC failure',
        description='For each primary LPAR, whether its standby partner (or, '
        'without one, the standby hosts on other CPCs) has the free vCPU, RAM '
        'and disk in Placement for all its instances; then, for each CPC, '
        'whether the cloud survives the failure of all its LPARs at once. '
        'Exit status 1 when something cannot be absorbed.')
    parser.add_argument('--config-file', action='append', default=[],
                        metavar='FILE', help='zha-evacuate style config: [nova] '
                        'credentials and [zha_evacuate] partners_file (repeatable)')
    parser.add_argument('--snapshot', metavar='FILE',
                        help='read a saved snapshot instead of the live cloud')
    parser.add_argument('--partners', metavar='FILE',
                        help='primary -> standby YAML (default: [zha_evacuate] '
                        'partners_file)')
    parser.add_argument('--format', choices=('table', 'json'), default='table')
    parser.set_defaults(func=run)


def _conf(config_files: list[str]) -> Any:
    from oslo_config import cfg

    from zha_scheduler.conf import evacuate as evacuate_conf
    conf = cfg.ConfigOpts()
    evacuate_conf.register_opts(conf)
    evacuate_conf.register_nova_opts(conf)
    args = [a for path in config_files for a in ('--config-file', path)]
    conf(args, project='zha-scheduler', prog=_PROG)
    # Bad values surface on access: read them now, inside the error handling.
    for opt in evacuate_conf.evacuate_opts:
        getattr(conf.zha_evacuate, opt.dest)
    return conf


def _inputs(args: argparse.Namespace, conn: Any) -> tuple[Any, dict[str, str]]:
    """The snapshot and the partners map, or _UsageError."""
    import yaml
    from keystoneauth1 import exceptions as ks_exceptions
    from oslo_config import cfg

    from zha_scheduler.evacuate import plan
    from zha_scheduler.insight import collect
    from zha_scheduler.insight import snapshot
    try:
        conf = _conf(args.config_file)
        partners = plan.load_partners(args.partners or conf.zha_evacuate.partners_file)
        if args.snapshot:
            return snapshot.load(args.snapshot), partners
        if conn is None:
            from zha_scheduler.evacuate import factory
            conn = factory.connection_from_conf(conf)
        return collect.collect(conn), partners
    except (cfg.Error, ks_exceptions.ClientException, snapshot.SnapshotError,
            collect.CollectError, OSError, ValueError, yaml.YAMLError) as exc:
        raise _UsageError(str(exc).strip().splitlines()[0] if str(exc).strip()
                          else type(exc).__name__) from None


def run(args: argparse.Namespace, conn: Any = None) -> int:
    """Run the check; ``conn`` replaces the one built from [nova] (tests)."""
    from zha_scheduler.insight import capacity
    try:
        snap, partners = _inputs(args, conn)
    except _UsageError as exc:
        print('%s: error: %s' % (_PROG, exc), file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # oslo.config's own --help or usage error
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE
    report = capacity.capacity(snap, partners)
    if args.format == 'json':
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        print(render(report))
    return EXIT_OK if report.ok else EXIT_SHORT


_UNITS = (('VCPU', '%d vCPU'), ('MEMORY_MB', '%d MB'), ('DISK_GB', '%d GB'))


def _amounts(amounts: dict[str, int]) -> str:
    return ', '.join(fmt % amounts[rc] for rc, fmt in _UNITS if amounts.get(rc))


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
            verdict = 'SHORT: %d of %d do not fit' % (len(v.unplaced), v.instances)
            verdict += ('; missing ' + _amounts(v.shortfall) if v.shortfall
                        else ' (max_unit or fragmentation)')
        rows.append((v.host, v.cpc or '?', target,
                     *('%d/%d' % (v.demand[rc], v.free[rc]) for rc, _ in _UNITS),
                     verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ['  '.join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True))
             + '  ' + r[-1] for r in rows]
    lines.append('')
    for f in report.cpc_failures:
        if f.survivable:
            state = 'survivable (%d instances)' % f.instances
        else:
            state = 'NOT survivable: %d instances (%s) do not fit' % (
                len(f.unplaced), _amounts(f.unplaced_demand) or 'no resources')
        lines.append('CPC %s failure (%d LPARs): %s' % (f.cpc, len(f.hosts), state))
    if report.findings:
        lines.append('')
        lines.extend('note: %s' % f.message for f in report.findings)
    short = sum(not v.ok for v in report.primaries)
    fatal = sum(not f.survivable for f in report.cpc_failures)
    lines.append('')
    lines.append('%s: %d of %d primaries cannot be absorbed, %d of %d single-CPC '
                 'failures not survivable' % ('OK' if report.ok else 'FAILED', short,
                                              len(report.primaries), fatal,
                                              len(report.cpc_failures)))
    return '\n'.join(lines)
