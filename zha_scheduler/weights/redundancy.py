"""Prefer hosts whose network and storage are redundant."""

import threading
from collections.abc import Callable
from typing import Any

from nova.scheduler import utils as scheduler_utils
from nova.scheduler import weights
from nova import weights as base_weights
from oslo_log import log as logging

from zha_scheduler import conf
from zha_scheduler import placement
from zha_scheduler import request_spec
from zha_scheduler import topology

LOG = logging.getLogger(__name__)
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


class ZhaRedundancyWeigher(weights.BaseHostWeigher):
    """Prefer redundant hosts over degraded ones, for every request."""

    #: Factor on the multiplier for requests whose flavor sets
    #: ``zha:redundancy``: health then outweighs Nova's capacity weighers.
    REDUNDANCY_FACTOR = 10.0

    def __init__(self) -> None:
        # Nova asks for the multiplier right after weigh_objects, per host;
        # the request's factor is kept per thread (green thread) between them.
        self._request = threading.local()

    def weight_multiplier(self, host_state: Any) -> float:
        multiplier = scheduler_utils.get_weight_multiplier(
            host_state, 'redundancy_weight_multiplier',
            CONF.zha_scheduler.redundancy_weight_multiplier)
        return multiplier * getattr(self._request, 'factor', 1.0)

    def _weigh_object(self, host_state: Any, request_spec: Any) -> float:
        return self.weigh_objects(
            [base_weights.WeighedObject(host_state, 0.0)], request_spec)[0]

    def weigh_objects(self, weighed_obj_list: list[Any],
                      weight_properties: Any) -> list[float]:
        hosts = [weighed.obj for weighed in weighed_obj_list]
        self._request.factor = 1.0
        if CONF.zha_scheduler.redundancy_weight_multiplier == 0.0:
            return [0.0] * len(hosts)
        try:
            if request_spec.redundancy(weight_properties) is not None:
                self._request.factor = self.REDUNDANCY_FACTOR
            view = placement.get_view().get(weight_properties)
            score = scorer()
            return [score(view.profile(host.uuid, host.nodename))
                    for host in hosts]
        except Exception:
            LOG.exception('ZhaRedundancyWeigher could not evaluate the '
                          'request; giving every host the same weight.')
            self._request.factor = 1.0
            return [0.0] * len(hosts)
