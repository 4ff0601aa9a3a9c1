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

"""Unit tests of the ``zha-scheduler capacity`` command, run in-process."""

from contextlib import redirect_stderr
from contextlib import redirect_stdout
import io
import json
import os

import fixtures
from oslo_config import cfg
from oslotest import base

from tests.unit.insight.test_capacity import guests
from tests.unit.insight.test_capacity import host
from zha_scheduler.cmd import manage
from zha_scheduler.insight import snapshot


class CommandTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        # The command parses oslo.config's global CONF, as a process does;
        # Nova's own test fixtures need it unparsed again afterwards.
        self.addCleanup(cfg.CONF.reset)
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.partners = self.write('partners.yaml', 'p1: s2\np2: s2\n')

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def snapshot(self, standby_ram):
        snap = snapshot.Snapshot(
            hosts=[host('p1', 'Z1'), host('p2', 'Z1'),
                   host('s2', 'Z2', standby=True, ram=standby_ram)],
            instances=guests('p1', 2) + guests('p2', 1))
        path = os.path.join(self.tmp, 'snap-%d.json' % standby_ram)
        snapshot.save(snap, path)
        return path

    def main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = manage.main(['capacity'] + list(args))
        return status, out.getvalue(), err.getvalue()

    def test_all_absorbed_exits_0(self):
        status, out, err = self.main('--snapshot', self.snapshot(8192),
                                     '--partners', self.partners)
        self.assertEqual((0, ''), (status, err))
        header = out.splitlines()[0].split()
        self.assertEqual(['HOST', 'CPC', 'TARGET'], header[:3])
        self.assertIn('p1    Z1   s2', out)
        self.assertIn('CPC Z1 failure (2 LPARs): survivable (3 instances)',
                      out)
        self.assertTrue(out.rstrip().endswith(
            'OK: 0 of 2 primaries cannot be absorbed, 0 of 1 single-CPC '
            'failures not survivable'), out)

    def test_cpc_failure_exits_1(self):
        status, out, _ = self.main('--snapshot', self.snapshot(4096),
                                   '--partners', self.partners)
        self.assertEqual(1, status)
        self.assertIn('CPC Z1 failure (2 LPARs): NOT survivable: 1 instances '
                      '(2 vCPU, 2048 MB, 10 GB) do not fit', out)

    def test_short_primary_exits_1_with_json(self):
        status, out, _ = self.main('--snapshot', self.snapshot(2048),
                                   '--partners', self.partners,
                                   '--format', 'json')
        self.assertEqual(1, status)
        data = json.loads(out)
        self.assertFalse(data['ok'])
        self.assertEqual({'MEMORY_MB': 2048},
                         data['primaries'][0]['shortfall'])

    def test_partners_file_from_config(self):
        conf = self.write('zha.conf', '[zha_evacuate]\npartners_file = %s\n'
                          % self.partners)
        status, out, _ = self.main('--snapshot', self.snapshot(8192),
                                   '--config-file', conf, '--format', 'json')
        self.assertEqual(0, status)
        primary = json.loads(out)['primaries'][0]
        self.assertEqual('partner', primary['target_kind'])

    def test_errors_exit_2_with_one_line(self):
        good = self.snapshot(8192)
        cases = [
            ('--snapshot', self.write('bad.json', '{"hosts": [')),
            ('--snapshot',
             self.write('old.json', '{"hosts": [], "format_version": 0}')),
            ('--snapshot', os.path.join(self.tmp, 'missing.json')),
            ('--snapshot', good, '--partners',
             self.write('p.yaml', '- a\n- b\n')),
            ('--snapshot', good, '--partners', self.write('y.yaml', 'a: [\n')),
            ('--snapshot', good, '--config-file',
             os.path.join(self.tmp, 'no.conf')),
            ('--snapshot', good, '--config-file',
             self.write('v.conf', '[zha_evacuate]\nmax_parallel = x\n')),
        ]
        for args in cases:
            status, out, err = self.main(*args)
            self.assertEqual(2, status, args)
            self.assertEqual(('', 1), (out, len(err.splitlines())),
                             (args, err))
            self.assertTrue(err.startswith('zha-scheduler capacity: '), err)
            self.assertNotIn('Traceback', err)

    def test_usage_error_exits_2(self):
        # main() returns the status after one line (issue 12): no usage
        # text, no SystemExit.
        status, out, err = self.main('--format', 'xml')
        self.assertEqual((2, ''), (status, out))
        self.assertEqual(["zha-scheduler capacity: error: argument --format: "
                          "invalid choice: 'xml' (choose from 'table', "
                          "'json'); see zha-scheduler capacity --help"],
                         err.splitlines())
