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

"""Unit tests for zha_scheduler.placement."""

import threading
import time
from unittest import mock

from nova import test

from tests.unit import zha_fakes
from zha_scheduler.clients import placement_client
from zha_scheduler import placement
from zha_scheduler import topology
from zha_scheduler import traits

LOGGER = 'zha_scheduler.placement'


def _providers(count, cpcs=4, sites=2):
    """``count`` providers over ``cpcs`` CPCs and ``sites`` sites."""
    providers = []
    for i in range(count):
        found = [traits.cpc_trait('Z%d' % (i % cpcs)),
                 traits.site_trait('DC%d' % (i % sites)),
                 'HW_CPU_X86_AVX']
        if i % 10 == 0:
            found.append(traits.STANDBY)
        providers.append({'uuid': zha_fakes.host_uuid('h%d' % i),
                          'name': 'node%d' % i, 'traits': found})
    return providers


class PlacementTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.flags(trait_cache_ttl=30, group='zha_scheduler')
        self.cloud = zha_fakes.Cloud()
        self.cloud.add('h1', cpc='Z1', site='DC1', node='node1')
        self.cloud.add('h2', cpc='Z2', site='DC1', node='node2',
                       extra_traits=[traits.NET_REDUNDANT])
        self.cloud.add('h3')
        self.client = self.cloud.client()
        self.clock = zha_fakes.FakeClock()
        # Background refreshes run inline here: the tests below check what
        # a refresh reads; BackgroundRefreshTest checks when it runs.
        self.view = placement.TopologyView(
            client_factory=lambda: placement_client.PlacementClient(
                self.client), clock=self.clock, spawn=lambda work: work())

    def _read(self, providers, **kwargs):
        client = zha_fakes.FakePlacementClient(providers, **kwargs)
        found, calls = placement.read_topology(
            placement_client.PlacementClient(client))
        return found, calls, client

    def test_read_topology_calls_once_per_trait_for_10_hosts(self):
        found, calls, client = self._read(_providers(10))
        # 4 CPCs + 2 sites + STANDBY, plus the trait listing.
        self.assertEqual(8, calls)
        self.assertEqual(8, len(client.calls))
        self.assertEqual(10, len(found.by_uuid))

    def test_read_topology_calls_once_per_trait_for_1000_hosts(self):
        found, calls, client = self._read(_providers(1000))
        self.assertEqual(8, calls)
        self.assertEqual(8, len(client.calls))
        self.assertEqual(1000, len(found.by_uuid))
        self.assertEqual(1000, len(found.by_name))

    def test_read_topology_call_urls_and_versions(self):
        _, _, client = self._read(_providers(2, cpcs=1, sites=1))
        self.assertEqual(
            [('/traits?name=startswith:CUSTOM_ZHA_', '1.6'),
             ('/resource_providers?required=CUSTOM_ZHA_CPC_Z0', '1.18'),
             ('/resource_providers?required=CUSTOM_ZHA_SITE_DC0', '1.18'),
             ('/resource_providers?required=CUSTOM_ZHA_STANDBY', '1.18')],
            client.calls)

    def test_read_topology_skips_unparseable_zha_traits(self):
        _, calls, client = self._read(
            _providers(3, cpcs=1, sites=1),
            extra_traits=['CUSTOM_ZHA_BOGUS', 'CUSTOM_ZHA_CPC_'])
        self.assertEqual(4, calls)
        self.assertNotIn(
            ('/resource_providers?required=CUSTOM_ZHA_BOGUS', '1.18'),
            client.calls)

    def test_read_topology_maps_by_uuid_and_name(self):
        found, calls = placement.read_topology(
            placement_client.PlacementClient(self.client))
        self.assertEqual(5, calls)
        h1 = topology.HostProfile(cpc='Z1', site='DC1')
        h2 = topology.HostProfile(cpc='Z2', site='DC1',
                                  network=topology.REDUNDANT)
        self.assertEqual({zha_fakes.host_uuid('h1'): h1,
                          zha_fakes.host_uuid('h2'): h2}, dict(found.by_uuid))
        self.assertEqual({'node1': h1, 'node2': h2}, dict(found.by_name))

    def test_topology_profile_lookup(self):
        found, _ = placement.read_topology(
            placement_client.PlacementClient(self.client))
        self.assertEqual('Z1', found.profile(zha_fakes.host_uuid('h1')).cpc)
        self.assertEqual('Z2', found.profile(name='node2').cpc)
        self.assertEqual('Z1', found.profile('unknown-uuid', 'node1').cpc)
        self.assertIs(topology.UNKNOWN,
                      found.profile(zha_fakes.host_uuid('h3'), 'h3'))
        self.assertIs(topology.UNKNOWN, found.profile())

    def test_read_topology_provider_without_name_is_mapped_by_uuid_only(self):
        found, _, _ = self._read([{'uuid': 'u1', 'name': None,
                                   'traits': ['CUSTOM_ZHA_CPC_Z1']}])
        self.assertEqual('Z1', found.by_uuid['u1'].cpc)
        self.assertEqual({}, dict(found.by_name))

    def test_read_topology_no_zha_traits(self):
        found, calls, _ = self._read([])
        self.assertEqual(1, calls)
        self.assertEqual({}, dict(found.by_uuid))

    def test_read_topology_error_listing_traits(self):
        client = self.cloud.client(errors={'/traits': 503})
        error = self.assertRaises(placement_client.PlacementError,
                                  placement.read_topology,
                                  placement_client.PlacementClient(client))
        self.assertIn('/traits', str(error))
        self.assertIn('503', str(error))

    def test_read_topology_error_listing_providers(self):
        client = self.cloud.client(errors={'/resource_providers': 500})
        error = self.assertRaises(placement_client.PlacementError,
                                  placement.read_topology,
                                  placement_client.PlacementClient(client))
        self.assertIn('500', str(error))
        self.assertEqual(2, len(client.calls))

    def test_read_topology_no_response(self):
        client = mock.Mock()
        client.get.return_value = None
        self.assertRaises(placement_client.PlacementError,
                          placement.read_topology,
                          placement_client.PlacementClient(client))

    def test_view_reads_once_within_ttl(self):
        first = self.view.get()
        self.clock.advance(29)
        second = self.view.get()
        self.assertIs(first, second)
        # The listing, the list of ZHA traits and one call per trait.
        self.assertEqual(6, len(self.client.calls))
        self.assertEqual('Z1', first.profile(name='node1').cpc)

    def test_view_refreshes_after_ttl(self):
        self.view.get()
        self.clock.advance(30)
        self.cloud.providers[0]['traits'] = ['CUSTOM_ZHA_CPC_Z7']
        found = self.view.get()
        # The listing, then the traits of the one provider that changed.
        self.assertEqual(8, len(self.client.calls))
        self.assertEqual('Z7', found.profile(name='node1').cpc)

    def test_view_ttl_zero_refreshes_once_per_request(self):
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        spec_a, spec_b = object(), object()
        self.view.get(spec_a)
        self.view.get(spec_a)
        self.clock.advance(3600)
        self.view.get(spec_a)
        self.assertEqual(6, len(self.client.calls))
        self.view.get(spec_b)
        self.assertEqual(7, len(self.client.calls))
        self.view.get(spec_a)
        self.assertEqual(8, len(self.client.calls))

    def test_view_ttl_zero_without_request_always_refreshes(self):
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        self.view.get()
        self.view.get()
        self.assertEqual(7, len(self.client.calls))

    def test_view_invalidate_forces_refresh(self):
        self.view.get()
        self.view.invalidate()
        self.view.get()
        self.assertEqual(7, len(self.client.calls))
        self.view.invalidate(forget=True)
        self.view.get()
        self.assertEqual(13, len(self.client.calls))

    def test_view_failed_refresh_keeps_last_good_view(self):
        good = self.view.get()
        self.clock.advance(31)
        self.client.errors = {'/resource_providers': 500}
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            kept = self.view.get()
        self.assertIs(good, kept)
        self.assertEqual('Z1', kept.profile(name='node1').cpc)
        self.assertEqual(1, len(logs.records))
        self.assertEqual('WARNING', logs.records[0].levelname)
        self.assertIn('31 seconds ago', logs.records[0].getMessage())
        self.assertIn('500', logs.records[0].getMessage())

    def test_view_failed_refresh_retries_after_ttl(self):
        self.view.get()
        self.clock.advance(30)
        self.client.errors = {'/resource_providers': 500}
        self.view.get()
        self.assertEqual(7, len(self.client.calls))
        self.clock.advance(10)
        self.view.get()
        self.assertEqual(7, len(self.client.calls))
        self.client.errors = {}
        self.clock.advance(20)
        self.view.get()
        self.assertEqual(8, len(self.client.calls))

    def test_view_never_read_is_empty(self):
        self.client.errors = {'/traits': 500}
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            found = self.view.get()
        self.assertIs(placement.EMPTY, found)
        self.assertIn('never', logs.records[0].getMessage())
        self.clock.advance(5)
        self.assertIs(placement.EMPTY, self.view.get())

    def test_view_client_factory_failure_is_handled(self):
        view = placement.TopologyView(
            client_factory=mock.Mock(side_effect=RuntimeError('no auth')),
            clock=self.clock, spawn=lambda work: work())
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.assertIs(placement.EMPTY, view.get())
        self.assertIn('no auth', logs.records[0].getMessage())

    def test_view_counts_placement_calls(self):
        self.assertEqual(0, self.view.placement_calls)
        self.view.get()
        self.assertEqual(6, self.view.placement_calls)
        self.view.get()
        self.assertEqual(6, self.view.placement_calls)
        self.clock.advance(30)
        self.view.get()
        self.assertEqual(7, self.view.placement_calls)

    def test_get_view_is_process_wide(self):
        placement.reset_view()
        self.addCleanup(placement.reset_view)
        view = placement.get_view()
        self.assertIs(view, placement.get_view())
        placement.reset_view()
        self.assertIsNot(view, placement.get_view())


class BackgroundRefreshTest(test.NoDBTestCase):
    """Once read, the view is refreshed while requests go on."""

    def setUp(self):
        super().setUp()
        self.flags(trait_cache_ttl=30, group='zha_scheduler')
        self.cloud = zha_fakes.Cloud()
        self.cloud.add('h1', cpc='Z1', node='node1')
        self.client = self.cloud.client()
        self.clock = zha_fakes.FakeClock()
        #: Refreshes started and not run yet.
        self.pending = []
        self.view = placement.TopologyView(
            client_factory=lambda: placement_client.PlacementClient(
                self.client), clock=self.clock, spawn=self.pending.append)

    def run_pending(self):
        while self.pending:
            self.pending.pop(0)()

    def stale_with_new_traits(self):
        self.clock.advance(30)
        self.cloud.providers[0]['traits'] = ['CUSTOM_ZHA_CPC_Z7']

    def test_the_first_read_waits_for_placement(self):
        self.assertEqual('Z1', self.view.get().profile(name='node1').cpc)
        self.assertEqual([], self.pending)

    def test_a_stale_view_is_served_while_it_is_refreshed(self):
        old = self.view.get()
        calls = len(self.client.calls)
        self.stale_with_new_traits()

        served = self.view.get()

        # No Placement call inside the request: the old view, at once.
        self.assertIs(old, served)
        self.assertEqual(calls, len(self.client.calls))
        self.assertEqual(1, len(self.pending))
        self.run_pending()
        self.assertEqual('Z7', self.view.get().profile(name='node1').cpc)
        # The listing and the one provider that changed.
        self.assertEqual(calls + 2, len(self.client.calls))
        self.assertEqual([], self.pending)

    def test_one_refresh_at_a_time(self):
        self.view.get()
        self.stale_with_new_traits()
        self.view.get()
        self.clock.advance(30)
        self.view.get()
        self.assertEqual(1, len(self.pending))
        self.run_pending()
        self.clock.advance(30)
        self.view.get()
        self.assertEqual(1, len(self.pending))

    def test_a_failed_background_refresh_keeps_the_view(self):
        old = self.view.get()
        self.stale_with_new_traits()
        self.client.errors = {'/resource_providers': 500}
        self.view.get()
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.run_pending()
        self.assertIn('30 seconds ago', logs.records[0].getMessage())
        self.assertIs(old, self.view.get())
        # Tried again after the TTL, in the background again.
        self.client.errors = {}
        self.clock.advance(30)
        self.assertIs(old, self.view.get())
        self.run_pending()
        self.assertEqual('Z7', self.view.get().profile(name='node1').cpc)

    def test_an_older_read_ending_last_is_dropped(self):
        self.view.get()
        self.stale_with_new_traits()
        self.view.get()                     # a background read starts
        self.view.invalidate()
        newest = self.view.get()            # a newer read, made at once
        self.assertEqual('Z7', newest.profile(name='node1').cpc)
        self.cloud.providers[0]['traits'] = ['CUSTOM_ZHA_CPC_Z1']
        self.run_pending()                  # the older read ends last
        self.assertIs(newest, self.view.get())

    def test_no_thread_to_start_keeps_the_view(self):
        def refuse(work):
            raise RuntimeError("can't start new thread")
        view = placement.TopologyView(
            client_factory=lambda: placement_client.PlacementClient(
                self.client), clock=self.clock, spawn=refuse)
        old = view.get()
        self.stale_with_new_traits()
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.assertIs(old, view.get())
        self.assertIn("can't start new thread", logs.records[0].getMessage())

    def test_the_default_refresh_runs_in_a_thread_of_its_own(self):
        release = threading.Event()
        reading = threading.Event()
        client = placement_client.PlacementClient(self.client)
        view = placement.TopologyView(client_factory=lambda: client,
                                      clock=self.clock)
        old = view.get()
        self.stale_with_new_traits()
        real = client.providers

        def slow_listing(**kwargs):
            reading.set()
            release.wait(10)
            return real(**kwargs)
        client.providers = slow_listing

        self.assertIs(old, view.get())      # while Placement is slow
        self.assertTrue(reading.wait(10))
        release.set()
        deadline = time.monotonic() + 10
        while view.get().profile(name='node1').cpc != 'Z7':
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)


class RefreshTopologyTest(test.NoDBTestCase):
    """After the first read, only the providers that changed are read."""

    def setUp(self):
        super().setUp()
        # 40 hosts on 4 CPCs; each in 50 consistency groups of 200.
        self.providers = [
            {'uuid': 'uuid-%02d' % i, 'name': 'node%02d' % i,
             'traits': [traits.cpc_trait('Z%d' % (i % 4))] +
             [traits.consistency_group_trait('CG%03d' % ((i * 5 + k) % 200))
              for k in range(50)]}
            for i in range(40)]
        self.fake = zha_fakes.FakePlacementClient(self.providers)
        # The fake's own list: adding and removing providers.
        self.providers = self.fake.providers
        self.client = placement_client.PlacementClient(self.fake)
        self.found, self.known = placement.refresh_topology(self.client, {})

    def refresh(self):
        before = len(self.fake.calls)
        self.found, self.known = placement.refresh_topology(self.client,
                                                            self.known)
        return len(self.fake.calls) - before

    def test_the_first_read_is_per_trait(self):
        # The listing, the list of traits, 4 CPCs and 200 groups.
        self.assertEqual(1 + 1 + 4 + 200, len(self.fake.calls))
        self.assertEqual(40, len(self.found.by_uuid))
        self.assertEqual('Z1', self.found.profile(name='node01').cpc)

    def test_nothing_changed_is_one_call(self):
        self.assertEqual(1, self.refresh())
        self.assertEqual(40, len(self.found.by_uuid))

    def test_a_changed_provider_costs_one_call_whatever_the_groups(self):
        self.providers[3]['traits'] = [traits.cpc_trait('Z9')]
        self.assertEqual(2, self.refresh())
        profile = self.found.profile(name='node03')
        self.assertEqual(('Z9', frozenset()),
                       (profile.cpc, profile.consistency_groups))
        self.assertEqual('Z1', self.found.profile(name='node01').cpc)

    def test_new_and_removed_providers(self):
        removed = self.providers.pop(0)
        self.providers.append({'uuid': 'uuid-new', 'name': 'new',
                               'traits': [traits.cpc_trait('Z2')]})
        self.assertEqual(2, self.refresh())
        self.assertNotIn(removed['uuid'], self.found.by_uuid)
        self.assertEqual('Z2', self.found.profile(name='new').cpc)

    def test_a_provider_deleted_after_the_listing_is_dropped(self):
        self.providers[5]['traits'] = []
        self.fake.errors = {'/resource_providers/uuid-05/traits': 404}
        self.assertEqual(2, self.refresh())
        self.assertNotIn('uuid-05', self.found.by_uuid)

    def test_many_changes_read_per_trait_when_it_is_fewer_calls(self):
        for p in self.providers:
            p['traits'] = [p['traits'][0]]
        # 40 changed: one by one is 40 calls, per trait 1 + 204 known.
        self.assertEqual(1 + 40, self.refresh())
        for p in self.providers:
            p['traits'].append(traits.STANDBY)
        # 40 changed again: per trait is now 1 + 5 known traits.
        self.assertEqual(1 + 1 + 5, self.refresh())
        self.assertTrue(self.found.profile(name='node07').standby)
        self.assertEqual(frozenset(),
                         self.found.profile(name='node07').consistency_groups)
        # Known again: the next refresh is the listing alone.
        self.assertEqual(1, self.refresh())
