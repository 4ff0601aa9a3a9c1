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

"""Load plugin classes from a stevedore namespace for Nova's loaders."""

from typing import Any

from oslo_log import log as logging
from stevedore import extension

LOG = logging.getLogger(__name__)


def _log_failure(manager: Any, entry_point: Any, exc: BaseException) -> None:
    LOG.error('Could not load %(name)s (%(value)s) from %(namespace)s: '
              '%(error)s. It is skipped; Nova will refuse to start if it is '
              'enabled.',
              {'name': entry_point.name, 'value': entry_point.value,
               'namespace': manager.namespace, 'error': exc})


def load_classes(namespace: str) -> list[type]:
    """Return the classes registered under ``namespace``, sorted by name.

    A plugin that fails to import is logged with its entry point name and
    skipped, so one broken plugin does not hide the others.
    """
    manager: extension.ExtensionManager[Any] = extension.ExtensionManager(
        namespace=namespace, invoke_on_load=False,
        on_load_failure_callback=_log_failure)
    return [ext.plugin for ext in sorted(manager, key=lambda e: e.name)]
