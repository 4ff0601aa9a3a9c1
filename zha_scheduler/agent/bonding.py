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

"""Linux bonding: the bonds of a host, their slaves and MII status."""

import dataclasses

from oslo_log import log as logging

from zha_scheduler.agent import conditions
from zha_scheduler.agent import hostfs

LOG = logging.getLogger(__name__)

SYS_CLASS_NET = '/sys/class/net'
BONDING_MASTERS = SYS_CLASS_NET + '/bonding_masters'
NO_BONDING_MODULE = ('%s (no bonding_masters: the bonding module is not '
                     'loaded)' % SYS_CLASS_NET)
PROC_BOND = '/proc/net/bonding/%s'
SYSFS_BOND = '/sys/class/net/%s/bonding'
SYSFS_SLAVE_MII = '/sys/class/net/%s/bonding_slave/mii_status'

MII_UP = 'up'


@dataclasses.dataclass(frozen=True)
class Slave:
    """A bond slave and its MII status (None if unknown)."""

    name: str
    mii_status: str | None = None


@dataclasses.dataclass(frozen=True)
class Bond:
    """A bond as read from procfs or sysfs."""

    name: str
    slaves: tuple[Slave, ...] = ()
    mode: str | None = None
    mii_status: str | None = None
    active_slave: str | None = None
    source: str | None = None


def valid_interface_name(name: str) -> bool:
    """Whether a name can be a Linux network interface (dev_valid_name).

    Names read from files become parts of paths (``/sys/class/net/<name>``):
    a name such as ``..`` or ``a/b`` would read another file.

    :param name: an interface name.
    :returns: True for 1 to 15 characters without ``/``, ``:``, white space
        or NUL, other than ``.`` and ``..``.
    """
    return (0 < len(name) < 16 and name not in ('.', '..') and
            not any(c in '/:\0' or c.isspace() for c in name))


def _none(value: str) -> str | None:
    value = value.strip()
    return None if value in ('', 'None') else value


def parse_proc_bonding(text: str, name: str,
                       source: str | None = None) -> Bond:
    """Parse ``/proc/net/bonding/<bond>``, modern or older-kernel layout.

    Unknown lines (``Speed``, 802.3ad blocks, ...) are ignored, values are
    stripped; an MII status before the first ``Slave Interface`` is the bond's.
    A ``Slave Interface`` line without a name still gives a slave (named
    ``''``, so that no adapter is found for it): a slave is never dropped.

    :param text: the file content.
    :param name: the bond's name.
    :param source: the file it came from, kept in the result.
    :returns: the bond.
    """
    bond: dict[str, str | None] = {
        'mode': None, 'mii_status': None, 'active_slave': None}
    current: dict[str, str | None] | None = None
    records: list[dict[str, str | None]] = []
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        key = key.strip()
        if not sep:
            continue
        if key == 'Slave Interface':
            current = {'name': value.strip(), 'mii_status': None}
            records.append(current)
        elif key == 'MII Status':
            target = current if current is not None else bond
            target['mii_status'] = _none(value.lower())
        elif current is None and key == 'Bonding Mode':
            bond['mode'] = _none(value)
        elif current is None and key == 'Currently Active Slave':
            bond['active_slave'] = _none(value)
    slaves = tuple(Slave(r['name'] or '', r['mii_status']) for r in records)
    return Bond(name, slaves, bond['mode'], bond['mii_status'],
                bond['active_slave'], source)


def read_sysfs_bond(fs: hostfs.HostFS, name: str) -> Bond:
    """Read a bond from ``/sys/class/net/<bond>/bonding`` and its slaves.

    :param fs: the host.
    :param name: the bond's name.
    :returns: the bond; a slave whose MII status is unreadable has None.
    :raises OSError: if the bond's ``slaves`` file cannot be read.
    """
    base = SYSFS_BOND % name
    names = fs.read_text(base + '/slaves').split()
    attrs: dict[str, str | None] = {}
    for attr in ('mode', 'mii_status', 'active_slave'):
        try:
            attrs[attr] = _none(fs.read_text('%s/%s' % (base, attr)))
        except OSError:
            attrs[attr] = None
    slaves = []
    for slave in names:
        mii: str | None = None
        if not valid_interface_name(slave):
            # network.slave_details warns about the name itself.
            slaves.append(Slave(slave, None))
            continue
        try:
            mii = _none(fs.read_text(SYSFS_SLAVE_MII % slave).lower())
        except OSError as e:
            conditions.warning(LOG, 'Cannot read %(file)s: %(err)s',
                               {'file': SYSFS_SLAVE_MII % slave, 'err': e})
        slaves.append(Slave(slave, mii))
    return Bond(name, tuple(slaves), attrs['mode'], attrs['mii_status'],
                attrs['active_slave'], base)


def read_bond(fs: hostfs.HostFS, name: str) -> Bond | None:
    """Read a bond from procfs, or from sysfs when procfs cannot be read.

    :param fs: the host.
    :param name: the bond's name.
    :returns: the bond, or None (with a WARNING) if neither can be read or
        the name cannot be an interface's.
    """
    if not valid_interface_name(name):
        conditions.warning(LOG, 'Cannot read bond %r: not a valid interface '
                           'name.', name)
        return None
    proc = PROC_BOND % name
    try:
        return parse_proc_bonding(fs.read_text(proc), name, proc)
    except OSError as proc_error:
        try:
            return read_sysfs_bond(fs, name)
        except OSError as sys_error:
            conditions.warning(
                LOG, 'Cannot read bond %(bond)s: %(proc)s: %(perr)s; '
                '%(sys)s: %(serr)s',
                {'bond': name, 'proc': proc, 'perr': proc_error,
                 'sys': SYSFS_BOND % name + '/slaves', 'serr': sys_error})
            return None


def bond_names(fs: hostfs.HostFS,
               configured: list[str] | None) -> tuple[list[str] | None, str]:
    """Return the bonds to check: the configured ones, or bonding_masters.

    The bonding module creates ``bonding_masters`` when it loads: a host
    whose interfaces can be listed in ``/sys/class/net`` but that has no
    ``bonding_masters`` has no bond, like one whose ``bonding_masters`` is
    empty. Only a host whose interfaces cannot be read at all (neither file
    readable, ``/sys/class/net`` missing or empty) is not monitored.

    :param fs: the host.
    :param configured: ``[zha_agent] bond_interfaces``; None or empty for
        every bond of the host.
    :returns: ``(names, source)``; names is ``[]`` with source
        NO_BONDING_MODULE without the bonding module, and None (with a
        WARNING) when the bonds cannot be listed, source then saying what
        could not be read and why.
    """
    names = [n.strip() for n in configured or [] if n.strip()]
    if names:
        return names, '[zha_agent] bond_interfaces'
    try:
        return fs.read_text(BONDING_MASTERS).split(), BONDING_MASTERS
    except FileNotFoundError as e:
        missing = e
    except OSError as e:
        conditions.warning(
            LOG, 'Network not monitored: cannot read %(file)s (%(err)s) and '
            '[zha_agent] bond_interfaces is not set.',
            {'file': BONDING_MASTERS, 'err': e})
        return None, '%s (%s)' % (BONDING_MASTERS, hostfs.why(e))
    listed = 'no interface in it'
    try:
        interfaces = fs.listdir(SYS_CLASS_NET)
    except OSError as e:
        interfaces, listed = [], hostfs.why(e)
    if interfaces:
        LOG.debug('No bond: %(file)s is missing (the bonding module is not '
                  'loaded); interfaces: %(names)s',
                  {'file': BONDING_MASTERS, 'names': ' '.join(interfaces)})
        return [], NO_BONDING_MODULE
    conditions.warning(
        LOG, 'Network not monitored: cannot read %(file)s (%(err)s) nor list '
        'the interfaces of %(dir)s (%(listed)s), and [zha_agent] '
        'bond_interfaces is not set.',
        {'file': BONDING_MASTERS, 'err': missing, 'dir': SYS_CLASS_NET,
         'listed': listed})
    return None, '%s (%s), %s (%s)' % (
        BONDING_MASTERS, hostfs.why(missing), SYS_CLASS_NET, listed)
