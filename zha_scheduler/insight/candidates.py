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

"""Which hosts Placement would return as allocation candidates for a flavor.

Nova's scheduler filters only the hosts Placement proposes: those with room
for the flavor's resources, with every required trait and no forbidden one.
This module replays that step over a snapshot, for the parts Nova asks of
Placement for an ordinary boot: resources (with ``resources:`` overrides),
``trait:`` extra specs and image properties, and the forbidden
``COMPUTE_STATUS_DISABLED`` trait of disabled computes.
"""

from collections.abc import Iterable, Mapping
import dataclasses
from typing import Any

from oslo_log import log as logging

from zha_scheduler import model

LOG = logging.getLogger(__name__)

REQUIRED = 'required'
FORBIDDEN = 'forbidden'
DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED'


def _amount(key: str, value: Any) -> int | None:
    """A ``resources:`` amount; None, with a WARNING, if it is not one.

    Nova's scheduler skips such a value with a warning too (a flavor
    created before the API validated extra specs can carry one).
    """
    try:
        return int(str(value).strip())
    except ValueError:
        LOG.warning('Ignoring extra spec %(key)s=%(value)r: the amount must '
                    'be an integer.', {'key': key, 'value': value})
        return None


@dataclasses.dataclass
class PlacementQuery:
    """What Nova asks Placement for: resources and trait constraints."""

    resources: dict[str, int]
    required: set[str]
    forbidden: set[str]

    def __str__(self) -> str:
        resources = ','.join('%s:%d' % kv
                             for kv in sorted(self.resources.items()))
        parts = ['resources=' + resources]
        if self.required:
            parts.append('required=' + ','.join(sorted(self.required)))
        if self.forbidden:
            parts.append('forbidden=' + ','.join(sorted(self.forbidden)))
        return ' '.join(parts)


def query(flavor: model.Flavor,
          image_properties: Mapping[str, Any]) -> PlacementQuery:
    """The unnumbered request group of a flavor and image, as Nova makes it."""
    resources = dict(flavor.resources)
    required: set[str] = set()
    forbidden = {DISABLED_TRAIT}
    for source in (flavor.extra_specs, image_properties):
        for key, value in source.items():
            if key.startswith('resources:'):
                amount = _amount(key, value)
                if amount is not None:
                    resources[key[len('resources:'):]] = amount
            elif key.startswith('trait:'):
                trait = key[len('trait:'):]
                if value == REQUIRED:
                    required.add(trait)
                elif value == FORBIDDEN:
                    forbidden.add(trait)
    return PlacementQuery({rc: n for rc, n in resources.items() if n > 0},
                          required, forbidden)


def rejection(host: model.Host, asked: PlacementQuery) -> str | None:
    """Why Placement would not propose the host; None if it would."""
    return rejections([host], asked)[0]


def rejections(hosts: Iterable[model.Host],
               asked: PlacementQuery) -> list[str | None]:
    """``rejection`` of each host, in order, the query read once."""
    resources = sorted(asked.resources.items())
    required, forbidden = asked.required, asked.forbidden
    # A disabled service's host has COMPUTE_STATUS_DISABLED: does the
    # query name it at all?
    disabled_required = DISABLED_TRAIT in required
    disabled_forbidden = DISABLED_TRAIT in forbidden
    found: list[str | None] = []
    for host in hosts:
        reasons = []
        for rc, amount in resources:
            inventory = host.inventories.get(rc)
            if inventory is None:
                reasons.append('has no %s inventory' % rc)
            elif (inventory.max_unit is not None and
                    amount > inventory.max_unit):
                reasons.append('%s %d exceeds max_unit %d'
                               % (rc, amount, inventory.max_unit))
            else:
                free = host.free(rc)
                if free < amount:
                    reasons.append('not enough %s (%d requested, %d free)'
                                   % (rc, amount, free))
        # The host's traits, with COMPUTE_STATUS_DISABLED when its service
        # is, without a set of them per host.
        missing = required.difference(host.traits)
        present = forbidden.intersection(host.traits)
        if host.service_disabled:
            if disabled_required:
                missing.discard(DISABLED_TRAIT)
            if disabled_forbidden:
                present.add(DISABLED_TRAIT)
        if missing:
            reasons.append('lacks required trait %s'
                           % ', '.join(sorted(missing)))
        if present == {DISABLED_TRAIT}:
            reasons.append('compute service is disabled (%s)'
                           % (host.disabled_reason or 'no reason'))
        elif present:
            reasons.append('has forbidden trait %s'
                           % ', '.join(sorted(present)))
        found.append('; '.join(reasons) or None)
    return found
