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

"""Keep standby hosts free for recovery: only requests naming them land."""

from typing import Any

from oslo_log import log as logging

from zha_scheduler.filters import base
from zha_scheduler import placement
from zha_scheduler import request_spec
from zha_scheduler import topology

LOG = logging.getLogger(__name__)

#: What _asks returns for a request that names no host.
_NO_HOST = ''


class ZhaStandbyFilter(base._ProfileFilter):
    """Pass standby hosts only for requests that name them."""

    def _asks(self, spec_obj: Any) -> str:
        # Every request is judged: a standby host is kept free from all of
        # them except those naming it (an evacuation or a move to that host,
        # a targeted boot). The destination is never the source of a move,
        # so an instance on a standby host can always leave it.
        return request_spec.named_host(spec_obj) or _NO_HOST

    def _verdict_key(self, asked: str) -> str | None:
        # A named standby host passes, its twins do not.
        return None if asked else asked

    def _passes(self, host_state: Any, profile: topology.HostProfile,
                asked: str, spec_obj: Any) -> bool:
        if not profile.standby:
            return True
        if asked and asked == host_state.host:
            LOG.debug('%(host_state)s is a standby host; the request names '
                      'it, so it passes.', {'host_state': host_state})
            return True
        LOG.debug('%(host_state)s fails standby check: it is a standby host '
                  'kept free for recovery and the request does not name it.',
                  {'host_state': host_state})
        return False

    def _none_passed(self, hosts: list[Any], asked: str,
                     view: placement.Topology, spec_obj: Any) -> None:
        LOG.info('ZhaStandbyFilter rejected all %(count)d hosts for instance '
                 '%(instance)s: they are standby hosts (CUSTOM_ZHA_STANDBY), '
                 'kept free for recovery; only a request naming one of them '
                 '(an evacuation or migration to that host, a boot with a '
                 'host) may use it.',
                 {'count': len(hosts), 'instance': spec_obj.instance_uuid})
