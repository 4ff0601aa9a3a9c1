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

"""Lasting problems of watch mode, logged when they start, change and end.

A problem that lasts (the brake, the HMC unreachable, a state file that
cannot be read...) would otherwise be logged at every poll; here it is
logged as an ERROR when it starts and when its message changes, at DEBUG in
between, and once at INFO (``Resolved: ...``) when it is over.
"""

import threading
from typing import Any


def explained(exc: Exception) -> bool:
    """Whether the message says it all: the package's own errors do.

    Its errors (brake, refusal, state file, lock backend, fencing, Nova,
    credentials, HMC) are written to tell the operator what to fix;
    anything else is a library's error or a bug, which needs its
    traceback.
    """
    return type(exc).__module__.split('.')[0] == 'zha_scheduler'


class Problems:
    """The problem each key (a host, the HMC, the poll) has, as logged."""

    def __init__(self, log: Any) -> None:
        """:param log: the logger to write to (the watcher's)."""
        self.log = log
        self.current: dict[object, str] = {}
        # The HMC thread and the service loop both report problems.
        self._lock = threading.Lock()

    def report(self, key: object, what: str, exc: Exception) -> None:
        """Log a problem unless it is the one already logged for the key."""
        plain = explained(exc)
        # What is compared from poll to poll: a KeyError('x') and a
        # ValueError('x') are two problems.
        message = '%s: %s' % (what, exc if plain else '%s: %s' % (
            type(exc).__name__, exc))
        with self._lock:
            if self.current.get(key) == message:
                self.log.debug('Still: %s', message)
                return
            self.current[key] = message
        # The line leaves the type out: the traceback ends with it. The
        # exception itself, not True: a recovery's errors are logged after
        # their except blocks.
        self.log.error('%s: %s (logged again when it changes or is '
                       'resolved)', what, exc, exc_info=None if plain else exc)

    def resolved(self, key: object, how: str) -> None:
        """Log the end of the key's problem, if it has one."""
        with self._lock:
            was = self.current.pop(key, None)
        if was is not None:
            self.log.info('Resolved: %s (was: %s)', how, was)

    def hosts(self) -> list[str]:
        """The hosts that have a problem."""
        with self._lock:
            return [key for key in self.current if isinstance(key, str)]
