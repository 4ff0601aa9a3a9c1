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

import fixtures
from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.evacuate import hook as hook_mod
from zha_scheduler.evacuate import progress


class FencingError(Exception):
    pass


class FakeFencer:

    def __init__(self, nova_, result=None, error=None):
        self.nova, self.result, self.error = nova_, result, error
        self.fenced_before: list[int] = []

    def fence(self, host):
        self.fenced_before.append(len(self.nova.evacuated))
        if self.error:
            raise self.error
        return self.result


class HookTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1', up=False), fakes.service('lpar2'),
             fakes.service('sb')],
            [fakes.instance('a'),
             fakes.instance('b', metadata={'zha:priority': '5'})])

    def hook(self, fencer=None, **kw):
        return hook_mod.Hook(self.nova, fencer,
                             coordination_url='file://' + self.tmp,
                             state_dir=self.tmp, partners={'lpar1': 'sb'},
                             poll_interval=0.01, **kw)

    def test_evacuates_in_priority_order_and_marks_the_service(self):
        rep = self.hook(max_parallel=1).run('lpar1')
        self.assertEqual([('b', 'sb'), ('a', 'sb')], self.nova.evacuated)
        self.assertEqual([], rep.failed)
        self.assertTrue(
            self.nova.reasons[0].startswith('zha-evacuate: in progress'))
        self.assertTrue(self.nova.reasons[-1].startswith('zha-evacuate: done'))
        self.assertIn('sb', rep.to_table())

    def test_refuses_an_up_host_without_fencing(self):
        self.nova._services['lpar1'].up = True
        self.assertRaises(hook_mod.HookRefused, self.hook().run, 'lpar1')
        self.assertEqual(([], []), (self.nova.evacuated, self.nova.reasons))

    def test_fences_an_up_host_first_and_stops_when_fencing_fails(self):
        self.nova._services['lpar1'].up = True
        fencer = FakeFencer(self.nova,
                            result={'lpar': 'L1', 'action': 'deactivate'})
        rep = self.hook(fencer).run('lpar1')
        self.assertEqual([0], fencer.fenced_before)
        self.assertEqual({'lpar': 'L1', 'action': 'deactivate'}, rep.fenced)
        self.assertEqual(2, len(self.nova.evacuated))
        failing = FakeFencer(self.nova, error=FencingError('HMC said no'))
        self.nova.servers['c'] = fakes.instance('c')
        self.assertRaises(FencingError, self.hook(failing).run, 'lpar1')
        self.assertEqual(2, len(self.nova.evacuated))

    def test_rerun_skips_done_and_moved_instances(self):
        store = progress.ProgressStore(self.tmp, 'lpar1')
        store.record('a', progress.DONE, target='sb', run_id='old')
        self.nova.servers['a'].host = 'sb'
        self.nova.servers['b'].host = 'sb'  # moved before the crash
        rep = self.hook().run('lpar1')
        self.assertEqual([], self.nova.evacuated)
        self.assertEqual({'a': 'skipped'},
                         {r.id: r.outcome for r in rep.instances})

    def test_instance_back_on_the_host_after_failback_is_evacuated_again(self):
        store = progress.ProgressStore(self.tmp, 'lpar1')
        store.record('a', progress.DONE, target='sb', run_id='last-month')
        rep = self.hook(max_parallel=1).run('lpar1')
        self.assertEqual([('b', 'sb'), ('a', 'sb')], self.nova.evacuated)
        self.assertEqual({'a': 'evacuated', 'b': 'evacuated'},
                         {r.id: r.outcome for r in rep.instances})

    def test_waits_for_an_evacuation_already_under_way(self):
        self.nova.servers['a'].task_state = 'rebuilding'

        def finish(instance_id):
            inst = self.nova.servers[instance_id]
            inst.host, inst.task_state = 'sb', None
            return inst
        self.nova.get = finish
        self.hook().run('lpar1')
        self.assertEqual([('b', 'sb')], self.nova.evacuated)

    def test_refused_target_falls_back_to_the_scheduler(self):
        self.nova.refuse = {'sb'}
        rep = self.hook(max_parallel=1).run('lpar1')
        self.assertEqual([('b', 'sb'), ('b', None), ('a', 'sb'), ('a', None)],
                         self.nova.evacuated)
        self.assertEqual({'scheduled'}, {r.target for r in rep.instances})

    def test_host_moves_after_the_task_state_clears(self):
        # Nova clears the task state, then moves the host: not a failure.
        polls = []

        def get(instance_id):
            polls.append(instance_id)
            inst = self.nova.servers[instance_id]
            inst.host = 'sb' if len(polls) > 2 else 'lpar1'
            self.nova.evacuations[instance_id] = {'m1': 'running'}
            return inst
        self.nova.get = get
        self.nova.evacuate = lambda i, h: self.nova.evacuated.append((i, h))
        rep = self.hook(max_parallel=1).run('lpar1')
        self.assertEqual([], rep.failed)

    def test_failed_migration_is_a_failure_then_the_scheduler_is_asked(self):
        def evacuate(instance_id, host):
            self.nova.evacuated.append((instance_id, host))
            migrations = self.nova.evacuations.setdefault(instance_id, {})
            if host == 'sb':  # accepted, then fails on the destination
                migrations['m-%d' % len(migrations)] = 'failed'
            else:
                self.nova.servers[instance_id].host = 'lpar2'
        self.nova.evacuate = evacuate
        rep = self.hook(max_parallel=1).run('lpar1')
        self.assertEqual([('b', 'sb'), ('b', None), ('a', 'sb'), ('a', None)],
                         self.nova.evacuated)
        self.assertEqual({'lpar2'}, {r.target for r in rep.instances})
        self.assertIn('migration m-0', rep.instances[0].reason)

    def test_timeout_is_reported(self):
        self.nova.get = lambda i: fakes.instance(i, host='lpar1').__class__(
            **{**vars(fakes.instance(i)), 'task_state': 'rebuilding'})
        rep = self.hook(instance_timeout=0.05).run('lpar1')
        self.assertEqual(2, len(rep.failed))
        # Still rebuilding somewhere: never asked again.
        self.assertEqual([('a', 'sb'), ('b', 'sb')],
                         sorted(self.nova.evacuated))
        self.assertIn('not rebuilt after', rep.failed[0].reason)

    def test_dry_run_changes_nothing(self):
        rep = self.hook().run('lpar1', dry_run=True)
        self.assertEqual(([], []), (self.nova.evacuated, self.nova.reasons))
        self.assertEqual({'planned'}, {r.outcome for r in rep.instances})
        self.assertEqual('sb', rep.plan['target'])
