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

"""Unit tests of the server group audit and its proposed moves."""

from oslotest import base

from zha_scheduler.insight import audit
from zha_scheduler.insight import snapshot
from zha_scheduler import model
from zha_scheduler import traits

FLAVOR = model.Flavor('small', vcpus=1, ram=512, disk=1)


def host(name, cpc, site=None, standby=False, degraded=False, up=True,
         disabled=False, reason=None):
    names = [traits.cpc_trait(cpc), traits.STORAGE_REDUNDANT,
             traits.NET_DEGRADED if degraded else traits.NET_REDUNDANT]
    if site:
        names.append(traits.site_trait(site))
    if standby:
        names.append(traits.STANDBY)
    return model.Host(name, name, 'uuid-' + name, traits=names, service_up=up,
                         service_disabled=disabled, disabled_reason=reason)


def cloud(**changes):
    """3 CPCs of 2 LPARs (sites DC1, DC2, DC1) and a standby on Z3."""
    hosts = [host('cpc%d-lpar%d' % (c, n), 'Z%d' % c, 'DC%d' % (2 - c % 2))
             for c in (1, 2, 3) for n in (1, 2)]
    hosts.append(host('cpc3-standby', 'Z3', 'DC1', standby=True))
    return [changes.get(h.name, h) for h in hosts]


def run(hosts, placement, policy='anti-affinity', level='cpc', max_skew=1,
        rules=None):
    instances = [model.Instance('m%d' % i, 'db-%d' % i, h, h, 'ACTIVE', FLAVOR)
                 for i, h in enumerate(placement)]
    group = model.Group('g1', 'db', policy, [i.uuid for i in instances],
                           rules=rules or {})
    snap = snapshot.Snapshot(hosts, instances, [group])
    return audit.audit(snap, level, max_skew)


class SpreadTest(base.BaseTestCase):

    def test_spread_group_is_clean(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc2-lpar1', 'cpc3-lpar2'])
        self.assertEqual([], report.groups)
        self.assertEqual(0, report.violations)
        self.assertEqual(1, report.checked)

    def test_two_members_on_one_cpc_break_the_cpc_level(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc1-lpar2'])
        group = report.groups[0]
        self.assertEqual(['cpc'], [v.kind for v in group.violations])
        self.assertIn('cpc skew 2 exceeds max_skew 1 (Z1: 2, 2 more with 0)',
                      group.violations[0].detail)
        self.assertEqual({'Z1': 2}, group.counts)
        self.assertEqual(
            [('m0', 'cpc1-lpar1', 'Z2')],
            [(m.instance, m.source, m.towards) for m in group.moves])

    def test_larger_skew_allowed_by_max_skew(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc1-lpar2'], max_skew=2)
        self.assertEqual([], report.groups)

    def test_moves_until_within_skew(self):
        placement = ['cpc1-lpar1', 'cpc1-lpar2', 'cpc1-lpar1', 'cpc2-lpar1']
        report = run(cloud(), placement, rules={'max_server_per_host': 2})
        moves = report.groups[0].moves
        self.assertEqual(['Z3'], [m.towards for m in moves])

    def test_host_level_beyond_max_server_per_host(self):
        placement = ['cpc1-lpar1', 'cpc1-lpar1', 'cpc2-lpar1', 'cpc3-lpar1']
        report = run(cloud(), placement, max_skew=2)
        group = report.groups[0]
        self.assertEqual(['host'], [v.kind for v in group.violations])
        self.assertEqual(['m1'], [m.instance for m in group.moves])

    def test_site_level(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc3-lpar1'], level='site')
        self.assertEqual(['site'],
                         [v.kind for v in report.groups[0].violations])
        self.assertEqual('DC2', report.groups[0].moves[0].towards)

    def test_lpar_level_counts_hosts(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc1-lpar2'], level='lpar')
        self.assertEqual([], report.groups)

    def test_disabled_cpc_still_counts_but_is_no_target(self):
        hosts = cloud(**{h: host(h, 'Z%s' % h[3], disabled=True)
                         for h in ('cpc2-lpar1', 'cpc2-lpar2',
                                   'cpc3-lpar1', 'cpc3-lpar2')})
        report = run(hosts, ['cpc1-lpar1', 'cpc1-lpar2'])
        self.assertEqual(['cpc'],
                         [v.kind for v in report.groups[0].violations])
        self.assertEqual([None], [m.towards for m in report.groups[0].moves])

    def test_unknown_domain_members_do_not_count(self):
        hosts = cloud() + [model.Host('bare', 'bare', 'uuid-bare')]
        self.assertEqual([], run(hosts, ['bare', 'cpc1-lpar1']).groups)

    def test_soft_anti_affinity_is_advice(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc1-lpar2'],
                     policy='soft-anti-affinity')
        self.assertTrue(report.groups[0].violations[0].advisory)
        self.assertEqual(0, report.violations)
        self.assertEqual(1, len(report.moves))

    def test_affinity_on_two_hosts(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc1-lpar2'], policy='affinity')
        self.assertEqual(['host'],
                         [v.kind for v in report.groups[0].violations])
        self.assertEqual([], report.moves)

    def test_unplaced_members_are_left_out(self):
        instances = [model.Instance('m0', 'a', 'cpc1-lpar1', 'cpc1-lpar1',
                                    'ACTIVE', FLAVOR),
                     model.Instance('m1', 'b', None, None, 'ERROR', FLAVOR)]
        group = model.Group('g1', 'db', 'anti-affinity', ['m0', 'm1', 'gone'])
        snap = snapshot.Snapshot(cloud(), instances, [group])
        report = audit.audit(snap, 'cpc', 1)
        self.assertEqual([], report.groups)


class HealthTest(base.BaseTestCase):

    def test_member_on_degraded_host(self):
        hosts = cloud(
            **{'cpc2-lpar1': host('cpc2-lpar1', 'Z2', degraded=True)})
        report = run(hosts, ['cpc1-lpar1', 'cpc2-lpar1'])
        group = report.groups[0]
        self.assertEqual(['degraded'], [v.kind for v in group.violations])
        self.assertEqual(['m1'], group.violations[0].members)
        # Leaving the degraded host, the member may stay in its own CPC.
        self.assertEqual(
            [('m1', 'on a degraded host', 'Z2')],
            [(m.instance, m.reason, m.towards) for m in group.moves])

    def test_member_on_standby_outside_a_recovery(self):
        report = run(cloud(), ['cpc1-lpar1', 'cpc3-standby'])
        self.assertEqual(['standby'],
                         [v.kind for v in report.groups[0].violations])
        self.assertFalse(report.recovery_in_progress)

    def test_member_on_standby_during_a_recovery(self):
        evacuating = host('cpc1-lpar2', 'Z1', up=False, disabled=True,
                          reason='zha-evacuate: in progress r1')
        hosts = cloud(**{'cpc1-lpar2': evacuating})
        report = run(hosts, ['cpc1-lpar1', 'cpc3-standby'])
        self.assertTrue(report.recovery_in_progress)
        self.assertEqual([], report.groups)


class ReportTest(base.BaseTestCase):

    def test_one_group_by_name_and_unknown_group(self):
        instances = [model.Instance('m0', 'a', 'cpc1-lpar1', 'cpc1-lpar1',
                                    'ACTIVE', FLAVOR)]
        snap = snapshot.Snapshot(cloud(), instances, [
            model.Group('g1', 'db', 'anti-affinity', ['m0']),
            model.Group('g2', 'web', 'anti-affinity', [])])
        self.assertEqual(1, audit.audit(snap, 'cpc', 1, group='web').checked)
        self.assertRaises(snapshot.SnapshotError, audit.audit, snap, 'cpc', 1,
                          group='nope')

    def test_to_dict(self):
        data = run(cloud(), ['cpc1-lpar1', 'cpc1-lpar2']).to_dict()
        self.assertEqual({'level', 'max_skew', 'groups_checked', 'violations',
                          'recovery_in_progress', 'groups'}, set(data))
        self.assertEqual('m0', data['groups'][0]['moves'][0]['instance'])
