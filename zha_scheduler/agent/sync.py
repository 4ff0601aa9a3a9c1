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

"""Publish a host's ZHA traits on its compute node provider in Placement.

Only the ``CUSTOM_ZHA_*`` part of the provider's trait set is replaced; every
other trait (Nova's own, the operator's) is written back as it was read. The
write carries the provider generation, so a concurrent update (nova-compute's
resource tracker, an operator) makes Placement answer 409 and the agent reads
the provider again and retries, instead of overwriting that update.
"""

import dataclasses

from oslo_log import log as logging

from zha_scheduler.clients import placement_client
from zha_scheduler import traits

LOG = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class SyncError(Exception):
    """The traits could not be published; the message says why."""


@dataclasses.dataclass(frozen=True)
class SyncResult:
    """What one sync changed on the provider."""

    provider_uuid: str
    added: frozenset[str]
    removed: frozenset[str]
    attempts: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _failed(what: str, exc: placement_client.PlacementError) -> SyncError:
    return SyncError('%s failed: HTTP %s %s' % (what, exc.status, exc.text))


class PlacementTraitSync:
    """Writes ZHA traits through a PlacementClient."""

    def __init__(self, client: placement_client.PlacementClient) -> None:
        self._client = client

    def find_provider(self, name: str) -> str:
        """Return the uuid of the resource provider called ``name``.

        :raises SyncError: when there is no such provider (nova-compute has
            not registered the host yet, or ``provider_name`` is wrong).
        """
        try:
            uuid = self._client.provider_uuid(name)
        except placement_client.PlacementError as exc:
            raise _failed('Looking up resource provider %r' % name,
                          exc) from None
        if uuid is None:
            raise SyncError(
                'No resource provider named %r in Placement: check that '
                'nova-compute runs on this host and that [zha_agent] '
                'provider_name matches its hypervisor hostname.' % name)
        return uuid

    def sync(self, provider_uuid: str, zha_traits: set[str]) -> SyncResult:
        """Make the provider's ``CUSTOM_ZHA_*`` traits exactly ``zha_traits``.

        Nothing is written when they already are.

        :raises SyncError: on an error from Placement, or when the provider
            kept changing under us for MAX_ATTEMPTS attempts.
        """
        foreign = [t for t in zha_traits if not t.startswith(traits.PREFIX)]
        if foreign:
            raise SyncError('Refusing to write non-ZHA traits: %s'
                            % ', '.join(sorted(foreign)))
        created: set[str] = set()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                body = self._client.traits(provider_uuid)
            except placement_client.PlacementError as exc:
                raise _failed('Reading traits of provider %s'
                              % provider_uuid, exc) from None
            current = set(body['traits'])
            ours = {t for t in current if t.startswith(traits.PREFIX)}
            if ours == zha_traits:
                return SyncResult(provider_uuid, frozenset(), frozenset(),
                                  attempt)
            missing = zha_traits - current - created
            for name in sorted(missing):
                try:
                    self._client.create_trait(name)
                except placement_client.PlacementError as exc:
                    raise _failed('Creating trait %s' % name, exc) from None
            created |= missing
            try:
                written = self._client.set_traits(
                    provider_uuid, sorted((current - ours) | zha_traits),
                    body['resource_provider_generation'])
            except placement_client.PlacementError as exc:
                raise _failed('Writing traits of provider %s'
                              % provider_uuid, exc) from None
            if not written:
                LOG.info('Provider %(uuid)s changed while its traits were '
                         'written (attempt %(n)d of %(max)d); reading it '
                         'again.', {'uuid': provider_uuid, 'n': attempt,
                                    'max': MAX_ATTEMPTS})
                continue
            return SyncResult(provider_uuid, frozenset(zha_traits - ours),
                              frozenset(ours - zha_traits), attempt)
        raise SyncError('Provider %s changed on each of %d attempts to write '
                        'its traits; giving up until the next run.'
                        % (provider_uuid, MAX_ATTEMPTS))
