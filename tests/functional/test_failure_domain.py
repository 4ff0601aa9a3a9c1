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

"""Failure-domain spreading through real Nova services and real Placement."""

import collections

from nova.tests.functional.api import client

from zha_scheduler.filters import failure_domain as filter_module
from zha_scheduler.sim import cloud
from zha_scheduler.weights import failure_domain as weigher_module

MAX_SKEW_WARNING = ("Ignoring scheduler hint zha_max_skew='abc': it must be "
                    "an integer >= 1. Using 1.")


class _Scenarios(cloud.SimulatedCloud):
    """Boot sequences run alike by the ZHA and the stock Nova classes."""

    def cpcs(self, servers):
        return [self.cpc_of(self.host_of(s)) for s in servers]

    def load_cpcs(self, *cpcs, flavor_id=None):
        for host in self.HOSTS:
            if host.cpc in cpcs:
                self.load_host(host.name, flavor_id=flavor_id)

    def sibling_of(self, host):
        return next(h.name for h in self.HOSTS
                    if h.cpc == self.cpc_of(host) and h.name != host)


class _TwoCpcs(_Scenarios):
    """Two CPCs of two LPARs."""

    HOSTS = cloud.grid(cpcs=2, lpars_per_cpc=2)

    def boot_pair_with_z2_loaded(self, hints=None):
        self.load_cpcs('Z2')
        return self.boot_members(self.create_group('anti-affinity'), 2, hints)

    def evacuate_z1_member(self):
        """Evacuate the Z1 member of a pair on cpc1-lpar1 and cpc2-lpar1.

        The Z1 sibling then gets two more, larger servers than cpc2-lpar2
        runs, so that Nova's weighers favour moving the member to Z2 even
        with ZhaFailureDomainWeigher's preference for Z1 added.
        """
        self.load_host('cpc1-lpar2')
        self.load_host('cpc2-lpar2')
        servers = self.boot_members(self.create_group('anti-affinity'), 2)
        self.assertEqual({'cpc1-lpar1', 'cpc2-lpar1'},
                         {self.host_of(s) for s in servers})
        member = next(s for s in servers if self.host_of(s) == 'cpc1-lpar1')
        self.load_host('cpc1-lpar2', count=2, flavor_id=self.load_flavor(4))
        self.fail_host('cpc1-lpar1')
        return self._evacuate_server(member, expected_state='ACTIVE')

    def evacuate_z1_member_to_z2(self):
        """Evacuate the Z1 member of a pair to the Z2 member's sibling.

        :returns: the member and its evacuation's migration record.
        """
        self.load_host('cpc1-lpar2')
        self.load_host('cpc2-lpar2')
        servers = self.boot_members(self.create_group('anti-affinity'), 2)
        member = next(s for s in servers if self.host_of(s) == 'cpc1-lpar1')
        self.fail_host('cpc1-lpar1')
        try:
            self.admin_api.post_server_action(
                member['id'], {'evacuate': {'host': 'cpc2-lpar2'}})
        except client.OpenStackApiException as exc:
            # Casts are calls in Nova's functional base, so the conductor's
            # NoValidHost comes back through the API call.
            self.assertIn('NoValidHost', str(exc))
        migration = self._wait_for_migration_status(member, ['error', 'done'])
        return self.admin_api.get_server(member['id']), migration

    def boot_soft_pair(self):
        """Boot a soft-anti-affinity pair; the Z1 sibling has the most room.

        The first member's host is then loaded with 3 more servers, so that
        the second member sees the idle Z1 sibling ahead of the Z2 LPARs by
        a margin the soft-anti-affinity weigher alone does not overcome.
        """
        self.load_cpcs('Z2')
        group = self.create_group('soft-anti-affinity')
        first = self.boot_in_group(group, 'member-0')
        self.load_host(self.host_of(first), count=3)
        return [first, self.boot_in_group(group, 'member-1')]


class TwoCpcTest(_TwoCpcs):

    def test_two_member_group_lands_on_two_cpcs(self):
        servers = self.boot_pair_with_z2_loaded()
        self.assertEqual(['Z1', 'Z2'], self.cpcs(servers))

    def test_evacuated_member_moves_to_its_cpc_sibling(self):
        server = self.evacuate_z1_member()
        self.assertEqual('cpc1-lpar2', self.host_of(server))
        self.assertEqual('ACTIVE', server['status'])

    def test_evacuation_to_a_named_host_on_the_other_members_cpc_fails(self):
        server, migration = self.evacuate_z1_member_to_z2()
        self.assertEqual('error', migration['status'])
        self.assertEqual('cpc1-lpar1', self.host_of(server))

    def test_soft_anti_affinity_member_prefers_other_cpc(self):
        servers = self.boot_soft_pair()
        self.assertEqual(['Z1', 'Z2'], self.cpcs(servers))

    def test_invalid_max_skew_hint_is_ignored_with_warning(self):
        servers = self.boot_pair_with_z2_loaded({'zha_max_skew': 'abc'})
        self.assertEqual(['Z1', 'Z2'], self.cpcs(servers))
        self.assertIn(MAX_SKEW_WARNING, self.stdlog.logger.output)


class TwoCpcStockNovaTest(_TwoCpcs):

    ZHA_ENABLED = False

    def test_two_member_group_lands_on_one_cpc(self):
        servers = self.boot_pair_with_z2_loaded()
        self.assertEqual(['Z1', 'Z1'], self.cpcs(servers))

    def test_evacuated_member_moves_to_other_cpc(self):
        server = self.evacuate_z1_member()
        self.assertEqual('cpc2-lpar2', self.host_of(server))

    def test_evacuation_to_a_named_host_on_the_other_members_cpc_works(self):
        server, migration = self.evacuate_z1_member_to_z2()
        self.assertEqual('done', migration['status'])
        self.assertEqual('cpc2-lpar2', self.host_of(server))

    def test_soft_anti_affinity_member_stays_on_one_cpc(self):
        servers = self.boot_soft_pair()
        self.assertEqual(['Z1', 'Z1'], self.cpcs(servers))


class _ThreeCpcs(_Scenarios):
    """Three CPCs of three LPARs; every LPAR of Z2 and Z3 runs a server."""

    HOSTS = cloud.grid(cpcs=3, lpars_per_cpc=3)

    def setUp(self):
        super().setUp()
        self.load_cpcs('Z2', 'Z3')


class ThreeCpcTest(_ThreeCpcs):

    def test_six_sequential_members_land_two_per_cpc(self):
        servers = self.boot_members(self.create_group('anti-affinity'), 6)
        self.assertEqual({'Z1': 2, 'Z2': 2, 'Z3': 2},
                         collections.Counter(self.cpcs(servers)))

    def test_multi_create_of_three_lands_on_three_cpcs(self):
        servers = self.boot_many_in_group(
            self.create_group('anti-affinity'), 'member', 3)
        self.assertEqual(['Z1', 'Z2', 'Z3'], sorted(self.cpcs(servers)))

    def test_multi_create_of_six_lands_two_per_cpc(self):
        servers = self.boot_many_in_group(
            self.create_group('anti-affinity'), 'member', 6)
        self.assertEqual({'Z1': 2, 'Z2': 2, 'Z3': 2},
                         collections.Counter(self.cpcs(servers)))

    def test_max_skew_hint_of_two_allows_two_members_per_cpc(self):
        servers = self.boot_members(self.create_group('anti-affinity'), 3,
                                    {'zha_max_skew': '2'})
        cpcs = self.cpcs(servers)
        self.assertEqual(['Z1', 'Z1'], cpcs[:2])
        self.assertNotEqual('Z1', cpcs[2])


class ThreeCpcStockNovaTest(_ThreeCpcs):

    ZHA_ENABLED = False

    def test_six_sequential_members_fill_one_cpc_first(self):
        servers = self.boot_members(self.create_group('anti-affinity'), 6)
        self.assertEqual(['Z1', 'Z1', 'Z1'], self.cpcs(servers)[:3])

    def test_multi_create_of_three_lands_on_one_cpc(self):
        servers = self.boot_many_in_group(
            self.create_group('anti-affinity'), 'member', 3)
        self.assertEqual(['Z1', 'Z1', 'Z1'], self.cpcs(servers))

    def test_multi_create_of_six_fills_one_cpc(self):
        servers = self.boot_many_in_group(
            self.create_group('anti-affinity'), 'member', 6)
        self.assertEqual(3, self.cpcs(servers).count('Z1'))


class _TwoSites(_Scenarios):
    """Z1 and Z3 in site DC1, Z2 in DC2; Z2 is loaded more than Z3."""

    HOSTS = cloud.grid(cpcs=3, lpars_per_cpc=2, sites=2)

    def boot_pair(self, hints=None):
        self.load_cpcs('Z3')
        self.load_cpcs('Z2', flavor_id=self.load_flavor(2))
        return self.boot_members(self.create_group('anti-affinity'), 2, hints)


class TwoSiteTest(_TwoSites):

    def test_pair_spreads_over_cpcs_of_one_site_by_default(self):
        servers = self.boot_pair()
        self.assertEqual(['Z1', 'Z3'], self.cpcs(servers))

    def test_site_spread_domain_hint_spreads_pair_over_sites(self):
        servers = self.boot_pair({'zha_spread_domain': 'site'})
        self.assertEqual(['Z1', 'Z2'], self.cpcs(servers))


class TwoSiteStockNovaTest(_TwoSites):

    ZHA_ENABLED = False

    def test_pair_lands_on_one_cpc(self):
        servers = self.boot_pair()
        self.assertEqual(['Z1', 'Z1'], self.cpcs(servers))


class NoTopologyTest(_Scenarios):
    """Four LPARs without ZHA traits: every decision is stock Nova's.

    Equal weights are ordered by Nova's host iteration, which follows the
    random compute node uuids, so two clouds cannot be compared boot by boot;
    instead every pass of the ZHA filter and weigher is watched.
    """

    HOSTS = [cloud.SimHost('lpar%d' % index) for index in range(1, 5)]

    def test_zha_filter_and_weigher_leave_every_decision_to_nova(self):
        filtered, weighed = [], []
        real_filter = filter_module.ZhaFailureDomainFilter.filter_all
        real_weigh = weigher_module.ZhaFailureDomainWeigher.weigh_objects

        def watch_filter(filt, hosts, spec_obj):
            hosts = list(hosts)
            passed = real_filter(filt, hosts, spec_obj)
            filtered.append((len(hosts), len(passed)))
            return passed

        def watch_weigher(weigher, weighed_hosts, spec_obj):
            weights = real_weigh(weigher, weighed_hosts, spec_obj)
            weighed.append(weights)
            return weights

        self.stub_out('zha_scheduler.filters.failure_domain.'
                      'ZhaFailureDomainFilter.filter_all', watch_filter)
        self.stub_out('zha_scheduler.weights.failure_domain.'
                      'ZhaFailureDomainWeigher.weigh_objects', watch_weigher)
        self.load_host('lpar2')
        members = self.boot_members(self.create_group('anti-affinity'), 3)
        batch = self.boot_many_in_group(
            self.create_group('soft-anti-affinity', 'batch'), 'batch', 2)
        self.assertEqual(3, len({self.host_of(s) for s in members}))
        self.assertEqual(2, len(batch))
        # At least one pass per grouped boot (3 members, 2 in the batch).
        self.assertGreaterEqual(len(filtered), 5)
        self.assertEqual([], [f for f in filtered if f[0] != f[1]])
        self.assertTrue(weighed)
        self.assertEqual([], [w for w in weighed if set(w) != {0.0}])
