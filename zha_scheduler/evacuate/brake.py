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

"""Mass-failure brake: refuse to act when too many computes are down."""

from zha_scheduler.clients import nova_client


class BrakeEngaged(Exception):
    """Too many nova-compute services are down to trust host failures."""


def check(services: list[nova_client.Service],
          max_down_fraction: float) -> None:
    """:raises BrakeEngaged: when more than the fraction is down."""
    if not services:
        return
    down = sorted(s.host for s in services if not s.up)
    fraction = len(down) / len(services)
    if fraction > max_down_fraction:
        raise BrakeEngaged(
            '%d of %d nova-compute services are down (%.0f%% > '
            'max_down_fraction %.0f%%): more likely a network or control '
            'plane failure than host failures; refusing to evacuate. '
            'Down: %s' % (
                len(down), len(services), fraction * 100,
                max_down_fraction * 100, ', '.join(down)))
