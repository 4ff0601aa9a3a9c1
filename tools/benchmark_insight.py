#!/usr/bin/env python3
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

"""Scale benchmark of the insight tools on a synthetic snapshot.

Builds a synthetic IBM Z cloud (default 5,000 hosts on 50 CPCs, 50,000
instances), saves it as a snapshot file and reads it back, then runs explain
(Nova's filters and weighers as the shipped nova.conf snippet enables them),
audit and capacity on it, timing each stage. Usage::

    .venv/bin/python tools/benchmark_insight.py [--hosts N] [--instances N]
        [--cpcs N] [--keep FILE]

Each stage is a (name, callable) pair in ``stages()``; a callable gets the
shared state dict and may add to it (the snapshot, the partners map). Each
stage prints its wall-clock and CPU seconds.
"""

import argparse
from collections.abc import Callable
import os
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zha_scheduler.insight import audit  # noqa: E402
from zha_scheduler.insight import capacity  # noqa: E402
from zha_scheduler.insight import explain  # noqa: E402
from zha_scheduler.insight import snapshot  # noqa: E402
from zha_scheduler.insight import synthetic  # noqa: E402

HA_FLAVOR, PLAIN_FLAVOR = 'z.ha.medium', 'z.medium'
Stage = tuple[str, Callable[[dict[str, Any]], str | None]]


def _build(state: dict[str, Any]) -> str:
    args = state['args']
    state['snapshot'] = synthetic.synthetic(hosts=args.hosts,
                                            instances=args.instances,
                                            cpcs=args.cpcs)
    state['partners'] = synthetic.partners(state['snapshot'])
    snap = state['snapshot']
    return '%d hosts, %d instances, %d groups' % (
        len(snap.hosts), len(snap.instances), len(snap.groups))


def _save(state: dict[str, Any]) -> str:
    snapshot.save(state['snapshot'], state['path'])
    return '%.1f MB' % (os.path.getsize(state['path']) / 1e6)


def _load(state: dict[str, Any]) -> str:
    state['snapshot'] = snapshot.load(state['path'])
    return '%d hosts, %d instances' % (len(state['snapshot'].hosts),
                                       len(state['snapshot'].instances))


def _capacity(partners: bool) -> Callable[[dict[str, Any]], str]:
    def run(state: dict[str, Any]) -> str:
        report = capacity.capacity(state['snapshot'],
                                   state['partners'] if partners else {})
        short = sum(not v.ok for v in report.primaries)
        not_survivable = sum(not f.survivable for f in report.cpc_failures)
        return ('%d of %d primaries short, %d of %d CPC failures not '
                'survivable' % (short, len(report.primaries), not_survivable,
                                len(report.cpc_failures)))
    return run


def _nova_conf(state: dict[str, Any]) -> str:
    """Load Nova's configuration with the shipped snippet, as
    nova-scheduler would.
    """
    import logging
    import warnings

    warnings.simplefilter('ignore')
    logging.basicConfig(level=logging.ERROR)
    import nova.conf
    from nova import objects

    import zha_scheduler.conf  # noqa: F401  registers [zha_scheduler]
    from zha_scheduler.sim import nova_conf

    objects.register_all()
    conf = nova.conf.CONF
    conf([], project='nova', default_config_files=[nova_conf.snippet_path()],
         default_config_dirs=[])
    state['conf'] = conf
    return '%d filters enabled' % len(conf.filter_scheduler.enabled_filters)


def _explain(flavor_name: str,
             grouped: bool) -> Callable[[dict[str, Any]], str]:
    def run(state: dict[str, Any]) -> str:
        snap = state['snapshot']
        group = None
        if grouped:
            group = next(g for g in snap.groups
                         if g.policy == 'anti-affinity' and len(g.members) > 1)
        request = explain.Request(snap.find_flavor(flavor_name), group=group)
        result = explain.explain(snap, request, state['conf'])
        passed = sum(1 for h in result.hosts if h.rank)
        label = flavor_name + (' in a group' if grouped else '')
        return '%s: %d of %d hosts pass, chosen %s' % (
            label, passed, len(result.hosts), result.chosen)
    return run


def _audit(state: dict[str, Any]) -> str:
    report = audit.audit(state['snapshot'], 'cpc', 1)
    return ('%d groups checked, %d violations in %d groups, %d moves '
            'proposed' % (report.checked, report.violations,
                          len(report.groups), len(report.moves)))


def stages() -> list[Stage]:
    """The timed stages, in order; later ones read what earlier ones built."""
    return [
        ('synthetic build', _build),
        ('snapshot save', _save),
        ('snapshot load', _load),
        ('nova.conf load', _nova_conf),
        ('explain (HA flavor, anti-affinity member)',
         _explain(HA_FLAVOR, grouped=True)),
        ('explain (plain flavor)', _explain(PLAIN_FLAVOR, grouped=False)),
        ('audit (cpc, max_skew 1)', _audit),
        ('capacity (partner = next CPC standby)', _capacity(partners=True)),
        ('capacity (standby pool, no partners)', _capacity(partners=False)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=5000)
    parser.add_argument('--instances', type=int, default=50000)
    parser.add_argument('--cpcs', type=int, default=50)
    parser.add_argument('--keep', metavar='FILE',
                        help='save the snapshot here (default: a temporary '
                             'file, removed)')
    args = parser.parse_args(argv)
    path = args.keep or tempfile.mkstemp(prefix='zha-synthetic-',
                                         suffix='.json')[1]
    state: dict[str, Any] = {'args': args, 'path': path}
    total = 0.0
    try:
        for name, stage in stages():
            start, cpu = time.perf_counter(), time.process_time()
            detail = stage(state)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
            total += elapsed
            suffix = '  (%s)' % detail if detail else ''
            print('%s: %.2f s, CPU %.2f s%s' % (name, elapsed, cpu, suffix),
                  flush=True)
    finally:
        if not args.keep:
            os.unlink(path)
    print('total: %.2f s' % total)
    return 0


if __name__ == '__main__':
    sys.exit(main())
