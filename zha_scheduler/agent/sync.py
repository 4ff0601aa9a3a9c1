"""Publish a host's ZHA traits on its compute node provider in Placement.

Only the ``CUSTOM_ZHA_*`` part of the provider's trait set is replaced; every
other trait (Nova's own, the operator's) is written back as it was read. The
write carries the provider generation, so a concurrent update (nova-compute's
resource tracker, an operator) makes Placement answer 409 and the agent reads
the provider again and retries, instead of overwriting that update.
"""

import dataclasses
from typing import Any
from urllib import parse

from oslo_log import log as logging

from zha_scheduler import traits

LOG = logging.getLogger(__name__)

# 1.6: trait APIs; name filter of /resource_providers exists since 1.0.
TRAITS_VERSION = '1.6'
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


def _check(resp: Any, what: str) -> Any:
    if resp is None or not resp:
        status = getattr(resp, 'status_code', None)
        text = getattr(resp, 'text', '') or ''
        raise SyncError('%s failed: HTTP %s %s' % (what, status, text[:300]))
    return resp


class PlacementTraitSync:
    """Writes ZHA traits through a keystoneauth Adapter for Placement."""

    def __init__(self, client: Any) -> None:
        """:param client: a keystoneauth1 Adapter (raise_exc=False)."""
        self._client = client

    def _get(self, url: str) -> Any:
        return self._client.get(url, microversion=TRAITS_VERSION,
                                raise_exc=False)

    def _put(self, url: str, body: Any) -> Any:
        return self._client.put(url, json=body, microversion=TRAITS_VERSION,
                                raise_exc=False)

    def find_provider(self, name: str) -> str:
        """Return the uuid of the resource provider called ``name``.

        :raises SyncError: when there is no such provider (nova-compute has
            not registered the host yet, or ``provider_name`` is wrong).
        """
        resp = _check(self._get('/resource_providers?name=%s' %
                                parse.quote(name)),
                      'Looking up resource provider %r' % name)
        providers = resp.json().get('resource_providers', [])
        if not providers:
            raise SyncError(
                'No resource provider named %r in Placement: check that '
                'nova-compute runs on this host and that [zha_agent] '
                'provider_name matches its hypervisor hostname.' % name)
        return providers[0]['uuid']

    def _ensure_traits(self, names: set[str]) -> None:
        for name in sorted(names):
            _check(self._put('/traits/%s' % name, None),
                   'Creating trait %s' % name)

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
        url = '/resource_providers/%s/traits' % provider_uuid
        created: set[str] = set()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            body = _check(self._get(url), 'Reading traits of provider %s'
                          % provider_uuid).json()
            current = set(body['traits'])
            ours = {t for t in current if t.startswith(traits.PREFIX)}
            if ours == zha_traits:
                return SyncResult(provider_uuid, frozenset(), frozenset(),
                                  attempt)
            missing = zha_traits - current - created
            self._ensure_traits(missing)
            created |= missing
            resp = self._put(url, {
                'traits': sorted((current - ours) | zha_traits),
                'resource_provider_generation':
                    body['resource_provider_generation']})
            if resp is not None and resp.status_code == 409:
                LOG.info('Provider %(uuid)s changed while its traits were '
                         'written (attempt %(n)d of %(max)d); reading it '
                         'again.', {'uuid': provider_uuid, 'n': attempt,
                                    'max': MAX_ATTEMPTS})
                continue
            _check(resp, 'Writing traits of provider %s' % provider_uuid)
            return SyncResult(provider_uuid, frozenset(zha_traits - ours),
                              frozenset(ours - zha_traits), attempt)
        raise SyncError('Provider %s changed on each of %d attempts to write '
                        'its traits; giving up until the next run.'
                        % (provider_uuid, MAX_ATTEMPTS))
