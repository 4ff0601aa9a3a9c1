"""Where the members of a request's server group are, one entry per member.

``RequestSpec.instance_group.hosts`` is de-duplicated and still lists the
source host of an instance being moved, so it cannot count members per domain.
This module reads the members' instance records once per request (one query
per cell, as Nova's own ``setup_instance_group`` does) and adds the hosts
chosen earlier in the same multi-create request.
"""

import collections
import dataclasses
import threading
from collections.abc import Iterable
from typing import Any

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Requests whose member records are cached; a request is one RequestSpec
# object, shared by every filter, weigher and instance of a multi-create.
_CACHE_SIZE = 64


@dataclasses.dataclass(frozen=True)
class Member:
    """One placed group member: its instance uuid, host and node."""

    uuid: str
    host: str
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
                for inst in instances if inst.host]

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
    placed: list[Member] | None
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
            placed: list[Member] | None = self._reader(spec_obj)
        except Exception as exc:
            LOG.warning('Could not read the hosts of server group members '
                        '(%s); counting the hosts listed in the request '
                        'instead, one member each.', exc)
            placed = None
        request = _Request(spec_obj, placed)
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
        group = spec_obj.instance_group
        listed = list(group.hosts or []) if 'hosts' in group else []
        if request.placed is None:
            return [(host, request.nodes.get(host)) for host in listed]
        current = spec_obj.instance_uuid if 'instance_uuid' in spec_obj else None
        locations = [(m.host, m.node) for m in request.placed
                     if m.uuid != current]
        # group.hosts is the de-duplicated set of the members' hosts, then one
        # entry per host picked earlier in this request.
        picks = collections.Counter(listed)
        for host in {m.host for m in request.placed}:
            if picks[host]:
                picks[host] -= 1
        locations.extend((host, request.nodes.get(host))
                         for host in picks.elements())
        return locations

    def clear(self) -> None:
        """Forget every cached request (tests and in-process simulations)."""
        with self._lock:
            self._cache.clear()


_LOCATOR = MemberLocator()


def get_locator() -> MemberLocator:
    """Return the process-wide MemberLocator."""
    return _LOCATOR
