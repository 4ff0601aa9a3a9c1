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

"""Unit tests of loading a snapshot: every bad value named by its field."""

import copy
import json
import os

import fixtures
from oslotest import base

from zha_scheduler.insight import snapshot
from zha_scheduler.insight import synthetic


def valid():
    """A small synthetic snapshot as its JSON, with every field set."""
    data = json.loads(json.dumps(synthetic.synthetic(
        hosts=20, instances=60, cpcs=4).to_dict()))
    data['hosts'][1].update(aggregates=['agg-1'], service_disabled=True,
                            disabled_reason='maintenance')
    data['groups'][0]['rules'] = {'max_server_per_host': 2}
    data['instances'][0].update(image_properties={'hw_arch': 's390x'},
                                task_state='migrating')
    data['flavors'][0]['extra_specs']['resources:VCPU'] = '2'
    return data


class FromDictTest(base.BaseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.valid = valid()

    def setUp(self):
        super().setUp()
        self.data = copy.deepcopy(self.valid)

    def rejected(self, *data):
        """The message of the SnapshotError that loading raises."""
        with self.assertRaises(snapshot.SnapshotError) as ctx:
            snapshot.Snapshot.from_dict(data[0] if data else self.data)
        return str(ctx.exception)

    def test_valid_round_trip(self):
        snap = snapshot.Snapshot.from_dict(self.data)
        self.assertEqual(self.data, snap.to_dict())
        self.assertEqual({'max_server_per_host': 2}, snap.groups[0].rules)

    def test_null_where_the_model_has_none(self):
        inventory = self.data['hosts'][0]['inventories']['VCPU']
        inventory['max_unit'] = None
        self.data['flavors'][0]['id'] = None
        snap = snapshot.Snapshot.from_dict(self.data)
        self.assertIsNone(snap.hosts[0].inventories['VCPU'].max_unit)
        self.assertEqual(self.data, snap.to_dict())

    def test_defaults_for_the_keys_left_out(self):
        snap = snapshot.Snapshot.from_dict({
            'format_version': 1,
            'hosts': [{'name': 'h1', 'node': 'n1', 'uuid': 'u1',
                       'inventories': {'VCPU': {'total': 8}}}],
            'instances': [{'uuid': 'i1', 'name': '', 'host': None,
                           'node': None, 'status': 'SHELVED_OFFLOADED',
                           'flavor': {'name': 'f', 'vcpus': 1, 'ram': 512,
                                      'disk': 1}}],
            'groups': [{'uuid': 'g1', 'name': 'g', 'policy': 'affinity',
                        'members': ['i1', 'unknown']}]})
        host = snap.hosts[0]
        self.assertEqual(([], {}, [], True, False, None, 'QEMU'), (
            host.traits, host.usages, host.aggregates, host.service_up,
            host.service_disabled, host.disabled_reason,
            host.hypervisor_type))
        inventory = host.inventories['VCPU']
        self.assertEqual((8, 0, 1.0, None), (
            inventory.total, inventory.reserved, inventory.allocation_ratio,
            inventory.max_unit))
        self.assertEqual(('file', None, []),
                         (snap.source, snap.taken_at, snap.flavors))

    def test_the_issue_examples(self):
        self.data['hosts'][3]['traits'] = 'CUSTOM_ZHA_CPC_Z1'
        self.assertEqual('hosts[3].traits: expected a list of trait names, '
                         'got "CUSTOM_ZHA_CPC_Z1"', self.rejected())
        self.data = copy.deepcopy(self.valid)
        self.data['groups'][0]['members'][2] = 5
        self.assertEqual('groups[0].members[2]: expected an instance uuid (a '
                         'non-empty string), got 5', self.rejected())

    def test_bool_is_no_integer(self):
        self.data['hosts'][0]['inventories']['VCPU']['total'] = True
        self.assertEqual('hosts[0].inventories.VCPU.total: expected an '
                         'integer from 0 to 2147483647, got true',
                         self.rejected())

    def test_negative_and_fractional_numbers(self):
        cases = [
            (('hosts', 1, 'usages', 'MEMORY_MB'), -1,
             'hosts[1].usages.MEMORY_MB: expected an integer from 0 to '
             '9223372036854775807, got -1'),
            (('flavors', 2, 'vcpus'), 2.5,
             'flavors[2].vcpus: expected an integer from 0 to 2147483647, '
             'got 2.5'),
            (('instances', 4, 'flavor', 'ram'), '4096',
             'instances[4].flavor.ram: expected an integer from 0 to '
             '2147483647, got "4096"'),
            (('hosts', 0, 'inventories', 'DISK_GB', 'max_unit'), 0,
             'hosts[0].inventories.DISK_GB.max_unit: expected an integer '
             'from 1 to 2147483647, or null, got 0'),
            (('hosts', 0, 'inventories', 'VCPU', 'total'), 2 ** 31,
             'hosts[0].inventories.VCPU.total: expected an integer from 0 '
             'to 2147483647, got 2147483648'),
        ]
        for path, value, message in cases:
            data = copy.deepcopy(self.valid)
            target = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            self.assertEqual(message, self.rejected(data))

    def test_allocation_ratio(self):
        inventory = self.data['hosts'][0]['inventories']['VCPU']
        for bad in (-0.5, -1, float('inf'), float('nan'), 1e39, '4.0', None,
                    False):
            inventory['allocation_ratio'] = bad
            self.assertIn('hosts[0].inventories.VCPU.allocation_ratio: '
                          'expected a number from 0 to 3.40282e+38, got ',
                          self.rejected())
        inventory['allocation_ratio'] = 4
        snap = snapshot.Snapshot.from_dict(self.data)
        ratio = snap.hosts[0].inventories['VCPU'].allocation_ratio
        self.assertEqual((4.0, float), (ratio, type(ratio)))

    def test_reserved_beyond_total(self):
        self.data['hosts'][2]['inventories']['DISK_GB']['reserved'] = 99999
        self.assertRegex(self.rejected(),
                         r'^hosts\[2\]\.inventories\.DISK_GB\.reserved: '
                         r'99999 is more than total \d+$')

    def test_names_of_traits_and_resource_classes(self):
        self.data['hosts'][0]['traits'].append('custom_zha_standby')
        self.assertEqual(
            'hosts[0].traits[%d]: expected a trait name (A-Z, 0-9 and _, at '
            'most 255), got "custom_zha_standby"'
            % (len(self.data['hosts'][0]['traits']) - 1), self.rejected())
        self.data = copy.deepcopy(self.valid)
        self.data['hosts'][0]['usages']['vcpu'] = 1
        self.assertEqual('hosts[0].usages.vcpu: expected a resource class '
                         'name (A-Z, 0-9 and _, at most 255), got "vcpu"',
                         self.rejected())

    def test_keys_that_are_not_identifiers_are_quoted(self):
        specs = self.data['flavors'][0]['extra_specs']
        specs['zha:redundancy'] = ['required']
        self.assertEqual('flavors[0].extra_specs["zha:redundancy"]: expected '
                         'a string, got ["required"]', self.rejected())
        # What Nova skips with a warning is a string all the same.
        specs['zha:redundancy'] = 'required'
        specs['resources:VCPU'] = 'two'
        snapshot.Snapshot.from_dict(self.data)

    def test_policies_and_rules(self):
        group = self.data['groups'][0]
        group['policy'] = 'anti_affinity'
        self.assertEqual(
            'groups[0].policy: expected a server group policy (affinity, '
            'anti-affinity, soft-affinity, soft-anti-affinity), got '
            '"anti_affinity"', self.rejected())
        group['policy'] = 'soft-affinity'
        for rules, message in [
                ({'max_server_per_host': '2'}, 'groups[0].rules.'
                 'max_server_per_host: expected an integer from 1 to '
                 '2147483647, got "2"'),
                ({'max_server_per_host': 0}, 'groups[0].rules.'
                 'max_server_per_host: expected an integer from 1 to '
                 '2147483647, got 0'),
                ({'max_servers_per_host': 2}, 'groups[0].rules.'
                 'max_servers_per_host: unknown field; did you mean '
                 'max_server_per_host?'),
                (['max_server_per_host'], 'groups[0].rules: expected server '
                 'group rules (an object), got ["max_server_per_host"]')]:
            group['rules'] = rules
            self.assertEqual(message, self.rejected())

    def test_instance_fields(self):
        cases = [('host', 5, 'instances[3].host: expected a service host '
                  'name or null, got 5'),
                 ('node', ['n'], 'instances[3].node: expected a hypervisor '
                  'hostname or null, got ["n"]'),
                 ('status', None, 'instances[3].status: expected a server '
                  'status (a non-empty string), got null'),
                 ('metadata', {'HA_Enabled': True}, 'instances[3].metadata.'
                  'HA_Enabled: expected a string, got true'),
                 ('flavor', 'z.small', 'instances[3].flavor: expected a '
                  'flavor (an object), got "z.small"')]
        for key, value, message in cases:
            data = copy.deepcopy(self.valid)
            data['instances'][3][key] = value
            self.assertEqual(message, self.rejected(data))

    def test_booleans_of_a_host(self):
        self.data['hosts'][5]['service_up'] = 'false'
        self.assertEqual('hosts[5].service_up: expected true or false, got '
                         '"false"', self.rejected())

    def test_unknown_keys_are_rejected(self):
        self.data['hosts'][0]['service_disabeld'] = True
        self.assertEqual('hosts[0].service_disabeld: unknown field; did you '
                         'mean service_disabled?', self.rejected())
        self.data = copy.deepcopy(self.valid)
        self.data['hosts'][0]['inventories']['VCPU']['step_size'] = 1
        self.assertEqual('hosts[0].inventories.VCPU.step_size: unknown field '
                         '(an inventory has: total, reserved, '
                         'allocation_ratio, max_unit)', self.rejected())
        self.data = copy.deepcopy(self.valid)
        self.data['partners'] = {}
        self.assertIn('partners: unknown field', self.rejected())

    def test_missing_keys(self):
        del self.data['instances'][7]['flavor']['disk']
        self.assertEqual('instances[7].flavor.disk: missing: a flavor must '
                         'have one', self.rejected())
        self.data = copy.deepcopy(self.valid)
        del self.data['hosts']
        self.assertEqual('hosts: missing: a snapshot must have one',
                         self.rejected())

    def test_duplicates(self):
        def dup(kind, field, first, second):
            data = copy.deepcopy(self.valid)
            data[kind][second][field] = data[kind][first][field]
            return self.rejected(data)

        self.assertEqual('hosts[6].name: duplicate host name "cpc01-lpar002" '
                         '(also hosts[1].name)', dup('hosts', 'name', 1, 6))
        self.assertRegex(dup('hosts', 'uuid', 0, 2),
                         r'^hosts\[2\]\.uuid: duplicate host uuid "[-0-9a-f]+'
                         r'" \(also hosts\[0\]\.uuid\)$')
        self.assertIn('hosts[3].node: duplicate host node',
                      dup('hosts', 'node', 0, 3))
        self.assertIn('instances[9].uuid: duplicate instance uuid',
                      dup('instances', 'uuid', 4, 9))
        self.assertIn('groups[1].uuid: duplicate server group uuid',
                      dup('groups', 'uuid', 0, 1))
        self.assertEqual('flavors[3].name: duplicate flavor name "z.small" '
                         '(also flavors[0].name)',
                         dup('flavors', 'name', 0, 3))
        self.assertIn('flavors[5].id: duplicate flavor id',
                      dup('flavors', 'id', 0, 5))
        members = self.data['groups'][0]['members']
        members.append(members[0])
        self.assertIn('groups[0].members[%d]: duplicate member'
                      % (len(members) - 1), self.rejected())

    def test_format_version(self):
        for version, shown in ((2, '2'), (True, 'true'), (1.0, '1.0'),
                               ('1', '"1"')):
            self.data['format_version'] = version
            self.assertEqual('format_version: snapshot format %s is not '
                             'supported (this version reads 1)' % shown,
                             self.rejected())
        del self.data['format_version']
        self.assertEqual('format_version: missing: a snapshot must have one',
                         self.rejected())

    def test_not_a_snapshot(self):
        for data in ([], 'hosts', None, {'cpc01-lpar001': 'cpc02-lpar020'}):
            self.assertTrue(self.rejected(data).startswith(
                'not a zha-scheduler snapshot: expected an object with '
                '"format_version" and "hosts", got '))

    def test_long_values_are_cut_short(self):
        self.data['hosts'][0]['uuid'] = ['x' * 200]
        message = self.rejected()
        # 60 characters of the value shown: ["xxx...x...
        self.assertTrue(message.endswith('got ["' + 'x' * 55 + '...'),
                        message)

    def test_python_values_that_are_not_json(self):
        self.data['hosts'][0]['traits'] = {'CUSTOM_X'}
        self.assertEqual('hosts[0].traits: expected a list of trait names, '
                         'got a set', self.rejected())
        self.data = copy.deepcopy(self.valid)
        self.data['hosts'][0]['usages'][1] = 2
        self.assertEqual('hosts[0].usages: key 1 is not a string',
                         self.rejected())


class LoadTest(base.BaseTestCase):

    def write(self, text):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'snap.json')
        with open(path, 'w') as out:
            out.write(text)
        return path

    def test_save_and_load(self):
        snap = synthetic.synthetic(hosts=20, instances=60, cpcs=4)
        path = self.write('')
        snapshot.save(snap, path)
        self.assertEqual(snap.to_dict(), snapshot.load(path).to_dict())

    def test_a_bad_field_is_named(self):
        data = valid()
        data['groups'][1]['members'] = 'all'
        path = self.write(json.dumps(data))
        self.assertRaisesRegex(
            snapshot.SnapshotError, r'^groups\[1\]\.members: expected a list '
            r'of instance uuids, got "all"$', snapshot.load, path)

    def test_not_json_nor_too_deep(self):
        for text in ('{"hosts": [', '[' * 100000 + ']' * 100000):
            self.assertRaisesRegex(snapshot.SnapshotError, 'is not JSON',
                                   snapshot.load, self.write(text))
