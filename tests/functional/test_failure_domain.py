"""Failure-domain spreading through real Nova services and real Placement."""

from zha_scheduler.sim import cloud


class TwoCpcTest(cloud.SimulatedCloud):

    HOSTS = cloud.grid(cpcs=2, lpars_per_cpc=2)

    def test_two_member_group_lands_on_two_cpcs(self):
        group = self.create_group('anti-affinity')
        servers = self.boot_members(group, 2)
        self.assertEqual({'Z1': 1, 'Z2': 1}, dict(self.members_per_cpc(servers)))
