"""Soft spreading of (soft-)anti-affinity server groups over failure domains."""

from typing import Any

from nova.scheduler import utils as scheduler_utils
from nova.scheduler import weights
from nova import weights as base_weights
from oslo_log import log as logging

from zha_scheduler import conf
from zha_scheduler import spread

LOG = logging.getLogger(__name__)
CONF = conf.CONF

POLICIES = ('anti-affinity', 'soft-anti-affinity')


class ZhaFailureDomainWeigher(weights.BaseHostWeigher):
    """Prefer the least-loaded failure domain, then the least-loaded host."""

    def weight_multiplier(self, host_state: Any) -> float:
        return scheduler_utils.get_weight_multiplier(
            host_state, 'failure_domain_weight_multiplier',
            CONF.zha_scheduler.failure_domain_weight_multiplier)

    def _weigh_object(self, host_state: Any, request_spec: Any) -> float:
        return self.weigh_objects(
            [base_weights.WeighedObject(host_state, 0.0)], request_spec)[0]

    def weigh_objects(self, weighed_obj_list: list[Any],
                      weight_properties: Any) -> list[float]:
        hosts = [weighed.obj for weighed in weighed_obj_list]
        if (CONF.zha_scheduler.failure_domain_weight_multiplier == 0.0 or
                spread.group_policy(weight_properties) not in POLICIES):
            return [0.0] * len(hosts)
        try:
            counts = spread.group_spread(
                weight_properties, hosts,
                spread.spread_domain(weight_properties))
        except Exception:
            LOG.exception('ZhaFailureDomainWeigher could not evaluate the '
                          'request; giving every host the same weight.')
            return [0.0] * len(hosts)
        if not any(counts.domain_of(host) is not None for host in hosts):
            # Nothing to spread over: leave hosts without topology traits to
            # stock Nova (ServerGroupSoftAntiAffinityWeigher counts per host).
            return [0.0] * len(hosts)
        # Domain load first, host load second: a domain with one member more
        # always weighs less than any host of a lighter domain.
        scale = max(counts.host_counts.values(), default=0) + 1
        return [-float(counts.count_for(host) * scale +
                       counts.host_counts[host.host])
                for host in hosts]

