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

"""The election on tooz's file driver (one controller); the distributed
backend is in tests/functional/test_coordination.py."""

import os
from unittest import mock

import fixtures
from oslotest import base
import tooz
from tooz.drivers import file as file_driver
from tooz import locking

from zha_scheduler.evacuate import leader


class FileElectionTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.url = 'file://%s/locks' % self.tmp
        self.logs = self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler', level='INFO'))

    def election(self, url=None):
        election = leader.Election(url or self.url)
        self.addCleanup(election.stop)
        return election

    def test_one_of_two_leads_until_it_steps_down(self):
        a, b = self.election(), self.election()
        self.assertTrue(a.is_leader())
        self.assertFalse(b.is_leader())
        self.assertTrue(a.is_leader())
        self.assertEqual(sorted([a.member_id.decode(), b.member_id.decode()]),
                         a.members())
        a.stop()
        a.stop()
        self.assertTrue(b.is_leader())
        self.assertIn('%s leads' % a.member_id.decode(), self.logs.output)
        self.assertIn('%s stepped down' % a.member_id.decode(),
                      self.logs.output)
        self.assertIn('%s leads' % b.member_id.decode(), self.logs.output)

    def test_start_is_optional_and_stop_without_start_does_nothing(self):
        self.election().stop()
        with leader.Election(self.url) as a:
            self.assertTrue(a.is_leader())
            self.assertEqual([a.member_id.decode()], a.members())
        self.assertTrue(self.election().is_leader())

    def test_member_id_names_host_and_process(self):
        member = self.election().member_id.decode()
        self.assertTrue(member.startswith('zha-evacuate-watch-'), member)
        self.assertIn('-%d-' % os.getpid(), member)

    def test_an_unusable_backend_means_not_leading_logged_once(self):
        a_file = os.path.join(self.tmp, 'a-file')
        with open(a_file, 'w'):
            pass
        election = self.election('file://%s' % a_file)
        exc = self.assertRaises(leader.ElectionError, election.start)
        self.assertIn('cannot use the coordination backend file://',
                      str(exc))
        self.assertFalse(election.is_leader())
        self.assertFalse(election.is_leader())
        self.assertEqual(1, self.logs.output.count('Leader election: '))
        self.assertRaises(leader.ElectionError, election.members)

    def test_an_unknown_driver(self):
        election = self.election('etcd://u:s3cret@h:2379')
        exc = self.assertRaises(leader.ElectionError, election.start)
        self.assertIn('etcd://u:***@h:2379', str(exc))
        self.assertNotIn('s3cret', str(exc))
        self.assertFalse(election.is_leader())

    def test_a_lost_lock_is_noticed_and_dropped(self):
        a, b = self.election(), self.election()
        self.assertTrue(a.is_leader())
        # As on Redis when a's heartbeat stopped and the key expired: the
        # backend no longer says the lock is a's, and b holds it.
        real = a._lock
        lost = mock.Mock(spec=locking.Lock)
        lost.is_still_owner.return_value = False
        a._lock = lost
        real.release()
        self.assertTrue(b.is_leader())
        self.assertFalse(a.is_leader())
        lost.release.assert_called_once_with()
        self.assertIn('%s no longer leads' % a.member_id.decode(),
                      self.logs.output)
        self.assertIsNone(a._lock)
        b.stop()
        self.assertTrue(a.is_leader())

    def test_a_failed_check_keeps_the_lock_for_the_next_round(self):
        a = self.election()
        self.assertTrue(a.is_leader())
        with mock.patch.object(a._lock, 'is_still_owner', autospec=True,
                               side_effect=tooz.ToozError('timed out')):
            self.assertFalse(a.is_leader())
        self.assertIn('the coordination backend file://%s failed: timed out'
                      % os.path.join(self.tmp, 'locks'), self.logs.output)
        self.assertTrue(a.is_leader())
        self.assertIn('Resolved: the coordination backend', self.logs.output)

    def test_a_driver_that_cannot_tell_the_owner(self):
        a = self.election()
        self.assertTrue(a.is_leader())
        with mock.patch.object(a._lock, 'is_still_owner', autospec=True,
                               side_effect=tooz.NotImplemented('no')):
            self.assertTrue(a.is_leader())

    def test_a_bug_is_logged_with_its_traceback_and_not_raised(self):
        a = self.election()
        a.start()
        with mock.patch.object(a, '_round', autospec=True,
                               side_effect=KeyError('x')):
            self.assertFalse(a.is_leader())
        self.assertIn("failed: KeyError: 'x'", self.logs.output)
        self.assertIn('Traceback', self.logs.output)

    def test_a_driver_without_groups(self):
        a = self.election()
        with mock.patch.object(file_driver.FileDriver,
                               'create_group', autospec=True,
                               side_effect=tooz.NotImplemented('no')):
            a.start()
        self.assertEqual([], a.members())
        self.assertTrue(a.is_leader())
        self.assertIn('has no groups', self.logs.output)
