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

"""Unit tests of the weight_classes checks, on nova.conf files."""

from tests.unit.check import helpers
from zha_scheduler.check import findings
from zha_scheduler.check import weighers

WEIGHERS = ('weight_classes = nova.scheduler.weights.all_weighers,'
            'zha_scheduler.weights.all_weighers')


class WeighersTest(helpers.CheckTestCase):

    def check(self, *replace):
        return weighers.check_weighers(self.nova(None, replace))

    def test_shipped_snippet_is_ok(self):
        found = self.check()
        self.assertEqual(['weighers-loadable', 'nova-weighers-kept',
                          'weighers-enabled'],
                         [f.check for f in found])
        self.assertEqual([findings.OK] * 3, [f.severity for f in found])

    def test_zha_weighers_missing_are_warnings(self):
        found = self.check(
            (WEIGHERS, 'weight_classes = nova.scheduler.weights.all_weighers'))
        warnings = [f for f in found if f.check == 'weighers-enabled']
        self.assertEqual([findings.WARNING] * 2,
                         [f.severity for f in warnings])
        self.assertEqual('add zha_scheduler.weights.all_weighers to '
                         '[filter_scheduler] weight_classes', warnings[0].fix)
        self.assertEqual([], self.errors(found))

    def test_lost_nova_weighers_is_an_error(self):
        found = self.check(
            (WEIGHERS, 'weight_classes = zha_scheduler.weights.all_weighers'))
        error = self.only(found, 'nova-weighers-kept', findings.ERROR)
        self.assertIn('soft-anti-affinity', error.message)

    def test_unloadable_weigher_is_an_error(self):
        found = self.check(
            (WEIGHERS, WEIGHERS + ',nova.scheduler.weights.ram'))
        error = self.only(found, 'weighers-loadable', findings.ERROR)
        self.assertIn('weight_classes value nova.scheduler.weights.ram '
                      'cannot be loaded', error.message)

    def test_zero_multiplier_is_a_warning(self):
        found = self.check(('failure_domain_weight_multiplier = 1.0',
                            'failure_domain_weight_multiplier = 0'))
        warning = self.only(found, 'weighers-enabled', findings.WARNING)
        self.assertIn('failure_domain_weight_multiplier = 0.0 disables it',
                      warning.message)
