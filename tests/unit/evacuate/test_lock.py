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
