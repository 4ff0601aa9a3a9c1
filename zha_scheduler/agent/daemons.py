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

"""The daemons HA depends on: are they running, does systemd restart them.

One ``systemctl show`` per daemon reads the load, active and sub state
and the ``Restart=`` policy of the daemon's units (under another root, its
captured output ``_commands/<name>.out``, see ``hostfs``; one command for
all of them would need a file name longer than 255 bytes).
``systemctl show`` prints one block of ``Key=Value`` lines per unit, blocks
separated by a blank line, and prints a unit that does not exist as
``LoadState=not-found`` (systemd's ``src/systemctl/systemctl-show.c``,
``show_one``).

A daemon that is not running or that systemd does not restart is reported
in the details and logged once as a WARNING. Only multipathd changes a
trait (see ``disks``): without it no failed path is reinstated.
"""

import dataclasses
from typing import Any

from oslo_log import log as logging

from zha_scheduler.agent import conditions
from zha_scheduler.agent import hostfs

LOG = logging.getLogger(__name__)

#: ``Restart=`` values that restart a service that crashed or was killed;
#: ``on-abort`` and ``on-watchdog`` miss a non-zero exit.
RESTARTING = ('always', 'on-failure', 'on-abnormal')
#: ActiveState values of a unit whose process runs.
RUNNING = ('active', 'reloading', 'refreshing')
PROPERTIES = ('Id', 'Names', 'LoadState', 'ActiveState', 'SubState',
              'Restart')
UNIT_DIR = '/etc/systemd/system'


@dataclasses.dataclass(frozen=True)
class Daemon:
    """A daemon HA depends on, the names of its unit and what a crash costs."""

    name: str
    # Packaged unit names, in order of preference.
    units: tuple[str, ...]
    cost: str
    # DevStack's names (devstack@<service>): the agent looks for them too;
    # ``zha-scheduler check`` reads packaged unit files only.
    devstack: tuple[str, ...] = ()


MULTIPATHD = 'multipathd'
DAEMONS = (
    Daemon(MULTIPATHD, ('multipathd.service',),
           'failed SAN paths are no longer checked nor reinstated: the '
           'host loses its storage redundancy path by path'),
    Daemon('libvirt', ('virtqemud.service', 'libvirtd.service'),
           'the guests keep running, but nova-compute can no longer start, '
           'stop or migrate them'),
    Daemon('nova-compute',
           ('nova-compute.service', 'openstack-nova-compute.service'),
           'Nova then reports the host down, and zha-evacuate would evacuate '
           'guests that still run there', ('devstack@n-cpu.service',)),
    Daemon('zha-trait-agent', ('zha-trait-agent.service',),
           'the host\'s ZHA traits go stale: a failed path or bond slave is '
           'not published', ('devstack@zha-agent.service',)),
)
BY_NAME = {d.name: d for d in DAEMONS}


def command(daemon: Daemon) -> str:
    """The command the agent runs (or whose captured output it reads).

    :param daemon: one of DAEMONS.
    :returns: e.g. ``systemctl show -p Id,...,Restart multipathd.service``.
    """
    return 'systemctl show -p %s %s' % (
        ','.join(PROPERTIES), ' '.join(daemon.units + daemon.devstack))


def restart_fix(unit: str, unit_dir: str = UNIT_DIR) -> str:
    """The drop-in that makes systemd restart ``unit`` when it dies.

    :param unit: e.g. ``multipathd.service``.
    :param unit_dir: where local unit files live.
    """
    return ('add a drop-in %s/%s.d/restart.conf with "[Service]" '
            '"Restart=on-failure" "RestartSec=10", then run systemctl '
            'daemon-reload' % (unit_dir, unit))


@dataclasses.dataclass(frozen=True)
class UnitState:
    """What ``systemctl show`` printed for one unit (None: not printed)."""

    unit: str
    load_state: str | None = None
    active_state: str | None = None
    sub_state: str | None = None
    restart: str | None = None

    @property
    def installed(self) -> bool | None:
        """Whether systemd has the unit (loaded), None if not printed."""
        if self.load_state is None:
            return None
        return self.load_state == 'loaded'

    @property
    def running(self) -> bool | None:
        """Whether its process runs, None if the state was not printed."""
        if self.active_state is None:
            return None
        return self.active_state in RUNNING

    @property
    def supervised(self) -> bool | None:
        """Whether systemd restarts it when it dies, None if unknown."""
        if self.restart is None:
            return None
        return self.restart in RESTARTING


def parse_show(text: str) -> dict[str, UnitState]:
    """Parse ``systemctl show`` output for several units.

    Each block is keyed by its ``Id`` and every name in ``Names`` (an
    alias asked for shows the unit it points to); a block without ``Id``
    is ignored. Unknown properties and lines without ``=`` are ignored.

    :param text: the command's output.
    :returns: the state of each unit by name.
    """
    found: dict[str, UnitState] = {}
    for block in text.replace('\r\n', '\n').split('\n\n'):
        values: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition('=')
            if sep and key.strip() in PROPERTIES:
                values[key.strip()] = value.strip()
        unit = values.get('Id')
        if not unit:
            continue
        state = UnitState(unit, values.get('LoadState') or None,
                          values.get('ActiveState') or None,
                          values.get('SubState') or None,
                          values.get('Restart') or None)
        for name in [unit] + values.get('Names', '').split():
            found.setdefault(name, state)
    return found


def _choose(daemon: Daemon, states: dict[str, UnitState]) -> UnitState:
    """The unit that is the daemon here: running, else installed, else any.

    virtqemud and libvirtd may both be installed with one of them in use.
    """
    candidates = [states.get(u) or UnitState(u)
                  for u in daemon.units + daemon.devstack]
    for test in (lambda s: s.running, lambda s: s.installed,
                 lambda s: s.load_state is not None):
        chosen = next((s for s in candidates if test(s)), None)
        if chosen is not None:
            return chosen
    return candidates[0]


def _problems(daemon: Daemon, state: UnitState) -> list[str]:
    """What is wrong with a daemon, in words; empty when fine or unknown."""
    names = ' / '.join(daemon.units + daemon.devstack)
    if state.load_state is None:
        return []
    if not state.installed:
        return ['%s %s' % (names, 'masked' if state.load_state == 'masked'
                           else 'not installed')]
    found = []
    if state.running is False:
        found.append('%s is %s (%s): %s' % (
            state.unit, state.active_state, state.sub_state or '?',
            daemon.cost))
    if state.supervised is False:
        found.append('%s has Restart=%s: when it dies systemd leaves it '
                     'dead; %s' % (state.unit, state.restart,
                                   restart_fix(state.unit)))
    return found


@dataclasses.dataclass(frozen=True)
class DaemonsResult:
    """The state of each daemon of DAEMONS and, JSON-able, the details."""

    states: dict[str, UnitState]
    details: dict[str, Any]

    def running(self, name: str) -> bool | None:
        """Whether daemon ``name`` runs; None when it could not be read."""
        state = self.states.get(name)
        if state is None or state.installed is None:
            return None
        return state.running if state.installed else False


def _read(fs: hostfs.HostFS, daemon: Daemon,
          details: dict[str, Any]) -> UnitState | None:
    """Run the daemon's command; None (with a WARNING) when it fails."""
    line = command(daemon)
    try:
        units = parse_show(fs.run(line))
    except hostfs.CommandError as e:
        details.update(command=line, error=str(e))
        conditions.warning(LOG, '%(daemon)s not monitored: cannot read its '
                           'state from "%(cmd)s" (%(err)s).',
                           {'daemon': daemon.name, 'cmd': line, 'err': e})
        return None
    state = _choose(daemon, units)
    if state.load_state is None:
        details.update(command=line, error='no unit in the output')
        conditions.warning(LOG, '%(daemon)s not monitored: "%(cmd)s" '
                           'printed none of its units.',
                           {'daemon': daemon.name, 'cmd': line})
        return None
    return state


def probe_daemons(fs: hostfs.HostFS) -> DaemonsResult:
    """Read the state of each daemon; log each problem once as a WARNING.

    multipathd's problems are logged at DEBUG only: they matter on a host
    with multipath maps, where the storage verdict reports them.

    :param fs: the host.
    :returns: the state of each daemon that could be read (the others are
        not monitored, each with a WARNING) and the details.
    """
    details: dict[str, Any] = {}
    states = {}
    for daemon in DAEMONS:
        entry: dict[str, Any] = {}
        details[daemon.name] = entry
        state = _read(fs, daemon, entry)
        if state is None:
            continue
        states[daemon.name] = state
        problems = _problems(daemon, state)
        entry.update(
            unit=state.unit, load_state=state.load_state,
            active_state=state.active_state, sub_state=state.sub_state,
            restart=state.restart, running=state.running,
            supervised=state.supervised, problems=problems)
        for problem in problems:
            if daemon.name == MULTIPATHD:
                LOG.debug('%s', problem)
            else:
                conditions.warning(LOG, '%s', problem)
    return DaemonsResult(states, details)
