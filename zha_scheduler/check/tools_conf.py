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

"""agent-config, hook-config and fencing: the ZHA tools' own config files."""

import os

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.clients import auth
from zha_scheduler.clients import hmc
from zha_scheduler.clients import topology_files
from zha_scheduler.conf import agent as agent_conf
from zha_scheduler.conf import evacuate as evacuate_conf

AGENT = 'zha_agent'
HOOK = 'zha_evacuate'
CREDENTIALS = ('auth_type = password with auth_url, username, password, '
               'project_name, user_domain_name and project_domain_name')


def _ksa_scan() -> list[cfg.Opt]:
    return (ks_loading.get_session_conf_options() +
            ks_loading.get_auth_common_conf_options() +
            ks_loading.get_adapter_conf_options(include_deprecated=False))


def load_agent(path: str) -> config_files.SafeConf:
    """Parse a zha-trait-agent.conf.

    :raises config_files.ConfigFileError: missing, unreadable or malformed.
    """
    def register(conf: cfg.ConfigOpts) -> None:
        agent_conf.register_opts(conf)
        agent_conf.register_placement_opts(conf)
    return config_files.SafeConf(
        config_files.load(path, register), path,
        [(AGENT, agent_conf.agent_opts),
         (agent_conf.PLACEMENT_GROUP, _ksa_scan())])


def load_hook(path: str) -> config_files.SafeConf:
    """Parse a zha-evacuate.conf.

    :raises config_files.ConfigFileError: missing, unreadable or malformed.
    """
    def register(conf: cfg.ConfigOpts) -> None:
        evacuate_conf.register_opts(conf)
        evacuate_conf.register_nova_opts(conf)
    return config_files.SafeConf(
        config_files.load(path, register), path,
        [(HOOK, evacuate_conf.evacuate_opts),
         (evacuate_conf.NOVA_GROUP, _ksa_scan())])


def _invalid_in(safe: config_files.SafeConf, group: str) -> bool:
    return any(g == group for g, _ in safe.invalid)


def check_agent(agent: config_files.SafeConf | None) -> list[Finding]:
    """agent-config: values, the consistency groups file, Placement access."""
    check = 'agent-config'
    if agent is None:
        return [findings.skipped(check, 'no --agent-conf given')]
    result = config_files.invalid_values(agent, check, 'zha-trait-agent')
    path = agent.get(AGENT, 'consistency_groups_file')
    if path:
        result += _groups_file(check, path)
    if not _invalid_in(agent, agent_conf.PLACEMENT_GROUP):
        result += _credentials(agent, check, agent_conf.PLACEMENT_GROUP,
                               'zha-trait-agent cannot write traits to '
                               'Placement', 'as for Nova\'s service user')
    if not result:
        result.append(findings.ok(check, '%s is valid' % agent.path))
    return result


def _groups_file(check: str, path: str) -> list[Finding]:
    from zha_scheduler.agent import consistency
    if not os.path.exists(path):
        return [findings.error(
            check, '[zha_agent] consistency_groups_file %s does not exist: '
            'the agent publishes no consistency group trait' % path,
            'create it (group name: list of volume WWIDs) or unset the '
            'option')]
    try:
        with open(path, encoding='utf-8') as f:
            consistency.parse_groups(f.read(), path)
    except (OSError, consistency.GroupsFileError) as exc:
        return [findings.error(
            check, '[zha_agent] consistency_groups_file: %s'
            % findings.one_line(exc),
            'fix the file: a YAML map of group names to lists of WWIDs')]
    return []


def check_hook(hook: config_files.SafeConf | None) -> list[Finding]:
    """hook-config and fencing."""
    if hook is None:
        return [findings.skipped('hook-config', 'no --hook-conf given'),
                findings.skipped('fencing', 'no --hook-conf given')]
    check = 'hook-config'
    result = config_files.invalid_values(hook, check, 'zha-evacuate')
    if not _invalid_in(hook, evacuate_conf.NOVA_GROUP):
        result += _credentials(hook, check, evacuate_conf.NOVA_GROUP,
                               'zha-evacuate cannot call Nova\'s API',
                               'a user with the admin role')
    if not result:
        result.append(findings.ok(check, '%s is valid' % hook.path))
    return result + _fencing(hook)


def _credentials(safe: config_files.SafeConf, check: str, group: str,
                 without: str, who: str) -> list[Finding]:
    """An ERROR when ``[group]`` has no usable keystoneauth plugin."""
    try:
        auth.load_auth(safe.conf, group, without)
    except auth.CredentialsError as exc:
        return [findings.error(
            check, '%s (in %s)' % (exc.problem, safe.path),
            'set [%s] %s (%s)' % (group, CREDENTIALS, who))]
    return []


def _fencing(hook: config_files.SafeConf) -> list[Finding]:
    check = 'fencing'
    mode = hook.get(HOOK, 'fencing')
    if mode is None:
        return [findings.skipped(check,
                                 'fencing is invalid (see hook-config)')]
    if mode == 'none':
        return [findings.warning(
            check, 'fencing = none: zha-evacuate acts only once Nova reports '
            'the service down, and nothing makes sure the LPAR is really dead '
            'before its guests start elsewhere (a hung LPAR still writing to '
            'shared volumes corrupts them)',
            'set [zha_evacuate] fencing = hmc with hmc_host, hmc_userid, '
            'hmc_password and lpars_file')]
    try:
        settings = hmc.HmcSettings.from_conf(hook.conf)
        topology_files.load_lpars(settings.lpars_file)
    except (hmc.HmcConfigError, cfg.Error, ValueError) as exc:
        return [findings.error(check, findings.one_line(exc),
                               'complete the [zha_evacuate] hmc_* options and '
                               'lpars_file')]
    ca_file = hook.get(HOOK, 'hmc_ca_file')
    if ca_file and not os.path.isfile(ca_file):
        return [findings.error(
            check, '[zha_evacuate] hmc_ca_file %s does not exist: fencing '
            'fails when a host has already failed' % ca_file,
            'point hmc_ca_file at the CA bundle of the HMC\'s certificate')]
    if hook.get(HOOK, 'hmc_insecure'):
        return [findings.warning(
            check, 'hmc_insecure = True: the HMC\'s certificate is not '
            'verified and its credentials can be intercepted',
            'set hmc_insecure = False and hmc_ca_file to the HMC\'s CA '
            'bundle')]
    return [findings.ok(check, 'fencing = hmc through %s'
                        % hook.get(HOOK, 'hmc_host'))]
