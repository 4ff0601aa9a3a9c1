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

"""Unit tests for zha_scheduler.filters.standby."""

from unittest import mock

from nova import objects
from nova.scheduler import filters as nova_filters

from tests.unit import zha_fakes
from zha_scheduler.filters import standby
from zha_scheduler import traits

LOGGER = 'zha_scheduler.filters'
EVERY_HOST = ['a1', 'a2', 's1', 's2', 'u1']


def spec_for(destination=None, hints=None, instance='new'):
    """A RequestSpec, naming ``destination`` (an objects.Destination)."""
    spec = objects.RequestSpec(
        instance_uuid=zha_fakes.instance_uuid(instance),
        flavor=objects.Flavor(extra_specs={}),
        scheduler_hints={k: [v] for k, v in (hints or {}).items()},
        num_instances=1)
    if destination is not None:
        spec.requested_destination = destination
    return spec


class ZhaStandbyFilterTest(zha_fakes.HealthFilterCase):
    """a1, a2: ordinary hosts; s1, s2: standby hosts; u1: no ZHA trait."""

    def setUp(self):
        super().setUp()
        self.filt = standby.ZhaStandbyFilter()
        self.cloud = zha_fakes.Cloud()
        for host in ('a1', 'a2'):
            self.cloud.add(host, cpc='Z1', node=host + '.node')
        for host in ('s1', 's2'):
            self.cloud.add(host, cpc='Z2', extra_traits=[traits.STANDBY],
                           node=host + '.node')
        self.cloud.add('u1', node='u1.node')
        self.client = self.cloud.client()
        self.zha = self.useFixture(zha_fakes.ZhaFixture(self.client))

    def _on(self, *hosts):
        return [self.cloud[h] for h in hosts]

    def test_ordinary_boot_never_lands_on_standby(self):
        self.assertEqual(['a1', 'a2', 'u1'], self._passing(spec_for()))

    def test_request_naming_a_standby_host_passes_it(self):
        # An evacuation or a boot with a host: Nova filters only that host.
        spec = spec_for(objects.Destination(host='s1', node='s1.node'))
        self.assertEqual(['s1'], self._passing(spec, self._on('s1')))

    def test_request_naming_another_host_keeps_standby_closed(self):
        spec = spec_for(objects.Destination(host='s1'))
        self.assertEqual(['a1'], self._passing(spec, self._on('s2', 'a1')))

    def test_destination_without_host_is_not_a_named_request(self):
        # The conductor sets requested_destination.cell for every migration
        # and the API allow_cross_cell_move for a resize.
        for destination in (objects.Destination(cell=objects.CellMapping()),
                            objects.Destination(allow_cross_cell_move=False),
                            objects.Destination(host='')):
            self.assertEqual(['a1', 'a2', 'u1'],
                             self._passing(spec_for(destination)))

    def test_instance_on_standby_can_leave(self):
        # A cold migration or resize of an instance recovered onto s1: Nova
        # leaves s1 out (or, with allow_resize_to_same_host, offers it too).
        spec = spec_for(objects.Destination(cell=objects.CellMapping()),
                        instance='recovered')
        self.cloud['s1'].instances[spec.instance_uuid] = objects.Instance(
            uuid=spec.instance_uuid)
        self.assertEqual(['a1', 'a2'],
                         self._passing(spec, self._on('a1', 'a2', 's2')))
        self.assertEqual(['a1', 'a2'],
                         self._passing(spec, self._on('a1', 'a2', 's1')))

    def test_move_naming_the_standby_host_passes(self):
        spec = spec_for(objects.Destination(host='s2'), instance='moving')
        self.assertEqual(['s2'], self._passing(spec, self._on('s2')))

    def test_rebuild_passes_without_reading(self):
        spec = spec_for(hints={'_nova_check_type': 'rebuild'})
        self.assertEqual(EVERY_HOST, self._passing(spec))
        self.assertEqual([], self.client.calls)

    def test_cloud_without_standby_hosts_passes_all(self):
        hosts = self._on('a1', 'a2', 'u1')
        self.assertEqual(['a1', 'a2', 'u1'], self._passing(spec_for(), hosts))

    def test_host_passes(self):
        self.assertFalse(self.filt.host_passes(self.cloud['s1'], spec_for()))
        self.assertTrue(self.filt.host_passes(self.cloud['a1'], spec_for()))
        self.assertTrue(self.filt.host_passes(
            self.cloud['s1'], spec_for(objects.Destination(host='s1'))))

    def test_runs_once_per_request_in_novas_handler(self):
        handler = nova_filters.HostFilterHandler()
        passing = handler.get_filtered_objects(
            [self.filt], self.cloud.hosts, spec_for(), index=0)
        self.assertEqual(['a1', 'a2', 'u1'], [h.host for h in passing])

    def test_rejection_logged_at_debug(self):
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            self._passing(spec_for())
        rejected = [r for r in logs.records
                    if 'fails standby check' in r.getMessage()]
        self.assertEqual(2, len(rejected))
        self.assertEqual({'DEBUG'}, {r.levelname for r in rejected})
        self.assertTrue(rejected[0].getMessage().startswith('(s1, s1.node) '))
        self.assertIn('it is a standby host kept free for recovery and the '
                      'request does not name it.', rejected[0].getMessage())
        self.assertEqual([], [r for r in logs.records if r.levelno > 10])

    def test_only_standby_hosts_left_is_explained_at_info(self):
        with self.assertLogs(LOGGER, 'INFO') as logs:
            self.assertEqual([], self._passing(spec_for(),
                                               self._on('s1', 's2')))
        self.assertEqual(1, len(logs.records))
        self.assertIn('ZhaStandbyFilter rejected all 2 hosts for instance %s: '
                      'they are standby hosts (CUSTOM_ZHA_STANDBY)'
                      % zha_fakes.instance_uuid('new'),
                      logs.records[0].getMessage())

    def test_failing_view_passes_every_host_and_logs_exception(self):
        view = mock.Mock()
        view.get.side_effect = RuntimeError('view exploded')
        self.zha.get_view.return_value = view
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            self.assertEqual(EVERY_HOST, self._passing(spec_for()))
        self.assertIn('ZhaStandbyFilter could not evaluate the request; '
                      'passing all 5 hosts.', logs.records[0].getMessage())
