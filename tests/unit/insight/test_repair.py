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

"""Unit tests of applying an audit's moves through a fake Nova API."""

import types

from oslotest import base

from zha_scheduler.clients import nova_client
from zha_scheduler.insight import audit
from zha_scheduler.insight import repair


class FakeCompute:
    """Servers that move (or not) a few polls after a live migration."""

    def __init__(self, hosts, outcome=None):
        self.hosts = dict(hosts)
        self.sources = dict(hosts)
        # uuid -> destination, 'error' or 'refuse'
        self.outcome = outcome or {}
        self.calls = []
        self.polls = {}
        self.migrating = set()

    def get_server(self, uuid):
        self.polls[uuid] = self.polls.get(uuid, 0) + 1
        status = 'ACTIVE'
        result = self.outcome.get(uuid)
        if uuid in self.migrating and self.polls[uuid] > 1:
            if result == 'error':
                status = 'ERROR'
            elif result not in ('fail', self.sources[uuid]):
                self.hosts[uuid] = result
            if result != self.sources[uuid]:    # the source: never ends
                self.migrating.discard(uuid)
        # Nova's API sets the task before it answers the request.
        task = 'migrating' if uuid in self.migrating else None
        return types.SimpleNamespace(
            id=uuid, name='name-' + uuid, compute_host=self.hosts[uuid],
            hypervisor_hostname=self.hosts[uuid], status=status,
            task_state=task, metadata={},
            flavor={'vcpus': 1, 'ram': 512, 'disk': 1})

    def live_migrate_server(self, uuid, host=None, block_migration=None):
        self.calls.append((uuid, host, block_migration))
        if self.outcome.get(uuid) == 'refuse':
            raise RuntimeError('No valid host was found.')
        self.migrating.add(uuid)
        self.polls[uuid] = 1

    def migrations(self, server_id, migration_type=None):
        failed = self.outcome.get(server_id) == 'fail'
        return [types.SimpleNamespace(
            id='m1', status='error' if failed else 'running',
            source_compute='src-' + server_id, dest_compute=None,
            created_at='2026-01-01', migration_type='live-migration',
            server_id=server_id)]


def moves(*uuids):
    return [audit.Move(u, 'name-' + u, 'g1', 'src-' + u,
                       'cpc Z1 holds 2 members', 'Z2')
            for u in uuids]


def apply(compute, *uuids, timeout=10.0):
    clock = [0.0]
    nova = nova_client.NovaClient(types.SimpleNamespace(compute=compute))
    return repair.apply(nova, moves(*uuids),
                        timeout=timeout, poll_interval=1.0,
                        clock=lambda: clock[0],
                        sleep=lambda s: clock.__setitem__(0, clock[0] + s))


class ApplyTest(base.BaseTestCase):

    def test_moves_one_after_another_letting_the_scheduler_choose(self):
        compute = FakeCompute({'a': 'src-a', 'b': 'src-b'},
                              {'a': 'cpc2-lpar1', 'b': 'cpc3-lpar1'})
        results = apply(compute, 'a', 'b')
        self.assertEqual([('a', None, 'auto'), ('b', None, 'auto')],
                         compute.calls)
        self.assertEqual([repair.DONE, repair.DONE],
                         [r.outcome for r in results])
        self.assertEqual(['cpc2-lpar1', 'cpc3-lpar1'],
                         [r.destination for r in results])

    def test_stops_at_a_refused_migration(self):
        compute = FakeCompute({'a': 'src-a', 'b': 'src-b'}, {'a': 'refuse'})
        results = apply(compute, 'a', 'b')
        self.assertEqual([repair.FAILED], [r.outcome for r in results])
        self.assertIn('No valid host', results[0].detail)
        self.assertEqual(['a'], [c[0] for c in compute.calls])

    def test_stops_when_the_migration_fails(self):
        compute = FakeCompute({'a': 'src-a', 'b': 'src-b'}, {'a': 'fail'})
        results = apply(compute, 'a', 'b')
        self.assertEqual(1, len(results))
        self.assertIn('ended error', results[0].detail)

    def test_instance_in_error(self):
        results = apply(FakeCompute({'a': 'src-a'}, {'a': 'error'}), 'a')
        self.assertEqual('the instance went to ERROR', results[0].detail)

    def test_timeout(self):
        compute = FakeCompute({'a': 'src-a'}, {'a': 'src-a'})
        results = apply(compute, 'a', timeout=5.0)
        self.assertIn('not finished after 5 seconds', results[0].detail)

    def test_instance_moved_since_the_audit_is_left_alone(self):
        compute = FakeCompute({'a': 'elsewhere'})
        results = apply(compute, 'a')
        self.assertIn('re-run the audit', results[0].detail)
        self.assertEqual([], compute.calls)
