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

"""Watch mode: evacuate hosts with nova-compute down past a grace period."""

from collections.abc import Callable
import threading
import time

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import hook
from zha_scheduler.evacuate import lock
from zha_scheduler.evacuate import progress

LOG = logging.getLogger(__name__)


class Watcher:
    """Polls the compute services and runs the hook for hosts down too long."""

    def __init__(self, evacuation: hook.Hook, grace_period: float,
                 poll_interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hook = evacuation
        self.grace_period = grace_period
        self.poll_interval = poll_interval
        self.clock = clock
        #: When each host was first seen down.
        self.down_since: dict[str, float] = {}

    def due(self, services: list[nova_client.Service]) -> list[str]:
        """Update the down timers; return the hosts to evacuate now."""
        now = self.clock()
        down = {s.host: s for s in services if not s.up}
        for host in list(self.down_since):
            if host not in down:
                LOG.info('%s is up again.', host)
                del self.down_since[host]
        hosts = []
        for host, service in sorted(down.items()):
            first = self.down_since.setdefault(host, now)
            finished = (service.disabled_reason or '').startswith(
                progress.REASON_PREFIX + ' done')
            if now - first >= self.grace_period and not finished:
                hosts.append(host)
        return hosts

    def run_once(self) -> list[str]:
        """One poll; returns the hosts it evacuated."""
        done = []
        for host in self.due(self.hook.nova.services()):
            try:
                rep = self.hook.run(host)
            except lock.LockBusy as exc:
                LOG.info('Skipping %s: %s.', host, exc)
            except (brake.BrakeEngaged, hook.HookRefused) as exc:
                LOG.error('Not evacuating %s: %s', host, exc)
            except Exception:
                LOG.exception('Evacuation of %s failed; retrying at the next '
                              'poll.', host)
            else:
                LOG.info('Evacuated %s: %d instance(s), %d failed.', host,
                         len(rep.instances), len(rep.failed))
                done.append(host)
        return done

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                LOG.exception('Could not poll the compute services.')
            stop.wait(self.poll_interval)
