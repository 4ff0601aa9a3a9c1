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

"""The coordinators zha-evacuate makes: expiry options and failing fast."""

import os
import urllib.parse

from oslotest import base

from zha_scheduler.evacuate import lock


class ExpiryOptionsTest(base.BaseTestCase):

    def test_redis_gets_the_expiry_and_a_short_socket_timeout(self):
        self.assertEqual({'lock_timeout': lock.EXPIRY,
                          'membership_timeout': lock.EXPIRY,
                          'socket_timeout': lock.EXPIRY / 4},
                         lock.expiry_options('redis://h:6379'))

    def test_the_url_keeps_what_it_sets(self):
        self.assertEqual({'membership_timeout': lock.EXPIRY,
                          'socket_timeout': lock.EXPIRY / 4},
                         lock.expiry_options('redis://h:6379?lock_timeout=3'))
        # tooz derives the others from timeout.
        self.assertEqual({}, lock.expiry_options('redis://h?timeout=30'))
        self.assertEqual({}, lock.expiry_options('kazoo://h:2181?timeout=4'))

    def test_other_drivers(self):
        self.assertEqual({'timeout': lock.EXPIRY},
                         lock.expiry_options('zookeeper://h:2181'))
        self.assertEqual({'lock_timeout': lock.EXPIRY,
                          'membership_timeout': lock.EXPIRY},
                         lock.expiry_options('etcd3+http://h:2379'))
        self.assertEqual({}, lock.expiry_options('file:///var/lib/x'))

    def test_the_driver_gets_them(self):
        member = lock.coordinator('redis://h:6379?lock_timeout=3', b'm')
        self.assertEqual(3, member.lock_timeout)
        self.assertEqual(lock.EXPIRY, member.membership_timeout)

    def test_the_redis_client_does_not_retry_on_its_own(self):
        # tooz retries a refused connection 15 times itself.
        member = lock.coordinator('redis://h:6379', b'm')
        client = member._make_client(urllib.parse.urlsplit('redis://h:6379'),
                                     {}, 5)
        self.assertEqual(0, client.get_retry().get_retries())

    def test_member_id(self):
        member = lock.member_id('run').decode()
        self.assertTrue(member.startswith('zha-evacuate-run-'), member)
        self.assertIn('-%d-' % os.getpid(), member)
        self.assertNotEqual(lock.member_id('run'), lock.member_id('run'))
