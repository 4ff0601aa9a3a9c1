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

"""``zha-scheduler demo``: the same boots on stock Nova and with zha-scheduler.

Each scene starts a simulated IBM Z cloud (real Nova services in-process,
fake virt driver, real Placement), loads the LPARs of every CPC but the first
so that Nova's weighers prefer the first CPC, then boots one
``anti-affinity`` and one ``soft-anti-affinity`` group and reports where the
members landed.

The failure scene starts a cloud with a standby partition per CPC and
zhmcclient's faked HMC, boots guests, runs ``zha-evacuate watch`` (the HMC
as detector and fencer, default settings) and fails one LPAR on the HMC
(``not-operating``, its nova-compute stopped); it shows the timeline of
the recovery and where each guest was before and after. The maintenance
scene (``maintenance_scene``) drains a CPC of the same cloud and fails it
back.
"""

import collections
import dataclasses
import time
from typing import Any

from zha_scheduler.sim import cloud
from zha_scheduler.sim import maintenance_scene
from zha_scheduler.sim import recovery
from zha_scheduler import traits


@dataclasses.dataclass
class SceneResult:
    """Where one scene put each group's members."""

    title: str
    hosts: list[cloud.SimHost]
    # group name -> policy, and group name -> [(member name, host)]
    policies: dict[str, str] = dataclasses.field(default_factory=dict)
    placements: dict[str, list[tuple[str, str]]] = dataclasses.field(
        default_factory=dict)
    error: str | None = None
    # host -> the CUSTOM_ZHA_* traits zha-trait-agent published for it.
    traits: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def members_per_cpc(self, group: str) -> collections.Counter:
        cpc_of = {h.name: h.cpc for h in self.hosts}
        return collections.Counter(cpc_of[host]
                                   for _, host in self.placements[group])

    def to_dict(self) -> dict[str, Any]:
        return {
            'scene': self.title,
            'error': self.error,
            'traits': self.traits,
            'groups': {
                name: {
                    'policy': self.policies[name],
                    'members': [{'name': member, 'host': host,
                                 'cpc': self._cpc(host)}
                                for member, host in self.placements[name]],
                    'members_per_cpc': dict(self.members_per_cpc(name)),
                } for name in self.placements},
        }

    def _cpc(self, host: str) -> str | None:
        return next(h.cpc for h in self.hosts if h.name == host)


class _Scene(cloud.SimulatedCloud):
    """One demo scene; run programmatically, not collected as a test."""

    # Set by run_scene() before the case runs; results outlive the case,
    # whose attributes Nova's TestCase clears at cleanup.
    SCENE: SceneResult
    MEMBERS = 3

    def runTest(self) -> None:
        for host in self.HOSTS:
            self.SCENE.traits[host.name] = sorted(
                t for t in self.provider_traits(host.name)
                if t.startswith(traits.PREFIX))
        for host in self.HOSTS[self.LPARS_PER_CPC:]:
            self.load_host(host.name)
        for name, policy in (('db-ha', 'anti-affinity'),
                             ('web', 'soft-anti-affinity')):
            group = self.create_group(policy, name)
            self.SCENE.policies[name] = policy
            self.SCENE.placements[name] = [
                (server['name'], self.host_of(server))
                for server in self.boot_named(group, name, self.MEMBERS)]

    def boot_named(self, group: dict, prefix: str, count: int) -> list[dict]:
        return [self.boot_in_group(group, '%s-%d' % (prefix, index))
                for index in range(count)]


def run_scene(title: str, zha_enabled: bool, cpcs: int, lpars_per_cpc: int,
              members: int) -> SceneResult:
    """Start a simulated cloud, boot the groups and return where they went."""
    hosts = cloud.grid(cpcs=cpcs, lpars_per_cpc=lpars_per_cpc)
    scene = SceneResult(title=title, hosts=hosts)
    scene.error = cloud.run_case(type('Scene', (_Scene,), {
        'HOSTS': hosts, 'LPARS_PER_CPC': lpars_per_cpc, 'MEMBERS': members,
        'ZHA_ENABLED': zha_enabled, 'SCENE': scene}))
    return scene


def render(scene: SceneResult) -> str:
    """A table of LPARs per CPC with the members each one holds."""
    lines = [scene.title, '=' * len(scene.title)]
    if scene.error:
        lines.append('FAILED: %s' % scene.error)
        return '\n'.join(lines)
    by_host: dict[str, list[str]] = collections.defaultdict(list)
    for placements in scene.placements.values():
        for member, host in placements:
            by_host[host].append(member)
    lines.append('%-5s %-12s %-26s %s' % ('CPC', 'LPAR', 'members',
                                          'traits from zha-trait-agent'))
    for lpar in scene.hosts:
        published = [t[len(traits.PREFIX):]
                     for t in scene.traits.get(lpar.name, [])]
        lines.append('%-5s %-12s %-26s %s' % (
            lpar.cpc, lpar.name, ', '.join(by_host[lpar.name]) or '-',
            ' '.join(published) or '-'))
    lines.append('')
    for group, policy in scene.policies.items():
        per_cpc = scene.members_per_cpc(group)
        total = len(scene.placements[group])
        worst_cpc, worst = per_cpc.most_common(1)[0]
        lines.append('%s (%s): %d members on %d of %d CPCs; losing CPC %s '
                     'takes down %d of %d.' % (
                         group, policy, total, len(per_cpc),
                         len({h.cpc for h in scene.hosts}), worst_cpc, worst,
                         total))
    return '\n'.join(lines)


@dataclasses.dataclass
class GuestRow:
    """One guest of the failure scene, before and after the evacuation."""

    name: str
    state_before: str
    host_before: str
    state_after: str = '-'
    host_after: str = '-'


@dataclasses.dataclass
class FailureScene:
    """The failure scene: the failed LPAR, the guests, the hook's report."""

    title: str
    hosts: list[cloud.SimHost]
    failed: str
    partners: dict[str, str]
    guests: list[GuestRow] = dataclasses.field(default_factory=list)
    report: dict[str, Any] | None = None
    report_table: str = ''
    recovery_seconds: float | None = None
    #: Each step, in seconds from the failure on the HMC:
    #: {'seconds', 'step', 'detail'} (recovery.steps).
    timeline: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            'scene': self.title,
            'error': self.error,
            'failed_host': self.failed,
            'partners': self.partners,
            'standby_hosts': [h.name for h in self.hosts if h.standby],
            'guests': [dataclasses.asdict(g) for g in self.guests],
            'recovery_seconds': self.recovery_seconds,
            'timeline': self.timeline,
            'report': self.report,
        }


def failure_hosts(cpcs: int, lpars_per_cpc: int) -> list[cloud.SimHost]:
    """``cpc<N>-lpar<M>`` plus one ``cpc<N>-standby`` partition per CPC."""
    names = ['lpar%d' % m for m in range(1, lpars_per_cpc + 1)] + ['standby']
    return [cloud.SimHost('cpc%d-%s' % (c, name), 'Z%d' % c, fixture='healthy',
                          standby=name == 'standby')
            for c in range(1, cpcs + 1)
            for name in names]


def partners_of(hosts: list[cloud.SimHost]) -> dict[str, str]:
    """Each LPAR's partner: the standby of the next CPC (round robin).

    A standby on another CPC survives the loss of a whole CPC, not only of an
    LPAR.
    """
    cpcs = sorted({h.cpc for h in hosts if h.cpc}, key=lambda c: int(c[1:]))
    standby = {h.cpc: h.name for h in hosts if h.standby}
    return {h.name: standby[cpcs[(cpcs.index(h.cpc) + 1) % len(cpcs)]]
            for h in hosts if not h.standby and h.cpc}


class _FailureScene(recovery.RecoveryCloud):
    """The failure scene; run programmatically, not collected as a test."""

    SCENE: FailureScene

    def runTest(self) -> None:
        scene = self.SCENE
        failed = scene.failed
        cpcs = sorted({h.cpc or '' for h in self.HOSTS},
                      key=lambda c: int(c[1:]))
        # An anti-affinity group with one member on the first LPAR of each
        # CPC, a priority guest and a stopped guest on the LPAR that fails.
        group = self.create_group('anti-affinity', 'db-ha')
        servers = [self.boot_on('cpc%s-lpar1' % cpc[1:], 'db-ha-%d' % index,
                                group=group)[0]
                   for index, cpc in enumerate(cpcs, 1)]
        servers += self.boot_on(failed, 'web-1',
                                metadata={'zha:priority': '10'})
        servers += self.boot_on(failed, 'batch-1')
        self.admin_api.post_server_action(servers[-1]['id'], {'os-stop': None})
        servers[-1] = self._wait_for_state_change(servers[-1], 'SHUTOFF')
        scene.guests = [GuestRow(s['name'], s['status'], self.host_of(s))
                        for s in servers]

        # One controller: zha-evacuate watch with the HMC as detector and
        # fencer, every other option at its default.
        watch = self.controller('watch')
        self.assertTrue(watch.led.wait(60), 'the watcher did not start')
        moving = [s['id'] for s in servers if self.host_of(s) == failed]
        self.fail_lpar(failed)
        self.wait_until_back(moving, lambda host: host != failed,
                             ('ACTIVE', 'SHUTOFF'),
                             label='back (the stopped one SHUTOFF)')
        back = self.timeline.seconds(self.timeline.last(recovery.ACTIVE))
        scene.recovery_seconds = round(back or 0.0, 2)
        scene.timeline = [
            {'seconds': round(step.seconds, 2), 'step': step.what,
             'detail': step.detail}
            for step in recovery.steps(self.timeline)]
        # The run's report, once the watcher has seen every guest back.
        deadline = time.monotonic() + self.HANG_GUARD
        while not watch.reports:
            self.assertLess(time.monotonic(), deadline, 'no report')
            time.sleep(self.POLL_INTERVAL)
        scene.report = watch.reports[0].to_dict()
        scene.report_table = watch.reports[0].to_table()
        after = {s['id']: self.admin_api.get_server(s['id'])
                 for s in servers}
        for row, server in zip(scene.guests, servers, strict=True):
            row.state_after = after[server['id']]['status']
            row.host_after = self.host_of(after[server['id']])


def run_failure_scene(cpcs: int, lpars_per_cpc: int) -> FailureScene:
    """Start a cloud with a standby per CPC, fail an LPAR, run the hook."""
    hosts = failure_hosts(cpcs, lpars_per_cpc)
    scene = FailureScene(
        title='An LPAR fails: zha-evacuate restarts its guests on the standby',
        hosts=hosts, failed='cpc1-lpar1', partners=partners_of(hosts))
    scene.error = cloud.run_case(type('FailureScene', (_FailureScene,), {
        'HOSTS': hosts, 'ZHA_ENABLED': True, 'SCENE': scene,
        'PARTNERS': scene.partners}))
    return scene


def render_failure(scene: FailureScene) -> str:
    """The guests before and after, the hook's report and the recovery time."""
    lines = [scene.title, '=' * len(scene.title)]
    if scene.error:
        lines.append('FAILED: %s' % scene.error)
        return '\n'.join(lines)
    cpc_of = {h.name: h.cpc for h in scene.hosts}
    partner = scene.partners.get(scene.failed, '-')
    lines += [
        'Cloud: %d CPCs, each with %d LPAR(s) and one standby partition '
        '(cpcN-standby).' % (
            len(set(cpc_of.values())),
            sum(1 for h in scene.hosts if h.cpc == 'Z1' and not h.standby)),
        'Partners (partners_file): each LPAR -> the standby of the next CPC, '
        'so the',
        'standby survives the loss of its primary\'s whole CPC; here %s -> '
        '%s.' % (scene.failed, partner),
        '%s fails: its LPAR goes not-operating on the (faked) HMC and its'
        % scene.failed,
        'nova-compute stops. zha-evacuate watch (fencing = hmc, default '
        'settings)',
        'finds it on the HMC, fences it, forces it down and evacuates it.',
        '']
    header = ('GUEST', 'STATE BEFORE', 'HOST BEFORE', 'STATE AFTER',
              'HOST AFTER', 'CHANGE')
    rows = [header] + [
        (g.name, g.state_before,
         '%s (%s)' % (g.host_before, cpc_of.get(g.host_before)),
         g.state_after, '%s (%s)' % (g.host_after, cpc_of.get(g.host_after)),
         'moved' if g.host_after != g.host_before else 'unchanged')
        for g in scene.guests]
    widths = [max(len(str(row[c])) for row in rows)
              for c in range(len(header))]
    lines += ['  '.join(str(v).ljust(w)
                        for v, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    refused = [inst for inst in (scene.report or {}).get('instances', [])
               if 'refused' in inst.get('reason', '')]
    if refused:
        lines.append('')
    for inst in refused:
        prefix = inst['name'].rsplit('-', 1)[0]
        sibling = next((g for g in scene.guests if g.name != inst['name'] and
                        g.name.rsplit('-', 1)[0] == prefix and
                        cpc_of.get(g.host_after) == cpc_of.get(partner)),
                       None)
        why = ('its anti-affinity group already has %s on %s' % (
            sibling.name, cpc_of.get(partner)) if sibling else inst['reason'])
        lines.append('%s: Nova refused the partner %s (%s);'
                     % (inst['name'], partner, why))
        lines.append('  the hook then let Nova\'s scheduler choose: %s.'
                     % inst['target'])
    lines += ['', "The hook's report:", scene.report_table, '']
    if scene.timeline:
        lines.append('Timeline, in seconds after %s failed on the HMC:'
                     % scene.failed)
        width = max(len(step['step']) for step in scene.timeline)
        lines += [('%7.1f  %s  %s' % (step['seconds'],
                                      step['step'].ljust(width),
                                      step['detail'])).rstrip()
                  for step in scene.timeline]
        lines.append('')
    moved = sum(1 for g in scene.guests if g.host_before == scene.failed)
    lines.append('Recovery: %d guest(s) back (ACTIVE ones ACTIVE, stopped '
                 'ones SHUTOFF) %.1f s after %s failed on the HMC.'
                 % (moved, scene.recovery_seconds or 0.0, scene.failed))
    return '\n'.join(lines)


def run_maintenance_scene(cpcs: int, lpars_per_cpc: int
                          ) -> maintenance_scene.MaintenanceScene:
    """The failure scene's cloud: drain CPC Z1, then fail it back."""
    return maintenance_scene.run(failure_hosts(cpcs, lpars_per_cpc))


render_maintenance = maintenance_scene.render
