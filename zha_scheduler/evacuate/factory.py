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

"""Build the hook from config: Connection, fencer, partners, topology."""

from collections.abc import Callable, Mapping
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from zha_scheduler.clients import auth
from zha_scheduler.clients import hmc
from zha_scheduler.clients import nova_client
from zha_scheduler.clients import topology_files
from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.conf import files
from zha_scheduler.evacuate import hook
from zha_scheduler.evacuate import leader
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import watch
from zha_scheduler import placement
from zha_scheduler import topology

LOG = logging.getLogger(__name__)
GROUP = 'zha_evacuate'


class ConfigError(Exception):
    """The hook's configuration cannot work; the message says what to fix."""


def connection_from_conf(conf: cfg.ConfigOpts) -> Any:
    """An openstacksdk Connection from the [nova] keystoneauth options.

    :raises auth.CredentialsError: [nova] cannot authenticate.
    """
    return auth.connection(conf, evacuate_conf.NOVA_GROUP,
                           "zha-evacuate cannot call Nova's API",
                           nova_client.MICROVERSION)


def profiles_reader(client: nova_client.NovaClient
                    ) -> Callable[[], Mapping[str, topology.HostProfile]]:
    """A callable reading host profiles by name from Placement's ZHA traits."""
    def read() -> Mapping[str, topology.HostProfile]:
        try:
            return placement.read_topology(client.placement())[0].by_name
        except Exception as exc:  # the topology only improves the choice
            LOG.warning('Could not read the ZHA topology from Placement: %s',
                        exc)
            return {}
    return read


def check_paths(conf: cfg.ConfigOpts) -> None:
    """Check coordination_url and state_dir without taking any lock.

    A watcher started with either wrong would fail at every poll; the
    command fails at once instead, with what to fix.

    :raises ConfigError: an unknown or unloadable tooz driver, a lock or
        state directory that is a file or not writable.
    """
    group = conf.zha_evacuate
    try:
        lock.check_url(group.coordination_url)
    except lock.LockError as exc:
        raise ConfigError('[%s] coordination_url = %s: %s' % (
            GROUP, lock.redact(group.coordination_url), exc)) from None
    problem = files.dir_problem(group.state_dir)
    if problem:
        raise ConfigError('[%s] state_dir: %s; set it to a directory '
                          'zha-evacuate can write' % (GROUP, problem))


def hook_from_conf(conf: cfg.ConfigOpts, conn: Any = None,
                   fencer: Any = None,
                   session_factory: Any = None) -> hook.Hook:
    """Build the hook; the fencer comes from [zha_evacuate] fencing if None.

    With ``fencing = none`` the hook gets no fencer and evacuates only hosts
    whose service Nova reports down. ``session_factory`` opens the HMC
    session of ``fencing = hmc`` (tests pass a faked HMC's).

    :raises ConfigError: [nova] cannot authenticate or has bad adapter
        options, the partners file is bad, ``fencing = hmc`` is
        misconfigured, or as check_paths.
    """
    group = conf.zha_evacuate
    check_paths(conf)
    if fencer is None and group.fencing != 'none':
        # Imported late: zhmcclient is needed only when fencing is on.
        from zha_scheduler.evacuate import fencing
        try:
            fencer = fencing.fencer_from_conf(
                conf, session_factory=session_factory)
        except fencing.FencingError as exc:
            raise ConfigError(str(exc)) from None
    try:
        partners = topology_files.load_partners(group.partners_file)
        client = nova_client.NovaClient(
            conn if conn is not None else connection_from_conf(conf))
    except (topology_files.TopologyFileError,
            auth.CredentialsError) as exc:
        raise ConfigError(str(exc)) from None
    return hook.Hook(
        client, fencer, coordination_url=group.coordination_url,
        state_dir=group.state_dir, partners=partners,
        max_parallel=group.max_parallel,
        instance_timeout=group.instance_timeout,
        poll_interval=group.poll_interval,
        max_down_fraction=group.max_down_fraction,
        profiles=profiles_reader(client))


def watcher_from_conf(conf: cfg.ConfigOpts, evacuation: hook.Hook,
                      session_factory: Any = None) -> watch.Watcher:
    """Build watch mode around a hook.

    With ``fencing = hmc`` the watcher also reads the LPAR statuses on the
    HMC every ``hmc_poll_interval``; otherwise it watches Nova's heartbeat
    only, as before: a host the HMC reports failed while Nova shows it up
    can be evacuated only once fenced.

    :param session_factory: opens the status reader's HMC session (tests
        pass one on a faked HMC).
    :raises ConfigError: ``fencing = hmc`` misses an HMC option.
    """
    group = conf.zha_evacuate
    reader = None
    if group.fencing == 'hmc':
        try:
            settings = hmc.HmcSettings.from_conf(conf)
        except hmc.HmcConfigError as exc:
            raise ConfigError(str(exc)) from None
        reader = hmc.StatusReader(settings, session_factory=session_factory)
    return watch.Watcher(evacuation, group.grace_period, group.poll_interval,
                         hmc_reader=reader,
                         hmc_poll_interval=group.hmc_poll_interval,
                         election=leader.Election(group.coordination_url))
