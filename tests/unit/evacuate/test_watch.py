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

import threading
from unittest import mock

import fixtures
from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.evacuate import hook as hook_mod
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
