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

"""The snapshot format, field by field: the one place that reads its JSON.

``parse`` walks a snapshot's JSON and builds the model objects, checking
every value on the way against the path that leads to it, written as jq
addresses it (``hosts[3].traits``, ``hosts[0].inventories.VCPU.total``,
``flavors[2].extra_specs["zha:redundancy"]``). A bad value is reported by
its field when the file is loaded, never as a TypeError in the middle of
explain, audit or capacity, which rely on the types once loaded.

The limits are those of the services the values come from, so that what
``collect`` saves from a real cloud always loads and what no cloud holds is
refused: counts are Nova's and Placement's 32-bit database integers and
never negative, reserved is within total, trait and resource class names
follow Placement's pattern, a group's policy and rules are those Nova's API
accepts; extra specs and metadata are strings whatever they say, as Nova
skips an extra spec it cannot use. A key may be left out where the model
has a default, and null given where the model allows None.

Unknown keys are rejected, not ignored. The format is versioned: a field
added later comes with a new ``format_version``, which this version refuses
as a whole, so an unknown key in a version 1 file can only be a typo or a
hand edit, and ignoring it would drop what was meant without a word (a
misspelt ``service_disabled`` would leave the host in service).
"""

from collections.abc import Callable, Mapping, Sequence
import dataclasses
import difflib
import json
import math
import re
from typing import Any, TypeVar

from zha_scheduler import model

FORMAT_VERSION = 1
#: Nova and Placement store counts as signed 32-bit database integers.
MAX_INT = 2 ** 31 - 1
#: A usage is Placement's sum of allocations, a 64-bit integer.
MAX_USAGE = 2 ** 63 - 1
#: Placement's largest allocation ratio (a single-precision float column).
MAX_RATIO = 3.40282e38
#: The server group policies of Nova's API (microversion 2.64 and later).
POLICIES = ('affinity', 'anti-affinity', 'soft-affinity',
            'soft-anti-affinity')
# Placement's pattern for trait and resource class names, and their length.
_PLACEMENT_NAME = re.compile(r'[A-Z0-9_]{1,255}')
_IDENTIFIER = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_SHOWN = 60

T = TypeVar('T')
Key = str | int
# A parser takes a value, the path of what holds it and its key there: the
# value's own path is only spelt out for an error, as a snapshot of 50,000
# instances has a million values.
Parser = Callable[[Any, 'Path', Key], T]


class Path:
    """Where a value is, as jq writes it (``hosts[3].inventories.VCPU``)."""

    __slots__ = ('parent', 'key')

    def __init__(self, parent: 'Path | None' = None,
                 key: Key | None = None) -> None:
        self.parent = parent
        self.key = key

    def __truediv__(self, key: Key) -> 'Path':
        return Path(self, key)

    def __str__(self) -> str:
        head = '' if self.parent is None else str(self.parent)
        key = self.key
        if key is None:
            return head
        if isinstance(key, int):
            return '%s[%d]' % (head, key)
        if _IDENTIFIER.fullmatch(key):
            return '%s.%s' % (head, key) if head else key
        return '%s[%s]' % (head, _shown(key))


ROOT = Path()


class FieldError(Exception):
    """A snapshot value of the wrong type or out of range, by its path."""

    def __init__(self, path: Path, problem: str) -> None:
        #: Where the value is, as jq addresses it ('' for the whole file).
        self.path = str(path)
        super().__init__('%s: %s' % (self.path, problem) if self.path
                         else problem)


@dataclasses.dataclass
class Contents:
    """What a snapshot file holds, as model objects."""

    hosts: list[model.Host]
    instances: list[model.Instance]
    groups: list[model.Group]
    flavors: list[model.Flavor]
    taken_at: str | None
    source: str


def _shown(value: Any) -> str:
    """A value as it reads in the JSON file, cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        # Not JSON (from_dict of Python data), or too deep to show.
        text = 'a %s' % type(value).__name__
    return text if len(text) <= _SHOWN else text[:_SHOWN - 3] + '...'


def _wrong(path: Path, expected: str, value: Any) -> FieldError:
    return FieldError(path, 'expected %s, got %s' % (expected, _shown(value)))


# Parsers of one kind of value.

def _text(what: str = 'a string', empty: bool = True) -> Parser[str]:
    def parse(value: Any, where: Path, key: Key) -> str:
        if not isinstance(value, str) or not (empty or value):
            raise _wrong(where / key, what, value)
        return value
    return parse


def _nullable(what: str) -> Parser[str | None]:
    def parse(value: Any, where: Path, key: Key) -> str | None:
        if value is not None and not isinstance(value, str):
            raise _wrong(where / key, what, value)
        return value
    return parse


def _integer(low: int = 0, high: int = MAX_INT) -> Parser[int]:
    what = 'an integer from %d to %d' % (low, high)

    def parse(value: Any, where: Path, key: Key) -> int:
        # bool is an int subclass: JSON true must not pass for 1.
        if (isinstance(value, bool) or not isinstance(value, int) or
                not low <= value <= high):
            raise _wrong(where / key, what, value)
        return value
    return parse


def _max_unit(value: Any, where: Path, key: Key) -> int | None:
    # None where Placement reported none (collect, Inventory's default).
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, int) or
            not 1 <= value <= MAX_INT):
        raise _wrong(where / key, 'an integer from 1 to %d, or null'
                     % MAX_INT, value)
    return value


def _ratio(value: Any, where: Path, key: Key) -> float:
    # Finite and bounded: int(capacity) of an infinite ratio would raise.
    # Nova's options allow 0.0 and Placement sets no minimum.
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or
            not math.isfinite(value) or not 0 <= value <= MAX_RATIO):
        raise _wrong(where / key, 'a number from 0 to %g' % MAX_RATIO,
                     value)
    return float(value)


def _flag(value: Any, where: Path, key: Key) -> bool:
    if not isinstance(value, bool):
        raise _wrong(where / key, 'true or false', value)
    return value


def _one_of(choices: tuple[str, ...], what: str) -> Parser[str]:
    expected = '%s (%s)' % (what, ', '.join(choices))

    def parse(value: Any, where: Path, key: Key) -> str:
        if not isinstance(value, str) or value not in choices:
            raise _wrong(where / key, expected, value)
        return value
    return parse


def _placement_name(what: str) -> Parser[str]:
    expected = '%s (A-Z, 0-9 and _, at most 255)' % what

    def parse(value: Any, where: Path, key: Key) -> str:
        if not isinstance(value, str) or not _PLACEMENT_NAME.fullmatch(value):
            raise _wrong(where / key, expected, value)
        return value
    return parse


def _list_of(item: Parser[T], what: str) -> Parser[list[T]]:
    def parse(value: Any, where: Path, key: Key) -> list[T]:
        if not isinstance(value, list):
            raise _wrong(where / key, what, value)
        path = where / key
        return [item(v, path, i) for i, v in enumerate(value)]
    return parse


def _dict_of(item: Parser[T], what: str,
             name: Parser[str] | None = None) -> Parser[dict[str, T]]:
    """An object of values by string key; ``name`` checks a key further."""
    def parse(value: Any, where: Path, key: Key) -> dict[str, T]:
        if not isinstance(value, (dict, Mapping)):
            raise _wrong(where / key, what, value)
        path = where / key
        found = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise FieldError(path, 'key %r is not a string' % (k,))
            if name is not None:
                name(k, path, k)
            found[k] = item(v, path, k)
        return found
    return parse


def _anything(value: Any, where: Path, key: Key) -> Any:
    return value


class _Object:
    """One JSON object of the snapshot, read field by field."""

    def __init__(self, value: Any, path: Path, what: str,
                 fields: Mapping[str, bool]) -> None:
        """:param path: where the object is.
        :param what: its kind, as in "expected a host".
        :param fields: every key it may have, and whether it must.
        """
        if not isinstance(value, (dict, Mapping)):
            raise _wrong(path, what + ' (an object)', value)
        # Unknown keys first: a misspelt key also leaves one missing, and
        # the typo is what to point at.
        for k in value:
            if k not in fields:
                close = difflib.get_close_matches(str(k), fields, 1)
                raise FieldError(path / str(k), 'unknown field%s' % (
                    '; did you mean %s?' % close[0] if close else
                    ' (%s has: %s)' % (what, ', '.join(fields))))
        for k, required in fields.items():
            if required and k not in value:
                raise FieldError(path / k, 'missing: %s must have one'
                                 % what)
        self.data = value
        self.path = path

    def need(self, key: str, parse: Parser[T]) -> T:
        return parse(self.data[key], self.path, key)

    def get(self, key: str, parse: Parser[T], default: T) -> T:
        if key not in self.data:
            return default
        return parse(self.data[key], self.path, key)


def _unique(values: Sequence[str | None], path: Callable[[int], Path],
            what: str) -> None:
    """Reject the second of two equal values (None is no value)."""
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        if value in seen:
            raise FieldError(path(i), 'duplicate %s %s (also %s)' % (
                what, _shown(value), path(seen[value])))
        seen[value] = i


# The objects of the format, with the keys each has and which it must.

_INVENTORY = {'total': True, 'reserved': False, 'allocation_ratio': False,
              'max_unit': False}
_HOST = {'name': True, 'node': True, 'uuid': True, 'traits': False,
         'inventories': False, 'usages': False, 'aggregates': False,
         'service_up': False, 'service_disabled': False,
         'disabled_reason': False, 'hypervisor_type': False}
_FLAVOR = {'name': True, 'vcpus': True, 'ram': True, 'disk': True,
           'id': False, 'ephemeral': False, 'swap': False,
           'extra_specs': False}
_INSTANCE = {'uuid': True, 'name': True, 'host': True, 'node': True,
             'status': True, 'flavor': True, 'image_properties': False,
             'metadata': False, 'task_state': False}
_GROUP = {'uuid': True, 'name': True, 'policy': True, 'members': True,
          'rules': False, 'project_id': False}
# Nova's API knows one rule, of anti-affinity groups.
_RULES = {'max_server_per_host': False}
_SNAPSHOT = {'format_version': True, 'taken_at': False, 'source': False,
             'hosts': True, 'instances': False, 'groups': False,
             'flavors': False}

_STRING = _text()
_OPTIONAL = _nullable('a string or null')
_UUID = _text('a uuid (a non-empty string)', empty=False)
_COUNT = _integer()
_POSITIVE = _integer(low=1)
_STRINGS = _dict_of(_STRING, 'an object of strings')
_RESOURCE_CLASS = _placement_name('a resource class name')
_HOST_NAME = _text('a service host name (a non-empty string)', empty=False)
_NODE = _text('a hypervisor hostname (a non-empty string)', empty=False)
_TRAITS = _list_of(_placement_name('a trait name'), 'a list of trait names')
_USAGES = _dict_of(_integer(high=MAX_USAGE),
                   'an object of usages by resource class',
                   name=_RESOURCE_CLASS)
_AGGREGATES = _list_of(_text('an aggregate uuid (a non-empty string)',
                             empty=False), 'a list of aggregate uuids')
_INSTANCE_HOST = _nullable('a service host name or null')
_INSTANCE_NODE = _nullable('a hypervisor hostname or null')
_STATUS = _text('a server status (a non-empty string)', empty=False)
_IMAGE_PROPERTIES = _dict_of(_anything, 'an object of image properties')
_MEMBERS = _list_of(_text('an instance uuid (a non-empty string)',
                          empty=False), 'a list of instance uuids')
_POLICY = _one_of(POLICIES, 'a server group policy')


def _inventory(value: Any, where: Path, key: Key) -> model.Inventory:
    f = _Object(value, where / key, 'an inventory', _INVENTORY)
    inventory = model.Inventory(
        total=f.need('total', _COUNT),
        reserved=f.get('reserved', _COUNT, 0),
        allocation_ratio=f.get('allocation_ratio', _ratio, 1.0),
        max_unit=f.get('max_unit', _max_unit, None))
    if inventory.reserved > inventory.total:
        # Placement refuses such an inventory: the file was edited.
        raise FieldError(f.path / 'reserved', '%d is more than total %d' % (
            inventory.reserved, inventory.total))
    return inventory


_INVENTORIES = _dict_of(_inventory,
                        'an object of inventories by resource class',
                        name=_RESOURCE_CLASS)


def _host(value: Any, where: Path, key: Key) -> model.Host:
    f = _Object(value, where / key, 'a host', _HOST)
    return model.Host(
        name=f.need('name', _HOST_NAME),
        node=f.need('node', _NODE),
        uuid=f.need('uuid', _UUID),
        traits=f.get('traits', _TRAITS, []),
        inventories=f.get('inventories', _INVENTORIES, {}),
        usages=f.get('usages', _USAGES, {}),
        aggregates=f.get('aggregates', _AGGREGATES, []),
        service_up=f.get('service_up', _flag, True),
        service_disabled=f.get('service_disabled', _flag, False),
        disabled_reason=f.get('disabled_reason', _OPTIONAL, None),
        hypervisor_type=f.get('hypervisor_type', _STRING, 'QEMU'))


def _flavor(value: Any, where: Path, key: Key) -> model.Flavor:
    f = _Object(value, where / key, 'a flavor', _FLAVOR)
    return model.Flavor(
        name=f.need('name', _STRING),
        vcpus=f.need('vcpus', _COUNT),
        ram=f.need('ram', _COUNT),
        disk=f.need('disk', _COUNT),
        id=f.get('id', _OPTIONAL, None),
        ephemeral=f.get('ephemeral', _COUNT, 0),
        swap=f.get('swap', _COUNT, 0),
        # Strings only: Nova skips a spec it cannot use, with a warning
        # (a "resources:" amount that is no integer, say), and so may we.
        extra_specs=f.get('extra_specs', _STRINGS, {}))


def _instance(value: Any, where: Path, key: Key) -> model.Instance:
    f = _Object(value, where / key, 'an instance', _INSTANCE)
    return model.Instance(
        uuid=f.need('uuid', _UUID),
        name=f.need('name', _STRING),
        host=f.need('host', _INSTANCE_HOST),
        node=f.need('node', _INSTANCE_NODE),
        status=f.need('status', _STATUS),
        flavor=f.need('flavor', _flavor),
        # Any JSON values: an image property may be a number or a list.
        image_properties=f.get('image_properties', _IMAGE_PROPERTIES, {}),
        metadata=f.get('metadata', _STRINGS, {}),
        task_state=f.get('task_state', _OPTIONAL, None))


def _rules(value: Any, where: Path, key: Key) -> dict[str, Any]:
    f = _Object(value, where / key, 'server group rules', _RULES)
    return {k: f.need(k, _POSITIVE) for k in f.data}


def _group(value: Any, where: Path, key: Key) -> model.Group:
    f = _Object(value, where / key, 'a server group', _GROUP)
    members = f.need('members', _MEMBERS)
    # Nova keeps a member once; twice would count it twice in the audit.
    _unique(members, lambda i: f.path / 'members' / i, 'member')
    return model.Group(
        uuid=f.need('uuid', _UUID),
        name=f.need('name', _STRING),
        policy=f.need('policy', _POLICY),
        members=members,
        rules=f.get('rules', _rules, {}),
        project_id=f.get('project_id', _OPTIONAL, None))


def _version(value: Any, where: Path, key: Key) -> int:
    if (isinstance(value, bool) or not isinstance(value, int) or
            value != FORMAT_VERSION):
        raise FieldError(where / key, 'snapshot format %s is not supported '
                         '(this version reads %d)' % (_shown(value),
                                                      FORMAT_VERSION))
    return value


def _uniques(found: list[Any], path: Path, fields: tuple[str, ...],
             what: str) -> None:
    for field in fields:
        _unique([getattr(item, field) for item in found],
                lambda i: path / i / field, '%s %s' % (what, field))


def parse(data: Any) -> Contents:
    """Check a snapshot's JSON and build its model objects.

    :raises FieldError: for a value of the wrong type or out of range, an
        unknown or a missing key, and for a second host with the name, node
        or uuid of another, a second instance or group with the uuid of
        another, a second flavor with the name or id of another (Nova and
        Placement keep each unique; the tools index by them).
    """
    if not isinstance(data, (dict, Mapping)) or not (
            'hosts' in data or 'format_version' in data):
        raise FieldError(ROOT, 'not a zha-scheduler snapshot: expected an '
                         'object with "format_version" and "hosts", got '
                         '%s' % _shown(data))
    # The version first: the keys of another version are not ours to judge.
    if 'format_version' in data:
        _version(data['format_version'], ROOT, 'format_version')
    f = _Object(data, ROOT, 'a snapshot', _SNAPSHOT)
    hosts = f.need('hosts', _list_of(_host, 'a list of hosts'))
    _uniques(hosts, ROOT / 'hosts', ('name', 'node', 'uuid'), 'host')
    instances: list[model.Instance] = f.get(
        'instances', _list_of(_instance, 'a list of instances'), [])
    _uniques(instances, ROOT / 'instances', ('uuid',), 'instance')
    groups: list[model.Group] = f.get(
        'groups', _list_of(_group, 'a list of server groups'), [])
    _uniques(groups, ROOT / 'groups', ('uuid',), 'server group')
    flavors: list[model.Flavor] = f.get(
        'flavors', _list_of(_flavor, 'a list of flavors'), [])
    # find_flavor takes the first of a name or id.
    _uniques(flavors, ROOT / 'flavors', ('name', 'id'), 'flavor')
    return Contents(hosts=hosts, instances=instances, groups=groups,
                    flavors=flavors,
                    taken_at=f.get('taken_at', _OPTIONAL, None),
                    source=f.get('source', _STRING, 'file'))
