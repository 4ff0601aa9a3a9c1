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

"""Unit tests for zha_scheduler.agent.service: credentials, names, cycles."""

import logging
import os
import threading
from unittest import mock

import fixtures
from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslotest import base

from tests.unit.agent import helpers
from tests.unit.agent.test_sync import FakePlacement
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import service
from zha_scheduler.agent import sync
from zha_scheduler.clients import auth
from zha_scheduler import conf
from zha_scheduler.conf import agent as agent_conf

HEALTHY = {'CUSTOM_ZHA_CPC_3931_02_A1B2C', 'CUSTOM_ZHA_NET_REDUNDANT',
           'CUSTOM_ZHA_STORAGE_REDUNDANT', 'CUSTOM_ZHA_CG_ORA_PROD',
           'CUSTOM_ZHA_CG_SAP'}
NOVA_TRAITS = {'COMPUTE_NODE', 'HW_CPU_S390X_VX'}


class PlacementAdapterTest(base.BaseTestCase):

    def _conf(self, text):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'agent.conf')
        with open(path, 'w') as f:
            f.write(text)
        agent = cfg.ConfigOpts()
        agent_conf.register_opts(agent)
        agent_conf.register_placement_opts(agent)
        agent(['--config-file', path])
        return agent

    def test_no_auth_type(self):
        error = self.assertRaises(auth.CredentialsError,
                                  service.placement_adapter,
                                  self._conf('[placement]\n'))
        self.assertEqual(
            '[placement] auth_type is not set: the agent writes traits as a '
            'service user; set auth_type = password with auth_url, username, '
            'password, project_name and the domain options, as for Nova.',
            str(error))

    def test_missing_plugin_option(self):
        error = self.assertRaises(
            auth.CredentialsError, service.placement_adapter,
            self._conf('[placement]\nauth_type = password\n'
                       'username = placement\npassword = secret\n'))
        self.assertEqual('[placement] is missing auth_url for auth_type '
                         'password.', str(error))

    def test_unknown_auth_type_is_a_configuration_error(self):
        error = self.assertRaises(
            auth.CredentialsError, service.placement_adapter,
            self._conf('[placement]\nauth_type = passwrod\n'))
        self.assertIn('passwrod', str(error))

    def test_admin_token(self):
        adapter = service.placement_adapter(self._conf(
            '[placement]\nauth_type = admin_token\n'
            'endpoint = http://127.0.0.1:8778/placement\ntoken = admin\n'))
        self.assertIsInstance(adapter, ks_adapter.Adapter)
        self.assertEqual('placement', adapter.service_type)
        self.assertEqual(['internal', 'public'], adapter.interface)
        self.assertFalse(adapter.raise_exc)
        self.assertEqual('http://127.0.0.1:8778/placement',
                         adapter.get_endpoint())
        self.assertEqual('admin', adapter.session.auth.token)

    def test_password(self):
        adapter = service.placement_adapter(self._conf(
            '[placement]\nauth_type = password\n'
            'auth_url = http://keystone.example.com/identity/v3\n'
            'username = placement\npassword = secret\n'
            'project_name = service\nuser_domain_name = Default\n'
            'project_domain_name = Default\nregion_name = RegionTwo\n'))
        self.assertEqual('placement', adapter.service_type)
        self.assertEqual('RegionTwo', adapter.region_name)
        self.assertEqual('http://keystone.example.com/identity/v3',
                         adapter.session.auth.auth_url)


class ProviderNameTest(helpers.TestCase):

    def test_configured(self):
        self.flags(provider_name='lpar7.example.com')
        fs = self.tree_fs({'/proc/sys/kernel/hostname': 'lpar9\n'})
        self.assertEqual('lpar7.example.com',
                         service.provider_name(conf.CONF, fs))

    def test_host_name_of_the_tree(self):
        fs = self.tree_fs({'/proc/sys/kernel/hostname': 'lpar9.example.com\n'},
                          scenario='healthy')
        with mock.patch('socket.gethostname', autospec=True,
                        return_value='test-runner'):
            self.assertEqual('lpar9.example.com',
                             service.provider_name(conf.CONF, fs))

    def test_tree_without_host_name(self):
        with mock.patch('socket.gethostname', autospec=True,
                        return_value='test-runner') as gethostname:
            self.assertEqual('test-runner',
                             service.provider_name(conf.CONF,
                                                   self.fs('healthy')))
        gethostname.assert_called_once_with()

    def test_live_host(self):
        # The live host's /proc/sys/kernel/hostname is not read: the name is
        # the one Nova's libvirt driver sees.
        with mock.patch('socket.gethostname', autospec=True,
                        return_value='live-lpar'):
            self.assertEqual('live-lpar', service.provider_name(
                conf.CONF, hostfs.HostFS('/')))


class _AgentTestCase(helpers.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(provider_name='lpar7',
                   consistency_groups_file=helpers.GROUPS_FILE)
        self.placement = FakePlacement()
        self.uuid = self.placement.add_provider(
            'lpar7', NOVA_TRAITS | {'CUSTOM_ZHA_NET_DEGRADED'})
        self.placement.add_provider('lpar8', NOVA_TRAITS)
        self.log = self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler.agent.service', level=logging.DEBUG,
            format='%(levelname)s %(message)s'))

    def agent(self, scenario='healthy', adapter=True):
        return service.TraitAgent(conf.CONF, self.fs(scenario),
                                  self.placement if adapter else None)

    def lookups(self):
        return [u for u in self.placement.urls('GET')
                if u.startswith('/resource_providers?')]


class RunOnceTest(_AgentTestCase):

    def test_dry_run_does_not_touch_placement(self):
        with mock.patch.object(service, 'placement_adapter',
                               autospec=True) as build:
            report = self.agent(adapter=False).run_once(dry_run=True)
            build.assert_not_called()
            report = self.agent().run_once(dry_run=True)
        self.assertEqual([], self.placement.requests)
        self.assertEqual('lpar7', report.provider)
        self.assertEqual(HEALTHY, report.traits)
        self.assertIsNone(report.written)
        self.assertEqual({'cpc', 'site', 'standby', 'network', 'storage',
                          'consistency_groups'}, set(report.details))
        self.assertNotIn('written', report.to_dict())

    def test_publishes(self):
        report = self.agent().run_once()
        self.assertEqual(HEALTHY, report.traits)
        self.assertEqual(self.uuid, report.written.provider_uuid)
        self.assertEqual(HEALTHY, report.written.added)
        self.assertEqual({'CUSTOM_ZHA_NET_DEGRADED'}, report.written.removed)
        self.assertEqual(NOVA_TRAITS | HEALTHY,
                         self.placement.provider_traits(self.uuid))
        self.assertEqual({
            'provider_uuid': self.uuid, 'changed': True,
            'added': sorted(HEALTHY), 'removed': ['CUSTOM_ZHA_NET_DEGRADED']},
            report.to_dict()['written'])
        added = ', '.join(sorted(HEALTHY))
        self.assertIn(
            'INFO Published ZHA traits of lpar7 (%s): added %s, removed '
            'CUSTOM_ZHA_NET_DEGRADED.' % (self.uuid, added),
            self.log.output)

    def test_provider_uuid_cached_between_runs(self):
        agent = self.agent()
        agent.run_once()
        report = agent.run_once()
        self.assertFalse(report.written.changed)
        self.assertEqual(['/resource_providers?name=lpar7'], self.lookups())
        self.assertEqual(1, self.placement.generation(self.uuid))
        self.assertIn('DEBUG ZHA traits of lpar7 unchanged.', self.log.output)

    def test_provider_looked_up_again_after_sync_error(self):
        agent = self.agent()
        agent.run_once()
        # nova-compute re-registers the compute node under a new uuid.
        del self.placement.providers[self.uuid]
        new_uuid = self.placement.add_provider('lpar7', NOVA_TRAITS)
        error = self.assertRaises(sync.SyncError, agent.run_once)
        self.assertIn('Reading traits of provider %s failed: HTTP 404'
                      % self.uuid, str(error))
        report = agent.run_once()
        self.assertEqual(new_uuid, report.written.provider_uuid)
        self.assertEqual(NOVA_TRAITS | HEALTHY,
                         self.placement.provider_traits(new_uuid))
        self.assertEqual(['/resource_providers?name=lpar7'] * 2,
                         self.lookups())

    def test_unknown_provider_is_not_cached(self):
        self.flags(provider_name='lpar9')
        agent = self.agent()
        self.assertRaises(sync.SyncError, agent.run_once)
        uuid = self.placement.add_provider('lpar9', NOVA_TRAITS)
        report = agent.run_once()
        self.assertEqual(uuid, report.written.provider_uuid)

    def test_adapter_built_once_from_conf(self):
        with mock.patch.object(service, 'placement_adapter', autospec=True,
                               return_value=self.placement) as build:
            agent = self.agent(adapter=False)
            agent.run_once()
            agent.run_once()
        build.assert_called_once_with(conf.CONF)
        self.assertEqual(NOVA_TRAITS | HEALTHY,
                         self.placement.provider_traits(self.uuid))


class FakeStop(threading.Event):
    """A stop event whose wait returns at once and records the timeout."""

    MAX_WAITS = 20

    def __init__(self, on_wait=None):
        super().__init__()
        self.waits = []
        self.on_wait = on_wait

    def wait(self, timeout=None):
        self.waits.append(timeout)
        if self.on_wait is not None:
            self.on_wait(len(self.waits))
        if len(self.waits) >= self.MAX_WAITS:
            # A loop that does not stop fails its test instead of hanging.
            self.set()
        return self.is_set()


class RunForeverTest(_AgentTestCase):

    def setUp(self):
        super().setUp()
        self.flags(interval=7)

    def _loop(self, *outcomes):
        """Run the loop with run_once doing each outcome, then stopping."""
        stop = FakeStop()
        agent = self.agent()
        outcomes = list(outcomes)

        def run_once():
            if not outcomes:
                stop.set()
                return  # called once too often: the call count tells.
            outcome = outcomes.pop(0)
            if not outcomes:
                stop.set()
            if isinstance(outcome, BaseException):
                raise outcome

        with mock.patch.object(agent, 'run_once', autospec=True,
                               side_effect=run_once) as mocked:
            agent.run_forever(stop)
        return stop, mocked

    def test_outage_is_a_warning_and_the_loop_goes_on(self):
        stop, run_once = self._loop(
            ks_exc.ConnectFailure('Unable to establish connection to '
                                  'http://127.0.0.1:9/placement'), None, None)
        self.assertEqual(3, run_once.call_count)
        self.assertEqual([7, 7, 7], stop.waits)
        self.assertEqual(
            'WARNING Could not publish ZHA traits: Unable to establish '
            'connection to http://127.0.0.1:9/placement. Retrying in 7 '
            'seconds.\n', self.log.output)

    def test_sync_error_is_a_warning(self):
        stop, run_once = self._loop(None, sync.SyncError('no provider'))
        self.assertEqual(2, run_once.call_count)
        self.assertEqual('WARNING Could not publish ZHA traits: no provider. '
                         'Retrying in 7 seconds.\n', self.log.output)

    def test_configuration_error_propagates(self):
        stop = FakeStop()
        agent = self.agent()

        def run_once():
            stop.set()
            raise auth.CredentialsError('no credentials')

        with mock.patch.object(agent, 'run_once', autospec=True,
                               side_effect=run_once) as mocked:
            error = self.assertRaises(auth.CredentialsError,
                                      agent.run_forever, stop)
        self.assertEqual('no credentials.', str(error))
        self.assertEqual(1, mocked.call_count)
        self.assertEqual([], stop.waits)

    def test_unexpected_error_is_logged_with_traceback(self):
        stop, run_once = self._loop(RuntimeError('boom'), None)
        self.assertEqual(2, run_once.call_count)
        self.assertEqual([7, 7], stop.waits)
        output = self.log.output
        self.assertTrue(output.startswith(
            'ERROR ZHA trait agent cycle failed; retrying in 7 seconds.\n'
            'Traceback (most recent call last):'), output)
        self.assertIn('RuntimeError: boom', output)
        self.assertNotIn('WARNING', output)

    def test_stopped_before_the_first_cycle(self):
        stop = FakeStop()
        stop.set()
        agent = self.agent()
        with mock.patch.object(agent, 'run_once', autospec=True) as mocked:
            agent.run_forever(stop)
        mocked.assert_not_called()
        self.assertEqual([], stop.waits)

    def test_outage_then_recovery_through_placement(self):
        # The real run_once: Placement is down for the first cycle.
        self.placement.down = True

        def on_wait(n):
            if n == 1:
                self.placement.down = False
            else:
                stop.set()

        stop = FakeStop(on_wait)
        self.agent().run_forever(stop)
        self.assertEqual([7, 7], stop.waits)
        self.assertEqual(NOVA_TRAITS | HEALTHY,
                         self.placement.provider_traits(self.uuid))
        self.assertEqual(1, self.log.output.count(
            'WARNING Could not publish ZHA traits: Unable to establish '
            'connection to /resource_providers?name=lpar7. Retrying in 7 '
            'seconds.'))
        self.assertIn('INFO Published ZHA traits of lpar7', self.log.output)
