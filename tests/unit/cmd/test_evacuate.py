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

from contextlib import redirect_stderr
from contextlib import redirect_stdout
import io
import os
from unittest import mock

import fixtures
from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.cmd import evacuate
from zha_scheduler.evacuate import lock


class CliTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conf = os.path.join(self.tmp, 'e.conf')
        with open(self.conf, 'w') as f:
            f.write('[zha_evacuate]\ncoordination_url = file://%s\n'
                    'state_dir = %s\npoll_interval = 0.01\n'
                    % (self.tmp, self.tmp))
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1', up=False), fakes.service('l2'),
             fakes.service('l3')],
            [fakes.instance('a')])
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.clients.nova_client.NovaClient',
            lambda conn: self.nova))

    def main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = evacuate.main(['--config-file', self.conf] + list(args),
                                   conn=object())
        return status, out.getvalue(), err.getvalue()

    def test_ok_with_json(self):
        status, out, _ = self.main('lpar1', '--format', 'json')
        self.assertEqual(0, status)
        self.assertIn('"outcome": "evacuated"', out)

    def test_refused_up_host_and_busy_lock_exit_3(self):
        status, _, err = self.main('l2')
        self.assertEqual(3, status)
        self.assertIn('refused', err)
        with lock.host_lock('file://' + self.tmp, 'lpar1'):
            status, _, err = self.main('lpar1')
        self.assertEqual(3, status)
        self.assertIn('nothing done', err)
        self.assertEqual([], self.nova.evacuated)

    def test_failed_instance_exits_1(self):
        self.nova.refuse = {None}
        status, out, _ = self.main('lpar1')
        self.assertEqual(1, status)
        self.assertIn('failed', out)

    def test_usage_errors_exit_2(self):
        self.assertEqual(2, self.main()[0])
        self.assertEqual(2, self.main('lpar1', '--format', 'xml')[0])
        with open(self.conf, 'a') as f:
            f.write('max_parallel = 0\n')
        self.assertEqual(2, self.main('lpar1')[0])

    def test_fencing_is_imported_only_when_configured(self):
        with mock.patch.dict('sys.modules',
                             {'zha_scheduler.evacuate.fencing': None}):
            self.assertEqual(0, self.main('lpar1', '--dry-run')[0])

    def test_configuration_errors_exit_2_with_one_line(self):
        lpars = os.path.join(self.tmp, 'lpars.yaml')
        with open(lpars, 'w') as f:
            f.write('- lpar1\n- lpar2\n')
        cases = {
            'fencing = hmc\n': 'fencing = hmc needs [zha_evacuate] hmc_host',
            'fencing = hmc\nhmc_host = h\nhmc_userid = u\nhmc_password = p\n'
            'lpars_file = %s\n' % lpars: 'found list',
            'partners_file = %s\n' % lpars: 'must map each primary host',
        }
        with open(self.conf) as f:
            base_conf = f.read()
        for options, why in cases.items():
            with open(self.conf, 'w') as f:
                f.write(base_conf + options)
            status, out, err = self.main('lpar1')
            self.assertEqual(2, status, err)
            self.assertEqual('', out)
            self.assertEqual(1, len(err.splitlines()), err)
            self.assertIn('zha-evacuate: configuration error: ', err)
            self.assertIn(why, err)
        self.assertEqual([], self.nova.evacuated)

    def test_no_nova_credentials_is_a_configuration_error(self):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = evacuate.main(['--config-file', self.conf, 'lpar1'])
        self.assertEqual(2, status)
        self.assertIn('[nova] auth_type is not set', err.getvalue())
