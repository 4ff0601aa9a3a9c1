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
from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import hook as hook_mod
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
        self.assertIn('Not evacuating lpar1: cannot read state file %s'
                      % path, error)
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
        self.hook.run = mock.Mock(side_effect=errors)
        for _ in errors:
            self.watcher.run_once()
        self.assertEqual(2, len(self.lines('ERROR')))
        self.assertEqual(2, self.log.output.count('Traceback'))
        self.assertIn('Not evacuating lpar1: bug one', self.lines('ERROR')[0])
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
