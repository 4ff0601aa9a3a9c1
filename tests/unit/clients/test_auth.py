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

"""Where the openstacksdk Connection of [nova] sends its requests."""

import os
import re
import urllib.parse

import fixtures
from keystoneauth1 import fixture as ks_fixture
from oslo_config import cfg
from oslotest import base
from requests_mock.contrib import fixture as rm_fixture

from zha_scheduler.clients import auth
from zha_scheduler.clients import nova_client
from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.conf import ksa

KEYSTONE = 'http://keystone.example/v3'
#: A version document's link to itself: the endpoint it was read from.
SELF = [{'rel': 'self', 'href': ''}]
CREDENTIALS = '''auth_type = password
auth_url = %s
username = zha
password = secret
project_name = service
user_domain_name = Default
project_domain_name = Default
''' % KEYSTONE


def _catalog(with_internal=True):
    """A token whose catalog has compute and placement in two regions."""
    token = ks_fixture.V3Token()
    token.set_project_scope()
    for region in ('RegionOne', 'RegionTwo'):
        for service_type, path in (('compute', '/compute/v2.1'),
                                   ('placement', '/placement')):
            urls = {'public': 'http://public.%s.example%s' % (region, path)}
            if with_internal:
                urls['internal'] = 'http://internal.%s.example%s' % (region,
                                                                     path)
            token.add_service(service_type).add_standard_endpoints(
                region=region, **urls)
    return token


class ConnectionTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.requests = self.useFixture(rm_fixture.Fixture())
        self.requests.get(KEYSTONE, json={
            'version': ks_fixture.V3Discovery(KEYSTONE)})
        self.catalog(_catalog())
        # Version documents, then the calls the tools make.
        self.requests.get(re.compile(r'.*/v2\.1/?$'), json={
            'version': {'id': 'v2.1', 'status': 'CURRENT', 'version': '2.96',
                        'min_version': '2.1', 'links': SELF}})
        placement = re.compile(r'.*(/placement|placement[.a-z]*)/?$')
        self.requests.get(placement, json={
            'versions': [{'id': 'v1.0', 'status': 'CURRENT',
                          'min_version': '1.0', 'max_version': '1.39',
                          'links': SELF}]})
        self.requests.get(re.compile(r'.*/os-services'), json={'services': []})
        self.requests.get(re.compile(r'.*/resource_providers'),
                          json={'resource_providers': []})

    def catalog(self, token):
        self.requests.post(KEYSTONE + '/auth/tokens', json=token,
                           headers={'X-Subject-Token': 'a-token'})

    def conf(self, nova, placement=None):
        path = os.path.join(self.tmp, 'zha.conf')
        with open(path, 'w') as f:
            f.write('[nova]\n' + CREDENTIALS + nova)
            if placement is not None:
                f.write('[placement]\n' + placement)
        conf = cfg.ConfigOpts()
        evacuate_conf.register_nova_opts(conf)
        if placement is not None:
            # As nova.conf's, which the insight commands read.
            ksa.register_ksa_opts(conf, 'placement', 'placement')
        conf(['--config-file', path])
        return conf

    def hosts(self, conf):
        """Hosts of the compute and Placement calls, their microversion."""
        conn = auth.connection(conf, 'nova', 'unset',
                               nova_client.MICROVERSION)
        list(conn.compute.services())
        conn.placement.get('/resource_providers')
        called = {}
        for request in self.requests.request_history:
            for call in ('os-services', 'resource_providers'):
                if request.path.endswith(call):
                    called[call] = (urllib.parse.urlsplit(request.url).netloc,
                                    request.headers.get(
                                        'OpenStack-API-Version'))
        return called

    def test_internal_endpoints_from_valid_interfaces_and_region(self):
        called = self.hosts(self.conf('valid_interfaces = internal\n'
                                      'region_name = RegionTwo\n'))
        self.assertEqual(
            {'os-services': ('internal.regiontwo.example', 'compute 2.94'),
             'resource_providers': ('internal.regiontwo.example', None)},
            called)
        self.assertNotIn('public', str([r.url for r in
                                        self.requests.request_history]))

    def test_the_default_prefers_internal_then_public(self):
        # register_ksa_opts sets valid_interfaces = internal, public.
        called = self.hosts(self.conf('region_name = RegionOne\n'))
        self.assertEqual('internal.regionone.example',
                         called['os-services'][0])
        self.catalog(_catalog(with_internal=False))
        called = self.hosts(self.conf('region_name = RegionOne\n'))
        self.assertEqual({'os-services': 'public.regionone.example',
                          'resource_providers': 'public.regionone.example'},
                         {k: v[0] for k, v in called.items()})

    def test_endpoint_override_is_for_compute_only(self):
        called = self.hosts(self.conf(
            'valid_interfaces = internal\nregion_name = RegionTwo\n'
            'endpoint_override = http://nova-api.ctl.example:8774/v2.1\n'))
        self.assertEqual(
            {'os-services': ('nova-api.ctl.example:8774', 'compute 2.94'),
             'resource_providers': ('internal.regiontwo.example', None)},
            called)

    def test_a_placement_section_is_honoured_for_placement(self):
        called = self.hosts(self.conf(
            'valid_interfaces = public\nregion_name = RegionTwo\n',
            placement='valid_interfaces = internal\n'
                      'endpoint_override = http://placement.ctl.example\n'))
        self.assertEqual(
            {'os-services': ('public.regiontwo.example', 'compute 2.94'),
             'resource_providers': ('placement.ctl.example', None)},
            called)
        # A [placement] without a region takes [nova]'s.
        called = self.hosts(self.conf(
            'region_name = RegionTwo\n',
            placement='valid_interfaces = public\n'))
        self.assertEqual('public.regiontwo.example',
                         called['resource_providers'][0])

    def test_service_type_and_name(self):
        self.assertEqual(
            {'interface': ['internal', 'public'], 'region_name': 'R',
             'compute_interface': ['internal', 'public'],
             'compute_region_name': 'R', 'compute_service_type': 'compute',
             'compute_service_name': 'nova-legacy'},
            {k: v for k, v in auth.sdk_options(self.conf(
                'region_name = R\nservice_name = nova-legacy\n'),
                'nova').items() if 'retr' not in k})

    def test_bad_adapter_options_are_one_error(self):
        conf = self.conf('valid_interfaces = internl\n')
        exc = self.assertRaises(auth.AdapterOptionsError, auth.connection,
                                conf, 'nova', 'unset', '2.94')
        self.assertIsInstance(exc, auth.CredentialsError)
        self.assertIn("[nova] 'internl' is not a valid value for "
                      'valid_interfaces', str(exc))
