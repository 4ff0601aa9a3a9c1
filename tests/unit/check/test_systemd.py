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

"""Unit tests of Restart= parsing (units, drop-ins, masking)
and restart-policy.
"""

import os

from tests.unit.check import helpers
from zha_scheduler.check import findings
from zha_scheduler.check import host_conf
from zha_scheduler.check import systemd

UNIT = 'zha-trait-agent.service'


class SystemdTest(helpers.CheckTestCase):

    def setUp(self):
        super().setUp()
        self.etc = os.path.join(self.tmp, 'etc', 'systemd', 'system')
        self.vendor = os.path.join(self.tmp, 'usr', 'lib', 'systemd', 'system')
        self.dirs = [self.etc, self.vendor]

    def unit(self, directory, name, text):
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def restart(self, unit=UNIT):
        return systemd.service_setting(unit, self.dirs)

    def test_unit_dirs_pair_etc_with_the_vendor_dir_of_the_same_root(self):
        self.assertEqual(['/etc/systemd/system', '/usr/lib/systemd/system'],
                         systemd.unit_dirs('/etc/systemd/system/'))
        self.assertEqual(self.dirs, systemd.unit_dirs(self.etc))
        self.assertEqual(['/tmp/units'], systemd.unit_dirs('/tmp/units'))

    def test_restart_of_the_unit_file(self):
        path = self.unit(self.vendor, UNIT,
                         '[Unit]\nRestart=always\n[Service]\n'
                         '# Restart=always\nExecStart=/usr/bin/x\n'
                         'Restart = on-failure\n')
        setting = self.restart()
        self.assertEqual(('on-failure', path), (setting.value, setting.source))

    def test_missing_restart_is_no(self):
        path = self.unit(self.vendor, UNIT,
                         '[Service]\nExecStart=/usr/bin/x\n')
        setting = self.restart()
        self.assertEqual(('no', None, path),
                         (setting.value, setting.source, setting.path))

    def test_unit_in_etc_replaces_the_vendor_unit(self):
        self.unit(self.vendor, UNIT, '[Service]\nRestart=always\n')
        self.unit(self.etc, UNIT, '[Service]\nExecStart=/usr/bin/x\n')
        self.assertEqual('no', self.restart().value)

    def test_drop_ins_apply_in_name_order_and_etc_hides_vendor_ones(self):
        self.unit(self.vendor, UNIT, '[Service]\nRestart=no\n')
        self.unit(self.vendor, UNIT + '.d/10-restart.conf',
                  '[Service]\nRestart=always\n')
        self.unit(self.vendor, UNIT + '.d/20-other.conf',
                  '[Service]\nRestart=on-abort\n')
        self.assertEqual('on-abort', self.restart().value)
        hiding = self.unit(self.etc, UNIT + '.d/20-other.conf',
                           '[Service]\nNice=5\n')
        self.assertEqual('always', self.restart().value)
        self.unit(self.etc, UNIT + '.d/30-reset.conf', '[Service]\nRestart=\n')
        self.assertEqual('no', self.restart().value)
        os.remove(hiding)
        os.symlink(os.devnull, hiding)
        self.assertEqual('no', self.restart().value)

    def test_continuation_lines(self):
        self.unit(self.vendor, UNIT, '[Service]\nExecStart=/usr/bin/x \\\n'
                  '  --flag\nRestart=\\\n  on-failure\n')
        self.assertEqual('on-failure', self.restart().value)

    def test_masked_and_missing_units(self):
        self.assertIsNone(self.restart())
        os.makedirs(self.etc)
        os.symlink(os.devnull, os.path.join(self.etc, UNIT))
        self.assertTrue(self.restart().masked)

    def test_restart_policy_findings(self):
        self.unit(self.vendor, 'openstack-nova-compute.service',
                  '[Service]\nRestart=always\n')
        self.unit(self.etc, UNIT, '[Service]\nExecStart=/usr/bin/x\n')
        found = host_conf.check_restart(self.dirs)
        self.assertEqual(['restart-policy'] * 3, [f.check for f in found])
        self.assertEqual([findings.OK, findings.WARNING, findings.OK],
                         [f.severity for f in found])
        self.assertTrue(found[0].message.startswith(
            'openstack-nova-compute.service: Restart=always (set in '))
        self.assertIn("Restart=no (systemd's default", found[1].message)
        self.assertIn('%s/%s.d/restart.conf' % (self.etc, UNIT), found[1].fix)
        self.assertEqual('skipped: zha-evacuate-watch.service not installed '
                         'in %s' % ', '.join(self.dirs), found[2].message)

    def test_multipathd_and_libvirt_are_checked_where_installed(self):
        self.unit(self.vendor, 'multipathd.service',
                  '[Service]\nType=notify\nExecStart=/sbin/multipathd -d -s\n')
        self.unit(self.vendor, 'libvirtd.service',
                  '[Service]\nRestart=on-failure\n')
        found = host_conf.check_restart(self.dirs)
        self.assertEqual(5, len(found))
        multipathd, libvirt = found[3:]
        self.assertEqual(findings.WARNING, multipathd.severity)
        self.assertTrue(multipathd.message.startswith(
            "multipathd.service: Restart=no (systemd's default: "))
        self.assertIn('failed SAN paths are no longer checked nor '
                      'reinstated', multipathd.message)
        self.assertEqual(
            'add a drop-in %s/multipathd.service.d/restart.conf with '
            '"[Service]" "Restart=on-failure" "RestartSec=10", then run '
            'systemctl daemon-reload' % self.etc, multipathd.fix)
        self.assertEqual(findings.OK, libvirt.severity)
        self.assertTrue(libvirt.message.startswith(
            'libvirtd.service: Restart=on-failure (set in '))
        # The drop-in the fix names is what fixes it.
        self.unit(self.etc, 'multipathd.service.d/restart.conf',
                  '[Service]\nRestart=on-failure\nRestartSec=10\n')
        found = host_conf.check_restart(self.dirs)
        self.assertEqual(findings.OK, found[3].severity)

    def test_virtqemud_is_preferred_to_libvirtd(self):
        self.unit(self.vendor, 'libvirtd.service', '[Service]\n')
        self.unit(self.vendor, 'virtqemud.service',
                  '[Service]\nRestart=on-failure\n')
        (libvirt,) = host_conf.check_restart(self.dirs)[3:]
        self.assertTrue(libvirt.message.startswith('virtqemud.service: '))

    def test_masked_multipathd_is_skipped(self):
        os.makedirs(self.etc)
        os.symlink(os.devnull, os.path.join(self.etc, 'multipathd.service'))
        found = host_conf.check_restart(self.dirs)
        self.assertEqual('skipped: multipathd.service is masked',
                         found[3].message)

    def test_shipped_units_restart_on_failure(self):
        here = os.path.dirname(__file__)
        shipped = os.path.normpath(
            os.path.join(here, '..', '..', '..', 'etc', 'systemd'))
        found = host_conf.check_restart([shipped])
        self.assertEqual([findings.OK] * 3, [f.severity for f in found])
        self.assertIn('zha-evacuate-watch.service: Restart=on-failure',
                      found[2].message)
