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

"""Nova's API as the ZHA tools call it, on an openstacksdk Connection.

Servers come back as ``model.Instance``, whoever reads them: the evacuation
hook, the snapshot and the audit's repairs.
"""

from collections.abc import Callable
import dataclasses
from typing import Any

from oslo_log import log as logging

from zha_scheduler.clients import placement_client
from zha_scheduler import model

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = 'nova-compute'
#: 2.29..2.94 restart ACTIVE guests on evacuation (2.95 leaves them stopped);
#: 2.47+ embeds the flavor in a server; 2.53+ updates a service by uuid
#: (forced_down, status, disabled_reason).
MICROVERSION = '2.94'
HYPERVISORS_VERSION = '2.53'
#: Aggregates with their uuids.
AGGREGATES_VERSION = '2.41'
#: Statuses of a migration that ended without moving the instance.
FAILED_MIGRATION_STATUSES = frozenset({'error', 'failed', 'cancelled'})
#: Statuses of an evacuation that moved its instance and is over: done
#: once the instance's host is set, completed once the failed host, back,
#: has removed its copy.
ENDED_MIGRATION = frozenset({'done', 'completed'})
#: Statuses of a migration that moved its instance: an evacuation done or
#: completed, a live migration completed, a cold migration finished (the
#: instance runs on the destination, waiting for its confirmation) or
#: confirmed.
MOVED_MIGRATION = frozenset({'done', 'completed', 'finished', 'confirmed'})
#: disabled_reason prefix of a host ``zha-scheduler drain`` emptied for
#: maintenance (the evacuation hook leaves such a host alone).
DRAIN_REASON_PREFIX = 'zha-scheduler drain:'
EVACUATION = 'evacuation'
LIVE_MIGRATION = 'live-migration'
COLD_MIGRATION = 'migration'


class NovaError(Exception):
    """Nova refused a request or an instance did not get where it should."""


class EvacuationFailed(NovaError):
    """Nova refused an evacuation or its migration failed: no move."""


@dataclasses.dataclass
class Service:
    """One nova-compute service."""

    id: str
    host: str
    up: bool
    forced_down: bool
    disabled: bool
    disabled_reason: str | None


@dataclasses.dataclass
class Migration:
    """One migration of an instance, as Nova records it."""

    id: str
    status: str
    source: str | None
    destination: str | None
    created_at: str | None
    kind: str | None = None
    instance: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILED_MIGRATION_STATUSES

    @property
    def moved(self) -> bool:
        """Whether it put its instance on the destination."""
        return self.status in MOVED_MIGRATION


def _field(resource: Any, name: str, default: Any = None) -> Any:
    # An embedded flavor is an openstacksdk resource, a dict in some fakes.
    if isinstance(resource, dict):
        return resource.get(name, default)
    return getattr(resource, name, default)


def _ask(request: Callable[[], Any],
         error: type[NovaError] = NovaError) -> None:
    """Make a request; raise Nova's refusal (any SDK error) as ``error``."""
    try:
        request()
    except Exception as exc:  # openstacksdk raises its HttpException tree
        raise error(str(exc)) from exc


def flavor_from(flavor: Any) -> model.Flavor:
    """A flavor resource, or the flavor a server embeds (2.47+)."""
    return model.Flavor(
        name=(_field(flavor, 'original_name') or _field(flavor, 'name') or
              ''),
        id=_field(flavor, 'id'), vcpus=int(_field(flavor, 'vcpus') or 0),
        ram=int(_field(flavor, 'ram') or 0),
        disk=int(_field(flavor, 'disk') or 0),
        ephemeral=int(_field(flavor, 'ephemeral') or 0),
        swap=int(_field(flavor, 'swap') or 0),
        extra_specs=dict(_field(flavor, 'extra_specs') or {}))


def instance_from(server: Any) -> model.Instance:
    """A server resource (details, admin view) as an Instance."""
    return model.Instance(
        uuid=server.id, name=server.name or '', host=server.compute_host,
        node=server.hypervisor_hostname, status=server.status,
        task_state=server.task_state, flavor=flavor_from(server.flavor),
        metadata=dict(server.metadata or {}))


class NovaClient:
    """The Nova calls of the ZHA tools, on an openstacksdk Connection."""

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

    def disable(self, service: Service, reason: str) -> None:
        """Disable a service with a reason; its forced_down stays as is."""
        self.conn.compute.update_service(service.id, status='disabled',
                                         disabled_reason=reason)
        LOG.debug('Service of %s disabled: %s', service.host, reason)

    def enable(self, service: Service) -> None:
        self.conn.compute.update_service(service.id, status='enabled')
        LOG.debug('Service of %s enabled', service.host)

    def instances(self, host: str | None = None) -> list[model.Instance]:
        """Every project's servers, or those on one compute host."""
        query = {} if host is None else {'compute_host': host}
        return [instance_from(s) for s in self.conn.compute.servers(
            details=True, all_projects=True, **query)]

    def get(self, instance_id: str) -> model.Instance:
        return instance_from(self.conn.compute.get_server(instance_id))

    def evacuate(self, instance_id: str, host: str | None) -> None:
        """Ask Nova to rebuild an instance elsewhere.

        :raises EvacuationFailed: Nova refused.
        """
        _ask(lambda: self.conn.compute.evacuate_server(instance_id,
                                                       host=host),
             EvacuationFailed)

    def live_migrate(self, instance_id: str, host: str | None) -> None:
        """Ask Nova to live-migrate an instance (None: the scheduler picks).

        :raises NovaError: Nova refused.
        """
        _ask(lambda: self.conn.compute.live_migrate_server(
            instance_id, host=host, block_migration='auto'))

    def migrate(self, instance_id: str, host: str | None) -> None:
        """Ask Nova to cold-migrate an instance (None: the scheduler picks).

        :raises NovaError: Nova refused.
        """
        _ask(lambda: self.conn.compute.migrate_server(instance_id,
                                                      host=host))

    def confirm_resize(self, instance_id: str) -> None:
        """Confirm a finished cold migration (the instance stays there).

        :raises NovaError: Nova refused.
        """
        _ask(lambda: self.conn.compute.confirm_server_resize(instance_id))

    def migrations(self, instance_id: str,
                   kind: str | None = None) -> list[Migration]:
        """The migrations of an instance (of one kind), oldest first."""
        query = {'server_id': instance_id}
        if kind is not None:
            query['migration_type'] = kind
        return self._migrations(query)

    def migrations_from(self, host: str,
                        status: str | None = None) -> list[Migration]:
        """Every migration whose source is a host, oldest first."""
        query = {'source_compute': host}
        if status is not None:
            query['status'] = status
        return self._migrations(query)

    def _migrations(self, query: dict[str, str]) -> list[Migration]:
        # Nova lists them newest first (created_at, then id, from 2.59):
        # reversed, migrations created in the same second keep their order.
        found = [Migration(id=m.id, status=m.status,
                           source=m.source_compute,
                           destination=m.dest_compute,
                           created_at=m.created_at, kind=m.migration_type,
                           instance=m.server_id)
                 for m in self.conn.compute.migrations(**query)]
        return sorted(reversed(found), key=lambda m: m.created_at or '')

    def hypervisors(self) -> list[dict[str, Any]]:
        """Every hypervisor with its service host, page by page.

        Read at microversion 2.53 (uuids): from 2.88 on, Nova's API asks
        every compute for its uptime over RPC while building the list.
        """
        found: list[dict[str, Any]] = []
        url: str | None = '/os-hypervisors/detail'
        while url:
            resp = self.conn.compute.get(url, microversion=HYPERVISORS_VERSION,
                                         raise_exc=False)
            if not resp:
                raise NovaError('Nova GET %s returned %s: %s' % (
                    url, resp.status_code, resp.text[:200]))
            body = resp.json()
            found.extend(body['hypervisors'])
            url = next((link['href'] for link in
                        body.get('hypervisors_links', [])
                        if link.get('rel') == 'next'), None)
        return found

    def aggregates(self) -> list[str]:
        """The uuids of Nova's host aggregates (those it gives Placement).

        Read with a plain GET: openstacksdk's Aggregate resource warns of
        its own deprecations on stderr.
        """
        resp = self.conn.compute.get('/os-aggregates',
                                     microversion=AGGREGATES_VERSION,
                                     raise_exc=False)
        if not resp:
            raise NovaError('Nova GET /os-aggregates returned %s: %s' % (
                resp.status_code, resp.text[:200]))
        return [a['uuid'] for a in resp.json()['aggregates']]

    def flavors(self) -> list[model.Flavor]:
        """Every flavor, public or not."""
        return [flavor_from(f) for f in
                self.conn.compute.flavors(details=True, is_public=None)]

    def server_groups(self) -> list[model.Group]:
        """Every project's server groups."""
        return [model.Group(uuid=g.id, name=g.name or '', policy=g.policy,
                            members=list(g.member_ids or []),
                            rules=dict(g.rules or {}),
                            project_id=g.project_id)
                for g in self.conn.compute.server_groups(all_projects=True)]

    def placement(self) -> placement_client.PlacementClient:
        """Placement, through the same Connection."""
        return placement_client.PlacementClient(self.conn.placement)
