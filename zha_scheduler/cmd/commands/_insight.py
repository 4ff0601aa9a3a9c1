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

"""What explain, audit, capacity and snapshot share: configuration and data.

Each reads nova.conf (for the pipeline and ``[zha_scheduler]``) and, to talk
to the live cloud, a ``[nova]`` section with keystoneauth options (the
evacuation hook's config file has one); with ``--snapshot FILE`` they read a
saved snapshot instead and need no credentials.
"""

import argparse
import os
from typing import Any

from zha_scheduler.cmd import common
from zha_scheduler.cmd import logs
from zha_scheduler.conf import files as conf_files

DEFAULT_NOVA_CONF = '/etc/nova/nova.conf'
EXIT_OK, EXIT_FOUND, EXIT_USAGE = (common.EXIT_OK, common.EXIT_FAILED,
                                   common.EXIT_USAGE)
#: A user mistake: bad configuration, a missing file, an unknown name.
UsageError = common.UsageError


def add_source_arguments(parser: argparse.ArgumentParser,
                         snapshot: bool = True) -> None:
    parser.add_argument(
        '--config-file', action='append', metavar='FILE',
        help='nova.conf, then any file with a [nova] keystoneauth section for '
             'the Nova API (e.g. /etc/zha-scheduler/zha-evacuate.conf); may '
             'be repeated (default: %s if it exists)' % DEFAULT_NOVA_CONF)
    if snapshot:
        parser.add_argument(
            '--snapshot', metavar='FILE',
            help='read hosts, instances and groups from a file saved by '
                 '"zha-scheduler snapshot" instead of the live cloud')
    parser.add_argument('--format', choices=('table', 'json'), default='table')


def load_conf(args: argparse.Namespace) -> Any:
    """Load nova.CONF from the config files with the ZHA and [nova] options."""
    from oslo_config import cfg

    import nova.conf
    from nova import objects
    from zha_scheduler import conf as zha_conf
    from zha_scheduler.conf import evacuate as evacuate_conf

    files = args.config_file
    if files is None:
        files = ([DEFAULT_NOVA_CONF] if os.path.exists(DEFAULT_NOVA_CONF)
                 else [])
    conf = nova.conf.CONF
    assert conf is zha_conf.CONF  # both register on oslo.config's global CONF
    if 'nova' not in conf:
        evacuate_conf.register_nova_opts(conf)
    objects.register_all()
    try:
        conf([], project='nova', default_config_files=files,
             default_config_dirs=[])
    except conf_files.CONFIG_ERRORS as exc:
        raise UsageError(str(conf_files.config_error(exc, files))) from None
    # Read the options now: a bad value raises here, not in the middle.
    for group in ('filter_scheduler', 'zha_scheduler', 'zha_evacuate'):
        try:
            [conf[group][name] for name in conf[group]]
        except cfg.ConfigSourceValueError as exc:
            raise UsageError(conf_files.value_error_text(exc, group)) from None
        except (cfg.Error, ValueError) as exc:
            raise UsageError('invalid configuration in %s: %s' % (
                ', '.join(files) or 'defaults',
                conf_files.one_line(exc))) from None
    return conf


def connection(conf: Any, offline: bool = True) -> Any:
    """An openstacksdk Connection from [nova], or UsageError when unset.

    :param offline: whether the command can read a snapshot instead.
    """
    if not conf.nova.auth_type:
        raise UsageError(
            'no [nova] credentials: pass --config-file with a [nova] '
            'keystoneauth section (as in zha-evacuate.conf)%s' % (
                ', or --snapshot FILE' if offline else ''))
    from zha_scheduler.clients import auth
    from zha_scheduler.clients import nova_client
    try:
        return auth.connection(conf, 'nova', 'the insight commands cannot '
                               "read the cloud", nova_client.MICROVERSION)
    except Exception as exc:  # keystoneauth's option and plugin errors
        raise UsageError('invalid [nova] credentials: %s' % exc) from None


def read_snapshot(args: argparse.Namespace, conf: Any,
                  conn: Any = None) -> Any:
    """The snapshot of --snapshot, else one collected live."""
    from zha_scheduler.insight import collect
    from zha_scheduler.insight import snapshot

    if getattr(args, 'snapshot', None):
        try:
            return snapshot.load(args.snapshot)
        except snapshot.SnapshotError as exc:
            raise UsageError(str(exc)) from None
    from keystoneauth1 import exceptions as ks_exc
    from openstack import exceptions as sdk_exc

    try:
        return collect.collect(conn if conn is not None else connection(
            conf, offline=hasattr(args, 'snapshot')))
    except collect.CollectError as exc:
        raise UsageError(str(exc)) from None
    except (ks_exc.ClientException, sdk_exc.SDKException) as exc:
        # keystoneauth authenticates on the first request: credentials that
        # load but cannot authenticate, or an unreachable auth_url or
        # endpoint, fail here.
        raise UsageError(
            'cannot read the cloud with the [nova] credentials: %s; check '
            'auth_url, endpoint and credentials in [nova]%s' % (
                conf_files.one_line(exc).rstrip('.'),
                ', or use --snapshot FILE' if hasattr(args, 'snapshot')
                else '')) from None


def key_values(pairs: list[str] | None, what: str) -> dict[str, Any]:
    """``KEY=VALUE`` arguments as a dict; a repeated key collects a list."""
    found: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition('=')
        if not sep or not key:
            raise UsageError('%s %r is not KEY=VALUE' % (what, pair))
        if key in found:
            previous = found[key]
            if not isinstance(previous, list):
                previous = [previous]
            found[key] = previous + [value]
        else:
            found[key] = value
    return found


def fail(prog: str, error: Exception | str) -> int:
    """Print the mistake as one line on stderr; return EXIT_USAGE."""
    return common.fail('zha-scheduler ' + prog, error)


def quiet_logs() -> None:
    """Send logs to stderr, from WARNING up.

    explain turns on DEBUG on Nova's loggers to read the filters' reasons,
    which are not for the terminal.
    """
    logs.log_to_stderr()
