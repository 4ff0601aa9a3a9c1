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

"""Two zha-evacuate watchers: real Nova, a real redis-server, the faked HMC.

Each controller is a thread of the test process running ``zha-evacuate
watch`` with its own Election and its own state_dir
(``zha_scheduler.sim.recovery.Controller``); they share only Nova and the
coordination server, as two controllers do. A controller killed here stops
as a crashed one does: every heartbeat of its tooz coordinators stops (its
leadership and the host's lock expire on the server, nobody releases them),
and from then on none of its threads reaches Nova. Waits are guards against
a hang, never timing checks.
"""

import collections
import threading
import time

import fixtures

from tests.functional import coordination_server
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import progress
from zha_scheduler.sim import cloud
from zha_scheduler.sim import recovery

# 2 CPCs x (2 LPARs + 1 standby partition).
HOSTS = [cloud.SimHost('cpc%d-%s' % (c, name), 'Z%d' % c, fixture='healthy',
                       standby=name == 'standby')
         for c in (1, 2) for name in ('lpar1', 'lpar2', 'standby')]
PARTNERS = {'cpc1-lpar1': 'cpc2-standby', 'cpc1-lpar2': 'cpc2-standby',
            'cpc2-lpar1': 'cpc1-standby', 'cpc2-lpar2': 'cpc1-standby'}
FAILED = 'cpc1-lpar1'
PARTNER = 'cpc2-standby'
# Defaults otherwise (hmc_poll_interval 2 s, max_parallel 3).
SETTINGS = {'poll_interval': 0.5}
GUARD = 300


class Killed(Exception):
    """Raised in a killed controller's threads when the test ends."""


class _DiesAtRequest:
    """A controller's Nova client that dies at one evacuation request.

    Requests before it reach Nova; that one and every later call of any
    thread of the controller block until the test ends (then raise
    Killed), as if the process had died.
    """

    def __init__(self, real, requests_before_death, on_death):
        self._real = real
        self._left = requests_before_death
        self._on_death = on_death
        self._lock = threading.Lock()
        self.dead = threading.Event()
        self._released = threading.Event()

    def release(self):
        self._released.set()

    def _freeze(self):
        if self.dead.is_set():
            self._released.wait()
            raise Killed('this controller was killed')

    def evacuate(self, instance_id, host):
        with self._lock:
            self._left -= 1
            dies = self._left == -1
            if self._left < 0:
                # Before the heartbeats stop: no other thread's request
                # slips through meanwhile.
                self.dead.set()
        if dies:
            self._on_death()
        self._freeze()
        return self._real.evacuate(instance_id, host)

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self._freeze()
            return attr(*args, **kwargs)
        return call


class WatchHaTest(recovery.RecoveryCloud):

    HOSTS = HOSTS
    PARTNERS = PARTNERS
    HANG_GUARD = GUARD

    def setUp(self):
        super().setUp()
        # The default expiry (lock.EXPIRY): a shorter one could expire a
        # live leader's lock on a loaded machine, which would make two
        # watchers act in turn where one is expected.
        self.url = self.useFixture(coordination_server.RedisServer()).url
        # Which thread made each tooz coordinator: a controller's watcher
        # thread makes its election's and its runs' (the host locks').
        self.coordinators = collections.defaultdict(list)
        real = lock.coordinator

        def recording(url, member):
            made = real(url, member)
            self.coordinators[threading.current_thread().name].append(made)
            return made
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.evacuate.lock.coordinator', recording))
        self.flavor = self._create_flavor(name='small', memory_mb=256,
                                          vcpu=1, disk=1, ephemeral=0)

    def two_controllers(self):
        """controller-a leading, controller-b following."""
        leader = self.controller('controller-a', self.url, **SETTINGS)
        self.assertTrue(leader.led.wait(GUARD), 'controller-a does not lead')
        follower = self.controller('controller-b', self.url, **SETTINGS)
        self.assertTrue(follower.polled.wait(GUARD), 'controller-b idle')
        self.assertFalse(follower.leading)
        return leader, follower

    def kill_at_request(self, controller, requests_before_death):
        """Make a controller die when it asks Nova for one more evacuation.

        :returns: its Nova client, whose ``dead`` event is set at death.
        """
        thread = controller.thread.name

        def die():
            # Every heartbeat of that controller stops: its runs' host
            # locks and its leadership expire as a dead process's do.
            for member in self.coordinators[thread]:
                member.heart.stop()
            controller.crash(timeout=0)
        dying = _DiesAtRequest(controller.hook.nova, requests_before_death,
                               die)
        controller.hook.nova = dying
        # Runs before the controller's own cleanup (added earlier).
        self.addCleanup(dying.release)
        return dying

    def wait_until_done(self, hosts):
        """Wait until the hook marked each host's service done."""
        deadline = time.monotonic() + GUARD
        while True:
            services = {s['host']: s for s in self.admin_api.get_services(
                binary='nova-compute')}
            reasons = {h: services[h]['disabled_reason'] for h in hosts}
            if all((r or '').startswith(progress.REASON_PREFIX + ' done')
                   for r in reasons.values()):
                return services
            self.assertLess(time.monotonic(), deadline, reasons)
            time.sleep(self.POLL_INTERVAL)

    def assert_each_evacuated_once(self, ids):
        per_instance = self.evacuations_per_instance()
        self.assertEqual({i: 1 for i in ids},
                         {i: per_instance.get(i, 0) for i in ids})

    def test_a_leader_killed_mid_run_is_relieved_by_the_other(self):
        ids = [g['id'] for g in self.boot_on(FAILED, 'guest', 10,
                                             self.flavor)]
        leader, follower = self.two_controllers()
        # The leader dies asking for its fifth evacuation: with
        # max_parallel 3, after some of its guests were rebuilt.
        dying = self.kill_at_request(leader, 4)
        self.fail_lpar(FAILED)
        self.assertTrue(dying.dead.wait(GUARD), 'the leader did not die')
        self.wait_until_back(ids, lambda host: host == PARTNER)
        # The follower took the lead once the dead leader's lock expired,
        # and finished the run: every guest was asked for once, by one of
        # the two, and Nova evacuated each once.
        self.assertTrue(follower.led.is_set())
        self.assertEqual(4, len(leader.requested))
        self.assertEqual(6, len(follower.requested))
        self.assertEqual(sorted(ids),
                         sorted(leader.requested + follower.requested))
        self.assert_each_evacuated_once(ids)
        services = self.wait_until_done([FAILED])
        self.assertTrue(services[FAILED]['forced_down'])
        self.assertEqual('not-activated', self.hmc.lpar_status(FAILED))
        # The follower's run fenced again (nothing to do) before any
        # change of its own.
        fenced = [e for e in self.timeline.events(recovery.FENCED)
                  if e.who == follower.name]
        self.assertEqual(['%s: none' % FAILED], [e.detail for e in fenced])
        requested = [e for e in self.timeline.events(recovery.REQUESTED)
                     if e.who == follower.name]
        self.assertLess(fenced[0].at, requested[0].at)

    def test_a_whole_cpc_fails_under_two_watchers(self):
        ids = [g['id'] for g in (
            self.boot_on('cpc1-lpar1', 'a-guest', 4, self.flavor) +
            self.boot_on('cpc1-lpar2', 'b-guest', 4, self.flavor))]
        leader, follower = self.two_controllers()
        self.fail_cpc('Z1')
        self.wait_until_back(ids, lambda host: self.cpc_of(host) == 'Z2')
        failed = [h.name for h in HOSTS if h.cpc == 'Z1']
        services = self.wait_until_done(failed)
        # One watcher acted; each guest was evacuated once.
        self.assertEqual([], follower.requested)
        self.assertEqual(sorted(ids), sorted(leader.requested))
        self.assert_each_evacuated_once(ids)
        self.assertEqual({True}, {services[h]['forced_down']
                                  for h in failed})
        # Nothing to deactivate on a CPC without power.
        self.assertEqual(sorted('%s: none' % h for h in failed), sorted(
            e.detail for e in self.timeline.events(recovery.FENCED)))
        self.assertEqual({leader.name}, {
            e.who for e in self.timeline.events(recovery.FENCED)})
