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

"""The one way the ZHA tools reach OpenStack and the operator's files.

``auth`` builds keystoneauth sessions and openstacksdk connections from a
config file's keystoneauth options, ``placement_client`` reads Placement
(and writes the agent's traits), ``nova_client`` calls Nova's API and turns
servers into ``model.Instance``, ``topology_files`` reads the partners and
LPAR files, ``hmc`` opens sessions to the IBM Z HMC and reads LPAR statuses,
``coordination_backend`` checks and probes the tooz backend and
``coordination_locks`` takes named locks there.
"""
