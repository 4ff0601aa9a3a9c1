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

"""SimulatedCloud: Nova's functional test base with an IBM Z topology.

It starts Nova's own API, conductor, scheduler and one nova-compute per LPAR
(fake virt driver) against the real Placement service, all in-process, with
nova.conf set from the shipped ``zha-scheduler.conf`` snippet. The real host
agent publishes each LPAR's traits, probing a host tree of an s390x host (a
scenario of ``zha_scheduler.sim.host_trees``, built at run time) with the
options an operator would set (CPC name, site, standby). Used by the
functional tests and by ``zha-scheduler demo``.
"""

import collections
import dataclasses
import os
import sys
import time
from typing import Any
import unittest

import fixtures
from nova.tests.functional import integrated_helpers
from oslo_config import cfg

from zha_scheduler import members
from zha_scheduler import placement
from zha_scheduler.sim import agents
from zha_scheduler.sim import nova_conf

CONF = cfg.CONF


@dataclasses.dataclass(frozen=True)
class SimHost:
    """One LPAR (compute host) of the simulated cloud and its topology.

    ``fixture`` names the host tree the agent probes; None runs no agent, so
    the host has no ZHA trait at all. ``cpc`` is the agent's ``cpc_name``
    (None: the CPC of the tree's /proc/sysinfo).
    """

    name: str
    cpc: str | None = None
    site: str | None = None
    standby: bool = False
    fixture: str | None = None


def grid(cpcs: int, lpars_per_cpc: int, sites: int = 0,
         fixture: str = 'healthy') -> list[SimHost]:
    """Hosts ``cpc<N>-lpar<M>`` on CPCs ``Z<N>``, sites round-robin if any."""
    hosts = []
    for c in range(1, cpcs + 1):
        site = 'DC%d' % ((c - 1) % sites + 1) if sites else None
        for lpar in range(1, lpars_per_cpc + 1):
            hosts.append(SimHost('cpc%d-lpar%d' % (c, lpar), 'Z%d' % c, site,
                                 fixture=fixture))
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
    #: Seconds between two polls of a server's state.
    POLL_INTERVAL = 0.05

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
        self.agent_configs = {}
        config_dir = self.useFixture(fixtures.TempDir()).path
        for host in self.HOSTS:
            if host.fixture is None:
                continue
            self.agent_configs[host.name] = agents.write_agent_config(
                config_dir, host.name, self.placement_fixture.endpoint,
                self.placement_fixture.token, host.cpc, host.site,
                host.standby)
            self.run_agent(host.name)

    def run_agent(self, host: str, fixture: str | None = None) -> Any:
        """Run the host agent once for a host, on its tree or another one.

        :returns: the agent's RunReport.
        """
        tree = fixture or next(h.fixture for h in self.HOSTS
                               if h.name == host and h.fixture)
        return agents.agent_for(self.agent_configs[host], tree).run_once()

    def _setup_compute_service(self) -> Any:
        computes = [self._start_compute(host.name) for host in self.HOSTS]
        return computes[0]

    def _wait_for_server_parameter(self, server: dict, expected_params: dict,
                                   max_retries: int = 10, api: Any = None,
                                   wait_for_fault_key: bool = True) -> dict:
        """Nova's helper with the same time budget, polled more often.

        Nova's version sleeps 0.5 s between polls, and a boot is rarely
        finished at the first one: polling every POLL_INTERVAL saves about
        0.5 s per server a scenario boots.
        """
        api = api or self.admin_api
        wait_for_fault = (wait_for_fault_key and
                          expected_params.get('status') == 'ERROR')
        deadline = time.monotonic() + max_retries * 0.5
        while True:
            server = api.get_server(server['id'])
            if (all(server[key] == value
                    for key, value in expected_params.items()) and
                    (not wait_for_fault or 'fault' in server)):
                return server
            if time.monotonic() >= deadline:
                self.fail('Wait for state change failed, expected_params=%s, '
                          'server=%s, wait_for_fault=%s'
                          % (expected_params, server, wait_for_fault))
            time.sleep(self.POLL_INTERVAL)

    def provider_uuid(self, host: str) -> str:
        return self._get_provider_uuid_by_host(host)

    def provider_traits(self, host: str) -> set[str]:
        """All traits of a host's compute node provider."""
        return set(self._get_provider_traits(self.provider_uuid(host)))

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
        """Boot one member of a group, or ``min_count`` in one request.

        Waits for every server the request created and returns the one the
        API named (the first of a multi-create).
        """
        body = self._build_server(name=name, networks='none')
        if min_count > 1:
            body['min_count'] = body['max_count'] = min_count
            body['return_reservation_id'] = False
        scheduler_hints = dict(hints or {})
        scheduler_hints['group'] = group['id']
        before = len(self.api.get_server_group(group['id'])['members'])
        created = self.api.post_server(
            {'server': body, 'os:scheduler_hints': scheduler_hints})
        if min_count > 1:
            self.wait_for_group_members(group, before + min_count,
                                        expected_state)
        return self._wait_for_state_change(created, expected_state)

    def boot_many_in_group(self, group: dict, name: str, count: int,
                           hints: dict | None = None,
                           expected_state: str = 'ACTIVE') -> list[dict]:
        """Boot ``count`` members of an empty group in one request."""
        self.boot_in_group(group, name, hints, expected_state, min_count=count)
        return self.group_servers(group)

    def wait_for_group_members(self, group: dict, count: int,
                               expected_state: str = 'ACTIVE',
                               timeout: float = 10.0) -> list[dict]:
        """Wait until a group has ``count`` members, all in a state.

        Fails at once when a member goes to ERROR while another state is
        expected, with the member's fault in the message.
        """
        deadline = time.monotonic() + timeout
        while True:
            servers = self.group_servers(group)
            states = [s['status'] for s in servers]
            if len(servers) == count and set(states) <= {expected_state}:
                return servers
            failed = [s for s in servers if s['status'] == 'ERROR']
            if ((failed and expected_state != 'ERROR') or
                    time.monotonic() >= deadline):
                faults = {s.get('fault', {}).get('message') for s in failed}
                self.fail('Group %s has %s, expected %d %s members; '
                          'faults: %s' % (
                              group['id'],
                              [(s['name'], s['status']) for s in servers],
                              count, expected_state, faults or 'none'))
            time.sleep(self.POLL_INTERVAL)

    def boot_servers(self, name: str, count: int = 1,
                     flavor_id: str | None = None, hints: dict | None = None,
                     expected_state: str = 'ACTIVE',
                     timeout: float = 180.0) -> list[dict]:
        """Boot ``count`` ungrouped servers in one request; wait for all.

        The timeout only guards against a hang: on a loaded machine twenty
        builds through Nova's services in-process can take a minute.

        :returns: the servers, sorted by name; an ERROR server has its fault.
        """
        body = self._build_server(name=name, flavor_id=flavor_id,
                                  networks='none')
        body['min_count'] = body['max_count'] = count
        body['return_reservation_id'] = True
        request = {'server': body}
        if hints:
            request['os:scheduler_hints'] = hints
        reservation = self.api.post_server(request)['reservation_id']
        deadline = time.monotonic() + timeout
        while True:
            servers = self.api.get_servers(
                search_opts={'reservation_id': reservation})
            if len(servers) == count and all(
                    s['status'] == expected_state and
                    (expected_state != 'ERROR' or 'fault' in s)
                    for s in servers):
                return sorted(servers, key=lambda s: s['name'])
            if time.monotonic() >= deadline:
                self.fail('Servers of reservation %s: %s, expected %d %s' % (
                    reservation, [(s['name'], s['status']) for s in servers],
                    count, expected_state))
            time.sleep(self.POLL_INTERVAL)

    def boot_on(self, host: str, name: str, count: int = 1,
                flavor_id: str | None = None,
                metadata: dict[str, str] | None = None,
                group: dict | None = None,
                timeout: float = 180.0) -> list[dict]:
        """Boot ``count`` servers on a named host (admin); wait for ACTIVE.

        The timeout only guards against a hang, as in boot_servers.

        :returns: the servers, sorted by name.
        """
        body = self._build_server(name=name, flavor_id=flavor_id,
                                  networks='none')
        body['host'] = host
        body['min_count'] = body['max_count'] = count
        if metadata:
            body['metadata'] = metadata
        request: dict[str, Any] = {'server': body}
        if group:
            request['os:scheduler_hints'] = {'group': group['id']}
        self.admin_api.post_server(request)
        deadline = time.monotonic() + timeout
        while True:
            found = self.admin_api.get_servers(
                search_opts={'name': '^%s' % name})
            servers = [s for s in found if s['name'].startswith(name)]
            if len(servers) == count and all(
                    s['status'] == 'ACTIVE' for s in servers):
                return sorted(servers, key=lambda s: s['name'])
            if time.monotonic() >= deadline:
                self.fail('Servers %s on %s: %s, expected %d ACTIVE' % (
                    name, host, [(s['name'], s['status']) for s in servers],
                    count))
            time.sleep(self.POLL_INTERVAL)

    def load_host(self, host: str, count: int = 1,
                  flavor_id: str | None = None) -> list[dict]:
        """Boot ``count`` ungrouped servers on a named host (admin, 2.74).

        Nova's weighers then rank a loaded host below an idle one, mostly
        through IoOpsWeigher: the fake computes run no periodic tasks, so
        every server built on a host stays counted in its ``io_ops``, while
        one m1.tiny changes RAMWeigher's normalized weight by 512/7680 only.
        Scenarios use this to make stock Nova's choice predictable.
        """
        servers = []
        for index in range(count):
            body = self._build_server(name='load-%s-%d' % (host, index),
                                      flavor_id=flavor_id, networks='none')
            body['host'] = host
            created = self.admin_api.post_server({'server': body})
            servers.append(self._wait_for_state_change(created, 'ACTIVE'))
        return servers

    def load_flavor(self, units: int) -> str:
        """Return a flavor ``units`` times m1.tiny (512 MB, 1 VCPU, 1 GB).

        One server of it takes the RAM and VCPUs of ``units`` m1.tiny
        servers (but counts as one I/O operation). Created on first use.
        """
        name = 'load-x%d' % units
        for flavor in self.api.get_flavors():
            if flavor['name'] == name:
                return flavor['id']
        return self._create_flavor(
            name=name, memory_mb=512 * units, vcpu=units, disk=units,
            ephemeral=0)

    def fail_host(self, host: str) -> None:
        """Stop a host's nova-compute and force its service down (fencing)."""
        self.computes[host].stop()
        service = self.admin_api.get_services(
            host=host, binary='nova-compute')[0]
        self.admin_api.put_service(service['id'], {'forced_down': True})

    def group_servers(self, group: dict) -> list[dict]:
        members_ = self.api.get_server_group(group['id'])['members']
        return [self.api.get_server(uuid) for uuid in members_]

    @staticmethod
    def host_of(server: dict) -> str:
        return server['OS-EXT-SRV-ATTR:host']

    def members_per_cpc(self, servers: list[dict]) -> collections.Counter:
        return collections.Counter(self.cpc_of(self.host_of(s))
                                   for s in servers)


def run_case(case_class: type) -> str | None:
    """Run a scene's test case; return the last line of its error, if any."""
    result = unittest.TestResult()
    case_class().run(result)
    problems = result.errors + result.failures
    return problems[0][1].strip().splitlines()[-1] if problems else None
