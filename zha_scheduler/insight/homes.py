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

"""Where an instance came from, read from Nova's migration records.

An instance's home is the host it left first and has not come back to:
over its migrations that moved it (evacuations, live and cold migrations),
oldest first, the first one's source is the home until a later one brings
the instance back there. A drain that moves it on from a second host (off
a standby, say) keeps the first home. Nova keeps these records in its own
database, so the answer survives the loss of the controller that ran the
drain or the evacuation, and no other store is needed.
"""

from collections.abc import Iterable
import dataclasses

from zha_scheduler.clients import nova_client
from zha_scheduler.insight import maintenance
from zha_scheduler.insight import snapshot


def home_of(migrations: Iterable[nova_client.Migration],
            current_host: str | None) -> str | None:
    """The home of an instance now on ``current_host``; None: it is home.

    :param migrations: the instance's migrations, oldest first.
    """
    home = None
    for migration in migrations:
        if not migration.moved:
            continue
        if home is None:
            home = migration.source
        elif migration.destination == home:
            home = None
    return None if home == current_host else home


def away_from(nova: nova_client.NovaClient,
              hosts: Iterable[str]) -> dict[str, str]:
    """The instances whose home is one of the hosts, and that home.

    One read of the migrations off each host, then one per instance found.
    """
    hosts = set(hosts)
    left = sorted({m.instance for h in sorted(hosts)
                   for m in nova.migrations_from(h)
                   if m.moved and m.instance})
    found = {}
    for uuid in left:
        home = home_of(nova.migrations(uuid), None)
        if home in hosts:
            found[uuid] = home
    return found


@dataclasses.dataclass
class FailbackDue:
    """An instance on a standby partition whose home is healthy again."""

    instance: str
    name: str
    host: str
    home: str


def failback_due(nova: nova_client.NovaClient,
                 snap: snapshot.Snapshot) -> list[FailbackDue]:
    """Instances on standby hosts whose home's service is up, not degraded.

    The home may still be disabled: enabling it is failback's first step.
    """
    hosts = snap.host_named()
    standby = {h.name for h in snap.hosts if snap.profile(h).standby}
    found = []
    for inst in snap.instances:
        if not inst.placed or inst.host not in standby:
            continue
        home = home_of(nova.migrations(inst.uuid), inst.host)
        if (home is not None and home in hosts and
                maintenance.not_ready(snap, hosts[home]) is None):
            found.append(FailbackDue(inst.uuid, inst.name, inst.host or '',
                                     home))
    return sorted(found, key=lambda d: (d.home, d.name, d.instance))
