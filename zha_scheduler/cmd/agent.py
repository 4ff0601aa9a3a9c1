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

"""``zha-trait-agent``: publish this host's ZHA traits in Placement."""

from collections.abc import Sequence
import json
import signal
import sys
import threading
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslo_log import log as logging

from zha_scheduler.agent import hostfs
from zha_scheduler.agent import service
from zha_scheduler.agent import sync
from zha_scheduler.clients import auth
from zha_scheduler.cmd import common
from zha_scheduler.cmd import logs
from zha_scheduler.conf import agent as agent_conf
from zha_scheduler.conf import files

LOG = logging.getLogger(__name__)
PROG = 'zha-trait-agent'

cli_opts = [
    cfg.StrOpt('root', default='/',
               help='Read every host file under this directory instead of /: '
                    'a copy of a host, or a test fixture tree. Commands are '
                    'then read from <root>/_commands/.'),
    cfg.BoolOpt('once', default=False,
                help='Probe and publish once, print the result and exit.'),
    cfg.BoolOpt('dry-run', default=False,
                help='Probe and print the traits; write nothing to Placement '
                     '(implies --once).'),
    cfg.StrOpt('format', default='text', choices=['text', 'json'],
               help='Output of --once and --dry-run.'),
]


def _build_conf(argv: Sequence[str]) -> cfg.ConfigOpts:
    """Parse the command line and config files.

    :raises common.UsageError: a mistake in either.
    :raises SystemExit: with status 0 after --help.
    """
    conf = cfg.ConfigOpts()
    agent_conf.register_opts(conf)
    agent_conf.register_placement_opts(conf)
    conf.register_cli_opts(cli_opts)
    logging.register_options(conf)
    common.parse_args(conf, argv, PROG, project='zha-scheduler')
    return conf


def _render_text(report: service.RunReport) -> str:
    lines = ['provider: %s' % report.provider, 'traits:']
    lines += ['  %s' % t for t in sorted(report.traits)] or ['  (none)']
    for subsystem in ('cpc', 'network', 'storage', 'consistency_groups'):
        detail = report.details.get(subsystem) or {}
        summary = ''
        if isinstance(detail, dict):
            summary = (detail.get('reason') or detail.get('state') or
                       detail.get('error') or '')
        if summary:
            lines.append('%s: %s' % (subsystem, summary))
    if report.written is not None:
        lines.append('placement: %s' % (
            'updated' if report.written.changed else 'already current'))
    return '\n'.join(lines)


def _print(report: service.RunReport, fmt: str) -> None:
    if fmt == 'json':
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        print(_render_text(report))


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: Any) -> None:
        LOG.info('Received signal %d; stopping after the current cycle.',
                 signum)
        stop.set()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _check_values(conf: cfg.ConfigOpts) -> None:
    """Check what the agent will use before it probes or writes anything.

    :raises common.UsageError: an invalid [zha_agent] value (oslo.config
        checks a value when it is read), or a --root that is not a
        directory.
    """
    common.read_options(conf, 'zha_agent', agent_conf.agent_opts)
    common.existing_dir(conf.root, '--root')


def main(argv: Sequence[str] | None = None) -> int:
    try:
        conf = _build_conf(sys.argv[1:] if argv is None else argv)
        _check_values(conf)
        logs.setup_logging(conf, PROG)
    except common.UsageError as exc:
        return common.fail(PROG, exc, label='error')
    except SystemExit:  # after --help
        return common.EXIT_OK
    agent = service.TraitAgent(conf, hostfs.HostFS(conf.root))
    try:
        if conf.once or conf.dry_run:
            _print(agent.run_once(dry_run=conf.dry_run), conf.format)
            return common.EXIT_OK
        stop = threading.Event()
        _stop_on_signals(stop)
        LOG.info('zha-trait-agent started: probing %(root)s every '
                 '%(interval)d seconds.',
                 {'root': conf.root, 'interval': conf.zha_agent.interval})
        agent.run_forever(stop)
        return common.EXIT_OK
    except auth.CredentialsError as exc:
        return common.fail(PROG, exc, label='configuration error')
    except cfg.Error as exc:
        # A [placement] value is read only when the first cycle needs it.
        return common.fail(PROG, files.config_error(exc),
                           label='configuration error')
    except (sync.SyncError, ks_exc.ClientException) as exc:
        return common.fail(PROG, exc, common.EXIT_FAILED,
                           label='could not publish traits')


if __name__ == '__main__':
    sys.exit(main())
