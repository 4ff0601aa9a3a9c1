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

"""Read a Snapshot from a live cloud through the Nova and Placement APIs.

Placement reads, per compute node provider, come in bulk where Placement
has a bulk read:

- traits and usages: the provider summaries of ``GET
  /allocation_candidates`` (one query per resource class asked, until every
  compute node is in one: a node is only summarized while it has room for
  one unit of the class asked);
- aggregates: ``GET /resource_providers?member_of=`` once per aggregate,
  for every aggregate Nova has (it mirrors its host aggregates into
  Placement) and every aggregate of a sharing provider.

Placement has no bulk read of inventories, and the summaries give a
class's capacity, ``int((total - reserved) * allocation_ratio)``, but
neither its parts nor ``max_unit``, which HostStates (total, reserved and
ratio) and ``Room`` (``max_unit``) need: ``GET
/resource_providers/{uuid}/inventories`` stays one call per compute node.
A node that no summary has (full in every class asked, or with no such
inventory) or whose summary disagrees with its inventories (changed
between the two reads) is read per provider, four GETs, as before.
"""

from collections.abc import Callable
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
#: The classes asked of allocation candidates, one unit each, in order, as
#: long as a compute node is missing: VCPU, overcommitted, is seldom full;
#: MEMORY_MB finds the hosts with PCPUs only; DISK_GB comes last.
SUMMARY_CLASSES = ('VCPU', 'MEMORY_MB', 'DISK_GB')

# A compute node's Placement data, as model.Host's keyword arguments.
Fields = dict[str, Any]
Reader = Callable[[str], Fields]


class CollectError(Exception):
    """The Nova or Placement API refused or failed a read."""


def collect(conn: Any, *, bulk: bool = True) -> snapshot.Snapshot:
    """Read hosts, instances, groups, flavors with an openstacksdk Connection.

    The connection needs admin rights (all projects' servers, groups and
    aggregates, services and Placement). One call per Nova collection (and
    page of hypervisors), plus in Placement: the provider list, one to
    three allocation candidate queries, the sharing providers, one call
    per aggregate and per sharing provider, and one inventory read per
    compute node, or four GETs for a node read per provider.

    :param bulk: False reads every compute node per provider, four GETs
        each (inventories, usages, traits, aggregates): the reference the
        bulk read must equal.
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
            read: Reader = lambda uuid: _read_provider(placement, uuid)
            if bulk:
                nodes = {hv['id'] for hv in hypervisors} & providers
                read = _bulk_reader(nova, placement, nodes, pool)
            hosts = list(pool.map(
                lambda hv: _host(read, hv, services, providers),
                hypervisors))
    except Exception as exc:
        raise CollectError('reading the cloud failed: %s' % exc) from None
    LOG.debug('Read %d hypervisors with %d Placement calls.',
              len(hypervisors), placement.calls)
    return snapshot.Snapshot(
        hosts=[h for h in hosts if h is not None], instances=instances,
        groups=groups, flavors=flavors,
        taken_at=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        source='live')


def _read_provider(placement: placement_client.PlacementClient,
                   uuid: str) -> Fields:
    """A compute node's traits, inventories, usages and aggregates, read
    one by one: four GETs.
    """
    return {'traits': sorted(placement.traits(uuid)['traits']),
            'inventories': placement.inventories(uuid),
            'usages': placement.usages(uuid),
            'aggregates': sorted(placement.aggregates(uuid))}


def _bulk_reader(nova: nova_client.NovaClient,
                 placement: placement_client.PlacementClient,
                 nodes: set[str],
                 pool: concurrent.futures.Executor) -> Reader:
    """Read the summaries and aggregates of every compute node now; return
    what completes one node with its inventories.
    """
    summaries = _summaries(placement, nodes)
    aggregates = _aggregates(nova, placement, nodes, pool)
    missing = len(nodes - summaries.keys())
    if missing:
        LOG.debug('%d of %d compute nodes have room in no class asked of '
                  'allocation candidates; reading them per provider.',
                  missing, len(nodes))

    def read(uuid: str) -> Fields:
        summary = summaries.get(uuid)
        if summary is None:
            return _read_provider(placement, uuid)
        inventories = placement.inventories(uuid)
        resources = summary['resources']
        if resources.keys() != inventories.keys() or any(
                resources[rc]['capacity'] != inventory.capacity
                for rc, inventory in inventories.items()):
            # Changed between the two reads: its usages may be from the
            # other inventory; read all of it again, as one provider.
            return _read_provider(placement, uuid)
        return {'traits': sorted(summary['traits']),
                'inventories': inventories,
                'usages': {rc: r['used'] for rc, r in resources.items()},
                'aggregates': aggregates.get(uuid, [])}
    return read


def _summaries(placement: placement_client.PlacementClient,
               nodes: set[str]) -> dict[str, dict[str, Any]]:
    """The allocation candidates' summaries of the compute nodes."""
    found: dict[str, dict[str, Any]] = {}
    for rc in SUMMARY_CLASSES:
        if nodes <= found.keys():
            break
        for uuid, summary in placement.provider_summaries({rc: 1}).items():
            if uuid in nodes:
                found.setdefault(uuid, summary)
    return found


def _aggregates(nova: nova_client.NovaClient,
                placement: placement_client.PlacementClient,
                nodes: set[str],
                pool: concurrent.futures.Executor) -> dict[str, list[str]]:
    """The aggregates of the compute nodes that are in any, by uuid.

    Placement lists an aggregate's members but no aggregates: those asked
    are Nova's and the sharing providers'. A node in an aggregate set in
    Placement alone, that no sharing provider is in, is not seen.
    """
    known = set(nova.aggregates())
    for sharing in placement.providers(
            required=placement_client.SHARES_VIA_AGGREGATE):
        known.update(placement.aggregates(sharing['uuid']))
    ordered = sorted(known)
    found: dict[str, list[str]] = {}
    for aggregate, members in zip(
            ordered, pool.map(placement.aggregate_members, ordered)):
        for uuid in members:
            if uuid in nodes:
                found.setdefault(uuid, []).append(aggregate)
    return found


def _host(read: Reader, hypervisor: dict[str, Any],
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
        service_up=service is not None and service.up,
        service_disabled=service is not None and service.disabled,
        disabled_reason=service.disabled_reason if service else None,
        hypervisor_type=hypervisor.get('hypervisor_type') or 'QEMU',
        **read(uuid))
