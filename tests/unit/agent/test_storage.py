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

    def test_unlistable_slaves_are_not_monitored(self):
        files = {'/sys/block/dm-0/dm/uuid': 'mpath-%s\n' % (WWID % '1815')}
        with self.assertLogs('zha_scheduler.agent', 'WARNING'):
            result = self.probe(None, files)
        self.assertIsNone(result.state)
        self.assertIn('cannot be listed',
                      result.details['maps']['dm-0']['reason'])
