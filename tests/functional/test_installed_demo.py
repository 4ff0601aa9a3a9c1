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

"""zha-scheduler installed as a user would, not editable, runs its demo.

tools/check_installed_demo.sh makes a fresh virtualenv, installs this
checkout with its ``demo`` extra (``pip install -c constraints.txt
'<checkout>[demo]'``) and runs ``zha-scheduler demo`` from another directory.
That takes minutes and needs the package index, so the test runs only when
ZHA_TEST_INSTALLED_DEMO=1.
"""

import os
import subprocess

from oslotest import base

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir,
                                     os.pardir))
SCRIPT = os.path.join(REPO, 'tools', 'check_installed_demo.sh')
ENABLED = os.environ.get('ZHA_TEST_INSTALLED_DEMO') == '1'
# Building the virtualenv takes about 2 minutes, the demo 1: a generous cap.
TIMEOUT = 1800
SCENES = ('Stock Nova 34', 'Nova 34 with zha-scheduler',
          'An LPAR fails: zha-evacuate restarts its guests on the standby')


class InstalledDemoTest(base.BaseTestCase):
    """The non-editable install with the demo extra runs the demo."""

    def setUp(self) -> None:
        super().setUp()
        if not ENABLED:
            self.skipTest('builds a fresh virtualenv from the package index '
                          '(minutes, network): set ZHA_TEST_INSTALLED_DEMO=1 '
                          'to run it')
        if not os.path.isdir(os.path.join(REPO, '.git')):
            # pbr reads the version from git: pip cannot build without it.
            self.skipTest('%s is not a git checkout' % REPO)

    def test_demo_runs_from_a_fresh_virtualenv(self) -> None:
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        done = subprocess.run([SCRIPT], capture_output=True, text=True,
                              timeout=TIMEOUT, env=env, cwd='/')
        self.assertEqual(0, done.returncode,
                         'stdout:\n%s\nstderr:\n%s' % (done.stdout,
                                                       done.stderr[-5000:]))
        for title in SCENES:
            self.assertIn('%s\n%s\n' % (title, '=' * len(title)),
                          done.stdout)
        self.assertNotIn('FAILED:', done.stdout)
        self.assertIn('traits from zha-trait-agent', done.stdout)
        self.assertIn('CPC_Z1 NET_REDUNDANT STORAGE_REDUNDANT', done.stdout)
        self.assertIn('Recovery: ', done.stdout)
