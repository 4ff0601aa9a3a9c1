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

"""Unit tests of placement-reachable and topology-traits
on a fake Placement.
"""

from urllib import parse

from tests.unit.check import helpers
from tests.unit import zha_fakes
from zha_scheduler.check import findings
from zha_scheduler.check import placement_checks
from zha_scheduler.clients import placement_client
from zha_scheduler import traits

COMPUTE_NODE = 'COMPUTE_NODE'


def _host(name, cpc=None, site=None, standby=False, compute=True):
    found = [COMPUTE_NODE] if compute else []
    if cpc:
        found.append(traits.cpc_trait(cpc))
    if site:
        found.append(traits.site_trait(site))
    if standby:
        found.append(traits.STANDBY)
    return {'uuid': zha_fakes.host_uuid(name), 'name': name, 'traits': found}


class FakePlacement(zha_fakes.FakePlacementClient):
    """Also lists every provider, as roots, for GET /resource_providers."""

    def get(self, url, microversion=None, raise_exc=False):
        split = parse.urlsplit(url)
        if split.path == '/resource_providers' and not split.query:
            self.calls.append((url, microversion))
            return zha_fakes.FakeResponse(body={'resource_providers': [
                {'uuid': p['uuid'], 'name': p['name'],
                 'root_provider_uuid': p['uuid']} for p in self.providers]})
        return super().get(url, microversion)


class Unreachable:

    def get(self, url, microversion=None, raise_exc=False):
        raise ConnectionError('Unable to establish connection to '
                              'http://placement:8778/:\n  refused')


class PlacementChecksTest(helpers.CheckTestCase):

    def check(self, adapter, *replace):
        client = (None if adapter is None else
                  placement_client.PlacementClient(adapter))
        return placement_checks.check_placement(self.nova(None, replace),
                                                client)

    def test_hosts_without_cpc_trait_are_listed(self):
        hosts = [_host('lpar1', 'Z1'), _host('lpar2', 'Z2', standby=True)]
        hosts += [_host('bare%02d' % i) for i in range(12)]
        found, view = self.check(FakePlacement(hosts))
        reachable = self.only(found, 'placement-reachable', findings.OK)
        self.assertIn('14 compute nodes, 2 with ZHA traits', reachable.message)
        warning = self.only(found, 'topology-traits', findings.WARNING)
        self.assertIn('12 of 14 compute nodes have no CUSTOM_ZHA_CPC_* trait: '
                      'bare00, bare01, bare02', warning.message)
        self.assertIn('bare09 (+2 more)', warning.message)
        self.assertIn('zha-trait-agent', warning.fix)
        self.assertEqual({'lpar2'}, view.standby_names())

    def test_all_hosts_with_traits_on_two_cpcs_is_ok(self):
        found, _ = self.check(
            FakePlacement([_host('a', 'Z1'), _host('b', 'Z2')]))
        ok = self.only(found, 'topology-traits', findings.OK)
        self.assertEqual('all 2 compute nodes carry a CPC trait (2 CPCs)',
                         ok.message)

    def test_one_cpc_only_is_a_warning(self):
        found, _ = self.check(
            FakePlacement([_host('a', 'Z1'), _host('b', 'Z1')]))
        warning = self.only(found, 'topology-traits', findings.WARNING)
        self.assertIn('every compute node with a CPC trait is on CPC Z1',
                      warning.message)

    def test_site_traits_are_checked_when_spreading_over_sites(self):
        client = FakePlacement([_host('a', 'Z1', 'DC1'), _host('b', 'Z2')])
        found, _ = self.check(client, ('spread_domain = cpc',
                                       'spread_domain = site'))
        warning = self.only(found, 'topology-traits', findings.WARNING)
        self.assertIn('1 of 2 compute nodes have no CUSTOM_ZHA_SITE_* '
                      'trait: b', warning.message)

    def test_root_providers_when_none_is_marked_compute_node(self):
        client = FakePlacement([_host('a', 'Z1', compute=False),
                                _host('b', compute=False)])
        found, view = self.check(client)
        self.assertEqual({'a', 'b'}, view.names())
        self.only(found, 'topology-traits', findings.WARNING)

    def test_unreachable_placement_is_an_error_in_one_line(self):
        found, view = self.check(Unreachable())
        self.assertIsNone(view)
        error = self.only(found, 'placement-reachable', findings.ERROR)
        self.assertEqual('Placement cannot be read: Unable to establish '
                         'connection to http://placement:8778/: refused',
                         error.message)
        self.assertIn('[placement]', error.fix)
        self.assertIn('skipped', self.only(found, 'topology-traits').message)

    def test_http_error_is_an_error(self):
        client = FakePlacement([_host('a', 'Z1')], errors={'/traits': 503})
        error = self.only(self.check(client)[0], 'placement-reachable',
                          findings.ERROR)
        self.assertIn('returned 503: error 503', error.message)

    def test_no_auth_in_nova_conf_is_an_error(self):
        found, _ = self.check(None)
        error = self.only(found, 'placement-reachable', findings.ERROR)
        self.assertIn('[placement] auth_type is not set', error.message)

    def test_unknown_auth_plugin_is_an_error(self):
        nova = self.nova(helpers.snippet() +
                         '[placement]\nauth_type = pasword\n')
        found, _ = placement_checks.check_placement(nova)
        error = self.only(found, 'placement-reachable', findings.ERROR)
        self.assertIn('auth_type = pasword is not a keystoneauth plugin',
                      error.message)

    def test_skip(self):
        found, view = placement_checks.check_placement(self.nova(), skip=True)
        self.assertIsNone(view)
        self.assertEqual(['skipped: --skip-placement'] * 2,
                         [f.message for f in found])
