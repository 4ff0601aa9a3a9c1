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

"""The command-line rules, each console script in a process of its own.

A user's mistake: exit status 2, exactly one line on stderr, no traceback,
nothing on stdout. ``--format json``: stdout parses even when the command
logs, and the log lines are on stderr. The process matters: the warnings
libraries print on import, oslo.log's handlers and the real file
descriptors are those an operator gets.
"""

import json
import os
import subprocess
import sys

import fixtures
from oslotest import base

from zha_scheduler.insight import snapshot
from zha_scheduler.insight import synthetic
from zha_scheduler.sim import agents
from zha_scheduler.sim import nova_conf

BIN = os.path.dirname(sys.executable)
FORCED = 'a line logged during the run'
# zha-scheduler with one function made to log FORCED at ERROR first (check
# shows ERROR and above): argv is module, function, then the command line.
LOGGING_DRIVER = '''
import importlib, logging, sys
from zha_scheduler.cmd import manage
module = importlib.import_module(sys.argv[1])
real = getattr(module, sys.argv[2])
def logging_then_real(*args, **kwargs):
    logging.getLogger('nova.scheduler').error(%r)
    return real(*args, **kwargs)
setattr(module, sys.argv[2], logging_then_real)
sys.exit(manage.main(sys.argv[3:]))
''' % FORCED


class CliConventionsTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.nova_conf = nova_conf.snippet_path()

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return path

    def run_cli(self, argv):
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=120, cwd=self.tmp)

    def assert_usage_errors(self, cases):
        """Run each ``(argv, expected part of the line)``."""
        for argv, why in cases:
            done = self.run_cli(argv)
            lines = done.stderr.splitlines()
            self.assertEqual((2, 1), (done.returncode, len(lines)),
                             (argv, done.stderr))
            self.assertNotIn('Traceback', done.stderr)
            self.assertEqual('', done.stdout, argv)
            self.assertIn(why, lines[0], argv)

    def bad_files(self):
        """A directory, non-UTF-8 text, binary garbage and a missing file."""
        latin1 = self.write('latin1.conf', b'[DEFAULT]\nsite = Z\xfcrich\n')
        garbage = self.write('garbage.conf', bytes(range(256)) * 2)
        missing = os.path.join(self.tmp, 'missing.conf')
        return [
            (self.tmp, 'cannot read %s: it is a directory; give the path of '
             'a config file' % self.tmp),
            (latin1, 'cannot read %s: not UTF-8 text (byte 0xfc on line 2); '
             'save it in UTF-8' % latin1),
            (garbage, 'cannot read %s: not UTF-8 text (byte 0x80 on line '
             '2)' % garbage),
            (missing, 'cannot read %s: No such file or directory' % missing),
        ]

    def test_trait_agent_mistakes(self):
        agent = os.path.join(BIN, 'zha-trait-agent')
        root = agents.fixtures_root() + '/healthy'
        conf = self.write('agent.conf', '[zha_agent]\nprovider_name = l1\n')
        cases = [([agent, '--config-file', path, '--root', root,
                   '--dry-run'], 'zha-trait-agent: error: ' + why)
                 for path, why in self.bad_files()]
        cases += [
            ([agent, '--config-file', conf, '--root', conf, '--dry-run'],
             'is not a directory'),
            ([agent, '--config-file', conf, '--root', '', '--dry-run'],
             '--root is empty'),
            ([agent, '--config-file', conf, '--root', root, '--dry-run',
              '--log-file', os.path.join(self.tmp, 'no', 'a.log')],
             'cannot open the log file'),
            ([agent, '--config-file', conf, '--bogus'],
             'unrecognized arguments: --bogus'),
            ([agent, '--config-file', self.write(
                'auth.conf', '[zha_agent]\nprovider_name = l1\n'
                '[placement]\nauth_type = passwrod\n'),
              '--root', root, '--once'], 'is not a keystoneauth plugin'),
        ]
        self.assert_usage_errors(cases)

    def test_evacuate_mistakes(self):
        evacuate = os.path.join(BIN, 'zha-evacuate')
        conf = self.write('e.conf', '[zha_evacuate]\ncoordination_url = '
                          'file://%s\nstate_dir = %s\n[nova]\nauth_type = '
                          'passwrod\n' % (self.tmp, self.tmp))
        cases = [([evacuate, '--config-file', path, 'lpar1'],
                  'zha-evacuate: error: ' + why)
                 for path, why in self.bad_files()]
        cases += [
            ([evacuate], 'the following arguments are required: host'),
            ([evacuate, '--config-file', conf, ''],
             'value required for option host'),
            ([evacuate, 'lpar1', '--format', 'xml'], 'Invalid String'),
            ([evacuate, '--config-file', conf, 'lpar1'],
             'zha-evacuate: configuration error: [nova] auth_type = '
             'passwrod is not a keystoneauth plugin'),
        ]
        self.assert_usage_errors(cases)

    def test_insight_bad_config_files(self):
        manage = os.path.join(BIN, 'zha-scheduler')
        command = {'explain': ['explain', '--flavor', 'z.small'],
                   'audit': ['audit'], 'capacity': ['capacity'],
                   'snapshot': ['snapshot', '-o', 'out.json']}
        self.assert_usage_errors([
            ([manage, *argv, '--config-file', path],
             'zha-scheduler %s: %s' % (argv[0], why))
            for argv, (path, why) in zip(command.values(),
                                         self.bad_files())])

    def test_insight_mistakes(self):
        manage = os.path.join(BIN, 'zha-scheduler')
        snap = os.path.join(self.tmp, 'snap.json')
        snapshot.save(synthetic.synthetic(hosts=8, instances=12, cpcs=2),
                      snap)
        self.assert_usage_errors([
            ([manage, 'capacity', '--snapshot', snap, '--partners',
              self.write('p.yaml', b'lpar1: st\xe9ndby\n')],
             'cannot use partners file'),
            ([manage, 'snapshot', '--synthetic', '--hosts', '50', '-o',
              'x.json'], 'cannot build that synthetic cloud'),
            ([manage, 'demo', '--log-file',
              os.path.join(self.tmp, 'no', 'demo.log')],
             'zha-scheduler demo: error: --log-file'),
            ([manage, 'explain', '--format', 'xml'],
             "invalid choice: 'xml'"),
        ])

    def test_nova_credentials_failing_at_the_first_request(self):
        # keystoneauth authenticates on the first request: the credentials
        # load, then the first read of the cloud fails.
        manage = os.path.join(BIN, 'zha-scheduler')
        self.assert_usage_errors([
            ([manage, 'audit', '--config-file', self.nova_conf,
              '--config-file', self.write('none.conf', '[nova]\n'
                                          'auth_type = none\n')],
             'cannot read the cloud with the [nova] credentials'),
            ([manage, 'capacity', '--config-file', self.nova_conf,
              '--config-file', self.write(
                  'refused.conf', '[nova]\nauth_type = password\n'
                  'auth_url = http://127.0.0.1:9/identity\nusername = u\n'
                  'password = p\nproject_name = p\n')],
             'cannot read the cloud with the [nova] credentials'),
        ])

    def test_check_mistakes(self):
        manage = os.path.join(BIN, 'zha-scheduler')
        base_argv = [manage, 'check', '--nova-conf', self.nova_conf,
                     '--skip-placement', '--systemd-dir', self.tmp,
                     '--format', 'json']
        self.assert_usage_errors([
            (base_argv + [option, path], 'zha-scheduler check: error: ' + why)
            for option, (path, why) in zip(
                ('--nova-conf', '--agent-conf', '--hook-conf', '--nova-conf'),
                self.bad_files())])

    def assert_json_and_logs(self, done, log_line=FORCED):
        self.assertIn(done.returncode, (0, 1), done.stderr)
        try:
            json.loads(done.stdout)
        except ValueError:
            self.fail('stdout is not JSON: %r' % done.stdout)
        self.assertIn(log_line, done.stderr)

    def test_trait_agent_json_with_warnings(self):
        conf = self.write('agent.conf', '[zha_agent]\nprovider_name = l1\n')
        done = self.run_cli([
            os.path.join(BIN, 'zha-trait-agent'), '--config-file', conf,
            '--root', agents.fixtures_root() + '/missing-files',
            '--dry-run', '--format', 'json'])
        self.assertEqual(0, done.returncode, done.stderr)
        self.assert_json_and_logs(done, 'WARNING zha_scheduler.agent')

    def logging_run(self, target, *argv):
        module, _, function = target.rpartition('.')
        return self.run_cli([sys.executable, '-c', LOGGING_DRIVER, module,
                             function, *argv])

    def json_run(self, target, command, *argv):
        snap = os.path.join(self.tmp, 'snap.json')
        snapshot.save(synthetic.synthetic(hosts=8, instances=12, cpcs=2),
                      snap)
        source = ['--config-file', self.nova_conf, '--snapshot', snap]
        if command == 'snapshot':
            source = ['-o', 'out.json']
        elif command == 'check':
            source = ['--nova-conf', self.nova_conf, '--skip-placement',
                      '--systemd-dir', self.tmp]
        done = self.logging_run(target, command, *argv, *source,
                                '--format', 'json')
        self.assert_json_and_logs(done)

    def test_explain_json_with_logs(self):
        self.json_run('zha_scheduler.insight.explain.explain', 'explain',
                      '--flavor', 'z.small')

    def test_audit_json_with_logs(self):
        self.json_run('zha_scheduler.insight.audit.audit', 'audit')

    def test_capacity_json_with_logs(self):
        self.json_run('zha_scheduler.insight.capacity.capacity', 'capacity')

    def test_snapshot_json_with_logs(self):
        self.json_run('zha_scheduler.insight.synthetic.synthetic',
                      'snapshot', '--synthetic', '--hosts', '100',
                      '--instances', '10')

    def test_check_json_with_logs(self):
        self.json_run('zha_scheduler.check.runner.run', 'check')
