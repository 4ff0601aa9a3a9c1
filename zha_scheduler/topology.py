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

"""Host profiles: what the ZHA traits of one compute node say about it."""

from collections.abc import Iterable
import dataclasses

from oslo_log import log as logging

from zha_scheduler import traits

LOG = logging.getLogger(__name__)

REDUNDANT = 'redundant'
DEGRADED = 'degraded'
# Neither trait: the agent does not monitor that subsystem on this host.
UNMONITORED = None

LPAR = 'lpar'
CPC = 'cpc'
SITE = 'site'


@dataclasses.dataclass(frozen=True)
class HostProfile:
    """Failure domains and redundancy state of one compute host."""

    cpc: str | None = None
    site: str | None = None
    standby: bool = False
    network: str | None = UNMONITORED
    storage: str | None = UNMONITORED
    consistency_groups: frozenset[str] = frozenset()

    def domain(self, level: str) -> str | None:
        """Return this host's domain at ``cpc`` or ``site`` level, if known."""
        if level == CPC:
            return self.cpc
        if level == SITE:
            return self.site
        return None


UNKNOWN = HostProfile()


def _health(redundant: bool, degraded: bool, subsystem: str,
            host: str) -> str | None:
    if redundant and degraded:
        # The vocabulary forbids both; trusting "redundant" could put an HA
        # workload on a broken host, so the worse state wins.
        LOG.warning('Host %(host)s carries both redundant and degraded '
                    '%(sub)s traits; treating it as degraded.',
                    {'host': host, 'sub': subsystem})
        return DEGRADED
    if degraded:
        return DEGRADED
    if redundant:
        return REDUNDANT
    return UNMONITORED


def profile_from_traits(trait_names: Iterable[str],
                        host: str = '') -> HostProfile:
    """Build a HostProfile from a provider's trait names.

    Traits that are not ZHA traits are ignored. A host naming more than one
    CPC or site is ambiguous: that level is left unknown and a warning logged.

    :param trait_names: the provider's traits (any, not only ZHA ones).
    :param host: the provider's name, for log messages.
    :returns: the host's profile.
    """
    cpcs: set[str] = set()
    sites: set[str] = set()
    groups: set[str] = set()
    by_kind = {traits.CPC: cpcs, traits.SITE: sites,
               traits.CONSISTENCY_GROUP: groups}
    fixed: set[str] = set()
    for name in trait_names:
        parsed = traits.parse(name)
        if parsed is None:
            continue
        kind, value = parsed
        if value is None:
            fixed.add(kind)
        else:
            by_kind[kind].add(value)
    return HostProfile(
        cpc=_single(cpcs, 'CPC', host),
        site=_single(sites, 'site', host),
        standby=traits.STANDBY in fixed,
        network=_health(traits.NET_REDUNDANT in fixed,
                        traits.NET_DEGRADED in fixed, 'network', host),
        storage=_health(traits.STORAGE_REDUNDANT in fixed,
                        traits.STORAGE_DEGRADED in fixed, 'storage', host),
        consistency_groups=frozenset(groups),
    )


def _single(values: set[str], what: str, host: str) -> str | None:
    if len(values) > 1:
        LOG.warning('Host %(host)s has %(n)d %(what)s traits (%(values)s); '
                    'its %(what)s is treated as unknown.',
                    {'host': host, 'n': len(values), 'what': what,
                     'values': ', '.join(sorted(values))})
        return None
    return next(iter(values), None)
