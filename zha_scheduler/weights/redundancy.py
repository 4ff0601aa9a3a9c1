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

from collections.abc import Callable
import threading
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


def scorer() -> Callable[[topology.HostProfile], float]:
    """Return the health score function under the current configuration.

    The score is 2.0 for redundant network and storage; the configuration is
    read once per request, not once per host.
    """
    scores = {topology.REDUNDANT: REDUNDANT_SCORE,
              topology.DEGRADED: DEGRADED_SCORE,
              topology.UNMONITORED: (
                  UNMONITORED_PASS
                  if CONF.zha_scheduler.unmonitored_hosts == 'pass'
                  else DEGRADED_SCORE)}

    def score(profile: topology.HostProfile) -> float:
        return scores[profile.network] + scores[profile.storage]
    return score


class ZhaRedundancyWeigher(base._ZhaWeigher):
    """Prefer redundant hosts over degraded ones, for every request."""

    MULTIPLIER_OPTION = 'redundancy_weight_multiplier'
    #: Factor on the multiplier for requests whose flavor sets
    #: ``zha:redundancy``: health then outweighs Nova's capacity weighers.
    REDUNDANCY_FACTOR = 10.0

    def __init__(self) -> None:
        # Nova asks for the multiplier right after weigh_objects, per host;
        # the request's factor is kept per thread (green thread) between them.
        self._request = threading.local()

    def weight_multiplier(self, host_state: Any) -> float:
        return (super().weight_multiplier(host_state) *
                getattr(self._request, 'factor', 1.0))

    def weigh_objects(self, weighed_obj_list: list[Any],
                      weight_properties: Any) -> list[float]:
        self._request.factor = 1.0
        return super().weigh_objects(weighed_obj_list, weight_properties)

    def _weigh_hosts(self, hosts: list[Any], spec_obj: Any) -> list[float]:
        view = placement.get_view().get(spec_obj)
        score = scorer()
        weights = [score(view.profile(host.uuid, host.nodename))
                   for host in hosts]
        if request_spec.redundancy(spec_obj) is not None:
            self._request.factor = self.REDUNDANCY_FACTOR
        return weights
