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

"""Load import paths as nova-scheduler does, one at a time.

The classes are loaded with Nova's own handlers, from the Python environment
the check runs in: run it where nova-scheduler runs to see what it would.
"""

import dataclasses
import importlib
import sys
from typing import Any

from stevedore import extension

from zha_scheduler.check import findings

NOVA_FILTERS = 'nova.scheduler.filters.all_filters'
ZHA_FILTERS = 'zha_scheduler.filters.all_filters'
NOVA_WEIGHERS = 'nova.scheduler.weights.all_weighers'
ZHA_WEIGHERS = 'zha_scheduler.weights.all_weighers'


@dataclasses.dataclass
class Loaded:
    """What Nova's loader makes of a list of import paths."""

    classes: dict[str, type]
    failures: dict[str, str]


def _load_entry(handler: Any, entry: str) -> list[type]:
    # Import the module and look up the name first: Nova's own error for
    # these carries a whole traceback in its text.
    module_name, _, attr = entry.rpartition('.')
    if not module_name:
        raise ValueError('%r is not an import path' % entry)
    module = importlib.import_module(module_name)
    if not hasattr(module, attr):
        raise AttributeError('module %s has no attribute %s'
                             % (module_name, attr))
    return list(handler.get_matching_classes([entry]))


def load(handler: Any, entries: list[str]) -> Loaded:
    """Load each entry alone, so one failure names its entry."""
    loaded = Loaded(classes={}, failures={})
    for entry in entries:
        try:
            classes = _load_entry(handler, entry)
        except Exception as exc:  # whatever the import raises, Nova stops
            loaded.failures[entry] = findings.one_line(exc)
            continue
        loaded.classes.update((cls.__name__, cls) for cls in classes)
    return loaded


def plugin_failures(namespace: str) -> dict[str, str]:
    """Why each ZHA plugin of a stevedore namespace fails to import."""
    failures: dict[str, str] = {}

    def failed(manager: Any, entry_point: Any, exc: BaseException) -> None:
        failures[entry_point.name] = findings.one_line(exc)

    extension.ExtensionManager(namespace=namespace, invoke_on_load=False,
                               on_load_failure_callback=failed)
    return failures


def entry_fix(entry: str, kind: str) -> str:
    """The fix for an ``available_filters`` or ``weight_classes`` value."""
    if entry.startswith('zha_scheduler.'):
        return ('install zha-scheduler into nova-scheduler\'s Python '
                'environment (this check ran in %s) and spell the line %s'
                % (sys.prefix, ZHA_FILTERS if kind == 'available_filters'
                   else ZHA_WEIGHERS))
    return ('correct or remove this %s value: nova-scheduler does not start '
            'while it fails to load' % kind)
