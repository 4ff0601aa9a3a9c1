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

import json
import os

import fixtures
from oslotest import base

from zha_scheduler.evacuate import progress


class ProgressStoreTest(base.BaseTestCase):

    def test_survives_a_new_process_and_writes_atomically(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        store = progress.ProgressStore(tmp, 'lpar1')
        store.start_run('r1')
        store.record('i1', progress.DONE, target='sb')
        store.record('i2', progress.REQUESTED)
        again = progress.ProgressStore(tmp, 'lpar1')
        self.assertTrue(again.done('i1'))
        self.assertFalse(again.done('i2'))
        self.assertEqual(['lpar1.json'], os.listdir(tmp))
        with open(os.path.join(tmp, 'lpar1.json')) as f:
            self.assertEqual('sb', json.load(f)['instances']['i1']['target'])

    def test_reasons(self):
        self.assertEqual('zha-evacuate: in progress r1',
                         progress.in_progress_reason('r1'))
        self.assertIn('2 failed', progress.done_reason('r1', 2))
