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

"""The host agent's work: probe the host, then publish its traits.

``TraitAgent.run_once`` is one probe-and-publish cycle; ``run_forever`` repeats
it every ``[zha_agent] interval`` seconds until told to stop, and survives
Placement outages (each failed cycle is logged and retried at the next one).
What the probes find wrong is logged when it starts and when it ends, not at
every cycle (see ``conditions``).
"""

import dataclasses
import socket
import threading
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslo_log import log as logging

from zha_scheduler.agent import conditions
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import probe
from zha_scheduler.agent import sync
from zha_scheduler.clients import auth
from zha_scheduler.clients import placement_client
from zha_scheduler.conf import agent as agent_conf

LOG = logging.getLogger(__name__)

HOSTNAME = '/proc/sys/kernel/hostname'


class NothingReadError(sync.SyncError):
    """No probe could read the host: nothing is published."""


class ProviderNameError(sync.SyncError):
    """The host name of the tree cannot be read: nothing is published."""


def placement_adapter(conf: cfg.ConfigOpts) -> Any:
    """Build a keystoneauth Adapter for Placement from ``[placement]``.

    :raises auth.CredentialsError: when no credentials are configured.
    """
    return auth.adapter(conf, agent_conf.PLACEMENT_GROUP,
                        'the agent writes traits as a service user')


def provider_name(conf: cfg.ConfigOpts, fs: hostfs.HostFS) -> str:
    """The compute node provider's name: configured, else the host name.

    Under another root the host name is read from that tree's
    ``/proc/sys/kernel/hostname`` when it has one.

    :raises ProviderNameError: when the tree has that path but it is not a
        readable file holding a name (a directory, a FIFO, empty): the
        traits of that tree must not land on another provider.
    """
    if conf.zha_agent.provider_name:
        return conf.zha_agent.provider_name
    if not fs.live and fs.exists(HOSTNAME):
        try:
            name = fs.read_text(HOSTNAME).strip()
        except OSError as e:
            raise ProviderNameError(
                'Cannot read the host name of %s from %s: %s; set [zha_agent] '
                'provider_name.' % (fs.root, HOSTNAME, hostfs.why(e))
            ) from None
        if not name:
            raise ProviderNameError(
                'The host name of %s is empty (%s); set [zha_agent] '
                'provider_name.' % (fs.root, fs.local_path(HOSTNAME)))
        return name
    return socket.gethostname()


def nothing_read_message(root: str, unread: dict[str, str]) -> str:
    """The message of NothingReadError: the root and what was missing.

    :param root: the host's root directory.
    :param unread: what each probe could not read (ProbeResult.unread).
    """
    return ('Nothing could be read from the host under %s: %s. Nothing is '
            'published: that would remove the ZHA traits of the host from '
            'Placement. Check the root directory and the permissions of the '
            'agent.' % (root, '; '.join(
                '%s: %s' % (source, unread.get(source, '?'))
                for source in probe.HOST_SOURCES)))


@dataclasses.dataclass(frozen=True)
class RunReport:
    """What one cycle found and, unless it was a dry run, what it wrote."""

    provider: str
    traits: frozenset[str]
    details: dict[str, Any]
    written: sync.SyncResult | None = None

    def to_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            'traits': sorted(self.traits),
            'provider': self.provider,
            'details': self.details,
        }
        if self.written is not None:
            report['written'] = {
                'provider_uuid': self.written.provider_uuid,
                'changed': self.written.changed,
                'added': sorted(self.written.added),
                'removed': sorted(self.written.removed),
            }
        return report


class TraitAgent:
    """Probes one host and keeps its ZHA traits in Placement current."""

    def __init__(self, conf: cfg.ConfigOpts, fs: hostfs.HostFS,
                 adapter: Any = None) -> None:
        """:param adapter: the Placement adapter; built from conf if None."""
        self._conf = conf
        self._fs = fs
        self._adapter = adapter
        self._provider_uuid: str | None = None
        # Kept across cycles: a condition is logged when it starts and ends.
        self._conditions = conditions.ConditionLog()

    def _syncer(self) -> sync.PlacementTraitSync:
        if self._adapter is None:
            self._adapter = placement_adapter(self._conf)
        return sync.PlacementTraitSync(
            placement_client.PlacementClient(self._adapter))

    def run_once(self, dry_run: bool = False) -> RunReport:
        """Probe the host and, unless ``dry_run``, publish the traits.

        A probe that read nothing publishes nothing. When every probe of
        ``probe.HOST_SOURCES`` (CPC, network, storage) could not read its
        source at all (no /proc/sysinfo; neither bonding_masters nor an
        interface list, nor a configured bond; neither the multipath
        command's output nor /sys/block), the result says nothing about the
        host, yet publishing it would remove every ZHA trait the host has:
        a root that is not a host tree, a missing mount, a permission
        problem. Nothing is written then and NothingReadError is raised. A
        single readable source is enough to publish: the other subsystems
        are then "not monitored", as for any unreadable source. A dry run
        reports what was found either way.

        :raises NothingReadError: when nothing could be read (not on a dry
            run).
        :raises ProviderNameError: when the tree's host name is unreadable.
        :raises sync.SyncError: when Placement refused or failed the write.
        :raises keystoneauth1.exceptions.ClientException: when Placement or
            Keystone cannot be reached.
        """
        name = provider_name(self._conf, self._fs)
        refusal = None
        with self._conditions.cycle():
            found = probe.probe_host(self._conf, self._fs)
            if not dry_run and found.read_nothing:
                refusal = nothing_read_message(self._fs.root, found.unread)
                # Short: the WARNINGs of each probe say what and why.
                conditions.warning(
                    LOG, 'Nothing could be read from the host under %s: '
                    'nothing is published.', self._fs.root,
                    resolved='The host under %s can be read again.'
                    % self._fs.root)
        if dry_run:
            return RunReport(name, frozenset(found.traits), found.details)
        if refusal is not None:
            raise NothingReadError(refusal)
        syncer = self._syncer()
        if self._provider_uuid is None:
            self._provider_uuid = syncer.find_provider(name)
        try:
            result = syncer.sync(self._provider_uuid, set(found.traits))
        except sync.SyncError:
            # The provider may have been deleted and re-created (a compute
            # node re-registered): look it up again next time.
            self._provider_uuid = None
            raise
        if result.changed:
            LOG.info('Published ZHA traits of %(name)s (%(uuid)s): added '
                     '%(added)s, removed %(removed)s.',
                     {'name': name, 'uuid': result.provider_uuid,
                      'added': ', '.join(sorted(result.added)) or 'none',
                      'removed': ', '.join(sorted(result.removed)) or 'none'})
        else:
            LOG.debug('ZHA traits of %s unchanged.', name)
        return RunReport(name, frozenset(found.traits), found.details, result)

    def run_forever(self, stop: threading.Event) -> None:
        """Run a cycle each ``[zha_agent] interval`` seconds until ``stop``."""
        interval = self._conf.zha_agent.interval
        while not stop.is_set():
            error = None
            try:
                self.run_once()
            except NothingReadError:
                # Logged by run_once when it started, not at every cycle.
                LOG.debug('Nothing read from the host; nothing published.')
            except (sync.SyncError, ks_exc.ClientException) as exc:
                error = exc
            except auth.CredentialsError:
                raise
            except Exception:
                LOG.exception('ZHA trait agent cycle failed; retrying in %d '
                              'seconds.', interval)
            if error is not None:
                # Logged outside the handler: an outage is expected, its
                # traceback is noise.
                LOG.warning('Could not publish ZHA traits: %(error)s. '
                            'Retrying in %(interval)d seconds.',
                            {'error': error, 'interval': interval})
            stop.wait(interval)
