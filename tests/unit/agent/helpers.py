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

"""Fixture trees for the agent tests: committed scenarios and inline trees."""

import logging
import os
import shutil

import fixtures
from oslo_config import fixture as config_fixture
from oslotest import base

from zha_scheduler.agent import hostfs
from zha_scheduler import conf

FIXTURES = os.path.normpath(os.path.join(
    os.path.dirname(__file__), os.pardir, os.pardir, 'fixtures'))
GROUPS_FILE = '/etc/zha-scheduler/consistency-groups.yaml'
WWID = '36005076309ffd430000000000000%s'


def fixture_root(scenario: str) -> str:
    """Return the directory of a committed fixture scenario."""
    root = os.path.join(FIXTURES, scenario)
    if not os.path.isdir(root):
        raise ValueError('no fixture scenario %s' % scenario)
    return root


class Link(str):
    """A symbolic link target in an inline tree."""


class TestCase(base.BaseTestCase):
    """Base class: [zha_agent] options and temporary host trees."""

    def setUp(self) -> None:
        super().setUp()
        self.cfg = self.useFixture(config_fixture.Config(conf.CONF))

    def quiet(self) -> fixtures.FakeLogger:
        """Capture the agent's log, e.g. of many generated inputs."""
        logger = logging.getLogger('zha_scheduler.agent')
        self.addCleanup(setattr, logger, 'propagate', logger.propagate)
        logger.propagate = False
        return self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler.agent', level=logging.DEBUG,
            format='%(levelname)s %(name)s %(message)s'))

    def flags(self, **kwargs: object) -> None:
        self.cfg.config(group='zha_agent', **kwargs)

    def fs(self, scenario: str) -> hostfs.HostFS:
        """A HostFS on a committed scenario, read only."""
        return hostfs.HostFS(fixture_root(scenario))

    def tree(self, files: dict[str, str | None],
             scenario: str | None = None) -> str:
        """Make a temporary tree, optionally a copy of a scenario.

        :param files: host path -> content (a Link for a symbolic link,
            None to delete the path from the copied scenario).
        :returns: the tree's root.
        """
        root = self.useFixture(fixtures.TempDir()).path
        if scenario:
            root = os.path.join(root, scenario)
            shutil.copytree(fixture_root(scenario), root, symlinks=True)
        for path, content in files.items():
            local = os.path.join(root, path.lstrip('/'))
            if content is None:
                if os.path.isdir(local) and not os.path.islink(local):
                    shutil.rmtree(local)
                else:
                    os.remove(local)
                continue
            if os.path.lexists(local):
                os.remove(local)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            if isinstance(content, Link):
                os.symlink(str(content), local)
            else:
                with open(local, 'w', encoding='utf-8') as f:
                    f.write(content)
        return root

    def tree_fs(self, files: dict[str, str | None],
                scenario: str | None = None) -> hostfs.HostFS:
        return hostfs.HostFS(self.tree(files, scenario))
