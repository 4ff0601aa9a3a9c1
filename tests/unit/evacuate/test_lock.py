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

import os
from unittest import mock

import fixtures
from oslotest import base

from zha_scheduler.evacuate import lock


class LockTest(base.BaseTestCase):

    def test_second_holder_is_refused_then_free(self):
        url = 'file://%s' % self.useFixture(fixtures.TempDir()).path
        with lock.host_lock(url, 'lpar1'):
            with lock.host_lock(url, 'lpar2'):
                pass
            ctx = lock.host_lock(url, 'lpar1')
            self.assertRaises(lock.LockBusy, ctx.__enter__)
        with lock.host_lock(url, 'lpar1'):
            pass


class LockBackendTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.a_file = os.path.join(self.tmp, 'a-file')
        with open(self.a_file, 'w'):
            pass

    def test_check_url(self):
        lock.check_url('file://%s/locks' % self.tmp)
        exc = self.assertRaises(lock.LockError, lock.check_url,
                                'etcd://h:2379')
        self.assertIn("'etcd' is not a tooz driver; known drivers: ",
                      str(exc))
        self.assertIn('etcd3+http', str(exc))
        self.assertIn('file', str(exc))
        exc = self.assertRaises(lock.LockError, lock.check_url, '/var/lock')
        self.assertIn('no driver is named', str(exc))
        exc = self.assertRaises(lock.LockError, lock.check_url,
                                'file://' + self.a_file)
        self.assertIn('%s is not a directory' % self.a_file, str(exc))

    def test_a_driver_that_cannot_be_loaded(self):
        def load(self_):
            raise ImportError("No module named 'redis'")
        with mock.patch('importlib.metadata.EntryPoint.load', load):
            exc = self.assertRaises(lock.LockError, lock.check_url,
                                    'file:///tmp')
        self.assertIn("driver file cannot be loaded: No module named 'redis'",
                      str(exc))

    def test_an_unusable_backend_is_a_lock_error(self):
        ctx = lock.host_lock('file://%s/locks' % self.a_file, 'lpar1')
        exc = self.assertRaises(lock.LockError, ctx.__enter__)
        self.assertIn('cannot use the coordination backend file://', str(exc))
        ctx = lock.host_lock('etcd://u:s3cret@h:2379', 'lpar1')
        exc = self.assertRaises(lock.LockError, ctx.__enter__)
        self.assertNotIn('s3cret', str(exc))
        self.assertIn('etcd://u:***@h:2379', str(exc))

    def test_any_host_name_gets_its_own_lock(self):
        url = 'file://%s/locks' % self.tmp
        with lock.host_lock(url, 'a/b'):
            with lock.host_lock(url, 'a%2Fb'):
                with lock.host_lock(url, '../a/b'):
                    ctx = lock.host_lock(url, 'a/b')
                    self.assertRaises(lock.LockBusy, ctx.__enter__)
        self.assertRaises(ValueError, lock.host_lock(url, '').__enter__)

    def test_redact(self):
        self.assertEqual('redis://:***@h:6379/0?x=1',
                         lock.redact('redis://:pw@h:6379/0?x=1'))
        self.assertEqual('file:///var/lock', lock.redact('file:///var/lock'))
