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

"""ZHA host filters, loadable by Nova through ``all_filters``."""

from zha_scheduler import plugins

NAMESPACE = 'zha_scheduler.filters'


def all_filters() -> list[type]:
    """Return the filter classes registered in ``zha_scheduler.filters``.

    Name this function in ``[filter_scheduler] available_filters`` beside
    ``nova.scheduler.filters.all_filters``.
    """
    return plugins.load_classes(NAMESPACE)
