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

"""The ``zha:`` flavor extra specs through Nova's real flavor API."""

import fixtures
from nova.api.validation.extra_specs import validators
from nova.tests.functional.api import client
from nova import utils

from zha_scheduler.sim import cloud

VALID = {'zha:redundancy': 'required', 'zha:consistency_group': 'ORA_PROD'}
INVALID = [
    ({'zha:redundancy': 'mandatory'},
     "Validation failed; extra spec 'zha:redundancy' must be one of: "
     "required, preferred; got 'mandatory'."),
    ({'zha:consistency_group': ' '},
     "Validation failed; extra spec 'zha:consistency_group' must name a "
     "storage consistency group"),
    ({'zha:redundant': 'required'},
     "Validation failed; 'zha:redundant' is not a zha-scheduler extra spec: "
     "the 'zha:' namespace has only zha:redundancy (required, preferred) "
     "and zha:consistency_group (a storage consistency group name)."),
]


class _FlavorApi(cloud.SimulatedCloud):
    """Nova's API with one compute; the admin sets extra specs at 2.86."""

    HOSTS = [cloud.SimHost('lpar1')]

    def setUp(self):
        super().setUp()
        self.flavor_id = self._create_flavor(name='ha')

    def post(self, specs, microversion='2.86'):
        """POST extra specs; return (status, body text)."""
        api = self.admin_api
        with utils.temporary_mutation(api, microversion=microversion):
            try:
                body = api.post_extra_spec(self.flavor_id,
                                           {'extra_specs': specs})
            except client.OpenStackApiException as exc:
                return exc.response.status_code, exc.response.text
        return 200, body

    def rejected(self, microversion='2.86'):
        """Which INVALID cases the API answered with 400."""
        return [specs for specs, _ in INVALID
                if self.post(specs, microversion)[0] == 400]


class ExtraSpecsApiTest(_FlavorApi):

    def test_valid_zha_extra_specs_are_accepted(self):
        for value in ('required', 'preferred'):
            status, _ = self.post(dict(VALID, **{'zha:redundancy': value}))
            self.assertEqual(200, status, value)
        self.assertEqual(
            dict(VALID, **{'zha:redundancy': 'preferred'}),
            self.admin_api.get_extra_specs(self.flavor_id))

    def test_invalid_zha_extra_specs_are_rejected_with_a_clear_message(self):
        for specs, message in INVALID:
            status, body = self.post(specs)
            self.assertEqual(400, status, specs)
            self.assertIn(message, body)
        self.assertEqual({}, self.admin_api.get_extra_specs(self.flavor_id))

    def test_microversions_before_2_86_do_not_validate(self):
        self.assertEqual([], self.rejected(microversion='2.85'))


class ExtraSpecsWithoutValidatorsTest(_FlavorApi):
    """Nova without zha_scheduler.extra_specs: the namespace is unknown."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(validators, 'VALIDATORS', {
            name: validator
            for name, validator in validators.VALIDATORS.items()
            if not name.startswith('zha:')}))
        self.useFixture(fixtures.MockPatchObject(
            validators, 'NAMESPACES', validators.NAMESPACES - {'zha'}))

    def test_invalid_zha_extra_specs_are_accepted(self):
        self.assertEqual([], self.rejected())
