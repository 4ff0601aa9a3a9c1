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
import shutil
import threading
from unittest import mock

import fixtures
from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslotest import base

from tests.unit.agent import helpers
from tests.unit.agent import test_hostfs
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

    def test_host_name_is_a_directory(self):
        # Issue 12: a traceback (IsADirectoryError) before.
        fs = self.tree_fs({'/proc/sys/kernel/hostname/x': ''})
        error = self.assertRaises(service.ProviderNameError,
                                  service.provider_name, conf.CONF, fs)
        self.assertIn('/proc/sys/kernel/hostname: Is a directory',
                      str(error))
        self.assertIn('[zha_agent] provider_name', str(error))
        self.assertIn(fs.root, str(error))

    def test_host_name_is_a_fifo(self):
        root = self.tree({'/proc/sys/kernel/x': ''})
        os.mkfifo(os.path.join(root, 'proc/sys/kernel/hostname'))
        error = self.assertRaises(
            service.ProviderNameError, test_hostfs.without_blocking, self,
            service.provider_name, conf.CONF, hostfs.HostFS(root))
        self.assertIn('FIFO', str(error))

    def test_empty_host_name(self):
        fs = self.tree_fs({'/proc/sys/kernel/hostname': ' \n'})
        error = self.assertRaises(service.ProviderNameError,
                                  service.provider_name, conf.CONF, fs)
        self.assertIn('is empty', str(error))

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
                          'consistency_groups', 'daemons'},
                         set(report.details))
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


class NothingReadTest(_AgentTestCase):
    """Issue 12: a probe that read nothing publishes nothing."""

    def assertRefused(self, fs):
        agent = service.TraitAgent(conf.CONF, fs, self.placement)
        error = self.assertRaises(service.NothingReadError, agent.run_once)
        self.assertEqual([], self.placement.requests)
        self.assertEqual(NOVA_TRAITS | {'CUSTOM_ZHA_NET_DEGRADED'},
                         self.placement.provider_traits(self.uuid))
        return str(error)

    def test_missing_files_scenario_is_refused(self):
        self.quiet()
        message = self.assertRefused(self.fs('missing-files'))
        self.assertEqual(
            'Nothing could be read from the host under %s: cpc: '
            '/proc/sysinfo: No such file or directory; network: '
            '/sys/class/net/bonding_masters (No such file or directory), '
            '/sys/class/net (No such file or directory); storage: '
            '"multipathd show maps json" (no output: No such file or '
            'directory), /sys/block (No such file or directory). Nothing is '
            'published: that would remove the ZHA traits of the host from '
            'Placement. Check the root directory and the permissions of the '
            'agent.' % helpers.fixture_root('missing-files'), message)
        self.assertIn('WARNING Nothing could be read from the host under %s: '
                      'nothing is published.'
                      % helpers.fixture_root('missing-files'),
                      self.log.output)

    def test_missing_root_file_root_and_empty_root(self):
        # The command line refuses such roots; the library refuses to
        # publish what it read under them.
        log = self.quiet()
        tmp = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(tmp, 'file'), 'w') as f:
            f.write('not a tree\n')
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(tmp)
        for root, why in ((os.path.join(tmp, 'missing'), 'No such file'),
                          (os.path.join(tmp, 'file'), 'Not a directory'),
                          ('', 'No such file')):
            message = self.assertRefused(hostfs.HostFS(root))
            self.assertIn('under %s: cpc: /proc/sysinfo: %s'
                          % (os.path.abspath(root), why), message)
        self.assertIn('Network not monitored', log.output)

    def test_configuration_alone_is_not_a_host(self):
        # Site, standby and CPC name come from the configuration: with
        # nothing read, publishing them would still remove the rest.
        self.quiet()
        self.flags(site='DC1', standby=True, cpc_name='Z1')
        self.assertRefused(self.fs('missing-files'))

    def test_dry_run_still_reports(self):
        self.quiet()
        report = self.agent('missing-files').run_once(dry_run=True)
        self.assertEqual(frozenset(), report.traits)
        self.assertIsNone(report.details['network']['state'])
        self.assertEqual([], self.placement.requests)
        self.assertNotIn('Nothing could be read', self.log.output)

    def test_one_readable_source_is_enough(self):
        self.quiet()
        fs = self.tree_fs({'/proc/sysinfo': open(os.path.join(
            helpers.fixture_root('healthy'), 'proc/sysinfo')).read()})
        report = service.TraitAgent(conf.CONF, fs, self.placement).run_once()
        self.assertEqual({'CUSTOM_ZHA_CPC_3931_02_A1B2C'}, report.traits)
        self.assertEqual({'CUSTOM_ZHA_NET_DEGRADED'}, report.written.removed)

    def test_no_bonding_module_is_enough(self):
        # /sys/class/net lists interfaces: the network was read (no bond).
        self.quiet()
        fs = self.tree_fs({'/sys/class/net/lo/mtu': '65536\n'})
        report = service.TraitAgent(conf.CONF, fs, self.placement).run_once()
        self.assertEqual({'CUSTOM_ZHA_NET_DEGRADED'}, report.traits)


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


class ConditionsAcrossCyclesTest(_AgentTestCase):
    """Issue 12: a lasting condition is logged when it starts and ends."""

    def setUp(self):
        super().setUp()
        self.flags(interval=7)
        self.agent_log = self.quiet()

    def run_cycles(self, root, change):
        """Run the agent for 4 cycles; change(root) after the second."""
        def on_wait(n):
            if n == 2:
                change(root)
            if n == 4:
                stop.set()

        stop = FakeStop(on_wait)
        agent = service.TraitAgent(conf.CONF, hostfs.HostFS(root),
                                   self.placement)
        agent.run_forever(stop)
        return self.agent_log.output

    def test_missing_groups_file(self):
        root = self.tree({helpers.GROUPS_FILE: None}, 'healthy')
        text = open(os.path.join(helpers.fixture_root('healthy'),
                                 helpers.GROUPS_FILE.lstrip('/'))).read()

        def restore(root):
            with open(os.path.join(root, helpers.GROUPS_FILE.lstrip('/')),
                      'w') as f:
                f.write(text)

        output = self.run_cycles(root, restore)
        self.assertEqual(1, output.count(
            'ERROR zha_scheduler.agent.consistency No consistency group '
            'traits'))
        self.assertEqual(1, output.count('DEBUG zha_scheduler.agent.'
                                         'consistency Still: No consistency'))
        self.assertEqual(1, output.count(
            'INFO zha_scheduler.agent.consistency Consistency groups file '
            '%s is readable and valid again.' % helpers.GROUPS_FILE))
        self.assertEqual(NOVA_TRAITS | HEALTHY,
                         self.placement.provider_traits(self.uuid))

    def test_nothing_read_then_readable(self):
        root = os.path.join(self.useFixture(fixtures.TempDir()).path, 'h')
        os.makedirs(root)

        def populate(root):
            shutil.rmtree(root)
            shutil.copytree(helpers.fixture_root('healthy'), root,
                            symlinks=True)

        output = self.run_cycles(root, populate)
        self.assertEqual(1, output.count(
            'WARNING zha_scheduler.agent.service Nothing could be read'))
        self.assertEqual(1, output.count(
            'WARNING zha_scheduler.agent.sysinfo CPC unknown'))
        self.assertEqual(1, output.count(
            'INFO zha_scheduler.agent.service The host under %s can be read '
            'again.' % root))
        self.assertEqual(1, output.count(
            'INFO zha_scheduler.agent.sysinfo Resolved: CPC unknown'))
        self.assertNotIn('Could not publish', self.log.output)
        self.assertEqual(NOVA_TRAITS | HEALTHY,
                         self.placement.provider_traits(self.uuid))
        # The refused cycles wrote nothing: one lookup, one write.
        self.assertEqual(['/resource_providers?name=lpar7'], self.lookups())
        self.assertEqual(['/resource_providers/%s/traits' % self.uuid], [
            u for u in self.placement.urls('PUT') if 'providers' in u])
