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

"""Unit tests for zha_scheduler.agent.daemons: systemctl show."""

from tests.unit.agent import helpers
from zha_scheduler.agent import conditions
from zha_scheduler.agent import daemons
from zha_scheduler.agent import hostfs

LOGGER = 'zha_scheduler.agent.daemons'
LIBVIRT = daemons.BY_NAME['libvirt']


def captured(daemon: daemons.Daemon) -> str:
    """The captured output file of a daemon's command, as a host path."""
    return '/%s/%s' % (hostfs.COMMANDS_DIR,
                       hostfs.command_file_name(daemons.command(daemon)))


def block(unit, load='loaded', active='active', sub='running',
          restart='on-failure', names=None):
    return ('Restart=%s\nId=%s\nNames=%s\nLoadState=%s\nActiveState=%s\n'
            'SubState=%s\n' % (restart, unit, names or unit, load, active,
                               sub))


class ParseShowTest(helpers.TestCase):

    def test_blocks(self):
        found = daemons.parse_show(
            block('virtqemud.service') + '\n' +
            block('libvirtd.service', 'not-found', 'inactive', 'dead', 'no'))
        self.assertEqual(['virtqemud.service', 'libvirtd.service'],
                         list(found))
        state = found['libvirtd.service']
        self.assertEqual(('not-found', 'inactive', 'dead', 'no'),
                         (state.load_state, state.active_state,
                          state.sub_state, state.restart))
        self.assertEqual((False, False, False),
                         (state.installed, state.running, state.supervised))
        self.assertEqual((True, True, True), (
            found['virtqemud.service'].installed,
            found['virtqemud.service'].running,
            found['virtqemud.service'].supervised))

    def test_aliases_map_to_the_unit(self):
        found = daemons.parse_show(block(
            'openstack-nova-compute.service',
            names='openstack-nova-compute.service nova-compute.service'))
        self.assertEqual('openstack-nova-compute.service',
                         found['nova-compute.service'].unit)

    def test_odd_lines(self):
        text = ('junk\nId=a.service\nRestart=\nActiveState=reloading\r\n'
                'Other=x=y\n\n\nLoadState=loaded\n')
        found = daemons.parse_show(text)
        self.assertEqual(['a.service'], list(found))
        state = found['a.service']
        self.assertEqual((None, None, True),
                         (state.restart, state.installed, state.running))
        self.assertEqual({}, daemons.parse_show(''))

    def test_restart_values(self):
        for value, supervised in (('always', True), ('on-failure', True),
                                  ('on-abnormal', True), ('on-abort', False),
                                  ('on-watchdog', False), ('no', False)):
            self.assertEqual(supervised, daemons.UnitState(
                'x.service', restart=value).supervised, value)


class ProbeDaemonsTest(helpers.TestCase):

    def test_healthy_fixture(self):
        result = daemons.probe_daemons(self.fs('healthy'))
        self.assertEqual(['multipathd', 'libvirt', 'nova-compute',
                          'zha-trait-agent'], list(result.details))
        self.assertEqual({
            'unit': 'virtqemud.service', 'load_state': 'loaded',
            'active_state': 'active', 'sub_state': 'running',
            'restart': 'on-failure', 'running': True, 'supervised': True,
            'problems': []}, result.details['libvirt'])
        self.assertEqual('openstack-nova-compute.service',
                         result.details['nova-compute']['unit'])
        self.assertTrue(all(result.running(d.name) for d in daemons.DAEMONS))

    def test_multipathd_problems_are_debug_only(self):
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            result = daemons.probe_daemons(self.fs('multipathd-stopped'))
        self.assertFalse(result.running(daemons.MULTIPATHD))
        self.assertEqual(2, len(result.details['multipathd']['problems']))
        self.assertEqual([], [line for line in logs.output
                              if line.startswith('WARNING')])

    def test_each_problem_is_a_warning_once_across_cycles(self):
        fs = self.fs('daemons-unsupervised')
        log = conditions.ConditionLog()
        logger = self.quiet()
        for _ in range(3):
            with log.cycle():
                daemons.probe_daemons(fs)
        warnings = [line for line in logger.output.splitlines()
                    if line.startswith('WARNING')]
        self.assertEqual(2, len(warnings), warnings)
        self.assertEqual(4, logger.output.count('DEBUG ' + LOGGER +
                                                ' Still: '))

    def test_libvirt_choice(self):
        cases = (
            # Both installed, libvirtd in use.
            ((block('virtqemud.service', active='inactive', sub='dead') +
              '\n' + block('libvirtd.service')), 'libvirtd.service'),
            # Neither runs: the installed one is reported.
            ((block('virtqemud.service', 'not-found', 'inactive', 'dead') +
              '\n' + block('libvirtd.service', active='failed')),
             'libvirtd.service'),
            # Neither is installed: the first.
            ((block('virtqemud.service', 'not-found', 'inactive', 'dead') +
              '\n' + block('libvirtd.service', 'not-found', 'inactive',
                           'dead')), 'virtqemud.service'),
        )
        for text, unit in cases:
            fs = self.tree_fs({captured(LIBVIRT): text}, 'healthy')
            self.quiet()
            result = daemons.probe_daemons(fs)
            self.assertEqual(unit, result.details['libvirt']['unit'], text)

    def test_not_installed_and_masked(self):
        text = (block('virtqemud.service', 'masked', 'inactive', 'dead') +
                '\n' + block('libvirtd.service', 'not-found', 'inactive',
                             'dead', 'no'))
        fs = self.tree_fs({captured(LIBVIRT): text}, 'healthy')
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            result = daemons.probe_daemons(fs)
        self.assertFalse(result.running('libvirt'))
        self.assertEqual(['virtqemud.service / libvirtd.service masked'],
                         result.details['libvirt']['problems'])
        self.assertIn('masked', logs.output[0])

    def test_missing_or_empty_output_is_not_monitored(self):
        for text in (None, '', 'Id=other.service\n'):
            fs = self.tree_fs({captured(LIBVIRT): text}, 'healthy')
            with self.assertLogs(LOGGER, 'WARNING') as logs:
                result = daemons.probe_daemons(fs)
            self.assertIsNone(result.running('libvirt'))
            self.assertNotIn('libvirt', result.states)
            self.assertIn('error', result.details['libvirt'])
            self.assertIn('libvirt not monitored', logs.output[0])
            self.assertTrue(result.running('nova-compute'))

    def test_nothing_captured(self):
        self.quiet()
        result = daemons.probe_daemons(self.fs('missing-files'))
        self.assertEqual({}, result.states)
        self.assertIsNone(result.running(daemons.MULTIPATHD))

    def test_restart_fix(self):
        self.assertEqual(
            'add a drop-in /etc/systemd/system/multipathd.service.d/'
            'restart.conf with "[Service]" "Restart=on-failure" '
            '"RestartSec=10", then run systemctl daemon-reload',
            daemons.restart_fix('multipathd.service'))
