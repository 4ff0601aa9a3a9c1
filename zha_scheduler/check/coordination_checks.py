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

"""coordination-reachable: the tooz backend of ``coordination_url``.

zha-evacuate takes each host's lock there before it fences anything: with
the backend down it evacuates nothing.
"""

import urllib.parse

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.clients import coordination_backend

CHECK = 'coordination-reachable'
HOOK = 'zha_evacuate'
#: Seconds to connect and to wait for the driver (joining and leaving get
#: twice as long): an operator tool must not hang on a black-holed backend.
TIMEOUT = 5.0
EXAMPLES = ('redis://HOST:6379, etcd3+http://HOST:2379 or, on one '
            'controller, file:///var/lib/zha-scheduler/locks')


def check_coordination(hook: config_files.SafeConf | None,
                       timeout: float = TIMEOUT) -> list[Finding]:
    """Join the coordination backend as zha-evacuate does, and leave.

    A ``file://`` URL is checked without starting tooz: it would create the
    lock directory owned by whoever runs the check (often root), which
    zha-evacuate, running as its own user, could then not write.

    :param hook: the hook's configuration; None: no ``--hook-conf``.
    :param timeout: see TIMEOUT.
    """
    if hook is None:
        return [findings.skipped(CHECK, 'no --hook-conf given')]
    url = hook.get(HOOK, 'coordination_url')
    if url is None:
        return [findings.skipped(
            CHECK, 'coordination_url is invalid (see hook-config)')]
    shown = coordination_backend.redact(url)
    try:
        if coordination_backend.scheme(url) == 'file':
            coordination_backend.check_url(url)
            return [findings.ok(
                CHECK, 'coordination_url %s: the lock directory is usable by '
                'this user; locks are seen on this controller only' % shown)]
        seconds = coordination_backend.probe(url, timeout)
    except (coordination_backend.UnknownDriverError,
            coordination_backend.DriverLibraryError,
            coordination_backend.LockDirectoryError) as exc:
        return [findings.error(
            CHECK, '[zha_evacuate] coordination_url %s: %s. zha-evacuate '
            'does not start' % (shown, exc), _start_fix(exc, url))]
    except coordination_backend.CoordinationError as exc:
        return [findings.error(
            CHECK, 'cannot use the coordination backend %s: %s. zha-evacuate '
            'takes each host\'s lock there before fencing: it evacuates '
            'nothing while the backend is down' % (
                shown, findings.one_line(exc)),
            'start the backend on %s (or correct [zha_evacuate] '
            'coordination_url); every controller that runs zha-evacuate '
            'must reach it' % (_server_name(url) or 'its server'))]
    if coordination_backend.is_local(url):
        where = 'on this controller only'
    else:
        where = 'shared by every controller that reaches it'
    return [findings.ok(CHECK, 'coordination backend %s answered (joined and '
                        'left in %.2f s); locks are %s'
                        % (shown, seconds, where))]


def _start_fix(exc: Exception, url: str) -> str:
    """What fixes a coordination_url that keeps zha-evacuate from starting."""
    if isinstance(exc, coordination_backend.UnknownDriverError):
        return ('set coordination_url to a URL of an installed driver: %s'
                % EXAMPLES)
    if isinstance(exc, coordination_backend.DriverLibraryError):
        return ('install that package where zha-evacuate runs (pip install '
                '"tooz[%s]", or the distribution\'s package)' % _extra(url))
    return ('create the directory, writable by the user zha-evacuate runs '
            'as (zha-scheduler in the shipped systemd units), or point '
            'coordination_url at one it can write')


def _extra(url: str) -> str:
    """tooz's install extra of the URL's driver."""
    name = coordination_backend.scheme(url)
    return {'etcd3+http': 'etcd3gw', 'etcd3+https': 'etcd3gw',
            'kazoo': 'zookeeper'}.get(name, name)


def _server_name(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    try:
        return parts.hostname and (
            '%s port %d' % (parts.hostname, parts.port) if parts.port
            else parts.hostname)
    except ValueError:
        return None
