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

"""Unit tests of the simulation's recovery helpers: HMC, config, timeline."""

import os

import fixtures
from oslotest import base

from zha_scheduler.clients import hmc
from zha_scheduler.sim import cloud
from zha_scheduler.sim import recovery

HOSTS = [cloud.SimHost('cpc1-lpar1', 'Z1'), cloud.SimHost('cpc1-lpar2', 'Z1'),
         cloud.SimHost('cpc2-lpar1', 'Z2')]


class FakedHmcTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.hmc = recovery.FakedHmc(HOSTS)
        self.lpars_file = self.hmc.write_lpars_file(
            os.path.join(self.tmp, 'lpars.yaml'))

    def reader(self):
        conf = recovery.load_config(recovery.write_config(
            os.path.join(self.tmp, 'zha-evacuate.conf'),
            coordination_url='file://%s' % self.tmp,
            state_dir=os.path.join(self.tmp, 'state'),
            lpars_file=self.lpars_file))
        return hmc.StatusReader(hmc.HmcSettings.from_conf(conf),
                                session_factory=self.hmc.session_factory)

    def test_the_status_reader_sees_lpar_and_cpc_failures(self):
        reader = self.reader()
        self.assertEqual({None}, {s.failure()
                                  for s in reader.read_hosts().values()})
        self.hmc.set_lpar_status('cpc1-lpar1', 'not-operating')
        failed = {h: s.failure() for h, s in reader.read_hosts().items()
                  if s.failure()}
        self.assertEqual(['cpc1-lpar1'], list(failed))
        self.assertIn('LPAR CPC1LPAR1 on CPC Z1 is not-operating',
                      failed['cpc1-lpar1'])
        self.hmc.set_cpc_status('Z1', 'no-power')
        self.assertEqual({'cpc1-lpar1', 'cpc1-lpar2'}, {
            h for h, s in reader.read_hosts().items() if s.failure()})

    def test_lpars_file(self):
        with open(self.lpars_file) as f:
            self.assertEqual(['cpc1-lpar1: {cpc: Z1, lpar: CPC1LPAR1}',
                              'cpc1-lpar2: {cpc: Z1, lpar: CPC1LPAR2}',
                              'cpc2-lpar1: {cpc: Z2, lpar: CPC2LPAR1}'],
                             f.read().splitlines())

    def test_a_host_without_cpc_is_refused(self):
        self.assertRaises(ValueError, recovery.FakedHmc,
                          [cloud.SimHost('lpar1')])


class ConfigTest(base.BaseTestCase):

    def test_defaults_unless_overridden(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = recovery.write_config(
            os.path.join(tmp, 'zha-evacuate.conf'),
            coordination_url='redis://127.0.0.1:6379',
            state_dir=os.path.join(tmp, 'state'),
            lpars_file=os.path.join(tmp, 'lpars.yaml'), poll_interval=0.5)
        group = recovery.load_config(path).zha_evacuate
        self.assertEqual(('hmc', recovery.HMC_HOST, 'redis://127.0.0.1:6379'),
                         (group.fencing, group.hmc_host,
                          group.coordination_url))
        self.assertEqual((2.0, 0.5, 3, 60),
                         (group.hmc_poll_interval, group.poll_interval,
                          group.max_parallel, group.grace_period))


class StepsTest(base.BaseTestCase):

    def test_steps_from_the_failure(self):
        now = [0.0]
        timeline = recovery.Timeline(clock=lambda: now[0])

        def at(seconds, what, who='', detail=''):
            now[0] = 100.0 + seconds
            timeline.mark(what, who, detail)
        at(-0.5, recovery.LEADS, 'a')  # before the failure: not a step
        at(-0.2, recovery.CRASHED, 'a')
        at(0.0, recovery.FAILED, detail='CPC Z1 no-power')
        at(3.0, recovery.DETECTED, 'b', 'cpc1-lpar1: CPC Z1 is no-power')
        at(3.0, recovery.DETECTED, 'b', 'cpc1-lpar2: CPC Z1 is no-power')
        at(3.4, recovery.DETECTED, 'c', 'cpc1-lpar1: CPC Z1 is no-power')
        at(10.5, recovery.LEADS, 'b')
        at(11.0, recovery.FENCED, 'b', 'cpc1-lpar1: none')
        at(11.1, recovery.FORCED_DOWN, 'b', 'cpc1-lpar1')
        at(11.2, recovery.FENCED, 'b', 'cpc1-lpar2: none')
        at(11.3, recovery.FORCED_DOWN, 'b', 'cpc1-lpar2')
        for seconds, guest in ((12.0, 'g1'), (12.1, 'g2'), (15.0, 'g1'),
                               (20.0, 'g3')):
            at(seconds, recovery.REQUESTED, 'b', guest)
        at(22.5, recovery.ACTIVE, detail='3 guest(s) ACTIVE')
        steps = [(round(s.seconds, 1), s.what, s.detail)
                 for s in recovery.steps(timeline)]
        self.assertEqual([
            (-0.2, 'leader crashed', 'a stops without leaving the election'),
            (0.0, 'failed on the HMC', 'CPC Z1 no-power'),
            (3.0, 'detected', 'cpc1-lpar1, cpc1-lpar2 by b'),
            (10.5, 'leads', 'b takes the lead'),
            (11.0, 'fenced', 'cpc1-lpar1: none'),
            (11.1, 'forced down', 'cpc1-lpar1'),
            (11.2, 'fenced', 'cpc1-lpar2: none'),
            (11.3, 'forced down', 'cpc1-lpar2'),
            (12.0, 'first evacuation requested',
             '4 request(s) for 3 guest(s) by b'),
            (20.0, 'last evacuation requested', ''),
            (22.5, 'all ACTIVE', '3 guest(s) ACTIVE')], steps)
        self.assertEqual(22.5, round(timeline.seconds(
            timeline.last(recovery.ACTIVE)), 1))

    def test_no_failure_no_steps(self):
        timeline = recovery.Timeline()
        timeline.mark(recovery.LEADS, 'a')
        self.assertEqual([], recovery.steps(timeline))
        self.assertIsNone(timeline.seconds(timeline.first(recovery.LEADS)))
