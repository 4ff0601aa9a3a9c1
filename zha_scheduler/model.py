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

"""The cloud as the ZHA tools see it: hosts, flavors, instances, groups.

One model for every part that reads the cloud: the evacuation hook (through
``clients.nova_client``), the snapshot of the insight commands and the
simulated clouds. ``Room`` is the one answer to "does it still fit on this
host", as Placement gives it: capacity after reservation and overcommit,
and no single allocation above ``max_unit``.
"""

from collections.abc import Mapping
import dataclasses
from typing import Any

#: The resource classes a flavor asks of Placement (no boot from volume).
RESOURCE_CLASSES = ('VCPU', 'MEMORY_MB', 'DISK_GB')
#: Statuses of a server that no longer sits on a host.
UNPLACED_STATUSES = ('DELETED', 'SHELVED_OFFLOADED')


@dataclasses.dataclass
class Inventory:
    """One resource class of a provider, as Placement reports it."""

    total: int
    reserved: int = 0
    allocation_ratio: float = 1.0
    max_unit: int | None = None

    @property
    def capacity(self) -> int:
        """What Placement lets consumers allocate in all."""
        return int((self.total - self.reserved) * self.allocation_ratio)


@dataclasses.dataclass
class Host:
    """A compute node: its provider, service state and resources."""

    name: str                       # the service host
    node: str                       # the hypervisor hostname (provider name)
    uuid: str                       # compute node uuid = provider uuid
    traits: list[str] = dataclasses.field(default_factory=list)
    inventories: dict[str, Inventory] = dataclasses.field(
        default_factory=dict)
    usages: dict[str, int] = dataclasses.field(default_factory=dict)
    aggregates: list[str] = dataclasses.field(default_factory=list)
    service_up: bool = True
    service_disabled: bool = False
    disabled_reason: str | None = None
    hypervisor_type: str = 'QEMU'

    def free(self, resource_class: str) -> int:
        """Unallocated amount of a resource class (0 when not inventoried)."""
        inventory = self.inventories.get(resource_class)
        if inventory is None:
            return 0
        return inventory.capacity - self.usages.get(resource_class, 0)

    def room(self) -> 'Room':
        """What the host can still take; overcommitted classes take 0."""
        return Room(
            {rc: max(0, self.free(rc)) for rc in RESOURCE_CLASSES},
            {rc: inv.max_unit for rc, inv in self.inventories.items()
             if inv.max_unit is not None})


@dataclasses.dataclass
class Flavor:
    """The parts of a flavor that scheduling reads."""

    name: str
    vcpus: int
    ram: int
    disk: int
    id: str | None = None
    ephemeral: int = 0
    swap: int = 0
    extra_specs: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def resources(self) -> dict[str, int]:
        """What Nova asks of Placement for it (no boot from volume)."""
        # Nova counts swap (MB) in DISK_GB, rounded up to whole GB.
        disk = self.disk + self.ephemeral + -(-self.swap // 1024)
        return {'VCPU': self.vcpus, 'MEMORY_MB': self.ram, 'DISK_GB': disk}


@dataclasses.dataclass
class Instance:
    """A server: where it is, its state and what it consumes."""

    uuid: str
    name: str
    host: str | None
    node: str | None
    status: str
    flavor: Flavor
    image_properties: dict[str, Any] = dataclasses.field(
        default_factory=dict)
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    task_state: str | None = None

    @property
    def placed(self) -> bool:
        """Whether it sits on a host (not failed to build, not offloaded)."""
        return bool(self.host) and self.status not in UNPLACED_STATUSES


@dataclasses.dataclass
class Group:
    """A server group with its policy, rules and member uuids."""

    uuid: str
    name: str
    policy: str
    members: list[str]
    rules: dict[str, Any] = dataclasses.field(default_factory=dict)
    project_id: str | None = None


class Room:
    """What one host can still allocate, as Placement would judge a claim."""

    def __init__(self, free: Mapping[str, int],
                 max_unit: Mapping[str, int] | None = None) -> None:
        """:param free: unallocated amount per resource class.

        :param max_unit: the largest single allocation per class, where
            the inventory limits it.
        """
        self.free = dict(free)
        self.max_unit = dict(max_unit or {})

    def fits(self, needs: Mapping[str, int]) -> bool:
        """Whether one consumer of ``needs`` can be allocated here."""
        return all(not n or (n <= self.free.get(rc, 0) and
                             n <= self.max_unit.get(rc, n))
                   for rc, n in needs.items())

    def take(self, needs: Mapping[str, int]) -> bool:
        """Allocate ``needs`` if it fits; return whether it did."""
        if not self.fits(needs):
            return False
        for rc, n in needs.items():
            self.free[rc] = self.free.get(rc, 0) - n
        return True

    def shortfall(self, needs: Mapping[str, int]) -> dict[str, int]:
        """How much of each resource class ``needs`` lacks here."""
        return {rc: n - self.free.get(rc, 0) for rc, n in needs.items()
                if n > self.free.get(rc, 0)}
