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

"""The documentation matches the code: what generating it and linting the
release notes give, each in a process of its own."""

import os
import subprocess
import sys

import fixtures
from oslotest import base

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DOC = os.path.join(ROOT, 'doc')


class ConfigurationPageTest(base.BaseTestCase):

    def test_configuration_page_is_current(self):
        output = os.path.join(self.useFixture(fixtures.TempDir()).path,
                              'configuration.md')
        # In a process of its own, as the sample config test does.
        subprocess.run([sys.executable, 'tools/gen_config_doc.py',
                        '--output', output], check=True, cwd=ROOT)
        with open(output, encoding='utf-8') as f:
            generated = f.read()
        with open(os.path.join(DOC, 'configuration.md'),
                  encoding='utf-8') as f:
            committed = f.read()
        self.assertEqual(
            committed, generated,
            'doc/configuration.md is stale: run '
            '.venv/bin/python tools/gen_config_doc.py')


class ReleaseNotesTest(base.BaseTestCase):

    def test_reno_lint(self):
        reno = os.path.join(os.path.dirname(sys.executable), 'reno')
        self.assertTrue(os.path.exists(reno),
                        'reno is not installed next to %s: install '
                        'test-requirements.txt' % sys.executable)
        result = subprocess.run([reno, '-q', 'lint'], cwd=ROOT,
                                capture_output=True, text=True)
        self.assertEqual(0, result.returncode,
                         'reno lint failed:\n%s%s'
                         % (result.stdout, result.stderr))
