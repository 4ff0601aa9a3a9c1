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

"""Unit tests of the findings, the report and its text and JSON output."""

import json

from oslotest import base

from zha_scheduler.check import findings


def _report():
    report = findings.Report()
    report.add([findings.ok('nova-conf', 'read /etc/nova/nova.conf'),
                findings.error('anti-affinity-filter', 'it is off',
                               'enable it'),
                findings.warning('filter-order', 'too early', 'move it'),
                findings.skipped('fencing', 'no --hook-conf given')])
    return report


class ReportTest(base.BaseTestCase):

    def test_text_has_one_line_per_finding_fix_lines_and_summary(self):
        self.assertEqual(
            ['OK  nova-conf: read /etc/nova/nova.conf',
             'ERROR  anti-affinity-filter: it is off',
             '    fix: enable it',
             'WARNING  filter-order: too early',
             '    fix: move it',
             'OK  fencing: skipped: no --hook-conf given',
             '1 errors, 1 warnings'],
            _report().to_text().splitlines())

    def test_json_shape(self):
        data = json.loads(_report().to_json())
        self.assertEqual({'findings', 'errors', 'warnings'}, set(data))
        self.assertEqual((1, 1), (data['errors'], data['warnings']))
        self.assertEqual({'check': 'anti-affinity-filter', 'severity': 'error',
                          'message': 'it is off', 'fix': 'enable it'},
                         data['findings'][1])
        self.assertIsNone(data['findings'][0]['fix'])
        self.assertEqual(['ok', 'error', 'warning', 'ok'],
                         [f['severity'] for f in data['findings']])

    def test_exit_status_counts_errors_only(self):
        self.assertEqual(1, _report().exit_status)
        report = findings.Report([findings.warning('x', 'y', 'z')])
        self.assertEqual(0, report.exit_status)
        self.assertEqual('0 errors, 1 warnings',
                         report.to_text().splitlines()[-1])
        self.assertEqual(0, findings.Report().exit_status)

    def test_name_list_counts_the_names_it_leaves_out(self):
        self.assertEqual('a, b', findings.name_list(['b', 'a']))
        names = ['h%02d' % i for i in range(12)]
        self.assertEqual('h00, h01, h02 (+9 more)',
                         findings.name_list(names, 3))

    def test_one_line(self):
        self.assertEqual('a b', findings.one_line(ValueError('a\n  b')))
        self.assertEqual('KeyError', findings.one_line(KeyError()))
