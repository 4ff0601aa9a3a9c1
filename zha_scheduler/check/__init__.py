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

"""``zha-scheduler check``: what keeps zha-scheduler from protecting guests.

Every check reads configuration (nova.conf, the agent's and the hook's
config files, systemd units) and, unless skipped, Placement, the HMC and
the coordination backend; none changes anything (the HMC session and the
backend membership a check opens are closed again).
:func:`zha_scheduler.check.runner.run` is the library entry point.
"""
