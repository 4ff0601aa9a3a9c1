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

"""Unit tests for zha_scheduler.agent.probe:
every fixture scenario end to end.
"""

import json
import os
from unittest import mock

from tests.unit.agent import helpers
from zha_scheduler.agent import network
from zha_scheduler.agent import probe
from zha_scheduler import conf
from zha_scheduler import topology
from zha_scheduler import traits

CPC = 'CUSTOM_ZHA_CPC_3931_02_A1B2C'
ORA = 'CUSTOM_ZHA_CG_ORA_PROD'
SAP = 'CUSTOM_ZHA_CG_SAP'
NET_R, NET_D = traits.NET_REDUNDANT, traits.NET_DEGRADED
STO_R, STO_D = traits.STORAGE_REDUNDANT, traits.STORAGE_DEGRADED
HEALTHY = {CPC, NET_R, STO_R, ORA, SAP}

# The table of tests/fixtures/README.md.
EXPECTED = {
    'healthy': HEALTHY,
    'slave-down': {CPC, NET_D, STO_R, ORA, SAP},
    'same-chpid': {CPC, NET_D, STO_R, ORA, SAP},
    'failed-path': {CPC, NET_R, STO_D, SAP},
    'same-fcp-device': {CPC, NET_R, STO_D, ORA},
    'same-fcp-chpid': {CPC, NET_R, STO_D},
    'missing-files': set(),
    'zvm-guest': {NET_R, STO_R, ORA, SAP},
    'old-kernel-bonding': HEALTHY,
    'multipath-0.7.9': HEALTHY,
    'sysfs-only-storage': HEALTHY,
    'no-bond': {CPC, NET_D, STO_R, ORA, SAP},
    'no-san': {CPC, NET_R},
    'multipathd-stopped': {CPC, NET_R, STO_D},
    'daemons-unsupervised': HEALTHY,
    'dasd-healthy': {CPC, NET_R, STO_R},
    'dasd-chp-offline': {CPC, NET_R, STO_D},
    'dasd-single-path': {CPC, NET_R, STO_D},
    'dasd-pav-alias': {CPC, NET_R, STO_R},
    'dasd-and-fcp': HEALTHY,
}


class ProbeHostScenariosTest(helpers.TestCase):

    def setUp(self):
        super().setUp()
        self.flags(consistency_groups_file=helpers.GROUPS_FILE)

    def probe(self, scenario):
        return probe.probe_host(conf.CONF, self.fs(scenario))

    def test_every_scenario_is_covered(self):
        scenarios = {name for name in os.listdir(helpers.FIXTURES)
                     if os.path.isdir(os.path.join(helpers.FIXTURES, name)) and
                        not name.startswith(('_', '.'))}
        self.assertEqual(set(EXPECTED), scenarios)

    def test_scenarios(self):
        for scenario, expected in sorted(EXPECTED.items()):
            result = self.probe(scenario)
            self.assertEqual(expected, result.traits, scenario)
            self.assertTrue(all(traits.is_valid(t) for t in result.traits))
            profile = topology.profile_from_traits(result.traits)
            self.assertEqual(NET_R in expected,
                             profile.network == topology.REDUNDANT)
            # The details are what --format json prints.
            json.dumps(result.details)

    def test_only_missing_files_reads_nothing(self):
        # Issue 12: what run_once refuses to publish.
        for scenario in sorted(EXPECTED):
            result = self.probe(scenario)
            self.assertEqual(scenario == 'missing-files',
                             result.read_nothing, scenario)
        self.assertEqual(set(probe.HOST_SOURCES),
                         set(self.probe('missing-files').unread))
        self.assertEqual({}, self.probe('no-san').unread)
        self.assertEqual({}, self.probe('sysfs-only-storage').unread)

    def test_healthy_details(self):
        details = self.probe('healthy').details
        self.assertEqual('3931_02_A1B2C', details['cpc']['cpc'])
        self.assertEqual('sysinfo', details['cpc']['source'])
        self.assertEqual('redundant', details['network']['state'])
        slaves = details['network']['bonds']['bond0']['slaves']
        self.assertEqual(['F4', 'F5'], [s['chpid'] for s in slaves])
        self.assertEqual('redundant', details['storage']['state'])
        self.assertEqual(4, len(details['storage']['maps']))
        self.assertEqual(['ORA_PROD', 'SAP', 'DR_ONLY'],
                         list(details['consistency_groups']['groups']))
        self.assertIsNone(details['site'])
        self.assertFalse(details['standby'])

    def test_slave_down_details(self):
        bond = self.probe('slave-down').details['network']['bonds']['bond0']
        self.assertEqual(['up', 'down'],
                         [s['mii_status'] for s in bond['slaves']])

    def test_same_chpid_details(self):
        bond = self.probe('same-chpid').details['network']['bonds']['bond0']
        self.assertEqual(['F4', 'F4'], [s['chpid'] for s in bond['slaves']])

    def test_failed_path_details(self):
        details = self.probe('failed-path').details
        first = details['storage']['maps'][helpers.WWID % '1815']
        self.assertEqual('degraded', first['state'])
        self.assertEqual([True, False], [p['healthy'] for p in first['paths']])
        ora_prod = details['consistency_groups']['groups']['ORA_PROD']
        self.assertEqual([helpers.WWID % '1815'], ora_prod['not_redundant'])

    def test_same_fcp_device_details(self):
        maps = self.probe('same-fcp-device').details['storage']['maps']
        self.assertEqual(['0.0.1900', '0.0.1900'], [
            p['hba_id'] for p in maps[helpers.WWID % '1818']['paths']])

    def test_missing_files_details(self):
        details = self.probe('missing-files').details
        self.assertIsNone(details['cpc']['cpc'])
        self.assertIsNone(details['network']['state'])
        self.assertIsNone(details['storage']['state'])
        self.assertIn('error', details['consistency_groups'])

    def test_zvm_guest_details(self):
        cpc = self.probe('zvm-guest').details['cpc']
        self.assertIsNone(cpc['cpc'])
        self.assertEqual(3, cpc['level'])
        self.assertIn('guest', cpc['reason'])

    def test_multipath_0_7_9_details(self):
        storage = self.probe('multipath-0.7.9').details['storage']
        self.assertEqual('command', storage['source'])
        self.assertEqual(['mpatha', 'mpathb', 'mpathc', 'mpathd'],
                         list(storage['maps']))

    def test_sysfs_only_details(self):
        details = self.probe('sysfs-only-storage').details
        self.assertEqual('sysfs', details['storage']['source'])

    def test_dasd_details(self):
        storage = self.probe('dasd-chp-offline').details['storage']
        self.assertIsNone(storage['multipath_state'])
        self.assertEqual({}, storage['maps'])
        dasd = storage['dasd']['devices']['0.0.0100']
        self.assertEqual('degraded', dasd['state'])
        self.assertEqual('1 of 2 channel paths usable; CHPID 41 offline',
                         dasd['reason'])
        self.assertEqual('DASD: 0.0.0100 degraded, 0.0.0101 redundant, '
                         '0.0.0102 redundant, 0.0.0103 redundant',
                         storage['reason'])

    def test_dasd_and_fcp_details(self):
        storage = self.probe('dasd-and-fcp').details['storage']
        self.assertEqual(('redundant', 'redundant', 'redundant'),
                         (storage['state'], storage['multipath_state'],
                          storage['dasd']['state']))
        self.assertEqual(4, len(storage['maps']))
        self.assertEqual(4, len(storage['dasd']['devices']))

    def test_multipathd_stopped_details(self):
        with self.assertLogs('zha_scheduler.agent.disks', 'WARNING') as logs:
            details = self.probe('multipathd-stopped').details
        storage = details['storage']
        self.assertEqual('redundant', storage['multipath_state'])
        self.assertEqual('degraded', storage['state'])
        self.assertTrue(storage['reason'].endswith(
            '; multipathd.service is failed: failed paths are neither '
            'checked nor reinstated'), storage['reason'])
        self.assertEqual('failed',
                         details['daemons']['multipathd']['active_state'])
        self.assertIn('multipathd.service is failed (failed)',
                      logs.output[0])
        groups = self.probe('multipathd-stopped').details[
            'consistency_groups']['groups']
        self.assertEqual(2, len(groups['SAP']['not_redundant']))

    def test_daemons_unsupervised_details(self):
        with self.assertLogs('zha_scheduler.agent.daemons',
                             'WARNING') as logs:
            result = self.probe('daemons-unsupervised')
        units = result.details['daemons']
        self.assertEqual((False, True),
                         (units['libvirt']['supervised'],
                          units['libvirt']['running']))
        self.assertEqual((True, False),
                         (units['nova-compute']['supervised'],
                          units['nova-compute']['running']))
        self.assertEqual(2, len(logs.output))
        self.assertIn('virtqemud.service has Restart=no', logs.output[0])
        self.assertIn('/etc/systemd/system/virtqemud.service.d/restart.conf',
                      logs.output[0])
        self.assertIn('openstack-nova-compute.service is inactive (dead)',
                      logs.output[1])


class ProbeHostConfigTest(helpers.TestCase):

    def test_no_groups_file(self):
        result = probe.probe_host(conf.CONF, self.fs('healthy'))
        self.assertEqual({CPC, NET_R, STO_R}, result.traits)

    def test_site_standby_and_cpc_name(self):
        self.flags(site='dc-1', standby=True, cpc_name='prod cpc 1')
        result = probe.probe_host(conf.CONF, self.fs('missing-files'))
        self.assertEqual({traits.site_trait('dc-1'), traits.STANDBY,
                          traits.cpc_trait('prod cpc 1')}, result.traits)
        self.assertEqual('dc-1', result.details['site'])
        self.assertTrue(result.details['standby'])

    def test_blank_site_is_unset(self):
        self.flags(site='  ')
        result = probe.probe_host(conf.CONF, self.fs('healthy'))
        self.assertFalse(any(t.startswith(traits.SITE_PREFIX)
                             for t in result.traits))

    def test_bond_interfaces(self):
        self.flags(bond_interfaces=['bond9'])
        result = probe.probe_host(conf.CONF, self.fs('healthy'))
        self.assertEqual({CPC, STO_R}, result.traits)

    def test_multipath_command(self):
        self.flags(multipath_command='multipathd show maps json -x')
        result = probe.probe_host(conf.CONF, self.fs('failed-path'))
        # No captured output for that command: the maps come from sysfs,
        # where the failed path is transport-offline.
        self.assertEqual('sysfs', result.details['storage']['source'])
        self.assertIn(STO_D, result.traits)

    def test_a_crashing_probe_is_not_monitored(self):
        with mock.patch.object(network, 'probe_network', autospec=True,
                               side_effect=RuntimeError('boom')):
            with self.assertLogs('zha_scheduler.agent.probe', 'ERROR') as logs:
                result = probe.probe_host(conf.CONF, self.fs('healthy'))
        self.assertEqual({CPC, STO_R}, result.traits)
        self.assertIn('network probe failed', logs.output[0])
        self.assertEqual({'error': 'probe failed'}, result.details['network'])
        self.assertEqual({'network': 'the probe failed'}, result.unread)
