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

"""A whole CPC fails: its hosts are planned as one recovery."""

import fixtures
from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.evacuate import hook as hook_mod
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import watch
from zha_scheduler import topology

#: Room for three guests of 2 vCPUs on the partner, two on the other standby.
SB1 = {'VCPU': 6, 'MEMORY_MB': 8192, 'DISK_GB': 100}
SB2 = {'VCPU': 4, 'MEMORY_MB': 8192, 'DISK_GB': 100}
PROFILES = {'lpar1': topology.HostProfile(cpc='Z1'),
            'lpar2': topology.HostProfile(cpc='Z1'),
            'sb0': topology.HostProfile(cpc='Z1', standby=True),
            'lpar3': topology.HostProfile(cpc='Z2'),
            'sb1': topology.HostProfile(cpc='Z2', standby=True),
            'sb2': topology.HostProfile(cpc='Z3', standby=True)}


class FakeFencer:

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.fenced: list[str] = []

    def fence(self, host):
        if host in self.refuse:
            raise RuntimeError('HMC refuses to deactivate %s' % host)
        self.fenced.append(host)
        return {'host': host, 'action': 'deactivate'}


class CpcFailureTest(base.BaseTestCase):
    """CPC Z1 (lpar1, lpar2, sb0) fails; sb1 is the partner of both."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        # Priorities interleave across the two hosts; 2 vCPUs each.
        instances = [
            fakes.instance(name, host=host, vcpus=2,
                           metadata={'zha:priority': str(prio)})
            for host, name, prio in (
                ('lpar1', 'a9', 9), ('lpar1', 'a5', 5), ('lpar1', 'a1', 1),
                ('lpar2', 'b8', 8), ('lpar2', 'b2', 2), ('lpar2', 'b0', 0))]
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1', up=False),
             fakes.service('lpar2', up=False), fakes.service('sb0'),
             fakes.service('lpar3'), fakes.service('sb1'),
             fakes.service('sb2')],
            instances, rooms={'sb1': SB1, 'sb2': SB2})
        self.fencer = FakeFencer()

    def hook(self, **kw):
        kw.setdefault('max_parallel', 1)
        return hook_mod.Hook(
            self.nova, self.fencer, coordination_url='file://' + self.tmp,
            state_dir=self.tmp, partners={'lpar1': 'sb1', 'lpar2': 'sb1'},
            poll_interval=0.01, profiles=lambda: PROFILES, **kw)

    def where(self):
        return {i.uuid: i.host for i in self.nova.servers.values()}

    def assert_no_overbooking(self):
        self.assertEqual([], self.nova.refused_for_room)
        for name, room in self.nova.rooms.items():
            self.assertGreaterEqual(min(room.values()), 0, name)

    def test_one_plan_for_the_cpc_in_priority_order_across_hosts(self):
        outcomes = self.hook().recover({'lpar1': True, 'lpar2': True,
                                        'sb0': True})
        self.assert_no_overbooking()
        # The three most important guests of the CPC get the partner,
        # the next two the standby on a third CPC, the last the scheduler.
        self.assertEqual({'a9': 'sb1', 'b8': 'sb1', 'a5': 'sb1',
                          'b2': 'sb2', 'a1': 'sb2', 'b0': 'scheduled'},
                         self.where())
        # sb0 is on the failed CPC: never a target, though Nova shows it up.
        self.assertNotIn('sb0', {h for _, h in self.nova.evacuated})
        # Evacuated in that order too (one at a time here), each once.
        self.assertEqual([('a9', 'sb1'), ('b8', 'sb1'), ('a5', 'sb1'),
                          ('b2', 'sb2'), ('a1', 'sb2'), ('b0', None)],
                         self.nova.evacuated)
        # Each standby's room was read once, for the whole CPC.
        self.assertEqual(['sb1', 'sb2'], self.nova.room_reads)
        one, two = outcomes['lpar1'], outcomes['lpar2']
        self.assertEqual([], one.failed + two.failed)
        self.assertEqual(one.run_id, two.run_id)
        self.assertEqual(['lpar2', 'sb0'], one.plan['planned_with'])
        self.assertEqual(['sb2'], two.plan['fallback'])
        self.assertEqual({'VCPU': 2}, two.plan['shortfall'])
        self.assertEqual([('b8', 'sb1'), ('b2', 'sb2'), ('b0', None)],
                         [(i['id'], i['target'])
                          for i in two.plan['order']])
        self.assertIn('then: sb2, then the scheduler', two.to_table())
        self.assertIn('planned with: lpar1, sb0', two.to_table())
        self.assertEqual([], outcomes['sb0'].instances)
        self.assertEqual(['lpar1', 'lpar2', 'sb0'], self.fencer.fenced)
        for host in ('lpar1', 'lpar2', 'sb0'):
            self.assertTrue(self.nova._services[host].disabled_reason
                            .startswith('zha-evacuate: done'))

    def test_a_run_of_one_host_is_a_recovery_of_one(self):
        # zha-evacuate lpar1: the partner, then the other standby on a CPC
        # that did not fail, then the scheduler.
        self.nova.rooms['sb1'] = {'VCPU': 2, 'MEMORY_MB': 8192,
                                  'DISK_GB': 100}
        self.nova.rooms['sb2'] = {'VCPU': 2, 'MEMORY_MB': 8192,
                                  'DISK_GB': 100}
        rep = self.hook().run('lpar1')
        self.assert_no_overbooking()
        self.assertEqual({'a9': 'sb1', 'a5': 'sb2', 'a1': 'scheduled'},
                         {k: v for k, v in self.where().items()
                          if k.startswith('a')})
        self.assertEqual('sb1', rep.plan['target'])
        self.assertEqual([], rep.plan['planned_with'])
        self.assertEqual({'a9', 'a5', 'a1'}, {r.id for r in rep.instances})
        self.assertEqual('lpar2', self.nova.servers['b8'].host)

    def test_a_dry_run_plans_the_cpc_and_changes_nothing(self):
        outcomes = self.hook().recover({'lpar1': True, 'lpar2': True},
                                       dry_run=True)
        self.assertEqual(([], [], []), (self.nova.evacuated,
                                        self.nova.reasons, self.fencer.fenced))
        self.assertEqual(
            {'a9': 'sb1', 'a5': 'sb1', 'a1': 'sb2', 'b8': 'sb1',
             'b2': 'sb2', 'b0': None},
            {r.id: r.target for host in ('lpar1', 'lpar2')
             for r in outcomes[host].instances})

    def test_a_host_left_out_gives_its_room_back(self):
        # lpar2's run is held elsewhere: lpar1 alone is recovered, and its
        # guests get the partner's whole room.
        with lock.host_lock('file://' + self.tmp, 'lpar2'):
            outcomes = self.hook().recover({'lpar1': False, 'lpar2': False})
        self.assertIsInstance(outcomes['lpar2'], lock.LockBusy)
        self.assertEqual({'a9': 'sb1', 'a5': 'sb1', 'a1': 'sb1'},
                         {k: v for k, v in self.where().items()
                          if k.startswith('a')})
        self.assertEqual([], outcomes['lpar1'].failed)

    def test_a_host_that_cannot_be_fenced_is_left_out_after_planning(self):
        self.fencer.refuse = {'lpar1'}
        outcomes = self.hook().recover({'lpar1': True, 'lpar2': True})
        self.assertIn('HMC refuses', str(outcomes['lpar1']))
        # Planned again without lpar1, from the rooms read once.
        self.assertEqual({'b8': 'sb1', 'b2': 'sb1', 'b0': 'sb1'},
                         {k: v for k, v in self.where().items()
                          if k.startswith('b')})
        self.assertEqual({'a9', 'a5', 'a1'},
                         {i.uuid for i in self.nova.instances('lpar1')})
        self.assertIsNone(self.nova._services['lpar1'].disabled_reason)
        self.assertEqual(['sb1', 'sb2'], self.nova.room_reads)
        self.assert_no_overbooking()

    def test_hosts_after_a_change_of_leadership_are_left_untouched(self):
        answers = iter([False])
        outcomes = self.hook().recover({'lpar1': True, 'lpar2': True},
                                       proceed=lambda: next(answers))
        self.assertEqual(['lpar1'], list(outcomes))
        self.assertEqual(['lpar1'], self.fencer.fenced)
        self.assertEqual({'b8', 'b2', 'b0'},
                         {i.uuid for i in self.nova.instances('lpar2')})
        self.assertIsNone(self.nova._services['lpar2'].disabled_reason)

    def test_an_error_on_one_host_leaves_the_other_done(self):
        real = self.nova.evacuate

        def evacuate(instance_id, host):
            if instance_id == 'b2':
                raise RuntimeError('killed')
            return real(instance_id, host)
        self.nova.evacuate = evacuate
        outcomes = self.hook().recover({'lpar1': True, 'lpar2': True})
        self.assertEqual('killed', str(outcomes['lpar2']))
        self.assertEqual([], outcomes['lpar1'].failed)
        # lpar2 stays "in progress": the next run resumes it.
        self.assertIn('in progress',
                      self.nova._services['lpar2'].disabled_reason)
        store = progress.ProgressStore(self.tmp, 'lpar2')
        self.assertTrue(store.done('b8') and store.done('b0'))

    def test_watch_mode_recovers_the_hosts_due_together(self):
        watcher = watch.Watcher(self.hook(max_parallel=3), grace_period=0,
                                poll_interval=1)
        self.assertEqual(['lpar1', 'lpar2'], watcher.run_once())
        self.assert_no_overbooking()
        self.assertEqual({'a9': 'sb1', 'b8': 'sb1', 'a5': 'sb1',
                          'b2': 'sb2', 'a1': 'sb2', 'b0': 'scheduled'},
                         self.where())
        self.assertEqual(['sb1', 'sb2'], self.nova.room_reads)
        # Both states record the same run, and both hosts are done.
        runs = {host: [run['run_id'] for run in progress.ProgressStore(
            self.tmp, host).data['runs']] for host in ('lpar1', 'lpar2')}
        self.assertEqual(runs['lpar1'], runs['lpar2'])
        self.assertEqual([], watcher.run_once())
