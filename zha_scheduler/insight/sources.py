"""Point the ZHA filters and weighers at a snapshot instead of the live cloud.

Inside nova-scheduler they read topology from Placement and group members
from the cell databases; operator tools replay them over a Snapshot.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from zha_scheduler import members
from zha_scheduler import placement
from zha_scheduler.insight import snapshot


class SnapshotView(placement.TopologyView):
    """A topology view that always answers with the snapshot's traits."""

    def __init__(self, snap: snapshot.Snapshot) -> None:
        super().__init__(client_factory=lambda: None)
        profiles = {h.uuid: snap.profile(h) for h in snap.hosts}
        self._fixed = placement.Topology(
            by_uuid=profiles, by_name={h.node: profiles[h.uuid] for h in snap.hosts})

    def get(self, request: object = None) -> placement.Topology:
        return self._fixed


def member_reader(snap: snapshot.Snapshot) -> Any:
    """A MemberLocator reader answering from the snapshot's instances."""
    instances = snap.instances_by_uuid()

    def read(spec_obj: Any) -> list[members.Member]:
        found = (instances.get(u) for u in spec_obj.instance_group.members or [])
        return [members.Member(i.uuid, i.host, i.node) for i in found
                if i is not None and i.host]
    return read


@contextlib.contextmanager
def replay(snap: snapshot.Snapshot) -> Iterator[None]:
    """Serve the snapshot to the ZHA plugins for the duration of the block."""
    previous_view = placement.set_view(SnapshotView(snap))
    previous_locator = members.set_locator(members.MemberLocator(reader=member_reader(snap)))
    try:
        yield
    finally:
        members.set_locator(previous_locator)
        if previous_view is None:
            placement.reset_view()
        else:
            placement.set_view(previous_view)
