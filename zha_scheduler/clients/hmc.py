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

"""The IBM Z HMC through zhmcclient: settings, sessions and status polling.

Settings and sessions come from ``[zha_evacuate]``. :class:`StatusReader` is
the failure detector's eye: it keeps one HMC session open across polls and
reads, per poll, the status of every CPC in one request (List CPC Objects)
and, per CPC hosting an LPAR of ``lpars_file``, the status of all its LPARs
(classic mode: List Logical Partitions of CPC) or partitions (DPM: List
Partitions of a CPC) in one request: ``1 + number of such CPCs`` requests,
whatever the number of LPARs. These list operations return ``status``
without a Get Properties call (zhmcclient's own ``Lpar.wait_for_status``
lists the LPARs by name for that reason); a CPC's list entry also carries
``dpm-enabled`` from HMC 2.14 on, read once per CPC from older HMCs.

Statuses that mean "failed": the LPAR runs no operating system, so neither
nova-compute nor any guest. In quotes, the HMC Web Services API's
definitions (data models of the Logical Partition, Partition and CPC
objects):

* classic LPAR ``not-operating``: "all processors on the LPAR object are
  stopped" (zhmcclient: "active but no operating system is running"): the
  hypervisor crashed into a wait state or halted.
* classic LPAR ``not-activated``: "the LPAR is not activated": deactivated,
  it holds no resources.
* DPM partition ``stopped``: "the partition is not running on the CPC".
* DPM partition ``terminated``: "no longer executing the operating system
  because all processors have been stopped by the operating system through
  some in-band action ... shut down or ... crashed".
* DPM partition ``reservation-error``: not running; the resources reserved
  for it could not be allocated.
* CPC ``no-power`` (powered off) and ``not-operating`` (powered on, not
  operating): no LPAR of it runs. zhmcclient's faked HMC classes exactly
  these two as the inactive CPC statuses.

A CPC in a failed status fails every mapped LPAR on it (its LPARs are not
even listed). Not failed, and why:

* classic ``operating`` (all processors operating) and ``exceptions``
  ("one or more processors ... operating and one or more ... not"): Linux
  stops the processors it sets offline, and an IPL starts them one by one,
  so a healthy hypervisor shows ``exceptions``; a hung one is found by
  Nova's heartbeat.
* DPM ``active``; ``degraded`` (running, a resource lost: the agent's
  traits deal with that); ``paused`` (processors not running, and shown
  for a moment after Start Partition completes, as zhmcclient's
  ``Partition.start`` notes); ``starting`` and ``stopping`` (transitions:
  ``stopping`` ends in ``stopped``).
* ``communications-not-active`` and ``status-check`` (partitions),
  ``not-communicating`` and ``status-check`` (CPCs): the HMC does not know
  the status. Unknown is not failed: Nova's heartbeat decides.
* CPC ``operating``/``active``, ``acceptable``, ``degraded``,
  ``service-required`` (running on a backup part), ``service`` (the SE in
  service mode) and ``exceptions`` (some unusual condition somewhere in the
  CPC): LPARs may be running; their own statuses decide.

How long a failed status must last is the detector's business
(:mod:`zha_scheduler.evacuate.detect`).

Sessions: zhmcclient logs on at the first request, and when the HMC answers
HTTP 403 with reason 4 (no session) or 5 (session expired or unknown, e.g.
after an HMC restart) it logs on again by itself and repeats the request
once. What it leaves to the caller: keeping one Session object instead of
one per poll (a session per poll would log on every 2 s and leave sessions
behind), bounding its waits (its defaults are 30 s x 3 connection tries and
a 3600 s read timeout, which would stall detection), turning a failed
logon, an unreachable HMC or a refusal into an error the watcher can report
(the next poll tries again on the same session, which logs on again since
the HMC then answers 403), and logging off at the end.
"""

from collections.abc import Callable
from collections.abc import Iterable
import dataclasses
import os
import re
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

from zha_scheduler.clients import topology_files

LOG = logging.getLogger(__name__)

GROUP = 'zha_evacuate'
REQUIRED_OPTIONS = ('hmc_host', 'hmc_userid', 'hmc_password', 'lpars_file')
# Fail over to a clear error quickly when the HMC is unreachable: the
# library defaults (30 s x 3 retries per connection) stall an evacuation.
CONNECT_TIMEOUT = 10
CONNECT_RETRIES = 2
# Status polling: a poll that cannot finish quickly is worth less than the
# next one, so one connection retry (a lost packet should not log an
# outage) and a read timeout far below zhmcclient's 3600 s.
POLL_CONNECT_TIMEOUT = 5
POLL_CONNECT_RETRIES = 1
POLL_READ_TIMEOUT = 10

CLASSIC, DPM = 'classic', 'dpm'

#: Statuses that mean the LPAR runs no operating system, with why (see the
#: module docstring for the sources).
LPAR_FAILED = {
    'not-operating': 'all its processors are stopped (the hypervisor '
                     'crashed into a wait state or halted)',
    'not-activated': 'it is not activated',
}
PARTITION_FAILED = {
    'stopped': 'it is not running on the CPC',
    'terminated': 'its operating system stopped all its processors: shut '
                  'down or crashed',
    'reservation-error': 'it is not running: the resources reserved for it '
                         'could not be allocated',
}
CPC_FAILED = {
    'no-power': 'it is powered off',
    'not-operating': 'it is powered on but not operating',
}

SessionFactory = Callable[..., Any]


class HmcConfigError(Exception):
    """The ``[zha_evacuate] hmc_*`` options cannot reach an HMC."""


class HmcError(Exception):
    """The HMC could not be reached, or refused the session or a request."""


@dataclasses.dataclass(frozen=True)
class HmcSettings:
    """Where the HMC is and how to log on to it."""

    host: str
    userid: str
    password: str
    port: int
    ca_file: str | None
    insecure: bool
    lpars_file: str

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> 'HmcSettings':
        """Read the options of ``[zha_evacuate]``.

        :raises HmcConfigError: a required option is not set.
        """
        opts = conf[GROUP]
        missing = [name for name in REQUIRED_OPTIONS if not opts[name]]
        if missing:
            raise HmcConfigError(
                'fencing = hmc needs ' +
                ', '.join('[%s] %s' % (GROUP, name) for name in missing) +
                ' in the configuration file')
        return cls(host=opts.hmc_host, userid=opts.hmc_userid,
                   password=opts.hmc_password, port=opts.hmc_port,
                   ca_file=opts.hmc_ca_file, insecure=opts.hmc_insecure,
                   lpars_file=opts.lpars_file)

    def verify_cert(self) -> bool | str:
        """zhmcclient's ``verify_cert``: the CA file, True or False.

        :raises HmcConfigError: ``hmc_ca_file`` does not exist.
        """
        if self.insecure:
            LOG.warning('TLS certificate verification of HMC %(hmc)s is '
                        'disabled ([%(group)s] hmc_insecure = True); the HMC '
                        'credentials can be intercepted',
                        {'hmc': self.host, 'group': GROUP})
            return False
        if self.ca_file:
            if not os.path.isfile(self.ca_file):
                raise HmcConfigError('[%s] hmc_ca_file %s does not exist'
                                     % (GROUP, self.ca_file))
            return self.ca_file
        return True

    def open_session(self, timeout: int,
                     session_factory: SessionFactory | None = None, *,
                     overrides: Any = None) -> Any:
        """Open (not yet log on) a zhmcclient session to the HMC.

        :param timeout: seconds an operation, and a wait for a status,
            may take.
        :param session_factory: called as ``zhmcclient.Session`` (tests pass
            one returning a faked session).
        :param overrides: a ``zhmcclient.RetryTimeoutConfig`` whose values
            that are not None replace the defaults set here.
        :raises HmcConfigError: as verify_cert.
        :raises HmcError: zhmcclient refused the session.
        """
        import zhmcclient

        retry = zhmcclient.RetryTimeoutConfig(
            connect_timeout=CONNECT_TIMEOUT, connect_retries=CONNECT_RETRIES,
            operation_timeout=timeout, status_timeout=timeout)
        if overrides is not None:
            retry = retry.override_with(overrides)
        factory = session_factory or zhmcclient.Session
        try:
            return factory(self.host, self.userid, self.password,
                           port=self.port, verify_cert=self.verify_cert(),
                           retry_timeout_config=retry)
        except zhmcclient.Error as exc:
            raise HmcError('cannot open a session to HMC %s: %s'
                           % (self.host, exc)) from None


def describe(exc: BaseException) -> str:
    """A zhmcclient error in one line, without the HTTP library's frame."""
    text = ' '.join(str(exc).split())
    # "<requests' text>, reason: <cause> (exception received by zhmcclient:
    # <class>)": the cause is what an operator can act on.
    found = re.search(r', reason: (.*) \(exception received by zhmcclient',
                      text)
    if found:
        text = found.group(1)
    text = re.sub(r'^.*Failed to establish a new connection: ', '', text)
    return re.sub(r' \(_ssl\.c:\d+\)', '', text)


@dataclasses.dataclass(frozen=True)
class LparStatus:
    """What the HMC says of one LPAR (classic) or partition (DPM)."""

    cpc: str
    lpar: str
    #: CLASSIC or DPM; None when the CPC was not found or has failed.
    mode: str | None = None
    #: None when not read: CPC failed or not found, LPAR not found, or its
    #: CPC's list refused (``note`` says which).
    status: str | None = None
    cpc_status: str | None = None
    note: str | None = None

    @property
    def kind(self) -> str:
        return 'partition' if self.mode == DPM else 'LPAR'

    def failure(self) -> str | None:
        """Why the HMC reports this LPAR failed; None when it does not."""
        if self.cpc_status in CPC_FAILED:
            return 'CPC %s is %s: %s' % (self.cpc, self.cpc_status,
                                        CPC_FAILED[self.cpc_status])
        table = PARTITION_FAILED if self.mode == DPM else LPAR_FAILED
        if self.mode is not None and self.status in table:
            return '%s %s on CPC %s is %s: %s' % (
                self.kind, self.lpar, self.cpc, self.status,
                table[self.status])
        return None


class StatusReader:
    """Reads LPAR, partition and CPC statuses over one lasting HMC session."""

    # Not thread-safe: one thread polls.

    def __init__(self, settings: HmcSettings,
                 session_factory: SessionFactory | None = None) -> None:
        self.settings = settings
        self._session_factory = session_factory
        self._session: Any = None
        self._client: Any = None
        #: ``dpm-enabled`` by CPC name, for HMCs whose CPC list lacks it.
        self._dpm: dict[str, bool] = {}

    def _connect(self) -> Any:
        import zhmcclient

        if self._client is None:
            polling = zhmcclient.RetryTimeoutConfig(
                connect_timeout=POLL_CONNECT_TIMEOUT,
                connect_retries=POLL_CONNECT_RETRIES,
                read_timeout=POLL_READ_TIMEOUT, read_retries=0)
            self._session = self.settings.open_session(
                POLL_READ_TIMEOUT, self._session_factory, overrides=polling)
            self._client = zhmcclient.Client(self._session)
        return self._client

    def read_hosts(self) -> dict[str, LparStatus]:
        """The status of each host's LPAR in ``lpars_file``, by host.

        The file is read at each call, as the fencer does: an edit applies
        without a restart.

        :raises topology_files.TopologyFileError: lpars_file is bad.
        :raises HmcError: as read.
        """
        lpars = topology_files.load_lpars(self.settings.lpars_file)
        statuses = self.read((t['cpc'], t['lpar']) for t in lpars.values())
        return {host: statuses[(t['cpc'], t['lpar'])]
                for host, t in lpars.items()}

    def read(self, targets: Iterable[tuple[str, str]]
             ) -> dict[tuple[str, str], LparStatus]:
        """Read the status of LPARs (or partitions) and of their CPCs.

        One request lists the CPCs with their statuses, and one per CPC
        that hosts a target and is not failed lists its LPARs or
        partitions with theirs.

        :param targets: (CPC name, LPAR or partition name) pairs.
        :returns: an :class:`LparStatus` per target.
        :raises HmcConfigError: as HmcSettings.verify_cert.
        :raises HmcError: the HMC is unreachable or refused the session or
            the CPC list; the next call tries again on the same session.
        """
        import zhmcclient

        wanted: dict[str, set[str]] = {}
        for cpc_name, lpar in targets:
            wanted.setdefault(cpc_name, set()).add(lpar)
        try:
            cpcs = {c.name: c for c in self._connect().cpcs.list()}
            result = {}
            for name, lpars in sorted(wanted.items()):
                for status in self._read_cpc(name, cpcs.get(name), lpars):
                    result[(status.cpc, status.lpar)] = status
            return result
        except zhmcclient.ConnectionError as exc:
            raise HmcError('HMC %s is unreachable: %s'
                           % (self.settings.host, describe(exc))) from None
        except zhmcclient.AuthError as exc:
            raise HmcError(
                'HMC %s refused the logon of %s: %s; check [%s] hmc_userid '
                'and hmc_password, and that this user may use the Web '
                'Services API' % (self.settings.host, self.settings.userid,
                                  describe(exc), GROUP)) from None
        except zhmcclient.Error as exc:
            raise HmcError('cannot read the statuses on HMC %s: %s: %s'
                           % (self.settings.host, type(exc).__name__,
                              describe(exc))) from None

    def _read_cpc(self, name: str, cpc: Any,
                  lpars: set[str]) -> list[LparStatus]:
        import zhmcclient

        if cpc is None:
            return [LparStatus(name, lpar, note=(
                'no CPC %s on HMC %s (check [%s] lpars_file and the HMC '
                "user's object access)" % (name, self.settings.host, GROUP)))
                for lpar in sorted(lpars)]
        cpc_status = cpc.properties.get('status')
        if cpc_status in CPC_FAILED:
            # Its LPARs are down with it; the HMC may refuse to list them.
            return [LparStatus(name, lpar, cpc_status=cpc_status)
                    for lpar in sorted(lpars)]
        mode = DPM if self._dpm_enabled(cpc) else CLASSIC
        try:
            manager = cpc.partitions if mode == DPM else cpc.lpars
            found = {r.name: r.properties.get('status')
                     for r in manager.list()}
        except zhmcclient.HTTPError as exc:
            # One CPC's refusal (e.g. no object access, status-check)
            # leaves the other CPCs' statuses good.
            refused = 'HMC %s refused to list the %ss of CPC %s: %s' % (
                self.settings.host, 'partition' if mode == DPM else 'LPAR',
                name, describe(exc))
            return [LparStatus(name, lpar, mode, cpc_status=cpc_status,
                               note=refused) for lpar in sorted(lpars)]
        statuses = []
        for lpar in sorted(lpars):
            note: str | None = None
            if lpar not in found:
                note = ('no %s %s on CPC %s of HMC %s (check [%s] lpars_file '
                        "and the HMC user's object access)" % (
                            'partition' if mode == DPM else 'LPAR', lpar,
                            name, self.settings.host, GROUP))
            statuses.append(LparStatus(name, lpar, mode, found.get(lpar),
                                       cpc_status, note))
        return statuses

    def _dpm_enabled(self, cpc: Any) -> bool:
        # In the CPC list from HMC 2.14 on; older HMCs need one request per
        # CPC, once: a CPC changes mode only through a power-on reset.
        value = cpc.properties.get('dpm-enabled')
        if value is None:
            if cpc.name not in self._dpm:
                cpc.pull_properties(['dpm-enabled'])
                self._dpm[cpc.name] = bool(cpc.properties.get('dpm-enabled'))
            return self._dpm[cpc.name]
        return bool(value)

    def close(self) -> None:
        """Log off (errors are logged: the session expires by itself)."""
        import zhmcclient

        session, self._session, self._client = self._session, None, None
        if session is None:
            return
        try:
            session.logoff()
        except zhmcclient.Error as exc:
            LOG.warning('Logging off HMC %(hmc)s failed: %(err)s',
                        {'hmc': self.settings.host, 'err': describe(exc)})
