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

from collections.abc import Callable, Iterable
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
# A plain name: ASCII letters and digits in words joined by single
# underscores. Its name part is the name upper-cased, so names differ only in
# case name the same CPC, site or group. Such a part never holds "__".
_PLAIN = re.compile(r'[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*')
# Any other name (with "-", ".", spaces, other scripts...) keeps a readable
# part and ends in "__" and a digest of the exact name, so that "ORA-PROD",
# "ORA.PROD" and "ora_prod" cannot meet in one trait.
_DIGEST_SEPARATOR = '__'
_DIGEST_LENGTH = 10
_HASH_LENGTH = 8


def _digest(value: str, length: int) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:length].upper()


def sanitize(value: str) -> str:
    """Return the name part of a trait for a free-form name, injectively.

    A plain name (ASCII letters, digits and single inner underscores) is
    upper-cased: ``dc1`` gives ``DC1``. Any other name is upper-cased with
    every other character mapped to ``_``, then ``__`` and a digest of the
    name are appended: ``ORA-PROD`` and ``ora.prod`` give two different
    parts, neither of them ``ORA_PROD``.

    :param value: a CPC id, site or consistency group name; outer white
        space is ignored.
    :returns: the name part of a trait.
    :raises ValueError: if the value is empty or not a string.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError('a ZHA trait name part must be a non-empty string, '
                         'got %r' % (value,))
    name = value.strip()
    if _PLAIN.fullmatch(name):
        return name.upper()
    return '%s%s%s' % (_INVALID_CHARS.sub('_', name.upper()),
                       _DIGEST_SEPARATOR, _digest(name, _DIGEST_LENGTH))


def _build(prefix: str, value: str) -> str:
    name = prefix + sanitize(value)
    if len(name) > MAX_LENGTH:
        # Keep long names unique and stable: the agent and the scheduler both
        # derive the same shortened name from the same input.
        name = '%s_%s' % (name[:MAX_LENGTH - _HASH_LENGTH - 1],
                          _digest(name, _HASH_LENGTH))
    return name


def same_trait(names: Iterable[str],
               build: Callable[[str], str]) -> tuple[str, str] | None:
    """Two different names that ``build`` turns into one trait, if any.

    A plain name and its other-cased spellings are one name on purpose
    (``DB2PROD`` and ``db2prod``): a file that lists both is ambiguous.
    """
    seen: dict[str, str] = {}
    for name in names:
        trait = build(name)
        if trait in seen and seen[trait] != name:
            return seen[trait], name
        seen.setdefault(trait, name)
    return None


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
