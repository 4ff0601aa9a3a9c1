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

"""DASD redundancy: the channel paths of each ECKD or FBA DASD's subchannel.

FICON DASD is multipathed by the channel subsystem, not by dm-multipath: a
DASD is redundant when its subchannel has two usable channel paths on
distinct CHPIDs. The devices are the entries of
``/sys/bus/ccw/drivers/dasd-eckd`` and ``dasd-fba``; online ones only
(``online``, drivers/s390/cio/device.c: ``1`` or ``0``) and PAV aliases left
out (``alias``, drivers/s390/block/dasd_devmap.c: ``1`` or ``0``): an alias
carries I/O for its base device over the base's paths.
"""

import dataclasses
import posixpath
import re
from typing import Any

from oslo_log import log as logging

from zha_scheduler.agent import channel
from zha_scheduler.agent import conditions
from zha_scheduler.agent import health
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import subchannel

LOG = logging.getLogger(__name__)

DRIVERS = ('dasd-eckd', 'dasd-fba')
DRIVER_DIR = '/sys/bus/ccw/drivers/%s'
LSCSS = 'lscss'
_BUS_ID = re.compile(r'[0-9a-f]\.[0-9a-f]\.[0-9a-f]{4}')


@dataclasses.dataclass(frozen=True)
class DasdResult:
    """The DASD state (None: not monitored or no DASD) and why."""

    state: str | None
    details: dict[str, Any]
    # Whether an online base DASD was found (its state may be unknown).
    present: bool = False
    # What could not be read at all (a driver directory).
    unread: str | None = None


class _Lookups:
    """Channel path states, PCHIDs and lscss, read once per probe."""

    def __init__(self, fs: hostfs.HostFS) -> None:
        self.fs = fs
        self.adapters = channel.Adapters(fs)
        self._status: dict[str, str | None] = {}
        self._lscss: dict[str, subchannel.Paths] | None = None

    def status(self, chpid: str) -> str | None:
        if chpid not in self._status:
            self._status[chpid] = subchannel.chp_status(self.fs, chpid)
        return self._status[chpid]

    def lscss(self, busid: str) -> subchannel.Paths | None:
        if self._lscss is None:
            try:
                self._lscss = subchannel.parse_lscss(self.fs.run(LSCSS))
            except hostfs.CommandError as e:
                LOG.debug('No lscss output: %s', e)
                self._lscss = {}
        return self._lscss.get(busid)


def _attr(fs: hostfs.HostFS, device: str, name: str) -> str | None:
    """A 0/1 attribute of the device, None when unreadable or malformed."""
    try:
        value = fs.read_text('%s/%s' % (device, name)).strip()
    except OSError as e:
        LOG.debug('Cannot read %s/%s: %s', device, name, e)
        return None
    return value if value in ('0', '1') else None


def _paths(fs: hostfs.HostFS, device: str, busid: str,
           lookups: _Lookups) -> tuple[subchannel.Paths | None, str]:
    """The device's subchannel paths from sysfs, else lscss, and why not."""
    sch = posixpath.dirname(device)
    try:
        return subchannel.read_paths(fs, sch), ''
    except (OSError, ValueError) as e:
        error = '%s: %s' % (sch, hostfs.why(e))
    found = lookups.lscss(busid)
    if found is None:
        return None, error + '; no line for it in "%s"' % LSCSS
    return found, ''


def _describe(path: subchannel.Path, lookups: _Lookups) -> dict[str, Any]:
    status = lookups.status(path.chpid)
    return {'chpid': path.chpid,
            'pchid': lookups.adapters.get(path.chpid).pchid,
            'available': path.available, 'operational': path.operational,
            'status': status,
            'usable': subchannel.usable(path, status)}


def _domains(entry: dict[str, Any]) -> frozenset[tuple[str, str]]:
    found = {('chpid', entry['chpid'])}
    if entry['pchid']:
        found.add(('pchid', entry['pchid']))
    return frozenset(found)


def _reason(verdict: bool | None, paths: list[dict[str, Any]]) -> str:
    usable = [p['chpid'] for p in paths if p['usable']]
    if verdict:
        return 'usable channel paths on distinct CHPIDs: ' + ', '.join(usable)
    if verdict is None:
        return 'cannot tell: state of channel path %s unknown' % ', '.join(
            p['chpid'] for p in paths if p['usable'] is None)
    broken = ''.join(
        '; CHPID %s %s' % (p['chpid'], 'offline' if p['status'] == 'offline'
                           else 'not available' if not p['available']
                           else 'not operational')
        for p in paths if p['usable'] is False)
    if not paths:
        return 'no channel path installed'
    if len(paths) == 1:
        return 'a single channel path installed (CHPID %s)%s' % (
            paths[0]['chpid'], broken)
    if len(usable) < 2:
        return '%d of %d channel paths usable%s' % (len(usable), len(paths),
                                                    broken)
    return 'usable channel paths share one CHPID or PCHID: ' + ', '.join(
        usable)


def evaluate(fs: hostfs.HostFS, device: str, busid: str,
             lookups: _Lookups) -> dict[str, Any]:
    """Decide whether one online base DASD is redundant.

    :param fs: the host.
    :param device: its resolved sysfs directory.
    :param busid: its bus id, e.g. ``0.0.0100``.
    :param lookups: the lookups of this probe.
    :returns: its details: ``state``, ``reason``, ``paths`` and where the
        paths were read (``source``).
    """
    found, error = _paths(fs, device, busid, lookups)
    if found is None:
        conditions.warning(LOG, 'Channel paths of DASD %(dev)s unknown: '
                           '%(err)s', {'dev': busid, 'err': error})
        return {'state': None, 'reason': 'cannot tell: ' + error,
                'paths': []}
    paths = [_describe(p, lookups) for p in found.paths]
    verdict = health.pair_verdict(paths, lambda p: p['usable'], _domains)
    return {'state': health.state(verdict), 'reason': _reason(verdict, paths),
            'subchannel': found.subchannel, 'source': found.source,
            'masks': found.masks, 'paths': paths}


def _devices(fs: hostfs.HostFS) -> tuple[list[tuple[str, str]], list[str]]:
    """(driver, bus id) of every DASD, and the driver dirs not readable."""
    found, unread = [], []
    for driver in DRIVERS:
        try:
            entries = fs.listdir(DRIVER_DIR % driver)
        except FileNotFoundError:
            LOG.debug('%s not loaded: no %s', driver, DRIVER_DIR % driver)
            continue
        except OSError as e:
            unread.append('%s (%s)' % (DRIVER_DIR % driver, hostfs.why(e)))
            continue
        found += [(driver, e) for e in entries if _BUS_ID.fullmatch(e)]
    return found, unread


def _device(fs: hostfs.HostFS, driver: str, busid: str,
            lookups: _Lookups) -> tuple[dict[str, Any] | None, str | None]:
    """One DASD's details, or None and why it is left out."""
    link = (DRIVER_DIR % driver) + '/' + busid
    try:
        device = fs.resolve(link)
    except OSError as e:
        error = '%s: %s' % (link, hostfs.why(e))
    else:
        online, alias = (_attr(fs, device, n) for n in ('online', 'alias'))
        if online == '0':
            return None, 'offline'
        if alias == '1':
            return None, 'PAV alias'
        if online is not None and alias is not None:
            return evaluate(fs, device, busid, lookups), None
        error = '%s/%s cannot be read or is not 0 or 1' % (
            device, 'online' if online is None else 'alias')
    conditions.warning(LOG, 'DASD %(dev)s not monitored: %(err)s.',
                       {'dev': busid, 'err': error})
    return {'state': None, 'reason': 'cannot tell: ' + error,
            'paths': []}, None


def probe_dasd(fs: hostfs.HostFS) -> DasdResult:
    """Check the channel paths of every online base ECKD and FBA DASD.

    :param fs: the host.
    :returns: redundant when every such DASD is, degraded when one is not,
        None when one is unknown, a driver directory cannot be read or
        there is no such DASD (``present`` tells the last case apart).
    """
    devices, unread = _devices(fs)
    details: dict[str, Any] = {'devices': {}, 'skipped': {}}
    lookups = _Lookups(fs)
    states: list[str | None] = []
    for driver, busid in devices:
        entry, skipped = _device(fs, driver, busid, lookups)
        if entry is None:
            details['skipped'][busid] = skipped
            continue
        entry['driver'] = driver
        details['devices'][busid] = entry
        states.append(entry['state'])
    reasons = ['%s %s' % (busid, d['state'] or 'unknown')
               for busid, d in details['devices'].items()]
    if unread:
        conditions.warning(LOG, 'DASD not monitored: cannot list %s.',
                           ', '.join(unread))
        states.append(None)
        reasons.append('cannot list ' + ', '.join(unread))
    state = health.combine(states) if states else None
    details.update(state=state, reason=', '.join(reasons) or 'no online '
                   'DASD')
    return DasdResult(state, details, bool(details['devices']),
                      ', '.join(unread) or None)
