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

"""Unit tests for zha_scheduler.clients.topology_files."""

import os

import fixtures
from oslotest import base

from zha_scheduler.clients import topology_files


class _Files(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def write(self, text, name='file.yaml'):
        path = os.path.join(self.tmp, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return path

    def error(self, loader, path):
        return str(self.assertRaises(topology_files.TopologyFileError,
                                     loader, path))


class PartnersTest(_Files):

    def test_map_of_names(self):
        self.assertEqual({'lpar1': 'sb1'},
                         topology_files.load_partners(
                             self.write('lpar1: sb1\n')))

    def test_unset_or_empty_maps_nothing(self):
        self.assertEqual({}, topology_files.load_partners(None))
        self.assertEqual({}, topology_files.load_partners(self.write('')))

    def test_missing_file(self):
        missing = os.path.join(self.tmp, 'nope.yaml')
        self.assertEqual('cannot read [zha_evacuate] partners_file %s: No '
                         'such file or directory' % missing,
                         self.error(topology_files.load_partners, missing))

    def test_a_list_is_refused(self):
        self.assertIn('must map each primary host to its standby host',
                      self.error(topology_files.load_partners,
                                 self.write('- lpar1\n')))
        self.assertIn('found list', self.error(topology_files.load_partners,
                                               self.write('- lpar1\n')))

    def test_a_value_that_is_not_a_name_is_refused(self):
        self.assertIn("entry 'lpar1' must map",
                      self.error(topology_files.load_partners,
                                 self.write('lpar1: [sb1, sb2]\n')))

    def test_invalid_yaml_and_bytes(self):
        self.assertIn('is not valid YAML', self.error(
            topology_files.load_partners, self.write('a: [b\n')))
        path = os.path.join(self.tmp, 'latin1.yaml')
        with open(path, 'wb') as f:
            f.write(b'lpar\xe9: sb1\n')
        self.assertIn('is not valid YAML',
                      self.error(topology_files.load_partners, path))

    def test_is_a_value_error_for_the_commands(self):
        self.assertTrue(issubclass(topology_files.TopologyFileError,
                                   ValueError))


class LparsTest(_Files):

    def test_entries(self):
        path = self.write('h1: {cpc: Z1, lpar: KVMH01}\n'
                          'h2: {cpc: Z2, lpar: KVMP01, extra: ignored}\n')
        self.assertEqual({'h1': {'cpc': 'Z1', 'lpar': 'KVMH01'},
                          'h2': {'cpc': 'Z2', 'lpar': 'KVMP01'}},
                         topology_files.load_lpars(path))

    def test_missing_file(self):
        self.assertIn('cannot read [zha_evacuate] lpars_file',
                      self.error(topology_files.load_lpars,
                                 os.path.join(self.tmp, 'nope.yaml')))

    def test_a_list_is_refused(self):
        self.assertIn('found list', self.error(topology_files.load_lpars,
                                               self.write('- a\n- b\n')))

    def test_an_entry_without_lpar_is_refused(self):
        self.assertIn("entry 'h1' must be {cpc: NAME, lpar: NAME}",
                      self.error(topology_files.load_lpars,
                                 self.write('h1: {cpc: Z1}\n')))
