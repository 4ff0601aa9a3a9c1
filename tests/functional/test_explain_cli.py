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

"""The ``zha-scheduler explain`` and ``audit`` commands as an operator runs
them: the console script in a process of its own, on a saved snapshot."""

import json
import os
import subprocess
import sys
import tempfile

from nova import test

from tests.unit.insight.test_explain import cloud
from zha_scheduler.insight import snapshot
from zha_scheduler.sim import nova_conf


class CommandTest(test.NoDBTestCase):
    """The command as an operator runs it, in a process of its own."""

    def run_cli(self, *args):
        script = os.path.join(os.path.dirname(sys.executable), 'zha-scheduler')
        return subprocess.run([script, *args], capture_output=True, text=True,
                              timeout=120)

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(subprocess.run, ['rm', '-rf', self.dir])
        self.path = os.path.join(self.dir, 'snap.json')
        snapshot.save(cloud(), self.path)
        self.conf = nova_conf.snippet_path()

    def test_json_output(self):
        done = self.run_cli('explain', '--config-file', self.conf,
                            '--snapshot', self.path, '--flavor', 'ha',
                            '--group', 'db', '--format', 'json')
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual('cpc2-lpar2', json.loads(done.stdout)['chosen'])
        self.assertEqual('', done.stderr)

    def test_user_mistakes_exit_2_without_traceback(self):
        bad_json = os.path.join(self.dir, 'bad.json')
        with open(bad_json, 'w') as out:
            out.write('{')
        for args, message in (
                (('--flavor', 'nope'), "no flavor 'nope'"),
                (('--flavor', 'ha', '--group', 'nope'),
                 "no server group 'nope'"),
                (('--flavor', 'ha', '--hint', 'novalue'), "is not KEY=VALUE"),
                (('--flavor', 'ha', '--image', 'x'),
                 '--image reads the live cloud')):
            done = self.run_cli('explain', '--config-file', self.conf,
                                '--snapshot', self.path, *args)
            self.assertEqual(2, done.returncode, args)
            self.assertIn(message, done.stderr)
            self.assertNotIn('Traceback', done.stderr)
        done = self.run_cli('explain', '--config-file', self.conf,
                            '--snapshot', bad_json, '--flavor', 'ha')
        self.assertEqual(2, done.returncode)
        self.assertIn('is not JSON', done.stderr)
        done = self.run_cli('audit', '--config-file', '/nonexistent.conf',
                            '--snapshot', self.path)
        self.assertEqual(2, done.returncode)
        self.assertIn('cannot read /nonexistent.conf', done.stderr)

    def test_audit_exit_status(self):
        done = self.run_cli('audit', '--config-file', self.conf,
                            '--snapshot', self.path)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        broken = cloud(members_on=('cpc1-lpar1', 'cpc1-lpar2'))
        snapshot.save(broken, self.path)
        done = self.run_cli('audit', '--config-file', self.conf,
                            '--snapshot', self.path, '--format', 'json')
        self.assertEqual(1, done.returncode)
        self.assertEqual(1, json.loads(done.stdout)['audit']['violations'])
        done = self.run_cli('audit', '--snapshot', self.path, '--apply')
        self.assertEqual(2, done.returncode)
