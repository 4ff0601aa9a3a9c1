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

"""Unit tests for zha_scheduler.cmd.agent:
main() in-process on fixture trees.
"""

import io
import json
import logging
import os
import signal
import types
from unittest import mock

import fixtures
from oslotest import base

from tests.unit.agent import helpers
from tests.unit.agent.test_service import FakeStop
from tests.unit.agent.test_sync import FakePlacement
from zha_scheduler.agent import service
from zha_scheduler.cmd import agent as cmd

NOVA_TRAITS = {'COMPUTE_NODE', 'HW_CPU_S390X_VX'}
HEALTHY = ['CUSTOM_ZHA_CG_ORA_PROD', 'CUSTOM_ZHA_CG_SAP',
           'CUSTOM_ZHA_CPC_3931_02_A1B2C', 'CUSTOM_ZHA_NET_REDUNDANT',
           'CUSTOM_ZHA_STORAGE_REDUNDANT']
AGENT_CONF = ('[zha_agent]\nprovider_name = lpar7\n'
              'consistency_groups_file = %s\n' % helpers.GROUPS_FILE)
STORAGE = ', '.join('36005076309ffd430000000000000181%d redundant' % n
                    for n in range(5, 9))


class MainTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', self.stdout))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))
        self.log_setup = self.useFixture(
            fixtures.MockPatch('oslo_log.log.setup')).mock
        self.log = self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler', level=logging.INFO,
            format='%(levelname)s %(message)s'))
        self.placement = FakePlacement()
        self.uuid = self.placement.add_provider(
            'lpar7', NOVA_TRAITS | {'CUSTOM_ZHA_NET_DEGRADED'})

    def config(self, text=AGENT_CONF):
        path = os.path.join(self.tmp, 'agent.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def main(self, *args, scenario='healthy', text=AGENT_CONF):
        return cmd.main(['--config-file', self.config(text),
                         '--root', helpers.fixture_root(scenario)] +
                        list(args))

    def use_placement(self, placement=None):
        return self.useFixture(fixtures.MockPatch(
            'zha_scheduler.agent.service.placement_adapter',
            return_value=placement or self.placement)).mock

    def exit_status(self, *args, **kwargs):
        try:
            return self.main(*args, **kwargs)
        except SystemExit as exc:
            return exc.code

    # Dry runs.
    def test_dry_run_json(self):
        build = self.use_placement()
        status = self.main('--dry-run', '--format', 'json',
                           scenario='failed-path',
                           text=AGENT_CONF + 'site = DC2\n')
        self.assertEqual(0, status, self.stderr.getvalue())
        report = json.loads(self.stdout.getvalue())
        self.assertEqual(['CUSTOM_ZHA_CG_SAP', 'CUSTOM_ZHA_CPC_3931_02_A1B2C',
                          'CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_SITE_DC2',
                          'CUSTOM_ZHA_STORAGE_DEGRADED'], report['traits'])
        self.assertEqual('lpar7', report['provider'])
        self.assertEqual({'cpc', 'site', 'standby', 'network', 'storage',
                          'consistency_groups', 'daemons'},
                         set(report['details']))
        self.assertEqual('DC2', report['details']['site'])
        self.assertEqual('degraded', report['details']['storage']['state'])
        self.assertNotIn('written', report)
        build.assert_not_called()
        self.assertEqual([], self.placement.requests)
        self.assertEqual('', self.stderr.getvalue())
        self.log_setup.assert_called_once_with(mock.ANY, 'zha-trait-agent')

    def test_dry_run_text(self):
        self.assertEqual(0, self.main('--dry-run'), self.stderr.getvalue())
        self.assertEqual(
            'provider: lpar7\ntraits:\n' +
            ''.join('  %s\n' % t for t in HEALTHY) +
            'cpc: Type, Plant and Sequence Code of /proc/sysinfo\n'
            'network: bond0 redundant\n'
            'storage: %s\n' % STORAGE, self.stdout.getvalue())

    def test_dry_run_text_degraded(self):
        self.assertEqual(0, self.main('--dry-run', scenario='slave-down'))
        lines = self.stdout.getvalue().splitlines()
        self.assertIn('  CUSTOM_ZHA_NET_DEGRADED', lines)
        self.assertNotIn('  CUSTOM_ZHA_NET_REDUNDANT', lines)

    def test_dry_run_text_without_traits(self):
        self.assertEqual(0, self.main('--dry-run', scenario='missing-files'))
        lines = self.stdout.getvalue().splitlines()
        self.assertEqual(['provider: lpar7', 'traits:', '  (none)'],
                         lines[:3])
        self.assertEqual(
            ['cpc', 'network', 'storage', 'consistency_groups'],
            [line.split(':')[0] for line in lines[3:]])

    # --once against Placement.
    def test_once_publishes(self):
        self.use_placement()
        self.assertEqual(0, self.main('--once'), self.stderr.getvalue())
        self.assertEqual(NOVA_TRAITS | set(HEALTHY),
                         self.placement.provider_traits(self.uuid))
        self.assertEqual('placement: updated',
                         self.stdout.getvalue().splitlines()[-1])
        self.stdout.seek(0)
        self.stdout.truncate()
        self.assertEqual(0, self.main('--once'))
        self.assertEqual('placement: already current',
                         self.stdout.getvalue().splitlines()[-1])
        self.assertEqual(1, self.placement.generation(self.uuid))

    def test_once_json(self):
        self.use_placement()
        self.assertEqual(0, self.main('--once', '--format', 'json'))
        report = json.loads(self.stdout.getvalue())
        self.assertEqual(HEALTHY, report['traits'])
        self.assertEqual({'provider_uuid': self.uuid, 'changed': True,
                          'added': HEALTHY,
                          'removed': ['CUSTOM_ZHA_NET_DEGRADED']},
                         report['written'])

    def test_once_sync_error_exits_1(self):
        self.use_placement()
        status = self.main('--once', text=AGENT_CONF.replace('lpar7', 'lpar9'))
        self.assertEqual(1, status)
        self.assertEqual(
            "zha-trait-agent: could not publish traits: No resource provider "
            "named 'lpar9' in Placement: check that nova-compute runs on this "
            "host and that [zha_agent] provider_name matches its hypervisor "
            "hostname.\n", self.stderr.getvalue())
        self.assertEqual('', self.stdout.getvalue())

    def test_once_outage_exits_1(self):
        self.placement.down = True
        self.use_placement()
        self.assertEqual(1, self.main('--once'))
        self.assertEqual(
            'zha-trait-agent: could not publish traits: Unable to establish '
            'connection to /resource_providers?name=lpar7\n',
            self.stderr.getvalue())

    # Configuration errors.
    def test_once_without_credentials_exits_2(self):
        self.assertEqual(2, self.main('--once'))
        self.assertTrue(self.stderr.getvalue().startswith(
            'zha-trait-agent: configuration error: [placement] auth_type is '
            'not set'), self.stderr.getvalue())
        self.assertEqual('', self.stdout.getvalue())

    def test_once_missing_auth_option_exits_2(self):
        status = self.main('--once', text=AGENT_CONF +
                           '[placement]\nauth_type = password\n')
        self.assertEqual(2, status)
        self.assertEqual('zha-trait-agent: configuration error: [placement] '
                         'is missing auth_url for auth_type password.\n',
                         self.stderr.getvalue())

    def test_unknown_auth_type_exits_2(self):
        status = self.main('--once', text=AGENT_CONF +
                           '[placement]\nauth_type = passwrod\n')
        self.assertEqual(2, status, self.stderr.getvalue())
        self.assertIn('configuration error', self.stderr.getvalue())

    def test_missing_config_file_exits_2(self):
        missing = os.path.join(self.tmp, 'nope.conf')
        status = cmd.main(['--config-file', missing, '--dry-run'])
        self.assertEqual(2, status)
        self.assertIn('zha-trait-agent: error: ', self.stderr.getvalue())
        self.assertIn(missing, self.stderr.getvalue())
        self.log_setup.assert_not_called()

    def test_unknown_argument_exits_2(self):
        self.assertEqual(2, self.exit_status('--dry-run', '--bogus'))
        self.assertIn('unrecognized arguments: --bogus',
                      self.stderr.getvalue())

    def test_invalid_format_exits_2(self):
        self.assertEqual(2, self.exit_status('--dry-run', '--format', 'xml'))
        self.assertIn('--format', self.stderr.getvalue())

    def test_invalid_option_value_exits_2(self):
        handlers = self.useFixture(fixtures.MockPatch('signal.signal')).mock
        self._sigterm_after_each_cycle(handlers)
        try:
            status = self.main(text=AGENT_CONF + 'interval = 0\n')
        except Exception as exc:
            self.fail('main() raised %r instead of returning 2' % (exc,))
        self.assertEqual(2, status)
        self.assertIn('interval', self.stderr.getvalue())

    # Periodic mode.
    def _sigterm_after_each_cycle(self, handlers):
        real_run_once = service.TraitAgent.run_once
        cycles = []

        def run_once_then_sigterm(agent, dry_run=False):
            cycles.append(dry_run)
            try:
                return real_run_once(agent, dry_run)
            finally:
                handler = dict(c.args for c in handlers.call_args_list)[
                    signal.SIGTERM]
                handler(signal.SIGTERM, None)

        self.useFixture(fixtures.MockPatchObject(
            service.TraitAgent, 'run_once', run_once_then_sigterm))
        # No real wait between cycles, and a loop that does not stop ends.
        self.useFixture(fixtures.MockPatch(
            'zha_scheduler.cmd.agent.threading',
            types.SimpleNamespace(Event=FakeStop)))
        return cycles

    def test_periodic_configuration_error_exits_2(self):
        handlers = self.useFixture(fixtures.MockPatch('signal.signal')).mock
        cycles = self._sigterm_after_each_cycle(handlers)
        self.assertEqual(2, self.main(text=AGENT_CONF + 'interval = 1\n'))
        self.assertEqual([False], cycles)
        self.assertTrue(self.stderr.getvalue().startswith(
            'zha-trait-agent: configuration error: [placement] auth_type is '
            'not set'), self.stderr.getvalue())
        self.assertEqual({signal.SIGTERM, signal.SIGINT},
                         {c.args[0] for c in handlers.call_args_list})

    def test_periodic_stops_on_sigterm(self):
        handlers = self.useFixture(fixtures.MockPatch('signal.signal')).mock
        self.use_placement()
        cycles = self._sigterm_after_each_cycle(handlers)
        self.assertEqual(0, self.main(text=AGENT_CONF + 'interval = 3600\n'))
        self.assertEqual([False], cycles)
        self.assertEqual(NOVA_TRAITS | set(HEALTHY),
                         self.placement.provider_traits(self.uuid))
        self.assertEqual('', self.stdout.getvalue())
        self.assertIn('INFO zha-trait-agent started: probing %s every 3600 '
                      'seconds.' % helpers.fixture_root('healthy'),
                      self.log.output)
        self.assertIn('INFO Received signal %d; stopping after the current '
                      'cycle.' % signal.SIGTERM, self.log.output)
