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

import collections
from collections.abc import Callable, Collection, Hashable, Iterable
from collections.abc import Sequence
import itertools
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


def _subsets(domains: frozenset[Hashable]) -> Iterable[frozenset[Hashable]]:
    return (frozenset(c) for n in range(1, len(domains) + 1)
            for c in itertools.combinations(domains, n))


def _disjoint_pair(sets: Sequence[frozenset[Hashable]]) -> bool:
    """Whether two of the sets (two members' failure domains) are disjoint.

    Linear in the number of sets, which must be small (a member depends on
    a few domains: an adapter, a CHPID, a PCHID). ``within[t]`` counts the
    sets holding every domain of ``t``; by inclusion-exclusion over the
    subsets of a set, that gives how many sets meet it.
    """
    within: collections.Counter[frozenset[Hashable]] = collections.Counter()
    for domains in sets:
        within.update(_subsets(domains))
    for domains in sets:
        meeting = sum(within[t] if len(t) % 2 else -within[t]
                      for t in _subsets(domains))
        # A non-empty set meets itself; an empty one meets nothing.
        others = len(sets) - (meeting if domains else 1)
        if others > 0:
            return True
    return False


def pair_verdict(members: Sequence[T], usable: Callable[[T], bool | None],
                 domains: Callable[[T], Collection[Hashable] | None]
                 ) -> bool | None:
    """Whether two usable members share no failure domain.

    Two members are independent when the failure domains they depend on
    (FCP device, CHPID, PCHID: whatever can fail for both) are known and
    disjoint; they are not when they share one, and it is unknown when
    either member's domains are unknown. The verdict is the three-valued
    OR, over every pair, of "both usable and independent", computed in
    time linear in the number of members (a bond may list thousands of
    slaves; comparing every pair took minutes).

    :param members: the members (slaves, paths) of one bond or map.
    :param usable: whether a member is up or healthy.
    :param domains: a member's failure domains; None when unknown.
    :returns: True (redundant), False (not) or None (cannot tell).
    """
    proven = []
    for member in members:
        found = domains(member) if usable(member) is True else None
        if found is not None:
            proven.append(frozenset(found))
    if _disjoint_pair(proven):
        return True
    # No proven pair. A pair that is not disproven makes it unknown: two
    # members that may be usable, and either one's domains are unknown or
    # they share none.
    candidates = [m for m in members if usable(m) is not False]
    if len(candidates) < 2:
        return False
    known = []
    for member in candidates:
        found = domains(member)
        if found is None:
            return None
        known.append(frozenset(found))
    return None if _disjoint_pair(known) else False


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
