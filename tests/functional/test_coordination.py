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

"""Leader election and the per-host lock on a real Redis server.

The watchers of two controllers are two Elections (or a child process
killed with SIGKILL: a controller that dies runs no cleanup). Takeover
times are reported as test details (``stestr last --subunit``) and
asserted only against generous bounds.
"""

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
import unittest
from unittest import mock

import fixtures
from oslotest import base
from testtools import content

from tests.functional import coordination_server
from zha_scheduler.check import coordination_checks
from zha_scheduler.check import findings
from zha_scheduler.check import tools_conf
from zha_scheduler.clients import coordination_backend
from zha_scheduler.evacuate import leader
from zha_scheduler.evacuate import lock

# Short expiry, set in the URL as an operator would, for the tests that
# wait for it several times; the default (lock.EXPIRY) is what the tests
# with a killed process measure.
FAST_EXPIRY = 3
FAST = 'lock_timeout=%d&membership_timeout=%d&socket_timeout=1' % (
    FAST_EXPIRY, FAST_EXPIRY)
# How long a test waits for what must happen within an expiry: generous,
# for a loaded CI machine.
SLACK = 20.0
# A child process: imports (about 1 s), then the role given.
CHILD = textwrap.dedent('''
    import sys
    import time
    from zha_scheduler.evacuate import leader
    from zha_scheduler.evacuate import lock
    url, role = sys.argv[1:]
    if role == 'leader':
        election = leader.Election(url)
        while not election.is_leader():
            time.sleep(0.1)
        print('ready', flush=True)
        while True:
            time.sleep(0.5)
            election.is_leader()
    else:
        with lock.host_lock(url, 'lpar1'):
            print('ready', flush=True)
            time.sleep(600)
''')


def _wait_for(predicate, timeout, interval=0.1):
    """Seconds until predicate() was true, or None after timeout."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(interval)


class _Base(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.useFixture(coordination_server.RedisServer())
        self.url = self.server.url
        self.fast_url = '%s?%s' % (self.server.url, FAST)
        # Everything, tooz's retries of a heartbeat included.
        self.logs = self.useFixture(fixtures.FakeLogger(level='INFO'))

    def election(self, url):
        election = leader.Election(url)
        self.addCleanup(election.stop)
        election.start()
        return election

    def child(self, role):
        """A process that leads, or holds lpar1's lock, on the server."""
        proc = subprocess.Popen(
            [sys.executable, '-c', CHILD, self.url, role],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=os.path.join(os.path.dirname(__file__), '..', '..'))
        self.addCleanup(self._reap, proc)
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else b''
        self.assertEqual(b'ready\n', line, 'the child did not start')
        return proc

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()

    def report(self, name, seconds):
        self.addDetail(name, content.text_content('%.2f s' % seconds))


class ElectionTest(_Base):

    def test_exactly_one_of_two_leads_until_it_steps_down(self):
        a = self.election(self.url)
        b = self.election(self.url)
        self.assertTrue(a.is_leader())
        for _round in range(3):
            self.assertFalse(b.is_leader())
            self.assertTrue(a.is_leader())
        self.assertEqual(sorted([a.member_id.decode(),
                                 b.member_id.decode()]), b.members())
        a.stop()
        self.assertTrue(b.is_leader())
        self.assertEqual([b.member_id.decode()], b.members())
        self.assertIn('stepped down', self.logs.output)

    def test_member_ids_name_the_controller(self):
        a = self.election(self.url)
        self.assertIn('-%d-' % os.getpid(), a.member_id.decode())
        self.assertNotEqual(a.member_id, self.election(self.url).member_id)

    def test_a_leader_that_cannot_heartbeat_is_replaced(self):
        a = self.election(self.fast_url)
        b = self.election(self.fast_url)
        self.assertTrue(a.is_leader())
        self.assertFalse(b.is_leader())
        # A hung or cut-off controller: no heartbeat, no goodbye.
        a._coordinator.heart.stop()
        took = _wait_for(b.is_leader, FAST_EXPIRY + SLACK)
        self.assertIsNotNone(took, 'no takeover')
        self.report('takeover', took)
        # The old leader learns it lost at its next round, and stays a
        # follower.
        self.assertFalse(a.is_leader())
        self.assertIn('no longer leads', self.logs.output)
        self.assertTrue(b.is_leader())
        self.assertFalse(a.is_leader())

    def test_a_killed_leader_is_replaced_within_the_expiry(self):
        dead = self.child('leader')
        b = self.election(self.url)
        self.assertFalse(b.is_leader())
        self.assertEqual(2, len(b.members()))
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait()
        took = _wait_for(b.is_leader, lock.EXPIRY + SLACK)
        self.assertIsNotNone(took, 'no takeover')
        self.report('takeover after SIGKILL', took)
        # The dead member leaves the group when its heartbeat expires.
        self.assertIsNotNone(_wait_for(lambda: len(b.members()) == 1,
                                       lock.EXPIRY + SLACK))

    def test_no_leader_while_the_backend_is_down(self):
        a = self.election(self.fast_url)
        self.assertTrue(a.is_leader())
        self.server.stop()
        self.assertFalse(a.is_leader())
        self.assertFalse(a.is_leader())
        self.assertEqual(1, self.logs.output.count('Leader election: '))
        self.assertIsNone(self.server.start())
        # Restarted empty: the lock is gone, so a takes it again, and
        # joins the forgotten group again.
        self.assertTrue(a.is_leader())
        self.assertIn('Resolved: the coordination backend', self.logs.output)
        self.assertEqual([a.member_id.decode()], a.members())

    def test_a_backend_that_cannot_be_reached_at_start(self):
        self.server.stop()
        election = leader.Election(self.fast_url)
        self.addCleanup(election.stop)
        exc = self.assertRaises(leader.ElectionError, election.start)
        self.assertIn('cannot use the coordination backend redis://', str(exc))
        self.assertFalse(election.is_leader())
        self.assertIsNone(self.server.start())
        self.assertTrue(election.is_leader())


class HostLockTest(_Base):

    def test_two_coordinators_exclude_each_other(self):
        with lock.host_lock(self.url, 'lpar1'):
            ctx = lock.host_lock(self.url, 'lpar1')
            self.assertRaises(lock.LockBusy, ctx.__enter__)
            with lock.host_lock(self.url, 'lpar2'):
                pass
        with lock.host_lock(self.url, 'lpar1'):
            pass

    def test_the_heartbeat_keeps_a_long_run_locked(self):
        with lock.host_lock(self.fast_url, 'lpar1'):
            # Twice the lock's time to live: renewed (every 1.5 s) or gone.
            time.sleep(2 * FAST_EXPIRY)
            ctx = lock.host_lock(self.fast_url, 'lpar1')
            self.assertRaises(lock.LockBusy, ctx.__enter__)

    def test_the_lock_of_a_killed_holder_expires(self):
        dead = self.child('lock')
        ctx = lock.host_lock(self.url, 'lpar1')
        self.assertRaises(lock.LockBusy, ctx.__enter__)
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait()

        def free():
            try:
                with lock.host_lock(self.url, 'lpar1'):
                    return True
            except lock.LockBusy:
                return False
        took = _wait_for(free, lock.EXPIRY + SLACK, interval=0.2)
        self.assertIsNotNone(took, 'the lock was not released')
        self.report('lock released after SIGKILL', took)

    def test_an_unreachable_backend_is_a_lock_error(self):
        self.server.stop()
        ctx = lock.host_lock(self.url, 'lpar1')
        exc = self.assertRaises(lock.LockError, ctx.__enter__)
        self.assertIn('cannot use the coordination backend redis://',
                      str(exc))


class FileElectionTest(base.BaseTestCase):
    """One controller (file://): a dead leader's lock goes with it."""

    def test_a_killed_leader_is_replaced_at_once(self):
        url = 'file://%s' % self.useFixture(fixtures.TempDir()).path
        proc = subprocess.Popen(
            [sys.executable, '-c', CHILD, url, 'leader'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=os.path.join(os.path.dirname(__file__), '..', '..'))
        self.addCleanup(_Base._reap, proc)
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        self.assertEqual(b'ready\n',
                         proc.stdout.readline() if ready else b'')
        b = leader.Election(url)
        self.addCleanup(b.stop)
        self.assertFalse(b.is_leader())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        self.assertTrue(b.is_leader())


class ServerFixtureTest(base.BaseTestCase):
    """Without redis-server: skipped, or failed where it is required."""

    real_find_binary = staticmethod(coordination_server.find_binary)

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(
            coordination_server, 'find_binary', autospec=True,
            return_value=None))

    def test_skipped_with_the_reason(self):
        self.useFixture(fixtures.EnvironmentVariable(
            coordination_server.REQUIRE))
        server = coordination_server.RedisServer()
        exc = self.assertRaises(unittest.SkipTest, server.setUp)
        self.assertIn('redis-server is not installed (apt-get install '
                      'redis-server', str(exc))
        self.assertIn('set ZHA_REQUIRE_COORDINATION_SERVER=1', str(exc))

    def test_failed_where_required(self):
        self.useFixture(fixtures.EnvironmentVariable(
            coordination_server.REQUIRE, '1'))
        server = coordination_server.RedisServer()
        exc = self.assertRaises(AssertionError, server.setUp)
        self.assertIn('ZHA_REQUIRE_COORDINATION_SERVER is set', str(exc))

    def test_a_wrong_explicit_binary(self):
        self.useFixture(fixtures.EnvironmentVariable(
            coordination_server.BINARY, '/nonexistent/redis-server'))
        with mock.patch.object(coordination_server, 'find_binary',
                               autospec=True,
                               side_effect=self.real_find_binary):
            exc = self.assertRaises(AssertionError,
                                    coordination_server.RedisServer().setUp)
        self.assertIn('ZHA_REDIS_SERVER=/nonexistent/redis-server is not '
                      'an executable file', str(exc))


class BackendProbeTest(_Base):
    """The probe and ``check`` join the real server and leave it."""

    def test_probe_joins_and_leaves_within_its_deadline(self):
        self.assertLess(coordination_backend.probe(self.url, 5), 5)

    def test_check_finds_the_backend_reachable(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'hook.conf')
        with open(path, 'w') as f:
            f.write('[zha_evacuate]\ncoordination_url = %s\n' % self.url)
        (ok,) = coordination_checks.check_coordination(
            tools_conf.load_hook(path))
        self.assertEqual(findings.OK, ok.severity)
        self.assertRegex(ok.message, (
            r'^coordination backend %s answered \(joined and left in '
            r'[0-9.]+ s\); locks are shared by every controller that '
            r'reaches it$' % self.url))
