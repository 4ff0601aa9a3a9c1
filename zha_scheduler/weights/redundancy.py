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

"""Prefer hosts whose network and storage are redundant."""

from typing import Any

from zha_scheduler import conf
from zha_scheduler import placement
from zha_scheduler import request_spec
from zha_scheduler import topology
from zha_scheduler.weights import base

CONF = conf.CONF

#: Score of one subsystem. An unmonitored one scores UNMONITORED_PASS with
#: ``unmonitored_hosts = pass``: a host with nothing degraded always ranks
#: above any host with a degraded subsystem, and below a fully redundant one.
REDUNDANT_SCORE = 1.0
UNMONITORED_PASS = 0.75
DEGRADED_SCORE = 0.0


def scores(hosts: list[Any], view: placement.Topology) -> list[float]:
    """Return each host's health score under the current configuration.

    The score is 2.0 for redundant network and storage.
    """
    unmonitored = CONF.zha_scheduler.unmonitored_hosts
    by_state = {topology.REDUNDANT: REDUNDANT_SCORE,
                topology.DEGRADED: DEGRADED_SCORE,
                topology.UNMONITORED: (UNMONITORED_PASS
                                       if unmonitored == 'pass'
                                       else DEGRADED_SCORE)}
    return view.of_hosts(
        hosts, ('redundancy score', unmonitored),
        lambda p: by_state[p.network] + by_state[p.storage])


class ZhaRedundancyWeigher(base._ZhaWeigher):
    """Prefer redundant hosts over degraded ones, for every request."""

    MULTIPLIER_OPTION = 'redundancy_weight_multiplier'
    #: Factor on the multiplier for requests whose flavor sets
    #: ``zha:redundancy``: health then outweighs Nova's capacity weighers.
    REDUNDANCY_FACTOR = 10.0

    def _weigh_hosts(self, hosts: list[Any], spec_obj: Any) -> list[float]:
        weights = scores(hosts, placement.get_view().get(spec_obj))
        if request_spec.redundancy(spec_obj) is not None:
            self._request.factor = self.REDUNDANCY_FACTOR
        return weights
