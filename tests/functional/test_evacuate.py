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

"""zha-evacuate against real Nova services in-process (fencing faked).

HmcFencingTest fences on zhmcclient's faked HMC (zhmcclient.mock), and
HmcDetectionTest runs watch mode with that HMC as first detector.
"""

import contextlib
import io
import json
import os
import threading
import time
from unittest import mock

import fixtures
import zhmcclient
from zhmcclient import mock as zhmc_mock

from tests.unit.evacuate import hmc_http
from zha_scheduler.clients import nova_client
from zha_scheduler.cmd import evacuate as evacuate_cmd
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import factory
from zha_scheduler.evacuate import hook
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import state_files
from zha_scheduler.evacuate import watch
from zha_scheduler.sim import client
from zha_scheduler.sim import cloud

# 2 CPCs x (2 LPARs + 1 standby partition).
HOSTS = [cloud.SimHost('cpc%d-%s' % (c, name), 'Z%d' % c, fixture='healthy',
                       standby=name == 'standby')
         for c in (1, 2) for name in ('lpar1', 'lpar2', 'standby')]
FAILED = 'cpc1-lpar1'
PARTNER = 'cpc2-standby'


class _EvacuateBase(cloud.SimulatedCloud):

    HOSTS = HOSTS
    # Real casts: the evacuate API answers before the rebuild, as in a cloud,
    # so the hook's polling and parallelism are what the tests measure.
    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.partners = os.path.join(self.tmp, 'partners.yaml')
        with open(self.partners, 'w') as f:
            f.write('%s: %s\n' % (FAILED, PARTNER))
        self.conn = client.connection(self)
        self.evacuations = []
        real = nova_client.NovaClient.evacuate

        def spy(client_self, instance_id, host):
            self.evacuations.append(instance_id)
            return real(client_self, instance_id, host)
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.clients.nova_client.NovaClient.evacuate', spy))

    def config_args(self, **overrides):
        opts = {'partners_file': self.partners, 'poll_interval': 0.05,
                'instance_timeout': 30, 'max_parallel': 5,
                'coordination_url': 'file://%s/locks' % self.tmp,
                'state_dir': os.path.join(self.tmp, 'state')}
        opts.update(overrides)
        path = os.path.join(self.tmp, 'zha-evacuate.conf')
        with open(path, 'w') as f:
            f.write('[zha_evacuate]\n')
            f.writelines('%s = %s\n' % kv for kv in opts.items())
        return ['--config-file', path]

    def assert_each_evacuated_once_to_the_partner(self, servers):
        self.assertEqual(sorted(s['id'] for s in servers),
                         sorted(self.evacuations))
        for server in servers:
            server = self.admin_api.get_server(server['id'])
            self.assertEqual((PARTNER, 'ACTIVE'),
                             (self.host_of(server), server['status']))

    def make_hook(self, **overrides):
        args = self.config_args(**overrides) + [FAILED]
        conf = evacuate_cmd._build_conf(args)
        return factory.hook_from_conf(conf, conn=self.conn)

    def service(self, host):
        return self.admin_api.get_services(host=host, binary='nova-compute')[0]


class EvacuateTest(_EvacuateBase):

    def test_restarts_guests_on_the_standby_partner(self):
        group = self.create_group('anti-affinity')
        (member,) = self.boot_on(FAILED, 'member-a', group=group)
        (other,) = self.boot_on('cpc2-lpar1', 'member-b', group=group)
        (vip,) = self.boot_on(FAILED, 'vip', metadata={'zha:priority': '10'})
        (stopped,) = self.boot_on(FAILED, 'stopped')
        self.admin_api.post_server_action(stopped['id'], {'os-stop': None})
        self._wait_for_state_change(stopped, 'SHUTOFF')
        self.fail_host(FAILED)
        out = io.StringIO()
        args = self.config_args() + [FAILED, '--format', 'json']
        with contextlib.redirect_stdout(out):
            status = evacuate_cmd.main(args, conn=self.conn)
        self.assertEqual(0, status, out.getvalue())
        report = json.loads(out.getvalue())
        self.assertEqual(PARTNER, report['plan']['target'])
        self.assertEqual('vip', report['plan']['order'][0]['name'])
        self.assertEqual({'evacuated'},
                         {i['outcome'] for i in report['instances']})
        after = {s['id']: self.admin_api.get_server(s['id'])
                 for s in (member, vip, stopped)}
        self.assertEqual(PARTNER, self.host_of(after[vip['id']]))
        self.assertEqual(PARTNER, self.host_of(after[stopped['id']]))
        # member-b runs on Z2: the group's spreading keeps member-a off the
        # partner (Z2 too); the hook lets the scheduler place it on Z1.
        self.assertEqual('cpc1-lpar2', self.host_of(after[member['id']]))
        self.assertIn('cpc2-standby refused', report['instances'][1]['reason'])
        self.assertEqual('ACTIVE', after[vip['id']]['status'])
        self.assertEqual('ACTIVE', after[member['id']]['status'])
        self.assertEqual('SHUTOFF', after[stopped['id']]['status'])
        # The anti-affinity group is still spread over distinct hosts.
        self.assertEqual({'Z1': 1, 'Z2': 1},
                         dict(self.members_per_cpc(self.group_servers(group))))
        other = self.admin_api.get_server(other['id'])
        self.assertEqual('cpc2-lpar1', self.host_of(other))
        service = self.service(FAILED)
        self.assertEqual('disabled', service['status'])
        self.assertTrue(service['forced_down'])
        self.assertTrue(service['disabled_reason'].startswith(
            progress.REASON_PREFIX + ' done'), service['disabled_reason'])
        # A second run finds nothing left and evacuates nothing twice.
        count = len(self.evacuations)
        self.make_hook().run(FAILED)
        self.assertEqual(count, len(self.evacuations))
        # vip, stopped, member-a refused by the partner then placed.
        self.assertEqual(4, count)

    def test_standby_from_placement_and_what_does_not_fit(self):
        # No partners_file: the ZHA traits in Placement name the standby
        # hosts; the one on the other CPC is chosen. Ten guests already on
        # it leave room (7680 MB usable) for five more m1.tiny.
        self.boot_on(PARTNER, 'load', count=10)
        guests = self.boot_on(FAILED, 'guest', count=7)
        self.fail_host(FAILED)
        report = self.make_hook(partners_file='').run(FAILED)
        self.assertEqual(PARTNER, report.plan['target'])
        self.assertEqual('standby host in another failure domain',
                         report.plan['target_reason'])
        self.assertEqual({'MEMORY_MB': 1024}, report.plan['shortfall'])
        self.assertIn('does not fit on the target, missing: MEMORY_MB 1024',
                      report.to_table())
        self.assertEqual([], report.failed)
        hosts = sorted(self.host_of(self.admin_api.get_server(g['id']))
                       for g in guests)
        self.assertEqual([PARTNER] * 5, hosts[-5:])
        self.assertNotIn(PARTNER, hosts[:2])

    def test_watch_mode_evacuates_a_host_that_stays_down(self):
        (guest,) = self.boot_on(FAILED, 'guest')
        watcher = watch.Watcher(self.make_hook(), grace_period=0,
                                poll_interval=0.05)
        self.assertEqual([], watcher.run_once())
        self.fail_host(FAILED)
        self.assertEqual([FAILED], watcher.run_once())
        guest = self.admin_api.get_server(guest['id'])
        self.assertEqual(PARTNER, self.host_of(guest))
        # Done: the next polls leave the host alone.
        self.assertEqual([], watcher.run_once())
        self.assertEqual([guest['id']], self.evacuations)

    def test_refuses_a_host_whose_service_is_up(self):
        (server,) = self.boot_on(FAILED, 'alive')
        self.assertRaisesRegex(hook.HookRefused,
                               'is up and the host was not fenced',
                               self.make_hook().run, FAILED)
        self.assertEqual([], self.evacuations)
        self.assertEqual('enabled', self.service(FAILED)['status'])
        self.assertEqual(3, evacuate_cmd.main(self.config_args() + [FAILED],
                                              conn=self.conn))

    def test_a_concurrent_run_does_nothing(self):
        self.boot_on(FAILED, 'guest')
        self.fail_host(FAILED)
        evacuation = self.make_hook()
        with lock.host_lock(evacuation.coordination_url, FAILED):
            self.assertRaises(lock.LockBusy, evacuation.run, FAILED)
        self.assertEqual([], self.evacuations)
        self.assertEqual('enabled', self.service(FAILED)['status'])

    def test_a_run_killed_half_way_is_finished_by_the_next(self):
        servers = self.boot_on(FAILED, 'guest', count=4)
        self.fail_host(FAILED)
        real = nova_client.NovaClient.evacuate
        calls = []

        def dies_after_first(client_self, instance_id, host):
            calls.append(instance_id)
            if len(calls) > 1:
                raise RuntimeError('killed')
            real(client_self, instance_id, host)
            raise RuntimeError('killed right after the request')
        with mock.patch.object(nova_client.NovaClient, 'evacuate',
                               dies_after_first):
            self.assertRaises(RuntimeError,
                              self.make_hook(max_parallel=1).run, FAILED)
        self.assertEqual(1, len(self.evacuations))
        self.assertIn('in progress', self.service(FAILED)['disabled_reason'])
        report = self.make_hook().run(FAILED)
        self.assertEqual([], report.failed)
        # Every instance evacuated exactly once over both runs.
        self.assert_each_evacuated_once_to_the_partner(servers)

    def test_the_brake_holds_when_most_hosts_are_down(self):
        self.boot_on(FAILED, 'guest')
        for host in ('cpc1-lpar1', 'cpc1-lpar2', 'cpc2-lpar1', 'cpc2-lpar2'):
            self.fail_host(host)
        self.assertRaisesRegex(brake.BrakeEngaged, '4 of 6',
                               self.make_hook().run, FAILED)
        self.assertEqual([], self.evacuations)
        self.assertEqual('enabled', self.service(FAILED)['status'])

    def test_recovery_time_of_twenty_guests(self):
        # Correctness only: tools/benchmark_recovery.py measures the time.
        flavor = self._create_flavor(name='small', memory_mb=256, vcpu=1,
                                     disk=1, ephemeral=0)
        servers = self.boot_on(FAILED, 'guest', count=20, flavor_id=flavor)
        self.fail_host(FAILED)
        # A slow rebuild on a loaded machine is not a failure here.
        report = self.make_hook(max_parallel=5, poll_interval=0.2,
                                instance_timeout=300).run(FAILED)
        self.assertEqual([], report.failed)
        self.assertEqual(20, len(report.instances))
        # The hook returns once it saw every guest rebuilt; Nova's list
        # agrees at once, or soon (a guard against a hang, not a timing
        # check).
        ids = {s['id'] for s in servers}
        deadline = time.monotonic() + 300
        while True:
            states = {s['id']: (self.host_of(s), s['status'])
                      for s in self.admin_api.get_servers() if s['id'] in ids}
            if set(states.values()) == {(PARTNER, 'ACTIVE')}:
                break
            self.assertLess(time.monotonic(), deadline, states)
            time.sleep(self.POLL_INTERVAL)
        self.assert_each_evacuated_once_to_the_partner(servers)

    def test_a_corrupt_state_file_is_set_aside_and_the_run_finishes(self):
        servers = self.boot_on(FAILED, 'guest', count=3)
        self.fail_host(FAILED)
        real = nova_client.NovaClient.evacuate

        def requested_then_killed(client_self, instance_id, host):
            real(client_self, instance_id, host)  # setUp's spy counts it
            raise RuntimeError('killed right after the request')
        with mock.patch.object(nova_client.NovaClient, 'evacuate',
                               requested_then_killed):
            self.assertRaises(RuntimeError,
                              self.make_hook(max_parallel=1).run, FAILED)
        self.assertEqual(3, len(self.evacuations))
        # Then the state file is lost to garbage (a full disk, an editor).
        # The next run lists the guests while Nova finishes the rebuilds,
        # some with their task state cleared but still on the failed host.
        state_dir = os.path.join(self.tmp, 'state')
        state_file = state_files.state_path(state_dir, FAILED)
        with open(state_file, 'wb') as f:
            f.write(b'{"instances": {"\xff')
        report = self.make_hook().run(FAILED)
        self.assertEqual([], report.failed)
        # Nova's list is the truth: every guest evacuated exactly once.
        self.assert_each_evacuated_once_to_the_partner(servers)
        (aside,) = [n for n in os.listdir(state_dir) if '.corrupt-' in n]
        self.assertTrue(aside.startswith(os.path.basename(state_file)))
        # The new state file is sound and says where the old one went.
        store = progress.ProgressStore(state_dir, FAILED)
        self.assertIsNone(store.moved_to)
        self.assertEqual(os.path.join(state_dir, aside),
                         store.data['runs'][-1]['corrupt_state_moved_to'])

    def test_configuration_errors_exit_2_before_anything_is_done(self):
        self.boot_on(FAILED, 'guest')
        self.fail_host(FAILED)
        a_file = os.path.join(self.tmp, 'a-file')
        with open(a_file, 'w'):
            pass
        for overrides, why in (
                ({'coordination_url': 'zookeper://zk:2181'},
                 "[zha_evacuate] coordination_url = zookeper://zk:2181: "
                 "'zookeper' is not a tooz driver; known drivers: "),
                ({'state_dir': a_file},
                 '[zha_evacuate] state_dir: %s is not a directory' % a_file)):
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                status = evacuate_cmd.main(
                    self.config_args(**overrides) + [FAILED], conn=self.conn)
            self.assertEqual(2, status, err.getvalue())
            self.assertEqual(1, len(err.getvalue().splitlines()))
            self.assertIn(why, err.getvalue())
        self.assertEqual([], self.evacuations)
        self.assertEqual('enabled', self.service(FAILED)['status'])


class _HmcBase(_EvacuateBase):
    """fencing = hmc: the real HmcFencer on a faked classic-mode HMC."""

    def setUp(self):
        super().setUp()
        # One classic-mode CPC per simulated CPC, one operating LPAR per host.
        self.session = zhmc_mock.FakedSession('hmc.example.com', 'HMC1',
                                              '2.16', '4.10')
        self.lpars = {}
        for name in ('Z1', 'Z2'):
            cpc = self.session.hmc.cpcs.add({'name': name,
                                             'dpm-enabled': False})
            for host in (h for h in HOSTS if h.cpc == name):
                # Explicit object IDs: the faked HMC numbers LPARs per CPC,
                # and two CPCs would share the URIs.
                self.lpars[host.name] = cpc.lpars.add(
                    {'object-id': host.name, 'name': self.lpar_name(host.name),
                     'status': 'operating'})
        self.lpars_file = os.path.join(self.tmp, 'lpars.yaml')
        with open(self.lpars_file, 'w') as f:
            f.writelines('%s: {cpc: %s, lpar: %s}\n'
                         % (h.name, h.cpc, self.lpar_name(h.name))
                         for h in HOSTS)
        # What the hook had done when it opened the HMC session.
        self.at_fencing = []

        def open_session(*args, **kwargs):
            self.at_fencing.append((list(self.evacuations),
                                    self.service(FAILED)['status']))
            return self.session
        self.session_factory = open_session

    @staticmethod
    def lpar_name(host):
        return host.replace('-', '').upper()

    def hmc_args(self, **overrides):
        return self.config_args(fencing='hmc', hmc_host='hmc.example.com',
                                hmc_userid='fencer', hmc_password='s3cret',
                                lpars_file=self.lpars_file, **overrides)

    def lpar_status(self, host):
        return self.lpars[host].properties['status']


class HmcFencingTest(_HmcBase):
    """zha-evacuate HOST fences through the HMC before evacuating."""

    def test_fences_the_lpar_before_evacuating(self):
        (guest,) = self.boot_on(FAILED, 'guest')
        (stopped,) = self.boot_on(FAILED, 'stopped')
        self.admin_api.post_server_action(stopped['id'], {'os-stop': None})
        self._wait_for_state_change(stopped, 'SHUTOFF')
        self.fail_host(FAILED)
        conf = evacuate_cmd._build_conf(self.hmc_args() + [FAILED])
        evacuation = factory.hook_from_conf(
            conf, conn=self.conn, session_factory=self.session_factory)
        report = evacuation.run(FAILED)
        # The HMC was called once, before any evacuation and before the
        # hook disabled the service.
        self.assertEqual([([], 'enabled')], self.at_fencing)
        self.assertEqual('not-activated', self.lpar_status(FAILED))
        self.assertEqual({'operating'}, {self.lpar_status(h.name)
                                         for h in HOSTS if h.name != FAILED})
        fenced = {k: v for k, v in report.fenced.items() if k != 'seconds'}
        self.assertEqual({'host': FAILED, 'cpc': 'Z1', 'lpar': 'CPC1LPAR1',
                          'mode': 'classic', 'action': 'deactivate',
                          'status_before': 'operating',
                          'status_after': 'not-activated'},
                         fenced)
        self.assertIn('(fenced)', report.to_table().splitlines()[0])
        self.assertEqual([], report.failed)
        guest = self.admin_api.get_server(guest['id'])
        stopped = self.admin_api.get_server(stopped['id'])
        self.assertEqual((PARTNER, 'ACTIVE'),
                         (self.host_of(guest), guest['status']))
        self.assertEqual((PARTNER, 'SHUTOFF'),
                         (self.host_of(stopped), stopped['status']))
        self.assertEqual('disabled', self.service(FAILED)['status'])

    def test_an_unreadable_state_file_stops_the_run_before_fencing(self):
        self.boot_on(FAILED, 'guest')
        self.fail_host(FAILED)
        state_file = state_files.state_path(os.path.join(self.tmp, 'state'),
                                         FAILED)
        os.makedirs(state_file)  # a directory where the file should be
        err = io.StringIO()
        with (mock.patch.object(zhmcclient, 'Session', self.session_factory),
              contextlib.redirect_stderr(err)):
            status = evacuate_cmd.main(self.hmc_args() + [FAILED],
                                       conn=self.conn)
        self.assertEqual(evacuate_cmd.EXIT_FAILED, status)
        self.assertIn('cannot read state file %s' % state_file,
                      err.getvalue())
        self.assertEqual([], self.at_fencing)
        self.assertEqual('operating', self.lpar_status(FAILED))
        self.assertEqual([], self.evacuations)
        self.assertEqual('enabled', self.service(FAILED)['status'])

    def test_stops_when_fencing_fails(self):
        (guest,) = self.boot_on(FAILED, 'guest')
        self.fail_host(FAILED)
        # The LPAR is gone from the faked CPC: the HMC answers 404.
        self.lpars[FAILED].manager.remove(self.lpars[FAILED].oid)
        err = io.StringIO()
        out = io.StringIO()
        with (mock.patch.object(zhmcclient, 'Session', self.session_factory),
              contextlib.redirect_stderr(err),
              contextlib.redirect_stdout(out)):
            status = evacuate_cmd.main(self.hmc_args() + [FAILED],
                                       conn=self.conn)
        self.assertEqual(evacuate_cmd.EXIT_FAILED, status, out.getvalue())
        self.assertIn('zha-evacuate: failed: cannot fence host %s' % FAILED,
                      err.getvalue())
        self.assertEqual('', out.getvalue())
        self.assertEqual(1, len(self.at_fencing))
        self.assertEqual([], self.evacuations)
        guest = self.admin_api.get_server(guest['id'])
        self.assertEqual(FAILED, self.host_of(guest))
        service = self.service(FAILED)
        self.assertEqual('enabled', service['status'])
        self.assertIsNone(service['disabled_reason'])


class HmcDetectionTest(_HmcBase):
    """Watch mode with the faked HMC as first detector, real Nova services."""

    # The watcher's status reader is a real zhmcclient.Session talking HTTP
    # to the faked HMC (tests/unit/evacuate/hmc_http.py); the fencer keeps
    # its FakedSession on the same HMC.

    def setUp(self):
        super().setUp()
        self.adapter = hmc_http.FakedHmcAdapter(self.session,
                                                userid='fencer')
        self.useFixture(hmc_http.RealSessions(self.adapter))
        # When the HMC deactivates an LPAR, its nova-compute dies with it.
        real = zhmcclient.Lpar.deactivate
        self.fenced_at = []

        def deactivate(lpar, *args, **kwargs):
            result = real(lpar, *args, **kwargs)
            self.fenced_at.append(time.monotonic())
            host = next(h for h, faked in self.lpars.items()
                        if faked.name == lpar.name)
            self.computes[host].stop()
            return result
        self.useFixture(fixtures.MonkeyPatch('zhmcclient.Lpar.deactivate',
                                             deactivate))
        self.runs = []

    def watcher(self, **overrides):
        conf = evacuate_cmd._build_conf(self.hmc_args(**overrides) +
                                        ['watch'])
        evacuation = factory.hook_from_conf(
            conf, conn=self.conn, session_factory=self.session_factory)
        real = evacuation.recover

        def recover(failures, **kwargs):
            # Watch mode recovers every host due at once in one call.
            self.runs.extend((host, confirmed, time.monotonic())
                             for host, confirmed in failures.items())
            return real(failures, **kwargs)
        evacuation.recover = recover
        watcher = factory.watcher_from_conf(conf, evacuation)
        # run_forever leaves the election; run_once alone does not.
        self.addCleanup(watcher.election.stop)
        return watcher

    def test_an_lpar_failed_on_the_hmc_is_evacuated_while_nova_says_up(self):
        flavor = self._create_flavor(name='small', memory_mb=256, vcpu=1,
                                     disk=1, ephemeral=0)
        servers = self.boot_on(FAILED, 'guest', count=10, flavor_id=flavor)
        ids = {s['id'] for s in servers}
        # Default HMC poll interval; Nova's heartbeat path an hour away.
        watcher = self.watcher(grace_period=3600, poll_interval=0.2)
        self.assertEqual(2.0, watcher.hmc_poll_interval)
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run_forever, args=(stop,))
        thread.start()
        self.addCleanup(thread.join, 60)
        self.addCleanup(stop.set)
        self.assertEqual('up', self.service(FAILED)['state'])
        failed_at = time.monotonic()
        self.lpars[FAILED].properties['status'] = 'not-operating'
        deadline = failed_at + 300  # against a hang, not a timing check
        while True:
            states = {s['id']: (self.host_of(s), s['status'])
                      for s in self.admin_api.get_servers() if s['id'] in ids}
            if set(states.values()) == {(PARTNER, 'ACTIVE')}:
                break
            self.assertLess(time.monotonic(), deadline, states)
            time.sleep(0.05)
        active_at = time.monotonic()
        stop.set()
        thread.join(60)
        self.assertFalse(thread.is_alive())
        # Run once, as an HMC-confirmed failure, with Nova's service up: the
        # LPAR was fenced before the service was touched or anything moved.
        self.assertEqual([(FAILED, True)], [r[:2] for r in self.runs])
        self.assertEqual([([], 'enabled')], self.at_fencing)
        self.assertEqual('not-activated', self.lpar_status(FAILED))
        self.assertEqual({'operating'}, {self.lpar_status(h.name)
                                         for h in HOSTS if h.name != FAILED})
        service = self.service(FAILED)
        self.assertEqual(('disabled', True), (service['status'],
                                              service['forced_down']))
        self.assertTrue(service['disabled_reason'].startswith(
            progress.REASON_PREFIX + ' done'), service['disabled_reason'])
        self.assert_each_evacuated_once_to_the_partner(servers)
        # One session for every poll: one logon, logged off at the end.
        self.assertEqual(1, self.adapter.count('POST', '/api/sessions'))
        self.assertEqual(1, self.adapter.count('DELETE'))
        print('\nHMC DETECTION: LPAR set not-operating -> run started '
              '%.2f s, LPAR fenced %.2f s, 10 guests ACTIVE on %s %.2f s '
              '(hmc_poll_interval 2 s, poll_interval 0.2 s, max_parallel 5, '
              '%d HMC GETs)' % (
                  self.runs[0][2] - failed_at, self.fenced_at[0] - failed_at,
                  PARTNER, active_at - failed_at,
                  self.adapter.count('GET')))

    def test_a_heartbeat_only_failure_is_still_fenced_first(self):
        (guest,) = self.boot_on(FAILED, 'guest')
        watcher = self.watcher(grace_period=0)
        # The hypervisor hangs: Nova loses it, its LPAR keeps operating.
        self.fail_host(FAILED)
        self.computes[FAILED].stop = lambda: None  # already stopped
        for _ in range(2):
            self.assertEqual({}, watcher.poll_hmc())
        self.assertEqual([FAILED], watcher.run_once())
        self.assertEqual([(FAILED, False)], [r[:2] for r in self.runs])
        self.assertEqual([([], 'enabled')], self.at_fencing)
        self.assertEqual('not-activated', self.lpar_status(FAILED))
        self.assert_each_evacuated_once_to_the_partner([guest])
        # Fenced now, and done: the HMC's "not-activated" starts nothing.
        watcher.poll_hmc()
        watcher.poll_hmc()
        self.assertEqual([], watcher.run_once())
        self.assertEqual(1, len(self.runs))

    def test_a_whole_cpc_fails_and_its_standby_is_not_overbooked(self):
        # cpc2-standby, partner of both LPARs of Z1, has room for 4 of the
        # 6 guests of 1 GB: a load of 3.5 GB leaves 4 GB of its 7.5 GB.
        self.boot_on(PARTNER, 'load', flavor_id=self.load_flavor(7))
        flavor = self._create_flavor(name='gb', memory_mb=1024, vcpu=1,
                                     disk=1, ephemeral=0)
        with open(self.partners, 'w') as f:
            f.write('cpc1-lpar1: %s\ncpc1-lpar2: %s\n' % (PARTNER, PARTNER))
        priorities = {'cpc1-lpar1': (9, 5, 1), 'cpc1-lpar2': (8, 2, 0)}
        guests = {}
        for host, prios in priorities.items():
            for prio in prios:
                (guests[prio],) = self.boot_on(
                    host, 'p%d' % prio, flavor_id=flavor,
                    metadata={'zha:priority': str(prio)})
        watcher = self.watcher(grace_period=3600)
        # The CPC loses power: every LPAR on it stops, the standby too.
        cpc = next(c for c in self.session.hmc.cpcs.list()
                   if c.properties['name'] == 'Z1')
        cpc.properties['status'] = 'no-power'
        lost = sorted(h.name for h in HOSTS if h.cpc == 'Z1')
        for host in lost:
            self.computes[host].stop()
        watcher.poll_hmc()
        self.assertEqual(lost, sorted(watcher.poll_hmc()))
        self.assertEqual(lost, watcher.run_once())
        # One recovery of the three hosts, confirmed by the HMC.
        self.assertEqual([(h, True) for h in lost],
                         [r[:2] for r in self.runs])
        after = {prio: self.admin_api.get_server(g['id'])
                 for prio, g in guests.items()}
        self.assertEqual({'ACTIVE'}, {s['status'] for s in after.values()})
        # The four most important guests of the CPC, from both LPARs, on
        # the standby; the other two where the scheduler found room.
        self.assertEqual([9, 8, 5, 2], sorted(
            (p for p, s in after.items() if self.host_of(s) == PARTNER),
            reverse=True))
        self.assertLessEqual({self.host_of(after[p]) for p in (1, 0)},
                             {'cpc2-lpar1', 'cpc2-lpar2'})
        # Each evacuated once; none refused for want of room.
        self.assertEqual(sorted(g['id'] for g in guests.values()),
                         sorted(self.evacuations))
        migrations = [m for m in self.admin_api.get_migrations()
                      if m['migration_type'] == 'evacuation']
        self.assertEqual(['done'] * 6, [m['status'] for m in migrations])
        uuid = self.provider_uuid(PARTNER)
        inventory = self._get_provider_inventory(uuid)['MEMORY_MB']
        capacity = ((inventory['total'] - inventory['reserved']) *
                    inventory['allocation_ratio'])
        self.assertEqual(capacity,
                         self._get_provider_usages(uuid)['MEMORY_MB'])
