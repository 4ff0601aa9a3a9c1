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

"""Probe a host and turn what was found into its CUSTOM_ZHA_* traits."""

from collections.abc import Callable
import dataclasses
from typing import Any, TypeVar

from oslo_config import cfg
from oslo_log import log as logging

from zha_scheduler.agent import conditions
from zha_scheduler.agent import consistency
from zha_scheduler.agent import daemons
from zha_scheduler.agent import dasd
from zha_scheduler.agent import disks as disks_verdict
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import network
from zha_scheduler.agent import storage
from zha_scheduler.agent import sysinfo
from zha_scheduler import topology
from zha_scheduler import traits

LOG = logging.getLogger(__name__)

T = TypeVar('T')

_HEALTH_TRAITS = {
    'network': {topology.REDUNDANT: traits.NET_REDUNDANT,
                topology.DEGRADED: traits.NET_DEGRADED},
    'storage': {topology.REDUNDANT: traits.STORAGE_REDUNDANT,
                topology.DEGRADED: traits.STORAGE_DEGRADED},
}


# The probes that read the host itself; the consistency groups file is
# configuration, and gives no trait without the storage probe anyway.
HOST_SOURCES = ('cpc', 'network', 'storage')


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """The host's ZHA traits and, JSON-able, why each was chosen."""

    traits: set[str]
    details: dict[str, Any]
    # By probe of HOST_SOURCES: what it could not read at all.
    unread: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def read_nothing(self) -> bool:
        """Whether every probe of HOST_SOURCES could read nothing at all.

        Such a result says nothing about the host: publishing it would
        remove every health and CPC trait the host has.
        """
        return all(source in self.unread for source in HOST_SOURCES)


def _guarded(what: str, probe: Callable[[], T], fallback: T) -> T:
    # A bug or an unforeseen input in one probe must not take down the
    # others: that subsystem is then not monitored, as for an unreadable file.
    try:
        return probe()
    except Exception as e:
        conditions.error(LOG, 'The %s probe failed; %s is not monitored: '
                         '%s', what, what, e, exc_info=True)
        return fallback


def _named(build: Callable[[str], str], value: str | None,
           what: str) -> str | None:
    value = (value or '').strip()
    if not value:
        return None
    try:
        return build(value)
    except ValueError as e:
        conditions.warning(LOG, 'No %(what)s trait for %(value)r: %(err)s',
                           {'what': what, 'value': value, 'err': e})
        return None


def probe_host(conf: cfg.ConfigOpts, fs: hostfs.HostFS) -> ProbeResult:
    """Probe the host and compute its ZHA traits.

    :param conf: the configuration; ``[zha_agent]`` options are read.
    :param fs: the host (live, or a tree under another root).
    :returns: the traits (only ``CUSTOM_ZHA_*`` ones), the details of
        every decision (``cpc``, ``site``, ``standby``, ``network``,
        ``storage`` with its ``dasd``, ``consistency_groups`` and
        ``daemons``) and what each probe of HOST_SOURCES could
        not read at all (a probe that failed read nothing).
    """
    opts = conf.zha_agent
    found: set[str] = set()
    identity = _guarded('CPC',
                        lambda: sysinfo.probe_identity(fs, opts.cpc_name),
                        sysinfo.Identity(None, {'error': 'probe failed'},
                                         'the probe failed'))
    net = _guarded('network',
                   lambda: network.probe_network(fs, opts.bond_interfaces),
                   network.NetworkResult(None, {'error': 'probe failed'},
                                         'the probe failed'))
    maps = _guarded('storage', lambda: storage.probe_storage(
        fs, opts.multipath_command, summary=False),
        storage.StorageResult(None, frozenset(), frozenset(),
                              {'error': 'probe failed'}, 'the probe failed'))
    dasds = _guarded('DASD', lambda: dasd.probe_dasd(fs), dasd.DasdResult(
        None, {'error': 'probe failed'}, unread='the probe failed'))
    units = _guarded('daemon', lambda: daemons.probe_daemons(fs),
                     daemons.DaemonsResult({}, {'error': 'probe failed'}))
    disks = disks_verdict.combine(maps, dasds, units)
    groups = _guarded('consistency group', lambda: consistency.probe_groups(
        fs, opts.consistency_groups_file, disks.redundant_wwids,
        disks.present_wwids), consistency.GroupsResult(
            frozenset(), {'error': 'probe failed'}))
    named = [_named(traits.cpc_trait, identity.cpc_id, 'CPC'),
             _named(traits.site_trait, opts.site, 'site')]
    named += [_named(traits.consistency_group_trait, g, 'consistency group')
              for g in sorted(groups.groups)]
    found.update(t for t in named if t)
    if opts.standby:
        found.add(traits.STANDBY)
    for subsystem, state in (('network', net.state), ('storage', disks.state)):
        if state is not None:
            found.add(_HEALTH_TRAITS[subsystem][state])
    details = {
        'cpc': identity.details,
        'site': (opts.site or '').strip() or None,
        'standby': bool(opts.standby),
        'network': net.details,
        'storage': disks.details,
        'consistency_groups': groups.details,
        'daemons': units.details,
    }
    unread = {source: result.unread for source, result in (
        ('cpc', identity), ('network', net), ('storage', disks))
        if result.unread is not None}
    return ProbeResult(found, details, unread)
