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

"""Unit tests for zha_scheduler.agent.bonding."""

import os

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from tests.unit.agent import helpers
from zha_scheduler.agent import bonding
from zha_scheduler.agent import hostfs
from zha_scheduler.sim import host_trees

LOGGER = 'zha_scheduler.agent.bonding'
Slave = bonding.Slave
SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
# Any text a file can hold (no lone surrogates: they cannot be encoded).
TEXT = st.text(st.characters(blacklist_categories=('Cs',)))
INTERFACE = st.text(st.sampled_from('abcdefxyz0123456789._-'), min_size=1,
                    max_size=15).filter(lambda n: n not in ('.', '..'))
MII = st.sampled_from(['up', 'down', 'going down', 'going back'])


def slave_lines(text):
    """How many 'Slave Interface' lines the parser must turn into slaves."""
    return sum(1 for line in text.splitlines()
               if line.partition(':')[1] and
               line.partition(':')[0].strip() == 'Slave Interface')


MODERN = """\
Ethernet Channel Bonding Driver: v5.14.0-427.13.1.el9_4.s390x

Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)
Primary Slave: None
Currently Active Slave: encf500
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0

Slave Interface: encf500
MII Status: up
Speed: 10000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 02:00:00:5e:3a:01
Slave queue ID: 0

Slave Interface: ence500
MII Status: down
Speed: Unknown
Duplex: Unknown
Link Failure Count: 1
Permanent HW addr: 02:00:00:5e:3a:02
Slave queue ID: 0
"""

LACP = """\
Ethernet Channel Bonding Driver: v6.4.0-150600.23.25-default

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
Transmit Hash Policy: layer3+4 (1)
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0

802.3ad info
LACP active: on
LACP rate: fast
Min links: 0
Aggregator selection policy (ad_select): stable
System priority: 65535
System MAC address: 02:00:00:5e:3a:01
Active Aggregator Info:
\tAggregator ID: 1
\tNumber of ports: 2
\tActor Key: 21
\tPartner Key: 32773
\tPartner Mac Address: 00:1c:73:aa:bb:cc

Slave Interface: encf500
MII Status: up
Speed: 25000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 02:00:00:5e:3a:01
Slave queue ID: 0
Aggregator ID: 1
Actor Churn State: none
Partner Churn State: none
details actor lacp pdu:
    system priority: 65535
    port state: 63
details partner lacp pdu:
    system priority: 32768
    port state: 61

Slave Interface: ence500
MII Status: going back
Speed: 25000 Mbps
Duplex: full
Link Failure Count: 3
Permanent HW addr: 02:00:00:5e:3a:02
Slave queue ID: 0
Aggregator ID: 1
"""


class ParseProcBondingTest(helpers.TestCase):

    def test_modern(self):
        bond = bonding.parse_proc_bonding(MODERN, 'bond0',
                                          '/proc/net/bonding/bond0')
        self.assertEqual((Slave('encf500', 'up'), Slave('ence500', 'down')),
                         bond.slaves)
        self.assertEqual(
            'fault-tolerance (active-backup) (fail_over_mac active)',
            bond.mode)
        self.assertEqual('up', bond.mii_status)
        self.assertEqual('encf500', bond.active_slave)
        self.assertEqual('/proc/net/bonding/bond0', bond.source)

    def test_old_kernel_fixture(self):
        fs = self.fs('old-kernel-bonding')
        text = fs.read_text('/proc/net/bonding/bond0')
        self.assertNotIn('Speed', text)
        bond = bonding.parse_proc_bonding(text, 'bond0')
        self.assertEqual((Slave('enccw0.0.f500', 'up'),
                          Slave('enccw0.0.e500', 'up')), bond.slaves)
        self.assertEqual('fault-tolerance (active-backup)', bond.mode)

    def test_very_old_layout_without_blank_lines(self):
        text = ('Ethernet Channel Bonding Driver: v3.2.4 (January 28, 2008)\n'
                'Bonding Mode: fault-tolerance (active-backup)\n'
                'Primary Slave: None\nCurrently Active Slave: eth1\n'
                'MII Status: up\nMII Polling Interval (ms): 100\n'
                'Slave Interface: eth0\nMII Status: down\n'
                'Link Failure Count: 2\nPermanent HW addr: 02:00:00:00:00:01\n'
                'Slave Interface: eth1\nMII Status: up\n'
                'Link Failure Count: 0\n'
                'Permanent HW addr: 02:00:00:00:00:02\n')
        bond = bonding.parse_proc_bonding(text, 'bond0')
        self.assertEqual((Slave('eth0', 'down'), Slave('eth1', 'up')),
                         bond.slaves)
        self.assertEqual('up', bond.mii_status)

    def test_lacp_blocks_and_transitions(self):
        bond = bonding.parse_proc_bonding(LACP, 'bond1')
        self.assertEqual((Slave('encf500', 'up'),
                          Slave('ence500', 'going back')),
                         bond.slaves)
        self.assertEqual('IEEE 802.3ad Dynamic link aggregation', bond.mode)
        self.assertIsNone(bond.active_slave)

    def test_going_down(self):
        bond = bonding.parse_proc_bonding(
            MODERN.replace('MII Status: down', 'MII Status: going down'), 'b')
        self.assertEqual('going down', bond.slaves[1].mii_status)

    def test_trailing_spaces_and_case(self):
        text = MODERN.replace('Slave Interface: encf500\nMII Status: up',
                              'Slave Interface: encf500  \nMII Status: UP  ')
        bond = bonding.parse_proc_bonding(text, 'bond0')
        self.assertEqual(Slave('encf500', 'up'), bond.slaves[0])

    def test_slave_without_status(self):
        bond = bonding.parse_proc_bonding(
            'Bonding Mode: x\n\nSlave Interface: encf500\nSpeed: 1000 Mbps\n',
            'b')
        self.assertEqual((Slave('encf500', None),), bond.slaves)

    def test_no_slaves_and_empty_file(self):
        without_slaves = MODERN.split('\n\nSlave')[0]
        bond = bonding.parse_proc_bonding(without_slaves, 'bond0')
        self.assertEqual((), bond.slaves)
        self.assertEqual('up', bond.mii_status)
        self.assertEqual((), bonding.parse_proc_bonding('', 'bond0').slaves)

    def test_slave_without_name_is_kept(self):
        # Issue 12: never dropped; no adapter can be found for it.
        bond = bonding.parse_proc_bonding(
            'Slave Interface:\nMII Status: up\n', 'b')
        self.assertEqual((Slave('', 'up'),), bond.slaves)

    def test_ten_thousand_slaves(self):
        slaves = [host_trees.Slave('enc%04x' % i, '0.0.%04x' % i, 'F4',
                                   mii='up' if i % 2 else 'down')
                  for i in range(10000)]
        text = host_trees.proc_bonding('bond0', slaves, 'modern')
        bond = bonding.parse_proc_bonding(text, 'bond0')
        self.assertEqual(10000, len(bond.slaves))
        self.assertEqual(Slave('enc270f', 'up'), bond.slaves[-1])
        self.assertEqual(5000, sum(s.mii_status == 'up'
                                   for s in bond.slaves))


class ParseProcBondingPropertiesTest(helpers.TestCase):
    """Generated /proc/net/bonding/<bond> texts."""

    def setUp(self):
        super().setUp()
        self.quiet()

    @SETTINGS
    @given(TEXT)
    def test_any_text_parses_and_keeps_every_slave_line(self, text):
        bond = bonding.parse_proc_bonding(text, 'bond0')
        self.assertEqual(slave_lines(text), len(bond.slaves))
        for slave in bond.slaves:
            self.assertEqual(slave.name, slave.name.strip())
            self.assertNotEqual('', slave.mii_status)

    @SETTINGS
    @given(st.lists(st.tuples(INTERFACE, MII), max_size=12),
           st.sampled_from(['modern', 'old']), st.booleans())
    def test_kernel_layouts_round_trip(self, slaves, layout, padded):
        generated = [host_trees.Slave(name, '0.0.f500', 'F4', mii=mii)
                     for name, mii in slaves]
        text = host_trees.proc_bonding('bond0', generated, layout)
        if padded:
            # Trailing spaces and upper case, as some kernels print them.
            text = '\n'.join(line + '  ' for line in text.split('\n'))
            text = text.replace('MII Status: up', 'MII Status: UP')
        bond = bonding.parse_proc_bonding(text, 'bond0')
        self.assertEqual([Slave(n, m) for n, m in slaves], list(bond.slaves))
        self.assertEqual('up' if any(m == 'up' for _n, m in slaves)
                         else 'down', bond.mii_status)

    @SETTINGS
    @given(st.lists(st.tuples(INTERFACE, MII), min_size=1, max_size=6),
           st.lists(TEXT, min_size=1, max_size=4))
    def test_unknown_lines_change_nothing(self, slaves, junk):
        generated = [host_trees.Slave(name, '0.0.f500', 'F4', mii=mii)
                     for name, mii in slaves]
        lines = host_trees.proc_bonding('bond0', generated,
                                        'modern').split('\n')
        noise = [j.replace(':', ' ') for j in junk]
        mixed = []
        for i, line in enumerate(lines):
            mixed += [line, noise[i % len(noise)]]
        bond = bonding.parse_proc_bonding('\n'.join(mixed), 'bond0')
        self.assertEqual([n for n, _m in slaves],
                         [s.name for s in bond.slaves])


class ValidInterfaceNameTest(helpers.TestCase):

    def test_names(self):
        for name in ('bond0', 'enccw0.0.f500', 'encf500', 'a' * 15, 'v-1'):
            self.assertTrue(bonding.valid_interface_name(name), name)
        for name in ('', '.', '..', 'a/b', '../../x', 'a b', 'a:1',
                     'a' * 16, 'a\0', 'a\tb'):
            self.assertFalse(bonding.valid_interface_name(name), name)


class ReadBondTest(helpers.TestCase):

    def test_sysfs(self):
        bond = bonding.read_sysfs_bond(self.fs('healthy'), 'bond0')
        self.assertEqual((Slave('encf500', 'up'), Slave('ence500', 'up')),
                         bond.slaves)
        self.assertEqual('active-backup 1', bond.mode)
        self.assertEqual('encf500', bond.active_slave)
        self.assertEqual('/sys/class/net/bond0/bonding', bond.source)

    def test_sysfs_slave_down(self):
        bond = bonding.read_sysfs_bond(self.fs('slave-down'), 'bond0')
        self.assertEqual(Slave('ence500', 'down'), bond.slaves[1])

    def test_sysfs_unreadable_slave_status(self):
        fs = self.fs('old-kernel-bonding')
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            bond = bonding.read_sysfs_bond(fs, 'bond0')
        self.assertEqual(Slave('enccw0.0.f500', None), bond.slaves[0])
        self.assertIn('/sys/class/net/enccw0.0.f500/bonding_slave/mii_status',
                      logs.output[0])

    def test_procfs_first(self):
        bond = bonding.read_bond(self.fs('healthy'), 'bond0')
        self.assertEqual('/proc/net/bonding/bond0', bond.source)

    def test_sysfs_when_procfs_missing(self):
        fs = self.tree_fs({'/proc/net/bonding/bond0': None}, 'slave-down')
        bond = bonding.read_bond(fs, 'bond0')
        self.assertEqual('/sys/class/net/bond0/bonding', bond.source)
        self.assertEqual(Slave('ence500', 'down'), bond.slaves[1])

    def test_invalid_bond_name(self):
        fs = self.tree_fs({'/proc/sysinfo': 'Type: 3931\n'})
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.assertIsNone(bonding.read_bond(fs, '../sysinfo'))
        self.assertIn("'../sysinfo'", logs.output[0])

    def test_sysfs_slave_with_invalid_name(self):
        fs = self.tree_fs({'/sys/class/net/bond0/bonding/slaves':
                           'encf500 ../../x\n',
                           '/sys/class/net/encf500/bonding_slave/mii_status':
                           'up\n'})
        bond = bonding.read_sysfs_bond(fs, 'bond0')
        self.assertEqual((Slave('encf500', 'up'), Slave('../../x', None)),
                         bond.slaves)

    def test_neither(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.assertIsNone(bonding.read_bond(self.fs('healthy'), 'bond7'))
        self.assertIn('/proc/net/bonding/bond7', logs.output[0])
        self.assertIn('/sys/class/net/bond7/bonding/slaves', logs.output[0])


class BondNamesTest(helpers.TestCase):

    def test_bonding_masters(self):
        self.assertEqual((['bond0'], bonding.BONDING_MASTERS),
                         bonding.bond_names(self.fs('healthy'), None))

    def test_several_masters(self):
        fs = self.tree_fs({'/sys/class/net/bonding_masters': 'bond0 bond1\n'})
        self.assertEqual(['bond0', 'bond1'], bonding.bond_names(fs, None)[0])

    def test_empty_masters(self):
        self.assertEqual([], bonding.bond_names(self.fs('no-bond'), None)[0])

    def test_configured(self):
        names, source = bonding.bond_names(self.fs('missing-files'),
                                           ['bond1', ' bond2 ', ''])
        self.assertEqual(['bond1', 'bond2'], names)
        self.assertEqual('[zha_agent] bond_interfaces', source)

    def test_empty_configuration_is_unset(self):
        self.assertEqual(['bond0'],
                         bonding.bond_names(self.fs('healthy'), [])[0])

    def test_unreadable(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            names, _source = bonding.bond_names(self.fs('missing-files'), None)
        self.assertIsNone(names)
        self.assertIn('/sys/class/net/bonding_masters', logs.output[0])

    def test_no_bonding_module(self):
        # Issue 12: interfaces but no bonding_masters: no bond at all.
        fs = self.tree_fs({'/sys/class/net/bonding_masters': None},
                          'healthy')
        with self.assertNoLogs(LOGGER, 'WARNING'):
            names, source = bonding.bond_names(fs, None)
        self.assertEqual([], names)
        self.assertEqual(bonding.NO_BONDING_MODULE, source)

    def test_no_bonding_masters_and_no_interface(self):
        root = self.tree({'/sys/block/x': ''})
        os.makedirs(os.path.join(root, 'sys', 'class', 'net'))
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            names, source = bonding.bond_names(hostfs.HostFS(root), None)
        self.assertIsNone(names)
        self.assertIn('no interface in it', source)
        self.assertIn('/sys/class/net (no interface', logs.output[0])

    def test_bonding_masters_not_a_file_is_not_monitored(self):
        # Unreadable is not missing: the module may well be loaded.
        fs = self.tree_fs({'/sys/class/net/bonding_masters': None,
                           '/sys/class/net/bonding_masters/x': ''},
                          'healthy')
        with self.assertLogs(LOGGER, 'WARNING'):
            names, source = bonding.bond_names(fs, None)
        self.assertIsNone(names)
        self.assertIn('Is a directory', source)
