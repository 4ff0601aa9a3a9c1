from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.evacuate import brake


class BrakeTest(base.BaseTestCase):

    def test_holds_above_the_fraction_only(self):
        services = [fakes.service('a', up=False), fakes.service('b', up=False),
                    fakes.service('c'), fakes.service('d')]
        brake.check(services, 0.5)
        services[2].up = False
        self.assertRaisesRegex(brake.BrakeEngaged, '3 of 4', brake.check, services, 0.5)
