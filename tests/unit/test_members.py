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

"""Unit tests for zha_scheduler.members."""

from unittest import mock

from nova import context as nova_context
from nova import objects
from oslotest import base

from tests.unit import zha_fakes
from zha_scheduler import members

LOGGER = 'zha_scheduler.members'


def _member(name, host, node=None):
    return members.Member(zha_fakes.instance_uuid(name), host, node)


class MemberLocatorTest(base.BaseTestCase):

    def _locator(self, placed=(), error=None):
        self.reader = zha_fakes.RecordingReader(placed, error)
        return members.MemberLocator(reader=self.reader)

    def test_locations_of_placed_members(self):
        locator = self._locator([_member('m1', 'h1', 'n1'),
                                 _member('m2', 'h2', 'n2')])
        spec = zha_fakes.request_spec(group_hosts=['h1', 'h2'],
                                      member_names=['m1', 'm2'])
        self.assertEqual([('h1', 'n1'), ('h2', 'n2')], locator.locations(spec))

    def test_locations_exclude_the_instance_being_scheduled(self):
        locator = self._locator([_member('m1', 'h1', 'n1'),
                                 _member('m2', 'h3', 'n3')])
        spec = zha_fakes.request_spec(group_hosts=['h1', 'h3'],
                                      member_names=['m1', 'm2'],
                                      instance='m1')
        self.assertEqual([('h3', 'n3')], locator.locations(spec))

    def test_locations_keep_two_members_on_one_host(self):
        locator = self._locator([_member('m1', 'h1', 'n1'),
                                 _member('m2', 'h1', 'n1')])
        spec = zha_fakes.request_spec(group_hosts=['h1'],
                                      member_names=['m1', 'm2'])
        self.assertEqual([('h1', 'n1'), ('h1', 'n1')], locator.locations(spec))

    def test_locations_add_hosts_picked_earlier_in_the_request(self):
        locator = self._locator([_member('m1', 'h1', 'n1')])
        spec = zha_fakes.request_spec(group_hosts=['h1', 'h3', 'h1'],
                                      member_names=['m1', 'new', 'new2'])
        self.assertEqual(
            sorted([('h1', 'n1'), ('h1', None), ('h3', None)],
                   key=repr),
            sorted(locator.locations(spec), key=repr))

    def test_locations_first_instance_of_a_multi_create(self):
        locator = self._locator([])
        spec = zha_fakes.request_spec(group_hosts=[], member_names=['new'])
        self.assertEqual([], locator.locations(spec))

    def test_locations_second_instance_of_a_multi_create(self):
        locator = self._locator([])
        spec = zha_fakes.request_spec(group_hosts=['h3'],
                                      member_names=['new', 'new2'])
        self.assertEqual([('h3', None)], locator.locations(spec))

    def test_locations_with_group_hosts_none(self):
        locator = self._locator([_member('m1', 'h1', 'n1')])
        spec = zha_fakes.request_spec(member_names=['m1'])
        spec.instance_group.hosts = None
        self.assertEqual([('h1', 'n1')], locator.locations(spec))

    def test_locations_with_group_hosts_unset(self):
        locator = self._locator([_member('m1', 'h1', 'n1')])
        spec = zha_fakes.request_spec(member_names=['m1'])
        spec.instance_group = objects.InstanceGroup(
            policy='anti-affinity', members=[zha_fakes.instance_uuid('m1')])
        self.assertEqual([('h1', 'n1')], locator.locations(spec))

    def test_reader_failure_falls_back_to_group_hosts_with_warning(self):
        locator = self._locator(error=RuntimeError('cell db down'))
        spec = zha_fakes.request_spec(group_hosts=['h1', 'h3'],
                                      member_names=['m1', 'm2', 'm3'])
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            found = locator.locations(spec)
        self.assertEqual([('h1', None), ('h3', None)], found)
        self.assertEqual('WARNING', logs.records[0].levelname)
        self.assertIn('cell db down', logs.records[0].getMessage())

    def test_reader_is_called_once_per_spec(self):
        locator = self._locator([_member('m1', 'h1', 'n1')])
        spec = zha_fakes.request_spec(group_hosts=['h1'],
                                      member_names=['m1'])
        locator.locations(spec)
        spec.instance_uuid = zha_fakes.instance_uuid('new2')
        spec.instance_group.hosts.append('h2')
        self.assertEqual([('h1', 'n1'), ('h2', None)], locator.locations(spec))
        self.assertEqual([spec], self.reader.calls)

    def test_reader_failure_is_cached_per_spec(self):
        locator = self._locator(error=RuntimeError('down'))
        spec = zha_fakes.request_spec(group_hosts=['h1'])
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            locator.locations(spec)
            locator.locations(spec)
        self.assertEqual(1, len(self.reader.calls))
        self.assertEqual(1, len(logs.records))

    def test_reader_is_called_for_each_new_spec(self):
        locator = self._locator([_member('m1', 'h1', 'n1')])
        first = zha_fakes.request_spec(group_hosts=['h1'])
        second = zha_fakes.request_spec(group_hosts=['h1'])
        locator.locations(first)
        locator.locations(second)
        self.assertEqual([first, second], self.reader.calls)

    def test_clear_forgets_cached_specs(self):
        locator = self._locator([])
        spec = zha_fakes.request_spec()
        locator.locations(spec)
        locator.clear()
        locator.locations(spec)
        self.assertEqual(2, len(self.reader.calls))

    def test_cache_is_bounded(self):
        locator = self._locator([])
        specs = [zha_fakes.request_spec() for _ in range(70)]
        for spec in specs:
            locator.locations(spec)
        locator.locations(specs[0])
        locator.locations(specs[-1])
        self.assertEqual(71, len(self.reader.calls))

    def test_get_locator_is_process_wide(self):
        self.assertIsInstance(members.get_locator(), members.MemberLocator)
        self.assertIs(members.get_locator(), members.get_locator())

    def test_locations_skip_members_without_a_host(self):
        locator = self._locator([_member('m1', 'h1', 'n1'),
                                 _member('m2', None, None)])
        spec = zha_fakes.request_spec(group_hosts=['h1'],
                                      member_names=['m1', 'm2', 'new'])
        self.assertEqual([('h1', 'n1')], locator.locations(spec))

    def test_remaining_of_a_new_multi_create(self):
        locator = self._locator([_member('m1', 'h1', 'n1')])
        spec = zha_fakes.request_spec(group_hosts=['h1'],
                                      member_names=['m1', 'new', 'new2',
                                                    'new3'])
        spec.num_instances = 3
        self.assertEqual(3, locator.remaining(spec))
        spec.instance_group.hosts.append('h2')
        spec.instance_uuid = zha_fakes.instance_uuid('new2')
        self.assertEqual(2, locator.remaining(spec))
        spec.instance_group.hosts.append('h1')
        spec.instance_uuid = zha_fakes.instance_uuid('new3')
        self.assertEqual(1, locator.remaining(spec))

    def test_remaining_is_capped_by_the_members_without_a_record(self):
        locator = self._locator()
        spec = zha_fakes.request_spec(member_names=['new', 'new2'])
        spec.num_instances = 5
        self.assertEqual(2, locator.remaining(spec))

    def test_remaining_of_a_move_is_one(self):
        # A reschedule or a move keeps the request's old num_instances.
        locator = self._locator([_member('new', 'h1', 'n1'),
                                 _member('m2', None, None)])
        spec = zha_fakes.request_spec(group_hosts=['h1'],
                                      member_names=['new', 'm2', 'm3'])
        spec.num_instances = 3
        self.assertEqual(1, locator.remaining(spec))

    def test_remaining_of_a_reschedule_is_one(self):
        locator = self._locator([_member('new', None, None)])
        spec = zha_fakes.request_spec(member_names=['new', 'm2', 'm3'])
        spec.num_instances = 3
        self.assertEqual(1, locator.remaining(spec))

    def test_remaining_is_one_when_members_cannot_be_read(self):
        locator = self._locator(error=RuntimeError('db down'))
        spec = zha_fakes.request_spec(member_names=['new', 'new2'])
        spec.num_instances = 2
        self.assertEqual(1, locator.remaining(spec))


class ReadMembersFromCellsTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.spec = zha_fakes.request_spec(member_names=['m1', 'm2', 'm3'])
        self.spec._context = mock.sentinel.context

    @mock.patch.object(objects.InstanceList, 'get_by_filters', autospec=True)
    @mock.patch.object(nova_context, 'scatter_gather_skip_cell0',
                       autospec=True)
    def test_reads_members_in_every_cell(self, scatter, get_by_filters):
        scatter.side_effect = lambda ctx, fn: {'cell1': fn(mock.sentinel.c1)}
        get_by_filters.return_value = [
            objects.Instance(uuid=zha_fakes.instance_uuid('m1'),
                             host='h1', node='n1'),
            objects.Instance(uuid=zha_fakes.instance_uuid('m2'),
                             host=None, node=None),
            objects.Instance(uuid=zha_fakes.instance_uuid('m3'),
                             host='h1', node='n1')]
        found = members._read_members_from_cells(self.spec)
        self.assertEqual(
            [_member('m1', 'h1', 'n1'), _member('m2', None, None),
             _member('m3', 'h1', 'n1')], found)
        scatter.assert_called_once_with(mock.sentinel.context, mock.ANY)
        get_by_filters.assert_called_once_with(
            mock.sentinel.c1,
            filters={'uuid': [zha_fakes.instance_uuid(n)
                              for n in ('m1', 'm2', 'm3')],
                     'deleted': False},
            expected_attrs=[])

    @mock.patch.object(nova_context, 'scatter_gather_skip_cell0',
                       autospec=True)
    def test_failed_cell_is_skipped_with_warning(self, scatter):
        scatter.return_value = {
            'cell1': [_member('m1', 'h1', 'n1')],
            'cell2': nova_context.did_not_respond_sentinel}
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            found = members._read_members_from_cells(self.spec)
        self.assertEqual([_member('m1', 'h1', 'n1')], found)
        self.assertIn('cell2', logs.records[0].getMessage())

    @mock.patch.object(nova_context, 'scatter_gather_skip_cell0',
                       autospec=True)
    def test_group_without_members_reads_nothing(self, scatter):
        spec = zha_fakes.request_spec(member_names=[])
        self.assertEqual([], members._read_members_from_cells(spec))
        scatter.assert_not_called()
