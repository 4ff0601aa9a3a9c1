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

"""Carry out the steps of a drain or failback, ``max_parallel`` at a time.

Each step is one request to Nova's API (none for a wait), then a poll of
the instance every ``poll_interval`` until it has left its source host (a
cold migration is confirmed on the way), has stayed there with its move
ended, or the step's time is up. Every instance is re-read just before its
request: one that another run moved or is moving meanwhile is not moved
again.
"""

import collections
from collections.abc import Callable, Iterable
import dataclasses
import time

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.insight import maintenance

LOG = logging.getLogger(__name__)

MOVED = 'moved'
FAILED = 'failed'


@dataclasses.dataclass
class Outcome:
    """How one step ended: where the instance went, or why it did not."""

    instance: str
    name: str
    source: str
    action: str
    destination: str | None
    outcome: str
    detail: str = ''
    seconds: float = 0.0


@dataclasses.dataclass
class _Flight:
    step: maintenance.Step
    started: float
    confirmed: bool = False


#: Called with each outcome as it is known, and how many are left.
OnDone = Callable[[Outcome, int], None]
#: Given a step the scheduler could not place, the host to try instead.
Fallback = Callable[[maintenance.Step], str | None]


class Runner:
    """Moves instances through Nova's API, a few at a time."""

    def __init__(self, nova: nova_client.NovaClient, max_parallel: int = 2,
                 timeout: float = 600.0, poll_interval: float = 2.0,
                 on_done: OnDone | None = None,
                 fallback: Fallback | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.nova = nova
        self.max_parallel = max(1, max_parallel)
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.on_done = on_done
        self.fallback = fallback
        self.clock = clock
        self.sleep = sleep

    def run(self, steps: Iterable[maintenance.Step]) -> list[Outcome]:
        """Carry out the moving steps; the others are left to the caller."""
        queue = collections.deque(s for s in steps
                                  if s.action in maintenance.MOVES)
        flights: list[_Flight] = []
        outcomes: list[Outcome] = []
        retried: set[str] = set()

        def finish(outcome: Outcome, started: float) -> None:
            outcome.seconds = round(self.clock() - started, 1)
            step = next((f.step for f in flights
                         if f.step.instance == outcome.instance), None)
            if (outcome.outcome == FAILED and step is not None and
                    self._retry(step, outcome, retried, queue)):
                return
            outcomes.append(outcome)
            if self.on_done is not None:
                # The finishing flight is still in the list.
                self.on_done(outcome, len(queue) + len(flights) - 1)

        while queue or flights:
            while queue and len(flights) < self.max_parallel:
                step = queue.popleft()
                started = self.clock()
                flight = _Flight(step, started)
                flights.append(flight)
                refused = self._start(flight)
                if refused is not None:
                    finish(refused, started)
                    flights.remove(flight)
            if not flights:
                continue
            self.sleep(self.poll_interval)
            for flight in list(flights):
                ended = self._poll(flight)
                if isinstance(ended, maintenance.Step):
                    queue.appendleft(ended)   # now it can move
                    flights.remove(flight)
                elif ended is not None:
                    finish(ended, flight.started)
                    flights.remove(flight)
        return outcomes

    def _retry(self, step: maintenance.Step, outcome: Outcome,
               retried: set[str], queue: collections.deque) -> bool:
        """Queue a step the scheduler could not place again, once."""
        # Only a move that ended with the instance still on its source:
        # not a timeout, whose move Nova may still finish.
        if (step.instance in retried or step.destination or
                step.action not in (maintenance.LIVE, maintenance.COLD) or
                outcome.destination != step.source or
                self.fallback is None):
            return False
        host = self.fallback(step)
        if host is None:
            return False
        retried.add(step.instance)
        LOG.warning('%(name)s (%(uuid)s) could not move where the scheduler '
                    'chose (%(detail)s); trying standby host %(host)s.',
                    {'name': step.name, 'uuid': step.instance,
                     'detail': outcome.detail, 'host': host})
        queue.append(dataclasses.replace(step, destination=host))
        return True

    def _outcome(self, step: maintenance.Step, outcome: str,
                 destination: str | None, detail: str = '') -> Outcome:
        return Outcome(step.instance, step.name, step.source, step.action,
                       destination, outcome, detail)

    def _start(self, flight: _Flight) -> Outcome | None:
        step = flight.step
        if step.action in (maintenance.LIVE, maintenance.COLD):
            try:
                inst = self.nova.get(step.instance)
            except Exception as exc:
                return self._outcome(step, FAILED, None,
                                     'cannot read it: %s' % exc)
            if inst.host != step.source:
                return self._outcome(step, MOVED, inst.host,
                                     'already moved, not by this run')
            now = maintenance.step_for(inst, step.destination)
            if now.action not in maintenance.MOVES:
                return self._outcome(step, FAILED, step.source,
                                     now.reason or 'not moved: %s' %
                                     inst.status)
            flight.step = step = dataclasses.replace(
                step, action=now.action, status=inst.status)
        try:
            if step.action == maintenance.LIVE:
                self.nova.live_migrate(step.instance, step.destination)
            elif step.action == maintenance.COLD:
                self.nova.migrate(step.instance, step.destination)
            elif step.action == maintenance.CONFIRM:
                self.nova.confirm_resize(step.instance)
                flight.confirmed = True
        except nova_client.NovaError as exc:
            return self._outcome(step, FAILED, step.source,
                                 'Nova refused the %s: %s' % (step.action,
                                                              exc))
        LOG.info('%(action)s %(name)s (%(uuid)s) from %(source)s%(to)s.',
                 {'action': step.action, 'name': step.name,
                  'uuid': step.instance, 'source': step.source,
                  'to': ' to %s' % step.destination
                  if step.destination else ''})
        return None

    def _poll(self, flight: _Flight) -> Outcome | maintenance.Step | None:
        """How the step ended, or None while it is not over.

        A step to queue instead when the instance must move on after a wait
        or a confirmation.
        """
        step = flight.step
        try:
            inst = self.nova.get(step.instance)
        except Exception as exc:
            LOG.warning('Could not read %(uuid)s (%(err)s); retrying.',
                        {'uuid': step.instance, 'err': exc})
            return self._timed_out(flight)
        if inst.status == 'ERROR':
            return self._outcome(step, FAILED, inst.host,
                                 'the instance went to ERROR')
        if inst.status == 'VERIFY_RESIZE' and inst.task_state is None:
            if not flight.confirmed:
                try:
                    self.nova.confirm_resize(step.instance)
                except nova_client.NovaError as exc:
                    return self._outcome(
                        step, FAILED, inst.host,
                        'cold-migrated, but Nova refused the '
                        'confirmation: %s' % exc)
                flight.confirmed = True
            return self._timed_out(flight)
        if inst.task_state is not None:
            return self._timed_out(flight)
        if inst.host != step.source:
            return self._outcome(step, MOVED, inst.host)
        last = self._last_migration(step.instance)
        if (step.action in (maintenance.WAIT, maintenance.CONFIRM) and
                (last is None or not last.failed)):
            # What it waited for (a task, a confirmation within the
            # target) is over and left it here: it moves now.
            then = maintenance.step_for(inst, step.destination)
            if then.action in (maintenance.LIVE, maintenance.COLD):
                return then
        status = last.status if last is not None else 'without a record'
        return self._outcome(
            step, FAILED, step.source,
            'the %s ended %s; it stays on %s' % (
                'move' if step.action == maintenance.WAIT else step.action,
                status, step.source))

    def _timed_out(self, flight: _Flight) -> Outcome | None:
        if self.clock() - flight.started < self.timeout:
            return None
        return self._outcome(
            flight.step, FAILED, None,
            'not finished after %d seconds; Nova may still finish it: run '
            'again to resume' % self.timeout)

    def _last_migration(self, instance: str) -> nova_client.Migration | None:
        try:
            migrations = self.nova.migrations(instance)
        except Exception as exc:
            LOG.warning('Could not read the migrations of %(uuid)s '
                        '(%(err)s).', {'uuid': instance, 'err': exc})
            return None
        return migrations[-1] if migrations else None
