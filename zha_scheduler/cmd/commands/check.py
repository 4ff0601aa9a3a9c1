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

"""``zha-scheduler check``: report what breaks zha-scheduler, with fixes."""

import argparse
import logging
from typing import Any

from zha_scheduler.cmd import common
from zha_scheduler.cmd import logs

EXIT_USAGE = common.EXIT_USAGE


def add_parser(commands: Any) -> None:
    check = commands.add_parser(
        'check', help='check nova.conf, the agent\'s and the hook\'s config, '
        'Placement, the HMC, the coordination backend and systemd units; '
        'print each problem with its fix',
        description='Reads nova.conf (and the zha-trait-agent / zha-evacuate '
        'config files when given) and reports, one line each, what keeps '
        'zha-scheduler from working, with the fix. Run it in '
        'nova-scheduler\'s Python environment: filters and weighers are '
        'loaded as nova-scheduler loads them. Exit status: 0 no error '
        '(warnings allowed), 1 at least one error, 2 usage error or a config '
        'file that cannot be read.')
    check.add_argument('--nova-conf', default='/etc/nova/nova.conf',
                       metavar='PATH',
                       help='nova.conf to check; its nova.conf.d directory is '
                       'read too when there is one (default: %(default)s)')
    check.add_argument('--agent-conf', metavar='PATH',
                       help='zha-trait-agent config file to check')
    check.add_argument('--hook-conf', metavar='PATH',
                       help='zha-evacuate config file to check (with its '
                       'partners_file and lpars_file, the HMC of fencing = '
                       'hmc and the coordination_url backend)')
    check.add_argument('--systemd-dir', default='/etc/systemd/system',
                       metavar='DIR',
                       help='systemd unit directory; <root>/usr/lib/systemd/'
                       'system is read after <root>/etc/systemd/system '
                       '(default: %(default)s)')
    check.add_argument('--skip-placement', action='store_true',
                       help='do not contact Placement (no topology-traits '
                       'check; standby-partners checks the file only)')
    check.add_argument('--skip-hmc', action='store_true',
                       help='do not log on to the HMC of fencing = hmc (no '
                       'hmc-reachable and hmc-lpars checks)')
    check.add_argument('--format', choices=('text', 'json'), default='text')
    check.set_defaults(func=_check)


def _quiet() -> None:
    # The findings say everything; the warnings of the libraries loading
    # Nova's filters would only clutter stderr. Errors still go there.
    logs.log_to_stderr(logging.ERROR)


def _check(args: argparse.Namespace) -> int:
    _quiet()
    from zha_scheduler.check import runner
    from zha_scheduler.check import systemd
    options = runner.CheckOptions(
        nova_conf=args.nova_conf, agent_conf=args.agent_conf,
        hook_conf=args.hook_conf,
        systemd_dirs=systemd.unit_dirs(args.systemd_dir),
        skip_placement=args.skip_placement, skip_hmc=args.skip_hmc)
    try:
        report = runner.run(options)
    except runner.ConfigFileError as exc:
        return common.fail('zha-scheduler check', exc, label='error')
    print(report.to_json() if args.format == 'json' else report.to_text())
    return report.exit_status
