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

"""Health-aware placement through real Nova services and real Placement.

The host agent publishes every LPAR's traits from a fixture tree of an s390x
host (tests/fixtures/README.md). Each ZHA scenario has a stock-Nova twin
asserting the outcome the ZHA filters and weighers prevent, which shows the
scenario can fail.
"""

from zha_scheduler import placement
from zha_scheduler.sim import cloud

REQUIRED = {'zha:redundancy': 'required'}
PREFERRED = {'zha:redundancy': 'preferred'}


class _Scenarios(cloud.SimulatedCloud):
    """Helpers shared by the scenarios."""

    def flavor(self, name, extra_specs):
        """An m1.tiny-sized flavor with ``extra_specs`` (set at 2.94)."""
        return self._create_flavor(name=name, memory_mb=512, vcpu=1, disk=1,
                                   ephemeral=0, extra_spec=extra_specs)

    def hosts(self, servers):
        return sorted(self.host_of(s) for s in servers)

    def rank_for_stock_nova(self, *hosts):
        """Load ``hosts`` so stock Nova prefers them in this order.

        Each gets one server of 1, 2 and 8 m1.tiny units: Nova's capacity
        weighers then rank them by a margin below ZhaRedundancyWeigher's
        weight (the first two differ by 1/7 of each capacity weigher's
        range), and the I/O load is the same on every host.
        """
        for host, units in zip(hosts, (1, 2, 8), strict=True):
            self.load_host(host, flavor_id=self.load_flavor(units))


class _Degraded(_Scenarios):
    """lpar1: a bond slave down; lpar2: a failed SAN path; lpar3: healthy.

    Stock Nova prefers lpar1, then lpar3, then lpar2.
    """

    HOSTS = [cloud.SimHost('lpar1', 'Z1', fixture='slave-down'),
             cloud.SimHost('lpar2', 'Z1', fixture='failed-path'),
             cloud.SimHost('lpar3', 'Z2', fixture='healthy')]

    def setUp(self):
        super().setUp()
        self.rank_for_stock_nova('lpar1', 'lpar3', 'lpar2')

    def boot_required(self, count=3, expected_state='ACTIVE'):
        # Without the weigher only ZhaRedundancyFilter keeps lpar1 away.
        self.flags(redundancy_weight_multiplier=0.0, group='zha_scheduler')
        return self.boot_servers('ha', count, self.flavor('ha', REQUIRED),
                                 expected_state=expected_state)

    def steer(self):
        """One ordinary boot, then three of a preferred flavor at once."""
        ordinary = self.boot_servers('ordinary')
        preferred = self.boot_servers('preferred', 3,
                                      self.flavor('preferred', PREFERRED))
        return self.host_of(ordinary[0]), self.hosts(preferred)


class DegradedHostsTest(_Degraded):

    def test_required_flavor_lands_only_on_the_redundant_host(self):
        self.assertIn('CUSTOM_ZHA_NET_DEGRADED', self.provider_traits('lpar1'))
        self.assertIn('CUSTOM_ZHA_STORAGE_DEGRADED',
                      self.provider_traits('lpar2'))
        self.assertEqual(['lpar3'] * 3, self.hosts(self.boot_required()))

    def test_weigher_steers_boots_to_the_redundant_host(self):
        self.assertEqual(('lpar3', ['lpar3'] * 3), self.steer())

    def test_no_redundant_host_left_is_novalidhost_with_the_reason(self):
        self.run_agent('lpar3', 'same-chpid')
        placement.get_view().invalidate()
        (server,) = self.boot_required(1, expected_state='ERROR')
        self.assertIn('No valid host', server['fault']['message'])
        log = self.stdlog.logger.output
        self.assertIn("'ZhaRedundancyFilter: (start: 3, end: 0)'", log)
        self.assertIn(
            'ZhaRedundancyFilter rejected all 3 hosts for instance %s: the '
            'request requires redundant network and storage (flavor extra '
            'spec zha:redundancy=required), and none has both (network '
            'degraded: 2; storage degraded: 1).' % server['id'], log)


class DegradedHostsStockNovaTest(_Degraded):

    ZHA_ENABLED = False

    def test_required_flavor_lands_on_degraded_hosts(self):
        hosts = self.hosts(self.boot_required())
        self.assertIn('lpar1', hosts)

    def test_boots_go_to_a_degraded_host(self):
        ordinary, preferred = self.steer()
        self.assertEqual('lpar1', ordinary)
        self.assertNotEqual(['lpar3'] * 3, preferred)


class _Degrading(_Scenarios):
    """Two healthy LPARs; stock Nova prefers lpar1 for two HA boots."""

    HOSTS = [cloud.SimHost('lpar1', 'Z1', fixture='healthy'),
             cloud.SimHost('lpar2', 'Z2', fixture='healthy')]

    def boot_degrade_boot(self):
        """Boot, degrade lpar1 (agent run on the failed-path tree), boot.

        The redundancy weigher is off: only ZhaRedundancyFilter can turn
        the second boot away from lpar1.
        """
        self.flags(redundancy_weight_multiplier=0.0, group='zha_scheduler')
        self.load_host('lpar2', flavor_id=self.load_flavor(2))
        ha = self.flavor('ha', REQUIRED)
        first = self.boot_servers('ha-1', flavor_id=ha)
        self.assertEqual('CUSTOM_ZHA_STORAGE_DEGRADED', next(iter(
            self.run_agent('lpar1', 'failed-path').written.added)))
        second = self.boot_servers('ha-2', flavor_id=ha)
        return self.host_of(first[0]), self.host_of(second[0])


class DegradingHostTest(_Degrading):

    def test_host_stops_receiving_ha_boots_once_the_view_refreshes(self):
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        self.assertEqual(('lpar1', 'lpar2'), self.boot_degrade_boot())

    def test_within_the_cache_ttl_the_old_view_still_applies(self):
        # trait_cache_ttl = 30 (the shipped value): the scheduler has not
        # seen the agent's change yet.
        self.assertEqual(30, cloud.CONF.zha_scheduler.trait_cache_ttl)
        self.assertEqual(('lpar1', 'lpar1'), self.boot_degrade_boot())


class _ConsistencyGroups(_Scenarios):
    """lpar1 reaches SAP only, lpar2 ORA_PROD only, lpar3 both.

    Stock Nova prefers lpar1, then lpar3, then lpar2.
    """

    HOSTS = [cloud.SimHost('lpar1', 'Z1', fixture='failed-path'),
             cloud.SimHost('lpar2', 'Z1', fixture='same-fcp-device'),
             cloud.SimHost('lpar3', 'Z2', fixture='healthy')]

    def setUp(self):
        super().setUp()
        self.rank_for_stock_nova('lpar1', 'lpar3', 'lpar2')

    def boot_ora_prod(self):
        flavor = self.flavor('ora', {'zha:consistency_group': 'ORA_PROD'})
        return self.hosts(self.boot_servers('ora', 3, flavor))


class ConsistencyGroupTest(_ConsistencyGroups):

    def test_group_flavor_lands_only_where_the_group_is_reachable(self):
        self.assertNotIn('CUSTOM_ZHA_CG_ORA_PROD',
                         self.provider_traits('lpar1'))
        self.assertEqual(set(), set(self.boot_ora_prod()) - {'lpar2', 'lpar3'})

    def test_hint_adds_a_group_and_unknown_groups_find_no_host(self):
        flavor = self.flavor('ora', {'zha:consistency_group': 'ORA_PROD'})
        (both,) = self.boot_servers('both', flavor_id=flavor, hints={
            'zha_consistency_group': 'SAP'})
        self.assertEqual('lpar3', self.host_of(both))
        (nowhere,) = self.boot_servers('dr', hints={
            'zha_consistency_group': 'DR_ONLY'}, expected_state='ERROR')
        self.assertIn('No valid host', nowhere['fault']['message'])
        # How many hosts reach the filter depends on Placement's capacity
        # answer for this flavor; the reason must name the instance and trait.
        self.assertRegex(
            self.stdlog.logger.output,
            r'ZhaConsistencyGroupFilter rejected all \d+ hosts for instance '
            r'%s: none has CUSTOM_ZHA_CG_DR_ONLY' % nowhere['id'])


class ConsistencyGroupStockNovaTest(_ConsistencyGroups):

    ZHA_ENABLED = False

    def test_group_flavor_lands_where_the_group_is_not_reachable(self):
        self.assertIn('lpar1', self.boot_ora_prod())


class _Standby(_Scenarios):
    """lpar1 is the standby partition; lpar2 and lpar3 run the workload."""

    HOSTS = [cloud.SimHost('lpar1', 'Z1', fixture='healthy', standby=True),
             cloud.SimHost('lpar2', 'Z1', fixture='healthy'),
             cloud.SimHost('lpar3', 'Z2', fixture='healthy')]

    def boot_twenty(self):
        return self.boot_servers('ordinary', 20)


class StandbyTest(_Standby):

    def test_standby_stays_empty_yet_takes_requests_aimed_at_it(self):
        servers = self.boot_twenty()
        self.assertNotIn('lpar1', self.hosts(servers))
        # A boot naming the standby host (admin, 2.74) lands there.
        (targeted,) = self.load_host('lpar1')
        self.assertEqual('lpar1', self.host_of(targeted))
        on_lpar2 = [s for s in servers if self.host_of(s) == 'lpar2']
        self.fail_host('lpar2')
        # Not aimed at the standby: the scheduler picks a workload host.
        moved = self._evacuate_server(on_lpar2[0], expected_state='ACTIVE')
        self.assertEqual('lpar3', self.host_of(moved))
        # Aimed at the standby, as zha-evacuate does.
        recovered = self._evacuate_server(
            on_lpar2[1], {'host': 'lpar1'}, expected_host='lpar1',
            expected_state='ACTIVE')
        self.assertEqual('lpar1', self.host_of(recovered))
        # Once recovered there, a cold migration can still leave it.
        migrated = self._migrate_server(recovered, api=self.admin_api)
        self.assertEqual('lpar3', self.host_of(migrated))


class StandbyStockNovaTest(_Standby):

    ZHA_ENABLED = False

    def test_ordinary_boots_fill_the_standby_host(self):
        self.assertIn('lpar1', self.hosts(self.boot_twenty()))
