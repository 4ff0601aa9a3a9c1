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

"""Options read inside nova-scheduler by the ZHA filters and weighers."""

from oslo_config import cfg

SPREAD_DOMAINS = ('lpar', 'cpc', 'site')

zha_scheduler_group = cfg.OptGroup(
    name='zha_scheduler',
    title='ZHA scheduler options',
    help=('Options for the zha-scheduler filters and weighers, which '
          'spread server groups over IBM Z failure domains (LPAR, CPC, '
          'site) and keep workloads on hosts with redundant network and '
          'storage, using the Placement traits published by the host agent.'))

scheduler_opts = [
    cfg.IntOpt('trait_cache_ttl',
        default=30,
        min=0,
        help="""
Seconds for which the scheduler keeps its view of the ZHA topology traits.

The view is read from Placement in bulk (one call per ``CUSTOM_ZHA_*`` trait,
never one per host). When a refresh fails, the last good view is kept and a
warning is logged.

Possible values:

* 0: refresh for every scheduling request.
* A positive integer: number of seconds between refreshes.

Related options:

* ``[placement]`` section: the Placement client configuration of Nova, reused.
"""),
    cfg.StrOpt('spread_domain',
        default='cpc',
        choices=[
            ('lpar', 'Spread over hosts (one LPAR is one compute host).'),
            ('cpc', 'Spread over CPCs (physical machines).'),
            ('site', 'Spread over sites (data centres).'),
        ],
        help="""
Failure domain over which anti-affinity server groups are spread.

A request may override it with the scheduler hint ``zha_spread_domain``.
Hosts without the trait for the chosen level are in an unknown domain: they
are never rejected for topology reasons and never count as the same domain as
another host.

Related options:

* ``max_skew``
"""),
    cfg.IntOpt('max_skew',
        default=1,
        min=1,
        help="""
Largest allowed difference in group members between failure domains.

A host passes ``ZhaFailureDomainFilter`` when placing the member there keeps
``members(domain) + 1 - min(members over eligible domains) <= max_skew``.
Eligible domains are the known domains of the hosts that reach the filter.
A request may override it with the scheduler hint ``zha_max_skew``.

Possible values:

* An integer >= 1.

Related options:

* ``spread_domain``
"""),
    cfg.FloatOpt('failure_domain_weight_multiplier',
        default=1.0,
        help="""
Multiplier for the weight of ``ZhaFailureDomainWeigher``.

The weigher prefers hosts in the failure domain holding the fewest members of
the request's ``anti-affinity`` or ``soft-anti-affinity`` group, then the host
holding the fewest. Set to 0 to skip its work. The value can be overridden per
aggregate with the aggregate metadata key ``failure_domain_weight_multiplier``.

Possible values:

* A positive float: spread harder.
* 0.0: disable the weigher.
* A negative float: pack group members into domains (not recommended).

Related options:

* ``[filter_scheduler] soft_anti_affinity_weight_multiplier``
"""),
    cfg.StrOpt('require_redundancy',
        default='flavor',
        choices=[
            ('flavor', 'Only requests whose flavor has '
                       '``zha:redundancy=required``.'),
            ('always', 'Every request: only redundant hosts take new '
                       'instances.'),
            ('never', 'No request; ``zha:redundancy=required`` is treated '
                      'as ``preferred``.'),
        ],
        help="""
Which requests ``ZhaRedundancyFilter`` restricts to redundant hosts.

A host is redundant when the host agent has published both
``CUSTOM_ZHA_NET_REDUNDANT`` and ``CUSTOM_ZHA_STORAGE_REDUNDANT`` for it. A
host with a degraded network or storage subsystem never passes a request that
requires redundancy; a subsystem the agent does not monitor is judged by
``unmonitored_hosts``.

Related options:

* ``unmonitored_hosts``
* ``redundancy_weight_multiplier``
"""),
    cfg.StrOpt('unmonitored_hosts',
        default='pass',
        choices=[
            ('pass', 'An unmonitored subsystem counts as good enough: such '
                     'hosts pass, and rank below redundant hosts.'),
            ('reject', 'An unmonitored subsystem counts as degraded.'),
        ],
        help="""
How a host whose network or storage the host agent does not monitor is judged.

A subsystem is unmonitored when the host carries neither its ``_REDUNDANT``
nor its ``_DEGRADED`` trait: no agent runs there, the agent could not read
its sources, or the host has no SAN. With ``pass`` such a host passes
``ZhaRedundancyFilter`` and ``ZhaRedundancyWeigher`` ranks it below redundant
hosts and above degraded ones. With ``reject`` it is treated as degraded.
Consistency groups are never assumed: only the ``CUSTOM_ZHA_CG_<NAME>``
trait admits a host to a request naming a group.

Related options:

* ``require_redundancy``
* ``redundancy_weight_multiplier``
"""),
    cfg.FloatOpt('redundancy_weight_multiplier',
        default=1.0,
        help="""
Multiplier for the weight of ``ZhaRedundancyWeigher``.

The weigher applies to every request: hosts with redundant network and
storage rank first, then hosts with one degraded subsystem, then hosts with
both degraded; an unmonitored subsystem ranks as set by
``unmonitored_hosts``. For requests that ask for redundancy (flavor extra spec
``zha:redundancy`` = ``required`` or ``preferred``, or every request with
``require_redundancy = always``) the multiplier is multiplied by 10, so that
host health outweighs Nova's capacity weighers. The value can be overridden
per aggregate with the aggregate metadata key
``redundancy_weight_multiplier``.

Possible values:

* A positive float: prefer healthier hosts.
* 0.0: disable the weigher.
* A negative float: prefer degraded hosts (not recommended).

Related options:

* ``unmonitored_hosts``
* ``require_redundancy``
"""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(zha_scheduler_group)
    conf.register_opts(scheduler_opts, group=zha_scheduler_group)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return [(zha_scheduler_group, scheduler_opts)]
