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

"""Unit tests for zha_scheduler.filters.failure_domain."""

from unittest import mock

from nova import objects
from nova.scheduler import filters as nova_filters
from nova.scheduler.filters import affinity_filter

from tests.unit import zha_fakes
from zha_scheduler.filters import failure_domain

LOGGER = 'zha_scheduler.filters.failure_domain'


class ZhaFailureDomainFilterTest(zha_fakes.FilterCase):
    """Cloud: CPC A (a1, a2) and B (b1, b2) in DC1, C (c1) in DC2, u1 bare."""

    def setUp(self):
        super().setUp()
        self.filt = failure_domain.ZhaFailureDomainFilter()
        self.cloud = zha_fakes.standard_cloud()
        self.client = self.cloud.client()
        self.reader = zha_fakes.RecordingReader()
        self.zha = self.useFixture(
            zha_fakes.ZhaFixture(self.client, self.reader))

    def _place(self, **placed):
        """Members ``name=host`` as the cell database reports them."""
        self.reader.placed = [self.cloud.member(name, host)
                              for name, host in sorted(placed.items())]
        return sorted(placed), sorted(set(placed.values()))

    def _spec(self, policy='anti-affinity', hints=None, extra_hosts=(),
              instance='new', **placed):
        names, hosts = self._place(**placed)
        return zha_fakes.request_spec(
            policy=policy, group_hosts=hosts + list(extra_hosts),
            member_names=names + [n for n in [instance] if n not in names],
            instance=instance,
            hints={k: [v] for k, v in (hints or {}).items()})

    def test_no_group_passes_every_host_without_reading(self):
        spec = zha_fakes.request_spec(policy=None)
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(spec))
        self.assertEqual([], self.client.calls)
        self.assertEqual([], self.reader.calls)

    def test_other_policies_pass_every_host(self):
        for policy in ('affinity', 'soft-affinity', 'soft-anti-affinity'):
            spec = self._spec(policy=policy, m1='a1', m2='b1', m3='c1',
                              m4='a2')
            self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                             self._passing(spec), policy)
        self.assertEqual([], self.client.calls)
        self.assertEqual([], self.reader.calls)

    def test_rebuild_passes_every_host(self):
        spec = self._spec(m1='a1')
        spec.scheduler_hints = {'_nova_check_type': ['rebuild']}
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(spec))
        self.assertEqual([], self.reader.calls)

    def test_rebuild_flags(self):
        self.assertFalse(self.filt.RUN_ON_REBUILD)
        self.assertFalse(self.filt.run_filter_once_per_request)

    def test_first_member_passes_everywhere(self):
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(self._spec()))

    def test_cpc_holding_a_member_is_rejected(self):
        spec = self._spec(m1='a1')
        self.assertEqual(['b1', 'b2', 'c1', 'u1'], self._passing(spec))

    def test_least_loaded_cpcs_pass(self):
        spec = self._spec(m1='a1', m2='b1')
        self.assertEqual(['c1', 'u1'], self._passing(spec))

    def test_floor_is_the_least_loaded_cpc(self):
        spec = self._spec(m1='a1', m2='a2', m3='b1', m4='c1')
        self.assertEqual(['b1', 'b2', 'c1', 'u1'], self._passing(spec))

    def test_every_cpc_equal_passes_all(self):
        spec = self._spec(m1='a1', m2='b2', m3='c1')
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(spec))

    def test_floor_counts_only_eligible_domains(self):
        spec = self._spec(m1='a1', m2='b1', m3='b2')
        candidates = [self.cloud[h] for h in ('a2', 'b1', 'b2')]
        self.assertEqual(['a2'], self._passing(spec, candidates))
        candidates = [self.cloud[h] for h in ('a2', 'b2', 'c1')]
        self.assertEqual(['c1'], self._passing(spec, candidates))

    def test_max_skew_from_config(self):
        self.flags(max_skew=2, group='zha_scheduler')
        spec = self._spec(m1='a1', m2='b1')
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(spec))
        spec = self._spec(m1='a1', m2='a2')
        self.assertEqual(['b1', 'b2', 'c1', 'u1'], self._passing(spec))

    def test_max_skew_hint_overrides_config(self):
        spec = self._spec(hints={'zha_max_skew': '3'}, m1='a1', m2='a2')
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(spec))

    def test_invalid_max_skew_hint_uses_config(self):
        spec = self._spec(hints={'zha_max_skew': '0'}, m1='a1')
        self.assertEqual(['b1', 'b2', 'c1', 'u1'], self._passing(spec))

    def test_site_level_from_config(self):
        self.flags(spread_domain='site', group='zha_scheduler')
        spec = self._spec(m1='a1')
        self.assertEqual(['c1', 'u1'], self._passing(spec))

    def test_site_level_from_hint(self):
        spec = self._spec(hints={'zha_spread_domain': 'site'},
                          m1='b2', m2='c1')
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(spec))
        spec = self._spec(hints={'zha_spread_domain': 'site'},
                          m1='b2', m2='c1', m3='a1')
        self.assertEqual(['c1', 'u1'], self._passing(spec))

    def test_lpar_level_from_hint(self):
        spec = self._spec(hints={'zha_spread_domain': 'lpar'}, m1='a1')
        self.assertEqual(['a2', 'b1', 'b2', 'c1', 'u1'], self._passing(spec))

    def test_lpar_level_counts_hosts_without_traits(self):
        self.flags(spread_domain='lpar', group='zha_scheduler')
        spec = self._spec(m1='u1', m2='a1', m3='a2', m4='b1', m5='b2')
        self.assertEqual(['c1'], self._passing(spec))

    def test_cpc_hint_overrides_config(self):
        self.flags(spread_domain='lpar', group='zha_scheduler')
        spec = self._spec(hints={'zha_spread_domain': 'CPC'}, m1='a1')
        self.assertEqual(['b1', 'b2', 'c1', 'u1'], self._passing(spec))

    def test_unknown_domain_hosts_always_pass(self):
        spec = self._spec(m1='u1', m2='u1', m3='u1', m4='a1')
        self.assertEqual(['b1', 'b2', 'c1', 'u1'], self._passing(spec))

    def test_only_unknown_domain_hosts(self):
        spec = self._spec(m1='a1')
        self.assertEqual(['u1'], self._passing(spec, [self.cloud['u1']]))

    def test_host_with_two_cpc_traits_is_unknown(self):
        self.cloud.add('x1', node='x1.node',
                       extra_traits=['CUSTOM_ZHA_CPC_A', 'CUSTOM_ZHA_CPC_B'])
        spec = self._spec(m1='a1', m2='b1', m3='c1', m4='x1')
        passing = self._passing(spec)
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1', 'x1'], passing)

    def test_empty_view_passes_every_host(self):
        self.client.errors = {'/traits': 500}
        spec = self._spec(m1='a1', m2='b1')
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'],
                         self._passing(spec))

    def test_moving_member_is_not_counted_against_itself(self):
        spec = self._spec(instance='m1', m1='a1', m2='b1')
        candidates = [h for h in self.cloud.hosts if h.host != 'a1']
        self.assertEqual(['a2', 'c1', 'u1'], self._passing(spec, candidates))

    def test_in_request_picks_are_counted(self):
        spec = self._spec(extra_hosts=['a1', 'b2'])
        self.assertEqual(['c1', 'u1'], self._passing(spec))

    def test_in_request_pick_removed_by_anti_affinity_filter_is_counted(self):
        handler = nova_filters.HostFilterHandler()
        anti = affinity_filter.ServerGroupAntiAffinityFilter()
        spec = zha_fakes.request_spec(member_names=['new', 'new2'])
        handler.get_filtered_objects([anti, self.filt], self.cloud.hosts, spec)
        # What Nova's _consume_selected_host does after picking a1.
        first = spec.instance_uuid
        spec.instance_uuid = zha_fakes.instance_uuid('new2')
        spec.instance_group.hosts.append('a1')
        self.cloud['a1'].instances[first] = objects.Instance(uuid=first)
        passing = handler.get_filtered_objects(
            [anti, self.filt], self.cloud.hosts, spec, index=1)
        self.assertEqual(['b1', 'b2', 'c1', 'u1'], [h.host for h in passing])

    def test_runs_in_novas_filter_handler(self):
        handler = nova_filters.HostFilterHandler()
        spec = self._spec(m1='a1', m2='b1')
        for index in (0, 1):
            passing = handler.get_filtered_objects(
                [self.filt], self.cloud.hosts, spec, index)
            self.assertEqual(['c1', 'u1'], [h.host for h in passing])

    def test_host_passes_judges_one_host_against_every_known_domain(self):
        spec = self._spec(m1='a1', m2='a2')
        self.assertFalse(self.filt.host_passes(self.cloud['a1'], spec))
        self.assertTrue(self.filt.host_passes(self.cloud['c1'], spec))
        self.assertTrue(self.filt.host_passes(self.cloud['u1'], spec))

    def test_named_destination_is_judged_against_every_known_domain(self):
        spec = self._spec(m1='a1')
        spec.requested_destination = objects.Destination(host='a2')
        self.assertEqual([], self._passing(spec, [self.cloud['a2']]))
        spec.requested_destination = objects.Destination(host='b1')
        self.assertEqual(['b1'], self._passing(spec, [self.cloud['b1']]))

    def test_view_and_members_read_once_per_request(self):
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        spec = self._spec(m1='a1')
        # The listing, the ZHA traits and one call per trait, then only
        # the listing: nothing changed.
        first_read, next_read = 1 + 1 + 5, 1
        self._passing(spec)
        self._passing(spec)
        self.assertEqual(first_read, len(self.client.calls))
        self.assertEqual(1, len(self.reader.calls))
        self._passing(self._spec(m1='a1'))
        self.assertEqual(first_read + next_read, len(self.client.calls))
        self.assertEqual(2, len(self.reader.calls))

    def test_failing_view_passes_every_host_and_logs_exception(self):
        view = mock.Mock()
        view.get.side_effect = RuntimeError('view exploded')
        spec = self._spec(m1='a1')
        self.zha.get_view.return_value = view
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            passing = self._passing(spec)
        self.assertEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'u1'], passing)
        self.assertEqual(1, len(logs.records))
        self.assertIn('passing all 6 hosts', logs.records[0].getMessage())
        self.assertIsNotNone(logs.records[0].exc_info)
        self.assertIn('view exploded', str(logs.records[0].exc_info[1]))

    def test_failing_locator_passes_every_host_and_logs_exception(self):
        locator = mock.Mock()
        locator.locations.side_effect = KeyError('boom')
        spec = self._spec(m1='a1')
        self.zha.get_locator.return_value = locator
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            passing = self._passing(spec)
        self.assertEqual(6, len(passing))
        self.assertEqual('ERROR', logs.records[0].levelname)

    def test_rejection_logged_at_debug(self):
        spec = self._spec(m1='a1')
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            self._passing(spec)
        rejected = [r for r in logs.records
                    if 'fails failure domain check' in r.getMessage()]
        self.assertEqual(2, len(rejected))
        self.assertEqual({'DEBUG'}, {r.levelname for r in rejected})
        self.assertIn('(a1, a1.node)', rejected[0].getMessage())
        self.assertIn('cpc A already holds 1 members',
                      rejected[0].getMessage())
        self.assertIn('max skew 1', rejected[0].getMessage())

    def test_unknown_domain_logged_at_debug(self):
        spec = self._spec(m1='a1')
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            self._passing(spec)
        unknown = [r for r in logs.records
                   if 'no known cpc' in r.getMessage()]
        self.assertEqual(1, len(unknown))
        self.assertEqual('DEBUG', unknown[0].levelname)
        self.assertIn('(u1, u1.node)', unknown[0].getMessage())
        self.assertEqual([], [r for r in logs.records
                              if r.levelno > 10])
