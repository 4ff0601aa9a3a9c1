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

"""Can the standby capacity absorb each primary LPAR, and each CPC's failure?

Pure: reads a Snapshot and the primary -> standby partner map, does no I/O.
A primary's instances go to its standby partner (the evacuation hook's first
choice) or, without a usable partner, to the pool of standby hosts on other
CPCs. Instances are packed largest first (first-fit decreasing) into what
Placement would still allocate on those hosts, ``max_unit`` included.
"""

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from zha_scheduler.insight import snapshot
from zha_scheduler import model

RESOURCES = model.RESOURCE_CLASSES
PARTNER = 'partner'
POOL = 'pool'


@dataclasses.dataclass
class Finding:
    """Something an operator should look at that does not fail the check."""

    kind: str
    host: str
    message: str


@dataclasses.dataclass
class Verdict:
    """Whether one primary's instances fit on its standby capacity."""

    host: str
    cpc: str | None
    target_kind: str | None           # PARTNER, POOL or None (no standby)
    targets: list[str]
    instances: int
    demand: dict[str, int]
    free: dict[str, int]
    unplaced: list[str]               # names of instances that do not fit
    shortfall: dict[str, int]         # demand over the targets' free capacity

    @property
    def ok(self) -> bool:
        return not self.unplaced


@dataclasses.dataclass
class CpcFailure:
    """What happens when every primary of one CPC fails at once."""

    cpc: str
    hosts: list[str]
    instances: int
    unplaced: list[str]
    unplaced_demand: dict[str, int]
    shortfall: dict[str, int]

    @property
    def survivable(self) -> bool:
        return not self.unplaced


@dataclasses.dataclass
class CapacityReport:
    """Per-primary verdicts, single-CPC failures and findings."""

    primaries: list[Verdict]
    cpc_failures: list[CpcFailure]
    findings: list[Finding]
    unknown_cpc: list[str]

    @property
    def ok(self) -> bool:
        return (all(v.ok for v in self.primaries) and
                all(f.survivable for f in self.cpc_failures))

    def to_dict(self) -> dict[str, Any]:
        return {'ok': self.ok,
                'primaries': [dict(dataclasses.asdict(v), ok=v.ok)
                              for v in self.primaries],
                'cpc_failures': [dict(dataclasses.asdict(f),
                                      survivable=f.survivable)
                                 for f in self.cpc_failures],
                'findings': [dataclasses.asdict(f) for f in self.findings],
                'unknown_cpc': self.unknown_cpc}


@dataclasses.dataclass
class _Item:
    name: str
    needs: dict[str, int]


def _largest_first(items: Iterable[_Item]) -> list[_Item]:
    # Memory is what runs out first on KVM hosts; the name makes ties stable.
    return sorted(items, key=lambda i: (-i.needs.get('MEMORY_MB', 0),
                                        -i.needs.get('VCPU', 0),
                                        -i.needs.get('DISK_GB', 0), i.name))


def _pack(items: Iterable[_Item], rooms: list[model.Room]) -> list[_Item]:
    """First-fit decreasing; returns the items that fit nowhere."""
    return [item for item in _largest_first(items)
            if not any(room.take(item.needs) for room in rooms)]


def _total(items: Iterable[_Item]) -> dict[str, int]:
    total = dict.fromkeys(RESOURCES, 0)
    for item in items:
        for rc in RESOURCES:
            total[rc] += item.needs.get(rc, 0)
    return total


def _shortfall(demand: Mapping[str, int],
               free: Mapping[str, int]) -> dict[str, int]:
    return {rc: demand[rc] - free[rc] for rc in RESOURCES
            if demand[rc] > free[rc]}


class _Cloud:
    """The snapshot indexed for the checks: primaries, items, standbys."""

    def __init__(self, snap: snapshot.Snapshot,
                 partners: Mapping[str, str]) -> None:
        self.hosts = snap.host_named()
        self.cpc = {h.name: snap.profile(h).cpc for h in snap.hosts}
        standby = {h.name: snap.profile(h).standby for h in snap.hosts}
        self.primaries = sorted(h.name for h in snap.hosts
                                if not standby[h.name])
        # Nova's scheduler takes no new guest on a down or disabled service.
        self.standbys = sorted(
            h.name for h in snap.hosts
            if standby[h.name] and h.service_up and not h.service_disabled)
        self.findings: list[Finding] = []
        self.partner = self._partners(partners, standby)
        self.items = self._items(snap)
        targets = set(self.standbys) | set(self.partner.values())
        self.rooms = {n: self.hosts[n].room() for n in targets}

    def _note(self, kind: str, host: str, message: str) -> None:
        self.findings.append(Finding(kind, host, message))

    def _partners(self, partners: Mapping[str, str],
                  standby: Mapping[str, bool]) -> dict[str, str]:
        usable = {}
        for primary, partner in sorted(partners.items()):
            if primary not in self.hosts or standby[primary]:
                self._note('unknown-primary', primary,
                           'partners file names %s, which is not a primary '
                           'host of this snapshot' % primary)
                continue
            host = self.hosts.get(partner)
            if host is None:
                self._note('unknown-partner', primary,
                           'partner %s of %s is not in the snapshot; the '
                           'standby pool is counted instead'
                           % (partner, primary))
                continue
            if not standby[partner]:
                self._note('partner-not-standby', primary,
                           'partner %s of %s is not a standby host '
                           '(no CUSTOM_ZHA_STANDBY)' % (partner, primary))
            cpc = self.cpc[primary]
            if cpc is not None and cpc == self.cpc[partner]:
                self._note('partner-same-cpc', primary,
                           'partner %s of %s is on the same CPC %s: a CPC '
                           'failure takes both' % (partner, primary, cpc))
            if not host.service_up or host.service_disabled:
                self._note('partner-unusable', primary,
                           'partner %s of %s is down or disabled; the standby '
                           'pool is counted instead' % (partner, primary))
                continue
            usable[primary] = partner
        return usable

    def _items(self, snap: snapshot.Snapshot) -> dict[str, list[_Item]]:
        items: dict[str, list[_Item]] = {name: [] for name in self.primaries}
        for inst in snapshot.placed(snap.instances):
            if inst.host in items:
                items[inst.host].append(_Item(inst.name or inst.uuid,
                                              inst.flavor.resources))
        for name, found in items.items():
            usages = {rc: n for rc, n in self.hosts[name].usages.items()
                      if rc in RESOURCES}
            # Placement knows of consumers the snapshot has no server for (an
            # instance of another cell, a partial snapshot): move them as one.
            if not found and any(usages.values()):
                found.append(_Item('(Placement usages of %s)' % name, usages))
        return items

    def targets(self, primary: str, failed_cpc: str | None = None) -> tuple[
            str | None, list[str]]:
        """The partner, else the standbys on other (or unknown) CPCs."""
        partner = self.partner.get(primary)
        if partner is not None and (failed_cpc is None or
                                    self.cpc[partner] != failed_cpc):
            return PARTNER, [partner]
        cpc = self.cpc[primary]
        pool = [s for s in self.standbys
                if s != primary and (cpc is None or self.cpc[s] != cpc) and
                (failed_cpc is None or self.cpc[s] != failed_cpc)]
        return (POOL, pool) if pool else (None, [])

    def room(self, name: str) -> model.Room:
        """A fresh copy of what the host can take, for one packing."""
        return model.Room(self.rooms[name].free, self.rooms[name].max_unit)

    def free(self, names: Iterable[str]) -> dict[str, int]:
        """The free capacity of these hosts in all."""
        return _total(_Item(n, self.rooms[n].free) for n in names)


def _verdict(cloud: _Cloud, primary: str) -> Verdict:
    kind, targets = cloud.targets(primary)
    items = cloud.items[primary]
    free = cloud.free(targets)
    unplaced = _pack(items, [cloud.room(n) for n in targets])
    demand = _total(items)
    return Verdict(host=primary, cpc=cloud.cpc[primary], target_kind=kind,
                   targets=targets, instances=len(items), demand=demand,
                   free=free, unplaced=[i.name for i in unplaced],
                   shortfall=_shortfall(demand, free))


def _cpc_failure(cloud: _Cloud, cpc: str) -> CpcFailure:
    failed = [p for p in cloud.primaries if cloud.cpc[p] == cpc]
    rooms: dict[str, model.Room] = {}
    # Shared partners and pools accumulate the guests of every failed host.
    queues: dict[tuple[str, ...], list[_Item]] = {}
    for primary in failed:
        _, targets = cloud.targets(primary, failed_cpc=cpc)
        for name in targets:
            if name not in rooms:
                rooms[name] = cloud.room(name)
        queues.setdefault(tuple(targets), []).extend(cloud.items[primary])
    # Partners (one target) first, as the hook sends each host's guests there
    # first; the pool then gets what the partners' load leaves of it.
    unplaced: list[_Item] = []
    for names, items in sorted(queues.items(),
                               key=lambda q: (len(q[0]), q[0])):
        unplaced += _pack(items, [rooms[n] for n in names])
    everything = [i for items in queues.values() for i in items]
    demand = _total(everything)
    # The free capacity the failure can use, each target host counted once.
    free = cloud.free(rooms)
    return CpcFailure(cpc=cpc, hosts=failed, instances=len(everything),
                      unplaced=sorted(i.name for i in unplaced),
                      unplaced_demand=_total(unplaced),
                      shortfall=_shortfall(demand, free))


def capacity(snap: snapshot.Snapshot,
             partners: Mapping[str, str]) -> CapacityReport:
    """Check the standby capacity of a snapshot.

    :param snap: hosts (traits, inventories, usages, service state) and
        instances.
    :param partners: primary host name -> standby partner host name.
    :returns: the report; ``report.ok`` is False when some primary's instances
        do not fit or some single-CPC failure cannot be absorbed.
    """
    cloud = _Cloud(snap, partners)
    unknown = sorted(name for name, cpc in cloud.cpc.items() if cpc is None)
    if unknown:
        # One finding, not one per host: an agentless cloud has hundreds.
        shown = ', '.join(unknown[:5]) + (', ...' if len(unknown) > 5 else '')
        cloud.findings.append(Finding(
            'unknown-cpc', unknown[0], '%d host(s) have no CPC trait (%s): '
            'each counts as another CPC than every host'
            % (len(unknown), shown)))
    cpcs = sorted({c for c in (cloud.cpc[p] for p in cloud.primaries)
                   if c is not None})
    return CapacityReport(
        primaries=[_verdict(cloud, p) for p in cloud.primaries],
        cpc_failures=[_cpc_failure(cloud, c) for c in cpcs],
        findings=cloud.findings, unknown_cpc=unknown)
