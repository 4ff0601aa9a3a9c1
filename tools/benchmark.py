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

"""Scheduling benchmark: Nova's filter/weigh pipeline with and without ZHA.

Times Nova's HostFilterHandler and HostWeightHandler on synthetic IBM Z
clouds (insight.synthetic: 1,000 and 5,000 hosts, 50 CPCs with a standby
LPAR each, 10 instances a host, consistency group DB2PROD on 60 % of the
hosts) as Nova HostStates, with Nova's default filters and weighers
(baseline) and with those of etc/nova/nova.conf.d/zha-scheduler.conf (ZHA,
--zha-conf), loaded as nova-scheduler loads them. A request is the
multi-create of a new anti-affinity group (--group-size): a filter+weigh
pass per member, each winner consumed as Nova does; passes 2+ see the hosts
that passed pass 1 (--narrow: the previous pass); --request ha asks for
zha:redundancy=required and zha:consistency_group=DB2PROD. Baseline and ZHA
requests alternate. The ZHA plugins read the topology through the real
TopologyView from an in-memory Placement serving the snapshot's traits
(sources.SnapshotPlacement), the group members from the snapshot.

It prints figures, not pass/fail: the request ratio ZHA / baseline, each ZHA
filter's and weigher's cost on the same input, the view's Placement calls,
the spread (max skew per CPC) and a host check (no ZHA member on a standby,
nor for ha on a degraded host or one without the group); a broken set-up
stops it with an error. A measurement is a measure_* function adding to a
host count's result and a report_* one printing it. Usage::

    .venv/bin/python tools/benchmark.py [--hosts 1000,5000] [--cpcs 50]
        [--group-size 20] [--repeat 3] [--request {ha,group}]
        [--zha-conf FILE] [--narrow] [--profile]
"""

import argparse
import collections
from collections.abc import Callable
import cProfile
import dataclasses
import datetime
import gc
import io
import os
import platform
import pstats
import statistics
import sys
import time
import timeit
from typing import Any
import uuid
import warnings

from zha_scheduler.clients import placement_client
from zha_scheduler import conf as zha_config
from zha_scheduler.insight import explain
from zha_scheduler.insight import hoststates
from zha_scheduler.insight import pipeline
from zha_scheduler.insight import snapshot
from zha_scheduler.insight import sources
from zha_scheduler.insight import synthetic
from zha_scheduler import model
from zha_scheduler import placement
from zha_scheduler import request_spec
from zha_scheduler.sim import nova_conf
from zha_scheduler import topology

# Nova pulls in eventlet through futurist, which warns on import.
warnings.filterwarnings('ignore', module='futurist')
warnings.filterwarnings('ignore', category=DeprecationWarning)

CONF = zha_config.CONF       # Nova's too: oslo.config's global
CONFIGS = ('baseline', 'zha')
INSTANCES_PER_HOST = 10      # synthetic's own density
# Consistency groups by share of the hosts; the ha request names DB2PROD.
CONSISTENCY_GROUPS = {'DB2PROD': 0.60, 'SAPPRD': 0.25, 'MQHA': 0.10}
REQUEST_KINDS = {'ha': {'zha:redundancy': 'required',
                        'zha:consistency_group': 'DB2PROD'}, 'group': {}}
TARGET_RATIO = 1.3           # issue 4, every ZHA filter and weigher on
# What a host is; the synthetic cloud has no unmonitored host.
FLAGS = ('standby', 'degraded', 'no group')
Result = dict[str, Any]
Pipes = dict[str, pipeline.Pipeline]


def setup_nova(zha_conf: str) -> Pipes:
    """Load the ZHA snippet into Nova's CONF; load both pipelines."""
    import nova.conf  # noqa: F401  registers Nova's options
    from nova.conf import scheduler as nova_scheduler_conf
    from nova import objects

    objects.register_all()
    # As nova-scheduler reads a file of /etc/nova/nova.conf.d/: the options
    # it sets apply, the others keep their defaults.
    CONF([], project='nova', default_config_files=[zha_conf],
         default_config_dirs=[])
    defaults = {opt.name: opt.default
                for opt in nova_scheduler_conf.filter_scheduler_opts}
    pipes = {}
    for name in CONFIGS:
        for opt in ('enabled_filters', 'weight_classes'):
            CONF.set_override(opt, defaults[opt], 'filter_scheduler')
            if name == 'zha':
                CONF.clear_override(opt, 'filter_scheduler')
        try:
            pipes[name] = pipeline.load(CONF)
        except pipeline.PipelineError as exc:
            raise SystemExit('%s pipeline: %s' % (name, exc)) from None
    # What ZHA adds to the baseline.
    base = {type(x).__name__ for x in pipes['baseline'].filters +
            pipes['baseline'].weighers}
    pipes['added'] = pipeline.Pipeline(*(
        [x for x in xs if type(x).__name__ not in base]
        for xs in (pipes['zha'].filters, pipes['zha'].weighers)))
    return pipes


@dataclasses.dataclass
class Cloud:
    """A synthetic snapshot as Nova's handlers and the ZHA plugins see it."""

    snap: snapshot.Snapshot
    states: list[Any]                  # Nova HostStates, in snapshot order
    view: placement.TopologyView       # the real one, SnapshotPlacement
    cpc_of: dict[str, str]             # host name -> CPC
    flags: dict[str, set[str]]         # host name -> flags()
    build_s: float


def build_cloud(n_hosts: int, args: argparse.Namespace) -> Cloud:
    start = time.perf_counter()
    snap = synthetic.synthetic(
        hosts=n_hosts, instances=n_hosts * INSTANCES_PER_HOST,
        cpcs=args.cpcs, seed=args.seed, consistency_groups=CONSISTENCY_GROUPS)
    client = placement_client.PlacementClient(sources.SnapshotPlacement(snap))
    placement.read_topology(client)    # renders the answers, once
    profiles = {h.name: snap.profile(h) for h in snap.hosts}
    return Cloud(snap, hoststates.host_states(snap),
                 placement.TopologyView(client_factory=lambda: client),
                 {name: p.cpc for name, p in profiles.items()},
                 {name: flags(p) for name, p in profiles.items()},
                 time.perf_counter() - start)


def flags(profile: topology.HostProfile) -> set[str]:
    """Which FLAGS a host has (``no group``: it cannot reach DB2PROD)."""
    return {flag for flag, on in zip(FLAGS, (
        profile.standby,
        topology.DEGRADED in (profile.network, profile.storage),
        'DB2PROD' not in profile.consistency_groups)) if on}


def forbidden(kind: str) -> set[str]:
    """The flags of the hosts the ZHA filters must keep a request off."""
    spec = new_request(1, kind)
    return {flag for flag, on in zip(FLAGS, (
        True, request_spec.redundancy(spec) == request_spec.REQUIRED,
        bool(request_spec.consistency_groups(spec)))) if on}


def new_request(group_size: int, kind: str) -> Any:
    """A RequestSpec of the multi-create of a new anti-affinity group."""
    flavor = model.Flavor('z.ha', vcpus=4, ram=8192, disk=40, id='9',
                          extra_specs={'capabilities:hypervisor_type': 'QEMU',
                                       **REQUEST_KINDS[kind]})
    group = model.Group(str(uuid.uuid4()), 'ha-group', 'anti-affinity', [])
    spec = explain.request_spec(explain.Request(
        flavor, image_properties={'hw_architecture': 's390x'}, group=group),
        snapshot.Snapshot([]))
    # The API adds every member to the group before the first is scheduled.
    members = [spec.instance_uuid] + [str(uuid.uuid4())
                                      for _ in range(group_size - 1)]
    spec.instance_group.members, spec.num_instances = members, group_size
    return spec


@dataclasses.dataclass
class Run:
    """One request: wall and CPU seconds and hosts passing, by pass."""

    walls: list[float]
    cpus: list[float]
    passing: list[int]
    picks: list[str]
    max_skew: int = 0    # largest CPC skew after any pass


def multi_create(cloud: Cloud, pipe: pipeline.Pipeline,
                 args: argparse.Namespace) -> Run:
    """Schedule one multi-create request; the cloud is as before after."""
    from nova.scheduler import filters
    from nova.scheduler import manager
    from nova.scheduler import weights

    filter_handler = filters.HostFilterHandler()
    weight_handler = weights.HostWeightHandler()
    spec = new_request(args.group_size, args.request)
    hosts, undo, run = cloud.states, [], Run([], [], [], [])
    per_cpc = dict.fromkeys(cloud.cpc_of.values(), 0)
    for index, member in enumerate(list(spec.instance_group.members)):
        spec.instance_uuid = member       # as SchedulerManager._schedule
        cpu, wall = time.process_time(), time.perf_counter()
        passed = filter_handler.get_filtered_objects(pipe.filters, hosts,
                                                     spec, index)
        if not passed:
            raise SystemExit('pass %d found no host: Nova fails the request '
                             'with NoValidHost' % (index + 1))
        weighed = weight_handler.get_weighed_objects(pipe.weighers, passed,
                                                     spec)
        run.walls.append(time.perf_counter() - wall)
        run.cpus.append(time.process_time() - cpu)
        run.passing.append(len(passed))
        # Nova runs its once-per-request filters (the ZHA health filters
        # among them) in the first pass only: the later ones must get the
        # hosts that passed it.
        if args.narrow or index == 0:
            hosts = [w.obj for w in weighed] if args.narrow else passed
        chosen = weighed[0].obj              # host_subset_size = 1
        # What consume_from_request and the stub instance will change.
        undo.append((chosen, dict(vars(chosen)), dict(chosen.instances)))
        manager.SchedulerManager._consume_selected_host(
            chosen, spec, instance_uuid=member)
        run.picks.append(chosen.host)
        per_cpc[cloud.cpc_of[chosen.host]] += 1
        run.max_skew = max(run.max_skew,
                           max(per_cpc.values()) - min(per_cpc.values()))
    for state, saved, instances in reversed(undo):
        vars(state).update(saved, instances=instances)
    return run


def fresh(cloud: Cloud) -> tuple[int, float]:
    """Off the clock: services read anew, view refreshed, GC run.

    ComputeFilter turns away a service silent for 60 s, less than a run
    takes. Returns the Placement calls and seconds of the refresh.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    for state in cloud.states:
        state.update(service=dict(state.service, last_seen_up=now,
                                  updated_at=now))
    cloud.view.invalidate(forget=True)
    calls, start = cloud.view.placement_calls, time.perf_counter()
    cloud.view.get()
    seconds = time.perf_counter() - start
    gc.collect()
    return cloud.view.placement_calls - calls, seconds


def sum_of_medians(runs: list[list[float]]) -> float:
    """Medians by pass, summed, ms: other load spoils a pass, not a sum."""
    return 1000 * sum(map(statistics.median, zip(*runs)))


def median_s(func: Callable[[], Any], repeat: int) -> float:
    """Median seconds of ``repeat`` calls (timeit: no GC while timed)."""
    return statistics.median(timeit.repeat(func, number=1, repeat=repeat))


def measure_requests(cloud: Cloud, pipes: Pipes, args: argparse.Namespace,
                     r: Result) -> None:
    """Multi-create requests, baseline and ZHA alternating, view warm.

    Also the view's Placement calls in a refresh and in the requests.
    """
    runs: dict[str, list[Run]] = {name: [] for name in CONFIGS}
    r['timed_calls'], refreshes = 0, []
    for _ in range(args.repeat):
        for name in CONFIGS:
            refreshes.append(fresh(cloud))
            before = cloud.view.placement_calls
            runs[name].append(multi_create(cloud, pipes[name], args))
            r['timed_calls'] += cloud.view.placement_calls - before
            r['placed'][name] += [cloud.flags[h] for h in runs[name][-1].picks]
    r['refresh_calls'] = max(calls for calls, _seconds in refreshes)
    r['refresh_ms'] = 1000 * statistics.median(s for _c, s in refreshes)
    for name, done in runs.items():
        r[name] = {'req_ms': sum_of_medians([x.walls for x in done]),
                   'cpu_ms': sum_of_medians([x.cpus for x in done]),
                   'passing': done[-1].passing,
                   'max_skew': max(x.max_skew for x in done),
                   'per_cpc': collections.Counter(
                       cloud.cpc_of[h] for h in done[-1].picks)}
    r['ratio'] = r['zha']['req_ms'] / r['baseline']['req_ms']
    r['cpu_ratio'] = r['zha']['cpu_ms'] / r['baseline']['cpu_ms']


def measure_components(cloud: Cloud, pipes: Pipes, args: argparse.Namespace,
                       r: Result) -> None:
    """Each ZHA filter and weigher alone on all hosts, mid-request.

    In a request the ZHA filters shrink the host list Nova's weighers see,
    hiding ZHA's own cost: here each piece sees all hosts, half the group
    placed, one member per CPC, against measure_requests' baseline pass.
    """
    from nova.scheduler import weights

    weight_handler, n = weights.HostWeightHandler(), args.group_size
    fresh(cloud)
    spec, bad = new_request(n, args.request), forbidden(args.request)
    usable = {cloud.cpc_of[host]: host       # CPC -> a host ZHA may use
              for host, found in cloud.flags.items() if not found & bad}
    spec.instance_group.hosts = sorted(usable.values())[:n // 2]
    spec.instance_uuid = spec.instance_group.members[n // 2]
    hosts, repeat = cloud.states, max(3, args.repeat)

    def weigh(weighers: list[Any]) -> float:
        return median_s(lambda: weight_handler.get_weighed_objects(
            weighers, hosts, spec), repeat)

    unweighed, cost, pieces = weigh([]), collections.Counter(), []
    for piece in pipes['added'].filters + pipes['added'].weighers:
        if hasattr(piece, 'filter_all'):
            seconds = median_s(lambda p=piece: p.filter_all(hosts, spec),
                               repeat)
            note = '(%d pass)' % len(piece.filter_all(hosts, spec))
            once = piece.run_filter_once_per_request
        else:    # inside Nova's handler: its normalising and multiplier too
            seconds = max(0.0, weigh([piece]) - unweighed)
            note, once = '', False
        pieces.append((type(piece).__name__, once, seconds, note))
        cost[once] += seconds
    per_pass = r['baseline']['req_ms'] / 1000 / n
    r['components'] = {'pass': per_pass, 'pieces': pieces, 'ratio': 1 + (
        cost[True] + n * cost[False]) / (n * per_pass)}


MEASUREMENTS = (measure_requests, measure_components)


def run_host_count(n_hosts: int, pipes: Pipes, args: argparse.Namespace,
                   profile: bool) -> Result:
    gc.unfreeze()
    gc.collect()
    cloud = build_cloud(n_hosts, args)
    # The static cloud leaves the collector's generations: full collections
    # would otherwise rescan millions of objects in random timed passes.
    gc.collect()
    gc.freeze()
    r: Result = {'hosts': n_hosts, 'placed': {name: [] for name in CONFIGS}}
    with sources.replay(cloud.snap, view=cloud.view):
        for measure in MEASUREMENTS:
            measure(cloud, pipes, args, r)
        r['profile'] = profile_zha(cloud, pipes, args) if profile else ''
    count = collections.Counter(f for v in cloud.flags.values() for f in v)
    print('  %d hosts on %d CPCs, %d instances, %s; built in %.1f s' % (
        n_hosts, args.cpcs, len(cloud.snap.instances), ', '.join(
            '%s %d' % (f, count[f]) for f in FLAGS), cloud.build_s))
    return r


def profile_zha(cloud: Cloud, pipes: Pipes, args: argparse.Namespace) -> str:
    """cProfile one warm ZHA request: where zha_scheduler spends, as text."""
    fresh(cloud)
    profiler = cProfile.Profile()
    profiler.runcall(multi_create, cloud, pipes['zha'], args)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    # What Nova's handlers call of ZHA's: all ZHA time is below it.
    entry = sum(ct for k, v in stats.stats.items() if 'zha_scheduler' in k[0]
                for caller, (_cc, _nc, _tt, ct) in v[4].items()
                if caller[2] in ('get_filtered_objects',
                                 'get_weighed_objects'))
    print('\ncProfile of a warm ZHA request at %d hosts: zha_scheduler '
          '(called by Nova\'s handlers) %.0f ms of %.0f ms' % (len(
              cloud.states), entry * 1000, stats.total_tt * 1000), file=out)
    stats.sort_stats('tottime').print_stats('zha_scheduler', 15)
    return out.getvalue()


def table(head: list[str], rows: list[list[Any]]) -> None:
    """Print rows under their heads, right-aligned but the first column."""
    cells = [head] + [['%.2f' % c if isinstance(c, float) else str(c)
                       for c in row] for row in rows]
    widths = [max(map(len, column)) for column in zip(*cells)]
    for row in cells:
        print('  ' + '  '.join([row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]))


def report_requests(results: list[Result], args: argparse.Namespace) -> None:
    n = args.group_size
    print('\nTime per request (%d passes, medians of %d repeats by pass, '
          'summed; passes 2+ see the hosts that passed %s; passing: hosts '
          'passing all filters in passes 1, 2 and %d)' % (
              n, args.repeat, 'the previous' if args.narrow else 'pass 1', n))
    table(['hosts', 'base ms/pass', 'ZHA ms/pass', 'base req s', 'ZHA req s',
           'RATIO', 'CPU ratio', 'target <= %.1f' % TARGET_RATIO,
           'base passing', 'ZHA passing'],
          [[r['hosts'], r['baseline']['req_ms'] / n, r['zha']['req_ms'] / n,
            r['baseline']['req_ms'] / 1000, r['zha']['req_ms'] / 1000,
            '%.3f' % r['ratio'], '%.3f' % r['cpu_ratio'],
            'met' if r['ratio'] <= TARGET_RATIO else 'MISSED'] + [
                ','.join(str(r[name]['passing'][i]) for i in (0, 1, -1))
                for name in CONFIGS] for r in results])


def report_components(results: list[Result],
                      args: argparse.Namespace) -> None:
    print('\nWhat ZHA adds on the same input (all hosts, half the group '
          'placed; median ms; weighers inside Nova\'s handler; request ratio '
          '= (%d x baseline + pass-1 pieces + %d x every-pass pieces) / (%d x '
          'baseline))' % ((args.group_size,) * 3))
    comps = [r['components'] for r in results]
    rows = [['baseline (request / %d)' % args.group_size, 'every pass'] + [
        c['pass'] * 1000 for c in comps]]
    for i, (name, once, _seconds, _note) in enumerate(comps[0]['pieces']):
        rows.append([name, 'pass 1' if once else 'every pass'] + [
            ('%.2f %s' % (c['pieces'][i][2] * 1000, c['pieces'][i][3]))
            .strip() for c in comps])
    rows.append(['request ratio if no host cut', ''] + [
        '%.3f' % c['ratio'] for c in comps])
    table(['', 'runs in'] + ['%d hosts' % r['hosts'] for r in results], rows)


def report_placement(results: list[Result], args: argparse.Namespace) -> None:
    print('\nPlacement calls of the ZHA topology view: a refresh (what a cold '
          'request makes) and the %d x 2 timed requests (trait_cache_ttl = %d '
          's)' % (args.repeat, CONF.zha_scheduler.trait_cache_ttl))
    table(['hosts', 'calls/refresh', 'refresh ms', 'calls in timed requests'],
          [[r['hosts'], r['refresh_calls'], r['refresh_ms'], r['timed_calls']]
           for r in results])


def report_checks(results: list[Result], args: argparse.Namespace) -> None:
    limit, bad = CONF.zha_scheduler.max_skew, forbidden(args.request)
    spread, hosts = [], []
    for r, name in ((r, name) for r in results for name in CONFIGS):
        got, placed, zha = r[name], r['placed'][name], name == 'zha'
        hist = collections.Counter(got['per_cpc'].values())
        hist[0] = args.cpcs - len(got['per_cpc'])
        spread.append([r['hosts'], name, '%d%s' % (
            got['max_skew'], ' BROKEN' * (zha and got['max_skew'] > limit)),
            ', '.join('%d hold %d' % (hist[k], k) for k in sorted(hist))])
        count = collections.Counter(f for on in placed for f in on)
        hosts.append([r['hosts'], name, len(placed)] + [
            '%d%s' % (n, ' BROKEN' * (zha and f in bad and n > 0))
            for f, n in ((f, count[f]) for f in FLAGS)])
    print('\nSpread (max skew after any pass of the timed requests, CPCs by '
          'members in the last; spread_domain = %s, max_skew = %d)'
          % (CONF.zha_scheduler.spread_domain, limit))
    table(['hosts', 'config', 'max skew', 'CPCs'], spread)
    print('\nHost check: members placed on a host that is ... (ZHA must '
          'place none on one %s)' % ', '.join(sorted(bad)))
    table(['hosts', 'config', 'members'] + list(FLAGS), hosts)


REPORTS = (report_requests, report_components, report_placement,
           report_checks)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add = parser.add_argument
    add('--hosts', default='1000,5000', help='comma-separated host counts',
        type=lambda text: [int(x) for x in text.split(',')])
    add('--cpcs', type=int, default=50, help='CPCs of each cloud')
    add('--group-size', type=int, default=20, help='members of a request')
    add('--repeat', type=int, default=3, help='timed requests per config')
    add('--seed', type=int, default=42, help='seed of the synthetic cloud')
    add('--request', choices=sorted(REQUEST_KINDS), default='ha',
        help='ha: with zha:redundancy and zha:consistency_group extra specs')
    add('--zha-conf', default=nova_conf.snippet_path(), metavar='FILE',
        help='nova.conf snippet of the ZHA pipeline')
    add('--narrow', action='store_true', help='passes see the previous hosts')
    add('--profile', action='store_true', help='cProfile one ZHA request')
    args = parser.parse_args(argv)
    if min(args.cpcs, args.group_size, args.repeat) < 1 or (
            min(args.hosts) < 2 * args.cpcs):
        parser.error('--cpcs, --group-size and --repeat must be >= 1, '
                     'every host count >= 2 x --cpcs')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pipes = setup_nova(args.zha_conf)
    import nova.version
    print('machine: %d CPUs (%d usable), %s; Python %s; Nova %s; load %s' % (
        os.cpu_count(), len(os.sched_getaffinity(0)), platform.machine(),
        platform.python_version(), nova.version.version_string(),
        ', '.join('%.2f' % x for x in os.getloadavg())))
    print('baseline = Nova\'s defaults: %s\nZHA = the same and %s (%s)' % (
        *(', '.join(type(x).__name__ for x in pipes[name].filters +
                    pipes[name].weighers) for name in ('baseline', 'added')),
        args.zha_conf))
    print('[zha_scheduler] %s\nrequest extra specs: %s' % (', '.join(
        '%s = %s' % kv for kv in sorted(CONF.zha_scheduler.items())),
        REQUEST_KINDS[args.request] or 'none'))
    results = [run_host_count(n, pipes, args,
                              args.profile and n == args.hosts[-1])
               for n in args.hosts]
    for report in REPORTS:
        report(results, args)
    print(''.join(r['profile'] for r in results), end='')
    print('\ntotal run time %.0f s' % (time.perf_counter() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
