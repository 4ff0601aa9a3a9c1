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

"""Failure-domain spreading of a server group: settings, domains and counts.

Shared by ZhaFailureDomainFilter and ZhaFailureDomainWeigher. The skew model
is Kubernetes' topology spread: placing a member in domain ``d`` must keep
``count(d) + 1 - min(count over eligible domains) <= max_skew``.

A multi-create request places its members one after the other, and Nova gives
each one only the hosts that passed the filters for the one before, so a
domain turned away early would be lost for the rest of the request even once
the others have caught up. The rule is therefore applied to what the request
leaves behind (Nova places all of its members or none): a member may go to a
domain when the members the request still places can bring every eligible
domain within ``max_skew`` of the fullest one. With one member to place and a
group within its skew this is exactly the rule above, a domain it turns away
stays turned away for the rest of the request, and some domain always passes.
A group already beyond its skew by more than the request can repair falls
back to the rule above, which always admits the least-loaded domains.
"""

import bisect
import collections
import dataclasses
import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from oslo_log import log as logging

from zha_scheduler import conf
from zha_scheduler.conf import scheduler as scheduler_conf
from zha_scheduler import members
from zha_scheduler import placement
from zha_scheduler import topology

LOG = logging.getLogger(__name__)
CONF = conf.CONF

SPREAD_DOMAIN_HINT = 'zha_spread_domain'
MAX_SKEW_HINT = 'zha_max_skew'


def group_policy(spec_obj: Any) -> str | None:
    """Return the policy of the request's server group, if any."""
    group = getattr(spec_obj, 'instance_group', None)
    if group is None or 'policy' not in group:
        return None
    return group.policy


def spread_domain(spec_obj: Any) -> str:
    """Return the failure-domain level for the request.

    An invalid ``zha_spread_domain`` hint is ignored with a WARNING and the
    configured ``[zha_scheduler] spread_domain`` applies.
    """
    default = CONF.zha_scheduler.spread_domain
    value = spec_obj.get_scheduler_hint(SPREAD_DOMAIN_HINT)
    if value is None:
        return default
    if (isinstance(value, str) and
            value.strip().lower() in scheduler_conf.SPREAD_DOMAINS):
        return value.strip().lower()
    LOG.warning('Ignoring scheduler hint %(hint)s=%(value)r: it must be one '
                'of %(choices)s. Using %(default)s.',
                {'hint': SPREAD_DOMAIN_HINT, 'value': value,
                 'choices': ', '.join(scheduler_conf.SPREAD_DOMAINS),
                 'default': default})
    return default


def max_skew(spec_obj: Any) -> int:
    """Return the allowed skew for the request.

    An invalid ``zha_max_skew`` hint (not an integer >= 1) is ignored with a
    WARNING and the configured ``[zha_scheduler] max_skew`` applies.
    """
    default = CONF.zha_scheduler.max_skew
    value = spec_obj.get_scheduler_hint(MAX_SKEW_HINT)
    if value is None:
        return default
    try:
        skew = int(str(value).strip())
    except (TypeError, ValueError):
        skew = 0
    if skew >= 1:
        return skew
    LOG.warning('Ignoring scheduler hint %(hint)s=%(value)r: it must be an '
                'integer >= 1. Using %(default)d.',
                {'hint': MAX_SKEW_HINT, 'value': value, 'default': default})
    return default


@dataclasses.dataclass
class GroupSpread:
    """Members of one group per failure domain and per host."""

    level: str
    view: placement.Topology
    domain_counts: collections.Counter[str]
    host_counts: collections.Counter[str]
    # Members the request still places, the one being scheduled included.
    remaining: int = 1

    def domains_of(self, host_states: Iterable[Any]) -> list[str | None]:
        """Return each host's domain at this level, None when unknown."""
        if self.level == topology.LPAR:
            return [host.host for host in host_states]
        level = self.level
        return self.view.of_hosts(host_states, ('domain', level),
                                  lambda profile: profile.domain(level))

    def counts_for(self, host_states: Sequence[Any],
                   domains: Sequence[str | None]) -> list[int]:
        """Members in each host's domain; an unknown-domain host is its own.

        :param domains: the hosts' domains, as ``domains_of`` returns them.
        """
        in_domain, on_host = self.domain_counts, self.host_counts
        return [on_host.get(host.host, 0) if domain is None
                else in_domain.get(domain, 0)
                for host, domain in zip(host_states, domains)]

    def summary(self, domains: Iterable[str]) -> '_Summary':
        """Members per domain, formatted only if a log record needs it."""
        return _Summary(self.domain_counts, domains)


class _Summary:
    """Lazily formatted ``domain: members`` list for DEBUG messages."""

    def __init__(self, counts: collections.Counter[str],
                 domains: Iterable[str]) -> None:
        self._counts = counts
        self._domains = domains

    def __str__(self) -> str:
        return ', '.join('%s: %d' % (d, self._counts[d])
                         for d in sorted(self._domains))


def skew(counts: Mapping[str, int], eligible: Iterable[str]) -> int:
    """Members of the fullest domain minus those of the emptiest eligible one.

    The measure ``max_skew`` bounds, as the audit reports it for a group
    already placed: the filter keeps it for every member it places.

    :param counts: members per domain; domains without members may be
        left out.
    :param eligible: the domains members may go to, empty ones included.
    """
    if not counts:
        return 0
    return max(counts.values()) - min((counts.get(d, 0) for d in eligible),
                                      default=0)


@dataclasses.dataclass(frozen=True)
class SpreadRule:
    """Which eligible domains and whether unknown ones take the next member."""

    allowed_counts: frozenset[int]
    unknown_allowed: bool


def spread_rule(counts: Sequence[int], max_skew: int,
                remaining: int) -> SpreadRule:
    """Apply the rule in the module doc to the eligible domains' counts.

    Hosts of unknown domain take a member whenever the members left after it
    can still balance the known domains, which is always the case for a group
    within its skew: only in the middle of a multi-create that has filled some
    domains ahead of the others do they wait for the others to catch up.

    :param counts: members in each eligible domain.
    :param max_skew: the allowed skew.
    :param remaining: members the request places, the next one included.
    """
    ordered = sorted(counts)
    if not ordered:
        return SpreadRule(frozenset(), True)
    prefix = list(itertools.accumulate(ordered, initial=0))
    fullest = ordered[-1]

    def deficit(target: int) -> int:
        """Members needed to bring every domain up to ``target``."""
        below = bisect.bisect_left(ordered, target)
        return below * target - prefix[below]

    completable = set()
    for count in set(ordered):
        target = max(fullest, count + 1) - max_skew
        # The domain taking the member is itself one member closer.
        need = (deficit(target) - max(0, target - count) +
                max(0, target - count - 1))
        if need <= remaining - 1:
            completable.add(count)
    if completable:
        return SpreadRule(frozenset(completable),
                          deficit(fullest - max_skew) <= remaining - 1)
    # Beyond repair by this request: Kubernetes' rule, which always admits
    # the least-loaded domains.
    return SpreadRule(frozenset(c for c in set(ordered)
                                if c + 1 - ordered[0] <= max_skew), True)


def group_spread(spec_obj: Any, host_states: Iterable[Any],
                 level: str) -> GroupSpread:
    """Count the other members of the request's group per domain and host.

    The filter and the weigher of one scheduling pass share one count: the
    members and the view are the same for both.

    :param spec_obj: the RequestSpec, with an instance group.
    :param host_states: the candidate hosts, remembered for the request to
        map the host names of members picked earlier in it to their nodes.
    :param level: ``lpar``, ``cpc`` or ``site``.
    """
    view = placement.get_view().get(spec_obj)
    locator = members.get_locator()
    group = spec_obj.instance_group
    # A pass is one instance of the request: Nova sets instance_uuid for
    # each and appends each pick to the group's hosts.
    key = (id(spec_obj), id(view), id(locator), level,
           spec_obj.instance_uuid if 'instance_uuid' in spec_obj else None,
           len(group.hosts or []) if 'hosts' in group else 0)
    with _PASSES_LOCK:
        cached = _PASSES.get(key)
    # An entry holds what its key names by id, so the ids are not reused.
    if cached is not None and cached[0] is spec_obj:
        return cached[2]
    counts = _count(spec_obj, host_states, level, view, locator)
    with _PASSES_LOCK:
        _PASSES[key] = (spec_obj, locator, counts)
        while len(_PASSES) > _PASSES_SIZE:
            _PASSES.popitem(last=False)
    return counts


# The last scheduling passes' counts, by request, view, locator, level and
# pass, with the request and the locator.
_PASSES: collections.OrderedDict[tuple[Any, ...],
                                 tuple[Any, Any, GroupSpread]] = (
    collections.OrderedDict())
_PASSES_LOCK = threading.Lock()
_PASSES_SIZE = 16


def _count(spec_obj: Any, host_states: Iterable[Any], level: str,
           view: placement.Topology,
           locator: members.MemberLocator) -> GroupSpread:
    domain_counts: collections.Counter[str] = collections.Counter()
    host_counts: collections.Counter[str] = collections.Counter()
    for host, node in locator.locations(spec_obj, host_states):
        host_counts[host] += 1
        if level == topology.LPAR:
            domain_counts[host] += 1
            continue
        # Placement names compute node providers after the node; fall back
        # to the host name, which is the same on most deployments.
        profile = view.profile(name=node or host)
        if profile is topology.UNKNOWN and node:
            profile = view.profile(name=host)
        domain = profile.domain(level)
        if domain is not None:
            domain_counts[domain] += 1
    return GroupSpread(level, view, domain_counts, host_counts,
                       locator.remaining(spec_obj))
