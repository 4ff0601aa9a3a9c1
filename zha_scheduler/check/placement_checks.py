"""Placement as nova-scheduler reaches it, and the ZHA traits of its hosts.

The client comes from nova.conf's ``[placement]`` section, as Nova builds
its own, unless the caller passes one (tests pass one pointed at an
in-process Placement).
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading

from zha_scheduler import placement
from zha_scheduler import topology as topo
from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding

GROUP = 'placement'
COMPUTE_NODE = 'COMPUTE_NODE'
#: Seconds before an unanswered request fails, when [placement] timeout is
#: unset: an operator tool should not hang on a black-holed endpoint.
DEFAULT_TIMEOUT = 15.0
FIX_REACH = ('check [placement] in nova.conf (auth_type, auth_url, the service '
             'user\'s credentials, region_name, valid_interfaces) and that '
             'Placement answers, e.g. "openstack resource provider list"')


class PlacementConfigError(Exception):
    """nova.conf's [placement] section cannot make a client."""


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


class _AdapterClient:
    """``get(url, version=...)`` as placement.read_topology calls it."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter

    def get(self, url: str, version: str | None = None) -> Any:
        return self._adapter.get(url, microversion=version, raise_exc=False)


def client_from_conf(nova: config_files.SafeConf) -> Any:
    """A Placement client from nova.conf's [placement] keystoneauth options.

    :raises PlacementConfigError: no usable auth plugin is configured.
    """
    conf = nova.conf
    try:
        auth = ks_loading.load_auth_from_conf_options(conf, GROUP)
    except ks_exc.NoMatchingPlugin:
        raise PlacementConfigError(
            '[placement] auth_type = %s is not a keystoneauth plugin'
            % conf[GROUP].auth_type) from None
    except ks_exc.MissingRequiredOptions as exc:
        raise PlacementConfigError('[placement] is missing %s for auth_type %s' % (
            ', '.join(o.dest for o in exc.options), conf[GROUP].auth_type)) from None
    if auth is None:
        raise PlacementConfigError(
            '[placement] auth_type is not set: nova-scheduler cannot read '
            'Placement, nor the ZHA filters their traits')
    timeout = nova.get(GROUP, 'timeout') or DEFAULT_TIMEOUT
    session = ks_loading.load_session_from_conf_options(
        conf, GROUP, auth=auth, timeout=timeout)
    return _AdapterClient(ks_loading.load_adapter_from_conf_options(
        conf, GROUP, session=session, auth=auth))


def _get_json(client: Any, url: str, version: str) -> dict[str, Any]:
    resp = client.get(url, version=version)
    if resp is None or not resp:
        raise placement.PlacementReadError('GET %s returned %s: %s' % (
            url, getattr(resp, 'status_code', None),
            ' '.join(getattr(resp, 'text', '')[:200].split())))
    return resp.json()


def read_view(client: Any) -> PlacementView:
    """Read the compute nodes and every provider's ZHA traits.

    Compute nodes are the providers nova-compute marks ``COMPUTE_NODE``;
    when none is (an older Nova), every root provider.

    :raises Exception: whatever the client raises, or PlacementReadError.
    """
    body = _get_json(client, '/resource_providers?required=%s' % COMPUTE_NODE,
                     placement.REQUIRED_VERSION)
    providers = body.get('resource_providers', [])
    if not providers:
        body = _get_json(client, '/resource_providers', '1.14')
        providers = [p for p in body.get('resource_providers', [])
                     if p.get('root_provider_uuid', p['uuid']) == p['uuid']]
    nodes = {p['uuid']: p.get('name') or p['uuid'] for p in providers}
    found, _ = placement.read_topology(client)
    return PlacementView(compute_nodes=nodes, topology=found)


def check_placement(nova: config_files.SafeConf, client: Any = None,
                    skip: bool = False
                    ) -> tuple[list[Finding], PlacementView | None]:
    """placement-reachable and topology-traits.

    :param client: a Placement client (``get(url, version=...)``); None
        builds one from nova.conf.
    :param skip: check nothing (``--skip-placement``).
    :returns: the findings and, when Placement answered, what it holds.
    """
    if skip:
        return [findings.skipped('placement-reachable', '--skip-placement'),
                findings.skipped('topology-traits', '--skip-placement')], None
    unreached = findings.skipped('topology-traits', 'Placement not reached')
    try:
        client = client if client is not None else client_from_conf(nova)
    except (PlacementConfigError, ks_exc.ClientException, ValueError) as exc:
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
    result = [findings.ok('placement-reachable', 'Placement answered: %d compute '
                          'nodes, %d with ZHA traits'
                          % (len(view.compute_nodes), with_traits))]
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
            'failure takes every member of an anti-affinity group' % cpcs.pop(),
            'add compute hosts on a second CPC, or check [zha_agent] cpc_name '
            'on the hosts (one name per physical machine)'))
    if not result:
        result.append(findings.ok(check, 'all %d compute nodes carry a CPC trait '
                                  '(%d CPCs)' % (len(nodes), len(cpcs))))
    return result
