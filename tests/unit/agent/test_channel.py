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

from tests.unit.agent import helpers
from zha_scheduler.agent import channel


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
