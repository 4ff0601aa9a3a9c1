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

"""Unit tests of the capacity check (zha_scheduler.insight.capacity)."""

import json
from unittest import mock

from oslotest import base

from zha_scheduler.insight import capacity
from zha_scheduler.insight import snapshot
from zha_scheduler import model
from zha_scheduler import traits

SMALL = model.Flavor('small', vcpus=2, ram=2048, disk=10)
BIG = model.Flavor('big', vcpus=8, ram=4096, disk=20)


def host(name, cpc=None, standby=False, vcpu=16, ram=16384, disk=200,
         used=None, up=True, disabled=False, max_unit=None):
    names = [traits.cpc_trait(cpc)] if cpc else []
    if standby:
        names.append(traits.STANDBY)
    inventories = {'VCPU': model.Inventory(vcpu // 4, allocation_ratio=4.0,
                                              max_unit=max_unit),
                   'MEMORY_MB': model.Inventory(ram + 512, reserved=512),
                   'DISK_GB': model.Inventory(disk)}
    return model.Host(name=name, node=name, uuid='uuid-' + name, traits=names,
                         inventories=inventories, usages=dict(used or {}),
                         service_up=up, service_disabled=disabled)


def guests(on, count, flavor=SMALL, prefix=None):
    return [model.Instance(uuid='%s-%d' % (prefix or on, n),
                           name='%s-%d' % (prefix or on, n), host=on, node=on,
                           status='ACTIVE', flavor=flavor)
            for n in range(count)]


def check(hosts, instances=(), partners=None):
    snap = snapshot.Snapshot(hosts=hosts, instances=list(instances))
    return capacity.capacity(snap, partners or {})


def verdict(report, name):
    return next(v for v in report.primaries if v.host == name)


def failure(report, cpc):
    return next(f for f in report.cpc_failures if f.cpc == cpc)


def kinds(report):
    return sorted(f.kind for f in report.findings)


class PartnerTest(base.BaseTestCase):

    def test_partner_with_room_absorbs_the_primary(self):
        report = check([host('p1', 'Z1'), host('s2', 'Z2', standby=True)],
                       guests('p1', 3), {'p1': 's2'})
        v = verdict(report, 'p1')
        self.assertTrue(v.ok)
        self.assertEqual(('partner', ['s2']), (v.target_kind, v.targets))
        self.assertEqual({'VCPU': 6, 'MEMORY_MB': 6144, 'DISK_GB': 30},
                         v.demand)
        self.assertEqual({'VCPU': 16, 'MEMORY_MB': 16384, 'DISK_GB': 200},
                         v.free)
        self.assertEqual(['p1'], [v.host for v in report.primaries])
        self.assertTrue(failure(report, 'Z1').survivable)
        self.assertTrue(report.ok)
        self.assertEqual([], report.findings)

    def test_partner_too_small_gives_exact_shortfall(self):
        partner = host('s2', 'Z2', standby=True, ram=4096,
                       used={'MEMORY_MB': 1024, 'VCPU': 14})
        report = check([host('p1', 'Z1'), partner], guests('p1', 3),
                       {'p1': 's2'})
        v = verdict(report, 'p1')
        self.assertFalse(v.ok)
        # 3072 MB and 2 vCPU free: one 2048 MB guest fits, two do not.
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 3072, 'DISK_GB': 200},
                         v.free)
        self.assertEqual({'VCPU': 4, 'MEMORY_MB': 3072}, v.shortfall)
        self.assertEqual(['p1-1', 'p1-2'], v.unplaced)
        self.assertFalse(report.ok)

    def test_largest_first(self):
        # First fit in arrival order would place the small guest and leave
        # no room for the big one; decreasing order places the big one.
        instances = guests('p1', 1, SMALL, 'a') + guests('p1', 1, BIG, 'z')
        partner = host('s2', 'Z2', standby=True, ram=4096)
        report = check([host('p1', 'Z1'), partner], instances, {'p1': 's2'})
        v = verdict(report, 'p1')
        self.assertEqual(['a-0'], v.unplaced)
        self.assertEqual({'MEMORY_MB': 2048}, v.shortfall)

    def test_max_unit(self):
        partner = host('s2', 'Z2', standby=True, max_unit=4)
        instances = guests('p1', 1, BIG) + guests('p1', 1)
        report = check([host('p1', 'Z1'), partner], instances, {'p1': 's2'})
        v = verdict(report, 'p1')
        # Enough room in total, but no 8 vCPU guest on a host of max_unit 4.
        self.assertEqual(({}, ['p1-0']), (v.shortfall, v.unplaced))
        self.assertFalse(v.ok)

    def test_usages_stand_in_for_missing_instance_records(self):
        primary = host('p1', 'Z1', used={'VCPU': 4, 'MEMORY_MB': 20000})
        report = check([primary, host('s2', 'Z2', standby=True)], (),
                       {'p1': 's2'})
        v = verdict(report, 'p1')
        self.assertEqual((1, {'MEMORY_MB': 20000 - 16384}),
                         (v.instances, v.shortfall))
        self.assertEqual(['(Placement usages of p1)'], v.unplaced)

    def test_instances_elsewhere_do_not_count(self):
        shelved = guests('p1', 1, BIG, 'shelved')
        shelved[0].status = 'SHELVED_OFFLOADED'
        unplaced = guests('p1', 1, BIG, 'error')
        unplaced[0].host = None
        report = check([host('p1', 'Z1'), host('s2', 'Z2', standby=True)],
                       guests('s2', 2) + shelved + unplaced, {'p1': 's2'})
        self.assertEqual(0, verdict(report, 'p1').instances)
        self.assertTrue(report.ok)

    def test_partner_not_standby_and_unknown_names_are_findings(self):
        report = check([host('p1', 'Z1'), host('p2', 'Z2')], guests('p1', 1),
                       {'p1': 'p2', 'gone': 'p2', 'p2': 'nowhere'})
        self.assertEqual(['partner-not-standby', 'unknown-partner',
                          'unknown-primary'],
                         kinds(report))
        self.assertEqual(['p2'], verdict(report, 'p1').targets)
        self.assertTrue(verdict(report, 'p1').ok)
        # p2's partner is unknown and there is no standby at all.
        self.assertEqual((None, []), (verdict(report, 'p2').target_kind,
                                      verdict(report, 'p2').targets))


class PoolTest(base.BaseTestCase):

    def test_standbys_on_other_cpcs_without_partner(self):
        hosts = [host('p1', 'Z1'), host('s1', 'Z1', standby=True),
                 host('s2', 'Z2', standby=True, ram=4096),
                 host('s3', 'Z3', standby=True, ram=4096)]
        v = verdict(check(hosts, guests('p1', 4)), 'p1')
        self.assertEqual(('pool', ['s2', 's3']), (v.target_kind, v.targets))
        self.assertTrue(v.ok)
        self.assertEqual(8192, v.free['MEMORY_MB'])

    def test_down_or_disabled_standby_contributes_nothing(self):
        hosts = [host('p1', 'Z1'), host('s2', 'Z2', standby=True, up=False),
                 host('s3', 'Z3', standby=True, disabled=True),
                 host('s4', 'Z4', standby=True, ram=2048)]
        report = check(hosts, guests('p1', 2))
        v = verdict(report, 'p1')
        self.assertEqual(['s4'], v.targets)
        self.assertEqual({'MEMORY_MB': 2048}, v.shortfall)
        self.assertFalse(failure(report, 'Z1').survivable)

    def test_unusable_partner_falls_back_to_the_pool(self):
        hosts = [host('p1', 'Z1'), host('s2', 'Z2', standby=True, up=False),
                 host('s3', 'Z3', standby=True)]
        report = check(hosts, guests('p1', 2), {'p1': 's2'})
        self.assertEqual(('pool', ['s3']), (verdict(report, 'p1').target_kind,
                                            verdict(report, 'p1').targets))
        self.assertEqual(['partner-unusable'], kinds(report))
        self.assertTrue(report.ok)

    def test_no_standby_at_all(self):
        report = check([host('p1', 'Z1'), host('p2', 'Z2')], guests('p1', 1))
        v = verdict(report, 'p1')
        self.assertEqual((None, False), (v.target_kind, v.ok))
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 2048, 'DISK_GB': 10},
                         v.shortfall)
        self.assertTrue(verdict(report, 'p2').ok)


class CpcFailureTest(base.BaseTestCase):

    def test_shared_partner_accumulates(self):
        hosts = [host('p1', 'Z1'), host('p2', 'Z1'), host('p3', 'Z2'),
                 host('s2', 'Z2', standby=True, ram=10240)]
        partners = {'p1': 's2', 'p2': 's2'}
        report = check(hosts, guests('p1', 3) + guests('p2', 3), partners)
        self.assertTrue(verdict(report, 'p1').ok)
        self.assertTrue(verdict(report, 'p2').ok)
        z1 = failure(report, 'Z1')
        self.assertFalse(z1.survivable)
        self.assertEqual((['p1', 'p2'], 6), (z1.hosts, z1.instances))
        # 10240 MB take five 2048 MB guests; the sixth does not fit.
        self.assertEqual(1, len(z1.unplaced))
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 2048, 'DISK_GB': 10},
                         z1.unplaced_demand)
        self.assertEqual({'MEMORY_MB': 2048}, z1.shortfall)
        # Z2's primary p3 has no guest, and its pool has no standby outside Z2.
        self.assertTrue(failure(report, 'Z2').survivable)
        self.assertFalse(report.ok)

    def test_partner_then_pool_share_the_standbys(self):
        hosts = [host('p1', 'Z1'), host('p2', 'Z1'),
                 host('s2', 'Z2', standby=True, ram=8192)]
        # p1 fills s2 through the partner map; p2 has no partner and its
        # pool is s2 as well, already full in a failure of Z1.
        report = check(hosts, guests('p1', 4) + guests('p2', 1), {'p1': 's2'})
        self.assertTrue(verdict(report, 'p2').ok)
        self.assertEqual(['p2-0'], failure(report, 'Z1').unplaced)

    def test_partner_on_the_same_cpc_is_flagged_and_fails_with_it(self):
        hosts = [host('p1', 'Z1'), host('s1', 'Z1', standby=True),
                 host('s2', 'Z2', standby=True, ram=2048)]
        report = check(hosts, guests('p1', 2), {'p1': 's1'})
        self.assertEqual(['partner-same-cpc'], kinds(report))
        self.assertEqual(['s1'], verdict(report, 'p1').targets)
        self.assertTrue(verdict(report, 'p1').ok)
        # With Z1 down the partner is gone too: the pool (s2) takes one guest.
        z1 = failure(report, 'Z1')
        self.assertEqual((1, {'MEMORY_MB': 2048}),
                         (len(z1.unplaced), z1.shortfall))
        self.assertFalse(report.ok)

    def test_unknown_cpc(self):
        hosts = [host('p0'), host('p1', 'Z1'), host('s1', 'Z1', standby=True)]
        report = check(hosts, guests('p0', 2) + guests('p1', 1))
        self.assertEqual(['p0'], report.unknown_cpc)
        self.assertEqual(['unknown-cpc'], kinds(report))
        self.assertIn('1 host(s) have no CPC trait (p0)',
                      report.findings[0].message)
        # Unknown counts as another CPC: s1 may take p0's guests.
        self.assertEqual(['s1'], verdict(report, 'p0').targets)
        self.assertTrue(verdict(report, 'p0').ok)
        # p1 has no standby outside Z1; only Z1 can fail as a CPC.
        self.assertFalse(verdict(report, 'p1').ok)
        self.assertEqual(['Z1'], [f.cpc for f in report.cpc_failures])

    def test_json_shape(self):
        report = check([host('p1', 'Z1'), host('p2'),
                        host('s2', 'Z2', standby=True)],
                       guests('p1', 1), {'p1': 's2'})
        data = json.loads(json.dumps(report.to_dict()))
        self.assertEqual({'ok', 'primaries', 'cpc_failures', 'findings',
                          'unknown_cpc'},
                         set(data))
        self.assertEqual({'host': 'p1', 'cpc': 'Z1', 'target_kind': 'partner',
                          'targets': ['s2'], 'instances': 1,
                          'demand': {'VCPU': 2, 'MEMORY_MB': 2048,
                                     'DISK_GB': 10},
                          'free': {'VCPU': 16, 'MEMORY_MB': 16384,
                                   'DISK_GB': 200},
                          'unplaced': [], 'shortfall': {}, 'ok': True},
                         data['primaries'][0])
        self.assertEqual({'cpc': 'Z1', 'hosts': ['p1'], 'instances': 1,
                          'unplaced': [],
                          'unplaced_demand': {'VCPU': 0, 'MEMORY_MB': 0,
                                              'DISK_GB': 0},
                          'shortfall': {}, 'survivable': True},
                         data['cpc_failures'][0])
        self.assertEqual([{'kind': 'unknown-cpc', 'host': 'p2',
                           'message': mock.ANY}],
                         data['findings'])
        self.assertTrue(data['ok'])
