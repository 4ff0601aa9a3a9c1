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

"""The plan of a drain: each instance's step, and the groups it weakens.

Nova's scheduler and the ZHA filters pick every destination, so the plan
does not name hosts. What it can tell beforehand is which server groups
cannot keep their spread while the target is away: an anti-affinity group
whose members would have to share a failure domain that they do not share
now (a group with a member on every CPC, when a CPC is drained), or that
has not enough hosts left without a member, and an affinity group, whose
members live migration can only move one at a time.
"""

import collections
import dataclasses
from typing import Any

from zha_scheduler.insight import maintenance
from zha_scheduler.insight import snapshot
from zha_scheduler import model
from zha_scheduler import topology

ANTI_AFFINITY = 'anti-affinity'
AFFINITY = 'affinity'


@dataclasses.dataclass
class GroupRisk:
    """A server group whose spread cannot hold while the target is away."""

    uuid: str
    name: str
    policy: str
    members_leaving: int
    reason: str


@dataclasses.dataclass
class DrainPlan:
    """The steps of a drain and the groups it would weaken."""

    target: maintenance.Target
    level: str
    steps: list[maintenance.Step]
    risks: list[GroupRisk]
    #: Hosts of the target whose service is enabled now.
    to_disable: list[str]
    #: Resources the moving instances need beyond the free room of the
    #: hosts that stay (a hint: Placement decides each move).
    shortfall: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {'target': self.target.to_dict(), 'level': self.level,
                'steps': [dataclasses.asdict(s) for s in self.steps],
                'groups_at_risk': [dataclasses.asdict(r)
                                   for r in self.risks],
                'to_disable': self.to_disable, 'shortfall': self.shortfall}


def plan(snap: snapshot.Snapshot, target: maintenance.Target, level: str,
         skip_stopped: bool = False, use_standby: bool = False,
         unconfirmed: dict[str, str] | None = None) -> DrainPlan:
    """Plan the drain of a target from a snapshot of the cloud.

    :param level: the failure domain groups spread over
        (``[zha_scheduler] spread_domain``).
    :param unconfirmed: instance uuid: source host, of the instances an
        earlier run cold-migrated off the target and left unconfirmed
        (Nova's ``finished`` migrations).
    """
    leaving = set(target.hosts)
    by_uuid = snap.instances_by_uuid()
    on_target = sorted((i for i in snap.instances
                        if i.placed and i.host in leaving),
                       key=lambda i: (i.host or '', i.name, i.uuid))
    unconfirmed = {u: source for u, source in (unconfirmed or {}).items()
                   if u in by_uuid and
                   by_uuid[u].status == 'VERIFY_RESIZE'}
    steps = [maintenance.step_for(i, skip_stopped=skip_stopped)
             for i in on_target if i.uuid not in unconfirmed]
    for uuid, source in sorted(unconfirmed.items()):
        inst = by_uuid[uuid]
        if inst.host in leaving:
            # Cold-migrated within the target (a drain of one of its
            # LPARs): confirmed where it is, then moved on.
            source, why = inst.host or '', 'then moving it on'
        else:
            why = 'it has left the target'
        steps.append(maintenance.Step(
            uuid, inst.name, source, inst.status, maintenance.CONFIRM,
            'cold-migrated by an earlier run and not confirmed; confirming '
            'it, %s' % why))
    # A confirmation's instance has left the target unless it is on it.
    moving = {s.instance for s in steps
              if s.action in (maintenance.LIVE, maintenance.COLD,
                              maintenance.WAIT) or
              (s.action == maintenance.CONFIRM and s.source in leaving)}
    staying = _staying_hosts(snap, leaving, use_standby)
    # Each host's domain at the level, read once for every group.
    domains = {h.name: h.name if level == topology.LPAR
               else snap.profile(h).domain(level) for h in snap.hosts}
    risks = [risk for group in snap.groups
             if (risk := _risk(group, by_uuid, domains, moving, staying,
                               level))]
    to_disable = [h.name for h in snap.hosts
                  if h.name in leaving and not h.service_disabled]
    return DrainPlan(target, level, steps, risks, sorted(to_disable),
                     _shortfall(by_uuid, moving, staying))


def _staying_hosts(snap: snapshot.Snapshot, leaving: set[str],
                   use_standby: bool) -> list[model.Host]:
    """The hosts the scheduler may move instances to."""
    return [h for h in snap.hosts
            if h.name not in leaving and h.service_up and
            not h.service_disabled and
            (use_standby or not snap.profile(h).standby)]


def _risk(group: model.Group, by_uuid: dict[str, model.Instance],
          domains: dict[str, str | None], moving: set[str],
          staying: list[model.Host], level: str) -> GroupRisk | None:
    """Why the group cannot keep its spread without the target, if so.

    :param domains: each host's domain at ``level`` (None: unknown).
    """
    members = snapshot.placed(snapshot.members_of(group, by_uuid))
    leaving = [m for m in members if m.uuid in moving]
    if not leaving:
        return None

    def risk(reason: str) -> GroupRisk:
        return GroupRisk(group.uuid, group.name, group.policy, len(leaving),
                         reason)

    if group.policy == AFFINITY:
        if len(members) > 1:
            return risk('affinity: its members must share one host, and '
                        'live migration moves them one at a time')
        return None
    if group.policy != ANTI_AFFINITY:
        return None    # soft policies are Nova's best effort
    per_host = int((group.rules or {}).get('max_server_per_host', 1))
    staying_members = [m for m in members if m.uuid not in moving]
    held = collections.Counter(m.host for m in staying_members)
    free_slots = sum(max(0, per_host - held[h.name]) for h in staying)
    if free_slots < len(leaving):
        return risk('%d member(s) must move and only %d host(s) left can '
                    'take one (one host per member)' % (
                        len(leaving), free_slots))

    def counts(found: list[model.Instance]) -> collections.Counter[str]:
        return collections.Counter(d for m in found
                                   if (d := domains.get(m.host or '')))

    before, after = counts(members), counts(staying_members)
    left = {d for h in staying if (d := domains[h.name]) is not None}
    if not left:
        return None     # unknown topology: the filter passes and logs
    for _ in leaving:   # where the failure-domain filter puts each one
        emptiest = min(sorted(left), key=lambda d: after[d])
        after[emptiest] += 1
    most_before = max(before.values(), default=0)
    most_after = max(after.values())
    if most_after > most_before:
        return risk('its members would share a %s: up to %d in one, now at '
                    'most %d, so losing one %s would stop more of them' % (
                        level, most_after, most_before, level))
    return None


def _shortfall(by_uuid: dict[str, model.Instance], moving: set[str],
               staying: list[model.Host]) -> dict[str, int]:
    need: collections.Counter[str] = collections.Counter()
    for uuid in moving:
        need.update(by_uuid[uuid].flavor.resources)
    free: collections.Counter[str] = collections.Counter()
    for h in staying:
        free.update({rc: max(0, h.free(rc)) for rc in model.RESOURCE_CLASSES})
    return {rc: need[rc] - free[rc] for rc in model.RESOURCE_CLASSES
            if need[rc] > free[rc] and
            any(rc in h.inventories for h in staying)}


class StandbyPicker:
    """With --use-standby: a standby host for a move the scheduler refused.

    Standby hosts outside the target, up and enabled, with room for the
    instance (the room taken by earlier picks counted), on another CPC
    than the instance's source first.
    """

    def __init__(self, snap: snapshot.Snapshot,
                 target: maintenance.Target) -> None:
        self.snap = snap
        self.rooms = {h.name: h.room() for h in snap.hosts
                      if h.name not in target.hosts and h.service_up and
                      not h.service_disabled and snap.profile(h).standby}
        self.cpcs = {h.name: snap.profile(h).cpc for h in snap.hosts}
        self.by_uuid = snap.instances_by_uuid()

    def __call__(self, step: maintenance.Step) -> str | None:
        needs = self.by_uuid[step.instance].flavor.resources
        source_cpc = self.cpcs.get(step.source)
        for host in sorted(self.rooms, key=lambda h: (
                source_cpc is not None and self.cpcs[h] == source_cpc, h)):
            room = self.rooms[host]
            if room.fits(needs):
                for rc, amount in needs.items():
                    room.free[rc] = room.free.get(rc, 0) - amount
                return host
        return None
