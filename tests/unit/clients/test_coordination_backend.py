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

"""Unit tests for zha_scheduler.clients.coordination_backend."""

import os
import socket
import sys
import time
from unittest import mock

import fixtures
from oslotest import base

from zha_scheduler.clients import coordination_backend

# What a refused connection reads as, with and without eventlet (Nova's
# tests monkey-patch sockets).
REFUSED = r'(Connection refused|ECONNREFUSED)'


def free_port():
    """A local TCP port nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SilentServer(fixtures.Fixture):
    """A TCP port that accepts connections and never answers."""

    def _setUp(self):
        self.sock = socket.socket()
        self.addCleanup(self.sock.close)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]


def without_redis():
    """sys.modules as if the redis package were not installed."""
    patched = mock.patch.dict(sys.modules)
    patched.start()
    for name in list(sys.modules):
        if name == 'tooz.drivers.redis' or name.split('.')[0] == 'redis':
            del sys.modules[name]
    sys.modules['redis'] = None  # "import redis" raises ImportError
    return patched


class CheckUrlTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_installed_drivers(self):
        self.assertLessEqual({'file', 'redis', 'etcd3+http', 'zookeeper'},
                             set(coordination_backend.drivers()))

    def test_unknown_driver_names_the_known_ones(self):
        unknown = coordination_backend.UnknownDriverError
        exc = self.assertRaises(unknown, coordination_backend.check_url,
                                'etcd://h:2379')
        self.assertIn("'etcd' is not a tooz driver; known drivers: ",
                      str(exc))
        self.assertIn('etcd3+http', str(exc))
        exc = self.assertRaises(unknown, coordination_backend.check_url,
                                '/var/lib/locks')
        self.assertIn('no driver is named', str(exc))

    def test_driver_without_its_library(self):
        patched = without_redis()
        self.addCleanup(patched.stop)
        exc = self.assertRaises(coordination_backend.DriverLibraryError,
                                coordination_backend.check_url,
                                'redis://h:6379')
        self.assertIn('the tooz driver redis cannot be loaded: ', str(exc))
        self.assertIn('(install the Python package redis)', str(exc))

    def test_file_directory_is_checked_not_created(self):
        locks = os.path.join(self.tmp, 'a', 'locks')
        coordination_backend.check_url('file://' + locks)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'a')))
        not_dir = os.path.join(self.tmp, 'file')
        open(not_dir, 'w').close()
        exc = self.assertRaises(coordination_backend.LockDirectoryError,
                                coordination_backend.check_url,
                                'file://%s/locks' % not_dir)
        self.assertIn('%s/locks cannot be created: %s is not a directory'
                      % (not_dir, not_dir), str(exc))

    def test_redact(self):
        self.assertEqual('redis://:***@h:6379',
                         coordination_backend.redact('redis://:pw@h:6379'))
        self.assertEqual('redis://u:***@h',
                         coordination_backend.redact('redis://u:pw@h'))
        self.assertEqual('file:///x', coordination_backend.redact('file:///x'))

    def test_local_drivers(self):
        self.assertTrue(coordination_backend.is_local('file:///x'))
        self.assertFalse(coordination_backend.is_local('redis://h'))


class ProbeTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_file_backend_joins_and_leaves(self):
        seconds = coordination_backend.probe('file://' + self.tmp, 1)
        self.assertLess(seconds, 5)

    def test_refused_connection_fails_at_once(self):
        port = free_port()
        started = time.monotonic()
        exc = self.assertRaises(coordination_backend.UnreachableError,
                                coordination_backend.probe,
                                'redis://127.0.0.1:%d' % port, 5)
        self.assertLess(time.monotonic() - started, 2)
        self.assertRegex(str(exc), r'^cannot connect to 127\.0\.0\.1 port '
                         r'%d: %s$' % (port, REFUSED))

    def test_unresolvable_host(self):
        exc = self.assertRaises(coordination_backend.UnreachableError,
                                coordination_backend.probe,
                                'redis://no-such-host.invalid', 2)
        self.assertIn('cannot connect to no-such-host.invalid port 6379: ',
                      str(exc))

    def test_a_server_that_never_answers_is_given_up(self):
        server = self.useFixture(SilentServer())
        started = time.monotonic()
        exc = self.assertRaises(coordination_backend.UnreachableError,
                                coordination_backend.probe,
                                'redis://127.0.0.1:%d' % server.port, 0.5)
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual('no answer within 1 s', str(exc))

    def test_driver_errors_are_unreachable_errors(self):
        with mock.patch('tooz.coordination.get_coordinator', autospec=True,
                        side_effect=ValueError('Malformed URL')):
            exc = self.assertRaises(coordination_backend.UnreachableError,
                                    coordination_backend.probe,
                                    'redis:///tmp/redis.sock', 1)
        self.assertEqual('Malformed URL', str(exc))

    def test_start_failure_is_reported(self):
        driver = mock.Mock()
        driver.start.side_effect = RuntimeError('NOAUTH Authentication\n'
                                                'required.')
        with mock.patch('tooz.coordination.get_coordinator', autospec=True,
                        return_value=driver):
            exc = self.assertRaises(coordination_backend.UnreachableError,
                                    coordination_backend.probe,
                                    'redis:///tmp/redis.sock', 1)
        self.assertEqual('NOAUTH Authentication required.', str(exc))
        driver.stop.assert_not_called()

    def test_timeout_is_given_to_the_driver(self):
        driver = mock.Mock()
        with mock.patch('tooz.coordination.get_coordinator', autospec=True,
                        return_value=driver) as get:
            coordination_backend.probe('redis:///tmp/redis.sock', 3)
        self.assertEqual('3', get.call_args.kwargs['timeout'])
        driver.start.assert_called_once_with(start_heart=False)
        driver.stop.assert_called_once_with()
