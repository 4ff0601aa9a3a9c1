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

"""dm-multipath maps and paths, from multipathd's JSON or from sysfs."""

import dataclasses
import json
from typing import Any

from oslo_log import log as logging

from zha_scheduler.agent import hostfs

LOG = logging.getLogger(__name__)

SYS_BLOCK = '/sys/block'
UUID_PREFIX = 'mpath-'
HEALTHY = {'dm_st': 'active', 'chk_st': 'ready', 'dev_st': 'running'}
SYSFS_RUNNING = 'running'
_UNDEFINED = ('', '[undef]', '[unknown]', 'undef')


@dataclasses.dataclass(frozen=True)
class Path:
    """One path of a map, with its states and health (None if unknown)."""

    dev: str
    healthy: bool | None
    states: dict[str, str | None] = dataclasses.field(default_factory=dict)
    host_adapter: str | None = None


@dataclasses.dataclass(frozen=True)
class Map:
    """One multipath map: name, WWID (None if unknown) and paths."""

    name: str
    wwid: str | None
    paths: tuple[Path, ...] = ()
    # False when the list of paths itself could not be read.
    complete: bool = True


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip()


def json_path_health(states: dict[str, str | None]) -> bool | None:
    """Whether a path is ``active ready running``.

    :param states: ``dm_st``, ``chk_st`` and ``dev_st``, None when missing.
    :returns: False if any known state is unhealthy, None if a state is
        missing and none is unhealthy, else True.
    """
    if any(states.get(k) is not None and states[k] != v
           for k, v in HEALTHY.items()):
        return False
    return None if any(states.get(k) is None for k in HEALTHY) else True


def _json_path(raw: Any) -> Path | None:
    if not isinstance(raw, dict) or not _text(raw.get('dev')):
        return None
    states = {k: _text(raw.get(k)) for k in HEALTHY}
    adapter = _text(raw.get('host_adapter'))
    return Path(str(_text(raw.get('dev'))), json_path_health(states), states,
                None if adapter in _UNDEFINED else adapter)


def parse_maps_json(text: str) -> list[Map]:
    """Parse ``multipathd show maps json`` (any field set since 0.7).

    :param text: the command's output.
    :returns: the maps; paths without a ``dev`` are skipped.
    :raises ValueError: if the text is not JSON with a ``maps`` list.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get('maps'), list):
        raise ValueError('no "maps" list in the multipath JSON')
    maps = []
    for raw in data['maps']:
        if not isinstance(raw, dict):
            continue
        paths = []
        groups = raw.get('path_groups')
        for group in groups if isinstance(groups, list) else []:
            members = group.get('paths') if isinstance(group, dict) else None
            for member in members if isinstance(members, list) else []:
                path = _json_path(member)
                if path is not None:
                    paths.append(path)
        wwid = _text(raw.get('uuid'))
        name = _text(raw.get('name')) or wwid or _text(raw.get('sysfs')) or '?'
        maps.append(Map(name, wwid.lower() if wwid else None, tuple(paths)))
    return maps


def _read(fs: hostfs.HostFS, path: str) -> str | None:
    try:
        return fs.read_text(path).strip()
    except OSError:
        return None


def _sysfs_path(fs: hostfs.HostFS, dev: str) -> Path:
    state = _read(fs, '%s/%s/device/state' % (SYS_BLOCK, dev))
    if state is None:
        LOG.warning('Cannot read %s/%s/device/state', SYS_BLOCK, dev)
    return Path(dev, None if state is None else state == SYSFS_RUNNING,
                {'state': state})


def read_sysfs_maps(fs: hostfs.HostFS) -> list[Map]:
    """Read the multipath maps from ``/sys/block/dm-*``.

    A device-mapper device is a multipath map when its ``dm/uuid`` starts
    with ``mpath-``; its paths are the entries of its ``slaves`` directory,
    healthy when their SCSI device ``state`` is ``running``.

    :param fs: the host.
    :returns: the maps.
    :raises OSError: if ``/sys/block`` cannot be listed.
    """
    maps = []
    for entry in fs.listdir(SYS_BLOCK):
        if not entry.startswith('dm-'):
            continue
        base = '%s/%s' % (SYS_BLOCK, entry)
        uuid = _read(fs, base + '/dm/uuid') or ''
        if not uuid.startswith(UUID_PREFIX):
            continue
        wwid = uuid[len(UUID_PREFIX):].lower() or None
        complete = True
        try:
            slaves = fs.listdir(base + '/slaves')
        except OSError as e:
            LOG.warning('Cannot list %(dir)s: %(err)s',
                        {'dir': base + '/slaves', 'err': e})
            slaves, complete = [], False
        maps.append(Map(_read(fs, base + '/dm/name') or entry, wwid,
                        tuple(_sysfs_path(fs, dev) for dev in slaves),
                        complete))
    return maps
