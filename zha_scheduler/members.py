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

"""Where the members of a request's server group are, one entry per member.

``RequestSpec.instance_group.hosts`` is de-duplicated and still lists the
source host of an instance being moved, so it cannot count members per domain.
This module reads the members' instance records once per request (one query
per cell, as Nova's own ``setup_instance_group`` does) and adds the hosts
chosen earlier in the same multi-create request. It also tells how many
members the request still has to place: new instances of a multi-create have
no instance record yet while they are scheduled.
"""

import collections
from collections.abc import Iterable
import dataclasses
import threading
from typing import Any

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Requests whose member records are cached; a request is one RequestSpec
# object, shared by every filter, weigher and instance of a multi-create.
_CACHE_SIZE = 64


@dataclasses.dataclass(frozen=True)
class Member:
    """One group member's instance record: uuid, host and node (if placed)."""

    uuid: str
    host: str | None
    node: str | None = None


def _read_members_from_cells(spec_obj: Any) -> list[Member]:
    from nova import context as nova_context
    from nova import objects

    group = spec_obj.instance_group
    context = getattr(spec_obj, '_context', None)
    if context is None:
        context = nova_context.get_admin_context()
    uuids = list(group.members or [])
    if not uuids:
        return []

    def read_cell(cell_context: Any) -> list[Member]:
        instances = objects.InstanceList.get_by_filters(
            cell_context, filters={'uuid': uuids, 'deleted': False},
            expected_attrs=[])
        return [Member(inst.uuid, inst.host, inst.node)
                for inst in instances]

    results = nova_context.scatter_gather_skip_cell0(context, read_cell)
    members: list[Member] = []
    for cell_uuid, result in results.items():
        if nova_context.is_cell_failure_sentinel(result):
            LOG.warning('Could not read server group %(group)s members in '
                        'cell %(cell)s; counting only the other cells.',
                        {'group': group.uuid, 'cell': cell_uuid})
            continue
        members.extend(result)
    return members


@dataclasses.dataclass
class _Request:
    """What the locator remembers of one scheduling request."""

    spec: Any
    # Every member with an instance record; None when they could not be read.
    records: list[Member] | None
    # host -> node of every candidate host seen during the request, so the
    # hosts picked earlier (listed by host name only) can be mapped to their
    # node even after Nova's anti-affinity filter has removed them.
    nodes: dict[str, str] = dataclasses.field(default_factory=dict)


class MemberLocator:
    """Finds and caches the placed members of each request's group."""

    def __init__(self, reader: Any = _read_members_from_cells) -> None:
        self._reader = reader
        self._lock = threading.Lock()
        self._cache: collections.OrderedDict[int, _Request] = (
            collections.OrderedDict())

    def _request(self, spec_obj: Any) -> _Request:
        key = id(spec_obj)
        with self._lock:
            cached = self._cache.get(key)
            # The spec is kept in the entry, so its id cannot be reused.
            if cached is not None and cached.spec is spec_obj:
                return cached
        try:
            records: list[Member] | None = self._reader(spec_obj)
        except Exception as exc:
            LOG.warning('Could not read the hosts of server group members '
                        '(%s); counting the hosts listed in the request '
                        'instead, one member each.', exc)
            records = None
        request = _Request(spec_obj, records)
        with self._lock:
            self._cache[key] = request
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return request

    def locations(self, spec_obj: Any, candidates: Iterable[Any] = ()
                  ) -> list[tuple[str, str | None]]:
        """Return ``(host, node)`` for every other member of the group.

        The instance being scheduled is left out, so a member being moved or
        evacuated is not counted against itself; hosts picked earlier in the
        same multi-create request are included, with their node when one of
        the ``candidates`` (HostStates) of this request named it.
        """
        request = self._request(spec_obj)
        request.nodes.update((h.host, h.nodename) for h in candidates)
        listed = _listed_hosts(spec_obj)
        if request.records is None:
            return [(host, request.nodes.get(host)) for host in listed]
        current = _current_uuid(spec_obj)
        placed = [m for m in request.records if m.host]
        locations = [(m.host, m.node) for m in placed
                     if m.host and m.uuid != current]
        locations.extend((host, request.nodes.get(host))
                         for host in _picks(listed, placed).elements())
        return locations

    def remaining(self, spec_obj: Any) -> int:
        """Return how many members the request still places, this one included.

        A new multi-create of N places N - (members picked so far). A move,
        an evacuation or a reschedule places one: that instance already has a
        record. When in doubt the answer is 1, the strictest.
        """
        request = self._request(spec_obj)
        if request.records is None:
            return 1
        recorded = {m.uuid for m in request.records}
        if _current_uuid(spec_obj) in recorded:
            return 1
        group = spec_obj.instance_group
        new_members = [u for u in (group.members or []) if u not in recorded]
        requested = (spec_obj.num_instances
                     if 'num_instances' in spec_obj else 1) or 1
        picked = sum(_picks(_listed_hosts(spec_obj),
                            [m for m in request.records if m.host]).values())
        return max(1, min(requested, len(new_members)) - picked)

    def clear(self) -> None:
        """Forget every cached request (tests and in-process simulations)."""
        with self._lock:
            self._cache.clear()


def _current_uuid(spec_obj: Any) -> str | None:
    return spec_obj.instance_uuid if 'instance_uuid' in spec_obj else None


def _listed_hosts(spec_obj: Any) -> list[str]:
    group = spec_obj.instance_group
    return list(group.hosts or []) if 'hosts' in group else []


def _picks(listed: list[str], placed: list[Member]) -> collections.Counter:
    """Hosts picked earlier in this request, with multiplicity.

    ``group.hosts`` is the de-duplicated set of the members' hosts, then one
    entry per host picked earlier in the request.
    """
    picks = collections.Counter(listed)
    for host in {m.host for m in placed if m.host}:
        if picks[host]:
            picks[host] -= 1
    return picks


_LOCATOR = MemberLocator()


def get_locator() -> MemberLocator:
    """Return the process-wide MemberLocator."""
    return _LOCATOR


def set_locator(locator: MemberLocator) -> MemberLocator:
    """Install the locator filters and weighers use; return the previous one.

    Operator tools read members from a snapshot instead of the cell databases.
    """
    global _LOCATOR
    previous, _LOCATOR = _LOCATOR, locator
    return previous
