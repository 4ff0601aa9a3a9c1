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

"""``zha-scheduler snapshot``: save the cloud's hosts, instances and groups."""

import argparse
import json
import os
from typing import Any

from zha_scheduler.cmd.commands import _insight


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        'snapshot', help='save hosts, instances, server groups and flavors to '
        'a JSON file for explain, audit and capacity',
        description='Reads the live cloud through the Nova and Placement APIs '
        '(admin credentials in [nova]) or, with --synthetic, builds a large '
        'simulated IBM Z cloud, and writes it to --output. Exit status: 0 '
        'saved, 2 usage, configuration or connection error, or a file that '
        'cannot be written.')
    _insight.add_source_arguments(parser, snapshot=False)
    parser.add_argument('--output', '-o', required=True, metavar='FILE')
    parser.add_argument('--synthetic', action='store_true',
                        help='build a synthetic cloud instead of reading one')
    parser.add_argument('--hosts', type=int, default=5000,
                        help='hosts of the synthetic cloud (default 5000)')
    parser.add_argument('--instances', type=int, default=50000,
                        help='instances of the synthetic cloud '
                        '(default 50000)')
    parser.add_argument('--cpcs', type=int, default=50,
                        help='CPCs of the synthetic cloud, each with a '
                        'standby LPAR: at most half of --hosts (default 50)')
    parser.set_defaults(func=run)


def _check_output(path: str) -> None:
    # Before a long build or read, not after it.
    if not path:
        raise _insight.UsageError('--output is empty; give a file path')
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(parent):
        raise _insight.UsageError(
            'cannot write %s: %s; give a file in an existing directory' % (
                path, 'it is a directory' if os.path.isdir(path) else
                'no directory %s' % parent))


def run(args: argparse.Namespace, conn: Any = None) -> int:
    from zha_scheduler.insight import snapshot

    _insight.quiet_logs()
    try:
        _check_output(args.output)
        if args.synthetic:
            if args.hosts < 1 or args.instances < 0 or args.cpcs < 1:
                raise _insight.UsageError('--hosts and --cpcs must be 1 or '
                                          'more, --instances 0 or more')
            from zha_scheduler.insight import synthetic
            try:
                snap = synthetic.synthetic(hosts=args.hosts,
                                           instances=args.instances,
                                           cpcs=args.cpcs)
            except ValueError as exc:
                # The builder's reason: too few hosts for its CPCs, more
                # instances than fit...
                raise _insight.UsageError(
                    'cannot build that synthetic cloud: %s' % exc) from None
        else:
            args.snapshot = None
            snap = _insight.read_snapshot(args, _insight.load_conf(args), conn)
        snapshot.save(snap, args.output)
    except _insight.UsageError as exc:
        return _insight.fail('snapshot', exc)
    except OSError as exc:
        return _insight.fail('snapshot', 'cannot write %s: %s'
                             % (args.output, exc.strerror))
    counts = {'hosts': len(snap.hosts), 'instances': len(snap.instances),
              'groups': len(snap.groups), 'flavors': len(snap.flavors)}
    if args.format == 'json':
        print(json.dumps(dict(counts, output=args.output), indent=2,
                         sort_keys=True))
    else:
        print('Saved %(hosts)d hosts, %(instances)d instances, %(groups)d '
              'server groups and %(flavors)d flavors to ' % counts +
              args.output + '.')
    return _insight.EXIT_OK
