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

"""HostFS.run on the live host: real commands in processes of their own.

The captured-output side of HostFS.run, under another root, is unit tested
in tests/unit/agent/test_hostfs.py.
"""

import shlex
import sys

from oslotest import base

from zha_scheduler.agent import hostfs


class LiveRunTest(base.BaseTestCase):

    def test_live_command(self):
        fs = hostfs.HostFS('/')
        self.assertTrue(fs.live)
        command = '%s -c "print(42)"' % shlex.quote(sys.executable)
        self.assertEqual('42\n', fs.run(command))

    def test_live_command_fails(self):
        fs = hostfs.HostFS()
        command = ('%s -c "import sys; sys.stderr.write(\'error -104 receiving'
                   ' packet\\n\'); sys.exit(1)"' % shlex.quote(sys.executable))
        error = self.assertRaises(hostfs.CommandError, fs.run, command)
        self.assertIn('status 1', str(error))
        self.assertIn('error -104 receiving packet', str(error))

    def test_live_command_missing(self):
        error = self.assertRaises(hostfs.CommandError, hostfs.HostFS().run,
                                  'no-such-command-zha show maps json')
        self.assertIn('no-such-command-zha', str(error))

    def test_live_command_timeout(self):
        command = '%s -c "import time; time.sleep(5)"' % shlex.quote(
            sys.executable)
        self.assertRaises(hostfs.CommandError, hostfs.HostFS().run, command,
                          timeout=0.2)
