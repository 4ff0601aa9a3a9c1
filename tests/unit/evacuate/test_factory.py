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

import os
from unittest import mock

import fixtures
from oslo_config import cfg
from oslotest import base

from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.evacuate import factory


class _ConfTest(base.BaseTestCase):
    """A zha-evacuate configuration with usable paths."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.a_file = os.path.join(self.tmp, 'a-file')
        with open(self.a_file, 'w'):
            pass
        self.conf = cfg.ConfigOpts()
        evacuate_conf.register_opts(self.conf)
        evacuate_conf.register_nova_opts(self.conf)
        self.conf([])
        self.set(coordination_url='file://%s/locks' % self.tmp,
                 state_dir=os.path.join(self.tmp, 'state'))

    def set(self, **options):
        for name, value in options.items():
            self.conf.set_override(name, value, group='zha_evacuate')

    def build(self):
        return factory.hook_from_conf(self.conf, conn=object())

    def error(self):
        return str(self.assertRaises(factory.ConfigError, self.build))


class HookFromConfTest(_ConfTest):
    """Configuration that would fail at every poll fails at start."""

    def test_good_paths_are_neither_created_nor_locked(self):
        hook = self.build()
        self.assertEqual(os.path.join(self.tmp, 'state'), hook.state_dir)
        self.assertEqual(['a-file'], os.listdir(self.tmp))

    def test_unknown_driver_names_the_option_and_the_known_drivers(self):
        self.set(coordination_url='etcd://zha:s3cret@etcd.example:2379')
        message = self.error()
        self.assertTrue(message.startswith(
            '[zha_evacuate] coordination_url = '
            'etcd://zha:***@etcd.example:2379: '
            "'etcd' is not a tooz driver; known drivers: "), message)
        self.assertIn('etcd3+http, etcd3+https, file', message)
        self.assertNotIn('s3cret', message)

    def test_lock_directory_that_is_a_file(self):
        self.set(coordination_url='file://' + self.a_file)
        self.assertIn('coordination_url = file://%s: the lock directory: '
                      '%s is not a directory' % (self.a_file, self.a_file),
                      self.error())

    def test_state_dir_that_is_a_file_or_not_writable(self):
        self.set(state_dir=self.a_file)
        self.assertEqual('[zha_evacuate] state_dir: %s is not a directory; '
                         'set it to a directory zha-evacuate can write'
                         % self.a_file, self.error())
        self.set(state_dir=os.path.join(self.a_file, 'state'))
        self.assertIn('cannot be created: %s is not a directory'
                      % self.a_file, self.error())
        self.set(state_dir=self.tmp)
        with mock.patch('os.access', return_value=False,
                        autospec=True):
            self.assertIn('%s is not writable by this user' % self.tmp,
                          self.error())


class WatcherFromConfTest(_ConfTest):
    """Watch mode reads the HMC only with fencing = hmc."""

    def test_without_hmc_configuration_the_heartbeat_alone(self):
        hook = self.build()
        for options in ({}, {'hmc_host': 'hmc.example.com',
                             'hmc_userid': 'u', 'hmc_password': 'p'}):
            self.set(**options)
            watcher = factory.watcher_from_conf(self.conf, hook)
            self.assertIsNone(watcher.hmc)
            self.assertEqual((60, 2.0), (watcher.grace_period,
                                          watcher.poll_interval))

    def test_fencing_hmc_reads_the_hmc_every_hmc_poll_interval(self):
        lpars = os.path.join(self.tmp, 'lpars.yaml')
        with open(lpars, 'w') as f:
            f.write('h1: {cpc: Z1, lpar: L1}\n')
        self.set(fencing='hmc', hmc_host='hmc.example.com', hmc_userid='u',
                 hmc_password='p', lpars_file=lpars, hmc_poll_interval=0.5)
        session_factory = mock.Mock()
        watcher = factory.watcher_from_conf(
            self.conf, self.build(), session_factory=session_factory)
        self.assertEqual('hmc.example.com', watcher.hmc.settings.host)
        self.assertEqual(0.5, watcher.hmc_poll_interval)
        session_factory.assert_not_called()  # at the first poll

    def test_fencing_hmc_without_its_options_is_a_config_error(self):
        self.set(fencing='hmc')
        exc = self.assertRaises(factory.ConfigError,
                                factory.watcher_from_conf, self.conf,
                                mock.Mock())
        self.assertIn('fencing = hmc needs [zha_evacuate] hmc_host', str(exc))

    def test_hmc_poll_interval_must_be_positive(self):
        self.assertRaises(ValueError, self.set, hmc_poll_interval=0)
