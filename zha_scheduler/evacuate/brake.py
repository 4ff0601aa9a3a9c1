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

"""Mass-failure brake: refuse to act when too many computes are down.

The brake exists for a controller cut off from the computes: heartbeats
lost, hosts fine. It judges failures seen through Nova's heartbeat alone:

* A failure the HMC confirms (the LPAR or its CPC failed, see
  :mod:`zha_scheduler.evacuate.detect`) is real: the hook does not call the
  brake for it. Losing a whole CPC of a two-CPC cloud is the event HA
  exists for.
* Counted as down: services Nova reports down that the hook has not taken
  over and the HMC does not report failed. The fraction is of the services
  left when those two kinds are set aside.
* Set aside (neither down nor in the total): hosts the hook has taken over
  (disabled reason ``zha-evacuate: ...``: fenced when fencing is on,
  forced down, in progress, incomplete or done) and hosts the HMC reports
  failed. They are known failures, forced down by the hook itself, and say
  nothing about the network now. Counting them made the brake hold the
  first heartbeat failure after a CPC was lost (4 of 6 down), leaving the
  surviving CPC without HA until every repaired host was back; the question
  "is this controller cut off?" is one about the hosts still expected to
  answer. A partition that cuts those off still trips the brake. Hosts
  ``zha-scheduler drain`` emptied for maintenance (disabled reason
  ``zha-scheduler drain: ...``) are set aside too: they are down on
  purpose.
* A host the hook has taken over is resumed, never braked: it is past the
  point of no return (fenced, forced down, maybe half evacuated).
* The boundary stays where it was: more than ``max_down_fraction`` down
  brakes; exactly that fraction evacuates. The option is documented as the
  largest fraction that may be down, configured values keep their meaning
  across the upgrade, and with ``fencing = hmc`` a heartbeat-only host is
  still fenced first, which a controller cut off from the HMC as well
  cannot do. Now that the HMC path covers real losses of half the cloud,
  an operator who wants heartbeat-only halves never to move can set the
  fraction below a CPC's (or site's) share without losing CPC recovery.
"""

from collections.abc import Collection

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import progress


class BrakeEngaged(Exception):
    """Too many nova-compute services are down to trust host failures."""


def taken_over(service: nova_client.Service) -> bool:
    """Whether the hook has taken the host over (its disabled reason)."""
    return (service.disabled_reason or '').startswith(progress.REASON_PREFIX)


def drained(service: nova_client.Service) -> bool:
    """Whether zha-scheduler drain emptied it for maintenance."""
    return service.disabled and (service.disabled_reason or '').startswith(
        nova_client.DRAIN_REASON_PREFIX)


def check(services: list[nova_client.Service], max_down_fraction: float,
          host: str | None = None,
          hmc_failed: Collection[str] = ()) -> None:
    """Refuse a heartbeat-only failure when too many computes are down.

    :param services: every nova-compute service.
    :param host: the host about to be evacuated; one the hook has taken
        over is resumed, never braked.
    :param hmc_failed: hosts the HMC reports failed: set aside.
    :raises BrakeEngaged: when more than the fraction of the services that
        are neither taken over nor reported failed by the HMC is down.
    """
    if host is not None and any(s.host == host and taken_over(s)
                                for s in services):
        return
    judged = [s for s in services
              if not taken_over(s) and not drained(s) and
              s.host not in hmc_failed]
    if not judged:
        return
    down = sorted(s.host for s in judged if not s.up)
    fraction = len(down) / len(judged)
    if fraction > max_down_fraction:
        aside = len(services) - len(judged)
        raise BrakeEngaged(
            '%d of %d nova-compute services are down (%.0f%% > '
            'max_down_fraction %.0f%%)%s: more likely a network or control '
            'plane failure than host failures; refusing to evacuate. '
            'Down: %s' % (
                len(down), len(judged), fraction * 100,
                max_down_fraction * 100,
                (' not counting %d already evacuated or failed on the HMC'
                 % aside) if aside else '', ', '.join(down)))
