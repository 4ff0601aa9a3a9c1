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

"""Unit tests of agent-config, hook-config and fencing."""

import os

from tests.unit.check import helpers
from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check import tools_conf

TOKEN = 'auth_type = admin_token\nendpoint = http://placement\ntoken = t\n'


class AgentConfigTest(helpers.CheckTestCase):

    def check(self, text):
        return tools_conf.check_agent(tools_conf.load_agent(
            self.write('agent.conf', text)))

    def test_valid_agent_config(self):
        groups = self.write('groups.yaml',
                            'SAP: ["36005076309ffd4300000000000001815"]\n')
        found = self.check('[zha_agent]\nconsistency_groups_file = %s\n'
                           '[placement]\n%s' % (groups, TOKEN))
        self.only(found, 'agent-config', findings.OK)

    def test_missing_or_malformed_groups_file_is_an_error(self):
        missing = os.path.join(self.tmp, 'none.yaml')
        found = self.check('[zha_agent]\nconsistency_groups_file = %s\n'
                           '[placement]\n%s' % (missing, TOKEN))
        self.assertIn('%s does not exist' % missing,
                      self.only(found, 'agent-config', findings.ERROR).message)
        bad = self.write('groups.yaml', 'SAP: []\n')
        found = self.check('[zha_agent]\nconsistency_groups_file = %s\n'
                           '[placement]\n%s' % (bad, TOKEN))
        self.assertIn("group 'SAP' must list at least one WWID",
                      self.only(found, 'agent-config', findings.ERROR).message)

    def test_no_credentials_and_invalid_values_are_errors(self):
        found = self.check('[zha_agent]\ninterval = 0\n')
        self.assertEqual(
            ['[zha_agent] interval is invalid: Should be greater than or '
             'equal to 1 (in %s/agent.conf)' % self.tmp,
             '[placement] auth_type is not set: zha-trait-agent cannot write '
             'traits to Placement (in %s/agent.conf)' % self.tmp],
            [f.message for f in self.errors(found)])

    def test_no_agent_conf_is_skipped(self):
        self.assertEqual('skipped: no --agent-conf given',
                         tools_conf.check_agent(None)[0].message)

    def test_unreadable_agent_conf_stops_the_check(self):
        self.assertRaises(config_files.ConfigFileError, tools_conf.load_agent,
                          self.write('agent.conf', 'garbage\n'))


class HookConfigTest(helpers.CheckTestCase):

    def check(self, text):
        return tools_conf.check_hook(tools_conf.load_hook(
            self.write('hook.conf', text)))

    def hmc(self, extra=''):
        lpars = self.write('lpars.yaml', 'lpar1: {cpc: Z1, lpar: KVM1}\n')
        return ('[zha_evacuate]\nfencing = hmc\nhmc_host = hmc1\n'
                'hmc_userid = u\nhmc_password = p\nlpars_file = %s\n'
                '%s[nova]\n%s' % (lpars, extra, TOKEN))

    def test_fencing_none_is_a_warning(self):
        found = self.check('[nova]\n' + TOKEN)
        self.only(found, 'hook-config', findings.OK)
        warning = self.only(found, 'fencing', findings.WARNING)
        self.assertIn('fencing = none', warning.message)
        self.assertIn('fencing = hmc', warning.fix)

    def test_complete_hmc_fencing_is_ok(self):
        found = self.check(self.hmc())
        self.assertEqual('fencing = hmc through hmc1',
                         self.only(found, 'fencing', findings.OK).message)

    def test_incomplete_hmc_fencing_is_an_error(self):
        found = self.check('[zha_evacuate]\nfencing = hmc\nhmc_host = hmc1\n'
                           '[nova]\n' + TOKEN)
        error = self.only(found, 'fencing', findings.ERROR)
        self.assertIn('fencing = hmc needs [zha_evacuate] hmc_userid',
                      error.message)

    def test_hmc_tls_settings(self):
        found = self.check(self.hmc('hmc_insecure = True\n'))
        self.only(found, 'fencing', findings.WARNING)
        found = self.check(self.hmc('hmc_ca_file = /nonexistent/ca.pem\n'))
        self.assertIn('hmc_ca_file /nonexistent/ca.pem does not exist',
                      self.only(found, 'fencing', findings.ERROR).message)

    def test_no_nova_credentials_and_invalid_values_are_errors(self):
        found = self.check(
            '[zha_evacuate]\nfencing = stonith\nmax_parallel = 0\n')
        messages = [f.message for f in self.errors(found)]
        self.assertEqual(3, len(messages), messages)
        self.assertIn("[zha_evacuate] fencing is invalid: Valid values are "
                      "[none, hmc], but found 'stonith'", messages[0])
        self.assertIn('[nova] auth_type is not set', messages[2])
        self.assertIn('skipped', self.only(found, 'fencing').message)
