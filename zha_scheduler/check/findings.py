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

"""What ``zha-scheduler check`` found: findings, their severity and output."""

from collections.abc import Iterable
import dataclasses
import json
from typing import Any

ERROR = 'error'
WARNING = 'warning'
OK = 'ok'

# Names shown in the text output; JSON keeps the lower-case severities.
_LABELS = {ERROR: 'ERROR', WARNING: 'WARNING', OK: 'OK'}

#: Most host names a finding lists before it only counts the rest.
MAX_NAMES = 10


@dataclasses.dataclass(frozen=True)
class Finding:
    """One result of one check: what was found and, unless OK, the fix."""

    check: str
    severity: str
    message: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {'check': self.check, 'severity': self.severity,
                'message': self.message, 'fix': self.fix}


def error(check: str, message: str, fix: str) -> Finding:
    return Finding(check, ERROR, message, fix)


def warning(check: str, message: str, fix: str) -> Finding:
    return Finding(check, WARNING, message, fix)


def ok(check: str, message: str) -> Finding:
    return Finding(check, OK, message)


def skipped(check: str, why: str) -> Finding:
    """A check that did not run; it counts as OK (nothing wrong was found)."""
    return Finding(check, OK, 'skipped: %s' % why)


def name_list(names: Iterable[str], limit: int = MAX_NAMES) -> str:
    """``a, b, c`` for a few names, ``a, b, ... (+N more)`` for many."""
    ordered = sorted(names)
    shown = ', '.join(ordered[:limit])
    if len(ordered) > limit:
        shown += ' (+%d more)' % (len(ordered) - limit)
    return shown


@dataclasses.dataclass
class Report:
    """Every finding of one run, in the order the checks ran."""

    findings: list[Finding] = dataclasses.field(default_factory=list)

    def add(self, found: Iterable[Finding]) -> None:
        self.findings.extend(found)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def exit_status(self) -> int:
        """0 without errors (warnings allowed), 1 with at least one error."""
        return 1 if self.errors else 0

    def by_check(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]

    def to_dict(self) -> dict[str, Any]:
        return {'findings': [f.to_dict() for f in self.findings],
                'errors': self.errors, 'warnings': self.warnings}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines = []
        for found in self.findings:
            lines.append('%s  %s: %s' % (_LABELS[found.severity], found.check,
                                         found.message))
            if found.severity != OK and found.fix:
                lines.append('    fix: %s' % found.fix)
        # Always plural: scripts read this line.
        lines.append('%d errors, %d warnings' % (self.errors, self.warnings))
        return '\n'.join(lines)


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type when the text is empty."""
    text = ' '.join(str(exc).split())
    return text or type(exc).__name__
