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

from collections.abc import Iterable
import datetime
import functools
import json
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


@functools.cache
def _service_version() -> int:
    from nova.objects import service

    return int(service.SERVICE_VERSION)


@functools.cache
def _no_pci_pools() -> Any:
    from nova import objects

    return objects.PciDevicePoolList(objects=[])


@functools.cache
def _hv_specs(arch: str, hv_type: str, vm_mode: str) -> list[Any]:
    # Read only by the pipeline: one list per kind of host, shared.
    from nova import objects

    return [objects.HVSpec(arch=arch, hv_type=hv_type, vm_mode=vm_mode)]


def host_state(host: model.Host, index: int, instances: Iterable[str],
               now: datetime.datetime) -> Any:
    """One HostState with its compute node, service and instances."""
    from nova import objects
    from nova.scheduler import host_manager

    def amounts(rc: str) -> tuple[int, int, int, float]:
        inv = host.inventories.get(rc)
        if inv is None:
            return 0, 0, 0, 1.0
        return (inv.total, inv.reserved, host.usages.get(rc, 0),
                inv.allocation_ratio)

    vcpus, _, vcpus_used, cpu_ratio = amounts('VCPU')
    ram, ram_reserved, ram_used, ram_ratio = amounts('MEMORY_MB')
    disk, disk_reserved, disk_used, disk_ratio = amounts('DISK_GB')
    arch, hv_type, vm_mode = _arch(host)
    names = list(instances)
    compute = objects.ComputeNode(
        id=index + 1, uuid=host.uuid, service_id=index + 1, host=host.name,
        hypervisor_hostname=host.node, vcpus=vcpus, vcpus_used=vcpus_used,
        memory_mb=ram, memory_mb_used=ram_used + ram_reserved,
        free_ram_mb=ram - ram_reserved - ram_used, local_gb=disk,
        local_gb_used=disk_used + disk_reserved,
        free_disk_gb=disk - disk_reserved - disk_used,
        disk_available_least=disk - disk_reserved - disk_used,
        hypervisor_type=host.hypervisor_type, hypervisor_version=1,
        cpu_info=json.dumps({'arch': arch}), running_vms=len(names),
        current_workload=0, stats={'num_instances': str(len(names))},
        metrics='[]', host_ip='0.0.0.0', numa_topology=None,
        supported_hv_specs=_hv_specs(arch, hv_type, vm_mode),
        pci_device_pools=_no_pci_pools(),
        cpu_allocation_ratio=cpu_ratio, ram_allocation_ratio=ram_ratio,
        disk_allocation_ratio=disk_ratio, mapped=1, updated_at=now)
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
    state.update(compute=compute, service=service,
                 aggregates=[objects.Aggregate(uuid=a, hosts=[host.name],
                                               metadata={})
                             for a in host.aggregates],
                 inst_dict={u: ListedInstance(u) for u in names})
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
    return [host_state(h, index[id(h)], by_node.get((h.name, h.node), ()),
                       now)
            for h in (snap.hosts if hosts is None else hosts)]
