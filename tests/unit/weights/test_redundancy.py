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

"""Unit tests for zha_scheduler.weights.redundancy."""

import threading
from unittest import mock

from nova import objects
from nova.scheduler import weights as nova_weights
from nova.scheduler.weights import cpu
from nova.scheduler.weights import ram
from nova import test

from tests.unit import zha_fakes
from zha_scheduler import traits
from zha_scheduler.weights import redundancy

LOGGER = 'zha_scheduler.weights.redundancy'
NET_R, NET_D = traits.NET_REDUNDANT, traits.NET_DEGRADED
STO_R, STO_D = traits.STORAGE_REDUNDANT, traits.STORAGE_DEGRADED


def spec_for(extra_specs=None):
    """A RequestSpec whose flavor carries ``extra_specs``."""
    return objects.RequestSpec(
        instance_uuid=zha_fakes.instance_uuid('new'),
        flavor=objects.Flavor(extra_specs=dict(extra_specs or {})),
        scheduler_hints={}, num_instances=1)


def _aggregate(value):
    return objects.Aggregate(id=1, name='agg1', hosts=[],
                             metadata={'redundancy_weight_multiplier': value})


class ZhaRedundancyWeigherTest(test.NoDBTestCase):
    """Hosts named by network and storage state: r(edundant), d(egraded),
    u(nmonitored); uu has no ZHA trait at all.
    """

    def setUp(self):
        super().setUp()
        self.weigher = redundancy.ZhaRedundancyWeigher()
        self.handler = nova_weights.HostWeightHandler()
        self.cloud = zha_fakes.Cloud()
        for host, found in (('dd', [NET_D, STO_D]), ('ud', [STO_D]),
                            ('rd', [NET_R, STO_D]), ('uu', []),
                            ('ru', [NET_R]), ('rr', [NET_R, STO_R])):
            self.cloud.add(host, cpc='Z1' if found else None,
                           extra_traits=found, node=host + '.node',
                           free_ram_mb=4096, vcpus_total=8, vcpus_used=0,
                           cpu_allocation_ratio=1.0)
        self.client = self.cloud.client()
        self.zha = self.useFixture(zha_fakes.ZhaFixture(self.client))

    def _weigh(self, spec=None, hosts=None, weighers=None):
        hosts = self.cloud.hosts if hosts is None else hosts
        weighed = self.handler.get_weighed_objects(
            weighers or [self.weigher], hosts, spec or spec_for())
        return [(w.obj.host, round(w.weight, 6)) for w in weighed]

    def test_redundant_then_unmonitored_then_degraded(self):
        self.assertEqual(
            [('rr', 1.0), ('ru', 0.875), ('uu', 0.75), ('rd', 0.5),
             ('ud', 0.375), ('dd', 0.0)],
            self._weigh())

    def test_unmonitored_ranks_as_degraded_with_reject(self):
        self.flags(unmonitored_hosts='reject', group='zha_scheduler')
        weights = dict(self._weigh())
        self.assertEqual(
            {'rr': 1.0, 'ru': 0.5, 'rd': 0.5, 'uu': 0.0, 'ud': 0.0,
             'dd': 0.0}, weights)

    def test_one_degraded_subsystem_ranks_above_two(self):
        hosts = [self.cloud[h] for h in ('dd', 'rd')]
        self.assertEqual([('rd', 1.0), ('dd', 0.0)], self._weigh(hosts=hosts))

    def test_hosts_without_traits_weigh_the_same(self):
        other = zha_fakes.Cloud()
        hosts = [other.add('x%d' % i) for i in range(3)]
        self.assertEqual([0.0, 0.0, 0.0],
                         [w for _, w in self._weigh(hosts=hosts)])

    def test_zero_multiplier_skips_the_work(self):
        self.flags(redundancy_weight_multiplier=0.0, group='zha_scheduler')
        self.assertEqual({0.0}, {w for _, w in self._weigh()})
        self.assertEqual([], self.client.calls)

    def test_configured_multiplier(self):
        self.flags(redundancy_weight_multiplier=2.5, group='zha_scheduler')
        self.assertEqual(('rr', 2.5), self._weigh()[0])

    def test_aggregate_overrides_the_multiplier(self):
        self.cloud['rr'].aggregates = [_aggregate('3.0')]
        self.assertEqual(3.0, self.weigher.weight_multiplier(self.cloud['rr']))
        self.assertEqual(1.0, self.weigher.weight_multiplier(self.cloud['ru']))

    def test_invalid_aggregate_value_uses_the_option(self):
        self.cloud['rr'].aggregates = [_aggregate('lots')]
        self.assertEqual(1.0, self.weigher.weight_multiplier(self.cloud['rr']))

    def test_redundancy_flavors_multiply_the_multiplier(self):
        for value, factor in (('preferred', 10.0), ('required', 10.0),
                              ('nonsense', 1.0), (None, 1.0)):
            extra = {} if value is None else {'zha:redundancy': value}
            self.weigher.weigh_objects(
                [nova_weights.WeighedHost(self.cloud['rr'], 0.0)],
                spec_for(extra))
            self.assertEqual(
                factor, self.weigher.weight_multiplier(self.cloud['rr']),
                value)

    def test_require_redundancy_option_and_the_factor(self):
        for mode, extra, factor in (
                ('always', {}, 10.0),
                ('never', {'zha:redundancy': 'required'}, 10.0),
                ('flavor', {}, 1.0)):
            self.flags(require_redundancy=mode, group='zha_scheduler')
            self.weigher.weigh_objects(
                [nova_weights.WeighedHost(self.cloud['rr'], 0.0)],
                spec_for(extra))
            self.assertEqual(
                factor, self.weigher.weight_multiplier(self.cloud['rr']),
                mode)

    def test_preferred_outweighs_novas_capacity_weighers(self):
        rr, rd = self.cloud['rr'], self.cloud['rd']
        rr.free_ram_mb, rr.vcpus_used = 1024, 4
        weighers = [self.weigher, ram.RAMWeigher(), cpu.CPUWeigher()]
        ordinary = self._weigh(spec_for(), [rr, rd], weighers)
        self.assertEqual(['rd', 'rr'], [h for h, _ in ordinary])
        preferred = self._weigh(spec_for({'zha:redundancy': 'preferred'}),
                                [rr, rd], weighers)
        self.assertEqual(['rr', 'rd'], [h for h, _ in preferred])

    def test_request_factor_is_kept_per_thread(self):
        self.weigher.weigh_objects(
            [nova_weights.WeighedHost(self.cloud['rr'], 0.0)],
            spec_for({'zha:redundancy': 'preferred'}))
        seen = []
        thread = threading.Thread(target=lambda: seen.append(
            self.weigher.weight_multiplier(self.cloud['rr'])))
        thread.start()
        thread.join()
        self.assertEqual([1.0], seen)
        self.assertEqual(10.0,
                         self.weigher.weight_multiplier(self.cloud['rr']))

    def test_weigh_object_scores_one_host(self):
        self.assertEqual(2.0, self.weigher._weigh_object(self.cloud['rr'],
                                                         spec_for()))
        self.assertEqual(1.0, self.weigher._weigh_object(self.cloud['rd'],
                                                         spec_for()))

    def test_failing_view_gives_equal_weights_and_logs_exception(self):
        view = mock.Mock()
        view.get.side_effect = RuntimeError('view exploded')
        self.zha.get_view.return_value = view
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            weighed = self._weigh(spec_for({'zha:redundancy': 'preferred'}))
        self.assertEqual({0.0}, {w for _, w in weighed})
        self.assertIn('ZhaRedundancyWeigher could not evaluate the request',
                      logs.records[0].getMessage())
        self.assertIsNotNone(logs.records[0].exc_info)
        self.assertEqual(1.0, self.weigher.weight_multiplier(self.cloud['rr']))
