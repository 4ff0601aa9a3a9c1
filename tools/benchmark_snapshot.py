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

"""Snapshot benchmark: a live snapshot read in bulk and per provider.

It starts a simulated cloud (zha_scheduler.sim: Nova's API, conductor and
scheduler and one real nova-compute per host, fake virt driver, the real
Placement service, all in one process) of --hosts compute hosts (default
500, CPCs of 10 LPARs, the host agent publishing each one's ZHA traits),
puts the hosts in --aggregates Nova aggregates (round-robin; Nova mirrors
them into Placement) and fills one host in every resource class (no
allocation candidate has it: the bulk read reads it per provider). Then, in
each round, it takes a live snapshot (``collect.collect``) both ways,
interleaved (the order alternates between rounds):

- ``bulk``: the provider list, allocation candidates' provider summaries,
  one member list per aggregate and one inventory read per host;
- ``per-provider``: four GETs per host (traits, inventories, usages,
  aggregates), the read before the bulk one.

It prints each read's Placement calls, wall-clock and CPU seconds, the
wall-clock seconds with a Placement call in flight, the medians, and
whether the two snapshots are equal host by host; the JSON has the calls
and seconds of each kind of Placement read too (summed over the
collector's workers, which overlap: compare them with each other, not
with the wall-clock). CPU is the process's:
the collector and, in-process, Nova's API and Placement serving it (and
whatever Nova's services do meanwhile); Nova's lists (services,
hypervisors, servers, groups, flavors) are the same both ways. Starting
the computes takes about a fifth of a second each. Usage::

    .venv/bin/python tools/benchmark_snapshot.py [--hosts N] [--rounds N]
        [--aggregates N] [--format json] [--log-file FILE]
"""

import argparse
from collections.abc import Sequence
import json
import statistics
import sys
import time
from typing import Any
from unittest import mock

WAYS = ('bulk', 'per-provider')
LPARS_PER_CPC = 10


def _read(conn: Any, bulk: bool) -> dict[str, Any]:
    """One live snapshot: its hosts, Placement calls, wall and CPU time."""
    from zha_scheduler.clients import nova_client
    from zha_scheduler.insight import collect

    made = []
    spans: list[tuple[float, float]] = []
    by_kind: dict[str, list[float]] = {}
    real = nova_client.NovaClient.placement

    def placement(nova: Any) -> Any:
        client = real(nova)
        made.append(client)
        get = client.get

        def timed_get(url: str, version: str) -> Any:
            start = time.perf_counter()
            try:
                return get(url, version)
            finally:
                spans.append((start, time.perf_counter()))
                by_kind.setdefault(_kind(url), []).append(
                    spans[-1][1] - start)
        # On this client only: what it counts in calls is what is timed.
        setattr(client, 'get', timed_get)
        return client
    with mock.patch.object(nova_client.NovaClient, 'placement', placement):
        wall, cpu = time.perf_counter(), time.process_time()
        snap = collect.collect(conn, bulk=bulk)
        return {'hosts': snap.hosts, 'placement_calls': made[-1].calls,
                'seconds': round(time.perf_counter() - wall, 3),
                'cpu_seconds': round(time.process_time() - cpu, 3),
                'placement_seconds': round(_in_flight(spans), 3),
                'placement_by_kind': {
                    kind: {'calls': len(times),
                           'seconds': round(sum(times), 3)}
                    for kind, times in sorted(by_kind.items())}}


def _kind(url: str) -> str:
    """What a Placement call reads: a list, candidates, or one provider's
    inventories, traits, usages or aggregates.
    """
    path = url.split('?')[0].strip('/').split('/')
    if path[0] == 'allocation_candidates':
        return 'allocation_candidates'
    if len(path) == 3:
        return 'provider ' + path[2]
    return 'provider lists'


def _in_flight(spans: list[tuple[float, float]]) -> float:
    """Seconds with at least one call in flight (the workers overlap)."""
    total, end = 0.0, float('-inf')
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def run(hosts: int, rounds: int, aggregates: int) -> dict[str, Any]:
    from zha_scheduler.sim import client
    from zha_scheduler.sim import cloud

    results: dict[str, Any] = {'hosts': hosts, 'aggregates': aggregates,
                               'rounds': []}
    started = time.perf_counter()

    class Bench(cloud.SimulatedCloud):
        HOSTS = cloud.grid(cpcs=-(-hosts // LPARS_PER_CPC),
                           lpars_per_cpc=LPARS_PER_CPC)[:hosts]

        def runTest(self) -> None:
            results['start_seconds'] = round(time.perf_counter() - started)
            conn = client.connection(self)
            for index in range(aggregates):
                found = self.admin_api.post_aggregate(
                    {'aggregate': {'name': 'rack%d' % index}})
                for host in self.HOSTS[index::aggregates]:
                    self.admin_api.add_host_to_aggregate(found['id'],
                                                         host.name)
            # 10 VCPUs at ratio 4, 8192 - 512 MB, 1028 GB in four servers;
            # one request (a build waits for the scheduler's 500 hosts).
            flavor = self._create_flavor(name='quarter', vcpu=10,
                                         memory_mb=1920, disk=257,
                                         ephemeral=0)
            self.boot_on(self.HOSTS[-1].name, 'quarter', count=4,
                         flavor_id=flavor)
            results['setup_seconds'] = round(time.perf_counter() - started)
            for index in range(rounds):
                order = list(WAYS)
                if index % 2:
                    order.reverse()
                done: dict[str, Any] = {
                    way: _read(conn, bulk=way == 'bulk') for way in order}
                done['first'] = order[0]
                done['equal'] = (done['bulk'].pop('hosts') ==
                                 done['per-provider'].pop('hosts'))
                results['rounds'].append(done)

    error = cloud.run_case(Bench)
    if error:
        raise RuntimeError(error)
    return results


def summary(results: dict[str, Any]) -> dict[str, Any]:
    rounds = results['rounds']
    found: dict[str, Any] = {}
    for way in WAYS:
        found[way] = {key: round(statistics.median(r[way][key]
                                                   for r in rounds), 3)
                      for key in ('placement_calls', 'seconds',
                                  'cpu_seconds', 'placement_seconds')}
    found['all_equal'] = all(r['equal'] for r in rounds)
    found['ratio_seconds'] = round(found['bulk']['seconds'] /
                                   found['per-provider']['seconds'], 2)
    found['ratio_cpu'] = round(found['bulk']['cpu_seconds'] /
                               found['per-provider']['cpu_seconds'], 2)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=500)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--aggregates', type=int, default=2)
    parser.add_argument('--format', choices=('table', 'json'),
                        default='table')
    parser.add_argument('--log-file')
    args = parser.parse_args(argv)
    from zha_scheduler.sim import chatter
    log_file = chatter.log_to_file(args.log_file, 'benchmark-snapshot-')
    with chatter.output_to(log_file):
        results = run(args.hosts, args.rounds, args.aggregates)
    results['summary'] = summary(results)
    if args.format == 'json':
        print(json.dumps(results, indent=2))
        return 0
    print('Live snapshot of %d hosts (%d Nova aggregates, one host full), '
          '%d round(s), order alternating; cloud started in %d s, set up '
          'in %d s:' % (args.hosts, args.aggregates, args.rounds,
                        results['start_seconds'], results['setup_seconds']))
    for index, r in enumerate(results['rounds'], 1):
        print('  round %d (%s first): %s; equal: %s' % (
            index, r['first'], '; '.join(
                '%s %d calls, %.2f s (CPU %.2f, in Placement %.2f)'
                % (way, r[way]['placement_calls'], r[way]['seconds'],
                   r[way]['cpu_seconds'], r[way]['placement_seconds'])
                for way in WAYS),
            'yes' if r['equal'] else 'NO'))
    s = results['summary']
    print('Median: %s; ratio bulk / per-provider: %.2f wall, %.2f CPU; '
          'snapshots equal in every round: %s' % (
              '; '.join(
                  '%s %d calls, %.2f s (CPU %.2f, in Placement %.2f)'
                  % (way, s[way]['placement_calls'], s[way]['seconds'],
                     s[way]['cpu_seconds'], s[way]['placement_seconds'])
                  for way in WAYS),
              s['ratio_seconds'], s['ratio_cpu'],
              'yes' if s['all_equal'] else 'NO'))
    print("Nova's logs: %s" % log_file)
    return 0 if s['all_equal'] else 1


if __name__ == '__main__':
    sys.exit(main())
