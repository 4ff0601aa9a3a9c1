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

"""The live snapshot's bulk Placement reads against real Nova and Placement.

The bulk read must give, host by host, what the per-provider read gives
(four GETs per compute node, the reference), with a host full in every
resource class (no allocation candidate: read per provider), a disabled
one and a Nova aggregate; and its Placement calls beyond one inventory
read per host must be as many on a bigger grid.
"""

import fixtures

from tests.unit import zha_fakes
from zha_scheduler.insight import collect
from zha_scheduler.sim import client
from zha_scheduler.sim import cloud

FULL = 'cpc1-lpar2'
DISABLED = 'cpc2-lpar1'
IN_AGGREGATE = ('cpc1-lpar1', 'cpc2-lpar2')
# The provider list, three candidate queries (the full host is in none),
# the sharing providers (none), the aggregate's members, and the full
# host's traits, usages and aggregates.
BEYOND_INVENTORIES = 1 + 3 + 1 + 1 + 3


class SnapshotReadsTest(cloud.SimulatedCloud):
    """Two CPCs of two LPARs."""

    HOSTS = cloud.grid(cpcs=2, lpars_per_cpc=2)

    def setUp(self):
        super().setUp()
        self.conn = client.connection(self)
        self.urls = []
        real_get = self.conn.placement.get

        def get(url, **kwargs):
            self.urls.append(url)
            return real_get(url, **kwargs)
        self.useFixture(fixtures.MockPatchObject(
            self.conn.placement, 'get', get))
        self.clients = self.useFixture(zha_fakes.PlacementClients()).made

    def fill(self, host):
        """Boot four servers that take all of a MediumFakeDriver host.

        10 VCPUs at allocation ratio 4, 8192 - 512 MB, 1028 GB: no class
        has one unit left.
        """
        flavor = self._create_flavor(name='quarter', vcpu=10,
                                     memory_mb=1920, disk=257, ephemeral=0)
        self.load_host(host, count=4, flavor_id=flavor)

    def read(self, bulk=True):
        """A live snapshot, its Placement calls and the URLs asked."""
        del self.urls[:]
        snap = collect.collect(self.conn, bulk=bulk)
        self.assertEqual(len(self.urls), self.clients[-1].calls)
        return snap, self.clients[-1].calls, list(self.urls)

    def test_bulk_read_equals_the_per_provider_read(self):
        aggregate = self.admin_api.post_aggregate(
            {'aggregate': {'name': 'rack1'}})
        for host in IN_AGGREGATE:
            self.admin_api.add_host_to_aggregate(aggregate['id'], host)
        self.fill(FULL)
        self.load_host('cpc1-lpar1', count=2)
        service = self.admin_api.get_services(
            host=DISABLED, binary='nova-compute')[0]
        self.admin_api.put_service(service['id'], {
            'status': 'disabled', 'disabled_reason': 'maintenance'})

        bulk, calls, urls = self.read()
        reference, reference_calls, _ = self.read(bulk=False)
        self.assertEqual(1 + 4 * len(self.HOSTS), reference_calls)
        self.assertEqual([h.name for h in reference.hosts],
                         [h.name for h in bulk.hosts])
        for expected, found in zip(reference.hosts, bulk.hosts):
            self.assertEqual(expected, found)

        hosts = bulk.host_named()
        full = hosts[FULL]
        self.assertEqual({'VCPU': 0, 'MEMORY_MB': 0, 'DISK_GB': 0},
                         full.room().free)
        self.assertEqual({'VCPU': 40, 'MEMORY_MB': 7680, 'DISK_GB': 1028},
                         full.usages)
        # The full host is in no allocation candidate: read per provider.
        placement = self.clients[-1]
        self.assertEqual(collect._read_provider(placement, full.uuid),
                         {'traits': full.traits,
                          'inventories': full.inventories,
                          'usages': full.usages,
                          'aggregates': full.aggregates})
        for kind in ('traits', 'usages', 'aggregates'):
            self.assertEqual(
                ['/resource_providers/%s/%s' % (full.uuid, kind)],
                [u for u in urls if u.startswith('/resource_providers/') and
                 u.endswith('/' + kind)])
        self.assertEqual(
            ['/allocation_candidates?resources=%s:1' % rc
             for rc in collect.SUMMARY_CLASSES],
            [u for u in urls if u.startswith('/allocation_candidates')])

        disabled = hosts[DISABLED]
        self.assertEqual((True, 'maintenance'),
                         (disabled.service_disabled,
                          disabled.disabled_reason))
        self.assertIn('COMPUTE_STATUS_DISABLED', disabled.traits)
        self.assertEqual(
            {h: [aggregate['uuid']] for h in IN_AGGREGATE},
            {h: hosts[h].aggregates for h in IN_AGGREGATE})
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 2},
                         hosts['cpc1-lpar1'].usages)

        # One inventory read per host; the rest does not grow with them.
        self.assertEqual(len(self.HOSTS), sum(
            u.endswith('/inventories') for u in urls))
        self.assertEqual(BEYOND_INVENTORIES, calls - len(self.HOSTS))

    def test_a_cloud_with_room_everywhere_asks_one_candidate_query(self):
        bulk, calls, urls = self.read()
        reference, _, _ = self.read(bulk=False)
        self.assertEqual(reference.hosts, bulk.hosts)
        self.assertEqual(['/allocation_candidates?resources=VCPU:1'],
                         [u for u in urls
                          if u.startswith('/allocation_candidates')])
        # The provider list, one query, the sharing providers (no
        # aggregate to ask about).
        self.assertEqual(len(self.HOSTS) + 3, calls)


class BiggerGridSnapshotReadsTest(SnapshotReadsTest):
    """Three CPCs of three LPARs: as many calls beyond the inventories."""

    HOSTS = cloud.grid(cpcs=3, lpars_per_cpc=3)
