"""Build the hook from configuration: Connection, fencer, partners, topology."""

from collections.abc import Mapping
from typing import Any

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslo_log import log as logging

from zha_scheduler import placement
from zha_scheduler import topology
from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.evacuate import hook
from zha_scheduler.evacuate import nova
from zha_scheduler.evacuate import plan

LOG = logging.getLogger(__name__)


def connection_from_conf(conf: cfg.ConfigOpts) -> Any:
    """An openstacksdk Connection from the [nova] keystoneauth options."""
    import openstack
    group = evacuate_conf.NOVA_GROUP
    auth = ks_loading.load_auth_from_conf_options(conf, group)
    sess = ks_loading.load_session_from_conf_options(conf, group, auth=auth)
    return openstack.connection.Connection(
        session=sess, compute_api_version=nova.MICROVERSION,
        region_name=conf[group].region_name)


def profiles_reader(client: nova.NovaClient) -> Any:
    """A callable reading host profiles by name from Placement's ZHA traits."""
    def read() -> Mapping[str, topology.HostProfile]:
        try:
            return placement.read_topology(client.placement_client())[0].by_name
        except Exception as exc:  # the topology only improves the choice
            LOG.warning('Could not read the ZHA topology from Placement: %s', exc)
            return {}
    return read


def hook_from_conf(conf: cfg.ConfigOpts, conn: Any = None,
                   fencer: Any = None, session_factory: Any = None) -> hook.Hook:
    """Build the hook; the fencer comes from [zha_evacuate] fencing unless given.

    With ``fencing = none`` the hook gets no fencer and evacuates only hosts
    whose service Nova reports down. ``session_factory`` opens the HMC
    session of ``fencing = hmc`` (tests pass a faked HMC's).
    """
    group = conf.zha_evacuate
    if fencer is None and group.fencing != 'none':
        # Imported late: zhmcclient is needed only when fencing is on.
        from zha_scheduler.evacuate import fencing
        fencer = fencing.fencer_from_conf(conf, session_factory=session_factory)
    client = nova.NovaClient(conn if conn is not None else connection_from_conf(conf))
    return hook.Hook(
        client, fencer, coordination_url=group.coordination_url,
        state_dir=group.state_dir, partners=plan.load_partners(group.partners_file),
        max_parallel=group.max_parallel, instance_timeout=group.instance_timeout,
        poll_interval=group.poll_interval, max_down_fraction=group.max_down_fraction,
        profiles=profiles_reader(client))
