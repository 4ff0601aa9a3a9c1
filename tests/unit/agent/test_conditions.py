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

"""Unit tests for zha_scheduler.agent.conditions."""

import logging

import fixtures
from oslo_log import log as oslo_logging
from oslotest import base

from zha_scheduler.agent import conditions

NAME = 'zha_scheduler.agent.test'
LOG = oslo_logging.getLogger(NAME)


class ConditionLogTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            name=NAME, level=logging.DEBUG,
            format='%(levelname)s %(message)s'))
        self.conditions = conditions.ConditionLog()

    def lines(self):
        return self.log.output.splitlines()

    def cycle(self, *reports):
        with self.conditions.cycle():
            for report in reports:
                report()

    def test_outside_a_cycle_every_report_is_logged(self):
        conditions.warning(LOG, 'cannot read %s', '/proc/sysinfo')
        conditions.warning(LOG, 'cannot read %s', '/proc/sysinfo')
        self.assertEqual(['WARNING cannot read /proc/sysinfo'] * 2,
                         self.lines())

    def test_logged_when_it_starts_and_when_it_ends(self):
        def report():
            conditions.warning(LOG, 'cannot read %(file)s',
                               {'file': '/proc/sysinfo'})
        self.cycle(report)
        self.cycle(report, report)
        self.cycle(report)
        self.assertEqual(['/proc/sysinfo'], [
            t.split()[-1] for t in self.conditions.active])
        self.cycle()
        self.cycle()
        self.assertEqual([
            'WARNING cannot read /proc/sysinfo',
            'DEBUG Still: cannot read /proc/sysinfo',
            'DEBUG Still: cannot read /proc/sysinfo',
            'DEBUG Still: cannot read /proc/sysinfo',
            'INFO Resolved: cannot read /proc/sysinfo'], self.lines())
        self.assertEqual([], self.conditions.active)

    def test_resolved_text(self):
        self.cycle(lambda: conditions.error(
            LOG, 'bad groups file', resolved='groups file valid again'))
        self.cycle()
        self.assertEqual(['ERROR bad groups file',
                          'INFO groups file valid again'], self.lines())

    def test_another_text_is_another_condition(self):
        self.cycle(lambda: conditions.warning(LOG, 'cannot read: %s', 'EIO'))
        self.cycle(lambda: conditions.warning(LOG, 'cannot read: %s',
                                              'EACCES'))
        self.assertEqual(['WARNING cannot read: EIO',
                          'WARNING cannot read: EACCES',
                          'INFO Resolved: cannot read: EIO'], self.lines())

    def test_a_cycle_cut_short_resolves_nothing(self):
        def fail():
            raise RuntimeError('Placement is down')
        self.cycle(lambda: conditions.warning(LOG, 'no bond'))
        self.assertRaises(RuntimeError, self.cycle, fail)
        self.cycle(lambda: conditions.warning(LOG, 'no bond'))
        self.assertEqual(['WARNING no bond', 'DEBUG Still: no bond'],
                         self.lines())

    def test_first_report_keeps_the_traceback(self):
        def crash():
            try:
                raise ValueError('boom')
            except ValueError as e:
                conditions.error(LOG, 'probe failed: %s', e, exc_info=True)
        self.cycle(crash)
        self.cycle(crash)
        output = self.log.output
        self.assertEqual(1, output.count('Traceback'))
        self.assertIn('DEBUG Still: probe failed: boom', output)

    def test_percent_in_arguments(self):
        self.cycle(lambda: conditions.warning(LOG, 'value %r', '100%s'))
        self.cycle()
        self.assertEqual(["WARNING value '100%s'",
                          "INFO Resolved: value '100%s'"], self.lines())
