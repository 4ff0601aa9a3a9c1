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

"""Unit tests for zha_scheduler.agent.health."""

from oslotest import base

from zha_scheduler.agent import health
from zha_scheduler import topology


class ThreeValuedLogicTest(base.BaseTestCase):

    def test_all3(self):
        self.assertIs(True, health.all3([True, True]))
        self.assertIs(True, health.all3([]))
        self.assertIsNone(health.all3([True, None]))
        self.assertIs(False, health.all3([None, False, True]))

    def test_any3(self):
        self.assertIs(False, health.any3([]))
        self.assertIs(False, health.any3([False, False]))
        self.assertIsNone(health.any3([False, None]))
        self.assertIs(True, health.any3([None, True, False]))


class PairVerdictTest(base.BaseTestCase):

    @staticmethod
    def verdict(members):
        # members: (up, adapter); adapters None are unknown.
        def independent(a, b):
            if a[1] is None or b[1] is None:
                return None
            return a[1] != b[1]
        return health.pair_verdict(members, lambda m: m[0], independent)

    def test_two_up_distinct(self):
        self.assertIs(True, self.verdict([(True, 'F4'), (True, 'F5')]))

    def test_two_up_same(self):
        self.assertIs(False, self.verdict([(True, 'F4'), (True, 'F4')]))

    def test_one_down(self):
        self.assertIs(False, self.verdict([(True, 'F4'), (False, 'F5')]))

    def test_single_and_none(self):
        self.assertIs(False, self.verdict([(True, 'F4')]))
        self.assertIs(False, self.verdict([]))

    def test_unknown_adapter(self):
        self.assertIsNone(self.verdict([(True, 'F4'), (True, None)]))

    def test_unknown_status(self):
        self.assertIsNone(self.verdict([(True, 'F4'), (None, 'F5')]))

    def test_unknown_status_on_same_adapter_is_still_degraded(self):
        self.assertIs(False, self.verdict([(True, 'F4'), (None, 'F4')]))

    def test_proven_pair_wins_over_unknown(self):
        self.assertIs(True, self.verdict(
            [(True, 'F4'), (None, None), (True, 'F5')]))


class StateTest(base.BaseTestCase):

    def test_state(self):
        self.assertEqual(topology.REDUNDANT, health.state(True))
        self.assertEqual(topology.DEGRADED, health.state(False))
        self.assertIsNone(health.state(None))

    def test_combine(self):
        R, D = topology.REDUNDANT, topology.DEGRADED
        self.assertEqual(R, health.combine([R, R]))
        self.assertEqual(D, health.combine([R, D]))
        self.assertEqual(D, health.combine([None, D]))
        self.assertIsNone(health.combine([R, None]))
