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

"""Channel paths (CHPIDs) and their physical channel ids (PCHIDs)."""

import dataclasses
import re

from oslo_log import log as logging

from zha_scheduler.agent import hostfs

LOG = logging.getLogger(__name__)

CHP_DIR = '/sys/devices/css0/chp0.%s'
_HEX_BYTE = re.compile(r'[0-9A-F]{1,2}')


@dataclasses.dataclass(frozen=True)
class Adapter:
    """The channel path of a device: CHPID and, when valid, its PCHID."""

    chpid: str | None = None
    pchid: str | None = None


def normalize_chpid(value: str | None) -> str | None:
    """Return a CHPID in upper case, or None for an empty or unused one.

    :param value: a CHPID as printed by qeth (``F4``) or cio (``f4``).
    :returns: e.g. ``F4``, or None for empty, ``00`` or non-hex values.
    """
    value = (value or '').strip().upper()
    # Not int(value, 16): it takes signs and non-ASCII digits.
    if not _HEX_BYTE.fullmatch(value):
        return None
    value = value.zfill(2)
    return None if value == '00' else value


def first_chpid(chpids: str) -> str | None:
    """Return the first used CHPID of a subchannel's ``chpids`` attribute.

    :param chpids: e.g. ``'f4 00 00 00 00 00 00 00 \\n'``.
    :returns: e.g. ``F4``, or None when every entry is ``00``.
    """
    for entry in chpids.split():
        chpid = normalize_chpid(entry)
        if chpid is not None:
            return chpid
    return None


def read_pchid(fs: hostfs.HostFS, chpid: str) -> str | None:
    """Return the PCHID of a CHPID from ``/sys/devices/css0/chp0.<xx>/chid``.

    The PCHID is returned only when ``chid_external`` is 1 (a real PCHID).

    :param fs: the host.
    :param chpid: a CHPID, any case.
    :returns: the PCHID in lower case (``%04x``), or None if not known.
    """
    base = CHP_DIR % chpid.lower()
    try:
        if fs.read_text(base + '/chid_external').strip() != '1':
            return None
        chid = fs.read_text(base + '/chid').strip().lower()
    except OSError as e:
        LOG.debug('No PCHID for CHPID %(chpid)s (%(base)s): %(err)s',
                  {'chpid': chpid, 'base': base, 'err': e})
        return None
    return chid or None


def adapter(fs: hostfs.HostFS, chpid: str | None) -> Adapter:
    """Return the Adapter of a CHPID, with its PCHID where sysfs has it.

    :param fs: the host.
    :param chpid: a CHPID or None.
    :returns: the adapter (empty when the CHPID is unknown).
    """
    chpid = normalize_chpid(chpid)
    if chpid is None:
        return Adapter()
    return Adapter(chpid=chpid, pchid=read_pchid(fs, chpid))


class Adapters:
    """The Adapter of each CHPID, read once per probe."""

    def __init__(self, fs: hostfs.HostFS) -> None:
        self._fs = fs
        self._cache: dict[str | None, Adapter] = {}

    def get(self, chpid: str | None) -> Adapter:
        """Return adapter(fs, chpid), reading sysfs once per CHPID.

        Besides saving reads (a bond may have thousands of slaves), it
        makes the PCHID a function of the CHPID within one probe, which
        domains() relies on.
        """
        chpid = normalize_chpid(chpid)
        if chpid not in self._cache:
            self._cache[chpid] = adapter(self._fs, chpid)
        return self._cache[chpid]


def domains(a: Adapter) -> frozenset[tuple[str, str]] | None:
    """Return the failure domains of an adapter: its CHPID and PCHID.

    Two adapters of one probe (see Adapters) share a domain exactly when
    independent() says they are the same adapter, since the PCHID is then
    a function of the CHPID; unlike independent(), sets of domains let
    health.pair_verdict find an independent pair in linear time.

    :param a: an adapter.
    :returns: ``{('chpid', 'F4'), ('pchid', '01c0')}``, without the PCHID
        when it is unknown; None when the CHPID is unknown.
    """
    if a.chpid is None:
        return None
    found = {('chpid', a.chpid)}
    if a.pchid:
        found.add(('pchid', a.pchid))
    return frozenset(found)


def independent(a: Adapter, b: Adapter) -> bool | None:
    """Whether two adapters are distinct: PCHIDs if both known, else CHPIDs.

    :param a: one adapter.
    :param b: another adapter.
    :returns: True if distinct, False if the same, None if unknown.
    """
    if a.pchid and b.pchid:
        return a.pchid != b.pchid
    if a.chpid and b.chpid:
        return a.chpid != b.chpid
    return None
