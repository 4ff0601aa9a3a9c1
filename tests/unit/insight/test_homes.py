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

"""Unit tests of where instances came from (insight.homes)."""

import itertools

from oslotest import base

from tests.unit.insight import test_audit
from zha_scheduler.clients import nova_client
from zha_scheduler.insight import homes
from zha_scheduler.insight import snapshot
from zha_scheduler import model

_ids = itertools.count(1)


def mig(source, destination, status='completed',
        kind=nova_client.LIVE_MIGRATION, instance='i1'):
    """One migration record, each newer than the one made before."""
    n = next(_ids)
    return nova_client.Migration(
        id=str(n), status=status, source=source, destination=destination,
        created_at='2026-01-01T00:00:00.%06d' % n, kind=kind,
        instance=instance)


def evacuation(source, destination, instance='i1', status='done'):
    return mig(source, destination, status, nova_client.EVACUATION,
               instance)


class FakeNova:
    """The migration reads of NovaClient over a list, oldest first."""

    def __init__(self, *migrations):
        self.records = list(migrations)
        self.reads = []

    def migrations(self, instance_id, kind=None):
        self.reads.append(('migrations', instance_id))
        return [m for m in self.records if m.instance == instance_id and
                kind in (None, m.kind)]

    def migrations_from(self, host, status=None):
        self.reads.append(('migrations_from', host))
        return [m for m in self.records if m.source == host and
                status in (None, m.status)]


class HomeOfTest(base.BaseTestCase):

    def test_no_migration(self):
        self.assertIsNone(homes.home_of([], 'A'))

    def test_drained_away(self):
        self.assertEqual('A', homes.home_of([mig('A', 'B')], 'B'))

    def test_drain_then_failback(self):
        self.assertIsNone(homes.home_of([mig('A', 'B'), mig('B', 'A')],
                                        'A'))

    def test_moved_on_keeps_the_first_home(self):
        self.assertEqual('A', homes.home_of([mig('A', 'B'), mig('B', 'C')],
                                            'C'))

    def test_evacuation(self):
        self.assertEqual('A', homes.home_of([evacuation('A', 'S')], 'S'))

    def test_evacuated_then_drained_off_the_standby(self):
        self.assertEqual('A', homes.home_of(
            [evacuation('A', 'S'), mig('S', 'B')], 'B'))

    def test_cold_migration_finished_or_confirmed(self):
        for status in ('finished', 'confirmed'):
            self.assertEqual('A', homes.home_of(
                [mig('A', 'B', status, nova_client.COLD_MIGRATION)], 'B'))

    def test_failed_migrations_are_ignored(self):
        migrations = [mig('X', 'Y', 'error'), mig('A', 'B'),
                      mig('B', 'A', 'failed'), mig('B', 'A', 'cancelled'),
                      evacuation('B', 'A', status='error'),
                      mig('B', 'A', 'reverted', nova_client.COLD_MIGRATION)]
        self.assertEqual('A', homes.home_of(migrations, 'B'))

    def test_migrations_in_progress_are_ignored(self):
        self.assertIsNone(homes.home_of(
            [mig('A', 'B', 'running'), mig('A', 'B', 'queued')], 'A'))

    def test_current_host_is_home(self):
        # Moved back by a path the records do not show as one migration.
        self.assertIsNone(homes.home_of([mig('A', 'B')], 'A'))

    def test_left_again_after_coming_home(self):
        self.assertEqual('A', homes.home_of(
            [mig('A', 'B'), mig('B', 'A'), mig('A', 'C')], 'C'))
        self.assertEqual('C', homes.home_of(
            [mig('A', 'B'), mig('B', 'A'), mig('C', 'D')], 'D'))

    def test_unknown_current_host(self):
        self.assertEqual('A', homes.home_of([mig('A', 'B')], None))
        self.assertIsNone(homes.home_of([mig('A', 'B'), mig('B', 'A')],
                                        None))


class AwayFromTest(base.BaseTestCase):

    def nova(self):
        return FakeNova(
            # i1 left A and is still away.
            mig('A', 'B', instance='i1'),
            # i2 left A and came back.
            mig('A', 'C', instance='i2'), mig('C', 'A', instance='i2'),
            # i3 came to A from X, then left A: its home is X.
            mig('X', 'A', instance='i3'), mig('A', 'B', instance='i3'),
            # i4 never left A: its live migration failed.
            mig('A', 'B', 'error', instance='i4'),
            # i5 was evacuated off A, then drained off the standby.
            evacuation('A', 'S', instance='i5'),
            mig('S', 'B', instance='i5'),
            # i6 left Y.
            mig('Y', 'B', instance='i6'))

    def test_instances_whose_home_is_the_host(self):
        self.assertEqual({'i1': 'A', 'i5': 'A'},
                         homes.away_from(self.nova(), ['A']))

    def test_several_hosts(self):
        self.assertEqual({'i1': 'A', 'i3': 'X', 'i5': 'A', 'i6': 'Y'},
                         homes.away_from(self.nova(), ['A', 'X', 'Y']))

    def test_nothing_left_the_host(self):
        self.assertEqual({}, homes.away_from(self.nova(), ['B']))

    def test_reads_per_host_then_per_instance_found(self):
        nova = self.nova()
        homes.away_from(nova, ['A'])
        self.assertEqual(
            [('migrations_from', 'A'), ('migrations', 'i1'),
             ('migrations', 'i2'), ('migrations', 'i3'),
             ('migrations', 'i5')], nova.reads)


def instance(uuid, on, name=None):
    return model.Instance(uuid, name or 'vm-' + uuid, on, on, 'ACTIVE',
                          test_audit.FLAVOR)


class FailbackDueTest(base.BaseTestCase):

    STANDBY = 'cpc3-standby'

    def due(self, instances, nova, **changes):
        snap = snapshot.Snapshot(test_audit.cloud(**changes), instances)
        return homes.failback_due(nova, snap)

    def test_evacuated_instance_whose_home_is_healthy(self):
        found = self.due(
            [instance('i1', self.STANDBY)],
            FakeNova(evacuation('cpc1-lpar1', self.STANDBY)))
        self.assertEqual([homes.FailbackDue('i1', 'vm-i1', self.STANDBY,
                                            'cpc1-lpar1')], found)

    def test_home_still_disabled_is_due(self):
        disabled = test_audit.host('cpc1-lpar1', 'Z1', 'DC1', disabled=True,
                                   reason='zha-evacuate: fenced')
        found = self.due(
            [instance('i1', self.STANDBY)],
            FakeNova(evacuation('cpc1-lpar1', self.STANDBY)),
            **{'cpc1-lpar1': disabled})
        self.assertEqual(['i1'], [d.instance for d in found])

    def test_home_down_or_degraded_is_not_due(self):
        for home in (test_audit.host('cpc1-lpar1', 'Z1', 'DC1', up=False),
                     test_audit.host('cpc1-lpar1', 'Z1', 'DC1',
                                     degraded=True)):
            found = self.due(
                [instance('i1', self.STANDBY)],
                FakeNova(evacuation('cpc1-lpar1', self.STANDBY)),
                **{'cpc1-lpar1': home})
            self.assertEqual([], found)

    def test_only_instances_on_standby_hosts(self):
        found = self.due(
            [instance('i1', 'cpc2-lpar1')],
            FakeNova(mig('cpc1-lpar1', 'cpc2-lpar1')))
        self.assertEqual([], found)

    def test_home_unknown_to_the_snapshot(self):
        found = self.due([instance('i1', self.STANDBY)],
                         FakeNova(evacuation('gone', self.STANDBY)))
        self.assertEqual([], found)

    def test_never_moved_or_unplaced(self):
        shelved = instance('i2', self.STANDBY)
        shelved.status = 'SHELVED_OFFLOADED'
        found = self.due(
            [instance('i1', self.STANDBY), shelved],
            FakeNova(evacuation('cpc1-lpar1', self.STANDBY,
                                instance='i2')))
        self.assertEqual([], found)

    def test_sorted_by_home_then_name(self):
        nova = FakeNova(
            evacuation('cpc2-lpar1', self.STANDBY, instance='i1'),
            evacuation('cpc1-lpar1', self.STANDBY, instance='i2'),
            evacuation('cpc1-lpar1', self.STANDBY, instance='i3'))
        found = self.due([instance('i1', self.STANDBY, 'a'),
                          instance('i2', self.STANDBY, 'z'),
                          instance('i3', self.STANDBY, 'b')], nova)
        self.assertEqual([('cpc1-lpar1', 'b'), ('cpc1-lpar1', 'z'),
                          ('cpc2-lpar1', 'a')],
                         [(d.home, d.name) for d in found])
