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

"""Per-host progress of an evacuation, kept where a re-run finds it."""

import json
import os
import tempfile
import time
from typing import Any

REASON_PREFIX = 'zha-evacuate:'
REQUESTED = 'requested'
DONE = 'done'
FAILED = 'failed'


def in_progress_reason(run_id: str) -> str:
    return '%s in progress %s' % (REASON_PREFIX, run_id)


def done_reason(run_id: str, failed: int) -> str:
    if failed:
        return '%s incomplete %s (%d failed)' % (REASON_PREFIX, run_id, failed)
    return '%s done %s' % (REASON_PREFIX, run_id)


class ProgressStore:
    """A JSON file per host under state_dir, written atomically."""

    def __init__(self, state_dir: str, host: str) -> None:
        self.path = os.path.join(state_dir, '%s.json' % host)
        self.state_dir = state_dir
        self.host = host
        self.data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding='utf-8') as f:
                data = json.load(f)
        except FileNotFoundError:
            return {'host': self.host, 'runs': [], 'instances': {}}
        data.setdefault('instances', {})
        data.setdefault('runs', [])
        return data

    def save(self) -> None:
        os.makedirs(self.state_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.state_dir,
                                   prefix='.%s.' % self.host)
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                json.dump(self.data, f, indent=2, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise

    def start_run(self, run_id: str) -> None:
        self.data['runs'].append({'run_id': run_id, 'started': time.time()})
        self.save()

    def state(self, instance_id: str) -> str | None:
        return self.data['instances'].get(instance_id, {}).get('state')

    def record(self, instance_id: str, state: str, **details: Any) -> None:
        entry = self.data['instances'].setdefault(instance_id, {})
        entry.update(details, state=state, at=time.time())
        self.save()

    def done(self, instance_id: str) -> bool:
        return self.state(instance_id) == DONE
