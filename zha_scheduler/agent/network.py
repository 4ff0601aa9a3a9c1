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

"""Network redundancy: bonds whose slaves are up on distinct OSA adapters."""

import dataclasses
from typing import Any

from oslo_log import log as logging

from zha_scheduler.agent import bonding
from zha_scheduler.agent import channel
from zha_scheduler.agent import conditions
from zha_scheduler.agent import health
from zha_scheduler.agent import hostfs
from zha_scheduler import topology

LOG = logging.getLogger(__name__)

QETH_ATTR = '/sys/class/net/%s/device/%s'


@dataclasses.dataclass(frozen=True)
class NetworkResult:
    """The host's network state (None = not monitored) and why."""

    state: str | None
    details: dict[str, Any]
    # What could not be read when nothing about the network could: no bond
    # list and no interface list, or not one of the configured bonds.
    unread: str | None = None


@dataclasses.dataclass(frozen=True)
class _Member:
    name: str
    mii_status: str | None
    up: bool | None
    adapter: channel.Adapter


def _up(mii_status: str | None) -> bool | None:
    # 'going down' and 'going back' are transitions: not a usable slave yet.
    if mii_status is None:
        return None
    return mii_status == bonding.MII_UP


def _qeth_attr(fs: hostfs.HostFS, slave: str, attr: str) -> str | None:
    try:
        return fs.read_text(QETH_ATTR % (slave, attr)).strip() or None
    except OSError:
        return None


def slave_details(fs: hostfs.HostFS, slave: bonding.Slave,
                  adapters: channel.Adapters | None = None
                  ) -> tuple[_Member, dict[str, Any]]:
    """Find the OSA adapter of a bond slave from its qeth device.

    :param fs: the host.
    :param slave: the slave.
    :param adapters: the adapter lookups of this probe (a new one if None).
    :returns: the slave as a member of a redundancy check, and its details;
        the adapter is unknown (with a WARNING) when the qeth CHPID cannot
        be read or the name cannot be an interface's.
    """
    adapters = adapters or channel.Adapters(fs)
    chpid = card_type = None
    chpid_file = QETH_ATTR % (slave.name, 'chpid')
    if not bonding.valid_interface_name(slave.name):
        conditions.warning(LOG, 'No OSA CHPID for bond slave %r: not a valid '
                           'interface name.', slave.name)
    else:
        chpid = _qeth_attr(fs, slave.name, 'chpid')
        card_type = _qeth_attr(fs, slave.name, 'card_type')
        if chpid is None:
            conditions.warning(LOG, 'No OSA CHPID for bond slave %(slave)s: '
                               'cannot read %(file)s',
                               {'slave': slave.name, 'file': chpid_file})
    adapter = adapters.get(chpid)
    if chpid is not None and adapter.chpid is None:
        conditions.warning(LOG, 'No OSA CHPID for bond slave %(slave)s: '
                           '%(file)s holds %(value)r, not a CHPID',
                           {'slave': slave.name, 'file': chpid_file,
                            'value': chpid})
    details = {'name': slave.name, 'mii_status': slave.mii_status,
               'chpid': adapter.chpid, 'pchid': adapter.pchid,
               'card_type': card_type}
    return _Member(slave.name, slave.mii_status, _up(slave.mii_status),
                   adapter), details


def _domains(member: _Member) -> frozenset[tuple[str, str]] | None:
    return channel.domains(member.adapter)


def _label(member: _Member) -> str:
    label = 'CHPID %s' % (member.adapter.chpid or '?')
    if member.adapter.pchid:
        label += ' (PCHID %s)' % member.adapter.pchid
    return label


def _reason(verdict: bool | None, members: list[_Member]) -> str:
    up = [m for m in members if m.up]
    not_up = ['%s (%s)' % (m.name, m.mii_status or 'unknown')
              for m in members if not m.up]
    if verdict:
        return 'slaves up on distinct adapters: ' + ', '.join(
            '%s on %s' % (m.name, _label(m)) for m in up)
    if verdict is None:
        unknown = [m.name for m in members
                   if m.up is None or m.adapter.chpid is None]
        return ('cannot tell: status or adapter unknown for ' +
                ', '.join(unknown))
    if len(members) < 2:
        return 'bond has %d slave(s), 2 are needed' % len(members)
    if len(up) < 2:
        return '%d of %d slaves up; %s' % (len(up), len(members),
                                          ', '.join(not_up))
    return 'slaves up share one adapter: ' + ', '.join(
        '%s on %s' % (m.name, _label(m)) for m in up)


def evaluate_bond(fs: hostfs.HostFS,
                  bond: bonding.Bond) -> tuple[str | None, dict[str, Any]]:
    """Decide whether one bond is redundant.

    Redundant: two slaves with MII status ``up`` on distinct adapters
    (PCHIDs where both are known, else CHPIDs).

    :param fs: the host.
    :param bond: the bond.
    :returns: the bond's state and its details.
    """
    members, slaves = [], []
    adapters = channel.Adapters(fs)
    for slave in bond.slaves:
        member, details = slave_details(fs, slave, adapters)
        members.append(member)
        slaves.append(details)
    verdict = health.pair_verdict(members, lambda m: m.up, _domains)
    return health.state(verdict), {
        'state': health.state(verdict), 'reason': _reason(verdict, members),
        'source': bond.source, 'mode': bond.mode,
        'mii_status': bond.mii_status, 'active_slave': bond.active_slave,
        'slaves': slaves}


def probe_network(fs: hostfs.HostFS,
                  bond_interfaces: list[str] | None = None) -> NetworkResult:
    """Check every bond of the host (or the configured ones).

    :param fs: the host.
    :param bond_interfaces: ``[zha_agent] bond_interfaces``.
    :returns: redundant when every bond is; degraded when one is not or the
        host has no bond (an empty bonding_masters, or none at all: no
        bonding module); None when bonds cannot be listed or read.
    """
    names, source = bonding.bond_names(fs, bond_interfaces)
    details: dict[str, Any] = {'source': source, 'bonds': {}}
    if names is None:
        details.update(state=None, reason='cannot list bonds: %s' % source)
        return NetworkResult(None, details, source)
    if not names:
        details.update(state=topology.DEGRADED,
                       reason='no bond in %s' % source)
        return NetworkResult(topology.DEGRADED, details)
    states: list[str | None] = []
    read = False
    for name in names:
        bond = bonding.read_bond(fs, name)
        if bond is None:
            states.append(None)
            details['bonds'][name] = {
                'state': None, 'reason': 'cannot read %s or %s' % (
                    bonding.PROC_BOND % name, bonding.SYSFS_BOND % name)}
            continue
        read = True
        state, details['bonds'][name] = evaluate_bond(fs, bond)
        states.append(state)
    state = health.combine(states)
    details.update(state=state, reason=', '.join(
        '%s %s' % (name, details['bonds'][name]['state'] or 'unknown')
        for name in names))
    if state is None:
        conditions.warning(LOG, 'Network not monitored: %s',
                           details['reason'])
    # Names from bonding_masters were read from the host; configured names
    # were not, so one of those bonds must be.
    unread = None
    if not read and source != bonding.BONDING_MASTERS:
        unread = 'no bond of %s readable (%s)' % (source, ', '.join(names))
    return NetworkResult(state, details, unread)
