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

"""Property tests of loading snapshots.

A valid snapshot with one field corrupted anywhere is refused with a
SnapshotError naming that field, never with another exception; a valid one,
however odd its values, loads and goes through audit, capacity and explain.
The format is restated here, apart from snapshot_schema, as the oracle.
"""

import copy
import json
import re
import typing

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import note
from hypothesis import settings
from hypothesis import strategies as st
import nova.conf
from nova import test

from tests.unit.insight import test_snapshot
from zha_scheduler.insight import audit
from zha_scheduler.insight import capacity
from zha_scheduler.insight import explain
from zha_scheduler.insight import snapshot
from zha_scheduler.insight import synthetic
from zha_scheduler import placement
from zha_scheduler.sim import nova_conf
from zha_scheduler import traits

CONF = nova.conf.CONF
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
# Each valid example runs explain, tens of milliseconds.
VALID_SETTINGS = settings(SETTINGS, max_examples=30)

MAX_INT = 2 ** 31 - 1
MAX_USAGE = 2 ** 63 - 1
MAX_RATIO = 3.40282e38
POLICIES = ('affinity', 'anti-affinity', 'soft-affinity',
            'soft-anti-affinity')
PLACEMENT_NAME = re.compile(r'[A-Z0-9_]{1,255}')

# The kinds of values.
(NAME, TEXT, NULLABLE, COUNT, USAGE, MAX_UNIT, RATIO, FLAG, TRAIT, POLICY,
 RULE, VERSION, ANY) = (
    'name', 'text', 'nullable', 'count', 'usage', 'max_unit', 'ratio',
    'flag', 'trait', 'policy', 'rule', 'version', 'any')


class ListOf(typing.NamedTuple):
    item: typing.Any


class DictOf(typing.NamedTuple):
    item: typing.Any
    resource_classes: bool = False     # keys are resource class names


# Objects: each key with its kind and whether it must be there.
INVENTORY = {'total': (COUNT, True), 'reserved': (COUNT, False),
             'allocation_ratio': (RATIO, False),
             'max_unit': (MAX_UNIT, False)}
HOST = {'name': (NAME, True), 'node': (NAME, True), 'uuid': (NAME, True),
        'traits': (ListOf(TRAIT), False),
        'inventories': (DictOf(INVENTORY, True), False),
        'usages': (DictOf(USAGE, True), False),
        'aggregates': (ListOf(NAME), False), 'service_up': (FLAG, False),
        'service_disabled': (FLAG, False),
        'disabled_reason': (NULLABLE, False),
        'hypervisor_type': (TEXT, False)}
FLAVOR = {'name': (TEXT, True), 'vcpus': (COUNT, True),
          'ram': (COUNT, True), 'disk': (COUNT, True),
          'id': (NULLABLE, False), 'ephemeral': (COUNT, False),
          'swap': (COUNT, False), 'extra_specs': (DictOf(TEXT), False)}
INSTANCE = {'uuid': (NAME, True), 'name': (TEXT, True),
            'host': (NULLABLE, True), 'node': (NULLABLE, True),
            'status': (NAME, True), 'flavor': (FLAVOR, True),
            'image_properties': (DictOf(ANY), False),
            'metadata': (DictOf(TEXT), False),
            'task_state': (NULLABLE, False)}
RULES = {'max_server_per_host': (RULE, False)}
GROUP = {'uuid': (NAME, True), 'name': (TEXT, True),
         'policy': (POLICY, True), 'members': (ListOf(NAME), True),
         'rules': (RULES, False), 'project_id': (NULLABLE, False)}
SNAPSHOT = {'format_version': (VERSION, True), 'taken_at': (NULLABLE, False),
            'source': (TEXT, False), 'hosts': (ListOf(HOST), True),
            'instances': (ListOf(INSTANCE), False),
            'groups': (ListOf(GROUP), False),
            'flavors': (ListOf(FLAVOR), False)}


class Site(typing.NamedTuple):
    path: tuple
    kind: typing.Any


def walk(value, kind=SNAPSHOT, path=()):
    """Every value of a valid snapshot with its path and kind."""
    yield Site(path, kind)
    if isinstance(kind, dict):
        for key, (inner, _) in kind.items():
            if key in value:
                yield from walk(value[key], inner, path + (key,))
    elif isinstance(kind, ListOf):
        for i, item in enumerate(value):
            yield from walk(item, kind.item, path + (i,))
    elif isinstance(kind, DictOf):
        for key, item in value.items():
            yield from walk(item, kind.item, path + (key,))


def render(path):
    """A path as jq writes it: the format's contract for messages."""
    text = ''
    for key in path:
        if isinstance(key, int):
            text += '[%d]' % key
        elif re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', key):
            text += ('.' if text else '') + key
        else:
            text += '[%s]' % json.dumps(key, ensure_ascii=False)
    return text


def at(data, path):
    for key in path:
        data = data[key]
    return data


def unique(path):
    """Whether the value at ``path`` must differ from its peers'."""
    return (path[:1] == ('hosts',) and path[2:] in (('name',), ('node',),
                                                    ('uuid',)) or
            path[:1] in (('instances',), ('groups',)) and
            path[2:] == ('uuid',) or
            path[:1] == ('flavors',) and path[2:] in (('name',), ('id',)) or
            path[:1] == ('groups',) and path[2:3] == ('members',))


# Values that are not of a kind. Floats include NaN and infinities.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=6))
SMALL_LISTS = st.lists(SCALARS, max_size=2)
SMALL_DICTS = st.dictionaries(st.text(max_size=4), SCALARS, max_size=2)
NOT_STRING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                       SMALL_LISTS, SMALL_DICTS)
NOT_STRING_NOR_NULL = NOT_STRING.filter(lambda v: v is not None)


def not_integer(low, high, null=False):
    return st.one_of(
        st.booleans(), st.integers(max_value=low - 1),
        st.integers(min_value=high + 1), st.floats(), st.text(max_size=6),
        st.just('5'), SMALL_LISTS, SMALL_DICTS,
        *([] if null else [st.none()]))


BAD = {
    NAME: st.one_of(NOT_STRING, st.just('')),
    TEXT: NOT_STRING,
    NULLABLE: NOT_STRING_NOR_NULL,
    COUNT: not_integer(0, MAX_INT),
    USAGE: not_integer(0, MAX_USAGE),
    MAX_UNIT: not_integer(1, MAX_INT, null=True),
    RULE: not_integer(1, MAX_INT),
    RATIO: st.one_of(st.booleans(), st.none(), st.text(max_size=4),
                     st.integers(max_value=-1),
                     st.floats(max_value=0, exclude_max=True),
                     st.floats(min_value=3.5e38),
                     st.sampled_from([float('nan'), float('inf')]),
                     SMALL_LISTS),
    FLAG: st.one_of(st.none(), st.integers(), st.floats(),
                    st.sampled_from(['true', 'false', '']), SMALL_LISTS),
    TRAIT: st.one_of(NOT_STRING, st.text(max_size=8).filter(
        lambda t: not PLACEMENT_NAME.fullmatch(t)), st.just('A' * 256)),
    POLICY: st.one_of(NOT_STRING, st.text(max_size=20).filter(
        lambda t: t not in POLICIES), st.just('anti_affinity')),
    VERSION: st.one_of(st.booleans(), st.none(), st.just(1.0),
                       st.just('1'), st.integers().filter(lambda v: v != 1)),
}
NOT_LIST = st.one_of(st.none(), st.text(max_size=6), st.integers(),
                     SMALL_DICTS)
NOT_OBJECT = st.one_of(st.none(), st.text(max_size=6), st.integers(),
                       SMALL_LISTS)


def category(kind):
    """The kind of a value, with every list and every object as one."""
    if isinstance(kind, ListOf):
        return 'list'
    if isinstance(kind, (dict, DictOf)):
        return 'object'
    return kind


BAD.update(list=NOT_LIST, object=NOT_OBJECT)


def changed(data, path, change):
    """``data`` with ``change`` made to the container at ``path``.

    Only the containers on the path are copied: the valid snapshot is
    shared by every example, and a deep copy would cost more than loading.
    """
    data = copy.copy(data)
    if path:
        data[path[0]] = changed(data[path[0]], path[1:], change)
    else:
        change(data)
    return data


def setter(key, value):
    def change(container):
        container[key] = value
    return change


BASE = test_snapshot.valid()
SITES = [s for s in walk(BASE) if s.path and s.kind != ANY]
# The sites by kind of value: each kind is tried in every example, as a
# snapshot has a hundred times more strings than allocation ratios.
BY_KIND = {}
for _site in SITES:
    BY_KIND.setdefault(category(_site.kind), []).append(_site)
OBJECTS = [s for s in SITES if isinstance(s.kind, dict)]
REQUIRED = [(s.path, k) for s in OBJECTS
            for k, (_, required) in s.kind.items() if required]
INVENTORIES = [s for s in OBJECTS if s.kind is INVENTORY]
CLASSES = [s for s in SITES if isinstance(s.kind, DictOf) and
           s.kind.resource_classes and at(BASE, s.path)]
DUPLICABLE = [(kind, field) for kind, fields in (
    ('hosts', ('name', 'node', 'uuid')), ('instances', ('uuid',)),
    ('groups', ('uuid',)), ('flavors', ('name', 'id'))) for field in fields]
GROUPS = [g for g, group in enumerate(BASE['groups'])
          if len(group['members']) > 1]


def two_of(draw, items):
    """Two indices of ``items``, the first one before the second."""
    return sorted(draw(st.lists(st.integers(0, len(items) - 1), min_size=2,
                                max_size=2, unique=True)))


def wrong_value(kind):
    def corrupt(draw):
        site = draw(st.sampled_from(BY_KIND[kind]))
        value = draw(BAD[kind])
        return (changed(BASE, site.path[:-1], setter(site.path[-1], value)),
                site.path)
    return corrupt


def missing(draw):
    parent, key = draw(st.sampled_from(REQUIRED))
    return changed(BASE, parent, lambda c: c.pop(key)), parent + (key,)


def unknown(draw):
    site = draw(st.sampled_from(OBJECTS))
    key = draw(st.text(max_size=12).filter(lambda k: k not in site.kind))
    return (changed(BASE, site.path, setter(key, draw(SCALARS))),
            site.path + (key,))


def duplicate(draw):
    kind, field = draw(st.sampled_from(DUPLICABLE))
    first, second = two_of(draw, BASE[kind])
    target = draw(st.sampled_from([first, second]))
    other = second if target == first else first
    # The second of the two is the duplicate, whichever was changed.
    return (changed(BASE, (kind, target),
                    setter(field, BASE[kind][other][field])),
            (kind, second, field))


def member(draw):
    g = draw(st.sampled_from(GROUPS))
    members = BASE['groups'][g]['members']
    first, second = two_of(draw, members)
    return (changed(BASE, ('groups', g, 'members'),
                    setter(second, members[first])),
            ('groups', g, 'members', second))


def reserved(draw):
    site = draw(st.sampled_from(INVENTORIES))
    value = at(BASE, site.path)['total'] + draw(st.integers(1, 1000))
    return (changed(BASE, site.path, setter('reserved', value)),
            site.path + ('reserved',))


def resource_class(draw):
    site = draw(st.sampled_from(CLASSES))
    old = draw(st.sampled_from(sorted(at(BASE, site.path))))
    new = draw(st.text(max_size=8).filter(
        lambda k: not PLACEMENT_NAME.fullmatch(k)))
    return (changed(BASE, site.path,
                    lambda c: c.__setitem__(new, c.pop(old))),
            site.path + (new,))


# Every way to break a snapshot, each tried in every example.
CORRUPTIONS = [('wrong %s' % kind, wrong_value(kind))
               for kind in sorted(BY_KIND)] + [
    ('missing key', missing), ('unknown key', unknown),
    ('duplicate', duplicate), ('duplicate member', member),
    ('reserved above total', reserved),
    ('resource class name', resource_class)]


# Values of each kind, odd ones included. Fields that must be unique are
# left alone: a drawn value could repeat another.
STATUSES = ('ACTIVE', 'SHUTOFF', 'ERROR', 'BUILD', 'SHELVED_OFFLOADED',
            'DELETED', 'MIGRATING', 'VERIFY_RESIZE')
ZHA_TRAITS = (traits.STANDBY, traits.NET_REDUNDANT, traits.NET_DEGRADED,
              traits.STORAGE_REDUNDANT, traits.STORAGE_DEGRADED,
              traits.cpc_trait('Z1'), traits.cpc_trait('Z9'),
              traits.site_trait('DC1'), traits.site_trait('DC7'),
              traits.consistency_group_trait('DB2PROD'),
              'COMPUTE_STATUS_DISABLED')


def sizes(high):
    return st.one_of(st.integers(0, 100), st.integers(0, high))


GOOD = {
    NAME: st.one_of(st.text(min_size=1, max_size=8),
                    st.sampled_from(STATUSES)),
    TEXT: st.text(max_size=8),
    NULLABLE: st.one_of(st.none(), st.text(max_size=8)),
    COUNT: sizes(MAX_INT),
    USAGE: sizes(MAX_USAGE),
    MAX_UNIT: st.one_of(st.none(), st.integers(1, 100),
                        st.integers(1, MAX_INT)),
    RULE: st.one_of(st.integers(1, 4), st.integers(1, MAX_INT)),
    RATIO: st.one_of(st.integers(0, 16), st.floats(0, MAX_RATIO)),
    FLAG: st.booleans(),
    TRAIT: st.one_of(st.sampled_from(ZHA_TRAITS),
                     st.from_regex(r'[A-Z0-9_]{1,12}', fullmatch=True)),
    POLICY: st.sampled_from(POLICIES),
}
# Nova skips a "resources:" amount that is no integer, with a warning, and
# so does candidates.query: any text may be drawn.
AMOUNTS = st.one_of(sizes(MAX_INT).map(str), st.text(max_size=8))
SPEC_KEYS = ('resources:VCPU', 'resources:MEMORY_MB', 'resources:CUSTOM_X',
             'trait:CUSTOM_ZHA_STANDBY', 'trait:HW_CPU_X86_AVX',
             'zha:redundancy', 'zha:consistency_group', 'hw:cpu_policy')


@st.composite
def valid_snapshots(draw):
    """A synthetic snapshot's JSON with a few valid edits."""
    cpcs = draw(st.integers(1, 4))
    hosts = cpcs * draw(st.integers(2, 5))
    data = json.loads(json.dumps(synthetic.synthetic(
        hosts=hosts, cpcs=cpcs, sites=draw(st.integers(0, 3)),
        instances=draw(st.integers(0, min(60, 15 * (hosts - cpcs)))),
        seed=draw(st.integers(0, 2 ** 32)), group_size=draw(
            st.integers(2, 5)), nova_traits=draw(st.booleans()),
        broken_fraction=draw(st.sampled_from([0, 0.02, 0.5, 1]))
    ).to_dict()))
    for _ in range(draw(st.integers(0, 8))):
        sites = [s for s in walk(data) if s.path and not unique(s.path)]
        how = draw(st.sampled_from(['value', 'value', 'leave out', 'drop',
                                    'extra spec', 'rules']))
        if how == 'value':
            leaves = [s for s in sites
                      if isinstance(s.kind, str) and s.kind in GOOD]
            site = draw(st.sampled_from(leaves))
            at(data, site.path[:-1])[site.path[-1]] = draw(GOOD[site.kind])
        elif how == 'leave out':
            optional = [(s.path, k) for s in sites
                        if isinstance(s.kind, dict)
                        for k, (_, required) in s.kind.items()
                        if not required and k in at(data, s.path)]
            if optional:
                parent, key = draw(st.sampled_from(optional))
                del at(data, parent)[key]
        elif how == 'drop':
            lists = [s.path for s in walk(data)
                     if isinstance(s.kind, ListOf) and at(data, s.path)]
            if lists:
                found = at(data, draw(st.sampled_from(lists)))
                del found[draw(st.integers(0, len(found) - 1))]
        elif how == 'extra spec':
            flavors = [s.path for s in walk(data) if s.kind is FLAVOR]
            if flavors:
                flavor = at(data, draw(st.sampled_from(flavors)))
                key = draw(st.sampled_from(SPEC_KEYS))
                flavor.setdefault('extra_specs', {})[key] = draw(
                    AMOUNTS if key.startswith('resources:') else
                    st.one_of(st.sampled_from(['required', 'forbidden',
                                               'preferred']),
                              st.text(max_size=6)))
        elif data.get('groups'):
            group = draw(st.sampled_from(data['groups']))
            group['rules'] = {'max_server_per_host': draw(GOOD[RULE])}
    # Placement keeps reserved within total.
    for site in walk(data):
        if site.kind is INVENTORY:
            inventory = at(data, site.path)
            inventory['reserved'] = min(inventory.get('reserved', 0),
                                        inventory['total'])
    return data


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(),
                              st.floats(), st.text(max_size=6)),
                    lambda inner: st.one_of(
                        st.lists(inner, max_size=3),
                        st.dictionaries(st.text(max_size=6), inner,
                                        max_size=3)),
                    max_leaves=12)


class CorruptedSnapshotTest(test.NoDBTestCase):

    @settings(SETTINGS, max_examples=80)
    @given(st.data())
    def test_refused_naming_the_field(self, data):
        for how, corrupt in CORRUPTIONS:
            broken, path = corrupt(data.draw)
            note('%s at %s' % (how, render(path)))
            with self.assertRaises(snapshot.SnapshotError) as ctx:
                snapshot.Snapshot.from_dict(broken)
            message = str(ctx.exception)
            self.assertTrue(message.startswith(render(path) + ': '),
                            '%s: %r does not name %s' % (
                                how, message, render(path)))

    @SETTINGS
    @given(st.one_of(JSON, st.fixed_dictionaries(
        {'format_version': st.just(1), 'hosts': st.lists(st.one_of(
            JSON, st.fixed_dictionaries({'name': JSON, 'node': JSON,
                                         'uuid': JSON})), max_size=2)},
        optional={'instances': JSON, 'groups': JSON, 'flavors': JSON})))
    def test_any_json_loads_or_is_refused(self, data):
        try:
            snapshot.Snapshot.from_dict(data)
        except snapshot.SnapshotError:
            pass


class ValidSnapshotTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        nova_conf.apply_file(nova_conf.snippet_path(), self.flags)
        self.addCleanup(placement.reset_view)

    @VALID_SETTINGS
    @given(valid_snapshots(), st.data())
    def test_loads_and_runs_through_every_command(self, data, draw):
        snap = snapshot.Snapshot.from_dict(data)
        # Saved and loaded again, it is the same.
        again = json.loads(json.dumps(snap.to_dict()))
        self.assertEqual(snap.to_dict(),
                         snapshot.Snapshot.from_dict(again).to_dict())
        audit.audit(snap, draw.draw(st.sampled_from(['lpar', 'cpc', 'site'])),
                    draw.draw(st.integers(0, 3)))
        names = st.sampled_from([h.name for h in snap.hosts] + ['nowhere'])
        capacity.capacity(snap, draw.draw(st.dictionaries(names, names,
                                                          max_size=4)))
        flavors = snap.flavors + [i.flavor for i in snap.instances]
        if flavors:
            group = draw.draw(st.sampled_from([None] + snap.groups))
            explain.explain(snap, explain.Request(
                draw.draw(st.sampled_from(flavors)), group=group), CONF)
