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

"""Unit tests for zha_scheduler.agent.disks: multipath, DASD, multipathd."""

from tests.unit.agent import helpers
from tests.unit.agent import test_daemons
from zha_scheduler.agent import daemons
from zha_scheduler.agent import dasd
from zha_scheduler.agent import disks
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import storage
from zha_scheduler import topology

COMMAND = 'multipathd show maps json'
LOGGER = 'zha_scheduler.agent.disks'
ALL = frozenset(helpers.WWID % v for v in ('1815', '1816', '1817', '1818'))
MULTIPATHD = test_daemons.captured(daemons.BY_NAME[daemons.MULTIPATHD])
CHP41 = '/sys/devices/css0/chp0.41/status'
STOPPED = test_daemons.block('multipathd.service', active='inactive',
                             sub='dead')


def verdict(fs: hostfs.HostFS) -> storage.StorageResult:
    return disks.combine(storage.probe_storage(fs, COMMAND, summary=False),
                         dasd.probe_dasd(fs), daemons.probe_daemons(fs))


class CombineTest(helpers.TestCase):

    def test_fcp_only_is_unchanged(self):
        for scenario in ('healthy', 'failed-path', 'same-fcp-chpid'):
            fs = self.fs(scenario)
            fcp = storage.probe_storage(fs, COMMAND)
            result = verdict(fs)
            self.assertEqual((fcp.state, fcp.redundant_wwids,
                              fcp.present_wwids, fcp.details['reason']),
                             (result.state, result.redundant_wwids,
                              result.present_wwids,
                              result.details['reason']), scenario)

    def test_dasd_and_fcp_both_must_be_redundant(self):
        self.assertEqual(topology.REDUNDANT,
                         verdict(self.fs('dasd-and-fcp')).state)
        result = verdict(self.tree_fs({CHP41: 'offline\n'}, 'dasd-and-fcp'))
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual('redundant', result.details['multipath_state'])
        # The maps are redundant: consistency groups still hold.
        self.assertEqual(ALL, result.redundant_wwids)
        self.assertIn('; DASD: 0.0.0100 degraded, ', result.details['reason'])

    def test_dasd_only_host(self):
        result = verdict(self.fs('dasd-healthy'))
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual((frozenset(), frozenset()),
                         (result.redundant_wwids, result.present_wwids))
        self.assertEqual('DASD: 0.0.0100 redundant, 0.0.0101 redundant, '
                         '0.0.0102 redundant, 0.0.0103 redundant',
                         result.details['reason'])
        self.assertEqual(topology.DEGRADED,
                         verdict(self.fs('dasd-single-path')).state)

    def test_unreadable_maps_leave_dasd_hosts_unknown(self):
        files = {'/_commands/multipathd_show_maps_json.out': None,
                 '/sys/block': None}
        self.quiet()
        result = verdict(self.tree_fs(files, 'dasd-healthy'))
        self.assertIsNone(result.state)
        self.assertEqual('redundant', result.details['dasd']['state'])
        # DASD was read: the storage source is not "unread".
        self.assertIsNone(result.unread)
        result = verdict(self.tree_fs(dict(files, **{CHP41: 'offline\n'}),
                                      'dasd-healthy'))
        self.assertEqual(topology.DEGRADED, result.state)

    def test_unknown_dasd_leaves_fcp_hosts_unknown(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = verdict(self.tree_fs({CHP41: None}, 'dasd-and-fcp'))
        self.assertIsNone(result.state)
        self.assertEqual(ALL, result.redundant_wwids)
        self.assertIn('Storage not monitored: ', logs.output[-1])
        self.assertIn('DASD: 0.0.0100 unknown', logs.output[-1])

    def test_no_map_and_no_dasd(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = verdict(self.fs('no-san'))
        self.assertIsNone(result.state)
        self.assertIsNone(result.unread)
        self.assertEqual('no multipath map (multipathd show maps json '
                         'printed none) and no online DASD',
                         result.details['reason'])
        self.assertEqual(['WARNING:%s:Storage not monitored: %s.'
                          % (LOGGER, result.details['reason'])], logs.output)

    def test_nothing_readable_is_unread(self):
        self.quiet()
        result = verdict(self.fs('missing-files'))
        self.assertIsNone(result.state)
        self.assertIn('/sys/block', result.unread)
        self.assertIn('error', result.details)


class MultipathdTest(helpers.TestCase):

    def test_stopped_multipathd_degrades_a_host_with_maps(self):
        self.quiet()
        result = verdict(self.fs('multipathd-stopped'))
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual(frozenset(), result.redundant_wwids)
        self.assertEqual(ALL, result.present_wwids)

    def test_warned_once_with_the_number_of_maps(self):
        fs = self.tree_fs({MULTIPATHD: STOPPED}, 'healthy')
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = verdict(fs)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual([
            'WARNING:%s:multipathd.service is inactive (dead): %s (the host '
            'has 4 multipath maps).' % (
                LOGGER, daemons.BY_NAME[daemons.MULTIPATHD].cost)],
            logs.output)
        self.assertTrue(result.details['reason'].endswith(
            'multipathd.service is inactive: failed paths are neither '
            'checked nor reinstated'))

    def test_not_installed_with_maps_is_degraded(self):
        fs = self.tree_fs({MULTIPATHD: test_daemons.block(
            'multipathd.service', 'not-found', 'inactive', 'dead', 'no')},
            'healthy')
        self.quiet()
        result = verdict(fs)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertTrue(result.details['reason'].endswith(
            'multipathd.service is not-found: failed paths are neither '
            'checked nor reinstated'))

    def test_unsupervised_multipathd_is_a_warning_only(self):
        fs = self.tree_fs({MULTIPATHD: test_daemons.block(
            'multipathd.service', restart='no')}, 'healthy')
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = verdict(fs)
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertIn('multipathd.service has Restart=no', logs.output[0])
        self.assertIn('multipathd.service.d/restart.conf', logs.output[0])

    def test_unknown_multipathd_changes_nothing(self):
        fs = self.tree_fs({MULTIPATHD: None}, 'healthy')
        self.quiet()
        result = verdict(fs)
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual(ALL, result.redundant_wwids)

    def test_stopped_multipathd_without_maps_changes_nothing(self):
        fs = self.tree_fs({MULTIPATHD: STOPPED}, 'dasd-healthy')
        self.assertEqual(topology.REDUNDANT, verdict(fs).state)
        fs = self.tree_fs({MULTIPATHD: STOPPED}, 'no-san')
        self.quiet()
        self.assertIsNone(verdict(fs).state)
