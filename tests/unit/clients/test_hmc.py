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

"""Unit tests for the HMC status reader, on zhmcclient's faked HMC."""

import logging
import os
from unittest import mock

import fixtures
from oslotest import base
import zhmcclient
from zhmcclient import mock as zhmc_mock

from tests.unit.evacuate import hmc_http
from zha_scheduler.clients import hmc

LPAR_STATUSES = ('operating', 'not-operating', 'not-activated', 'exceptions')
PARTITION_STATUSES = (
    'active', 'degraded', 'paused', 'starting', 'stopping', 'stopped',
    'terminated', 'reservation-error', 'communications-not-active',
    'status-check')
CPC_RUNNING = ('operating', 'active', 'acceptable', 'degraded',
               'service-required', 'service', 'exceptions',
               'not-communicating', 'status-check')


class _Base(base.BaseTestCase):
    """A faked HMC with a classic and a DPM CPC, and a reader on it."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.session = zhmc_mock.FakedSession('hmc.example.com', 'HMC1',
                                              '2.16', '4.10')
        self.classic = self.add_cpc('Z1', dpm=False, status='operating')
        self.dpm = self.add_cpc('Z2', dpm=True, status='active')
        self.gets = mock.patch.object(self.session, 'get',
                                      wraps=self.session.get).start()
        self.addCleanup(mock.patch.stopall)
        self.factory = mock.Mock(return_value=self.session)
        self.lpars_file = os.path.join(self.tmp, 'lpars.yaml')
        self.write_lpars({})
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def add_cpc(self, name, dpm, status, **props):
        props.update({'object-id': name, 'name': name, 'status': status})
        if dpm is not None:
            props['dpm-enabled'] = dpm
        return self.session.hmc.cpcs.add(props)

    @staticmethod
    def add_lpar(cpc, name, status):
        manager = (cpc.partitions if cpc.properties.get('dpm-enabled')
                   else cpc.lpars)
        # Explicit object IDs: the faked HMC numbers LPARs per CPC.
        return manager.add({'object-id': '%s-%s' % (cpc.name, name),
                            'name': name, 'status': status})

    def write_lpars(self, lpars):
        with open(self.lpars_file, 'w', encoding='utf-8') as f:
            f.writelines('%s: {cpc: %s, lpar: %s}\n' % (host, cpc, lpar)
                         for host, (cpc, lpar) in lpars.items())

    def settings(self, **kwargs):
        values = dict(host='hmc.example.com', userid='watcher',
                      password='s3cret', port=6794, ca_file=None,
                      insecure=False, lpars_file=self.lpars_file)
        values.update(kwargs)
        return hmc.HmcSettings(**values)

    def reader(self, factory=None, **kwargs):
        return hmc.StatusReader(self.settings(**kwargs),
                                session_factory=factory or self.factory)

    def uris(self):
        return [c.args[0] for c in self.gets.call_args_list]


class StatusesTest(_Base):
    """Which statuses mean failed, classic and DPM, LPAR and CPC."""

    def test_classic_lpar_statuses(self):
        for status in LPAR_STATUSES:
            self.add_lpar(self.classic, status.upper()[:8], status)
        statuses = self.reader().read(
            ('Z1', s.upper()[:8]) for s in LPAR_STATUSES)
        failed = {s.status: s.failure() for s in statuses.values()}
        self.assertEqual({'not-operating', 'not-activated'},
                         {s for s, why in failed.items() if why})
        self.assertEqual(
            'LPAR NOT-OPER on CPC Z1 is not-operating: all its processors '
            'are stopped (the hypervisor crashed into a wait state or '
            'halted)', failed['not-operating'])
        self.assertEqual({'classic'}, {s.mode for s in statuses.values()})

    def test_dpm_partition_statuses(self):
        for status in PARTITION_STATUSES:
            self.add_lpar(self.dpm, status, status)
        statuses = self.reader().read(('Z2', s) for s in PARTITION_STATUSES)
        self.assertEqual(
            {'stopped', 'terminated', 'reservation-error'},
            {s.status for s in statuses.values() if s.failure()})
        terminated = statuses[('Z2', 'terminated')]
        self.assertEqual('dpm', terminated.mode)
        self.assertIn('partition terminated on CPC Z2 is terminated: its '
                      'operating system stopped all its processors',
                      terminated.failure())

    def test_a_failed_cpc_fails_every_lpar_on_it_without_listing_them(self):
        for name, status in (('Z3', 'no-power'), ('Z4', 'not-operating')):
            cpc = self.add_cpc(name, dpm=False, status=status)
            self.add_lpar(cpc, 'KVM1', 'operating')
            self.add_lpar(cpc, 'KVM2', 'operating')
        self.add_lpar(self.classic, 'KVM1', 'operating')
        statuses = self.reader().read(
            [(c, lpar) for c in ('Z3', 'Z4') for lpar in ('KVM1', 'KVM2')] +
            [('Z1', 'KVM1')])
        self.assertEqual('CPC Z3 is no-power: it is powered off',
                         statuses[('Z3', 'KVM2')].failure())
        self.assertEqual('CPC Z4 is not-operating: it is powered on but not '
                         'operating', statuses[('Z4', 'KVM1')].failure())
        self.assertIsNone(statuses[('Z1', 'KVM1')].failure())
        # The CPC list and Z1's LPARs: the failed CPCs are not listed.
        self.assertEqual(['/api/cpcs', '/api/cpcs/Z1/logical-partitions'],
                         self.uris())

    def test_running_or_unknown_cpc_leaves_it_to_the_lpars(self):
        for i, status in enumerate(CPC_RUNNING):
            cpc = self.add_cpc('C%d' % i, dpm=False, status=status)
            self.add_lpar(cpc, 'UP', 'operating')
            self.add_lpar(cpc, 'DOWN', 'not-operating')
        statuses = self.reader().read(
            ('C%d' % i, lpar) for i in range(len(CPC_RUNNING))
            for lpar in ('UP', 'DOWN'))
        self.assertEqual({'DOWN'}, {s.lpar for s in statuses.values()
                                    if s.failure()})
        self.assertEqual(set(CPC_RUNNING),
                         {s.cpc_status for s in statuses.values()})

    def test_unknown_cpc_or_lpar_is_noted_not_failed(self):
        statuses = self.reader().read([('Z9', 'KVM1'), ('Z1', 'NOSUCH'),
                                       ('Z2', 'NOSUCH')])
        for key, words in (
                (('Z9', 'KVM1'), 'no CPC Z9 on HMC hmc.example.com'),
                (('Z1', 'NOSUCH'), 'no LPAR NOSUCH on CPC Z1'),
                (('Z2', 'NOSUCH'), 'no partition NOSUCH on CPC Z2')):
            self.assertIsNone(statuses[key].failure())
            self.assertIn(words, statuses[key].note)
            self.assertIn('lpars_file', statuses[key].note)

    def test_read_hosts_maps_the_lpars_file(self):
        self.add_lpar(self.classic, 'KVMH01', 'not-operating')
        self.add_lpar(self.dpm, 'KVMP01', 'active')
        self.write_lpars({'lpar1': ('Z1', 'KVMH01'),
                          'dpm1': ('Z2', 'KVMP01')})
        reader = self.reader()
        statuses = reader.read_hosts()
        self.assertEqual({'lpar1': 'not-operating', 'dpm1': 'active'},
                         {h: s.status for h, s in statuses.items()})
        # Read at each call, as the fencer does.
        self.write_lpars({'dpm1': ('Z2', 'KVMP01')})
        self.assertEqual(['dpm1'], list(reader.read_hosts()))


class RequestsPerPollTest(_Base):
    """A bounded number of requests per poll, never one per LPAR."""

    def test_one_list_of_cpcs_and_one_per_cpc_with_mapped_lpars(self):
        targets = []
        for i in range(20):
            self.add_lpar(self.classic, 'KVMH%02d' % i, 'operating')
            targets.append(('Z1', 'KVMH%02d' % i))
        for i in range(5):
            self.add_lpar(self.dpm, 'KVMP%02d' % i, 'active')
            targets.append(('Z2', 'KVMP%02d' % i))
        other = self.add_cpc('Z3', dpm=False, status='operating')
        self.add_lpar(other, 'ZOS1', 'operating')  # not a compute host
        reader = self.reader()
        for poll in range(3):
            self.gets.reset_mock()
            statuses = reader.read(targets)
            self.assertEqual(25, len(statuses))
            self.assertEqual(['/api/cpcs', '/api/cpcs/Z1/logical-partitions',
                              '/api/cpcs/Z2/partitions'], self.uris())
        # No Get Properties of a single LPAR, partition or CPC.
        self.factory.assert_called_once()

    def test_an_hmc_without_dpm_enabled_in_the_list_is_asked_once(self):
        # HMCs before 2.14 leave dpm-enabled out of the CPC list.
        old = self.add_cpc('Z5', dpm=None, status='active')
        old.properties['dpm-enabled'] = True
        self.add_lpar(old, 'KVMP01', 'stopped')
        self.useFixture(fixtures.MonkeyPatch(
            'zha_scheduler.clients.hmc.StatusReader._connect',
            self._listing_without_dpm))
        reader = self.reader()
        self.assertEqual('dpm', reader.read([('Z5', 'KVMP01')])[
            ('Z5', 'KVMP01')].mode)
        first = self.uris()
        self.gets.reset_mock()
        statuses = reader.read([('Z5', 'KVMP01')])
        self.assertEqual(3, len(first))
        self.assertTrue(first[1].startswith('/api/cpcs/Z5?properties='),
                        first)
        self.assertEqual(['/api/cpcs', '/api/cpcs/Z5/partitions'],
                         self.uris())
        self.assertIsNotNone(statuses[('Z5', 'KVMP01')].failure())

    def _listing_without_dpm(self, *reader):
        client = zhmcclient.Client(self.session)
        real = client.cpcs.list

        def listed():
            cpcs = real()
            for cpc in cpcs:
                cpc._properties.pop('dpm-enabled', None)
            return cpcs
        client.cpcs.list = listed
        return client


class SessionTest(_Base):
    """One session across polls; zhmcclient logs on again when it expired."""

    # A real zhmcclient.Session talks HTTP to the faked HMC (hmc_http),
    # which checks session IDs as an HMC does.

    def setUp(self):
        super().setUp()
        self.add_lpar(self.classic, 'KVMH01', 'operating')
        self.adapter = hmc_http.FakedHmcAdapter(self.session)
        self.useFixture(hmc_http.RealSessions(self.adapter))
        self.opened = []

    def real(self, *args, **kwargs):
        session = zhmcclient.Session(*args, **kwargs)
        self.opened.append(session)
        return session

    def read(self, reader):
        return reader.read([('Z1', 'KVMH01')])[('Z1', 'KVMH01')]

    def test_one_session_and_one_logon_across_polls(self):
        reader = self.reader(self.real)
        for _ in range(5):
            self.assertEqual('operating', self.read(reader).status)
        self.assertEqual(1, len(self.opened))
        self.assertEqual(1, self.adapter.count('POST', '/api/sessions'))
        self.assertEqual(10, self.adapter.count('GET', status=200))
        self.assertEqual(0, self.adapter.count('DELETE'))
        reader.close()
        self.assertEqual(1, self.adapter.count(
            'DELETE', '/api/sessions/this-session', 204))
        self.assertEqual(set(), self.session.hmc._valid_session_ids)

    def test_an_expired_session_is_renewed_by_zhmcclient(self):
        reader = self.reader(self.real)
        self.read(reader)
        self.adapter.expire()  # HMC session timeout, or an HMC restart
        self.classic.lpars.list()[0].properties['status'] = 'not-operating'
        self.assertEqual('not-operating', self.read(reader).status)
        # 403 reason 5, a new logon and the same GET again, by zhmcclient.
        self.assertEqual(1, self.adapter.count('GET', status=403))
        self.assertEqual(2, self.adapter.count('POST', '/api/sessions'))
        self.assertEqual(1, len(self.opened))
        self.assertEqual([], [r for r in self.log.output.splitlines()
                              if 'ERROR' in r])

    def test_an_unreachable_hmc_is_an_error_and_the_session_recovers(self):
        reader = self.reader(self.real)
        self.read(reader)
        self.session.hmc.disable()
        exc = self.assertRaises(hmc.HmcError, self.read, reader)
        self.assertIn('HMC hmc.example.com is unreachable', str(exc))
        # The HMC restarts meanwhile: the session is gone there as well.
        self.adapter.expire()
        self.session.hmc.enable()
        self.assertEqual('operating', self.read(reader).status)
        self.assertEqual(1, len(self.opened))
        self.assertEqual(2, self.adapter.count('POST', '/api/sessions'))

    def test_a_failed_logon_again_is_retried_at_the_next_poll(self):
        reader = self.reader(self.real)
        self.read(reader)
        self.adapter.expire()
        self.adapter.password = 'changed'
        exc = self.assertRaises(hmc.HmcError, self.read, reader)
        self.assertIn('HMC hmc.example.com refused the logon of watcher',
                      str(exc))
        self.assertIn('check [zha_evacuate] hmc_userid and hmc_password',
                      str(exc))
        self.assertNotIn('s3cret', str(exc))
        self.adapter.password = 's3cret'
        self.assertEqual('operating', self.read(reader).status)
        self.assertEqual(1, len(self.opened))

    def test_wrong_credentials_from_the_start(self):
        exc = self.assertRaises(hmc.HmcError, self.read,
                                self.reader(self.real, password='wrong'))
        self.assertIn('refused the logon of watcher', str(exc))
        self.assertNotIn('wrong', str(exc))

    def test_timeouts_are_bounded(self):
        self.reader(self.real).read([])
        config = self.opened[0].retry_timeout_config
        self.assertEqual((5, 1, 10, 0), (
            config.connect_timeout, config.connect_retries,
            config.read_timeout, config.read_retries))


class ErrorsTest(_Base):

    def test_a_cpc_refusing_its_list_leaves_the_others(self):
        self.add_lpar(self.classic, 'KVMH01', 'not-operating')
        self.add_lpar(self.dpm, 'KVMP01', 'stopped')
        refused = zhmcclient.HTTPError(
            {'http-status': 409, 'reason': 1, 'message': 'status-check',
             'request-method': 'GET', 'request-uri': '/api/x'})
        real = zhmcclient.LparManager.list

        def lpars(manager, *args, **kwargs):
            if manager.cpc.name == 'Z1':
                raise refused
            return real(manager, *args, **kwargs)
        self.useFixture(fixtures.MonkeyPatch('zhmcclient.LparManager.list',
                                             lpars))
        statuses = self.reader().read([('Z1', 'KVMH01'), ('Z2', 'KVMP01')])
        self.assertIsNone(statuses[('Z1', 'KVMH01')].failure())
        self.assertEqual('HMC hmc.example.com refused to list the LPARs of '
                         'CPC Z1: 409,1: status-check [GET /api/x]',
                         statuses[('Z1', 'KVMH01')].note)
        self.assertIsNotNone(statuses[('Z2', 'KVMP01')].failure())

    def test_an_unreachable_hmc_from_the_start(self):
        self.session.hmc.disable()
        exc = self.assertRaises(hmc.HmcError, self.reader().read,
                                [('Z1', 'KVMH01')])
        self.assertEqual('HMC hmc.example.com is unreachable: HMC is not '
                         'enabled.', str(exc))

    def test_other_hmc_errors_name_the_hmc(self):
        with mock.patch.object(zhmcclient.CpcManager, 'list', autospec=True,
                               side_effect=zhmcclient.ParseError('bad')):
            exc = self.assertRaises(hmc.HmcError, self.reader().read, [])
        self.assertEqual('cannot read the statuses on HMC hmc.example.com: '
                         'ParseError: bad', str(exc))

    def test_close_without_a_session_and_a_failing_logoff(self):
        reader = self.reader()
        reader.close()  # never connected
        reader.read([])
        with mock.patch.object(self.session, 'logoff', autospec=True,
                               side_effect=zhmcclient.ConnectionError(
                                   'gone', None)):
            reader.close()
        self.assertIn('Logging off HMC hmc.example.com failed: gone',
                      self.log.output)
        reader.close()  # closed once only


class OpenSessionTest(_Base):

    def test_overrides_replace_the_defaults_only_where_set(self):
        self.settings().open_session(
            30, self.factory,
            overrides=zhmcclient.RetryTimeoutConfig(read_timeout=7))
        config = self.factory.call_args.kwargs['retry_timeout_config']
        self.assertEqual((hmc.CONNECT_TIMEOUT, 7, 30),
                         (config.connect_timeout, config.read_timeout,
                          config.operation_timeout))
