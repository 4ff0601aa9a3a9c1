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

"""Shared shape of the ZHA weighers: every host at once, never a raise."""

import threading
from typing import Any

from nova.scheduler import utils as scheduler_utils
from nova.scheduler import weights
from nova import weights as base_weights
from oslo_log import log as logging

from zha_scheduler import conf

CONF = conf.CONF


class _ZhaWeigher(weights.BaseHostWeigher):
    """Weigh the request's hosts together; equal weights on any error."""

    #: The ``[zha_scheduler]`` option, and aggregate metadata key, of the
    #: multiplier.
    MULTIPLIER_OPTION: str

    def __init__(self) -> None:
        # Nova asks for the multiplier right after weigh_objects, once per
        # host: what the request decided is kept per thread (green thread)
        # between them.
        self._request = threading.local()

    def _weigh_hosts(self, hosts: list[Any], spec_obj: Any) -> list[float]:
        """Return one weight per host, in order."""
        raise NotImplementedError()

    def weight_multiplier(self, host_state: Any) -> float:
        # Nova asks once per host, right after weigh_objects: a host in no
        # aggregate gets the request's product in one read.
        product = getattr(self._request, 'product', None)
        if product is not None and not host_state.aggregates:
            return product
        multiplier = getattr(self._request, 'multiplier', None)
        if multiplier is None:      # asked outside a request
            multiplier = CONF.zha_scheduler[self.MULTIPLIER_OPTION]
        if host_state.aggregates:
            multiplier = scheduler_utils.get_weight_multiplier(
                host_state, self.MULTIPLIER_OPTION, multiplier)
        return multiplier * getattr(self._request, 'factor', 1.0)

    def _weigh_object(self, host_state: Any, request_spec: Any) -> float:
        return self.weigh_objects(
            [base_weights.WeighedObject(host_state, 0.0)], request_spec)[0]

    def weigh_objects(self, weighed_obj_list: list[Any],
                      weight_properties: Any) -> list[float]:
        hosts = [weighed.obj for weighed in weighed_obj_list]
        request = self._request
        request.multiplier = CONF.zha_scheduler[self.MULTIPLIER_OPTION]
        # What the request makes of the multiplier (_weigh_hosts may set it).
        request.factor = 1.0
        request.product = None
        # Skip the work when the operator turned the weigher off.
        if request.multiplier == 0.0:
            return [0.0] * len(hosts)
        try:
            weights = self._weigh_hosts(hosts, weight_properties)
            request.product = request.multiplier * request.factor
            return weights
        except Exception:
            # A weigher that raises fails every boot: weigh equally instead.
            # Logged under the weigher's own module, as its rejections are.
            log = logging.getLogger(type(self).__module__)
            log.exception('%s could not evaluate the request; giving every '
                          'host the same weight.', type(self).__name__)
            return [0.0] * len(hosts)
