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

Runs Nova 34's own HostFilterHandler and HostWeightHandler over a synthetic
IBM Z cloud (insight.synthetic: default 5,000 hosts on 50 CPCs with a
standby LPAR each, 10 instances a host) as Nova HostStates, with Nova's
default filters and weighers (baseline) and with those of
etc/nova/nova.conf.d/zha-scheduler.conf (ZHA, --zha-conf), loaded as
nova-scheduler loads them. Each request kind is reported on its own:

- ``boot``: one instance into an anti-affinity group whose --group-size - 1
  members run on as many CPCs;
- ``multi-create``: a new anti-affinity group of --group-size members in one
  request, a filter and weigh pass per member, each pick consumed as Nova
  consumes it, each pass given the hosts the one before passed.

Both ask ``zha:redundancy=required``. The two configurations handle the same
hosts: each pass gives both the same hosts to filter, and the ZHA weighers
weigh the hosts the baseline's filters passed, so that ZHA's own filters
turning hosts away never make its weighing cheaper than the baseline's. The
ZHA pick is its best-weighed host that all its filters passed. A ZHA request
includes reading the group members' instance records, as nova-scheduler
does: members.py's reader on a real Nova cell database (sqlite, Nova's test
fixtures) that holds the members. The ZHA plugins read a warm topology view
(the real TopologyView on an in-memory Placement serving the snapshot's
traits), as a scheduler does between refreshes; none runs during the timed
requests.

A round is one request replayed by both, pass by pass, so that the
machine's other load weighs on both alike; the one to run a pass second
finds the hosts in the CPU's caches, so which goes first alternates from
pass to pass and from round to round (keep --rounds even for a single
boot). The figures are medians over --rounds of CPU seconds (and wall
seconds), with the garbage collector off while a pass is timed, as timeit
does.
Each ZHA filter's and weigher's cost inside Nova's handler, on all hosts,
follows. It prints figures, not pass/fail, and checks that ZHA put no member
on a standby or degraded host and kept the group's spread. Usage::

    .venv/bin/python tools/benchmark.py [--hosts 5000] [--cpcs 50]
        [--group-size 20] [--rounds 3] [--kind {boot,multi-create}]
        [--zha-conf FILE] [--format {text,json}]
"""

import argparse
import collections
from collections.abc import Callable, Iterator
import contextlib
import dataclasses
import datetime
import gc
import json
import os
import platform
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
from zha_scheduler import members
from zha_scheduler import model
from zha_scheduler import placement
from zha_scheduler.sim import nova_conf
from zha_scheduler import topology

# Nova pulls in eventlet through futurist, which warns on import.
warnings.filterwarnings('ignore', module='futurist')
warnings.filterwarnings('ignore', category=DeprecationWarning)

CONF = zha_config.CONF       # Nova's too: oslo.config's global
CONFIGS = ('baseline', 'zha')
KINDS = ('boot', 'multi-create')
INSTANCES_PER_HOST = 10      # synthetic's own density
TARGET_RATIO = 1.10          # issue 15
EXTRA_SPECS = {'capabilities:hypervisor_type': 'QEMU',
               'zha:redundancy': 'required'}
Result = dict[str, Any]
Pipes = dict[str, pipeline.Pipeline]


def setup_nova(zha_conf: str) -> Pipes:
    """Load the ZHA snippet into Nova's CONF; load both pipelines."""
    import nova.conf  # noqa: F401  registers Nova's options
    from nova.conf import scheduler as nova_scheduler_conf
    from nova import objects
    from oslo_messaging import conffixture

    objects.register_all()
    # As nova-scheduler reads a file of /etc/nova/nova.conf.d/: the options
    # it sets apply, the others keep their defaults.
    CONF([], project='nova', default_config_files=[zha_conf],
         default_config_dirs=[])
    conffixture.ConfFixture(CONF).setUp()   # the cell mappings read it
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
    return pipes


def added(pipes: Pipes) -> list[Any]:
    """The ZHA filters and weighers: what ZHA adds to the baseline."""
    base = {type(x).__name__ for x in pipes['baseline'].filters +
            pipes['baseline'].weighers}
    return [x for x in pipes['zha'].filters + pipes['zha'].weighers
            if type(x).__name__ not in base]


@contextlib.contextmanager
def cell_database() -> Iterator[Any]:
    """A Nova cell database (sqlite in memory) and an admin context on it."""
    from nova import context
    from nova.tests import fixtures as nova_fixtures

    CONF.set_override('connection', 'sqlite://', 'database')
    with contextlib.ExitStack() as stack:
        for fixture in (nova_fixtures.Database(),
                        nova_fixtures.SingleCellSimple()):
            fixture.setUp()
            stack.callback(fixture.cleanUp)
        yield context.get_admin_context()


@dataclasses.dataclass
class Cloud:
    """A synthetic cloud as Nova's handlers and the ZHA plugins see it."""

    snap: snapshot.Snapshot
    states: list[Any]                  # Nova HostStates, in snapshot order
    view: placement.TopologyView       # the real one, SnapshotPlacement
    profiles: dict[str, topology.HostProfile]    # by host name
    context: Any                       # admin context on the cell database
    existing: list[tuple[str, Any]]    # the boot group's members: uuid, host
    build_s: float

    def usable(self, host: str) -> bool:
        """Whether ZHA may place an HA member on the host."""
        profile = self.profiles[host]
        return not profile.standby and topology.DEGRADED not in (
            profile.network, profile.storage)


def build_cloud(args: argparse.Namespace, context: Any) -> Cloud:
    from nova import objects

    start = time.perf_counter()
    snap = synthetic.synthetic(
        hosts=args.hosts, instances=args.hosts * INSTANCES_PER_HOST,
        cpcs=args.cpcs, seed=args.seed)
    client = placement_client.PlacementClient(sources.SnapshotPlacement(snap))
    states = hoststates.host_states(snap)
    profiles = {h.name: snap.profile(h) for h in snap.hosts}
    cloud = Cloud(snap, states,
                  placement.TopologyView(client_factory=lambda: client),
                  profiles, context, [], 0.0)
    # The boot's group: a member on a usable host of each of the first CPCs.
    by_cpc: dict[str, Any] = {}
    for state in states:
        if cloud.usable(state.host):
            by_cpc.setdefault(profiles[state.host].cpc, state)
    for index, state in enumerate(list(by_cpc.values())[:args.group_size - 1]):
        instance = objects.Instance(
            context, uuid=str(uuid.uuid4()), host=state.host,
            node=state.nodename, compute_id=index + 1, project_id='bench',
            user_id='bench')
        instance.create()
        cloud.existing.append((instance.uuid, state))
    cloud.build_s = time.perf_counter() - start
    return cloud


def new_request(cloud: Cloud, kind: str, size: int) -> Any:
    """The RequestSpec the conductor hands the scheduler for a request."""
    flavor = model.Flavor('z.ha', vcpus=4, ram=8192, disk=40, id='9',
                          extra_specs=dict(EXTRA_SPECS))
    group = model.Group(str(uuid.uuid4()), 'ha-group', 'anti-affinity', [])
    spec = explain.request_spec(explain.Request(
        flavor, image_properties={'hw_architecture': 's390x'}, group=group),
        snapshot.Snapshot([]))
    spec._context = cloud.context           # as the scheduler receives it
    if kind == 'boot':
        existing = [u for u, _state in cloud.existing]
        spec.instance_group.members = existing + [spec.instance_uuid]
        spec.instance_group.hosts = sorted(
            state.host for _u, state in cloud.existing)
        return spec
    # The API adds every member to the group before the first is scheduled.
    spec.instance_group.members = [spec.instance_uuid] + [
        str(uuid.uuid4()) for _ in range(size - 1)]
    spec.num_instances = size
    return spec


@dataclasses.dataclass
class Plan:
    """What a ZHA request decides, pass by pass, for both to replay."""

    hosts: list[list[Any]]       # the hosts each pass gets
    weighable: list[list[Any]]   # those the baseline's filters pass
    picks: list[Any]             # the ZHA pick of each pass


def passes(cloud: Cloud, kind: str, size: int,
           each: Callable[[int, Any, Any], Any]) -> None:
    """Run the passes of a new request; the cloud is as before after it.

    ``each(index, spec, hosts)`` runs one pass and returns its pick, which
    is consumed as Nova consumes it.
    """
    from nova.scheduler import manager

    spec, undo = new_request(cloud, kind, size), []
    try:
        for index, member in enumerate(list(spec.instance_group.members)[
                -spec.num_instances:]):
            spec.instance_uuid = member     # as SchedulerManager._schedule
            chosen = each(index, spec, member)
            # What consume_from_request and the stub instance will change.
            undo.append((chosen, dict(vars(chosen)), dict(chosen.instances)))
            manager.SchedulerManager._consume_selected_host(
                chosen, spec, instance_uuid=member)
    finally:
        for state, saved, instances in reversed(undo):
            vars(state).update(saved, instances=instances)


def plan(cloud: Cloud, pipes: Pipes, kind: str, size: int) -> Plan:
    """Schedule a ZHA request as Nova does, recording every pass."""
    from nova.scheduler import filters
    from nova.scheduler import weights

    filter_handler = filters.HostFilterHandler()
    weight_handler = weights.HostWeightHandler()
    found, hosts = Plan([], [], []), cloud.states

    def each(index: int, spec: Any, member: str) -> Any:
        nonlocal hosts
        found.hosts.append(hosts)
        found.weighable.append(filter_handler.get_filtered_objects(
            pipes['baseline'].filters, hosts, spec, index))
        passed = filter_handler.get_filtered_objects(
            pipes['zha'].filters, hosts, spec, index)
        if not passed:
            raise SystemExit('ZHA %s: pass %d found no host: Nova fails the '
                             'request with NoValidHost' % (kind, index + 1))
        found.picks.append(weight_handler.get_weighed_objects(
            pipes['zha'].weighers, passed, spec)[0].obj)
        # Nova gives the next pass the hosts this one passed.
        hosts = passed
        return found.picks[-1]

    passes(cloud, kind, size, each)
    return found


def timed(cloud: Cloud, pipes: Pipes, planned: Plan, kind: str, size: int,
          first: int) -> dict[str, tuple[float, float]]:
    """CPU and wall seconds of one request by each configuration.

    Both replay the plan's passes in one request, pass by pass, so that
    whatever else the machine does weighs on both. The second to run a
    pass finds the hosts in the CPU's caches: which goes first alternates
    from pass to pass, starting with ``CONFIGS[first]``.
    """
    from nova.scheduler import filters
    from nova.scheduler import weights

    filter_handler = filters.HostFilterHandler()
    weight_handler = weights.HostWeightHandler()
    seconds = dict.fromkeys(CONFIGS, (0.0, 0.0))

    def each(index: int, spec: Any, member: str) -> Any:
        for name in CONFIGS[::-1 if (first + index) % 2 else 1]:
            pipe = pipes[name]
            # No collection while timed, as timeit does: one that a pass
            # happens to trigger would otherwise decide a round.
            gc.disable()
            started_cpu, started = time.process_time(), time.perf_counter()
            passed = filter_handler.get_filtered_objects(
                pipe.filters, planned.hosts[index], spec, index)
            weight_handler.get_weighed_objects(
                pipe.weighers,
                planned.weighable[index] if name == 'zha' else passed, spec)
            cpu, wall = seconds[name]
            seconds[name] = (cpu + time.process_time() - started_cpu,
                             wall + time.perf_counter() - started)
            gc.enable()
        return planned.picks[index]

    passes(cloud, kind, size, each)
    return seconds


def fresh(cloud: Cloud) -> None:
    """Off the clock: services seen now, view warm, a full GC pass.

    ComputeFilter turns away a service silent for 60 s, less than a run
    takes; each request reads its members anew, as a new RequestSpec does.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    for state in cloud.states:
        state.update(service=dict(state.service, last_seen_up=now,
                                  updated_at=now))
    cloud.view.get()
    members.get_locator().clear()
    gc.collect()


def measure_kind(cloud: Cloud, pipes: Pipes, kind: str,
                 args: argparse.Namespace) -> Result:
    """Requests of one kind, baseline and ZHA alternating; medians."""
    fresh(cloud)
    planned = plan(cloud, pipes, kind, args.group_size)
    seconds: dict[str, list[tuple[float, float]]] = {n: [] for n in CONFIGS}
    calls = cloud.view.placement_calls
    for round_ in range(args.rounds):
        fresh(cloud)
        found = timed(cloud, pipes, planned, kind, args.group_size,
                      round_ % 2)
        for name in CONFIGS:
            seconds[name].append(found[name])
    result: Result = {
        'kind': kind, 'passes': len(planned.picks),
        'hosts_first_last_pass': [len(planned.hosts[0]),
                                  len(planned.hosts[-1])],
        'placement_calls': cloud.view.placement_calls - calls}
    for name, done in seconds.items():
        result[name] = {
            'cpu_ms': 1000 * statistics.median(c for c, _w in done),
            'wall_ms': 1000 * statistics.median(w for _c, w in done)}
    for unit in ('cpu', 'wall'):
        result['%s_ratio' % unit] = (result['zha']['%s_ms' % unit] /
                                     result['baseline']['%s_ms' % unit])
    result['target_met'] = result['cpu_ratio'] <= TARGET_RATIO
    result['checks'] = check(cloud, kind, [p.host for p in planned.picks])
    return result


def check(cloud: Cloud, kind: str, picks: list[str]) -> Result:
    """What ZHA placed: on unusable hosts (must be 0), and the CPC skew."""
    per_cpc = collections.Counter(cloud.profiles[h].cpc for h in picks)
    if kind == 'boot':
        per_cpc.update(cloud.profiles[state.host].cpc
                       for _u, state in cloud.existing)
    counts = [per_cpc.get(cpc, 0) for cpc in
              {p.cpc for p in cloud.profiles.values() if p.cpc}]
    return {'members_on_unusable_hosts': sum(not cloud.usable(h)
                                             for h in picks),
            'max_cpc_skew': max(counts) - min(counts)}


def measure_pieces(cloud: Cloud, pipes: Pipes, kind: str,
                   args: argparse.Namespace) -> list[Result]:
    """Each ZHA filter and weigher alone inside Nova's handler, all hosts.

    The handler's own cost for a plugin (its lists and log arguments) is
    counted: the figure is the handler with the plugin less the handler
    with none. The spec is the request's first pass.
    """
    from nova.scheduler import filters
    from nova.scheduler import weights

    filter_handler = filters.HostFilterHandler()
    weight_handler = weights.HostWeightHandler()
    fresh(cloud)
    spec, hosts = new_request(cloud, kind, args.group_size), cloud.states
    spec.instance_uuid = spec.instance_group.members[-spec.num_instances]
    repeat = max(5, args.rounds)

    def median_ms(func: Callable[[], Any]) -> float:
        return 1000 * statistics.median(
            timeit.repeat(func, timer=time.process_time, number=1,
                          repeat=repeat))

    empty = {True: median_ms(lambda: filter_handler.get_filtered_objects(
                 [], hosts, spec, 0)),
             False: median_ms(lambda: weight_handler.get_weighed_objects(
                 [], hosts, spec))}
    found = []
    for piece in added(pipes):
        is_filter = hasattr(piece, 'filter_all')
        if is_filter:
            ms = median_ms(lambda p=piece: filter_handler.get_filtered_objects(
                [p], hosts, spec, 0))
        else:
            ms = median_ms(lambda p=piece: weight_handler.get_weighed_objects(
                [p], hosts, spec))
        found.append({'name': type(piece).__name__,
                      'runs_in': ('pass 1' if is_filter and
                                  piece.run_filter_once_per_request
                                  else 'every pass'),
                      'cpu_ms': max(0.0, ms - empty[is_filter])})
    return found


def run(args: argparse.Namespace) -> Result:
    pipes = setup_nova(args.zha_conf)
    import nova.version

    started = time.perf_counter()
    result: Result = {
        'machine': {'cpus': os.cpu_count(),
                    'usable_cpus': len(os.sched_getaffinity(0)),
                    'arch': platform.machine(),
                    'python': platform.python_version(),
                    'nova': nova.version.version_string(),
                    'load': [round(x, 2) for x in os.getloadavg()]},
        'baseline': [type(x).__name__ for x in pipes['baseline'].filters +
                     pipes['baseline'].weighers],
        'zha_added': [type(x).__name__ for x in added(pipes)],
        'zha_conf': args.zha_conf,
        'zha_scheduler': {k: v for k, v in
                          sorted(CONF.zha_scheduler.items())},
        'extra_specs': EXTRA_SPECS, 'target_ratio': TARGET_RATIO,
        'kinds': []}
    # Warm for the whole run: a refresh is a background thread whose CPU
    # would count in whichever request it overlaps (its cost is
    # tools/benchmark_refresh.py's to measure).
    CONF.set_override('trait_cache_ttl', 86400, 'zha_scheduler')
    with cell_database() as context:
        gc.collect()
        cloud = build_cloud(args, context)
        # The static cloud leaves the collector's generations: full
        # collections would otherwise rescan it in random timed passes.
        gc.collect()
        gc.freeze()
        locator = members.set_locator(members.MemberLocator())
        try:
            with sources.replay(cloud.snap, view=cloud.view):
                # replay reads members from the snapshot: read the cell DB.
                members.set_locator(members.MemberLocator())
                for kind in args.kind:
                    found = measure_kind(cloud, pipes, kind, args)
                    found['pieces'] = measure_pieces(cloud, pipes, kind, args)
                    result['kinds'].append(found)
        finally:
            members.set_locator(locator)
            gc.unfreeze()
    result['cloud'] = {
        'hosts': len(cloud.snap.hosts), 'cpcs': args.cpcs,
        'instances': len(cloud.snap.instances),
        'standby': sum(p.standby for p in cloud.profiles.values()),
        'unusable': sum(not cloud.usable(h) for h in cloud.profiles),
        'build_s': round(cloud.build_s, 1)}
    result['run_s'] = round(time.perf_counter() - started, 1)
    return result


def table(head: list[str], rows: list[list[Any]]) -> None:
    """Print rows under their heads, right-aligned but the first column."""
    cells = [head] + [['%.2f' % c if isinstance(c, float) else str(c)
                       for c in row] for row in rows]
    widths = [max(map(len, column)) for column in zip(*cells)]
    for row in cells:
        print('  ' + '  '.join([row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]))


def report(result: Result, args: argparse.Namespace) -> None:
    m, c = result['machine'], result['cloud']
    print('machine: %d CPUs (%d usable), %s; Python %s; Nova %s; load %s' % (
        m['cpus'], m['usable_cpus'], m['arch'], m['python'], m['nova'],
        ', '.join('%.2f' % x for x in m['load'])))
    print('cloud: %d hosts on %d CPCs (%d standby, %d standby or degraded), '
          '%d instances; built in %.1f s' % (
              c['hosts'], c['cpcs'], c['standby'], c['unusable'],
              c['instances'], c['build_s']))
    print('baseline = Nova\'s defaults: %s\nZHA = the same and %s (%s)' % (
        ', '.join(result['baseline']), ', '.join(result['zha_added']),
        result['zha_conf']))
    print('[zha_scheduler] %s\nextra specs: %s' % (', '.join(
        '%s = %s' % kv for kv in result['zha_scheduler'].items()),
        result['extra_specs']))
    print('\nPer request (medians of %d rounds; ZHA with its members\' read; '
          'both filter the same hosts, from the first pass to the last, and '
          'weigh those the baseline\'s filters pass)' % args.rounds)
    table(['request', 'passes', 'base CPU ms', 'ZHA CPU ms', 'CPU RATIO',
          'wall ratio', 'target <= %.2f' % TARGET_RATIO, 'hosts in',
          'Placement calls', 'on unusable', 'CPC skew'],
          [[k['kind'], k['passes'], k['baseline']['cpu_ms'],
            k['zha']['cpu_ms'], '%.3f' % k['cpu_ratio'],
            '%.3f' % k['wall_ratio'], 'met' if k['target_met'] else 'MISSED',
            '%d..%d' % tuple(k['hosts_first_last_pass']),
            k['placement_calls'], k['checks']['members_on_unusable_hosts'],
            k['checks']['max_cpc_skew']] for k in result['kinds']])
    for k in result['kinds']:
        print('\nEach ZHA plugin inside Nova\'s handler, all %d hosts, the '
              '%s request\'s first pass (median CPU ms)' % (c['hosts'],
                                                          k['kind']))
        table(['plugin', 'runs in', 'CPU ms'],
              [[p['name'], p['runs_in'], p['cpu_ms']] for p in k['pieces']])
    print('\ntotal run time %.0f s' % result['run_s'])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add = parser.add_argument
    add('--hosts', type=int, default=5000, help='hosts of the cloud')
    add('--cpcs', type=int, default=50, help='CPCs of the cloud')
    add('--group-size', type=int, default=20,
        help='members of a multi-create; the boot\'s group has one less')
    add('--rounds', type=int, default=6,
        help='requests of each configuration and kind')
    add('--seed', type=int, default=42, help='seed of the synthetic cloud')
    add('--kind', choices=KINDS, action='append',
        help='request kind to run, repeatable (default: all)')
    add('--zha-conf', default=nova_conf.snippet_path(), metavar='FILE',
        help='nova.conf snippet of the ZHA pipeline')
    add('--format', choices=('text', 'json'), default='text',
        help='json: one JSON document on stdout')
    args = parser.parse_args(argv)
    args.kind = args.kind or list(KINDS)
    if min(args.cpcs, args.group_size, args.rounds) < 1 or (
            args.hosts < 2 * args.cpcs) or args.group_size > args.cpcs:
        parser.error('--cpcs, --group-size and --rounds must be >= 1, '
                     '--hosts >= 2 x --cpcs, --group-size <= --cpcs')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    if args.format == 'json':
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        report(result, args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
