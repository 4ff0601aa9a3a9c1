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

"""hmc-reachable, hmc-lpars and lpars-coverage: can zha-evacuate fence?

With ``fencing = hmc`` a host is evacuated only once its LPAR (classic
mode) or partition (DPM) is fenced through the HMC. These checks log on
to the HMC as zha-evacuate does, look up every CPC and LPAR of
``lpars_file`` there, and compare ``lpars_file`` with Placement's compute
nodes: each problem found here makes fencing fail when a host has already
failed, and then nothing is evacuated.
"""

import collections
from collections.abc import Iterable
import dataclasses
from typing import Any

from zha_scheduler.check import config_files
from zha_scheduler.check import findings
from zha_scheduler.check.findings import Finding
from zha_scheduler.check.placement_checks import PlacementView
from zha_scheduler.clients import hmc
from zha_scheduler.clients import topology_files

REACHABLE = 'hmc-reachable'
LPARS = 'hmc-lpars'
COVERAGE = 'lpars-coverage'
HOOK = 'zha_evacuate'
#: Seconds to connect to the HMC (no retry) and to wait for each answer: an
#: operator tool must not hang on a black-holed HMC. zha-evacuate's own
#: session (clients/hmc.py) retries and waits longer.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
# What zha-evacuate does with a host it cannot fence.
NOTHING = 'zha-evacuate evacuates nothing from a host it could not fence'
NO_HOST = 'No host can be fenced, and ' + NOTHING
FIX_REACH = ('check [zha_evacuate] hmc_host and hmc_port (the HMC\'s Web '
             'Services API, port 6794 unless changed, enabled in the HMC\'s '
             'Customize API Settings) and that this controller reaches it '
             'through the firewalls')
FIX_TLS = ('set [zha_evacuate] hmc_ca_file to the CA bundle that signed the '
           'HMC\'s certificate (unset: the system\'s CAs), and hmc_host to a '
           'name or address the certificate holds')
FIX_LOGON = ('check [zha_evacuate] hmc_userid and hmc_password, and on the '
             'HMC that this user exists, is not disabled or locked, may use '
             'the Web Services API and has an unexpired password')
FIX_ADD = ('add "HOST: {cpc: CPC_NAME, lpar: LPAR_NAME}" for each compute '
           'host to %s, with the names the HMC shows (the partition name in '
           'DPM mode)')
FIX_ACCESS = ('give hmc_userid object access to the CPCs and LPARs of '
              'lpars_file on the HMC (and the task permissions Deactivate, '
              'or Stop Partition in DPM mode)')


@dataclasses.dataclass(frozen=True)
class HmcTarget:
    """The HMC settings and the lpars_file of ``fencing = hmc``."""

    settings: hmc.HmcSettings
    lpars: dict[str, dict[str, str]]


def hmc_target(hook: config_files.SafeConf | None
               ) -> tuple[HmcTarget | None, str]:
    """What fencing = hmc would use, or why these checks do not run.

    :returns: the target and ``''``, or None and the reason to skip (the
        fencing check reports the problem itself).
    """
    if hook is None:
        return None, 'no --hook-conf given'
    mode = hook.get(HOOK, 'fencing')
    if mode is None:
        return None, 'fencing is invalid (see hook-config)'
    if mode != 'hmc':
        return None, 'fencing = %s' % mode
    try:
        settings = hmc.HmcSettings.from_conf(hook.conf)
        lpars = topology_files.load_lpars(settings.lpars_file)
    except (hmc.HmcConfigError, topology_files.TopologyFileError):
        return None, 'fencing = hmc is incomplete (see fencing)'
    return HmcTarget(settings, lpars), ''


def _quick() -> Any:
    """The check's short timeouts, without retries: a tool must not hang."""
    import zhmcclient

    return zhmcclient.RetryTimeoutConfig(
        connect_timeout=CONNECT_TIMEOUT, connect_retries=0,
        read_timeout=READ_TIMEOUT, read_retries=0)


def _is_tls(exc: BaseException) -> bool:
    import requests

    return isinstance(getattr(exc, 'details', None),
                      requests.exceptions.SSLError)


def _logon_failed(settings: hmc.HmcSettings,
                  exc: BaseException) -> Finding:
    import zhmcclient

    where = 'HMC %s port %d' % (settings.host, settings.port)
    if isinstance(exc, zhmcclient.ConnectionError) and _is_tls(exc):
        return findings.error(
            REACHABLE, 'the TLS certificate of %s is not trusted: %s. %s'
            % (where, hmc.describe(exc), NO_HOST), FIX_TLS)
    if isinstance(exc, zhmcclient.ConnectionError):
        return findings.error(
            REACHABLE, 'cannot reach %s: %s. %s' % (where, hmc.describe(exc),
                                                    NO_HOST), FIX_REACH)
    if isinstance(exc, (zhmcclient.AuthError, zhmcclient.HTTPError)):
        return findings.error(
            REACHABLE, '%s refused the logon of %s: %s. %s'
            % (where, settings.userid, hmc.describe(exc), NO_HOST), FIX_LOGON)
    return findings.error(
        REACHABLE, 'cannot log on to %s as %s: %s: %s. %s'
        % (where, settings.userid, type(exc).__name__, hmc.describe(exc),
           NO_HOST), '%s; %s' % (FIX_REACH, FIX_LOGON))


def check_hmc(hook: config_files.SafeConf | None,
              session_factory: hmc.SessionFactory | None = None,
              skip: bool = False) -> list[Finding]:
    """hmc-reachable and hmc-lpars: log on, find every CPC and LPAR.

    :param hook: the hook's configuration; None: no ``--hook-conf``.
    :param session_factory: called as ``zhmcclient.Session`` (tests pass
        one returning zhmcclient's faked HMC); None: the real HMC.
    :param skip: contact no HMC (``--skip-hmc``).
    """
    target, why = hmc_target(hook)
    if target is None:
        return [findings.skipped(REACHABLE, why),
                findings.skipped(LPARS, why)]
    if skip:
        return [findings.skipped(REACHABLE, '--skip-hmc'),
                findings.skipped(LPARS, '--skip-hmc')]
    import zhmcclient

    settings = target.settings
    unreached = findings.skipped(LPARS, 'HMC not reached')
    try:
        session = settings.open_session(READ_TIMEOUT, session_factory,
                                       overrides=_quick())
    except hmc.HmcConfigError as exc:
        # hmc_ca_file is missing: the fencing check says so.
        return [findings.skipped(REACHABLE, '%s (see fencing)'
                                 % findings.one_line(exc)), unreached]
    except hmc.HmcError as exc:
        return [findings.error(REACHABLE, '%s. %s' % (
            findings.one_line(exc), NO_HOST), FIX_REACH), unreached]
    try:
        try:
            session.logon()
        except zhmcclient.Error as exc:
            return [_logon_failed(settings, exc), unreached]
        result = [findings.ok(REACHABLE, 'logged on to HMC %s port %d as %s'
                              % (settings.host, settings.port,
                                 settings.userid))]
        try:
            result += _lookup(zhmcclient.Client(session), target)
        except zhmcclient.Error as exc:
            result.append(findings.error(
                LPARS, 'cannot list the CPCs and LPARs of lpars_file on HMC '
                '%s: %s: %s. %s' % (settings.host, type(exc).__name__,
                                    hmc.describe(exc), NO_HOST),
                '%s; %s' % (FIX_ACCESS, FIX_REACH)))
        return result
    finally:
        try:
            session.logoff()
        except zhmcclient.Error:
            pass  # the session expires on the HMC; the findings stand


def _hosts_by_cpc(lpars: dict[str, dict[str, str]]
                  ) -> dict[str, dict[str, list[str]]]:
    """CPC name -> LPAR name -> the hosts naming it."""
    by_cpc: dict[str, dict[str, list[str]]] = collections.defaultdict(
        lambda: collections.defaultdict(list))
    for host, entry in sorted(lpars.items()):
        by_cpc[entry['cpc']][entry['lpar']].append(host)
    return by_cpc


def _with_hosts(names: Iterable[str], hosts: dict[str, list[str]]) -> str:
    shown = ['%s (host %s)' % (name, ', '.join(hosts[name]))
             for name in sorted(names)]
    return findings.name_list(shown)


def _lookup(client: Any, target: HmcTarget) -> list[Finding]:
    """hmc-lpars: one request for the CPCs, one per CPC for its LPARs."""
    settings = target.settings
    path = settings.lpars_file
    cpcs = {cpc.name: cpc for cpc in client.cpcs.list()}
    by_cpc = _hosts_by_cpc(target.lpars)
    result = []
    modes = set()
    for cpc_name, hosts in sorted(by_cpc.items()):
        cpc = cpcs.get(cpc_name)
        if cpc is None:
            result.append(findings.error(
                LPARS, 'CPC %s of lpars_file is not known to HMC %s: '
                'host(s) %s cannot be fenced, and %s' % (
                    cpc_name, settings.host,
                    findings.name_list(h for named in hosts.values()
                                       for h in named), NOTHING),
                'correct the cpc names in %s (the CPCs hmc_userid sees on '
                'this HMC: %s), or %s' % (
                    path, findings.name_list(cpcs) or 'none', FIX_ACCESS)))
            continue
        # One request per CPC lists all its LPARs (or partitions).
        if cpc.dpm_enabled:
            mode, kind = 'DPM', 'partition'
            names = {p.name for p in cpc.partitions.list()}
        else:
            mode, kind = 'classic', 'LPAR'
            names = {lpar.name for lpar in cpc.lpars.list()}
        modes.add(mode)
        missing = set(hosts) - names
        if missing:
            result.append(findings.error(
                LPARS, '%s-mode CPC %s has no %s %s: these hosts cannot be '
                'fenced, and %s' % (
                    mode, cpc_name, kind, _with_hosts(missing, hosts),
                    NOTHING),
                'correct their lpar names in %s (the %ss of CPC %s: %s), or '
                '%s' % (path, kind, cpc_name,
                        findings.name_list(names) or 'none', FIX_ACCESS)))
    if not result:
        result.append(findings.ok(
            LPARS, 'HMC %s knows the %d LPARs and partitions of lpars_file, '
            'on %d CPCs (%s)' % (
                settings.host, sum(len(h) for h in by_cpc.values()),
                len(by_cpc), ', '.join(sorted(modes)))))
    return result


def check_coverage(hook: config_files.SafeConf | None,
                   view: PlacementView | None) -> list[Finding]:
    """lpars-coverage: every compute node has an lpars_file entry.

    :param hook: the hook's configuration; None: no ``--hook-conf``.
    :param view: Placement's compute nodes; None when Placement was
        skipped or unreachable.
    """
    target, why = hmc_target(hook)
    if target is None:
        return [findings.skipped(COVERAGE, why)]
    path = target.settings.lpars_file
    result = _shared_lpars(target, path)
    if view is None:
        if not target.lpars:
            result.append(findings.error(
                COVERAGE, 'lpars_file %s maps no host: no host can be '
                'fenced, and %s' % (path, NOTHING), FIX_ADD % path))
        return result or [findings.skipped(COVERAGE, 'Placement not read')]
    nodes = view.names()
    mapped = set(target.lpars)
    missing = nodes - mapped
    if missing:
        result.append(findings.error(
            COVERAGE, '%d of %d compute nodes are not in lpars_file %s: %s. '
            'They cannot be fenced, and %s' % (
                len(missing), len(nodes), path, findings.name_list(missing),
                NOTHING), FIX_ADD % path))
    unknown = mapped - nodes
    if unknown:
        result.append(findings.warning(
            COVERAGE, 'lpars_file %s names hosts that are not compute nodes '
            'in Placement: %s' % (path, findings.name_list(unknown)),
            'correct the names in %s: they must be the compute nodes\' names '
            '("openstack hypervisor list"); remove the hosts that are gone'
            % path))
    if not result:
        result.append(findings.ok(
            COVERAGE, 'lpars_file maps all %d compute nodes to their LPARs'
            % len(nodes)))
    return result


def _shared_lpars(target: HmcTarget, path: str) -> list[Finding]:
    """Hosts mapped to one LPAR: fencing one would stop the others."""
    result = []
    for cpc_name, hosts in sorted(_hosts_by_cpc(target.lpars).items()):
        for lpar, named in sorted(hosts.items()):
            if len(named) > 1:
                result.append(findings.error(
                    COVERAGE, 'hosts %s all map to LPAR %s on CPC %s in '
                    'lpars_file: fencing one of them stops the others'
                    % (', '.join(named), lpar, cpc_name),
                    'give each host its own LPAR in %s' % path))
    return result
