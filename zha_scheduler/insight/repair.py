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

"""Carry out an audit's moves through the Nova API, one at a time.

Each move is a live migration without a target host, so that the scheduler,
with the ZHA filters, picks the destination; the next move starts only when
the previous one has finished, and the first failure stops the run.
"""

import dataclasses
import time
from collections.abc import Callable, Iterable
from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.insight import audit

LOG = logging.getLogger(__name__)

DONE = 'done'
FAILED = 'failed'


@dataclasses.dataclass
class MoveResult:
    """How one move ended: where the instance went, or why it did not."""

    instance: str
    name: str
    source: str
    destination: str | None
    outcome: str
    detail: str = ''
    seconds: float = 0.0


def apply(nova: nova_client.NovaClient, moves: Iterable[audit.Move],
          timeout: float = 600.0, poll_interval: float = 2.0,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> list[MoveResult]:
    """Live-migrate each instance in turn; stop after the first failure."""
    results = []
    for move in moves:
        started = clock()
        result = _one(nova, move, timeout, poll_interval, clock, sleep)
        result.seconds = round(clock() - started, 1)
        results.append(result)
        if result.outcome != DONE:
            LOG.error('Stopping: moving %(name)s (%(uuid)s) off %(host)s '
                      'failed: %(detail)s',
                      {'name': move.name, 'uuid': move.instance,
                       'host': move.source, 'detail': result.detail})
            break
        LOG.info('Moved %(name)s from %(source)s to %(dest)s.',
                 {'name': move.name, 'source': move.source,
                  'dest': result.destination})
    return results


def _one(nova: nova_client.NovaClient, move: audit.Move, timeout: float,
         poll_interval: float, clock: Callable[[], float],
         sleep: Callable[[float], None]) -> MoveResult:
    def failed(detail: str, destination: str | None = None) -> MoveResult:
        return MoveResult(move.instance, move.name, move.source, destination,
                          FAILED, detail)

    try:
        inst = nova.get(move.instance)
        if inst.host != move.source:
            return failed('the instance is on %s now, not %s: re-run the '
                          'audit' % (inst.host, move.source))
        if inst.status != 'ACTIVE':
            return failed('the instance is %s; only ACTIVE instances are '
                          'live-migrated' % inst.status)
        nova.live_migrate(move.instance, None)
    except Exception as exc:
        return failed('Nova refused the live migration: %s' % exc)
    deadline = clock() + timeout
    while clock() < deadline:
        sleep(poll_interval)
        try:
            inst = nova.get(move.instance)
        except Exception as exc:
            LOG.warning('Could not read %s (%s); retrying.', move.instance,
                        exc)
            continue
        if inst.status == 'ERROR':
            return failed('the instance went to ERROR', inst.host)
        if inst.task_state is None and inst.status == 'ACTIVE':
            if inst.host != move.source:
                return MoveResult(move.instance, move.name, move.source,
                                  inst.host, DONE)
            last = _last_migration(nova, move.instance)
            if last is not None and last.failed:
                return failed('the live migration ended %s; the instance '
                              'stays on %s' % (last.status, move.source),
                              move.source)
    return failed('not finished after %d seconds' % timeout)


def _last_migration(nova: nova_client.NovaClient,
                    instance: str) -> nova_client.Migration | None:
    try:
        migrations = nova.migrations(instance, nova_client.LIVE_MIGRATION)
    except Exception as exc:
        LOG.warning('Could not read the migrations of %s (%s).', instance,
                    exc)
        return None
    return migrations[-1] if migrations else None
