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

"""Placement as nova-scheduler reaches it, and the ZHA traits of its hosts.

The client comes from nova.conf's ``[placement]`` section, as Nova builds
its own, unless the caller passes one (tests pass one pointed at an
in-process Placement).
"""

from collections.abc import Mapping
import dataclasses

from keystoneauth1 import exceptions as ks_exc

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.clients import auth
from zha_scheduler.clients import placement_client
from zha_scheduler import placement
from zha_scheduler import topology as topo

GROUP = 'placement'
#: Seconds before an unanswered request fails, when [placement] timeout is
#: unset: an operator tool should not hang on a black-holed endpoint.
DEFAULT_TIMEOUT = 15.0
FIX_REACH = ('check [placement] in nova.conf (auth_type, auth_url, the '
             'service user\'s credentials, region_name, valid_interfaces) '
             'and that Placement answers, e.g. '
             '"openstack resource provider list"')


@dataclasses.dataclass(frozen=True)
class PlacementView:
    """The compute nodes (provider uuid -> name) and their ZHA profiles."""

    compute_nodes: Mapping[str, str]
    topology: placement.Topology

    def profile(self, uuid: str) -> topo.HostProfile:
        return self.topology.profile(uuid=uuid)

    def profile_by_name(self, name: str) -> topo.HostProfile:
        return self.topology.profile(name=name)

    def names(self) -> set[str]:
        return set(self.compute_nodes.values())

    def standby_names(self) -> set[str]:
        return {name for uuid, name in self.compute_nodes.items()
                if self.profile(uuid).standby}


def client_from_conf(nova: config_files.SafeConf
                     ) -> placement_client.PlacementClient:
    """A Placement client from nova.conf's [placement] keystoneauth options.

    :raises auth.CredentialsError: no usable auth plugin is configured.
    """
    return placement_client.PlacementClient(auth.adapter(
        nova.conf, GROUP, 'nova-scheduler cannot read Placement, nor the '
        'ZHA filters their traits',
        timeout=nova.get(GROUP, 'timeout') or DEFAULT_TIMEOUT))


def read_view(client: placement_client.PlacementClient) -> PlacementView:
    """Read the compute nodes and every provider's ZHA traits.

    :raises Exception: whatever the client raises, or PlacementError.
    """
    found, _ = placement.read_topology(client)
    return PlacementView(compute_nodes=client.compute_nodes(), topology=found)


def check_placement(nova: config_files.SafeConf,
                    client: placement_client.PlacementClient | None = None,
                    skip: bool = False
                    ) -> tuple[list[Finding], PlacementView | None]:
    """placement-reachable and topology-traits.

    :param client: a Placement client; None builds one from nova.conf.
    :param skip: check nothing (``--skip-placement``).
    :returns: the findings and, when Placement answered, what it holds.
    """
    if skip:
        return [findings.skipped('placement-reachable', '--skip-placement'),
                findings.skipped('topology-traits', '--skip-placement')], None
    unreached = findings.skipped('topology-traits', 'Placement not reached')
    try:
        client = client if client is not None else client_from_conf(nova)
    except (auth.CredentialsError, ks_exc.ClientException,
            ValueError) as exc:
        return [findings.error('placement-reachable', 'no Placement client '
                               'from nova.conf: %s' % findings.one_line(exc),
                               FIX_REACH), unreached], None
    try:
        view = read_view(client)
    except Exception as exc:  # connection, auth, catalog or HTTP errors
        return [findings.error('placement-reachable', 'Placement cannot be '
                               'read: %s' % findings.one_line(exc), FIX_REACH),
                unreached], None
    with_traits = sum(1 for uuid in view.compute_nodes
                      if view.profile(uuid) != topo.UNKNOWN)
    result = [findings.ok('placement-reachable',
                          'Placement answered: %d compute nodes, %d with ZHA '
                          'traits' % (len(view.compute_nodes), with_traits))]
    domain = nova.get('zha_scheduler', 'spread_domain', topo.CPC)
    return result + topology_traits(view, domain), view


def topology_traits(view: PlacementView, spread_domain: str) -> list[Finding]:
    """Compute nodes without the traits of their CPC (and site, if spread)."""
    check = 'topology-traits'
    nodes = view.compute_nodes
    if not nodes:
        return [findings.warning(
            check, 'Placement lists no compute node',
            'start nova-compute on the compute hosts, then zha-trait-agent')]
    result = []
    levels = [topo.CPC] + ([topo.SITE] if spread_domain == topo.SITE
                               else [])
    for level in levels:
        without = [name for uuid, name in nodes.items()
                   if view.profile(uuid).domain(level) is None]
        if not without:
            continue
        trait = 'CUSTOM_ZHA_%s_*' % level.upper()
        option = 'cpc_name' if level == topo.CPC else 'site'
        result.append(findings.warning(
            check, '%d of %d compute nodes have no %s trait: %s. They are in '
            'an unknown failure domain: the ZHA filters never count them as '
            'sharing a %s with another host' % (
                len(without), len(nodes), trait, findings.name_list(without),
                level.upper() if level == topo.CPC else level),
            'run zha-trait-agent on them (systemctl enable --now '
            'zha-trait-agent)%s' % (
                '; where /proc/sysinfo cannot name the CPC, set [zha_agent] '
                'cpc_name' if level == topo.CPC else
                ' with [zha_agent] %s set' % option)))
    placed = [cpc for uuid in nodes if (cpc := view.profile(uuid).cpc)]
    cpcs = set(placed)
    if spread_domain == topo.CPC and len(cpcs) == 1 and len(placed) > 1:
        result.append(findings.warning(
            check, 'every compute node with a CPC trait is on CPC %s: one CPC '
            'failure takes every member of an anti-affinity group'
            % cpcs.pop(),
            'add compute hosts on a second CPC, or check [zha_agent] cpc_name '
            'on the hosts (one name per physical machine)'))
    if not result:
        result.append(findings.ok(
            check, 'all %d compute nodes carry a CPC trait (%d CPCs)'
            % (len(nodes), len(cpcs))))
    return result
