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

"""Point the ZHA filters and weighers at a snapshot instead of the live cloud.

Inside nova-scheduler they read topology from Placement and group members
from the cell databases; operator tools replay them over a Snapshot. A
``SnapshotPlacement`` answers the real view's Placement reads from a
snapshot instead, for benchmarks of the view itself.
"""

from collections.abc import Iterator
import contextlib
import json
from typing import Any, NoReturn
from urllib import parse

from zha_scheduler.insight import snapshot
from zha_scheduler import members
from zha_scheduler import model
from zha_scheduler import placement

_STARTSWITH = 'startswith:'


def _no_placement() -> NoReturn:
    # SnapshotView.get answers from the snapshot: Placement is never read.
    raise AssertionError('a SnapshotView does not read Placement')


class SnapshotView(placement.TopologyView):
    """A topology view that always answers with the snapshot's traits."""

    def __init__(self, snap: snapshot.Snapshot) -> None:
        super().__init__(client_factory=_no_placement)
        profiles = {h.uuid: snap.profile(h) for h in snap.hosts}
        self._fixed = placement.Topology(
            by_uuid=profiles,
            by_name={h.node: profiles[h.uuid] for h in snap.hosts})

    def get(self, request: object = None) -> placement.Topology:
        return self._fixed


class PlacementResponse:
    """What a keystoneauth Adapter returns: status, JSON text, truth."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text

    def __bool__(self) -> bool:
        return self.status_code < 400

    def json(self) -> Any:
        return json.loads(self.text)


class SnapshotPlacement:
    """A Placement adapter serving a snapshot's traits and providers."""

    def __init__(self, snap: snapshot.Snapshot) -> None:
        # The hosts and traits as they are now: later changes are not seen.
        self._hosts = [(h, frozenset(h.traits)) for h in snap.hosts]
        self._traits = sorted({t for h in snap.hosts for t in h.traits})
        self._bodies: dict[str, str] = {}
        #: Requests answered so far, failed ones included.
        self.calls = 0

    def get(self, url: str, microversion: str | None = None,
            raise_exc: bool = False) -> PlacementResponse:
        """Answer ``GET /traits[?name=startswith:PREFIX]``,
        ``GET /resource_providers[?required=T1,!T2][&name=NODE]`` (every
        host a root provider, generation 1: a snapshot does not change) and
        ``GET /resource_providers/UUID/traits``; 404, or 400 for other
        queries, otherwise.

        The body is JSON text, parsed by ``json()`` on every call as a
        real answer is, without the network.
        """
        self.calls += 1
        body = self._bodies.get(url)
        if body is None:
            status, found = self._answer(url)
            if status != 200:
                return PlacementResponse(status, json.dumps(
                    {'errors': [{'status': status, 'detail': found}]}))
            body = self._bodies[url] = json.dumps(found)
        return PlacementResponse(200, body)

    def _answer(self, url: str) -> tuple[int, Any]:
        split = parse.urlsplit(url)
        query = {k: v[-1] for k, v in parse.parse_qs(split.query).items()}
        if split.path == '/traits' and set(query) <= {'name'}:
            prefix = query.get('name', _STARTSWITH)
            if not prefix.startswith(_STARTSWITH):
                return 400, 'only name=startswith: is served'
            prefix = prefix[len(_STARTSWITH):]
            return 200, {'traits': [t for t in self._traits
                                    if t.startswith(prefix)]}
        if split.path == '/resource_providers' and (
                set(query) <= {'required', 'name'}):
            asked = [t for t in query.get('required', '').split(',') if t]
            need = {t for t in asked if not t.startswith('!')}
            avoid = {t[1:] for t in asked if t.startswith('!')}
            name = query.get('name')
            return 200, {'resource_providers': [
                _provider(h) for h, have in self._hosts
                if need <= have and not avoid & have and
                name in (None, h.node)]}
        parts = split.path.strip('/').split('/')
        if parts[0] == 'resource_providers' and parts[2:] == ['traits']:
            for h, have in self._hosts:
                if h.uuid == parts[1]:
                    return 200, {'traits': sorted(have),
                                 'resource_provider_generation': 1}
        if split.path in ('/traits', '/resource_providers'):
            return 400, 'query %r is not served' % split.query
        return 404, 'no resource at %s' % split.path


def _provider(host: model.Host) -> dict[str, Any]:
    # The fields and links Placement returns at microversion 1.18.
    base = '/resource_providers/%s' % host.uuid
    return {'uuid': host.uuid, 'name': host.node, 'generation': 1,
            'root_provider_uuid': host.uuid, 'parent_provider_uuid': None,
            'links': [{'rel': 'self', 'href': base}] + [
                {'rel': rel, 'href': '%s/%s' % (base, rel)}
                for rel in ('inventories', 'usages', 'aggregates', 'traits',
                            'allocations')]}


def member_reader(snap: snapshot.Snapshot) -> Any:
    """A MemberLocator reader answering from the snapshot's instances."""
    instances = snap.instances_by_uuid()

    def read(spec_obj: Any) -> list[members.Member]:
        uuids = spec_obj.instance_group.members or []
        found = (instances.get(u) for u in uuids)
        return [members.Member(i.uuid, i.host, i.node) for i in found
                if i is not None and i.host]
    return read


@contextlib.contextmanager
def replay(snap: snapshot.Snapshot,
           view: placement.TopologyView | None = None) -> Iterator[None]:
    """Serve the snapshot to the ZHA plugins for the duration of the block.

    :param view: the topology view to serve instead of a SnapshotView, e.g.
        a real TopologyView reading a SnapshotPlacement.
    """
    previous_view = placement.set_view(view or SnapshotView(snap))
    previous_locator = members.set_locator(
        members.MemberLocator(reader=member_reader(snap)))
    try:
        yield
    finally:
        members.set_locator(previous_locator)
        if previous_view is None:
            placement.reset_view()
        else:
            placement.set_view(previous_view)
