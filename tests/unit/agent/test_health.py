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

import itertools

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslotest import base

from zha_scheduler.agent import channel
from zha_scheduler.agent import health
from zha_scheduler import topology

SETTINGS = settings(max_examples=300, deadline=None, database=None)


def brute_force(members, usable, independent):
    """The definition: any3 over every pair of all3(usable, independent)."""
    return health.any3(
        health.all3((usable(a), usable(b), independent(a, b)))
        for a, b in itertools.combinations(members, 2))


# Members as (usable, chpid): within one probe the PCHID is a function of
# the CHPID (channel.Adapters), drawn here as a table.
USABLE = st.sampled_from([True, False, None])
CHPIDS = st.sampled_from([None, 'F4', 'F5', 'F6', '50'])
PCHIDS = st.fixed_dictionaries({c: st.sampled_from([None, '01c0', '01d0'])
                                for c in ('F4', 'F5', 'F6', '50')})


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
        return health.pair_verdict(
            members, lambda m: m[0],
            lambda m: None if m[1] is None else {m[1]})

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

    def test_unknown_domains_of_a_down_member_do_not_matter(self):
        self.assertIs(False, self.verdict([(True, 'F4'), (False, None)]))

    def test_member_without_domains_is_independent_of_all(self):
        self.assertIs(True, health.pair_verdict(
            [1, 2], lambda m: True, lambda m: set()))

    def test_ten_thousand_members(self):
        # Every slave up on one adapter but the last: linear, not 50
        # million pairs.
        members = [(True, 'F4')] * 9999 + [(True, 'F5')]
        self.assertIs(True, self.verdict(members))
        self.assertIs(False, self.verdict(members[:-1]))
        self.assertIsNone(self.verdict(members[:-1] + [(None, 'F5')]))

    @SETTINGS
    @given(st.lists(st.tuples(USABLE, CHPIDS), max_size=8), PCHIDS)
    def test_same_as_every_pair_of_adapters(self, members, pchids):
        # The network rule: channel.independent between adapters.
        adapters = [(up, channel.Adapter(c, pchids.get(c)))
                    for up, c in members]
        self.assertEqual(
            brute_force(adapters, lambda m: m[0], lambda a, b:
                        channel.independent(a[1], b[1])),
            health.pair_verdict(adapters, lambda m: m[0],
                                lambda m: channel.domains(m[1])))

    @SETTINGS
    @given(st.lists(st.tuples(USABLE, st.sampled_from(
        [None, '0.0.1900', '0.0.1940', '0.0.1980']), CHPIDS), max_size=8),
        PCHIDS)
    def test_same_as_every_pair_of_fcp_devices(self, members, pchids):
        # The storage rule: distinct FCP devices not on one known adapter.
        # An FCP device has one CHPID: the first of the member's is kept.
        chpid_of = {}
        for _up, hba, chpid in members:
            chpid_of.setdefault(hba, chpid)
        paths = [(up, hba, channel.Adapter(chpid_of[hba],
                                           pchids.get(chpid_of[hba])))
                 for up, hba, _chpid in members]

        def independent(a, b):
            if a[1] is None or b[1] is None:
                return None
            if a[1] == b[1]:
                return False
            return channel.independent(a[2], b[2]) is not False

        def domains(m):
            if m[1] is None:
                return None
            return {m[1]} | (channel.domains(m[2]) or set())

        self.assertEqual(
            brute_force(paths, lambda m: m[0], independent),
            health.pair_verdict(paths, lambda m: m[0], domains))


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
