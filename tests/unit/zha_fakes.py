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

"""Fakes for the unit tests: Placement, member records, a small IBM Z cloud."""

import copy
import logging
from urllib import parse
import uuid as uuid_lib
import zlib

import fixtures
from nova import objects
from nova import test
from nova.tests.unit.scheduler import fakes as nova_fakes

from zha_scheduler.clients import nova_client
from zha_scheduler.clients import placement_client
from zha_scheduler import members
from zha_scheduler import placement
from zha_scheduler import traits

objects.register_all()


def host_uuid(host):
    """A stable compute node uuid for a host name."""
    return str(uuid_lib.uuid5(uuid_lib.NAMESPACE_DNS, 'node.' + host))


def instance_uuid(name):
    """A stable instance uuid for a member name."""
    return str(uuid_lib.uuid5(uuid_lib.NAMESPACE_DNS, 'instance.' + name))


class FakeResponse:
    """The part of a keystoneauth response that placement.py reads."""

    def __init__(self, status_code=200, body=None, text=''):
        self.status_code = status_code
        self._body = body if body is not None else {}
        self.text = text

    def __bool__(self):
        return self.status_code < 400

    def json(self):
        return copy.deepcopy(self._body)


class FakePlacementClient:
    """A Placement adapter serving the reads of placement.read_topology.

    :param providers: dicts with ``uuid``, ``name`` and ``traits``.
    :param extra_traits: traits that exist in Placement on no provider.
    :param errors: {path prefix: status code} answered instead of data.
    """

    def __init__(self, providers, extra_traits=(), errors=None):
        self.providers = list(providers)
        self.extra_traits = list(extra_traits)
        self.errors = dict(errors or {})
        self.calls = []

    def get(self, url, microversion=None, raise_exc=False):
        self.calls.append((url, microversion))
        for prefix, status in self.errors.items():
            if url.startswith(prefix):
                return FakeResponse(status, text='error %d' % status)
        split = parse.urlsplit(url)
        query = parse.parse_qs(split.query)
        if split.path == '/traits':
            (name,) = query['name']
            assert name.startswith('startswith:'), name
            start = name[len('startswith:'):]
            every = {t for p in self.providers for t in p['traits']}
            every.update(self.extra_traits)
            return FakeResponse(body={
                'traits': sorted(t for t in every if t.startswith(start))})
        if split.path == '/resource_providers':
            (required,) = query.get('required', [None])
            return FakeResponse(body={'resource_providers': [
                {'uuid': p['uuid'], 'name': p['name'],
                 'generation': self.generation(p)}
                for p in self.providers
                if required is None or required in p['traits']]})
        parts = split.path.strip('/').split('/')
        if parts[0] == 'resource_providers' and parts[2:] == ['traits']:
            for p in self.providers:
                if p['uuid'] == parts[1]:
                    return FakeResponse(body={
                        'traits': list(p['traits']),
                        'resource_provider_generation': self.generation(p)})
        return FakeResponse(404, text='not found')

    @staticmethod
    def generation(provider):
        """Its own, or one that changes with its traits, as Placement's."""
        if 'generation' in provider:
            return provider['generation']
        return zlib.crc32(','.join(sorted(provider['traits'])).encode())


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class RecordingReader:
    """A member reader returning fixed members and counting its calls."""

    def __init__(self, placed=(), error=None):
        self.placed = list(placed)
        self.error = error
        self.calls = []

    def __call__(self, spec_obj):
        self.calls.append(spec_obj)
        if self.error is not None:
            raise self.error
        return list(self.placed)


class Cloud:
    """Hosts (Nova FakeHostStates) and the Placement providers behind them."""

    def __init__(self):
        self.hosts = []
        self.providers = []
        self._by_name = {}

    def add(self, host, cpc=None, site=None, extra_traits=(), node=None,
            **attrs):
        """Add a host on ``cpc`` in ``site`` and return its FakeHostState."""
        node = node or host
        uuid = host_uuid(host)
        found = set(extra_traits)
        if cpc:
            found.add(traits.cpc_trait(cpc))
        if site:
            found.add(traits.site_trait(site))
        if found:
            self.providers.append(
                {'uuid': uuid, 'name': node, 'traits': sorted(found)})
        state = nova_fakes.FakeHostState(host, node, dict(attrs, uuid=uuid))
        self.hosts.append(state)
        self._by_name[host] = state
        return state

    def __getitem__(self, host):
        return self._by_name[host]

    def client(self, **kwargs):
        return FakePlacementClient(self.providers, **kwargs)

    def member(self, name, host):
        """A placed member on ``host``, as the cell database reports it."""
        return members.Member(instance_uuid(name), host,
                              self._by_name[host].nodename)


def standard_cloud():
    """CPC A (a1, a2) and B (b1, b2) in DC1, C (c1) in DC2, u1 bare."""
    cloud = Cloud()
    for host, cpc, site in (('a1', 'A', 'DC1'), ('a2', 'A', 'DC1'),
                            ('b1', 'B', 'DC1'), ('b2', 'B', 'DC1'),
                            ('c1', 'C', 'DC2')):
        cloud.add(host, cpc=cpc, site=site, node=host + '.node')
    cloud.add('u1', node='u1.node')
    return cloud


class FilterCase(test.NoDBTestCase):
    """Base of the ZHA filter tests: ``self.filt`` over ``self.cloud``."""

    def _passing(self, spec, hosts=None):
        hosts = self.cloud.hosts if hosts is None else hosts
        return [h.host for h in self.filt.filter_all(hosts, spec)]


class HealthFilterCase(FilterCase):
    """Base of the tests of the filters judging one host by its profile."""

    def test_flags(self):
        self.assertFalse(self.filt.RUN_ON_REBUILD)
        self.assertTrue(self.filt.run_filter_once_per_request)


def request_spec(policy='anti-affinity', group_hosts=(), member_names=(),
                 instance='new', hints=None, rules=None):
    """A RequestSpec for one instance of a server group (None: no group)."""
    if policy is None:
        group = None
    else:
        group = objects.InstanceGroup(
            uuid=instance_uuid('group'), policy=policy,
            rules=rules or {},
            members=[instance_uuid(n) for n in member_names],
            hosts=list(group_hosts))
    return objects.RequestSpec(
        instance_uuid=instance_uuid(instance), instance_group=group,
        scheduler_hints=dict(hints or {}), num_instances=1)


class ZhaFixture(fixtures.Fixture):
    """Replaces the process-wide topology view and member locator.

    :param client: the Placement client the view reads through.
    :param reader: the member reader of the locator.
    :param clock: the view's clock.
    """

    def __init__(self, client, reader=None, clock=None):
        super().__init__()
        self.client = client
        self.reader = reader if reader is not None else RecordingReader()
        self.clock = clock or FakeClock()

    def _setUp(self):
        # Refreshes inline: a test advancing the clock sees the new view.
        self.view = placement.TopologyView(
            client_factory=lambda: placement_client.PlacementClient(
                self.client), clock=self.clock, spawn=lambda work: work())
        self.locator = members.MemberLocator(reader=self.reader)
        self.get_view = self.useFixture(fixtures.MockPatch(
            'zha_scheduler.placement.get_view', return_value=self.view)).mock
        self.get_locator = self.useFixture(fixtures.MockPatch(
            'zha_scheduler.members.get_locator',
            return_value=self.locator)).mock


class LogCapture(logging.Handler):
    """Collects the records of one logger at and above a level."""

    def __init__(self, logger_name, level):
        super().__init__(level)
        self._logger = logging.getLogger(logger_name)
        self._old_level = self._logger.level
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def __enter__(self):
        self._logger.addHandler(self)
        if self._logger.getEffectiveLevel() > self.level:
            self._logger.setLevel(self.level)
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self)
        self._logger.setLevel(self._old_level)
        return False

    def messages(self, level=None):
        return [r.getMessage() for r in self.records
                if level is None or r.levelno == level]


class PlacementClients(fixtures.Fixture):
    """Keeps every PlacementClient a NovaClient makes, to count its calls."""

    def _setUp(self):
        self.made = []
        real = nova_client.NovaClient.placement

        def placement(client):
            self.made.append(real(client))
            return self.made[-1]
        self.useFixture(fixtures.MockPatchObject(
            nova_client.NovaClient, 'placement', placement))
