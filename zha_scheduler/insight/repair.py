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
the previous one has finished (``migrate.Runner``, one at a time), and the
first failure stops the run.
"""

from collections.abc import Callable, Iterable
import dataclasses
import time

from oslo_log import log as logging

from zha_scheduler.clients import nova_client
from zha_scheduler.insight import audit
from zha_scheduler.insight import maintenance
from zha_scheduler.insight import migrate

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
    runner = migrate.Runner(nova, max_parallel=1, timeout=timeout,
                            poll_interval=poll_interval, clock=clock,
                            sleep=sleep)
    results = []
    for move in moves:
        started = clock()
        result = _one(nova, runner, move)
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


def _one(nova: nova_client.NovaClient, runner: migrate.Runner,
         move: audit.Move) -> MoveResult:
    def failed(detail: str) -> MoveResult:
        return MoveResult(move.instance, move.name, move.source, None,
                          FAILED, detail)

    # The audit planned from a snapshot: a member that moved or stopped
    # since then needs a new audit, not a move.
    try:
        inst = nova.get(move.instance)
    except Exception as exc:
        return failed('cannot read the instance: %s' % exc)
    if inst.host != move.source:
        return failed('the instance is on %s now, not %s: re-run the '
                      'audit' % (inst.host, move.source))
    if inst.status != 'ACTIVE':
        return failed('the instance is %s; only ACTIVE instances are '
                      'live-migrated' % inst.status)
    (outcome,) = runner.run([maintenance.Step(
        move.instance, move.name, move.source, inst.status,
        maintenance.LIVE)])
    return MoveResult(move.instance, move.name, move.source,
                      outcome.destination,
                      DONE if outcome.outcome == migrate.MOVED else FAILED,
                      outcome.detail)
