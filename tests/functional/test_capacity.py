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

"""``zha-scheduler capacity`` on a live snapshot of real Nova services.

The snapshot is read by ``collect.collect`` through the in-process Nova API
and the real Placement service, so these tests also check the collector
against Nova 34.
"""

import contextlib
import io
import json
import os

import fixtures
from keystoneauth1 import exceptions as ks_exceptions

from zha_scheduler.cmd import manage
from zha_scheduler.insight import capacity
from zha_scheduler.insight import collect
from zha_scheduler.sim import client
from zha_scheduler.sim import cloud

# 2 CPCs x (2 LPARs + 1 standby partition), as the evacuation tests.
HOSTS = [cloud.SimHost('cpc%d-%s' % (c, name), 'Z%d' % c, fixture='healthy',
                       standby=name == 'standby')
         for c in (1, 2) for name in ('lpar1', 'lpar2', 'standby')]
PRIMARY = 'cpc1-lpar1'
PARTNER = 'cpc2-standby'
# MediumFakeDriver: 8192 MB of which nova-compute reserves 512 by default.
USABLE_MB = 7680


class CapacityTest(cloud.SimulatedCloud):

    HOSTS = HOSTS

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        partners = os.path.join(tmp, 'partners.yaml')
        with open(partners, 'w') as f:
            f.write('%s: %s\ncpc2-lpar1: cpc1-standby\n' % (PRIMARY, PARTNER))
        self.conf = os.path.join(tmp, 'zha-scheduler.conf')
        with open(self.conf, 'w') as f:
            f.write('[zha_evacuate]\npartners_file = %s\n' % partners)
        self.partners = {PRIMARY: PARTNER, 'cpc2-lpar1': 'cpc1-standby'}
        self.conn = client.connection(self)
        # The command builds its Connection from [nova]; hand it ours.
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.cmd.commands._insight.connection',
            lambda conf, **kwargs: self.conn))

    def command(self):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = manage.main(['capacity', '--config-file', self.conf,
                                  '--format', 'json'])
        if status == 2:
            return status, err.getvalue()
        return status, json.loads(out.getvalue())

    def verdict(self, report, host):
        return next(v for v in report.primaries if v.host == host)

    def test_collect_reads_hosts_instances_groups_and_flavors(self):
        flavor = self.load_flavor(2)
        (guest,) = self.load_host(PRIMARY, flavor_id=flavor)
        group = self.create_group('anti-affinity')
        member = self.boot_in_group(group, 'member')
        snap = collect.collect(self.conn)
        hosts = snap.host_named()
        self.assertEqual(sorted(h.name for h in HOSTS), sorted(hosts))
        primary = hosts[PRIMARY]
        self.assertEqual(('Z1', False), (snap.profile(primary).cpc,
                                          snap.profile(primary).standby))
        self.assertEqual(('Z2', True), (snap.profile(hosts[PARTNER]).cpc,
                                         snap.profile(hosts[PARTNER]).standby))
        self.assertEqual(self.provider_uuid(PRIMARY), primary.uuid)
        memory = primary.inventories['MEMORY_MB']
        self.assertEqual((8192, 512), (memory.total, memory.reserved))
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 2},
                         primary.usages)
        self.assertEqual(USABLE_MB - 1024, primary.free('MEMORY_MB'))
        self.assertTrue(primary.service_up)
        self.assertFalse(primary.service_disabled)
        by_uuid = snap.instances_by_uuid()
        self.assertEqual((PRIMARY, 'ACTIVE', 'load-x2'), (
            by_uuid[guest['id']].host, by_uuid[guest['id']].status,
            by_uuid[guest['id']].flavor.name))
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 2},
                         by_uuid[guest['id']].flavor.resources)
        self.assertEqual(self.host_of(member), by_uuid[member['id']].host)
        found = snap.find_group(group['id'])
        self.assertEqual(('anti-affinity', [member['id']]),
                         (found.policy, found.members))
        self.assertEqual(flavor, snap.find_flavor('load-x2').id)

    def test_collect_reads_extra_specs_swap_private_flavors_and_services(self):
        spec = {'zha:redundancy': 'required'}
        ha = self._create_flavor(name='ha', memory_mb=512, vcpu=1, disk=1,
                                 ephemeral=2, swap=1536, extra_spec=spec)
        self._create_flavor(name='private', memory_mb=512, vcpu=1, disk=1,
                            ephemeral=0, is_public=False)
        (guest,) = self.load_host('cpc1-lpar2', flavor_id=ha)
        self.fail_host('cpc2-lpar2')
        snap = collect.collect(self.conn)
        self.assertEqual(spec, snap.find_flavor('ha').extra_specs)
        self.assertEqual('private', snap.find_flavor('private').name)
        instance = snap.instances_by_uuid()[guest['id']]
        self.assertEqual(('ha', spec),
                         (instance.flavor.name, instance.flavor.extra_specs))
        # What the snapshot computes is what Placement allocated: 1 + 2 + 2 GB.
        self.assertEqual({'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 5},
                         instance.flavor.resources)
        self.assertEqual(instance.flavor.resources,
                         snap.host_named()['cpc1-lpar2'].usages)
        down = snap.host_named()['cpc2-lpar2']
        self.assertEqual((False, False),
                         (down.service_up, down.service_disabled))

    def test_partner_with_room(self):
        self.load_host(PRIMARY, count=3)
        report = capacity.capacity(collect.collect(self.conn), self.partners)
        verdict = self.verdict(report, PRIMARY)
        self.assertTrue(verdict.ok)
        self.assertEqual([PARTNER], verdict.targets)
        self.assertEqual({'VCPU': 3, 'MEMORY_MB': 1536, 'DISK_GB': 3},
                         verdict.demand)
        self.assertEqual(USABLE_MB, verdict.free['MEMORY_MB'])
        self.assertEqual(
            ['cpc1-lpar1', 'cpc1-lpar2', 'cpc2-lpar1', 'cpc2-lpar2'],
            [v.host for v in report.primaries])
        self.assertEqual(['Z1', 'Z2'], [f.cpc for f in report.cpc_failures])
        self.assertTrue(report.ok, report.to_dict())
        status, data = self.command()
        self.assertEqual(0, status)
        self.assertTrue(data['ok'])

    def test_partner_too_small(self):
        # Two 2560 MB guests on the partner leave 2560 MB of its 7680.
        self.load_host(PARTNER, count=2, flavor_id=self.load_flavor(5))
        self.load_host(PRIMARY, count=3, flavor_id=self.load_flavor(2))
        report = capacity.capacity(collect.collect(self.conn), self.partners)
        verdict = self.verdict(report, PRIMARY)
        self.assertFalse(verdict.ok)
        self.assertEqual(USABLE_MB - 5120, verdict.free['MEMORY_MB'])
        self.assertEqual({'MEMORY_MB': 3072 - 2560}, verdict.shortfall)
        self.assertEqual(1, len(verdict.unplaced))
        self.assertTrue(self.verdict(report, 'cpc2-lpar1').ok)
        z1, z2 = report.cpc_failures
        self.assertFalse(z1.survivable)
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 1024, 'DISK_GB': 2},
                         z1.unplaced_demand)
        self.assertTrue(z2.survivable)
        status, data = self.command()
        self.assertEqual(1, status)
        self.assertEqual([False, True],
                         [f['survivable'] for f in data['cpc_failures']])

    def test_a_failed_read_is_a_collect_error_and_exit_2(self):
        real = self.conn.placement.get

        def get(url, **kwargs):
            if url.endswith('/inventories'):
                raise ks_exceptions.ConnectFailure('Placement went away')
            return real(url, **kwargs)
        self.useFixture(fixtures.MockPatchObject(
            self.conn.placement, 'get', get))
        self.assertRaisesRegex(collect.CollectError, 'Placement went away',
                               collect.collect, self.conn)
        status, err = self.command()
        self.assertEqual(2, status)
        self.assertEqual(['zha-scheduler capacity: reading the cloud failed: '
                          'Placement went away'], err.splitlines())
