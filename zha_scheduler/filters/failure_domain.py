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

"""Hard spreading of anti-affinity server groups over failure domains."""

from collections.abc import Iterable
from typing import Any

from nova.scheduler import filters
from nova.scheduler import utils as scheduler_utils
from oslo_log import log as logging

from zha_scheduler import request_spec
from zha_scheduler import spread

LOG = logging.getLogger(__name__)


class ZhaFailureDomainFilter(filters.BaseHostFilter):
    """Spread anti-affinity group members over CPCs, sites or LPARs."""

    # Same-host rebuilds keep the instance where it is.
    RUN_ON_REBUILD = False
    # Each instance of a multi-create changes the counts for the next one.
    run_filter_once_per_request = False

    def filter_all(self, filter_obj_list: Iterable[Any],
                   spec_obj: Any) -> list[Any]:
        return self._guarded(list(filter_obj_list), spec_obj, targeted=False)

    def host_passes(self, host_state: Any, spec_obj: Any) -> bool:
        """Judge one host against every domain known in Placement."""
        return bool(self._guarded([host_state], spec_obj, targeted=True))

    def _guarded(self, hosts: list[Any], spec_obj: Any,
                 targeted: bool) -> list[Any]:
        try:
            if (scheduler_utils.request_is_rebuild(spec_obj) or
                    spread.group_policy(spec_obj) != 'anti-affinity'):
                return hosts
            return self._spread(hosts, spec_obj, targeted)
        except Exception:
            # A filter that raises fails every boot: pass and say why.
            LOG.exception('ZhaFailureDomainFilter could not evaluate the '
                          'request; passing all %d hosts.', len(hosts))
            return hosts

    def _spread(self, hosts: list[Any], spec_obj: Any,
                targeted: bool) -> list[Any]:
        level = spread.spread_domain(spec_obj)
        skew = spread.max_skew(spec_obj)
        counts = spread.group_spread(spec_obj, hosts, level)
        domains = counts.domains_of(hosts)
        eligible = {d for d in domains if d is not None}
        if targeted or request_spec.named_host(spec_obj):
            # Nova filters only the named host: alone it would be the only
            # eligible domain and always pass. Judge it as Nova's own
            # anti-affinity filter judges a named host: against the group.
            eligible |= counts.view.domains(level)
        rule = spread.spread_rule(
            [counts.domain_counts[d] for d in eligible], skew,
            counts.remaining)
        allowed = {d for d in eligible
                   if counts.domain_counts[d] in rule.allowed_counts}
        passing = [host for host, domain in zip(hosts, domains)
                   if domain in allowed or
                   (domain is None and rule.unknown_allowed)]
        if LOG.isEnabledFor(logging.DEBUG):
            for host, domain in zip(hosts, domains):
                self._log_verdict(host, domain, allowed, rule, counts,
                                  eligible, skew)
        return passing

    @staticmethod
    def _log_verdict(host: Any, domain: str | None, allowed: set[str],
                     rule: spread.SpreadRule, counts: spread.GroupSpread,
                     eligible: set[str], skew: int) -> None:
        level = counts.level
        if domain is None and rule.unknown_allowed:
            LOG.debug('%(host_state)s has no known %(level)s; not '
                      'filtered for failure-domain spreading.',
                      {'host_state': host, 'level': level})
        elif domain is None:
            LOG.debug('%(host_state)s fails failure domain check: it has '
                      'no known %(level)s and the %(later)d members this '
                      'request places after this one are needed to '
                      'balance the %(level)ss (%(summary)s).',
                      {'host_state': host, 'level': level,
                       'later': counts.remaining - 1,
                       'summary': counts.summary(eligible)})
        elif domain not in allowed:
            LOG.debug('%(host_state)s fails failure domain check: '
                      '%(level)s %(domain)s already holds %(members)d '
                      'members of the group; one more would break max '
                      'skew %(skew)d over the eligible %(level)ss '
                      '(%(summary)s) with %(later)d more to place in '
                      'this request.',
                      {'host_state': host, 'level': level,
                       'domain': domain,
                       'members': counts.domain_counts[domain],
                       'skew': skew, 'summary': counts.summary(eligible),
                       'later': counts.remaining - 1})
