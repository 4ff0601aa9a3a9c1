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

"""An evacuation's final report: what moved where, what failed, timings."""

import dataclasses
import json
from typing import Any


@dataclasses.dataclass
class InstanceResult:
    """The outcome of one instance."""

    id: str
    name: str
    source: str
    target: str | None = None
    status: str | None = None
    outcome: str = 'pending'  # evacuated | skipped | failed | planned
    reason: str = ''
    seconds: float = 0.0


@dataclasses.dataclass
class Report:
    """Everything a run did, for humans (table) and tools (JSON)."""

    host: str
    run_id: str
    dry_run: bool = False
    fenced: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    instances: list[InstanceResult] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[InstanceResult]:
        return [r for r in self.instances if r.outcome == 'failed']

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data['failed'] = len(self.failed)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_table(self) -> str:
        header = ('INSTANCE', 'NAME', 'FROM', 'TO', 'STATUS', 'OUTCOME',
                  'SECONDS', 'REASON')
        rows = [header] + [
            (r.id, r.name, r.source, r.target or '-', r.status or '-',
             r.outcome, '%.1f' % r.seconds, r.reason) for r in self.instances]
        widths = [max(len(str(row[c])) for row in rows)
                  for c in range(len(header))]
        lines = ['  '.join(str(v).ljust(w)
                           for v, w in zip(row, widths, strict=True)).rstrip()
                 for row in rows]
        title = '%s %s: %d instance(s), %d failed, %.1f s%s' % (
            'Plan for' if self.dry_run else 'Evacuation of', self.host,
            len(self.instances), len(self.failed), self.seconds,
            '' if not self.fenced else ' (fenced)')
        extra = []
        if self.plan:
            target = self.plan['target'] or 'scheduler'
            extra.append('target: %s (%s)' % (target,
                                              self.plan['target_reason']))
            if self.plan.get('fallback'):
                extra.append('then: %s, then the scheduler'
                             % ', '.join(self.plan['fallback']))
            if self.plan.get('planned_with'):
                # The standbys' room was shared with these hosts' guests.
                extra.append('planned with: %s (failed together)'
                             % ', '.join(self.plan['planned_with']))
            if self.plan.get('shortfall'):
                shortfall = sorted(self.plan['shortfall'].items())
                extra.append('does not fit on the target, missing: %s'
                             % ', '.join('%s %d' % kv for kv in shortfall))
        return '\n'.join([title] + extra + lines)
