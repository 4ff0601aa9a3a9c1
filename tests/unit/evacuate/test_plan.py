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


class RouteTest(base.BaseTestCase):

    profiles = {'lpar1': topology.HostProfile(cpc='Z1'),
                'sb1': topology.HostProfile(cpc='Z1', standby=True),
                'sb2': topology.HostProfile(cpc='Z2', standby=True),
                'sb3': topology.HostProfile(cpc='Z3', standby=True),
                'sbx': topology.HostProfile(standby=True)}

    def route(self, partners, usable, failed_cpcs=frozenset()):
        return [t for t, _ in plan.route('lpar1', partners, self.profiles,
                                         usable, failed_cpcs)]

    def test_partner_first_then_standbys_on_other_cpcs(self):
        self.assertEqual(
            [('sb1', plan.PARTNER), ('sb2', plan.STANDBY),
             ('sb3', plan.STANDBY), ('sbx', plan.STANDBY)],
            plan.route('lpar1', {'lpar1': 'sb1'}, self.profiles,
                       {'sb1', 'sb2', 'sb3', 'sbx'}))

    def test_standbys_of_any_failed_cpc_are_left_out(self):
        # A standby of unknown CPC is in no known failed domain.
        self.assertEqual(['sb3', 'sbx'],
                         self.route({}, {'sb1', 'sb2', 'sb3', 'sbx'},
                                    {'Z2'}))

    def test_an_unusable_partner_is_skipped(self):
        self.assertEqual(['sb2'], self.route({'lpar1': 'sb1'}, {'sb2'}))
        self.assertEqual(['sb2'], self.route({}, {'sb1', 'sb2'}))

    def test_none_leaves_the_scheduler(self):
        self.assertEqual([], self.route({}, {'sb1'}))


def assign_one(instances, target, room):
    """plan.assign for one host with one target of the given room."""
    reads = []

    def read(name):
        reads.append(name)
        return room
    _, targets, missing = plan.assign({'lpar1': instances},
                                      {'lpar1': [target]},
                                      plan.Ledger(read))
    assert reads == [target], reads
    return targets, missing['lpar1']


class AssignTest(base.BaseTestCase):

    def test_what_does_not_fit_goes_to_the_scheduler(self):
        instances = [fakes.instance('a', ram_mb=1024),
                     fakes.instance('b', ram_mb=2048),
                     fakes.instance('c', ram_mb=512)]
        room = model.Room({'MEMORY_MB': 1600, 'VCPU': 8, 'DISK_GB': 10})
        targets, missing = assign_one(instances, 'sb', room)
        self.assertEqual({'a': 'sb', 'b': None, 'c': 'sb'}, targets)
        self.assertEqual({'MEMORY_MB': 2048 - 576}, missing)

    def test_max_unit_is_honoured_as_by_the_capacity_check(self):
        # Room for both in all, but no single allocation of 8 vCPUs.
        instances = [fakes.instance('big', vcpus=8),
                     fakes.instance('small', vcpus=2)]
        room = model.Room({'MEMORY_MB': 4096, 'VCPU': 16, 'DISK_GB': 10},
                          {'VCPU': 4})
        targets, missing = assign_one(instances, 'sb', room)
        self.assertEqual({'big': None, 'small': 'sb'}, targets)
        self.assertEqual({}, missing)

    def test_a_resource_class_without_inventory_does_not_fit(self):
        targets, _ = assign_one([fakes.instance('a')], 'sb',
                                model.Room({'MEMORY_MB': 4096, 'VCPU': 4}))
        self.assertEqual({'a': None}, targets)

    def test_unknown_capacity_fits(self):
        self.assertEqual(({'a': 'sb'}, {}),
                         assign_one([fakes.instance('a')], 'sb', None))


class LedgerTest(base.BaseTestCase):
    """Hosts that failed together share the rooms, read once."""

    def setUp(self):
        super().setUp()
        self.rooms = {'sb1': {'VCPU': 4, 'MEMORY_MB': 4096, 'DISK_GB': 40},
                      'sb2': {'VCPU': 2, 'MEMORY_MB': 4096, 'DISK_GB': 40}}
        self.reads = []

        def read(name):
            self.reads.append(name)
            return model.Room(self.rooms[name])
        self.ledger = plan.Ledger(read)

    def test_priority_across_hosts_then_other_standbys_then_scheduler(self):
        listed = {
            'lpar1': [fakes.instance('l1-%d' % p, vcpus=2,
                                     metadata={'zha:priority': str(p)})
                      for p in (1, 4, 6)],
            'lpar2': [fakes.instance('l2-%d' % p, host='lpar2', vcpus=2,
                                     metadata={'zha:priority': str(p)})
                      for p in (2, 3, 5)]}
        routes = {'lpar1': ['sb1', 'sb2'], 'lpar2': ['sb1', 'sb2']}
        pairs, targets, missing = plan.assign(listed, routes, self.ledger)
        self.assertEqual(['l1-6', 'l2-5', 'l1-4', 'l2-3', 'l2-2', 'l1-1'],
                         [inst.uuid for _, inst in pairs])
        self.assertEqual({'l1-6': 'sb1', 'l2-5': 'sb1', 'l1-4': 'sb2',
                          'l2-3': None, 'l2-2': None, 'l1-1': None},
                         targets)
        # What is missing on each host's first target, sb1.
        self.assertEqual({'lpar1': {'VCPU': 2}, 'lpar2': {'VCPU': 4}},
                         missing)
        self.assertEqual(['sb1', 'sb2'], self.reads)

    def test_a_new_plan_starts_from_the_rooms_as_read(self):
        self.assertTrue(self.ledger.take('sb2', {'VCPU': 2}))
        self.assertFalse(self.ledger.take('sb2', {'VCPU': 1}))
        self.ledger.reset()
        self.assertTrue(self.ledger.take('sb2', {'VCPU': 2}))
        self.assertEqual(['sb2'], self.reads)

    def test_unknown_room_takes_everything(self):
        ledger = plan.Ledger(lambda name: None)
        self.assertTrue(ledger.take('sb', {'VCPU': 1000}))
        self.assertIsNone(ledger.left('sb'))
