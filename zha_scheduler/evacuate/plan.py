"""Plan an evacuation: target host, capacity check and instance order."""

import dataclasses
from collections.abc import Mapping
from typing import Any

import yaml
from oslo_log import log as logging

from zha_scheduler import topology
from zha_scheduler.evacuate import nova

LOG = logging.getLogger(__name__)

RESOURCES = (('VCPU', 'vcpus'), ('MEMORY_MB', 'ram_mb'), ('DISK_GB', 'disk_gb'))


@dataclasses.dataclass
class Plan:
    """The instances of a failed host in order, and where they go."""

    host: str
    target: str | None
    target_reason: str
    instances: list[nova.Instance]
    shortfall: dict[str, int] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {'host': self.host, 'target': self.target,
                'target_reason': self.target_reason,
                'shortfall': self.shortfall,
                'order': [{'id': i.id, 'name': i.name, 'status': i.status,
                           'priority': priority(i)} for i in self.instances]}


def load_partners(path: str | None) -> dict[str, str]:
    """Read the primary -> standby YAML map; an unset path maps nothing.

    :raises ValueError: when the file is not a mapping of names.
    """
    if not path:
        return {}
    with open(path, encoding='utf-8') as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError('%s: expected "primary: standby" lines' % path)
    return data


def priority(instance: nova.Instance) -> int:
    """``zha:priority`` (integer, higher first); ``HA_Enabled=True`` counts 1."""
    try:
        value = int(instance.metadata.get('zha:priority', 0))
    except ValueError:
        value = 0
    if str(instance.metadata.get('HA_Enabled', '')).lower() == 'true':
        value = max(value, 1)
    return value


def order(instances: list[nova.Instance]) -> list[nova.Instance]:
    """Highest priority first, then ACTIVE before the others, then by name."""
    return sorted(instances, key=lambda i: (-priority(i), i.status != 'ACTIVE', i.name))


def choose_target(host: str, partners: Mapping[str, str],
                  profiles: Mapping[str, topology.HostProfile],
                  usable: set[str]) -> tuple[str | None, str]:
    """Pick the standby for a failed host.

    :param profiles: host profiles by host name (from Placement's ZHA traits).
    :param usable: hosts whose nova-compute is up and enabled.
    :returns: the target (None: Nova's scheduler chooses) and why.
    """
    partner = partners.get(host)
    if partner:
        if partner in usable:
            return partner, 'standby partner from partners_file'
        LOG.warning('Standby partner %s of %s is not up and enabled.', partner, host)
    failed = profiles.get(host, topology.UNKNOWN)
    candidates = sorted(
        name for name, p in profiles.items()
        if p.standby and name in usable and name != host and
        (failed.cpc is None or p.cpc != failed.cpc))
    if candidates:
        return candidates[0], 'standby host in another failure domain'
    return None, "no usable standby: Nova's scheduler chooses"


def assign(instances: list[nova.Instance], target: str | None,
           free: Mapping[str, int] | None
           ) -> tuple[dict[str, str | None], dict[str, int]]:
    """Give each instance, in order, the target while it fits there.

    :param free: the target's free resources (None: unknown, assume it fits).
    :returns: the target of each instance id (None: Nova's scheduler
        chooses) and what the instances left to the scheduler miss on the
        target, by resource class (empty: everything fits).
    """
    left = dict(free or {})
    targets: dict[str, str | None] = {}
    missing: dict[str, int] = {}
    for inst in instances:
        needs = {rc: getattr(inst, attr) for rc, attr in RESOURCES}
        short = {rc: n - left[rc] for rc, n in needs.items()
                 if free is not None and rc in left and n > left[rc]}
        if target is None or short:
            targets[inst.id] = None
            for rc, n in short.items():
                missing[rc] = missing.get(rc, 0) + n
            continue
        for rc, n in needs.items():
            if rc in left:
                left[rc] -= n
        targets[inst.id] = target
    return targets, missing
