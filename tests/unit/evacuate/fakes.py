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

"""A fake Nova for the evacuation hook's unit tests."""

from zha_scheduler.clients import nova_client
from zha_scheduler import model


def instance(id_, host='lpar1', status='ACTIVE', metadata=None, name=None,
             vcpus=1, ram_mb=512, disk_gb=1):
    return model.Instance(
        uuid=id_, name=name or id_, host=host, node=host, status=status,
        task_state=None, metadata=dict(metadata or {}),
        flavor=model.Flavor('f', vcpus=vcpus, ram=ram_mb, disk=disk_gb))


def service(host, up=True, disabled=False, reason=None):
    return nova_client.Service(id='svc-' + host, host=host, up=up,
                               forced_down=False, disabled=disabled,
                               disabled_reason=reason)


class FakePlacement:
    """Answers the hook's capacity reads from FakeNova's rooms."""

    def __init__(self, nova):
        self.nova = nova

    def room(self, name):
        self.nova.room_reads.append(name)
        free = self.nova.rooms.get(name, self.nova.free)
        return None if free is None else model.Room(free)


class FakeNova:
    """Instances move to their target at once when evacuated.

    ``rooms`` holds the free capacity of hosts, by name, as Placement
    would report it: an evacuation to one of them claims the instance's
    resources there, or is refused (NoValidHost) when they do not fit, as
    the conductor's claim in Placement is. ``free`` is the room of any
    other host (None: unknown).
    """

    def __init__(self, services, instances, free=None, refuse=(),
                 rooms=None):
        self._services = {s.host: s for s in services}
        self.servers = {i.uuid: i for i in instances}
        self.free = free
        self.rooms = {host: dict(room) for host, room in (rooms or {}).items()}
        self.refuse = set(refuse)
        self.evacuated: list[tuple[str, str | None]] = []
        #: Evacuations refused for want of room on the named host.
        self.refused_for_room: list[tuple[str, str]] = []
        self.room_reads: list[str] = []
        self.reasons: list[str] = []
        #: Evacuation migrations by instance: {migration uuid: status}.
        self.evacuations: dict[str, dict[str, str]] = {}

    def services(self):
        return list(self._services.values())

    def set_service(self, service, reason, forced_down=True):
        svc = self._services[service.host]
        svc.up, svc.forced_down, svc.disabled = False, forced_down, True
        svc.disabled_reason = reason
        self.reasons.append(reason)

    def instances(self, host=None):
        return [i for i in self.servers.values()
                if host is None or i.host == host]

    def get(self, instance_id):
        return self.servers[instance_id]

    def evacuate(self, instance_id, host):
        self.evacuated.append((instance_id, host))
        if host in self.refuse:
            raise nova_client.EvacuationFailed('No valid host')
        if host in self.rooms:
            room = model.Room(self.rooms[host])
            if not room.take(self.servers[instance_id].flavor.resources):
                self.refused_for_room.append((instance_id, host))
                raise nova_client.EvacuationFailed('No valid host')
            self.rooms[host] = room.free
        self.servers[instance_id].host = host or 'scheduled'

    def migrations(self, instance_id, kind):
        assert kind == nova_client.EVACUATION, kind
        return [nova_client.Migration(uuid, status, None, None, None)
                for uuid, status in
                self.evacuations.get(instance_id, {}).items()]

    def placement(self):
        return FakePlacement(self)
