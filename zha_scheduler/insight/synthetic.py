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

"""Synthetic snapshots of a large IBM Z cloud, for scale tests and benchmarks.

Deterministic for a seed: the same arguments always give the same snapshot.
Every CPC has one standby LPAR (no instance on it) and primaries with ZHA
traits as the host agent writes them; usages are the sum of the flavors of
the instances placed, and no host is allocated beyond its capacity.
"""

import dataclasses
import random
import uuid
from collections.abc import Mapping, Sequence

from zha_scheduler.insight import snapshot
from zha_scheduler import model
from zha_scheduler import traits

FLAVORS = (
    # flavor, share of the ungrouped instances
    (model.Flavor('z.small', vcpus=2, ram=4096, disk=20, id='1'), 35),
    (model.Flavor('z.medium', vcpus=4, ram=8192, disk=40, id='2'), 30),
    (model.Flavor('z.large', vcpus=8, ram=16384, disk=80, id='3'), 15),
    (model.Flavor('z.xlarge', vcpus=16, ram=65536, disk=100, id='4'), 5),
    (model.Flavor('z.ha.medium', vcpus=4, ram=8192, disk=40, id='5',
                     extra_specs={'zha:redundancy': 'required'}), 10),
    (model.Flavor('z.db.large', vcpus=8, ram=32768, disk=80, id='6',
                     extra_specs={'zha:redundancy': 'preferred',
                                  'zha:consistency_group': 'DB2PROD'}), 5),
)
HA_FLAVOR = FLAVORS[4][0]
CONSISTENCY_GROUPS = ('DB2PROD', 'SAPPRD', 'MQHA')
# What the libvirt driver reports on s390x: realism only, nothing reads them.
NOVA_TRAITS = ('COMPUTE_NET_ATTACH_INTERFACE',
               'COMPUTE_VOLUME_ATTACH_WITH_TAG', 'COMPUTE_VOLUME_EXTEND',
               'COMPUTE_IMAGE_TYPE_QCOW2', 'COMPUTE_IMAGE_TYPE_RAW')
MACHINE_TYPES = ('3931', '3932', '8561')
DEGRADED_FRACTION = 0.05
# Shares of the instances that are members of each kind of server group.
ANTI_AFFINITY_SHARE, SOFT_SHARE, AFFINITY_SHARE = 0.20, 0.05, 0.02
# Anti-affinity groups that keep a member on a degraded host.
ON_DEGRADED_FRACTION = 0.02
PROJECTS = tuple('project-%02d' % n for n in range(1, 11))
# The largest synthetic cloud, set by memory. Measured with CPython 3.11:
# 1,000,000 instances on 40,000 hosts build in 23 s and 0.6 GB, save to a
# 363 MB file at a 1.5 GB peak and load back at a 2.2 GB peak, ~2 KB an
# instance; 100,000 hosts alone peak at 0.4 GB, ~4 KB a host. Both caps
# together stay near 2.5 GB, within a laptop, and beyond any real cloud;
# ten times more would swap or be killed (and 10**9 would never finish).
MAX_HOSTS = 100_000
MAX_INSTANCES = 1_000_000


@dataclasses.dataclass
class _Lpar:
    host: model.Host
    cpc: int
    healthy: bool

    def fits(self, flavor: model.Flavor) -> bool:
        return all(self.host.free(rc) >= n
                   for rc, n in flavor.resources.items())

    def take(self, flavor: model.Flavor) -> None:
        for rc, n in flavor.resources.items():
            self.host.usages[rc] += n


class _Builder:
    """Hosts first, then groups, then the remaining ungrouped instances."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.primaries: list[list[_Lpar]] = []    # by CPC
        self.hosts: list[model.Host] = []
        self.instances: list[model.Instance] = []
        self.groups: list[model.Group] = []

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def build_hosts(self, hosts: int, cpcs: int, sites: int, nova_traits: bool,
                    per_cpc_groups: bool = True) -> None:
        width = max(2, len(str(cpcs)))
        # Drawn even when unused, so the hosts are the same either way.
        with_cg = {cg: set(self.rng.sample(range(cpcs), max(1, cpcs // 2)))
                   for cg in CONSISTENCY_GROUPS}
        for c in range(cpcs):
            serial = '%s_02_%05X' % (self.rng.choice(MACHINE_TYPES),
                                     self.rng.randrange(16 ** 5))
            common = [traits.cpc_trait(serial)]
            if sites:
                common.append(traits.site_trait('DC%d' % (c % sites + 1)))
            count = hosts // cpcs + (c < hosts % cpcs)
            self.primaries.append([])
            for n in range(1, count + 1):
                name = 'cpc%0*d-lpar%03d' % (width, c + 1, n)
                standby = n == count          # the last LPAR of each CPC
                names = list(common) + (
                    list(NOVA_TRAITS) if nova_traits else [])
                net = self.rng.random() >= DEGRADED_FRACTION
                storage = self.rng.random() >= DEGRADED_FRACTION
                names.append(traits.NET_REDUNDANT if net else
                             traits.NET_DEGRADED)
                names.append(traits.STORAGE_REDUNDANT if storage else
                             traits.STORAGE_DEGRADED)
                # A group's volumes are only seen over redundant paths.
                if storage and per_cpc_groups:
                    names += [traits.consistency_group_trait(cg)
                              for cg, on in with_cg.items() if c in on]
                if standby:
                    names.append(traits.STANDBY)
                host = model.Host(
                    name=name, node=name, uuid=self.uuid(),
                    traits=sorted(names), inventories=self._sizes(standby),
                    usages=dict.fromkeys(model.RESOURCE_CLASSES, 0))
                self.hosts.append(host)
                if not standby:
                    self.primaries[c].append(_Lpar(host, c, net and storage))

    def share_groups(self, shares: Mapping[str, float],
                     rng: random.Random) -> None:
        """Put each consistency group on its share of all hosts, at random.

        Only hosts with redundant storage reach a group, as in the default,
        so a share beyond theirs is capped to them.
        """
        reach = [h for h in self.hosts
                 if traits.STORAGE_REDUNDANT in h.traits]
        for cg, share in shares.items():
            count = min(len(reach), round(share * len(self.hosts)))
            for host in rng.sample(reach, count):
                host.traits = sorted(
                    host.traits + [traits.consistency_group_trait(cg)])

    def _sizes(self, standby: bool) -> dict[str, model.Inventory]:
        # Shared IFLs overcommitted 4:1; memory is never overcommitted on Z.
        cpus = 64 if standby else self.rng.choice((32, 48, 64))
        ram = 1048576 if standby else self.rng.choice((262144, 524288, 786432))
        disk = 4000 if standby else self.rng.choice((2000, 3000, 4000))
        return {'VCPU': model.Inventory(cpus, allocation_ratio=4.0,
                                        max_unit=cpus),
                'MEMORY_MB': model.Inventory(ram, reserved=4096, max_unit=ram),
                'DISK_GB': model.Inventory(disk, max_unit=disk)}

    def _room(self, flavor: model.Flavor,
              candidates: Sequence[_Lpar]) -> _Lpar | None:
        # Random tries keep the spread even; a scan runs only when nearly full.
        for _ in range(20):
            lpar = self.rng.choice(candidates)
            if lpar.fits(flavor):
                return lpar
        return next((c for c in candidates if c.fits(flavor)), None)

    def place(self, name: str, flavor: model.Flavor,
              candidates: Sequence[_Lpar],
              metadata: dict[str, str] | None = None) -> model.Instance | None:
        """Put an instance on a random candidate with room (None: none has)."""
        lpar = self._room(flavor, candidates)
        if lpar is None:
            return None
        lpar.take(flavor)
        status = 'SHUTOFF' if self.rng.random() < 0.03 else 'ACTIVE'
        inst = model.Instance(uuid=self.uuid(), name=name,
                              host=lpar.host.name, node=lpar.host.node,
                              status=status, flavor=flavor,
                              metadata=dict(metadata or {}))
        self.instances.append(inst)
        return inst

    def group(self, policy: str, name: str, hosts: Sequence[Sequence[_Lpar]],
              flavor: model.Flavor) -> None:
        """A server group: a member on a candidate of each ``hosts`` entry."""
        # The evacuation hook restarts HA members first.
        metadata = ({'HA_Enabled': 'True'} if policy == 'anti-affinity'
                    else None)
        members = [self.place('%s-%d' % (name, n), flavor, c, metadata)
                   for n, c in enumerate(hosts)]
        self.groups.append(model.Group(
            uuid=self.uuid(), name=name, policy=policy,
            project_id=self.rng.choice(PROJECTS),
            members=[m.uuid for m in members if m is not None]))


def synthetic(hosts: int = 5000, instances: int = 50000, cpcs: int = 50,
              sites: int = 2, seed: int = 42, group_size: int = 4,
              broken_fraction: float = 0.02, nova_traits: bool = True,
              consistency_groups: Mapping[str, float] | None = None
              ) -> snapshot.Snapshot:
    """Build a snapshot of a large cloud: hosts, instances, groups, flavors.

    :param hosts: LPARs in all, one of each CPC's a standby
        (``hosts >= 2 * cpcs``).
    :param instances: instances in all, on primaries only.
    :param broken_fraction: anti-affinity groups with two members on one CPC.
    :param nova_traits: add the ``COMPUTE_*`` traits Nova's driver reports.
    :param consistency_groups: the share of all hosts each named group is
        reachable from, drawn at random among the hosts with redundant
        storage; the hosts are otherwise those of the default, where each of
        ``CONSISTENCY_GROUPS`` is on every such host of half the CPCs.
    :raises ValueError: for impossible or too large sizes (at most
        ``MAX_HOSTS`` and ``MAX_INSTANCES``), or instances that do not fit,
        with a message saying what would do.
    """
    _check_arguments(hosts, instances, cpcs, sites, group_size,
                     broken_fraction, consistency_groups or {})
    b = _Builder(random.Random(seed))
    b.build_hosts(hosts, cpcs, sites, nova_traits,
                  per_cpc_groups=consistency_groups is None)
    if consistency_groups is not None:
        # A stream of its own: the hosts stay those of the default.
        b.share_groups(consistency_groups, random.Random(seed + 1))
    every = [lpar for lpars in b.primaries for lpar in lpars]
    _check_fit(instances, hosts, every)
    healthy = [[p for p in lpars if p.healthy] or lpars
               for lpars in b.primaries]
    degraded = [[p for p in lpars if not p.healthy] for lpars in b.primaries]
    anti = int(instances * ANTI_AFFINITY_SHARE) // group_size
    for g in range(anti):
        chosen = b.rng.sample(range(cpcs), min(group_size, cpcs))
        doms = [healthy[chosen[n % len(chosen)]] for n in range(group_size)]
        if g < anti * broken_fraction:
            doms[1] = doms[0]              # two members on one CPC: not spread
        elif g < anti * (broken_fraction + ON_DEGRADED_FRACTION):
            # Spread over CPCs still, but one member's host lost redundancy.
            spare = [c for c in range(cpcs)
                     if degraded[c] and c not in chosen[:-1]]
            if spare:
                doms[-1] = degraded[b.rng.choice(spare)]
        b.group('anti-affinity', 'ha-%05d' % g, doms, HA_FLAVOR)
    for g in range(int(instances * SOFT_SHARE) // group_size):
        b.group('soft-anti-affinity', 'web-%05d' % g, [every] * group_size,
                FLAVORS[1][0])
    for g in range(int(instances * AFFINITY_SHARE) // 2):
        lpar = b.rng.choice(every)
        b.group('affinity', 'pair-%05d' % g, [[lpar], [lpar]], FLAVORS[0][0])
    flavors = [f for f, _ in FLAVORS]
    weights = [w for _, w in FLAVORS]
    cg_hosts = [p for p in every if traits.consistency_group_trait('DB2PROD')
                in p.host.traits] or every
    # Once, not per instance: a copy per HA instance made large clouds slow.
    every_healthy = [p for lpars in healthy for p in lpars]
    while len(b.instances) < instances:
        (flavor,) = b.rng.choices(flavors, weights)
        if 'zha:consistency_group' in flavor.extra_specs:
            candidates = cg_hosts
        elif 'zha:redundancy' in flavor.extra_specs:
            candidates = every_healthy
        else:
            candidates = every
        if b.place('vm-%06d' % len(b.instances), flavor, candidates) is None:
            raise ValueError(
                '%d instances do not fit on %d hosts: they were full after '
                '%d; use fewer instances or more hosts'
                % (instances, hosts, len(b.instances)))
    return snapshot.Snapshot(hosts=b.hosts, instances=b.instances,
                             groups=b.groups, flavors=flavors,
                             taken_at='2026-01-01T00:00:00+00:00',
                             source='synthetic seed %d' % seed)


def _counted(n: int, noun: str) -> str:
    return '%d %s%s' % (n, noun, '' if n == 1 else 's')


def _check_arguments(hosts: int, instances: int, cpcs: int, sites: int,
                     group_size: int, broken_fraction: float,
                     consistency_groups: Mapping[str, float]) -> None:
    """ValueError for sizes no synthetic cloud has, saying what would do.

    The messages name counts, not options, so that they read the same
    after "zha-scheduler snapshot: " and in a traceback.
    """
    if cpcs < 1:
        raise ValueError('%s is not a positive count: use 1 CPC or more'
                         % _counted(cpcs, 'CPC'))
    if hosts < 1:
        raise ValueError('%s is not a positive count: use at least %s (2 per '
                         'CPC with %s)' % (_counted(hosts, 'host'),
                                           _counted(2 * cpcs, 'host'),
                                           _counted(cpcs, 'CPC')))
    if hosts < 2 * cpcs:
        raise ValueError(
            'fewer than 2 hosts per CPC (a primary and a standby) with %s on '
            '%s: use at least %s%s' % (
                _counted(hosts, 'host'), _counted(cpcs, 'CPC'),
                _counted(2 * cpcs, 'host'),
                ' or at most %s' % _counted(hosts // 2, 'CPC')
                if hosts >= 2 else ''))
    if hosts > MAX_HOSTS:
        raise ValueError('%d hosts are more than a synthetic cloud holds in '
                         'memory: use at most %d hosts' % (hosts, MAX_HOSTS))
    if instances < 0:
        raise ValueError('%s is not a count: use 0 instances or more'
                         % _counted(instances, 'instance'))
    if instances > MAX_INSTANCES:
        raise ValueError('%d instances are more than a synthetic cloud holds '
                         'in memory: use at most %d instances'
                         % (instances, MAX_INSTANCES))
    if sites < 0:
        raise ValueError('%s is not a count: use 0 sites (no site traits) or '
                         'more' % _counted(sites, 'site'))
    if group_size < 2:
        raise ValueError('a server group of %d is no group: use a group size '
                         'of 2 or more' % group_size)
    shares = [('broken fraction', broken_fraction)] + [
        ('share of consistency group %s' % cg, share)
        for cg, share in sorted(consistency_groups.items())]
    for what, share in shares:
        if not 0 <= share <= 1:
            raise ValueError('%s %r is not a share: use a number from 0 to 1'
                             % (what, share))


def _check_fit(instances: int, hosts: int, primaries: Sequence[_Lpar]) -> None:
    """ValueError at once when the instances cannot all fit, before placing.

    A bound, not an estimate: not even the smallest flavor of every
    resource class fits more often in the primaries' free capacity. Counts
    between this bound and what fits fail later, once the hosts are full.
    """
    smallest = {rc: min(f.resources[rc] for f, _ in FLAVORS)
                for rc in model.RESOURCE_CLASSES}
    most = min(sum(max(0, p.host.free(rc)) for p in primaries) // need
               for rc, need in smallest.items() if need)
    if instances > most:
        raise ValueError(
            '%d instances do not fit on %d hosts: their %d primaries hold at '
            'most %d of the smallest flavor; use fewer instances or more '
            'hosts' % (instances, hosts, len(primaries), most))


def partners(snap: snapshot.Snapshot) -> dict[str, str]:
    """Each primary's partner: the next CPC's standby, wrapping around."""
    standbys = [h for h in snap.hosts if snap.profile(h).standby]
    cpcs = [snap.profile(h).cpc for h in standbys]
    return {h.name: standbys[
                (cpcs.index(snap.profile(h).cpc) + 1) % len(standbys)].name
            for h in snap.hosts if not snap.profile(h).standby}
