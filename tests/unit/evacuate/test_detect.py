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

"""Unit tests for zha_scheduler.evacuate.detect."""

from oslotest import base

from tests.unit.evacuate import fakes
from zha_scheduler.clients import hmc
from zha_scheduler.evacuate import detect


def lpar(status, cpc_status='operating', mode=hmc.CLASSIC):
    return hmc.LparStatus('Z1', 'KVM', mode, status, cpc_status)


class DetectorTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.now = [0.0]
        self.detector = detect.Detector(60, clock=lambda: self.now[0])
        self.services = [fakes.service('lpar1'), fakes.service('lpar2'),
                         fakes.service('lpar3')]

    def poll(self, **statuses):
        return self.detector.observe_hmc(
            {host: s if isinstance(s, hmc.LparStatus) else lpar(s)
             for host, s in statuses.items()})

    def due(self):
        return self.detector.due(self.services)[0]

    def test_hmc_failure_is_due_after_two_polls_even_if_nova_says_up(self):
        self.assertEqual({}, self.poll(lpar1='not-operating',
                                       lpar2='operating'))
        self.assertEqual([], self.due())
        confirmed = self.poll(lpar1='not-operating', lpar2='operating')
        self.assertEqual(['lpar1'], list(confirmed))
        (due,) = self.due()
        self.assertEqual(('lpar1', 'hmc', True),
                         (due.host, due.cause, due.confirmed))
        self.assertEqual(
            'the HMC reports it failed: LPAR KVM on CPC Z1 is not-operating: '
            'all its processors are stopped (the hypervisor crashed into a '
            'wait state or halted)', due.reason)
        # Confirmed once: later polls do not announce it again.
        self.assertEqual({}, self.poll(lpar1='not-operating'))
        self.assertEqual(['lpar1'], [d.host for d in self.due()])

    def test_a_failed_status_seen_once_is_a_transition(self):
        self.poll(lpar1='not-operating')  # e.g. a re-IPL's reset
        self.poll(lpar1='operating')
        self.poll(lpar1='not-operating')
        self.assertEqual([], self.due())
        self.assertEqual({}, self.detector.hmc_failed())

    def test_no_hmc_answer_forgets_what_it_said(self):
        self.poll(lpar1='not-activated')
        self.poll(lpar1='not-activated')
        self.assertEqual(['lpar1'], list(self.detector.hmc_failed()))
        self.assertEqual({}, self.detector.observe_hmc(None))
        self.assertEqual([], self.due())
        self.poll(lpar1='not-activated')
        self.assertEqual([], self.due())
        self.poll(lpar1='not-activated')
        self.assertEqual(['lpar1'], [d.host for d in self.due()])

    def test_a_failed_cpc_fails_its_lpars(self):
        down = lpar(None, cpc_status='no-power', mode=None)
        self.poll(lpar1=down, lpar2=down, lpar3='operating')
        self.poll(lpar1=down, lpar2=down, lpar3='operating')
        self.assertEqual([('lpar1', 'hmc'), ('lpar2', 'hmc')],
                         [(d.host, d.cause) for d in self.due()])

    def test_unknown_and_running_statuses_are_not_failures(self):
        for status in ('exceptions', 'operating', None):
            self.poll(lpar1=status)
            self.poll(lpar1=status)
        for status in ('paused', 'status-check', 'degraded', 'starting'):
            self.poll(lpar1=lpar(status, 'active', hmc.DPM))
            self.poll(lpar1=lpar(status, 'active', hmc.DPM))
        self.assertEqual([], self.due())

    def test_heartbeat_failure_is_due_after_the_grace_period(self):
        self.services[1].up = False
        self.poll(lpar2='operating')  # a hung hypervisor
        self.poll(lpar2='operating')
        self.assertEqual([], self.due())
        self.now[0] = 59
        self.assertEqual([], self.due())
        self.now[0] = 60
        (due,) = self.due()
        self.assertEqual(('lpar2', 'heartbeat', False),
                         (due.host, due.cause, due.confirmed))
        self.assertIn('down for grace_period (60 s)', due.reason)

    def test_hmc_failures_come_first_and_up_again_is_reported(self):
        self.services[0].up = False
        terminated = lpar('terminated', 'active', hmc.DPM)
        self.poll(lpar3=terminated)
        self.detector.due(self.services)
        self.now[0] = 61
        self.poll(lpar3=terminated)
        self.assertEqual([('lpar3', 'hmc'), ('lpar1', 'heartbeat')],
                         [(d.host, d.cause) for d in self.due()])
        self.services[0].up = True
        due, back = self.detector.due(self.services)
        self.assertEqual((['lpar3'], ['lpar1']),
                         ([d.host for d in due], back))
        self.assertEqual({}, self.detector.down_since)

    def test_a_host_marked_done_is_not_due_again(self):
        self.services[0] = fakes.service(
            'lpar1', up=False, disabled=True,
            reason='zha-evacuate: done 0123456789ab')
        self.poll(lpar1='not-activated')  # fenced by the run
        self.poll(lpar1='not-activated')
        self.now[0] = 3600
        self.assertEqual([], self.due())

    def test_an_incomplete_host_is_due_again(self):
        self.services[0] = fakes.service(
            'lpar1', up=False, disabled=True,
            reason='zha-evacuate: incomplete 0123456789ab (1 failed)')
        self.poll(lpar1='not-activated')
        self.poll(lpar1='not-activated')
        self.assertEqual([('lpar1', 'hmc')],
                         [(d.host, d.cause) for d in self.due()])

    def test_an_operator_disabled_host_waits_for_the_heartbeat(self):
        # Maintenance: a planned re-IPL or deactivation is not fenced at
        # once; a host still down after grace_period is evacuated.
        self.services[0] = fakes.service('lpar1', disabled=True,
                                         reason='firmware update')
        self.poll(lpar1='not-activated')
        self.poll(lpar1='not-activated')
        self.assertEqual([], self.due())
        self.services[0].up = False
        self.due()
        self.now[0] = 60
        self.assertEqual([('lpar1', 'heartbeat')],
                         [(d.host, d.cause) for d in self.due()])

    def test_a_drained_host_is_never_due(self):
        # zha-scheduler drain moved its instances away: its maintenance
        # (the LPAR deactivated, nova-compute stopped) is not a failure.
        self.services[0] = fakes.service(
            'lpar1', up=False, disabled=True,
            reason='zha-scheduler drain: maintenance since '
                   '2026-12-01T20:00:00Z')
        self.poll(lpar1='not-activated')
        self.poll(lpar1='not-activated')
        self.due()
        self.now[0] = 3600
        self.assertEqual([], self.due())

    def test_a_host_no_longer_in_lpars_file_is_forgotten(self):
        self.poll(lpar1='not-operating')
        self.poll(lpar2='not-operating')
        self.poll(lpar2='not-operating', lpar1='not-operating')
        self.assertEqual(['lpar2'], list(self.detector.hmc_failed()))

    def test_a_host_without_service_is_never_due(self):
        self.poll(ghost='not-operating')
        self.poll(ghost='not-operating')
        self.assertEqual(['ghost'], list(self.detector.hmc_failed()))
        self.assertEqual([], self.due())
