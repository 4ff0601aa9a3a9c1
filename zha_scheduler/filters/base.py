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

"""Shared shape of the ZHA filters that judge one host by its profile."""

from collections.abc import Hashable, Iterable
import logging as std_logging
from typing import Any

from nova.scheduler import filters
from nova.scheduler import utils as scheduler_utils
from oslo_log import log as logging

from zha_scheduler import placement
from zha_scheduler import topology

LOG = logging.getLogger(__name__)


class _ProfileFilter(filters.BaseHostFilter):
    """Pass hosts whose ZHA profile satisfies what the request asks."""

    # A same-host rebuild keeps the instance where it is: nothing to choose.
    RUN_ON_REBUILD = False
    # The request and the cached view are the same for every instance of a
    # multi-create, so the answer is too.
    run_filter_once_per_request = True

    def _asks(self, spec_obj: Any) -> Any:
        """Return what the request asks of hosts; None if nothing."""
        raise NotImplementedError()

    def _passes(self, host_state: Any, profile: topology.HostProfile,
                asked: Any, spec_obj: Any) -> bool:
        """Judge one host, logging a rejection at DEBUG."""
        raise NotImplementedError()

    def _none_passed(self, hosts: list[Any], asked: Any,
                     view: placement.Topology, spec_obj: Any) -> None:
        """Log at INFO why no host passed: the reason behind NoValidHost."""

    def filter_all(self, filter_obj_list: Iterable[Any],
                   spec_obj: Any) -> list[Any]:
        hosts = list(filter_obj_list)
        passing, asked, view = self._judge(hosts, spec_obj)
        if hosts and not passing and view is not None:
            try:
                self._none_passed(hosts, asked, view, spec_obj)
            except Exception:
                LOG.exception('%s could not explain its rejections.',
                              type(self).__name__)
        return passing

    def host_passes(self, host_state: Any, spec_obj: Any) -> bool:
        return bool(self._judge([host_state], spec_obj)[0])

    def _verdict_key(self, asked: Any) -> Hashable | None:
        """What besides the profile decides; None if the host itself does.

        Hosts of one profile then get one verdict, computed once per view.
        """
        return asked

    def _passing(self, hosts: list[Any], view: placement.Topology,
                 asked: Any, spec_obj: Any) -> list[Any]:
        key = self._verdict_key(asked)
        if key is None or logging.getLogger(
                type(self).__module__).isEnabledFor(std_logging.DEBUG):
            # Judged host by host: each rejected host is logged.
            return [host for host in hosts
                    if self._passes(host, view.profile(host.uuid,
                                                       host.nodename),
                                    asked, spec_obj)]
        # Nothing is logged: the host _passes gets is only a placeholder.
        verdicts = view.of_hosts(
            hosts, (type(self).__name__, key),
            lambda profile: self._passes(hosts[0], profile, asked, spec_obj))
        return [host for host, passes in zip(hosts, verdicts) if passes]

    def _judge(self, hosts: list[Any], spec_obj: Any
               ) -> tuple[list[Any], Any, placement.Topology | None]:
        if not hosts:
            return hosts, None, None
        try:
            if (not self.RUN_ON_REBUILD and
                    scheduler_utils.request_is_rebuild(spec_obj)):
                return hosts, None, None
            asked = self._asks(spec_obj)
            if asked is None:
                return hosts, None, None
            view = placement.get_view().get(spec_obj)
            return self._passing(hosts, view, asked, spec_obj), asked, view
        except Exception:
            # A filter that raises fails every boot: pass and say why.
            LOG.exception('%(filter)s could not evaluate the request; '
                          'passing all %(count)d hosts.',
                          {'filter': type(self).__name__,
                           'count': len(hosts)})
            return hosts, None, None
