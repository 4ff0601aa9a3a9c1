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

"""A FICON channel path of a DASD goes offline: the host stops taking HA.

Two LPARs keep their guest disks on ECKD DASD (fixture ``dasd-healthy``:
four DASD with two to four channel paths each). On lpar1, CHPID 41 is
varied offline (fixture ``dasd-chp-offline``): DASD 0.0.0100 is left with
one path. The real agent publishes that, the real scheduler reads it, and
Nova's own services place the boots. A stock-Nova twin shows that without
the ZHA filters the next HA boot would still land on lpar1.
"""

from zha_scheduler.sim import cloud

REQUIRED = {'zha:redundancy': 'required'}
REDUNDANT = 'CUSTOM_ZHA_STORAGE_REDUNDANT'
DEGRADED = 'CUSTOM_ZHA_STORAGE_DEGRADED'


class _DasdHosts(cloud.SimulatedCloud):
    """lpar1 and lpar2 on DASD; stock Nova prefers lpar1."""

    HOSTS = [cloud.SimHost('lpar1', 'Z1', fixture='dasd-healthy'),
             cloud.SimHost('lpar2', 'Z2', fixture='dasd-healthy')]

    def setUp(self):
        super().setUp()
        # Only ZhaRedundancyFilter may turn a boot away from lpar1; the
        # scheduler reads Placement at every request.
        self.flags(redundancy_weight_multiplier=0.0, group='zha_scheduler')
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        self.load_host('lpar2', flavor_id=self.load_flavor(2))
        self.ha = self._create_flavor(name='ha', memory_mb=512, vcpu=1,
                                      disk=1, ephemeral=0,
                                      extra_spec=REQUIRED)

    def boot_ha(self, name):
        (server,) = self.boot_servers(name, flavor_id=self.ha)
        return self.host_of(server)

    def path_offline(self):
        """Vary CHPID 41 of lpar1 offline: its agent publishes the tree."""
        return self.run_agent('lpar1', 'dasd-chp-offline')


class DasdPathOfflineTest(_DasdHosts):

    def test_path_offline_degrades_the_host_and_ha_boots_go_elsewhere(self):
        self.assertIn(REDUNDANT, self.provider_traits('lpar1'))
        self.assertEqual('lpar1', self.boot_ha('ha-1'))

        report = self.path_offline()
        self.assertEqual({DEGRADED}, report.written.added)
        self.assertEqual({REDUNDANT}, report.written.removed)
        storage = report.details['storage']
        self.assertEqual('degraded', storage['state'])
        self.assertEqual(
            '1 of 2 channel paths usable; CHPID 41 offline',
            storage['dasd']['devices']['0.0.0100']['reason'])

        self.assertEqual('lpar2', self.boot_ha('ha-2'))
        # A flavor that does not ask for redundancy may still go there: the
        # filters pass lpar1 for a boot aimed at it.
        (ordinary,) = self.boot_on('lpar1', 'ordinary')
        self.assertEqual('lpar1', self.host_of(ordinary))

    def test_path_back_online_restores_the_host(self):
        self.path_offline()
        self.assertEqual('lpar2', self.boot_ha('ha-1'))
        report = self.run_agent('lpar1', 'dasd-healthy')
        self.assertEqual({REDUNDANT}, report.written.added)
        self.assertIn(REDUNDANT, self.provider_traits('lpar1'))
        self.assertEqual('lpar1', self.boot_ha('ha-2'))


class DasdPathOfflineStockNovaTest(_DasdHosts):

    ZHA_ENABLED = False

    def test_ha_boot_lands_on_the_degraded_host(self):
        self.assertEqual('lpar1', self.boot_ha('ha-1'))
        self.assertIn(DEGRADED, self.path_offline().written.added)
        self.assertEqual('lpar1', self.boot_ha('ha-2'))
