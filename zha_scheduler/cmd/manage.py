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

"""``zha-scheduler``: operator tool of zha-scheduler."""

from collections.abc import Sequence
import importlib
import sys

from zha_scheduler.cmd import common

# Subcommand modules under zha_scheduler.cmd.commands, in --help order.
COMMANDS = ('demo', 'check', 'snapshot', 'explain', 'audit', 'capacity',
            'drain', 'failback')


def _parser() -> common.ArgumentParser:
    # Subparsers are made of the same class: their usage errors are one line.
    parser = common.ArgumentParser(
        prog='zha-scheduler',
        description='High-availability placement for KVM guests on IBM Z.')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    commands.required = True
    for name in COMMANDS:
        module = importlib.import_module('zha_scheduler.cmd.commands.' + name)
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # after --help, or a usage error's line
        return exc.code if isinstance(exc.code, int) else common.EXIT_USAGE
    try:
        status: int = args.func(args)
    except common.UsageError as exc:
        # Each subcommand reports its own; this is the net under them.
        return common.fail('zha-scheduler ' + args.command, exc)
    return status


if __name__ == '__main__':
    sys.exit(main())
