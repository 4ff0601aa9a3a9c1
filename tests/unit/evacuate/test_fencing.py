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

"""Unit tests for zha_scheduler.evacuate.fencing, on zhmcclient's faked HMC."""

import logging
import os
from unittest import mock

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslotest import base
import zhmcclient
from zhmcclient import mock as zhmc_mock
from zhmcclient.mock import _urihandler

from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.evacuate import fencing

LPARS_YAML = """\
lpar1.example.com: {cpc: Z1, lpar: KVMH01}
lpar2.example.com: {cpc: Z1, lpar: KVMH02}
dpm1.example.com: {cpc: Z2, lpar: KVMP01}
ghost.example.com: {cpc: Z1, lpar: NOSUCH}
lost.example.com: {cpc: NOSUCH, lpar: KVMH01}
"""


class _Base(base.BaseTestCase):
    """Config, an lpars file and a faked HMC with a classic and a DPM CPC."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.lpars_file = self.write('lpars.yaml', LPARS_YAML)
        self.conf = cfg.ConfigOpts()
        evacuate_conf.register_opts(self.conf)
        self.conf([], project='zha-test')
        # The OptGroup's option table is shared by every ConfigOpts that
        # registers it: the fixture clears this test's overrides.
        self.config = self.useFixture(config_fixture.Config(self.conf))
        self.flags(fencing='hmc', hmc_host='hmc.example.com',
                   hmc_userid='fencer', hmc_password='s3cret',
                   lpars_file=self.lpars_file)

        self.session = zhmc_mock.FakedSession(
            'hmc.example.com', 'HMC1', '2.16', '4.10')
        self.classic = classic = self.session.hmc.cpcs.add(
            {'name': 'Z1', 'dpm-enabled': False})
        self.lpar1 = classic.lpars.add(
            {'name': 'KVMH01', 'status': 'operating'})
        self.lpar2 = classic.lpars.add(
            {'name': 'KVMH02', 'status': 'not-activated'})
        dpm = self.session.hmc.cpcs.add({'name': 'Z2', 'dpm-enabled': True})
        self.partition = dpm.partitions.add(
            {'name': 'KVMP01', 'status': 'active'})
        self.logoff = mock.patch.object(
            self.session, 'logoff', wraps=self.session.logoff).start()
        self.addCleanup(mock.patch.stopall)

        self.factory = mock.Mock(return_value=self.session)
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return path

    def flags(self, **kwargs):
        self.config.config(group='zha_evacuate', **kwargs)

    def fencer(self, **kwargs):
        return fencing.HmcFencer(self.conf, session_factory=self.factory,
                                 **kwargs)


class FencerFromConfTest(_Base):

    def test_none_returns_a_fencer_that_does_nothing(self):
        self.flags(fencing='none', hmc_userid=None, lpars_file=None)
        fencer = fencing.fencer_from_conf(self.conf,
                                          session_factory=self.factory)
        self.assertIsInstance(fencer, fencing.Fencer)
        self.assertIsNone(fencer.fence('lpar1.example.com'))
        self.factory.assert_not_called()
        self.assertEqual('operating', self.lpar1.properties['status'])

    def test_hmc_returns_an_hmc_fencer(self):
        fencer = fencing.fencer_from_conf(self.conf,
                                          session_factory=self.factory)
        self.assertIsInstance(fencer, fencing.HmcFencer)
        self.assertEqual('classic', fencer.fence('lpar1.example.com')['mode'])

    def test_missing_credentials_are_a_clear_error(self):
        self.flags(hmc_userid=None, hmc_password=None)
        exc = self.assertRaises(fencing.FencingError,
                                fencing.fencer_from_conf, self.conf)
        self.assertIn('[zha_evacuate] hmc_userid', str(exc))
        self.assertIn('[zha_evacuate] hmc_password', str(exc))
        self.assertNotIn('lpars_file', str(exc))

    def test_missing_host_and_lpars_file_are_a_clear_error(self):
        self.flags(hmc_host=None, lpars_file=None)
        exc = self.assertRaises(fencing.FencingError,
                                fencing.fencer_from_conf, self.conf)
        self.assertIn('[zha_evacuate] hmc_host', str(exc))
        self.assertIn('[zha_evacuate] lpars_file', str(exc))


class FailedCpcTest(_Base):
    """Nothing runs on a CPC without power: its hosts are fenced as is."""

    def test_hosts_of_a_cpc_without_power_need_no_action(self):
        for status in ('no-power', 'not-operating'):
            self.classic.update({'status': status})
            with mock.patch.object(zhmcclient.Lpar, 'deactivate',
                                   autospec=True) as deactivate:
                details = self.fencer().fence('lpar1.example.com')
            deactivate.assert_not_called()
            self.assertEqual(('none', 'cpc ' + status, 'cpc ' + status),
                             (details['action'], details['status_before'],
                              details['status_after']))
            self.assertIn('CPC Z1, which is %s' % status, self.log.output)

    def test_an_operating_cpc_still_deactivates_its_lpar(self):
        self.classic.update({'status': 'operating'})
        self.assertEqual('deactivate',
                         self.fencer().fence('lpar1.example.com')['action'])


class ClassicModeTest(_Base):

    def test_operating_lpar_is_deactivated(self):
        details = self.fencer().fence('lpar1.example.com')
        self.assertEqual('not-activated', self.lpar1.properties['status'])
        self.assertEqual('KVMH01', details['lpar'])
        self.assertEqual('Z1', details['cpc'])
        self.assertEqual('classic', details['mode'])
        self.assertEqual('deactivate', details['action'])
        self.assertEqual('operating', details['status_before'])
        self.assertEqual('not-activated', details['status_after'])
        self.assertGreaterEqual(details['seconds'], 0)
        self.assertIn('Fencing host lpar1.example.com', self.log.output)
        self.logoff.assert_called_once_with()

    def test_deactivate_is_forced(self):
        with mock.patch.object(zhmcclient.Lpar, 'deactivate',
                               autospec=True) as deactivate:
            self.assertRaises(fencing.FencingError,
                              self.fencer().fence, 'lpar1.example.com')
        self.assertTrue(deactivate.call_args.kwargs['force'])

    def test_already_not_activated_is_a_successful_no_op(self):
        with mock.patch.object(zhmcclient.Lpar, 'deactivate',
                               autospec=True) as deactivate:
            details = self.fencer().fence('lpar2.example.com')
        deactivate.assert_not_called()
        self.assertEqual('none', details['action'])
        self.assertEqual('not-activated', details['status_before'])
        self.assertEqual('not-activated', details['status_after'])
        self.assertIn('already not-activated', self.log.output)
        self.logoff.assert_called_once_with()

    def test_lpar_still_operating_after_deactivate_fails(self):
        # The HMC accepted the request but the LPAR did not go down.
        with mock.patch.object(zhmcclient.Lpar, 'deactivate', autospec=True):
            exc = self.assertRaises(fencing.FencingError,
                                    self.fencer().fence, 'lpar1.example.com')
        self.assertIn("has status 'operating' after deactivate", str(exc))
        self.logoff.assert_called_once_with()

    def test_lpar_ending_in_exceptions_fails(self):
        with mock.patch.object(_urihandler.LparDeactivateHandler,
                               'get_status', autospec=True,
                               return_value='exceptions'):
            exc = self.assertRaises(fencing.FencingError,
                                    self.fencer(status_timeout=1).fence,
                                    'lpar1.example.com')
        self.assertIn('StatusTimeout', str(exc))
        self.assertIn('KVMH01', str(exc))

    def test_hmc_error_during_deactivate_fails(self):
        error = zhmcclient.HTTPError(
            {'http-status': 403, 'reason': 1, 'message': 'not authorized',
             'request-method': 'POST', 'request-uri': '/api/x'})
        with mock.patch.object(zhmcclient.Lpar, 'deactivate', autospec=True,
                               side_effect=error):
            exc = self.assertRaises(fencing.FencingError,
                                    self.fencer().fence, 'lpar1.example.com')
        self.assertIn('HTTPError', str(exc))
        self.assertIn('not authorized', str(exc))
        self.assertIn('hmc.example.com', str(exc))
        self.logoff.assert_called_once_with()

    def test_connection_error_fails(self):
        error = zhmcclient.ConnectionError('connection refused', None)
        with mock.patch.object(self.session, 'get', autospec=True,
                               side_effect=error):
            exc = self.assertRaises(fencing.FencingError,
                                    self.fencer().fence, 'lpar1.example.com')
        self.assertIn('connection refused', str(exc))
        self.logoff.assert_called_once_with()

    def test_unknown_lpar_fails(self):
        exc = self.assertRaises(fencing.FencingError,
                                self.fencer().fence, 'ghost.example.com')
        self.assertIn('NOSUCH', str(exc))
        self.assertIn('lpars_file', str(exc))
        self.logoff.assert_called_once_with()

    def test_unknown_cpc_fails(self):
        exc = self.assertRaises(fencing.FencingError,
                                self.fencer().fence, 'lost.example.com')
        self.assertIn("Cpc 'NOSUCH'", str(exc))
        self.assertEqual('operating', self.lpar1.properties['status'])


class DpmModeTest(_Base):

    def test_active_partition_is_stopped(self):
        with mock.patch.object(zhmcclient.Lpar, 'deactivate',
                               autospec=True) as deactivate:
            details = self.fencer().fence('dpm1.example.com')
        deactivate.assert_not_called()
        self.assertEqual('stopped', self.partition.properties['status'])
        self.assertEqual('dpm', details['mode'])
        self.assertEqual('stop', details['action'])
        self.assertEqual('active', details['status_before'])
        self.assertEqual('stopped', details['status_after'])
        self.logoff.assert_called_once_with()

    def test_already_stopped_partition_is_a_no_op(self):
        self.partition.properties['status'] = 'stopped'
        with mock.patch.object(zhmcclient.Partition, 'stop',
                               autospec=True) as stop:
            details = self.fencer().fence('dpm1.example.com')
        stop.assert_not_called()
        self.assertEqual('none', details['action'])

    def test_hmc_refusing_to_stop_fails(self):
        # The faked HMC refuses Stop Partition in status 'starting'.
        self.partition.properties['status'] = 'starting'
        exc = self.assertRaises(fencing.FencingError,
                                self.fencer().fence, 'dpm1.example.com')
        self.assertIn('HTTPError', str(exc))
        self.assertIn('KVMP01', str(exc))
        self.logoff.assert_called_once_with()


class LparsFileTest(_Base):

    def test_missing_file_fails(self):
        self.flags(lpars_file=os.path.join(self.tmp, 'nope.yaml'))
        exc = self.assertRaises(fencing.FencingError, self.fencer)
        self.assertIn('cannot read [zha_evacuate] lpars_file', str(exc))
        self.assertIn('nope.yaml', str(exc))

    def test_invalid_yaml_fails(self):
        self.flags(lpars_file=self.write('bad.yaml', 'a: [b\n'))
        exc = self.assertRaises(fencing.FencingError, self.fencer)
        self.assertIn('is not valid YAML', str(exc))

    def test_not_a_mapping_fails(self):
        self.flags(lpars_file=self.write('list.yaml', '- a\n- b\n'))
        exc = self.assertRaises(fencing.FencingError, self.fencer)
        self.assertIn('found list', str(exc))

    def test_entry_without_lpar_fails(self):
        self.flags(lpars_file=self.write('entry.yaml', 'h1: {cpc: Z1}\n'))
        exc = self.assertRaises(fencing.FencingError, self.fencer)
        self.assertIn("entry 'h1' must be {cpc: NAME, lpar: NAME}", str(exc))

    def test_host_absent_fails_without_calling_the_hmc(self):
        exc = self.assertRaises(fencing.FencingError,
                                self.fencer().fence, 'other.example.com')
        self.assertIn('host other.example.com is not in', str(exc))
        self.factory.assert_not_called()

    def test_file_is_read_again_at_fence_time(self):
        fencer = self.fencer()
        self.write('lpars.yaml',
                   'other.example.com: {cpc: Z1, lpar: KVMH01}\n')
        self.assertEqual('deactivate',
                         fencer.fence('other.example.com')['action'])


class SessionTest(_Base):

    def test_credentials_from_config_and_tls_verified_by_default(self):
        self.fencer().fence('lpar1.example.com')
        args, kwargs = self.factory.call_args
        self.assertEqual(('hmc.example.com', 'fencer', 's3cret'), args)
        self.assertIs(True, kwargs['verify_cert'])
        self.assertEqual(6794, kwargs['port'])
        self.assertNotIn('WARNING', self.log.output)

    def test_ca_file_is_used_for_verification(self):
        ca = self.write('ca.pem', 'not really a CA\n')
        self.flags(hmc_ca_file=ca, hmc_port=9999)
        self.fencer().fence('lpar1.example.com')
        kwargs = self.factory.call_args.kwargs
        self.assertEqual(ca, kwargs['verify_cert'])
        self.assertEqual(9999, kwargs['port'])

    def test_missing_ca_file_fails(self):
        self.flags(hmc_ca_file=os.path.join(self.tmp, 'nope.pem'))
        exc = self.assertRaises(fencing.FencingError,
                                self.fencer().fence, 'lpar1.example.com')
        self.assertIn('hmc_ca_file', str(exc))
        self.factory.assert_not_called()

    def test_insecure_disables_verification_with_a_warning(self):
        self.flags(hmc_insecure=True, hmc_ca_file=self.lpars_file)
        self.fencer().fence('lpar1.example.com')
        self.assertIs(False, self.factory.call_args.kwargs['verify_cert'])
        self.assertIn('TLS certificate verification of HMC hmc.example.com '
                      'is disabled', self.log.output)

    def test_default_factory_is_zhmcclient_session(self):
        with mock.patch.object(zhmcclient, 'Session', autospec=True,
                               return_value=self.session) as session:
            fencing.HmcFencer(self.conf).fence('lpar1.example.com')
        session.assert_called_once()
        self.assertEqual(('hmc.example.com', 'fencer', 's3cret'),
                         session.call_args.args)
        self.factory.assert_not_called()

    def test_password_is_not_in_errors_or_logs(self):
        with mock.patch.object(zhmcclient.Lpar, 'deactivate', autospec=True,
                               side_effect=zhmcclient.Error('boom')):
            exc = self.assertRaises(fencing.FencingError,
                                    self.fencer().fence, 'lpar1.example.com')
        self.assertNotIn('s3cret', str(exc))
        self.assertNotIn('s3cret', self.log.output)
