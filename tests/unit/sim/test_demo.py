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

"""Unit tests of the demo's failure scene: partners and rendering."""

import json

from oslotest import base

from zha_scheduler.sim import demo


def _scene(**kwargs):
    hosts = demo.failure_hosts(cpcs=3, lpars_per_cpc=2)
    scene = demo.FailureScene(title='An LPAR fails', hosts=hosts,
                              failed='cpc1-lpar1',
                              partners=demo.partners_of(hosts), **kwargs)
    return scene


class FailureSceneTest(base.BaseTestCase):

    def test_hosts_have_one_standby_per_cpc(self):
        hosts = demo.failure_hosts(cpcs=3, lpars_per_cpc=2)
        self.assertEqual(9, len(hosts))
        self.assertEqual(['cpc1-standby', 'cpc2-standby', 'cpc3-standby'],
                         [h.name for h in hosts if h.standby])

    def test_partner_is_the_standby_of_the_next_cpc(self):
        partners = demo.partners_of(
            demo.failure_hosts(cpcs=3, lpars_per_cpc=2))
        self.assertEqual({'cpc1-lpar1': 'cpc2-standby',
                          'cpc1-lpar2': 'cpc2-standby',
                          'cpc2-lpar1': 'cpc3-standby',
                          'cpc2-lpar2': 'cpc3-standby',
                          'cpc3-lpar1': 'cpc1-standby',
                          'cpc3-lpar2': 'cpc1-standby'},
                         partners)

    def test_render_shows_before_after_report_and_recovery(self):
        table = 'Evacuation of cpc1-lpar1: 2 instance(s), 0 failed, 1.5 s'
        scene = _scene(
            guests=[demo.GuestRow('db-ha-1', 'ACTIVE', 'cpc1-lpar1',
                                  'ACTIVE', 'cpc1-lpar2'),
                    demo.GuestRow('db-ha-2', 'ACTIVE', 'cpc2-lpar1',
                                  'ACTIVE', 'cpc2-lpar1'),
                    demo.GuestRow('batch-1', 'SHUTOFF', 'cpc1-lpar1',
                                  'SHUTOFF', 'cpc2-standby')],
            report={'instances': [
                {'name': 'db-ha-1', 'target': 'cpc1-lpar2',
                 'reason': 'cpc2-standby refused: evacuation failed'},
                {'name': 'batch-1', 'target': 'cpc2-standby', 'reason': ''}]},
            report_table=table,
            recovery_seconds=6.83,
            timeline=[
                {'seconds': 0.0, 'step': 'failed on the HMC',
                 'detail': 'LPAR CPC1LPAR1 of cpc1-lpar1 not-operating'},
                {'seconds': 3.04, 'step': 'detected',
                 'detail': 'cpc1-lpar1 by watch'},
                {'seconds': 3.6, 'step': 'fenced',
                 'detail': 'cpc1-lpar1: deactivate'},
                {'seconds': 6.83, 'step': 'all ACTIVE', 'detail': ''}])
        text = demo.render_failure(scene)
        lines = text.splitlines()
        self.assertIn('here cpc1-lpar1 -> cpc2-standby.', text)
        self.assertIn('finds it on the HMC, fences it, forces it down and '
                      'evacuates it.', lines)
        header = next(line for line in lines if line.startswith('GUEST'))
        self.assertEqual(['GUEST', 'STATE', 'BEFORE', 'HOST', 'BEFORE',
                          'STATE', 'AFTER', 'HOST', 'AFTER', 'CHANGE'],
                         header.split())
        self.assertIn(['batch-1', 'SHUTOFF', 'cpc1-lpar1', '(Z1)', 'SHUTOFF',
                       'cpc2-standby', '(Z2)', 'moved'],
                      [line.split() for line in lines])
        self.assertIn(['db-ha-2', 'ACTIVE', 'cpc2-lpar1', '(Z2)', 'ACTIVE',
                       'cpc2-lpar1', '(Z2)', 'unchanged'],
                      [line.split() for line in lines])
        self.assertIn('db-ha-1: Nova refused the partner cpc2-standby (its '
                      'anti-affinity group already has db-ha-2 on Z2);', lines)
        self.assertIn(table, lines)
        start = lines.index('Timeline, in seconds after cpc1-lpar1 failed '
                            'on the HMC:')
        self.assertEqual(
            ['    0.0  failed on the HMC  LPAR CPC1LPAR1 of cpc1-lpar1 '
             'not-operating',
             '    3.0  detected           cpc1-lpar1 by watch',
             '    3.6  fenced             cpc1-lpar1: deactivate',
             '    6.8  all ACTIVE', ''],
            lines[start + 1:start + 6])
        self.assertEqual('Recovery: 2 guest(s) back (ACTIVE ones ACTIVE, '
                         'stopped ones SHUTOFF) 6.8 s after cpc1-lpar1 '
                         'failed on the HMC.', lines[-1])

    def test_render_without_a_timeline(self):
        text = demo.render_failure(_scene(recovery_seconds=2.0))
        self.assertNotIn('Timeline', text)
        self.assertTrue(text.endswith('2.0 s after cpc1-lpar1 failed on the '
                                      'HMC.'))

    def test_render_of_a_failed_scene(self):
        text = demo.render_failure(_scene(error='AssertionError: too slow'))
        self.assertEqual(['An LPAR fails', '=============',
                          'FAILED: AssertionError: too slow'],
                         text.splitlines())

    def test_to_dict_is_json(self):
        guest = demo.GuestRow('web-1', 'ACTIVE', 'cpc1-lpar1',
                              'ACTIVE', 'cpc2-standby')
        step = {'seconds': 3.04, 'step': 'detected', 'detail': 'cpc1-lpar1'}
        scene = _scene(guests=[guest], report={'failed': 0},
                       recovery_seconds=1.5, timeline=[step])
        data = json.loads(json.dumps(scene.to_dict()))
        self.assertEqual('cpc1-lpar1', data['failed_host'])
        self.assertEqual(['cpc1-standby', 'cpc2-standby', 'cpc3-standby'],
                         data['standby_hosts'])
        self.assertEqual([{'name': 'web-1', 'state_before': 'ACTIVE',
                           'host_before': 'cpc1-lpar1',
                           'state_after': 'ACTIVE',
                           'host_after': 'cpc2-standby'}], data['guests'])
        self.assertEqual(1.5, data['recovery_seconds'])
        self.assertEqual([step], data['timeline'])
