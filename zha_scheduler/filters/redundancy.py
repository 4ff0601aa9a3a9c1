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

"""Keep requests that require redundancy on redundant hosts."""

import collections
import typing
from typing import Any

from oslo_log import log as logging

from zha_scheduler import conf
from zha_scheduler.filters import base
from zha_scheduler import placement
from zha_scheduler import request_spec
from zha_scheduler import topology

LOG = logging.getLogger(__name__)
CONF = conf.CONF


def problems(profile: topology.HostProfile,
             reject_unmonitored: bool) -> list[str]:
    """Return why a host is not redundant enough; empty when it is.

    A degraded subsystem is always a problem; an unmonitored one only with
    ``[zha_scheduler] unmonitored_hosts = reject`` (``reject_unmonitored``).
    """
    found = []
    for name, state in (('network', profile.network),
                        ('storage', profile.storage)):
        if state == topology.DEGRADED:
            found.append('%s degraded' % name)
        elif state is topology.UNMONITORED and reject_unmonitored:
            found.append('%s not monitored (unmonitored_hosts = reject)'
                         % name)
    return found


class _Asked(typing.NamedTuple):
    """What a request requiring redundancy asks, options read once."""

    source: str                # what asks: the extra spec or the option
    reject_unmonitored: bool


class ZhaRedundancyFilter(base._ProfileFilter):
    """Pass only hosts with redundant network and storage when required."""

    def _asks(self, spec_obj: Any) -> _Asked | None:
        if request_spec.redundancy(spec_obj) != request_spec.REQUIRED:
            return None
        return _Asked(request_spec.redundancy_source(spec_obj),
                      CONF.zha_scheduler.unmonitored_hosts == 'reject')

    def _passes(self, host_state: Any, profile: topology.HostProfile,
                asked: _Asked, spec_obj: Any) -> bool:
        found = problems(profile, asked.reject_unmonitored)
        if found:
            LOG.debug('%(host_state)s fails redundancy check: %(problems)s; '
                      'the request requires redundant network and storage '
                      '(%(source)s).',
                      {'host_state': host_state,
                       'problems': ', '.join(found), 'source': asked.source})
            return False
        if topology.UNMONITORED in (profile.network, profile.storage):
            LOG.debug('%(host_state)s has unmonitored network or storage; '
                      'passing it (unmonitored_hosts = pass).',
                      {'host_state': host_state})
        return True

    def _none_passed(self, hosts: list[Any], asked: _Asked,
                     view: placement.Topology, spec_obj: Any) -> None:
        counts = collections.Counter(
            ', '.join(problems(view.profile(h.uuid, h.nodename),
                               asked.reject_unmonitored))
            for h in hosts)
        LOG.info('ZhaRedundancyFilter rejected all %(count)d hosts for '
                 'instance %(instance)s: the request requires redundant '
                 'network and storage (%(source)s), and none has both '
                 '(%(summary)s).',
                 {'count': len(hosts), 'instance': spec_obj.instance_uuid,
                  'source': asked.source,
                  'summary': '; '.join('%s: %d' % item
                                       for item in sorted(counts.items()))})
