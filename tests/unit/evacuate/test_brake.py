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


class BrakeTest(base.BaseTestCase):

    def test_holds_above_the_fraction_only(self):
        services = [fakes.service('a', up=False), fakes.service('b', up=False),
                    fakes.service('c'), fakes.service('d')]
        brake.check(services, 0.5)
        services[2].up = False
        self.assertRaisesRegex(brake.BrakeEngaged, '3 of 4',
                               brake.check, services, 0.5)
