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

import os

import fixtures
from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import hook as hook_mod
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import state_files
from zha_scheduler import topology


class FencingError(Exception):
    pass


class FakeFencer:

    def __init__(self, nova_, result=None, error=None, on_fence=None):
        self.nova, self.result, self.error = nova_, result, error
        self.fenced_before: list[int] = []
        self.on_fence = on_fence

    def fence(self, host):
        self.fenced_before.append(len(self.nova.evacuated))
        if self.on_fence:
            self.on_fence()
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
            # Nova finishes the rebuild under way, and only that one.
            inst = self.nova.servers[instance_id]
            if inst.task_state == 'rebuilding':
                inst.host, inst.task_state = 'sb', None
            return inst
        self.nova.get = finish
        self.hook().run('lpar1')
        self.assertEqual([('b', 'sb')], self.nova.evacuated)

    def test_an_evacuation_ending_in_nova_is_not_requested_again(self):
        # Nova cleared the task state but has not moved the host yet: the
        # migration of the earlier run says the evacuation is not over.
        self.nova.evacuations = {'a': {'m-old': 'done', 'm1': 'pre-migrating'},
                                 'b': {'m2': 'done'}}

        def get(instance_id):
            inst = self.nova.servers[instance_id]
            if instance_id == 'a':  # Nova finishes a's evacuation
                inst.host = 'sb'
            return inst
        self.nova.get = get
        rep = self.hook(max_parallel=1).run('lpar1')
        # b's only evacuation is over: it is back (failback), and goes again.
        self.assertEqual([('b', 'sb')], self.nova.evacuated)
        self.assertEqual({'a': 'evacuated', 'b': 'evacuated'},
                         {r.id: r.outcome for r in rep.instances})

    def test_an_evacuation_that_ended_since_the_listing_is_not_requested(self):
        # a was listed in the window (no task state, still on lpar1); by
        # the time the hook looks at it, Nova has moved it and marked the
        # migration done.
        self.nova.servers['a'].host = 'sb'
        self.nova.evacuations = {'a': {'m1': 'done'}}
        self.nova.instances = lambda host=None: [
            fakes.instance('a'), fakes.instance('b')]
        rep = self.hook(max_parallel=1).run('lpar1')
        self.assertEqual([('b', 'sb')], self.nova.evacuated)
        self.assertEqual({'a': ('evacuated', 'sb'), 'b': ('evacuated', 'sb')},
                         {r.id: (r.outcome, r.target) for r in rep.instances})

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
        def get(instance_id):
            # Rebuilding on lpar1 for ever, once evacuated.
            inst = fakes.instance(instance_id, host='lpar1')
            if any(i == instance_id for i, _ in self.nova.evacuated):
                inst.task_state = 'rebuilding'
            return inst
        self.nova.get = get
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


class ConfirmedFailureTest(base.BaseTestCase):
    """The brake holds heartbeat-only failures, not HMC-confirmed ones."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        # CPC 1 (lpar1, lpar2, lpar3) lost; CPC 2 has lpar4 and two standbys.
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1'), fakes.service('lpar2', up=False),
             fakes.service('lpar3', up=False), fakes.service('lpar4'),
             fakes.service('sb1'), fakes.service('sb2')],
            [fakes.instance('a'), fakes.instance('b', host='lpar2')])
        self.fencer = FakeFencer(self.nova, result={'action': 'deactivate'})

    def hook(self, **kw):
        return hook_mod.Hook(self.nova, self.fencer,
                             coordination_url='file://' + self.tmp,
                             state_dir=self.tmp, poll_interval=0.01, **kw)

    def test_a_confirmed_failure_is_not_braked(self):
        for name in ('lpar4', 'sb2'):  # 4 of 6 down
            self.nova._services[name].up = False
        hook = self.hook(partners={'lpar1': 'sb1'})
        self.assertRaises(brake.BrakeEngaged, hook.run, 'lpar1')
        self.assertEqual([], self.fencer.fenced_before)
        # Nova still shows lpar1 up: the HMC saw it fail first.
        rep = hook.run('lpar1', confirmed=True,
                       hmc_failed={'lpar2', 'lpar3'})
        self.assertEqual([0], self.fencer.fenced_before)
        self.assertEqual([('a', 'sb1')], self.nova.evacuated)
        self.assertEqual([], rep.failed)

    def test_a_heartbeat_failure_next_to_confirmed_ones(self):
        # lpar4 hangs while CPC 1 is lost: judged among the 3 left on CPC 2.
        self.nova._services['lpar4'].up = False
        self.nova.servers['c'] = fakes.instance('c', host='lpar4')
        hook = self.hook(partners={'lpar4': 'sb2'})
        hook.run('lpar4', hmc_failed={'lpar1', 'lpar2', 'lpar3'})
        self.assertEqual([('c', 'sb2')], self.nova.evacuated)
        # One more down on CPC 2: 2 of 3, more than half.
        self.nova._services['lpar4'].disabled_reason = None
        self.nova._services['sb1'].up = False
        self.nova.servers['c'].host = 'lpar4'
        self.assertRaisesRegex(brake.BrakeEngaged, '2 of 3',
                               hook.run, 'lpar4',
                               hmc_failed={'lpar1', 'lpar2', 'lpar3'})

    def test_hosts_the_hmc_reports_failed_are_never_the_target(self):
        # No partner: a standby from the topology, or the scheduler. lpar2
        # and lpar3 are on the failed CPC even though Nova says lpar2 up.
        self.nova._services['lpar2'].up = True
        profiles = {name: topology.HostProfile(cpc='Z1', standby=True)
                    for name in ('lpar2', 'lpar3')}
        hook = self.hook(profiles=lambda: profiles)
        rep = hook.run('lpar1', confirmed=True,
                       hmc_failed={'lpar2', 'lpar3'})
        self.assertEqual([('a', None)], self.nova.evacuated)
        self.assertIsNone(rep.plan['target'])
        # Without the HMC's word, lpar2 looked like a usable standby.
        self.nova.servers['a'].host = 'lpar1'
        self.nova._services['lpar1'].disabled_reason = None
        rep = hook.run('lpar1', dry_run=True)
        self.assertEqual('lpar2', rep.plan['target'])

    def test_a_host_the_hook_took_over_is_resumed_not_braked(self):
        for name in ('lpar3', 'lpar4', 'sb2'):
            self.nova._services[name].up = False
        self.nova._services['lpar2'].disabled_reason = (
            'zha-evacuate: in progress 0123456789ab')
        rep = self.hook(partners={'lpar2': 'sb1'}).run('lpar2')
        self.assertEqual([('b', 'sb1')], self.nova.evacuated)
        self.assertEqual([], rep.failed)


class BeforeFencingTest(base.BaseTestCase):
    """What can fail is read and checked before the host is fenced."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.state_dir = os.path.join(self.tmp, 'state')
        self.state_file = os.path.join(self.state_dir, 'lpar1.json')
        os.mkdir(self.state_dir)
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1'), fakes.service('lpar2'),
             fakes.service('sb')],
            [fakes.instance('a'), fakes.instance('b')])
        self.fencer = FakeFencer(self.nova, result={'action': 'deactivate'},
                                 on_fence=self.at_fencing)
        self.seen_at_fencing = []
        self.log = self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler.evacuate', format='%(levelname)s %(message)s'))

    def at_fencing(self):
        self.seen_at_fencing.append(sorted(os.listdir(self.state_dir)))

    def hook(self, state_dir=None):
        return hook_mod.Hook(self.nova, self.fencer,
                             coordination_url='file://%s/locks' % self.tmp,
                             state_dir=state_dir or self.state_dir,
                             partners={'lpar1': 'sb'}, poll_interval=0.01)

    def assert_untouched(self):
        self.assertEqual([], self.fencer.fenced_before)
        self.assertEqual(([], []), (self.nova.evacuated, self.nova.reasons))

    def test_corrupt_state_is_moved_aside_before_fencing_and_run_goes_on(self):
        with open(self.state_file, 'wb') as f:
            f.write(b'{"instances": {"a": {"state": "do')
        rep = self.hook().run('lpar1')
        (aside,) = [n for n in os.listdir(self.state_dir) if n != 'lpar1.json']
        self.assertTrue(aside.startswith('lpar1.json.corrupt-'))
        # At fencing the corrupt file was aside and the new one written.
        self.assertEqual([sorted(['lpar1.json', aside])],
                         self.seen_at_fencing)
        self.assertEqual({'a': 'evacuated', 'b': 'evacuated'},
                         {r.id: r.outcome for r in rep.instances})
        self.assertEqual([('a', 'sb'), ('b', 'sb')],
                         sorted(self.nova.evacuated))
        self.assertIn('State file %s is unusable' % self.state_file,
                      self.log.output)
        store = progress.ProgressStore(self.state_dir, 'lpar1')
        self.assertTrue(store.done('a') and store.done('b'))

    def test_unreadable_state_stops_the_run_before_fencing(self):
        os.mkdir(self.state_file)
        exc = self.assertRaises(progress.StateError, self.hook().run, 'lpar1')
        self.assertIn(self.state_file, str(exc))
        self.assert_untouched()

    def test_unwritable_state_dir_stops_the_run_before_fencing(self):
        blocked = os.path.join(self.tmp, 'a-file')
        with open(blocked, 'w'):
            pass
        self.assertRaises(progress.StateError,
                          self.hook(os.path.join(blocked, 'state')).run,
                          'lpar1')
        self.assert_untouched()

    def test_failing_instance_list_stops_the_run_before_fencing(self):
        def fail(host=None):
            raise nova_client.NovaError('Nova said 503')
        self.nova.instances = fail
        self.assertRaises(nova_client.NovaError, self.hook().run, 'lpar1')
        self.assert_untouched()

    def test_an_instance_arriving_while_fencing_is_evacuated_too(self):
        def arrives():
            self.nova.servers['c'] = fakes.instance('c')
        self.fencer.on_fence = arrives
        rep = self.hook().run('lpar1')
        self.assertEqual({'a', 'b', 'c'}, {r.id for r in rep.instances})
        self.assertEqual({'a', 'b', 'c'},
                         {i['id'] for i in rep.plan['order']})
        self.assertEqual([], rep.failed)

    def test_empty_host_name_is_refused(self):
        self.assertRaises(hook_mod.HookRefused, self.hook().run, '')
        self.assert_untouched()

    def test_host_names_stay_in_state_dir(self):
        host = '../../etc/passwd'
        self.nova._services[host] = fakes.service(host, up=False)
        self.nova.servers['x'] = fakes.instance('x', host=host)
        rep = self.hook().run(host)
        self.assertEqual([('x', None)], self.nova.evacuated)
        self.assertEqual(1, len(rep.instances))
        self.assertEqual([state_files.host_key(host) + '.json'],
                         os.listdir(self.state_dir))
        self.assertEqual(['locks', 'state'], sorted(os.listdir(self.tmp)))
        escaped = os.path.join(self.state_dir, host + '.json')
        self.assertFalse(os.path.exists(escaped), escaped)

    def test_dry_run_leaves_a_corrupt_state_file_in_place(self):
        with open(self.state_file, 'wb') as f:
            f.write(b'\xff')
        rep = self.hook().run('lpar1', dry_run=True)
        self.assertEqual(['lpar1.json'], os.listdir(self.state_dir))
        self.assertEqual({'planned'}, {r.outcome for r in rep.instances})
        self.assert_untouched()
