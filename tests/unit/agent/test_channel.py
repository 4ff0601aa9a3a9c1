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

"""Unit tests for zha_scheduler.agent.channel."""

from unittest import mock

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.unit.agent import helpers
from zha_scheduler.agent import channel

SETTINGS = settings(max_examples=300, deadline=None, database=None)
SYSFS_TEXT = st.text(st.characters(blacklist_categories=('Cs',)),
                     max_size=40)


class ChpidTest(helpers.TestCase):

    def test_normalize(self):
        self.assertEqual('F4', channel.normalize_chpid('f4\n'))
        self.assertEqual('F4', channel.normalize_chpid(' F4 '))
        self.assertEqual('05', channel.normalize_chpid('5'))
        for value in (None, '', '00', 'zz', '1f4'):
            self.assertIsNone(channel.normalize_chpid(value), value)

    def test_first_chpid(self):
        self.assertEqual('50',
                         channel.first_chpid('50 00 00 00 00 00 00 00 \n'))
        self.assertEqual('5C',
                         channel.first_chpid('00 5c 5d 00 00 00 00 00 \n'))
        self.assertIsNone(channel.first_chpid('00 00 00 00 00 00 00 00 \n'))
        self.assertIsNone(channel.first_chpid(''))


class PchidTest(helpers.TestCase):

    def test_fixture(self):
        fs = self.fs('healthy')
        self.assertEqual('01c0', channel.read_pchid(fs, 'F4'))
        self.assertEqual(channel.Adapter('F5', '01d0'),
                         channel.adapter(fs, 'f5'))

    def test_not_external(self):
        fs = self.tree_fs({'/sys/devices/css0/chp0.f4/chid': '01c0\n',
                           '/sys/devices/css0/chp0.f4/chid_external': '0\n'})
        self.assertIsNone(channel.read_pchid(fs, 'F4'))

    def test_empty_chid(self):
        # chid and chid_external are empty when the descriptor has no CHID.
        fs = self.tree_fs({'/sys/devices/css0/chp0.f4/chid': '',
                           '/sys/devices/css0/chp0.f4/chid_external': ''})
        self.assertIsNone(channel.read_pchid(fs, 'F4'))

    def test_missing(self):
        fs = self.tree_fs({})
        self.assertIsNone(channel.read_pchid(fs, 'F4'))
        self.assertEqual(channel.Adapter('F4', None),
                         channel.adapter(fs, 'F4'))
        self.assertEqual(channel.Adapter(), channel.adapter(fs, None))


class IndependentTest(helpers.TestCase):

    def test_pchids_win(self):
        a = channel.Adapter('F4', '01c0')
        self.assertFalse(channel.independent(a, channel.Adapter('F5', '01c0')))
        self.assertTrue(channel.independent(a, channel.Adapter('F4', '01d0')))

    def test_chpids_when_a_pchid_is_missing(self):
        a = channel.Adapter('F4', '01c0')
        self.assertFalse(channel.independent(a, channel.Adapter('F4')))
        self.assertTrue(channel.independent(a, channel.Adapter('F5')))

    def test_unknown(self):
        self.assertIsNone(channel.independent(channel.Adapter('F4'),
                                              channel.Adapter()))


class SysfsValuesPropertiesTest(helpers.TestCase):
    """Generated CHPID attribute values (qeth chpid, subchannel chpids)."""

    @SETTINGS
    @given(SYSFS_TEXT)
    def test_any_chpid_value(self, text):
        chpid = channel.normalize_chpid(text)
        if chpid is not None:
            self.assertRegex(chpid, r'\A[0-9A-F]{2}\Z')
            self.assertNotEqual('00', chpid)
            self.assertEqual(int(chpid, 16), int(text.strip(), 16))

    @SETTINGS
    @given(SYSFS_TEXT)
    def test_any_chpids_value(self, text):
        chpid = channel.first_chpid(text)
        if chpid is not None:
            self.assertRegex(chpid, r'\A[0-9A-F]{2}\Z')
            self.assertNotEqual('00', chpid)
            self.assertIn(int(chpid, 16), [
                int(t, 16) for t in text.split()
                if channel.normalize_chpid(t)])

    @SETTINGS
    @given(st.lists(st.integers(min_value=0, max_value=255), min_size=8,
                    max_size=8))
    def test_kernel_chpids_layout(self, entries):
        text = ''.join('%02x ' % e for e in entries) + '\n'
        used = [e for e in entries if e]
        self.assertEqual('%02X' % used[0] if used else None,
                         channel.first_chpid(text))

    def test_signs_and_other_digits_are_not_chpids(self):
        for value in ('0', '+F', '-1', '\u0663', '0x'):
            self.assertIsNone(channel.normalize_chpid(value), value)

    def test_domains(self):
        self.assertIsNone(channel.domains(channel.Adapter()))
        self.assertEqual({('chpid', 'F4')},
                         channel.domains(channel.Adapter('F4')))
        self.assertEqual({('chpid', 'F4'), ('pchid', '01c0')},
                         channel.domains(channel.Adapter('F4', '01c0')))

    def test_adapters_read_each_chpid_once(self):
        fs = self.fs('healthy')
        adapters = channel.Adapters(fs)
        with mock.patch.object(channel, 'read_pchid', autospec=True,
                               return_value='01c0') as read:
            self.assertEqual(adapters.get('f4'), adapters.get('F4'))
            self.assertEqual(channel.Adapter(), adapters.get(None))
        read.assert_called_once_with(fs, 'F4')
