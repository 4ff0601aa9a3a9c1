"""``zha-scheduler``: operator tool of zha-scheduler."""

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand modules under zha_scheduler.cmd.commands, in --help order.
COMMANDS = ('demo', 'check', 'snapshot', 'explain', 'audit', 'capacity')


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='zha-scheduler',
        description='High-availability placement for KVM guests on IBM Z.')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    commands.required = True
    for name in COMMANDS:
        module = importlib.import_module('zha_scheduler.cmd.commands.' + name)
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
