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

"""An openstacksdk Connection to the simulated cloud's in-process Nova API."""

from typing import Any

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import openstack

from zha_scheduler.clients import nova_client


def connection(cloud: Any) -> Any:
    """A Connection to a SimulatedCloud's admin API and Placement (NoAuth)."""
    admin = cloud.api_fixture.admin_api
    sess = ks_session.Session(
        auth=noauth.NoAuth(),
        additional_headers={
            'X-Auth-User': 'admin', 'X-User-Id': 'admin',
            'X-Auth-Project-Id': admin.project_id,
            'X-Roles': 'admin,member,reader',
            'X-Auth-Token': cloud.placement_fixture.token})
    return openstack.connection.Connection(
        session=sess, compute_endpoint_override=admin.base_url,
        placement_endpoint_override=cloud.placement_fixture.endpoint,
        compute_api_version=nova_client.MICROVERSION)
