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

"""Unit tests for zha_scheduler.weights.failure_domain."""

from unittest import mock

from nova import objects
from nova.scheduler import weights as nova_weights
from nova import test

from tests.unit import zha_fakes
from zha_scheduler.weights import base
from zha_scheduler.weights import failure_domain

LOGGER = 'zha_scheduler.weights.failure_domain'


def _aggregate(value, agg_id=1):
    return objects.Aggregate(
        id=agg_id, name='agg%d' % agg_id, hosts=[],
        metadata={'failure_domain_weight_multiplier': value})


class ZhaFailureDomainWeigherTest(test.NoDBTestCase):
    """Cloud: CPC A (a1, a2), B (b1, b2), C (c1), u1 without traits."""

    def setUp(self):
        super().setUp()
        self.weigher = failure_domain.ZhaFailureDomainWeigher()
        self.handler = nova_weights.HostWeightHandler()
        self.cloud = zha_fakes.standard_cloud()
        self.client = self.cloud.client()
        self.reader = zha_fakes.RecordingReader()
        self.zha = self.useFixture(
            zha_fakes.ZhaFixture(self.client, self.reader))

    def _spec(self, policy='soft-anti-affinity', hints=None, placed=()):
        """``placed``: (member name, host) pairs, as the cell DB has them."""
        self.reader.placed = [self.cloud.member(n, h) for n, h in placed]
        return zha_fakes.request_spec(
            policy=policy, group_hosts=sorted({h for _, h in placed}),
            member_names=[n for n, _ in placed] + ['new'],
            hints={k: [v] for k, v in (hints or {}).items()})

    def _weigh(self, spec, hosts=None):
        hosts = self.cloud.hosts if hosts is None else hosts
        weighed = self.handler.get_weighed_objects(
            [self.weigher], hosts, spec)
        return [(w.obj.host, round(w.weight, 6)) for w in weighed]

    def test_least_loaded_domain_then_least_loaded_host(self):
        spec = self._spec(placed=[('m1', 'a1'), ('m2', 'a1'), ('m3', 'b1')])
        hosts = [self.cloud[h] for h in ('a1', 'a2', 'b1', 'b2', 'c1')]
        self.assertEqual(
            [('c1', 1.0), ('b2', 0.625), ('b1', 0.5), ('a2', 0.25),
             ('a1', 0.0)],
            self._weigh(spec, hosts))

    def test_host_order_does_not_change_the_ranking(self):
        spec = self._spec(placed=[('m1', 'a1'), ('m2', 'a1'), ('m3', 'b1')])
        hosts = [self.cloud[h] for h in ('c1', 'a1', 'b1', 'a2', 'b2')]
        self.assertEqual(['c1', 'b2', 'b1', 'a2', 'a1'],
                         [h for h, _ in self._weigh(spec, hosts)])

    def test_domain_load_outweighs_host_load(self):
        spec = self._spec(placed=[('m1', 'a1'), ('m2', 'a1'), ('m3', 'a1'),
                                  ('m4', 'b1'), ('m5', 'b2')])
        hosts = [self.cloud[h] for h in ('a1', 'a2', 'b1', 'b2')]
        self.assertEqual(['b1', 'b2', 'a2', 'a1'],
                         [h for h, _ in self._weigh(spec, hosts)])

    def test_unknown_domain_host_weighs_by_its_own_members(self):
        spec = self._spec(placed=[('m1', 'u1'), ('m2', 'a1')])
        hosts = [self.cloud[h] for h in ('u1', 'a1', 'a2', 'c1')]
        self.assertEqual(
            [('c1', 1.0), ('a2', round(1 / 3, 6)), ('u1', 0.0), ('a1', 0.0)],
            self._weigh(spec, hosts))

    def test_hosts_without_known_domain_are_left_to_stock_nova(self):
        self.cloud.add('u2', node='u2.node')
        spec = self._spec(placed=[('m1', 'u1'), ('m2', 'u1')])
        hosts = [self.cloud['u1'], self.cloud['u2']]
        self.assertEqual([0.0, 0.0], self.weigher.weigh_objects(
            [nova_weights.WeighedHost(h, 0.0) for h in hosts], spec))
        # With one known domain among them, u1's members count.
        hosts.append(self.cloud['c1'])
        self.assertEqual([-8.0, 0.0, 0.0], self.weigher.weigh_objects(
            [nova_weights.WeighedHost(h, 0.0) for h in hosts], spec))

    def test_anti_affinity_is_weighed(self):
        spec = self._spec(policy='anti-affinity', placed=[('m1', 'a1')])
        hosts = [self.cloud[h] for h in ('a2', 'b1')]
        self.assertEqual([('b1', 1.0), ('a2', 0.0)], self._weigh(spec, hosts))

    def test_hosts_picked_earlier_in_the_request_are_counted(self):
        spec = zha_fakes.request_spec(
            policy='soft-anti-affinity', group_hosts=['a1', 'b1'],
            member_names=['new', 'new2', 'new3'], instance='new3')
        hosts = [self.cloud[h] for h in ('a1', 'a2', 'b1', 'c1')]
        self.assertEqual(
            [('c1', 1.0), ('a2', 0.333333), ('a1', 0.0), ('b1', 0.0)],
            self._weigh(spec, hosts))

    def test_other_policies_weigh_all_hosts_equal(self):
        for policy in ('affinity', 'soft-affinity', None):
            spec = self._spec(policy=policy, placed=[('m1', 'a1')])
            self.assertEqual(
                [('a1', 0.0), ('a2', 0.0), ('b1', 0.0), ('b2', 0.0),
                 ('c1', 0.0), ('u1', 0.0)],
                self._weigh(spec), policy)
        self.assertEqual([], self.reader.calls)
        self.assertEqual([], self.client.calls)

    def test_site_level_hint(self):
        spec = self._spec(hints={'zha_spread_domain': 'site'},
                          placed=[('m1', 'a1')])
        hosts = [self.cloud[h] for h in ('a2', 'b1', 'c1')]
        self.assertEqual([('c1', 1.0), ('a2', 0.0), ('b1', 0.0)],
                         self._weigh(spec, hosts))

    def test_lpar_level_hint(self):
        spec = self._spec(hints={'zha_spread_domain': 'lpar'},
                          placed=[('m1', 'a1'), ('m2', 'a1'), ('m3', 'b1')])
        hosts = [self.cloud[h] for h in ('a1', 'b1', 'a2')]
        self.assertEqual([('a2', 1.0), ('b1', 0.5), ('a1', 0.0)],
                         self._weigh(spec, hosts))

    def test_multiplier_zero_skips_work(self):
        self.flags(failure_domain_weight_multiplier=0.0,
                   group='zha_scheduler')
        self.zha.locator.locations = mock.Mock()
        spec = self._spec(placed=[('m1', 'a1')])
        weighed = self._weigh(spec)
        self.assertEqual({0.0}, {w for _, w in weighed})
        self.zha.locator.locations.assert_not_called()
        self.assertEqual([], self.reader.calls)
        self.assertEqual([], self.client.calls)

    def test_weight_multiplier_from_config(self):
        self.flags(failure_domain_weight_multiplier=3.0,
                   group='zha_scheduler')
        self.assertEqual(3.0, self.weigher.weight_multiplier(self.cloud['a1']))
        spec = self._spec(placed=[('m1', 'a1')])
        self.assertEqual(('b1', 3.0),
                         self._weigh(spec, [self.cloud['a1'],
                                            self.cloud['b1']])[0])

    def test_weight_multiplier_from_aggregate(self):
        host = self.cloud['a1']
        self.assertEqual(1.0, self.weigher.weight_multiplier(host))
        host.aggregates = [_aggregate('2')]
        self.assertEqual(2.0, self.weigher.weight_multiplier(host))
        host.aggregates = [_aggregate('2'), _aggregate('1.5', 2)]
        self.assertEqual(1.5, self.weigher.weight_multiplier(host))

    def test_multiplier_read_once_per_request(self):
        # Nova asks for it once per host: only a host in an aggregate may
        # differ from the option, read once in weigh_objects.
        self.cloud['b1'].aggregates = [_aggregate('2')]
        spec = self._spec(placed=[('m1', 'a1')])
        hosts = [self.cloud[h] for h in ('a1', 'b1', 'c1')]
        with mock.patch.object(base.scheduler_utils, 'get_weight_multiplier',
                               wraps=base.scheduler_utils.
                               get_weight_multiplier) as read:
            self.assertEqual([('b1', 2.0), ('c1', 1.0), ('a1', 0.0)],
                             self._weigh(spec, hosts))
        read.assert_called_once_with(self.cloud['b1'],
                                     'failure_domain_weight_multiplier', 1.0)

    def test_invalid_aggregate_multiplier_uses_config(self):
        host = self.cloud['a1']
        host.aggregates = [_aggregate('lots')]
        self.assertEqual(1.0, self.weigher.weight_multiplier(host))

    def test_aggregate_multiplier_scales_the_weights(self):
        for host in self.cloud.hosts:
            host.aggregates = [_aggregate('2.5')]
        spec = self._spec(placed=[('m1', 'a1')])
        self.assertEqual([('b1', 2.5), ('a1', 0.0)],
                         self._weigh(spec, [self.cloud['a1'],
                                            self.cloud['b1']]))

    def test_negative_aggregate_multiplier_on_one_host(self):
        self.cloud['c1'].aggregates = [_aggregate('-1')]
        spec = self._spec(placed=[('m1', 'a1')])
        hosts = [self.cloud[h] for h in ('a1', 'b1', 'c1')]
        self.assertEqual([('b1', 1.0), ('a1', 0.0), ('c1', -1.0)],
                         self._weigh(spec, hosts))

    def test_weigh_object_alone(self):
        spec = self._spec(placed=[('m1', 'a1')])
        self.assertEqual(-3.0, self.weigher._weigh_object(self.cloud['a1'],
                                                          spec))
        self.assertEqual(0.0, self.weigher._weigh_object(self.cloud['b1'],
                                                         spec))

    def test_failure_gives_equal_weights_and_logs_exception(self):
        view = mock.Mock()
        view.get.side_effect = RuntimeError('view exploded')
        self.zha.get_view.return_value = view
        spec = self._spec(placed=[('m1', 'a1')])
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            weights = self.weigher.weigh_objects(
                [nova_weights.WeighedHost(h, 0.0) for h in self.cloud.hosts],
                spec)
        self.assertEqual([0.0] * 6, weights)
        self.assertEqual(1, len(logs.records))
        self.assertIn('view exploded', str(logs.records[0].exc_info[1]))

    def test_view_and_members_read_once_per_request(self):
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        spec = self._spec(placed=[('m1', 'a1')])
        self._weigh(spec)
        self._weigh(spec)
        # The listing, the ZHA traits and one call per trait, once.
        self.assertEqual(7, len(self.client.calls))
        self.assertEqual(1, len(self.reader.calls))
