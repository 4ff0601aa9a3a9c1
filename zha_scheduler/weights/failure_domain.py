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

"""Soft spread of (soft-)anti-affinity server groups over failure domains."""

from typing import Any

from zha_scheduler import spread
from zha_scheduler.weights import base

POLICIES = ('anti-affinity', 'soft-anti-affinity')


class ZhaFailureDomainWeigher(base._ZhaWeigher):
    """Prefer the least-loaded failure domain, then the least-loaded host."""

    MULTIPLIER_OPTION = 'failure_domain_weight_multiplier'

    def _weigh_hosts(self, hosts: list[Any], spec_obj: Any) -> list[float]:
        if spread.group_policy(spec_obj) not in POLICIES:
            return [0.0] * len(hosts)
        counts = spread.group_spread(spec_obj, hosts,
                                     spread.spread_domain(spec_obj))
        domains = counts.domains_of(hosts)
        if all(d is None for d in domains):
            # Nothing to spread over: leave hosts without topology traits to
            # stock Nova (ServerGroupSoftAntiAffinityWeigher counts per host).
            return [0.0] * len(hosts)
        # Domain load first, host load second: a domain with one member more
        # always weighs less than any host of a lighter domain.
        on_host = counts.host_counts
        scale = max(on_host.values(), default=0) + 1
        return [-float(members * scale + on_host.get(host.host, 0))
                for host, members in zip(hosts,
                                         counts.counts_for(hosts, domains))]
