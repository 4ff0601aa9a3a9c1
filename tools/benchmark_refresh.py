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

"""Benchmark of the topology refresh (placement.refresh_topology) on Placement.

Runs the real Placement in-process, as Nova's functional tests do:
placement's own PlacementFixture, its WSGI app on an in-memory SQLite
database reached through wsgi-intercept, so that every call goes through
HTTP parsing, the middleware and the handlers. Usage::

    .venv/bin/python tools/benchmark_refresh.py [--providers 5000]
        [--cpcs 50] [--groups 200] [--groups-per-host 5]
        [--changed-percent 1] [--full-hosts 1] [--rounds 5] [--seed 15]
        [--alternatives] [--format text|json]

1. Build: ``--providers`` compute node providers with VCPU, MEMORY_MB and
   DISK_GB inventory and the traits COMPUTE_NODE, a CPC of ``--cpcs``, a
   site of two, NET/STORAGE_REDUNDANT, STANDBY on one in ten and
   ``--groups-per-host`` consistency groups of ``--groups``. They are
   created through Placement's object layer, which the API handlers call
   (the HTTP and JSON-schema layers would take minutes more).
2. The first read (per trait), and probes of single calls: the listing, a
   provider's traits, an allocation candidates query not narrowed.
3. ``--rounds`` rounds: ``--changed-percent`` of the providers change
   through the API, all but one by allocations (``PUT
   /allocations/{consumer}``: an instance booted, or resized; a delete
   would not bump the generation; ``--full-hosts`` of them take all the
   memory left, so that no summary has them), one by a trait change (``PUT
   /resource_providers/{uuid}/traits``: another CPC, group or redundancy
   state, in turn). Then the refresh the old way (the
   listing, then the traits of each provider whose generation changed) and
   the new way, in alternating order, each timed: calls, wall and CPU
   seconds (the CPU includes Placement's own work: it runs in this
   process). Each result is compared with a full re-read
   (``read_topology``).

Per round and medians are printed, the new way's calls split into the
listing, the allocation candidates queries (with the providers they
summarized) and the single reads. ``--alternatives`` also times, in the
same rounds, the designs not chosen (``ALTERNATIVES``). The exit status is
1 when the new way misses the target: at most 10 calls in every round, a
median of at most 0.5 s wall, every round exact.
"""

import argparse
from collections.abc import Callable, Iterable, Mapping
import gc
import json
import os
import random
import statistics
import sys
import time
from typing import Any
import uuid as uuid_lib

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zha_scheduler.clients import placement_client  # noqa: E402
from zha_scheduler import placement  # noqa: E402
from zha_scheduler import traits  # noqa: E402

#: The refresh target of issue 15: calls and wall seconds at most.
TARGET_CALLS = 10
TARGET_SECONDS = 0.5
MEMORY_MB = 262144
#: What each boot allocates.
FLAVOR = {'VCPU': 2, 'MEMORY_MB': 4096, 'DISK_GB': 20}
ALLOCATIONS_VERSION = '1.28'
Known = dict[str, placement.Provider]
Refresh = Callable[[placement_client.PlacementClient, Known],
                   tuple[placement.Topology, Known]]


class Adapter:
    """What PlacementClient calls, over requests (wsgi-intercepted)."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._session = requests.Session()
        self._session.headers.update({'x-auth-token': 'admin',
                                      'accept': 'application/json'})

    def _headers(self, microversion: str | None) -> dict[str, str]:
        if microversion is None:
            return {}
        return {'OpenStack-API-Version': 'placement %s' % microversion}

    def get(self, url: str, microversion: str | None = None,
            raise_exc: bool = False) -> Any:
        return self._session.get(self._endpoint + url,
                                 headers=self._headers(microversion))

    def put(self, url: str, json: Any = None,
            microversion: str | None = None, raise_exc: bool = False) -> Any:
        return self._session.put(self._endpoint + url, json=json,
                                 headers=self._headers(microversion))


class RecordingClient(placement_client.PlacementClient):
    """A PlacementClient noting each GET: its kind, seconds and size."""

    def __init__(self, adapter: Any) -> None:
        super().__init__(adapter)
        self.log: list[tuple[str, float, int]] = []

    def get(self, url: str, version: str) -> dict[str, Any]:
        start = time.perf_counter()
        body = super().get(url, version)
        if url.startswith('/allocation_candidates'):
            kind, size = 'query', len(body.get('provider_summaries', ()))
        elif url.startswith('/resource_providers/'):
            kind, size = 'single', 1
        elif url == '/resource_providers':
            kind, size = 'listing', len(body.get('resource_providers', ()))
        else:
            kind, size = 'other', 0
        self.log.append((kind, time.perf_counter() - start, size))
        return body


def old_refresh(client: placement_client.PlacementClient,
                known: Mapping[str, placement.Provider]
                ) -> tuple[placement.Topology, Known]:
    """refresh_topology before issue 15, for comparison.

    The listing, then the traits of each provider whose generation changed,
    one call each; or the per-trait read when that is fewer calls.
    """
    listed = {p['uuid']: p for p in client.providers()}
    changed = sorted(u for u, p in listed.items()
                     if u not in known or
                     known[u].generation != p.get('generation'))
    per_trait = 1 + len({t for p in known.values() for t in p.zha_traits})
    if not known or len(changed) > per_trait:
        trait_sets, names = placement._read_per_trait(client)
        providers = {
            u: placement.Provider(p.get('name') or '', p.get('generation'),
                                  frozenset(trait_sets.get(u, ())))
            for u, p in listed.items()}
        for u in trait_sets.keys() - listed.keys():
            providers[u] = placement.Provider(names[u], None,
                                              frozenset(trait_sets[u]))
    else:
        skip = set(changed)
        providers = {u: known[u] for u in listed if u not in skip}
        for u in changed:
            try:
                body = client.traits(u)
            except placement_client.PlacementError as exc:
                if exc.status == 404:
                    continue
                raise
            providers[u] = placement.Provider(
                listed[u].get('name') or '',
                body.get('resource_provider_generation'),
                frozenset(t for t in body.get('traits', [])
                          if traits.parse(t) is not None))
    return (placement._topology(
        {u: p.zha_traits for u, p in providers.items()},
        {u: p.name for u, p in providers.items()}), providers)


class Cloud:
    """Placement in-process, its providers and the instances on them."""

    def __init__(self, args: argparse.Namespace) -> None:
        from placement.tests.functional.fixtures import (
            placement as placement_fixture)
        self.args = args
        self.rng = random.Random(args.seed)
        self.fixture = placement_fixture.PlacementFixture()
        self.fixture.setUp()
        self.adapter = Adapter(self.fixture.endpoint)
        #: Provider uuids, and each one's instances: consumer -> MEMORY_MB.
        self.uuids: list[str] = []
        self.instances: dict[str, dict[str, int]] = {}
        self.cpcs = [traits.cpc_trait('Z%02d' % i) for i in range(args.cpcs)]
        self.groups = [traits.consistency_group_trait('CG%04d' % i)
                       for i in range(args.groups)]
        self._build()

    def _build(self) -> None:
        from placement import context as placement_context
        from placement.objects import inventory
        from placement.objects import resource_provider
        from placement.objects import trait
        args = self.args
        ctx = placement_context.RequestContext(
            user_id='admin', project_id='admin',
            config=self.fixture.conf_fixture.conf)
        sites = [traits.site_trait('DC%d' % i) for i in (0, 1)]
        names = self.cpcs + sites + self.groups + sorted(traits.FIXED_TRAITS)
        for name in names:
            trait.Trait(ctx, name=name).create()
        found = {name: trait.Trait.get_by_name(ctx, name)
                 for name in names + ['COMPUTE_NODE']}
        for i in range(args.providers):
            rp = resource_provider.ResourceProvider(
                ctx, uuid=str(uuid_lib.UUID(int=self.rng.getrandbits(128))),
                name='lpar%05d' % i)
            rp.create()
            # The object's max_unit defaults to 1, the API's to the total.
            rp.set_inventory([inventory.Inventory(
                resource_provider=rp, resource_class=rc, total=total,
                max_unit=total)
                for rc, total in (('VCPU', 64), ('MEMORY_MB', MEMORY_MB),
                                  ('DISK_GB', 2000))])
            own = ['COMPUTE_NODE', self.cpcs[i % args.cpcs],
                   sites[i % 2], traits.NET_REDUNDANT,
                   traits.STORAGE_REDUNDANT]
            own += self.rng.sample(self.groups, args.groups_per_host)
            if i % 10 == 0:
                own.append(traits.STANDBY)
            rp.set_traits([found[t] for t in own])
            self.uuids.append(rp.uuid)
            self.instances[rp.uuid] = {}

    def client(self) -> RecordingClient:
        return RecordingClient(self.adapter)

    def _check(self, resp: Any, *ok: int) -> None:
        if resp.status_code not in ok:
            raise RuntimeError('%s %s: %s' % (resp.request.method,
                                              resp.url, resp.text[:300]))

    def _put(self, uuid: str, consumer: str, resources: Mapping[str, int],
             generation: int | None) -> None:
        self._check(self.adapter.put(
            '/allocations/%s' % consumer,
            json={'allocations': {uuid: {'resources': dict(resources)}},
                  'project_id': 'bench', 'user_id': 'bench',
                  'consumer_generation': generation},
            microversion=ALLOCATIONS_VERSION), 204)
        self.instances[uuid][consumer] = resources['MEMORY_MB']

    def room(self, uuid: str) -> int:
        return MEMORY_MB - sum(self.instances[uuid].values())

    def boot_or_resize(self, uuid: str) -> None:
        """An instance booted, or resized if the host has one already.

        Each bumps the provider's generation, as Nova's boots, moves and
        resizes do. A delete (``DELETE /allocations/{consumer}``) does not:
        Placement leaves the generation as it is, and no refresh sees it.
        """
        if not self.instances[uuid]:
            consumer = str(uuid_lib.UUID(int=self.rng.getrandbits(128)))
            self._put(uuid, consumer, FLAVOR, None)
            return
        consumer = sorted(self.instances[uuid])[0]
        resp = self.adapter.get('/allocations/%s' % consumer,
                                microversion=ALLOCATIONS_VERSION)
        self._check(resp, 200)
        memory = self.instances[uuid][consumer]
        memory += 1024 if self.room(uuid) >= 1024 else -1024
        self._put(uuid, consumer, dict(FLAVOR, MEMORY_MB=memory),
                  resp.json()['consumer_generation'])

    def fill(self, uuid: str) -> None:
        """Take all the memory left: allocation candidates skip the host."""
        consumer = str(uuid_lib.UUID(int=self.rng.getrandbits(128)))
        self._put(uuid, consumer, {'MEMORY_MB': self.room(uuid)}, None)

    def change_traits(self, uuid: str, turn: int) -> str:
        """Another CPC, consistency group or redundancy state, in turn."""
        url = '/resource_providers/%s/traits' % uuid
        resp = self.adapter.get(url, microversion='1.6')
        self._check(resp, 200)
        body = resp.json()
        own = set(body['traits'])
        kind = ('cpc', 'group', 'redundancy')[turn % 3]
        if kind in ('cpc', 'group'):
            # Its CPC, or one of its groups, for one it does not have.
            every = self.cpcs if kind == 'cpc' else self.groups
            own.discard(self.rng.choice(sorted(own.intersection(every))))
            own.add(self.rng.choice(sorted(set(every) - set(body['traits']))))
        else:
            # Redundant to degraded, or back.
            own ^= {traits.NET_REDUNDANT, traits.NET_DEGRADED}
        self._check(self.adapter.put(
            url, json={'traits': sorted(own),
                       'resource_provider_generation':
                           body['resource_provider_generation']},
            microversion='1.6'), 200)
        return kind

    def change(self, turn: int) -> dict[str, Any]:
        """Change the round's providers; return what changed how."""
        count = max(1, round(len(self.uuids) *
                             self.args.changed_percent / 100))
        chosen = self.rng.sample(self.uuids, count)
        kind = self.change_traits(chosen[0], turn)
        full = [u for u in chosen[1:] if self.room(u) > 0][
            :self.args.full_hosts]
        for uuid in chosen[1:]:
            if uuid in full:
                self.fill(uuid)
            else:
                self.boot_or_resize(uuid)
        return {'providers': count, 'trait_change': kind,
                'trait_changed': chosen[0], 'filled': len(full)}

    def generations(self) -> dict[str, int]:
        return {p['uuid']: p['generation']
                for p in self.client().providers()}


def timed(refresh: Refresh, client: RecordingClient,
          known: Known) -> tuple[placement.Topology, Known, dict[str, Any]]:
    """Run one refresh, off the GC; its calls, wall and CPU seconds."""
    gc.collect()
    gc.disable()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        found, providers = refresh(client, known)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        gc.enable()
    split: dict[str, dict[str, float]] = {}
    for kind, seconds, size in client.log:
        done = split.setdefault(kind, {'calls': 0, 'seconds': 0.0,
                                       'providers': 0})
        done['calls'] += 1
        done['seconds'] += seconds
        done['providers'] += size
    return found, providers, {'calls': client.calls, 'wall_s': wall,
                              'cpu_s': cpu, 'split': split}


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def probe(cloud: Cloud, uuid: str) -> dict[str, Any]:
    """Time single calls (medians): what the designs are made of."""
    def seconds(call: Callable[[placement_client.PlacementClient], Any],
                times: int) -> tuple[float, Any]:
        walls, result = [], None
        for _ in range(times):
            client = cloud.client()
            start = time.perf_counter()
            result = call(client)
            walls.append(time.perf_counter() - start)
        return _median(walls), result

    listing, _ = seconds(lambda c: c.providers(), 5)
    single, _ = seconds(lambda c: c.traits(uuid), 11)
    unnarrowed, summaries = seconds(
        lambda c: c.candidate_traits(placement._PROBE), 3)
    return {'listing_s': listing, 'single_read_s': single,
            'unnarrowed_query_s': unnarrowed,
            'unnarrowed_query_providers': len(summaries)}


def variant(**constants: Any) -> Refresh:
    """refresh_topology with some of its module constants set otherwise."""
    def refresh(client: placement_client.PlacementClient,
                known: Known) -> tuple[placement.Topology, Known]:
        saved = {name: getattr(placement, name) for name in constants}
        for name, value in constants.items():
            setattr(placement, name, value)
        try:
            return placement.refresh_topology(client, known)
        finally:
            for name, value in saved.items():
                setattr(placement, name, value)
    return refresh


#: Other designs, measured with --alternatives: the new way with its
#: queries not narrowed (one query summarizing every provider with room),
#: or narrowed in one query, or in groups of 17 (3 queries for 50).
ALTERNATIVES: dict[str, Refresh] = {
    'unnarrowed': variant(_narrowing=lambda *args: [], _MAX_GROUPS=1),
    'one-query': variant(_GROUP_SIZE=10 ** 9),
    'groups-of-17': variant(_GROUP_SIZE=17),
}


def run(args: argparse.Namespace) -> dict[str, Any]:
    start = time.perf_counter()
    cloud = Cloud(args)
    result: dict[str, Any] = {
        'config': {k: v for k, v in vars(args).items() if k != 'format'},
        'build_s': time.perf_counter() - start}
    found, known, first = timed(placement.refresh_topology, cloud.client(),
                                {})
    result['first_read'] = dict(first, providers_with_zha_traits=len(
        found.by_uuid))
    result['probes'] = probe(cloud, cloud.uuids[0])
    ways: dict[str, Refresh] = {'old': old_refresh,
                                'new': placement.refresh_topology}
    if args.alternatives:
        ways.update(ALTERNATIVES)
    state = {name: dict(known) for name in ways}
    rounds = []
    for turn in range(args.rounds):
        before = cloud.generations()
        done: dict[str, Any] = {'round': turn + 1,
                                'changed': cloud.change(turn)}
        after = cloud.generations()
        # Checked, off the clock: the providers whose generation changed.
        done['changed']['generations_changed'] = sum(
            before.get(u) != g for u, g in after.items())
        tops = {}
        # Interleaved: each way runs first in turn.
        names = list(ways)
        for name in names[turn % len(names):] + names[:turn % len(names)]:
            tops[name], state[name], done[name] = timed(
                ways[name], cloud.client(), state[name])
        full, _ = placement.read_topology(cloud.client())
        moved = done['changed']['trait_changed']
        for name, top in tops.items():
            done[name]['equals_full_read'] = top == full
            done[name]['trait_change_seen'] = (
                top.profile(moved) == full.profile(moved))
        rounds.append(done)
    result['ways'] = list(ways)
    result['rounds'] = rounds
    medians = {}
    for name in ways:
        medians[name] = {key: _median(r[name][key] for r in rounds)
                         for key in ('calls', 'wall_s', 'cpu_s')}
        medians[name]['max_calls'] = max(r[name]['calls'] for r in rounds)
        medians[name]['all_exact'] = all(r[name]['equals_full_read']
                                         for r in rounds)
    result['medians'] = medians
    new = medians['new']
    result['target'] = {
        'calls': TARGET_CALLS, 'seconds': TARGET_SECONDS,
        'met': (new['max_calls'] <= TARGET_CALLS and
                new['wall_s'] <= TARGET_SECONDS and new['all_exact'])}
    return result


def _split(split: Mapping[str, Mapping[str, float]]) -> str:
    return ', '.join('%s %d (%.3f s, %d providers)' % (
        kind, s['calls'], s['seconds'], s['providers'])
        for kind, s in sorted(split.items()))


def print_text(result: dict[str, Any]) -> None:
    c = result['config']
    print('%d providers, %d CPCs, %d consistency groups (%d per host), '
          '%s%% changed per round; built in %.0f s.'
          % (c['providers'], c['cpcs'], c['groups'], c['groups_per_host'],
             c['changed_percent'], result['build_s']))
    f = result['first_read']
    print('First read (per trait): %d calls, %.2f s wall, %.2f s CPU.'
          % (f['calls'], f['wall_s'], f['cpu_s']))
    p = result['probes']
    print('Probes: listing %.3f s; one provider\'s traits %.4f s; '
          'allocation candidates not narrowed %.3f s (%d providers).'
          % (p['listing_s'], p['single_read_s'], p['unnarrowed_query_s'],
             p['unnarrowed_query_providers']))
    row = '%-14s %5s %7s %7s %6s'
    for r in result['rounds']:
        ch = r['changed']
        print()
        print('Round %d: %d providers changed (generations: %d; a trait '
              'change: %s; %d filled)'
              % (r['round'], ch['providers'], ch['generations_changed'],
                 ch['trait_change'], ch['filled']))
        print(row % ('', 'calls', 'wall s', 'CPU s', 'exact'))
        for name in result['ways']:
            w = r[name]
            print(row % (name, w['calls'], '%.3f' % w['wall_s'],
                         '%.3f' % w['cpu_s'], w['equals_full_read']))
        print('  new: %s' % _split(r['new']['split']))
    print()
    print('Medians over %d rounds:' % len(result['rounds']))
    print(row % ('', 'calls', 'wall s', 'CPU s', 'exact') + ' max calls')
    for name in result['ways']:
        m = result['medians'][name]
        print(row % (name, '%g' % m['calls'], '%.3f' % m['wall_s'],
                     '%.3f' % m['cpu_s'], m['all_exact']) +
              ' %9d' % m['max_calls'])
    t = result['target']
    print()
    print('Target (new: <= %d calls, median <= %.1f s wall, exact): %s'
          % (t['calls'], t['seconds'], 'met' if t['met'] else 'NOT met'))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--providers', type=int, default=5000)
    parser.add_argument('--cpcs', type=int, default=50)
    parser.add_argument('--groups', type=int, default=200)
    parser.add_argument('--groups-per-host', type=int, default=5)
    parser.add_argument('--changed-percent', type=float, default=1.0)
    parser.add_argument('--full-hosts', type=int, default=1,
                        help='changed providers filled per round')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--seed', type=int, default=15)
    parser.add_argument('--alternatives', action='store_true',
                        help='also time the designs not chosen')
    parser.add_argument('--format', choices=('text', 'json'),
                        default='text')
    args = parser.parse_args()
    result = run(args)
    if args.format == 'json':
        json.dump(result, sys.stdout, indent=2, sort_keys=True)
        print()
    else:
        print_text(result)
    return 0 if result['target']['met'] else 1


if __name__ == '__main__':
    sys.exit(main())
