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

"""Unit tests of ``zha-scheduler snapshot --synthetic``, run in-process."""

from contextlib import redirect_stderr
from contextlib import redirect_stdout
import io
import os

import fixtures
from oslotest import base

from zha_scheduler.cmd import manage
from zha_scheduler.insight import snapshot


class SyntheticTest(base.BaseTestCase):

    def test_hosts_instances_and_cpcs_shape_the_cloud(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            's.json')
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = manage.main(['snapshot', '--synthetic', '--hosts', '8',
                                  '--cpcs', '4', '--instances', '6',
                                  '--output', path])
        self.assertEqual(0, status, err.getvalue())
        snap = snapshot.load(path)
        self.assertEqual(8, len(snap.hosts))
        self.assertEqual(6, len(snap.instances))
        self.assertEqual(4, len({snap.profile(h).cpc for h in snap.hosts}))
        self.assertIn('Saved 8 hosts, 6 instances', out.getvalue())
