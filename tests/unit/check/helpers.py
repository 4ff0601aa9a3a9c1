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

"""Shared set-up of the check's unit tests: temporary config files."""

import os
import socket

import fixtures
from oslotest import base

from zha_scheduler.check import findings
from zha_scheduler.check import nova_conf
from zha_scheduler.sim import nova_conf as sim_nova_conf


def snippet() -> str:
    """The shipped nova.conf snippet: the configuration the README asks for."""
    with open(sim_nova_conf.snippet_path()) as f:
        return f.read()


def closed_port() -> int:
    """A local TCP port nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class CheckTestCase(base.BaseTestCase):
    """A temporary directory for config files, and finding helpers."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def nova(self, text=None, replace=()):
        """nova.conf from the snippet (or ``text``), with replacements."""
        text = snippet() if text is None else text
        for old, new in replace:
            self.assertIn(old, text)
            text = text.replace(old, new)
        return nova_conf.load(self.write('nova.conf', text))

    def only(self, found, check, severity=None):
        """The single finding of ``check``, checking its severity."""
        matching = [f for f in found if f.check == check]
        self.assertEqual(1, len(matching), matching)
        if severity is not None:
            self.assertEqual(severity, matching[0].severity, matching[0])
        return matching[0]

    def severities(self, found, check):
        return [f.severity for f in found if f.check == check]

    def errors(self, found):
        return [f for f in found if f.severity == findings.ERROR]
