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

"""One failed host of a recovery: what is read and checked before fencing."""

from collections.abc import Collection
import dataclasses

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import brake
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import report
from zha_scheduler import model

LOG = logging.getLogger(__name__)


class HookRefused(Exception):
    """The hook will not evacuate this host (up and not fenced, unknown...)."""


def alive(host: str) -> HookRefused:
    return HookRefused(
        'the nova-compute service of %s is up and the host was not '
        'fenced: refusing to evacuate a host that may still run its '
        'guests' % host)


@dataclasses.dataclass
class FailedHost:
    """A failed host of a recovery, as far as it got."""

    name: str
    service: nova_client.Service
    store: progress.ProgressStore
    rep: report.Report
    #: The instances Nova lists on the host (listed again after fencing).
    listed: list[model.Instance]
    #: The targets to try, best first, and why each (plan.route).
    route: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def skipped(self) -> list[report.InstanceResult]:
        """The rows of the instances earlier runs moved away."""
        listed = {inst.uuid for inst in self.listed}
        return [report.InstanceResult(
            instance_id, entry.get('name', ''), self.name,
            entry.get('target'), outcome='skipped',
            reason='evacuated by run %s' % entry.get('run_id'))
            for instance_id, entry in self.store.data['instances'].items()
            if entry.get('state') == progress.DONE and
            instance_id not in listed]


def prepare(client: nova_client.NovaClient, name: str, confirmed: bool,
            services: list[nova_client.Service], *, fenced: bool,
            max_down_fraction: float, hmc_failed: Collection[str],
            state_dir: str, run_id: str, dry_run: bool) -> FailedHost:
    """Check a host and read its state and instances, changing nothing.

    :param fenced: whether the hook fences hosts (it has a fencer).
    :raises HookRefused: no such service, or up and never fenced.
    :raises brake.BrakeEngaged: a heartbeat failure among too many.
    :raises progress.StateError: the state file cannot be read.
    :raises nova_client.NovaError: the instances cannot be listed.
    """
    service = next((s for s in services if s.host == name), None)
    if service is None:
        raise HookRefused('no nova-compute service on host %s' % name)
    if confirmed:
        LOG.info('The HMC reports %s failed: the mass-failure brake does '
                 'not apply.', name)
    else:
        brake.check(services, max_down_fraction, name, hmc_failed)
    if service.up and not fenced:
        raise alive(name)
    store = progress.ProgressStore(state_dir, name, repair=not dry_run)
    listed = client.instances(name)
    for inst in listed:
        # Done is recorded only once the instance is seen elsewhere: one
        # listed on the host again came back (failback) and failed again.
        if store.done(inst.uuid):
            earlier = store.data['instances'][inst.uuid].get('run_id')
            LOG.info('%(name)s (%(id)s) was evacuated by run %(run)s and '
                     'is back on %(host)s: evacuating it again.',
                     {'name': inst.name, 'id': inst.uuid, 'host': name,
                      'run': earlier})
    return FailedHost(name, service, store, report.Report(
        host=name, run_id=run_id, dry_run=dry_run), listed)
