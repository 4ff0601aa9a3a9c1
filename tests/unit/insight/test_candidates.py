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

"""Unit tests of candidates: Placement's step replayed over a snapshot."""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslotest import base

from zha_scheduler.insight import candidates
from zha_scheduler import model

DISABLED = candidates.DISABLED_TRAIT
TRAITS = ('CUSTOM_A', 'CUSTOM_B', DISABLED)


def host(name='h', traits=(), disabled=False, reason=None, ram=4096,
         ram_used=0, max_unit=None, disk=True):
    inventories = {'VCPU': model.Inventory(8, max_unit=max_unit),
                   'MEMORY_MB': model.Inventory(ram, reserved=512)}
    if disk:
        inventories['DISK_GB'] = model.Inventory(100)
    return model.Host(name, name, name, traits=list(traits),
                      inventories=inventories,
                      usages={'MEMORY_MB': ram_used},
                      service_disabled=disabled, disabled_reason=reason)


def asked(vcpus=2, ram=1024, disk=10, required=(), forbidden=()):
    return candidates.PlacementQuery(
        {'VCPU': vcpus, 'MEMORY_MB': ram, 'DISK_GB': disk}, set(required),
        {DISABLED} | set(forbidden))


def one_by_one(host, asked):
    """The reason as the host-by-host code before ``rejections`` gave it."""
    reasons = []
    for rc, amount in sorted(asked.resources.items()):
        inventory = host.inventories.get(rc)
        if inventory is None:
            reasons.append('has no %s inventory' % rc)
        elif inventory.max_unit is not None and amount > inventory.max_unit:
            reasons.append('%s %d exceeds max_unit %d'
                           % (rc, amount, inventory.max_unit))
        elif host.free(rc) < amount:
            reasons.append('not enough %s (%d requested, %d free)'
                           % (rc, amount, host.free(rc)))
    traits = set(host.traits)
    if host.service_disabled:
        traits.add(DISABLED)
    missing = asked.required - traits
    if missing:
        reasons.append('lacks required trait %s' % ', '.join(sorted(missing)))
    present = asked.forbidden & traits
    if present == {DISABLED}:
        reasons.append('compute service is disabled (%s)'
                       % (host.disabled_reason or 'no reason'))
    elif present:
        reasons.append('has forbidden trait %s' % ', '.join(sorted(present)))
    return '; '.join(reasons) or None


HOSTS = st.builds(
    host, traits=st.lists(st.sampled_from(TRAITS), max_size=3),
    disabled=st.booleans(), reason=st.sampled_from([None, 'repair']),
    ram=st.integers(0, 8192), ram_used=st.integers(0, 8192),
    max_unit=st.sampled_from([None, 1, 4]), disk=st.booleans())
QUERIES = st.builds(
    candidates.PlacementQuery,
    st.dictionaries(st.sampled_from(['VCPU', 'MEMORY_MB', 'DISK_GB',
                                     'CUSTOM_X']), st.integers(1, 9000)),
    st.sets(st.sampled_from(TRAITS)), st.sets(st.sampled_from(TRAITS)))


class RejectionTest(base.BaseTestCase):

    def test_proposed(self):
        self.assertIsNone(candidates.rejection(host(), asked()))

    def test_each_reason_in_order(self):
        found = candidates.rejection(
            host(ram=1024, max_unit=1, disk=False, traits=['CUSTOM_B']),
            asked(required=['CUSTOM_A'], forbidden=['CUSTOM_B']))
        self.assertEqual(
            'has no DISK_GB inventory; not enough MEMORY_MB (1024 '
            'requested, 512 free); VCPU 2 exceeds max_unit 1; lacks required '
            'trait CUSTOM_A; has forbidden trait CUSTOM_B', found)

    def test_disabled_service(self):
        self.assertEqual('compute service is disabled (repair)',
                         candidates.rejection(host(disabled=True,
                                                   reason='repair'), asked()))
        self.assertEqual(
            'has forbidden trait COMPUTE_STATUS_DISABLED, CUSTOM_B',
            candidates.rejection(host(disabled=True, traits=['CUSTOM_B']),
                                 asked(forbidden=['CUSTOM_B'])))

    def test_disabled_trait_required_of_a_disabled_host(self):
        # Odd, but Placement would propose it: the trait is there.
        self.assertIsNone(candidates.rejection(
            host(disabled=True),
            candidates.PlacementQuery({'VCPU': 1}, {DISABLED}, set())))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(HOSTS, max_size=6), QUERIES)
    def test_rejections_are_the_host_by_host_reasons(self, hosts, query):
        self.assertEqual([one_by_one(h, query) for h in hosts],
                         candidates.rejections(hosts, query))
