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

"""Run every check in order and collect the findings in one Report."""

from collections.abc import Sequence
import dataclasses

from zha_scheduler.check import config_files
from zha_scheduler.check import coordination_checks
from zha_scheduler.check import findings
from zha_scheduler.check import hmc_checks
from zha_scheduler.check import host_conf
from zha_scheduler.check import nova_conf
from zha_scheduler.check import partners
from zha_scheduler.check import placement_checks
from zha_scheduler.check import scheduler_conf
from zha_scheduler.check import systemd
from zha_scheduler.check import tools_conf
from zha_scheduler.check import weighers
from zha_scheduler.clients import hmc
from zha_scheduler.clients import placement_client

ConfigFileError = config_files.ConfigFileError


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    """What to check: the command line of ``zha-scheduler check``."""

    nova_conf: str = '/etc/nova/nova.conf'
    agent_conf: str | None = None
    hook_conf: str | None = None
    systemd_dirs: Sequence[str] = dataclasses.field(
        default_factory=lambda: systemd.unit_dirs(systemd.ETC_DIR))
    skip_placement: bool = False
    skip_hmc: bool = False


def run(options: CheckOptions,
        placement: placement_client.PlacementClient | None = None,
        hmc_session_factory: hmc.SessionFactory | None = None
        ) -> findings.Report:
    """Run every check.

    :param options: the files and directories to check.
    :param placement: the client to read Placement with; None builds one
        from nova.conf's [placement] section.
    :param hmc_session_factory: called as ``zhmcclient.Session`` to reach
        the HMC of ``fencing = hmc`` (tests pass one returning zhmcclient's
        faked HMC); None: the real HMC.
    :returns: the findings, in a stable order.
    :raises ConfigFileError: a config file is missing, unreadable or not an
        ini file (every file is read before any check runs).
    """
    nova = nova_conf.load(options.nova_conf)
    agent = (tools_conf.load_agent(options.agent_conf)
             if options.agent_conf else None)
    hook = (tools_conf.load_hook(options.hook_conf)
            if options.hook_conf else None)
    report = findings.Report()
    report.add(nova_conf.check_files(nova))
    report.add(scheduler_conf.check_filters(nova))
    report.add(weighers.check_weighers(nova))
    placement_found, view = placement_checks.check_placement(
        nova, placement, skip=options.skip_placement)
    report.add(placement_found)
    report.add(partners.check_partners(hook, view))
    report.add(tools_conf.check_agent(agent))
    report.add(tools_conf.check_hook(hook))
    report.add(hmc_checks.check_hmc(hook, hmc_session_factory,
                                    skip=options.skip_hmc))
    report.add(hmc_checks.check_coverage(hook, view))
    report.add(coordination_checks.check_coordination(hook))
    report.add(nova_conf.resume_guests_state(nova))
    report.add(host_conf.check_restart(options.systemd_dirs))
    return report
