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
