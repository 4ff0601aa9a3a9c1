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

"""zha-trait-agent as a process: dry runs, errors, outages and SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time

import fixtures
from oslotest import base

from zha_scheduler.sim import agents

AGENT = [sys.executable, '-m', 'zha_scheduler.cmd.agent']


class TraitAgentCliTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _config(self, text):
        path = os.path.join(self.tmp, 'agent.conf')
        with open(path, 'w') as config:
            config.write(text)
        return path

    def _run(self, *args, timeout=60):
        return subprocess.run(AGENT + list(args), capture_output=True,
                              text=True, timeout=timeout)

    def _tree(self, name):
        return os.path.join(agents.fixtures_root(), name)

    def test_dry_run_prints_traits_provider_and_details_as_json(self):
        config = self._config(
            '[zha_agent]\nprovider_name = lpar7\nsite = DC2\n'
            'consistency_groups_file = %s\n' % agents.CONSISTENCY_GROUPS_FILE)
        done = self._run('--config-file', config, '--root',
                         self._tree('failed-path'), '--dry-run',
                         '--format', 'json')
        self.assertEqual(0, done.returncode, done.stderr)
        report = json.loads(done.stdout)
        self.assertEqual(['CUSTOM_ZHA_CG_SAP', 'CUSTOM_ZHA_CPC_3931_02_A1B2C',
                          'CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_SITE_DC2',
                          'CUSTOM_ZHA_STORAGE_DEGRADED'], report['traits'])
        self.assertEqual('lpar7', report['provider'])
        self.assertEqual({'cpc', 'site', 'standby', 'network', 'storage',
                          'consistency_groups', 'daemons'},
                         set(report['details']))
        self.assertNotIn('written', report)

    def test_dry_run_text(self):
        config = self._config('[zha_agent]\nprovider_name = lpar7\n')
        done = self._run('--config-file', config, '--root',
                         self._tree('slave-down'), '--dry-run')
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertIn('provider: lpar7', done.stdout)
        self.assertIn('  CUSTOM_ZHA_NET_DEGRADED', done.stdout)

    def test_once_without_credentials_is_a_configuration_error(self):
        config = self._config('[zha_agent]\nprovider_name = lpar7\n')
        done = self._run('--config-file', config, '--root',
                         self._tree('healthy'), '--once')
        self.assertEqual(2, done.returncode)
        self.assertIn('[placement] auth_type is not set', done.stderr)
        self.assertNotIn('Traceback', done.stderr)

    def test_missing_config_file_is_a_clear_error(self):
        missing = os.path.join(self.tmp, 'nope.conf')
        done = self._run('--config-file', missing, '--dry-run')
        self.assertEqual(2, done.returncode)
        self.assertEqual('zha-trait-agent: error: cannot read %s: No such '
                         'file or directory\n' % missing, done.stderr)
        self.assertEqual('', done.stdout)

    def test_dry_run_json_keeps_the_probes_warnings_on_stderr(self):
        # oslo.log alone would log to stdout, into the JSON.
        config = self._config('[zha_agent]\nprovider_name = lpar7\n')
        done = self._run('--config-file', config, '--root',
                         self._tree('missing-files'), '--dry-run',
                         '--format', 'json')
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual('lpar7', json.loads(done.stdout)['provider'])
        self.assertIn('WARNING zha_scheduler.agent', done.stderr)

    def test_periodic_agent_survives_an_outage_and_stops_on_sigterm(self):
        # Nothing listens on the discard port: every cycle fails to connect.
        config = self._config(
            '[zha_agent]\nprovider_name = lpar7\ninterval = 1\n'
            '[placement]\nauth_type = admin_token\n'
            'endpoint = http://127.0.0.1:9/placement\ntoken = admin\n')
        log = os.path.join(self.tmp, 'agent.log')
        process = subprocess.Popen(
            AGENT + ['--config-file', config, '--root', self._tree('healthy'),
                     '--log-file', log],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(process.kill)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(log) and open(log).read().count(
                    'Could not publish ZHA traits') >= 2:
                break
            if process.poll() is not None:
                self.fail('the agent exited: %s' % (process.communicate(),))
            time.sleep(0.2)
        else:
            self.fail('the agent did not retry: %s' % open(log).read())
        process.send_signal(signal.SIGTERM)
        self.assertEqual(0, process.wait(timeout=15))
        self.assertIn('stopping after the current cycle', open(log).read())
