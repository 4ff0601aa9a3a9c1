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
from zha_scheduler.evacuate import plan
from zha_scheduler import model
from zha_scheduler import topology


class OrderTest(base.BaseTestCase):

    def test_priority_then_ha_enabled_then_active_first(self):
        instances = [
            fakes.instance('plain'),
            fakes.instance('stopped', status='SHUTOFF'),
            fakes.instance('ha', metadata={'HA_Enabled': 'True'}),
            fakes.instance('top', metadata={'zha:priority': '10'}),
            fakes.instance('bad', metadata={'zha:priority': 'high'}),
        ]
        self.assertEqual(['top', 'ha', 'bad', 'plain', 'stopped'],
                         [i.uuid for i in plan.order(instances)])


class ChooseTargetTest(base.BaseTestCase):

    profiles = {'lpar1': topology.HostProfile(cpc='Z1'),
                'sb1': topology.HostProfile(cpc='Z1', standby=True),
                'sb2': topology.HostProfile(cpc='Z2', standby=True)}

    def test_partner_first(self):
        self.assertEqual(('sb1', 'standby partner from partners_file'),
                         plan.choose_target('lpar1', {'lpar1': 'sb1'},
                                            self.profiles, {'sb1', 'sb2'}))

    def test_standby_in_another_cpc_when_partner_unusable(self):
        target, _ = plan.choose_target('lpar1', {'lpar1': 'sb1'},
                                       self.profiles, {'sb2'})
        self.assertEqual('sb2', target)
        target, _ = plan.choose_target('lpar1', {}, self.profiles,
                                       {'sb1', 'sb2'})
        self.assertEqual('sb2', target)

    def test_scheduler_when_no_standby(self):
        target, why = plan.choose_target('lpar1', {}, self.profiles, {'sb1'})
        self.assertIsNone(target)
        self.assertIn('scheduler', why)


class AssignTest(base.BaseTestCase):

    def test_what_does_not_fit_goes_to_the_scheduler(self):
        instances = [fakes.instance('a', ram_mb=1024),
                     fakes.instance('b', ram_mb=2048),
                     fakes.instance('c', ram_mb=512)]
        room = model.Room({'MEMORY_MB': 1600, 'VCPU': 8, 'DISK_GB': 10})
        targets, missing = plan.assign(instances, 'sb', room)
        self.assertEqual({'a': 'sb', 'b': None, 'c': 'sb'}, targets)
        self.assertEqual({'MEMORY_MB': 2048 - 576}, missing)

    def test_max_unit_is_honoured_as_by_the_capacity_check(self):
        # Room for both in all, but no single allocation of 8 vCPUs.
        instances = [fakes.instance('big', vcpus=8),
                     fakes.instance('small', vcpus=2)]
        room = model.Room({'MEMORY_MB': 4096, 'VCPU': 16, 'DISK_GB': 10},
                          {'VCPU': 4})
        targets, missing = plan.assign(instances, 'sb', room)
        self.assertEqual({'big': None, 'small': 'sb'}, targets)
        self.assertEqual({}, missing)

    def test_a_resource_class_without_inventory_does_not_fit(self):
        targets, _ = plan.assign([fakes.instance('a')], 'sb',
                                 model.Room({'MEMORY_MB': 4096, 'VCPU': 4}))
        self.assertEqual({'a': None}, targets)

    def test_unknown_capacity_fits(self):
        targets, missing = plan.assign([fakes.instance('a')], 'sb', None)
        self.assertEqual(({'a': 'sb'}, {}), (targets, missing))
