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

"""keystoneauth sessions and openstacksdk connections from config options.

Every tool reads its credentials as Nova's services do: keystoneauth
options in one section of its config file (``[placement]`` of the agent and
of nova.conf, ``[nova]`` of zha-evacuate.conf).
"""

from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

#: How to give a section credentials, as Nova's own sections have them.
CREDENTIALS_FIX = ('set auth_type = password with auth_url, username, '
                   'password, project_name and the domain options, as for '
                   'Nova.')


class CredentialsError(Exception):
    """A section's keystoneauth options cannot authenticate anybody."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__('%s; %s' % (problem, fix) if fix else problem + '.')


def load_auth(conf: cfg.ConfigOpts, group: str, unset: str) -> Any:
    """Load the auth plugin of ``[group]``.

    :param unset: what an unset ``auth_type`` leaves undone, for the error.
    :returns: the keystoneauth auth plugin.
    :raises CredentialsError: no plugin, an unknown one or missing options.
    """
    try:
        auth = ks_loading.load_auth_from_conf_options(conf, group)
    except ks_exc.NoMatchingPlugin:
        raise CredentialsError(
            '[%s] auth_type = %s is not a keystoneauth plugin'
            % (group, conf[group].auth_type),
            'use password for a service user.') from None
    except ks_exc.MissingRequiredOptions as exc:
        raise CredentialsError('[%s] is missing %s for auth_type %s' % (
            group, ', '.join(o.dest for o in exc.options),
            conf[group].auth_type)) from None
    if auth is None:
        raise CredentialsError('[%s] auth_type is not set: %s'
                               % (group, unset), CREDENTIALS_FIX)
    return auth


def adapter(conf: cfg.ConfigOpts, group: str, unset: str,
            timeout: float | None = None) -> Any:
    """A keystoneauth Adapter for the service of ``[group]``.

    Requests through it return error responses instead of raising, for
    ``placement_client.PlacementClient`` to report.

    :param timeout: seconds before a request fails, where ``[group]
        timeout`` is unset.
    :raises CredentialsError: as load_auth.
    """
    auth = load_auth(conf, group, unset)
    extra = {} if timeout is None or conf[group].timeout else {
        'timeout': timeout}
    session = ks_loading.load_session_from_conf_options(
        conf, group, auth=auth, **extra)
    return ks_loading.load_adapter_from_conf_options(
        conf, group, session=session, auth=auth, raise_exc=False)


def connection(conf: cfg.ConfigOpts, group: str, unset: str,
               compute_api_version: str) -> Any:
    """An openstacksdk Connection authenticated by ``[group]``.

    :raises CredentialsError: as load_auth.
    """
    import openstack

    auth = load_auth(conf, group, unset)
    session = ks_loading.load_session_from_conf_options(conf, group,
                                                        auth=auth)
    return openstack.connection.Connection(
        session=session, compute_api_version=compute_api_version,
        region_name=conf[group].region_name)
