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

"""Unit tests of hoststates: the HostStates Nova's HostManager would build."""

import datetime
import json
import uuid

from nova import objects
from nova.scheduler import host_manager
from nova import test

from zha_scheduler.insight import hoststates
from zha_scheduler.insight import snapshot
from zha_scheduler import model

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
AGG_A = 'aaaaaaaa-0000-0000-0000-000000000000'
AGG_B = 'bbbbbbbb-0000-0000-0000-000000000000'


def make_host(name, **kwargs):
    fields = dict(
        traits=['CUSTOM_ZHA_CPC_Z1'],
        inventories={'VCPU': model.Inventory(16, allocation_ratio=4),
                     'MEMORY_MB': model.Inventory(16384, reserved=512,
                                                  allocation_ratio=1.5),
                     'DISK_GB': model.Inventory(500, reserved=10)},
        usages={'VCPU': 6, 'MEMORY_MB': 4096, 'DISK_GB': 40})
    fields.update(kwargs)
    return model.Host(name, name + '.node', '%08d-0000-0000-0000-000000000000'
                      % len(name), **fields)


HOSTS = [
    make_host('plain'),
    make_host('fake-driver', hypervisor_type='fake'),
    make_host('disabled', service_disabled=True, disabled_reason='repair'),
    make_host('down', service_up=False),
    make_host('in-aggregates', aggregates=[AGG_A, AGG_B]),
    make_host('no-disk', inventories={'VCPU': model.Inventory(8)}),
    make_host('over-used', usages={'MEMORY_MB': 20000, 'DISK_GB': 600}),
]


def reference(host, index, instances, now):
    """The HostState as HostManager builds it: an objects.ComputeNode with
    every field, then ``HostState.update`` (the code this module replaced).
    """
    def amounts(rc):
        inv = host.inventories.get(rc)
        if inv is None:
            return 0, 0, 0, 1.0
        return (inv.total, inv.reserved, host.usages.get(rc, 0),
                inv.allocation_ratio)

    vcpus, _, vcpus_used, cpu_ratio = amounts('VCPU')
    ram, ram_reserved, ram_used, ram_ratio = amounts('MEMORY_MB')
    disk, disk_reserved, disk_used, disk_ratio = amounts('DISK_GB')
    arch = 'x86_64' if host.hypervisor_type.lower() == 'fake' else 's390x'
    hv_type = 'fake' if arch == 'x86_64' else 'kvm'
    compute = objects.ComputeNode(
        id=index + 1, uuid=host.uuid, service_id=index + 1, host=host.name,
        hypervisor_hostname=host.node, vcpus=vcpus, vcpus_used=vcpus_used,
        memory_mb=ram, memory_mb_used=ram_used + ram_reserved,
        free_ram_mb=ram - ram_reserved - ram_used, local_gb=disk,
        local_gb_used=disk_used + disk_reserved,
        free_disk_gb=disk - disk_reserved - disk_used,
        disk_available_least=disk - disk_reserved - disk_used,
        hypervisor_type=host.hypervisor_type, hypervisor_version=1,
        cpu_info=json.dumps({'arch': arch}), running_vms=len(instances),
        current_workload=0, stats={'num_instances': str(len(instances))},
        metrics='[]', host_ip='0.0.0.0', numa_topology=None,
        supported_hv_specs=[objects.HVSpec(arch=arch, hv_type=hv_type,
                                           vm_mode='hvm')],
        pci_device_pools=objects.PciDevicePoolList(objects=[]),
        cpu_allocation_ratio=cpu_ratio, ram_allocation_ratio=ram_ratio,
        disk_allocation_ratio=disk_ratio, mapped=1, updated_at=now)
    service = objects.Service(
        id=index + 1, host=host.name, binary='nova-compute', topic='compute',
        report_count=1, disabled=host.service_disabled,
        disabled_reason=host.disabled_reason, forced_down=not host.service_up,
        created_at=now, updated_at=now,
        last_seen_up=now if host.service_up else None, deleted=False)
    state = host_manager.HostState(host.name, host.node, hoststates.CELL)
    state.update(compute=compute, service=dict(service),
                 aggregates=[objects.Aggregate(uuid=a, hosts=[host.name],
                                               metadata={})
                             for a in host.aggregates],
                 inst_dict={u: objects.Instance(uuid=u) for u in instances})
    return state


def comparable(state):
    """Every attribute of a HostState, Nova objects by what they hold."""
    found = {}
    for name, value in vars(state).items():
        if name == 'pci_stats':
            value = (type(value), value.numa_topology, value.pools)
        elif name == 'metrics':
            value = (type(value), list(value))
        elif name == 'aggregates':
            value = [(a.uuid, a.metadata) for a in value]
        elif name == 'service':
            value = (type(value), value.data)
        elif name == 'instances':
            value = sorted(value)
        elif name == 'stats':
            # ComputeNode's is a CoercedDict, a dict that converts what is
            # set in it: nothing is, the keys and values are the same.
            value = dict(value)
        found[name] = (type(value), value)
    return found


class HostStateTest(test.NoDBTestCase):

    def test_same_as_host_manager_builds(self):
        for index, host in enumerate(HOSTS):
            instances = [str(uuid.uuid5(uuid.NAMESPACE_DNS, '%d-%d' % (
                index, n))) for n in range(index)]
            with self.subTest(host=host.name):
                self.assertEqual(
                    comparable(reference(host, index, instances, NOW)),
                    comparable(hoststates.host_state(host, index, instances,
                                                     NOW)))

    def test_instances_listed_by_uuid(self):
        state = hoststates.host_state(HOSTS[0], 0, ['a', 'b'], NOW)
        self.assertEqual(['a', 'b'], list(state.instances))
        self.assertEqual('b', state.instances['b'].uuid)

    def test_aggregates_shared_between_hosts(self):
        one = make_host('one', aggregates=[AGG_A])
        two = make_host('two', aggregates=[AGG_A, AGG_B])
        states = hoststates.host_states(snapshot.Snapshot([one, two]))
        self.assertIs(states[0].aggregates[0], states[1].aggregates[0])
        self.assertEqual(['one', 'two'], states[0].aggregates[0].hosts)
        self.assertEqual([AGG_A, AGG_B],
                         [a.uuid for a in states[1].aggregates])
        self.assertEqual({}, states[1].aggregates[1].metadata)

    def test_only_the_hosts_asked_for_numbered_as_in_the_snapshot(self):
        snap = snapshot.Snapshot(HOSTS[:3], instances=[
            model.Instance('i-1', 'vm', 'disabled', 'disabled.node', 'ACTIVE',
                           model.Flavor('f', 1, 512, 1))])
        (state,) = hoststates.host_states(snap, [HOSTS[2]])
        self.assertEqual(3, state.service['id'])
        self.assertEqual(['i-1'], list(state.instances))
        self.assertEqual(1, state.num_instances)

    def test_compute_record_says_which_fields_are_set(self):
        record = hoststates.compute_record(HOSTS[0], 0, NOW)
        self.assertIn('free_disk_gb', record)
        self.assertNotIn('mapped', record)
