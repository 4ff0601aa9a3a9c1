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

"""Run the real host agent for each LPAR of a simulated cloud.

Each simulated host is described by a host tree (the ``/proc`` and ``/sys``
of an s390x KVM host, one scenario of ``zha_scheduler.sim.host_trees``) and
the agent options an operator would set on it. The trees are built into a
temporary directory at run time, once per process, so the simulation works
from an installed package as well as from a source checkout. The agent reads
its configuration from a file, as ``zha-trait-agent --config-file`` does, and
writes to Placement through keystoneauth with an admin token, as a service
user would.
"""

import atexit
import os
import shutil
import tempfile
import threading

from oslo_config import cfg

from zha_scheduler.agent import hostfs
from zha_scheduler.agent import service
from zha_scheduler.conf import agent as agent_conf
from zha_scheduler.sim import host_trees

CONSISTENCY_GROUPS_FILE = '/etc/zha-scheduler/consistency-groups.yaml'

# Captured at import: inside a test case, oslotest's NestedTempfile points
# tempfile at a directory it removes when the case ends, and the trees must
# outlive the case.
_TMP = tempfile.gettempdir()
# The process' tree directory and the scenarios built in it so far, under a
# lock: agents may be started from more than one thread.
_lock = threading.Lock()
_root: str | None = None
_built: set[str] = set()


def _remove(path: str, owner: int) -> None:
    """Remove the tree directory at exit, in the process that made it only."""
    # A forked child inherits the handler; it must not pull the trees from
    # under its parent.
    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


def _tree_dir() -> str:
    """Return the process' tree directory, made on first use; hold _lock."""
    global _root
    # Made again if removed: when first imported inside a test case, _TMP
    # itself was that case's temporary directory.
    if _root is None or not os.path.isdir(_root):
        _built.clear()
        _root = tempfile.mkdtemp(prefix='zha-host-trees-',
                                 dir=_TMP if os.path.isdir(_TMP) else None)
        atexit.register(_remove, _root, os.getpid())
    return _root


def tree_root(scenario: str) -> str:
    """Return the host tree of a scenario, built on first use.

    :raises KeyError: for an unknown scenario.
    """
    with _lock:
        directory = _tree_dir()
        if scenario not in _built:
            host_trees.build_scenario(directory, scenario)
            _built.add(scenario)
        return os.path.join(directory, scenario)


def fixtures_root() -> str:
    """Return a directory holding every scenario's tree, ``<dir>/<name>``.

    The trees are built into a temporary directory on the first call (later
    calls return it at once) and removed when the process exits.
    """
    for scenario in host_trees.names():
        tree_root(scenario)
    with _lock:
        return _tree_dir()


def write_agent_config(directory: str, host: str, endpoint: str, token: str,
                       cpc: str | None = None, site: str | None = None,
                       standby: bool = False) -> str:
    """Write the agent config file of one simulated host; return its path."""
    lines = ['[zha_agent]', 'provider_name = %s' % host,
             'consistency_groups_file = %s' % CONSISTENCY_GROUPS_FILE,
             'standby = %s' % standby]
    if cpc:
        lines.append('cpc_name = %s' % cpc)
    if site:
        lines.append('site = %s' % site)
    lines += ['', '[placement]', 'auth_type = admin_token',
              'endpoint = %s' % endpoint, 'token = %s' % token]
    fd, path = tempfile.mkstemp(prefix='zha-agent-%s-' % host, suffix='.conf',
                                dir=directory)
    with os.fdopen(fd, 'w') as config:
        config.write('\n'.join(lines) + '\n')
    return path


def load_agent_config(path: str) -> cfg.ConfigOpts:
    """Load an agent config file into its own ConfigOpts."""
    conf = cfg.ConfigOpts()
    agent_conf.register_opts(conf)
    agent_conf.register_placement_opts(conf)
    conf(['--config-file', path], project='zha-scheduler',
         default_config_files=[])
    return conf


def agent_for(config_path: str, fixture: str) -> service.TraitAgent:
    """A TraitAgent reading the host tree of scenario ``fixture``."""
    return service.TraitAgent(load_agent_config(config_path),
                              hostfs.HostFS(tree_root(fixture)))
