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

"""[filter_scheduler] filters loaded, enabled, ordered as Nova reads them."""

import difflib
import sys

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.check import loader

GROUP = 'filter_scheduler'
NOVA_FILTERS = loader.NOVA_FILTERS
ZHA_FILTERS = loader.ZHA_FILTERS
ANTI_AFFINITY_FILTER = 'ServerGroupAntiAffinityFilter'
SPREAD_FILTER = 'ZhaFailureDomainFilter'

#: What is lost without each ZHA filter (the public names are fixed).
ZHA_FILTERS_LOST = {
    'ZhaStandbyFilter': 'ordinary boots fill the standby hosts kept free '
                        'for recovery',
    'ZhaRedundancyFilter': 'zha:redundancy=required flavors can land on '
                           'hosts with degraded network or storage',
    'ZhaConsistencyGroupFilter': 'requests naming a consistency group can '
                                 'land where its volumes are not reachable',
    'ZhaFailureDomainFilter': 'anti-affinity groups are spread over LPARs '
                              'only: two members can share a CPC',
}
SNIPPET = 'etc/nova/nova.conf.d/zha-scheduler.conf'


def _missing_zha_filter(name: str, available: list[str],
                        failures: dict[str, str]) -> Finding:
    check = 'filters-loadable'
    if ZHA_FILTERS not in available:
        return findings.error(
            check, '%s is enabled but not loaded: available_filters lacks %s; '
            'nova-scheduler does not start' % (name, ZHA_FILTERS),
            'add the line "available_filters = %s" after Nova\'s own '
            'available_filters line' % ZHA_FILTERS)
    if name in failures:
        return findings.error(
            check, '%s is enabled but fails to import: %s'
            % (name, failures[name]),
            'reinstall zha-scheduler in nova-scheduler\'s Python environment '
            'with the constraints of your Nova release')
    return findings.error(
        check, '%s is enabled but zha-scheduler does not register it in %s'
        % (name, sys.prefix),
        'reinstall zha-scheduler (pip install zha-scheduler) in '
        'nova-scheduler\'s Python environment')


def _missing_filter(name: str, loaded: loader.Loaded) -> Finding:
    close = difflib.get_close_matches(name, list(loaded.classes), n=1)
    hint = ' (did you mean %s?)' % close[0] if close else ''
    return findings.error(
        'filters-loadable', 'enabled filter %s is not among the loaded '
        'filter classes%s: nova-scheduler does not start '
        '(SchedulerHostFilterNotFound)' % (name, hint),
        'correct the name in [filter_scheduler] enabled_filters, or add the '
        'available_filters line of the package that provides it')


def _nova_filter_names() -> set[str]:
    from nova.scheduler import filters
    return {cls.__name__ for cls in filters.all_filters()}


def check_filters(nova: config_files.SafeConf) -> list[Finding]:
    """filters-loadable, nova-filters-kept, filters-enabled,
    anti-affinity-filter and filter-order.
    """
    from nova.scheduler import filters
    available: list[str] = list(nova.get(GROUP, 'available_filters', []) or [])
    enabled: list[str] = list(nova.get(GROUP, 'enabled_filters', []) or [])
    loaded = loader.load(filters.HostFilterHandler(), available)
    loadable: list[Finding] = []
    for entry, why in loaded.failures.items():
        loadable.append(findings.error(
            'filters-loadable', 'available_filters value %s cannot be '
            'loaded: %s' % (entry, why),
            loader.entry_fix(entry, 'available_filters')))
    missing = [n for n in enabled if n not in loaded.classes]
    # Nova's filters missing because its line is gone are nova-filters-kept's.
    lost = _nova_filter_names() if NOVA_FILTERS not in available else set()
    failures: dict[str, str] | None = None
    for name in missing:
        if name in lost:
            continue
        if name in ZHA_FILTERS_LOST:
            if failures is None:
                failures = loader.plugin_failures('zha_scheduler.filters')
            loadable.append(_missing_zha_filter(name, available, failures))
        else:
            loadable.append(_missing_filter(name, loaded))
    if not loadable:
        found = len(enabled) - len(missing)
        loadable.append(findings.ok(
            'filters-loadable', 'the %d enabled filters are loaded by '
            'available_filters (in %s)' % (found, sys.prefix)
            if not missing else
            '%d of the %d enabled filters are loaded; the others are Nova\'s '
            '(see nova-filters-kept)' % (found, len(enabled))))
    result = loadable + _nova_filters_kept(available, missing)
    result += _filters_enabled(available, enabled)
    result += _anti_affinity(enabled)
    result += _filter_order(enabled)
    return result


def _nova_filters_kept(available: list[str],
                       missing: list[str]) -> list[Finding]:
    check = 'nova-filters-kept'
    if NOVA_FILTERS in available:
        return [findings.ok(check, 'available_filters keeps Nova\'s own %s'
                            % NOVA_FILTERS)]
    fix = ('add "available_filters = %s" as the first available_filters line: '
           'the option is multi-valued (one line per value) and a line of its '
           'own replaces Nova\'s default' % NOVA_FILTERS)
    lost = sorted(set(missing) & _nova_filter_names())
    if lost:
        return [findings.error(
            check, 'available_filters lacks %s, so Nova\'s own filters are '
            'not loaded: the enabled %s cannot be found and nova-scheduler '
            'does not start'
            % (NOVA_FILTERS, findings.name_list(lost)), fix)]
    return [findings.warning(
        check, 'available_filters lacks %s: only the filters named in it can '
        'be enabled' % NOVA_FILTERS, fix)]


def _filters_enabled(available: list[str],
                     enabled: list[str]) -> list[Finding]:
    check = 'filters-enabled'
    off = [n for n in ZHA_FILTERS_LOST if n not in enabled]
    if len(off) == len(ZHA_FILTERS_LOST) and ZHA_FILTERS not in available:
        return [findings.warning(
            check, 'zha-scheduler is not enabled: no ZHA filter is loaded or '
            'enabled',
            'add the lines of %s to nova.conf (or drop the file into '
            'nova.conf.d) and restart nova-scheduler' % SNIPPET)]
    result = []
    for name in off:
        where = ('at the end' if name == SPREAD_FILTER
                 else 'before %s' % SPREAD_FILTER)
        result.append(findings.warning(
            check, '%s is not enabled: %s' % (name, ZHA_FILTERS_LOST[name]),
            'add %s to [filter_scheduler] enabled_filters, %s'
            % (name, where)))
    if not result:
        result.append(findings.ok(check, 'all %d ZHA filters are enabled'
                                  % len(ZHA_FILTERS_LOST)))
    return result


def _anti_affinity(enabled: list[str]) -> list[Finding]:
    check = 'anti-affinity-filter'
    if SPREAD_FILTER not in enabled:
        return [findings.skipped(check, '%s is not enabled' % SPREAD_FILTER)]
    if ANTI_AFFINITY_FILTER in enabled:
        return [findings.ok(check, '%s is enabled beside %s'
                            % (ANTI_AFFINITY_FILTER, SPREAD_FILTER))]
    # nova.scheduler.utils._get_group_details raises
    # UnsupportedPolicyException for anti-affinity groups without it.
    return [findings.error(
        check, '%s is enabled but %s is not: Nova refuses every boot into an '
        'anti-affinity server group ("ServerGroupAntiAffinityFilter not '
        'configured"), so there is nothing to spread'
        % (SPREAD_FILTER, ANTI_AFFINITY_FILTER),
        'add %s to [filter_scheduler] enabled_filters: the ZHA filter adds to '
        'it, it does not replace it (it still keeps two members off one LPAR)'
        % ANTI_AFFINITY_FILTER)]


def _filter_order(enabled: list[str]) -> list[Finding]:
    check = 'filter-order'
    if SPREAD_FILTER not in enabled:
        return [findings.skipped(check, '%s is not enabled' % SPREAD_FILTER)]
    after = enabled[enabled.index(SPREAD_FILTER) + 1:]
    if not after:
        return [findings.ok(check, '%s comes last in enabled_filters'
                            % SPREAD_FILTER)]
    return [findings.warning(
        check, '%s comes before %s: it counts the failure domains of hosts '
        'that later filters still remove, and can turn away the domains that '
        'would have kept the group within max_skew'
        % (SPREAD_FILTER, findings.name_list(after)),
        'move %s to the end of [filter_scheduler] enabled_filters, after the '
        'capacity and health filters' % SPREAD_FILTER)]
