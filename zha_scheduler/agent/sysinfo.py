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

"""CPC and LPAR identity of the host, from /proc/sysinfo."""

import dataclasses
import re
from typing import Any

from oslo_log import log as logging

from zha_scheduler.agent import conditions
from zha_scheduler.agent import hostfs

LOG = logging.getLogger(__name__)

SYSINFO = '/proc/sysinfo'
OCF_CPC_NAME = '/sys/firmware/ocf/cpc_name'

_CPC_FIELDS = ('Type', 'Plant', 'Sequence Code')
_VM_LINE = re.compile(r'^VM\d\d ')
MACHINES = {
    '2964': 'z13', '2965': 'z13s', '3906': 'z14', '3907': 'z14 ZR1',
    '8561': 'z15 T01', '8562': 'z15 T02', '3931': 'z16 A01',
    '3932': 'z16 A02', '9175': 'z17', '9176': 'z17',
}


@dataclasses.dataclass(frozen=True)
class Identity:
    """The CPC id of the host (None if unknown) and how it was found."""

    cpc_id: str | None
    details: dict[str, Any]
    # What could not be read: /proc/sysinfo, and why; None when it was.
    unread: str | None = None


def parse_sysinfo(text: str) -> dict[str, str]:
    """Parse /proc/sysinfo into its ``key: value`` fields.

    Values are stripped (the kernel pads them with spaces); lines without a
    colon are ignored; of a repeated key the first occurrence is kept.

    :param text: the file content.
    :returns: the fields by key, e.g. ``{'Type': '3931', ...}``.
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        key = key.strip()
        if sep and key and key not in fields:
            fields[key] = value.strip()
    return fields


def configuration_level(fields: dict[str, str]) -> int:
    """Return the configuration level the fields describe.

    :param fields: parsed /proc/sysinfo.
    :returns: 3 for a guest of a hypervisor (``VMnn`` lines), 2 for an LPAR,
        1 for a machine block only, 0 for none of these.
    """
    if any(_VM_LINE.match(key) for key in fields):
        return 3
    if 'LPAR Number' in fields or 'LPAR Name' in fields:
        return 2
    return 1 if 'Type' in fields else 0


def cpc_id(fields: dict[str, str]) -> str | None:
    """Return ``<Type>_<Plant>_<Sequence Code without leading zeros>``.

    :param fields: parsed /proc/sysinfo.
    :returns: e.g. ``3931_02_A1B2C``, or None if a field is missing.
    """
    if any(not fields.get(name) for name in _CPC_FIELDS):
        return None
    serial = fields['Sequence Code'].lstrip('0') or '0'
    return '%s_%s_%s' % (fields['Type'], fields['Plant'], serial)


def describe(fields: dict[str, str]) -> dict[str, Any]:
    """Return the identity fields worth reporting, JSON-able.

    :param fields: parsed /proc/sysinfo.
    :returns: machine and LPAR details.
    """
    number = fields.get('LPAR Number')
    details: dict[str, Any] = {
        'level': configuration_level(fields),
        'manufacturer': fields.get('Manufacturer'),
        'type': fields.get('Type'),
        'machine': MACHINES.get(fields.get('Type', '')),
        'plant': fields.get('Plant'),
        'sequence_code': fields.get('Sequence Code'),
        'lpar_name': fields.get('LPAR Name'),
        # isdecimal() also holds for non-ASCII digits, which int() takes.
        'lpar_number': (int(number) if number and number.isascii() and
                        number.isdecimal() else number),
    }
    for key in ('LPAR Extended Name', 'LPAR UUID'):
        if fields.get(key):
            details[key.lower().replace(' ', '_')] = fields[key]
    guests = [' '.join(fields[k].split()) for k in sorted(fields)
              if _VM_LINE.match(k) and k.endswith('Control Program')]
    if guests:
        details['hypervisors'] = guests
    return details


def _ocf_cpc_name(fs: hostfs.HostFS) -> str | None:
    try:
        return fs.read_text(OCF_CPC_NAME).strip() or None
    except OSError:
        return None


def probe_identity(fs: hostfs.HostFS, cpc_name: str | None = None) -> Identity:
    """Find the CPC this host runs on.

    The configured ``cpc_name`` wins; /proc/sysinfo then only adds details.
    Without it, a missing file, a guest (level 3) or missing fields give no
    CPC id, with a WARNING saying why.

    :param fs: the host.
    :param cpc_name: ``[zha_agent] cpc_name``, or None.
    :returns: the identity.
    """
    cpc_name = (cpc_name or '').strip() or None
    details: dict[str, Any] = {'file': SYSINFO}
    fields: dict[str, str] | None = None
    unread = None
    try:
        fields = parse_sysinfo(fs.read_text(SYSINFO))
    except OSError as e:
        details['error'] = str(e)
        unread = '%s: %s' % (SYSINFO, hostfs.why(e))
    if fields is not None:
        details.update(describe(fields))
        ocf = _ocf_cpc_name(fs)
        if ocf:
            details['ocf_cpc_name'] = ocf
    if cpc_name:
        if details.get('level', 0) >= 3:
            conditions.warning(
                LOG, '[zha_agent] cpc_name %(name)s is used although '
                '%(file)s describes a guest (configuration level 3).',
                {'name': cpc_name, 'file': SYSINFO})
        details.update(source='config', cpc=cpc_name,
                       reason='[zha_agent] cpc_name is set')
        return Identity(cpc_name, details, unread)
    found = cpc_id(fields) if fields is not None else None
    reason = None
    if fields is None:
        reason = 'cannot read %s: %s' % (SYSINFO, details['error'])
    elif details['level'] >= 3:
        reason = ('%s describes a guest of %s (configuration level 3), not '
                  'a host in an LPAR' % (SYSINFO, ', '.join(
                      details.get('hypervisors') or ['a hypervisor'])))
    elif found is None:
        reason = '%s lacks %s' % (SYSINFO, ', '.join(
            name for name in _CPC_FIELDS if not fields.get(name)))
    if reason:
        conditions.warning(LOG, 'CPC unknown, no CPC trait: %s.', reason)
        details.update(source=None, cpc=None, reason=reason)
        return Identity(None, details, unread)
    details.update(source='sysinfo', cpc=found,
                   reason='Type, Plant and Sequence Code of %s' % SYSINFO)
    return Identity(found, details)
