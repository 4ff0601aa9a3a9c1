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

"""The host's storage verdict: FCP multipath maps, DASD and multipathd.

A host may keep guest disks on SCSI volumes over FCP (dm-multipath maps),
on FICON DASD, or both. Each kind the host has must be redundant:

- no map and no online DASD: storage is not monitored;
- any degraded part makes storage degraded, else any unknown part (maps or
  DASD that could not be read) leaves it unknown, else it is redundant;
- a host with multipath maps whose multipathd does not run is degraded,
  whatever the paths say now: nothing checks or reinstates them, and its
  maps no longer count as redundant for consistency groups.
"""

from typing import Any

from oslo_log import log as logging

from zha_scheduler.agent import conditions
from zha_scheduler.agent import daemons
from zha_scheduler.agent import dasd
from zha_scheduler.agent import health
from zha_scheduler.agent import storage
from zha_scheduler import topology

LOG = logging.getLogger(__name__)


def _multipathd(units: daemons.DaemonsResult,
                maps: int) -> tuple[bool, str | None]:
    """Whether multipathd degrades a host with ``maps`` maps, and why.

    Its problems are logged here (once, WARNING), not by the daemon probe:
    on a host without maps they do not matter.
    """
    entry = units.details.get(daemons.MULTIPATHD) or {}
    for problem in entry.get('problems') or ():
        conditions.warning(LOG, '%(problem)s (the host has %(maps)d '
                           'multipath maps).',
                           {'problem': problem, 'maps': maps})
    if units.running(daemons.MULTIPATHD) is not False:
        return False, None
    state = (entry.get('active_state') if entry.get('load_state') == 'loaded'
             else entry.get('load_state'))
    return True, ('%s is %s: failed paths are neither checked nor '
                  'reinstated' % (entry.get('unit'), state))


def combine(fcp: storage.StorageResult, disks: dasd.DasdResult,
            units: daemons.DaemonsResult) -> storage.StorageResult:
    """Combine the multipath, DASD and daemon probes into one verdict.

    :param fcp: the multipath probe (probe_storage with summary=False).
    :param disks: the DASD probe.
    :param units: the daemon probe.
    :returns: the host's storage state, the WWIDs of the redundant and
        present maps (for consistency groups), every detail (the multipath
        ones at the top, as before DASD, ``multipath_state`` and ``dasd``)
        and, when nothing could be read, what.
    """
    maps = len(fcp.details.get('maps') or {})
    fcp_counts = maps > 0 or fcp.unread is not None
    dasd_counts = disks.present or disks.unread is not None
    states, reasons = [], []
    fcp_reason = fcp.details.get('reason') or fcp.details.get('error')
    if fcp_counts:
        states.append(fcp.state)
        reasons.append(str(fcp_reason))
    redundant = fcp.redundant_wwids
    if maps:
        degrades, why = _multipathd(units, maps)
        if degrades:
            states.append(topology.DEGRADED)
            reasons.append(str(why))
            redundant = frozenset()
    if dasd_counts:
        states.append(disks.state)
        reasons.append('DASD: %s' % disks.details.get('reason'))
    state = health.combine(states) if states else None
    reason = '; '.join(reasons) or '%s and no online DASD' % fcp_reason
    if state is None and not (fcp.unread and not dasd_counts):
        # An unreadable multipath source alone was logged where it was read.
        conditions.warning(LOG, 'Storage not monitored: %s.', reason)
    details: dict[str, Any] = dict(fcp.details)
    details.update(state=state, reason=reason, multipath_state=fcp.state,
                   dasd=disks.details)
    unread = None
    if fcp.unread is not None and not disks.present:
        unread = '; '.join(u for u in (fcp.unread, disks.unread) if u)
    return storage.StorageResult(state, redundant, fcp.present_wwids,
                                 details, unread)
