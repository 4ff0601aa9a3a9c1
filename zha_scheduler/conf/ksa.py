"""keystoneauth options of a service the ZHA tools talk to, as Nova has them."""

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
