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

"""Redundancy verdicts in three-valued logic (True, False, None = unknown).

A subsystem is redundant when some pair of its usable members (bond slaves,
multipath paths) runs over independent adapters. Unknown facts (a status or
an adapter that could not be read) make the verdict unknown rather than
degraded, unless a proven pair or a proven failure decides it anyway.
"""

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from zha_scheduler import topology

T = TypeVar('T')


def all3(values: Iterable[bool | None]) -> bool | None:
    """Three-valued AND: False wins, then None, else True.

    :param values: truth values, None meaning unknown.
    :returns: the conjunction.
    """
    result: bool | None = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def any3(values: Iterable[bool | None]) -> bool | None:
    """Three-valued OR: True wins, then None, else False (also when empty).

    :param values: truth values, None meaning unknown.
    :returns: the disjunction.
    """
    result: bool | None = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def pair_verdict(members: Sequence[T], usable: Callable[[T], bool | None],
                 independent: Callable[[T, T], bool | None]) -> bool | None:
    """Whether two usable members run over independent adapters.

    :param members: the members (slaves, paths) of one bond or map.
    :param usable: whether a member is up or healthy.
    :param independent: whether two members use independent adapters.
    :returns: True (redundant), False (not) or None (cannot tell).
    """
    return any3(all3((usable(a), usable(b), independent(a, b)))
                for a, b in itertools.combinations(members, 2))


def state(verdict: bool | None) -> str | None:
    """Map a verdict to ``topology.REDUNDANT``, ``DEGRADED`` or None.

    :param verdict: a three-valued verdict.
    :returns: the redundancy state.
    """
    if verdict is None:
        return topology.UNMONITORED
    return topology.REDUNDANT if verdict else topology.DEGRADED


def combine(states: Iterable[str | None]) -> str | None:
    """Combine the states of several bonds or maps into the host's state.

    Any degraded member makes the host degraded; otherwise any unknown one
    leaves it unknown.

    :param states: the states; at least one is expected.
    :returns: DEGRADED, None or REDUNDANT (REDUNDANT also for no states).
    """
    verdict = all3(None if s is None else s == topology.REDUNDANT
                   for s in states)
    return state(verdict)
