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

"""Configuration options of zha-scheduler, registered on the global CONF.

Like ``nova.conf``, importing this package registers every option, so the
filters and weighers can read them inside nova-scheduler from nova.conf.
"""

from oslo_config import cfg

from zha_scheduler.conf import agent
from zha_scheduler.conf import evacuate
from zha_scheduler.conf import scheduler

CONF = cfg.CONF

_MODULES = (scheduler, agent, evacuate)

for _module in _MODULES:
    _module.register_opts(CONF)


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    """Return the options for oslo-config-generator (``oslo.config.opts``)."""
    opts: list[tuple[cfg.OptGroup, list[cfg.Opt]]] = []
    for module in _MODULES:
        opts.extend(module.list_opts())
    return opts
