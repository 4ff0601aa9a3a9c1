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

"""restart-policy: systemd restarts the daemons HA depends on when they die.

The white paper's "critical daemons" advice: each service's unit says when
systemd restarts it. A unit not installed where the check runs is skipped:
nova-compute and the agent run on compute hosts, the watch on a controller.
multipathd and libvirt (virtqemud or libvirtd) are checked where installed
and not mentioned elsewhere: a host without SAN has no multipathd, a
controller no libvirt. multipathd's own unit sets no ``Restart=``.

The daemons, their unit names and what a crash costs are the agent's
(``zha_scheduler.agent.daemons``), which reads the same policy at run time.
"""

from collections.abc import Sequence

from zha_scheduler.agent import daemons
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.check import systemd

CHECK = 'restart-policy'
#: Values that restart a service that crashed or was killed.
RESTARTING = daemons.RESTARTING

Unit = tuple[tuple[str, ...], str, bool]


def _daemon(name: str, always: bool) -> Unit:
    daemon = daemons.BY_NAME[name]
    return daemon.units, daemon.cost, always


#: (unit names, any of which; what a dead one costs; whether a missing
#: unit is reported as skipped).
UNITS: tuple[Unit, ...] = (
    _daemon('nova-compute', True),
    _daemon('zha-trait-agent', True),
    (('zha-evacuate-watch.service',),
     'the guests of failed LPARs are no longer restarted on their standby',
     True),
    _daemon(daemons.MULTIPATHD, False),
    _daemon('libvirt', False),
)


def check_restart(dirs: Sequence[str]) -> list[Finding]:
    """One finding per daemon: its effective ``Restart=``, or why skipped.

    multipathd and libvirt give no finding where they are not installed.
    """
    result = []
    for names, cost, always in UNITS:
        found = _check_unit(names, cost, dirs)
        if found is not None or always:
            result.append(found or findings.skipped(
                CHECK, '%s not installed in %s'
                % (' / '.join(names), ', '.join(dirs))))
    return result


def _check_unit(names: tuple[str, ...], cost: str,
                dirs: Sequence[str]) -> Finding | None:
    """The finding of the first of ``names`` installed; None if none is."""
    for unit in names:
        try:
            setting = systemd.service_setting(unit, dirs)
        except OSError as exc:
            return findings.warning(
                CHECK, 'cannot read the unit files of %s: %s'
                % (unit, exc.strerror or exc),
                'run the check as a user that can read %s' % ', '.join(dirs))
        if setting is None:
            continue
        if setting.masked:
            return findings.skipped(CHECK, '%s is masked' % unit)
        where = ('set in %s' % setting.source if setting.source else
                 'systemd\'s default: %s does not set it' % setting.path)
        if setting.value in RESTARTING:
            return findings.ok(CHECK, '%s: Restart=%s (%s)'
                               % (unit, setting.value, where))
        return findings.warning(
            CHECK, '%s: Restart=%s (%s): when it dies systemd leaves it '
            'dead; %s' % (unit, setting.value, where, cost),
            daemons.restart_fix(unit, dirs[0]))
    return None
