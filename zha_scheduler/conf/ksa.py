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

"""keystoneauth options of a service the ZHA tools talk to, as in Nova."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg


def register_ksa_opts(conf: cfg.ConfigOpts, group: str,
                      service_type: str) -> None:
    """Register session, auth and adapter options in ``group``.

    The same set as ``nova.conf.utils.register_ksa_opts``: operators write a
    tool's ``[placement]`` or ``[nova]`` section as they write Nova's.
    """
    ks_loading.register_session_conf_options(conf, group)
    ks_loading.register_auth_conf_options(conf, group)
    ks_loading.register_adapter_conf_options(conf, group,
                                             include_deprecated=False)
    conf.set_default('service_type', service_type, group=group)
    conf.set_default('valid_interfaces', ['internal', 'public'], group=group)


def list_ksa_opts() -> list[cfg.Opt]:
    """The options of register_ksa_opts, with the password plugin's."""
    return (ks_loading.get_session_conf_options() +
            ks_loading.get_auth_common_conf_options() +
            ks_loading.get_auth_plugin_conf_options('password') +
            ks_loading.get_adapter_conf_options(include_deprecated=False))
