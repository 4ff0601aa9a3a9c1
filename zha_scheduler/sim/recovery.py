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

"""Recovery in the simulated cloud: a faked HMC, watchers and a timeline.

Shared by the demo's failure scene, ``tools/benchmark_recovery.py`` and the
functional tests of watch mode:

* :class:`FakedHmc` is zhmcclient's faked HMC (``zhmcclient.mock``) with one
  classic-mode CPC per simulated CPC and one operating LPAR per host: the
  watchers read the statuses on it and fence on it, through zhmcclient.
* :class:`Controller` is one controller's ``zha-evacuate watch``, built
  from a configuration file as an operator's is (``fencing = hmc``, every
  other option at its default unless given), running in a thread of this
  process against the simulated cloud's Nova API. Several controllers
  share a coordination backend and elect a leader. :meth:`Controller.crash`
  stops one as a crash would, without leaving the election.
* :class:`Timeline` records, from outside the package's code, when each
  step of a recovery happened: the failure, its detection on the HMC, a
  takeover of the leadership, fencing, forcing the service down, each
  evacuation request, and (marked by the scene) all guests back.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
import dataclasses
import os
import threading
import time
from typing import Any

import fixtures
from nova import context as nova_context
from nova import objects
from nova import test
from oslo_config import cfg
from zhmcclient import mock as zhmc_mock

from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.evacuate import factory
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import report
from zha_scheduler.sim import client
from zha_scheduler.sim import cloud

HMC_HOST = 'hmc.example.com'
HMC_USERID = 'zha-evacuate'
HMC_PASSWORD = 'simulated'

#: Nova's vm_state of each server status a wait may ask for.
_VM_STATES = {'ACTIVE': 'active', 'SHUTOFF': 'stopped'}

# The steps of a timeline, in the order they happen.
CRASHED = 'leader crashed'
FAILED = 'failed on the HMC'
DETECTED = 'detected'
LEADS = 'leads'
FENCED = 'fenced'
FORCED_DOWN = 'forced down'
REQUESTED = 'evacuation requested'
ACTIVE = 'all ACTIVE'


def lpar_name(host: str) -> str:
    """The LPAR name of a simulated host on the faked HMC."""
    return host.replace('-', '').upper()


class FakedHmc:
    """zhmcclient's faked HMC: a classic CPC per CPC, an LPAR per host."""

    def __init__(self, hosts: Iterable[cloud.SimHost]) -> None:
        self.session = zhmc_mock.FakedSession(HMC_HOST, 'HMC1', '2.16',
                                              '4.10')
        self.cpcs: dict[str, Any] = {}
        self.lpars: dict[str, Any] = {}
        self.cpc_of: dict[str, str] = {}
        for host in hosts:
            if host.cpc is None:
                raise ValueError('host %s has no CPC: the faked HMC needs '
                                 'one' % host.name)
            if host.cpc not in self.cpcs:
                self.cpcs[host.cpc] = self.session.hmc.cpcs.add(
                    {'name': host.cpc, 'dpm-enabled': False})
            # Explicit object IDs: the faked HMC numbers LPARs per CPC, so
            # two CPCs would share the URIs.
            self.lpars[host.name] = self.cpcs[host.cpc].lpars.add(
                {'object-id': host.name, 'name': lpar_name(host.name),
                 'status': 'operating'})
            self.cpc_of[host.name] = host.cpc

    def session_factory(self, *args: Any, **kwargs: Any) -> Any:
        """Called as ``zhmcclient.Session``; the faked session keeps no state.

        The status reader and the fencers of every controller share it.
        """
        return self.session

    def write_lpars_file(self, path: str) -> str:
        """Write ``lpars_file``: every host's CPC and LPAR."""
        with open(path, 'w') as f:
            f.writelines('%s: {cpc: %s, lpar: %s}\n'
                         % (host, self.cpc_of[host], lpar_name(host))
                         for host in sorted(self.lpars))
        return path

    def lpar_status(self, host: str) -> str:
        return str(self.lpars[host].properties['status'])

    def set_lpar_status(self, host: str, status: str) -> None:
        self.lpars[host].properties['status'] = status

    def set_cpc_status(self, cpc: str, status: str) -> None:
        self.cpcs[cpc].properties['status'] = status


def write_config(path: str, *, coordination_url: str, state_dir: str,
                 lpars_file: str, partners_file: str = '',
                 **overrides: Any) -> str:
    """Write a zha-evacuate.conf with ``fencing = hmc`` on the faked HMC.

    Every option not given keeps its default, as in an operator's file
    that sets only what its cloud needs.
    """
    opts: dict[str, Any] = {
        'fencing': 'hmc', 'hmc_host': HMC_HOST, 'hmc_userid': HMC_USERID,
        'hmc_password': HMC_PASSWORD, 'lpars_file': lpars_file,
        'partners_file': partners_file,
        'coordination_url': coordination_url, 'state_dir': state_dir}
    opts.update(overrides)
    with open(path, 'w') as f:
        f.write('[zha_evacuate]\n')
        f.writelines('%s = %s\n' % item for item in opts.items())
    return path


def load_config(path: str) -> cfg.ConfigOpts:
    """Read a zha-evacuate.conf (and nothing else) as zha-evacuate does."""
    conf = cfg.ConfigOpts()
    evacuate_conf.register_opts(conf)
    evacuate_conf.register_nova_opts(conf)
    conf(['--config-file', path], project='zha-scheduler',
         default_config_files=[], default_config_dirs=[])
    return conf


@dataclasses.dataclass(frozen=True)
class Event:
    """One step of a recovery: when, what, which controller, details."""

    at: float
    what: str
    who: str = ''
    detail: str = ''
    #: CPU seconds this process had used (time.process_time) by then.
    cpu: float = 0.0


class Timeline:
    """When each step of a recovery happened (``time.monotonic``)."""

    # Marked from the watchers' threads, the hook's pool and the scene.

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def mark(self, what: str, who: str = '', detail: str = '',
             at: float | None = None) -> Event:
        event = Event(self.clock() if at is None else at, what, who, detail,
                      time.process_time())
        with self._lock:
            self._events.append(event)
        return event

    def events(self, what: str | None = None) -> list[Event]:
        """The events (of one step), in time order."""
        with self._lock:
            events = list(self._events)
        return sorted((e for e in events if what is None or e.what == what),
                      key=lambda e: e.at)

    def first(self, what: str) -> Event | None:
        found = self.events(what)
        return found[0] if found else None

    def last(self, what: str) -> Event | None:
        found = self.events(what)
        return found[-1] if found else None

    def seconds(self, event: Event | None) -> float | None:
        """Seconds from the failure to an event (None: either missing)."""
        zero = self.first(FAILED)
        if zero is None or event is None:
            return None
        return event.at - zero.at


@dataclasses.dataclass(frozen=True)
class Step:
    """One line of a timeline: seconds from the failure, what, details."""

    seconds: float
    what: str
    detail: str = ''


def _describe(what: str, events: list[Event]) -> str:
    who = sorted({e.who for e in events if e.who})
    by = ' by %s' % ', '.join(who) if who else ''
    if what == DETECTED:
        hosts = [e.detail.split(':', 1)[0] for e in events]
        return '%s%s' % (', '.join(hosts), by)
    if what == LEADS:
        return '%s takes the lead' % ', '.join(who)
    return events[0].detail


def steps(timeline: Timeline) -> list[Step]:
    """The timeline's steps after the failure, each in seconds from it.

    One line per step, and per host for fencing and forcing down; the
    evacuation requests are given as the first and the last. A leader that
    crashed before the failure shows with negative seconds.
    """
    zero = timeline.first(FAILED)
    if zero is None:
        return []
    found = []

    def add(what: str, events: list[Event], detail: str) -> None:
        found.append(Step(events[0].at - zero.at, what, detail))

    crashed = timeline.last(CRASHED)
    if crashed is not None:
        add(CRASHED, [crashed], '%s stops without leaving the election'
            % crashed.who)
    add(FAILED, [zero], zero.detail)
    for what in (DETECTED, LEADS, FENCED, FORCED_DOWN):
        events = [e for e in timeline.events(what) if e.at >= zero.at]
        if not events:
            continue
        if what == DETECTED:
            # Several watchers read the HMC; the first to confirm counts.
            first = events[0].who
            events = [e for e in events if e.who == first]
        if what in (FENCED, FORCED_DOWN):
            for event in events:
                add(what, [event], event.detail)
        else:
            add(what, events, _describe(what, events))
    requests = [e for e in timeline.events(REQUESTED) if e.at >= zero.at]
    if requests:
        who = sorted({e.who for e in requests})
        add('first ' + REQUESTED, requests[:1],
            '%d request(s) for %d guest(s) by %s' % (
                len(requests), len({e.detail for e in requests}),
                ', '.join(who)))
        add('last ' + REQUESTED, requests[-1:], '')
    active = timeline.last(ACTIVE)
    if active is not None and active.at >= zero.at:
        add(ACTIVE, [active], active.detail)
    return sorted(found, key=lambda s: s.seconds)


class Controller:
    """One controller's ``zha-evacuate watch``, in a thread of this process."""

    def __init__(self, name: str, conf: cfg.ConfigOpts, conn: Any,
                 hmc: FakedHmc, timeline: Timeline) -> None:
        self.name = name
        self.timeline = timeline
        self.hook = factory.hook_from_conf(
            conf, conn=conn, session_factory=hmc.session_factory)
        self.watcher = factory.watcher_from_conf(
            conf, self.hook, session_factory=hmc.session_factory)
        #: The instances this controller asked Nova to evacuate.
        self.requested: list[str] = []
        #: The hook's report of each run that ended.
        self.reports: list[Any] = []
        #: Set once its watcher leads.
        self.led = threading.Event()
        #: Set once its watcher has asked whether it leads.
        self.polled = threading.Event()
        self.leading = False
        self.crashed = False
        self._stop = threading.Event()
        self.thread = threading.Thread(
            target=self.watcher.run_forever, args=(self._stop,),
            name='zha-watch-%s' % name, daemon=True)
        self._instrument()

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the watcher as ``zha-evacuate watch`` stops on SIGTERM."""
        self._stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout)
        if self.crashed:
            # What a dead process's connections become: closed.
            member = self._coordinator()
            if member is not None:
                lock.quietly(member.stop, 'close a crashed controller')

    def crash(self, timeout: float = 60.0) -> None:
        """Stop this controller between two polls as a crash would.

        Its heartbeat stops, so what it holds on the coordination backend
        (the leadership) expires as a dead controller's does, at most
        ``lock.EXPIRY`` seconds after the last renewal; its watcher stops
        without leaving the election (no release, no goodbye).
        """
        self.crashed = True
        member = self._coordinator()
        if member is not None:
            member.heart.stop()
        election = self.watcher.election
        if election is not None:
            # run_forever leaves the election when it ends: a crash does not.
            setattr(election, 'stop', lambda: None)
        self.timeline.mark(CRASHED, self.name)
        self._stop.set()
        self.thread.join(timeout)

    def wait_for_heartbeat(self, timeout: float = 30.0) -> bool:
        """Wait for the leadership's next renewal; whether it came.

        A crash right after it is the worst case: the lock then lives its
        full time (``lock.EXPIRY``).
        """
        member = self._coordinator()
        if member is None:
            return False
        beats = member.heart.beats
        deadline = time.monotonic() + timeout
        while member.heart.beats == beats:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def _coordinator(self) -> Any:
        # The election's tooz coordinator: its heartbeat renews the leader
        # lock and the group membership. (leader.Election has no public
        # way to abandon them as a crash does.)
        election = self.watcher.election
        return getattr(election, '_coordinator', None)

    def _instrument(self) -> None:
        """Mark the timeline from the watcher's and the hook's calls."""
        mark, name = self.timeline.mark, self.name
        watcher, evacuation = self.watcher, self.hook

        poll_hmc = watcher.poll_hmc

        def polled() -> dict[str, str]:
            confirmed = poll_hmc()
            for host, why in sorted(confirmed.items()):
                mark(DETECTED, name, '%s: %s' % (host, why))
            return confirmed
        setattr(watcher, 'poll_hmc', polled)

        leads = watcher.leads

        def leading() -> bool:
            now = leads()
            self.polled.set()
            if now and not self.leading:
                mark(LEADS, name)
                self.led.set()
            self.leading = now
            return now
        setattr(watcher, 'leads', leading)

        # Watch mode recovers through Hook.recover: the report of each host
        # that ended (the others have an exception, or no outcome).
        recover = evacuation.recover

        def recover_hosts(*args: Any, **kwargs: Any) -> Any:
            outcomes = recover(*args, **kwargs)
            self.reports.extend(
                outcome for _host, outcome in sorted(outcomes.items())
                if isinstance(outcome, report.Report))
            return outcomes
        setattr(evacuation, 'recover', recover_hosts)

        if evacuation.fencer is not None:
            fence = evacuation.fencer.fence

            def fenced(host: str) -> Any:
                details = fence(host)
                action = (details or {}).get('action', 'none')
                mark(FENCED, name, '%s: %s' % (host, action))
                return details
            setattr(evacuation.fencer, 'fence', fenced)

        nova = evacuation.nova
        set_service = nova.set_service

        def service_set(service: Any, reason: str, *args: Any,
                        **kwargs: Any) -> Any:
            result = set_service(service, reason, *args, **kwargs)
            if reason.startswith(progress.REASON_PREFIX + ' in progress'):
                mark(FORCED_DOWN, name, service.host)
            return result
        setattr(nova, 'set_service', service_set)

        evacuate = nova.evacuate

        def evacuated(instance_id: str, host: str | None) -> Any:
            self.requested.append(instance_id)
            mark(REQUESTED, name, instance_id)
            return evacuate(instance_id, host)
        setattr(nova, 'evacuate', evacuated)


class RecoveryCloud(cloud.SimulatedCloud):
    """A simulated cloud with a faked HMC and controllers in watch mode."""

    # Real casts: the evacuate API answers before the rebuild, as in a
    # cloud, so the hook's polling and parallelism are what is measured.
    CAST_AS_CALL = False
    #: Each LPAR's partner (partners_file); empty: no partners file.
    PARTNERS: Mapping[str, str] = {}
    #: Seconds a wait for guests may last: a guard against a hang, not a
    #: limit on a measurement (a loaded machine is slow).
    HANG_GUARD = 300.0

    def setUp(self) -> None:
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.hmc = FakedHmc(self.HOSTS)
        self.lpars_file = self.hmc.write_lpars_file(
            os.path.join(self.tmp, 'lpars.yaml'))
        self.partners_file = ''
        if self.PARTNERS:
            self.partners_file = os.path.join(self.tmp, 'partners.yaml')
            with open(self.partners_file, 'w') as f:
                f.writelines('%s: %s\n' % item
                             for item in sorted(self.PARTNERS.items()))
        self.timeline = Timeline()
        self.controllers: list[Controller] = []

    def controller(self, name: str, coordination_url: str | None = None,
                   start: bool = True, **overrides: Any) -> Controller:
        """A controller's watcher on this cloud (stopped at cleanup).

        :param coordination_url: shared by the controllers that coordinate
            (default: a file:// directory of this cloud, one controller).
        :param overrides: [zha_evacuate] options other than the defaults.
        """
        home = os.path.join(self.tmp, name)
        os.makedirs(home)
        url = coordination_url or 'file://%s' % os.path.join(self.tmp,
                                                              'locks')
        # Each controller its own state_dir: no run state is shared but
        # Nova's records and the coordination backend.
        path = write_config(
            os.path.join(home, 'zha-evacuate.conf'), coordination_url=url,
            state_dir=os.path.join(home, 'state'),
            lpars_file=self.lpars_file, partners_file=self.partners_file,
            **overrides)
        made = Controller(name, load_config(path), client.connection(self),
                          self.hmc, self.timeline)
        self.controllers.append(made)
        self.addCleanup(made.stop)
        if start:
            made.start()
        return made

    def fail_lpar(self, host: str) -> None:
        """The LPAR stops on the HMC (not-operating), its nova-compute too.

        Nova still shows the service up until its heartbeat is
        ``service_down_time`` old: only the HMC knows.
        """
        self.timeline.mark(FAILED, detail='LPAR %s of %s not-operating' % (
            lpar_name(host), host))
        self.hmc.set_lpar_status(host, 'not-operating')
        self.computes[host].stop()

    def fail_cpc(self, cpc: str, status: str = 'no-power') -> None:
        """A whole CPC fails on the HMC; every nova-compute on it stops."""
        hosts = [h.name for h in self.HOSTS if h.cpc == cpc]
        self.timeline.mark(FAILED, detail='CPC %s %s (%s)' % (
            cpc, status, ', '.join(hosts)))
        self.hmc.set_cpc_status(cpc, status)
        for host in hosts:
            self.computes[host].stop()

    def wait_until_back(self, ids: Sequence[str],
                        where: Callable[[str], bool],
                        statuses: Sequence[str] = ('ACTIVE',),
                        interval: float | None = None,
                        label: str = 'ACTIVE') -> list[dict]:
        """Wait until every server is in a status on a host ``where`` likes.

        Marks ACTIVE on the timeline when it is so, with the number of
        servers and ``label``. It watches Nova's cell database, not the
        API: listing servers through the API costs about a second of CPU
        here, which the simulated services (all in this process) would
        lose, and the measure would be of the watching.

        :raises AssertionError: still not so after HANG_GUARD seconds.
        """
        wanted = set(ids)
        vm_states = {_VM_STATES[status] for status in statuses}
        context = nova_context.get_admin_context()
        deadline = time.monotonic() + self.HANG_GUARD
        while True:
            with nova_context.target_cell(
                    context, self.cell_mappings[test.CELL1_NAME]) as cell:
                found = objects.InstanceList.get_by_filters(
                    cell, {'uuid': sorted(wanted)})
            if len(found) == len(wanted) and all(
                    i.vm_state in vm_states and not i.task_state and
                    where(i.host) for i in found):
                break
            if time.monotonic() >= deadline:
                self.fail('not back after %s s: %s' % (
                    self.HANG_GUARD, [(i.display_name, i.vm_state,
                                       i.task_state, i.host)
                                      for i in found]))
            time.sleep(interval or self.POLL_INTERVAL)
        self.timeline.mark(ACTIVE, detail='%d guest(s) %s' % (len(found),
                                                               label))
        return [s for s in self.admin_api.get_servers()
                if s['id'] in wanted]

    def evacuations_per_instance(self) -> dict[str, int]:
        """Nova's own count of evacuation migrations, per instance."""
        counts: dict[str, int] = {}
        for migration in self.admin_api.get_migrations():
            if migration.get('migration_type') == 'evacuation':
                uuid = migration['instance_uuid']
                counts[uuid] = counts.get(uuid, 0) + 1
        return counts
