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

"""Per-host progress of an evacuation, kept where a re-run finds it.

The file names are those of :mod:`zha_scheduler.evacuate.state_files`.
"""

import datetime
import json
import os
import tempfile
import threading
import time
from typing import Any

from oslo_log import log as logging

from zha_scheduler.evacuate import state_files

LOG = logging.getLogger(__name__)

REASON_PREFIX = 'zha-evacuate:'
REQUESTED = 'requested'
DONE = 'done'
FAILED = 'failed'
STATES = frozenset({REQUESTED, DONE, FAILED})
#: Types of the fields the hook writes in an instance's entry.
_ENTRY_FIELDS: dict[str, tuple[type, ...]] = {
    'state': (str,), 'name': (str,), 'target': (str, type(None)),
    'run_id': (str, type(None)), 'error': (str,), 'at': (int, float)}


class StateError(Exception):
    """The state directory or a host's state file cannot be used."""


def in_progress_reason(run_id: str) -> str:
    return '%s in progress %s' % (REASON_PREFIX, run_id)


def done_reason(run_id: str, failed: int) -> str:
    if failed:
        return '%s incomplete %s (%d failed)' % (REASON_PREFIX, run_id, failed)
    return '%s done %s' % (REASON_PREFIX, run_id)


def content_problem(data: Any, host: str) -> str | None:
    """What is wrong with the decoded content of a host's state file."""
    if not isinstance(data, dict):
        return 'a JSON %s, not an object' % type(data).__name__
    if 'host' in data and data['host'] != host:
        return 'it records host %r' % (data['host'],)
    runs = data.get('runs', [])
    if (not isinstance(runs, list) or
            not all(isinstance(run, dict) for run in runs)):
        return '"runs" is not a list of objects'
    instances = data.get('instances', {})
    if not isinstance(instances, dict):
        return '"instances" is not an object'
    for instance_id, entry in instances.items():
        if not isinstance(entry, dict):
            return 'instance %s is not an object' % instance_id
        if entry.get('state') not in STATES:
            return 'instance %s has state %r' % (instance_id,
                                                 entry.get('state'))
        for field, types in _ENTRY_FIELDS.items():
            if field in entry and (not isinstance(entry[field], types) or
                                   isinstance(entry[field], bool)):
                return 'instance %s has %s %r' % (instance_id, field,
                                                  entry[field])
    return None


class ProgressStore:
    """A JSON file per host under state_dir, written atomically."""

    def __init__(self, state_dir: str, host: str,
                 repair: bool = True) -> None:
        """Read the host's state file.

        A file that cannot be decoded or holds something else than a state
        is moved aside to ``<path>.corrupt-<UTC time>`` (logged at WARNING)
        and the store starts empty: the hook lists the host's instances in
        Nova anyway, so nothing already moved is evacuated again.

        :param repair: move a corrupt file aside and rename a file of the
            previous naming; False (dry runs) only reads.
        :raises ValueError: the host name is empty.
        :raises StateError: the file cannot be read, or cannot be moved.
        """
        self.state_dir = state_dir
        self.host = host
        self.path = state_files.state_path(state_dir, host)
        self.repair = repair
        #: Where a corrupt file was moved by this store, if it was.
        self.moved_to: str | None = None
        # The hook's threads record their instances concurrently.
        self._lock = threading.RLock()
        self.data: dict[str, Any] = self._load()

    def _empty(self) -> dict[str, Any]:
        return {'host': self.host, 'runs': [], 'instances': {}}

    def _load(self) -> dict[str, Any]:
        source = self._source()
        try:
            with open(source, 'rb') as f:
                raw = f.read()
        except FileNotFoundError:
            return self._empty()
        except OSError as exc:
            raise StateError('cannot read state file %s: %s'
                             % (source, exc.strerror or exc)) from None
        try:
            data = json.loads(raw.decode('utf-8'))
        except (ValueError, RecursionError) as exc:
            # ValueError covers UnicodeDecodeError and JSONDecodeError.
            problem: str | None = 'not JSON: %s' % (
                str(exc)[:100] or type(exc).__name__)
        else:
            problem = content_problem(data, self.host)
        if problem is None:
            data.setdefault('host', self.host)
            data.setdefault('runs', [])
            data.setdefault('instances', {})
            return data
        self._set_aside(source, problem)
        return self._empty()

    def _source(self) -> str:
        """The file to read: the state file, or the previous release's."""
        legacy = state_files.legacy_path(self.state_dir, self.host)
        if (legacy is None or os.path.lexists(self.path) or
                not os.path.isfile(legacy)):
            return self.path
        if not self.repair:
            return legacy
        try:
            os.replace(legacy, self.path)
        except OSError as exc:
            raise StateError('cannot rename state file %s to %s: %s'
                             % (legacy, self.path, exc)) from None
        LOG.info('Renamed state file %(old)s to %(new)s (host names are '
                 'encoded in state file names).',
                 {'old': legacy, 'new': self.path})
        return self.path

    def _set_aside(self, source: str, problem: str) -> None:
        if not self.repair:
            LOG.warning('State file %(path)s is unusable (%(problem)s): '
                        'ignored; a run that is not a dry run moves it aside.',
                        {'path': source, 'problem': problem})
            return
        stamp = datetime.datetime.now(datetime.UTC).strftime(
            '%Y%m%dT%H%M%S.%fZ')
        aside = '%s.corrupt-%s' % (self.path, stamp)
        count = 0
        while os.path.lexists(aside):
            count += 1
            aside = '%s.corrupt-%s-%d' % (self.path, stamp, count)
        try:
            os.replace(source, aside)
            self._sync_dir()
        except OSError as exc:
            raise StateError(
                'state file %s is unusable (%s) and cannot be moved aside '
                'to %s: %s; move or remove it' % (source, problem, aside,
                                                   exc)) from None
        self.moved_to = aside
        LOG.warning('State file %(path)s is unusable (%(problem)s): moved it '
                    'to %(aside)s. Starting from what Nova reports: the '
                    'instances still on %(host)s are evacuated, those '
                    'already elsewhere are not.',
                    {'path': source, 'problem': problem, 'aside': aside,
                     'host': self.host})

    def _sync_dir(self) -> None:
        # The rename itself must survive a crash, not only the content.
        fd = os.open(self.state_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def save(self) -> None:
        """Write the state: a temporary file, fsynced, renamed over it.

        :raises StateError: the state directory cannot be written.
        """
        with self._lock:
            try:
                self._write()
            except OSError as exc:
                raise StateError('cannot write state file %s: %s'
                                 % (self.path, exc)) from None

    def _write(self) -> None:
        os.makedirs(self.state_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=self.state_dir, suffix='.tmp',
            prefix='.%s.' % os.path.basename(self.path))
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                json.dump(self.data, f, indent=2, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        self._sync_dir()

    def start_run(self, run_id: str) -> None:
        """Record a run and prove the state can be written.

        :raises StateError: as save.
        """
        run: dict[str, Any] = {'run_id': run_id, 'started': time.time()}
        if self.moved_to:
            run['corrupt_state_moved_to'] = self.moved_to
        with self._lock:
            self.data['runs'].append(run)
            self.save()

    def state(self, instance_id: str) -> str | None:
        with self._lock:
            return self.data['instances'].get(instance_id, {}).get('state')

    def record(self, instance_id: str, state: str, **details: Any) -> None:
        """Record an instance's state.

        :raises StateError: as save.
        """
        with self._lock:
            entry = self.data['instances'].setdefault(instance_id, {})
            entry.update(details, state=state, at=time.time())
            self.save()

    def done(self, instance_id: str) -> bool:
        return self.state(instance_id) == DONE
