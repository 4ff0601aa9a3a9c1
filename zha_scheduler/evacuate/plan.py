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

"""Plan an evacuation: target host, capacity check and instance order."""

from collections.abc import Mapping
import dataclasses
from typing import Any

from oslo_log import log as logging

from zha_scheduler import model
from zha_scheduler import topology

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Plan:
    """The instances of a failed host in order, and where they go."""

    host: str
    target: str | None
    target_reason: str
    instances: list[model.Instance]
    shortfall: dict[str, int] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {'host': self.host, 'target': self.target,
                'target_reason': self.target_reason,
                'shortfall': self.shortfall,
                'order': [{'id': i.uuid, 'name': i.name, 'status': i.status,
                           'priority': priority(i)} for i in self.instances]}


def priority(instance: model.Instance) -> int:
    """``zha:priority`` (int, higher first); ``HA_Enabled=True`` counts 1."""
    try:
        value = int(instance.metadata.get('zha:priority', 0))
    except ValueError:
        value = 0
    if str(instance.metadata.get('HA_Enabled', '')).lower() == 'true':
        value = max(value, 1)
    return value


def order(instances: list[model.Instance]) -> list[model.Instance]:
    """Highest priority first, then ACTIVE before the others, then by name."""
    return sorted(
        instances,
        key=lambda i: (-priority(i), i.status != 'ACTIVE', i.name))


def choose_target(host: str, partners: Mapping[str, str],
                  profiles: Mapping[str, topology.HostProfile],
                  usable: set[str]) -> tuple[str | None, str]:
    """Pick the standby for a failed host.

    :param profiles: host profiles by host name (from Placement's ZHA traits).
    :param usable: hosts whose nova-compute is up and enabled.
    :returns: the target (None: Nova's scheduler chooses) and why.
    """
    partner = partners.get(host)
    if partner:
        if partner in usable:
            return partner, 'standby partner from partners_file'
        LOG.warning('Standby partner %s of %s is not up and enabled.',
                    partner, host)
    failed = profiles.get(host, topology.UNKNOWN)
    candidates = sorted(
        name for name, p in profiles.items()
        if p.standby and name in usable and name != host and
        (failed.cpc is None or p.cpc != failed.cpc))
    if candidates:
        return candidates[0], 'standby host in another failure domain'
    return None, "no usable standby: Nova's scheduler chooses"


def assign(instances: list[model.Instance], target: str | None,
           room: model.Room | None
           ) -> tuple[dict[str, str | None], dict[str, int]]:
    """Give each instance, in order, the target while it fits there.

    :param room: what the target can take (None: unknown, assume it fits).
    :returns: the target of each instance id (None: Nova's scheduler
        chooses) and what the instances left to the scheduler miss on the
        target, by resource class (empty: everything fits).
    """
    targets: dict[str, str | None] = {}
    missing: dict[str, int] = {}
    for inst in instances:
        needs = inst.flavor.resources
        if target is not None and (room is None or room.take(needs)):
            targets[inst.uuid] = target
            continue
        targets[inst.uuid] = None
        for rc, n in (room.shortfall(needs) if room else {}).items():
            missing[rc] = missing.get(rc, 0) + n
    return targets, missing
