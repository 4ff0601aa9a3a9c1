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

"""The evacuation hook: its settings, and runs of one host or several.

``Hook.run`` is ``zha-evacuate HOST``; ``Hook.recover`` is what watch mode
runs for every host due at once (all the LPARs of a failed CPC). Both are
one :class:`~zha_scheduler.evacuate.recovery.Recovery`: a run of one host
is a recovery of one, with the same steps and the same plan.
"""

from collections.abc import Callable, Collection, Mapping
from typing import Any

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import failed_host
from zha_scheduler.evacuate import recovery
from zha_scheduler.evacuate import report
from zha_scheduler import topology

#: Raised (by a run of one host) when the hook will not evacuate a host.
HookRefused = failed_host.HookRefused


class Hook:
    """Evacuates the instances of failed hosts, once, resumably."""

    def __init__(self, client: nova_client.NovaClient, fencer: Any, *,
                 coordination_url: str, state_dir: str,
                 partners: Mapping[str, str] | None = None,
                 max_parallel: int = 3, instance_timeout: float = 300,
                 poll_interval: float = 2.0, max_down_fraction: float = 0.5,
                 profiles: Callable[
                     [], Mapping[str, topology.HostProfile]] | None = None
                 ) -> None:
        self.nova = client
        self.fencer = fencer
        self.coordination_url = coordination_url
        self.state_dir = state_dir
        self.partners = dict(partners or {})
        self.max_parallel = max_parallel
        self.instance_timeout = instance_timeout
        self.poll_interval = poll_interval
        self.max_down_fraction = max_down_fraction
        self.profiles = profiles or (lambda: {})

    def run(self, host: str, dry_run: bool = False, confirmed: bool = False,
            hmc_failed: Collection[str] = ()) -> report.Report:
        """Evacuate a host (or only plan it).

        Everything that can fail is read and checked before the fencer is
        called: the lock, the services and the brake, the state file, the
        instances and the plan. Fencing is the last step before the first
        change (forcing the service down).

        :param confirmed: the HMC reports the host failed: the brake does
            not apply (the host is still fenced first).
        :param hmc_failed: every host the HMC reports failed: the brake sets
            them aside, and none is chosen as the target.
        :raises lock.LockBusy: another run holds the host.
        :raises lock.LockError: the coordination backend is unusable.
        :raises brake.BrakeEngaged: too many computes are down.
        :raises HookRefused: the host is up and not fenced, or unknown.
        :raises progress.StateError: the state file cannot be read or
            written; nothing was fenced or changed.
        :raises fencing.FencingError: fencing failed; nothing was evacuated.
        """
        outcome = self.recover({host: confirmed}, hmc_failed, dry_run)[host]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def recover(self, failures: Mapping[str, bool],
                hmc_failed: Collection[str] = (), dry_run: bool = False,
                proceed: Callable[[], bool] | None = None
                ) -> dict[str, recovery.Outcome]:
        """Evacuate hosts that failed together, from one plan.

        Each host goes through the steps of :meth:`run`; the instances of
        all of them share the standbys' room, highest priority first.

        :param failures: each host, and whether the HMC confirmed it failed.
        :param hmc_failed: as for :meth:`run`.
        :param proceed: asked before fencing each host after the first;
            False leaves that host untouched (and without an outcome).
        :returns: each host's report, or the exception :meth:`run` would
            raise for it.
        """
        return recovery.Recovery(self, failures, hmc_failed, dry_run,
                                 proceed).run()
