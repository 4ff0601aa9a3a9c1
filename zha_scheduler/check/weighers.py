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

"""[filter_scheduler] weight_classes: Nova's weighers kept, ZHA's loaded."""

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.check import loader

GROUP = 'filter_scheduler'
NOVA_WEIGHERS = loader.NOVA_WEIGHERS
ZHA_WEIGHERS = loader.ZHA_WEIGHERS
# nova.scheduler.utils.validate_weigher looks for this path or Nova's line.
SOFT_ANTI_AFFINITY_WEIGHER = ('nova.scheduler.weights.affinity.'
                              'ServerGroupSoftAntiAffinityWeigher')

#: Each ZHA weigher's multiplier option, and what is lost without it.
ZHA_WEIGHERS_LOST = {
    'ZhaFailureDomainWeigher': ('failure_domain_weight_multiplier',
                                'soft-anti-affinity groups are not spread '
                                'over CPCs'),
    'ZhaRedundancyWeigher': ('redundancy_weight_multiplier',
                             'degraded hosts rank like healthy ones and '
                             'zha:redundancy=preferred has no effect'),
}


def check_weighers(nova: config_files.SafeConf) -> list[Finding]:
    """weighers-loadable, nova-weighers-kept and weighers-enabled."""
    from nova.scheduler import weights
    classes: list[str] = list(nova.get(GROUP, 'weight_classes', []) or [])
    loaded = loader.load(weights.HostWeightHandler(), classes)
    result = [findings.error(
        'weighers-loadable', 'weight_classes value %s cannot be loaded: %s'
        % (entry, why), loader.entry_fix(entry, 'weight_classes'))
        for entry, why in loaded.failures.items()]
    if not result:
        result.append(findings.ok(
            'weighers-loadable',
            'every weight_classes value loads (%d weighers)'
            % len(loaded.classes)))
    if NOVA_WEIGHERS in classes or SOFT_ANTI_AFFINITY_WEIGHER in classes:
        result.append(findings.ok('nova-weighers-kept', 'weight_classes keeps '
                                  'Nova\'s %s' % NOVA_WEIGHERS))
    else:
        result.append(findings.error(
            'nova-weighers-kept', 'weight_classes lacks %s: Nova refuses '
            'every boot into a soft-anti-affinity server group '
            '("ServerGroupSoftAntiAffinityWeigher not configured") and its '
            'capacity weighers are off' % NOVA_WEIGHERS,
            'set weight_classes = %s,%s' % (NOVA_WEIGHERS, ZHA_WEIGHERS)))
    result += _weighers_enabled(nova, classes, loaded)
    return result


def _weighers_enabled(nova: config_files.SafeConf, classes: list[str],
                      loaded: loader.Loaded) -> list[Finding]:
    check = 'weighers-enabled'
    result = []
    for name, (multiplier, lost) in ZHA_WEIGHERS_LOST.items():
        if name not in loaded.classes:
            if ZHA_WEIGHERS not in classes:
                fix = ('add %s to [filter_scheduler] weight_classes'
                       % ZHA_WEIGHERS)
            else:
                why = loader.plugin_failures('zha_scheduler.weighers').get(
                    name, 'not registered')
                fix = ('reinstall zha-scheduler in nova-scheduler\'s Python '
                       'environment (%s)' % why)
            result.append(findings.warning(
                check, '%s is not loaded: %s' % (name, lost), fix))
            continue
        value = nova.get('zha_scheduler', multiplier, 1.0)
        if value is not None and value <= 0:
            result.append(findings.warning(
                check, '%s is loaded but [zha_scheduler] %s = %s %s it: %s'
                % (name, multiplier, value,
                   'disables' if value == 0 else 'reverses', lost),
                'set [zha_scheduler] %s to a positive value (default 1.0)'
                % multiplier))
    if not result:
        result.append(findings.ok(check, 'both ZHA weighers are loaded'))
    return result
