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

"""The channel paths of an I/O subchannel: CHPIDs, path masks, states.

Formats, from the kernel's drivers/s390/cio (css.c in current kernels,
device.c before; chp.c) and s390-tools (zconf/css/lscss.c):

- ``<subchannel>/chpids``: 8 entries ``%02x`` each followed by a space,
  then a newline; entry i is the CHPID of path i when bit ``0x80 >> i`` of
  the path mask is set, else ``00`` (``00`` is also a valid CHPID).
- ``<subchannel>/pimpampom``: ``%02x %02x %02x\\n``, the path installed,
  available and operational masks; bit ``0x80 >> i`` is path i.
- ``/sys/devices/css0/chp0.<xx>/status``: ``online`` or ``offline`` (the
  channel path varied off in Linux, e.g. ``chchp -v 0``).
- ``lscss``: a header, a line of dashes, then per I/O subchannel
  ``Device Subchan. DevType CU Type Use PIM PAM POM CHPIDs``, the masks
  ``%02x`` and the CHPIDs as two groups of 8 hex digits (``40410000
  00000000``); empty fields are blank, ``-u`` prints upper case.
"""

import dataclasses
import re

from oslo_log import log as logging

from zha_scheduler.agent import channel
from zha_scheduler.agent import conditions
from zha_scheduler.agent import hostfs

LOG = logging.getLogger(__name__)

_HEX2 = re.compile(r'[0-9a-fA-F]{2}')
_LSCSS_ID = re.compile(r'([0-9a-fA-F]\.[0-9a-fA-F]\.)?([0-9a-fA-F]{4})')
_LSCSS_TAIL = re.compile(
    r'(?:^|\s)(?P<pim>[0-9a-fA-F]{2})\s+(?P<pam>[0-9a-fA-F]{2})\s+'
    r'(?P<pom>[0-9a-fA-F]{2})\s+(?P<low>[0-9a-fA-F]{8})\s(?P<high>'
    r'[0-9a-fA-F]{8})(?:\s|$)')
STATUSES = ('online', 'offline')


@dataclasses.dataclass(frozen=True)
class Path:
    """One installed channel path: its CHPID and mask bits."""

    index: int
    chpid: str
    available: bool
    operational: bool


@dataclasses.dataclass(frozen=True)
class Paths:
    """The installed channel paths of one subchannel, and where from."""

    subchannel: str
    source: str
    masks: dict[str, str]
    paths: tuple[Path, ...]


def parse_chpids(text: str) -> list[str]:
    """Parse a subchannel's ``chpids``.

    :param text: e.g. ``'40 41 00 00 00 00 00 00 \\n'``.
    :returns: the 8 entries in upper case, ``00`` included.
    :raises ValueError: unless there are 8 two-digit hex entries.
    """
    entries = text.split()
    if len(entries) != 8 or not all(_HEX2.fullmatch(e) for e in entries):
        raise ValueError('chpids is not 8 two-digit hex numbers: %r'
                         % text[:80])
    return [e.upper() for e in entries]


def parse_pimpampom(text: str) -> tuple[int, int, int]:
    """Parse a subchannel's ``pimpampom``.

    :param text: e.g. ``'c0 c0 ff\\n'``.
    :returns: the installed, available and operational masks.
    :raises ValueError: unless there are 3 two-digit hex masks.
    """
    entries = text.split()
    if len(entries) != 3 or not all(_HEX2.fullmatch(e) for e in entries):
        raise ValueError('pimpampom is not 3 two-digit hex masks: %r'
                         % text[:80])
    pim, pam, pom = (int(e, 16) for e in entries)
    return pim, pam, pom


def paths(subchannel: str, source: str, chpids: list[str],
          masks: tuple[int, int, int]) -> Paths:
    """The installed paths of a subchannel from its CHPIDs and masks.

    :param subchannel: its bus id, e.g. ``0.0.0000``.
    :param source: ``sysfs`` or ``lscss``.
    :param chpids: the 8 entries of ``chpids``.
    :param masks: PIM, PAM and POM.
    """
    pim, pam, pom = masks
    found = []
    for i, chpid in enumerate(chpids):
        bit = 0x80 >> i
        if pim & bit:
            found.append(Path(i, chpid, bool(pam & bit), bool(pom & bit)))
    return Paths(subchannel, source, {
        'pim': '%02x' % pim, 'pam': '%02x' % pam, 'pom': '%02x' % pom},
        tuple(found))


def read_paths(fs: hostfs.HostFS, sch: str) -> Paths:
    """Read a subchannel's ``chpids`` and ``pimpampom`` from sysfs.

    :param fs: the host.
    :param sch: the subchannel's sysfs directory, e.g.
        ``/sys/devices/css0/0.0.0000``.
    :raises OSError: if either attribute cannot be read.
    :raises ValueError: if either is malformed.
    """
    chpids = parse_chpids(fs.read_text(sch + '/chpids'))
    masks = parse_pimpampom(fs.read_text(sch + '/pimpampom'))
    return paths(sch.rsplit('/', 1)[-1], 'sysfs', chpids, masks)


def parse_lscss(text: str) -> dict[str, Paths]:
    """Parse ``lscss`` output: the paths of each device's subchannel.

    Lines that are not a device row (the header, dashes, defunct devices
    without masks, other subchannel types) are skipped.

    :param text: the command's output.
    :returns: by device bus id (``0.0.0100``; a short ``-s`` id is taken
        as subchannel set 0.0).
    """
    found = {}
    for line in text.splitlines()[:100000]:
        fields = line.split(None, 2)
        if len(fields) < 3:
            continue
        device, sch = (_LSCSS_ID.fullmatch(f) for f in fields[:2])
        tail = _LSCSS_TAIL.search(fields[2])
        if device is None or sch is None or tail is None:
            continue
        hexes = tail.group('low') + tail.group('high')
        chpids = [hexes[i:i + 2].upper() for i in range(0, 16, 2)]
        masks = (int(tail.group('pim'), 16), int(tail.group('pam'), 16),
                 int(tail.group('pom'), 16))
        busid = (device.group(1) or '0.0.') + device.group(2)
        found[busid.lower()] = paths(
            ((sch.group(1) or '0.0.') + sch.group(2)).lower(), 'lscss',
            chpids, masks)
    return found


def chp_status(fs: hostfs.HostFS, chpid: str) -> str | None:
    """Return ``online`` or ``offline`` for a CHPID; None if unknown.

    :param fs: the host.
    :param chpid: e.g. ``41``.
    """
    path = channel.CHP_DIR % chpid.lower() + '/status'
    try:
        status = fs.read_text(path).strip()
    except OSError as e:
        conditions.warning(LOG, 'State of channel path %(chpid)s unknown: '
                           'cannot read %(file)s (%(err)s).',
                           {'chpid': chpid, 'file': path,
                            'err': hostfs.why(e)})
        return None
    if status not in STATUSES:
        conditions.warning(LOG, 'State of channel path %(chpid)s unknown: '
                           '%(file)s holds %(value)r.',
                           {'chpid': chpid, 'file': path,
                            'value': status[:40]})
        return None
    return status


def usable(path: Path, status: str | None) -> bool | None:
    """Whether a path can carry I/O: available, operational and online.

    :param path: an installed path.
    :param status: its channel path's state, None if unknown.
    :returns: False if a mask bit is off or the path is offline, None if
        the state is unknown, else True.
    """
    if not (path.available and path.operational) or status == 'offline':
        return False
    return None if status is None else True
