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

"""Unit tests of drain's and failback's common parts (insight.maintenance)."""

from oslotest import base

from tests.unit.insight import test_audit
from zha_scheduler.insight import maintenance
from zha_scheduler.insight import snapshot
from zha_scheduler import model
from zha_scheduler import traits

host = test_audit.host
FLAVOR = test_audit.FLAVOR


def cloud(**changes):
    """test_audit's cloud: Z1 and Z3 in DC1, Z2 in DC2, a standby on Z3."""
    return snapshot.Snapshot(test_audit.cloud(**changes))


def instance(status='ACTIVE', task_state=None, on='cpc1-lpar1'):
    return model.Instance('uuid-1', 'vm-1', on, on, status, FLAVOR,
                          task_state=task_state)


def health(name, *names):
    """A host on Z1 whose only other traits are ``names``."""
    found = host(name, 'Z1')
    found.traits = [traits.cpc_trait('Z1')] + list(names)
    return found


class ResolveHostTest(base.BaseTestCase):

    def test_host(self):
        target = maintenance.resolve(cloud(), host='cpc2-lpar1')
        self.assertEqual(maintenance.Target(
            maintenance.HOST, 'cpc2-lpar1', ('cpc2-lpar1',)), target)
        self.assertEqual('cpc2-lpar1', str(target))

    def test_unknown_host_lists_the_compute_hosts(self):
        exc = self.assertRaises(maintenance.TargetError, maintenance.resolve,
                                cloud(), host='cpc9-lpar1')
        self.assertEqual(
            "no compute host is named 'cpc9-lpar1'; compute hosts: "
            "cpc1-lpar1, cpc1-lpar2, cpc2-lpar1, cpc2-lpar2, cpc3-lpar1, "
            "cpc3-lpar2, cpc3-standby", str(exc))

    def test_long_list_of_hosts_is_cut_short(self):
        snap = snapshot.Snapshot([host('h%02d' % n, 'Z1')
                                  for n in range(12)])
        exc = self.assertRaises(maintenance.TargetError, maintenance.resolve,
                                snap, host='x')
        self.assertIn('h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, '
                      '... (12 in all)', str(exc))
        self.assertNotIn('h10', str(exc))


class ResolveDomainTest(base.BaseTestCase):

    def test_cpc_in_any_case(self):
        for name in ('Z1', 'z1', ' z1 '):
            target = maintenance.resolve(cloud(), cpc=name)
            self.assertEqual(maintenance.Target(
                maintenance.CPC, 'Z1', ('cpc1-lpar1', 'cpc1-lpar2')), target)
            self.assertEqual('CPC Z1', str(target))

    def test_cpc_includes_its_standby_partition(self):
        target = maintenance.resolve(cloud(), cpc='z3')
        self.assertEqual(('cpc3-lpar1', 'cpc3-lpar2', 'cpc3-standby'),
                         target.hosts)

    def test_site(self):
        target = maintenance.resolve(cloud(), site='dc1')
        self.assertEqual(maintenance.SITE, target.kind)
        self.assertEqual('DC1', target.name)
        self.assertEqual(('cpc1-lpar1', 'cpc1-lpar2', 'cpc3-lpar1',
                          'cpc3-lpar2', 'cpc3-standby'), target.hosts)
        self.assertEqual('site DC1', str(target))

    def test_site_is_read_from_the_site_trait_only(self):
        # A CPC named DC2 is no site DC2: only the site trait counts.
        snap = snapshot.Snapshot([host('x1', 'DC2', site='DC1'),
                                  host('y1', 'Z2', site='DC2')])
        self.assertEqual(('y1',),
                         maintenance.resolve(snap, site='DC2').hosts)

    def test_unknown_cpc_lists_the_known_ones(self):
        exc = self.assertRaises(maintenance.TargetError, maintenance.resolve,
                                cloud(), cpc='Z9')
        self.assertEqual(
            "no compute host is in CPC 'Z9' (its CUSTOM_ZHA_CPC_NAME "
            "trait); known: Z1, Z2, Z3", str(exc))

    def test_unknown_site_lists_the_known_ones(self):
        exc = self.assertRaises(maintenance.TargetError, maintenance.resolve,
                                cloud(), site='dc9')
        self.assertEqual(
            "no compute host is in site 'dc9' (its CUSTOM_ZHA_SITE_NAME "
            "trait); known: DC1, DC2", str(exc))

    def test_no_host_has_the_trait(self):
        # test_audit.host always sets a CPC; none of these has a site.
        snap = snapshot.Snapshot([host('a', 'Z1'), host('b', 'Z2')])
        exc = self.assertRaises(maintenance.TargetError, maintenance.resolve,
                                snap, site='DC1')
        self.assertIn('known: none', str(exc))

    def test_empty_name_matches_nothing(self):
        self.assertRaises(maintenance.TargetError, maintenance.resolve,
                          cloud(), cpc='  ')

    def test_name_as_in_a_digested_trait(self):
        # A non-plain CPC name gets a digest in its trait; the name part of
        # the trait is the one the operator is told to give.
        name = 'ORA-PROD'
        part = traits.cpc_trait(name)[len(traits.CPC_PREFIX):]
        snap = snapshot.Snapshot([host('a', name), host('b', 'Z2')])
        target = maintenance.resolve(snap, cpc=part)
        self.assertEqual((maintenance.CPC, part, ('a',)),
                         (target.kind, target.name, target.hosts))

    def test_digested_trait_name_in_lower_case(self):
        # "In any case": a name part with a digest, lower-cased, is not a
        # plain name, so cpc_trait() would digest it again, differently.
        name = 'ORA-PROD'
        part = traits.cpc_trait(name)[len(traits.CPC_PREFIX):]
        snap = snapshot.Snapshot([host('a', name), host('b', 'Z2')])
        target = maintenance.resolve(snap, cpc=part.lower())
        self.assertEqual(('a',), target.hosts)


class StepForTest(base.BaseTestCase):

    def test_active_and_paused_live_migrate(self):
        for status in ('ACTIVE', 'PAUSED'):
            step = maintenance.step_for(instance(status))
            self.assertEqual(maintenance.Step(
                'uuid-1', 'vm-1', 'cpc1-lpar1', status, maintenance.LIVE),
                step)

    def test_stopped_cold_migrates(self):
        step = maintenance.step_for(instance('SHUTOFF'), 'cpc2-lpar1')
        self.assertEqual(maintenance.COLD, step.action)
        self.assertEqual('cpc2-lpar1', step.destination)
        self.assertEqual('', step.reason)

    def test_skip_stopped(self):
        step = maintenance.step_for(instance('SHUTOFF'), skip_stopped=True)
        self.assertEqual(maintenance.SKIP, step.action)
        self.assertIn('--skip-stopped', step.reason)
        # Only stopped instances are skipped.
        self.assertEqual(maintenance.LIVE, maintenance.step_for(
            instance('ACTIVE'), skip_stopped=True).action)

    def test_task_in_progress_is_waited_for(self):
        for status in ('ACTIVE', 'SHUTOFF', 'ERROR'):
            step = maintenance.step_for(
                instance(status, task_state='migrating'))
            self.assertEqual(maintenance.WAIT, step.action)
            self.assertIn('a migrating is in progress', step.reason)
            self.assertIn(step.action, maintenance.MOVES)

    def test_error_stays(self):
        step = maintenance.step_for(instance('ERROR'), 'cpc2-lpar1')
        self.assertEqual(maintenance.STAY, step.action)
        self.assertTrue(step.reason.endswith('it is ERROR'), step.reason)
        self.assertNotIn(step.action, maintenance.MOVES)

    def test_unplaced_instance_has_an_empty_source(self):
        step = maintenance.step_for(instance(on=None))
        self.assertEqual('', step.source)


class NotReadyTest(base.BaseTestCase):

    def reason(self, target, forced_down=False):
        snap = snapshot.Snapshot([target, host('other', 'Z2')])
        return maintenance.not_ready(snap, target, forced_down)

    def test_healthy(self):
        self.assertIsNone(self.reason(host('h1', 'Z1')))

    def test_unmonitored_is_ready(self):
        self.assertIsNone(self.reason(health('h1')))

    def test_disabled_but_up_is_ready(self):
        self.assertIsNone(self.reason(host('h1', 'Z1', disabled=True,
                                           reason='zha-evacuate: x')))

    def test_forced_down(self):
        reason = self.reason(host('h1', 'Z1', up=False), forced_down=True)
        self.assertIn('nova-compute is forced down', reason)
        self.assertIn('compute service set --up h1 nova-compute', reason)

    def test_forced_down_comes_first(self):
        reason = self.reason(host('h1', 'Z1', degraded=True),
                             forced_down=True)
        self.assertIn('forced down', reason)

    def test_service_down(self):
        reason = self.reason(host('h1', 'Z1', up=False, degraded=True))
        self.assertEqual('nova-compute is down: activate the LPAR and start '
                         'nova-compute', reason)

    def test_network_degraded(self):
        reason = self.reason(health('h1', traits.NET_DEGRADED,
                                    traits.STORAGE_REDUNDANT))
        self.assertIn('its network is degraded (CUSTOM_ZHA_NET_DEGRADED)',
                      reason)
        self.assertNotIn('storage', reason)

    def test_storage_degraded(self):
        reason = self.reason(health('h1', traits.NET_REDUNDANT,
                                    traits.STORAGE_DEGRADED))
        self.assertIn(
            'its storage is degraded (CUSTOM_ZHA_STORAGE_DEGRADED)', reason)
        self.assertNotIn('network', reason)

    def test_both_degraded(self):
        reason = self.reason(health('h1', traits.NET_DEGRADED,
                                    traits.STORAGE_DEGRADED))
        self.assertTrue(reason.startswith(
            'its network and storage are degraded (CUSTOM_ZHA_NET_DEGRADED, '
            'CUSTOM_ZHA_STORAGE_DEGRADED)'), reason)


class TargetTest(base.BaseTestCase):

    def test_one_lock_per_host_sorted(self):
        target = maintenance.Target(maintenance.CPC, 'Z1',
                                    ('cpc1-lpar2', 'cpc1-lpar1'))
        self.assertEqual([b'zha-maintenance-cpc1-lpar1',
                          b'zha-maintenance-cpc1-lpar2'],
                         target.lock_names())

    def test_host_lock_is_shared_by_a_cpc_target(self):
        lpar = maintenance.Target(maintenance.HOST, 'cpc1-lpar1',
                                  ('cpc1-lpar1',))
        cpc = maintenance.resolve(cloud(), cpc='Z1')
        self.assertTrue(set(lpar.lock_names()) & set(cpc.lock_names()))

    def test_slash_is_quoted(self):
        target = maintenance.Target(maintenance.HOST, 'rack/a', ('rack/a',))
        self.assertEqual([b'zha-maintenance-rack%2Fa'],
                         target.lock_names())

    def test_to_dict(self):
        target = maintenance.Target(maintenance.SITE, 'DC2',
                                    ('cpc2-lpar1', 'cpc2-lpar2'))
        self.assertEqual({'kind': 'site', 'name': 'DC2',
                          'hosts': ['cpc2-lpar1', 'cpc2-lpar2']},
                         target.to_dict())
