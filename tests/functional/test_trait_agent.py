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

"""The host agent against real Placement, and the scheduler's view of it."""

import fixtures

from zha_scheduler.agent import sync
from zha_scheduler.clients import placement_client
from zha_scheduler import placement
from zha_scheduler.sim import agents
from zha_scheduler.sim import cloud
from zha_scheduler import topology
from zha_scheduler import traits

HEALTHY = {'CUSTOM_ZHA_CPC_Z1', 'CUSTOM_ZHA_SITE_DC1',
           'CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_STORAGE_REDUNDANT',
           'CUSTOM_ZHA_CG_ORA_PROD', 'CUSTOM_ZHA_CG_SAP'}


def _zha(found):
    return {t for t in found if t.startswith(traits.PREFIX)}


class TraitAgentTest(cloud.SimulatedCloud):

    HOSTS = [cloud.SimHost('lpar1', 'Z1', 'DC1', fixture='healthy'),
             cloud.SimHost('lpar2', fixture='healthy', standby=True)]

    def test_traits_appear_beside_novas_own(self):
        found = self.provider_traits('lpar1')
        self.assertEqual(HEALTHY, _zha(found))
        self.assertIn('COMPUTE_NODE', found)
        self.assertEqual(
            {'CUSTOM_ZHA_CPC_3931_02_A1B2C', 'CUSTOM_ZHA_STANDBY',
             'CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_STORAGE_REDUNDANT',
             'CUSTOM_ZHA_CG_ORA_PROD', 'CUSTOM_ZHA_CG_SAP'},
            _zha(self.provider_traits('lpar2')))

    def test_degraded_fixtures_change_only_zha_traits(self):
        nova_traits = self.provider_traits('lpar1') - HEALTHY
        report = self.run_agent('lpar1', 'slave-down')
        self.assertEqual({'CUSTOM_ZHA_NET_REDUNDANT'}, report.written.removed)
        self.assertEqual({'CUSTOM_ZHA_NET_DEGRADED'}, report.written.added)
        report = self.run_agent('lpar1', 'failed-path')
        self.assertEqual(
            {'CUSTOM_ZHA_CPC_Z1', 'CUSTOM_ZHA_SITE_DC1',
             'CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_STORAGE_DEGRADED',
             'CUSTOM_ZHA_CG_SAP'},
            _zha(self.provider_traits('lpar1')))
        self.assertEqual(nova_traits, self.provider_traits('lpar1') - {
            t for t in self.provider_traits('lpar1')
            if t.startswith(traits.PREFIX)})

    def test_no_write_when_nothing_changed(self):
        uuid = self.provider_uuid('lpar1')
        before = self.placement.get('/resource_providers/%s' % uuid,
                                    version='1.14').body
        report = self.run_agent('lpar1')
        self.assertFalse(report.written.changed)
        after = self.placement.get('/resource_providers/%s' % uuid,
                                   version='1.14').body
        self.assertEqual(before['generation'], after['generation'])

    def test_operator_traits_survive(self):
        uuid = self.provider_uuid('lpar1')
        self._create_trait('CUSTOM_OPERATOR_GOLD')
        current = self.placement.get(
            '/resource_providers/%s/traits' % uuid, version='1.6').body
        self.placement.put('/resource_providers/%s/traits' % uuid, {
            'traits': current['traits'] + ['CUSTOM_OPERATOR_GOLD'],
            'resource_provider_generation':
                current['resource_provider_generation']}, version='1.6')
        self.run_agent('lpar1', 'same-chpid')
        found = self.provider_traits('lpar1')
        self.assertIn('CUSTOM_OPERATOR_GOLD', found)
        self.assertIn('CUSTOM_ZHA_NET_DEGRADED', found)

    def test_concurrent_update_is_retried(self):
        uuid = self.provider_uuid('lpar1')
        agent = agents.agent_for(self.agent_configs['lpar1'], 'slave-down')
        real_put = placement_client.PlacementClient.put
        self._create_trait('CUSTOM_RACE')
        raced = []

        def put_after_a_concurrent_writer(client, url, body, version):
            if url.endswith('/traits') and not raced:
                # Another writer (nova-compute, an operator) gets in first.
                raced.append(url)
                current = self.placement.get(url, version='1.6').body
                self.placement.put(url, {
                    'traits': current['traits'] + ['CUSTOM_RACE'],
                    'resource_provider_generation':
                        current['resource_provider_generation']},
                    version='1.6')
            return real_put(client, url, body, version)

        self.stub_out(
            'zha_scheduler.clients.placement_client.PlacementClient.put',
            put_after_a_concurrent_writer)
        report = agent.run_once()
        self.assertEqual(['/resource_providers/%s/traits' % uuid], raced)
        self.assertEqual(2, report.written.attempts)
        found = self.provider_traits('lpar1')
        self.assertIn('CUSTOM_RACE', found)
        self.assertIn('CUSTOM_ZHA_NET_DEGRADED', found)

    def test_scheduler_view_sees_the_change(self):
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        view = placement.get_view()
        uuid = self.provider_uuid('lpar1')
        self.assertEqual(topology.REDUNDANT, view.get().profile(uuid).network)
        self.run_agent('lpar1', 'slave-down')
        profile = view.get().profile(uuid)
        self.assertEqual(topology.DEGRADED, profile.network)
        self.assertEqual('Z1', profile.cpc)

    def test_unknown_provider_is_a_clear_error(self):
        config = agents.write_agent_config(
            self.useFixture(fixtures.TempDir()).path, 'no-such-host',
            self.placement_fixture.endpoint, self.placement_fixture.token)
        agent = agents.agent_for(config, 'healthy')
        error = self.assertRaises(sync.SyncError, agent.run_once)
        self.assertIn("No resource provider named 'no-such-host'", str(error))
