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

"""The plan of a failback: is the target ready, and what comes back home.

Every instance whose home (``homes``) is a host of the target goes back to
that host by name: the filters still judge the move, and one they refuse is
reported while the instance stays where it is. Instances on standby
partitions go first, so that the standbys are free again soonest.
"""

import dataclasses
from typing import Any

from zha_scheduler.clients import nova_client
from zha_scheduler.insight import maintenance
from zha_scheduler.insight import snapshot


@dataclasses.dataclass
class FailbackPlan:
    """Why the target is not ready, or what to enable and bring back."""

    target: maintenance.Target
    not_ready: dict[str, str]
    to_enable: dict[str, str | None]   # host: its disabled reason
    steps: list[maintenance.Step]

    def to_dict(self) -> dict[str, Any]:
        return {'target': self.target.to_dict(),
                'not_ready': self.not_ready,
                'to_enable': self.to_enable,
                'steps': [dataclasses.asdict(s) for s in self.steps]}


def plan(snap: snapshot.Snapshot, target: maintenance.Target,
         services: dict[str, nova_client.Service],
         homes: dict[str, str]) -> FailbackPlan:
    """Plan a failback from a snapshot, the services and the homes.

    :param homes: instance uuid: its home on the target
        (``homes.away_from``).
    """
    hosts = snap.host_named()
    not_ready = {}
    to_enable = {}
    for name in target.hosts:
        service = services.get(name)
        reason = maintenance.not_ready(
            snap, hosts[name], bool(service and service.forced_down))
        if reason:
            not_ready[name] = reason
        elif hosts[name].service_disabled:
            to_enable[name] = hosts[name].disabled_reason
    standby = {h.name for h in snap.hosts if snap.profile(h).standby}
    by_uuid = snap.instances_by_uuid()
    away = [by_uuid[u] for u in homes if u in by_uuid]
    steps = [maintenance.step_for(i, destination=homes[i.uuid])
             for i in sorted(away, key=lambda i: (
                 i.host not in standby, i.host or '', i.name, i.uuid))
             if i.placed and i.host != homes[i.uuid]]
    return FailbackPlan(target, not_ready, to_enable, steps)
