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

import errno
import os
import socket
import threading
from unittest import mock

from tests.unit.agent import helpers
from zha_scheduler.agent import hostfs

Link = helpers.Link


def without_blocking(test, function, *args):
    """Call function in a thread; fail (not hang) if it blocks."""
    outcome = {}

    def call():
        try:
            outcome['result'] = function(*args)
        except BaseException as e:  # handed to the test below
            outcome['error'] = e

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(10)
    test.assertFalse(thread.is_alive(), '%s blocked' % (function,))
    if 'error' in outcome:
        raise outcome['error']
    return outcome['result']


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


class RegularFilesOnlyTest(helpers.TestCase):
    """Issue 12: only regular files within the limit, never blocking.

    Anything else raises OSError: the probes' "cannot read" path.
    """

    def test_fifo_does_not_block(self):
        root = self.tree({})
        os.makedirs(os.path.join(root, 'proc'))
        os.mkfifo(os.path.join(root, 'proc', 'sysinfo'))
        fs = hostfs.HostFS(root)
        error = self.assertRaises(OSError, without_blocking, self,
                                  fs.read_text, '/proc/sysinfo')
        self.assertEqual(errno.EINVAL, error.errno)
        self.assertIn('not a regular file but a FIFO', str(error))

    def test_fifo_swapped_in_after_stat_does_not_block(self):
        # The race between stat and open: stat saw a regular file.
        root = self.tree({'/proc/sysinfo': 'Type: 3931\n'})
        regular = os.stat(os.path.join(root, 'proc', 'sysinfo'))
        os.remove(os.path.join(root, 'proc', 'sysinfo'))
        os.mkfifo(os.path.join(root, 'proc', 'sysinfo'))
        fs = hostfs.HostFS(root)
        with mock.patch.object(hostfs.os, 'stat', autospec=True,
                               return_value=regular):
            error = self.assertRaises(OSError, without_blocking, self,
                                      fs.read_text, '/proc/sysinfo')
        self.assertIn('FIFO', str(error))

    def test_directory_where_a_file_is_expected(self):
        fs = self.tree_fs({'/proc/sysinfo/x': ''})
        self.assertRaises(IsADirectoryError, fs.read_text, '/proc/sysinfo')

    def test_socket(self):
        root = self.tree({'/run/x': ''})
        path = os.path.join(root, 'run', 's')
        sock = socket.socket(socket.AF_UNIX)
        self.addCleanup(sock.close)
        sock.bind(path)
        error = self.assertRaises(OSError, hostfs.HostFS(root).read_text,
                                  '/run/s')
        self.assertIn('socket', str(error))

    def test_device_node(self):
        # A tree cannot hold one without root; /dev/null is one.
        error = self.assertRaises(OSError, without_blocking, self,
                                  hostfs.read_regular, '/dev/null')
        self.assertIn('character device', str(error))

    def test_size_limit(self):
        fs = self.tree_fs({'/sys/x': 'a' * hostfs.MAX_FILE_SIZE,
                           '/sys/y': 'a' * (hostfs.MAX_FILE_SIZE + 1)})
        self.assertEqual(hostfs.MAX_FILE_SIZE, len(fs.read_text('/sys/x')))
        error = self.assertRaises(OSError, fs.read_text, '/sys/y')
        self.assertEqual(errno.EFBIG, error.errno)
        self.assertIn('/sys/y', str(error))
        self.assertRaises(OSError, fs.read_text, '/sys/x', limit=3)

    def test_nul_in_path(self):
        fs = self.tree_fs({'/sys/x': ''})
        error = self.assertRaises(OSError, fs.read_text, '/sys/x\0y')
        self.assertEqual(errno.EINVAL, error.errno)
        self.assertFalse(fs.exists('/sys/\0'))
        self.assertRaises(OSError, fs.listdir, '/sys/\0')

    def test_why(self):
        fs = self.tree_fs({})
        error = self.assertRaises(OSError, fs.read_text, '/proc/sysinfo')
        self.assertEqual('No such file or directory', hostfs.why(error))
        self.assertEqual('boom', hostfs.why(ValueError('boom')))


class RunTest(helpers.TestCase):

    def test_captured_output_under_root(self):
        fs = self.tree_fs({'/_commands/multipathd_show_maps_json.out': '{}\n'})
        self.assertEqual('{}\n', fs.run('multipathd show maps json'))

    def test_captured_output_limit_is_larger(self):
        big = 'x' * (hostfs.MAX_FILE_SIZE + 1)
        fs = self.tree_fs({'/_commands/multipathd_show_maps_json.out': big})
        self.assertEqual(big, fs.run('multipathd show maps json'))

    def test_captured_output_too_large_or_not_a_file(self):
        fs = self.tree_fs({'/_commands/a.out':
                           'x' * (hostfs.MAX_COMMAND_OUTPUT + 1),
                           '/_commands/b.out/x': ''})
        error = self.assertRaises(hostfs.CommandError, fs.run, 'a')
        self.assertIn('larger than', str(error))
        error = self.assertRaises(hostfs.CommandError, fs.run, 'b')
        self.assertIn('Is a directory', str(error))

    def test_captured_output_fifo(self):
        root = self.tree({'/_commands/x': ''})
        os.mkfifo(os.path.join(root, '_commands', 'a.out'))
        error = self.assertRaises(hostfs.CommandError, without_blocking, self,
                                  hostfs.HostFS(root).run, 'a')
        self.assertIn('FIFO', str(error))

    def test_missing_captured_output(self):
        fs = self.tree_fs({})
        error = self.assertRaises(hostfs.CommandError, fs.run,
                                  'multipathd show maps json')
        self.assertIn('multipathd_show_maps_json.out', str(error))
