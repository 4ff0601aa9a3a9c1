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
