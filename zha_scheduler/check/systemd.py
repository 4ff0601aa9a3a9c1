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

"""The effective ``Restart=`` of a systemd service, from its unit files.

systemd reads a unit from the first directory holding it (``/etc`` before
the vendor's ``/usr/lib``), then its drop-ins ``<unit>.d/*.conf`` from every
directory, in file name order, a drop-in in an earlier directory hiding one
of the same name in a later one. For a setting read more than once the last
value wins; an empty value resets it to the default (``Restart=no``).
"""

from collections.abc import Sequence
import dataclasses
import os

ETC_DIR = '/etc/systemd/system'
VENDOR_SUFFIX = os.path.join('usr', 'lib', 'systemd', 'system')
DEFAULT_RESTART = 'no'


@dataclasses.dataclass(frozen=True)
class UnitSetting:
    """A unit's effective value of one [Service] setting, and where from."""

    unit: str
    path: str | None
    value: str
    source: str | None
    masked: bool = False


def unit_dirs(systemd_dir: str) -> list[str]:
    """The directory given, then the vendor directory of the same root.

    ``/etc/systemd/system`` goes with ``/usr/lib/systemd/system``, and
    ``/mnt/host/etc/systemd/system`` with ``/mnt/host/usr/lib/systemd/system``
    (a copied host); any other directory stands alone.
    """
    normal = os.path.normpath(systemd_dir)
    etc = os.path.normpath(ETC_DIR).lstrip('/')
    if normal == '/' + etc or normal.endswith('/' + etc):
        root = normal[:-len(etc)]
        return [normal, os.path.join(root, VENDOR_SUFFIX)]
    return [normal]


def _assignments(path: str, section: str, key: str) -> list[str]:
    """Every value of ``key`` in ``[section]``, in file order."""
    values = []
    current = None
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = iter(f.read().splitlines())
    for raw in lines:
        line = raw.strip()
        # A trailing backslash continues the line (systemd.syntax(7)).
        while line.endswith('\\'):
            line = line[:-1] + ' ' + next(lines, '').strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            current = line[1:-1].strip()
            continue
        name, sep, value = line.partition('=')
        if sep and current == section and name.strip() == key:
            values.append(value.strip())
    return values


def _is_masked(path: str) -> bool:
    return os.path.islink(path) and os.path.realpath(path) == os.devnull


def find_unit(unit: str, dirs: Sequence[str]) -> str | None:
    for directory in dirs:
        path = os.path.join(directory, unit)
        if os.path.lexists(path):
            return path
    return None


def drop_ins(unit: str, dirs: Sequence[str]) -> list[str]:
    """The unit's drop-ins in the order systemd applies them."""
    chosen: dict[str, str] = {}
    for directory in dirs:
        folder = os.path.join(directory, unit + '.d')
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            if name.endswith('.conf'):
                chosen.setdefault(name, os.path.join(folder, name))
    return [chosen[name] for name in sorted(chosen)]


def service_setting(unit: str, dirs: Sequence[str], key: str = 'Restart',
                    default: str = DEFAULT_RESTART) -> UnitSetting | None:
    """The effective value of ``[Service] key`` of ``unit``.

    :returns: None when no directory holds the unit.
    :raises OSError: a unit file exists but cannot be read.
    """
    path = find_unit(unit, dirs)
    if path is None:
        return None
    if _is_masked(path):
        return UnitSetting(unit, path, default, None, masked=True)
    value, source = default, None
    unmasked = [p for p in drop_ins(unit, dirs) if not _is_masked(p)]
    for file in [path] + unmasked:
        for assigned in _assignments(file, 'Service', key):
            value, source = (assigned or default), file
    return UnitSetting(unit, path, value, source)
