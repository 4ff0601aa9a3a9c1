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

"""Unit tests of hmc-reachable, hmc-lpars (on zhmcclient's faked HMC) and
lpars-coverage (on a fake Placement view).
"""

import time
from unittest import mock

import requests
import zhmcclient
from zhmcclient import mock as zhmc_mock

from tests.unit.check import helpers
from tests.unit.check import test_partners
from zha_scheduler.check import findings
from zha_scheduler.check import hmc_checks
from zha_scheduler.check import tools_conf

LPARS_YAML = """\
lpar1.example.com: {cpc: Z1, lpar: KVMH01}
lpar2.example.com: {cpc: Z1, lpar: KVMH02}
dpm1.example.com: {cpc: Z2, lpar: KVMP01}
"""


class _HmcCase(helpers.CheckTestCase):
    """A hook config with fencing = hmc, and a faked HMC with a classic and
    a DPM CPC (as tests/unit/evacuate/test_fencing.py builds it).
    """

    def setUp(self):
        super().setUp()
        # With credentials: the check logs on explicitly.
        self.session = zhmc_mock.FakedSession(
            'hmc.example.com', 'HMC1', '2.16', '4.10', userid='fencer',
            password='s3cret')
        classic = self.session.hmc.cpcs.add(
            {'name': 'Z1', 'dpm-enabled': False})
        for name in ('KVMH01', 'KVMH02', 'SPARE'):
            classic.lpars.add({'name': name, 'status': 'operating'})
        dpm = self.session.hmc.cpcs.add({'name': 'Z2', 'dpm-enabled': True})
        dpm.partitions.add({'name': 'KVMP01', 'status': 'active'})
        self.logoff = mock.patch.object(
            self.session, 'logoff', wraps=self.session.logoff).start()
        self.addCleanup(mock.patch.stopall)
        self.factory = mock.Mock(return_value=self.session)

    def hook(self, lpars=LPARS_YAML, extra='', fencing='hmc'):
        path = self.write('lpars.yaml', lpars)
        return tools_conf.load_hook(self.write('hook.conf', (
            '[zha_evacuate]\nfencing = %s\nhmc_host = hmc.example.com\n'
            'hmc_userid = fencer\nhmc_password = s3cret\nlpars_file = %s\n%s'
            % (fencing, path, extra))))

    def check(self, hook=None, factory=None, **kwargs):
        hook = hook if hook is not None else self.hook()
        return hmc_checks.check_hmc(
            hook, factory if factory is not None else self.factory, **kwargs)


class HmcReachableTest(_HmcCase):

    def test_every_cpc_and_lpar_found_is_ok(self):
        found = self.check()
        self.assertEqual(
            'logged on to HMC hmc.example.com port 6794 as fencer',
            self.only(found, 'hmc-reachable', findings.OK).message)
        self.assertEqual(
            'HMC hmc.example.com knows the 3 LPARs and partitions of '
            'lpars_file, on 2 CPCs (DPM, classic)',
            self.only(found, 'hmc-lpars', findings.OK).message)
        self.logoff.assert_called_once_with()

    def test_the_session_has_short_timeouts_and_no_retries(self):
        self.check()
        args, kwargs = self.factory.call_args
        self.assertEqual(('hmc.example.com', 'fencer', 's3cret'), args)
        self.assertEqual(6794, kwargs['port'])
        self.assertIs(True, kwargs['verify_cert'])
        retry = kwargs['retry_timeout_config']
        self.assertEqual(
            (hmc_checks.CONNECT_TIMEOUT, 0, hmc_checks.READ_TIMEOUT, 0),
            (retry.connect_timeout, retry.connect_retries,
             retry.read_timeout, retry.read_retries))

    def test_unreachable_hmc_fails_fast_with_the_reason(self):
        port = helpers.closed_port()
        hook = self.hook(extra='hmc_port = %d\n' % port)
        hook.conf.set_override('hmc_host', '127.0.0.1', 'zha_evacuate')
        started = time.monotonic()
        # No factory: zhmcclient's real session, to a closed port.
        found = hmc_checks.check_hmc(hook)
        self.assertLess(time.monotonic() - started, 5)
        error = self.only(found, 'hmc-reachable', findings.ERROR)
        # Under eventlet (Nova's tests) the reason reads ECONNREFUSED.
        self.assertRegex(error.message, (
            r'^cannot reach HMC 127\.0\.0\.1 port %d: \[Errno 111\] '
            r'(Connection refused|ECONNREFUSED)\. %s$' % (
                port, hmc_checks.NO_HOST)))
        self.assertIn('check [zha_evacuate] hmc_host and hmc_port', error.fix)
        self.assertEqual('skipped: HMC not reached',
                         self.only(found, 'hmc-lpars').message)

    def test_untrusted_certificate_is_a_tls_error(self):
        # A real TLS server is in tests/functional/test_check.py: under
        # Nova's test monkey-patching, ssl here recurses in eventlet.
        text = ("HTTPSConnectionPool(host='hmc.example.com', port=6794): Max "
                "retries exceeded with url: /api/sessions (Caused by "
                "SSLError(...)), reason: [SSL: CERTIFICATE_VERIFY_FAILED] "
                "certificate verify failed: self-signed certificate "
                "(_ssl.c:1006) (exception received by zhmcclient: "
                "requests.exceptions.SSLError)")
        untrusted = zhmcclient.ConnectionError(
            text, requests.exceptions.SSLError('certificate verify failed'))
        with mock.patch.object(self.session, 'logon', autospec=True,
                               side_effect=untrusted):
            found = self.check()
        error = self.only(found, 'hmc-reachable', findings.ERROR)
        self.assertEqual(
            'the TLS certificate of HMC hmc.example.com port 6794 is not '
            'trusted: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
            'failed: self-signed certificate. %s' % hmc_checks.NO_HOST,
            error.message)
        self.assertEqual(hmc_checks.FIX_TLS, error.fix)
        self.assertIn('hmc_ca_file', error.fix)

    def test_refused_credentials(self):
        refused = zhmcclient.ServerAuthError(
            'HTTP authentication failed with 403,0: Logon failed',
            zhmcclient.HTTPError({'http-status': 403, 'reason': 0,
                                  'message': 'Logon failed'}))
        with mock.patch.object(self.session, 'logon', autospec=True,
                               side_effect=refused):
            found = self.check()
        error = self.only(found, 'hmc-reachable', findings.ERROR)
        self.assertEqual(
            'HMC hmc.example.com port 6794 refused the logon of fencer: HTTP '
            'authentication failed with 403,0: Logon failed. %s'
            % hmc_checks.NO_HOST, error.message)
        self.assertIn('hmc_userid and hmc_password', error.fix)
        self.assertIn('skipped', self.only(found, 'hmc-lpars').message)
        self.logoff.assert_called_once_with()

    def test_session_refused_by_zhmcclient(self):
        factory = mock.Mock(side_effect=zhmcclient.ClientAuthError(
            'Userid is not provided.'))
        error = self.only(self.check(factory=factory), 'hmc-reachable',
                          findings.ERROR)
        self.assertIn('cannot open a session to HMC hmc.example.com: Userid '
                      'is not provided.', error.message)

    def test_missing_ca_file_is_left_to_the_fencing_check(self):
        found = self.check(self.hook(extra='hmc_ca_file = /no/ca.pem\n'))
        self.assertIn('hmc_ca_file /no/ca.pem does not exist (see fencing)',
                      self.only(found, 'hmc-reachable', findings.OK).message)
        self.factory.assert_not_called()

    def test_skipped_without_hmc_fencing_or_with_skip_hmc(self):
        cases = [(None, {}, 'no --hook-conf given'),
                 (self.hook(fencing='none'), {}, 'fencing = none'),
                 (self.hook(), {'skip': True}, '--skip-hmc'),
                 (tools_conf.load_hook(self.write(
                     'hook.conf', '[zha_evacuate]\nfencing = hmc\n')), {},
                  'fencing = hmc is incomplete (see fencing)')]
        for hook, kwargs, why in cases:
            found = hmc_checks.check_hmc(hook, self.factory, **kwargs)
            self.assertEqual(['skipped: ' + why] * 2,
                             [f.message for f in found])
            self.assertEqual({findings.OK}, {f.severity for f in found})
        self.factory.assert_not_called()


class HmcLparsTest(_HmcCase):

    def test_cpc_unknown_to_the_hmc(self):
        found = self.check(self.hook(
            LPARS_YAML + 'lost1: {cpc: Z9, lpar: A}\n'
            'lost2: {cpc: Z9, lpar: B}\n'))
        self.only(found, 'hmc-reachable', findings.OK)
        error = self.only(found, 'hmc-lpars', findings.ERROR)
        self.assertEqual(
            'CPC Z9 of lpars_file is not known to HMC hmc.example.com: '
            'host(s) lost1, lost2 cannot be fenced, and %s'
            % hmc_checks.NOTHING,
            error.message)
        self.assertIn('correct the cpc names in %s/lpars.yaml (the CPCs '
                      'hmc_userid sees on this HMC: Z1, Z2), or give '
                      'hmc_userid object access' % self.tmp, error.fix)

    def test_lpar_or_partition_not_on_its_cpc(self):
        found = self.check(self.hook(
            LPARS_YAML + 'ghost: {cpc: Z1, lpar: NOSUCH}\n'
            'dpm2: {cpc: Z2, lpar: KVMP02}\n'))
        errors = [f for f in found if f.check == 'hmc-lpars']
        self.assertEqual(
            ['classic-mode CPC Z1 has no LPAR NOSUCH (host ghost): these '
             'hosts cannot be fenced, and ' + hmc_checks.NOTHING,
             'DPM-mode CPC Z2 has no partition KVMP02 (host dpm2): these '
             'hosts cannot be fenced, and ' + hmc_checks.NOTHING],
            [f.message for f in errors])
        self.assertEqual({findings.ERROR}, {f.severity for f in errors})
        self.assertIn('correct their lpar names in %s/lpars.yaml (the LPARs '
                      'of CPC Z1: KVMH01, KVMH02, SPARE), or give hmc_userid '
                      'object access' % self.tmp, errors[0].fix)
        self.assertIn('(the partitions of CPC Z2: KVMP01)', errors[1].fix)
        self.logoff.assert_called_once_with()

    def test_lookup_failure_after_logon(self):
        with mock.patch.object(
                zhmcclient.CpcManager, 'list', autospec=True,
                side_effect=zhmcclient.HTTPError({
                    'http-status': 403, 'reason': 1,
                    'message': 'not authorized'})):
            found = self.check()
        self.only(found, 'hmc-reachable', findings.OK)
        error = self.only(found, 'hmc-lpars', findings.ERROR)
        self.assertIn('cannot list the CPCs and LPARs of lpars_file on HMC '
                      'hmc.example.com: HTTPError: 403,1: not authorized',
                      error.message)
        self.assertIn('object access', error.fix)
        self.logoff.assert_called_once_with()

    def test_logoff_failure_does_not_change_the_findings(self):
        self.logoff.side_effect = zhmcclient.ConnectionError('gone', None)
        found = self.check()
        self.assertEqual(0, len(self.errors(found)), found)


class LparsCoverageTest(_HmcCase):

    def view(self):
        return test_partners._view()  # cpc1-lpar1 ... cpc2-lpar2: 5 hosts

    def lpars(self, names):
        return ''.join('%s: {cpc: Z1, lpar: L%d}\n' % (name, i)
                       for i, name in enumerate(names))

    def test_every_compute_node_mapped_is_ok(self):
        found = hmc_checks.check_coverage(
            self.hook(self.lpars(test_partners.HOSTS)), self.view())
        self.assertEqual(
            'lpars_file maps all 5 compute nodes to their LPARs',
            self.only(found, 'lpars-coverage', findings.OK).message)

    def test_compute_nodes_missing_from_lpars_file(self):
        found = hmc_checks.check_coverage(
            self.hook(self.lpars(['cpc1-lpar1', 'cpc2-lpar1', 'cpc2-lpar2'])),
            self.view())
        error = self.only(found, 'lpars-coverage', findings.ERROR)
        self.assertEqual(
            '2 of 5 compute nodes are not in lpars_file %s/lpars.yaml: '
            'cpc1-standby, cpc2-standby. They cannot be fenced, and '
            'zha-evacuate evacuates nothing from a host it could not fence'
            % self.tmp,
            error.message)
        self.assertEqual(
            'add "HOST: {cpc: CPC_NAME, lpar: LPAR_NAME}" for each compute '
            'host to %s/lpars.yaml, with the names the HMC shows (the '
            'partition name in DPM mode)' % self.tmp, error.fix)

    def test_hosts_that_are_not_compute_nodes_are_a_warning(self):
        found = hmc_checks.check_coverage(
            self.hook(self.lpars(list(test_partners.HOSTS) + ['old-lpar'])),
            self.view())
        warning = self.only(found, 'lpars-coverage', findings.WARNING)
        self.assertEqual('lpars_file %s/lpars.yaml names hosts that are not '
                         'compute nodes in Placement: old-lpar' % self.tmp,
                         warning.message)
        self.assertIn('"openstack hypervisor list"', warning.fix)

    def test_two_hosts_on_one_lpar_is_an_error_even_without_placement(self):
        found = hmc_checks.check_coverage(self.hook(
            'a: {cpc: Z1, lpar: KVMH01}\nb: {cpc: Z1, lpar: KVMH01}\n'), None)
        error = self.only(found, 'lpars-coverage', findings.ERROR)
        self.assertEqual('hosts a, b all map to LPAR KVMH01 on CPC Z1 in '
                         'lpars_file: fencing one of them stops the others',
                         error.message)

    def test_empty_lpars_file_is_an_error_even_without_placement(self):
        found = hmc_checks.check_coverage(self.hook(''), None)
        error = self.only(found, 'lpars-coverage', findings.ERROR)
        self.assertEqual('lpars_file %s/lpars.yaml maps no host: no host can '
                         'be fenced, and %s' % (self.tmp, hmc_checks.NOTHING),
                         error.message)
        self.assertIn('add "HOST: {cpc: CPC_NAME, lpar: LPAR_NAME}"',
                      error.fix)

    def test_skipped_without_placement_or_hmc_fencing(self):
        for hook, view, why in [
                (self.hook(), None, 'Placement not read'),
                (self.hook(fencing='none'), self.view(), 'fencing = none'),
                (None, self.view(), 'no --hook-conf given')]:
            self.assertEqual(
                'skipped: ' + why,
                self.only(hmc_checks.check_coverage(hook, view),
                          'lpars-coverage', findings.OK).message)
