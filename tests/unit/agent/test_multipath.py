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

"""Unit tests for zha_scheduler.agent.multipath."""

import json
import os

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from tests.unit.agent import helpers
from tests.unit.agent import test_hostfs
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import multipath

COMMAND_OUTPUT = '/_commands/multipathd_show_maps_json.out'
LOGGER = 'zha_scheduler.agent.multipath'
WWID = helpers.WWID


def maps_json(*maps: dict) -> str:
    return json.dumps({'major_version': 0, 'minor_version': 1,
                       'maps': list(maps)})


def path(dev: str, dm_st='active', chk_st='ready', dev_st='running',
         host_adapter='0.0.1900') -> dict:
    return {'dev': dev, 'dm_st': dm_st, 'chk_st': chk_st, 'dev_st': dev_st,
            'host_adapter': host_adapter}


SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
    st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) |
    st.dictionaries(st.sampled_from(
        ['name', 'uuid', 'sysfs', 'path_groups', 'paths', 'dev', 'dm_st',
         'chk_st', 'dev_st', 'host_adapter', 'x']), children, max_size=5),
    max_leaves=20)


def well_formed(raw) -> bool:
    """The oracle: a map the agent can fully read."""
    if not isinstance(raw, dict) or not multipath._text(raw.get('uuid')):
        return False
    groups = raw.get('path_groups')
    return isinstance(groups, list) and all(
        isinstance(g, dict) and isinstance(g.get('paths'), list) and all(
            isinstance(p, dict) and multipath._text(p.get('dev'))
            for p in g['paths']) for g in groups)


class PathHealthTest(helpers.TestCase):

    def test_healthy(self):
        self.assertIs(True, multipath.json_path_health(
            {'dm_st': 'active', 'chk_st': 'ready', 'dev_st': 'running'}))

    def test_any_bad_state(self):
        for key, value in (('dm_st', 'failed'), ('chk_st', 'faulty'),
                           ('chk_st', 'ghost'), ('chk_st', 'shaky'),
                           ('chk_st', 'i/o pending'), ('dev_st', 'offline'),
                           ('dm_st', 'undef')):
            states = {'dm_st': 'active', 'chk_st': 'ready',
                      'dev_st': 'running'}
            states[key] = value
            self.assertIs(False, multipath.json_path_health(states), value)

    def test_missing_state_is_unknown(self):
        self.assertIsNone(multipath.json_path_health(
            {'dm_st': 'active', 'chk_st': 'ready', 'dev_st': None}))
        self.assertIsNone(multipath.json_path_health({}))

    def test_missing_state_with_bad_one_is_unhealthy(self):
        self.assertIs(False, multipath.json_path_health(
            {'dm_st': 'failed', 'chk_st': None}))


class ParseMapsJsonTest(helpers.TestCase):

    def test_modern_fixture(self):
        maps = multipath.parse_maps_json(
            self.fs('healthy').read_text(COMMAND_OUTPUT))
        self.assertEqual([WWID % v for v in ('1815', '1816', '1817', '1818')],
                         [m.wwid for m in maps])
        self.assertEqual(WWID % '1815', maps[0].name)
        first = maps[0].paths
        self.assertEqual(['sda', 'sdb'], [p.dev for p in first])
        self.assertEqual(['0.0.1900', '0.0.1940'],
                         [p.host_adapter for p in first])
        self.assertEqual([True, True], [p.healthy for p in first])

    def test_0_7_9_fixture(self):
        text = self.fs('multipath-0.7.9').read_text(COMMAND_OUTPUT)
        self.assertNotIn('marginal_st', text)
        maps = multipath.parse_maps_json(text)
        self.assertEqual(['mpatha', 'mpathb', 'mpathc', 'mpathd'],
                         [m.name for m in maps])
        self.assertEqual(WWID % '1815', maps[0].wwid)
        # 0.7.9 prints [undef] for a zfcp host adapter.
        self.assertEqual([None, None], [p.host_adapter for p in maps[0].paths])
        self.assertTrue(all(p.healthy for p in maps[0].paths))

    def test_failed_path_fixture(self):
        maps = multipath.parse_maps_json(
            self.fs('failed-path').read_text(COMMAND_OUTPUT))
        sdb = maps[0].paths[1]
        self.assertEqual('sdb', sdb.dev)
        self.assertIs(False, sdb.healthy)
        self.assertEqual({'dm_st': 'failed', 'chk_st': 'faulty',
                          'dev_st': 'running'}, sdb.states)

    def test_several_groups(self):
        # SVC style: one ALUA group per node, one path each.
        text = maps_json({'name': 'mpathb',
                          'uuid': '3600507680283851530000000000000A6',
                          'path_groups': [{'paths': [path('sda')]},
                                          {'paths': [path('sdb')]}]})
        mpath = multipath.parse_maps_json(text)[0]
        self.assertEqual('3600507680283851530000000000000a6', mpath.wwid)
        self.assertEqual(['sda', 'sdb'], [p.dev for p in mpath.paths])

    def test_missing_fields(self):
        # Issue 12: a malformed map is kept, incomplete and with its
        # errors, and logged; it used to be dropped or counted silently.
        text = maps_json(
            {'uuid': WWID % '1815'},
            {'name': 'mpathx', 'path_groups': [
                {'paths': [{'dev': 'sdc'}, {'dm_st': 'active'}, 'junk']},
                'junk', {'no_paths': 1}]},
            'junk')
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            maps = multipath.parse_maps_json(text)
        self.assertEqual(3, len(maps))
        self.assertEqual(WWID % '1815', maps[0].name)
        self.assertEqual((), maps[0].paths)
        self.assertFalse(maps[0].complete)
        self.assertEqual(('no "path_groups" list',), maps[0].errors)
        self.assertIsNone(maps[1].wwid)
        self.assertEqual(['sdc'], [p.dev for p in maps[1].paths])
        self.assertIsNone(maps[1].paths[0].healthy)
        self.assertIsNone(maps[1].paths[0].host_adapter)
        self.assertFalse(maps[1].complete)
        self.assertEqual(('no "uuid" (WWID)',
                          'path_groups[0].paths[1] has no "dev"',
                          'path_groups[0].paths[2] has no "dev"',
                          'path_groups[1] has no "paths" list',
                          'path_groups[2] has no "paths" list'),
                         maps[1].errors)
        self.assertEqual(('maps[2]', None, False),
                         (maps[2].name, maps[2].wwid, maps[2].complete))
        self.assertEqual(3, len(logs.output))
        self.assertIn('mpathx (maps[1])', logs.output[1])
        self.assertIn('maps[2]', logs.output[2])

    def test_well_formed_map_without_paths_is_complete(self):
        # multipathd prints an empty path_groups list for a map that lost
        # every path: a degraded map, not a malformed one.
        maps = multipath.parse_maps_json(maps_json(
            {'name': 'mpatha', 'uuid': WWID % '1815', 'path_groups': []}))
        self.assertTrue(maps[0].complete)
        self.assertEqual((), maps[0].errors)

    def test_undefined_host_adapters(self):
        for value in ('[undef]', '[unknown]', '', 'undef'):
            text = maps_json({'name': 'm', 'path_groups': [
                {'paths': [path('sda', host_adapter=value)]}]})
            first_path = multipath.parse_maps_json(text)[0].paths[0]
            self.assertIsNone(first_path.host_adapter, value)

    def test_deeply_nested(self):
        # Issue 12: 100,000 levels of '[' raised RecursionError.
        for text in ('[' * 100000, '{"maps": %s%s}' % ('[' * 100000,
                                                        ']' * 100000)):
            error = self.assertRaises(ValueError, multipath.parse_maps_json,
                                      text)
            self.assertIn('nested too deeply', str(error))

    def test_too_long(self):
        text = maps_json() + ' ' * hostfs.MAX_COMMAND_OUTPUT
        error = self.assertRaises(ValueError, multipath.parse_maps_json,
                                  text)
        self.assertIn('longer than', str(error))

    def test_huge_integer(self):
        # int() refuses more than 4300 digits: a ValueError too.
        self.assertRaises(ValueError, multipath.parse_maps_json,
                          '{"maps": [%s]}' % ('9' * 5000))

    def test_no_maps(self):
        self.assertEqual([], multipath.parse_maps_json(maps_json()))

    def test_not_json(self):
        self.assertRaises(ValueError, multipath.parse_maps_json,
                          'error -104 receiving packet\n')
        self.assertRaises(ValueError, multipath.parse_maps_json, '')

    def test_wrong_shape(self):
        self.assertRaises(ValueError, multipath.parse_maps_json, '[]')
        self.assertRaises(ValueError, multipath.parse_maps_json,
                          '{"major_version": 0, "map": {}}')


class ParseMapsJsonPropertiesTest(helpers.TestCase):
    """Generated multipathd outputs."""

    def setUp(self):
        super().setUp()
        self.quiet()

    @SETTINGS
    @given(st.text(st.characters(blacklist_categories=('Cs',))))
    def test_any_text_is_maps_or_value_error(self, text):
        try:
            maps = multipath.parse_maps_json(text)
        except ValueError:
            return
        self.assertIsInstance(maps, list)

    @SETTINGS
    @given(st.lists(JSON, max_size=6))
    def test_every_map_is_kept_and_only_well_formed_ones_are_whole(
            self, raws):
        log = self.quiet()
        maps = multipath.parse_maps_json(json.dumps({'maps': raws}))
        self.assertEqual(len(raws), len(maps))
        for index, (raw, mpath) in enumerate(zip(raws, maps, strict=True)):
            whole = mpath.wwid is not None and mpath.complete
            self.assertEqual(well_formed(raw), whole, raw)
            self.assertEqual(whole, not mpath.errors)
            if not whole:
                self.assertIn('maps[%d]' % index, log.output)

    @SETTINGS
    @given(st.integers(min_value=1, max_value=5000))
    def test_any_nesting_depth(self, depth):
        text = '{"maps": [%s%s]}' % ('[' * depth, ']' * depth)
        try:
            maps = multipath.parse_maps_json(text)
        except ValueError as e:
            self.assertIn('nested too deeply', str(e))
        else:
            self.assertEqual([None], [m.wwid for m in maps])


class ReadSysfsMapsTest(helpers.TestCase):

    def test_fixture(self):
        maps = multipath.read_sysfs_maps(self.fs('sysfs-only-storage'))
        self.assertEqual(4, len(maps))
        self.assertEqual(WWID % '1815', maps[0].wwid)
        self.assertEqual(WWID % '1815', maps[0].name)
        self.assertEqual(['sda', 'sdb'], [p.dev for p in maps[0].paths])
        self.assertEqual([True, True], [p.healthy for p in maps[0].paths])
        self.assertEqual({'state': 'running'}, maps[0].paths[0].states)

    def test_offline_path(self):
        maps = multipath.read_sysfs_maps(self.fs('failed-path'))
        self.assertEqual([True, False], [p.healthy for p in maps[0].paths])
        self.assertEqual('transport-offline', maps[0].paths[1].states['state'])

    def test_other_dm_devices_are_skipped(self):
        fs = self.tree_fs({
            '/sys/block/dm-0/dm/uuid': 'LVM-Vx1Jq3zWxyz\n',
            '/sys/block/dm-1/dm/uuid': 'CRYPT-LUKS2-abc\n',
            '/sys/block/dm-2/dm/uuid': 'mpath-%s\n' % (WWID % '1815').upper(),
            '/sys/block/dm-2/dm/name': 'mpatha\n',
            '/sys/block/dm-2/slaves/sda': '',
            '/sys/block/sda/device/state': 'running\n',
            '/sys/block/dasda/dev': '94:0\n',
        })
        maps = multipath.read_sysfs_maps(fs)
        self.assertEqual([('mpatha', WWID % '1815')],
                         [(m.name, m.wwid) for m in maps])

    def test_unreadable_path_state_and_slaves(self):
        fs = self.tree_fs({
            '/sys/block/dm-0/dm/uuid': 'mpath-%s\n' % (WWID % '1815'),
            '/sys/block/dm-0/slaves/sda': '',
            '/sys/block/dm-1/dm/uuid': 'mpath-%s\n' % (WWID % '1816'),
        })
        with self.assertLogs('zha_scheduler.agent.multipath',
                             'WARNING') as logs:
            maps = multipath.read_sysfs_maps(fs)
        self.assertEqual('dm-0', maps[0].name)
        self.assertIsNone(maps[0].paths[0].healthy)
        self.assertTrue(maps[0].complete)
        self.assertFalse(maps[1].complete)
        self.assertIn('/sys/block/sda/device/state', logs.output[0])
        self.assertIn('/sys/block/dm-1/slaves', logs.output[1])

    def test_unreadable_uuid_is_a_map_of_unknown_identity(self):
        # Issue 12: it was skipped silently, as if not a multipath map.
        fs = self.tree_fs({'/sys/block/dm-2/dm/uuid': None,
                           '/sys/block/dm-2/dm/uuid/x': ''},
                          'sysfs-only-storage')
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            maps = multipath.read_sysfs_maps(fs)
        self.assertEqual(4, len(maps))
        self.assertEqual(('dm-2', None, False),
                         (maps[2].name, maps[2].wwid, maps[2].complete))
        self.assertIn('/sys/block/dm-2/dm/uuid', maps[2].errors[0])
        self.assertIn('dm-2 may be a multipath map', logs.output[0])

    def test_uuid_fifo_does_not_block(self):
        root = self.tree({'/sys/block/dm-0/dm/name': 'mpatha\n'})
        os.mkfifo(os.path.join(root, 'sys/block/dm-0/dm/uuid'))
        with self.assertLogs(LOGGER, 'WARNING'):
            maps = test_hostfs.without_blocking(
                self, multipath.read_sysfs_maps, hostfs.HostFS(root))
        self.assertIsNone(maps[0].wwid)
        self.assertIn('FIFO', maps[0].errors[0])

    def test_empty_uuid_is_not_a_multipath_map(self):
        # dmsetup creates devices without a uuid: not multipath's.
        fs = self.tree_fs({'/sys/block/dm-0/dm/uuid': '\n'})
        with self.assertNoLogs(LOGGER, 'WARNING'):
            self.assertEqual([], multipath.read_sysfs_maps(fs))

    def test_mpath_uuid_without_wwid(self):
        fs = self.tree_fs({'/sys/block/dm-0/dm/uuid': 'mpath-\n',
                           '/sys/block/dm-0/slaves/sda': ''})
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            maps = multipath.read_sysfs_maps(fs)
        self.assertIsNone(maps[0].wwid)
        self.assertIn('no WWID', logs.output[0])

    def test_no_sys_block(self):
        self.assertRaises(OSError, multipath.read_sysfs_maps,
                          self.fs('missing-files'))
