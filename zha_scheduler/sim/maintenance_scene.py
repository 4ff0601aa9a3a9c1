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

"""The demo's maintenance scene: drain a CPC, then fail back.

A cloud with a standby partition per CPC; the same number of guests on
every LPAR of the first CPC, one of them stopped and one a member of an
anti-affinity pair whose other member runs on the second CPC.
A drain of CPC Z1 empties it through Nova's scheduler (the ZHA filters
keep the pair on two CPCs and the standbys free), then a failback of Z1
brings every guest home: the library runs of ``zha-scheduler drain --cpc
Z1`` and ``failback --cpc Z1``, whose reports are kept. The benchmark
``tools/benchmark_maintenance.py`` runs the same scene with more guests.
"""

import dataclasses
import time
from typing import Any

import fixtures
from oslo_config import cfg

from zha_scheduler.sim import client
from zha_scheduler.sim import cloud

CONF = cfg.CONF
CPC = 'Z1'


@dataclasses.dataclass
class GuestPath:
    """Where one guest was: before, after the drain, after the failback."""

    name: str
    status: str
    before: str
    drained: str = '-'
    home: str = '-'


@dataclasses.dataclass
class MaintenanceScene:
    """The maintenance scene's guests, reports and times."""

    title: str
    hosts: list[cloud.SimHost]
    guests: list[GuestPath] = dataclasses.field(default_factory=list)
    drain: dict[str, Any] | None = None
    failback: dict[str, Any] | None = None
    #: exit status and wall-clock seconds of each command
    statuses: dict[str, int] = dataclasses.field(default_factory=dict)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {'scene': self.title, 'error': self.error,
                'guests': [dataclasses.asdict(g) for g in self.guests],
                'statuses': self.statuses, 'seconds': self.seconds,
                'drain': self.drain, 'failback': self.failback}


class _MaintenanceCase(cloud.SimulatedCloud):
    """The scene; run programmatically, not collected as a test."""

    SCENE: MaintenanceScene
    GUESTS_PER_LPAR = 2
    MAX_PARALLEL = 2
    # Real casts: Nova's API answers before a move ends, as in a cloud.
    CAST_AS_CALL = False

    def runTest(self) -> None:
        scene = self.SCENE
        servers = self.boot_guests()
        scene.guests = [GuestPath(s['name'], s['status'], self.host_of(s))
                        for s in servers]
        plan = self.command('drain', dry_run=True)
        scene.drain = self.command(
            'drain', allow_degraded=bool(plan['groups_at_risk']))
        self.record(servers, 'drained')
        scene.failback = self.command('failback')
        self.record(servers, 'home')

    def boot_guests(self) -> list[dict]:
        """GUESTS_PER_LPAR guests on each LPAR of the CPC, the last stopped.

        The first LPAR's first guest is a member of an anti-affinity pair
        whose other member runs on the next CPC.
        """
        self.lock_url = 'file://%s/locks' % self.useFixture(
            fixtures.TempDir()).path
        self.conn = client.connection(self)
        lpars = [h.name for h in self.HOSTS
                 if h.cpc == CPC and not h.standby]
        group = self.create_group('anti-affinity', 'db-ha')
        servers = self.boot_on(lpars[0], 'db-ha-1', group=group)
        servers += self.boot_on(lpars[0].replace('cpc1', 'cpc2'), 'db-ha-2',
                                group=group)
        for index, lpar in enumerate(lpars):
            count = self.GUESTS_PER_LPAR - (index == 0)
            if count:
                servers += self.boot_on(lpar, 'app-%s' % lpar.split('-')[1],
                                        count=count)
        self.admin_api.post_server_action(servers[-1]['id'],
                                          {'os-stop': None})
        servers[-1] = self._wait_for_state_change(servers[-1], 'SHUTOFF')
        return servers

    def command(self, kind: str, dry_run: bool = False,
                allow_degraded: bool = False) -> dict[str, Any]:
        """Drain or fail back CPC Z1 as the command does; its report."""
        from zha_scheduler.insight import collect
        from zha_scheduler.insight import maintenance
        from zha_scheduler.insight import operations

        options = operations.Options(
            max_parallel=self.MAX_PARALLEL,
            poll_interval=self.POLL_INTERVAL * 4, dry_run=dry_run,
            allow_degraded=allow_degraded)
        started = time.monotonic()
        snap = collect.collect(self.conn)
        target = maintenance.resolve(snap, cpc=CPC)
        if kind == 'drain':
            result = operations.run_drain(
                self.conn, snap, target, CONF.zha_scheduler.spread_domain,
                self.lock_url, options)
        else:
            result = operations.run_failback(self.conn, snap, target,
                                             self.lock_url, options)
        name = kind + (' (dry run)' if options.dry_run else '')
        self.SCENE.statuses[name] = (3 if result.refused else
                                     int(result.failed))
        self.SCENE.seconds[name] = round(time.monotonic() - started, 1)
        if result.failed or (result.refused and not options.dry_run):
            self.fail('%s: %s' % (name, result.to_dict()))
        report: dict[str, Any] = result.to_dict()
        return report

    def record(self, servers: list[dict], field: str) -> None:
        for guest, server in zip(self.SCENE.guests, servers, strict=True):
            setattr(guest, field,
                    self.host_of(self.admin_api.get_server(server['id'])))


def run(hosts: list[cloud.SimHost], guests_per_lpar: int = 2,
        max_parallel: int = 2) -> MaintenanceScene:
    """Start the cloud, drain the first CPC and fail it back."""
    scene = MaintenanceScene(
        title='Maintenance: drain CPC %s, then fail back' % CPC, hosts=hosts)
    case = type('MaintenanceScene', (_MaintenanceCase,), {
        'HOSTS': hosts, 'SCENE': scene, 'GUESTS_PER_LPAR': guests_per_lpar,
        'MAX_PARALLEL': max_parallel})
    scene.error = cloud.run_case(case)
    return scene


def render(scene: MaintenanceScene) -> str:
    """The guests' three hosts, the groups at risk, the standbys, times."""
    lines = [scene.title, '=' * len(scene.title)]
    if scene.error:
        lines.append('FAILED: %s' % scene.error)
        return '\n'.join(lines)
    drain, failback = scene.drain or {}, scene.failback or {}
    cpc_of = {h.name: h.cpc for h in scene.hosts}
    lines += [
        'zha-scheduler drain --cpc %s disables %s' % (
            CPC, ', '.join(drain.get('disabled', []))),
        'and moves every guest through Nova\'s scheduler (live migration, '
        'cold for',
        'the stopped one); zha-scheduler failback --cpc %s then enables '
        'them again' % CPC,
        'and brings each guest home by name.', '']
    header = ('GUEST', 'STATE', 'HOME', 'DURING MAINTENANCE', 'AFTER FAILBACK')
    rows = [header] + [
        (g.name, g.status, g.before,
         '%s (%s)' % (g.drained, cpc_of.get(g.drained)), g.home)
        for g in scene.guests]
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines += ['  '.join(v.ljust(w) for v, w in zip(row, widths,
                                                    strict=True)).rstrip()
              for row in rows]
    lines.append('')
    for risk in drain.get('groups_at_risk', []):
        lines.append('Group at risk, drained with --allow-degraded: %s: %s'
                     % (risk['name'], risk['reason']))
    home = sum(1 for g in scene.guests if g.home == g.before)
    standby = ', '.join('%s %d' % kv for kv in sorted(
        (failback.get('standby_instances') or {}).items()))
    lines += [
        'Drain: %d moved, %d failed in %.1f s; failback: %d moved, %d '
        'failed in %.1f s.' % (
            drain.get('moved', 0), drain.get('failed', 0),
            drain.get('seconds') or 0.0, failback.get('moved', 0),
            failback.get('failed', 0), failback.get('seconds') or 0.0),
        '%d of %d guests are home; instances on the standby partitions: %s.'
        % (home, len(scene.guests), standby or 'none')]
    return '\n'.join(lines)
