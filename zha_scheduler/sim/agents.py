"""Run the real host agent for each LPAR of a simulated cloud.

Each simulated host is described by a fixture tree (the ``/proc`` and ``/sys``
of an s390x KVM host, ``tests/fixtures/<name>``) and the agent options an
operator would set on it. The agent reads its configuration from a file, as
``zha-trait-agent --config-file`` does, and writes to Placement through
keystoneauth with an admin token, as a service user would.
"""

import os
import sys
import tempfile

from oslo_config import cfg

from zha_scheduler.agent import hostfs
from zha_scheduler.agent import service
from zha_scheduler.conf import agent as agent_conf

CONSISTENCY_GROUPS_FILE = '/etc/zha-scheduler/consistency-groups.yaml'


def fixtures_root() -> str:
    """Return the directory of the host fixture trees.

    :raises FileNotFoundError: outside a source checkout, where the trees are
        not installed.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(here, '..', '..', 'tests', 'fixtures'),
                  os.path.join(sys.prefix, 'share', 'zha-scheduler',
                               'fixtures')]
    for path in candidates:
        if os.path.isdir(os.path.join(path, 'healthy')):
            return os.path.normpath(path)
    raise FileNotFoundError(
        'The host fixture trees of the simulated cloud were not found in %s: '
        'run the simulation from a source checkout of zha-scheduler.'
        % ', '.join(candidates))


def write_agent_config(directory: str, host: str, endpoint: str, token: str,
                       cpc: str | None = None, site: str | None = None,
                       standby: bool = False) -> str:
    """Write the agent's config file for one simulated host; return its path."""
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
    """A TraitAgent reading the fixture tree ``fixture`` with that config."""
    return service.TraitAgent(
        load_agent_config(config_path),
        hostfs.HostFS(os.path.join(fixtures_root(), fixture)))
