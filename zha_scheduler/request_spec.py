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

"""What a scheduling request asks of ZHA: ``zha:`` extra specs and hints.

Shared by the health filters, the redundancy weigher and the API validators
of ``extra_specs.py``, so that each name and value is spelt once. Values that
cannot be used (a flavor created before strict validation, a mistyped hint)
are ignored with a WARNING, as invalid spreading hints are.
"""

from typing import Any

from oslo_log import log as logging

from zha_scheduler import conf
from zha_scheduler import traits

LOG = logging.getLogger(__name__)
CONF = conf.CONF

NAMESPACE = 'zha'
REDUNDANCY = NAMESPACE + ':redundancy'
CONSISTENCY_GROUP = NAMESPACE + ':consistency_group'
CONSISTENCY_GROUP_HINT = 'zha_consistency_group'

REQUIRED = 'required'
PREFERRED = 'preferred'
REDUNDANCY_VALUES = (REQUIRED, PREFERRED)


def extra_spec(spec_obj: Any, key: str) -> Any:
    """Return a flavor extra spec of the request, None when unset."""
    flavor = spec_obj.flavor if 'flavor' in spec_obj else None
    if flavor is None or 'extra_specs' not in flavor:
        return None
    return (flavor.extra_specs or {}).get(key)


def redundancy(spec_obj: Any) -> str | None:
    """Return ``required``, ``preferred`` or None for the request.

    ``[zha_scheduler] require_redundancy = always`` makes every request
    ``required``; ``never`` turns a ``required`` flavor into ``preferred``.
    """
    mode = CONF.zha_scheduler.require_redundancy
    if mode == 'always':
        return REQUIRED
    value = extra_spec(spec_obj, REDUNDANCY)
    if value is None:
        return None
    level = value.strip().lower() if isinstance(value, str) else None
    if level not in REDUNDANCY_VALUES:
        LOG.warning('Ignoring flavor extra spec %(key)s=%(value)r: it must be '
                    'one of %(choices)s.',
                    {'key': REDUNDANCY, 'value': value,
                     'choices': ', '.join(REDUNDANCY_VALUES)})
        return None
    if level == REQUIRED and mode == 'never':
        return PREFERRED
    return level


def redundancy_source(spec_obj: Any) -> str:
    """Say why a request requires redundancy, for log messages."""
    if CONF.zha_scheduler.require_redundancy == 'always':
        return '[zha_scheduler] require_redundancy = always'
    return 'flavor extra spec %s=%s' % (
        REDUNDANCY, extra_spec(spec_obj, REDUNDANCY))


def consistency_groups(spec_obj: Any) -> dict[str, str]:
    """Return the consistency groups the request names, by trait name.

    The flavor's ``zha:consistency_group`` and the ``zha_consistency_group``
    hint (one name or a list) add up: a host must reach every group named.
    Names are sanitised by ``traits``, exactly as the host agent does.
    """
    groups: dict[str, str] = {}
    hint = spec_obj.get_scheduler_hint(CONSISTENCY_GROUP_HINT)
    for source, value in ((CONSISTENCY_GROUP,
                           extra_spec(spec_obj, CONSISTENCY_GROUP)),
                          (CONSISTENCY_GROUP_HINT, hint)):
        for name in value if isinstance(value, list) else [value]:
            if name is None:
                continue
            try:
                groups[traits.consistency_group_trait(name)] = name
            except ValueError:
                LOG.warning('Ignoring %(source)s=%(value)r: a consistency '
                            'group must be a non-empty name.',
                            {'source': source, 'value': name})
    return groups


def named_host(spec_obj: Any) -> str | None:
    """Return the host a request names (evacuation, targeted boot or move)."""
    destination = (spec_obj.requested_destination
                   if 'requested_destination' in spec_obj else None)
    if destination is None or 'host' not in destination:
        return None
    return destination.host or None
