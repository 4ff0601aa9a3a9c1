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

"""The generated host trees are the committed ones under tests/fixtures."""

import contextlib
import io
import os
import shutil
import tempfile

import fixtures
from oslotest import base

from zha_scheduler.sim import agents
from zha_scheduler.sim import host_trees

COMMITTED = os.path.normpath(os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, 'fixtures'))


def snapshot(root: str) -> dict[str, tuple[str, bytes | str | None]]:
    """Every path under root: ('dir', None), ('file', bytes), ('link', to)."""
    found: dict[str, tuple[str, bytes | str | None]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        # os.walk lists links to directories in dirnames without entering
        # them; take every link as a link, wherever it is listed.
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                found[rel] = ('link', os.readlink(path))
            elif os.path.isdir(path):
                found[rel] = ('dir', None)
            else:
                with open(path, 'rb') as f:
                    found[rel] = ('file', f.read())
    return found


class HostTreesTest(base.BaseTestCase):
    """host_trees builds byte for byte the trees the agent's tests read."""

    def setUp(self) -> None:
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_scenarios_are_the_committed_ones(self) -> None:
        committed = {name for name in os.listdir(COMMITTED)
                     if os.path.isdir(os.path.join(COMMITTED, name))}
        self.assertEqual(committed, set(host_trees.names()))

    def test_every_scenario_is_identical_to_the_committed_tree(self) -> None:
        roots = host_trees.build(self.tmp)
        self.assertEqual(host_trees.names(),
                         [os.path.basename(root) for root in roots])
        for root in roots:
            name = os.path.basename(root)
            with self.subTest(scenario=name):
                built = snapshot(root)
                committed = snapshot(os.path.join(COMMITTED, name))
                self.assertEqual(
                    sorted(committed), sorted(built),
                    'paths differ; regenerate with "python -m '
                    'zha_scheduler.sim.host_trees tests/fixtures"')
                self.assertEqual(committed, built)

    def test_links_are_relative_and_stay_in_the_tree(self) -> None:
        root = host_trees.build_scenario(self.tmp, 'healthy')
        links = {rel: to for rel, (kind, to) in snapshot(root).items()
                 if kind == 'link'}
        self.assertIn('sys/class/net/bond0', links)
        for rel, target in links.items():
            self.assertFalse(os.path.isabs(target), rel)
            resolved = os.path.realpath(os.path.join(root, rel))
            self.assertTrue(resolved.startswith(os.path.realpath(root)), rel)
            self.assertTrue(os.path.exists(resolved), rel)

    def test_dasd_attributes_follow_the_kernel_formats(self) -> None:
        root = host_trees.build_scenario(self.tmp, 'dasd-pav-alias')

        def read(path: str) -> str:
            with open(os.path.join(root, path)) as f:
                return f.read()

        sch = 'sys/devices/css0/0.0.0001/'
        # css.c chpids_show: '%02x ' per path, '00 ' unused, then '\n'.
        self.assertEqual('40 41 42 00 00 00 00 00 \n', read(sch + 'chpids'))
        # pimpampom_show: '%02x %02x %02x\n'.
        self.assertEqual('e0 e0 ff\n', read(sch + 'pimpampom'))
        self.assertEqual('1\n', read(sch + '0.0.0101/online'))
        self.assertEqual('0\n', read(sch + '0.0.0101/alias'))
        self.assertEqual('1\n', read('sys/devices/css0/0.0.00fe/0.0.01fe/'
                                      'alias'))
        self.assertEqual('0\n', read('sys/devices/css0/0.0.0004/0.0.0104/'
                                      'online'))
        self.assertEqual('online\n',
                         read('sys/devices/css0/chp0.40/status'))
        self.assertEqual(
            os.path.realpath(os.path.join(root, sch, '0.0.0101')),
            os.path.realpath(os.path.join(
                root, 'sys/bus/ccw/drivers/dasd-eckd/0.0.0101')))

    def test_systemctl_output_is_captured_per_daemon(self) -> None:
        root = host_trees.build_scenario(self.tmp, 'daemons-unsupervised')
        names = sorted(os.listdir(os.path.join(root, '_commands')))
        self.assertEqual(5, len(names), names)
        self.assertIn('systemctl_show_-p_Id,Names,LoadState,ActiveState,'
                      'SubState,Restart_multipathd.service.out', names)
        self.assertTrue(all(len(n) < 255 for n in names))

    def test_build_scenario_replaces_an_older_tree(self) -> None:
        stale = os.path.join(self.tmp, 'no-san', 'stale')
        os.makedirs(stale)
        root = host_trees.build_scenario(self.tmp, 'no-san')
        self.assertFalse(os.path.exists(stale))
        self.assertEqual(snapshot(os.path.join(COMMITTED, 'no-san')),
                         snapshot(root))

    def test_unknown_scenario_writes_nothing(self) -> None:
        self.assertRaises(KeyError, host_trees.build, self.tmp,
                          ['healthy', 'no-such-host'])
        self.assertEqual([], os.listdir(self.tmp))

    def test_main_builds_the_named_scenarios(self) -> None:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(0, host_trees.main([self.tmp, 'slave-down']))
        self.assertEqual(['slave-down'], os.listdir(self.tmp))
        self.assertEqual('built %s\n' % os.path.join(self.tmp, 'slave-down'),
                         out.getvalue())

    def test_main_rejects_an_unknown_scenario(self) -> None:
        with contextlib.redirect_stderr(io.StringIO()) as err:
            self.assertRaises(SystemExit, host_trees.main,
                              [self.tmp, 'no-such-host'])
        self.assertIn('no host tree scenario no-such-host', err.getvalue())


class SimTreesTest(base.BaseTestCase):
    """The simulation builds its trees at run time, once per process."""

    def test_fixtures_root_holds_every_scenario_once_per_process(self) -> None:
        root = agents.fixtures_root()
        self.assertEqual(set(host_trees.names()), set(os.listdir(root)))
        self.assertEqual(root, agents.fixtures_root())
        self.assertEqual(os.path.join(root, 'failed-path'),
                         agents.tree_root('failed-path'))
        self.assertEqual(snapshot(os.path.join(COMMITTED, 'failed-path')),
                         snapshot(agents.tree_root('failed-path')))

    def test_trees_outlive_the_test_cases_temporary_directory(self) -> None:
        # oslotest's NestedTempfile removes tempfile's directory at the end
        # of each case; the process' trees must not be in it.
        nested = os.path.realpath(tempfile.gettempdir())
        root = os.path.realpath(agents.fixtures_root())
        self.assertFalse(root.startswith(nested + os.sep), root)

    def test_a_removed_tree_directory_is_built_again(self) -> None:
        shutil.rmtree(agents.fixtures_root())
        root = agents.tree_root('healthy')
        self.assertTrue(os.path.isfile(os.path.join(root, 'proc', 'sysinfo')))

    def test_unknown_scenario(self) -> None:
        self.assertRaises(KeyError, agents.tree_root, 'no-such-host')
