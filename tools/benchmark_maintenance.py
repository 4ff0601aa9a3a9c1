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

"""Maintenance benchmark: drain a CPC of 20 guests and fail it back.

It starts the demo's maintenance cloud (zha_scheduler.sim: real Nova
services in-process, fake virt driver, real Placement, the ZHA filters
enabled; 3 CPCs of 2 LPARs and a standby partition each), boots 10 guests
on each LPAR of CPC Z1 (one stopped, one a member of an anti-affinity pair)
and, in each round, times two ways of emptying Z1 and bringing its guests
back, interleaved (the order alternates between rounds):

- ``zha``: ``zha-scheduler drain --cpc Z1`` then ``zha-scheduler failback
  --cpc Z1``, every option at its default (``--max-parallel`` 2);
- ``serial``: what an operator scripts with Nova's API alone: disable the
  services, live-migrate each instance (cold-migrate and confirm the
  stopped one) and wait for it, one at a time, with no host named; then
  enable them and move each instance back to the host it came from, by
  name, one at a time.

Both go through the same Nova scheduler and filters. It prints each
round's wall-clock and CPU seconds, the medians and their ratio, and
what a drain's plan alone costs. Usage::

    .venv/bin/python tools/benchmark_maintenance.py [--guests-per-lpar N]
        [--rounds N] [--max-parallel N] [--format json] [--log-file FILE]
"""

import argparse
from collections.abc import Callable, Sequence
import json
import statistics
import sys
import time
from typing import Any

POLL = 0.2


def _wait_moved(conn: Any, server_id: str, source: str) -> str:
    """Poll until the server left ``source`` and no task runs; its host."""
    confirmed = False
    while True:
        server = conn.compute.get_server(server_id)
        if server.status == 'VERIFY_RESIZE' and server.task_state is None:
            if not confirmed:
                conn.compute.confirm_server_resize(server_id)
                confirmed = True
        elif server.task_state is None and server.status != 'VERIFY_RESIZE':
            if server.status == 'ERROR' or server.compute_host == source:
                raise RuntimeError('%s did not move off %s: %s' % (
                    server.name, source, server.status))
            return server.compute_host
        time.sleep(POLL)


def serial_round(conn: Any, hosts: list[str]) -> None:
    """Nova alone: disable, move one at a time, enable, move back."""
    services = [s for s in conn.compute.services(binary='nova-compute')
                if s.host in hosts]
    for service in services:
        conn.compute.update_service(service.id, status='disabled',
                                    disabled_reason='maintenance')
    homes = {}
    for host in hosts:
        for server in conn.compute.servers(all_projects=True,
                                           compute_host=host):
            if server.status == 'SHUTOFF':
                conn.compute.migrate_server(server.id)
            else:
                conn.compute.live_migrate_server(server.id,
                                                 block_migration='auto')
            _wait_moved(conn, server.id, host)
            homes[server.id] = host
    for service in services:
        conn.compute.update_service(service.id, status='enabled')
    for server_id, home in homes.items():
        server = conn.compute.get_server(server_id)
        source = server.compute_host
        if server.status == 'SHUTOFF':
            conn.compute.migrate_server(server_id, host=home)
        else:
            conn.compute.live_migrate_server(server_id, host=home,
                                             block_migration='auto')
        _wait_moved(conn, server_id, source)


def _timed(action: Callable[[], Any]) -> dict[str, float]:
    wall, cpu = time.monotonic(), time.process_time()
    action()
    return {'seconds': round(time.monotonic() - wall, 1),
            'cpu_seconds': round(time.process_time() - cpu, 1)}


def run(guests_per_lpar: int, rounds: int, max_parallel: int
        ) -> dict[str, Any]:
    from zha_scheduler.sim import cloud
    from zha_scheduler.sim import demo
    from zha_scheduler.sim import maintenance_scene

    results: dict[str, Any] = {'rounds': []}

    class Bench(maintenance_scene._MaintenanceCase):
        def runTest(self) -> None:
            servers = self.boot_guests()
            lpars = sorted({self.host_of(s) for s in servers
                            if self.host_of(s).startswith('cpc1-')})
            results['guests'] = sum(1 for s in servers
                                    if self.host_of(s) in lpars)
            # What planning alone costs (read the cloud, nothing moves).
            results['plan'] = _timed(lambda: self.command('drain',
                                                          dry_run=True))

            def zha() -> dict[str, Any]:
                drain = _timed(lambda: self.command('drain',
                                                    allow_degraded=True))
                failback = _timed(lambda: self.command('failback'))
                return {'drain': drain, 'failback': failback}

            def serial() -> dict[str, Any]:
                return {'both': _timed(lambda: serial_round(self.conn,
                                                            lpars))}

            for index in range(rounds):
                order = [('zha', zha), ('serial', serial)]
                if index % 2:
                    order.reverse()
                done = {name: way() for name, way in order}
                done['first'] = order[0][0]
                for lpar in lpars:
                    self.assertEqual(
                        results['guests'] // len(lpars),
                        len(list(self.conn.compute.servers(
                            all_projects=True, compute_host=lpar))))
                results['rounds'].append(done)

    hosts = demo.failure_hosts(cpcs=3, lpars_per_cpc=2)
    scene = maintenance_scene.MaintenanceScene('benchmark', hosts)
    case = type('Bench', (Bench,), {
        'HOSTS': hosts, 'SCENE': scene, 'GUESTS_PER_LPAR': guests_per_lpar,
        'MAX_PARALLEL': max_parallel, 'POLL_INTERVAL': POLL / 4})
    error = cloud.run_case(case)
    if error:
        raise RuntimeError(error)
    return results


def summary(results: dict[str, Any]) -> dict[str, Any]:
    rounds = results['rounds']

    def median(pick: Callable[[dict], float]) -> float:
        return round(statistics.median(pick(r) for r in rounds), 1)

    zha_total = median(lambda r: r['zha']['drain']['seconds'] +
                       r['zha']['failback']['seconds'])
    serial_total = median(lambda r: r['serial']['both']['seconds'])
    return {'guests': results['guests'],
            'drain_seconds': median(lambda r: r['zha']['drain']['seconds']),
            'failback_seconds': median(
                lambda r: r['zha']['failback']['seconds']),
            'zha_seconds': zha_total, 'serial_seconds': serial_total,
            'ratio_zha_to_serial': round(zha_total / serial_total, 2)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--guests-per-lpar', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--max-parallel', type=int, default=2)
    parser.add_argument('--format', choices=('table', 'json'),
                        default='table')
    parser.add_argument('--log-file')
    args = parser.parse_args(argv)
    from zha_scheduler.sim import chatter
    log_file = chatter.log_to_file(args.log_file, 'benchmark-maintenance-')
    with chatter.output_to(log_file):
        results = run(args.guests_per_lpar, args.rounds, args.max_parallel)
    results['summary'] = summary(results)
    if args.format == 'json':
        print(json.dumps(results, indent=2))
        return 0
    print('Drain and failback of CPC Z1 (%d guests on 2 LPARs), '
          '--max-parallel %d, %d round(s), order alternating:'
          % (results['guests'], args.max_parallel, args.rounds))
    for index, r in enumerate(results['rounds'], 1):
        print('  round %d (%s first): zha drain %.1f s (CPU %.1f) + failback '
              '%.1f s (CPU %.1f); serial out and back %.1f s (CPU %.1f)' % (
                  index, r['first'], r['zha']['drain']['seconds'],
                  r['zha']['drain']['cpu_seconds'],
                  r['zha']['failback']['seconds'],
                  r['zha']['failback']['cpu_seconds'],
                  r['serial']['both']['seconds'],
                  r['serial']['both']['cpu_seconds']))
    s = results['summary']
    print('  a drain\'s plan alone (--dry-run): %.1f s (CPU %.1f)' % (
        results['plan']['seconds'], results['plan']['cpu_seconds']))
    print('Median: drain %.1f s, failback %.1f s, together %.1f s; serial '
          '%.1f s; ratio %.2f' % (s['drain_seconds'], s['failback_seconds'],
                                  s['zha_seconds'], s['serial_seconds'],
                                  s['ratio_zha_to_serial']))
    print("Nova's logs: %s" % log_file)
    return 0


if __name__ == '__main__':
    sys.exit(main())
