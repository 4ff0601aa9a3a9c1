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

"""The committed sample configs match the options in the code."""

import os
import subprocess
import sys

import fixtures
from oslotest import base

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')


class SampleConfigTest(base.BaseTestCase):

    def _check(self, name):
        generator_config = os.path.join(ROOT, 'etc', 'oslo-config-generator',
                                        name + '.conf')
        output = os.path.join(self.useFixture(fixtures.TempDir()).path,
                              'sample')
        # In a process of its own: importing Nova changes oslo.log's
        # defaults in this one (default_log_levels), which the sample shows.
        subprocess.run([sys.executable, '-m', 'oslo_config.generator',
                        '--config-file', generator_config,
                        '--output-file', output], check=True, cwd=ROOT)
        with open(output) as current:
            generated = current.read()
        with open(os.path.join(ROOT, 'etc', name + '.conf.sample')) as sample:
            self.assertEqual(
                sample.read(), generated,
                'etc/%s.conf.sample is stale: run oslo-config-generator '
                '--config-file %s' % (name, generator_config))

    def test_scheduler_sample_is_current(self):
        self._check('zha-scheduler')

    def test_agent_sample_is_current(self):
        self._check('zha-trait-agent')

    def test_evacuate_sample_is_current(self):
        self._check('zha-evacuate')
