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

"""Unit tests of the [filter_scheduler] filter checks, on nova.conf files."""

import fixtures

from tests.unit.check import helpers
from zha_scheduler.check import findings
from zha_scheduler.check import loader
from zha_scheduler.check import scheduler_conf

NOVA_LINE = 'available_filters = nova.scheduler.filters.all_filters\n'
ZHA_LINE = 'available_filters = zha_scheduler.filters.all_filters\n'
ENABLED = ('enabled_filters = ComputeFilter,ComputeCapabilitiesFilter,'
           'ImagePropertiesFilter,ServerGroupAntiAffinityFilter,'
           'ServerGroupAffinityFilter,ZhaStandbyFilter,ZhaRedundancyFilter,'
           'ZhaConsistencyGroupFilter,ZhaFailureDomainFilter')


class FiltersTest(helpers.CheckTestCase):

    def check(self, *replace, text=None):
        return scheduler_conf.check_filters(self.nova(text, replace))

    def test_shipped_snippet_has_no_error_nor_warning(self):
        found = self.check()
        self.assertEqual([findings.OK] * 5, [f.severity for f in found], found)
        self.assertEqual(['filters-loadable', 'nova-filters-kept',
                          'filters-enabled', 'anti-affinity-filter',
                          'filter-order'],
                         [f.check for f in found])

    def test_lost_nova_line_is_one_error_naming_novas_enabled_filters(self):
        found = self.check((NOVA_LINE, ''))
        kept = self.only(found, 'nova-filters-kept', findings.ERROR)
        self.assertIn('ComputeCapabilitiesFilter, ComputeFilter, '
                      'ImagePropertiesFilter, ServerGroupAffinityFilter, '
                      'ServerGroupAntiAffinityFilter', kept.message)
        self.assertIn('as the first available_filters line', kept.fix)
        # The same missing filters are not reported twice.
        self.only(found, 'filters-loadable', findings.OK)

    def test_lost_nova_line_without_nova_filters_enabled_is_a_warning(self):
        found = self.check((NOVA_LINE, ''), (ENABLED, 'enabled_filters = '
                                             'ZhaFailureDomainFilter'))
        self.only(found, 'nova-filters-kept', findings.WARNING)

    def test_misspelt_filter_is_an_error_with_a_suggestion(self):
        found = self.check(('ZhaRedundancyFilter,', 'ZhaRedundancyFiltr,'))
        error = self.only(found, 'filters-loadable', findings.ERROR)
        self.assertIn('enabled filter ZhaRedundancyFiltr is not among the '
                      'loaded filter classes '
                      '(did you mean ZhaRedundancyFilter?)',
                      error.message)
        self.assertIn('SchedulerHostFilterNotFound', error.message)

    def test_unloadable_available_filters_value_is_an_error(self):
        misspelt = ZHA_LINE.replace('all_filters', 'all_filterz')
        found = self.check((ZHA_LINE, misspelt))
        errors = [f.message for f in found if f.severity == findings.ERROR]
        self.assertIn('available_filters value '
                      'zha_scheduler.filters.all_filterz '
                      'cannot be loaded: module zha_scheduler.filters has no '
                      'attribute all_filterz', errors)
        # The ZHA filters it should have brought are enabled, not loaded.
        self.assertIn('ZhaFailureDomainFilter is enabled but not loaded: '
                      'available_filters lacks '
                      'zha_scheduler.filters.all_filters; '
                      'nova-scheduler does not start', errors)

    def test_missing_module_is_reported_in_one_line(self):
        found = self.check((ZHA_LINE,
                            'available_filters = zha_schedulr.all\n'))
        messages = [f.message for f in found if f.check == 'filters-loadable']
        self.assertIn("available_filters value zha_schedulr.all cannot be "
                      "loaded: No module named 'zha_schedulr'", messages)

    def test_zha_filter_failing_to_import_names_the_error(self):
        real = loader.load

        def without_standby(handler, entries):
            loaded = real(handler, entries)
            loaded.classes.pop('ZhaStandbyFilter', None)
            return loaded
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.check.loader.load', without_standby))
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.check.loader.plugin_failures',
            lambda namespace: {'ZhaStandbyFilter': 'No module named yaml'}))
        error = self.only(self.check(), 'filters-loadable', findings.ERROR)
        self.assertEqual('ZhaStandbyFilter is enabled but fails to import: '
                         'No module named yaml', error.message)

    def test_anti_affinity_filter_disabled_is_an_error(self):
        found = self.check(('ServerGroupAntiAffinityFilter,', ''))
        error = self.only(found, 'anti-affinity-filter', findings.ERROR)
        self.assertIn('Nova refuses every boot into an anti-affinity server '
                      'group', error.message)
        self.assertIn('add ServerGroupAntiAffinityFilter', error.fix)

    def test_zha_filters_not_enabled_are_warnings(self):
        found = self.check(('ZhaStandbyFilter,ZhaRedundancyFilter,', ''))
        warnings = [f for f in found if f.check == 'filters-enabled']
        self.assertEqual([findings.WARNING] * 2,
                         [f.severity for f in warnings])
        self.assertEqual(['ZhaStandbyFilter', 'ZhaRedundancyFilter'],
                         [f.message.split()[0] for f in warnings])
        self.assertIn('before ZhaFailureDomainFilter', warnings[0].fix)

    def test_no_zha_at_all_is_one_warning(self):
        found = self.check(text='[filter_scheduler]\n')
        warning = self.only(found, 'filters-enabled', findings.WARNING)
        self.assertIn('zha-scheduler is not enabled', warning.message)
        self.assertEqual([], self.errors(found))
        self.assertIn('skipped',
                      self.only(found, 'anti-affinity-filter').message)

    def test_failure_domain_filter_before_others_is_a_warning(self):
        found = self.check(('ZhaStandbyFilter,',
                            'ZhaFailureDomainFilter,ZhaStandbyFilter,'),
                           (',ZhaFailureDomainFilter\n', '\n'))
        warning = self.only(found, 'filter-order', findings.WARNING)
        self.assertIn('ZhaFailureDomainFilter comes before '
                      'ZhaConsistencyGroupFilter, '
                      'ZhaRedundancyFilter, ZhaStandbyFilter', warning.message)
        self.assertEqual([], self.errors(found))
