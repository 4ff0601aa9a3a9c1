"""SimulatedCloud: Nova's functional test base with an IBM Z topology.

It starts Nova's own API, conductor, scheduler and one nova-compute per LPAR
(fake virt driver) against the real Placement service, all in-process, with
nova.conf set from the shipped ``zha-scheduler.conf`` snippet. Topology
traits are published on each compute node provider the way the host agent
publishes them. Used by the functional tests and by ``zha-scheduler demo``.
"""

import collections
import dataclasses
import os
import sys
from typing import Any

from nova.tests.functional import integrated_helpers
from oslo_config import cfg

from zha_scheduler import members
from zha_scheduler import placement
from zha_scheduler.sim import nova_conf
from zha_scheduler import traits

CONF = cfg.CONF


@dataclasses.dataclass(frozen=True)
class SimHost:
    """One LPAR (compute host) of the simulated cloud and its topology."""

    name: str
    cpc: str | None = None
    site: str | None = None
    standby: bool = False

    def topology_traits(self) -> set[str]:
        """The ZHA topology traits the host agent would publish."""
        found = set()
        if self.cpc:
            found.add(traits.cpc_trait(self.cpc))
        if self.site:
            found.add(traits.site_trait(self.site))
        if self.standby:
            found.add(traits.STANDBY)
        return found


def grid(cpcs: int, lpars_per_cpc: int,
         sites: int = 0) -> list[SimHost]:
    """Hosts ``cpc<N>-lpar<M>`` on CPCs ``Z<N>``, sites round-robin if any."""
    hosts = []
    for c in range(1, cpcs + 1):
        site = 'DC%d' % ((c - 1) % sites + 1) if sites else None
        for lpar in range(1, lpars_per_cpc + 1):
            hosts.append(SimHost('cpc%d-lpar%d' % (c, lpar), 'Z%d' % c, site))
    return hosts


class SimulatedCloud(integrated_helpers._IntegratedTestBase):
    """Real Nova services in-process over a simulated IBM Z topology."""

    # Nova's newer tests do not need the global external lock.
    REQUIRES_LOCKING = False
    ADMIN_API = True
    microversion = '2.94'
    #: The LPARs to start; subclasses set their own.
    HOSTS: list[SimHost] = grid(cpcs=2, lpars_per_cpc=2)
    #: Whether to read nova.conf from the shipped snippet (False: stock Nova).
    ZHA_ENABLED = True

    def setUp(self) -> None:
        # The view and the member cache are process-wide, like in
        # nova-scheduler; each simulated cloud starts from a clean slate.
        placement.reset_view()
        self.addCleanup(placement.reset_view)
        self.addCleanup(members.get_locator().clear)
        super().setUp()

    def _setup_services(self) -> None:
        # Configure the scheduler before it starts, as nova.conf would.
        self.flags(compute_driver='fake.MediumFakeDriver')
        # A simulated cloud is one tenant's playground: no quota surprises.
        for quota in ('instances', 'cores', 'ram', 'server_group_members'):
            self.flags(group='quota', **{quota: -1})
        # The nova wheel installs api-paste.ini under the environment's etc/,
        # not beside the package where the API fixture looks by default.
        self.flags(api_paste_config=os.path.join(
            sys.prefix, 'etc', 'nova', 'api-paste.ini'), group='wsgi')
        if self.ZHA_ENABLED:
            nova_conf.apply_file(nova_conf.snippet_path(), self.flags)
        super()._setup_services()
        for host in self.HOSTS:
            self.publish_traits(host.name, host.topology_traits())

    def _setup_compute_service(self) -> Any:
        computes = [self._start_compute(host.name) for host in self.HOSTS]
        return computes[0]

    def provider_uuid(self, host: str) -> str:
        return self._get_provider_uuid_by_host(host)

    def publish_traits(self, host: str, zha_traits: set[str]) -> None:
        """Replace the ``CUSTOM_ZHA_*`` traits of a host, keeping the rest."""
        rp_uuid = self.provider_uuid(host)
        for trait in zha_traits:
            self._create_trait(trait)
        current = self.placement.get(
            '/resource_providers/%s/traits' % rp_uuid, version='1.6').body
        kept = [t for t in current['traits']
                if not t.startswith(traits.PREFIX)]
        self.placement.put(
            '/resource_providers/%s/traits' % rp_uuid,
            {'traits': sorted(set(kept) | zha_traits),
             'resource_provider_generation':
                 current['resource_provider_generation']},
            version='1.6')

    def cpc_of(self, host: str) -> str | None:
        return next((h.cpc for h in self.HOSTS if h.name == host), None)

    def create_group(self, policy: str, name: str = 'ha-group') -> dict:
        return self.api.post_server_groups({'name': name, 'policy': policy})

    def boot_members(self, group: dict, count: int, hints: dict | None = None,
                     expected_state: str = 'ACTIVE') -> list[dict]:
        """Boot ``count`` members of a group one request after another."""
        servers = []
        for index in range(count):
            servers.append(self.boot_in_group(
                group, 'member-%d' % index, hints, expected_state))
        return servers

    def boot_in_group(self, group: dict, name: str, hints: dict | None = None,
                      expected_state: str = 'ACTIVE',
                      min_count: int = 1) -> dict:
        body = self._build_server(name=name, networks='none')
        if min_count > 1:
            body['min_count'] = body['max_count'] = min_count
            body['return_reservation_id'] = False
        scheduler_hints = dict(hints or {})
        scheduler_hints['group'] = group['id']
        created = self.api.post_server(
            {'server': body, 'os:scheduler_hints': scheduler_hints})
        return self._wait_for_state_change(created, expected_state)

    def load_host(self, host: str, count: int = 1) -> list[dict]:
        """Boot ``count`` ungrouped servers on a named host (admin, 2.74).

        Loaded hosts have less free RAM, so Nova's RAMWeigher ranks them
        last: scenarios use this to make stock Nova's choice predictable.
        """
        servers = []
        for index in range(count):
            body = self._build_server(name='load-%s-%d' % (host, index),
                                      networks='none')
            body['host'] = host
            created = self.admin_api.post_server({'server': body})
            servers.append(self._wait_for_state_change(created, 'ACTIVE'))
        return servers

    def group_servers(self, group: dict) -> list[dict]:
        members_ = self.api.get_server_group(group['id'])['members']
        return [self.api.get_server(uuid) for uuid in members_]

    @staticmethod
    def host_of(server: dict) -> str:
        return server['OS-EXT-SRV-ATTR:host']

    def members_per_cpc(self, servers: list[dict]) -> collections.Counter:
        return collections.Counter(self.cpc_of(self.host_of(s))
                                   for s in servers)
