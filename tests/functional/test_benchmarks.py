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

"""The scheduling benchmark runs, small, and says what it measured."""

import json
import os
import subprocess
import sys

import testtools

TOOLS = os.path.join(os.path.dirname(__file__), '..', '..', 'tools')


def _run(*args):
    return subprocess.run(
        [sys.executable, os.path.join(TOOLS, 'benchmark.py'), *args],
        capture_output=True, text=True, timeout=600)


class SchedulingBenchmarkTest(testtools.TestCase):

    def test_help(self):
        done = _run('--help')
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertIn('--format', done.stdout)

    def test_bad_arguments_are_one_line_and_exit_2(self):
        done = _run('--hosts', '10', '--cpcs', '20')
        self.assertEqual(2, done.returncode)
        self.assertIn('--hosts >= 2 x --cpcs', done.stderr)

    def test_small_run_as_json(self):
        done = _run('--hosts', '120', '--cpcs', '6', '--group-size', '4',
                    '--rounds', '1', '--format', 'json')
        self.assertEqual(0, done.returncode, done.stderr)
        found = json.loads(done.stdout)
        self.assertEqual(['boot', 'multi-create'],
                         [k['kind'] for k in found['kinds']])
        for kind in found['kinds']:
            self.assertEqual(0, kind['placement_calls'])
            self.assertEqual(0, kind['checks']['members_on_unusable_hosts'])
            self.assertLessEqual(kind['checks']['max_cpc_skew'], 1)
            self.assertGreater(kind['baseline']['cpu_ms'], 0)
            self.assertGreater(kind['zha']['cpu_ms'], 0)
            self.assertEqual(
                ['ZhaStandbyFilter', 'ZhaRedundancyFilter',
                 'ZhaConsistencyGroupFilter', 'ZhaFailureDomainFilter',
                 'ZhaFailureDomainWeigher', 'ZhaRedundancyWeigher'],
                [p['name'] for p in kind['pieces']])
        self.assertEqual([1, 4], [k['passes'] for k in found['kinds']])
