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

"""Unit tests for zha_scheduler.topology."""

from oslotest import base

from zha_scheduler import topology
from zha_scheduler import traits

LOGGER = 'zha_scheduler.topology'


class ProfileFromTraitsTest(base.BaseTestCase):

    def test_no_traits_is_unknown(self):
        profile = topology.profile_from_traits([])
        self.assertEqual(topology.UNKNOWN, profile)
        self.assertIsNone(profile.cpc)
        self.assertIsNone(profile.site)
        self.assertFalse(profile.standby)
        self.assertIsNone(profile.network)
        self.assertIsNone(profile.storage)
        self.assertEqual(frozenset(), profile.consistency_groups)

    def test_cpc(self):
        profile = topology.profile_from_traits(
            ['CUSTOM_ZHA_CPC_3931_02_A1B2C'])
        self.assertEqual('3931_02_A1B2C', profile.cpc)
        self.assertIsNone(profile.site)

    def test_site(self):
        profile = topology.profile_from_traits(['CUSTOM_ZHA_SITE_DC1'])
        self.assertEqual('DC1', profile.site)
        self.assertIsNone(profile.cpc)

    def test_standby(self):
        self.assertTrue(
            topology.profile_from_traits([traits.STANDBY]).standby)

    def test_network_redundant(self):
        profile = topology.profile_from_traits([traits.NET_REDUNDANT])
        self.assertEqual(topology.REDUNDANT, profile.network)
        self.assertIsNone(profile.storage)

    def test_network_degraded(self):
        profile = topology.profile_from_traits([traits.NET_DEGRADED])
        self.assertEqual(topology.DEGRADED, profile.network)

    def test_storage_redundant(self):
        profile = topology.profile_from_traits([traits.STORAGE_REDUNDANT])
        self.assertEqual(topology.REDUNDANT, profile.storage)
        self.assertIsNone(profile.network)

    def test_storage_degraded(self):
        profile = topology.profile_from_traits([traits.STORAGE_DEGRADED])
        self.assertEqual(topology.DEGRADED, profile.storage)

    def test_consistency_groups(self):
        profile = topology.profile_from_traits(
            ['CUSTOM_ZHA_CG_ORA', 'CUSTOM_ZHA_CG_SAP'])
        self.assertEqual(frozenset({'ORA', 'SAP'}), profile.consistency_groups)

    def test_every_trait_together(self):
        profile = topology.profile_from_traits([
            'CUSTOM_ZHA_CPC_Z1', 'CUSTOM_ZHA_SITE_DC1', traits.STANDBY,
            traits.NET_REDUNDANT, traits.STORAGE_DEGRADED,
            'CUSTOM_ZHA_CG_ORA'])
        self.assertEqual(
            topology.HostProfile(cpc='Z1', site='DC1', standby=True,
                                 network=topology.REDUNDANT,
                                 storage=topology.DEGRADED,
                                 consistency_groups=frozenset({'ORA'})),
            profile)

    def test_network_redundant_and_degraded_is_degraded_with_warning(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            profile = topology.profile_from_traits(
                [traits.NET_REDUNDANT, traits.NET_DEGRADED], host='lpar1')
        self.assertEqual(topology.DEGRADED, profile.network)
        self.assertIsNone(profile.storage)
        self.assertEqual(1, len(logs.records))
        self.assertEqual('WARNING', logs.records[0].levelname)
        self.assertIn('lpar1', logs.records[0].getMessage())
        self.assertIn('network', logs.records[0].getMessage())

    def test_storage_redundant_and_degraded_is_degraded_with_warning(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            profile = topology.profile_from_traits(
                [traits.STORAGE_REDUNDANT, traits.STORAGE_DEGRADED],
                host='lpar2')
        self.assertEqual(topology.DEGRADED, profile.storage)
        self.assertIsNone(profile.network)
        self.assertIn('lpar2', logs.records[0].getMessage())
        self.assertIn('storage', logs.records[0].getMessage())

    def test_two_cpc_traits_make_the_cpc_unknown_with_warning(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            profile = topology.profile_from_traits(
                ['CUSTOM_ZHA_CPC_Z1', 'CUSTOM_ZHA_CPC_Z2',
                 'CUSTOM_ZHA_SITE_DC1'], host='lpar3')
        self.assertIsNone(profile.cpc)
        self.assertEqual('DC1', profile.site)
        message = logs.records[0].getMessage()
        self.assertEqual('WARNING', logs.records[0].levelname)
        self.assertIn('lpar3', message)
        self.assertIn('Z1, Z2', message)

    def test_two_site_traits_make_the_site_unknown_with_warning(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            profile = topology.profile_from_traits(
                ['CUSTOM_ZHA_SITE_DC1', 'CUSTOM_ZHA_SITE_DC2',
                 'CUSTOM_ZHA_CPC_Z1'], host='lpar4')
        self.assertIsNone(profile.site)
        self.assertEqual('Z1', profile.cpc)
        self.assertIn('DC1, DC2', logs.records[0].getMessage())

    def test_same_cpc_trait_twice_is_not_ambiguous(self):
        with self.assertNoLogs(LOGGER, 'WARNING'):
            profile = topology.profile_from_traits(
                ['CUSTOM_ZHA_CPC_Z1', 'CUSTOM_ZHA_CPC_Z1'])
        self.assertEqual('Z1', profile.cpc)

    def test_non_zha_traits_are_ignored(self):
        with self.assertNoLogs(LOGGER, 'WARNING'):
            profile = topology.profile_from_traits(
                ['HW_CPU_X86_AVX', 'COMPUTE_STATUS_DISABLED', 'CUSTOM_FOO',
                 'CUSTOM_ZHA_BOGUS', 'CUSTOM_ZHA_CPC_', 'garbage',
                 'CUSTOM_ZHA_CPC_Z9'])
        self.assertEqual(topology.HostProfile(cpc='Z9'), profile)

    def test_domain(self):
        profile = topology.HostProfile(cpc='Z1', site='DC1')
        self.assertEqual('Z1', profile.domain(topology.CPC))
        self.assertEqual('DC1', profile.domain(topology.SITE))
        self.assertIsNone(profile.domain(topology.LPAR))
        self.assertIsNone(profile.domain('rack'))

    def test_domain_of_unknown_profile(self):
        self.assertIsNone(topology.UNKNOWN.domain(topology.CPC))
        self.assertIsNone(topology.UNKNOWN.domain(topology.SITE))
