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

"""Unit and property tests for zha_scheduler.traits."""

import re

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslotest import base

from zha_scheduler import traits

VALID = re.compile(r'CUSTOM_[A-Z0-9_]+')


class TraitsTest(base.BaseTestCase):

    def test_sanitize_upper_cases(self):
        self.assertEqual('DC1', traits.sanitize('dc1'))

    def test_sanitize_keeps_plain_names_readable(self):
        for name, part in (('DB2PROD', 'DB2PROD'), ('ora_prod', 'ORA_PROD'),
                           ('3931_02_A1B2C', '3931_02_A1B2C')):
            self.assertEqual(part, traits.sanitize(name))

    def test_sanitize_maps_other_names_with_a_digest(self):
        part = traits.sanitize('z1-dc.east/2!')
        self.assertRegex(part, r'^Z1_DC_EAST_2___[0-9A-F]{10}$')

    def test_sanitize_strips_outer_space_and_digests_inner_space(self):
        self.assertEqual(traits.sanitize('dc 1'), traits.sanitize('  dc 1\t'))
        self.assertTrue(traits.sanitize('dc 1').startswith('DC_1__'))
        self.assertEqual('DC1', traits.sanitize(' dc1 '))

    def test_sanitize_maps_non_ascii_letters(self):
        self.assertTrue(traits.sanitize('münchen').startswith('M_NCHEN__'))

    def test_names_that_used_to_collide_are_distinct(self):
        # Issue 12: each pair became one trait, so a request for one group
        # passed a host that reaches only the other.
        for first, second in (('数据', '日本'), ('ORA-PROD', 'ora_prod'),
                              ('ORA-PROD', 'ORA.PROD'), ('a b', 'a_b'),
                              ('a__b', 'a_b'), ('x_', 'x')):
            for build in (traits.cpc_trait, traits.site_trait,
                          traits.consistency_group_trait):
                self.assertNotEqual(build(first), build(second),
                                    (first, second))

    def test_spellings_of_a_plain_name_are_one_name(self):
        self.assertEqual(traits.consistency_group_trait('ORA_PROD'),
                         traits.consistency_group_trait('ora_prod'))

    def test_same_trait_names_both_names(self):
        build = traits.consistency_group_trait
        self.assertEqual(('DB2PROD', 'db2prod'), traits.same_trait(
            ['DB2PROD', 'SAP', 'db2prod'], build))
        self.assertIsNone(traits.same_trait(['ORA-PROD', 'ora_prod', 'SAP',
                                             'SAP'], build))

    def test_sanitize_rejects_empty_and_blank(self):
        for value in ('', '   ', '\t\n'):
            self.assertRaises(ValueError, traits.sanitize, value)

    def test_sanitize_rejects_non_strings(self):
        for value in (None, 42, b'DC1', ['DC1']):
            self.assertRaises(ValueError, traits.sanitize, value)

    def test_cpc_trait(self):
        self.assertEqual('CUSTOM_ZHA_CPC_3931_02_A1B2C',
                         traits.cpc_trait('3931_02_A1B2C'))

    def test_cpc_trait_from_operator_name(self):
        self.assertEqual('CUSTOM_ZHA_CPC_ZPROD_1', traits.cpc_trait('zprod_1'))
        self.assertRegex(traits.cpc_trait('zprod-1'),
                         r'^CUSTOM_ZHA_CPC_ZPROD_1__[0-9A-F]{10}$')

    def test_site_trait(self):
        self.assertEqual('CUSTOM_ZHA_SITE_DC1', traits.site_trait('dc1'))

    def test_consistency_group_trait(self):
        self.assertEqual('CUSTOM_ZHA_CG_ORA_PROD',
                         traits.consistency_group_trait('ora_prod'))

    def test_builders_reject_empty_names(self):
        for builder in (traits.cpc_trait, traits.site_trait,
                        traits.consistency_group_trait):
            self.assertRaises(ValueError, builder, '')

    def test_name_of_exactly_max_length_is_kept(self):
        value = 'A' * (traits.MAX_LENGTH - len(traits.CPC_PREFIX))
        trait = traits.cpc_trait(value)
        self.assertEqual(traits.CPC_PREFIX + value, trait)
        self.assertEqual(255, len(trait))

    def test_long_name_is_shortened_to_a_valid_trait(self):
        trait = traits.cpc_trait('x' * 400)
        self.assertEqual(255, len(trait))
        self.assertTrue(traits.is_valid(trait))
        self.assertTrue(trait.startswith(traits.CPC_PREFIX + 'XXXX'))
        self.assertEqual(('cpc', trait[len(traits.CPC_PREFIX):]),
                         traits.parse(trait))

    def test_long_name_shortening_is_deterministic(self):
        self.assertEqual(traits.site_trait('s' * 300),
                         traits.site_trait('s' * 300))

    def test_long_names_sharing_a_prefix_stay_distinct(self):
        first = traits.cpc_trait('c' * 300 + '1')
        second = traits.cpc_trait('c' * 300 + '2')
        self.assertNotEqual(first, second)
        self.assertEqual(first[:246], second[:246])

    def test_long_names_differing_only_in_case_are_the_same_trait(self):
        self.assertEqual(traits.cpc_trait('a' * 300),
                         traits.cpc_trait('A' * 300))

    def test_is_valid(self):
        self.assertTrue(traits.is_valid('CUSTOM_ZHA_CPC_Z1'))
        self.assertTrue(traits.is_valid('CUSTOM_FOO'))
        self.assertTrue(traits.is_valid('CUSTOM_' + 'A' * 248))

    def test_is_valid_rejects_bad_names(self):
        for name in ('CUSTOM_', 'custom_zha_cpc_z1', 'CUSTOM_ZHA_CPC_z1',
                     'HW_CPU_X86_AVX', 'CUSTOM_ZHA-CPC', 'CUSTOM_ZHA CPC',
                     'CUSTOM_' + 'A' * 249, '', None, 42):
            self.assertFalse(traits.is_valid(name), name)

    def test_is_valid_rejects_trailing_newline(self):
        self.assertFalse(traits.is_valid('CUSTOM_ZHA_CPC_Z1\n'))

    def test_parse_value_carrying_traits(self):
        self.assertEqual(('cpc', '3931_02_A1B2C'),
                         traits.parse('CUSTOM_ZHA_CPC_3931_02_A1B2C'))
        self.assertEqual(('site', 'DC1'), traits.parse('CUSTOM_ZHA_SITE_DC1'))
        self.assertEqual(('consistency_group', 'ORA'),
                         traits.parse('CUSTOM_ZHA_CG_ORA'))

    def test_parse_fixed_traits(self):
        for trait in ('CUSTOM_ZHA_STANDBY', 'CUSTOM_ZHA_NET_REDUNDANT',
                      'CUSTOM_ZHA_NET_DEGRADED',
                      'CUSTOM_ZHA_STORAGE_REDUNDANT',
                      'CUSTOM_ZHA_STORAGE_DEGRADED'):
            self.assertEqual((trait, None), traits.parse(trait))

    def test_parse_ignores_non_zha_traits(self):
        for trait in ('HW_CPU_X86_AVX', 'COMPUTE_STATUS_DISABLED',
                      'CUSTOM_FOO', 'CUSTOM_ZHAX_CPC_Z1'):
            self.assertIsNone(traits.parse(trait), trait)

    def test_parse_garbage_is_none(self):
        for trait in ('CUSTOM_ZHA_', 'CUSTOM_ZHA_CPC_', 'CUSTOM_ZHA_SITE_',
                      'CUSTOM_ZHA_CG_', 'CUSTOM_ZHA_STANDBYX',
                      'CUSTOM_ZHA_UNKNOWN', 'CUSTOM_ZHA_CPC_z1',
                      'custom_zha_cpc_z1', 'CUSTOM_ZHA_CPC_' + 'A' * 241,
                      '', None, 17, ['CUSTOM_ZHA_STANDBY']):
            self.assertIsNone(traits.parse(trait), repr(trait))

    def test_parse_rejects_trailing_newline(self):
        self.assertIsNone(traits.parse('CUSTOM_ZHA_CPC_Z1\n'))

    @settings(max_examples=200, deadline=None, database=None)
    @given(st.text(min_size=1, max_size=300))
    def test_builders_make_valid_parseable_traits(self, value):
        if not value.strip():
            self.assertRaises(ValueError, traits.cpc_trait, value)
            return
        for builder, kind in ((traits.cpc_trait, traits.CPC),
                              (traits.site_trait, traits.SITE),
                              (traits.consistency_group_trait,
                               traits.CONSISTENCY_GROUP)):
            trait = builder(value)
            self.assertLessEqual(len(trait), traits.MAX_LENGTH)
            self.assertIsNotNone(VALID.fullmatch(trait), trait)
            self.assertTrue(traits.is_valid(trait))
            parsed_kind, parsed_value = traits.parse(trait)
            self.assertEqual(kind, parsed_kind)
            if len(trait) < traits.MAX_LENGTH:
                self.assertEqual(traits.sanitize(value), parsed_value)

    @settings(max_examples=200, deadline=None, database=None)
    @given(st.text(max_size=60))
    def test_parse_never_raises_and_only_accepts_valid_names(self, name):
        parsed = traits.parse(name)
        if parsed is not None:
            self.assertIsNotNone(VALID.fullmatch(name), repr(name))
            self.assertTrue(name.startswith(traits.PREFIX))

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
    def test_two_names_share_a_trait_only_if_they_are_one_name(self, a, b):
        if not (a.strip() and b.strip()):
            return
        one_name = (a.strip() == b.strip() or
                    (a.strip().upper() == b.strip().upper() and
                     traits.sanitize(a) == a.strip().upper()))
        for build in (traits.cpc_trait, traits.site_trait,
                      traits.consistency_group_trait):
            self.assertEqual(one_name, build(a) == build(b), (a, b))
