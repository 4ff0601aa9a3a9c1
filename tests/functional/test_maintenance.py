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

"""drain, failback and audit's failback check against real Nova services."""

import collections
import contextlib
import io
import json
import os
import time

import fixtures

from zha_scheduler.agent import sync
from zha_scheduler.clients import coordination_locks
from zha_scheduler.clients import nova_client
from zha_scheduler.cmd import evacuate as evacuate_cmd
from zha_scheduler.cmd import manage
from zha_scheduler.insight import maintenance
from zha_scheduler.sim import client
from zha_scheduler.sim import cloud

LPAR = 'cpc1-lpar1'
STANDBY = 'cpc2-standby'
HOSTS = cloud.grid(cpcs=3, lpars_per_cpc=2) + [
    cloud.SimHost(STANDBY, 'Z2', standby=True, fixture='healthy')]


class _Killed(BaseException):
    """The drain's process dies (nothing of it runs after this)."""


class _MaintenanceCloud(cloud.SimulatedCloud):
    """Three CPCs of two LPARs and a standby partition on Z2."""

    HOSTS = HOSTS
    # Real casts: Nova's API answers before the move ends, as in a cloud, so
    # the runs' polling, parallelism and resumption are what is tested.
    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conn = client.connection(self)
        self.conf_file = os.path.join(self.tmp, 'zha-scheduler.conf')
        with open(self.conf_file, 'w') as f:
            f.write('[zha_evacuate]\ncoordination_url = file://%s/locks\n'
                    'partners_file = %s\n' % (self.tmp, self.partners()))
        self.requests = collections.Counter()
        #: NovaClient method: what to run after each of its calls.
        self.after_request = {}
        for name in ('live_migrate', 'migrate', 'evacuate'):
            self.spy(name)

    def partners(self):
        path = os.path.join(self.tmp, 'partners.yaml')
        with open(path, 'w') as f:
            f.write('%s: %s\n' % (LPAR, STANDBY))
        return path

    def spy(self, name):
        """Count the calls of a NovaClient method per instance."""
        real = getattr(nova_client.NovaClient, name)

        def spied(client_self, instance_id, host):
            self.requests[name, instance_id] += 1
            result = real(client_self, instance_id, host)
            if name in self.after_request:
                self.after_request[name]()
            return result
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.clients.nova_client.NovaClient.' + name, spied))

    def zha(self, *argv):
        """Run ``zha-scheduler ARGV --format json``: (status, report).

        The report is None when nothing was printed.
        """
        from zha_scheduler.cmd.commands import drain
        from zha_scheduler.cmd.commands import failback

        args = manage._parser().parse_args(
            list(argv) + ['--config-file', self.conf_file, '--format',
                          'json'])
        run = {'drain': drain.run, 'failback': failback.run}[args.command]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = run(args, conn=self.conn, poll_interval=0.05)
        printed = out.getvalue()
        return status, (json.loads(printed)[args.command] if printed
                        else None)

    def stopped_on(self, host, name):
        (server,) = self.boot_on(host, name)
        self.admin_api.post_server_action(server['id'], {'os-stop': None})
        return self._wait_for_state_change(server, 'SHUTOFF')

    def on_host(self, host):
        return sorted(s['name'] for s in self.admin_api.get_servers(
            search_opts={'host': host}))

    def service(self, host):
        return self.admin_api.get_services(host=host,
                                           binary='nova-compute')[0]

    def moves_of(self, server):
        """Nova's records of the moves of a server: (kind, source, dest)."""
        return [(m.kind, m.source, m.destination) for m in
                nova_client.NovaClient(self.conn).migrations(server['id'])
                if m.moved]


class DrainTest(_MaintenanceCloud):

    def test_draining_an_lpar_keeps_the_pair_on_two_cpcs(self):
        group = self.create_group('anti-affinity')
        (first,) = self.boot_on(LPAR, 'db-1', group=group)
        (second,) = self.boot_on('cpc2-lpar1', 'db-2', group=group)
        (web,) = self.boot_on(LPAR, 'web')
        self.admin_api.post_server_action(web['id'], {'pause': None})
        self._wait_for_state_change(web, 'PAUSED')
        stopped = self.stopped_on(LPAR, 'batch')

        status, plan = self.zha('drain', LPAR, '--dry-run')
        self.assertEqual(0, status, plan)
        self.assertEqual({'db-1': 'live-migrate', 'web': 'live-migrate',
                          'batch': 'cold-migrate'},
                         {s['name']: s['action'] for s in plan['steps']})
        self.assertEqual([], plan['groups_at_risk'])
        self.assertEqual('enabled', self.service(LPAR)['status'])

        status, report = self.zha('drain', LPAR)

        self.assertEqual(0, status, report)
        self.assertEqual((3, 0), (report['moved'], report['failed']))
        self.assertEqual([], self.on_host(LPAR))
        service = self.service(LPAR)
        self.assertEqual('disabled', service['status'])
        self.assertTrue(service['disabled_reason'].startswith(
            maintenance.DRAIN_REASON_PREFIX + ' maintenance since '))
        self.assertEqual(2, len(self.members_per_cpc(
            self.group_servers(group))))
        self.assertEqual('cpc2-lpar1',
                         self.host_of(self.api.get_server(second['id'])))
        after = {s['id']: self.admin_api.get_server(s['id'])
                 for s in (first, web, stopped)}
        self.assertEqual(['ACTIVE', 'PAUSED', 'SHUTOFF'],
                         [after[s['id']]['status']
                          for s in (first, web, stopped)])
        # No named target: the standby partition stays free.
        self.assertEqual([], self.on_host(STANDBY))
        self.assertNotIn(LPAR, {self.host_of(s) for s in after.values()})
        self.assertEqual([('migration', LPAR, self.host_of(
            after[stopped['id']]))], self.moves_of(stopped))

    def test_a_cpc_holding_a_member_of_a_spread_group_needs_consent(self):
        group = self.create_group('anti-affinity', name='three-cpcs')
        members = self.boot_members(group, 3)
        self.assertEqual(3, len(self.members_per_cpc(members)))
        self.boot_on('cpc1-lpar2', 'solo')
        before = {s['id']: self.host_of(s) for s in members}

        status, report = self.zha('drain', '--cpc', 'z1')

        self.assertEqual(3, status, report)
        self.assertTrue(report['refused'])
        self.assertEqual([group['id']],
                         [r['uuid'] for r in report['groups_at_risk']])
        self.assertIn('would share a cpc',
                      report['groups_at_risk'][0]['reason'])
        self.assertEqual('enabled', self.service('cpc1-lpar1')['status'])
        self.assertEqual(before, {s['id']: self.host_of(s)
                                  for s in self.group_servers(group)})
        self.assertEqual(3, self.zha('drain', '--cpc', 'Z1', '--dry-run')[0])

        status, report = self.zha('drain', '--cpc', 'Z1', '--allow-degraded')

        self.assertEqual(0, status, report)
        self.assertEqual(['three-cpcs'],
                         [r['name'] for r in report['groups_at_risk']])
        self.assertEqual(['cpc1-lpar1', 'cpc1-lpar2'], report['disabled'])
        self.assertEqual([], self.on_host('cpc1-lpar1') +
                         self.on_host('cpc1-lpar2'))
        self.assertEqual(2, len(self.members_per_cpc(
            self.group_servers(group))))
        self.assertEqual([], self.on_host(STANDBY))

    def test_stopped_guests_can_be_left(self):
        stopped = self.stopped_on(LPAR, 'batch')
        self.boot_on(LPAR, 'web')
        status, report = self.zha('drain', LPAR, '--skip-stopped')
        self.assertEqual(0, status, report)
        self.assertEqual((1, 1), (report['moved'], report['skipped']))
        self.assertEqual(['batch'], self.on_host(LPAR))
        self.assertEqual([], self.moves_of(stopped))

    def test_a_drain_killed_half_way_is_finished_by_the_next(self):
        servers = self.boot_on(LPAR, 'guest', count=6)
        asked = []

        def kill_at_the_third():
            asked.append(1)
            if len(asked) == 3:
                raise _Killed()
        self.after_request['live_migrate'] = kill_at_the_third

        self.assertRaises(_Killed, self.zha, 'drain', LPAR,
                          '--max-parallel', '2')
        self.assertEqual(3, len(asked))
        self.assertEqual('disabled', self.service(LPAR)['status'])
        # The dead run's lock is free: the next run takes it and finishes.
        status, report = self.zha('drain', LPAR, '--max-parallel', '3')

        self.assertEqual(0, status, report)
        self.assertEqual([], self.on_host(LPAR))
        self.assertEqual(6, len(asked))
        self.assertEqual({1}, {self.requests['live_migrate', s['id']]
                               for s in servers})
        for server in servers:
            moves = self.moves_of(server)
            self.assertEqual(1, len(moves), moves)
            self.assertEqual(('live-migration', LPAR), moves[0][:2])

    def test_a_second_drain_of_the_same_host_is_refused(self):
        self.boot_on(LPAR, 'web')
        target = maintenance.Target('cpc', 'Z1', (LPAR, 'cpc1-lpar2'))
        url = 'file://%s/locks' % self.tmp
        with coordination_locks.held(
                coordination_locks.coordinator(
                    url, coordination_locks.member_id('test')),
                url, target.lock_names(), str):
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                status = self.zha('drain', LPAR, '--format', 'table')[0]
        self.assertEqual(3, status)
        self.assertIn('another drain or failback holds', err.getvalue())
        self.assertEqual(['web'], self.on_host(LPAR))
        self.assertEqual('enabled', self.service(LPAR)['status'])


class FailbackTest(_MaintenanceCloud):

    def test_failback_after_a_drain_brings_every_instance_home(self):
        (web,) = self.boot_on(LPAR, 'web')
        stopped = self.stopped_on(LPAR, 'batch')
        status, report = self.zha('drain', LPAR)
        self.assertEqual(0, status, report)
        # While its network is degraded the host is not ready.
        self.publish(LPAR, 'slave-down')

        status, report = self.zha('failback', LPAR)

        self.assertEqual(3, status, report)
        self.assertIn('CUSTOM_ZHA_NET_DEGRADED', report['not_ready'][LPAR])
        self.assertEqual('disabled', self.service(LPAR)['status'])
        self.publish(LPAR, 'healthy')
        status, plan = self.zha('failback', LPAR, '--dry-run')
        self.assertEqual(0, status, plan)
        self.assertEqual({'web': LPAR, 'batch': LPAR},
                         {s['name']: s['destination'] for s in plan['steps']})

        status, report = self.zha('failback', LPAR)

        self.assertEqual(0, status, report)
        self.assertEqual([LPAR], report['enabled'])
        self.assertEqual(['batch', 'web'], self.on_host(LPAR))
        self.assertEqual('enabled', self.service(LPAR)['status'])
        self.assertEqual('SHUTOFF',
                         self.admin_api.get_server(stopped['id'])['status'])
        self.assertEqual(2, len(self.moves_of(web)))
        # Home again: a second failback has nothing to do.
        status, report = self.zha('failback', LPAR)
        self.assertEqual((0, []), (status, report['steps']))

    def test_failback_after_zha_evacuate_frees_the_standby(self):
        servers = self.boot_on(LPAR, 'guest', count=3)
        self.fail_host(LPAR)
        evac_conf = os.path.join(self.tmp, 'zha-evacuate.conf')
        with open(evac_conf, 'w') as f:
            f.write('[zha_evacuate]\npartners_file = %s\npoll_interval = '
                    '0.05\ncoordination_url = file://%s/locks\nstate_dir = '
                    '%s/state\n' % (self.partners(), self.tmp, self.tmp))
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(0, evacuate_cmd.main(
                ['--config-file', evac_conf, LPAR], conn=self.conn))
        self.assertEqual(['guest-1', 'guest-2', 'guest-3'],
                         self.on_host(STANDBY))
        # Not ready while forced down; nothing is due on the audit either.
        status, report = self.zha('failback', LPAR)
        self.assertEqual(3, status, report)
        self.assertIn('forced down', report['not_ready'][LPAR])
        self.assertEqual([], self.audit()['failback_due'])

        # The LPAR is repaired: nova-compute runs, the operator lifts the
        # fence as failure-scenarios.md says.
        self.computes[LPAR] = self.restart_compute_service(
            self.computes[LPAR])
        self.admin_api.put_service(self.service(LPAR)['id'],
                                   {'forced_down': False})
        self.wait_until_up(LPAR)
        due = self.audit()['failback_due']
        self.assertEqual({(s['id'], STANDBY, LPAR) for s in servers},
                         {(d['instance'], d['host'], d['home'])
                          for d in due})

        status, report = self.zha('failback', LPAR)

        self.assertEqual(0, status, report)
        self.assertEqual(['guest-1', 'guest-2', 'guest-3'],
                         self.on_host(LPAR))
        self.assertEqual({STANDBY: 0}, report['standby_instances'])
        self.assertEqual('enabled', self.service(LPAR)['status'])
        self.assertEqual([], self.audit()['failback_due'])

    def publish(self, host, tree):
        """Run the host agent once; again if Placement was busy.

        The compute's own updates after the moves can race the agent's
        write in the in-process Placement (sqlite), which answers 500
        there instead of a production database's 409.
        """
        for _ in range(3):
            try:
                return self.run_agent(host, tree)
            except sync.SyncError:
                time.sleep(0.5)
        return self.run_agent(host, tree)

    def audit(self):
        from zha_scheduler.cmd.commands import audit

        args = manage._parser().parse_args(
            ['audit', '--config-file', self.conf_file, '--format', 'json'])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            audit.run(args, conn=self.conn)
        return json.loads(out.getvalue())

    def wait_until_up(self, host, timeout=20.0):
        deadline = time.monotonic() + timeout
        while self.service(host)['state'] != 'up':
            self.assertLess(time.monotonic(), deadline, host)
            time.sleep(0.1)
