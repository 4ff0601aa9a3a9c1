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

"""Unit tests of ``zha-scheduler check`` run in-process:
output and exit status.
"""

from contextlib import redirect_stderr
from contextlib import redirect_stdout
import io
import json
import os

import fixtures

from tests.unit.check import helpers
from zha_scheduler.cmd import manage


class CheckCliTest(helpers.CheckTestCase):

    def setUp(self):
        super().setUp()
        # The CLI quietens process-wide logging and warnings: not here.
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.cmd.commands.check._quiet', lambda: None))
        self.units = os.path.join(self.tmp, 'units')
        os.mkdir(self.units)

    def main(self, nova_text, *args):
        nova = self.write('nova.conf', nova_text)
        argv = ['check', '--nova-conf', nova, '--skip-placement',
                '--systemd-dir', self.units] + list(args)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = manage.main(argv)
            except SystemExit as exc:  # argparse's usage errors
                status = exc.code
        return status, out.getvalue(), err.getvalue()

    def test_good_config_exits_0(self):
        status, out, err = self.main(helpers.snippet())
        self.assertEqual(0, status, out)
        self.assertEqual('', err)
        self.assertEqual('0 errors, 1 warnings', out.splitlines()[-1])

    def test_error_exits_1_with_fix_lines(self):
        status, out, _ = self.main(helpers.snippet().replace(
            'available_filters = nova.scheduler.filters.all_filters\n', ''))
        self.assertEqual(1, status)
        lines = out.splitlines()
        index = next(i for i, line in enumerate(lines)
                     if line.startswith('ERROR  nova-filters-kept: '))
        self.assertTrue(
            lines[index + 1].startswith('    fix: add "available_filters'))

    def test_json_output(self):
        status, out, _ = self.main(helpers.snippet(), '--format', 'json')
        data = json.loads(out)
        self.assertEqual(0, status)
        self.assertEqual((0, 1), (data['errors'], data['warnings']))
        self.assertEqual({'check', 'severity', 'message', 'fix'},
                         set(data['findings'][0]))
        checks = [f['check'] for f in data['findings']]
        for check in ('filters-loadable', 'filters-enabled',
                      'nova-filters-kept', 'weighers-enabled',
                      'anti-affinity-filter', 'filter-order',
                      'placement-reachable', 'topology-traits',
                      'standby-partners', 'resume-guests-state',
                      'restart-policy', 'agent-config', 'hook-config',
                      'fencing', 'hmc-reachable', 'hmc-lpars',
                      'lpars-coverage', 'coordination-reachable'):
            self.assertIn(check, checks)

    def test_skip_hmc(self):
        lpars = self.write('lpars.yaml', 'lpar1: {cpc: Z1, lpar: KVM1}\n')
        hook = self.write('hook.conf', (
            '[zha_evacuate]\nfencing = hmc\nhmc_host = 127.0.0.1\n'
            'hmc_port = %d\nhmc_userid = u\nhmc_password = p\n'
            'lpars_file = %s\ncoordination_url = file://%s/locks\n'
            '[nova]\nauth_type = admin_token\nendpoint = http://placement\n'
            'token = t\n' % (helpers.closed_port(), lpars, self.tmp)))
        status, out, _ = self.main(helpers.snippet(), '--hook-conf', hook,
                                   '--format', 'json')
        self.assertEqual(1, status)
        found = {f['check']: f for f in json.loads(out)['findings']}
        self.assertEqual('error', found['hmc-reachable']['severity'])
        self.assertIn('check [zha_evacuate] hmc_host and hmc_port',
                      found['hmc-reachable']['fix'])
        self.assertEqual('ok', found['coordination-reachable']['severity'])
        status, out, _ = self.main(helpers.snippet(), '--hook-conf', hook,
                                   '--skip-hmc', '--format', 'json')
        self.assertEqual(0, status, out)
        found = [f for f in json.loads(out)['findings']
                 if f['check'] in ('hmc-reachable', 'hmc-lpars')]
        self.assertEqual(['skipped: --skip-hmc'] * 2,
                         [f['message'] for f in found])

    def test_missing_or_broken_files_exit_2_with_one_line(self):
        status, out, err = self.main(helpers.snippet(), '--hook-conf',
                                     os.path.join(self.tmp, 'none.conf'))
        self.assertEqual(2, status)
        self.assertEqual('', out)
        self.assertEqual('zha-scheduler check: error: cannot read '
                         '%s/none.conf: No such file or directory\n'
                         % self.tmp, err)
        status, _, err = self.main('[filter_scheduler]\nno equals sign\n')
        self.assertEqual(2, status)
        self.assertEqual(1, len(err.splitlines()))

    def test_usage_error_exits_2(self):
        self.assertEqual(2, self.main(helpers.snippet(), '--format', 'xml')[0])
