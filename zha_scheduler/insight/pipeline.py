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

"""Nova's filters and weighers, loaded from nova.conf like nova-scheduler."""

import dataclasses
from typing import Any


class PipelineError(Exception):
    """nova.conf names a filter or weigher that cannot be loaded."""


@dataclasses.dataclass
class Pipeline:
    """Enabled filter objects in order, and weigher objects."""

    filters: list[Any]
    weighers: list[Any]


def load(conf: Any) -> Pipeline:
    """Instantiate the pipeline exactly as ``HostManager.__init__`` does.

    :raises PipelineError: when an enabled filter is not among the classes
        ``available_filters`` provides (nova-scheduler refuses to start then).
    """
    from nova.scheduler import filters
    from nova.scheduler import weights

    options = conf.filter_scheduler
    try:
        classes = filters.HostFilterHandler().get_matching_classes(
            options.available_filters)
        weigher_classes = weights.HostWeightHandler().get_matching_classes(
            options.weight_classes)
    except Exception as exc:  # an import error inside a plugin, a bad path
        raise PipelineError('cannot load the scheduler plugins nova.conf '
                            'names: %s' % exc) from None
    by_name = {cls.__name__: cls for cls in classes}
    missing = [name for name in options.enabled_filters if name not in by_name]
    if missing:
        raise PipelineError('enabled_filters names %s, which '
                            'available_filters does not provide'
                            % ', '.join(missing))
    return Pipeline(filters=[by_name[name]()
                             for name in options.enabled_filters],
                    weighers=[cls() for cls in weigher_classes])
