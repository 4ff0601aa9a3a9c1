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
from keystoneauth1.loading import adapter as ks_adapter
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


class AdapterOptionsError(CredentialsError):
    """A section's adapter options (interfaces, versions...) are invalid."""


#: keystoneauth Adapter options openstacksdk takes per service, as
#: ``<service type>_<option>``. Versions are left out: the compute version
#: the tools need is the microversion they pass.
SDK_ADAPTER_OPTIONS = ('interface', 'service_type', 'service_name',
                       'region_name', 'endpoint_override', 'connect_retries',
                       'connect_retry_delay', 'status_code_retries',
                       'status_code_retry_delay', 'retriable_status_codes')
#: What a section says of where this host reaches the cloud, not of one
#: service: a Placement without a section of its own follows them.
SHARED_OPTIONS = ('interface', 'region_name')
PLACEMENT_GROUP = 'placement'


def adapter_options(conf: cfg.ConfigOpts, group: str) -> dict[str, Any]:
    """The Adapter options set in ``[group]``, read as keystoneauth does.

    ``load_adapter_from_conf_options`` reads them the same way:
    ``valid_interfaces`` becomes ``interface`` (a list, tried in order).

    :returns: the options that are set, by Adapter argument name.
    :raises AdapterOptionsError: e.g. an unknown interface.
    """
    found: dict[str, Any] = {}
    try:
        ks_adapter.process_conf_options(conf[group], found)
    except TypeError as exc:
        raise AdapterOptionsError('[%s] %s' % (group, exc)) from None
    return {name: value for name, value in found.items()
            if value is not None}


def adapter(conf: cfg.ConfigOpts, group: str, unset: str,
            timeout: float | None = None) -> Any:
    """A keystoneauth Adapter for the service of ``[group]``.

    Requests through it return error responses instead of raising, for
    ``placement_client.PlacementClient`` to report.

    :param timeout: seconds before a request fails, where ``[group]
        timeout`` is unset.
    :raises CredentialsError: as load_auth.
    :raises AdapterOptionsError: as adapter_options.
    """
    auth = load_auth(conf, group, unset)
    adapter_options(conf, group)  # the one error, before any request
    extra = {} if timeout is None or conf[group].timeout else {
        'timeout': timeout}
    session = ks_loading.load_session_from_conf_options(
        conf, group, auth=auth, **extra)
    return ks_loading.load_adapter_from_conf_options(
        conf, group, session=session, auth=auth, raise_exc=False)


def sdk_options(conf: cfg.ConfigOpts, group: str) -> dict[str, Any]:
    """openstacksdk config for compute from ``[group]``, and for Placement.

    Compute takes every Adapter option of ``[group]`` (``valid_interfaces``,
    ``endpoint_override``, ``region_name``, ``service_type``,
    ``service_name``, retries), as Nova's ``get_sdk_adapter`` hands its
    section to openstacksdk. Placement takes the options of a
    ``[placement]`` section where the configuration has one (nova.conf,
    read by the insight commands: how Nova reaches Placement), else only
    ``[group]``'s interfaces and region, never the compute endpoint.

    :raises AdapterOptionsError: as adapter_options.
    """
    compute = {name: value
               for name, value in adapter_options(conf, group).items()
               if name in SDK_ADAPTER_OPTIONS}
    # Unprefixed keys are openstacksdk's default for every service.
    config = {name: compute[name] for name in SHARED_OPTIONS
              if name in compute}
    config.update(('compute_' + name, value)
                  for name, value in compute.items())
    if (group != PLACEMENT_GROUP and PLACEMENT_GROUP in conf and
            'valid_interfaces' in conf[PLACEMENT_GROUP]):
        config.update(
            ('placement_' + name, value) for name, value in
            adapter_options(conf, PLACEMENT_GROUP).items()
            if name in SDK_ADAPTER_OPTIONS)
    return config


def connection(conf: cfg.ConfigOpts, group: str, unset: str,
               compute_api_version: str) -> Any:
    """An openstacksdk Connection authenticated by ``[group]``.

    Requests go where ``[group]``'s Adapter options say (sdk_options): many
    clouds expose no public endpoint to their controllers.

    :raises CredentialsError: as load_auth.
    :raises AdapterOptionsError: as adapter_options.
    """
    import openstack

    auth = load_auth(conf, group, unset)
    config = sdk_options(conf, group)
    session = ks_loading.load_session_from_conf_options(conf, group,
                                                        auth=auth)
    return openstack.connection.Connection(
        session=session, compute_api_version=compute_api_version, **config)
