"""Read a Snapshot from a live cloud through the Nova and Placement APIs."""

import concurrent.futures
import datetime
from typing import Any

from oslo_log import log as logging

from zha_scheduler.insight import snapshot

LOG = logging.getLogger(__name__)

PLACEMENT_VERSION = '1.14'
HYPERVISORS_VERSION = '2.53'
# Per-provider reads run in parallel; Placement answers each in milliseconds.
_WORKERS = 8
# Service states under which Nova's scheduler never picks a host.
_DOWN = 'down'


class CollectError(Exception):
    """The Nova or Placement API refused or failed a read."""


def collect(conn: Any) -> snapshot.Snapshot:
    """Read hosts, instances, groups and flavors with an openstacksdk Connection.

    The connection needs admin rights (all projects' servers and groups,
    services and Placement). One call per collection, plus four GETs per
    compute node provider (inventories, usages, traits, aggregates).
    """
    try:
        services = {s.host: s for s in conn.compute.services(binary='nova-compute')}
        hypervisors = _hypervisors(conn)
        providers = _placement(conn, '/resource_providers')['resource_providers']
        servers = list(conn.compute.servers(details=True, all_projects=True))
        groups = list(conn.compute.server_groups(all_projects=True))
        flavors = list(conn.compute.flavors(details=True, is_public=None))
        by_uuid = {p['uuid']: p for p in providers}
        # Inside the try: a connection failure in a per-provider read is a
        # CollectError too, not a keystoneauth exception from a worker.
        with concurrent.futures.ThreadPoolExecutor(_WORKERS) as pool:
            hosts = list(pool.map(lambda hv: _host(conn, hv, services, by_uuid),
                                  hypervisors))
    except CollectError:
        raise
    except Exception as exc:
        raise CollectError('reading the cloud failed: %s' % exc) from None
    return snapshot.Snapshot(
        hosts=[h for h in hosts if h is not None],
        instances=[_instance(s) for s in servers],
        groups=[snapshot.Group(uuid=g.id, name=g.name or '', policy=g.policy,
                               members=list(g.member_ids or []),
                               rules=dict(g.rules or {}), project_id=g.project_id)
                for g in groups],
        flavors=[_flavor(f) for f in flavors],
        taken_at=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        source='live')


def _hypervisors(conn: Any) -> list[dict[str, Any]]:
    """Every hypervisor with its service host, page by page.

    Read at microversion 2.53 (uuids): from 2.88 on, Nova's API asks every
    compute for its uptime over RPC while building the list.
    """
    found: list[dict[str, Any]] = []
    url: str | None = '/os-hypervisors/detail'
    while url:
        resp = conn.compute.get(url, microversion=HYPERVISORS_VERSION, raise_exc=False)
        if not resp:
            raise CollectError('Nova GET %s returned %s: %s' % (
                url, resp.status_code, resp.text[:200]))
        body = resp.json()
        found.extend(body['hypervisors'])
        url = next((link['href'] for link in body.get('hypervisors_links', [])
                    if link.get('rel') == 'next'), None)
    return found


def _placement(conn: Any, url: str) -> dict[str, Any]:
    resp = conn.placement.get(url, microversion=PLACEMENT_VERSION, raise_exc=False)
    if not resp:
        raise CollectError('Placement GET %s returned %s: %s' % (
            url, resp.status_code, resp.text[:200]))
    return resp.json()


def _host(conn: Any, hypervisor: dict[str, Any], services: dict[str, Any],
          providers: dict[str, Any]) -> snapshot.Host | None:
    uuid = hypervisor['id']
    service_host = (hypervisor.get('service') or {}).get('host')
    if uuid not in providers or service_host is None:
        LOG.warning('Hypervisor %s has no resource provider or service; '
                    'leaving it out.', hypervisor['hypervisor_hostname'])
        return None
    base = '/resource_providers/%s' % uuid
    inventories = _placement(conn, base + '/inventories')['inventories']
    service = services.get(service_host)
    return snapshot.Host(
        name=service_host, node=hypervisor['hypervisor_hostname'], uuid=uuid,
        traits=sorted(_placement(conn, base + '/traits')['traits']),
        inventories={rc: snapshot.Inventory(
            total=i['total'], reserved=i.get('reserved', 0),
            allocation_ratio=i.get('allocation_ratio', 1.0),
            max_unit=i.get('max_unit')) for rc, i in inventories.items()},
        usages=_placement(conn, base + '/usages')['usages'],
        aggregates=sorted(_placement(conn, base + '/aggregates')['aggregates']),
        service_up=service is not None and service.state != _DOWN,
        service_disabled=service is not None and service.status == 'disabled',
        disabled_reason=getattr(service, 'disabled_reason', None),
        hypervisor_type=hypervisor.get('hypervisor_type') or 'QEMU')


def _flavor(flavor: Any) -> snapshot.Flavor:
    return snapshot.Flavor(
        name=flavor.name, id=flavor.id, vcpus=flavor.vcpus, ram=flavor.ram,
        disk=flavor.disk, ephemeral=flavor.ephemeral or 0,
        swap=int(flavor.swap or 0), extra_specs=dict(flavor.extra_specs or {}))


def _instance(server: Any) -> snapshot.Instance:
    # Since microversion 2.47 the server embeds its flavor, extra specs included.
    flavor = server.flavor
    return snapshot.Instance(
        uuid=server.id, name=server.name, host=server.compute_host,
        node=server.hypervisor_hostname, status=server.status,
        flavor=snapshot.Flavor(
            name=flavor.original_name or flavor.name or '', vcpus=flavor.vcpus,
            ram=flavor.ram, disk=flavor.disk, ephemeral=flavor.ephemeral or 0,
            swap=int(flavor.swap or 0), extra_specs=dict(flavor.extra_specs or {})),
        metadata=dict(server.metadata or {}))
