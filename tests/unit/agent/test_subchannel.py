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

"""Unit tests for zha_scheduler.agent.subchannel: the cio formats."""

from tests.unit.agent import helpers
from zha_scheduler.agent import subchannel

LOGGER = 'zha_scheduler.agent.subchannel'
SCH = '/sys/devices/css0/0.0.0001'
# lscss as s390-tools prints it (zconf/css/lscss.c: util_rec columns of
# widths 8, 9, 7, 7, 4, 3, 3, 4, 17 and a line of dashes).
LSCSS = """\
Device   Subchan.  DevType CU Type Use  PIM PAM POM  CHPIDs
----------------------------------------------------------------------
0.0.0100 0.0.0000  3390/0c 3990/e9 yes  c0  c0  ff   40410000 00000000
0.0.0101 0.0.0001  3390/0c 3990/e9 yes  e0  a0  ff   40414200 00000000
0.0.0104 0.0.0004  3390/0c 3990/e9      80  80  ff   40000000 00000000
0.0.1900 0.0.0010  1732/03 1731/03 yes  80  80  ff   50000000 00000000
0.0.f500 0.0.0020  1732/01 1731/01 yes  80  80  ff   f4000000 00000000
0.0.0200 n/a       3390/0c 3990/e9
"""


class ChpidsTest(helpers.TestCase):

    def test_kernel_format(self):
        # '%02x ' for each of the 8 paths, then a newline.
        self.assertEqual(['40', '41', '00', '00', '00', '00', '00', '00'],
                         subchannel.parse_chpids('40 41 00 00 00 00 00 00 \n'))

    def test_upper_case_and_no_trailing_space(self):
        self.assertEqual(['F4'] + ['00'] * 7,
                         subchannel.parse_chpids('f4 00 00 00 00 00 00 00'))

    def test_malformed(self):
        for text in ('', '40 41\n', '40 41 00 00 00 00 00 00 00\n',
                     '4 41 00 00 00 00 00 00\n', 'zz 41 00 00 00 00 00 00\n',
                     '0x40 41 00 00 00 00 00 00\n'):
            self.assertRaises(ValueError, subchannel.parse_chpids, text)


class PimPamPomTest(helpers.TestCase):

    def test_kernel_format(self):
        self.assertEqual((0xc0, 0x80, 0xff),
                         subchannel.parse_pimpampom('c0 80 ff\n'))

    def test_malformed(self):
        for text in ('', 'c0 80\n', 'c0 80 ff 00\n', 'c0 80 fff\n',
                     '-1 80 ff\n'):
            self.assertRaises(ValueError, subchannel.parse_pimpampom, text)


class PathsTest(helpers.TestCase):

    def test_bit_i_is_the_ith_chpid(self):
        found = subchannel.paths('0.0.0001', 'sysfs',
                                 ['40', '41', '42', '00', '00', '00', '00',
                                  '00'], (0xe0, 0xa0, 0xdf))
        self.assertEqual([('40', True, True), ('41', False, True),
                          ('42', True, False)],
                         [(p.chpid, p.available, p.operational)
                          for p in found.paths])
        self.assertEqual({'pim': 'e0', 'pam': 'a0', 'pom': 'df'},
                         found.masks)

    def test_chpid_00_of_an_installed_path_is_a_chpid(self):
        found = subchannel.paths('0.0.0001', 'sysfs', ['00', '41'] +
                                 ['00'] * 6, (0xc0, 0xc0, 0xff))
        self.assertEqual(['00', '41'], [p.chpid for p in found.paths])

    def test_read_paths_from_the_fixture(self):
        found = subchannel.read_paths(self.fs('dasd-healthy'), SCH)
        self.assertEqual(('0.0.0001', 'sysfs'),
                         (found.subchannel, found.source))
        self.assertEqual(['40', '41', '42'], [p.chpid for p in found.paths])
        self.assertTrue(all(p.available and p.operational
                            for p in found.paths))

    def test_read_paths_errors(self):
        fs = self.tree_fs({SCH + '/chpids': '40 41\n',
                           SCH + '/pimpampom': 'c0 c0 ff\n'})
        self.assertRaises(ValueError, subchannel.read_paths, fs, SCH)
        fs = self.tree_fs({SCH + '/chpids': '40 41 00 00 00 00 00 00 \n'})
        self.assertRaises(OSError, subchannel.read_paths, fs, SCH)


class LscssTest(helpers.TestCase):

    def test_rows(self):
        found = subchannel.parse_lscss(LSCSS)
        self.assertEqual(['0.0.0100', '0.0.0101', '0.0.0104', '0.0.1900',
                          '0.0.f500'], sorted(found))
        paths = found['0.0.0101']
        self.assertEqual(('0.0.0001', 'lscss'),
                         (paths.subchannel, paths.source))
        self.assertEqual([('40', True), ('41', False), ('42', True)],
                         [(p.chpid, p.available) for p in paths.paths])
        self.assertEqual(['F4'], [p.chpid for p in found['0.0.f500'].paths])

    def test_upper_case_short_ids_and_avail_column(self):
        text = ('Device   Subchan.  DevType CU Type Use  PIM PAM POM  '
                'CHPIDs            Avail.\n' + '-' * 78 + '\n'
                '0100     0000      3390/0C 3990/E9 YES  C0  C0  FF   '
                '40410000 00000000  good\n')
        found = subchannel.parse_lscss(text)
        self.assertEqual(['40', '41'],
                         [p.chpid for p in found['0.0.0100'].paths])
        self.assertEqual('0.0.0000', found['0.0.0100'].subchannel)

    def test_junk(self):
        self.assertEqual({}, subchannel.parse_lscss(
            'lscss: command not found\n\x00\n' + 'x ' * 5000))


class ChpStatusTest(helpers.TestCase):

    def test_fixture(self):
        self.assertEqual('online', subchannel.chp_status(
            self.fs('dasd-chp-offline'), '40'))
        self.assertEqual('offline', subchannel.chp_status(
            self.fs('dasd-chp-offline'), '41'))

    def test_missing_and_malformed(self):
        fs = self.tree_fs({'/sys/devices/css0/chp0.42/status': 'standby\n'})
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.assertIsNone(subchannel.chp_status(fs, '41'))
            self.assertIsNone(subchannel.chp_status(fs, '42'))
        self.assertIn('chp0.41/status', logs.output[0])
        self.assertIn("holds 'standby'", logs.output[1])

    def test_usable(self):
        path = subchannel.Path(0, '40', True, True)
        self.assertTrue(subchannel.usable(path, 'online'))
        self.assertFalse(subchannel.usable(path, 'offline'))
        self.assertIsNone(subchannel.usable(path, None))
        # A mask bit off is proof enough, whatever the state.
        for flags in ((False, True), (True, False)):
            self.assertFalse(subchannel.usable(
                subchannel.Path(0, '40', *flags), None))
