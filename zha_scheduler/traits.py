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

"""The ``CUSTOM_ZHA_*`` trait vocabulary: build and parse trait names.

This module is the only place that knows how trait names are spelt; the host
agent, the filters and the operator tools all go through it.
"""

import hashlib
import re

PREFIX = 'CUSTOM_ZHA_'
MAX_LENGTH = 255

CPC_PREFIX = PREFIX + 'CPC_'
SITE_PREFIX = PREFIX + 'SITE_'
CG_PREFIX = PREFIX + 'CG_'

STANDBY = PREFIX + 'STANDBY'
NET_REDUNDANT = PREFIX + 'NET_REDUNDANT'
NET_DEGRADED = PREFIX + 'NET_DEGRADED'
STORAGE_REDUNDANT = PREFIX + 'STORAGE_REDUNDANT'
STORAGE_DEGRADED = PREFIX + 'STORAGE_DEGRADED'

FIXED_TRAITS = frozenset((STANDBY, NET_REDUNDANT, NET_DEGRADED,
                          STORAGE_REDUNDANT, STORAGE_DEGRADED))

# Kinds returned by parse(); the value-carrying kinds come with their value.
CPC = 'cpc'
SITE = 'site'
CONSISTENCY_GROUP = 'consistency_group'

_VALID = re.compile(r'^CUSTOM_[A-Z0-9_]+$')
_INVALID_CHARS = re.compile(r'[^A-Z0-9_]')
_HASH_LENGTH = 8


def sanitize(value: str) -> str:
    """Upper-case a free-form name and map every other character to ``_``.

    :param value: a CPC id, site or consistency group name.
    :returns: the name part of a trait.
    :raises ValueError: if the value is empty or not a string.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError('a ZHA trait name part must be a non-empty string, '
                         'got %r' % (value,))
    return _INVALID_CHARS.sub('_', value.strip().upper())


def _build(prefix: str, value: str) -> str:
    name = prefix + sanitize(value)
    if len(name) > MAX_LENGTH:
        # Keep long names unique and stable: the agent and the scheduler both
        # derive the same shortened name from the same input.
        digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LENGTH]
        name = '%s_%s' % (name[:MAX_LENGTH - _HASH_LENGTH - 1],
                          digest.upper())
    return name


def cpc_trait(cpc_id: str) -> str:
    """Return the trait of a CPC, e.g. ``CUSTOM_ZHA_CPC_3931_02_A1B2C``."""
    return _build(CPC_PREFIX, cpc_id)


def site_trait(site: str) -> str:
    """Return the trait of a site, e.g. ``CUSTOM_ZHA_SITE_DC1``."""
    return _build(SITE_PREFIX, site)


def consistency_group_trait(group: str) -> str:
    """Return the trait of a storage consistency group."""
    return _build(CG_PREFIX, group)


def is_valid(trait: str) -> bool:
    """Whether a name is a syntactically valid custom trait."""
    return (isinstance(trait, str) and len(trait) <= MAX_LENGTH and
            _VALID.fullmatch(trait) is not None)


def parse(trait: str) -> tuple[str, str | None] | None:
    """Split a ZHA trait into its kind and value.

    :param trait: any trait name.
    :returns: ``(CPC|SITE|CONSISTENCY_GROUP, value)`` for the value-carrying
        traits, ``(trait, None)`` for the fixed ones, and None for a name
        that is not a valid ZHA trait.
    """
    if not is_valid(trait) or not trait.startswith(PREFIX):
        return None
    if trait in FIXED_TRAITS:
        return trait, None
    for prefix, kind in ((CPC_PREFIX, CPC), (SITE_PREFIX, SITE),
                         (CG_PREFIX, CONSISTENCY_GROUP)):
        value = trait[len(prefix):]
        if trait.startswith(prefix) and value:
            return kind, value
    return None
