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

"""What drain and failback share: arguments, set-up, progress, output."""

import argparse
from collections.abc import Callable
import sys
import time
from typing import Any, TextIO

from zha_scheduler.cmd.commands import _insight


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


class Progress:
    """One line per instance as it finishes, with the time left, on a tty."""

    def __init__(self, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.shown = self.stream.isatty()

    def __call__(self, outcome: Any, left: int) -> None:
        self.done += 1
        if not self.shown:
            return
        elapsed = self.clock() - self.started
        print('[%d/%d] %s %s: %s -> %s (%.1f s)%s; elapsed %.0f s, about '
              '%.0f s left' % (
                  self.done, self.done + left, outcome.outcome, outcome.name,
                  outcome.source, outcome.destination or '-',
                  outcome.seconds,
                  ': ' + outcome.detail if outcome.detail else '',
                  elapsed, elapsed / self.done * left),
              file=self.stream, flush=True)


def prepare(args: argparse.Namespace, conn: Any) -> tuple[Any, ...]:
    """Check the arguments, read the configuration and the cloud.

    :returns: the configuration, the coordination URL, the connection, the
        snapshot and the target.
    :raises UsageError: a bad argument, configuration or target.
    """
    from zha_scheduler.insight import maintenance

    check_arguments(args)
    conf = _insight.load_conf(args)
    url = coordination_url(conf)
    if conn is None:
        conn = _insight.connection(conf, offline=False)
    snap = _insight.read_snapshot(args, conf, conn)
    try:
        target = maintenance.resolve(snap, args.host, args.cpc, args.site)
    except maintenance.TargetError as exc:
        raise _insight.UsageError(str(exc)) from None
    return conf, url, conn, snap, target


def options(args: argparse.Namespace, poll_interval: float,
            **more: Any) -> Any:
    from zha_scheduler.insight import operations

    return operations.Options(dry_run=args.dry_run,
                              max_parallel=args.max_parallel,
                              timeout=args.timeout,
                              poll_interval=poll_interval, **more)


def run(args: argparse.Namespace, action: Callable[..., Any],
        on_done: Any, render: Callable[[Any], str]) -> int:
    """Run a drain or failback; print its report; the exit status."""
    import json

    from zha_scheduler.clients import coordination_locks
    from zha_scheduler.clients import nova_client
    from zha_scheduler.cmd import common
    from zha_scheduler.insight import operations

    prog = 'zha-scheduler ' + args.command
    try:
        report = action(on_done)
    except operations.Refused as exc:
        return common.fail(prog, exc, common.EXIT_REFUSED)
    except (coordination_locks.LockError, nova_client.NovaError) as exc:
        return common.fail(prog, exc, common.EXIT_FAILED)
    if args.format == 'json':
        print(json.dumps({args.command: report.to_dict()}, indent=2))
    else:
        print(render(report))
    if report.refused:
        return common.EXIT_REFUSED
    return common.EXIT_FAILED if report.failed else common.EXIT_OK


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
