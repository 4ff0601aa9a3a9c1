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

"""Keep requests naming a storage consistency group where it is reachable."""

from typing import Any

from oslo_log import log as logging

from zha_scheduler.filters import base
from zha_scheduler import placement
from zha_scheduler import request_spec
from zha_scheduler import topology
from zha_scheduler import traits

LOG = logging.getLogger(__name__)


def missing(profile: topology.HostProfile,
            groups: dict[str, str]) -> list[str]:
    """Return the names of the groups a host does not reach, sorted.

    :param groups: the requested groups, name by trait.
    """
    have, prefix = profile.consistency_groups, traits.CG_PREFIX
    return sorted(name for trait, name in groups.items()
                  if not (trait.startswith(prefix) and
                          trait[len(prefix):] in have))


class ZhaConsistencyGroupFilter(base._ProfileFilter):
    """Pass only hosts reaching every consistency group the request names."""

    def _asks(self, spec_obj: Any) -> dict[str, str] | None:
        return request_spec.consistency_groups(spec_obj) or None

    def _verdict_key(self, asked: dict[str, str]) -> frozenset[str]:
        return frozenset(asked)

    def _passes(self, host_state: Any, profile: topology.HostProfile,
                asked: dict[str, str], spec_obj: Any) -> bool:
        absent = missing(profile, asked)
        if absent:
            LOG.debug('%(host_state)s fails consistency group check: the '
                      'volumes of %(groups)s are not all reachable over '
                      'redundant paths here.',
                      {'host_state': host_state, 'groups': ', '.join(absent)})
        return not absent

    def _none_passed(self, hosts: list[Any], asked: dict[str, str],
                     view: placement.Topology, spec_obj: Any) -> None:
        LOG.info('ZhaConsistencyGroupFilter rejected all %(count)d hosts for '
                 'instance %(instance)s: none has %(traits)s, so the volumes '
                 'of consistency group %(groups)s are not all reachable over '
                 'redundant paths on any of them.',
                 {'count': len(hosts), 'instance': spec_obj.instance_uuid,
                  'traits': ' and '.join(sorted(asked)),
                  'groups': ', '.join(sorted(asked.values()))})
