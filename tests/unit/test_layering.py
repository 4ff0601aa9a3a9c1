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

"""Which parts of the package may import which: the layers stay layers."""

import ast
import os

from oslotest import base

PACKAGE = 'zha_scheduler'
ROOT = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                    PACKAGE)
#: The only modules outside evacuate/ that may use it: its command and the
#: demo's failure scene. Everything else reaches OpenStack through clients/.
EVACUATE_USERS = {'zha_scheduler.cmd.evacuate',
                  'zha_scheduler.sim.recovery'}
#: What the shared layers may import of the package.
LOWER_LAYERS = {
    'zha_scheduler.clients': {'zha_scheduler.clients', 'zha_scheduler.model',
                              'zha_scheduler.traits',
                              'zha_scheduler.conf.files'},
    'zha_scheduler.model': set(),
}


def _modules() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports."""
    found = {}
    for directory, _, files in os.walk(ROOT):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, os.path.dirname(ROOT))
            module = relative[:-3].replace(os.sep, '.')
            module = module.removesuffix('.__init__')
            with open(path, encoding='utf-8') as f:
                tree = ast.parse(f.read(), path)
            imported = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module:
                    imported.update('%s.%s' % (node.module, a.name)
                                    for a in node.names)
            found[module] = {i for i in imported
                             if i.split('.')[0] == PACKAGE}
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + '.')


class LayeringTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.modules = _modules()

    def test_the_package_was_read(self):
        self.assertIn('zha_scheduler.clients.nova_client', self.modules)
        self.assertIn('zha_scheduler.evacuate.hook', self.modules)

    def test_evacuate_is_used_only_by_its_command_and_the_demo(self):
        users = {module for module, imported in self.modules.items()
                 if not _within(module, 'zha_scheduler.evacuate') and
                 any(_within(i, 'zha_scheduler.evacuate') for i in imported)}
        self.assertEqual(set(), users - EVACUATE_USERS)

    def test_only_the_commands_import_cmd(self):
        # The command-line rules sit on top: a library module that needs one
        # of them wants it moved down (config files: conf/files.py).
        users = {module for module, imported in self.modules.items()
                 if not _within(module, 'zha_scheduler.cmd') and
                 any(_within(i, 'zha_scheduler.cmd') for i in imported)}
        self.assertEqual(set(), users)

    def test_shared_layers_import_only_what_is_below_them(self):
        for layer, allowed in LOWER_LAYERS.items():
            for module, imported in self.modules.items():
                if not _within(module, layer):
                    continue
                stray = {i for i in imported
                         if not any(_within(i, a) for a in allowed)}
                self.assertEqual(set(), stray, module)

    def test_no_module_is_named_after_a_library_it_may_import(self):
        # A package module called nova, yaml or openstack shadows the library
        # for its neighbours and forces import aliases.
        shadowing = {m for m in self.modules
                     if m.rsplit('.', 1)[-1] in ('nova', 'openstack', 'yaml',
                                                 'tooz', 'zhmcclient')}
        self.assertEqual(set(), shadowing)
