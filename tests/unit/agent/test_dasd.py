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

"""Unit tests for zha_scheduler.agent.dasd: the DASD fixture trees."""

import json
import os

from tests.unit.agent import helpers
from tests.unit.agent import test_subchannel
from zha_scheduler.agent import dasd
from zha_scheduler.agent import hostfs
from zha_scheduler import topology

LOGGER = 'zha_scheduler.agent.dasd'
DEVICES = ['0.0.0100', '0.0.0101', '0.0.0102', '0.0.0103']
SCH = '/sys/devices/css0/0.0.000%d'
DEV = SCH + '/0.0.010%d'


def usable(result, busid):
    return [(p['chpid'], p['usable'])
            for p in result.details['devices'][busid]['paths']]


class FixturesTest(helpers.TestCase):

    def probe(self, scenario):
        return dasd.probe_dasd(self.fs(scenario))

    def test_healthy(self):
        result = self.probe('dasd-healthy')
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertTrue(result.present)
        self.assertIsNone(result.unread)
        self.assertEqual(DEVICES, list(result.details['devices']))
        self.assertEqual([2, 3, 4, 2], [
            len(d['paths']) for d in result.details['devices'].values()])
        first = result.details['devices']['0.0.0100']
        self.assertEqual({'state': 'redundant', 'driver': 'dasd-eckd',
                          'subchannel': '0.0.0000', 'source': 'sysfs',
                          'masks': {'pim': 'c0', 'pam': 'c0', 'pom': 'ff'},
                          'reason': 'usable channel paths on distinct '
                          'CHPIDs: 40, 41'},
                         {k: v for k, v in first.items() if k != 'paths'})
        self.assertEqual({'chpid': '40', 'pchid': '0100', 'available': True,
                          'operational': True, 'status': 'online',
                          'usable': True}, first['paths'][0])
        self.assertEqual({}, result.details['skipped'])
        json.dumps(result.details)

    def test_chp_offline(self):
        result = self.probe('dasd-chp-offline')
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual([('40', True), ('41', False)],
                         usable(result, '0.0.0100'))
        self.assertEqual('1 of 2 channel paths usable; CHPID 41 offline',
                         result.details['devices']['0.0.0100']['reason'])
        # Two other paths remain: still redundant.
        self.assertEqual('redundant',
                         result.details['devices']['0.0.0101']['state'])

    def test_single_path(self):
        result = self.probe('dasd-single-path')
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual('a single channel path installed (CHPID 42)',
                         result.details['devices']['0.0.0103']['reason'])
        self.assertEqual('0.0.0100 redundant, 0.0.0101 redundant, 0.0.0102 '
                         'redundant, 0.0.0103 degraded',
                         result.details['reason'])

    def test_pav_alias_and_offline_devices_are_left_out(self):
        result = self.probe('dasd-pav-alias')
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual(DEVICES, list(result.details['devices']))
        self.assertEqual({'0.0.01fe': 'PAV alias', '0.0.01ff': 'PAV alias',
                          '0.0.0104': 'offline'}, result.details['skipped'])

    def test_no_dasd(self):
        for scenario in ('healthy', 'missing-files'):
            result = self.probe(scenario)
            self.assertIsNone(result.state)
            self.assertFalse(result.present)
            self.assertIsNone(result.unread)
            self.assertEqual('no online DASD', result.details['reason'])

    def test_only_aliases_and_offline_devices(self):
        fs = self.tree_fs({'/sys/bus/ccw/drivers/dasd-eckd/0.0.0100': None,
                           '/sys/bus/ccw/drivers/dasd-eckd/0.0.0101': None,
                           '/sys/bus/ccw/drivers/dasd-eckd/0.0.0102': None,
                           '/sys/bus/ccw/drivers/dasd-eckd/0.0.0103': None},
                          'dasd-pav-alias')
        result = dasd.probe_dasd(fs)
        self.assertIsNone(result.state)
        self.assertFalse(result.present)
        self.assertEqual(3, len(result.details['skipped']))


class InlineTest(helpers.TestCase):
    """Odd inputs, on a copy of dasd-healthy."""

    def probe(self, files, scenario='dasd-healthy'):
        return dasd.probe_dasd(self.tree_fs(files, scenario))

    def test_pam_and_pom_bits(self):
        result = self.probe({SCH % 1 + '/pimpampom': 'e0 a0 df\n'})
        self.assertEqual([('40', True), ('41', False), ('42', False)],
                         usable(result, '0.0.0101'))
        self.assertEqual('1 of 3 channel paths usable; CHPID 41 not '
                         'available; CHPID 42 not operational',
                         result.details['devices']['0.0.0101']['reason'])
        self.assertEqual(topology.DEGRADED, result.state)

    def test_paths_sharing_a_pchid(self):
        result = self.probe({'/sys/devices/css0/chp0.41/chid': '0100\n'})
        self.assertEqual(
            'usable channel paths share one CHPID or PCHID: 40, 41',
            result.details['devices']['0.0.0100']['reason'])
        self.assertEqual(topology.DEGRADED, result.state)

    def test_unknown_chp_state_is_unknown_unless_proven(self):
        with self.assertLogs('zha_scheduler.agent.subchannel', 'WARNING'):
            result = self.probe({'/sys/devices/css0/chp0.41/status': None})
        devices = result.details['devices']
        self.assertIsNone(devices['0.0.0100']['state'])
        self.assertEqual('cannot tell: state of channel path 41 unknown',
                         devices['0.0.0100']['reason'])
        # 40 and 42 prove 0.0.0101 redundant.
        self.assertEqual('redundant', devices['0.0.0101']['state'])
        self.assertIsNone(result.state)

    def test_degraded_beats_unknown(self):
        with self.assertLogs('zha_scheduler.agent.subchannel', 'WARNING'):
            result = self.probe({'/sys/devices/css0/chp0.41/status': None,
                                 SCH % 3 + '/pimpampom': 'c0 40 ff\n'})
        self.assertEqual(topology.DEGRADED, result.state)

    def test_unreadable_online_or_alias_is_unknown(self):
        for name in ('online', 'alias'):
            with self.assertLogs(LOGGER, 'WARNING') as logs:
                result = self.probe({(DEV % (0, 0)) + '/' + name: 'yes\n'})
            entry = result.details['devices']['0.0.0100']
            self.assertIsNone(entry['state'])
            self.assertEqual('cannot tell: %s/%s cannot be read or is not '
                             '0 or 1' % (DEV % (0, 0), name),
                             entry['reason'])
            self.assertIsNone(result.state)
            self.assertIn('DASD 0.0.0100 not monitored: ', logs.output[0])

    def test_malformed_subchannel_without_lscss_is_unknown(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = self.probe({SCH % 0 + '/chpids': '40 41\n'})
        self.assertIsNone(result.state)
        self.assertIn('chpids is not 8 two-digit hex numbers',
                      result.details['devices']['0.0.0100']['reason'])
        self.assertIn('no line for it in "lscss"', logs.output[0])

    def test_lscss_fallback(self):
        result = self.probe({SCH % 0 + '/chpids': None,
                             SCH % 1 + '/pimpampom': None,
                             '/_commands/lscss.out': test_subchannel.LSCSS})
        devices = result.details['devices']
        self.assertEqual(['lscss', 'lscss', 'sysfs', 'sysfs'],
                         [d['source'] for d in devices.values()])
        # lscss says path 41 of 0.0.0101 is not available.
        self.assertEqual([('40', True), ('41', False), ('42', True)],
                         usable(result, '0.0.0101'))
        self.assertEqual(topology.REDUNDANT, result.state)

    def test_fba_and_both_drivers(self):
        root = self.tree({}, 'dasd-healthy')
        os.makedirs(os.path.join(root, 'sys/bus/ccw/drivers/dasd-fba'))
        os.rename(os.path.join(root, 'sys/bus/ccw/drivers/dasd-eckd',
                               '0.0.0103'),
                  os.path.join(root, 'sys/bus/ccw/drivers/dasd-fba',
                               '0.0.0103'))
        result = dasd.probe_dasd(hostfs.HostFS(root))
        self.assertEqual(['dasd-eckd'] * 3 + ['dasd-fba'], [
            d['driver'] for d in result.details['devices'].values()])
        self.assertEqual(topology.REDUNDANT, result.state)

    def test_unreadable_driver_directory(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = self.probe({'/sys/bus/ccw/drivers/dasd-fba': 'x\n'})
        self.assertIsNone(result.state)
        self.assertTrue(result.present)
        self.assertIn('/sys/bus/ccw/drivers/dasd-fba', result.unread)
        self.assertIn('DASD not monitored: cannot list', logs.output[0])
        self.assertTrue(result.details['reason'].endswith(
            'cannot list /sys/bus/ccw/drivers/dasd-fba (Not a directory)'))

    def test_entries_that_are_not_bus_ids_are_ignored(self):
        result = self.probe({'/sys/bus/ccw/drivers/dasd-eckd/bind': '',
                             '/sys/bus/ccw/drivers/dasd-eckd/0.0.01': ''})
        self.assertEqual(DEVICES, list(result.details['devices']))

    def test_dangling_link_and_link_loop_are_unknown(self):
        driver = '/sys/bus/ccw/drivers/dasd-eckd/'
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = self.probe({
                driver + '0.0.0105': helpers.Link(
                    '../../../../devices/css0/0.0.0005/0.0.0105'),
                driver + '0.0.0106': helpers.Link('0.0.0106')})
        devices = result.details['devices']
        self.assertIsNone(devices['0.0.0105']['state'])
        self.assertEqual('cannot tell: %s0.0.0106: Too many levels of '
                         'symbolic links' % driver,
                         devices['0.0.0106']['reason'])
        self.assertIsNone(result.state)
        self.assertEqual(2, len(logs.output))

    def test_single_or_no_path_reasons(self):
        result = self.probe({
            SCH % 3 + '/pimpampom': '80 00 ff\n',
            SCH % 2 + '/pimpampom': '00 00 ff\n'})
        devices = result.details['devices']
        self.assertEqual('a single channel path installed (CHPID 42); '
                         'CHPID 42 not available',
                         devices['0.0.0103']['reason'])
        self.assertEqual('no channel path installed',
                         devices['0.0.0102']['reason'])
        self.assertEqual(topology.DEGRADED, result.state)
