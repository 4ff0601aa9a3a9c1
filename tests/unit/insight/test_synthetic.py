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

"""Unit tests of the synthetic snapshots used for scale tests."""

import collections
import json
import re
from unittest import mock

from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslotest import base

from zha_scheduler.insight import snapshot
from zha_scheduler.insight import synthetic
from zha_scheduler import model
from zha_scheduler import traits


def small(**kwargs):
    args = dict(hosts=200, instances=2000, cpcs=10, sites=2)
    args.update(kwargs)
    return synthetic.synthetic(**args)


class SyntheticTest(base.BaseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.snap = small()
        cls.hosts = cls.snap.host_named()

    def cpc_of(self, host_name):
        return self.snap.profile(self.hosts[host_name]).cpc

    def test_default_size(self):
        snap = synthetic.synthetic()
        self.assertEqual((5000, 50000), (len(snap.hosts), len(snap.instances)))
        profiles = [snap.profile(h) for h in snap.hosts]
        self.assertEqual(50, len({p.cpc for p in profiles}))
        self.assertEqual({'DC1', 'DC2'}, {p.site for p in profiles})
        standbys = collections.Counter(p.cpc for p in profiles if p.standby)
        self.assertEqual((50, {1}), (len(standbys), set(standbys.values())))

    def test_hosts_names_and_traits(self):
        for host in self.snap.hosts:
            self.assertRegex(host.name, r'^cpc\d\d-lpar\d\d\d$')
        profiles = [self.snap.profile(h) for h in self.snap.hosts]
        self.assertEqual(10, len({p.cpc for p in profiles}))
        # Every CPC sits in one site, and every host is monitored.
        sites = {(p.cpc, p.site) for p in profiles}
        self.assertEqual(10, len(sites))
        self.assertNotIn(None, {p.network for p in profiles} |
                         {p.storage for p in profiles})
        degraded = sum(p.network == 'degraded' or p.storage == 'degraded'
                       for p in profiles)
        self.assertTrue(0 < degraded < len(profiles) // 4, degraded)
        self.assertTrue(any(p.consistency_groups for p in profiles))
        self.assertIn('COMPUTE_VOLUME_EXTEND', self.snap.hosts[0].traits)
        self.assertTrue(all(h.service_up and not h.service_disabled
                            for h in self.snap.hosts))
        bare = small(nova_traits=False, sites=0)
        self.assertFalse(any(t.startswith('COMPUTE_')
                             for h in bare.hosts for t in h.traits))
        self.assertEqual({None}, {bare.profile(h).site for h in bare.hosts})

    def test_deterministic_for_a_seed(self):
        self.assertEqual(self.snap.to_dict(), small().to_dict())
        self.assertNotEqual(self.snap.to_dict(), small(seed=7).to_dict())

    def test_usages_are_the_instances_flavors_within_capacity(self):
        used = {h.name: collections.Counter() for h in self.snap.hosts}
        for inst in self.snap.instances:
            used[inst.host].update(inst.flavor.resources)
        for host in self.snap.hosts:
            self.assertEqual({rc: used[host.name][rc]
                              for rc in model.RESOURCE_CLASSES},
                             host.usages)
            for rc in model.RESOURCE_CLASSES:
                self.assertGreaterEqual(host.free(rc), 0, (host.name, rc))

    def test_no_instance_on_a_standby(self):
        standbys = {h.name for h in self.snap.hosts
                    if self.snap.profile(h).standby}
        self.assertEqual(10, len(standbys))
        self.assertEqual(set(),
                         standbys & {i.host for i in self.snap.instances})

    def test_flavors(self):
        self.assertIn({'zha:redundancy': 'required'},
                      [f.extra_specs for f in self.snap.flavors])
        self.assertLessEqual({i.flavor.name for i in self.snap.instances},
                             {f.name for f in self.snap.flavors})

    def test_groups(self):
        policies = collections.Counter(g.policy for g in self.snap.groups)
        # 20% of 2000 instances in groups of 4, 5% in groups of 4, 2% in pairs.
        self.assertEqual({'anti-affinity': 100, 'soft-anti-affinity': 25,
                          'affinity': 20},
                         policies)
        instances = self.snap.instances_by_uuid()
        broken = on_degraded = 0
        for group in self.snap.groups:
            hosts = [instances[u].host for u in group.members]
            self.assertEqual(4 if group.policy != 'affinity' else 2,
                             len(hosts))
            if group.policy == 'affinity':
                self.assertEqual(1, len(set(hosts)))
            if group.policy != 'anti-affinity':
                continue
            self.assertEqual(4, len(set(hosts)), group.name)
            cpcs = [self.cpc_of(h) for h in hosts]
            broken += len(set(cpcs)) < len(cpcs)
            profiles = [self.snap.profile(self.hosts[h]) for h in hosts]
            on_degraded += any('degraded' in (p.network, p.storage)
                               for p in profiles)
            self.assertEqual({'zha:redundancy': 'required'},
                             instances[group.members[0]].flavor.extra_specs)
        # 2% of 100 anti-affinity groups have two members on one CPC, 2% a
        # member on a degraded host; the others are spread and healthy.
        self.assertEqual((2, 2), (broken, on_degraded))

    def test_broken_fraction(self):
        snap = small(broken_fraction=0.5, group_size=3)
        instances = snap.instances_by_uuid()
        hosts = snap.host_named()
        anti = [g for g in snap.groups if g.policy == 'anti-affinity']
        broken = [g for g in anti
                  if len({snap.profile(hosts[instances[u].host]).cpc
                          for u in g.members}) < 3]
        self.assertEqual((133, 67), (len(anti), len(broken)))

    def test_round_trip(self):
        data = json.loads(json.dumps(self.snap.to_dict()))
        again = snapshot.Snapshot.from_dict(data)
        self.assertEqual(self.snap.to_dict(), again.to_dict())
        self.assertTrue(re.match(r'synthetic seed 42$', again.source))

    def test_partners_are_standbys_of_the_next_cpc(self):
        partners = synthetic.partners(self.snap)
        primaries = [h.name for h in self.snap.hosts
                     if not self.snap.profile(h).standby]
        self.assertEqual(sorted(primaries), sorted(partners))
        for primary, partner in partners.items():
            self.assertTrue(self.snap.profile(self.hosts[partner]).standby)
            self.assertNotEqual(self.cpc_of(primary), self.cpc_of(partner))
        self.assertEqual('cpc02-lpar020', partners['cpc01-lpar001'])
        self.assertEqual('cpc01-lpar020', partners['cpc10-lpar001'])

    def test_consistency_groups_on_a_share_of_the_hosts(self):
        snap = small(consistency_groups={'PROD-DB': 0.6, 'ERP': 0.25})
        prefix = traits.CG_PREFIX

        def without_groups(host):
            return [t for t in host.traits if not t.startswith(prefix)]

        counts = collections.Counter(t for h in snap.hosts for t in h.traits
                                     if t.startswith(prefix))
        self.assertEqual({traits.consistency_group_trait('PROD-DB'): 120,
                          traits.consistency_group_trait('ERP'): 50}, counts)
        # Only hosts with redundant storage reach a group, and the hosts are
        # otherwise those of the default.
        for host in snap.hosts:
            if len(without_groups(host)) < len(host.traits):
                self.assertIn(traits.STORAGE_REDUNDANT, host.traits)
        self.assertEqual([(h.uuid, without_groups(h), h.inventories)
                          for h in self.snap.hosts],
                         [(h.uuid, without_groups(h), h.inventories)
                          for h in snap.hosts])
        self.assertEqual(snap.to_dict(), small(consistency_groups={
            'PROD-DB': 0.6, 'ERP': 0.25}).to_dict())
        self.assertRaises(ValueError, small, consistency_groups={'ERP': 1.5})

    def test_impossible_sizes(self):
        self.assertRaises(ValueError, synthetic.synthetic, hosts=10, cpcs=10)
        self.assertRaises(ValueError, synthetic.synthetic, group_size=1)
        self.assertRaisesRegex(ValueError, 'do not fit', synthetic.synthetic,
                               hosts=4, cpcs=2, instances=2000)


class ArgumentsTest(base.BaseTestCase):

    def message(self, **kwargs):
        with self.assertRaises(ValueError) as ctx:
            synthetic.synthetic(**kwargs)
        return str(ctx.exception)

    def test_messages_say_what_would_do(self):
        cases = [
            (dict(hosts=50), 'fewer than 2 hosts per CPC (a primary and a '
             'standby) with 50 hosts on 50 CPCs: use at least 100 hosts or '
             'at most 25 CPCs'),
            (dict(hosts=1, cpcs=1), 'fewer than 2 hosts per CPC (a primary '
             'and a standby) with 1 host on 1 CPC: use at least 2 hosts'),
            (dict(hosts=0), '0 hosts is not a positive count: use at least '
             '100 hosts (2 per CPC with 50 CPCs)'),
            (dict(cpcs=-1), '-1 CPCs is not a positive count: use 1 CPC or '
             'more'),
            (dict(instances=-1), '-1 instances is not a count: use 0 '
             'instances or more'),
            (dict(instances=10 ** 9), '1000000000 instances are more than a '
             'synthetic cloud holds in memory: use at most 1000000 '
             'instances'),
            (dict(hosts=10 ** 6, cpcs=10), '1000000 hosts are more than a '
             'synthetic cloud holds in memory: use at most 100000 hosts'),
            (dict(sites=-2), '-2 sites is not a count: use 0 sites (no site '
             'traits) or more'),
            (dict(group_size=1), 'a server group of 1 is no group: use a '
             'group size of 2 or more'),
            (dict(broken_fraction=1.5), 'broken fraction 1.5 is not a share: '
             'use a number from 0 to 1'),
            (dict(consistency_groups={'ERP': -0.1}), 'share of consistency '
             'group ERP -0.1 is not a share: use a number from 0 to 1'),
        ]
        for kwargs, message in cases:
            self.assertEqual(message, self.message(**kwargs))

    def test_refused_before_anything_is_built(self):
        with mock.patch.object(synthetic, '_Builder',
                               autospec=True) as builder:
            for kwargs in (dict(hosts=50), dict(instances=10 ** 9),
                           dict(hosts=10 ** 9), dict(cpcs=0)):
                self.assertRaises(ValueError, synthetic.synthetic, **kwargs)
        builder.assert_not_called()

    def test_too_many_for_the_hosts_refused_before_placing(self):
        with mock.patch.object(synthetic._Builder, 'place',
                               autospec=True) as place:
            self.assertEqual(
                '2000 instances do not fit on 4 hosts: their 2 primaries '
                'hold at most 192 of the smallest flavor; use fewer '
                'instances or more hosts',
                self.message(hosts=4, cpcs=2, instances=2000))
            self.assertIn('1000000 instances do not fit on 100 hosts',
                          self.message(hosts=100, cpcs=10,
                                       instances=10 ** 6))
        place.assert_not_called()

    def test_too_many_found_when_the_hosts_are_full(self):
        # Below the bound of the smallest flavor, beyond what the mix fits.
        self.assertRegex(self.message(hosts=200, cpcs=10, instances=9000),
                         r'^9000 instances do not fit on 200 hosts: they '
                         r'were full after \d+; use fewer instances or more '
                         r'hosts$')

    @settings(max_examples=100, deadline=None, database=None)
    @given(hosts=st.integers(-10, 2 * synthetic.MAX_HOSTS),
           cpcs=st.integers(-10, 10 ** 5),
           instances=st.integers(-10, 10 ** 10))
    def test_invalid_sizes_never_build(self, hosts, cpcs, instances):
        assume(not (1 <= cpcs and 2 * cpcs <= hosts <= synthetic.MAX_HOSTS and
                    0 <= instances <= synthetic.MAX_INSTANCES))
        with mock.patch.object(synthetic, '_Builder',
                               autospec=True) as builder:
            self.assertRaises(ValueError, synthetic.synthetic, hosts=hosts,
                              cpcs=cpcs, instances=instances)
        builder.assert_not_called()
