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

"""Read nova.conf as nova-scheduler would, with only the options checked."""

import os
from typing import Any

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.conf import ksa
from zha_scheduler.conf import scheduler as zha_scheduler_conf

PLACEMENT = 'placement'
RESUME = 'resume_guests_state_on_host_boot'
#: The directory oslo.config reads beside nova.conf when Nova runs with its
#: default config locations (``/etc/nova/nova.conf.d``).
CONF_DIR = 'nova.conf.d'


def _nova_groups() -> list[tuple[str | None, list[cfg.Opt]]]:
    # Imported here: importing nova.conf registers Nova's options on the
    # process-wide CONF, which only this check needs.
    import nova.conf.compute
    import nova.conf.scheduler
    groups: list[tuple[str | None, list[cfg.Opt]]] = [
        (getattr(group, 'name', group), list(opts))
        for group, opts in nova.conf.scheduler.list_opts().items()]
    # Only the [DEFAULT] option checked: others interpolate paths
    # ($state_path) registered by modules the check does not load.
    groups.append((None, [opt for opt in nova.conf.compute.ALL_OPTS
                          if opt.dest == RESUME]))
    return groups


def _placement_scan() -> list[cfg.Opt]:
    # The options register_ksa_opts registers up front; the auth plugin's
    # own options (password, ...) are registered only when it loads.
    return (ks_loading.get_session_conf_options() +
            ks_loading.get_auth_common_conf_options() +
            ks_loading.get_adapter_conf_options(include_deprecated=False))


def _zha_groups() -> list[tuple[str | None, list[cfg.Opt]]]:
    return [(g.name, list(opts)) for g, opts in zha_scheduler_conf.list_opts()]


def load(path: str) -> config_files.SafeConf:
    """Parse nova.conf and its ``nova.conf.d`` directory, if there is one.

    :raises config_files.ConfigFileError: a file is missing or malformed.
    """
    scan = _nova_groups() + _zha_groups()

    def register(conf: cfg.ConfigOpts) -> None:
        for group, opts in scan:
            config_files.register_group(conf, group, opts)
        conf.register_group(cfg.OptGroup(PLACEMENT))
        # The same keystoneauth options as nova.conf.placement registers.
        ksa.register_ksa_opts(conf, PLACEMENT, 'placement')

    conf_dir = os.path.join(os.path.dirname(os.path.abspath(path)), CONF_DIR)
    dirs = [conf_dir] if os.path.isdir(conf_dir) else []
    conf = config_files.load(path, register, dirs)
    return config_files.SafeConf(conf, path,
                                 scan + [(PLACEMENT, _placement_scan())])


def check_files(nova: config_files.SafeConf) -> list[findings.Finding]:
    """``nova-conf``: which files were read; ``option-values``: bad values."""
    read = config_files.files_read(nova.conf)
    extra = read[1:]
    message = 'read %s' % nova.path
    if extra:
        message += (' and %d file(s) of %s (%s), as Nova does with its '
                    'default config locations'
                    % (len(extra), os.path.dirname(extra[0]),
                       ', '.join(os.path.basename(p) for p in extra)))
    result = [findings.ok('nova-conf', message)]
    invalid = config_files.invalid_values(nova, 'option-values', 'Nova')
    return result + (invalid or [findings.ok(
        'option-values', 'every checked option has a valid value')])


def resume_guests_state(nova: config_files.SafeConf) -> list[findings.Finding]:
    """``resume-guests-state``: guests come back after an LPAR IPL."""
    check = 'resume-guests-state'
    if (None, RESUME) in nova.invalid:
        return [findings.skipped(
            check, 'the value is invalid (see option-values)')]
    value: Any = nova.get(None, RESUME)
    if value:
        return [findings.ok(check, 'resume_guests_state_on_host_boot = True: '
                            'nova-compute restarts the guests that were '
                            'running when its LPAR comes back')]
    return [findings.warning(
        check, 'resume_guests_state_on_host_boot = False: after an LPAR is '
        're-IPLed its guests stay stopped until someone starts them (the '
        'white paper recommends restarting guests on host start)',
        'set [DEFAULT] resume_guests_state_on_host_boot = True in nova.conf '
        'on every compute host and restart nova-compute')]
