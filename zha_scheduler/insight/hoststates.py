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

"""Nova HostState objects built from a snapshot, as HostManager builds them.

The scheduler fills HostStates from the compute nodes the resource tracker
reports; a snapshot has the same figures from Placement (inventory total,
reserved and allocation ratio, usage), so the filters and weighers see the
numbers they see in production.
"""

from collections.abc import Iterable, Mapping
import datetime
import functools
import json
import types
from typing import Any

from zha_scheduler.insight import snapshot
from zha_scheduler import model

CELL = 'snapshot'


def _arch(host: model.Host) -> tuple[str, str, str]:
    # The fake driver of test clouds reports x86_64; a real one on IBM Z s390x.
    if host.hypervisor_type.lower() == 'fake':
        return ('x86_64', 'fake', 'hvm')
    return ('s390x', 'kvm', 'hvm')


class ListedInstance:
    """An instance as a HostState lists it: Nova's pipeline reads the keys.

    The filters and weighers that look at a host's instances (server group
    affinity and anti-affinity, their weighers) only ask which uuids are
    there; a full ``objects.Instance`` per instance cost about half of the
    time of building 5,000 HostStates for 50,000 instances.
    """

    __slots__ = ('uuid',)

    def __init__(self, uuid: str) -> None:
        self.uuid = uuid


class ComputeRecord(types.SimpleNamespace):
    """A compute node's fields that HostState reads, typed as Nova's are.

    ``HostState._update_from_compute_node`` copies these and keeps no
    reference to the node; an ``objects.ComputeNode``, which checks and
    converts each field as it is set, was about 40% of the time of
    building 5,000 HostStates. The values here are what its fields would
    hold (int, float, str, ``netaddr.IPAddress``, an aware datetime).
    """

    def __contains__(self, name: str) -> bool:
        # ComputeNode's "is the field set", which HostState asks first.
        return name in self.__dict__


class HVSpecRecord(tuple[str, str, str]):
    """An (arch, hv_type, vm_mode) as HostState reads an ``HVSpec``."""

    __slots__ = ()

    def to_list(self) -> list[str]:
        # HVSpec.to_list, without three versioned-object reads per host.
        return list(self)


@functools.cache
def _service_version() -> int:
    from nova.objects import service

    return int(service.SERVICE_VERSION)


@functools.cache
def _no_pci_pools() -> Any:
    from nova import objects

    return objects.PciDevicePoolList(objects=[])


@functools.cache
def _hv_specs(arch: str, hv_type: str, vm_mode: str) -> list[HVSpecRecord]:
    # Read only by HostState: one list per kind of host, shared.
    return [HVSpecRecord((arch, hv_type, vm_mode))]


@functools.cache
def _cpu_info(arch: str) -> str:
    return json.dumps({'arch': arch})


@functools.cache
def _host_ip() -> Any:
    # What ComputeNode's IPAddressField makes of the address; read only.
    import netaddr

    return netaddr.IPAddress('0.0.0.0')


def aggregates(hosts: Iterable[model.Host]) -> dict[str, Any]:
    """One ``objects.Aggregate`` per aggregate uuid, as HostManager shares
    its ``aggs_by_id`` among the HostStates of its hosts.

    A snapshot has no aggregate metadata: each has none.
    """
    from nova import objects

    names: dict[str, dict[str, None]] = {}
    for host in hosts:
        for uuid in host.aggregates:
            names.setdefault(uuid, {})[host.name] = None
    return {uuid: objects.Aggregate(uuid=uuid, hosts=list(members),
                                    metadata={})
            for uuid, members in names.items()}


def compute_record(host: model.Host, running: int,
                   now: datetime.datetime) -> ComputeRecord:
    """The compute node the resource tracker would report for the host."""
    def amounts(rc: str) -> tuple[int, int, int, float]:
        inv = host.inventories.get(rc)
        if inv is None:
            return 0, 0, 0, 1.0
        return (int(inv.total), int(inv.reserved),
                int(host.usages.get(rc, 0)), float(inv.allocation_ratio))

    vcpus, _, vcpus_used, cpu_ratio = amounts('VCPU')
    ram, ram_reserved, ram_used, ram_ratio = amounts('MEMORY_MB')
    disk, disk_reserved, disk_used, disk_ratio = amounts('DISK_GB')
    arch, hv_type, vm_mode = _arch(host)
    return ComputeRecord(
        uuid=str(host.uuid), hypervisor_hostname=str(host.node),
        hypervisor_type=str(host.hypervisor_type), hypervisor_version=1,
        vcpus=vcpus, vcpus_used=vcpus_used, memory_mb=ram,
        free_ram_mb=ram - ram_reserved - ram_used, local_gb=disk,
        local_gb_used=disk_used + disk_reserved,
        free_disk_gb=disk - disk_reserved - disk_used,
        disk_available_least=disk - disk_reserved - disk_used,
        cpu_info=_cpu_info(arch), numa_topology=None,
        pci_device_pools=_no_pci_pools(),
        supported_hv_specs=_hv_specs(arch, hv_type, vm_mode),
        # No metrics: what HostState makes of '[]' too, without parsing it.
        stats={'num_instances': str(running)}, metrics=None,
        host_ip=_host_ip(), cpu_allocation_ratio=cpu_ratio,
        ram_allocation_ratio=ram_ratio, disk_allocation_ratio=disk_ratio,
        updated_at=now)


def host_state(host: model.Host, index: int, instances: Iterable[str],
               now: datetime.datetime,
               shared: Mapping[str, Any] | None = None) -> Any:
    """One HostState with its compute node, service and instances.

    :param shared: the Aggregate objects by uuid (``aggregates``); by
        default the host's own are made.
    """
    from nova.scheduler import host_manager

    names = list(instances)
    if shared is None:
        shared = aggregates([host])
    # HostState keeps a read-only copy of the service's fields: a dict of
    # them is what it would copy from a Service object.
    service = dict(
        id=index + 1, host=host.name, binary='nova-compute', topic='compute',
        report_count=1, disabled=host.service_disabled,
        disabled_reason=host.disabled_reason, forced_down=not host.service_up,
        created_at=now, updated_at=now,
        last_seen_up=now if host.service_up else None, deleted=False,
        version=_service_version())
    state = host_manager.HostState(host.name, host.node, CELL)
    # What HostState.update does, in its order, without the named lock it
    # takes first (a new lock per host, about 15% of the time) and its
    # DEBUG lines: nothing else holds these HostStates.
    state._update_from_compute_node(
        compute_record(host, len(names), now))
    state.aggregates = [shared[a] for a in host.aggregates]
    state.service = host_manager.ReadOnlyDict(service)
    state.instances = {u: ListedInstance(u) for u in names}
    return state


def host_states(snap: snapshot.Snapshot,
                hosts: Iterable[model.Host] | None = None) -> list[Any]:
    """A HostState for each host (default: every host of the snapshot).

    ``index`` numbers the compute nodes and services as in the snapshot's
    order, whichever hosts are asked for.
    """
    by_node: dict[tuple[str, str | None], list[str]] = {}
    for inst in snap.instances:
        if inst.host:
            by_node.setdefault((inst.host, inst.node), []).append(inst.uuid)
    index = {id(h): i for i, h in enumerate(snap.hosts)}
    now = datetime.datetime.now(datetime.timezone.utc)
    shared = aggregates(snap.hosts)
    return [host_state(h, index[id(h)], by_node.get((h.name, h.node), ()),
                       now, shared)
            for h in (snap.hosts if hosts is None else hosts)]
