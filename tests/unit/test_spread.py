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

"""Unit tests for zha_scheduler.spread."""

from nova import objects
from nova import test

from tests.unit import zha_fakes
from zha_scheduler import spread

LOGGER = 'zha_scheduler.spread'


def _spec(**hints):
    return zha_fakes.request_spec(
        hints={k: v if isinstance(v, list) else [v] for k, v in hints.items()})


class SpreadTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.flags(spread_domain='site', max_skew=2, group='zha_scheduler')

    def test_spread_domain_default_from_config(self):
        self.assertEqual('site', spread.spread_domain(_spec()))

    def test_spread_domain_without_any_hints(self):
        spec = objects.RequestSpec(scheduler_hints=None)
        self.assertEqual('site', spread.spread_domain(spec))
        self.assertEqual(2, spread.max_skew(spec))

    def test_spread_domain_hint(self):
        for value, expected in (('lpar', 'lpar'), ('cpc', 'cpc'),
                                ('site', 'site'), ('CPC', 'cpc'),
                                (' Lpar ', 'lpar'), ('\tcpc\n', 'cpc')):
            with self.assertNoLogs(LOGGER, 'WARNING'):
                self.assertEqual(
                    expected,
                    spread.spread_domain(_spec(zha_spread_domain=value)),
                    value)

    def test_invalid_spread_domain_hint_uses_config_with_warning(self):
        for value in ('rack', '', 'cpcs', '0', ['cpc', 'lpar'], []):
            with self.assertLogs(LOGGER, 'WARNING') as logs:
                self.assertEqual(
                    'site',
                    spread.spread_domain(_spec(zha_spread_domain=value)))
            self.assertIn('zha_spread_domain', logs.records[0].getMessage())
            self.assertIn('site', logs.records[0].getMessage())

    def test_max_skew_default_from_config(self):
        self.assertEqual(2, spread.max_skew(_spec()))

    def test_max_skew_hint(self):
        for value, expected in (('1', 1), ('3', 3), (' 4 ', 4), ('12', 12)):
            with self.assertNoLogs(LOGGER, 'WARNING'):
                self.assertEqual(
                    expected, spread.max_skew(_spec(zha_max_skew=value)),
                    value)

    def test_invalid_max_skew_hint_uses_config_with_warning(self):
        for value in ('0', '-1', 'abc', '2.5', '', 'one', ['1', '3'], []):
            with self.assertLogs(LOGGER, 'WARNING') as logs:
                self.assertEqual(
                    2, spread.max_skew(_spec(zha_max_skew=value)), value)
            self.assertIn('zha_max_skew', logs.records[0].getMessage())

    def test_non_string_hints(self):
        class Spec:
            def __init__(self, value):
                self.value = value

            def get_scheduler_hint(self, name, default=None):
                return self.value

        self.assertEqual(5, spread.max_skew(Spec(5)))
        with self.assertLogs(LOGGER, 'WARNING'):
            self.assertEqual(2, spread.max_skew(Spec(0)))
        with self.assertLogs(LOGGER, 'WARNING'):
            self.assertEqual(2, spread.max_skew(Spec({'skew': 3})))
        with self.assertLogs(LOGGER, 'WARNING'):
            self.assertEqual('site', spread.spread_domain(Spec(7)))

    def test_group_policy(self):
        for policy in ('anti-affinity', 'soft-anti-affinity', 'affinity',
                       'soft-affinity'):
            self.assertEqual(
                policy,
                spread.group_policy(zha_fakes.request_spec(policy=policy)))

    def test_group_policy_without_group(self):
        self.assertIsNone(spread.group_policy(zha_fakes.request_spec(None)))
        self.assertIsNone(spread.group_policy(object()))

    def test_group_policy_without_policy(self):
        spec = zha_fakes.request_spec()
        spec.instance_group = objects.InstanceGroup(members=[])
        self.assertIsNone(spread.group_policy(spec))


class GroupSpreadTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.cloud = zha_fakes.Cloud()
        for host, cpc, site in (('a1', 'A', 'DC1'), ('a2', 'A', 'DC1'),
                                ('b1', 'B', 'DC1'), ('c1', 'C', 'DC2')):
            self.cloud.add(host, cpc=cpc, site=site, node=host + '.node')
        self.cloud.add('u1', node='u1.node')
        self.reader = zha_fakes.RecordingReader([
            self.cloud.member('m1', 'a1'), self.cloud.member('m2', 'a2'),
            self.cloud.member('m3', 'c1'), self.cloud.member('m4', 'u1'),
            self.cloud.member('m5', 'u1')])
        self.zha = self.useFixture(
            zha_fakes.ZhaFixture(self.cloud.client(), self.reader))
        self.spec = zha_fakes.request_spec(
            group_hosts=['a1', 'a2', 'c1', 'u1'],
            member_names=['m1', 'm2', 'm3', 'm4', 'm5'])

    def test_counts_per_cpc(self):
        counts = spread.group_spread(self.spec, self.cloud.hosts, 'cpc')
        self.assertEqual({'A': 2, 'C': 1}, dict(counts.domain_counts))
        self.assertEqual({'a1': 1, 'a2': 1, 'c1': 1, 'u1': 2},
                         dict(counts.host_counts))

    def test_one_count_per_pass_shared_by_filter_and_weigher(self):
        counts = spread.group_spread(self.spec, self.cloud.hosts, 'cpc')
        self.assertIs(counts, spread.group_spread(
            self.spec, self.cloud.hosts[:2], 'cpc'))
        self.assertIsNot(counts, spread.group_spread(
            self.spec, self.cloud.hosts, 'site'))
        # The next pass: Nova appends the pick, then sets the next member.
        self.spec.instance_group.hosts.append('b1')
        picked = spread.group_spread(self.spec, self.cloud.hosts, 'cpc')
        self.assertEqual({'A': 2, 'B': 1, 'C': 1}, dict(picked.domain_counts))
        self.spec.instance_uuid = zha_fakes.instance_uuid('next')
        self.assertIsNot(picked, spread.group_spread(
            self.spec, self.cloud.hosts, 'cpc'))
        # Another request, even with equal contents, is counted anew.
        self.assertIsNot(counts, spread.group_spread(
            zha_fakes.request_spec(group_hosts=['a1', 'a2', 'c1', 'u1'],
                                   member_names=['m1', 'm2', 'm3', 'm4',
                                                 'm5']),
            self.cloud.hosts, 'cpc'))

    def test_counts_per_site(self):
        counts = spread.group_spread(self.spec, self.cloud.hosts, 'site')
        self.assertEqual({'DC1': 2, 'DC2': 1}, dict(counts.domain_counts))

    def test_counts_per_lpar(self):
        counts = spread.group_spread(self.spec, self.cloud.hosts, 'lpar')
        self.assertEqual({'a1': 1, 'a2': 1, 'c1': 1, 'u1': 2},
                         dict(counts.domain_counts))

    def test_domains_and_counts_for(self):
        counts = spread.group_spread(self.spec, self.cloud.hosts, 'cpc')
        hosts = [self.cloud[name] for name in ('a2', 'b1', 'u1')]
        self.assertEqual(['A', 'B', None], counts.domains_of(hosts))
        self.assertEqual([2, 0, 2], counts.counts_for(
            hosts, counts.domains_of(hosts)))

    def test_lpar_domain_is_the_host(self):
        counts = spread.group_spread(self.spec, self.cloud.hosts, 'lpar')
        hosts = [self.cloud['u1']]
        self.assertEqual(['u1'], counts.domains_of(hosts))
        self.assertEqual([2], counts.counts_for(hosts, ['u1']))

    def test_members_on_hosts_that_are_not_candidates_are_counted(self):
        counts = spread.group_spread(
            self.spec, [self.cloud['b1']], 'cpc')
        self.assertEqual({'A': 2, 'C': 1}, dict(counts.domain_counts))

    def test_in_request_picks_are_counted(self):
        self.reader.placed = []
        spec = zha_fakes.request_spec(group_hosts=['b1', 'c1'],
                                      member_names=['new', 'new2', 'new3'])
        counts = spread.group_spread(spec, self.cloud.hosts, 'cpc')
        self.assertEqual({'B': 1, 'C': 1}, dict(counts.domain_counts))

    def test_in_request_pick_not_among_candidates_is_counted(self):
        self.reader.placed = []
        spec = zha_fakes.request_spec(member_names=['new', 'new2'])
        spread.group_spread(spec, self.cloud.hosts, 'cpc')
        # Nova picked a1 for the first instance, then removed it from the
        # candidates of the second (ServerGroupAntiAffinityFilter).
        spec.instance_uuid = zha_fakes.instance_uuid('new2')
        spec.instance_group.hosts.append('a1')
        candidates = [h for h in self.cloud.hosts if h.host != 'a1']
        counts = spread.group_spread(spec, candidates, 'cpc')
        self.assertEqual({'A': 1}, dict(counts.domain_counts))


class SpreadRuleTest(test.NoDBTestCase):

    def _rule(self, counts, skew=1, remaining=1):
        return spread.spread_rule(counts, skew, remaining)

    def test_single_member_is_the_kubernetes_rule(self):
        rule = self._rule([2, 1, 1])
        self.assertEqual({1}, rule.allowed_counts)
        self.assertTrue(rule.unknown_allowed)
        self.assertEqual({1, 2}, self._rule([2, 1, 1], skew=2).allowed_counts)

    def test_balanced_group_admits_every_domain(self):
        self.assertEqual({1}, self._rule([1, 1, 1]).allowed_counts)

    def test_multi_create_admits_a_domain_the_rest_can_balance(self):
        # 3 CPCs, a multi-create of 6 that has put 1 member on the first:
        # the first may take another, the other 4 balance it.
        rule = self._rule([1, 0, 0], remaining=5)
        self.assertEqual({0, 1}, rule.allowed_counts)
        self.assertTrue(rule.unknown_allowed)

    def test_multi_create_turns_away_a_domain_the_rest_cannot_balance(self):
        rule = self._rule([2, 0, 0], remaining=4)
        self.assertEqual({0}, rule.allowed_counts)

    def test_unknown_hosts_wait_while_the_request_must_balance(self):
        # Two members still to place, both needed by the empty domains.
        rule = self._rule([2, 0, 0], remaining=2)
        self.assertEqual({0}, rule.allowed_counts)
        self.assertFalse(rule.unknown_allowed)

    def test_group_beyond_repair_falls_back_to_the_kubernetes_rule(self):
        rule = self._rule([3, 1, 1])
        self.assertEqual({1}, rule.allowed_counts)
        self.assertTrue(rule.unknown_allowed)

    def test_no_eligible_domain(self):
        rule = self._rule([])
        self.assertEqual(frozenset(), rule.allowed_counts)
        self.assertTrue(rule.unknown_allowed)

    def test_a_turned_away_domain_stays_turned_away(self):
        # Nova narrows the hosts of a multi-create to those that passed for
        # the previous member: a rejection must not be undone later.
        counts, remaining = [0, 0, 0, 0], 9
        rejected = set()
        for _ in range(remaining):
            rule = self._rule(counts, remaining=remaining)
            allowed = {i for i, c in enumerate(counts)
                       if c in rule.allowed_counts}
            self.assertFalse(allowed & rejected)
            rejected |= set(range(len(counts))) - allowed
            # Pack: the fullest allowed domain takes the member.
            chosen = max(allowed, key=lambda i: counts[i])
            counts[chosen] += 1
            remaining -= 1
        self.assertLessEqual(max(counts) - min(counts), 1)
