import json
import os

import fixtures
from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import lock
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
        self.assertEqual('zha-evacuate: in progress r1', progress.in_progress_reason('r1'))
        self.assertIn('2 failed', progress.done_reason('r1', 2))


class BrakeTest(base.BaseTestCase):

    def test_holds_above_the_fraction_only(self):
        services = [fakes.service('a', up=False), fakes.service('b', up=False),
                    fakes.service('c'), fakes.service('d')]
        brake.check(services, 0.5)
        services[2].up = False
        self.assertRaisesRegex(brake.BrakeEngaged, '3 of 4', brake.check, services, 0.5)


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
