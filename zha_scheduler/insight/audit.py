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

"""Find server groups whose members no longer keep their policy, and the fixes.

Parallel boots, forced hosts, migrations and evacuations can each leave a
group in a state its filters would never have chosen: Nova's late check looks
at hosts only. The audit looks at every level (host, then the failure domain
the scheduler spreads over), at members on degraded hosts and at members on
standby partitions outside a recovery, and proposes live migrations, one
member at a time, that bring each group back within its rules.
"""

import collections
import dataclasses
from typing import Any

from zha_scheduler.insight import snapshot
from zha_scheduler import model
from zha_scheduler import spread
from zha_scheduler import topology

ANTI_AFFINITY = 'anti-affinity'
SOFT_ANTI_AFFINITY = 'soft-anti-affinity'
AFFINITY = 'affinity'
SPREADING = (ANTI_AFFINITY, SOFT_ANTI_AFFINITY)
# disabled_reason prefix of the evacuation hook
# (zha_scheduler.evacuate.progress).
_HOOK_REASON = 'zha-evacuate:'


@dataclasses.dataclass
class Violation:
    """One broken rule of a group: its level or kind, in plain words."""

    kind: str          # host, lpar, cpc, site, degraded or standby
    detail: str
    members: list[str]
    advisory: bool = False   # soft-anti-affinity: Nova's best effort only


@dataclasses.dataclass
class Move:
    """A live migration that repairs a group; the scheduler picks the host."""

    instance: str
    name: str
    group: str
    source: str
    reason: str
    towards: str | None    # the domain the move should land in, if any


@dataclasses.dataclass
class GroupAudit:
    """A group's placement, what it breaks and the moves that repair it."""

    uuid: str
    name: str
    policy: str
    members: int
    counts: dict[str, int]
    violations: list[Violation]
    moves: list[Move]


@dataclasses.dataclass
class AuditReport:
    """The groups that break their policy, out of all the groups checked."""

    level: str
    max_skew: int
    checked: int
    recovery_in_progress: bool
    groups: list[GroupAudit]

    @property
    def violations(self) -> int:
        return sum(1 for g in self.groups for v in g.violations
                   if not v.advisory)

    @property
    def moves(self) -> list[Move]:
        return [m for g in self.groups for m in g.moves]

    def to_dict(self) -> dict[str, Any]:
        return {'level': self.level, 'max_skew': self.max_skew,
                'groups_checked': self.checked, 'violations': self.violations,
                'recovery_in_progress': self.recovery_in_progress,
                'groups': [dataclasses.asdict(g) for g in self.groups]}


class _Cloud:
    """What the audit reads of the snapshot, indexed once."""

    def __init__(self, snap: snapshot.Snapshot, level: str) -> None:
        self.level = level
        self.hosts = snap.host_named()
        self.profiles = {h.name: snap.profile(h) for h in snap.hosts}
        self.instances = snap.instances_by_uuid()
        # Domains that hold primaries: the skew is measured over them even
        # while their hosts are disabled, which must not hide a broken group.
        self.eligible = {d for h in snap.hosts
                         if not self.profiles[h.name].standby and
                         (d := self.domain(h.name)) is not None}
        # Domains a member can move to now: a usable primary host is there.
        self.usable = {d for h in snap.hosts
                       if h.service_up and not h.service_disabled and
                       not self.profiles[h.name].standby and
                       (d := self.domain(h.name)) is not None}
        self.recovery = any(
            not h.service_up or
            (h.disabled_reason or '').startswith(_HOOK_REASON)
            for h in snap.hosts)

    def domain(self, host: str) -> str | None:
        if self.level == topology.LPAR:
            return host if host in self.hosts else None
        profile = self.profiles.get(host)
        return profile.domain(self.level) if profile else None

    def health_problem(self, host: str) -> str | None:
        profile = self.profiles.get(host, topology.UNKNOWN)
        if profile.standby and not self.recovery:
            return 'standby'
        if topology.DEGRADED in (profile.network, profile.storage):
            return 'degraded'
        return None


def audit(snap: snapshot.Snapshot, level: str, max_skew: int,
          group: str | None = None) -> AuditReport:
    """Audit every server group (or one, by uuid or name) of the snapshot.

    :param level: the failure domain spread over: ``lpar``, ``cpc`` or ``site``
        (``[zha_scheduler] spread_domain``).
    :param max_skew: the allowed skew (``[zha_scheduler] max_skew``).
    :raises snapshot.SnapshotError: when ``group`` names no group.
    """
    cloud = _Cloud(snap, level)
    groups = [snap.find_group(group)] if group else snap.groups
    found = []
    for g in groups:
        result = _audit_group(cloud, g, max_skew)
        if result.violations:
            found.append(result)
    return AuditReport(level=level, max_skew=max_skew, checked=len(groups),
                       recovery_in_progress=cloud.recovery, groups=found)


def _audit_group(cloud: _Cloud, group: model.Group,
                 max_skew: int) -> GroupAudit:
    members = snapshot.placed(snapshot.members_of(group, cloud.instances))
    where = {m.uuid: m.host for m in members if m.host}
    violations: list[Violation] = []
    moves: list[Move] = []
    soft = group.policy == SOFT_ANTI_AFFINITY
    if group.policy == AFFINITY:
        hosts = collections.Counter(where.values())
        if len(hosts) > 1:
            violations.append(Violation(
                'host', 'members on %d hosts (%s); affinity wants one' % (
                    len(hosts), _counts_text(hosts)), sorted(where)))
    elif group.policy in SPREADING:
        violations.extend(_health_violations(cloud, where, soft))
        per_host = int((group.rules or {}).get('max_server_per_host', 1))
        hosts = collections.Counter(where.values())
        crowded = {h: n for h, n in hosts.items() if n > per_host}
        if crowded:
            violations.append(Violation(
                'host', '%s hold more than %d member(s) each' % (
                    _counts_text(crowded), per_host),
                sorted(u for u, h in where.items() if h in crowded),
                advisory=soft))
        skew, counts = _skew(cloud, [cloud.domain(h) for h in where.values()])
        if skew > max_skew:
            violations.append(Violation(
                cloud.level, '%s skew %d exceeds max_skew %d (%s)' % (
                    cloud.level, skew, max_skew,
                    _counts_text(counts, cloud.eligible)),
                sorted(where), advisory=soft))
        if violations:
            moves = _repair(cloud, group, dict(where), per_host, max_skew)
    counts = collections.Counter(d for h in where.values()
                                 if (d := cloud.domain(h)) is not None)
    return GroupAudit(uuid=group.uuid, name=group.name, policy=group.policy,
                      members=len(members),
                      counts=dict(sorted(counts.items())),
                      violations=violations, moves=moves)


def _health_violations(cloud: _Cloud, where: dict[str, str],
                       soft: bool) -> list[Violation]:
    found = []
    for kind in ('degraded', 'standby'):
        bad = sorted(u for u, h in where.items()
                     if cloud.health_problem(h) == kind)
        if bad:
            hosts = sorted({where[u] for u in bad})
            detail = ('on a host whose network or storage is degraded'
                      if kind == 'degraded' else
                      'on a standby partition while no recovery is in '
                      'progress')
            found.append(Violation(kind, '%d member(s) %s: %s' % (
                len(bad), detail, ', '.join(hosts)), bad, advisory=soft))
    return found


def _skew(cloud: _Cloud, domains: list[str | None]
          ) -> tuple[int, collections.Counter[str]]:
    """Skew of the members over the eligible domains, as the filter keeps it.

    Members in an unknown domain do not count, as in ZhaFailureDomainFilter.
    """
    counts = collections.Counter(d for d in domains if d)
    return spread.skew(counts, cloud.eligible), counts


def _repair(cloud: _Cloud, group: model.Group, where: dict[str, str],
            per_host: int, max_skew: int) -> list[Move]:
    """Greedy moves, simulated one after the other, until the group is clean.

    A moved member is counted in the least loaded eligible domain, where the
    scheduler will put it; which host there is the scheduler's choice.
    """
    domain = {u: cloud.domain(h) for u, h in where.items()}
    host: dict[str, str | None] = dict(where)
    moves: list[Move] = []

    def move(uuid: str, reason: str, leave_domain: bool = True) -> None:
        counts = collections.Counter(d for u, d in domain.items()
                                     if d and u != uuid)
        avoid = {domain[uuid] or ''} if leave_domain else set()
        towards = min(sorted(cloud.usable - avoid),
                      key=lambda d: counts.get(d, 0), default=None)
        moves.append(Move(uuid, cloud.instances[uuid].name, group.uuid,
                          where[uuid], reason, towards))
        domain[uuid], host[uuid] = towards, None

    for uuid in sorted(where):
        problem = cloud.health_problem(where[uuid])
        if problem:
            move(uuid, 'on a %s host' % problem, leave_domain=False)
    occupancy = collections.Counter(h for h in host.values() if h)
    for shared, count in sorted(occupancy.items()):
        sharing = sorted(u for u, h in host.items() if h == shared)
        for uuid in sharing[per_host:count]:
            move(uuid, 'shares host %s with another member' % shared)
    for _ in range(len(where)):
        skew, counts = _skew(cloud, list(domain.values()))
        if skew <= max_skew:
            break
        fullest = max(sorted(counts), key=lambda d: counts[d])
        uuid = sorted(u for u, d in domain.items() if d == fullest)[0]
        move(uuid, '%s %s holds %d members' % (cloud.level, fullest,
                                               counts[fullest]))
    return moves


def _counts_text(counts: collections.Counter | dict[str, int],
                 domains: set[str] | None = None) -> str:
    shown = {d: counts.get(d, 0) for d in (domains or set()) | set(counts)}
    busy = sorted((d for d in shown if shown[d]), key=lambda d: (-shown[d], d))
    empty = len(shown) - len(busy)
    text = ', '.join('%s: %d' % (d, shown[d]) for d in busy)
    if empty:
        text += ', %d more with 0' % empty
    return text
