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

"""Unit tests of reading nova.conf:
files, invalid values, resume-guests-state.
"""

import os

from tests.unit.check import helpers
from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check import nova_conf


class NovaConfTest(helpers.CheckTestCase):

    def test_missing_file_is_a_config_file_error(self):
        missing = os.path.join(self.tmp, 'nova.conf')
        error = self.assertRaises(config_files.ConfigFileError,
                                  nova_conf.load, missing)
        self.assertEqual('cannot read %s: No such file or directory' % missing,
                         str(error))

    def test_unparseable_file_is_a_config_file_error(self):
        path = self.write('nova.conf',
                          '[filter_scheduler\nenabled_filters = x\n')
        error = self.assertRaises(config_files.ConfigFileError,
                                  nova_conf.load, path)
        self.assertIn(path, str(error))
        self.assertNotIn('\n', str(error))

    def test_invalid_values_are_errors_naming_the_option(self):
        nova = self.nova(replace=[
            ('spread_domain = cpc', 'spread_domain = rack'),
            ('max_skew = 1', 'max_skew = 0')])
        found = nova_conf.check_files(nova)
        messages = [f.message for f in found if f.check == 'option-values']
        self.assertEqual(
            ['[zha_scheduler] max_skew is invalid: Should be greater than or '
             'equal to 1 (in %s)' % nova.path,
             "[zha_scheduler] spread_domain is invalid: Valid values are "
             "[lpar, cpc, site], but found 'rack' (in %s)" % nova.path],
            messages)
        self.assertEqual([findings.ERROR] * 2,
                         self.severities(found, 'option-values'))
        # Later checks read the fallback instead of raising.
        self.assertIsNone(nova.get('zha_scheduler', 'spread_domain'))

    def test_valid_file_reads_ok(self):
        found = nova_conf.check_files(self.nova())
        self.only(found, 'option-values', findings.OK)
        self.assertEqual('read %s' % os.path.join(self.tmp, 'nova.conf'),
                         self.only(found, 'nova-conf').message)

    def test_nova_conf_d_beside_nova_conf_is_read(self):
        self.write('nova.conf.d/zha-scheduler.conf', helpers.snippet())
        nova = self.nova('[DEFAULT]\ndebug = True\n')
        self.assertIn('ZhaFailureDomainFilter',
                      nova.get('filter_scheduler', 'enabled_filters'))
        finding = self.only(nova_conf.check_files(nova), 'nova-conf')
        self.assertIn('1 file(s) of %s (zha-scheduler.conf)'
                      % os.path.join(self.tmp, 'nova.conf.d'), finding.message)

    def test_resume_guests_state(self):
        found = nova_conf.resume_guests_state(self.nova())
        warning = self.only(found, 'resume-guests-state', findings.WARNING)
        self.assertIn('set [DEFAULT] resume_guests_state_on_host_boot = True',
                      warning.fix)
        nova = self.nova(
            helpers.snippet() +
            '[DEFAULT]\nresume_guests_state_on_host_boot = True\n')
        self.only(nova_conf.resume_guests_state(nova), 'resume-guests-state',
                  findings.OK)
        nova = self.nova(
            '[DEFAULT]\nresume_guests_state_on_host_boot = maybe\n')
        self.assertIn('skipped', self.only(nova_conf.resume_guests_state(nova),
                                           'resume-guests-state',
                                           findings.OK).message)
        self.only(nova_conf.check_files(nova), 'option-values', findings.ERROR)
