"""``zha-scheduler demo``: the same boots on stock Nova and with zha-scheduler.

Each scene starts a simulated IBM Z cloud (real Nova services in-process,
fake virt driver, real Placement), loads the LPARs of every CPC but the first
so that Nova's weighers prefer the first CPC, then boots one
``anti-affinity`` and one ``soft-anti-affinity`` group and reports where the
members landed.
"""

import collections
import dataclasses
import unittest
from typing import Any

from zha_scheduler.sim import cloud
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
    case_class = type('Scene', (_Scene,), {
        'HOSTS': hosts, 'LPARS_PER_CPC': lpars_per_cpc, 'MEMBERS': members,
        'ZHA_ENABLED': zha_enabled, 'SCENE': scene})
    result = unittest.TestResult()
    case_class().run(result)
    problems = result.errors + result.failures
    if problems:
        scene.error = problems[0][1].strip().splitlines()[-1]
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
