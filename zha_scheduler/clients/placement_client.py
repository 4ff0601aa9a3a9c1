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

"""Placement's REST API as every ZHA part reaches it.

The scheduler reads through Nova's own report client, the tools through a
keystoneauth Adapter or an openstacksdk Connection's ``placement`` proxy;
all of them through ``PlacementClient``, which checks every answer and
counts the calls.
"""

from collections.abc import Iterable, Mapping
from typing import Any
from urllib import parse

from zha_scheduler import model
from zha_scheduler import traits

#: Trait APIs.
TRAITS_VERSION = '1.6'
#: Inventories with max_unit, usages, aggregates, root_provider_uuid.
PROVIDERS_VERSION = '1.14'
#: ``GET /resource_providers?required=<traits>``.
REQUIRED_VERSION = '1.18'
#: ``GET /allocation_candidates`` whose provider summaries have the traits
#: (1.17), every resource class with inventory (1.27) and the providers of
#: nested trees (1.29: before, a tree with children is left out).
SUMMARIES_VERSION = '1.29'
#: The trait of a provider that shares its inventory with its aggregates.
SHARES_VIA_AGGREGATE = 'MISC_SHARES_VIA_AGGREGATE'
#: The trait nova-compute sets on its compute node providers.
COMPUTE_NODE = 'COMPUTE_NODE'
#: ``required=in:<traits>`` (any of them) and repeated ``required`` (all
#: of them) on ``GET /allocation_candidates``; its provider summaries have
#: the traits (1.17) of every provider of each candidate's tree (1.29).
ANY_TRAITS_VERSION = '1.39'


class PlacementError(Exception):
    """Placement answered with an error, or not at all."""

    def __init__(self, method: str, url: str, resp: Any) -> None:
        self.status = getattr(resp, 'status_code', None)
        self.text = ' '.join((getattr(resp, 'text', '') or '')[:200].split())
        super().__init__('%s %s returned %s: %s'
                         % (method, url, self.status, self.text))


class _ReportClientAdapter:
    """Nova's SchedulerReportClient with a keystoneauth Adapter's calls."""

    def __init__(self, report_client: Any) -> None:
        self._client = report_client

    def get(self, url: str, microversion: str | None = None,
            raise_exc: bool = False) -> Any:
        return self._client.get(url, version=microversion)

    def put(self, url: str, json: Any = None,
            microversion: str | None = None, raise_exc: bool = False) -> Any:
        return self._client.put(url, json, version=microversion)


class PlacementClient:
    """Reads Placement, and writes traits, through a keystoneauth Adapter."""

    def __init__(self, adapter: Any) -> None:
        """:param adapter: a keystoneauth1 Adapter for Placement, or what
            calls ``get`` and ``put`` as one does (openstacksdk's proxy).
        """
        self._adapter = adapter
        #: Requests sent so far, failed ones included.
        self.calls = 0

    @classmethod
    def from_report_client(cls, report_client: Any) -> 'PlacementClient':
        """Read through Nova's SchedulerReportClient, as nova-scheduler."""
        return cls(_ReportClientAdapter(report_client))

    def get(self, url: str, version: str) -> dict[str, Any]:
        """GET a resource and return its JSON body.

        :raises PlacementError: on an unsuccessful answer, or none.
        """
        self.calls += 1
        resp = self._adapter.get(url, microversion=version, raise_exc=False)
        if resp is None or not resp:
            raise PlacementError('GET', url, resp)
        return resp.json()

    def put(self, url: str, body: Any, version: str) -> bool:
        """PUT a body; False when Placement reports a generation conflict.

        :raises PlacementError: on any other unsuccessful answer.
        """
        self.calls += 1
        resp = self._adapter.put(url, json=body, microversion=version,
                                 raise_exc=False)
        if resp is not None and resp.status_code == 409:
            return False
        if resp is None or not resp:
            raise PlacementError('PUT', url, resp)
        return True

    def providers(self, required: str | None = None,
                  name: str | None = None) -> list[dict[str, Any]]:
        """Resource providers, those with a trait or a name if given."""
        query = {k: v for k, v in (('required', required), ('name', name))
                 if v is not None}
        url = '/resource_providers'
        if query:
            url += '?' + parse.urlencode(query, quote_via=parse.quote)
        version = REQUIRED_VERSION if required else PROVIDERS_VERSION
        return self.get(url, version).get('resource_providers', [])

    def compute_nodes(self) -> dict[str, str]:
        """Compute node providers: uuid -> name.

        Those nova-compute marks ``COMPUTE_NODE``; when none is (an older
        Nova), every root provider.
        """
        found = self.providers(required=COMPUTE_NODE)
        if not found:
            found = [p for p in self.providers()
                     if p.get('root_provider_uuid', p['uuid']) == p['uuid']]
        return {p['uuid']: p.get('name') or p['uuid'] for p in found}

    def provider_uuid(self, name: str) -> str | None:
        """The uuid of the provider called ``name``; None if none is."""
        found = self.providers(name=name)
        return found[0]['uuid'] if found else None

    def zha_traits(self) -> list[str]:
        """Every ``CUSTOM_ZHA_*`` trait that exists in Placement."""
        return self.get('/traits?name=startswith:%s' % traits.PREFIX,
                        TRAITS_VERSION).get('traits', [])

    def traits(self, uuid: str) -> dict[str, Any]:
        """A provider's traits and generation, as Placement returns them."""
        return self.get('/resource_providers/%s/traits' % uuid,
                        TRAITS_VERSION)

    def candidate_traits(self, resources: Mapping[str, int],
                         any_of: Iterable[Iterable[str]] = ()
                         ) -> dict[str, list[str]]:
        """The traits of the providers allocation candidates summarize.

        By uuid: every provider of each tree with room for ``resources``
        whose candidate has at least one trait of each set in ``any_of``.
        A provider with no room (a full host, or one without such
        inventory) is not in it: the caller reads it otherwise.
        """
        query = [('resources', ','.join(
            '%s:%d' % item for item in sorted(resources.items())))]
        for names in any_of:
            listed = sorted(names)
            query.append(('required', ('in:' if len(listed) > 1 else '') +
                          ','.join(listed)))
        summaries = self.get('/allocation_candidates?' + parse.urlencode(
            query, safe=':,'), ANY_TRAITS_VERSION)['provider_summaries']
        return {uuid: summary.get('traits', [])
                for uuid, summary in summaries.items()}

    def set_traits(self, uuid: str, names: list[str],
                   generation: int) -> bool:
        """Replace a provider's traits; False on a generation conflict."""
        return self.put('/resource_providers/%s/traits' % uuid,
                        {'traits': names,
                         'resource_provider_generation': generation},
                        TRAITS_VERSION)

    def create_trait(self, name: str) -> None:
        """Create a custom trait (nothing happens if it exists)."""
        self.put('/traits/%s' % parse.quote(name), None, TRAITS_VERSION)

    def inventories(self, uuid: str) -> dict[str, model.Inventory]:
        """A provider's inventories by resource class."""
        found = self.get('/resource_providers/%s/inventories' % uuid,
                         PROVIDERS_VERSION)['inventories']
        return {rc: model.Inventory(
            total=i['total'], reserved=i.get('reserved', 0),
            allocation_ratio=i.get('allocation_ratio', 1.0),
            max_unit=i.get('max_unit')) for rc, i in found.items()}

    def usages(self, uuid: str) -> dict[str, int]:
        """A provider's usages by resource class."""
        return self.get('/resource_providers/%s/usages' % uuid,
                        PROVIDERS_VERSION)['usages']

    def aggregates(self, uuid: str) -> list[str]:
        """The uuids of a provider's aggregates."""
        return self.get('/resource_providers/%s/aggregates' % uuid,
                        PROVIDERS_VERSION)['aggregates']

    def aggregate_members(self, aggregate: str) -> list[str]:
        """The uuids of the providers in an aggregate."""
        return [p['uuid'] for p in self.get(
            '/resource_providers?member_of=%s' % parse.quote(aggregate),
            PROVIDERS_VERSION)['resource_providers']]

    def provider_summaries(self,
                           resources: dict[str, int]) -> dict[str, Any]:
        """The provider summaries of ``GET /allocation_candidates``.

        By uuid, every provider of each tree with room for ``resources``:
        its ``traits`` and, for each resource class it has inventory of,
        ``capacity`` (``int((total - reserved) * allocation_ratio)``) and
        ``used`` (the sum of its allocations). No ``limit``: a limit would
        leave out the providers of the candidates it drops.
        """
        asked = ','.join('%s:%d' % item for item in sorted(resources.items()))
        return self.get('/allocation_candidates?resources=%s' % asked,
                        SUMMARIES_VERSION)['provider_summaries']

    def room(self, name: str) -> model.Room | None:
        """What the provider called ``name`` can still take; None if none.

        :raises PlacementError: on an unsuccessful answer.
        """
        uuid = self.provider_uuid(name)
        if uuid is None:
            return None
        host = model.Host(name=name, node=name, uuid=uuid,
                          inventories=self.inventories(uuid),
                          usages=self.usages(uuid))
        return host.room()
