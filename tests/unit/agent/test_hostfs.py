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

"""Unit tests for zha_scheduler.agent.hostfs."""

import os

from tests.unit.agent import helpers
from zha_scheduler.agent import hostfs

Link = helpers.Link


class CommandFileNameTest(helpers.TestCase):

    def test_spaces(self):
        self.assertEqual('multipathd_show_maps_json.out',
                         hostfs.command_file_name('multipathd show maps json'))

    def test_slashes_and_runs_of_space(self):
        self.assertEqual('_sbin_multipathd_show_maps_json.out',
                         hostfs.command_file_name(
                             ' /sbin/multipathd  show\tmaps json '))


class HostFSTest(helpers.TestCase):

    def test_read_text_under_root(self):
        fs = self.tree_fs({'/proc/sysinfo': 'Type: 3931\n'})
        self.assertEqual('Type: 3931\n', fs.read_text('/proc/sysinfo'))

    def test_relative_path_rejected(self):
        fs = self.tree_fs({})
        self.assertRaises(ValueError, fs.read_text, 'proc/sysinfo')
        self.assertRaises(ValueError, fs.resolve, 'proc/sysinfo')

    def test_missing_file_raises_oserror(self):
        fs = self.tree_fs({})
        self.assertRaises(FileNotFoundError, fs.read_text, '/proc/sysinfo')
        self.assertFalse(fs.exists('/proc/sysinfo'))

    def test_relative_link(self):
        fs = self.tree_fs({
            '/sys/devices/qeth/0.0.f500/chpid': 'F4\n',
            '/sys/devices/qeth/0.0.f500/net/encf500/device':
                Link('../../../0.0.f500'),
            '/sys/class/net/encf500':
                Link('../../devices/qeth/0.0.f500/net/encf500'),
        })
        self.assertEqual('F4\n',
                         fs.read_text('/sys/class/net/encf500/device/chpid'))
        self.assertEqual('/sys/devices/qeth/0.0.f500',
                         fs.resolve('/sys/class/net/encf500/device'))

    def test_absolute_link_is_rerooted(self):
        fs = self.tree_fs({
            '/sys/devices/qeth/0.0.f500/chpid': 'F4\n',
            '/sys/class/net/encf500/device':
                Link('/sys/devices/qeth/0.0.f500'),
        })
        self.assertEqual('F4\n',
                         fs.read_text('/sys/class/net/encf500/device/chpid'))
        self.assertEqual('/sys/devices/qeth/0.0.f500',
                         fs.resolve('/sys/class/net/encf500/device'))

    def test_absolute_link_to_host_file_does_not_leave_root(self):
        fs = self.tree_fs({'/sys/x': Link('/etc/hostname')})
        self.assertRaises(FileNotFoundError, fs.read_text, '/sys/x')
        self.assertEqual('/etc/hostname', fs.resolve('/sys/x'))

    def test_dotdot_stops_at_root(self):
        fs = self.tree_fs({'/etc/passwd': 'tree\n',
                           '/sys/x': Link('../../../../../../etc/passwd')})
        self.assertEqual('tree\n', fs.read_text('/sys/x'))
        self.assertEqual('tree\n', fs.read_text('/../../etc/passwd'))

    def test_dotdot_after_link_uses_link_target(self):
        # /sys/bus/ccw/devices/<id>/../chpids is the subchannel's attribute.
        fs = self.tree_fs({
            '/sys/devices/css0/0.0.0010/chpids': '50 00 00 00 00 00 00 00 \n',
            '/sys/devices/css0/0.0.0010/0.0.1900/online': '1\n',
            '/sys/bus/ccw/devices/0.0.1900': Link(
                '../../../devices/css0/0.0.0010/0.0.1900'),
        })
        self.assertEqual(
            '50 00 00 00 00 00 00 00 \n',
            fs.read_text('/sys/bus/ccw/devices/0.0.1900/../chpids'))

    def test_link_loop(self):
        fs = self.tree_fs({'/sys/a': Link('b'), '/sys/b': Link('a')})
        self.assertRaises(OSError, fs.read_text, '/sys/a')
        self.assertFalse(fs.exists('/sys/a'))

    def test_listdir_sorted_through_link(self):
        fs = self.tree_fs({
            '/sys/devices/virtual/block/dm-0/slaves/sdb': 'x',
            '/sys/devices/virtual/block/dm-0/slaves/sda': 'x',
            '/sys/block/dm-0': Link('../devices/virtual/block/dm-0')})
        self.assertEqual(['sda', 'sdb'], fs.listdir('/sys/block/dm-0/slaves'))

    def test_readlink_returns_raw_target(self):
        fs = self.tree_fs({'/sys/class/net/bond0': Link(
            '../../devices/virtual/net/bond0')})
        self.assertEqual('../../devices/virtual/net/bond0',
                         fs.readlink('/sys/class/net/bond0'))

    def test_fixture_symlinks_are_relative_and_inside(self):
        for dirpath, dirnames, filenames in os.walk(helpers.FIXTURES):
            root = os.path.join(helpers.FIXTURES, os.path.relpath(
                dirpath, helpers.FIXTURES).split(os.sep)[0])
            for name in dirnames + filenames:
                local = os.path.join(dirpath, name)
                if os.path.islink(local):
                    target = os.readlink(local)
                    self.assertFalse(target.startswith('/'), local)
                    real = os.path.realpath(local)
                    self.assertTrue(real.startswith(root + os.sep), local)


class RunTest(helpers.TestCase):

    def test_captured_output_under_root(self):
        fs = self.tree_fs({'/_commands/multipathd_show_maps_json.out': '{}\n'})
        self.assertEqual('{}\n', fs.run('multipathd show maps json'))

    def test_missing_captured_output(self):
        fs = self.tree_fs({})
        error = self.assertRaises(hostfs.CommandError, fs.run,
                                  'multipathd show maps json')
        self.assertIn('multipathd_show_maps_json.out', str(error))
