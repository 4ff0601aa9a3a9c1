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

"""Unit tests of standby-partners: the partners file against Placement."""

import os

from tests.unit.check import helpers
from tests.unit import zha_fakes
from zha_scheduler.check import findings
from zha_scheduler.check import partners
from zha_scheduler.check import placement_checks
from zha_scheduler.check import tools_conf
from zha_scheduler import placement
from zha_scheduler import topology

# name: (cpc, standby)
HOSTS = {'cpc1-lpar1': ('Z1', False), 'cpc1-standby': ('Z1', True),
         'cpc2-lpar1': ('Z2', False), 'cpc2-standby': ('Z2', True),
         'cpc2-lpar2': ('Z2', False)}


def _view(hosts=HOSTS):
    by_uuid = {zha_fakes.host_uuid(name):
               topology.HostProfile(cpc=cpc, standby=standby)
               for name, (cpc, standby) in hosts.items()}
    by_name = {name: by_uuid[zha_fakes.host_uuid(name)] for name in hosts}
    return placement_checks.PlacementView(
        compute_nodes={zha_fakes.host_uuid(n): n for n in hosts},
        topology=placement.Topology(by_uuid=by_uuid, by_name=by_name))


class PartnersTest(helpers.CheckTestCase):

    def check(self, partners_text, view=None, partners_file=None):
        lines = ['[zha_evacuate]']
        if partners_text is not None:
            lines.append('partners_file = %s' % (
                partners_file or self.write('partners.yaml', partners_text)))
        hook_conf = self.write('hook.conf', '\n'.join(lines) + '\n')
        hook = tools_conf.load_hook(hook_conf)
        return partners.check_partners(hook, view)

    def test_cross_cpc_partners_are_ok(self):
        found = self.check('cpc1-lpar1: cpc2-standby\n'
                           'cpc2-lpar1: cpc1-standby\n'
                           'cpc2-lpar2: cpc1-standby\n', _view())
        ok = self.only(found, 'standby-partners', findings.OK)
        self.assertEqual('partners_file maps 3 primaries to 2 standby hosts, '
                         'each on another CPC', ok.message)

    def test_partner_on_the_same_cpc_is_an_error(self):
        found = self.check('cpc1-lpar1: cpc2-standby\n'
                           'cpc2-lpar1: cpc1-standby\n'
                           'cpc2-lpar2: cpc2-standby\n', _view())
        error = self.only(found, 'standby-partners', findings.ERROR)
        self.assertEqual('cpc2-lpar2 and its partner cpc2-standby are both '
                         'on CPC Z2: one CPC failure takes both, and its '
                         'guests have nowhere to go', error.message)

    def test_standby_without_partner_is_a_warning(self):
        found = self.check('cpc1-lpar1: cpc2-standby\n', _view())
        warning = self.only(found, 'standby-partners', findings.WARNING)
        self.assertIn("standby host(s) cpc1-standby are nobody's partner",
                      warning.message)

    def test_partner_that_is_not_a_standby_host_is_a_warning(self):
        found = self.check('cpc1-lpar1: cpc2-lpar2\ncpc2-lpar1: cpc1-standby\n'
                           'cpc2-lpar2: cpc1-standby\n',
                           _view({**HOSTS, 'cpc2-standby': ('Z3', False)}))
        warning = self.only(found, 'standby-partners', findings.WARNING)
        self.assertIn('partner(s) cpc2-lpar2 carry no CUSTOM_ZHA_STANDBY '
                      'trait', warning.message)
        self.assertIn('standby = True', warning.fix)

    def test_unknown_host_names_are_a_warning(self):
        found = self.check('cpc1-lpar1: cpc2-standby\n'
                           'cpc2-lpar1: cpc1-standby\n'
                           'lpar9: cpc1-standby\n', _view())
        warning = self.only(found, 'standby-partners', findings.WARNING)
        self.assertIn('not compute nodes in Placement: lpar9', warning.message)

    def test_own_partner_is_an_error_even_without_placement(self):
        found = self.check('cpc1-lpar1: cpc1-lpar1\n')
        self.only(found, 'standby-partners', findings.ERROR)

    def test_without_placement_only_the_file_is_checked(self):
        found = self.check('cpc1-lpar1: cpc1-standby\n')
        ok = self.only(found, 'standby-partners', findings.OK)
        self.assertIn('standby hosts not checked without Placement',
                      ok.message)

    def test_unreadable_partners_file_is_an_error(self):
        missing = os.path.join(self.tmp, 'nope.yaml')
        found = self.check('', _view(), partners_file=missing)
        error = self.only(found, 'standby-partners', findings.ERROR)
        self.assertEqual('cannot read [zha_evacuate] partners_file %s: '
                         'No such file or directory' % missing, error.message)

    def test_malformed_partners_file_is_an_error(self):
        for text, why in (('- a\n- b\n', 'must map each primary host'),
                          ('a: [b\n', 'is not valid YAML')):
            found = self.check(text, _view())
            error = self.only(found, 'standby-partners', findings.ERROR)
            self.assertIn('partners_file', error.message)
            self.assertIn(why, error.message)

    def test_unset_partners_file_and_no_hook_conf(self):
        self.assertIn('partners_file is not set',
                      self.only(self.check(None, _view()), 'standby-partners',
                                findings.OK).message)
        self.assertEqual('skipped: no --hook-conf given',
                         partners.check_partners(None, _view())[0].message)
