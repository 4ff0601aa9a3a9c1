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

"""Storage redundancy: multipath maps over distinct zfcp FCP devices."""

import dataclasses
import posixpath
import re
from typing import Any

from oslo_log import log as logging

from zha_scheduler.agent import channel
from zha_scheduler.agent import conditions
from zha_scheduler.agent import health
from zha_scheduler.agent import hostfs
from zha_scheduler.agent import multipath
from zha_scheduler import topology

LOG = logging.getLogger(__name__)

HBA_ID = '/sys/block/%s/device/hba_id'
CCW_DEVICE = '/sys/bus/ccw/devices/%s'
_BUS_ID = re.compile(r'^[0-9a-f]\.[0-9a-f]\.[0-9a-f]{4}$')
_DEV_NAME = re.compile(r'[^/\0]{1,255}')


@dataclasses.dataclass(frozen=True)
class StorageResult:
    """The host's storage state (None = not monitored), WWIDs and why."""

    state: str | None
    redundant_wwids: frozenset[str]
    present_wwids: frozenset[str]
    details: dict[str, Any]
    # What could not be read when neither the command nor sysfs could.
    unread: str | None = None


@dataclasses.dataclass(frozen=True)
class _Member:
    path: multipath.Path
    hba_id: str | None
    adapter: channel.Adapter


class _Adapters:
    """FCP device lookups of one probe, cached per device and CHPID."""

    def __init__(self, fs: hostfs.HostFS) -> None:
        self.fs = fs
        self._cache: dict[str, channel.Adapter] = {}
        self._chpids = channel.Adapters(fs)

    def hba_id(self, path: multipath.Path) -> str | None:
        if path.host_adapter:
            return path.host_adapter.lower()
        if not _DEV_NAME.fullmatch(path.dev) or path.dev in ('.', '..'):
            # A name read from the command's output becomes part of a path.
            conditions.warning(LOG, 'FCP device of path %r unknown: not a '
                               'block device name.', path.dev)
            return None
        try:
            return self.fs.read_text(HBA_ID % path.dev).strip().lower() or None
        except OSError as e:
            conditions.warning(
                LOG, 'FCP device of path %(dev)s unknown: the multipath '
                'command does not name it and %(file)s cannot be read '
                '(%(err)s)',
                {'dev': path.dev, 'file': HBA_ID % path.dev, 'err': e})
            return None

    def adapter(self, hba_id: str | None) -> channel.Adapter:
        if hba_id is None or not _BUS_ID.match(hba_id):
            return channel.Adapter()
        if hba_id not in self._cache:
            self._cache[hba_id] = self._chpids.get(
                fcp_chpid(self.fs, hba_id))
        return self._cache[hba_id]


def fcp_chpid(fs: hostfs.HostFS, hba_id: str) -> str | None:
    """Return the CHPID of an FCP device from its subchannel's ``chpids``.

    :param fs: the host.
    :param hba_id: the FCP device bus id, e.g. ``0.0.1900``.
    :returns: the first used CHPID in upper case, or None if unknown.
    """
    chpids = CCW_DEVICE % hba_id + '/../chpids'
    try:
        # The subchannel is the parent of the resolved device directory.
        device = fs.resolve(CCW_DEVICE % hba_id)
        if not fs.exists(device):
            raise FileNotFoundError('no such FCP device: %s' % device)
        chpids = posixpath.join(posixpath.dirname(device), 'chpids')
        return channel.first_chpid(fs.read_text(chpids))
    except OSError as e:
        LOG.debug('No CHPID for FCP device %(hba)s (%(file)s): %(err)s',
                  {'hba': hba_id, 'file': chpids, 'err': e})
        return None


def _domains(member: _Member) -> frozenset[tuple[str, str]] | None:
    # Paths are independent on distinct FCP devices, unless the devices
    # share a CHPID or PCHID (where known): still one point of failure.
    if member.hba_id is None:
        return None
    return frozenset({('fcp', member.hba_id)}) | (
        channel.domains(member.adapter) or frozenset())


def _describe(member: _Member) -> str:
    return '%s via %s (CHPID %s)' % (member.path.dev, member.hba_id or '?',
                                     member.adapter.chpid or '?')


def _reason(verdict: bool | None, members: list[_Member],
            mpath: multipath.Map) -> str:
    healthy = [m for m in members if m.path.healthy]
    if mpath.wwid is None:
        return 'cannot tell: identity unknown: ' + '; '.join(mpath.errors)
    if verdict:
        return 'healthy paths on distinct FCP devices: ' + ', '.join(
            _describe(m) for m in healthy)
    if verdict is None:
        if not mpath.complete:
            return 'cannot tell: ' + ('; '.join(mpath.errors) or
                                      'the paths of the map cannot be listed')
        return 'cannot tell: health or FCP device unknown for ' + ', '.join(
            m.path.dev for m in members
            if m.path.healthy is None or m.hba_id is None)
    if len(healthy) < 2:
        failing = ''.join(
            '; %s (%s)' % (m.path.dev, ' '.join(
                str(v) for v in m.path.states.values()))
            for m in members if not m.path.healthy)
        return '%d of %d paths healthy%s' % (len(healthy), len(members),
                                             failing)
    return 'healthy paths share one FCP device or CHPID: ' + ', '.join(
        _describe(m) for m in healthy)


def evaluate_map(mpath: multipath.Map,
                 adapters: _Adapters) -> tuple[str | None, dict[str, Any]]:
    """Decide whether one map is redundant.

    A map whose identity (WWID) could not be read is unknown whatever its
    paths: it may not even be a multipath map (an unreadable ``dm/uuid``)
    or the command's output for it is malformed. A map whose paths could
    not all be read is redundant when the paths read prove it, and unknown
    otherwise: a path that could not be read may be the healthy one.
    Unknown, not degraded: the design's rule is that an unreadable source
    makes the subsystem "not monitored" rather than a guess; a degraded map
    elsewhere still makes the host degraded (health.combine).

    :param mpath: the map.
    :param adapters: the FCP device lookups of this probe.
    :returns: the map's state and its details.
    """
    members = []
    for path in mpath.paths:
        hba_id = adapters.hba_id(path)
        members.append(_Member(path, hba_id, adapters.adapter(hba_id)))
    verdict = health.pair_verdict(members, lambda m: m.path.healthy,
                                  _domains)
    if mpath.wwid is None or (verdict is False and not mpath.complete):
        verdict = None
    state = health.state(verdict)
    return state, {
        'wwid': mpath.wwid, 'state': state,
        'reason': _reason(verdict, members, mpath),
        'paths': [dict(m.path.states, dev=m.path.dev, healthy=m.path.healthy,
                       hba_id=m.hba_id, chpid=m.adapter.chpid,
                       pchid=m.adapter.pchid) for m in members]}


def _short(error: Exception) -> str:
    # A missing captured output file is the common case under a root.
    if isinstance(error.__cause__, OSError):
        return 'no output: %s' % hostfs.why(error.__cause__)
    return hostfs.why(error)


def load_maps(fs: hostfs.HostFS, command: str) -> tuple[
        list[multipath.Map] | None, dict[str, Any]]:
    """Read the maps from the multipath command, else from sysfs.

    :param fs: the host.
    :param command: ``[zha_agent] multipath_command``.
    :returns: the maps (None, with a WARNING, if neither source can be
        read) and how they were read (``error`` says why when neither).
    """
    details: dict[str, Any] = {'command': command}
    try:
        maps = multipath.parse_maps_json(fs.run(command))
        details['source'] = 'command'
        return maps, details
    except (hostfs.CommandError, ValueError) as e:
        details['command_error'] = str(e)
        command_error: Exception = e
        conditions.warning(
            LOG, 'Cannot read the multipath maps from "%(cmd)s" (%(err)s); '
            'reading them from %(dir)s.',
            {'cmd': command, 'err': e, 'dir': multipath.SYS_BLOCK})
    try:
        maps = multipath.read_sysfs_maps(fs)
        details['source'] = 'sysfs'
        return maps, details
    except OSError as e:
        details['source'] = None
        details['error'] = '"%s" (%s), %s (%s)' % (
            command, _short(command_error), multipath.SYS_BLOCK,
            hostfs.why(e))
        conditions.warning(
            LOG, 'Storage not monitored: "%(cmd)s" failed and %(dir)s '
            'cannot be read (%(err)s).',
            {'cmd': command, 'dir': multipath.SYS_BLOCK, 'err': e})
        return None, details


def probe_storage(fs: hostfs.HostFS, command: str,
                  summary: bool = True) -> StorageResult:
    """Check every multipath map of the host.

    :param fs: the host.
    :param command: ``[zha_agent] multipath_command``.
    :param summary: log "Storage not monitored" when the state is None
        (False: the caller combines this with DASD and logs its own).
    :returns: redundant when every map is; degraded when one is not; None
        when the maps cannot be read or there is none (no SAN storage).
    """
    maps, details = load_maps(fs, command)
    details['maps'] = {}
    if not maps:
        reason = ('cannot read the maps' if maps is None else
                  'no multipath map (%s)' % ('%s printed none' % command
                                             if details['source'] == 'command'
                                             else 'none in /sys/block'))
        if maps is not None and summary:
            conditions.warning(LOG, 'Storage not monitored: %s.', reason)
        details.update(state=None, reason=reason)
        return StorageResult(None, frozenset(), frozenset(), details,
                             details.get('error'))
    adapters = _Adapters(fs)
    states, redundant, present = [], set(), set()
    for index, mpath in enumerate(maps):
        # Two maps of one name (malformed output) both count and show.
        key = mpath.name
        while key in details['maps']:
            key = '%s (maps[%d])' % (key, index)
        state, details['maps'][key] = evaluate_map(mpath, adapters)
        states.append(state)
        if mpath.wwid:
            present.add(mpath.wwid)
            if state == topology.REDUNDANT:
                redundant.add(mpath.wwid)
    state = health.combine(states)
    details.update(state=state, reason=', '.join(
        '%s %s' % (name, d['state'] or 'unknown')
        for name, d in details['maps'].items()))
    if state is None and summary:
        conditions.warning(LOG, 'Storage not monitored: %s',
                           details['reason'])
    return StorageResult(state, frozenset(redundant), frozenset(present),
                         details)
