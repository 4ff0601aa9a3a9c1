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

"""Options of the host agent, zha-trait-agent ([zha_agent], [placement])."""

from typing import Any

from oslo_config import cfg

from zha_scheduler.conf import ksa


def _group() -> cfg.OptGroup:
    return cfg.OptGroup(
        name='zha_agent',
        title='ZHA host agent options',
        help=('Options for zha-trait-agent, which probes an IBM Z KVM host '
              'and publishes its topology and redundancy as CUSTOM_ZHA_* '
              'traits on its compute node resource provider in Placement.'))


#: For the sample generator; each ConfigOpts registers a group of its own,
#: since oslo.config keeps overrides and defaults in the group object.
zha_agent_group = _group()

agent_opts = [
    cfg.StrOpt('cpc_name',
        help="""
Name of the CPC this host runs on, instead of the one read from /proc/sysinfo.

By default the CPC id is ``<Type>_<Plant>_<Sequence Code without leading
zeros>`` from /proc/sysinfo, e.g. ``3931_02_A1B2C``. Set a name when the
operators know the machines by their own names; every host of one CPC must
then use the same name.

Possible values:

* Unset: read /proc/sysinfo.
* Any non-empty string. A name of ASCII letters and digits in words joined
  by single ``_`` is upper-cased in the trait ``CUSTOM_ZHA_CPC_<NAME>``; any
  other name also gets ``__`` and a digest of the name, so that no two names
  share a trait.
"""),
    cfg.StrOpt('site',
        help="""
Site (data centre) of this host, published as ``CUSTOM_ZHA_SITE_<NAME>``.

Possible values:

* Unset: no site trait.
* Any non-empty string.
"""),
    cfg.BoolOpt('standby',
        default=False,
        help="""
Whether this host is a standby partition kept free for recovery.

A standby host carries ``CUSTOM_ZHA_STANDBY``; ``ZhaStandbyFilter`` then lets
only requests aimed at it (such as an evacuation) land there.
"""),
    cfg.ListOpt('bond_interfaces',
        help="""
Bond interfaces whose redundancy is checked.

Possible values:

* Unset: every bond listed in /sys/class/net/bonding_masters.
* A list of interface names, e.g. ``bond0,bond1``.
"""),
    cfg.StrOpt('multipath_command',
        default='multipathd show maps json',
        help="""
Command printing the dm-multipath maps as JSON.

When it cannot run, the agent reads the maps from sysfs instead.
"""),
    cfg.StrOpt('consistency_groups_file',
        help="""
YAML file mapping storage consistency group names to their volumes' WWIDs.

A group's trait ``CUSTOM_ZHA_CG_<NAME>`` is published when every WWID of the
group is present on this host over redundant paths.

Possible values:

* Unset: no consistency group traits.
* A path, e.g. ``/etc/zha-scheduler/consistency-groups.yaml``. With
  ``zha-trait-agent --root DIR`` it is read under DIR like every host file.
"""),
    cfg.StrOpt('provider_name',
        help="""
Name of this host's compute node resource provider in Placement.

Possible values:

* Unset: the host name, as Nova's libvirt driver names the compute node.
* The hypervisor hostname shown by ``openstack hypervisor list``.
"""),
    cfg.IntOpt('interval',
        default=30,
        min=1,
        help="""
Seconds between two probes of the host when the agent runs periodically.
"""),
]

PLACEMENT_GROUP = 'placement'


def register_opts(conf: cfg.ConfigOpts) -> None:
    group = _group()
    conf.register_group(group)
    conf.register_opts(agent_opts, group=group)


def register_placement_opts(conf: cfg.ConfigOpts) -> None:
    """Register keystoneauth options in [placement] (agent process only).

    nova-scheduler registers its own ``[placement]`` options; the agent, a
    separate process, registers the same set for its service user.
    """
    ksa.register_ksa_opts(conf, PLACEMENT_GROUP, 'placement')


def list_agent_opts() -> list[tuple[Any, list[cfg.Opt]]]:
    """Everything zha-trait-agent reads, for its own sample config."""
    return [(zha_agent_group, agent_opts),
            (PLACEMENT_GROUP, ksa.list_ksa_opts())]


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return [(zha_agent_group, agent_opts)]
