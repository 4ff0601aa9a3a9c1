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

"""Read a Snapshot from a live cloud through the Nova and Placement APIs."""

import concurrent.futures
import datetime
from typing import Any

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.clients import placement_client
from zha_scheduler.insight import snapshot
from zha_scheduler import model

LOG = logging.getLogger(__name__)

# Per-provider reads run in parallel; Placement answers each in milliseconds.
_WORKERS = 8


class CollectError(Exception):
    """The Nova or Placement API refused or failed a read."""


def collect(conn: Any) -> snapshot.Snapshot:
    """Read hosts, instances, groups, flavors with an openstacksdk Connection.

    The connection needs admin rights (all projects' servers and groups,
    services and Placement). One call per collection, plus four GETs per
    compute node provider (inventories, usages, traits, aggregates).
    """
    nova = nova_client.NovaClient(conn)
    # Outside the try: openstacksdk authenticates here first, and the
    # commands report credentials that fail apart from a failed read.
    placement = nova.placement()
    try:
        services = {s.host: s for s in nova.services()}
        hypervisors = nova.hypervisors()
        providers = {p['uuid'] for p in placement.providers()}
        instances = nova.instances()
        groups = nova.server_groups()
        flavors = nova.flavors()
        # Inside the try: a connection failure in a per-provider read is a
        # CollectError too, not a keystoneauth exception from a worker.
        with concurrent.futures.ThreadPoolExecutor(_WORKERS) as pool:
            hosts = list(pool.map(
                lambda hv: _host(placement, hv, services, providers),
                hypervisors))
    except Exception as exc:
        raise CollectError('reading the cloud failed: %s' % exc) from None
    return snapshot.Snapshot(
        hosts=[h for h in hosts if h is not None], instances=instances,
        groups=groups, flavors=flavors,
        taken_at=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        source='live')


def _host(placement: placement_client.PlacementClient,
          hypervisor: dict[str, Any],
          services: dict[str, nova_client.Service],
          providers: set[str]) -> model.Host | None:
    uuid = hypervisor['id']
    service_host = (hypervisor.get('service') or {}).get('host')
    if uuid not in providers or service_host is None:
        LOG.warning('Hypervisor %s has no resource provider or service; '
                    'leaving it out.', hypervisor['hypervisor_hostname'])
        return None
    service = services.get(service_host)
    return model.Host(
        name=service_host, node=hypervisor['hypervisor_hostname'], uuid=uuid,
        traits=sorted(placement.traits(uuid)['traits']),
        inventories=placement.inventories(uuid),
        usages=placement.usages(uuid),
        aggregates=sorted(placement.aggregates(uuid)),
        service_up=service is not None and service.up,
        service_disabled=service is not None and service.disabled,
        disabled_reason=service.disabled_reason if service else None,
        hypervisor_type=hypervisor.get('hypervisor_type') or 'QEMU')
