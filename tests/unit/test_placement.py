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

import random
import threading
import time
from unittest import mock
from urllib import parse

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


class SummariesPlacement(zha_fakes.FakePlacementClient):
    """The fake Placement, with allocation candidates' provider summaries."""

    def __init__(self, providers, version=(1, 39), **kwargs):
        """A provider with ``full`` set has no room left: no summary has it.

        One with ``root`` (a uuid) is nested in that provider's tree, and
        summarized with it. ``version`` is the newest microversion served.
        """
        super().__init__(providers, **kwargs)
        self.version = version
        #: The number of providers each query summarized.
        self.summarized = []

    def _error(self, url):
        for prefix, status in self.errors.items():
            if url.startswith(prefix):
                return zha_fakes.FakeResponse(status,
                                              text='error %d' % status)
        return None

    def get(self, url, microversion=None, raise_exc=False):
        split = parse.urlsplit(url)
        if split.path == '/resource_providers' and not split.query:
            # The listing, with each provider's root as at 1.14.
            self.calls.append((url, microversion))
            error = self._error(url)
            if error is not None:
                return error
            return zha_fakes.FakeResponse(body={'resource_providers': [
                {'uuid': p['uuid'], 'name': p['name'],
                 'generation': self.generation(p),
                 'root_provider_uuid': p.get('root') or p['uuid']}
                for p in self.providers]})
        if split.path != '/allocation_candidates':
            return super().get(url, microversion, raise_exc)
        self.calls.append((url, microversion))
        error = self._error(url)
        if error is not None:
            return error
        if tuple(int(n) for n in microversion.split('.')) > self.version:
            return zha_fakes.FakeResponse(406, text='version not supported')
        query = parse.parse_qs(split.query)
        assert query['resources'] == ['MEMORY_MB:1'], query
        clauses = []
        for value in query.get('required', []):
            if value.startswith('in:'):
                clauses.append(set(value[3:].split(',')))
            else:
                clauses.extend({t} for t in value.split(','))
        every = {t for p in self.providers for t in p['traits']}
        if set().union(*clauses) - every - set(self.extra_traits):
            return zha_fakes.FakeResponse(400, text='No such trait(s)')
        roots = {p['uuid'] for p in self.providers
                 if not p.get('root') and not p.get('full') and
                 all(c & set(p['traits']) for c in clauses)}
        summaries = {p['uuid']: {'traits': list(p['traits']),
                                 'resources': {}}
                     for p in self.providers
                     if (p.get('root') or p['uuid']) in roots}
        self.summarized.append(len(summaries))
        return zha_fakes.FakeResponse(body={'allocation_requests': [],
                                            'provider_summaries': summaries})


def _known(providers):
    """What a full read knows of ``providers`` (fake Placement dicts)."""
    return {p['uuid']: placement.Provider(
        p['name'], zha_fakes.FakePlacementClient.generation(p),
        frozenset(t for t in p['traits'] if traits.parse(t) is not None))
        for p in providers}


def _allocate(provider):
    """An instance booted, moved or resized: the generation is bumped."""
    provider['generation'] = (
        zha_fakes.FakePlacementClient.generation(provider) + 1)


def _set_traits(provider, names):
    """New traits: Placement bumps the generation."""
    _allocate(provider)
    provider['traits'] = list(names)


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

    def test_hosts_with_the_same_traits_share_one_profile(self):
        one, other = (topology.HostProfile(cpc='Z1', site='DC1')
                      for _ in range(2))
        found = placement.Topology(by_uuid={'u1': one, 'u2': other},
                                   by_name={'n2': other})
        self.assertIs(found.by_uuid['u1'], found.by_uuid['u2'])
        self.assertIs(found.by_uuid['u1'], found.by_name['n2'])

    def test_of_hosts_is_computed_once_per_profile_and_key(self):
        found = placement.Topology(
            by_uuid={'u1': topology.HostProfile(cpc='Z1'),
                     'u2': topology.HostProfile(cpc='Z1'),
                     'u3': topology.HostProfile(cpc='Z2')},
            by_name={'n3': topology.HostProfile(cpc='Z2')})
        hosts = [mock.Mock(uuid=u, nodename=n) for u, n in (
            ('u1', 'n1'), ('u3', 'n1'), ('other', 'n3'), ('other', 'n9'),
            (None, None))]
        seen = []

        def cpc(profile):
            seen.append(profile)
            return profile.cpc

        self.assertEqual(['Z1', 'Z2', 'Z2', None, None],
                         found.of_hosts(hosts, 'cpc', cpc))
        # Z1, Z2 and UNKNOWN's; the next call computes nothing.
        self.assertEqual(3, len(seen))
        self.assertEqual(['Z1'], found.of_hosts(hosts[:1], 'cpc', cpc))
        self.assertEqual(3, len(seen))
        self.assertEqual([False], found.of_hosts(hosts[:1], 'standby',
                                                 lambda p: p.standby))

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
        self.fake = SummariesPlacement(self.providers)
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

    def test_many_changes_are_read_from_provider_summaries(self):
        for p in self.providers[1:]:
            _allocate(p)
        _set_traits(self.providers[0],
                    self.providers[0]['traits'] + [traits.STANDBY])
        # 40 changed: one by one is 40 calls; two narrowed queries.
        self.assertEqual(1 + 2, self.refresh())
        self.assertEqual(
            2, sum(u.startswith('/allocation_candidates?')
                   for u, _ in self.fake.calls[-2:]))
        self.assertEqual(_known(self.providers), self.known)
        self.assertTrue(self.found.profile(name='node00').standby)
        # Known again: the next refresh is the listing alone.
        self.assertEqual(1, self.refresh())

    def test_providers_whose_traits_changed_are_read_one_by_one(self):
        for p in self.providers:
            _set_traits(p, [p['traits'][0]])
        # 40 changed, all out of the queries narrowed by the groups they
        # left: one by one is 40 calls, fewer than per trait (1 + 204).
        self.assertEqual(1 + 2 + 40, self.refresh())
        self.assertEqual(_known(self.providers), self.known)
        self.assertEqual(frozenset(),
                         self.found.profile(name='node07').consistency_groups)

    def test_many_full_hosts_read_per_trait_when_it_is_fewer_calls(self):
        for p in self.providers:
            _set_traits(p, [p['traits'][0]])
        self.refresh()
        for p in self.providers:
            _set_traits(p, p['traits'] + [traits.STANDBY])
            p['full'] = True
        # 40 changed, no summary has them: one by one is 40 calls, per
        # trait 1 + 4 CPCs known.
        self.assertEqual(1 + 2 + 1 + 5, self.refresh())
        self.assertEqual('/traits?name=startswith:CUSTOM_ZHA_',
                         self.fake.calls[-6][0])
        self.assertTrue(self.found.profile(name='node07').standby)
        self.assertEqual(_known(self.providers), self.known)
        self.assertEqual(1, self.refresh())


class CandidateTraitsTest(test.NoDBTestCase):
    """PlacementClient.candidate_traits: the query and its answer."""

    def test_query_and_traits_by_uuid(self):
        adapter = mock.Mock()
        adapter.get.return_value = zha_fakes.FakeResponse(body={
            'allocation_requests': [],
            'provider_summaries': {
                'u1': {'resources': {}, 'traits': ['COMPUTE_NODE']},
                'u2': {'resources': {}}}})
        client = placement_client.PlacementClient(adapter)
        found = client.candidate_traits(
            {'MEMORY_MB': 1}, [{'CUSTOM_B', 'CUSTOM_A'}, {'CUSTOM_C'}])
        self.assertEqual({'u1': ['COMPUTE_NODE'], 'u2': []}, found)
        # Any of several traits: in:, sorted; a single one: plain.
        adapter.get.assert_called_once_with(
            '/allocation_candidates?resources=MEMORY_MB:1'
            '&required=in:CUSTOM_A,CUSTOM_B&required=CUSTOM_C',
            microversion='1.39', raise_exc=False)
        self.assertEqual(1, client.calls)

    def test_no_clause_and_errors(self):
        adapter = mock.Mock()
        adapter.get.return_value = zha_fakes.FakeResponse(406)
        client = placement_client.PlacementClient(adapter)
        error = self.assertRaises(placement_client.PlacementError,
                                  client.candidate_traits,
                                  {'VCPU': 1, 'MEMORY_MB': 2})
        self.assertEqual(406, error.status)
        adapter.get.assert_called_once_with(
            '/allocation_candidates?resources=MEMORY_MB:2,VCPU:1',
            microversion='1.39', raise_exc=False)


def _cloud(count=5000, cpcs=50, groups=200, per_host=5):
    """``count`` providers on ``cpcs`` CPCs, each in ``per_host`` groups."""
    rnd = random.Random(7)
    return [{'uuid': 'uuid-%05d' % i, 'name': 'node%05d' % i,
             'generation': 1,
             'traits': ['COMPUTE_NODE', traits.NET_REDUNDANT,
                        traits.cpc_trait('Z%02d' % (i % cpcs)),
                        traits.site_trait('DC%d' % (i % 2))] +
             [traits.consistency_group_trait('CG%04d' % g)
              for g in rnd.sample(range(groups), per_host)]}
            for i in range(count)]


class RefreshAtScaleTest(test.NoDBTestCase):
    """5,000 providers, 50 CPCs, 200 consistency groups; 1% changed."""

    #: Narrowed allocation candidates queries for 50 changed providers.
    QUERIES = -(-50 // placement._GROUP_SIZE)

    def setUp(self):
        super().setUp()
        self.use(_cloud())

    def use(self, providers, **kwargs):
        self.fake = SummariesPlacement(providers, **kwargs)
        self.providers = self.fake.providers
        self.client = placement_client.PlacementClient(self.fake)
        # What the first read knows (RefreshTopologyTest reads it).
        self.known = _known(self.providers)

    def refresh(self):
        before = len(self.fake.calls)
        self.found, self.known = placement.refresh_topology(self.client,
                                                            self.known)
        return len(self.fake.calls) - before

    def urls(self, path):
        return [u for u, _ in self.fake.calls if u.startswith(path)]

    def change(self, count=50, trait_changes=1):
        """Change ``count`` providers, all but ``trait_changes`` by
        allocations, and return them.
        """
        changed = random.Random(count).sample(self.providers, count)
        for p in changed[trait_changes:]:
            _allocate(p)
        for p in changed[:trait_changes]:
            # Another CPC, one consistency group less and one more.
            _set_traits(p, [t for t in p['traits']
                            if not t.startswith(traits.CPC_PREFIX)][:-1] +
                        [traits.cpc_trait('Z49'),
                         traits.consistency_group_trait('CG0199')])
        return changed

    def test_nothing_changed_is_the_listing_alone(self):
        self.assertEqual(1, self.refresh())
        self.assertEqual(5000, len(self.found.by_uuid))

    def test_one_percent_changed_is_at_most_10_calls(self):
        moved = self.change()[0]
        calls = self.refresh()
        self.assertLessEqual(calls, 10)
        # The listing and a narrowed query per 25 providers; the provider
        # that moved to another CPC falls out of its query, and is read
        # alone.
        self.assertEqual(1 + self.QUERIES + 1, calls)
        self.assertEqual(['/resource_providers/%s/traits' % moved['uuid']],
                         self.urls('/resource_providers/'))
        # Exact: what a full read would know.
        self.assertEqual(_known(self.providers), self.known)
        profile = self.found.profile(moved['uuid'])
        self.assertEqual('Z49', profile.cpc)
        self.assertIn('CG0199', profile.consistency_groups)
        self.assertEqual(1, self.refresh())

    def test_each_query_summarizes_few_more_than_its_providers(self):
        self.change()
        self.refresh()
        self.assertEqual(self.QUERIES, len(self.fake.summarized))
        # 50 changed; an unnarrowed query would summarize 5,000.
        self.assertLess(sum(self.fake.summarized), 250)

    def test_the_calls_do_not_grow_with_the_groups(self):
        for groups in (200, 2000):
            self.use(_cloud(groups=groups))
            changed = self.change(trait_changes=0)
            # A trait more keeps a provider in its query.
            _set_traits(changed[0], changed[0]['traits'] + [traits.STANDBY])
            self.assertEqual(1 + self.QUERIES, self.refresh())
            self.assertEqual(_known(self.providers), self.known)
            self.assertTrue(self.found.profile(changed[0]['uuid']).standby)

    def test_a_full_host_changed_is_still_read(self):
        changed = self.change(trait_changes=2)
        for p in changed[1:4]:
            p['full'] = True
        # The one moved without being full falls out of its query.
        self.assertEqual(1 + self.QUERIES + 1 + 3, self.refresh())
        self.assertEqual(
            sorted('/resource_providers/%s/traits' % p['uuid']
                   for p in changed[:4]),
            sorted(self.urls('/resource_providers/')))
        self.assertEqual(_known(self.providers), self.known)
        self.assertEqual('Z49', self.found.profile(changed[1]['uuid']).cpc)

    def test_a_provider_with_all_new_traits_is_read_alone(self):
        changed = self.change(trait_changes=0)
        _set_traits(changed[0], [traits.cpc_trait('NEW'),
                                 traits.consistency_group_trait('NEW')])
        self.assertEqual(1 + self.QUERIES + 1, self.refresh())
        self.assertEqual(['/resource_providers/%s/traits'
                          % changed[0]['uuid']],
                         self.urls('/resource_providers/'))
        self.assertEqual('NEW', self.found.profile(changed[0]['uuid']).cpc)
        self.assertEqual(_known(self.providers), self.known)

    def test_few_changed_are_read_one_by_one(self):
        changed = self.change(count=4)
        self.assertEqual(1 + 4, self.refresh())
        self.assertEqual([], self.urls('/allocation_candidates'))
        self.assertEqual('Z49', self.found.profile(changed[0]['uuid']).cpc)
        self.assertEqual(_known(self.providers), self.known)

    def test_a_provider_deleted_after_the_listing_is_dropped(self):
        changed = self.change()
        listing = self.client.providers

        def list_then_delete(**kwargs):
            found = listing(**kwargs)
            self.providers.remove(changed[5])
            return found
        self.client.providers = list_then_delete
        # Not summarized; read alone: 404 (the one moved: 200).
        self.assertEqual(1 + self.QUERIES + 2, self.refresh())
        self.assertNotIn(changed[5]['uuid'], self.known)
        self.assertEqual(_known(self.providers), self.known)

    def test_a_trait_deleted_since_reads_one_by_one(self):
        # The only holder of a group leaves it, and the trait is deleted:
        # a query naming it is refused (400).
        group = traits.consistency_group_trait('CG9999')
        left = self.providers[123]
        left['traits'].append(group)
        self.known = _known(self.providers)
        self.change(trait_changes=0)
        _set_traits(left, [t for t in left['traits'] if t != group])
        calls = self.refresh()
        queries = self.urls('/allocation_candidates')
        self.assertEqual(1, len([u for u in queries if group in u]))
        # The providers of that query are read one by one; no others.
        singles = self.urls('/resource_providers/')
        self.assertEqual(1 + len(queries) + len(singles), calls)
        self.assertLessEqual(len(singles), placement._GROUP_SIZE)
        self.assertIn('/resource_providers/%s/traits' % left['uuid'],
                      singles)
        self.assertEqual(_known(self.providers), self.known)

    def test_a_placement_before_1_39_reads_one_by_one(self):
        self.use(_cloud(), version=(1, 38))
        self.change()
        self.assertEqual(1 + self.QUERIES + 50, self.refresh())
        self.assertEqual(_known(self.providers), self.known)

    def test_other_errors_fail_the_refresh(self):
        self.change()
        self.fake.errors = {'/allocation_candidates': 503}
        error = self.assertRaises(placement_client.PlacementError,
                                  self.refresh)
        self.assertEqual(503, error.status)

    def test_a_few_new_providers_are_read_one_by_one(self):
        self.change()
        self.providers.extend(_cloud(count=5003)[5000:])
        self.assertEqual(1 + self.QUERIES + 1 + 3, self.refresh())
        self.assertEqual(_known(self.providers), self.known)

    def test_a_few_providers_without_zha_traits_are_read_one_by_one(self):
        plain = [{'uuid': 'plain-%d' % i, 'name': 'plain-%d' % i,
                  'generation': 1, 'traits': ['COMPUTE_NODE']}
                 for i in range(6)]
        self.providers.extend(plain)
        self.known = _known(self.providers)
        for p in plain:
            _allocate(p)
        _set_traits(plain[2], ['COMPUTE_NODE', traits.cpc_trait('Z07')])
        # No trait finds them; 6 calls take less than summarizing 5,006.
        self.assertEqual(1 + 6, self.refresh())
        self.assertEqual([], self.urls('/allocation_candidates'))
        self.assertEqual('Z07', self.found.profile('plain-2').cpc)
        self.assertEqual(_known(self.providers), self.known)

    def test_many_new_providers_are_summarized_by_one_query(self):
        self.change()
        self.providers.extend(_cloud(count=5200)[5000:])
        # Reading 200 one by one takes longer than summarizing all.
        self.assertEqual(1 + 1, self.refresh())
        self.assertEqual(['/allocation_candidates?resources=MEMORY_MB:1'],
                         self.urls('/allocation_candidates'))
        self.assertEqual(_known(self.providers), self.known)

    def test_nested_providers_are_summarized_with_their_root(self):
        # PCI devices of 10 hosts; their allocations change, and 40 hosts.
        devices = [{'uuid': 'pci-%d' % i, 'name': 'pci-%d' % i,
                    'root': 'uuid-%05d' % i, 'generation': 1,
                    'traits': ['CUSTOM_PCI_FPGA']} for i in range(10)]
        self.providers.extend(devices)
        self.known = _known(self.providers)
        self.change(count=40, trait_changes=0)
        for device in devices:
            _allocate(device)
        devices[3]['traits'].append(traits.STANDBY)
        self.assertEqual(1 + self.QUERIES, self.refresh())
        self.assertEqual(_known(self.providers), self.known)
        self.assertTrue(self.found.profile('pci-3').standby)

    def test_the_first_read_is_per_trait(self):
        self.use(_cloud(count=500, cpcs=5, groups=20))
        before = len(self.fake.calls)
        self.found, self.known = placement.refresh_topology(self.client, {})
        # The listing, the trait list, 5 CPCs, 2 sites, NET_REDUNDANT and
        # 20 groups.
        self.assertEqual(1 + 1 + 5 + 2 + 1 + 20,
                         len(self.fake.calls) - before)
        self.assertEqual(_known(self.providers), self.known)
