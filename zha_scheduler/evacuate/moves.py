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

"""Evacuating one instance of a failed host and waiting until it moved.

Nova accepts an evacuation at once (the API records an ``accepted``
migration and casts to the conductor); the conductor's scheduler then
claims the instance's resources on the destination in Placement, and the
destination rebuilds it. An instance is done once it is ACTIVE or SHUTOFF
on another host; what failed on a named target is asked again of Nova's
scheduler, since the instance is then still on the failed host.
"""

import time

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import report
from zha_scheduler import model

LOG = logging.getLogger(__name__)
EVACUABLE = ('ACTIVE', 'SHUTOFF', 'ERROR')


class Mover:
    """Evacuates one instance and waits for it; threads share one."""

    def __init__(self, client: nova_client.NovaClient,
                 instance_timeout: float, poll_interval: float) -> None:
        self.nova = client
        self.instance_timeout = instance_timeout
        self.poll_interval = poll_interval

    def _evacuations(self, instance_id: str) -> list[nova_client.Migration]:
        return self.nova.migrations(instance_id, nova_client.EVACUATION)

    def _in_flight(self, host: str,
                   instance_id: str) -> tuple[str, str] | None:
        """The newest evacuation of an instance from host, if not ended.

        :returns: its migration id and status, or None.
        """
        evacuations = self._evacuations(instance_id)
        if not evacuations:
            return None
        newest = evacuations[-1]
        if (newest.failed or newest.status in nova_client.ENDED_MIGRATION or
                newest.source not in (None, host)):
            return None
        return newest.id, newest.status

    def evacuate(self, host: str, inst: model.Instance, target: str | None,
                 store: progress.ProgressStore,
                 run_id: str) -> report.InstanceResult:
        """Evacuate an instance (or wait for it, if already under way).

        :returns: its outcome; a Nova error is an outcome, not raised.
        :raises progress.StateError: the state file cannot be written.
        """
        result = report.InstanceResult(inst.uuid, inst.name, host, target,
                                       inst.status)
        started = time.monotonic()
        try:
            moving = None
            if inst.task_state is None:
                # Nova clears the task state, then moves the host, then
                # marks the migration done: an instance another run
                # evacuated can list here without a task state. Read the
                # migration, then the instance: once the migration is
                # over, the instance shows its new host.
                moving = self._in_flight(host, inst.uuid)
                if moving is None:
                    inst = self.nova.get(inst.uuid)
            if inst.task_state is None and moving is None and (
                    inst.host == host):
                if inst.status not in EVACUABLE:
                    raise nova_client.NovaError(
                        'cannot evacuate an instance in status %s'
                        % inst.status)
                LOG.info('Evacuating %s (%s) from %s to %s.', inst.uuid,
                         inst.status, host,
                         target or "the scheduler's choice")
                try:
                    final = self._request_and_wait(host, inst, target, store,
                                                   run_id)
                except nova_client.EvacuationFailed as exc:
                    # Not on a timeout or ERROR: that instance may have moved.
                    if target is None:
                        raise
                    # E.g. the group's spreading policy forbids the standby
                    # for this one: the instance is still on the failed host,
                    # so asking the scheduler is not a second evacuation.
                    LOG.warning('%s cannot go to %s (%s); letting the '
                                'scheduler choose.', inst.uuid, target, exc)
                    result.reason = '%s refused: %s' % (target, str(exc)[:200])
                    final = self._request_and_wait(host, inst, None, store,
                                                   run_id)
            else:
                if inst.task_state:
                    under_way = inst.task_state
                elif moving:
                    under_way = 'evacuated (migration %s is %s)' % moving
                else:
                    under_way = 'on %s' % inst.host
                LOG.info('%s is already %s: waiting for it, not evacuating '
                         'it again.', inst.uuid, under_way)
                failed_before = {m.id for m in self._evacuations(inst.uuid)
                                 if m.failed}
                final = self._wait(host, inst.uuid, failed_before)
        except nova_client.NovaError as exc:
            result.outcome, result.reason = 'failed', str(exc)
            store.record(inst.uuid, progress.FAILED, name=inst.name,
                         target=target, run_id=run_id, error=str(exc))
        else:
            result.outcome, result.target, result.status = (
                'evacuated', final.host, final.status)
            store.record(inst.uuid, progress.DONE, name=inst.name,
                         target=final.host, run_id=run_id)
        result.seconds = time.monotonic() - started
        return result

    def _request_and_wait(self, host: str, inst: model.Instance,
                          target: str | None, store: progress.ProgressStore,
                          run_id: str) -> model.Instance:
        store.record(inst.uuid, progress.REQUESTED, name=inst.name,
                     target=target, run_id=run_id)
        earlier = {m.id for m in self._evacuations(inst.uuid)}
        self.nova.evacuate(inst.uuid, target)
        return self._wait(host, inst.uuid, earlier)

    def _wait(self, host: str, instance_id: str,
              earlier: set[str] | None = None) -> model.Instance:
        """Poll an instance until it is rebuilt away from the failed host.

        Nova clears the task state before it moves the instance's host (under
        the resource tracker's lock), so an instance without a task state
        still on the failed host has failed only if its evacuation migration
        says so.

        :param earlier: evacuation migrations of the instance before the
            request (None: any failed one counts).
        :raises nova_client.NovaError: on ERROR, on a failed evacuation, on
            timeout.
        """
        deadline = time.monotonic() + self.instance_timeout
        while True:
            inst = self.nova.get(instance_id)
            if inst.task_state is None:
                if inst.host != host and inst.status in ('ACTIVE', 'SHUTOFF'):
                    return inst
                if inst.host != host and inst.status == 'ERROR':
                    raise nova_client.NovaError('instance went to ERROR on %s'
                                                % inst.host)
                if inst.host == host:
                    # E.g. NoValidHost in the conductor (the instance goes to
                    # ERROR there) or a failed claim on the destination.
                    failed = [m.id for m in self._evacuations(instance_id)
                              if m.failed and m.id not in (earlier or set())]
                    if failed:
                        raise nova_client.EvacuationFailed(
                            'evacuation failed: still on %s (migration %s)'
                            % (host, failed[0]))
            if time.monotonic() >= deadline:
                raise nova_client.NovaError(
                    'not rebuilt after %s s (task %s, status %s)' % (
                        self.instance_timeout, inst.task_state, inst.status))
            time.sleep(self.poll_interval)
