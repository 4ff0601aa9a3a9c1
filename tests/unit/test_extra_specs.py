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

"""Unit tests for zha_scheduler.extra_specs, through Nova's registry."""

import importlib.metadata

from nova.api.validation.extra_specs import base as spec_base
from nova.api.validation.extra_specs import validators
from nova import exception
from oslotest import base
from stevedore import extension

from zha_scheduler import extra_specs
from zha_scheduler import request_spec

GROUP = 'nova.api.extra_spec_validators'


class RegistrationTest(base.BaseTestCase):

    def test_entry_point_names_the_module(self):
        (entry_point,) = [ep for ep in importlib.metadata.entry_points(
            group=GROUP) if ep.name == 'zha']
        self.assertEqual('zha_scheduler.extra_specs', entry_point.value)
        self.assertIs(extra_specs, entry_point.load())

    def test_novas_loader_registers_the_zha_namespace(self):
        # validators.load_validators() ran when Nova's module was imported,
        # through the same stevedore manager nova-api uses.
        for name in ('zha:redundancy', 'zha:consistency_group', 'zha:{key}'):
            self.assertIn(name, validators.VALIDATORS)
        self.assertIn('zha', validators.NAMESPACES)

    def test_stevedore_loads_the_module_without_a_failure(self):
        failures = []
        manager = extension.ExtensionManager(
            GROUP, invoke_on_load=False,
            on_load_failure_callback=lambda *args: failures.append(args))
        self.assertEqual([], failures)
        self.assertIs(extra_specs, manager['zha'].plugin)

    def test_register_returns_nova_validators(self):
        found = extra_specs.register()
        self.assertEqual(3, len(found))
        for validator in found:
            self.assertIsInstance(validator, spec_base.ExtraSpecValidator)
            self.assertTrue(validator.description)


class ValidateTest(base.BaseTestCase):
    """Through validators.validate, as the flavor API calls it (>= 2.86)."""

    def _error(self, name, value):
        return str(self.assertRaises(exception.ValidationError,
                                     validators.validate, name, value))

    def test_redundancy_values_accepted(self):
        for value in request_spec.REDUNDANCY_VALUES:
            validators.validate('zha:redundancy', value)

    def test_redundancy_other_values_rejected(self):
        for value in ('Required', 'mandatory', '', 'true'):
            self.assertEqual(
                "Validation failed; extra spec 'zha:redundancy' must be one "
                "of: required, preferred; got '%s'." % value,
                self._error('zha:redundancy', value))

    def test_consistency_group_names_accepted(self):
        for value in ('ORA_PROD', 'sap', 'payroll-db.eu 1', 'x' * 255):
            validators.validate('zha:consistency_group', value)

    def test_blank_consistency_group_rejected(self):
        for value in ('', '   '):
            message = self._error('zha:consistency_group', value)
            self.assertIn("extra spec 'zha:consistency_group' must name a "
                          "storage consistency group", message)

    def test_unknown_zha_keys_rejected_naming_the_valid_ones(self):
        for name in ('zha:redundant', 'zha:Redundancy', 'zha:', 'zha:a:b'):
            self.assertEqual(
                "Validation failed; '%s' is not a zha-scheduler extra spec: "
                "the 'zha:' namespace has only zha:redundancy (required, "
                "preferred) and zha:consistency_group (a storage consistency "
                "group name)." % name, self._error(name, 'required'))

    def test_other_namespaces_unchanged(self):
        validators.validate('hw:cpu_policy', 'dedicated')
        validators.validate('no_namespace', 'anything')
        validators.validate('other:anything', 'anything')
        self.assertIn("'sometimes' is not one of",
                      self._error('hw:cpu_policy', 'sometimes'))
