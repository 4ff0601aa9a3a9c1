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

"""``--format json`` of every command: JSON on stdout, logs elsewhere.

Each test makes the command log during a JSON run, with the logging the
command sets up itself (oslo.log for zha-trait-agent and zha-evacuate,
Python logging for the zha-scheduler subcommands), and checks that stdout
parses and the log line is on stderr.
"""

import json
import logging
import os
import types

import fixtures
from oslotest import base

from tests.unit.check import helpers as check_helpers
from tests.unit.cmd import cli_helpers
from tests.unit.evacuate import fakes
from zha_scheduler.check import runner
from zha_scheduler.cmd import agent
from zha_scheduler.cmd import evacuate
from zha_scheduler.cmd import manage
from zha_scheduler.insight import audit
from zha_scheduler.insight import capacity
from zha_scheduler.insight import explain
from zha_scheduler.insight import snapshot
from zha_scheduler.insight import synthetic
from zha_scheduler.sim import nova_conf

FORCED = 'a line logged during the run'


class JsonWithLogsTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(cli_helpers.ProcessState())
        self.useFixture(cli_helpers.GlobalConf())
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def log_first(self, module, name, logger='nova.scheduler',
                  level=logging.WARNING):
        """Make ``module.name`` log FORCED, then do its work."""
        real = getattr(module, name)

        def logging_then_real(*args, **kwargs):
            logging.getLogger(logger).log(level, FORCED)
            return real(*args, **kwargs)
        self.useFixture(fixtures.MockPatchObject(module, name,
                                                 logging_then_real))

    def assert_json_and_log(self, status, out, err, log_line=FORCED):
        self.assertIn(status, (0, 1), err)
        try:
            json.loads(out)
        except ValueError:
            self.fail('stdout is not JSON: %r' % out)
        self.assertIn(log_line, err)
        self.assertNotIn(log_line, out)

    def snapshot(self):
        path = os.path.join(self.tmp, 'snap.json')
        snapshot.save(synthetic.synthetic(hosts=8, instances=12, cpcs=2),
                      path)
        return path

    def manage(self, *argv):
        return cli_helpers.run(manage.main, argv)

    def test_trait_agent(self):
        # A root without host files: every probe logs a WARNING, through
        # oslo.log as set up by the command (which would pick stdout).
        root = os.path.join(self.tmp, 'root')
        os.mkdir(root)
        conf = self.write('agent.conf', '[zha_agent]\nprovider_name = l1\n')
        status, out, err = cli_helpers.run(agent.main, [
            '--config-file', conf, '--root', root, '--dry-run',
            '--format', 'json'])
        self.assertEqual(0, status, err)
        self.assert_json_and_log(status, out, err,
                                 'WARNING zha_scheduler.agent')

    def test_evacuate(self):
        conf = self.write('e.conf', '[zha_evacuate]\ncoordination_url = '
                          'file://%s\nstate_dir = %s\npoll_interval = 0.01\n'
                          % (self.tmp, self.tmp))
        nova = fakes.FakeNova([fakes.service('lpar1', up=False),
                               fakes.service('l2'), fakes.service('l3')],
                              [fakes.instance('a')])
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.clients.nova_client.NovaClient',
            lambda conn: nova))
        status, out, err = cli_helpers.run(
            evacuate.main, ['--config-file', conf, 'lpar1', '--format',
                            'json'], conn=object())
        self.assertEqual(0, status, err)
        # The run's own INFO lines, through oslo.log.
        self.assert_json_and_log(status, out, err,
                                 'INFO zha_scheduler.evacuate.recovery')

    def test_check(self):
        # check shows ERROR and above: the findings say the rest.
        self.log_first(runner, 'run', logger='zha_scheduler.check',
                       level=logging.ERROR)
        nova = self.write('nova.conf', check_helpers.snippet())
        status, out, err = self.manage(
            'check', '--nova-conf', nova, '--skip-placement',
            '--systemd-dir', self.tmp, '--format', 'json')
        self.assert_json_and_log(status, out, err)

    def insight(self, command, module, name, *argv):
        self.log_first(module, name)
        return self.manage(command, '--config-file',
                           nova_conf.snippet_path(), '--snapshot',
                           self.snapshot(), '--format', 'json', *argv)

    def test_explain(self):
        status, out, err = self.insight('explain', explain, 'explain',
                                        '--flavor', 'z.small')
        self.assertEqual(0, status, err)
        self.assert_json_and_log(status, out, err)

    def test_audit(self):
        self.assert_json_and_log(*self.insight('audit', audit, 'audit'))

    def test_capacity(self):
        self.assert_json_and_log(*self.insight('capacity', capacity,
                                               'capacity'))

    def test_snapshot(self):
        self.log_first(synthetic, 'synthetic')
        output = os.path.join(self.tmp, 'out.json')
        status, out, err = self.manage(
            'snapshot', '--synthetic', '--hosts', '100', '--instances', '10',
            '--output', output, '--format', 'json')
        self.assertEqual(0, status, err)
        self.assert_json_and_log(status, out, err)
        self.assertEqual({'hosts': 100, 'instances': 10, 'groups': 0,
                          'flavors': 6, 'output': output}, json.loads(out))

    def test_demo_logs_to_its_log_file(self):
        # The demo's Nova services log plenty: its logs go to --log-file,
        # never to stdout (nor to the terminal's stderr).
        def scene(*args):
            logging.getLogger('nova.compute').warning(FORCED)
            return types.SimpleNamespace(to_dict=lambda: {'scene': 1},
                                         error=None)
        fake = types.SimpleNamespace(run_scene=scene,
                                     run_failure_scene=scene,
                                     run_maintenance_scene=scene)
        # In place of the module, which imports Nova's test services.
        self.useFixture(fixtures.MonkeyPatch('zha_scheduler.sim.demo', fake))
        log_file = os.path.join(self.tmp, 'demo.log')
        status, out, err = self.manage('demo', '--format', 'json',
                                       '--log-file', log_file)
        self.assertEqual((0, ''), (status, err))
        self.assertEqual([{'scene': 1}] * 4, json.loads(out))
        with open(log_file) as f:
            self.assertIn(FORCED, f.read())
