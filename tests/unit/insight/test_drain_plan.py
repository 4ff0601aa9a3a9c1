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

"""Unit tests of the drain plan and the standby picker (insight.drain)."""

from oslotest import base

from tests.unit.insight import test_audit
from tests.unit.insight import test_capacity
from zha_scheduler.insight import drain
from zha_scheduler.insight import maintenance
from zha_scheduler.insight import snapshot
from zha_scheduler import model

FLAVOR = test_audit.FLAVOR


def instance(uuid, on, status='ACTIVE', task_state=None, name=None):
    return model.Instance(uuid, name or 'vm-' + uuid, on, on, status, FLAVOR,
                          task_state=task_state)


def members(*hosts):
    """One ACTIVE member per host, m0 on the first."""
    return [instance('m%d' % n, h) for n, h in enumerate(hosts)]


def group(policy, instances, rules=None):
    return model.Group('g1', 'db', policy, [i.uuid for i in instances],
                       rules=rules or {})


def plan_of(hosts, instances=(), groups=(), host=None, cpc=None,
            level='cpc', **kwargs):
    """The plan of a drain of a host or CPC of test_audit's cloud."""
    snap = snapshot.Snapshot(hosts, list(instances), list(groups))
    target = maintenance.resolve(snap, host=host, cpc=cpc)
    return drain.plan(snap, target, level, **kwargs)


def group_plan(policy, placement, rules=None, hosts=None, **kwargs):
    """The plan of a drain with one group whose members sit on placement."""
    found = members(*placement)
    return plan_of(hosts or test_audit.cloud(), found,
                   [group(policy, found, rules)], **kwargs)


class StepsTest(base.BaseTestCase):

    def test_one_step_per_instance_on_the_target(self):
        instances = [
            instance('a', 'cpc1-lpar2', name='zeta'),
            instance('b', 'cpc1-lpar1', 'SHUTOFF', name='beta'),
            instance('c', 'cpc1-lpar1', name='alpha'),
            instance('d', 'cpc1-lpar1', 'ERROR', name='gamma'),
            instance('e', 'cpc1-lpar1', task_state='migrating',
                     name='delta'),
            instance('f', 'cpc2-lpar1', name='elsewhere'),
            # Offloaded: it no longer sits on the host it names.
            instance('g', 'cpc1-lpar1', 'SHELVED_OFFLOADED', name='shelved'),
        ]
        plan = plan_of(test_audit.cloud(), instances, cpc='Z1')
        self.assertEqual(
            [('c', 'cpc1-lpar1', maintenance.LIVE),
             ('b', 'cpc1-lpar1', maintenance.COLD),
             ('e', 'cpc1-lpar1', maintenance.WAIT),
             ('d', 'cpc1-lpar1', maintenance.STAY),
             ('a', 'cpc1-lpar2', maintenance.LIVE)],
            [(s.instance, s.source, s.action) for s in plan.steps])
        self.assertTrue(all(s.destination is None for s in plan.steps))
        self.assertEqual('cpc', plan.level)
        self.assertEqual([], plan.risks)

    def test_skip_stopped(self):
        instances = [instance('a', 'cpc1-lpar1', 'SHUTOFF')]
        plan = plan_of(test_audit.cloud(), instances, host='cpc1-lpar1',
                       skip_stopped=True)
        self.assertEqual([maintenance.SKIP],
                         [s.action for s in plan.steps])

    def test_unconfirmed_cold_migrations_are_confirmed(self):
        instances = [instance('a', 'cpc2-lpar1', 'VERIFY_RESIZE'),
                     instance('b', 'cpc2-lpar2', 'SHUTOFF'),
                     instance('c', 'cpc1-lpar1')]
        plan = plan_of(test_audit.cloud(), instances, host='cpc1-lpar1',
                       unconfirmed={'a': 'cpc1-lpar1',
                                    # confirmed meanwhile
                                    'b': 'cpc1-lpar1',
                                    'gone': 'cpc1-lpar1'})
        self.assertEqual(
            [('c', 'cpc1-lpar1', maintenance.LIVE),
             ('a', 'cpc1-lpar1', maintenance.CONFIRM)],
            [(s.instance, s.source, s.action) for s in plan.steps])
        confirm = plan.steps[1]
        self.assertEqual(('vm-a', 'VERIFY_RESIZE'),
                         (confirm.name, confirm.status))
        self.assertIn('earlier run', confirm.reason)

    def test_unconfirmed_instance_on_the_target_has_one_step(self):
        # A drain of cpc1-lpar1, killed after it cold-migrated 'a' to
        # cpc1-lpar2, then a drain of CPC Z1: 'a' sits on the target
        # unconfirmed; it is confirmed there, then moves on (one step).
        instances = [instance('a', 'cpc1-lpar2', 'VERIFY_RESIZE')]
        plan = plan_of(test_audit.cloud(), instances, cpc='Z1',
                       unconfirmed={'a': 'cpc1-lpar1'})
        self.assertEqual([('a', maintenance.CONFIRM, 'cpc1-lpar2')],
                         [(s.instance, s.action, s.source)
                          for s in plan.steps])

    def test_confirmed_instance_does_not_count_as_leaving(self):
        # The confirmation's instance sits on Z2 already: the group's
        # members are on three CPCs and none is on the drained host.
        found = [instance('a', 'cpc2-lpar1', 'VERIFY_RESIZE')] + members(
            'cpc2-lpar2', 'cpc3-lpar1')
        plan = plan_of(test_audit.cloud(), found,
                       [group('anti-affinity', found)], host='cpc1-lpar1',
                       unconfirmed={'a': 'cpc1-lpar1'})
        self.assertEqual([maintenance.CONFIRM],
                         [s.action for s in plan.steps])
        self.assertEqual([], plan.risks)

    def test_to_disable_lists_the_enabled_hosts_of_the_target(self):
        hosts = test_audit.cloud(**{
            'cpc1-lpar2': test_audit.host('cpc1-lpar2', 'Z1', 'DC1',
                                          disabled=True)})
        plan = plan_of(hosts, cpc='Z1')
        self.assertEqual(['cpc1-lpar1'], plan.to_disable)
        self.assertEqual([], plan.steps)

    def test_to_dict(self):
        plan = plan_of(test_audit.cloud(), [instance('a', 'cpc1-lpar1')],
                       host='cpc1-lpar1')
        data = plan.to_dict()
        self.assertEqual('cpc1-lpar1', data['target']['name'])
        self.assertEqual(['a'], [s['instance'] for s in data['steps']])
        self.assertEqual(['cpc1-lpar1'], data['to_disable'])
        self.assertEqual(([], {}), (data['groups_at_risk'],
                                    data['shortfall']))


class GroupRiskTest(base.BaseTestCase):

    def test_two_members_on_two_cpcs_one_lpar_drained(self):
        plan = group_plan('anti-affinity', ['cpc1-lpar1', 'cpc2-lpar1'],
                          host='cpc1-lpar1')
        self.assertEqual([], plan.risks)

    def test_member_on_every_cpc_when_a_cpc_is_drained(self):
        plan = group_plan('anti-affinity',
                          ['cpc1-lpar1', 'cpc2-lpar1', 'cpc3-lpar1'],
                          cpc='Z1')
        self.assertEqual(1, len(plan.risks))
        risk = plan.risks[0]
        self.assertEqual(('g1', 'db', 'anti-affinity', 1),
                         (risk.uuid, risk.name, risk.policy,
                          risk.members_leaving))
        self.assertIn('would share a cpc', risk.reason)
        self.assertIn('up to 2 in one, now at most 1', risk.reason)

    def test_same_group_at_site_level_keeps_its_spread(self):
        # Z1 and Z3 are both in DC1: the members share a site already.
        plan = group_plan('anti-affinity',
                          ['cpc1-lpar1', 'cpc2-lpar1', 'cpc3-lpar1'],
                          cpc='Z1', level='site')
        self.assertEqual([], plan.risks)

    def test_not_enough_hosts_left(self):
        hosts = [test_audit.host('h%d' % n, 'Z%d' % n) for n in (1, 2, 3)]
        plan = group_plan('anti-affinity', ['h1', 'h2', 'h3'], host='h1',
                          hosts=hosts, level='lpar')
        self.assertEqual(1, len(plan.risks))
        self.assertIn('1 member(s) must move and only 0 host(s) left',
                      plan.risks[0].reason)

    def test_max_server_per_host_makes_room(self):
        hosts = [test_audit.host('h%d' % n, 'Z1') for n in (1, 2)]
        plan = group_plan('anti-affinity', ['h1', 'h2'], host='h1',
                          hosts=hosts, level='lpar',
                          rules={'max_server_per_host': 2})
        # Room for it on h2, but then two members share one host.
        self.assertEqual(1, len(plan.risks))
        self.assertIn('would share a lpar', plan.risks[0].reason)

    def test_lpar_level_with_a_free_host(self):
        plan = group_plan('anti-affinity', ['cpc1-lpar1', 'cpc2-lpar1'],
                          host='cpc1-lpar1', level='lpar')
        self.assertEqual([], plan.risks)

    def test_affinity_group_of_two(self):
        plan = group_plan('affinity', ['cpc1-lpar1', 'cpc1-lpar1'],
                          host='cpc1-lpar1')
        self.assertEqual(1, len(plan.risks))
        self.assertEqual(('affinity', 2), (plan.risks[0].policy,
                                           plan.risks[0].members_leaving))
        self.assertIn('one at a time', plan.risks[0].reason)

    def test_affinity_group_of_one(self):
        plan = group_plan('affinity', ['cpc1-lpar1'], host='cpc1-lpar1')
        self.assertEqual([], plan.risks)

    def test_soft_policies(self):
        for policy in ('soft-anti-affinity', 'soft-affinity'):
            plan = group_plan(policy,
                              ['cpc1-lpar1', 'cpc2-lpar1', 'cpc3-lpar1'],
                              cpc='Z1')
            self.assertEqual([], plan.risks, policy)

    def test_group_with_no_member_leaving(self):
        # The member on Z1 is stopped and left there: the spread holds.
        found = members('cpc1-lpar1', 'cpc2-lpar1', 'cpc3-lpar1')
        found[0].status = 'SHUTOFF'
        plan = plan_of(test_audit.cloud(), found,
                       [group('anti-affinity', found)], cpc='Z1',
                       skip_stopped=True)
        self.assertEqual([maintenance.SKIP], [s.action for s in plan.steps])
        self.assertEqual([], plan.risks)

    def test_standby_counts_only_with_use_standby(self):
        # Z3's LPARs are down: only the standby partition could take the
        # member leaving Z1 without it sharing Z2 with the other one.
        hosts = test_audit.cloud(**{
            name: test_audit.host(name, 'Z3', 'DC1', up=False)
            for name in ('cpc3-lpar1', 'cpc3-lpar2')})
        placement = ['cpc1-lpar1', 'cpc2-lpar1']
        plan = group_plan('anti-affinity', placement, cpc='Z1', hosts=hosts)
        self.assertEqual(1, len(plan.risks))
        self.assertIn('would share a cpc', plan.risks[0].reason)
        plan = group_plan('anti-affinity', placement, cpc='Z1', hosts=hosts,
                          use_standby=True)
        self.assertEqual([], plan.risks)

    def test_disabled_hosts_are_no_destination(self):
        hosts = [test_audit.host('h1', 'Z1'), test_audit.host('h2', 'Z2'),
                 test_audit.host('h3', 'Z3', disabled=True)]
        plan = group_plan('anti-affinity', ['h1', 'h2'], host='h1',
                          hosts=hosts, level='lpar')
        self.assertIn('only 0 host(s) left', plan.risks[0].reason)


class ShortfallTest(base.BaseTestCase):

    def snap_plan(self, **kwargs):
        hosts = [test_capacity.host('p1', 'Z1'),
                 test_capacity.host('p2', 'Z2', ram=4096),
                 test_capacity.host('s3', 'Z3', standby=True)]
        # 3 x (2 VCPU, 2048 MB, 10 GB) leave p1.
        return plan_of(hosts, test_capacity.guests('p1', 3), host='p1',
                       **kwargs)

    def test_staying_hosts_lack_room(self):
        self.assertEqual({'MEMORY_MB': 2048}, self.snap_plan().shortfall)

    def test_standby_room_counts_with_use_standby(self):
        self.assertEqual({}, self.snap_plan(use_standby=True).shortfall)

    def test_usage_of_the_staying_hosts_counts(self):
        hosts = [test_capacity.host('p1', 'Z1'),
                 test_capacity.host('p2', 'Z2', used={'VCPU': 15})]
        plan = plan_of(hosts, test_capacity.guests('p1', 1), host='p1')
        self.assertEqual({'VCPU': 1}, plan.shortfall)

    def test_stopped_instances_left_need_no_room(self):
        guests = test_capacity.guests('p1', 3)
        for guest in guests:
            guest.status = 'SHUTOFF'
        hosts = [test_capacity.host('p1', 'Z1'),
                 test_capacity.host('p2', 'Z2', ram=4096)]
        plan = plan_of(hosts, guests, host='p1', skip_stopped=True)
        self.assertEqual({}, plan.shortfall)
        plan = plan_of(hosts, guests, host='p1')
        self.assertEqual({'MEMORY_MB': 2048}, plan.shortfall)

    def test_no_inventory_known(self):
        # test_audit's hosts carry no inventories: nothing to judge by.
        plan = plan_of(test_audit.cloud(), members('cpc1-lpar1'),
                       host='cpc1-lpar1')
        self.assertEqual({}, plan.shortfall)


class StandbyPickerTest(base.BaseTestCase):

    def picker(self, *hosts, guests=3, target=('p1',)):
        hosts = [test_capacity.host('p1', 'Z1')] + list(hosts)
        self.snap = snapshot.Snapshot(hosts, test_capacity.guests('p1',
                                                                  guests))
        return drain.StandbyPicker(self.snap, maintenance.Target(
            maintenance.HOST, target[0], target))

    def step(self, n):
        return maintenance.step_for(self.snap.instances[n])

    def test_another_cpc_first(self):
        # a-standby sorts first but shares Z1 with the source.
        pick = self.picker(test_capacity.host('a-standby', 'Z1',
                                              standby=True),
                           test_capacity.host('b-standby', 'Z2',
                                              standby=True))
        self.assertEqual('b-standby', pick(self.step(0)))

    def test_same_cpc_when_no_other_fits(self):
        pick = self.picker(test_capacity.host('a-standby', 'Z1',
                                              standby=True),
                           test_capacity.host('b-standby', 'Z2',
                                              standby=True, ram=1024))
        self.assertEqual('a-standby', pick(self.step(0)))

    def test_earlier_picks_take_room(self):
        # Room for one guest of 2 VCPU and 2048 MB on b-standby.
        pick = self.picker(test_capacity.host('a-standby', 'Z1',
                                              standby=True),
                           test_capacity.host('b-standby', 'Z2',
                                              standby=True, vcpu=4,
                                              ram=2048))
        self.assertEqual(['b-standby', 'a-standby', 'a-standby'],
                         [pick(self.step(n)) for n in range(3)])

    def test_nothing_fits(self):
        pick = self.picker(test_capacity.host('b-standby', 'Z2',
                                              standby=True, vcpu=4,
                                              ram=2048))
        self.assertEqual('b-standby', pick(self.step(0)))
        self.assertIsNone(pick(self.step(1)))

    def test_only_usable_standby_hosts(self):
        pick = self.picker(
            test_capacity.host('a-primary', 'Z2'),
            test_capacity.host('b-down', 'Z2', standby=True, up=False),
            test_capacity.host('c-disabled', 'Z2', standby=True,
                               disabled=True),
            test_capacity.host('p2', 'Z1', standby=True),
            target=('p1', 'p2'))
        self.assertIsNone(pick(self.step(0)))
