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

"""Unit tests for zha_scheduler.agent.storage."""

import itertools
import json

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from tests.unit.agent import helpers
from tests.unit.agent import test_multipath
from zha_scheduler.agent import storage
from zha_scheduler import topology

COMMAND = 'multipathd show maps json'
COMMAND_OUTPUT = test_multipath.COMMAND_OUTPUT
LOGGER = 'zha_scheduler.agent.storage'
WWID = helpers.WWID
ALL = frozenset(WWID % v for v in ('1815', '1816', '1817', '1818'))
path = test_multipath.path
maps_json = test_multipath.maps_json


def one_map(*paths: dict) -> str:
    return maps_json({'name': 'mpatha', 'uuid': WWID % '1815',
                      'path_groups': [{'paths': list(paths)}]})


SETTINGS = settings(
    max_examples=100, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.function_scoped_fixture])
# A path: (healthy, FCP device); '[undef]' is unknown (no sysfs here).
PATHS = st.lists(st.tuples(st.booleans(), st.sampled_from(
    ['0.0.1900', '0.0.1940', '0.0.1980', '[undef]'])), max_size=4)
FLAWS = st.sampled_from([None, None, 'no uuid', 'no path_groups',
                         'junk group', 'path without dev', 'not an object'])


def generated_map(index, paths, flaw):
    """A map of the multipath JSON, well formed or with one flaw."""
    entries = [path('sd%s' % 'abcd'[i], dm_st='active' if ok else 'failed',
                    host_adapter=hba) for i, (ok, hba) in enumerate(paths)]
    raw = {'name': 'm%d' % index, 'uuid': WWID % (1000 + index),
           'path_groups': [{'paths': entries}]}
    if flaw == 'no uuid':
        del raw['uuid']
    elif flaw == 'no path_groups':
        del raw['path_groups']
    elif flaw == 'junk group':
        raw['path_groups'].append('junk')
    elif flaw == 'path without dev':
        raw['path_groups'][0]['paths'].append({'dm_st': 'active'})
    elif flaw == 'not an object':
        return ['junk']
    return raw


def expected_state(paths):
    """The oracle for a well-formed map: the definition, pair by pair."""
    def independent(a, b):
        if '[undef]' in (a[1], b[1]):
            return None
        return a[1] != b[1]
    pairs = [(a[0] and b[0], independent(a, b))
             for a, b in itertools.combinations(paths, 2)]
    if any(up and ind for up, ind in pairs):
        return topology.REDUNDANT
    if any(up and ind is None for up, ind in pairs):
        return None
    return topology.DEGRADED


class FcpChpidTest(helpers.TestCase):

    def test_fixture(self):
        fs = self.fs('healthy')
        self.assertEqual('50', storage.fcp_chpid(fs, '0.0.1900'))
        self.assertEqual('51', storage.fcp_chpid(fs, '0.0.1940'))

    def test_unknown_device(self):
        self.assertIsNone(storage.fcp_chpid(self.fs('healthy'), '0.0.1980'))

    def test_absolute_link(self):
        fs = self.tree_fs({
            '/sys/devices/css0/0.0.0012/chpids': '00 5c 00 00 00 00 00 00 \n',
            '/sys/devices/css0/0.0.0012/0.0.1980/online': '1\n',
            '/sys/bus/ccw/devices/0.0.1980': helpers.Link(
                '/sys/devices/css0/0.0.0012/0.0.1980')})
        self.assertEqual('5C', storage.fcp_chpid(fs, '0.0.1980'))


class ProbeStorageFixturesTest(helpers.TestCase):

    def test_healthy(self):
        result = storage.probe_storage(self.fs('healthy'), COMMAND)
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual(ALL, result.redundant_wwids)
        self.assertEqual(ALL, result.present_wwids)
        self.assertEqual('command', result.details['source'])
        first = result.details['maps'][WWID % '1815']
        self.assertEqual([('sda', '0.0.1900', '50', '0140'),
                          ('sdb', '0.0.1940', '51', '0150')],
                         [(p['dev'], p['hba_id'], p['chpid'], p['pchid'])
                          for p in first['paths']])

    def test_failed_path(self):
        result = storage.probe_storage(self.fs('failed-path'), COMMAND)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual(ALL - {WWID % '1815'}, result.redundant_wwids)
        self.assertEqual(ALL, result.present_wwids)
        self.assertEqual('1 of 2 paths healthy; sdb (failed faulty running)',
                         result.details['maps'][WWID % '1815']['reason'])

    def test_same_fcp_device(self):
        result = storage.probe_storage(self.fs('same-fcp-device'), COMMAND)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual(ALL - {WWID % '1818'}, result.redundant_wwids)
        paths = result.details['maps'][WWID % '1818']['paths']
        self.assertEqual(['0.0.1900', '0.0.1900'],
                         [p['hba_id'] for p in paths])

    def test_same_fcp_chpid(self):
        result = storage.probe_storage(self.fs('same-fcp-chpid'), COMMAND)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual(frozenset(), result.redundant_wwids)
        paths = result.details['maps'][WWID % '1815']['paths']
        self.assertEqual([('0.0.1900', '50'), ('0.0.1901', '50')],
                         [(p['hba_id'], p['chpid']) for p in paths])

    def test_multipath_0_7_9_uses_sysfs_hba_id(self):
        result = storage.probe_storage(self.fs('multipath-0.7.9'), COMMAND)
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual(ALL, result.redundant_wwids)
        paths = result.details['maps']['mpatha']['paths']
        self.assertEqual(['0.0.1900', '0.0.1940'],
                         [p['hba_id'] for p in paths])

    def test_sysfs_only(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = storage.probe_storage(self.fs('sysfs-only-storage'),
                                           COMMAND)
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual(ALL, result.redundant_wwids)
        self.assertEqual('sysfs', result.details['source'])
        self.assertIn('multipathd show maps json', logs.output[0])
        self.assertIn('/sys/block', logs.output[0])

    def test_no_san(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = storage.probe_storage(self.fs('no-san'), COMMAND)
        self.assertIsNone(result.state)
        self.assertEqual(frozenset(), result.present_wwids)
        self.assertIn('no multipath map', logs.output[0])

    def test_nothing_readable(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = storage.probe_storage(self.fs('missing-files'), COMMAND)
        self.assertIsNone(result.state)
        self.assertIsNone(result.details['source'])
        self.assertIn('multipathd show maps json', logs.output[-1])
        self.assertIn('/sys/block', logs.output[-1])

    def test_configured_command(self):
        output = one_map(path('sda'), path('sdb', host_adapter='0.0.1940'))
        fs = self.tree_fs(
            {'/_commands/_usr_sbin_multipathd_show_maps_json.out': output})
        self.assertEqual(topology.REDUNDANT, storage.probe_storage(
            fs, '/usr/sbin/multipathd show maps json').state)
        with self.assertLogs(LOGGER, 'WARNING'):
            self.assertIsNone(storage.probe_storage(fs, COMMAND).state)


class ProbeStorageInlineTest(helpers.TestCase):

    def probe(self, text: str | None, extra: dict | None = None):
        files = dict(extra or {})
        if text is not None:
            files[COMMAND_OUTPUT] = text
        return storage.probe_storage(self.tree_fs(files), COMMAND)

    def test_distinct_devices_without_chpid(self):
        result = self.probe(
            one_map(path('sda'), path('sdb', host_adapter='0.0.1940')))
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual(frozenset({WWID % '1815'}), result.redundant_wwids)

    def test_single_path(self):
        result = self.probe(one_map(path('sda')))
        self.assertEqual(topology.DEGRADED, result.state)

    def test_no_paths(self):
        result = self.probe(one_map())
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual(frozenset({WWID % '1815'}), result.present_wwids)

    def test_ghost_path_is_not_healthy(self):
        result = self.probe(one_map(
            path('sda'), path('sdb', chk_st='ghost', host_adapter='0.0.1940')))
        self.assertEqual(topology.DEGRADED, result.state)

    def test_third_path_rescues_the_map(self):
        result = self.probe(one_map(
            path('sda'), path('sdb', dm_st='failed', host_adapter='0.0.1940'),
            path('sdc', host_adapter='0.0.1980')))
        self.assertEqual(topology.REDUNDANT, result.state)

    def test_unknown_fcp_device_is_not_monitored(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = self.probe(one_map(path('sda', host_adapter='[undef]'),
                                        path('sdb', host_adapter='[undef]')))
        self.assertIsNone(result.state)
        self.assertEqual(frozenset(), result.redundant_wwids)
        self.assertEqual(frozenset({WWID % '1815'}), result.present_wwids)
        self.assertIn('FCP device unknown for sda, sdb',
                      result.details['maps']['mpatha']['reason'])
        self.assertIn('/sys/block/sda/device/hba_id', logs.output[0])
        self.assertIn('Storage not monitored', logs.output[-1])

    def test_missing_states_are_not_monitored(self):
        with self.assertLogs(LOGGER, 'WARNING'):
            result = self.probe(one_map(
                {'dev': 'sda', 'host_adapter': '0.0.1900'},
                {'dev': 'sdb', 'host_adapter': '0.0.1940'}))
        self.assertIsNone(result.state)

    def test_degraded_map_beats_unknown_map(self):
        text = maps_json(
            {'name': 'a', 'uuid': WWID % '1815', 'path_groups': [
                {'paths': [path('sda'), path('sdb', dm_st='failed',
                                             host_adapter='0.0.1940')]}]},
            {'name': 'b', 'uuid': WWID % '1816', 'path_groups': [
                {'paths': [{'dev': 'sdc'}, {'dev': 'sdd'}]}]})
        result = self.probe(text)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual('a degraded, b unknown', result.details['reason'])

    def test_bad_json_falls_back_to_sysfs(self):
        files = {'/sys/block/dm-0/dm/uuid': 'mpath-%s\n' % (WWID % '1815'),
                 '/sys/block/dm-0/slaves/sda': '',
                 '/sys/block/dm-0/slaves/sdb': '',
                 '/sys/block/sda/device/state': 'running\n',
                 '/sys/block/sda/device/hba_id': '0.0.1900\n',
                 '/sys/block/sdb/device/state': 'offline\n',
                 '/sys/block/sdb/device/hba_id': '0.0.1940\n'}
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = self.probe('error -104 receiving packet\n', files)
        self.assertEqual('sysfs', result.details['source'])
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertIn('multipathd show maps json', logs.output[0])

    def test_map_without_identity_is_not_monitored(self):
        # Issue 12: maps without a WWID were counted on their paths.
        text = maps_json(
            {'name': 'a', 'uuid': WWID % '1815', 'path_groups': [{'paths': [
                path('sda'), path('sdb', host_adapter='0.0.1940')]}]},
            {'name': 'b', 'path_groups': [{'paths': [
                path('sdc'), path('sdd', host_adapter='0.0.1940')]}]})
        with self.assertLogs('zha_scheduler.agent', 'WARNING') as logs:
            result = self.probe(text)
        self.assertIsNone(result.state)
        self.assertEqual('a redundant, b unknown', result.details['reason'])
        self.assertIn('identity unknown: no "uuid" (WWID)',
                      result.details['maps']['b']['reason'])
        self.assertIn('Malformed multipath map b (maps[1])', logs.output[0])

    def test_junk_map_is_not_monitored(self):
        text = maps_json({'name': 'a', 'uuid': WWID % '1815', 'path_groups': [
            {'paths': [path('sda'), path('sdb', host_adapter='0.0.1940')]}]},
            'junk')
        with self.assertLogs('zha_scheduler.agent', 'WARNING'):
            result = self.probe(text)
        self.assertIsNone(result.state)
        self.assertIsNone(result.details['maps']['maps[1]']['state'])

    def test_malformed_map_is_never_degraded(self):
        # One healthy path and a path group that is not a list: the missing
        # paths may be the healthy ones.
        text = maps_json({'name': 'a', 'uuid': WWID % '1815', 'path_groups': [
            {'paths': [path('sda')]}, {'paths': 'junk'}]})
        with self.assertLogs('zha_scheduler.agent', 'WARNING') as logs:
            result = self.probe(text)
        self.assertIsNone(result.state)
        self.assertIn('path_groups[1] has no "paths" list', logs.output[0])
        self.assertIn('path_groups[1] has no "paths" list',
                      result.details['maps']['a']['reason'])

    def test_proven_pair_wins_over_a_malformed_path(self):
        text = one_map(path('sda'), path('sdb', host_adapter='0.0.1940'),
                       {'dm_st': 'active'})
        with self.assertLogs('zha_scheduler.agent', 'WARNING'):
            result = self.probe(text)
        self.assertEqual(topology.REDUNDANT, result.state)

    def test_degraded_map_beats_malformed_map(self):
        text = maps_json(
            {'name': 'a', 'uuid': WWID % '1815', 'path_groups': [
                {'paths': [path('sda')]}]},
            {'name': 'b'})
        with self.assertLogs('zha_scheduler.agent', 'WARNING'):
            result = self.probe(text)
        self.assertEqual(topology.DEGRADED, result.state)

    def test_unreadable_sysfs_uuid_is_not_monitored(self):
        # Issue 12: dm-2 was skipped and storage reported redundant.
        files = {'/sys/block/dm-2/dm/uuid': None,
                 '/sys/block/dm-2/dm/uuid/x': ''}
        fs = self.tree_fs(files, 'sysfs-only-storage')
        with self.assertLogs('zha_scheduler.agent', 'WARNING') as logs:
            result = storage.probe_storage(fs, COMMAND)
        self.assertIsNone(result.state)
        self.assertEqual(ALL - {WWID % '1817'}, result.redundant_wwids)
        self.assertIn('Is a directory',
                      result.details['maps']['dm-2']['reason'])
        self.assertTrue(any('dm-2' in line and '/sys/block/dm-2/dm/uuid'
                            in line for line in logs.output))

    def test_deep_json_falls_back_to_sysfs(self):
        fs = self.tree_fs({COMMAND_OUTPUT: '[' * 100000}, 'healthy')
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = storage.probe_storage(fs, COMMAND)
        self.assertEqual('sysfs', result.details['source'])
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertIn('nested too deeply', logs.output[0])

    def test_nothing_readable_says_what(self):
        with self.assertLogs(LOGGER, 'WARNING'):
            result = self.probe('[' * 100000)
        self.assertEqual('"multipathd show maps json" (the multipath JSON is '
                         'nested too deeply), /sys/block (No such file or '
                         'directory)', result.unread)

    def test_maps_of_one_name_both_count(self):
        text = maps_json(
            {'name': 'a', 'uuid': WWID % '1815', 'path_groups': [{'paths': [
                path('sda'), path('sdb', host_adapter='0.0.1940')]}]},
            {'name': 'a', 'uuid': WWID % '1816', 'path_groups': [{'paths': [
                path('sdc')]}]})
        result = self.probe(text)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual(['a', 'a (maps[1])'],
                         list(result.details['maps']))

    def test_path_name_cannot_leave_sys_block(self):
        fs = self.tree_fs({
            COMMAND_OUTPUT: one_map(path('../../etc', host_adapter=''),
                                    path('sdb', host_adapter='0.0.1940')),
            '/sys/block/../etc/device/hba_id': '0.0.1980\n'})
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = storage.probe_storage(fs, COMMAND)
        self.assertIsNone(result.details['maps']['mpatha']['paths'][0][
            'hba_id'])
        self.assertIn("'../../etc' unknown: not a block device name",
                      logs.output[0])

    def test_unlistable_slaves_are_not_monitored(self):
        files = {'/sys/block/dm-0/dm/uuid': 'mpath-%s\n' % (WWID % '1815')}
        with self.assertLogs('zha_scheduler.agent', 'WARNING'):
            result = self.probe(None, files)
        self.assertIsNone(result.state)
        self.assertIn('cannot be listed',
                      result.details['maps']['dm-0']['reason'])


class GeneratedMapsTest(helpers.TestCase):
    """Generated multipath outputs: a flawed map is never counted silently."""

    @SETTINGS
    @given(st.lists(st.tuples(PATHS, FLAWS), min_size=1, max_size=5))
    def test_generated_maps(self, maps):
        log = self.quiet()
        text = maps_json(*[generated_map(i, paths, flaw)
                           for i, (paths, flaw) in enumerate(maps)])
        fs = self.tree_fs({COMMAND_OUTPUT: text})
        result = storage.probe_storage(fs, COMMAND)
        states = list(result.details['maps'].values())
        self.assertEqual(len(maps), len(states))
        for i, ((paths, flaw), details) in enumerate(zip(maps, states,
                                                         strict=True)):
            if flaw is None:
                self.assertEqual(expected_state(paths), details['state'])
                continue
            # Logged, naming the map, and never proven degraded.
            self.assertIn('maps[%d]' % i, log.output)
            self.assertNotEqual(topology.DEGRADED, details['state'])
            if flaw in ('no uuid', 'no path_groups', 'not an object'):
                self.assertIsNone(details['state'])
        found = [d['state'] for d in states]
        if topology.DEGRADED in found:
            self.assertEqual(topology.DEGRADED, result.state)
        elif None in found:
            self.assertIsNone(result.state)
        else:
            self.assertEqual(topology.REDUNDANT, result.state)
        json.dumps(result.details)
