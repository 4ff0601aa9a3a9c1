"""Mass-failure brake: refuse to act when too many computes are down."""

from zha_scheduler.clients import nova_client


class BrakeEngaged(Exception):
    """Too many nova-compute services are down to trust host failures."""


def check(services: list[nova_client.Service], max_down_fraction: float) -> None:
    """:raises BrakeEngaged: when more than the fraction is down."""
    if not services:
        return
    down = sorted(s.host for s in services if not s.up)
    fraction = len(down) / len(services)
    if fraction > max_down_fraction:
        raise BrakeEngaged(
            '%d of %d nova-compute services are down (%.0f%% > max_down_fraction '
            '%.0f%%): more likely a network or control plane failure than host '
            'failures; refusing to evacuate. Down: %s' % (
                len(down), len(services), fraction * 100, max_down_fraction * 100,
                ', '.join(down)))
