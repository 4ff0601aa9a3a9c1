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

"""The check's config files: unreadable ones as every command says it."""

import os

from tests.unit.check import helpers
from zha_scheduler.check import config_files
from zha_scheduler.check import nova_conf
from zha_scheduler.check import tools_conf


class LoadTest(helpers.CheckTestCase):

    def write_bytes(self, name, data):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def assert_refused(self, load, path, message):
        error = self.assertRaises(config_files.ConfigFileError, load, path)
        self.assertEqual(message, str(error))

    def test_directory(self):
        for load in (nova_conf.load, tools_conf.load_agent,
                     tools_conf.load_hook):
            self.assert_refused(load, self.tmp, 'cannot read %s: it is a '
                                'directory; give the path of a config file'
                                % self.tmp)

    def test_not_utf8_anywhere_in_the_file(self):
        # The whole file is decoded, as oslo.config decodes it: a byte past
        # the first read buffer is found too, not left to a traceback.
        late = self.write_bytes('late.conf', b'[zha_agent]\n' +
                                b'# padding\n' * 2000 + b'site = \xe9\n')
        self.assert_refused(tools_conf.load_agent, late,
                            'cannot read %s: not UTF-8 text (byte 0xe9 on '
                            'line 2002); save it in UTF-8' % late)

    def test_not_utf8_in_nova_conf_d(self):
        # nova-scheduler reads nova.conf.d beside nova.conf: so does check.
        nova = self.write('etc/nova.conf', helpers.snippet())
        extra = self.write_bytes('etc/nova.conf.d/90-site.conf',
                                 b'[zha_scheduler]\n# Z\xfcrich\n')
        self.assert_refused(nova_conf.load, nova,
                            'cannot read %s: not UTF-8 text (byte 0xfc on '
                            'line 2); save it in UTF-8' % extra)

    def test_not_an_ini_file(self):
        path = self.write('bad.conf', '[zha_evacuate]\nno equals sign\n')
        self.assert_refused(tools_conf.load_hook, path,
                            "cannot parse %s: line 2, No ':' or '=' found in "
                            "assignment: 'no equals sign'; it must be an ini "
                            'file of [section] and "option = value" lines'
                            % path)
