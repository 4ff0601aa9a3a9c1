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

"""``zha-evacuate``: restart a failed LPAR's instances on its standby partner.

Exit status: 0 everything evacuated (or planned), 1 some instance failed or
Nova / fencing failed, 2 usage or configuration error, 3 refused without
doing anything (host up and not fenced, mass-failure brake, another run holds
the host's lock).
"""

from collections.abc import Sequence
import signal
import sys
import threading
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from zha_scheduler.cmd import common
from zha_scheduler.cmd import logs
from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.conf import files
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import factory
from zha_scheduler.evacuate import hook
from zha_scheduler.evacuate import lock

LOG = logging.getLogger(__name__)
PROG = 'zha-evacuate'
EXIT_OK, EXIT_FAILED = common.EXIT_OK, common.EXIT_FAILED
EXIT_USAGE, EXIT_REFUSED = common.EXIT_USAGE, common.EXIT_REFUSED

cli_opts = [
    cfg.StrOpt('host', positional=True,
               help='The failed compute host, or "watch" to evacuate the '
                    'hosts the HMC reports failed (fencing = hmc) or whose '
                    'service stays down for grace_period; several watchers '
                    'sharing coordination_url elect the one that acts.'),
    cfg.BoolOpt('dry-run', default=False,
                help='Print the plan (instances, targets, order, capacity); '
                     'change nothing.'),
    cfg.StrOpt('format', default='table', choices=['table', 'json'],
               help='Output of the final report.'),
]


def _build_conf(argv: Sequence[str]) -> cfg.ConfigOpts:
    """Parse the command line and config files, and read [zha_evacuate].

    :raises common.UsageError: a mistake in either, or an invalid value.
    :raises SystemExit: with status 0 after --help.
    """
    conf = cfg.ConfigOpts()
    evacuate_conf.register_opts(conf)
    evacuate_conf.register_nova_opts(conf)
    conf.register_cli_opts(cli_opts)
    logging.register_options(conf)
    common.parse_args(conf, argv, PROG, project='zha-scheduler')
    if not conf.host:
        raise common.UsageError('the host is empty: give the failed compute '
                                'host, or "watch"; see zha-evacuate --help')
    common.read_options(conf, 'zha_evacuate', evacuate_conf.evacuate_opts)
    return conf


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: Any) -> None:
        LOG.info('Received signal %d; stopping after the current poll.',
                 signum)
        stop.set()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run(conf: cfg.ConfigOpts, evacuation: hook.Hook) -> int:
    """Run the command on a built hook (the tests inject theirs)."""
    if conf.host == 'watch':
        try:
            watcher = factory.watcher_from_conf(conf, evacuation)
        except factory.ConfigError as exc:
            return common.fail(PROG, exc, label='configuration error')
        stop = threading.Event()
        _stop_on_signals(stop)
        if watcher.hmc is None:
            LOG.info('zha-evacuate watch started: failures detected by '
                     "Nova's heartbeat, grace period %d s.",
                     conf.zha_evacuate.grace_period)
        else:
            LOG.info('zha-evacuate watch started: failures detected on HMC '
                     '%s every %s s, and by Nova\'s heartbeat with a grace '
                     'period of %d s.', watcher.hmc.settings.host,
                     conf.zha_evacuate.hmc_poll_interval,
                     conf.zha_evacuate.grace_period)
        watcher.run_forever(stop)
        return EXIT_OK
    try:
        rep = evacuation.run(conf.host, dry_run=conf.dry_run)
    except lock.LockBusy as exc:
        return common.fail(PROG, '%s; nothing done.' % exc, EXIT_REFUSED)
    except (brake.BrakeEngaged, hook.HookRefused) as exc:
        return common.fail(PROG, exc, EXIT_REFUSED, label='refused')
    except cfg.Error as exc:
        # A value oslo.config checks only when the run reads it.
        return common.fail(PROG, files.config_error(exc), EXIT_USAGE,
                           label='configuration error')
    except Exception as exc:  # fencing, Nova or Placement errors
        LOG.debug('Evacuation failed', exc_info=True)
        return common.fail(PROG, exc, EXIT_FAILED, label='failed')
    print(rep.to_json() if conf.format == 'json' else rep.to_table())
    return EXIT_FAILED if rep.failed else EXIT_OK


def main(argv: Sequence[str] | None = None, conn: Any = None,
         fencer: Any = None) -> int:
    try:
        conf = _build_conf(sys.argv[1:] if argv is None else argv)
        logs.setup_logging(conf, PROG)
    except common.UsageError as exc:
        return common.fail(PROG, exc, label='error')
    except SystemExit:  # after --help
        return EXIT_OK
    try:
        evacuation = factory.hook_from_conf(conf, conn=conn, fencer=fencer)
    except (factory.ConfigError, ValueError, OSError) as exc:
        return common.fail(PROG, exc, label='configuration error')
    except cfg.Error as exc:
        return common.fail(PROG, files.config_error(exc),
                           label='configuration error')
    return run(conf, evacuation)


if __name__ == '__main__':
    sys.exit(main())
