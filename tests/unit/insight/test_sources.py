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

"""Unit tests of the snapshot sources: Placement stand-in, members, replay."""

import types

from oslotest import base

from zha_scheduler.clients import placement_client
from zha_scheduler.insight import snapshot
from zha_scheduler.insight import sources
from zha_scheduler.insight import synthetic
from zha_scheduler import members
from zha_scheduler import model
from zha_scheduler import placement
from zha_scheduler import traits

FLAVOR = model.Flavor('small', vcpus=1, ram=512, disk=1)
Z1, Z2 = traits.cpc_trait('Z1'), traits.cpc_trait('Z2')


def host(name, *names):
    return model.Host(name, name + '.node', 'uuid-' + name,
                      traits=sorted(names))


def cloud():
    """Three LPARs with ZHA traits (one a standby) and one without."""
    hosts = [host('lpar1', Z1, traits.NET_REDUNDANT, 'COMPUTE_NODE'),
             host('lpar2', Z1, traits.STANDBY, 'COMPUTE_NODE'),
             host('lpar3', Z2, traits.NET_DEGRADED),
             host('bare')]
    instances = [
        model.Instance('i1', 'db-1', 'lpar1', 'lpar1.node', 'ACTIVE', FLAVOR),
        model.Instance('i2', 'db-2', None, None, 'ERROR', FLAVOR)]
    return snapshot.Snapshot(hosts, instances)


class Fields(types.SimpleNamespace):
    """A Nova object's ``in``: whether a field is set."""

    def __contains__(self, name):
        return hasattr(self, name)


def spec(*member_uuids):
    """A request for a new member of a group with these members."""
    return Fields(instance_uuid='new', instance_group=Fields(
        members=list(member_uuids), hosts=[]))


class SnapshotPlacementTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.snap = cloud()
        self.adapter = sources.SnapshotPlacement(self.snap)
        self.client = placement_client.PlacementClient(self.adapter)

    def names(self, url):
        return [p['name'] for p in
                self.client.get(url, '1.18')['resource_providers']]

    def test_read_topology_gives_the_snapshot_profiles(self):
        found, calls = placement.read_topology(self.client)
        # The listing, then one call per ZHA trait: Z1, Z2, STANDBY and the
        # two network health traits.
        self.assertEqual((6, 6), (calls, self.adapter.calls))
        self.assertEqual({h.uuid: self.snap.profile(h)
                          for h in self.snap.hosts[:3]}, found.by_uuid)
        self.assertTrue(found.profile(name='lpar2.node').standby)

    def test_the_real_view_sees_what_snapshot_view_serves(self):
        snap = synthetic.synthetic(hosts=40, instances=0, cpcs=4)
        adapter = sources.SnapshotPlacement(snap)
        client = placement_client.PlacementClient(adapter)
        view = placement.TopologyView(client_factory=lambda: client)
        request = object()
        found = view.get(request)
        self.assertEqual(sources.SnapshotView(snap).get().by_uuid,
                         found.by_uuid)
        zha = {t for h in snap.hosts for t in h.traits
               if t.startswith(traits.PREFIX)}
        # The listing, the ZHA traits, one call per trait.
        self.assertEqual(2 + len(zha), view.placement_calls)
        view.get(request)    # cached for the request and the TTL
        self.assertEqual(2 + len(zha), adapter.calls)

    def test_traits(self):
        self.assertEqual(['COMPUTE_NODE'], self.client.get(
            '/traits?name=startswith:COMPUTE_', '1.6')['traits'])
        self.assertEqual(sorted([Z1, Z2, traits.STANDBY, traits.NET_DEGRADED,
                                 traits.NET_REDUNDANT, 'COMPUTE_NODE']),
                         self.client.get('/traits', '1.6')['traits'])

    def test_providers(self):
        self.assertEqual(['lpar1.node', 'lpar2.node', 'lpar3.node',
                          'bare.node'], self.names('/resource_providers'))
        self.assertEqual(['lpar1.node'], self.names(
            '/resource_providers?required=COMPUTE_NODE,!%s'
            % traits.STANDBY))
        self.assertEqual(['lpar3.node'], self.names(
            '/resource_providers?name=lpar3.node'))
        self.assertEqual({'uuid-lpar1': 'lpar1.node',
                          'uuid-lpar2': 'lpar2.node'},
                         self.client.compute_nodes())
        (first,) = self.client.providers(required=traits.NET_REDUNDANT)
        self.assertEqual(('uuid-lpar1', 'uuid-lpar1'),
                         (first['uuid'], first['root_provider_uuid']))

    def test_what_it_does_not_serve_fails(self):
        for url, status in (
                ('/resource_providers/uuid-lpar1/inventories', 404),
                ('/resource_providers?member_of=agg', 400),
                ('/traits?name=in:COMPUTE_NODE', 400)):
            error = self.assertRaises(placement_client.PlacementError,
                                      self.client.get, url, '1.18')
            self.assertEqual(status, error.status)
        self.assertEqual(3, self.adapter.calls)

    def test_every_call_parses_a_fresh_body(self):
        first = self.client.zha_traits()
        first.clear()
        self.assertEqual(5, len(self.client.zha_traits()))


class ReplayTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.snap = cloud()
        self.addCleanup(placement.reset_view)
        self.addCleanup(members.set_locator, members.get_locator())

    def test_member_reader_returns_the_placed_members(self):
        read = sources.member_reader(self.snap)
        self.assertEqual([members.Member('i1', 'lpar1', 'lpar1.node')],
                         read(spec('i1', 'i2', 'new')))

    def test_replay_serves_a_view_and_restores(self):
        outer = sources.SnapshotView(snapshot.Snapshot([]))
        placement.set_view(outer)
        view = placement.TopologyView(
            client_factory=lambda: placement_client.PlacementClient(
                sources.SnapshotPlacement(self.snap)))
        with sources.replay(self.snap, view=view):
            self.assertIs(view, placement.get_view())
            self.assertEqual('Z2', view.get().profile('uuid-lpar3').cpc)
            self.assertEqual([('lpar1', 'lpar1.node')],
                             members.get_locator().locations(spec('i1')))
        self.assertIs(outer, placement.get_view())
        with sources.replay(self.snap):
            self.assertIsInstance(placement.get_view(), sources.SnapshotView)
