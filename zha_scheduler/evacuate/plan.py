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

"""Plan an evacuation: targets, the standby rooms, and instance order.

Hosts that fail together (the LPARs of one CPC) are planned as one: one
:class:`Ledger` holds the room left on every target, read once from
Placement, and every instance of every host takes from it, highest
priority first across the hosts. Each host tries its partner, then the
other standbys on CPCs that did not fail, then leaves the instance to
Nova's scheduler. A run of one host is the same plan with fewer instances.
"""

from collections.abc import Callable, Mapping
import dataclasses
from typing import Any

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler import model
from zha_scheduler import topology

LOG = logging.getLogger(__name__)
PARTNER = 'standby partner from partners_file'
STANDBY = 'standby host in another failure domain'
NO_STANDBY = "no usable standby: Nova's scheduler chooses"


@dataclasses.dataclass
class Plan:
    """The instances of a failed host in order, and where they go."""

    host: str
    target: str | None
    target_reason: str
    instances: list[model.Instance]
    shortfall: dict[str, int] = dataclasses.field(default_factory=dict)
    #: The standbys tried, in order, once the target is full.
    fallback: list[str] = dataclasses.field(default_factory=list)
    #: Each instance's target by id (None: Nova's scheduler chooses).
    targets: dict[str, str | None] = dataclasses.field(default_factory=dict)
    #: The other hosts of the recovery, planned from the same rooms.
    together: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {'host': self.host, 'target': self.target,
                'target_reason': self.target_reason,
                'shortfall': self.shortfall, 'fallback': self.fallback,
                'planned_with': self.together,
                'order': [{'id': i.uuid, 'name': i.name, 'status': i.status,
                           'priority': priority(i),
                           'target': self.targets.get(i.uuid)}
                          for i in self.instances]}


def priority(instance: model.Instance) -> int:
    """``zha:priority`` (int, higher first); ``HA_Enabled=True`` counts 1."""
    try:
        value = int(instance.metadata.get('zha:priority', 0))
    except ValueError:
        value = 0
    if str(instance.metadata.get('HA_Enabled', '')).lower() == 'true':
        value = max(value, 1)
    return value


def rank(instance: model.Instance) -> tuple[int, bool, str]:
    """The sort key of :func:`order` (lowest first)."""
    return -priority(instance), instance.status != 'ACTIVE', instance.name


def order(instances: list[model.Instance]) -> list[model.Instance]:
    """Highest priority first, then ACTIVE before the others, then by name."""
    return sorted(instances, key=rank)


def route(host: str, partners: Mapping[str, str],
          profiles: Mapping[str, topology.HostProfile], usable: set[str],
          failed_cpcs: set[str] | frozenset[str] = frozenset()
          ) -> list[tuple[str, str]]:
    """The targets to try for a failed host's instances, best first.

    The partner from ``partners_file`` if it is usable, then every usable
    standby host (ZHA traits) on a CPC that did not fail, by name. An
    instance that fits on none of them goes to Nova's scheduler.

    :param profiles: host profiles by host name (from Placement's ZHA traits).
    :param usable: hosts whose nova-compute is up and enabled.
    :param failed_cpcs: the CPCs of the other hosts that failed with this
        one (its own is always left out).
    :returns: each target and why it is one.
    """
    targets = []
    partner = partners.get(host)
    if partner:
        if partner in usable:
            targets.append((partner, PARTNER))
        else:
            LOG.warning('Standby partner %s of %s is not up and enabled.',
                        partner, host)
    own = profiles.get(host, topology.UNKNOWN).cpc
    lost = set(failed_cpcs) | ({own} if own else set())
    # A standby of unknown CPC is in no known failed domain: usable.
    targets.extend(
        (name, STANDBY) for name, p in sorted(profiles.items())
        if p.standby and name in usable and name not in (host, partner) and
        (p.cpc is None or p.cpc not in lost))
    return targets


def room_reader(client: nova_client.NovaClient
                ) -> Callable[[str], model.Room | None]:
    """Reads a target's room from Placement; None (assume it fits) if not."""
    def read(target: str) -> model.Room | None:
        try:
            return client.placement().room(target)
        except Exception as exc:  # capacity is advice, never a blocker
            LOG.warning('Could not read the capacity of %s: %s', target, exc)
            return None
    return read


class Ledger:
    """The room left on each target, read once, that every plan takes from.

    One per recovery: the hosts that failed together plan from the same
    reads, so the instances given one standby never add up to more than
    it had free, whichever host they come from.
    """

    def __init__(self, read: Callable[[str], model.Room | None]) -> None:
        """:param read: a target's room (None: unknown, taken as enough)."""
        self._read = read
        self._as_read: dict[str, model.Room | None] = {}
        self._left: dict[str, model.Room | None] = {}

    def left(self, target: str) -> model.Room | None:
        """What is left on the target (read from Placement the first time)."""
        if target not in self._as_read:
            self._as_read[target] = self._read(target)
        if target not in self._left:
            read = self._as_read[target]
            self._left[target] = (
                None if read is None else model.Room(read.free, read.max_unit))
        return self._left[target]

    def take(self, target: str, needs: Mapping[str, int]) -> bool:
        """Take ``needs`` from the target if it fits; whether it did."""
        room = self.left(target)
        return room is None or room.take(needs)

    def reset(self) -> None:
        """Give back everything taken, keeping what was read (a new plan)."""
        self._left.clear()


def assign(listed: Mapping[str, list[model.Instance]],
           routes: Mapping[str, list[str]], ledger: Ledger
           ) -> tuple[list[tuple[str, model.Instance]],
                      dict[str, str | None], dict[str, dict[str, int]]]:
    """Give each instance the first target of its host's route with room.

    Instances are served highest priority first across all the hosts
    (:func:`rank`, then host and id), so that the most important guests of
    a failed CPC get its standby first, wherever they ran.

    :param listed: the instances of each failed host.
    :param routes: each host's targets, best first (:func:`route`).
    :returns: the (host, instance) pairs in that order; the target of each
        instance id (None: Nova's scheduler chooses); and for each host,
        what its instances left to the scheduler miss on its first target,
        by resource class (empty: everything fits somewhere).
    """
    pairs = sorted(((host, inst) for host, insts in listed.items()
                    for inst in insts),
                   key=lambda pair: (rank(pair[1]), pair[0], pair[1].uuid))
    targets: dict[str, str | None] = {}
    missing: dict[str, dict[str, int]] = {host: {} for host in listed}
    for host, inst in pairs:
        needs = inst.flavor.resources
        candidates = routes.get(host, [])
        targets[inst.uuid] = next(
            (t for t in candidates if ledger.take(t, needs)), None)
        if targets[inst.uuid] is None and candidates:
            room = ledger.left(candidates[0])
            for rc, n in (room.shortfall(needs) if room else {}).items():
                missing[host][rc] = missing[host].get(rc, 0) + n
    return pairs, targets, missing
