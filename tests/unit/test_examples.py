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

"""The example files in etc/zha-scheduler/ load with the loaders
that use them.
"""

import os
import re

from oslotest import base

from zha_scheduler.agent import consistency
from zha_scheduler.agent import hostfs
from zha_scheduler.clients import topology_files
from zha_scheduler import traits

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
EXAMPLES = os.path.join(ROOT, 'etc', 'zha-scheduler')
# A multipath WWID: 3 (NAA identifier) and a 32-digit NAA 6 identifier.
WWID = re.compile(r'^36[0-9a-f]{31}$')


class PartnersExampleTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.partners = topology_files.load_partners(
            os.path.join(EXAMPLES, 'partners.yaml'))
        self.lpars = topology_files.load_lpars(
            os.path.join(EXAMPLES, 'lpars.yaml'))

    def test_parses(self):
        self.assertGreater(len(self.partners), 0)

    def test_every_partner_is_distinct_from_its_primary(self):
        for primary, partner in self.partners.items():
            self.assertNotEqual(primary, partner)

    def test_standby_hosts_are_not_primaries(self):
        self.assertEqual(
            set(), set(self.partners.values()) & set(self.partners))

    def test_every_partner_is_on_another_cpc(self):
        for primary, partner in self.partners.items():
            self.assertNotEqual(self.lpars[primary]['cpc'],
                                self.lpars[partner]['cpc'],
                                '%s -> %s' % (primary, partner))

    def test_every_host_can_be_fenced(self):
        hosts = set(self.partners) | set(self.partners.values())
        self.assertEqual(set(), hosts - set(self.lpars))


class ConsistencyGroupsExampleTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        # The example sits where the option's help puts the file, so the
        # agent's own loader reads it with the repository as the host root.
        self.groups = consistency.load_groups(
            hostfs.HostFS(ROOT), '/etc/zha-scheduler/consistency-groups.yaml')

    def test_parses(self):
        self.assertGreater(len(self.groups), 0)
        for name, wwids in self.groups.items():
            self.assertTrue(traits.is_valid(
                traits.consistency_group_trait(name)), name)
            self.assertGreater(len(wwids), 0, name)

    def test_wwids_have_the_multipath_form(self):
        for name, wwids in self.groups.items():
            for wwid in wwids:
                self.assertRegex(wwid, WWID, name)

    def test_group_names_are_trait_names_already(self):
        # What tenants type is what the trait carries: no renaming surprise.
        for name in self.groups:
            self.assertEqual(traits.CG_PREFIX + name,
                             traits.consistency_group_trait(name))

    def test_every_group_is_published_where_all_wwids_are_redundant(self):
        every = {w for wwids in self.groups.values() for w in wwids}
        result = consistency.evaluate_groups(self.groups, every, every)
        self.assertEqual(set(self.groups), set(result.groups))
