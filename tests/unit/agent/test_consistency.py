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

"""Unit tests for zha_scheduler.agent.consistency."""

from tests.unit.agent import helpers
from zha_scheduler.agent import consistency
from zha_scheduler import traits

LOGGER = 'zha_scheduler.agent.consistency'
WWID = helpers.WWID
A, B, C = WWID % '1815', WWID % '1816', WWID % '1817'


class ParseGroupsTest(helpers.TestCase):

    def test_fixture(self):
        text = self.fs('healthy').read_text(helpers.GROUPS_FILE)
        groups = consistency.parse_groups(text)
        self.assertEqual(['ORA_PROD', 'SAP', 'DR_ONLY'], list(groups))
        self.assertEqual([A, B], groups['ORA_PROD'])

    def test_case_and_spaces(self):
        groups = consistency.parse_groups(
            'ora-prod:\n  - " %s "\n' % A.upper())
        self.assertEqual({'ora-prod': [A]}, groups)

    def test_all_digit_wwid_read_as_integer(self):
        groups = consistency.parse_groups(
            'g:\n  - 36005076300000000000000000000001\n')
        self.assertEqual({'g': ['36005076300000000000000000000001']}, groups)

    def test_empty_file(self):
        self.assertEqual({}, consistency.parse_groups(''))
        self.assertEqual({}, consistency.parse_groups('# nothing yet\n'))

    def test_malformed(self):
        for text, message in (
                ('g: [a\n', 'not valid YAML'),
                ('- %s\n' % A, 'must map group names'),
                ('g: %s\n' % A, 'at least one WWID'),
                ('g: []\n', 'at least one WWID'),
                ('g:\n  - {wwid: x}\n', 'WWIDs must be strings'),
                ('g:\n  - true\n', 'WWIDs must be strings'),
                ('g:\n  - ""\n', 'empty WWID'),
                ('"  ": [%s]\n' % A, 'bad group name')):
            error = self.assertRaises(consistency.GroupsFileError,
                                      consistency.parse_groups, text,
                                      'cg.yaml')
            self.assertIn(message, str(error), text)
            self.assertIn('cg.yaml', str(error), text)

    def test_two_spellings_of_one_name_are_refused_naming_both(self):
        text = 'SAP: [%s]\nORA-PROD: [%s]\nsap: [%s]\n' % (A, A, A)
        error = self.assertRaises(consistency.GroupsFileError,
                                  consistency.parse_groups, text, 'cg.yaml')
        self.assertEqual("cg.yaml: groups 'SAP' and 'sap' are one name "
                         "(CUSTOM_ZHA_CG_SAP): keep one spelling", str(error))

    def test_names_that_only_look_alike_are_two_groups(self):
        text = 'ORA-PROD: [%s]\nora_prod: [%s]\n数据: [%s]\n日本: [%s]\n' % (
            A, A, A, A)
        groups = consistency.parse_groups(text, 'cg.yaml')
        self.assertEqual(4, len({traits.consistency_group_trait(g)
                                 for g in groups}))


class EvaluateGroupsTest(helpers.TestCase):

    def test_published_only_when_all_redundant(self):
        result = consistency.evaluate_groups(
            {'ORA': [A, B], 'SAP': [C], 'DR': [A, WWID % '1900']},
            redundant={A, C}, present={A, B, C})
        self.assertEqual(frozenset({'SAP'}), result.groups)
        ora = result.details['groups']['ORA']
        self.assertEqual(([], [B]), (ora['missing'], ora['not_redundant']))
        self.assertFalse(ora['published'])
        dr = result.details['groups']['DR']
        self.assertEqual([WWID % '1900'], dr['missing'])
        self.assertTrue(result.details['groups']['SAP']['published'])


class ProbeGroupsTest(helpers.TestCase):

    def test_not_configured(self):
        result = consistency.probe_groups(self.fs('healthy'), None, {A}, {A})
        self.assertEqual(frozenset(), result.groups)

    def test_fixture(self):
        result = consistency.probe_groups(
            self.fs('healthy'), helpers.GROUPS_FILE, {A, B, C}, {A, B, C})
        self.assertEqual(frozenset({'ORA_PROD'}), result.groups)
        self.assertEqual(helpers.GROUPS_FILE, result.details['file'])

    def test_missing_file(self):
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            result = consistency.probe_groups(
                self.fs('missing-files'), helpers.GROUPS_FILE, {A}, {A})
        self.assertEqual(frozenset(), result.groups)
        self.assertIn(helpers.GROUPS_FILE, logs.output[0])
        self.assertIn('cannot read', result.details['error'])

    def test_malformed_file_gives_no_groups(self):
        fs = self.tree_fs(
            {helpers.GROUPS_FILE: 'ORA_PROD: %s\nSAP: [%s]\n' % (A, C)})
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            result = consistency.probe_groups(fs, helpers.GROUPS_FILE,
                                              {A, C}, {A, C})
        self.assertEqual(frozenset(), result.groups)
        self.assertIn("group 'ORA_PROD' must list at least one WWID",
                      logs.output[0])
