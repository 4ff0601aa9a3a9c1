#!/usr/bin/env python3
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

"""Recovery benchmark: an LPAR, then a whole CPC, fails under two watchers.

Each scenario starts a simulated IBM Z cloud (zha_scheduler.sim: real Nova
services in-process, fake virt driver, real Placement) of 2 CPCs, each with
2 LPARs and a standby partition, zhmcclient's faked HMC holding them, and a
redis-server of its own (tests/functional/coordination_server.py). Two
controllers run ``zha-evacuate watch`` (threads of this process, each with
its own Election on that server, ``fencing = hmc``, every other option at
its default: ``hmc_poll_interval`` 2 s, ``poll_interval`` 2 s,
``max_parallel`` 3). The leader crashes just before the failure: its
heartbeat stops right after it renewed its lock (the worst case: the lock
then lives its full ``lock.EXPIRY``) and its watcher stops without leaving
the election, so the follower must wait for the lock to expire. Then:

(a) ``cpc1-lpar1`` with 20 guests fails: its LPAR goes ``not-operating``
    on the HMC and its nova-compute stops; measured until all 20 are
    ACTIVE on its partner ``cpc2-standby``;
(b) CPC ``Z1`` (``cpc1-lpar1`` and ``cpc1-lpar2``, 10 guests each, and
    ``cpc1-standby``) loses power on the HMC and its nova-computes stop;
    measured until all 20 are ACTIVE on CPC ``Z2``.

It prints figures, not pass/fail: each timeline in seconds from the
failure, where the time goes, and beside it today's heartbeat path (Nova's
``service_down_time`` + ``grace_period`` + the evacuation measured here)
and Masakari's fixed wait. A broken set-up (no redis-server, a scenario
that fails) stops it with an error. Usage::

    .venv/bin/python tools/benchmark_recovery.py [--only {lpar,cpc}]
        [--set OPTION=VALUE ...] [--log-file FILE]

``--set`` overrides a ``[zha_evacuate]`` option (e.g. ``max_parallel=10``)
to see where the time would go; the header says which are not defaults.
"""

import argparse
from collections.abc import Sequence
import dataclasses
import os
import platform
import subprocess
import sys
from typing import Any
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from nova import utils as nova_utils  # noqa: E402

from tests.functional import coordination_server  # noqa: E402
from zha_scheduler.conf import evacuate as evacuate_conf  # noqa: E402
from zha_scheduler.evacuate import lock  # noqa: E402
from zha_scheduler.evacuate import watch  # noqa: E402
from zha_scheduler.sim import chatter  # noqa: E402
from zha_scheduler.sim import cloud  # noqa: E402
from zha_scheduler.sim import recovery  # noqa: E402

# Nova pulls in eventlet through futurist, which warns on import.
warnings.filterwarnings('ignore', module='futurist')
warnings.filterwarnings('ignore', category=DeprecationWarning)

# 2 CPCs x (2 LPARs + 1 standby partition); each LPAR's partner is the
# standby of the other CPC, which survives the loss of the LPAR's CPC.
HOSTS = [cloud.SimHost('cpc%d-%s' % (c, name), 'Z%d' % c, fixture='healthy',
                       standby=name == 'standby')
         for c in (1, 2) for name in ('lpar1', 'lpar2', 'standby')]
PARTNERS = {'cpc1-lpar1': 'cpc2-standby', 'cpc1-lpar2': 'cpc2-standby',
            'cpc2-lpar1': 'cpc1-standby', 'cpc2-lpar2': 'cpc1-standby'}
GUESTS = 20
TARGET = 20.0
# Nova's [DEFAULT] service_down_time: a service is down once its last
# heartbeat (every report_interval, 10 s) is this old.
NOVA_SERVICE_DOWN_TIME = 60
# Masakari's recovery engine sleeps this long after disabling the failed
# host's service before its first evacuation (../shared/reference/
# anchors.md, "Instance HA / recovery").
MASAKARI_WAIT = 180
ANCHORS = '../shared/reference/anchors.md'


class SetupError(Exception):
    """The benchmark cannot run here; the message says why."""


@dataclasses.dataclass
class Measured:
    """One scenario's timeline and what it says."""

    key: str
    title: str
    failed: str
    where: str
    steps: list[recovery.Step] = dataclasses.field(default_factory=list)
    #: Seconds from the failure to: the follower's first detection
    #: ('detected'), its lead ('leads'), the first fencing ('fenced') and
    #: forcing down ('forced down'), the first and last evacuation request
    #: ('first', 'last'), all guests ACTIVE ('active'); and from the
    #: leader's crash to the follower's lead ('takeover').
    at: dict[str, float] = dataclasses.field(default_factory=dict)
    #: Evacuations per guest, from Nova's migration records: {times: guests}.
    evacuations: dict[int, int] = dataclasses.field(default_factory=dict)
    guests_on: dict[str, int] = dataclasses.field(default_factory=dict)
    #: CPU seconds this process used from the first evacuation request to
    #: all ACTIVE.
    cpu: float = 0.0
    error: str | None = None


class _Scenario(recovery.RecoveryCloud):
    """One scenario; run programmatically, not collected as a test."""

    HOSTS = HOSTS
    PARTNERS = PARTNERS
    #: Set by run() before the case runs.
    RESULT: Measured
    OVERRIDES: dict[str, str]

    def runTest(self) -> None:
        result = self.RESULT
        server = self.useFixture(coordination_server.RedisServer())
        flavor = self._create_flavor(name='small', memory_mb=256, vcpu=1,
                                     disk=1, ephemeral=0)
        if result.key == 'lpar':
            guests = self.boot_on('cpc1-lpar1', 'guest', GUESTS, flavor)
        else:
            half = GUESTS // 2
            guests = (self.boot_on('cpc1-lpar1', 'a-guest', half, flavor) +
                      self.boot_on('cpc1-lpar2', 'b-guest', half, flavor))
        leader = self.controller('controller-a', server.url,
                                 **self.OVERRIDES)
        self.assertTrue(leader.led.wait(60), 'controller-a does not lead')
        follower = self.controller('controller-b', server.url,
                                   **self.OVERRIDES)
        self.assertTrue(follower.polled.wait(60), 'controller-b not polling')
        self.assertFalse(follower.leading, 'two leaders')
        # The worst moment to die: right after renewing the lock.
        self.assertTrue(leader.wait_for_heartbeat(), 'no heartbeat')
        leader.crash()
        if result.key == 'lpar':
            self.fail_lpar('cpc1-lpar1')
            failed = {'cpc1-lpar1'}
        else:
            self.fail_cpc('Z1')
            failed = {h.name for h in self.HOSTS if h.cpc == 'Z1'}
        servers = self.wait_until_back(
            [g['id'] for g in guests],
            (lambda host: host == 'cpc2-standby') if result.key == 'lpar'
            else (lambda host: host not in failed), interval=0.1)
        self.record(result, follower, servers)

    def record(self, result: Measured, follower: recovery.Controller,
               servers: list[dict]) -> None:
        timeline = self.timeline
        result.steps = recovery.steps(timeline)
        zero = timeline.first(recovery.FAILED)
        assert zero is not None

        def after(what: str) -> list[recovery.Event]:
            return [e for e in timeline.events(what) if e.at >= zero.at]
        for key, what, who in (
                ('detected', recovery.DETECTED, follower.name),
                ('leads', recovery.LEADS, follower.name),
                ('fenced', recovery.FENCED, None),
                ('forced down', recovery.FORCED_DOWN, None),
                ('first', recovery.REQUESTED, None),
                ('active', recovery.ACTIVE, None)):
            found = [e for e in after(what) if who in (None, e.who)]
            if found:
                result.at[key] = found[0].at - zero.at
        requests = after(recovery.REQUESTED)
        if requests:
            result.at['last'] = requests[-1].at - zero.at
            active = timeline.last(recovery.ACTIVE)
            if active is not None:
                result.cpu = active.cpu - requests[0].cpu
        crashed = timeline.last(recovery.CRASHED)
        if crashed is not None and 'leads' in result.at:
            result.at['takeover'] = result.at['leads'] + zero.at - crashed.at
        counts = self.evacuations_per_instance()
        for server in servers:
            times = counts.get(server['id'], 0)
            result.evacuations[times] = result.evacuations.get(times, 0) + 1
            host = self.host_of(server)
            result.guests_on[host] = result.guests_on.get(host, 0) + 1


def run(key: str, title: str, failed: str, where: str,
        overrides: dict[str, str]) -> Measured:
    """Run one scenario in its own simulated cloud."""
    result = Measured(key, title, failed, where)
    case = type('Recovery_' + key, (_Scenario,), {
        'RESULT': result, 'OVERRIDES': overrides})
    outcome = unittest.TestResult()
    case().run(outcome)
    problems = outcome.errors + outcome.failures
    if problems:
        result.error = problems[0][1].strip().splitlines()[-1]
    elif outcome.skipped:
        result.error = outcome.skipped[0][1]
    return result


def settings(overrides: dict[str, str]) -> dict[str, Any]:
    """The [zha_evacuate] values that bound the recovery, as used."""
    defaults = {opt.name: opt.default for opt in evacuate_conf.evacuate_opts}
    names = ('hmc_poll_interval', 'poll_interval', 'max_parallel',
             'grace_period', 'instance_timeout')
    return {name: overrides.get(name, defaults[name]) for name in names}


def redis_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, '--version'], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise SetupError('cannot run %s: %s' % (binary, exc)) from None
    found = [w for w in out.split() if w.startswith('v=')]
    return found[0][2:] if found else out.strip()


def header(overrides: dict[str, str], binary: str) -> list[str]:
    used = settings(overrides)
    load = os.getloadavg()
    return [
        'Recovery benchmark: real Nova services in-process (fake virt '
        'driver),',
        "zhmcclient's faked HMC, redis-server %s. Two controllers run "
        'zha-evacuate' % redis_version(binary),
        'watch (fencing = hmc), each with its own Election on that server; '
        'the leader',
        'crashes just before the failure, right after renewing its lock '
        '(the worst',
        'case: the lock then lives its full %d s).' % lock.EXPIRY,
        'Settings (%s):' % ('not defaults: %s' % ', '.join(sorted(overrides))
                            if overrides else 'all defaults'),
        '  %s.' % ', '.join('%s %s' % kv for kv in used.items()),
        'Machine: %s, %d CPUs, load average %.1f %.1f %.1f, Python %s.' % (
            platform.machine(), os.cpu_count() or 0, *load,
            platform.python_version()),
    ]


def report(result: Measured, overrides: dict[str, str]) -> list[str]:
    lines = ['', result.title, '-' * len(result.title)]
    if result.error:
        return lines + ['FAILED: %s' % result.error]
    lines.append('Timeline, in seconds from the failure:')
    width = max(len(step.what) for step in result.steps)
    lines += [('%7.1f  %s  %s' % (step.seconds, step.what.ljust(width),
                                  step.detail)).rstrip()
              for step in result.steps]
    used = settings(overrides)
    at = result.at
    total = at.get('active', 0.0)
    verdict = ('under the %.0f s target' % TARGET if total < TARGET else
               'over the %.0f s target by %.1f s' % (TARGET, total - TARGET))
    lines += ['', 'All %d guests ACTIVE %s %.1f s after the failure (%s).'
              % (sum(result.guests_on.values()), result.where, total,
                 verdict)]
    lines.append("Guests on: %s; evacuations per guest (Nova's migration "
                 "records): %s." % (
                     ', '.join('%s %d' % kv
                               for kv in sorted(result.guests_on.items())),
                     ', '.join('%dx: %d' % kv
                               for kv in sorted(result.evacuations.items()))))
    lines += ['', 'Where the time goes (seconds):'] + where_it_goes(at, used)
    mode = ('native threads' if nova_utils.concurrency_mode_threading()
            else 'eventlet: one OS thread')
    evacuating = at.get('active', 0.0) - at.get('first', 0.0)
    lines += [
        'CPU: from the first request to all ACTIVE this process (all Nova '
        'services,',
        'Placement, the watchers; Nova in %s) used %.1f s of CPU' % (
            mode, result.cpu),
        'in %.1f s: %.0f%% of one core, the most one Python process gets. '
        'The' % (evacuating, 100.0 * result.cpu / evacuating
                 if evacuating > 0 else 0.0),
        'evacuations queue for it here; a cloud runs the services on '
        'machines of',
        'their own.']
    waited = at.get('leads', 0.0) - at.get('detected', 0.0)
    if waited > 0:
        lines.append('With a live leader, acting at detection, all would be '
                     'ACTIVE after about %.1f s' % (total - waited))
        lines.append('(an estimate: this total less the %.1f s waited for '
                     'the dead leader\'s lock).' % waited)
    # What the recovery would cost if Nova's heartbeat had to reveal the
    # failure: from the moment the watcher can act to all ACTIVE.
    acting = max(at.get('detected', 0.0), at.get('leads', 0.0))
    evacuation = total - acting
    grace = int(used['grace_period'])
    lines += [
        '', 'Beside it:',
        "  today's heartbeat path: Nova's service_down_time %d s + "
        'grace_period %d s' % (NOVA_SERVICE_DOWN_TIME, grace),
        '    + this evacuation (%.1f s, from acting to all ACTIVE) = '
        '%.1f s' % (evacuation, NOVA_SERVICE_DOWN_TIME + grace + evacuation),
        '  Masakari, default settings: at least %d s of fixed waiting: it '
        'disables the' % MASAKARI_WAIT,
        '    service, sleeps %d s, then evacuates 3 at a time; its '
        "monitors' detection and" % MASAKARI_WAIT,
        '    the evacuations come on top (%s)' % ANCHORS]
    return lines


def where_it_goes(at: dict[str, float], used: dict[str, Any]) -> list[str]:
    """The intervals from the failure to all ACTIVE, with what bounds each.

    Detection and the takeover run at once; the steps after the later of
    the two add up to the total.
    """
    def gap(start: str | float, end: str) -> str:
        begin = at.get(start) if isinstance(start, str) else start
        if begin is None or end not in at:
            return '    -'
        return '%5.1f' % (at[end] - begin)
    acting = max(at.get('detected', 0.0), at.get('leads', 0.0))
    return [
        '%s  detection: the HMC must report the failure in 2 reads, '
        'hmc_poll_interval' % gap(0.0, 'detected'),
        '       (%s s) apart' % used['hmc_poll_interval'],
        '%s  takeover, in parallel (%.1f s after the crash): the dead '
        "leader's lock" % (gap(0.0, 'leads'), at.get('takeover', 0.0)),
        '       expires %d s (lock.EXPIRY) after its last renewal; the '
        'follower, which' % lock.EXPIRY,
        '       sees hosts due, asks for it every %s s '
        '(watch.TAKEOVER_INTERVAL)' % watch.TAKEOVER_INTERVAL,
        '%s  from acting (the later of the two) to the service forced '
        'down: the run\'s' % gap(acting, 'forced down'),
        '       checks and plan, fencing on the HMC (done at +%s), the '
        'service update' % gap(acting, 'fenced').strip(),
        '%s  to the first evacuation request: the instances listed and '
        'planned again' % gap('forced down', 'first'),
        '%s  from the first request to the last: max_parallel %s at a '
        'time; a slot' % (gap('first', 'last'), used['max_parallel']),
        '       frees when the hook\'s poll (every poll_interval, %s s) '
        'sees its guest' % used['poll_interval'],
        '       rebuilt, so each wave lasts about one poll_interval or more',
        '%s  from the last request to all ACTIVE' % gap('last', 'active'),
    ]


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    known = {opt.name for opt in evacuate_conf.evacuate_opts}
    overrides = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep or name not in known:
            raise SetupError('--set %s: give OPTION=VALUE, OPTION one of '
                             'the [zha_evacuate] options' % item)
        overrides[name] = value
    return overrides


SCENARIOS = (
    ('lpar', '(a) One LPAR fails: %d guests on cpc1-lpar1' % GUESTS,
     'cpc1-lpar1', 'on cpc2-standby'),
    ('cpc', '(b) A whole CPC fails: Z1 = cpc1-lpar1 and cpc1-lpar2 with %d '
     'guests each, and cpc1-standby' % (GUESTS // 2), 'Z1',
     'on CPC Z2'),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', choices=('lpar', 'cpc'))
    parser.add_argument('--set', action='append', default=[],
                        metavar='OPTION=VALUE',
                        help='a [zha_evacuate] option other than its default')
    parser.add_argument('--log-file',
                        help="file for Nova's logs (default: a temporary "
                        "file)")
    args = parser.parse_args(argv)
    try:
        overrides = parse_overrides(args.set)
        binary = coordination_server.find_binary()
        if binary is None:
            raise SetupError('redis-server is not installed (apt-get '
                             'install redis-server, or set %s)'
                             % coordination_server.BINARY)
        lines = header(overrides, binary)
    except (SetupError, AssertionError) as exc:
        print('benchmark_recovery: error: %s' % exc, file=sys.stderr)
        return 2
    print('\n'.join(lines), flush=True)
    log_file = chatter.log_to_file(args.log_file, 'zha-benchmark-recovery-')
    print("Nova's logs: %s" % log_file, flush=True)
    failed = False
    for key, title, where_failed, where in SCENARIOS:
        if args.only and key != args.only:
            continue
        with chatter.output_to(log_file):
            result = run(key, title, where_failed, where, overrides)
        print('\n'.join(report(result, overrides)), flush=True)
        failed = failed or result.error is not None
    if failed:
        print('benchmark_recovery: error: a scenario failed (see above and '
              '%s)' % log_file, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
