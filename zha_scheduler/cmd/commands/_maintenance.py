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

"""What drain and failback share: arguments, the lock, progress, output."""

import argparse
from collections.abc import Callable, Iterator
import contextlib
import sys
import time
from typing import Any, TextIO

from zha_scheduler.cmd.commands import _insight
from zha_scheduler.cmd import common

EXIT_REFUSED = common.EXIT_REFUSED


class Refused(Exception):
    """The run would break a rule, or another run holds the target."""


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """The target (a host, --cpc or --site) and the options both share."""
    parser.add_argument('host', nargs='?',
                        help='the compute host (service host name) to %s'
                        % verb)
    parser.add_argument('--cpc', help='%s every LPAR of this CPC, named as '
                        'in its CUSTOM_ZHA_CPC_ trait without the prefix'
                        % verb)
    parser.add_argument('--site', help='%s every host of this site, named as '
                        'in its CUSTOM_ZHA_SITE_ trait without the prefix'
                        % verb)
    _insight.add_source_arguments(parser, snapshot=False)
    parser.add_argument('--dry-run', action='store_true',
                        help='print the plan and change nothing')
    parser.add_argument('--max-parallel', type=int, default=2,
                        help='instances moving at once (default 2)')
    parser.add_argument('--timeout', type=float, default=600.0,
                        help='seconds to wait for each instance to move '
                        '(default 600)')


def check_arguments(args: argparse.Namespace) -> None:
    """:raises UsageError: not exactly one target, or a bad number."""
    given = [name for name, value in (('HOST', args.host),
                                      ('--cpc', args.cpc),
                                      ('--site', args.site)) if value]
    if len(given) != 1:
        raise _insight.UsageError(
            'name one target: a HOST, --cpc CPC or --site SITE (got %s)' % (
                ' and '.join(given) if given else 'none'))
    if args.max_parallel < 1:
        raise _insight.UsageError('--max-parallel must be 1 or more')
    if args.timeout <= 0:
        raise _insight.UsageError('--timeout must be more than 0 seconds')


def coordination_url(conf: Any) -> str:
    """``[zha_evacuate] coordination_url``, checked without connecting.

    :raises UsageError: it names no usable tooz driver or directory.
    """
    from zha_scheduler.clients import coordination_backend

    url = conf.zha_evacuate.coordination_url
    try:
        coordination_backend.check_url(url)
    except coordination_backend.CoordinationError as exc:
        raise _insight.UsageError(
            '[zha_evacuate] coordination_url: %s' % exc) from None
    return url


@contextlib.contextmanager
def locked(url: str, target: Any, verb: str) -> Iterator[None]:
    """Hold the locks of every host of the target, or refuse at once.

    :raises Refused: another drain or failback holds one of them.
    :raises coordination_locks.LockError: the backend cannot be reached.
    """
    from zha_scheduler.clients import coordination_locks

    def busy(name: bytes) -> str:
        return ('another drain or failback holds %s (lock %s); it finishes '
                'the job, or the lock expires when it has died' % (
                    target, name.decode(errors='replace')))
    try:
        with coordination_locks.held(
                url, target.lock_names(),
                coordination_locks.member_id(verb, tool='zha-scheduler'),
                busy):
            yield
    except coordination_locks.LockBusy as exc:
        raise Refused(str(exc)) from None


class Progress:
    """One line per instance as it finishes, with the time left, on a tty."""

    def __init__(self, total: int, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.shown = self.stream.isatty()

    def __call__(self, outcome: Any) -> None:
        self.done += 1
        if not self.shown:
            return
        elapsed = self.clock() - self.started
        left = elapsed / self.done * (self.total - self.done)
        print('[%d/%d] %s %s: %s -> %s (%.1f s)%s; elapsed %.0f s, about '
              '%.0f s left' % (
                  self.done, self.total, outcome.outcome, outcome.name,
                  outcome.source, outcome.destination or '-',
                  outcome.seconds,
                  ': ' + outcome.detail if outcome.detail else '',
                  elapsed, left), file=self.stream, flush=True)


def render_steps(steps: list[Any]) -> list[str]:
    lines = []
    for s in steps:
        where = ' to %s' % s.destination if s.destination else ''
        lines.append('  %-12s %s (%s) %s on %s%s%s' % (
            s.action, s.name, s.instance, s.status, s.source, where,
            ': ' + s.reason if s.reason else ''))
    return lines or ['  nothing to move']


def render_outcomes(outcomes: list[Any]) -> list[str]:
    return ['  %-7s %s (%s) %s -> %s, %s in %.1f s%s' % (
        o.outcome.upper(), o.name, o.instance, o.source,
        o.destination or '-', o.action, o.seconds,
        ': ' + o.detail if o.detail else '') for o in outcomes]


def counts(outcomes: list[Any], steps: list[Any]) -> dict[str, int]:
    """How many moved, failed, were skipped by choice or cannot move."""
    from zha_scheduler.insight import maintenance
    from zha_scheduler.insight import migrate

    return {'moved': sum(o.outcome == migrate.MOVED for o in outcomes),
            'failed': sum(o.outcome == migrate.FAILED for o in outcomes),
            'skipped': sum(s.action == maintenance.SKIP for s in steps),
            'cannot_move': sum(s.action == maintenance.STAY for s in steps)}


def standby_load(nova: Any, snap: Any) -> dict[str, int]:
    """Instances on each standby host now."""
    standby = {h.name for h in snap.hosts if snap.profile(h).standby}
    load = dict.fromkeys(sorted(standby), 0)
    for inst in nova.instances():
        if inst.placed and inst.host in load:
            load[inst.host] += 1
    return load
