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

"""A user's mistake, for every console script: exit 2 and one line.

Generated bad inputs (hypothesis) and a table of named ones run each
console script's main() in-process; each run must exit 2 with exactly one
line on stderr, no traceback, and nothing (or JSON) on stdout.
"""

import itertools
import os
import string

import fixtures
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslotest import base

from tests.unit.agent import helpers
from tests.unit.check import helpers as check_helpers
from tests.unit.cmd import cli_helpers
from zha_scheduler.cmd import agent
from zha_scheduler.cmd import evacuate
from zha_scheduler.cmd import manage
from zha_scheduler.evacuate import factory
from zha_scheduler.insight import snapshot
from zha_scheduler.insight import synthetic
from zha_scheduler.sim import nova_conf

SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

#: Bytes that start no UTF-8 sequence whatever follows them.
NEVER_UTF8 = [0xc0, 0xc1] + list(range(0xf5, 0x100))
WORDS = st.text(string.ascii_letters, min_size=1, max_size=12)
BOOLEANS = {'true', 'false', 'yes', 'no', 'on', 'off', '1', '0'}


@st.composite
def bad_files(draw, section, option, valid=None):
    """``(kind, bytes or None)``: a config file the command cannot use.

    ``None`` stands for a directory or a missing file; ``section`` and
    ``option`` name an option to give an invalid value, which ``valid``
    accepts (when given) for the values that are not invalid after all.
    """
    kind = draw(st.sampled_from(['directory', 'missing', 'garbage',
                                 'latin-1', 'not ini', 'invalid value']))
    if kind in ('directory', 'missing'):
        return kind, None
    if kind == 'garbage':
        return kind, (draw(st.binary(max_size=40)) +
                      bytes([draw(st.sampled_from(NEVER_UTF8))]) +
                      draw(st.binary(max_size=40)))
    if kind == 'latin-1':
        # One non-ASCII Latin-1 character between ASCII: never UTF-8.
        char = draw(st.characters(min_codepoint=0xa0, max_codepoint=0xff))
        return kind, ('[%s]\n%s = %s%s\n' % (section, option, char,
                                             draw(WORDS))).encode('latin-1')
    if kind == 'not ini':
        return kind, (draw(WORDS) + '\n').encode()
    value = draw(WORDS.filter(lambda w: valid is None or not valid(w)))
    return kind, ('[%s]\n%s = %s\n' % (section, option, value)).encode()


def _known_prefix(word, known):
    # argparse takes an unambiguous prefix of a known option as that option.
    return any(k.startswith('--' + word) for k in known)


class BadInputTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(cli_helpers.ProcessState())
        self.global_conf = self.useFixture(cli_helpers.GlobalConf())
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.root = os.path.join(self.tmp, 'root')
        os.mkdir(self.root)
        self.counter = itertools.count()

    def write(self, data, name=None):
        path = os.path.join(self.tmp, name or 'f%d' % next(self.counter))
        with open(path, 'wb') as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return path

    def path_of(self, bad):
        kind, data = bad
        if kind == 'directory':
            return self.tmp
        if kind == 'missing':
            return os.path.join(self.tmp, 'missing.conf')
        return self.write(data)

    def assert_usage_error(self, main, argv, **kwargs):
        self.global_conf.restore()  # each run as in a process of its own
        status, out, err = cli_helpers.run(main, argv, **kwargs)
        problems = cli_helpers.usage_error_problems(status, out, err)
        self.assertEqual([], problems, (argv, status, out, err))
        return err


class AgentTest(BadInputTestCase):

    def main(self, *argv):
        return self.assert_usage_error(agent.main, list(argv))

    @SETTINGS
    @given(bad=bad_files('zha_agent', 'interval'))
    def test_bad_config_files(self, bad):
        err = self.main('--config-file', self.path_of(bad), '--root',
                        self.root, '--dry-run')
        self.assertTrue(err.startswith('zha-trait-agent: error: '), err)

    @SETTINGS
    @given(bad=bad_files('DEFAULT', 'debug',
                         valid=lambda w: w.lower() in BOOLEANS))
    def test_bad_logging_options(self, bad):
        self.main('--config-file', self.path_of(bad), '--root', self.root,
                  '--dry-run')

    @SETTINGS
    @given(word=WORDS, value=WORDS)
    def test_unknown_options_and_bad_values(self, word, value):
        known = ('--root', '--once', '--dry-run', '--format', '--debug',
                 '--config-file', '--config-dir', '--log-file', '--log-dir',
                 '--log-config-append', '--log-date-format', '--use-json',
                 '--use-syslog', '--use-journal', '--syslog-log-facility',
                 '--nodebug', '--nodry-run', '--noonce', '--nouse-json',
                 '--nouse-syslog', '--nouse-journal', '--help',
                 '--shell_completion')
        if not _known_prefix(word, known):
            self.main('--root', self.root, '--dry-run', '--' + word)
        if value not in ('text', 'json'):
            self.main('--root', self.root, '--dry-run', '--format', value)

    def test_named_mistakes(self):
        a_file = self.write('')
        conf = self.write('[zha_agent]\nprovider_name = l1\n')
        for argv, why in (
                (['--root', ''], '--root is empty'),
                (['--root', a_file], 'is not a directory'),
                (['--root', a_file + '.d'], 'does not exist'),
                (['--root', self.root, '--config-file'], 'expected one '
                 'argument'),
                (['--root', self.root, '--log-file',
                  os.path.join(a_file + '.d', 'x.log')],
                 'cannot open the log file'),
                (['--root', self.root, '--config-dir', a_file + '.d'],
                 'Failed to read config file directory')):
            err = self.main('--config-file', conf, '--dry-run', *argv)
            self.assertIn(why, err)

    def test_placement_credentials(self):
        for section, why in (
                ('auth_type = passwrod\n', 'is not a keystoneauth plugin'),
                ('auth_type = password\n', 'is missing auth_url'),
                ('auth_type = password\nauth_url = http://k.invalid\n'
                 'timeout = soon\n', 'timeout')):
            conf = self.write('[zha_agent]\nprovider_name = l1\n'
                              '[placement]\n' + section)
            err = self.main('--config-file', conf, '--root',
                            helpers.fixture_root('healthy'), '--once')
            self.assertIn(why, err)

    def test_root_is_checked_before_anything_is_probed(self):
        probe = self.useFixture(fixtures.MockPatch(
            'zha_scheduler.agent.service.TraitAgent')).mock
        self.main('--root', os.path.join(self.tmp, 'nope'), '--once')
        probe.assert_not_called()


class EvacuateTest(BadInputTestCase):

    def main(self, *argv):
        return self.assert_usage_error(evacuate.main, list(argv),
                                       conn=object())

    @SETTINGS
    @given(bad=bad_files('zha_evacuate', 'max_parallel'))
    def test_bad_config_files(self, bad):
        err = self.main('--config-file', self.path_of(bad), 'lpar1')
        self.assertTrue(err.startswith('zha-evacuate: error: '), err)

    @SETTINGS
    @given(word=WORDS, value=WORDS)
    def test_unknown_options_and_bad_values(self, word, value):
        known = ('--dry-run', '--format', '--debug', '--config-file',
                 '--config-dir', '--log-file', '--log-dir',
                 '--log-config-append', '--log-date-format', '--use-json',
                 '--use-syslog', '--use-journal', '--syslog-log-facility',
                 '--nodebug', '--nodry-run', '--nouse-json', '--nouse-syslog',
                 '--nouse-journal', '--help', '--shell_completion')
        if not _known_prefix(word, known):
            self.main('lpar1', '--' + word)
        if value not in ('table', 'json'):
            self.main('lpar1', '--format', value)

    def test_named_mistakes(self):
        self.main()
        self.main('')
        self.main('lpar1', 'lpar2')

    def test_hook_configuration_errors_stay_exit_2(self):
        # What factory.hook_from_conf refuses: a coordination_url driver
        # tooz does not have, a state_dir that is a file...
        self.useFixture(fixtures.MockPatch(
            'zha_scheduler.evacuate.factory.hook_from_conf',
            side_effect=factory.ConfigError(
                '[zha_evacuate] state_dir /x is a file:\n give a directory')))
        conf = self.write('[zha_evacuate]\n')
        err = self.main('--config-file', conf, 'lpar1')
        self.assertEqual('zha-evacuate: configuration error: [zha_evacuate] '
                         'state_dir /x is a file: give a directory\n', err)

    def test_value_read_during_the_run_is_a_configuration_error(self):
        class Hook:
            def run(self, host, dry_run):
                raise cfg.ConfigFileValueError(
                    "Value for option timeout from LocationInfo(location="
                    "<Locations.user: (4, True)>, detail='/e.conf') is not "
                    "valid: could not convert string to float: 'soon'")
        self.useFixture(fixtures.MockPatch(
            'zha_scheduler.evacuate.factory.hook_from_conf',
            return_value=Hook()))
        err = self.main('--config-file', self.write('[zha_evacuate]\n'),
                        'lpar1')
        self.assertEqual('zha-evacuate: configuration error: invalid value '
                         'for option timeout in /e.conf: could not convert '
                         "string to float: 'soon'; set a valid one (see its "
                         'help)\n', err)


class ManageTest(BadInputTestCase):
    """zha-scheduler: every subcommand."""

    def main(self, *argv):
        return self.assert_usage_error(manage.main, list(argv))

    def snapshot(self):
        path = os.path.join(self.tmp, 'snap.json')
        if not os.path.exists(path):
            snapshot.save(synthetic.synthetic(hosts=8, instances=12, cpcs=2),
                          path)
        return path

    def insight_argv(self, command):
        return {'explain': ['explain', '--flavor', 'z.small'],
                'audit': ['audit'], 'capacity': ['capacity'],
                'snapshot': ['snapshot', '--output',
                             os.path.join(self.tmp, 'out.json')]}[command]

    @SETTINGS
    @given(command=st.sampled_from(['explain', 'audit', 'capacity',
                                    'snapshot']),
           json_format=st.booleans(),
           bad=bad_files('zha_evacuate', 'max_parallel'))
    def test_insight_bad_config_files(self, command, json_format, bad):
        argv = self.insight_argv(command) + ['--config-file',
                                             self.path_of(bad)]
        if json_format:
            argv += ['--format', 'json']
        err = self.main(*argv)
        self.assertTrue(err.startswith('zha-scheduler %s: ' % command), err)

    @SETTINGS
    @given(option=st.sampled_from(['--nova-conf', '--agent-conf',
                                   '--hook-conf']),
           bad=bad_files('zha_agent', 'interval'))
    def test_check_bad_config_files(self, option, bad):
        nova = self.write(check_helpers.snippet())
        argv = ['check', '--nova-conf', nova, '--skip-placement',
                '--systemd-dir', self.tmp, '--format', 'json']
        kind, _ = bad
        if kind == 'invalid value':
            # check reports invalid values as findings (exit 1), in JSON.
            status, out, err = cli_helpers.run(manage.main, argv + [
                option, self.path_of(bad)])
            self.assertEqual('', err)
            self.assertIn(status, (0, 1))
            return
        err = self.main(*argv, option, self.path_of(bad))
        self.assertTrue(err.startswith('zha-scheduler check: error: '), err)

    @SETTINGS
    @given(command=st.sampled_from(manage.COMMANDS), word=WORDS,
           value=WORDS)
    def test_unknown_options_and_bad_values(self, command, word, value):
        subparsers = manage._parser()._subparsers._group_actions[0]
        known = subparsers.choices[command]._option_string_actions
        if not _known_prefix(word, known):
            self.main(command, '--' + word)
        if value not in ('table', 'json', 'text'):
            self.main(command, '--format', value)
        if word not in manage.COMMANDS:
            self.main(word)

    def test_named_mistakes(self):
        snap = self.snapshot()
        latin1 = self.write(b'lpar1: st\xe9ndby\n')
        cases = [
            (['capacity', '--snapshot', snap, '--partners', latin1],
             'cannot use partners file: '),
            (['capacity', '--snapshot', snap, '--partners', self.tmp],
             'cannot use partners file: '),
            (['snapshot', '--synthetic', '--hosts', '50', '--output',
              os.path.join(self.tmp, 's.json')],
             'cannot build that synthetic cloud: '),
            (['snapshot', '--synthetic', '--hosts', '50', '--cpcs', '0',
              '--output', os.path.join(self.tmp, 's.json')],
             '--hosts and --cpcs must be 1 or more'),
            (['snapshot', '--synthetic', '--hosts', 'many', '--output',
              os.path.join(self.tmp, 's.json')], 'invalid int value'),
            (['snapshot', '--synthetic', '--output', self.tmp],
             'it is a directory'),
            (['snapshot', '--synthetic', '--output',
              os.path.join(self.tmp, 'no', 's.json')], 'no directory'),
            (['demo', '--log-file', os.path.join(self.tmp, 'no', 'x.log')],
             '--log-file %s/no/x.log: cannot write there: No such file or '
             'directory' % self.tmp),
            (['demo', '--log-file', self.tmp], 'cannot write there'),
            (['demo', '--cpcs', '9'], 'must be between 2 and 6'),
            (['explain', '--snapshot', snap], '--flavor'),
            (['explain', '--snapshot', snap, '--flavor', 'z.small',
              '--hint', 'novalue'], 'is not KEY=VALUE'),
            ([], 'required'),
        ]
        for argv, why in cases:
            err = self.main(*argv)
            self.assertIn(why, err)

    def test_demo_log_file_is_checked_before_anything_starts(self):
        self.useFixture(fixtures.MonkeyPatch('zha_scheduler.sim.demo',
                                             None))
        self.main('demo', '--log-file', os.path.join(self.tmp, 'no', 'x'))

    def nova_section(self, text):
        return self.write('[nova]\n' + text)

    def test_missing_or_incomplete_nova_credentials(self):
        for command in ('explain', 'audit', 'capacity', 'snapshot'):
            for section, why in (
                    ('', 'no [nova] credentials'),
                    ('auth_type = password\n',
                     '[nova] is missing auth_url for auth_type password'),
                    ('auth_type = passwrod\n', 'is not a keystoneauth '
                     'plugin'),
                    ('auth_type = noauth\n', 'is missing user_id')):
                err = self.main(*self.insight_argv(command),
                                '--config-file', nova_conf.snippet_path(),
                                '--config-file', self.nova_section(section))
                self.assertIn(why, err)

    def test_credentials_failing_at_the_first_request(self):
        # keystoneauth authenticates lazily: these come out of the first
        # read of the cloud, not of building the connection.
        conf = self.nova_section('auth_type = password\nauth_url = '
                                 'http://keystone.invalid/identity\n'
                                 'username = u\npassword = p\n'
                                 'project_name = p\n')
        for error in (ks_exc.MissingAuthPlugin('An auth plugin is required '
                                               'to determine endpoint URL'),
                      ks_exc.DiscoveryFailure('Could not find versioned '
                                              'identity endpoints'),
                      ks_exc.Unauthorized('The request you have made '
                                          'requires authentication.')):
            self.useFixture(fixtures.MockPatch(
                'zha_scheduler.clients.nova_client.NovaClient.placement',
                side_effect=error))
            for command in ('explain', 'audit', 'capacity', 'snapshot'):
                err = self.main(*self.insight_argv(command),
                                '--config-file', nova_conf.snippet_path(),
                                '--config-file', conf)
                self.assertIn('cannot read the cloud with the [nova] '
                              'credentials: %s' % error, err)

    def test_help_is_not_an_error(self):
        for argv in ([], ['explain'], ['check'], ['demo']):
            status, out, err = cli_helpers.run(manage.main, argv + ['--help'])
            self.assertEqual((0, ''), (status, err))
            self.assertIn('usage: zha-scheduler', out)
