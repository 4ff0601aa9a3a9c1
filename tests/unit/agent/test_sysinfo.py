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

"""Unit tests for zha_scheduler.agent.sysinfo."""

import json

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from tests.unit.agent import helpers
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import sysinfo
from zha_scheduler.sim import host_trees

SETTINGS = settings(
    max_examples=200, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.function_scoped_fixture])
TEXT = st.text(st.characters(blacklist_categories=('Cs',)))
# Keys and values as the kernel prints them: no colon in a key, no line
# break anywhere, no outer space (the padding is added when rendered).
KEY = st.text(st.characters(blacklist_categories=('Cs', 'Z', 'Cc'),
                            blacklist_characters=':\x1c\x1d\x1e\x85'),
              min_size=1, max_size=20)
VALUE = st.text(st.characters(blacklist_categories=('Cs', 'Zl', 'Zp', 'Cc'),
                              blacklist_characters='\x1c\x1d\x1e\x85'),
                max_size=20).map(str.strip)

LOGGER = 'zha_scheduler.agent.sysinfo'

# The reference sample, with the kernel's padding ('$' = end of line).
LPAR = """\
Manufacturer:         IBM             $
Type:                 3931$
LIC Identifier:       7379a4b1c2d30e58$
Model:                7G5              A01             $
Sequence Code:        00000000000A1B2C$
Plant:                02  $
Model Capacity:       7G5              00001234$
$
CPU Topology HW:      0 0 4 4 10 6$
CPUs Total:           200$
$
LPAR Number:          26$
LPAR Characteristics: Shared $
LPAR Name:            KVMH01  $
LPAR Adjustment:      250$
""".replace('$', '')
KVM_GUEST = LPAR + """
VM00 Name:            instance-0000002a$
VM00 Control Program: KVM/Linux       $
VM00 Adjustment:      1000$
VM00 CPUs Total:      2$
""".replace('$', '')


class ParseSysinfoTest(helpers.TestCase):

    def test_fields_are_stripped(self):
        fields = sysinfo.parse_sysinfo(LPAR)
        self.assertEqual('IBM', fields['Manufacturer'])
        self.assertEqual('02', fields['Plant'])
        self.assertEqual('KVMH01', fields['LPAR Name'])
        self.assertEqual('Shared', fields['LPAR Characteristics'])
        self.assertEqual('7G5              A01', fields['Model'])

    def test_unknown_and_malformed_lines(self):
        fields = sysinfo.parse_sysinfo(
            'garbage without colon\n: no key\nNew Field 2031:  x  \n'
            'Type: 3931\nType: 9999\n')
        self.assertEqual({'New Field 2031': 'x', 'Type': '3931'}, fields)

    def test_fixture(self):
        text = self.fs('healthy').read_text('/proc/sysinfo')
        self.assertIn('IBM             \n', text)
        fields = sysinfo.parse_sysinfo(text)
        self.assertEqual('00000000000A1B2C', fields['Sequence Code'])
        self.assertEqual('26', fields['LPAR Number'])

    def test_configuration_level(self):
        self.assertEqual(2, sysinfo.configuration_level(
            sysinfo.parse_sysinfo(LPAR)))
        self.assertEqual(3, sysinfo.configuration_level(
            sysinfo.parse_sysinfo(KVM_GUEST)))
        self.assertEqual(1, sysinfo.configuration_level({'Type': '3931'}))
        self.assertEqual(0, sysinfo.configuration_level({}))
        # 'VM' followed by something else is not a guest block.
        self.assertEqual(1, sysinfo.configuration_level(
            {'Type': '3931', 'VMX Name': 'x'}))

    def test_cpc_id(self):
        self.assertEqual('3931_02_A1B2C',
                         sysinfo.cpc_id(sysinfo.parse_sysinfo(LPAR)))

    def test_cpc_id_all_zero_serial(self):
        self.assertEqual('3931_02_0', sysinfo.cpc_id(
            {'Type': '3931', 'Plant': '02', 'Sequence Code': '0000'}))

    def test_cpc_id_missing_field(self):
        for name in ('Type', 'Plant', 'Sequence Code'):
            fields = sysinfo.parse_sysinfo(LPAR)
            fields[name] = ''
            self.assertIsNone(sysinfo.cpc_id(fields), name)
            del fields[name]
            self.assertIsNone(sysinfo.cpc_id(fields), name)

    def test_describe(self):
        details = sysinfo.describe(sysinfo.parse_sysinfo(LPAR + (
            'LPAR Extended Name:   KVMHOST01\n'
            'LPAR UUID:            6ba8d1c2-0e4f-4b3a-9e1d-2f3c4b5a6d7e\n')))
        self.assertEqual(2, details['level'])
        self.assertEqual('z16 A01', details['machine'])
        self.assertEqual(26, details['lpar_number'])
        self.assertEqual('KVMH01', details['lpar_name'])
        self.assertEqual('KVMHOST01', details['lpar_extended_name'])
        self.assertIn('lpar_uuid', details)
        self.assertNotIn('hypervisors', details)


class ParseSysinfoPropertiesTest(helpers.TestCase):
    """Generated /proc/sysinfo texts."""

    def setUp(self):
        super().setUp()
        self.quiet()

    @SETTINGS
    @given(TEXT)
    def test_any_text(self, text):
        fields = sysinfo.parse_sysinfo(text)
        for key, value in fields.items():
            self.assertTrue(key)
            self.assertEqual(key.strip(), key)
            self.assertEqual(value.strip(), value)
        level = sysinfo.configuration_level(fields)
        self.assertIn(level, (0, 1, 2, 3))
        json.dumps(sysinfo.describe(fields))
        found = sysinfo.cpc_id(fields)
        if found is not None:
            self.assertTrue(all(fields.get(k) for k in
                                ('Type', 'Plant', 'Sequence Code')))

    @SETTINGS
    @given(st.dictionaries(KEY, VALUE, max_size=12),
           st.integers(min_value=0, max_value=8))
    def test_kernel_layout_round_trips(self, fields, pad):
        # %-N.Ns pads values with trailing spaces.
        text = ''.join('%s:%s%s%s\n' % (k, ' ' * (22 - len(k) % 22), v,
                                        ' ' * pad)
                       for k, v in fields.items())
        self.assertEqual({k.strip(): v for k, v in fields.items()
                          if k.strip()}, sysinfo.parse_sysinfo(text))

    @SETTINGS
    @given(TEXT)
    def test_probe_any_file(self, text):
        fs = self.tree_fs({'/proc/sysinfo': text})
        identity = sysinfo.probe_identity(fs)
        self.assertIsNone(identity.unread)
        json.dumps(identity.details)
        self.assertEqual(identity.cpc_id is None,
                         identity.details['source'] is None)

    def test_non_ascii_lpar_number(self):
        # '²'.isdigit() holds, int('²') raises.
        details = sysinfo.describe({'LPAR Number': '²'})
        self.assertEqual('²', details['lpar_number'])

    def test_fixture_text_round_trips(self):
        text = host_trees.SYSINFO_LPAR.replace('$\n', '\n')
        self.assertEqual('3931_02_A1B2C',
                         sysinfo.cpc_id(sysinfo.parse_sysinfo(text)))


class ProbeIdentityTest(helpers.TestCase):

    def test_lpar(self):
        identity = sysinfo.probe_identity(self.fs('healthy'))
        self.assertEqual('3931_02_A1B2C', identity.cpc_id)
        self.assertEqual('sysinfo', identity.details['source'])
        self.assertEqual('KVMH01', identity.details['lpar_name'])
        self.assertEqual(2, identity.details['level'])

    def test_ocf_cpc_name_is_a_detail_only(self):
        fs = self.tree_fs({'/sys/firmware/ocf/cpc_name': 'PRODCPC1\n'},
                          'healthy')
        identity = sysinfo.probe_identity(fs)
        self.assertEqual('3931_02_A1B2C', identity.cpc_id)
        self.assertEqual('PRODCPC1', identity.details['ocf_cpc_name'])

    def test_missing_file(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            identity = sysinfo.probe_identity(self.fs('missing-files'))
        self.assertIsNone(identity.cpc_id)
        self.assertIn('/proc/sysinfo', logs.output[0])
        self.assertIn('cannot read', identity.details['reason'])
        self.assertEqual('/proc/sysinfo: No such file or directory',
                         identity.unread)

    def test_not_a_regular_file(self):
        fs = self.tree_fs({'/proc/sysinfo/x': ''})
        with self.assertLogs(LOGGER, 'WARNING'):
            identity = sysinfo.probe_identity(fs)
        self.assertEqual('/proc/sysinfo: Is a directory', identity.unread)

    def test_too_large(self):
        fs = self.tree_fs({'/proc/sysinfo':
                           'Type: 3931\n' * hostfs.MAX_FILE_SIZE})
        with self.assertLogs(LOGGER, 'WARNING'):
            identity = sysinfo.probe_identity(fs)
        self.assertIn('larger than', identity.unread)

    def test_zvm_guest(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            identity = sysinfo.probe_identity(self.fs('zvm-guest'))
        self.assertIsNone(identity.cpc_id)
        self.assertIn('/proc/sysinfo', logs.output[0])
        self.assertIn('z/VM 7.2.0', logs.output[0])
        self.assertEqual(3, identity.details['level'])
        self.assertEqual('L32', identity.details['lpar_name'])

    def test_kvm_guest(self):
        fs = self.tree_fs({'/proc/sysinfo': KVM_GUEST})
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            identity = sysinfo.probe_identity(fs)
        self.assertIsNone(identity.cpc_id)
        self.assertIn('KVM/Linux', logs.output[0])

    def test_missing_fields(self):
        text = LPAR.replace('Plant:                02  \n', '')
        fs = self.tree_fs({'/proc/sysinfo': text})
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            identity = sysinfo.probe_identity(fs)
        self.assertIsNone(identity.cpc_id)
        self.assertIn('lacks Plant', logs.output[0])

    def test_configured_name_wins(self):
        identity = sysinfo.probe_identity(self.fs('healthy'), ' PRODCPC1 ')
        self.assertEqual('PRODCPC1', identity.cpc_id)
        self.assertEqual('config', identity.details['source'])
        self.assertEqual('KVMH01', identity.details['lpar_name'])

    def test_configured_name_needs_no_sysinfo(self):
        with self.assertNoLogs(LOGGER, 'WARNING'):
            identity = sysinfo.probe_identity(self.fs('missing-files'),
                                              'PRODCPC1')
        self.assertEqual('PRODCPC1', identity.cpc_id)
        self.assertIn('error', identity.details)

    def test_configured_name_on_guest_warns(self):
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            identity = sysinfo.probe_identity(self.fs('zvm-guest'), 'LAB')
        self.assertEqual('LAB', identity.cpc_id)
        self.assertIn('guest', logs.output[0])

    def test_blank_configured_name_is_unset(self):
        identity = sysinfo.probe_identity(self.fs('healthy'), '  ')
        self.assertEqual('3931_02_A1B2C', identity.cpc_id)
