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

"""Unit tests for zha_scheduler.agent.network."""

import os

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from tests.unit.agent import helpers
from zha_scheduler.agent import bonding
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import network
from zha_scheduler import topology

LOGGER = 'zha_scheduler.agent'
Link = helpers.Link
SETTINGS = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.function_scoped_fixture])
# What a sysfs attribute may hold, as far as a file can (no lone
# surrogates); typical values are drawn often.
SYSFS_VALUE = st.one_of(
    st.sampled_from(['F4\n', 'f5\n', '00\n', '\n', 'up\n', 'down\n',
                     'going back\n', 'bond0\n', 'bond0 bond1\n', '\0',
                     'FFF\n', ' F4 \n']),
    st.text(st.characters(blacklist_categories=('Cs',)), max_size=40))


def qeth(slave: str, busid: str, chpid: str | None) -> dict:
    """Files of a qeth device and its interface, as in sysfs."""
    files = {
        '/sys/class/net/%s' % slave: Link(
            '../../devices/qeth/%s/net/%s' % (busid, slave)),
        '/sys/devices/qeth/%s/net/%s/device' % (busid, slave): Link(
            '../../../%s' % busid),
        '/sys/devices/qeth/%s/card_type' % busid: 'OSD_25GIG\n',
    }
    if chpid is not None:
        files['/sys/devices/qeth/%s/chpid' % busid] = chpid + '\n'
    return files


def proc_bond(*slaves: tuple[str, str]) -> str:
    return 'Bonding Mode: fault-tolerance (active-backup)\n' + ''.join(
        '\nSlave Interface: %s\nMII Status: %s\n' % s for s in slaves)


class SlaveDetailsTest(helpers.TestCase):

    def test_fixture(self):
        _member, details = network.slave_details(
            self.fs('healthy'), bonding.Slave('encf500', 'up'))
        self.assertEqual({'name': 'encf500', 'mii_status': 'up', 'chpid': 'F4',
                          'pchid': '01c0', 'card_type': 'OSD_10GIG'}, details)

    def test_not_qeth(self):
        fs = self.tree_fs({})
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            _member, details = network.slave_details(
                fs, bonding.Slave('eth0', 'up'))
        self.assertIsNone(details['chpid'])
        self.assertIn('/sys/class/net/eth0/device/chpid', logs.output[0])


class ProbeNetworkFixturesTest(helpers.TestCase):

    def test_healthy(self):
        result = network.probe_network(self.fs('healthy'))
        self.assertEqual(topology.REDUNDANT, result.state)
        bond = result.details['bonds']['bond0']
        self.assertEqual(['F4', 'F5'], [s['chpid'] for s in bond['slaves']])
        self.assertEqual(['01c0', '01d0'],
                         [s['pchid'] for s in bond['slaves']])
        self.assertIn('distinct adapters', bond['reason'])

    def test_slave_down(self):
        result = network.probe_network(self.fs('slave-down'))
        self.assertEqual(topology.DEGRADED, result.state)
        bond = result.details['bonds']['bond0']
        self.assertEqual('1 of 2 slaves up; ence500 (down)', bond['reason'])

    def test_same_chpid(self):
        result = network.probe_network(self.fs('same-chpid'))
        self.assertEqual(topology.DEGRADED, result.state)
        bond = result.details['bonds']['bond0']
        self.assertEqual(['F4', 'F4'], [s['chpid'] for s in bond['slaves']])
        self.assertIn('share one adapter', bond['reason'])

    def test_old_kernel(self):
        result = network.probe_network(self.fs('old-kernel-bonding'))
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual(['enccw0.0.f500', 'enccw0.0.e500'], [
            s['name'] for s in result.details['bonds']['bond0']['slaves']])

    def test_no_bond_is_degraded(self):
        result = network.probe_network(self.fs('no-bond'))
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual('no bond in /sys/class/net/bonding_masters',
                         result.details['reason'])

    def test_no_bonding_is_not_monitored(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = network.probe_network(self.fs('missing-files'))
        self.assertIsNone(result.state)
        self.assertIn('/sys/class/net/bonding_masters', logs.output[0])
        self.assertIn('/sys/class/net/bonding_masters', result.unread)

    def test_no_bonding_module_is_degraded(self):
        # Issue 12: interfaces, but no bonding module (no bonding_masters):
        # no bond, as for an empty bonding_masters.
        fs = self.tree_fs({'/sys/class/net/bonding_masters': None,
                           '/proc/net/bonding/bond0': None,
                           '/sys/class/net/bond0': None}, 'healthy')
        with self.assertNoLogs(LOGGER, 'WARNING'):
            result = network.probe_network(fs)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertIsNone(result.unread)
        self.assertEqual('no bond in /sys/class/net (no bonding_masters: the '
                         'bonding module is not loaded)',
                         result.details['reason'])

    def test_unreadable_bonding_masters_is_not_monitored(self):
        root = self.tree({'/sys/class/net/lo/mtu': '65536\n'})
        os.mkfifo(os.path.join(root, 'sys/class/net/bonding_masters'))
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = network.probe_network(hostfs.HostFS(root))
        self.assertIsNone(result.state)
        self.assertIn('FIFO', logs.output[0])
        self.assertIn('FIFO', result.unread)

    def test_configured_bonds_unreadable_read_nothing(self):
        with self.assertLogs(LOGGER, 'WARNING'):
            result = network.probe_network(self.fs('missing-files'),
                                           ['bond0', 'bond1'])
        self.assertIsNone(result.state)
        self.assertEqual('no bond of [zha_agent] bond_interfaces readable '
                         '(bond0, bond1)', result.unread)

    def test_one_configured_bond_read_is_enough(self):
        with self.assertLogs(LOGGER, 'WARNING'):
            result = network.probe_network(self.fs('healthy'),
                                           ['bond0', 'bond1'])
        self.assertIsNone(result.state)
        self.assertIsNone(result.unread)

    def test_configured_bond_missing(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = network.probe_network(self.fs('healthy'), ['bond1'])
        self.assertIsNone(result.state)
        self.assertIsNone(result.details['bonds']['bond1']['state'])
        self.assertIn('/proc/net/bonding/bond1', logs.output[0])

    def test_configured_bond(self):
        result = network.probe_network(self.fs('healthy'), ['bond0'])
        self.assertEqual(topology.REDUNDANT, result.state)
        self.assertEqual('[zha_agent] bond_interfaces',
                         result.details['source'])


class ProbeNetworkInlineTest(helpers.TestCase):

    def probe(self, slaves, chpids, masters='bond0\n', extra=None):
        files = {'/sys/class/net/bonding_masters': masters,
                 '/proc/net/bonding/bond0': proc_bond(*slaves)}
        for (name, _status), chpid in zip(slaves, chpids, strict=True):
            files.update(qeth(name, '0.0.%s' % name[-4:], chpid))
        files.update(extra or {})
        return network.probe_network(self.tree_fs(files))

    def test_distinct_chpids_without_pchid(self):
        result = self.probe([('encf500', 'up'), ('ence500', 'up')],
                            ['F4', 'F5'])
        self.assertEqual(topology.REDUNDANT, result.state)
        first_slave = result.details['bonds']['bond0']['slaves'][0]
        self.assertIsNone(first_slave['pchid'])

    def test_chpids_compared_case_insensitively(self):
        result = self.probe([('encf500', 'up'), ('ence500', 'up')],
                            ['f4', 'F4'])
        self.assertEqual(topology.DEGRADED, result.state)

    def test_same_pchid_on_distinct_chpids(self):
        chp = '/sys/devices/css0/chp0.%s/'
        result = self.probe(
            [('encf500', 'up'), ('ence500', 'up')], ['F4', 'F5'], extra={
                chp % 'f4' + 'chid': '01c0\n',
                chp % 'f4' + 'chid_external': '1\n',
                chp % 'f5' + 'chid': '01c0\n',
                chp % 'f5' + 'chid_external': '1\n'})
        self.assertEqual(topology.DEGRADED, result.state)

    def test_going_back_is_not_up(self):
        result = self.probe([('encf500', 'up'), ('ence500', 'going back')],
                            ['F4', 'F5'])
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertIn('ence500 (going back)',
                      result.details['bonds']['bond0']['reason'])

    def test_going_down_is_not_up(self):
        result = self.probe([('encf500', 'going down'), ('ence500', 'up')],
                            ['F4', 'F5'])
        self.assertEqual(topology.DEGRADED, result.state)

    def test_one_slave(self):
        result = self.probe([('encf500', 'up')], ['F4'])
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual('bond has 1 slave(s), 2 are needed',
                         result.details['bonds']['bond0']['reason'])

    def test_third_slave_makes_it_redundant(self):
        result = self.probe([('encf500', 'up'), ('encf504', 'up'),
                             ('ence500', 'up')], ['F4', 'F4', 'F5'])
        self.assertEqual(topology.REDUNDANT, result.state)

    def test_unknown_adapter_is_not_monitored(self):
        with self.assertLogs(LOGGER, 'WARNING'):
            result = self.probe([('encf500', 'up'), ('ence500', 'up')],
                                ['F4', None])
        self.assertIsNone(result.state)
        self.assertIn('ence500', result.details['bonds']['bond0']['reason'])

    def test_known_failure_beats_unknown_adapter(self):
        with self.assertLogs(LOGGER, 'WARNING'):
            result = self.probe([('encf500', 'up'), ('ence500', 'down')],
                                ['F4', None])
        self.assertEqual(topology.DEGRADED, result.state)

    def test_one_degraded_bond_degrades_the_host(self):
        files = {'/proc/net/bonding/bond1': proc_bond(('encf600', 'up'),
                                                      ('ence600', 'down'))}
        files.update(qeth('encf600', '0.0.f600', 'F6'))
        files.update(qeth('ence600', '0.0.e600', 'F7'))
        result = self.probe([('encf500', 'up'), ('ence500', 'up')],
                            ['F4', 'F5'], masters='bond0 bond1\n', extra=files)
        self.assertEqual(topology.DEGRADED, result.state)
        self.assertEqual('bond0 redundant, bond1 degraded',
                         result.details['reason'])

    def test_sysfs_only_bond(self):
        files = {'/sys/class/net/bonding_masters': 'bond0\n',
                 '/sys/class/net/bond0/bonding/slaves': 'encf500 ence500\n',
                 '/sys/class/net/encf500/bonding_slave/mii_status': 'up\n',
                 '/sys/devices/qeth/0.0.f500/net/encf500/bonding_slave/'
                 'mii_status': 'up\n'}
        files.update(qeth('encf500', '0.0.f500', 'F4'))
        files.update(qeth('ence500', '0.0.e500', 'F5'))
        files['/sys/devices/qeth/0.0.e500/net/ence500/bonding_slave/'
              'mii_status'] = 'going back\n'
        del files['/sys/class/net/encf500/bonding_slave/mii_status']
        result = network.probe_network(self.tree_fs(files))
        self.assertEqual(topology.DEGRADED, result.state)
        bond = result.details['bonds']['bond0']
        self.assertEqual('/sys/class/net/bond0/bonding', bond['source'])
        self.assertEqual(['up', 'going back'],
                         [s['mii_status'] for s in bond['slaves']])


class TenThousandSlavesTest(helpers.TestCase):

    def test_ten_thousand_slaves(self):
        # Issue 12: every pair of slaves was compared (minutes for 10,000).
        # 9,999 slaves up on CHPID F4 and one down on F5: no pair proves
        # redundancy, the case that compared all 50 million pairs.
        names = ['enc%04x' % i for i in range(10000)]
        files = {
            '/sys/class/net/bonding_masters': 'bond0\n',
            '/proc/net/bonding/bond0': proc_bond(
                *[(n, 'up') for n in names[:-1]], (names[-1], 'down')),
            '/sys/devices/qeth/0.0.f500/chpid': 'F4\n',
            '/sys/devices/qeth/0.0.f500/net/x/device': Link('../..'),
            '/sys/devices/qeth/0.0.e500/chpid': 'F5\n',
            '/sys/devices/qeth/0.0.e500/net/x/device': Link('../..'),
        }
        root = self.tree(files)
        net = os.path.join(root, 'sys/class/net')
        for name in names[:-1]:
            os.symlink('../../devices/qeth/0.0.f500/net/x',
                       os.path.join(net, name))
        os.symlink('../../devices/qeth/0.0.e500/net/x',
                   os.path.join(net, names[-1]))
        result = network.probe_network(hostfs.HostFS(root))
        self.assertEqual(topology.DEGRADED, result.state)
        bond = result.details['bonds']['bond0']
        self.assertEqual(10000, len(bond['slaves']))
        self.assertEqual(['F4'] * 9999 + ['F5'],
                         [s['chpid'] for s in bond['slaves']])
        self.assertEqual('slaves up share one adapter: ' + ', '.join(
            '%s on CHPID F4' % n for n in names[:-1]), bond['reason'])


class SysfsValuesPropertiesTest(helpers.TestCase):
    """Generated sysfs values: the probe decides or says it cannot."""

    def setUp(self):
        super().setUp()
        self.quiet()

    @SETTINGS
    @given(masters=SYSFS_VALUE, chpids=st.lists(SYSFS_VALUE, min_size=2,
                                                max_size=2),
           miis=st.lists(SYSFS_VALUE, min_size=2, max_size=2))
    def test_any_values(self, masters, chpids, miis):
        files = {'/sys/class/net/bonding_masters': masters,
                 '/sys/class/net/bond0/bonding/slaves': 'encf500 ence500\n'}
        for slave, busid, chpid, mii in zip(
                ('encf500', 'ence500'), ('0.0.f500', '0.0.e500'), chpids,
                miis, strict=True):
            files.update(qeth(slave, busid, None))
            files['/sys/devices/qeth/%s/chpid' % busid] = chpid
            files['/sys/devices/qeth/%s/net/%s/bonding_slave/mii_status'
                  % (busid, slave)] = mii
        result = network.probe_network(self.tree_fs(files))
        self.assertIn(result.state,
                      (topology.REDUNDANT, topology.DEGRADED, None))
        self.assertIsNone(result.unread)
        if not masters.split():
            self.assertEqual(topology.DEGRADED, result.state)
        if result.state == topology.REDUNDANT:
            bond = result.details['bonds']['bond0']
            self.assertEqual(['up', 'up'],
                             [s['mii_status'] for s in bond['slaves']])
            self.assertNotEqual(*[s['chpid'] for s in bond['slaves']])
