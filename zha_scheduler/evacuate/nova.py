"""Thin access to the Nova (and Placement) API through an openstacksdk Connection."""

import dataclasses
from typing import Any

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = 'nova-compute'
#: 2.29..2.94 restart ACTIVE guests on evacuation (2.95 leaves them stopped);
#: 2.53+ updates a service by uuid (forced_down, status, disabled_reason).
MICROVERSION = '2.94'
#: Statuses of an evacuation migration that ended without moving the instance.
FAILED_MIGRATION = ('failed', 'error')


class NovaError(Exception):
    """An evacuation did not succeed."""


class EvacuationFailed(NovaError):
    """Nova refused an evacuation or its migration failed: the instance did not move."""


@dataclasses.dataclass
class Instance:
    """What the hook needs to know of one instance."""

    id: str
    name: str
    host: str | None
    status: str
    task_state: str | None
    metadata: dict[str, str]
    vcpus: int = 0
    ram_mb: int = 0
    disk_gb: int = 0


@dataclasses.dataclass
class Service:
    """One nova-compute service."""

    id: str
    host: str
    up: bool
    forced_down: bool
    disabled: bool
    disabled_reason: str | None


def _instance(server: Any) -> Instance:
    flavor = server.flavor
    get = (flavor.get if hasattr(flavor, 'get') else
           lambda k, d=None: getattr(flavor, k, d))
    return Instance(id=server.id, name=server.name or '', host=server.compute_host,
                    status=server.status, task_state=server.task_state,
                    metadata=dict(server.metadata or {}),
                    vcpus=int(get('vcpus', 0) or 0), ram_mb=int(get('ram', 0) or 0),
                    disk_gb=int(get('disk', 0) or 0) + int(get('ephemeral', 0) or 0))


class NovaClient:
    """The Nova calls of the hook, on an openstacksdk Connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def services(self) -> list[Service]:
        return [Service(id=s.id, host=s.host, up=s.state == 'up',
                        forced_down=bool(s.is_forced_down),
                        disabled=s.status == 'disabled',
                        disabled_reason=s.disabled_reason)
                for s in self.conn.compute.services(binary=COMPUTE_BINARY)]

    def service(self, host: str) -> Service | None:
        return next((s for s in self.services() if s.host == host), None)

    def set_service(self, service: Service, reason: str,
                    forced_down: bool = True) -> None:
        """Force a service down and disable it with a reason (2.53+)."""
        self.conn.compute.update_service(
            service.id, is_forced_down=forced_down, status='disabled',
            disabled_reason=reason)
        LOG.debug('Service of %s disabled: %s', service.host, reason)

    def instances_on(self, host: str) -> list[Instance]:
        return [_instance(s) for s in self.conn.compute.servers(
            details=True, all_projects=True, compute_host=host)]

    def get(self, instance_id: str) -> Instance:
        return _instance(self.conn.compute.get_server(instance_id))

    def evacuate(self, instance_id: str, host: str | None) -> None:
        try:
            self.conn.compute.evacuate_server(instance_id, host=host)
        except Exception as exc:  # openstacksdk raises its HttpException tree
            raise EvacuationFailed(str(exc)) from exc

    def evacuations(self, instance_id: str) -> dict[str, str]:
        """Status of each evacuation migration of an instance, by migration uuid."""
        return {m.id: m.status for m in self.conn.compute.migrations(
            server_id=instance_id, migration_type='evacuation')}

    def free_capacity(self, host: str) -> dict[str, int] | None:
        """Free VCPU / MEMORY_MB / DISK_GB of a host's provider, None if unknown."""
        try:
            rps = self._placement_get('/resource_providers?name=%s' % host, '1.14')
            if not rps.get('resource_providers'):
                return None
            uuid = rps['resource_providers'][0]['uuid']
            inv = self._placement_get('/resource_providers/%s/inventories' % uuid,
                                      '1.14')['inventories']
            usages = self._placement_get('/resource_providers/%s/usages' % uuid,
                                         '1.14')['usages']
        except Exception as exc:  # capacity is advice, never a blocker
            LOG.warning('Could not read the capacity of %s: %s', host, exc)
            return None
        free = {}
        for rc, i in inv.items():
            total = int((i['total'] - i.get('reserved', 0)) * i.get('allocation_ratio', 1.0))
            free[rc] = total - usages.get(rc, 0)
        return free

    def _placement_get(self, url: str, version: str) -> dict[str, Any]:
        resp = self.conn.placement.get(url, microversion=version, raise_exc=True)
        return resp.json()

    def placement_client(self) -> Any:
        """An object with ``get(url, version=...)`` for placement.read_topology."""
        conn = self.conn

        class _Client:
            def get(self, url: str, version: str | None = None) -> Any:
                return conn.placement.get(url, microversion=version, raise_exc=False)
        return _Client()
