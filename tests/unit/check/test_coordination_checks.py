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

"""Unit tests of coordination-reachable."""

import os
import time

from tests.unit.check import helpers
from tests.unit.clients import test_coordination_backend as backend_test
from zha_scheduler.check import coordination_checks
from zha_scheduler.check import findings
from zha_scheduler.check import tools_conf

CHECK = 'coordination-reachable'


class CoordinationCheckTest(helpers.CheckTestCase):

    def check(self, url, **kwargs):
        hook = tools_conf.load_hook(self.write(
            'hook.conf', '[zha_evacuate]\ncoordination_url = %s\n' % url))
        return coordination_checks.check_coordination(hook, **kwargs)

    def test_usable_file_directory_is_ok_and_not_created(self):
        locks = os.path.join(self.tmp, 'locks')
        ok = self.only(self.check('file://' + locks), CHECK, findings.OK)
        self.assertEqual('coordination_url file://%s: the lock directory is '
                         'usable by this user; locks are seen on this '
                         'controller only' % locks, ok.message)
        # tooz would create it owned by whoever runs the check.
        self.assertFalse(os.path.exists(locks))

    def test_unusable_file_directory(self):
        not_dir = self.write('file', '')
        error = self.only(self.check('file://%s/locks' % not_dir), CHECK,
                          findings.ERROR)
        self.assertEqual(
            '[zha_evacuate] coordination_url file://%s/locks: the lock '
            'directory: %s/locks cannot be created: %s is not a directory. '
            'zha-evacuate does not start' % (not_dir, not_dir, not_dir),
            error.message)
        self.assertIn('create the directory, writable by the user '
                      'zha-evacuate runs as', error.fix)

    def test_unknown_driver(self):
        error = self.only(self.check('etcd://h:2379'), CHECK, findings.ERROR)
        self.assertIn("[zha_evacuate] coordination_url etcd://h:2379: 'etcd' "
                      "is not a tooz driver; known drivers: ", error.message)
        self.assertIn('set coordination_url to a URL of an installed driver: '
                      'redis://HOST:6379', error.fix)

    def test_driver_library_not_importable(self):
        patched = backend_test.without_redis()
        self.addCleanup(patched.stop)
        error = self.only(self.check('redis://127.0.0.1:6379'), CHECK,
                          findings.ERROR)
        self.assertIn('the tooz driver redis cannot be loaded: ',
                      error.message)
        self.assertIn('(install the Python package redis). zha-evacuate does '
                      'not start', error.message)
        self.assertIn('pip install "tooz[redis]"', error.fix)

    def test_unreachable_redis_fails_fast(self):
        port = backend_test.free_port()
        started = time.monotonic()
        error = self.only(self.check('redis://:s3cret@127.0.0.1:%d' % port),
                          CHECK, findings.ERROR)
        self.assertLess(time.monotonic() - started, 2)
        self.assertRegex(error.message, (
            r'^cannot use the coordination backend redis://:\*\*\*@127\.0\.0'
            r'\.1:%d: cannot connect to 127\.0\.0\.1 port %d: %s\. '
            r"zha-evacuate takes each host's lock there before fencing: it "
            r'evacuates nothing while the backend is down$'
            % (port, port, backend_test.REFUSED)))
        self.assertNotIn('s3cret', error.message)
        self.assertEqual(
            'start the backend on 127.0.0.1 port %d (or correct '
            '[zha_evacuate] coordination_url); every controller that runs '
            'zha-evacuate must reach it' % port, error.fix)

    def test_silent_backend_is_given_up(self):
        server = self.useFixture(backend_test.SilentServer())
        started = time.monotonic()
        error = self.only(self.check('redis://127.0.0.1:%d' % server.port,
                                     timeout=0.5), CHECK, findings.ERROR)
        self.assertLess(time.monotonic() - started, 3)
        self.assertIn(': no answer within 1 s.', error.message)

    def test_skipped_without_hook_conf(self):
        self.assertEqual(
            [findings.skipped(CHECK, 'no --hook-conf given')],
            coordination_checks.check_coordination(None))
