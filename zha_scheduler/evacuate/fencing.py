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

"""Fencing a failed compute host's LPAR through the IBM Z HMC (zhmcclient)."""

import abc
import time
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging
import zhmcclient

from zha_scheduler.clients import hmc
from zha_scheduler.clients import topology_files

LOG = logging.getLogger(__name__)

GROUP = 'zha_evacuate'

# LPAR (classic mode) and partition (DPM mode) statuses that mean "fenced".
LPAR_FENCED = 'not-activated'
PARTITION_FENCED = 'stopped'


class FencingError(Exception):
    """The host could not be fenced (or fencing is misconfigured)."""


class Fencer(abc.ABC):
    """Something that isolates a failed compute host before evacuation."""

    @abc.abstractmethod
    def fence(self, host: str) -> dict[str, Any] | None:
        """Fence a compute host.

        :param host: the compute host (nova-compute service host) name.
        :returns: details of what was done, or None when nothing was.
        :raises FencingError: the host could not be fenced.
        """


class NoFencer(Fencer):
    """Fencer of ``fencing = none``: does nothing."""

    def fence(self, host: str) -> None:
        """Do nothing.

        :param host: the compute host name (ignored).
        :returns: None.
        """
        return None


class HmcFencer(Fencer):
    """Fencer of ``fencing = hmc``: deactivates LPARs or stops partitions."""

    def __init__(self, conf: cfg.ConfigOpts,
                 session_factory: hmc.SessionFactory | None = None,
                 status_timeout: int = 120) -> None:
        """Check the HMC options and read the lpars file.

        :param conf: configuration with the [zha_evacuate] options registered.
        :param session_factory: called like ``zhmcclient.Session`` to open the
            HMC session (tests pass one returning a faked session).
        :param status_timeout: seconds to wait for the operation and for the
            fenced status.
        :raises FencingError: an option is missing or the lpars file is bad.
        """
        try:
            self._settings = hmc.HmcSettings.from_conf(conf)
            # Fail at start-up, not when a host has already failed.
            topology_files.load_lpars(self._settings.lpars_file)
        except (hmc.HmcConfigError, topology_files.TopologyFileError) as exc:
            raise FencingError(str(exc)) from None
        self._session_factory = session_factory
        self._status_timeout = status_timeout

    def _target(self, host: str) -> dict[str, str]:
        path = self._settings.lpars_file
        try:
            targets = topology_files.load_lpars(path)
        except topology_files.TopologyFileError as exc:
            raise FencingError(str(exc)) from None
        if host not in targets:
            raise FencingError(
                f'host {host} is not in [{GROUP}] lpars_file {path}: add '
                f'"{host}: {{cpc: CPC_NAME, lpar: LPAR_NAME}}"')
        return targets[host]

    def fence(self, host: str) -> dict[str, Any]:
        """Deactivate the host's LPAR (classic) or stop its partition (DPM).

        :param host: the compute host name, as in the lpars file.
        :returns: ``host``, ``cpc``, ``lpar``, ``mode`` (``classic`` or
            ``dpm``), ``status_before``, ``status_after``, ``action``
            (``deactivate``, ``stop`` or ``none`` when already fenced) and
            ``seconds``.
        :raises FencingError: the host is not fenced at the end.
        """
        target = self._target(host)
        hmc_host = self._settings.host
        start = time.monotonic()
        try:
            session = self._settings.open_session(self._status_timeout,
                                                  self._session_factory)
        except (hmc.HmcConfigError, hmc.HmcError) as exc:
            raise FencingError(str(exc)) from None
        try:
            details = self._fence(zhmcclient.Client(session), host, target)
        except zhmcclient.NotFound as exc:
            raise FencingError(
                f'cannot fence host {host}: {exc} on HMC {hmc_host} '
                f'(check [{GROUP}] lpars_file and the HMC user\'s object '
                f'access)') from None
        except zhmcclient.Error as exc:
            raise FencingError(
                f'cannot fence host {host} (CPC {target["cpc"]}, LPAR '
                f'{target["lpar"]}) through HMC {hmc_host}: '
                f'{type(exc).__name__}: {exc}') from None
        finally:
            try:
                session.logoff()
            except zhmcclient.Error as exc:
                LOG.warning('Logging off HMC %(hmc)s failed: %(err)s',
                            {'hmc': hmc_host, 'err': exc})
        details['seconds'] = round(time.monotonic() - start, 3)
        return details

    def _fence(self, client: zhmcclient.Client, host: str,
               target: dict[str, str]) -> dict[str, Any]:
        cpc = client.cpcs.find(name=target['cpc'])
        cpc_status = cpc.get_property('status')
        if cpc_status in hmc.CPC_FAILED:
            # Nothing runs on a CPC without power or not operating, and the
            # HMC refuses to deactivate its LPARs: the host is fenced.
            LOG.info('Host %(host)s is on CPC %(cpc)s, which is %(status)s '
                     '(%(why)s): nothing to fence',
                     {'host': host, 'cpc': target['cpc'],
                      'status': cpc_status,
                      'why': hmc.CPC_FAILED[cpc_status]})
            return {'host': host, 'cpc': target['cpc'],
                    'lpar': target['lpar'], 'mode': 'cpc', 'action': 'none',
                    'status_before': 'cpc ' + cpc_status,
                    'status_after': 'cpc ' + cpc_status}
        if cpc.dpm_enabled:
            mode, fenced, action = 'dpm', PARTITION_FENCED, 'stop'
            resource = cpc.partitions.find(name=target['lpar'])
        else:
            mode, fenced, action = 'classic', LPAR_FENCED, 'deactivate'
            resource = cpc.lpars.find(name=target['lpar'])
        resource.pull_full_properties()
        before = resource.get_property('status')
        if before == fenced:
            LOG.info('Host %(host)s (CPC %(cpc)s, %(mode)s %(name)s) is '
                     'already %(status)s: nothing to fence',
                     {'host': host, 'cpc': target['cpc'], 'mode': mode,
                      'name': target['lpar'], 'status': before})
            action = 'none'
        else:
            LOG.info('Fencing host %(host)s: %(action)s %(mode)s LPAR '
                     '%(name)s on CPC %(cpc)s (status %(status)s)',
                     {'host': host, 'action': action, 'mode': mode,
                      'name': target['lpar'], 'cpc': target['cpc'],
                      'status': before})
            if mode == 'dpm':
                resource.stop(status_timeout=self._status_timeout)
            else:
                resource.deactivate(force=True,
                                    status_timeout=self._status_timeout)
            resource.pull_full_properties()
        after = resource.get_property('status')
        if after != fenced:
            raise FencingError(
                f'host {host} is not fenced: {mode} LPAR {target["lpar"]} on '
                f'CPC {target["cpc"]} has status {after!r} after {action}, '
                f'expected {fenced!r}; check it on the HMC before evacuating')
        if action != 'none':
            LOG.info('Fenced host %(host)s: %(name)s is %(status)s',
                     {'host': host, 'name': target['lpar'], 'status': after})
        return {'host': host, 'cpc': target['cpc'], 'lpar': target['lpar'],
                'mode': mode, 'action': action, 'status_before': before,
                'status_after': after}


def fencer_from_conf(
        conf: cfg.ConfigOpts,
        session_factory: hmc.SessionFactory | None = None) -> Fencer:
    """Build the fencer selected by ``[zha_evacuate] fencing``.

    :param conf: configuration with the [zha_evacuate] options registered.
    :param session_factory: passed to :class:`HmcFencer` (tests only).
    :returns: a :class:`NoFencer` or an :class:`HmcFencer`.
    :raises FencingError: ``fencing = hmc`` is misconfigured.
    """
    if conf[GROUP].fencing == 'hmc':
        return HmcFencer(conf, session_factory=session_factory)
    return NoFencer()
