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

"""Conditions the probes find, logged when they start and when they end.

A probe that finds something wrong (a file it cannot read, a subsystem it
cannot monitor, a malformed map) reports a *condition* through
``warning()`` or ``error()`` instead of logging it. The long-running agent
probes inside ``ConditionLog.cycle()``, so that a condition that lasts is
not logged again every ``[zha_agent] interval``:

- the first cycle that reports it logs it, at the level reported (WARNING
  for bad data, ERROR for a broken configuration file);
- later cycles that report it again log it at DEBUG only;
- the first cycle that completes without it logs at INFO that it is
  resolved (or the ``resolved`` text the probe gave, e.g. "... is readable
  again").

A condition is identified by its logger and its message with the arguments
filled in: the same text is the same condition, a changed text (another
error, another map) is a new one. Outside a cycle (a probe called on its
own, as in the unit tests and tools) a report is simply logged.
"""

from collections.abc import Iterator, Mapping
import contextlib
import contextvars
import dataclasses
import logging
from typing import Any

# The ConditionLog of the cycle in progress, if any. A context variable
# rather than a parameter of every probe function: the probes stay callable
# on their own, and only the agent's cycle opts in to the bookkeeping.
_CURRENT: contextvars.ContextVar['ConditionLog | None'] = (
    contextvars.ContextVar('zha_agent_conditions', default=None))


@dataclasses.dataclass(frozen=True)
class _Condition:
    logger: Any
    text: str
    resolved: str | None


def _render(message: str, args: tuple[Any, ...]) -> str:
    # As logging.LogRecord.getMessage does, a single mapping argument fills
    # %(name)s placeholders.
    if len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
        return message % args[0]
    return message % args if args else message


class ConditionLog:
    """The conditions of the last cycle, kept across the agent's cycles."""

    def __init__(self) -> None:
        self._active: dict[tuple[str, str], _Condition] = {}
        self._seen: dict[tuple[str, str], _Condition] | None = None

    @property
    def active(self) -> list[str]:
        """The texts of the conditions of the last completed cycle."""
        return [c.text for c in self._active.values()]

    @contextlib.contextmanager
    def cycle(self) -> Iterator['ConditionLog']:
        """Collect the conditions of one probe cycle.

        When the block completes, every condition of the previous cycle
        that was not reported again is logged as resolved. When it raises,
        nothing is resolved: a cycle cut short proves nothing is fixed.
        """
        seen: dict[tuple[str, str], _Condition] = {}
        self._seen = seen
        token = _CURRENT.set(self)
        try:
            yield self
        except BaseException:
            self._active.update(seen)
            raise
        finally:
            _CURRENT.reset(token)
            self._seen = None
        for key, condition in self._active.items():
            if key not in seen:
                if condition.resolved:
                    condition.logger.info(condition.resolved)
                else:
                    condition.logger.info('Resolved: %s', condition.text)
        self._active = seen

    def report(self, logger: Any, level: int, message: str,
               args: tuple[Any, ...], resolved: str | None = None,
               exc_info: bool = False) -> None:
        """Log a condition if it is new; see the module's docstring."""
        text = _render(message, args)
        key = (getattr(logger, 'name', repr(logger)), text)
        if self._seen is None:
            logger.log(level, message, *args, exc_info=exc_info)
            return
        known = key in self._active or key in self._seen
        self._seen[key] = _Condition(logger, text, resolved)
        if known:
            logger.debug('Still: %s', text)
        else:
            logger.log(level, message, *args, exc_info=exc_info)


def report(logger: Any, level: int, message: str, *args: Any,
           resolved: str | None = None, exc_info: bool = False) -> None:
    """Report a condition to the cycle in progress, or log it.

    :param logger: the reporting module's logger (the log names it).
    :param level: e.g. ``logging.WARNING``.
    :param message: the message, with deferred %-interpolation of ``args``.
    :param resolved: the INFO text logged when the condition ends; default
        ``Resolved: <message>``.
    :param exc_info: log the exception being handled (first time only).
    """
    log = _CURRENT.get()
    if log is None:
        logger.log(level, message, *args, exc_info=exc_info)
    else:
        log.report(logger, level, message, args, resolved, exc_info)


def warning(logger: Any, message: str, *args: Any,
            resolved: str | None = None) -> None:
    """Report a WARNING condition (bad or unreadable data); see report()."""
    report(logger, logging.WARNING, message, *args, resolved=resolved)


def error(logger: Any, message: str, *args: Any,
          resolved: str | None = None, exc_info: bool = False) -> None:
    """Report an ERROR condition (a broken file, a bug); see report()."""
    report(logger, logging.ERROR, message, *args, resolved=resolved,
           exc_info=exc_info)
