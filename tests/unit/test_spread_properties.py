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

"""Property tests: sequential placement of server groups through Nova's
real filter and weigher handlers never breaks the failure-domain skew."""

import collections
import dataclasses
import logging
import re

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from nova import objects
from nova.scheduler import filters as nova_filters
from nova.scheduler.filters import affinity_filter
from nova.scheduler import weights as nova_weights
from nova import test
from nova.tests.unit.scheduler import fakes as nova_fakes

from tests.unit import zha_fakes
from zha_scheduler.filters import failure_domain as filter_module
from zha_scheduler import members
from zha_scheduler import spread
from zha_scheduler import traits
from zha_scheduler.weights import failure_domain as weigher_module

SETTINGS = settings(max_examples=75, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

LEVELS = ('lpar', 'cpc', 'site')
# Spreading, indifferent (the filter alone decides) and packing weighers: the
# filter must hold the skew whatever the weigher prefers.
MULTIPLIERS = st.sampled_from([1.0, 0.0, -1.0])
_ORACLE = {
    'cpc': re.compile(r'CUSTOM_ZHA_CPC_([A-Z0-9_]+)'),
    'site': re.compile(r'CUSTOM_ZHA_SITE_([A-Z0-9_]+)'),
}


@dataclasses.dataclass
class SimHost:
    name: str
    node: str
    traits: set

    def domain(self, level):
        """The host's domain by the vocabulary, independent of the code."""
        if level == 'lpar':
            return self.name
        values = {m.group(1) for m in
                  (_ORACLE[level].fullmatch(t) for t in self.traits
                   if isinstance(t, str) and len(t) <= 255) if m}
        return values.pop() if len(values) == 1 else None


_GARBAGE_TRAIT = st.one_of(
    st.text(max_size=24),
    st.from_regex(r'CUSTOM_ZHA_[A-Z0-9_]{0,12}', fullmatch=True),
    st.from_regex(r'CUSTOM_ZHA_(CPC|SITE|CG)_[A-Z0-9_]{0,4}', fullmatch=True),
    st.sampled_from([
        traits.NET_REDUNDANT, traits.NET_DEGRADED, traits.STORAGE_REDUNDANT,
        traits.STORAGE_DEGRADED, traits.STANDBY, 'CUSTOM_ZHA_CPC_',
        'CUSTOM_ZHA_SITE_', 'CUSTOM_ZHA_CPC_z0', 'HW_CPU_X86_AVX',
        'CUSTOM_ZHA_CPC_' + 'A' * 250, 'CUSTOM_ZHA_SITE_' + 'B' * 240]),
)

_GARBAGE_HINT = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-5, max_value=10 ** 12).map(str),
    st.lists(st.text(max_size=6), max_size=3),
    st.sampled_from(['lpar', 'cpc', 'site', ' CPC ', 'Site', '0', '-1', '1',
                     '2', ' 3 ', 'abc', '1.5', '']),
)


@st.composite
def clouds(draw, garbage=False):
    cpc_count = draw(st.integers(1, 5))
    site_count = draw(st.integers(0, 3))
    hosts = []
    for cpc in range(cpc_count):
        for lpar in range(draw(st.integers(1, 4))):
            found = {traits.cpc_trait('z%d' % cpc)}
            if site_count:
                found.add(traits.site_trait('dc%d' % (cpc % site_count)))
            hosts.append(('z%d-l%d' % (cpc, lpar), found))
    for bare in range(draw(st.integers(0, 3))):
        hosts.append(('bare%d' % bare, set()))
    if garbage:
        cpc_traits = sorted({traits.cpc_trait('z%d' % c)
                             for c in range(cpc_count)})
        for _, found in hosts:
            found.update(draw(st.lists(_GARBAGE_TRAIT, max_size=3)))
            found.update(draw(st.lists(st.sampled_from(cpc_traits),
                                       max_size=2)))
    sim_hosts = [SimHost(name, name + '.node',
                         found) for name, found in hosts]
    return draw(st.permutations(sim_hosts))


@st.composite
def batches(draw):
    """Sizes of the successive boot requests (multi-creates) of one group."""
    return draw(st.lists(st.integers(1, 3), min_size=1, max_size=6))


class SpreadPropertiesTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.filter_handler = nova_filters.HostFilterHandler()
        self.weight_handler = nova_weights.HostWeightHandler()
        self.zha_filter = filter_module.ZhaFailureDomainFilter()
        self.anti_affinity_filter = (
            affinity_filter.ServerGroupAntiAffinityFilter())
        self.weigher = weigher_module.ZhaFailureDomainWeigher()

    def _simulate(self, sim_hosts, sizes, policy='anti-affinity', hints=None,
                  config=None, nova_anti_affinity=False, narrow=False,
                  check=None):
        """Boot ``sizes`` requests one instance at a time as Nova would.

        After each placement ``check`` gets the request spec, the hosts that
        reached the ZHA filter (``candidates``), the hosts it passed, the
        chosen host, the members before and after the placement and whether
        it was the last placement of its request (``last``). With ``narrow``
        each placement of a multi-create starts from the hosts that passed
        the filters for the one before, as Nova's scheduler does.

        :returns: the number of instances placed (fewer than requested only
            when Nova's anti-affinity filter ran out of hosts).
        """
        for name, value in (config or {}).items():
            self.flags(group='zha_scheduler', **{name: value})
        states = [nova_fakes.FakeHostState(
            h.name, h.node, {'uuid': zha_fakes.host_uuid(h.name)})
            for h in sim_hosts]
        by_name = {h.name: h for h in sim_hosts}
        providers = [{'uuid': zha_fakes.host_uuid(h.name), 'name': h.node,
                      'traits': sorted(h.traits)}
                     for h in sim_hosts if h.traits]
        committed = []
        fixture = zha_fakes.ZhaFixture(
            zha_fakes.FakePlacementClient(providers),
            reader=lambda spec: list(committed))
        hint_lists = {k: v if isinstance(v, list) else [v]
                      for k, v in (hints or {}).items()}
        serial = 0

        def boot(spec, index, uuid, hosts):
            spec.instance_uuid = uuid
            candidates = hosts
            if nova_anti_affinity:
                candidates = self.filter_handler.get_filtered_objects(
                    [self.anti_affinity_filter], states, spec, index)
                if not candidates:
                    return None, candidates, []
            passed = self.filter_handler.get_filtered_objects(
                [self.zha_filter], candidates, spec, index)
            self.assertTrue(passed)
            weighed = self.weight_handler.get_weighed_objects(
                [self.weigher], passed, spec)
            return weighed[0].obj, candidates, passed

        with zha_fakes.LogCapture('zha_scheduler', logging.ERROR) as errors, \
                fixture:
            for size in sizes:
                new = []
                for _ in range(size):
                    serial += 1
                    new.append(zha_fakes.instance_uuid('i%d' % serial))
                group = objects.InstanceGroup(
                    uuid=zha_fakes.instance_uuid('group'), policy=policy,
                    rules={},
                    members=[m.uuid for m in committed] + new,
                    hosts=sorted({m.host for m in committed}))
                spec = objects.RequestSpec(
                    instance_group=group, scheduler_hints=dict(hint_lists),
                    num_instances=size)
                picked = []
                hosts = states
                for index, uuid in enumerate(new):
                    chosen, candidates, passed = boot(spec, index, uuid, hosts)
                    if narrow:
                        hosts = passed
                    if chosen is None:
                        break
                    before = committed + picked
                    picked.append(members.Member(uuid, chosen.host,
                                                 chosen.nodename))
                    group.hosts.append(chosen.host)
                    chosen.instances[uuid] = objects.Instance(uuid=uuid)
                    if check:
                        check(spec=spec, by_name=by_name,
                              candidates=[by_name[h.host] for h in candidates],
                              passed=[by_name[h.host] for h in passed],
                              chosen=by_name[chosen.host], before=before,
                              after=committed + picked,
                              last=index == len(new) - 1)
                committed.extend(picked)
                if len(picked) < size:
                    break
        self.assertEqual([], errors.messages())
        if not nova_anti_affinity:
            self.assertEqual(sum(sizes), len(committed))
        return len(committed)

    def _check_skew(self, level, skew):
        """A known-domain host always passes; the last member of a request
        keeps the K8s rule over the eligible domains; and with every host
        eligible the skew over all known domains holds after each request.

        Members placed before the last one of a multi-create may go beyond
        the skew for a moment: Nova places the whole request or none of it.
        """

        def check(spec, by_name, candidates, passed, chosen, before, after,
                  all_eligible, last):
            counts = collections.Counter(
                by_name[m.host].domain(level) for m in before)
            eligible = {h.domain(level) for h in candidates} - {None}
            if not eligible:
                return
            self.assertTrue([h for h in passed if h.domain(level)])
            if not last:
                return
            domain = chosen.domain(level)
            if domain is not None:
                floor = min(counts[d] for d in eligible)
                self.assertLessEqual(counts[domain] + 1 - floor, skew,
                                     (level, domain, dict(counts)))
            if all_eligible:
                counts = collections.Counter(
                    by_name[m.host].domain(level) for m in after)
                # The audit's measure, over the domains the filter saw.
                known = {d: counts[d] for d in eligible}
                self.assertLessEqual(spread.skew(known, eligible), skew,
                                     (level, dict(counts)))
        return check

    @SETTINGS
    @given(sim_hosts=clouds(), sizes=batches(),
           level=st.sampled_from(LEVELS), skew=st.integers(1, 3),
           by_hints=st.booleans(), ttl=st.sampled_from([0, 30]),
           multiplier=MULTIPLIERS)
    def test_skew_never_exceeds_max_skew(self, sim_hosts, sizes, level, skew,
                                         by_hints, ttl, multiplier):
        check = self._check_skew(level, skew)
        config = {'trait_cache_ttl': ttl,
                  'failure_domain_weight_multiplier': multiplier}
        if by_hints:
            config.update(
                spread_domain='lpar' if level != 'lpar' else 'site',
                max_skew=5)
            hints = {'zha_spread_domain': level, 'zha_max_skew': str(skew)}
        else:
            config.update(spread_domain=level, max_skew=skew)
            hints = {}
        self._simulate(sim_hosts, sizes, hints=hints, config=config,
                       check=lambda **kw: check(all_eligible=True, **kw))

    @SETTINGS
    @given(sim_hosts=clouds(), sizes=batches(),
           level=st.sampled_from(LEVELS), skew=st.integers(1, 3),
           multiplier=MULTIPLIERS)
    def test_skew_rule_behind_novas_anti_affinity_filter(
            self, sim_hosts, sizes, level, skew, multiplier):
        check = self._check_skew(level, skew)
        self._simulate(sim_hosts, sizes,
                       config={'spread_domain': level, 'max_skew': skew,
                               'failure_domain_weight_multiplier': multiplier},
                       nova_anti_affinity=True,
                       check=lambda **kw: check(all_eligible=False, **kw))

    @SETTINGS
    @given(sim_hosts=clouds(), sizes=batches(),
           level=st.sampled_from(LEVELS), skew=st.integers(1, 3),
           multiplier=MULTIPLIERS)
    def test_multi_create_survives_novas_narrowing(
            self, sim_hosts, sizes, level, skew, multiplier):
        check = self._check_skew(level, skew)
        self._simulate(sim_hosts, sizes,
                       config={'spread_domain': level, 'max_skew': skew,
                               'failure_domain_weight_multiplier': multiplier},
                       narrow=True,
                       check=lambda **kw: check(all_eligible=True, **kw))

    @SETTINGS
    @given(sim_hosts=clouds(garbage=True), sizes=batches(),
           level=st.sampled_from(LEVELS), skew=st.integers(1, 3),
           multiplier=MULTIPLIERS)
    def test_garbage_traits(self, sim_hosts, sizes, level, skew, multiplier):
        check = self._check_skew(level, skew)
        self._simulate(sim_hosts, sizes,
                       config={'spread_domain': level, 'max_skew': skew,
                               'failure_domain_weight_multiplier': multiplier},
                       check=lambda **kw: check(all_eligible=True, **kw))

    @SETTINGS
    @given(sim_hosts=clouds(garbage=True), sizes=batches(),
           hints=st.dictionaries(
               st.sampled_from([spread.SPREAD_DOMAIN_HINT,
                                spread.MAX_SKEW_HINT, 'zha_other']),
               _GARBAGE_HINT),
           level=st.sampled_from(LEVELS), skew=st.integers(1, 3),
           multiplier=MULTIPLIERS)
    def test_garbage_hints(self, sim_hosts, sizes, hints, level, skew,
                           multiplier):
        seen = []

        def check(spec, **kw):
            effective_level = spread.spread_domain(spec)
            effective_skew = spread.max_skew(spec)
            self.assertIn(effective_level, LEVELS)
            self.assertIsInstance(effective_skew, int)
            self.assertGreaterEqual(effective_skew, 1)
            if spread.SPREAD_DOMAIN_HINT not in hints:
                self.assertEqual(level, effective_level)
            if spread.MAX_SKEW_HINT not in hints:
                self.assertEqual(skew, effective_skew)
            self._check_skew(effective_level, effective_skew)(
                spec=spec, all_eligible=True, **kw)
            seen.append(effective_level)

        self._simulate(sim_hosts, sizes, hints=hints,
                       config={'spread_domain': level, 'max_skew': skew,
                               'failure_domain_weight_multiplier': multiplier},
                       check=check)
        self.assertEqual(sum(sizes), len(seen))

    @SETTINGS
    @given(sim_hosts=clouds(), sizes=batches(),
           level=st.sampled_from(LEVELS))
    def test_soft_anti_affinity_weigher_alone_keeps_skew_of_one(
            self, sim_hosts, sizes, level):
        check = self._check_skew(level, 1)

        def soft_check(passed, candidates, last, **kw):
            self.assertEqual(len(candidates), len(passed))
            # No filter here: the weigher alone keeps every placement within
            # a skew of one, not only the last of each request.
            check(passed=passed, candidates=candidates, all_eligible=True,
                  last=True, **kw)

        self._simulate(sim_hosts, sizes, policy='soft-anti-affinity',
                       config={'spread_domain': level, 'max_skew': 1},
                       check=soft_check)
