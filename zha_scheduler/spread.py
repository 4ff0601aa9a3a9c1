"""Failure-domain spreading of a server group: settings, domains and counts.

Shared by ZhaFailureDomainFilter and ZhaFailureDomainWeigher. The skew model
is Kubernetes' topology spread: placing a member in domain ``d`` must keep
``count(d) + 1 - min(count over eligible domains) <= max_skew``.
"""

import collections
import dataclasses
from collections.abc import Iterable
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
    if isinstance(value, str) and value.strip().lower() in scheduler_conf.SPREAD_DOMAINS:
        return value.strip().lower()
    LOG.warning('Ignoring scheduler hint %(hint)s=%(value)r: it must be one of '
                '%(choices)s. Using %(default)s.',
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

    def domain_of(self, host_state: Any) -> str | None:
        """Return the host's domain at this level; None when unknown."""
        if self.level == topology.LPAR:
            return host_state.host
        profile = self.view.profile(host_state.uuid, host_state.nodename)
        return profile.domain(self.level)

    def count_for(self, host_state: Any) -> int:
        """Members in the host's domain; a host of unknown domain is its own."""
        domain = self.domain_of(host_state)
        if domain is None:
            return self.host_counts[host_state.host]
        return self.domain_counts[domain]


def group_spread(spec_obj: Any, host_states: Iterable[Any],
                 level: str) -> GroupSpread:
    """Count the other members of the request's group per domain and host.

    :param spec_obj: the RequestSpec, with an instance group.
    :param host_states: the candidate hosts, remembered for the request to
        map the host names of members picked earlier in it to their nodes.
    :param level: ``lpar``, ``cpc`` or ``site``.
    """
    view = placement.get_view().get(spec_obj)
    domain_counts: collections.Counter[str] = collections.Counter()
    host_counts: collections.Counter[str] = collections.Counter()
    for host, node in members.get_locator().locations(spec_obj, host_states):
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
    return GroupSpread(level, view, domain_counts, host_counts)
