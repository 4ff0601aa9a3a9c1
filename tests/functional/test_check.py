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

"""zha-scheduler check against real Placement with agent-published traits,
and as a process.
"""

import datetime
import ipaddress
import os
import shutil
import subprocess
import sys

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID
import fixtures
from oslotest import base
from zhmcclient import mock as zhmc_mock

from zha_scheduler.check import findings
from zha_scheduler.check import runner
from zha_scheduler.clients import nova_client
from zha_scheduler.sim import agents
from zha_scheduler.sim import client
from zha_scheduler.sim import cloud
from zha_scheduler.sim import nova_conf

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
CHECK = [os.path.join(os.path.dirname(sys.executable), 'zha-scheduler'),
         'check']

# 2 CPCs x (1 LPAR + 1 standby partition), and a host without any agent.
HOSTS = [cloud.SimHost('cpc%d-%s' % (c, name), 'Z%d' % c, fixture='healthy',
                       standby=name == 'standby')
         for c in (1, 2) for name in ('lpar1', 'standby')]
CROSS_CPC = {'cpc1-lpar1': 'cpc2-standby', 'cpc2-lpar1': 'cpc1-standby'}
# The faked HMC: Z1 in classic mode (LPARs), Z2 in DPM mode (partitions).
DPM_CPCS = {'Z2'}
# Accepts TLS connections with the given certificate until killed.
TLS_SERVER = """
import socket, ssl, sys
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(('127.0.0.1', 0))
print(listener.getsockname()[1], flush=True)
while True:
    conn, _ = listener.accept()
    try:
        context.wrap_socket(conn, server_side=True).close()
    except OSError:
        conn.close()
"""


def _snippet() -> str:
    with open(nova_conf.snippet_path()) as f:
        return f.read()


def _lpar(host: cloud.SimHost) -> tuple[str, str]:
    """The CPC and LPAR (or partition) of a host on the faked HMC."""
    return host.cpc or 'Z1', host.name.upper()


def _self_signed(directory: str) -> tuple[str, str]:
    """A certificate and key for 127.0.0.1 that no CA signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'hmc-test')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_file = os.path.join(directory, 'cert.pem')
    key_file = os.path.join(directory, 'key.pem')
    with open(cert_file, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_file, key_file


class _CheckCloud(cloud.SimulatedCloud):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.units = os.path.join(self.tmp, 'units')
        os.mkdir(self.units)
        self.hmc = zhmc_mock.FakedSession(
            'hmc.example.com', 'HMC1', '2.16', '4.10', userid='ops',
            password='x')
        cpcs = {}
        for host in self.HOSTS:
            cpc_name, lpar = _lpar(host)
            if cpc_name not in cpcs:
                cpcs[cpc_name] = self.hmc.hmc.cpcs.add(
                    {'name': cpc_name, 'dpm-enabled': cpc_name in DPM_CPCS})
            cpc = cpcs[cpc_name]
            if cpc_name in DPM_CPCS:
                cpc.partitions.add({'name': lpar, 'status': 'active'})
            else:
                cpc.lpars.add({'name': lpar, 'status': 'operating'})

    def hmc_factory(self, *args, **kwargs):
        return self.hmc

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def admin_token(self):
        placement = self.placement_fixture
        return ('auth_type = admin_token\nendpoint = %s\ntoken = %s\n'
                % (placement.endpoint, placement.token))

    def nova_conf(self):
        return self.write('nova.conf', _snippet() + (
            '\n[DEFAULT]\nresume_guests_state_on_host_boot = True\n'
            '\n[placement]\n' + self.admin_token()))

    def hook_conf(self, partners, unmapped=()):
        partners_file = self.write('partners.yaml', ''.join(
            '%s: %s\n' % pair for pair in partners.items()))
        lpars = self.write('lpars.yaml', ''.join(
            '%s: {cpc: %s, lpar: %s}\n' % ((h.name,) + _lpar(h))
            for h in self.HOSTS if h.name not in unmapped))
        return self.write('zha-evacuate.conf', (
            '[zha_evacuate]\npartners_file = %s\nfencing = hmc\n'
            'hmc_host = hmc.example.com\nhmc_userid = ops\nhmc_password = x\n'
            'lpars_file = %s\ncoordination_url = file://%s/locks\n\n'
            '[nova]\n%s' % (partners_file, lpars, self.tmp,
                             self.admin_token())))

    def check(self, partners, placement_client=None, unmapped=(),
              **options):
        return runner.run(runner.CheckOptions(
            nova_conf=self.nova_conf(),
            hook_conf=self.hook_conf(partners, unmapped),
            systemd_dirs=[self.units], **options), placement_client,
            self.hmc_factory)

    def placement_client(self):
        return nova_client.NovaClient(client.connection(self)).placement()

    def not_ok(self, report, check):
        return [f for f in report.by_check(check) if f.severity != findings.OK]


class ProblemCloudTest(_CheckCloud):
    """A host without agent, and standby hosts the partners leave out."""

    HOSTS = HOSTS + [cloud.SimHost('bare')]

    def test_hosts_without_traits_and_a_standby_without_partner(self):
        report = self.check({'cpc1-lpar1': 'cpc2-standby'},
                            self.placement_client())
        [traits] = self.not_ok(report, 'topology-traits')
        self.assertEqual(findings.WARNING, traits.severity)
        self.assertIn('1 of 5 compute nodes have no CUSTOM_ZHA_CPC_* trait: '
                      'bare', traits.message)
        [partner] = self.not_ok(report, 'standby-partners')
        self.assertEqual(findings.WARNING, partner.severity)
        self.assertIn('standby host(s) cpc1-standby are nobody\'s partner',
                      partner.message)
        self.assertIn('5 compute nodes, 4 with ZHA traits',
                      report.by_check('placement-reachable')[0].message)
        self.assertEqual(0, report.errors, report.to_text())
        self.assertEqual(0, report.exit_status)

    def test_partner_on_the_same_cpc_is_an_error(self):
        report = self.check({'cpc1-lpar1': 'cpc1-standby',
                             'cpc2-lpar1': 'cpc2-standby'},
                            self.placement_client())
        errors = [f for f in report.findings if f.severity == findings.ERROR]
        self.assertEqual(
            ['cpc1-lpar1 and its partner cpc1-standby are both on CPC Z1',
             'cpc2-lpar1 and its partner cpc2-standby are both on CPC Z2'],
            [f.message.split(':')[0] for f in errors])
        self.assertEqual({'standby-partners'}, {f.check for f in errors})
        self.assertEqual(1, report.exit_status)

    def test_compute_missing_from_lpars_file_is_an_error(self):
        report = self.check(CROSS_CPC, self.placement_client(),
                            unmapped=('cpc2-standby', 'bare'))
        [missing] = self.not_ok(report, 'lpars-coverage')
        self.assertEqual(findings.ERROR, missing.severity)
        self.assertEqual(
            '2 of 5 compute nodes are not in lpars_file %s/lpars.yaml: bare, '
            'cpc2-standby. They cannot be fenced, and zha-evacuate '
            'evacuates nothing from a host it could not fence' % self.tmp,
            missing.message)
        self.assertIn('add "HOST: {cpc: CPC_NAME, lpar: LPAR_NAME}"',
                      missing.fix)
        # The HMC knows every LPAR the file names.
        self.assertEqual([], self.not_ok(report, 'hmc-lpars'))


class HealthyCloudTest(_CheckCloud):
    """Every host published by its agent, each primary's partner on the
    other CPC.
    """

    HOSTS = HOSTS

    def test_healthy_config_has_no_error_nor_warning(self):
        for unit in ('zha-trait-agent.service', 'zha-evacuate-watch.service'):
            shutil.copy(os.path.join(ROOT, 'etc', 'systemd', unit), self.units)
        agent = self.write('zha-trait-agent.conf', (
            '[zha_agent]\nconsistency_groups_file = %s\n\n[placement]\n%s' % (
                os.path.join(agents.fixtures_root(), 'healthy', 'etc',
                             'zha-scheduler', 'consistency-groups.yaml'),
                self.admin_token())))
        # No client given: the check builds it from nova.conf's [placement].
        report = self.check(CROSS_CPC, agent_conf=agent)
        self.assertEqual((0, 0), (report.errors, report.warnings),
                         report.to_text())
        self.assertEqual(0, report.exit_status)
        self.assertIn('4 compute nodes, 4 with ZHA traits',
                      report.by_check('placement-reachable')[0].message)
        self.assertIn('maps 2 primaries to 2 standby hosts',
                      report.by_check('standby-partners')[0].message)
        self.assertEqual(
            ['logged on to HMC hmc.example.com port 6794 as ops',
             'HMC hmc.example.com knows the 4 LPARs and partitions of '
             'lpars_file, on 2 CPCs (DPM, classic)',
             'lpars_file maps all 4 compute nodes to their LPARs',
             'coordination_url file://%s/locks: the lock directory is '
             'usable by this user; locks are seen on this controller only'
             % self.tmp],
            [f.message for check in ('hmc-reachable', 'hmc-lpars',
                                     'lpars-coverage',
                                     'coordination-reachable')
             for f in report.by_check(check)])
        restart_policy = report.by_check('restart-policy')
        self.assertEqual(
            ['skipped: nova-compute.service / openstack-nova-compute.service '
             'not installed in %s' % self.units,
             'zha-trait-agent.service: Restart=on-failure',
             'zha-evacuate-watch.service: Restart=on-failure'],
            [f.message.split(' (')[0] for f in restart_policy])


class CheckCliTest(base.BaseTestCase):
    """``zha-scheduler check --skip-placement`` as a process: exit statuses."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def nova_conf(self, text):
        path = os.path.join(self.tmp, 'nova.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def run_check(self, *args):
        command = CHECK + ['--skip-placement', '--systemd-dir', self.tmp]
        result = subprocess.run(command + list(args), capture_output=True,
                                text=True, timeout=120)
        self.assertNotIn('Traceback', result.stderr)
        return result

    def test_shipped_snippet_exits_0_with_warnings_only(self):
        result = self.run_check('--nova-conf', self.nova_conf(_snippet()))
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertEqual('0 errors, 1 warnings',
                         result.stdout.splitlines()[-1])
        self.assertIn('WARNING  resume-guests-state:', result.stdout)
        self.assertEqual('', result.stderr)

    def test_anti_affinity_filter_removed_exits_1(self):
        result = self.run_check('--nova-conf', self.nova_conf(
            _snippet().replace('ServerGroupAntiAffinityFilter,', '')))
        self.assertEqual(1, result.returncode, result.stdout + result.stderr)
        self.assertIn('ERROR  anti-affinity-filter:', result.stdout)
        self.assertIn('    fix: add ServerGroupAntiAffinityFilter',
                      result.stdout)

    def test_unreadable_config_and_usage_errors_exit_2(self):
        missing = os.path.join(self.tmp, 'missing.conf')
        result = self.run_check('--nova-conf', missing)
        self.assertEqual(2, result.returncode)
        self.assertEqual('zha-scheduler check: error: cannot read %s: No such '
                         'file or directory\n' % missing, result.stderr)
        self.assertEqual('', result.stdout)
        garbage = self.nova_conf('this is not an ini file\n')
        result = self.run_check('--nova-conf', garbage)
        self.assertEqual(2, result.returncode)
        self.assertEqual(1, len(result.stderr.splitlines()), result.stderr)
        self.assertIn(garbage, result.stderr)
        result = self.run_check('--format', 'xml')
        self.assertEqual(2, result.returncode)

    def test_hmc_with_an_untrusted_certificate(self):
        server = subprocess.Popen(
            [sys.executable, '-c', TLS_SERVER, *_self_signed(self.tmp)],
            stdout=subprocess.PIPE, text=True)
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        port = int(server.stdout.readline())
        lpars = os.path.join(self.tmp, 'lpars.yaml')
        with open(lpars, 'w') as f:
            f.write('lpar1: {cpc: Z1, lpar: KVM1}\n')
        hook = os.path.join(self.tmp, 'zha-evacuate.conf')
        with open(hook, 'w') as f:
            f.write('[zha_evacuate]\nfencing = hmc\nhmc_host = 127.0.0.1\n'
                    'hmc_port = %d\nhmc_userid = ops\nhmc_password = x\n'
                    'lpars_file = %s\ncoordination_url = file://%s/locks\n'
                    '[nova]\nauth_type = admin_token\n'
                    'endpoint = http://placement\ntoken = t\n'
                    % (port, lpars, self.tmp))
        args = ['--nova-conf', self.nova_conf(_snippet()), '--hook-conf', hook]
        result = self.run_check(*args)
        self.assertEqual(1, result.returncode, result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        index = next(i for i, line in enumerate(lines)
                     if line.startswith('ERROR  hmc-reachable: '))
        self.assertIn(
            'the TLS certificate of HMC 127.0.0.1 port %d is not trusted: '
            '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
            'self-signed certificate. No host can be fenced' % port,
            lines[index])
        self.assertTrue(lines[index + 1].startswith(
            '    fix: set [zha_evacuate] hmc_ca_file to the CA bundle'))
        self.assertEqual('', result.stderr)
        # --skip-hmc: nothing is asked of the HMC.
        result = self.run_check(*args, '--skip-hmc')
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertIn('OK  hmc-reachable: skipped: --skip-hmc', result.stdout)
