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

"""Unit tests of the live snapshot's reads: bulk, with per-provider fallback.

A fake Nova and a fake Placement answer the reads as the real services do
(tests/functional/test_snapshot_reads.py checks them against the real
ones): allocation candidates summarize only the providers with room for
what is asked, and ``max_unit``, ``min_unit`` and ``step_size`` count.
"""

import copy
import types
from urllib import parse

from oslotest import base

from tests.unit import zha_fakes
from zha_scheduler.clients import placement_client
from zha_scheduler.insight import collect
from zha_scheduler import traits

NOVA_AGGREGATE = 'aaaaaaaa-0000-0000-0000-000000000001'
SHARED_AGGREGATE = 'aaaaaaaa-0000-0000-0000-000000000002'
# Set on providers in Placement alone: neither Nova nor a sharing provider
# knows it, so the bulk read cannot find it.
PLACEMENT_ONLY_AGGREGATE = 'aaaaaaaa-0000-0000-0000-000000000003'
SHARING = 'ssssssss-0000-0000-0000-000000000000'


def _inventory(total, reserved=0, ratio=1.0, max_unit=None):
    return {'total': total, 'reserved': reserved, 'min_unit': 1,
            'max_unit': total if max_unit is None else max_unit,
            'step_size': 1, 'allocation_ratio': ratio}


def _capacity(inventory):
    return int((inventory['total'] - inventory['reserved']) *
               inventory['allocation_ratio'])


class FakePlacement:
    """A Placement adapter over providers, answering as Placement 1.29.

    :param providers: uuid -> dict with ``name``, ``traits``,
        ``inventories`` (as Placement returns them), ``usages`` and
        ``aggregates``.
    :param errors: {path prefix: status code} answered instead of data.
    """

    def __init__(self, providers, errors=None):
        self.providers = providers
        self.errors = dict(errors or {})
        self.urls = []
        #: Called after answering allocation candidates (a change then).
        self.after_candidates = None

    def get(self, url, microversion=None, raise_exc=False):
        self.urls.append(url)
        for prefix, status in self.errors.items():
            if url.startswith(prefix):
                return zha_fakes.FakeResponse(status, text='error %d' % status)
        split = parse.urlsplit(url)
        query = {k: v[-1] for k, v in parse.parse_qs(split.query).items()}
        parts = split.path.strip('/').split('/')
        if split.path == '/allocation_candidates':
            assert microversion == '1.29', microversion
            body = self._candidates(query['resources'])
            if self.after_candidates:
                self.after_candidates()
            return zha_fakes.FakeResponse(body=body)
        if split.path == '/resource_providers':
            return zha_fakes.FakeResponse(body={'resource_providers': [
                {'uuid': u, 'name': p['name'], 'generation': 1,
                 'root_provider_uuid': u}
                for u, p in self.providers.items()
                if query.get('required') in (None, *p['traits']) and
                query.get('member_of') in (None, *p['aggregates'])]})
        if parts[0] == 'resource_providers' and len(parts) == 3:
            found = self.providers.get(parts[1])
            if found is None:
                return zha_fakes.FakeResponse(404, text='no provider')
            key = parts[2]
            if key == 'usages':
                value = {rc: found['usages'].get(rc, 0)
                         for rc in found['inventories']}
            else:
                value = found[key]
            return zha_fakes.FakeResponse(body={
                key: copy.deepcopy(value), 'resource_provider_generation': 1})
        return zha_fakes.FakeResponse(404, text='not found')

    def _candidates(self, asked):
        need = dict((rc, int(n)) for rc, n in
                    (item.split(':') for item in asked.split(',')))
        summaries = {}
        for uuid, p in self.providers.items():
            invs = p['inventories']
            if all(rc in invs and
                   invs[rc]['min_unit'] <= n <= invs[rc]['max_unit'] and
                   n % invs[rc]['step_size'] == 0 and
                   n <= _capacity(invs[rc]) - p['usages'].get(rc, 0)
                   for rc, n in need.items()):
                summaries[uuid] = {
                    'resources': {rc: {'capacity': _capacity(inv),
                                       'used': p['usages'].get(rc, 0)}
                                  for rc, inv in invs.items()},
                    'traits': list(reversed(p['traits'])),
                    'parent_provider_uuid': None,
                    'root_provider_uuid': uuid}
        return {'allocation_requests': [
            {'allocations': {u: {'resources': need}}} for u in summaries],
            'provider_summaries': summaries}

    def per_provider_urls(self, kind):
        return [u for u in self.urls
                if u.startswith('/resource_providers/') and
                u.endswith('/' + kind)]


class FakeCompute:
    """The Nova calls of a snapshot, over hosts and aggregates."""

    def __init__(self, hosts, aggregates=(), errors=None):
        self.hosts = hosts
        self.aggregate_uuids = list(aggregates)
        self.errors = dict(errors or {})

    def services(self, binary=None):
        return [types.SimpleNamespace(
            id='service-' + h['name'], host=h['name'], state='up',
            is_forced_down=False,
            status='disabled' if h.get('disabled') else 'enabled',
            disabled_reason='maintenance' if h.get('disabled') else None)
            for h in self.hosts]

    def get(self, url, microversion=None, raise_exc=False):
        if url in self.errors:
            return zha_fakes.FakeResponse(self.errors[url], text='refused')
        if url == '/os-aggregates':
            assert microversion == '2.41', microversion
            return zha_fakes.FakeResponse(body={'aggregates': [
                {'uuid': a, 'hosts': []} for a in self.aggregate_uuids]})
        if url == '/os-hypervisors/detail':
            return zha_fakes.FakeResponse(body={'hypervisors': [
                {'id': h['uuid'], 'hypervisor_hostname': h['name'] + '.node',
                 'hypervisor_type': 'fake',
                 'service': {'host': h['name']}} for h in self.hosts]})
        return zha_fakes.FakeResponse(404, text='not found')

    def servers(self, **kwargs):
        return []

    def server_groups(self, **kwargs):
        return []

    def flavors(self, **kwargs):
        return []


def cloud(count, full=(), disabled=(), placement_errors=None):
    """``count`` hosts of varied shapes; ``full`` ones have no room left.

    Every third host is in Nova's aggregate, every fourth shares the
    sharing provider's aggregate.
    """
    hosts, providers = [], {}
    for index in range(count):
        name = 'lpar%d' % index
        uuid = 'cccccccc-0000-0000-0000-%012d' % index
        inventories = {
            'VCPU': _inventory(8 + index % 3, ratio=4.0),
            'MEMORY_MB': _inventory(16384, reserved=512 + index,
                                    ratio=1.0 + index % 2 / 2,
                                    max_unit=8192),
            'DISK_GB': _inventory(100 + index, reserved=index % 5)}
        if name in full:
            usages = {rc: _capacity(inv) for rc, inv in inventories.items()}
        else:
            usages = {'VCPU': index % 7, 'MEMORY_MB': 512 * (index % 4)}
        aggregates = []
        if index % 3 == 0:
            aggregates.append(NOVA_AGGREGATE)
        if index % 4 == 0:
            aggregates.append(SHARED_AGGREGATE)
        providers[uuid] = {
            'name': name + '.node', 'inventories': inventories,
            'usages': usages, 'aggregates': aggregates,
            'traits': sorted(['COMPUTE_NODE', traits.cpc_trait(
                'Z%d' % (index % 4))])}
        hosts.append({'name': name, 'uuid': uuid,
                      'disabled': name in disabled})
    providers[SHARING] = {
        'name': 'shared-storage', 'usages': {}, 'aggregates': [
            SHARED_AGGREGATE],
        'inventories': {'DISK_GB': _inventory(10000)},
        'traits': [placement_client.SHARES_VIA_AGGREGATE]}
    return types.SimpleNamespace(
        compute=FakeCompute(hosts, [NOVA_AGGREGATE]),
        placement=FakePlacement(providers, placement_errors))


class CollectTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.clients = self.useFixture(zha_fakes.PlacementClients()).made

    def read(self, conn, bulk=True):
        """The snapshot and the Placement calls (PlacementClient.calls)."""
        snap = collect.collect(conn, bulk=bulk)
        calls = self.clients[-1].calls
        # Every call the client counted is one the adapter answered.
        self.assertEqual(len(conn.placement.urls), calls)
        conn.placement.urls.clear()
        return snap, calls

    def test_bulk_read_equals_the_per_provider_read(self):
        conn = cloud(12, full={'lpar5'}, disabled={'lpar2'})
        bulk, _ = self.read(conn)
        reference, calls = self.read(conn, bulk=False)
        self.assertEqual(1 + 4 * 12, calls)
        self.assertEqual(reference.hosts, bulk.hosts)
        host = bulk.host_named()['lpar3']
        self.assertEqual(([NOVA_AGGREGATE], 8, 512 + 3, 1.5, 8192),
                         (host.aggregates, host.inventories['VCPU'].total,
                          host.inventories['MEMORY_MB'].reserved,
                          host.inventories['MEMORY_MB'].allocation_ratio,
                          host.inventories['MEMORY_MB'].max_unit))
        self.assertEqual({'VCPU': 3, 'MEMORY_MB': 1536, 'DISK_GB': 0},
                         host.usages)
        self.assertEqual(sorted([NOVA_AGGREGATE, SHARED_AGGREGATE]),
                         bulk.host_named()['lpar0'].aggregates)
        self.assertTrue(bulk.host_named()['lpar2'].service_disabled)

    def test_calls_beyond_one_inventory_read_per_host_do_not_grow(self):
        beyond = {}
        for count in (10, 200):
            conn = cloud(count)
            snap, calls = self.read(conn)
            self.assertEqual(count, len(snap.hosts))
            beyond[count] = calls - count
        # The provider list, one candidate query, the sharing providers,
        # the sharing provider's aggregates, two aggregates' members.
        self.assertEqual({10: 6, 200: 6}, beyond)

    def test_only_inventories_are_read_per_host_with_room(self):
        conn = cloud(20)
        placement = conn.placement
        collect.collect(conn)
        self.assertEqual(['/allocation_candidates?resources=VCPU:1'],
                         [u for u in placement.urls
                          if u.startswith('/allocation_candidates')])
        self.assertEqual(20, len(placement.per_provider_urls('inventories')))
        for kind in ('traits', 'usages'):
            self.assertEqual([], placement.per_provider_urls(kind))
        # The sharing provider's aggregates only.
        self.assertEqual(['/resource_providers/%s/aggregates' % SHARING],
                         placement.per_provider_urls('aggregates'))

    def test_a_full_host_is_read_per_provider_and_exactly(self):
        conn = cloud(10, full={'lpar4'})
        full = 'cccccccc-0000-0000-0000-%012d' % 4
        snap, calls = self.read(conn)
        reference, _ = self.read(conn, bulk=False)
        self.assertEqual(reference.hosts, snap.hosts)
        host = snap.host_named()['lpar4']
        self.assertEqual(0, host.room().free['MEMORY_MB'])
        self.assertEqual(host.inventories['DISK_GB'].capacity,
                         host.usages['DISK_GB'])
        # Every class asked; then the full host alone read per provider.
        collect.collect(conn)
        self.assertEqual(
            ['/allocation_candidates?resources=%s:1' % rc
             for rc in collect.SUMMARY_CLASSES],
            [u for u in conn.placement.urls
             if u.startswith('/allocation_candidates')])
        for kind in ('traits', 'usages'):
            self.assertEqual(['/resource_providers/%s/%s' % (full, kind)],
                             conn.placement.per_provider_urls(kind))
        # Three candidate queries and three more reads of the full host.
        self.assertEqual(6 + 2 + 3, calls - 10)

    def test_a_host_with_no_vcpu_room_is_found_by_memory(self):
        conn = cloud(6)
        provider = conn.placement.providers[
            'cccccccc-0000-0000-0000-%012d' % 2]
        provider['usages']['VCPU'] = _capacity(
            provider['inventories']['VCPU'])
        snap, _ = self.read(conn)
        reference, _ = self.read(conn, bulk=False)
        self.assertEqual(reference.hosts, snap.hosts)
        collect.collect(conn)
        self.assertEqual(2, sum(u.startswith('/allocation_candidates')
                                for u in conn.placement.urls))
        self.assertEqual([], conn.placement.per_provider_urls('usages'))

    def test_a_max_unit_below_one_unit_leaves_it_to_the_fallback(self):
        # As step_size or min_unit above 1: no candidate for one unit.
        conn = cloud(4)
        uuid = 'cccccccc-0000-0000-0000-%012d' % 1
        for inventory in conn.placement.providers[uuid][
                'inventories'].values():
            inventory['min_unit'] = 2
        snap, _ = self.read(conn)
        reference, _ = self.read(conn, bulk=False)
        self.assertEqual(reference.hosts, snap.hosts)

    def test_an_inventory_changed_between_reads_is_read_again(self):
        conn = cloud(4)
        uuid = 'cccccccc-0000-0000-0000-%012d' % 3
        provider = conn.placement.providers[uuid]

        def change():
            provider['inventories']['MEMORY_MB']['reserved'] = 4096
            provider['usages']['MEMORY_MB'] = 2048
            conn.placement.after_candidates = None
        conn.placement.after_candidates = change
        snap, _ = self.read(conn)
        host = snap.host_named()['lpar3']
        self.assertEqual((4096, 2048),
                         (host.inventories['MEMORY_MB'].reserved,
                          host.usages['MEMORY_MB']))
        reference, _ = self.read(conn, bulk=False)
        self.assertEqual(reference.hosts, snap.hosts)

    def test_an_aggregate_set_in_placement_alone_is_not_seen(self):
        # The limit of the bulk read, pinned: Placement lists no
        # provider's aggregates in bulk.
        conn = cloud(3)
        uuid = 'cccccccc-0000-0000-0000-%012d' % 1
        conn.placement.providers[uuid]['aggregates'].append(
            PLACEMENT_ONLY_AGGREGATE)
        snap, _ = self.read(conn)
        reference, _ = self.read(conn, bulk=False)
        self.assertEqual([], snap.host_named()['lpar1'].aggregates)
        self.assertEqual([PLACEMENT_ONLY_AGGREGATE],
                         reference.host_named()['lpar1'].aggregates)

    def test_a_hypervisor_without_provider_is_left_out(self):
        conn = cloud(3)
        del conn.placement.providers['cccccccc-0000-0000-0000-%012d' % 0]
        snap, _ = self.read(conn)
        self.assertEqual(['lpar1', 'lpar2'], [h.name for h in snap.hosts])

    def test_a_failed_bulk_read_is_a_collect_error(self):
        for prefix in ('/allocation_candidates',
                       '/resource_providers?member_of',
                       '/resource_providers?required',
                       '/resource_providers/cccccccc'):
            conn = cloud(3, placement_errors={prefix: 503})
            self.assertRaisesRegex(
                collect.CollectError,
                'reading the cloud failed: GET %s.* returned 503'
                % prefix.replace('?', r'\?'), collect.collect, conn)

    def test_a_refused_nova_aggregate_list_is_a_collect_error(self):
        conn = cloud(3)
        conn.compute.errors['/os-aggregates'] = 403
        self.assertRaisesRegex(
            collect.CollectError,
            'reading the cloud failed: Nova GET /os-aggregates returned 403',
            collect.collect, conn)
        # The per-provider read does not ask Nova for aggregates.
        self.assertEqual(3, len(collect.collect(conn, bulk=False).hosts))
