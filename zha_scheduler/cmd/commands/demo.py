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

"""``zha-scheduler demo``: stock Nova and zha-scheduler on simulated IBM Z."""

import argparse
from collections.abc import Callable
import json
import logging
import tempfile
from typing import Any

from zha_scheduler.cmd import common
from zha_scheduler.sim import chatter


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                '%r is not an integer' % text) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                'must be between %d and %d, got %d' % (low, high, value))
        return value
    return parse


def add_parser(commands: Any) -> None:
    demo = commands.add_parser(
        'demo', help='boot server groups on a simulated IBM Z cloud, with '
        'stock Nova and with zha-scheduler, and show where they land',
        description='Starts real Nova services in-process (API, conductor, '
        'scheduler, one fake-driver nova-compute per LPAR, real Placement) '
        'twice: once as stock Nova, once with the nova.conf lines of '
        'etc/nova/nova.conf.d/zha-scheduler.conf; then a third time with a '
        'standby partition per CPC and a faked HMC, fails an LPAR on the '
        'HMC and shows zha-evacuate watch detect it, fence it and evacuate '
        'its guests, with the timeline; a fourth time drains CPC Z1 with '
        'zha-scheduler drain and brings its guests home with failback.')
    demo.add_argument('--cpcs', type=_bounded_int(2, 6), default=3,
                      help='CPCs in the simulated cloud (2-6, default 3)')
    demo.add_argument('--lpars-per-cpc', type=_bounded_int(2, 4), default=2,
                      help='LPARs (compute hosts) per CPC (2-4, default 2)')
    demo.add_argument('--members', type=_bounded_int(2, 8), default=3,
                      help='members per server group (2-8, default 3)')
    demo.add_argument('--format', choices=('table', 'json'), default='table')
    demo.add_argument('--log-file',
                      help="file for Nova's logs (default: a temporary file)")
    demo.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    if args.log_file is not None:
        try:
            common.writable_file(args.log_file, '--log-file')
        except common.UsageError as exc:
            # Before any service starts or anything is logged.
            return common.fail('zha-scheduler demo', exc, label='error')
    log_file = args.log_file or tempfile.mkstemp(
        prefix='zha-scheduler-demo-', suffix='.log')[1]
    # Nova's services log plenty; keep the terminal for the result: every
    # log line goes to the log file, never to stdout.
    logging.basicConfig(filename=log_file, level=logging.INFO, force=True)
    with chatter.output_to(log_file):
        from zha_scheduler.sim import demo
        scenes = [demo.run_scene(title, enabled, args.cpcs,
                                 args.lpars_per_cpc, args.members)
                  for title, enabled in (('Stock Nova 34', False),
                                         ('Nova 34 with zha-scheduler', True))]
        failure = demo.run_failure_scene(args.cpcs, args.lpars_per_cpc)
        maintenance = demo.run_maintenance_scene(args.cpcs,
                                                 args.lpars_per_cpc)
    if args.format == 'json':
        print(json.dumps([s.to_dict() for s in scenes] +
                         [failure.to_dict(), maintenance.to_dict()],
                         indent=2))
    else:
        print('\n\n'.join([demo.render(s) for s in scenes] +
                          [demo.render_failure(failure),
                           demo.render_maintenance(maintenance)]))
        print('\nNova logs: %s' % log_file)
    errors = [s.error for s in scenes] + [failure.error, maintenance.error]
    return 1 if any(errors) else 0
