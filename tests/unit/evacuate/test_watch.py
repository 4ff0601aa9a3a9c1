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

import logging
import os
import threading
from unittest import mock

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslotest import base
import zhmcclient
from zhmcclient import mock as zhmc_mock

from tests.unit.evacuate import fakes
from zha_scheduler.clients import hmc
from zha_scheduler.clients import nova_client
from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.evacuate import fencing
from zha_scheduler.evacuate import hook as hook_mod
from zha_scheduler.evacuate import leader
from zha_scheduler.evacuate import state_files
from zha_scheduler.evacuate import watch


class WatcherTest(base.BaseTestCase):

    def test_runs_the_hook_after_the_grace_period_only(self):
        now = [0.0]
        nova_ = fakes.FakeNova(
            [fakes.service('lpar1', up=False), fakes.service('l2')], [])
        coordination_dir = self.useFixture(fixtures.TempDir()).path
        state_dir = self.useFixture(fixtures.TempDir()).path
        hook = hook_mod.Hook(nova_, None,
                             coordination_url='file://' + coordination_dir,
                             state_dir=state_dir)
        watcher = watch.Watcher(hook, grace_period=60, poll_interval=1,
                                clock=lambda: now[0])
        self.assertEqual([], watcher.run_once())
        now[0] = 61
        self.assertEqual(['lpar1'], watcher.run_once())
        now[0] = 200  # done: not evacuated again
        self.assertEqual([], watcher.run_once())

    def test_run_forever_stops_when_asked(self):
        stop = threading.Event()
        watcher = watch.Watcher(mock.Mock(), grace_period=0,
                                poll_interval=0.01)
        calls = []

        def once():
            calls.append(1)
            if len(calls) == 3:
                stop.set()
            raise RuntimeError('Nova unreachable')  # logged, polling goes on
        watcher.run_once = once
        watcher.run_forever(stop)
        self.assertEqual(3, len(calls))


class _StopAtFirstWait(threading.Event):
    """A stop event that records the first pause and ends the loop."""

    def __init__(self):
        super().__init__()
        self.waits = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        self.set()
        return True


class LeadershipTest(base.BaseTestCase):
    """Of the watchers sharing a coordination_url, the leader acts."""

    def setUp(self):
        super().setUp()
        coordination = self.useFixture(fixtures.TempDir()).path
        self.url = 'file://' + coordination
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1', up=False), fakes.service('l2'),
             fakes.service('l3')], [fakes.instance('a')])
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def watcher(self):
        state_dir = self.useFixture(fixtures.TempDir()).path
        evacuation = hook_mod.Hook(self.nova, None, coordination_url=self.url,
                                   state_dir=state_dir)
        election = leader.Election(self.url)
        self.addCleanup(election.stop)
        return watch.Watcher(evacuation, grace_period=0, poll_interval=1,
                             election=election)

    def test_only_the_leader_evacuates_and_the_other_takes_over(self):
        first, second = self.watcher(), self.watcher()
        self.assertTrue(first.leads())
        self.assertEqual([], second.run_once())
        self.assertEqual([], self.nova.evacuated)
        self.assertIn('Another watcher leads', self.log.output)
        # The leader goes away: the follower acts at its next poll.
        first.election.stop()
        self.assertEqual(['lpar1'], second.run_once())
        self.assertEqual([('a', None)], self.nova.evacuated)
        self.assertIn('This watcher (%s) leads'
                      % second.election.member_id.decode(), self.log.output)

    def test_a_follower_with_hosts_due_asks_for_the_lead_often(self):
        first, second = self.watcher(), self.watcher()
        self.assertTrue(first.leads())
        self.assertEqual([], second.run_once())
        self.assertTrue(second.waiting)
        # Its next round comes after TAKEOVER_INTERVAL, not poll_interval.
        stop = _StopAtFirstWait()
        second.run_forever(stop)
        self.assertEqual([watch.TAKEOVER_INTERVAL], stop.waits)
        # Once it leads and has evacuated, it waits poll_interval again.
        first.election.stop()
        self.assertEqual(['lpar1'], second.run_once())
        self.assertFalse(second.waiting)

    def test_a_change_of_leadership_is_logged_once(self):
        first, second = self.watcher(), self.watcher()
        first.leads()
        for _ in range(3):
            second.leads()
        self.assertEqual(1, self.log.output.count('Another watcher leads'))

    def test_run_forever_leaves_the_election(self):
        first, second = self.watcher(), self.watcher()
        self.assertTrue(first.leads())
        stop = threading.Event()
        stop.set()
        first.run_forever(stop)
        self.assertTrue(second.leads())


class ProblemLoggingTest(base.BaseTestCase):
    """A problem that lasts is logged when it starts and when it ends."""

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.state_dir = os.path.join(tmp, 'state')
        os.mkdir(self.state_dir)
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1', up=False), fakes.service('l2'),
             fakes.service('l3')], [fakes.instance('a')])
        self.hook = hook_mod.Hook(self.nova, None,
                                  coordination_url='file://%s/locks' % tmp,
                                  state_dir=self.state_dir)
        self.watcher = watch.Watcher(self.hook, grace_period=0,
                                     poll_interval=0.01)
        self.log = self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler.evacuate.watch', level=logging.INFO,
            format='%(levelname)s %(message)s'))

    def lines(self, level):
        return [line for line in self.log.output.splitlines()
                if line.startswith(level)]

    def test_a_state_problem_is_logged_once_without_traceback(self):
        # The state file is a directory: the run stops before any change.
        path = state_files.state_path(self.state_dir, 'lpar1')
        os.mkdir(path)
        for _ in range(5):
            self.assertEqual([], self.watcher.run_once())
        (error,) = self.lines('ERROR')
        self.assertIn('Not evacuating lpar1 (heartbeat failure): cannot '
                      'read state file %s' % path, error)
        self.assertNotIn('Traceback', self.log.output)
        self.assertEqual(([], []), (self.nova.evacuated, self.nova.reasons))
        os.rmdir(path)
        self.assertEqual(['lpar1'], self.watcher.run_once())
        (resolved,) = self.lines('INFO Resolved')
        self.assertIn('lpar1 evacuated (was: Not evacuating lpar1', resolved)
        self.assertEqual(1, len(self.lines('ERROR')))

    def test_a_corrupt_state_file_does_not_block_watch_mode(self):
        with open(state_files.state_path(self.state_dir, 'lpar1'), 'w') as f:
            f.write('[1, 2')
        self.assertEqual(['lpar1'], self.watcher.run_once())
        self.assertEqual([], self.lines('ERROR'))
        self.assertEqual([('a', None)], self.nova.evacuated)

    def test_a_new_problem_is_logged_and_an_unexpected_one_once_in_full(self):
        errors = [RuntimeError('bug one')] * 3 + [KeyError('bug two')] * 3
        self.hook.recover = mock.Mock(side_effect=errors)
        for _ in errors:
            self.watcher.run_once()
        self.assertEqual(2, len(self.lines('ERROR')))
        self.assertEqual(2, self.log.output.count('Traceback'))
        self.assertIn('Not evacuating lpar1 (heartbeat failure): bug one',
                      self.lines('ERROR')[0])
        self.assertIn('RuntimeError: bug one', self.log.output)
        # The host comes back: the problem is over.
        self.nova._services['lpar1'].up = True
        self.watcher.run_once()
        self.assertIn('Resolved: lpar1 is up again', self.log.output)

    def test_a_poll_problem_is_logged_once(self):
        stop = threading.Event()
        calls = []

        def services():
            calls.append(1)
            if len(calls) == 6:
                stop.set()
            if len(calls) <= 4:
                raise nova_client.NovaError('401 from Keystone')
            return []
        self.nova.services = services
        self.watcher.run_forever(stop)
        self.assertEqual(1, len(self.lines('ERROR')))
        self.assertIn('Could not poll the compute services: 401',
                      self.lines('ERROR')[0])
        self.assertEqual(1, len(self.lines('INFO Resolved')))


LPARS_YAML = """\
lpar1: {cpc: Z1, lpar: KVMH01}
lpar2: {cpc: Z1, lpar: KVMH02}
sb: {cpc: Z2, lpar: KVMSB}
"""


class HmcWatcherTest(base.BaseTestCase):
    """Watch mode with the HMC as first detector, on a faked HMC."""

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        lpars_file = os.path.join(tmp, 'lpars.yaml')
        with open(lpars_file, 'w') as f:
            f.write(LPARS_YAML)
        self.session = zhmc_mock.FakedSession('hmc.example.com', 'HMC1',
                                              '2.16', '4.10')
        self.lpars = {}
        for cpc_name, lpars in (('Z1', ('KVMH01', 'KVMH02')),
                                ('Z2', ('KVMSB',))):
            cpc = self.session.hmc.cpcs.add(
                {'object-id': cpc_name, 'name': cpc_name,
                 'dpm-enabled': False, 'status': 'operating'})
            for name in lpars:
                self.lpars[name] = cpc.lpars.add(
                    {'object-id': name, 'name': name, 'status': 'operating'})
        conf = cfg.ConfigOpts()
        evacuate_conf.register_opts(conf)
        conf([], project='zha-test')
        self.useFixture(config_fixture.Config(conf)).config(
            group='zha_evacuate', fencing='hmc', hmc_host='hmc.example.com',
            hmc_userid='watcher', hmc_password='s3cret',
            lpars_file=lpars_file)
        factory = mock.Mock(return_value=self.session)
        self.fencer = fencing.HmcFencer(conf, session_factory=factory)
        self.reader = hmc.StatusReader(hmc.HmcSettings.from_conf(conf),
                                       session_factory=factory)
        self.nova = fakes.FakeNova(
            [fakes.service('lpar1'), fakes.service('lpar2'),
             fakes.service('sb')],
            [fakes.instance('a'), fakes.instance('b')])
        # What the hook had done when the LPAR was deactivated.
        self.at_fencing = []
        real = zhmcclient.Lpar.deactivate

        def deactivate(lpar, *args, **kwargs):
            self.at_fencing.append((lpar.name, list(self.nova.evacuated),
                                    list(self.nova.reasons)))
            return real(lpar, *args, **kwargs)
        self.useFixture(fixtures.MonkeyPatch(
            'zhmcclient.Lpar.deactivate', deactivate))
        self.hook = hook_mod.Hook(
            self.nova, self.fencer,
            coordination_url='file://%s/locks' % tmp,
            state_dir=os.path.join(tmp, 'state'), partners={'lpar1': 'sb'},
            poll_interval=0.01)
        self.now = [0.0]
        self.log = self.useFixture(fixtures.FakeLogger(
            level=logging.INFO, format='%(levelname)s %(message)s'))

    def watcher(self, grace_period=3600, **kwargs):
        return watch.Watcher(self.hook, grace_period=grace_period,
                             poll_interval=0.01, clock=lambda: self.now[0],
                             hmc_reader=self.reader, **kwargs)

    def status(self, lpar):
        return self.lpars[lpar].properties['status']

    def lines(self, level):
        return [line for line in self.log.output.splitlines()
                if line.startswith(level)]

    def test_an_hmc_failed_host_is_fenced_and_evacuated_at_once(self):
        watcher = self.watcher()
        self.lpars['KVMH01'].properties['status'] = 'not-operating'
        # Nova still shows lpar1 up; grace_period is an hour.
        self.assertEqual({}, watcher.poll_hmc())
        self.assertEqual([], watcher.run_once())  # seen once: not yet
        self.assertEqual([], self.at_fencing)
        self.assertIn('lpar1', watcher.poll_hmc())
        self.assertEqual(['lpar1'], watcher.run_once())
        # Fenced before any change, then forced down, then evacuated.
        self.assertEqual([('KVMH01', [], [])], self.at_fencing)
        self.assertEqual('not-activated', self.status('KVMH01'))
        svc = self.nova._services['lpar1']
        self.assertEqual((False, True, True), (svc.up, svc.forced_down,
                                               svc.disabled))
        self.assertTrue(svc.disabled_reason.startswith('zha-evacuate: done'))
        self.assertEqual([('a', 'sb'), ('b', 'sb')],
                         sorted(self.nova.evacuated))
        self.assertEqual(0, self.now[0])
        self.assertIn('WARNING Evacuating lpar1: the HMC reports it failed: '
                      'LPAR KVMH01 on CPC Z1 is not-operating',
                      self.log.output)
        self.assertIn('The HMC reports lpar1 failed: the mass-failure brake '
                      'does not apply.', self.log.output)
        # Done: fenced (still "failed" on the HMC) but never run again.
        watcher.poll_hmc()
        self.assertEqual([], watcher.run_once())
        self.assertEqual(1, len(self.at_fencing))
        self.assertEqual('operating', self.status('KVMH02'))

    def test_a_failed_cpc_evacuates_its_hosts_unbraked(self):
        self.session.hmc.cpcs.lookup_by_oid('Z1').properties['status'] = (
            'no-power')
        self.nova._services['lpar2'].up = False  # 2 of 3 down in Nova
        watcher = self.watcher()
        watcher.poll_hmc()
        watcher.poll_hmc()
        self.assertEqual(['lpar1', 'lpar2'], watcher.run_once())
        # Nothing runs on a CPC without power: fenced without deactivating.
        self.assertEqual([], self.at_fencing)
        for host in ('lpar1', 'lpar2'):
            self.assertIn('Host %s is on CPC Z1, which is no-power' % host,
                          self.log.output)
        self.assertEqual([], self.lines('ERROR'))

    def test_a_heartbeat_failure_is_still_fenced_first_and_braked(self):
        # The hypervisor hangs; its LPAR keeps operating.
        self.nova._services['lpar1'].up = False
        watcher = self.watcher(grace_period=60)
        watcher.poll_hmc()
        watcher.poll_hmc()
        self.assertEqual([], watcher.run_once())
        self.now[0] = 60
        self.nova._services['lpar2'].up = False  # 2 of 3: the brake
        self.assertEqual([], watcher.run_once())
        (error,) = self.lines('ERROR')
        self.assertIn('Not evacuating lpar1 (heartbeat failure): 2 of 3 '
                      'nova-compute services are down', error)
        self.assertEqual(([], []), (self.at_fencing, self.nova.evacuated))
        self.nova._services['lpar2'].up = True
        self.assertEqual(['lpar1'], watcher.run_once())
        self.assertEqual([('KVMH01', [], [])], self.at_fencing)
        self.assertEqual('not-activated', self.status('KVMH01'))
        self.assertEqual(2, len(self.nova.evacuated))
        self.assertIn('WARNING Evacuating lpar1: Nova reports its '
                      'nova-compute down for grace_period (60 s)',
                      self.log.output)

    def test_an_unreachable_hmc_leaves_the_heartbeat_logged_once(self):
        self.lpars['KVMH01'].properties['status'] = 'not-operating'
        watcher = self.watcher(grace_period=0)
        watcher.poll_hmc()
        self.session.hmc.disable()
        for _ in range(3):
            self.assertEqual({}, watcher.poll_hmc())
        (error,) = self.lines('ERROR')
        self.assertEqual(
            "ERROR Cannot read the LPAR statuses on the HMC, detecting "
            "failures by Nova's heartbeat only: HMC hmc.example.com is "
            "unreachable: HMC is not enabled. (logged again when it changes "
            "or is resolved)", error)
        self.assertNotIn('Traceback', self.log.output)
        # The seen-once failure is forgotten: nothing is due from the HMC.
        self.assertEqual({}, watcher.detector.hmc_failed())
        self.hook.recover = mock.Mock(side_effect=RuntimeError('HMC down'))
        watcher.run_once()
        self.hook.recover.assert_not_called()
        # Nova's heartbeat still works (fencing needs the HMC back, though).
        self.nova._services['lpar1'].up = False
        watcher.run_once()
        self.hook.recover.assert_called_once_with(
            {'lpar1': False}, hmc_failed=set(), proceed=watcher.leads)
        self.session.hmc.enable()
        watcher.poll_hmc()
        watcher.poll_hmc()
        (resolved,) = self.lines('INFO Resolved')
        self.assertIn('Resolved: the HMC answers again', resolved)
        self.assertEqual(2, len(self.lines('ERROR')))  # and 'HMC down'
        self.assertEqual('hmc', watcher.detector.due(
            self.nova.services())[0][0].cause)

    def test_an_lpar_missing_on_the_hmc_is_logged_once(self):
        self.lpars['KVMH02'].manager.remove(self.lpars['KVMH02'].oid)
        watcher = self.watcher()
        for _ in range(3):
            watcher.poll_hmc()
        (error,) = self.lines('ERROR')
        self.assertIn('The HMC cannot tell whether host lpar2 failed: no '
                      'LPAR KVMH02 on CPC Z1 of HMC hmc.example.com', error)
        self.assertEqual([], watcher.run_once())

    def test_run_forever_acts_on_an_hmc_failure_without_waiting(self):
        # The service loop polls every hour: only the HMC thread's wake-up
        # can start the evacuation.
        watcher = watch.Watcher(self.hook, grace_period=3600,
                                poll_interval=3600, hmc_reader=self.reader,
                                hmc_poll_interval=0.01)
        stop = threading.Event()
        real = self.hook.recover
        ran = []

        def recover(failures, **kwargs):
            ran.extend(failures.items())
            try:
                return real(failures, **kwargs)
            finally:
                stop.set()
        self.hook.recover = recover
        logoff = mock.patch.object(self.session, 'logoff',
                                   wraps=self.session.logoff).start()
        self.addCleanup(mock.patch.stopall)
        thread = threading.Thread(target=watcher.run_forever, args=(stop,))
        thread.start()
        self.lpars['KVMH01'].properties['status'] = 'not-operating'
        # A guard against a hang, not a timing assertion.
        thread.join(120)
        self.assertFalse(thread.is_alive())
        self.assertEqual([('lpar1', True)], ran)
        self.assertEqual(2, len(self.nova.evacuated))
        # The reader logged off once its thread ended (the fencer's own
        # session logs off after fencing).
        self.assertGreaterEqual(logoff.call_count, 2)
