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

"""standby-partners: hook's partners_file against Placement's standby hosts."""

import collections

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.check.placement_checks import PlacementView
from zha_scheduler.clients import topology_files

CHECK = 'standby-partners'
STANDBY_TRAIT = 'CUSTOM_ZHA_STANDBY'


def check_partners(hook: config_files.SafeConf | None,
                   view: PlacementView | None) -> list[Finding]:
    """Check the primary -> standby map of ``[zha_evacuate] partners_file``.

    :param hook: the hook's configuration; None: no ``--hook-conf``.
    :param view: Placement's compute nodes and traits; None when Placement
        was skipped or unreachable (only the file itself is checked).
    """
    if hook is None:
        return [findings.skipped(CHECK, 'no --hook-conf given')]
    path = hook.get('zha_evacuate', 'partners_file')
    if not path:
        return [findings.ok(CHECK, 'partners_file is not set: zha-evacuate '
                            'picks a standby host on another CPC')]
    try:
        partners = topology_files.load_partners(path)
    except topology_files.TopologyFileError as exc:
        return [findings.error(
            CHECK, findings.one_line(exc),
            'write one "primary.example.com: standby.example.com" line per '
            'primary host in %s; zha-evacuate stops with a configuration '
            'error without it' % path)]
    result = [findings.error(
        CHECK, '%s is its own partner in %s' % (primary, path),
        'map %s to a standby host on another CPC' % primary)
        for primary, standby in sorted(partners.items()) if primary == standby]
    if view is None:
        if result:
            return result
        result.append(findings.ok(
            CHECK, 'partners_file %s maps %d primaries; standby hosts not '
            'checked without Placement' % (path, len(partners))))
        return result
    result += _against_placement(partners, view, path)
    if not result:
        result.append(findings.ok(
            CHECK, 'partners_file maps %d primaries to %d standby hosts, each '
            'on another CPC' % (len(partners), len(set(partners.values())))))
    return result


def _against_placement(partners: dict[str, str], view: PlacementView,
                       path: str) -> list[Finding]:
    names = view.names()
    standby = view.standby_names()
    result = []
    unknown = sorted({h for pair in partners.items() for h in pair} - names)
    if unknown:
        result.append(findings.warning(
            CHECK, 'partners_file names hosts that are not compute nodes in '
            'Placement: %s' % findings.name_list(unknown),
            'correct the names in %s: they must be the compute nodes\' names '
            '("openstack hypervisor list")' % path))
    not_standby = sorted((set(partners.values()) & names) - standby)
    if not_standby:
        result.append(findings.warning(
            CHECK, 'partner(s) %s carry no %s trait: ordinary boots can fill '
            'them, leaving no room for an evacuation'
            % (findings.name_list(not_standby), STANDBY_TRAIT),
            'set [zha_agent] standby = True in their zha-trait-agent.conf (or '
            'map the primaries to standby hosts)'))
    by_standby = collections.defaultdict(list)
    for primary, partner in partners.items():
        by_standby[partner].append(primary)
    unused = sorted(standby - set(by_standby))
    if unused:
        result.append(findings.warning(
            CHECK, 'standby host(s) %s are nobody\'s partner: zha-evacuate '
            'uses them only for primaries without a partner'
            % findings.name_list(unused),
            'map primaries to them in %s, or set [zha_agent] standby = False '
            'on them to give their capacity to ordinary boots' % path))
    for primary, partner in sorted(partners.items()):
        cpc = view.profile_by_name(primary).cpc
        if (primary != partner and cpc and
                cpc == view.profile_by_name(partner).cpc):
            result.append(findings.error(
                CHECK, '%s and its partner %s are both on CPC %s: one CPC '
                'failure takes both, and its guests have nowhere to go'
                % (primary, partner, cpc),
                'map %s to a standby host on another CPC in %s'
                % (primary, path)))
    return result
