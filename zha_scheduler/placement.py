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

"""The scheduler's view of the ZHA traits, read from Placement in bulk.

The first read lists the ``CUSTOM_ZHA_*`` traits that exist, then one
``GET /resource_providers?required=<trait>`` per trait gives the providers
holding it: the number of calls grows with the vocabulary (CPCs, sites,
consistency groups), never with the number of hosts. Later reads list the
providers with their generations and read the traits of those whose
generation changed: one by one when they are few; else from the provider
summaries of a few ``GET /allocation_candidates`` queries, each narrowed by
the traits those providers had to little more than them, so that neither
the calls nor the time grow with the vocabulary (see ``refresh_topology``).
The result is kept for ``[zha_scheduler] trait_cache_ttl`` seconds and
shared by every ZHA filter and weigher of the scheduler process; once read,
it is refreshed in the background, so that no scheduling request waits for
Placement.
"""

import collections
import dataclasses
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from oslo_log import log as logging

from zha_scheduler.clients import placement_client
from zha_scheduler import conf
from zha_scheduler import topology
from zha_scheduler import traits

LOG = logging.getLogger(__name__)
CONF = conf.CONF


@dataclasses.dataclass(frozen=True)
class Topology:
    """Host profiles by compute node (provider) uuid and by provider name."""

    by_uuid: Mapping[str, topology.HostProfile]
    by_name: Mapping[str, topology.HostProfile]
    # What the plugins derive from the profiles, once per view, not per
    # request or host: filled on first use.
    _derived: dict[Hashable, Any] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Hosts with the same traits share one profile object, so that a
        # filter or weigher judges each distinct profile once per view.
        interned: dict[topology.HostProfile, topology.HostProfile] = {}
        for field in ('by_uuid', 'by_name'):
            object.__setattr__(self, field, {
                key: interned.setdefault(profile, profile)
                for key, profile in getattr(self, field).items()})

    def profile(self, uuid: str | None = None,
                name: str | None = None) -> topology.HostProfile:
        """Return the profile of a provider, UNKNOWN when it has no traits."""
        if uuid and uuid in self.by_uuid:
            return self.by_uuid[uuid]
        if name and name in self.by_name:
            return self.by_name[name]
        return topology.UNKNOWN

    def of_hosts(self, host_states: Iterable[Any], key: Hashable,
                 value: Callable[[topology.HostProfile], Any]) -> list[Any]:
        """Return ``value(profile)`` for each host, in order.

        Each provider's value is computed once per view and ``key``, which
        names ``value`` and whatever it depends on besides the profile (an
        option, a level); a host is looked up as ``profile()`` does.
        """
        derived = self._derived.get(key)
        if derived is None:
            # Once per distinct (interned) profile, not per provider.
            distinct = {id(p): p for p in self.by_uuid.values()}
            distinct.update((id(p), p) for p in self.by_name.values())
            found = {i: value(p) for i, p in distinct.items()}
            derived = self._derived[key] = (
                {uuid: found[id(p)] for uuid, p in self.by_uuid.items()},
                {name: found[id(p)] for name, p in self.by_name.items()},
                value(topology.UNKNOWN))
        by_uuid, by_name, unknown = derived
        return [by_uuid[host.uuid] if host.uuid in by_uuid
                else by_name.get(host.nodename, unknown)
                for host in host_states]

    def domains(self, level: str) -> set[str]:
        """Each known ``cpc`` or ``site`` domain (``lpar``: every provider)."""
        if level == topology.LPAR:
            return set(self.by_name)
        return {d for p in self.by_uuid.values()
                if (d := p.domain(level)) is not None}


EMPTY = Topology(by_uuid={}, by_name={})


def _nova_placement_client() -> placement_client.PlacementClient:
    # Imported late: the module must import without a configured Nova, e.g.
    # for the sample config generator.
    from nova.scheduler.client import report
    return placement_client.PlacementClient.from_report_client(
        report.report_client_singleton())


def _read_per_trait(client: placement_client.PlacementClient
                    ) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Every provider's ZHA traits, one call per trait: by uuid, and names."""
    trait_sets: dict[str, set[str]] = collections.defaultdict(set)
    names: dict[str, str] = {}
    for trait in client.zha_traits():
        if traits.parse(trait) is None:
            continue
        for provider in client.providers(required=trait):
            trait_sets[provider['uuid']].add(trait)
            names[provider['uuid']] = provider.get('name') or ''
    return trait_sets, names


def _topology(trait_sets: Mapping[str, Iterable[str]],
              names: Mapping[str, str]) -> Topology:
    by_uuid = {uuid: topology.profile_from_traits(found, names.get(uuid, ''))
               for uuid, found in trait_sets.items() if found}
    by_name = {names[uuid]: profile for uuid, profile in by_uuid.items()
               if names.get(uuid)}
    return Topology(by_uuid=by_uuid, by_name=by_name)


def read_topology(client: placement_client.PlacementClient
                  ) -> tuple[Topology, int]:
    """Read every provider's ZHA traits from Placement, one call per trait.

    :returns: the topology and the number of Placement calls made.
    :raises placement_client.PlacementError: on any unsuccessful answer.
    """
    before = client.calls
    trait_sets, names = _read_per_trait(client)
    return _topology(trait_sets, names), client.calls - before


@dataclasses.dataclass(frozen=True)
class Provider:
    """What the view knows of a provider: its ZHA traits at a generation."""

    name: str
    generation: int | None
    zha_traits: frozenset[str]
    # Derived once, when read: a refresh builds the view of every provider
    # from those it did not read again (5,000 profiles took 0.4 s to
    # derive, the view from them 0.02 s).
    profile: topology.HostProfile = dataclasses.field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'profile', topology.profile_from_traits(
            self.zha_traits, self.name))


#: Changed providers read one by one up to this many (a call each); more
#: are found in allocation candidates' provider summaries. At 5,000
#: providers a narrowed query takes as long as about 5 single reads (50
#: against 10 ms; tools/benchmark_refresh.py).
_SINGLE_READS = 4
#: A call takes about as long as summarizing this many providers (10 ms
#: against 0.1 to 0.25 ms each).
_CALL_SUMMARIES = 50
#: What each query asks: one unit of a class every compute node has. A
#: host without one free is not summarized, and is read alone.
_PROBE = {'MEMORY_MB': 1}
#: Changed providers per query, and queries at most. Each query costs
#: Placement a pass over every provider with the class asked, and each
#: provider it summarizes; the more providers a query is for, the more
#: others match it too. At 5,000 providers, 50 changed took least time in
#: 2 queries (0.10 s, 125 summarized), then 3 (0.11 s, 60) or 1 (0.14 s,
#: 400); unnarrowed, 0.5 s.
_GROUP_SIZE = 25
_MAX_GROUPS = 6
#: ``required`` clauses per query at most, and the characters of their
#: traits: a front end may refuse long URLs (uWSGI's default is 4 kB).
_MAX_CLAUSES = 4
_MAX_QUERY = 3000


def _zha(names: Iterable[str]) -> frozenset[str]:
    return frozenset(t for t in names if traits.parse(t) is not None)


def _narrowing(members: list[frozenset[str]],
               holders: Mapping[str, set[str]],
               everyone: int) -> list[set[str]]:
    """Sets of traits each member has one of, and few other providers do.

    Each set is a ``required=in:`` clause of one query, which every member
    meets as long as its traits are the ones it had: greedily, the trait of
    each member not meeting the set yet that is held by the fewest of the
    providers still matching. A set that would not leave out a tenth of
    them is not worth its length.

    :param members: the ZHA traits each member had (each non-empty).
    :param holders: the providers holding each trait.
    :param everyone: the number of providers.
    """
    pool: set[str] | None = None      # None: every provider matches
    clauses: list[set[str]] = []
    used: list[set[str]] = [set() for _ in members]
    length = 0
    while len(clauses) < _MAX_CLAUSES:
        held: dict[str, int] = {}
        clause: set[str] = set()
        for i in sorted(range(len(members)), key=lambda i: len(members[i])):
            options = members[i] - used[i]
            if not options:
                return clauses
            met = options & clause
            if met:
                used[i] |= met
                continue
            for trait in options - held.keys():
                holding = holders.get(trait, set())
                held[trait] = len(holding if pool is None
                                  else holding & pool)
            best = min(options, key=lambda t: (held[t], t))
            clause.add(best)
            used[i].add(best)
        length += sum(len(t) + 1 for t in clause)
        matched = set().union(*(holders.get(t, set()) for t in clause))
        if pool is not None:
            matched &= pool
        if (length > _MAX_QUERY or
                len(matched) > 0.9 * (everyone if pool is None
                                      else len(pool))):
            break
        clauses.append(clause)
        pool = matched
        if len(pool) <= 2 * len(members):
            break
    return clauses


def _summarized(client: placement_client.PlacementClient,
                listed: Mapping[str, Mapping[str, Any]],
                known: Mapping[str, Provider],
                changed: list[str]) -> dict[str, frozenset[str]]:
    """The ZHA traits of the changed providers that candidates summarize.

    One query per group of up to ``_GROUP_SIZE`` providers, narrowed to
    the providers that had a trait of each of its clauses (``_narrowing``):
    a provider whose traits changed may fall out of it, and is then read
    alone like a full host. What a summary has is current: read after the
    listing, and a later change bumps the generation kept.
    """
    # A nested provider (a PCI device, a network bandwidth provider) has
    # no ZHA traits of its own: it is summarized with its root's tree.
    targets: dict[str, frozenset[str]] = {}
    for u in changed:
        root = known.get(listed[u].get('root_provider_uuid') or u)
        if root is not None and root.zha_traits:
            targets[u] = root.zha_traits
    untargeted = len(changed) - len(targets)
    queries: list[list[set[str]]] = []
    if (untargeted > _SINGLE_READS and
            untargeted * _CALL_SUMMARIES > len(listed)):
        # New providers, or ones without ZHA traits: no trait finds them,
        # and reading each would take longer than summarizing them all.
        queries.append([])
    elif targets:
        holders: dict[str, set[str]] = collections.defaultdict(set)
        for u in listed.keys() & known.keys():
            for trait in known[u].zha_traits:
                holders[trait].add(u)
        # Providers sharing their rarest trait (a CPC, a consistency
        # group) go in the same query: its clauses are then shorter.
        ordered = sorted(targets, key=lambda u: min(
            (len(holders[t]), t) for t in targets[u]))
        count = min(_MAX_GROUPS, -(-len(ordered) // _GROUP_SIZE))
        for i in range(count):
            group = ordered[i * len(ordered) // count:
                            (i + 1) * len(ordered) // count]
            members = sorted({targets[u] for u in group}, key=sorted)
            queries.append(_narrowing(members, holders, len(listed)))
    found: dict[str, list[str]] = {}
    for clauses in queries:
        try:
            found.update(client.candidate_traits(_PROBE, clauses))
        except placement_client.PlacementError as exc:
            # 400: a trait of a clause deleted since (no provider has it);
            # 406: a Placement older than 1.39. Read them one by one.
            if exc.status not in (400, 406):
                raise
            LOG.debug('ZHA topology refresh: %s', exc)
    return {u: _zha(found[u]) for u in changed if u in found}


def _read_all(client: placement_client.PlacementClient,
              listed: Mapping[str, Mapping[str, Any]]
              ) -> dict[str, Provider]:
    """Every provider at its listed generation, read per trait."""
    trait_sets, names = _read_per_trait(client)
    providers = {
        u: Provider(p.get('name') or '', p.get('generation'),
                    frozenset(trait_sets.get(u, ())))
        for u, p in listed.items()}
    for u in trait_sets.keys() - listed.keys():
        # Created after the listing: read again next time.
        providers[u] = Provider(names[u], None, frozenset(trait_sets[u]))
    return providers


def _view(providers: Mapping[str, Provider]) -> Topology:
    """The topology of ``providers``, from the profiles they keep."""
    by_uuid = {u: p.profile for u, p in providers.items() if p.zha_traits}
    return Topology(by_uuid=by_uuid, by_name={
        providers[u].name: profile for u, profile in by_uuid.items()
        if providers[u].name})


def refresh_topology(client: placement_client.PlacementClient,
                     known: Mapping[str, Provider]
                     ) -> tuple[Topology, dict[str, Provider]]:
    """Read what changed since ``known``: the providers whose generation did.

    One listing of the providers with their generations. Placement bumps a
    generation with every change of traits, but also of inventory and
    allocations: most providers that changed only took or freed an
    instance, and their traits must be read again all the same.

    - Nothing known: the per-trait read (``read_topology``).
    - Up to ``_SINGLE_READS`` changed: the traits of each, one call each.
    - More: the provider summaries of ``GET /allocation_candidates``, a
      query per group of up to ``_GROUP_SIZE`` of them (``_summarized``),
      narrowed by the traits they had, so that each summarizes little more
      than them: at 5,000 providers, an unnarrowed query takes longer than
      the whole refresh may. Those a summary misses (full hosts, changed
      traits) are read one by one; or, when they outnumber the traits
      known, per trait.

    The calls grow with neither the hosts nor the traits: at 5,000
    providers and 200 consistency groups, 1% changed is 1 + 2 calls, and
    one more for each full host or provider out of its query.

    :returns: the topology and what is known of every provider now.
    :raises placement_client.PlacementError: on any unsuccessful answer.
    """
    listed = {p['uuid']: p for p in client.providers()}
    if not known:
        providers = _read_all(client, listed)
        return _view(providers), providers
    changed = sorted(u for u, p in listed.items()
                     if u not in known or
                     known[u].generation != p.get('generation'))
    providers = {u: known[u] for u in listed.keys() - set(changed)}
    absent = changed
    found: dict[str, frozenset[str]] = {}
    if len(changed) > _SINGLE_READS:
        found = _summarized(client, listed, known, changed)
        for u, zha in found.items():
            providers[u] = Provider(listed[u].get('name') or '',
                                    listed[u].get('generation'), zha)
        absent = [u for u in changed if u not in found]
    # The per-trait read costs a call for the list and one per trait.
    if len(absent) > 1 and len(absent) > 1 + len(
            {t for p in known.values() for t in p.zha_traits}):
        LOG.debug('ZHA topology refresh: %d providers to read one by one, '
                  'more than the traits; reading per trait.', len(absent))
        providers = _read_all(client, listed)
        absent = []
    for u in absent:
        try:
            body = client.traits(u)
        except placement_client.PlacementError as exc:
            if exc.status == 404:   # deleted since the listing
                continue
            raise
        providers[u] = Provider(
            listed[u].get('name') or '',
            body.get('resource_provider_generation'),
            _zha(body.get('traits', [])))
    LOG.debug('ZHA topology refresh: %(changed)d of %(listed)d providers '
              'changed, %(summarized)d of them summarized.',
              {'changed': len(changed), 'listed': len(listed),
               'summarized': len(found)})
    return _view(providers), providers


def _spawn_daemon(work: Callable[[], None]) -> None:
    """Run work in a daemon thread of its own.

    nova-scheduler runs either with native threads or with eventlet, which
    monkey-patches ``threading``: this is an OS thread in the first case and
    a green thread in the second, each of which lets the scheduling
    requests go on meanwhile.
    """
    threading.Thread(target=work, name='zha-topology-refresh',
                     daemon=True).start()


class TopologyView:
    """Topology kept fresh in the background, its last good value on failures.

    The first read waits for Placement (there is nothing to serve before
    it), and so does the read after ``invalidate()``; after that a stale
    view is still served at once while one refresh runs in the background,
    so that no scheduling request waits for Placement. With
    ``trait_cache_ttl = 0`` every request reads Placement itself (tests and
    debugging).
    """

    def __init__(self, client_factory: Callable[
                     [], placement_client.PlacementClient
                 ] = _nova_placement_client,
                 clock: Callable[[], float] = time.monotonic,
                 spawn: Callable[[Callable[[], None]], None] = _spawn_daemon
                 ) -> None:
        """:param spawn: starts a background refresh (tests run it inline)."""
        self._client_factory = client_factory
        self._clock = clock
        self._spawn = spawn
        # Reentrant: a refresh run inline by spawn stores under it.
        self._lock = threading.RLock()
        self._topology: Topology | None = None
        # What the last refresh knew of each provider, for the next one.
        self._providers: dict[str, Provider] = {}
        self._checked_at: float | None = None
        self._read_at: float | None = None
        self._last_request: object = None
        self._refreshing = False
        # Refreshes started and the last one stored: an older read that
        # ends after a newer one is dropped.
        self._started = 0
        self._stored = 0
        # Placement calls made so far, for benchmarks and operator tools.
        self.placement_calls = 0

    def get(self, request: object = None) -> Topology:
        """Return the topology; refresh it when it is stale.

        :param request: the scheduling request asking (its RequestSpec). With
            ``trait_cache_ttl = 0`` the view refreshes once per request: the
            filters, weighers and every instance of a multi-create share it.
        :returns: the current topology; EMPTY if Placement was never read.
        """
        with self._lock:
            if not self._is_stale(request):
                return self._topology or EMPTY
            first = self._checked_at is None
            self._last_request = request
            self._checked_at = self._clock()
            self._started += 1
            number = self._started
            if first or CONF.zha_scheduler.trait_cache_ttl == 0:
                # Nothing to serve yet, or asked for per request: the
                # request waits, holding the lock so that requests arriving
                # meanwhile wait for this read rather than make their own.
                self._refresh(number)
                return self._topology or EMPTY
            if not self._refreshing:
                self._refreshing = True
                try:
                    self._spawn(lambda: self._refresh_in_background(number))
                except Exception as exc:   # no thread to be had: next time
                    self._refreshing = False
                    LOG.warning('Could not start a refresh of the ZHA '
                                'topology view (%(error)s); keeping the view '
                                'read %(age)s.',
                                {'error': exc, 'age': self._age_text()})
            return self._topology or EMPTY

    def _refresh_in_background(self, number: int) -> None:
        try:
            self._refresh(number)
        finally:
            with self._lock:
                self._refreshing = False

    def _refresh(self, number: int) -> None:
        """Read Placement (without the lock when in the background), store."""
        calls = 0
        with self._lock:
            known = self._providers
        try:
            client = self._client_factory()
            before = client.calls
            try:
                found, providers = refresh_topology(client, known)
            finally:
                # Failed refreshes count too.
                calls = client.calls - before
        except Exception as exc:
            with self._lock:
                self.placement_calls += calls
            # Never fail a scheduling request for this: the filters treat
            # hosts the view does not know as unknown domains.
            LOG.warning('Could not refresh the ZHA topology view from '
                        'Placement (%(error)s); keeping the view read '
                        '%(age)s. Retrying in %(ttl)s seconds.',
                        {'error': exc, 'age': self._age_text(),
                         'ttl': CONF.zha_scheduler.trait_cache_ttl})
            return
        with self._lock:
            self.placement_calls += calls
            if number < self._stored:
                return
            self._stored = number
            self._topology = found
            self._providers = providers
            self._read_at = self._clock()
        LOG.debug('ZHA topology view refreshed: %(hosts)d hosts with ZHA '
                  'traits, %(calls)d Placement calls.',
                  {'hosts': len(found.by_uuid), 'calls': calls})

    def _is_stale(self, request: object) -> bool:
        if self._checked_at is None:
            return True
        ttl = CONF.zha_scheduler.trait_cache_ttl
        if ttl == 0:
            return request is None or request is not self._last_request
        return self._clock() - self._checked_at >= ttl

    def _age_text(self) -> str:
        if self._topology is None or self._read_at is None:
            return 'never (all hosts are treated as unknown domains)'
        return '%.0f seconds ago' % (self._clock() - self._read_at)

    def invalidate(self, forget: bool = False) -> None:
        """Make the next call read Placement itself (tools and tests).

        :param forget: read every provider again, not only what changed.
        """
        with self._lock:
            self._checked_at = None
            if forget:
                self._providers = {}


_VIEW: TopologyView | None = None
_VIEW_LOCK = threading.Lock()


def get_view() -> TopologyView:
    """Return the process-wide TopologyView shared by filters and weighers."""
    global _VIEW
    with _VIEW_LOCK:
        if _VIEW is None:
            _VIEW = TopologyView()
        return _VIEW


def set_view(view: TopologyView) -> TopologyView | None:
    """Install the view filters and weighers read; return the previous one.

    Operator tools point it at a saved snapshot instead of Placement.
    """
    global _VIEW
    with _VIEW_LOCK:
        previous, _VIEW = _VIEW, view
        return previous


def reset_view() -> None:
    """Drop the process-wide view (tests and in-process simulations)."""
    global _VIEW
    with _VIEW_LOCK:
        _VIEW = None
