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

"""Unit tests of the runner of drain and failback (insight.migrate)."""

import dataclasses

from oslotest import base

from tests.unit.insight import test_audit
from tests.unit import zha_fakes
from zha_scheduler.clients import nova_client
from zha_scheduler.insight import maintenance
from zha_scheduler.insight import migrate
from zha_scheduler import model

SOURCE = 'src'
LIVE, COLD = maintenance.LIVE, maintenance.COLD


class FakeNova:
    """Nova's API over a few servers that move some reads after a request.

    After a request a server shows its move in progress for ``busy`` reads
    (1 by default), then where it ended: on the host asked for, else where
    the scheduler puts it (``picks``, 'dst' by default; None: nowhere, it
    stays and its migration ends in error). A cold-migrated server waits in
    VERIFY_RESIZE for its confirmation, and shows VERIFY_RESIZE for one more
    read after it, as Nova confirms asynchronously.
    """

    def __init__(self, servers, picks=None, refuse=(), busy=None):
        self.servers = {s.uuid: s for s in servers}
        self.picks = dict(picks or {})
        self.refuse = set(refuse)
        self.busy = dict(busy or {})
        self.requests = []
        self.confirms = []
        self.records = {}
        self.ahead = {}
        self.before = {}
        self.in_flight = set()
        self.most_in_flight = 0

    def get(self, uuid):
        ahead = self.ahead.get(uuid)
        if ahead:
            host, status, task = ahead.pop(0)
            self.servers[uuid] = dataclasses.replace(
                self.servers[uuid], host=host, node=host, status=status,
                task_state=task)
            if task is None and status != 'VERIFY_RESIZE':
                self.in_flight.discard(uuid)
        return dataclasses.replace(self.servers[uuid])

    def _request(self, kind, uuid, host):
        self.requests.append((kind, uuid, host))
        if uuid in self.refuse:
            raise nova_client.NovaError('No valid host was found.')
        self.in_flight.add(uuid)
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
        server = self.servers[uuid]
        self.before[uuid] = server.status
        destination = host or self.picks.get(uuid, 'dst')
        if kind == LIVE:
            moving = (server.host, 'MIGRATING', 'migrating')
        else:
            moving = (server.host, 'RESIZE', 'resize_migrating')
        if destination is None:
            end, status = (server.host, server.status, None), 'error'
        elif kind == LIVE:
            end, status = (destination, server.status, None), 'completed'
        else:
            end, status = (destination, 'VERIFY_RESIZE', None), 'finished'
        self.ahead[uuid] = [moving] * self.busy.get(uuid, 1) + [end]
        self.records.setdefault(uuid, []).append(nova_client.Migration(
            str(len(self.requests)), status, server.host, destination,
            None, nova_client.LIVE_MIGRATION if kind == LIVE
            else nova_client.COLD_MIGRATION, uuid))

    def live_migrate(self, uuid, host):
        self._request(LIVE, uuid, host)

    def migrate(self, uuid, host):
        self._request(COLD, uuid, host)

    def confirm_resize(self, uuid):
        self.confirms.append(uuid)
        server = self.servers[uuid]
        if server.status != 'VERIFY_RESIZE':
            raise nova_client.NovaError('Instance is in state %s'
                                        % server.status)
        self.ahead[uuid] = [
            (server.host, 'VERIFY_RESIZE', None),
            (server.host, self.before.get(uuid, 'ACTIVE'), None)]

    def migrations(self, uuid, kind=None):
        return list(self.records.get(uuid, []))


def server(uuid, status='ACTIVE', on=SOURCE, task_state=None):
    return model.Instance(uuid, 'vm-' + uuid, on, on, status,
                          test_audit.FLAVOR, task_state=task_state)


def steps(*servers):
    """The steps of servers as a snapshot saw them: all on SOURCE."""
    return [maintenance.step_for(dataclasses.replace(s, host=SOURCE))
            for s in servers]


class RunnerCase(base.BaseTestCase):
    """A runner on a fake clock, its outcomes reported to self.done."""

    def setUp(self):
        super().setUp()
        self.clock = zha_fakes.FakeClock()
        self.done = []
        #: How many were left after each outcome.
        self.left = []

    def record(self, outcome, left):
        self.done.append(outcome)
        self.left.append(left)

    def run_steps(self, nova, todo, **kwargs):
        kwargs.setdefault('timeout', 30.0)
        runner = migrate.Runner(nova, poll_interval=1.0,
                                on_done=self.record, clock=self.clock,
                                sleep=self.clock.advance, **kwargs)
        return runner.run(todo)


class RunnerTest(RunnerCase):

    def test_live_migration_moves(self):
        nova = FakeNova([server('a')], busy={'a': 3})
        (outcome,) = self.run_steps(nova, steps(server('a')))
        self.assertEqual(migrate.Outcome(
            'a', 'vm-a', SOURCE, LIVE, 'dst', migrate.MOVED, '', 4.0),
            outcome)
        self.assertEqual([(LIVE, 'a', None)], nova.requests)
        self.assertEqual([outcome], self.done)

    def test_paused_instance_moves_live(self):
        nova = FakeNova([server('a', 'PAUSED')])
        (outcome,) = self.run_steps(nova, steps(server('a', 'PAUSED')))
        self.assertEqual((migrate.MOVED, 'dst'),
                         (outcome.outcome, outcome.destination))
        self.assertEqual([(LIVE, 'a', None)], nova.requests)

    def test_migration_ends_on_the_source(self):
        nova = FakeNova([server('a')], picks={'a': None})
        (outcome,) = self.run_steps(nova, steps(server('a')))
        self.assertEqual((migrate.FAILED, SOURCE),
                         (outcome.outcome, outcome.destination))
        self.assertEqual('the live-migrate ended error; it stays on src',
                         outcome.detail)

    def test_cold_migration_is_confirmed_once(self):
        nova = FakeNova([server('a', 'SHUTOFF')], busy={'a': 2})
        (outcome,) = self.run_steps(nova, steps(server('a', 'SHUTOFF')))
        self.assertEqual([(COLD, 'a', None)], nova.requests)
        self.assertEqual(['a'], nova.confirms)
        self.assertEqual((migrate.MOVED, 'dst', COLD),
                         (outcome.outcome, outcome.destination,
                          outcome.action))
        self.assertEqual('SHUTOFF', nova.servers['a'].status)

    def test_max_parallel(self):
        names = 'abcde'
        nova = FakeNova([server(n) for n in names],
                        busy=dict.fromkeys(names, 3))
        outcomes = self.run_steps(nova, steps(*[server(n) for n in names]),
                                  max_parallel=2)
        self.assertEqual(2, nova.most_in_flight)
        self.assertEqual(list(names), [o.instance for o in outcomes])
        self.assertEqual([migrate.MOVED] * 5, [o.outcome for o in outcomes])

    def test_one_at_a_time(self):
        nova = FakeNova([server('a'), server('b')])
        self.run_steps(nova, steps(server('a'), server('b')),
                       max_parallel=0)
        self.assertEqual(1, nova.most_in_flight)
        # Progress learns how many are left after each one.
        self.assertEqual([1, 0], self.left)

    def test_already_moved(self):
        nova = FakeNova([server('a', on='elsewhere')])
        (outcome,) = self.run_steps(nova, steps(server('a')))
        self.assertEqual((migrate.MOVED, 'elsewhere'),
                         (outcome.outcome, outcome.destination))
        self.assertIn('already moved', outcome.detail)
        self.assertEqual([], nova.requests)
        self.assertEqual([outcome], self.done)

    def test_move_in_progress_is_waited_for(self):
        # Another run started moving it after the snapshot: no second
        # request, it ends where that move takes it.
        nova = FakeNova([server('a', task_state='migrating')])
        nova.ahead['a'] = [(SOURCE, 'MIGRATING', 'migrating'),
                           ('other', 'ACTIVE', None)]
        (outcome,) = self.run_steps(nova, steps(server('a')))
        self.assertEqual([], nova.requests)
        self.assertEqual((migrate.MOVED, 'other', maintenance.WAIT),
                         (outcome.outcome, outcome.destination,
                          outcome.action))

    def test_instance_gone_to_error_meanwhile(self):
        # The snapshot saw it ACTIVE; it is in ERROR when its turn comes.
        nova = FakeNova([server('a', 'ERROR')])
        (outcome,) = self.run_steps(nova, steps(server('a')))
        self.assertEqual([], nova.requests)
        self.assertEqual(migrate.FAILED, outcome.outcome)
        self.assertIn('it is ERROR', outcome.detail)

    def test_instance_goes_to_error(self):
        nova = FakeNova([server('a')])
        nova._request = lambda *args: nova.ahead.__setitem__(
            'a', [(SOURCE, 'ERROR', None)])
        (outcome,) = self.run_steps(nova, steps(server('a')))
        self.assertEqual('the instance went to ERROR', outcome.detail)

    def test_nova_refuses(self):
        nova = FakeNova([server('a'), server('b')], refuse=['a'])
        outcomes = self.run_steps(nova, steps(server('a'), server('b')))
        self.assertEqual([('a', migrate.FAILED), ('b', migrate.MOVED)],
                         [(o.instance, o.outcome) for o in outcomes])
        self.assertEqual('Nova refused the live-migrate: No valid host was '
                         'found.', outcomes[0].detail)
        self.assertEqual(SOURCE, outcomes[0].destination)

    def test_timeout(self):
        nova = FakeNova([server('a')], busy={'a': 100})
        (outcome,) = self.run_steps(nova, steps(server('a')), timeout=10.0)
        self.assertEqual((migrate.FAILED, None),
                         (outcome.outcome, outcome.destination))
        self.assertIn('not finished after 10 seconds', outcome.detail)
        self.assertEqual(10.0, outcome.seconds)

    def test_confirm_step(self):
        nova = FakeNova([server('a', 'VERIFY_RESIZE', on='dst')])
        step = maintenance.Step('a', 'vm-a', SOURCE, 'VERIFY_RESIZE',
                                maintenance.CONFIRM)
        (outcome,) = self.run_steps(nova, [step])
        self.assertEqual(['a'], nova.confirms)
        self.assertEqual([], nova.requests)
        self.assertEqual((migrate.MOVED, 'dst'),
                         (outcome.outcome, outcome.destination))

    def test_steps_that_move_nothing_are_left(self):
        skip = maintenance.step_for(server('a', 'SHUTOFF'),
                                    skip_stopped=True)
        stay = maintenance.step_for(server('b', 'ERROR'))
        nova = FakeNova([server('a', 'SHUTOFF'), server('b', 'ERROR')])
        self.assertEqual([], self.run_steps(nova, [skip, stay]))
        self.assertEqual([], self.done)

    def test_named_destination(self):
        nova = FakeNova([server('a')])
        step = maintenance.step_for(server('a'), destination='home')
        (outcome,) = self.run_steps(nova, [step])
        self.assertEqual([(LIVE, 'a', 'home')], nova.requests)
        self.assertEqual('home', outcome.destination)


class FallbackTest(RunnerCase):

    def setUp(self):
        super().setUp()
        self.asked = []

    def fallback(self, host):
        def pick(step):
            self.asked.append(step)
            return host
        return pick

    def test_failed_live_migration_retried_on_the_fallback(self):
        nova = FakeNova([server('a')], picks={'a': None})
        outcomes = self.run_steps(nova, steps(server('a')),
                                  fallback=self.fallback('standby'))
        self.assertEqual([(LIVE, 'a', None), (LIVE, 'a', 'standby')],
                         nova.requests)
        self.assertEqual(['a'], [s.instance for s in self.asked])
        self.assertIsNone(self.asked[0].destination)
        self.assertEqual([('a', migrate.MOVED, 'standby')],
                         [(o.instance, o.outcome, o.destination)
                          for o in outcomes])
        self.assertEqual(outcomes, self.done)

    def test_refused_request_retried_on_the_fallback(self):
        nova = FakeNova([server('a', 'SHUTOFF')])
        nova.refuse.add('a')
        real = nova._request

        def once(kind, uuid, host):
            if host is not None:
                nova.refuse.discard(uuid)
            real(kind, uuid, host)

        nova._request = once
        (outcome,) = self.run_steps(nova, steps(server('a', 'SHUTOFF')),
                                    fallback=self.fallback('standby'))
        self.assertEqual([(COLD, 'a', None), (COLD, 'a', 'standby')],
                         nova.requests)
        self.assertEqual((migrate.MOVED, 'standby'),
                         (outcome.outcome, outcome.destination))
        self.assertEqual(['a'], nova.confirms)

    def test_retried_once(self):
        nova = FakeNova([server('a')], refuse=['a'])
        outcomes = self.run_steps(nova, steps(server('a')),
                                  fallback=self.fallback('standby'))
        self.assertEqual(2, len(nova.requests))
        self.assertEqual(1, len(self.asked))
        self.assertEqual([migrate.FAILED], [o.outcome for o in outcomes])
        self.assertEqual(outcomes, self.done)

    def test_no_fallback_host(self):
        nova = FakeNova([server('a')], picks={'a': None})
        outcomes = self.run_steps(nova, steps(server('a')),
                                  fallback=self.fallback(None))
        self.assertEqual(1, len(nova.requests))
        self.assertEqual(1, len(self.asked))
        self.assertEqual([migrate.FAILED], [o.outcome for o in outcomes])
        self.assertEqual(outcomes, self.done)

    def test_named_destination_is_not_retried(self):
        nova = FakeNova([server('a')], refuse=['a'])
        step = maintenance.step_for(server('a'), destination='home')
        outcomes = self.run_steps(nova, [step],
                                  fallback=self.fallback('standby'))
        self.assertEqual([(LIVE, 'a', 'home')], nova.requests)
        self.assertEqual([], self.asked)
        self.assertEqual([migrate.FAILED], [o.outcome for o in outcomes])

    def test_moved_elsewhere_is_not_retried(self):
        # It went to ERROR on the destination: it left the source.
        nova = FakeNova([server('a')])
        nova._request = lambda *args: nova.ahead.__setitem__(
            'a', [('dst', 'ERROR', None)])
        outcomes = self.run_steps(nova, steps(server('a')),
                                  fallback=self.fallback('standby'))
        self.assertEqual([('a', migrate.FAILED, 'dst')],
                         [(o.instance, o.outcome, o.destination)
                          for o in outcomes])
        self.assertEqual([], self.asked)

    def test_each_instance_reported_once(self):
        nova = FakeNova([server(n) for n in 'abc'],
                        picks={'a': None, 'c': None})
        outcomes = self.run_steps(nova, steps(*[server(n) for n in 'abc']),
                                  max_parallel=3,
                                  fallback=self.fallback('standby'))
        self.assertEqual(['a', 'b', 'c'],
                         sorted(o.instance for o in self.done))
        self.assertEqual(outcomes, self.done)
        self.assertEqual({'a': 'standby', 'b': 'dst', 'c': 'standby'},
                         {o.instance: o.destination for o in outcomes})
