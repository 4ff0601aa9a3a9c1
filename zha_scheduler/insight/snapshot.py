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

"""A point-in-time copy of what placement depends on: hosts, instances, groups.

Saved as JSON by ``zha-scheduler snapshot`` and read by ``explain``,
``audit`` and ``capacity``, so that a decision can be examined later, away
from the cloud, or at a scale no test cloud reaches.
"""

import dataclasses
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

from zha_scheduler.insight import snapshot_schema
from zha_scheduler import model
from zha_scheduler import topology

FORMAT_VERSION = snapshot_schema.FORMAT_VERSION


class SnapshotError(Exception):
    """A snapshot file cannot be read or does not have the expected shape."""


@dataclasses.dataclass
class Snapshot:
    """Hosts, instances, server groups and flavors at one moment."""

    hosts: list[model.Host]
    instances: list[model.Instance] = dataclasses.field(default_factory=list)
    groups: list[model.Group] = dataclasses.field(default_factory=list)
    flavors: list[model.Flavor] = dataclasses.field(default_factory=list)
    taken_at: str | None = None
    source: str = 'live'

    def __post_init__(self) -> None:
        self._profiles: dict[str, topology.HostProfile] | None = None

    def profile(self, host: model.Host) -> topology.HostProfile:
        """The ZHA profile of a host, from its traits."""
        if self._profiles is None:
            self._profiles = {
                h.uuid: topology.profile_from_traits(h.traits, h.node)
                for h in self.hosts}
        return self._profiles[host.uuid]

    def host_named(self) -> dict[str, model.Host]:
        """Hosts by service host name."""
        return {h.name: h for h in self.hosts}

    def instances_by_uuid(self) -> dict[str, model.Instance]:
        return {i.uuid: i for i in self.instances}

    def find_flavor(self, name_or_id: str) -> model.Flavor:
        """A flavor by name or id; SnapshotError when the snapshot has none."""
        for flavor in self.flavors:
            if name_or_id in (flavor.name, flavor.id):
                return flavor
        known = ', '.join(sorted(f.name for f in self.flavors)) or 'none'
        raise SnapshotError('no flavor %r in the snapshot (it has: %s)' % (
            name_or_id, known))

    def find_group(self, name_or_id: str) -> model.Group:
        """A server group by uuid or unique name."""
        matches = [g for g in self.groups if name_or_id in (g.uuid, g.name)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise SnapshotError('no server group %r' % name_or_id)
        raise SnapshotError('%d server groups are named %r: give the uuid' % (
            len(matches), name_or_id))

    def to_dict(self) -> dict[str, Any]:
        return {'format_version': FORMAT_VERSION, 'taken_at': self.taken_at,
                'source': self.source,
                'hosts': [dataclasses.asdict(h) for h in self.hosts],
                'instances': [dataclasses.asdict(i) for i in self.instances],
                'groups': [dataclasses.asdict(g) for g in self.groups],
                'flavors': [dataclasses.asdict(f) for f in self.flavors]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> 'Snapshot':
        """A snapshot from its JSON, every value checked by its field.

        :raises SnapshotError: naming the first bad field and why, e.g.
            ``hosts[3].traits: expected a list of trait names, got "X"``
            (the rules are in ``snapshot_schema``).
        """
        try:
            contents = snapshot_schema.parse(data)
        except snapshot_schema.FieldError as exc:
            raise SnapshotError(str(exc)) from None
        return cls(hosts=contents.hosts, instances=contents.instances,
                   groups=contents.groups, flavors=contents.flavors,
                   taken_at=contents.taken_at, source=contents.source)


def save(snapshot: Snapshot, path: str) -> None:
    """Write a snapshot as JSON, atomically (never a half-written file)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.snapshot-')
    try:
        with os.fdopen(fd, 'w') as out:
            json.dump(snapshot.to_dict(), out, separators=(',', ':'))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load(path: str) -> Snapshot:
    """Read a snapshot file; SnapshotError for anything but a valid one."""
    try:
        with open(path) as source:
            data = json.load(source)
    except OSError as exc:
        raise SnapshotError('cannot read %s: %s'
                            % (path, exc.strerror)) from None
    except (ValueError, RecursionError) as exc:
        # RecursionError: arrays or objects nested too deep for the parser.
        raise SnapshotError('%s is not JSON: %s' % (path, exc)) from None
    return Snapshot.from_dict(data)


def members_of(
        group: model.Group,
        instances: Mapping[str, model.Instance]) -> list[model.Instance]:
    """The group's members that exist in the snapshot."""
    return [instances[u] for u in group.members if u in instances]


def placed(members: Iterable[model.Instance]) -> list[model.Instance]:
    """Members that sit on a host (not ERROR-on-build, not shelved)."""
    return [m for m in members if m.placed]
