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

from zha_scheduler.agent import conditions
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
    # False when the list of paths (or part of it) could not be read.
    complete: bool = True
    # What could not be read about the map (identity, paths), for its
    # reason; a map with errors was logged at WARNING where it was read.
    errors: tuple[str, ...] = ()


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


def _json_paths(groups: Any) -> tuple[list[Path], list[str]]:
    """The paths of a map's ``path_groups``, and what is malformed."""
    if not isinstance(groups, list):
        return [], ['no "path_groups" list']
    paths, errors = [], []
    for g, group in enumerate(groups):
        members = group.get('paths') if isinstance(group, dict) else None
        if not isinstance(members, list):
            errors.append('path_groups[%d] has no "paths" list' % g)
            continue
        for p, member in enumerate(members):
            path = _json_path(member)
            if path is None:
                errors.append('path_groups[%d].paths[%d] has no "dev"'
                              % (g, p))
            else:
                paths.append(path)
    return paths, errors


def _json_map(index: int, raw: Any) -> Map:
    label = 'maps[%d]' % index
    if not isinstance(raw, dict):
        conditions.warning(LOG, 'Malformed multipath map %s in the multipath '
                           'JSON: not an object.', label)
        return Map(label, None, complete=False,
                   errors=('%s is not a JSON object' % label,))
    wwid = _text(raw.get('uuid'))
    name = _text(raw.get('name')) or wwid or _text(raw.get('sysfs')) or label
    paths, path_errors = _json_paths(raw.get('path_groups'))
    errors = ([] if wwid else ['no "uuid" (WWID)']) + path_errors
    if errors:
        conditions.warning(LOG, 'Malformed multipath map %(map)s in the '
                           'multipath JSON: %(errors)s.',
                           {'map': name if name == label else '%s (%s)' % (
                               name, label), 'errors': '; '.join(errors)})
    return Map(name, wwid.lower() if wwid else None, tuple(paths),
               complete=not path_errors, errors=tuple(errors))


def parse_maps_json(text: str) -> list[Map]:
    """Parse ``multipathd show maps json`` (any field set since 0.7).

    Nothing is dropped: a map that is not an object, has no ``uuid`` or
    whose path groups or paths are malformed is kept with what could be
    read and its ``errors`` (logged at WARNING), so that it cannot count as
    redundant or degraded by accident (see storage.evaluate_map).

    :param text: the command's output.
    :returns: the maps.
    :raises ValueError: if the text is not JSON with a ``maps`` list, is
        nested too deeply or is longer than hostfs.MAX_COMMAND_OUTPUT.
    """
    if len(text) > hostfs.MAX_COMMAND_OUTPUT:
        raise ValueError('the multipath JSON is longer than %d characters'
                         % hostfs.MAX_COMMAND_OUTPUT)
    try:
        data = json.loads(text)
    except RecursionError:
        # json's decoder recurses once per nesting level: thousands of
        # '[' exhaust the stack long before the size limit.
        raise ValueError('the multipath JSON is nested too deeply') from None
    if not isinstance(data, dict) or not isinstance(data.get('maps'), list):
        raise ValueError('no "maps" list in the multipath JSON')
    return [_json_map(i, raw) for i, raw in enumerate(data['maps'])]


def _read(fs: hostfs.HostFS, path: str) -> str | None:
    try:
        return fs.read_text(path).strip()
    except OSError:
        return None


def _sysfs_path(fs: hostfs.HostFS, dev: str) -> Path:
    state = _read(fs, '%s/%s/device/state' % (SYS_BLOCK, dev))
    if state is None:
        conditions.warning(LOG, 'Cannot read %s/%s/device/state', SYS_BLOCK,
                           dev)
    return Path(dev, None if state is None else state == SYSFS_RUNNING,
                {'state': state})


def _sysfs_map(fs: hostfs.HostFS, entry: str) -> Map | None:
    base = '%s/%s' % (SYS_BLOCK, entry)
    try:
        uuid = fs.read_text(base + '/dm/uuid').strip()
    except OSError as e:
        # It may be a multipath map: its state is unknown, not absent.
        conditions.warning(LOG, 'Cannot read %(file)s (%(err)s): %(dev)s may '
                           'be a multipath map; its state is unknown.',
                           {'file': base + '/dm/uuid', 'err': e, 'dev': entry})
        return Map(entry, None, complete=False, errors=(
            'cannot read %s/dm/uuid: %s' % (base, e),))
    if not uuid.startswith(UUID_PREFIX):
        LOG.debug('%(dev)s is not a multipath map (uuid %(uuid)r)',
                  {'dev': entry, 'uuid': uuid})
        return None
    errors = []
    wwid = uuid[len(UUID_PREFIX):].lower() or None
    if wwid is None:
        errors.append('no WWID in %s/dm/uuid' % base)
        conditions.warning(LOG, 'Multipath map %(dev)s has no WWID in '
                           '%(file)s.', {'dev': entry,
                                         'file': base + '/dm/uuid'})
    complete = True
    try:
        slaves = fs.listdir(base + '/slaves')
    except OSError as e:
        conditions.warning(LOG, 'Cannot list %(dir)s: %(err)s',
                           {'dir': base + '/slaves', 'err': e})
        errors.append('the paths in %s/slaves cannot be listed (%s)'
                      % (base, e))
        slaves, complete = [], False
    return Map(_read(fs, base + '/dm/name') or entry, wwid,
               tuple(_sysfs_path(fs, dev) for dev in slaves), complete,
               tuple(errors))


def read_sysfs_maps(fs: hostfs.HostFS) -> list[Map]:
    """Read the multipath maps from ``/sys/block/dm-*``.

    A device-mapper device is a multipath map when its ``dm/uuid`` starts
    with ``mpath-``; its paths are the entries of its ``slaves`` directory,
    healthy when their SCSI device ``state`` is ``running``. A device whose
    ``dm/uuid`` cannot be read is kept as a map of unknown identity (with a
    WARNING): it may be one.

    :param fs: the host.
    :returns: the maps.
    :raises OSError: if ``/sys/block`` cannot be listed.
    """
    maps = []
    for entry in fs.listdir(SYS_BLOCK):
        if entry.startswith('dm-'):
            mpath = _sysfs_map(fs, entry)
            if mpath is not None:
                maps.append(mpath)
    return maps
