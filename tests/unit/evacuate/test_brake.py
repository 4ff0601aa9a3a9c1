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

from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.evacuate import brake

DONE = 'zha-evacuate: done 0123456789ab'


def cloud(up=0, down=0, done=0, in_progress=0):
    """up/down services, and services the hook took over (forced down)."""
    services = ([fakes.service('up%d' % i) for i in range(up)] +
                [fakes.service('down%d' % i, up=False) for i in range(down)] +
                [fakes.service('done%d' % i, up=False, disabled=True,
                               reason=DONE) for i in range(done)] +
                [fakes.service('run%d' % i, up=False, disabled=True,
                               reason='zha-evacuate: in progress 1')
                 for i in range(in_progress)])
    return services


class BrakeTest(base.BaseTestCase):

    def assertHolds(self, services, *args, **kwargs):
        return str(self.assertRaises(brake.BrakeEngaged, brake.check,
                                     services, *args, **kwargs))

    def test_holds_above_the_fraction_only(self):
        services = [fakes.service('a', up=False), fakes.service('b', up=False),
                    fakes.service('c'), fakes.service('d')]
        brake.check(services, 0.5)
        services[2].up = False
        self.assertRaisesRegex(brake.BrakeEngaged, '3 of 4',
                               brake.check, services, 0.5)

    def test_the_boundary_itself_still_evacuates(self):
        # Exactly max_down_fraction down evacuates; one host more brakes.
        for fraction, up, down in ((0.5, 3, 3), (0.25, 6, 2), (0.0, 4, 0)):
            brake.check(cloud(up, down), fraction)
            self.assertHolds(cloud(up - 1, down + 1), fraction)
        # 1.0: never holds (the by-hand override).
        brake.check(cloud(0, 4), 1.0)

    def test_hmc_failures_are_set_aside(self):
        # 2 CPCs x 3: CPC 1 lost (HMC-confirmed), a hung host on CPC 2.
        services = cloud(up=2, down=4)
        failed = {'down0', 'down1', 'down2'}
        brake.check(services, 0.5, 'down3', hmc_failed=failed)
        # Without the HMC it is 4 of 6.
        self.assertIn('4 of 6 nova-compute services are down',
                      self.assertHolds(services, 0.5, 'down3'))
        # The survivors cut off: 3 of 3 of those still expected up.
        services = cloud(up=0, down=6)
        message = self.assertHolds(services, 0.5, 'down3',
                                   hmc_failed=failed)
        self.assertIn('3 of 3 nova-compute services are down (100% > '
                      'max_down_fraction 50%) not counting 3 already '
                      'evacuated or failed on the HMC', message)
        self.assertIn('Down: down3, down4, down5', message)

    def test_hosts_taken_over_by_the_hook_are_set_aside(self):
        # 3 evacuated earlier and not yet repaired; one new failure.
        brake.check(cloud(up=2, down=1, done=3), 0.5, 'down0')
        # Around the boundary among the 3 left: 1 and 2 of 3.
        self.assertIn('2 of 3', self.assertHolds(cloud(up=1, down=2, done=3),
                                                 0.5, 'down0'))
        brake.check(cloud(up=1, down=1, done=3, in_progress=1), 0.5)
        brake.check(cloud(done=4), 0.5)

    def test_drained_hosts_are_set_aside(self):
        # A CPC drained for maintenance: two of four hosts down on purpose;
        # one more down by heartbeat is one of two, not three of four.
        services = cloud(up=1, down=1) + [
            fakes.service('cpc1-lpar%d' % i, up=False, disabled=True,
                          reason='zha-scheduler drain: maintenance since '
                                 '2026-12-01T20:00:00Z') for i in (1, 2)]
        brake.check(services, 0.5)
        self.assertHolds(services + [fakes.service('down9', up=False)], 0.5)

    def test_a_host_taken_over_is_resumed_not_braked(self):
        services = cloud(up=0, down=5, in_progress=1)
        brake.check(services, 0.5, 'run0')
        self.assertHolds(services, 0.5, 'down0')

    def test_no_service_no_brake(self):
        brake.check([], 0.5)
