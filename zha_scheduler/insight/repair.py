"""Carry out an audit's moves through the Nova API, one at a time.

Each move is a live migration without a target host, so that the scheduler,
with the ZHA filters, picks the destination; the next move starts only when
the previous one has finished, and the first failure stops the run.
"""

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from oslo_log import log as logging

from zha_scheduler.insight import audit

LOG = logging.getLogger(__name__)

DONE = 'done'
FAILED = 'failed'
_FAILED_MIGRATION = ('error', 'failed', 'cancelled')


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


def apply(conn: Any, moves: Iterable[audit.Move], timeout: float = 600.0,
          poll_interval: float = 2.0,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> list[MoveResult]:
    """Live-migrate each instance in turn; stop after the first failure."""
    results = []
    for move in moves:
        started = clock()
        result = _one(conn, move, timeout, poll_interval, clock, sleep)
        result.seconds = round(clock() - started, 1)
        results.append(result)
        if result.outcome != DONE:
            LOG.error('Stopping: moving %(name)s (%(uuid)s) off %(host)s failed: '
                      '%(detail)s', {'name': move.name, 'uuid': move.instance,
                                     'host': move.source, 'detail': result.detail})
            break
        LOG.info('Moved %(name)s from %(source)s to %(dest)s.',
                 {'name': move.name, 'source': move.source, 'dest': result.destination})
    return results


def _one(conn: Any, move: audit.Move, timeout: float, poll_interval: float,
         clock: Callable[[], float], sleep: Callable[[float], None]) -> MoveResult:
    def failed(detail: str, destination: str | None = None) -> MoveResult:
        return MoveResult(move.instance, move.name, move.source, destination, FAILED, detail)

    try:
        server = conn.compute.get_server(move.instance)
        if server.compute_host != move.source:
            return failed('the instance is on %s now, not %s: re-run the audit'
                          % (server.compute_host, move.source))
        if server.status != 'ACTIVE':
            return failed('the instance is %s; only ACTIVE instances are live-migrated'
                          % server.status)
        conn.compute.live_migrate_server(move.instance, host=None, block_migration='auto')
    except Exception as exc:
        return failed('Nova refused the live migration: %s' % exc)
    deadline = clock() + timeout
    while clock() < deadline:
        sleep(poll_interval)
        try:
            server = conn.compute.get_server(move.instance)
        except Exception as exc:
            LOG.warning('Could not read %s (%s); retrying.', move.instance, exc)
            continue
        if server.status == 'ERROR':
            return failed('the instance went to ERROR', server.compute_host)
        if server.task_state is None and server.status == 'ACTIVE':
            if server.compute_host != move.source:
                return MoveResult(move.instance, move.name, move.source,
                                  server.compute_host, DONE)
            status = _last_migration_status(conn, move.instance)
            if status in _FAILED_MIGRATION:
                return failed('the live migration ended %s; the instance stays on %s'
                              % (status, move.source), move.source)
    return failed('not finished after %d seconds' % timeout)


def _last_migration_status(conn: Any, instance: str) -> str | None:
    try:
        migrations = list(conn.compute.migrations(instance_uuid=instance,
                                                  migration_type='live-migration'))
    except Exception:
        return None
    if not migrations:
        return None
    return max(migrations, key=lambda m: m.created_at or '').status
