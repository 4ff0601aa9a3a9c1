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

from tests.unit.agent import helpers
from zha_scheduler.agent import bonding

LOGGER = 'zha_scheduler.agent.bonding'
Slave = bonding.Slave

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
