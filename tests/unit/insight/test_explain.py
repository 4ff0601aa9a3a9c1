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

"""Unit tests of explain:
Nova's pipeline replayed over a hand-built snapshot.
"""

import gc
import logging
from unittest import mock
import uuid

import nova.conf
from nova import test

from zha_scheduler.cmd.commands import explain as explain_cmd
from zha_scheduler.insight import explain
from zha_scheduler.insight import hoststates
from zha_scheduler.insight import pipeline
from zha_scheduler.insight import snapshot
from zha_scheduler.insight import sources
from zha_scheduler import members
from zha_scheduler import model
from zha_scheduler import placement
from zha_scheduler.sim import nova_conf
from zha_scheduler import traits

CONF = nova.conf.CONF
HA = model.Flavor('ha', vcpus=2, ram=2048, disk=10, id='1',
                     extra_specs={'zha:redundancy': 'required'})
PLAIN = model.Flavor('plain', vcpus=2, ram=2048, disk=10, id='2')


def node_uuid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, name))


def host(name, cpc, ram_used=0, degraded=False, standby=False, disabled=False,
         ram=16384):
    names = [traits.cpc_trait(cpc), traits.STORAGE_REDUNDANT,
             traits.NET_DEGRADED if degraded else traits.NET_REDUNDANT]
    if standby:
        names.append(traits.STANDBY)
    return model.Host(
        name, name, node_uuid(name), traits=names,
        inventories={'VCPU': model.Inventory(16, allocation_ratio=4.0),
                     'MEMORY_MB': model.Inventory(ram, reserved=512),
                     'DISK_GB': model.Inventory(500)},
        usages={'MEMORY_MB': ram_used}, service_disabled=disabled,
        disabled_reason='maintenance' if disabled else None)


def cloud(members_on=('cpc1-lpar1',)):
    hosts = [host('cpc1-lpar1', 'Z1'), host('cpc1-lpar2', 'Z1'),
             host('cpc2-lpar1', 'Z2', ram_used=4096), host('cpc2-lpar2', 'Z2'),
             host('cpc3-lpar1', 'Z3', degraded=True),
             host('cpc3-standby', 'Z3', standby=True),
             host('cpc4-lpar1', 'Z4', disabled=True),
             host('cpc5-lpar1', 'Z5', ram=2048)]
    instances = [model.Instance(node_uuid('m%d' % i), 'db-%d' % i, h, h,
                                'ACTIVE', PLAIN)
                 for i, h in enumerate(members_on)]
    group = model.Group(node_uuid('g'), 'db', 'anti-affinity',
                        [i.uuid for i in instances])
    return snapshot.Snapshot(hosts, instances, [group], [HA, PLAIN])


class ExplainTest(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        nova_conf.apply_file(nova_conf.snippet_path(), self.flags)
        self.addCleanup(placement.reset_view)

    def explain(self, flavor=HA, group=True, snap=None, **kwargs):
        snap = snap or cloud()
        return explain.explain(snap, explain.Request(
            flavor, group=snap.groups[0] if group else None, **kwargs), CONF)

    def verdicts(self, result):
        return {h.host: (h.rejected_by, h.rank) for h in result.hosts}

    def test_every_host_has_its_verdict(self):
        result = self.explain()
        self.assertEqual({
            'cpc1-lpar1': ('ServerGroupAntiAffinityFilter', None),
            'cpc1-lpar2': ('ZhaFailureDomainFilter', None),
            'cpc2-lpar1': (None, 2),
            'cpc2-lpar2': (None, 1),
            'cpc3-lpar1': ('ZhaRedundancyFilter', None),
            'cpc3-standby': ('ZhaStandbyFilter', None),
            'cpc4-lpar1': ('Placement', None),
            'cpc5-lpar1': ('Placement', None),
        }, self.verdicts(result))
        self.assertEqual('cpc2-lpar2', result.chosen)
        self.assertEqual(['cpc2-lpar2', 'cpc2-lpar1'],
                         [h.host for h in result.hosts[:2]])

    def test_reasons_are_the_filters_own_words(self):
        reasons = {h.host: h.reason for h in self.explain().hosts}
        self.assertIn('cpc Z1 already holds 1 members', reasons['cpc1-lpar2'])
        self.assertIn('network degraded', reasons['cpc3-lpar1'])
        # HostState repr replaced
        self.assertNotIn('ram:', reasons['cpc3-lpar1'])
        self.assertIn('standby', reasons['cpc3-standby'])
        self.assertEqual('compute service is disabled (maintenance)',
                         reasons['cpc4-lpar1'])
        self.assertEqual('not enough MEMORY_MB (2048 requested, 1536 free)',
                         reasons['cpc5-lpar1'])

    def test_weights_per_weigher_add_up(self):
        result = self.explain()
        for verdict in result.hosts[:2]:
            self.assertAlmostEqual(verdict.weight,
                                   sum(verdict.weights.values()))
            self.assertIn('ZhaRedundancyWeigher', verdict.weights)
        self.assertGreater(result.hosts[0].weights['RAMWeigher'],
                           result.hosts[1].weights['RAMWeigher'])

    def test_host_states_only_for_what_placement_returns(self):
        built = []
        real = hoststates.host_state

        def counting(host, *args):
            built.append(host.name)
            return real(host, *args)
        with mock.patch.object(hoststates, 'host_state', counting):
            result = self.explain()
        self.assertEqual(6, len(built))
        self.assertNotIn('cpc4-lpar1', built)     # its service is disabled
        self.assertEqual(8, len(result.hosts))
        self.assertTrue(gc.isenabled())

    def test_steps_count_hosts_left(self):
        steps = [(s['step'], s['end']) for s in self.explain().steps]
        self.assertEqual(('Placement', 6), steps[0])
        self.assertEqual(('ZhaFailureDomainFilter', 2), steps[-1])

    def test_no_valid_host(self):
        snap = cloud(members_on=('cpc2-lpar1', 'cpc1-lpar1'))
        result = self.explain(snap=snap,
                              hints={'zha_consistency_group': 'NOWHERE'})
        self.assertIsNone(result.chosen)
        self.assertEqual([], [h for h in result.hosts if h.rank])

    def test_without_group_the_degraded_host_is_last_for_a_plain_flavor(self):
        result = self.explain(flavor=PLAIN, group=False)
        ranked = [h.host for h in result.hosts if h.rank]
        self.assertEqual('cpc3-lpar1', ranked[-1])

    def test_hint_changes_the_spread_level(self):
        result = self.explain(hints={'zha_spread_domain': 'lpar'})
        self.assertIsNone(self.verdicts(result)['cpc1-lpar2'][0])
        self.assertEqual({'zha_spread_domain': 'lpar'},
                         result.request['hints'])

    def test_the_scheduler_view_is_restored(self):
        view = placement.TopologyView()
        placement.set_view(view)
        locator = members.get_locator()
        self.explain()
        self.assertIs(view, placement.get_view())
        self.assertIs(locator, members.get_locator())

    def test_unloadable_filter_is_a_pipeline_error(self):
        self.flags(enabled_filters=['ComputeFilter', 'NoSuchFilter'],
                   group='filter_scheduler')
        error = self.assertRaises(pipeline.PipelineError, self.explain)
        self.assertIn('NoSuchFilter', str(error))

    def test_table_names_the_choice(self):
        text = explain_cmd.render(self.explain(), CONF)
        self.assertIn('Nova would choose cpc2-lpar2.', text)
        self.assertIn('ZhaRedundancyFilter: cpc3-lpar1 fails redundancy check',
                      text)

    def test_weights_and_order_are_novas(self):
        from nova.scheduler import weights

        snap = cloud()
        loaded = pipeline.load(CONF)
        states = hoststates.host_states(snap)
        with sources.replay(snap):
            spec = explain.request_spec(explain.Request(
                HA, group=snap.groups[0]), snap)
            ranked = explain._weigh(loaded.weighers, states, spec)
            handled = weights.HostWeightHandler().get_weighed_objects(
                loaded.weighers, states, spec)
        self.assertEqual([(w.obj.host, w.weight) for w in handled],
                         [(s.host, weight) for s, weight, _ in ranked])
        self.assertEqual(len(loaded.weighers), len(ranked[0][2]))

    def test_plain_reasons_capture_warnings_only(self):
        seen = explain._Records()
        root = logging.getLogger()
        root.addHandler(seen)
        self.addCleanup(root.removeHandler, seen)
        log = logging.getLogger('nova.scheduler.filters.affinity_filter')
        with explain._capture(logging.WARNING) as captured:
            log.debug('checked %s', 'host')
            log.warning('odd %s', 'host')
            self.assertEqual([], seen.records)
        self.assertEqual(['odd host'],
                         [r.getMessage() for r in captured.records])
        # Passed on once the filter is done.
        self.assertEqual(['odd host'], [r.getMessage() for r in seen.records])
