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

"""explain and audit against real Nova services and real Placement."""

import argparse
import contextlib
import io
import json

import nova.conf

from zha_scheduler.cmd.commands import audit as audit_cmd
from zha_scheduler.insight import audit
from zha_scheduler.insight import collect
from zha_scheduler.insight import explain
from zha_scheduler.sim import client
from zha_scheduler.sim import cloud

CONF = nova.conf.CONF
NO_GROUP_FLAVOR = {'zha:consistency_group': 'NOWHERE'}


class _InsightCloud(cloud.SimulatedCloud):
    """Three CPCs of two LPARs; cpc3-lpar2's OSA bond has lost a port."""

    HOSTS = [h if h.name != 'cpc3-lpar2' else
             cloud.SimHost(h.name, h.cpc, fixture='slave-down')
             for h in cloud.grid(cpcs=3, lpars_per_cpc=2)]

    def setUp(self):
        super().setUp()
        self.conn = client.connection(self)

    def snapshot(self):
        return collect.collect(self.conn)

    def flavor(self):
        """The flavor _build_server boots, as the snapshot has it."""
        flavor_id = self.api.get_flavors()[0]['id']
        return next(f for f in self.snapshot().flavors if f.id == flavor_id)


class ExplainTest(_InsightCloud):

    def test_snapshot_reads_hosts_groups_and_members(self):
        group = self.create_group('anti-affinity')
        server = self.boot_in_group(group, 'db-1')
        snap = self.snapshot()
        self.assertEqual(sorted(h.name for h in self.HOSTS),
                         sorted(h.name for h in snap.hosts))
        profile = snap.profile(snap.host_named()['cpc1-lpar1'])
        self.assertEqual('Z1', profile.cpc)
        self.assertEqual([server['id']], snap.find_group(group['id']).members)
        placed = snap.instances_by_uuid()[server['id']]
        self.assertEqual(self.host_of(server), placed.host)
        host = snap.host_named()[placed.host]
        self.assertEqual(placed.flavor.ram, host.usages['MEMORY_MB'])

    def test_explain_ranks_first_the_host_the_scheduler_picks(self):
        group = self.create_group('anti-affinity')
        first = self.boot_in_group(group, 'db-1')
        first_cpc = self.cpc_of(self.host_of(first))
        # Every other host gets one server but one: its best weight is unique.
        idle = next(h.name for h in self.HOSTS
                    if h.cpc != first_cpc and h.fixture == 'healthy')
        for host in self.HOSTS:
            if host.name not in (idle, self.host_of(first)):
                self.load_host(host.name)
        snap = self.snapshot()
        result = explain.explain(snap, explain.Request(
            self.flavor(), group=snap.find_group(group['id'])), CONF)

        second = self.boot_in_group(group, 'db-2')
        self.assertEqual(result.chosen, self.host_of(second))
        self.assertEqual(idle, result.chosen)
        verdicts = {h.host: h for h in result.hosts}
        self.assertEqual('ServerGroupAntiAffinityFilter',
                         verdicts[self.host_of(first)].rejected_by)
        sibling = next(h.name for h in self.HOSTS
                       if h.cpc == first_cpc and h.name != self.host_of(first))
        self.assertEqual('ZhaFailureDomainFilter',
                         verdicts[sibling].rejected_by)
        self.assertIn('cpc %s already holds 1 members' % first_cpc,
                      verdicts[sibling].reason)
        self.assertIn('RAMWeigher', verdicts[idle].weights)
        self.assertIn('ZhaFailureDomainWeigher', verdicts[idle].weights)

    def test_explain_no_valid_host_matches_the_scheduler(self):
        flavor_id = self._create_flavor(name='cg-nowhere',
                                        extra_spec=NO_GROUP_FLAVOR)
        snap = self.snapshot()
        request = explain.Request(snap.find_flavor('cg-nowhere'))
        result = explain.explain(snap, request, CONF)
        self.assertIsNone(result.chosen)
        self.assertEqual({'ZhaConsistencyGroupFilter'},
                         {h.rejected_by for h in result.hosts})
        self.assertIn('the volumes of NOWHERE are not all reachable',
                      result.hosts[0].reason)

        server = self._create_server(flavor_id=flavor_id, networks='none',
                                     expected_state='ERROR')
        self.assertIn('No valid host', server['fault']['message'])

    def test_explain_names_the_degraded_host_for_a_redundant_flavor(self):
        self._create_flavor(name='ha',
                            extra_spec={'zha:redundancy': 'required'})
        snap = self.snapshot()
        request = explain.Request(snap.find_flavor('ha'))
        result = explain.explain(snap, request, CONF)
        verdicts = {h.host: h for h in result.hosts}
        self.assertEqual('ZhaRedundancyFilter',
                         verdicts['cpc3-lpar2'].rejected_by)
        self.assertIn('network degraded', verdicts['cpc3-lpar2'].reason)
        self.assertEqual(5, sum(1 for h in result.hosts if h.rank))


class AuditTest(_InsightCloud):

    def boot_forced(self, group, name, host):
        """Boot a group member on a named host: no filter runs (admin)."""
        body = self._build_server(name=name, networks='none')
        body['availability_zone'] = 'nova:%s' % host
        created = self.admin_api.post_server(
            {'server': body, 'os:scheduler_hints': {'group': group['id']}})
        return self._wait_for_state_change(created, 'ACTIVE')

    def audit_args(self, **kwargs):
        values = dict(config_file=[], snapshot=None, group=None, domain=None,
                      max_skew=None, apply=False, timeout=60.0, format='json')
        values.update(kwargs)
        return argparse.Namespace(**values)

    def broken_group(self, name='broken-pair'):
        """A pair forced onto the two LPARs of one CPC, as Nova allows."""
        group = self.create_group('anti-affinity', name=name)
        first = self.boot_forced(group, 'db-1', 'cpc1-lpar1')
        second = self.boot_forced(group, 'db-2', 'cpc1-lpar2')
        return group, first, second

    def test_audit_finds_a_pair_forced_onto_one_cpc(self):
        group, first, second = self.broken_group()
        healthy = self.create_group('anti-affinity', name='healthy-pair')
        self.boot_members(healthy, 2)

        report = audit.audit(self.snapshot(), 'cpc', 1)
        self.assertEqual([group['id']], [g.uuid for g in report.groups])
        found = report.groups[0]
        self.assertEqual(['cpc'], [v.kind for v in found.violations])
        self.assertEqual({'Z1': 2}, found.counts)
        self.assertEqual(1, len(found.moves))
        self.assertIn(found.moves[0].source, ('cpc1-lpar1', 'cpc1-lpar2'))
        self.assertEqual(1, audit_cmd.run(self.audit_args(), conn=self.conn))

    def test_apply_repairs_the_group_with_the_scheduler_choosing(self):
        group, first, second = self.broken_group()

        status = audit_cmd.run(self.audit_args(apply=True), conn=self.conn,
                               poll_interval=0.1)

        self.assertEqual(0, status)
        cpcs = self.members_per_cpc(self.group_servers(group))
        self.assertEqual(2, len(cpcs), cpcs)
        self.assertEqual([], audit.audit(self.snapshot(), 'cpc', 1).groups)

    def test_apply_stops_at_the_first_failure(self):
        broken = [self.broken_group(), self.broken_group()]
        # Every host off Z1 is disabled: no live migration can find a target.
        for host in self.HOSTS:
            if host.cpc != 'Z1':
                service = self.admin_api.get_services(host=host.name,
                                                      binary='nova-compute')[0]
                self.admin_api.put_service(service['id'],
                                           {'status': 'disabled'})
        report = audit.audit(self.snapshot(), 'cpc', 1)
        self.assertEqual(2, len(report.moves))
        self.assertEqual([None, None], [m.towards for m in report.moves])

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = audit_cmd.run(self.audit_args(apply=True, timeout=20.0),
                                   conn=self.conn, poll_interval=0.1)

        self.assertEqual(1, status)
        applied = json.loads(out.getvalue())['applied']
        self.assertEqual([(report.moves[0].instance, 'failed')],
                         [(r['instance'], r['outcome']) for r in applied])
        for _, first, second in broken:
            hosts = sorted(self.host_of(self.api.get_server(s['id']))
                           for s in (first, second))
            self.assertEqual(['cpc1-lpar1', 'cpc1-lpar2'], hosts)
        live = [m for m in self.admin_api.get_migrations()
                if m['migration_type'] == 'live-migration']
        self.assertLessEqual(len(live), 1)
