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

"""What drain and failback share: the target, the steps and the locks.

A target is one compute host, every LPAR of a CPC or every host of a site.
Each instance that leaves it (drain) or comes back to it (failback) is one
step: a live migration (ACTIVE or PAUSED), a cold migration (SHUTOFF), the
confirmation of a cold migration an earlier run left unconfirmed, or a wait
for a move already in progress, so that a run killed half-way resumes
without moving any instance twice.
"""

import dataclasses
from typing import Any
import urllib.parse

from zha_scheduler.clients import nova_client
from zha_scheduler.insight import snapshot
from zha_scheduler import model
from zha_scheduler import topology
from zha_scheduler import traits

HOST, CPC, SITE = 'host', topology.CPC, topology.SITE

LIVE = 'live-migrate'
COLD = 'cold-migrate'
CONFIRM = 'confirm'
WAIT = 'wait'
SKIP = 'skip'
STAY = 'stay'
#: The steps that move an instance.
MOVES = (LIVE, COLD, CONFIRM, WAIT)

#: Statuses Nova live-migrates, and the one it cold-migrates.
LIVE_STATUSES = ('ACTIVE', 'PAUSED')
STOPPED = 'SHUTOFF'

DRAIN_REASON_PREFIX = nova_client.DRAIN_REASON_PREFIX


class TargetError(Exception):
    """The target names no compute host, CPC or site of the cloud."""


@dataclasses.dataclass(frozen=True)
class Target:
    """The hosts a drain or failback acts on, named as the operator did."""

    kind: str
    name: str
    hosts: tuple[str, ...]

    def __str__(self) -> str:
        if self.kind == HOST:
            return self.name
        return '%s %s' % ('CPC' if self.kind == CPC else 'site', self.name)

    def lock_names(self) -> list[bytes]:
        """One lock per host, so that overlapping targets exclude each other.

        A drain of a CPC and of one of its LPARs, or a drain and a failback
        of one host, never run at once.
        """
        return [('zha-maintenance-%s' % urllib.parse.quote(h, safe='')
                 ).encode() for h in sorted(self.hosts)]

    def to_dict(self) -> dict[str, Any]:
        return {'kind': self.kind, 'name': self.name,
                'hosts': list(self.hosts)}


def resolve(snap: snapshot.Snapshot, host: str | None = None,
            cpc: str | None = None, site: str | None = None) -> Target:
    """The target the arguments name (exactly one of them is set).

    A CPC or site is named as in its trait without the prefix, in any case
    (``Z1``, ``3931_02_A1B2C``); every compute host carrying that trait is
    in it, standby partitions included.

    :raises TargetError: nothing of that name.
    """
    if host is not None:
        if host not in snap.host_named():
            raise TargetError('no compute host is named %r; compute hosts: '
                              '%s' % (host, _some(h.name for h in snap.hosts)))
        return Target(HOST, host, (host,))
    kind, name = (CPC, cpc) if cpc is not None else (SITE, site or '')
    build = traits.cpc_trait if kind == CPC else traits.site_trait
    found: dict[str, list[str]] = {}
    for h in snap.hosts:
        domain = snap.profile(h).domain(kind)
        if domain is not None:
            found.setdefault(domain, []).append(h.name)
    for domain, hosts in found.items():
        # The trait's part in any case, or the name the agent was given.
        if name.strip() and (domain.upper() == name.strip().upper() or
                             build(domain) == build(name)):
            return Target(kind, domain, tuple(sorted(hosts)))
    raise TargetError('no compute host is in %s %r (its %s trait); known: '
                      '%s' % (kind.upper() if kind == CPC else kind, name,
                              build('NAME'), _some(found) or 'none'))


def _some(names: Any, shown: int = 10) -> str:
    names = sorted(names)
    text = ', '.join(names[:shown])
    return text + (', ... (%d in all)' % len(names)
                   if len(names) > shown else '')


@dataclasses.dataclass
class Step:
    """What a run does with one instance, and why."""

    instance: str
    name: str
    source: str
    status: str
    action: str
    reason: str = ''
    destination: str | None = None   # a named host; None: the scheduler


def step_for(instance: model.Instance, destination: str | None = None,
             skip_stopped: bool = False) -> Step:
    """The step that moves an instance off its host (to ``destination``)."""
    def step(action: str, reason: str = '') -> Step:
        return Step(instance.uuid, instance.name, instance.host or '',
                    instance.status, action, reason, destination)

    if instance.task_state:
        return step(WAIT, 'a %s is in progress: waiting for it to end' %
                    instance.task_state)
    if instance.status in LIVE_STATUSES:
        return step(LIVE)
    if instance.status == STOPPED:
        if skip_stopped:
            return step(SKIP, 'stopped, and --skip-stopped leaves it')
        return step(COLD)
    return step(STAY, 'Nova moves only ACTIVE, PAUSED or SHUTOFF instances; '
                'it is %s' % instance.status)


def not_ready(snap: snapshot.Snapshot, host: model.Host,
              forced_down: bool = False) -> str | None:
    """Why instances cannot go back to a host yet; None when they can.

    :param forced_down: Nova's forced_down flag of the host's service (the
        snapshot only knows it as "not up").
    """
    if forced_down:
        return ('nova-compute is forced down (zha-evacuate fenced it): once '
                'the LPAR is active again and nova-compute runs, clear it '
                'with "openstack --os-compute-api-version 2.53 compute '
                'service set --up %s nova-compute"' % host.name)
    if not host.service_up:
        return ('nova-compute is down: activate the LPAR and start '
                'nova-compute')
    profile = snap.profile(host)
    degraded = [(what, trait) for what, state, trait in (
        ('network', profile.network, traits.NET_DEGRADED),
        ('storage', profile.storage, traits.STORAGE_DEGRADED))
        if state == topology.DEGRADED]
    if degraded:
        return ('its %s degraded (%s): repair it and let zha-trait-agent '
                'publish the traits again' % (
                    ' and '.join(w for w, _ in degraded) +
                    (' are' if len(degraded) > 1 else ' is'),
                    ', '.join(t for _, t in degraded)))
    return None
