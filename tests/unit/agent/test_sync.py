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

"""Unit tests for zha_scheduler.agent.sync against an in-memory Placement.

``FakePlacement`` stands in for the keystoneauth Adapter: it speaks the trait
part of the Placement API (microversion 1.6) and enforces what the real
service enforces, so the tests exercise the protocol rather than call counts:
the provider generation (409 when stale), the existence of every trait written
on a provider (400) and that only ``CUSTOM_*`` traits can be created (400).
"""

import json
import logging
import re
from urllib import parse
import uuid as uuidlib

import fixtures
from keystoneauth1 import exceptions as ks_exc
from oslotest import base

from zha_scheduler.agent import sync
from zha_scheduler.clients import placement_client

STANDARD_TRAITS = frozenset({'COMPUTE_NODE', 'COMPUTE_STATUS_DISABLED',
                             'HW_CPU_S390X_VX',
                             'COMPUTE_NET_VIF_MODEL_VIRTIO'})
NOVA_TRAITS = ['COMPUTE_NET_VIF_MODEL_VIRTIO', 'COMPUTE_NODE',
               'HW_CPU_S390X_VX']
_CUSTOM = re.compile(r'^CUSTOM_[A-Z0-9_]+$')


class FakeResponse:
    """Enough of a requests.Response: status_code, text, json(), truth."""

    def __init__(self, status_code, body=None, text=None):
        self.status_code = status_code
        if text is None:
            text = '' if body is None else json.dumps(body)
        self.text = text

    def json(self):
        # Like requests: an empty body (201, 204) is not JSON.
        return json.loads(self.text)

    def __bool__(self):
        return self.status_code < 400

    def __repr__(self):
        return '<FakeResponse %d>' % self.status_code


def _error(status, detail, code='placement.undefined_code'):
    title = {400: 'Bad Request', 404: 'Not Found', 409: 'Conflict'}.get(
        status, 'Error')
    return FakeResponse(status, {'errors': [{
        'status': status, 'title': title, 'detail': detail, 'code': code}]})


def _version(microversion):
    if not microversion:
        return (1, 0)
    major, minor = str(microversion).split('.')
    return (int(major), int(minor))


class FakeProvider:

    def __init__(self, uuid, name, traits):
        self.uuid = uuid
        self.name = name
        self.traits = set(traits)
        self.generation = 0


class FakePlacement:
    """An in-memory Placement reached like a keystoneauth Adapter.

    :ivar requests: every request, as (method, url, json body or None).
    :ivar calls: the keyword arguments of every request.
    :ivar before_write: None or a callable(url) run before a provider trait
        PUT is handled: another writer getting in first.
    :ivar failures: (method, url) -> (status, text) answered instead.
    :ivar down: raise ConnectFailure on every request while true.
    """

    def __init__(self):
        self.traits = set(STANDARD_TRAITS)
        self.providers = {}
        self.requests = []
        self.calls = []
        self.before_write = None
        self.failures = {}
        self.down = False

    # Set-up and inspection, bypassing the API.
    def add_provider(self, name, traits=(), uuid=None):
        uuid = uuid or str(uuidlib.uuid4())
        self.traits |= set(traits)
        self.providers[uuid] = FakeProvider(uuid, name, traits)
        return uuid

    def concurrent_write(self, uuid, add=(), remove=()):
        """Another writer (nova-compute, an operator) updates the provider."""
        provider = self.providers[uuid]
        self.traits |= set(add)
        provider.traits = (provider.traits | set(add)) - set(remove)
        provider.generation += 1

    def provider_traits(self, uuid):
        return set(self.providers[uuid].traits)

    def generation(self, uuid):
        return self.providers[uuid].generation

    def urls(self, method):
        return [url for m, url, _body in self.requests if m == method]

    # The Adapter interface.
    def get(self, url, microversion=None, raise_exc=True, **kwargs):
        return self._request('GET', url, None, microversion, raise_exc,
                             kwargs)

    def put(self, url, json=None, microversion=None, raise_exc=True,
            **kwargs):
        return self._request('PUT', url, json, microversion, raise_exc,
                             kwargs)

    def _request(self, method, url, body, microversion, raise_exc, kwargs):
        if self.down:
            raise ks_exc.ConnectFailure(
                'Unable to establish connection to %s' % url)
        self.requests.append((method, url, body))
        self.calls.append(dict(kwargs, microversion=microversion,
                               raise_exc=raise_exc))
        if (method, url) in self.failures:
            status, text = self.failures[(method, url)]
            resp = FakeResponse(status, text=text)
        else:
            resp = self._route(method, url, body, _version(microversion))
        if raise_exc and resp.status_code >= 400:
            raise ks_exc.HttpError(http_status=resp.status_code,
                                   message=resp.text)
        return resp

    def _route(self, method, url, body, version):
        split = parse.urlsplit(url)
        parts = split.path.strip('/').split('/')
        if 'traits' in parts and version < (1, 6):
            return _error(404, 'The resource could not be found.')
        if method == 'GET' and parts == ['resource_providers']:
            query = parse.parse_qs(split.query)
            found = [p for p in self.providers.values()
                     if 'name' not in query or p.name == query['name'][0]]
            return FakeResponse(200, {'resource_providers': [
                {'uuid': p.uuid, 'name': p.name, 'generation': p.generation}
                for p in found]})
        if len(parts) == 2 and parts[0] == 'traits' and method == 'PUT':
            return self._create_trait(parts[1])
        if (len(parts) == 3 and parts[0] == 'resource_providers' and
                parts[2] == 'traits'):
            provider = self.providers.get(parts[1])
            if provider is None:
                return _error(404, 'No resource provider with uuid %s found'
                              % parts[1])
            if method == 'GET':
                return FakeResponse(200, {
                    'traits': sorted(provider.traits),
                    'resource_provider_generation': provider.generation})
            if self.before_write is not None:
                self.before_write(url)
            return self._set_traits(provider, body)
        return _error(404, 'The resource could not be found.')

    def _create_trait(self, name):
        if not _CUSTOM.match(name):
            return _error(400, "The trait is invalid. A valid trait must be "
                               "no longer than 255 characters, start with the "
                               "prefix 'CUSTOM_' and use following characters:"
                               " 'A'-'Z', '0'-'9' and '_'")
        if name in self.traits:
            return FakeResponse(204)
        self.traits.add(name)
        return FakeResponse(201)

    def _set_traits(self, provider, body):
        if (not isinstance(body, dict) or
                not isinstance(body.get('traits'), list) or
                not isinstance(body.get('resource_provider_generation'), int)):
            return _error(400, 'JSON does not validate: %r' % (body,))
        if body['resource_provider_generation'] != provider.generation:
            return _error(409, 'Resource provider %s has been updated by '
                               'another process.' % provider.uuid,
                          'placement.concurrent_update')
        unknown = sorted(set(body['traits']) - self.traits)
        if unknown:
            return _error(400, 'No such trait(s): %s' % ', '.join(unknown))
        provider.traits = set(body['traits'])
        provider.generation += 1
        return FakeResponse(200, {
            'traits': sorted(provider.traits),
            'resource_provider_generation': provider.generation})


class FakePlacementTest(base.BaseTestCase):
    """The fake enforces what the sync tests rely on."""

    def setUp(self):
        super().setUp()
        self.placement = FakePlacement()
        self.uuid = self.placement.add_provider('lpar1', NOVA_TRAITS)
        self.url = '/resource_providers/%s/traits' % self.uuid

    def test_stale_generation_is_a_conflict(self):
        self.placement.concurrent_write(self.uuid, add=['CUSTOM_X'])
        resp = self.placement.put(self.url, json={
            'traits': NOVA_TRAITS, 'resource_provider_generation': 0},
            microversion='1.6', raise_exc=False)
        self.assertEqual(409, resp.status_code)
        self.assertFalse(resp)
        self.assertEqual(sorted(NOVA_TRAITS + ['CUSTOM_X']),
                         sorted(self.placement.provider_traits(self.uuid)))

    def test_unknown_trait_is_refused(self):
        resp = self.placement.put(self.url, json={
            'traits': ['CUSTOM_ZHA_NEW'], 'resource_provider_generation': 0},
            microversion='1.6', raise_exc=False)
        self.assertEqual(400, resp.status_code)
        self.assertIn('No such trait(s): CUSTOM_ZHA_NEW', resp.text)
        self.assertEqual(0, self.placement.generation(self.uuid))

    def test_traits_need_microversion_1_6(self):
        resp = self.placement.get(self.url, raise_exc=False)
        self.assertEqual(404, resp.status_code)
        self.assertRaises(ks_exc.HttpError, self.placement.get, self.url,
                          microversion='1.5')


class _SyncTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.placement = FakePlacement()
        self.syncer = sync.PlacementTraitSync(
            placement_client.PlacementClient(self.placement))
        self.log = self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler.agent.sync', level=logging.DEBUG,
            format='%(levelname)s %(message)s'))


class FindProviderTest(_SyncTestCase):

    def test_found(self):
        self.placement.add_provider('lpar1', uuid='u-1')
        self.placement.add_provider('lpar2', uuid='u-2')
        self.assertEqual('u-2', self.syncer.find_provider('lpar2'))
        self.assertEqual(['/resource_providers?name=lpar2'],
                         self.placement.urls('GET'))
        self.assertEqual([{'microversion': '1.14', 'raise_exc': False}],
                         self.placement.calls)

    def test_name_is_quoted(self):
        self.placement.add_provider('lpar1', uuid='u-1')
        self.placement.add_provider('odd name&x=1', uuid='u-odd')
        self.assertEqual('u-odd', self.syncer.find_provider('odd name&x=1'))
        self.assertEqual(['/resource_providers?name=odd%20name%26x%3D1'],
                         self.placement.urls('GET'))

    def test_not_found(self):
        self.placement.add_provider('lpar1')
        error = self.assertRaises(sync.SyncError, self.syncer.find_provider,
                                  'lpar9')
        self.assertEqual(
            "No resource provider named 'lpar9' in Placement: check that "
            "nova-compute runs on this host and that [zha_agent] "
            "provider_name matches its hypervisor hostname.", str(error))

    def test_http_error(self):
        self.placement.failures[('GET', '/resource_providers?name=lpar1')] = (
            503, 'Service Unavailable')
        error = self.assertRaises(sync.SyncError, self.syncer.find_provider,
                                  'lpar1')
        self.assertEqual("Looking up resource provider 'lpar1' failed: "
                         "HTTP 503 Service Unavailable", str(error))


class SyncTest(_SyncTestCase):

    FOREIGN = ['COMPUTE_NODE', 'CUSTOM_OPERATOR_GOLD', 'CUSTOM_ZHA',
               'CUSTOM_ZHAX_LOOKALIKE', 'HW_CPU_S390X_VX']

    def setUp(self):
        super().setUp()
        self.uuid = self.placement.add_provider('lpar1', self.FOREIGN + [
            'CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_CPC_Z1'])
        self.url = '/resource_providers/%s/traits' % self.uuid

    def _writes(self):
        return [body for method, url, body in self.placement.requests
                if method == 'PUT' and url == self.url]

    def test_adds_creates_and_removes(self):
        wanted = {'CUSTOM_ZHA_CPC_Z1', 'CUSTOM_ZHA_NET_DEGRADED',
                  'CUSTOM_ZHA_SITE_DC1'}
        result = self.syncer.sync(self.uuid, set(wanted))
        self.assertEqual(sync.SyncResult(
            self.uuid, frozenset({'CUSTOM_ZHA_NET_DEGRADED',
                                  'CUSTOM_ZHA_SITE_DC1'}),
            frozenset({'CUSTOM_ZHA_NET_REDUNDANT'}), 1), result)
        self.assertTrue(result.changed)
        self.assertEqual(set(self.FOREIGN) | wanted,
                         self.placement.provider_traits(self.uuid))
        self.assertEqual(1, self.placement.generation(self.uuid))
        # The missing traits are created, in order, before the write.
        self.assertEqual(['/traits/CUSTOM_ZHA_NET_DEGRADED',
                          '/traits/CUSTOM_ZHA_SITE_DC1', self.url],
                         self.placement.urls('PUT'))
        self.assertEqual([('PUT', '/traits/CUSTOM_ZHA_NET_DEGRADED', None)],
                         [r for r in self.placement.requests
                          if r[1] == '/traits/CUSTOM_ZHA_NET_DEGRADED'])
        self.assertEqual(
            [{'microversion': '1.6', 'raise_exc': False}] * 4,
            self.placement.calls)

    def test_existing_trait_is_created_idempotently(self):
        self.placement.traits.add('CUSTOM_ZHA_STANDBY')
        result = self.syncer.sync(self.uuid, {'CUSTOM_ZHA_STANDBY'})
        self.assertEqual(frozenset({'CUSTOM_ZHA_STANDBY'}), result.added)
        self.assertEqual(set(self.FOREIGN) | {'CUSTOM_ZHA_STANDBY'},
                         self.placement.provider_traits(self.uuid))

    def test_foreign_traits_written_back_as_read(self):
        self.syncer.sync(self.uuid, {'CUSTOM_ZHA_STANDBY'})
        (body,) = self._writes()
        self.assertEqual({
            'traits': ['COMPUTE_NODE', 'CUSTOM_OPERATOR_GOLD', 'CUSTOM_ZHA',
                       'CUSTOM_ZHAX_LOOKALIKE', 'CUSTOM_ZHA_STANDBY',
                       'HW_CPU_S390X_VX'],
            'resource_provider_generation': 0}, body)

    def test_removing_every_zha_trait(self):
        result = self.syncer.sync(self.uuid, set())
        self.assertEqual(frozenset(), result.added)
        self.assertEqual(frozenset({'CUSTOM_ZHA_NET_REDUNDANT',
                                    'CUSTOM_ZHA_CPC_Z1'}), result.removed)
        self.assertEqual(set(self.FOREIGN),
                         self.placement.provider_traits(self.uuid))
        self.assertEqual([self.url], self.placement.urls('PUT'))

    def test_nothing_written_when_current(self):
        result = self.syncer.sync(
            self.uuid, {'CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_CPC_Z1'})
        self.assertEqual(sync.SyncResult(self.uuid, frozenset(), frozenset(),
                                         1), result)
        self.assertFalse(result.changed)
        self.assertEqual([], self.placement.urls('PUT'))
        self.assertEqual([self.url], self.placement.urls('GET'))
        self.assertEqual(0, self.placement.generation(self.uuid))

    def test_conflict_is_retried(self):
        def another_writer_first(url):
            if len(self._writes()) == 1:
                self.placement.concurrent_write(
                    self.uuid, add=['CUSTOM_RACE'],
                    remove=['CUSTOM_OPERATOR_GOLD'])

        self.placement.before_write = another_writer_first
        result = self.syncer.sync(self.uuid, {'CUSTOM_ZHA_CPC_Z1',
                                              'CUSTOM_ZHA_NET_DEGRADED'})
        self.assertEqual(2, result.attempts)
        self.assertEqual(frozenset({'CUSTOM_ZHA_NET_DEGRADED'}), result.added)
        self.assertEqual(frozenset({'CUSTOM_ZHA_NET_REDUNDANT'}),
                         result.removed)
        # The other writer's change survives: the second attempt re-read.
        self.assertEqual(
            {'COMPUTE_NODE', 'CUSTOM_ZHA', 'CUSTOM_ZHAX_LOOKALIKE',
             'HW_CPU_S390X_VX', 'CUSTOM_RACE', 'CUSTOM_ZHA_CPC_Z1',
             'CUSTOM_ZHA_NET_DEGRADED'},
            self.placement.provider_traits(self.uuid))
        self.assertEqual([0, 1], [b['resource_provider_generation']
                                  for b in self._writes()])
        self.assertEqual(2, self.placement.generation(self.uuid))
        self.assertEqual([self.url, self.url], self.placement.urls('GET'))
        # The trait was created once, not again on the retry.
        self.assertEqual(['/traits/CUSTOM_ZHA_NET_DEGRADED'],
                         [u for u in self.placement.urls('PUT')
                          if u.startswith('/traits/')])
        self.assertIn('INFO Provider %s changed while its traits were written '
                      '(attempt 1 of 5); reading it again.' % self.uuid,
                      self.log.output)

    def test_conflict_resolved_by_the_other_writer(self):
        # The other writer publishes the very traits we wanted.
        def another_writer_first(url):
            if len(self._writes()) == 1:
                self.placement.concurrent_write(
                    self.uuid, add=['CUSTOM_ZHA_STANDBY'],
                    remove=['CUSTOM_ZHA_NET_REDUNDANT', 'CUSTOM_ZHA_CPC_Z1'])

        self.placement.before_write = another_writer_first
        result = self.syncer.sync(self.uuid, {'CUSTOM_ZHA_STANDBY'})
        self.assertEqual(sync.SyncResult(self.uuid, frozenset(), frozenset(),
                                         2), result)
        self.assertEqual(1, len(self._writes()))

    def test_gives_up_after_max_attempts(self):
        self.placement.before_write = (
            lambda url: self.placement.concurrent_write(self.uuid))
        error = self.assertRaises(sync.SyncError, self.syncer.sync,
                                  self.uuid, {'CUSTOM_ZHA_NET_DEGRADED'})
        self.assertEqual(
            'Provider %s changed on each of 5 attempts to write its traits; '
            'giving up until the next run.' % self.uuid, str(error))
        self.assertEqual(5, sync.MAX_ATTEMPTS)
        self.assertEqual(sync.MAX_ATTEMPTS, len(self._writes()))
        self.assertEqual([self.url] * sync.MAX_ATTEMPTS,
                         self.placement.urls('GET'))
        self.assertEqual(['/traits/CUSTOM_ZHA_NET_DEGRADED'],
                         self.placement.urls('PUT')[:1])
        self.assertEqual(set(self.FOREIGN) | {'CUSTOM_ZHA_NET_REDUNDANT',
                                              'CUSTOM_ZHA_CPC_Z1'},
                         self.placement.provider_traits(self.uuid))
        self.assertEqual(5, self.log.output.count('reading it again.'))

    def test_refuses_non_zha_traits(self):
        error = self.assertRaises(
            sync.SyncError, self.syncer.sync, self.uuid,
            {'CUSTOM_ZHA_STANDBY', 'COMPUTE_NODE', 'CUSTOM_ZHAX'})
        self.assertEqual('Refusing to write non-ZHA traits: COMPUTE_NODE, '
                         'CUSTOM_ZHAX', str(error))
        self.assertEqual([], self.placement.requests)

    def test_write_error(self):
        self.placement.failures[('PUT', self.url)] = (500, 'x' * 400)
        error = self.assertRaises(sync.SyncError, self.syncer.sync,
                                  self.uuid, {'CUSTOM_ZHA_CPC_Z1'})
        self.assertEqual('Writing traits of provider %s failed: HTTP 500 %s'
                         % (self.uuid, 'x' * 200), str(error))
        self.assertEqual(1, len(self._writes()))

    def test_unknown_trait_on_write_is_an_error(self):
        # Trait creation answers but loses the trait: Placement then refuses
        # the write with 400, which must not pass for success.
        self.placement.failures[('PUT', '/traits/CUSTOM_ZHA_STANDBY')] = (
            201, '')
        error = self.assertRaises(sync.SyncError, self.syncer.sync,
                                  self.uuid, {'CUSTOM_ZHA_STANDBY'})
        self.assertIn('Writing traits of provider %s failed: HTTP 400'
                      % self.uuid, str(error))
        self.assertIn('No such trait(s): CUSTOM_ZHA_STANDBY', str(error))

    def test_trait_creation_error(self):
        self.placement.failures[('PUT', '/traits/CUSTOM_ZHA_STANDBY')] = (
            503, 'Service Unavailable')
        error = self.assertRaises(sync.SyncError, self.syncer.sync,
                                  self.uuid, {'CUSTOM_ZHA_STANDBY'})
        self.assertEqual('Creating trait CUSTOM_ZHA_STANDBY failed: HTTP 503 '
                         'Service Unavailable', str(error))
        self.assertEqual([], self._writes())

    def test_read_error(self):
        error = self.assertRaises(sync.SyncError, self.syncer.sync,
                                  'gone', {'CUSTOM_ZHA_STANDBY'})
        self.assertIn('Reading traits of provider gone failed: HTTP 404',
                      str(error))
        self.assertIn('No resource provider with uuid gone found',
                      str(error))
