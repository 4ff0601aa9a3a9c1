"""A fake Nova for the evacuation hook's unit tests."""

from zha_scheduler.evacuate import nova


def instance(id_, host='lpar1', status='ACTIVE', metadata=None, name=None, vcpus=1,
             ram_mb=512, disk_gb=1):
    return nova.Instance(id=id_, name=name or id_, host=host, status=status,
                         task_state=None, metadata=dict(metadata or {}),
                         vcpus=vcpus, ram_mb=ram_mb, disk_gb=disk_gb)


def service(host, up=True, disabled=False, reason=None):
    return nova.Service(id='svc-' + host, host=host, up=up, forced_down=False,
                        disabled=disabled, disabled_reason=reason)


class FakeNova:
    """Instances move to their target at once when evacuated."""

    def __init__(self, services, instances, free=None, refuse=()):
        self._services = {s.host: s for s in services}
        self.instances = {i.id: i for i in instances}
        self.free = free
        self.refuse = set(refuse)
        self.evacuated: list[tuple[str, str | None]] = []
        self.reasons: list[str] = []
        #: Evacuation migrations by instance: {migration uuid: status}.
        self.migrations: dict[str, dict[str, str]] = {}

    def services(self):
        return list(self._services.values())

    def set_service(self, service, reason, forced_down=True):
        svc = self._services[service.host]
        svc.up, svc.forced_down, svc.disabled = False, forced_down, True
        svc.disabled_reason = reason
        self.reasons.append(reason)

    def instances_on(self, host):
        return [i for i in self.instances.values() if i.host == host]

    def get(self, instance_id):
        return self.instances[instance_id]

    def evacuate(self, instance_id, host):
        self.evacuated.append((instance_id, host))
        if host in self.refuse:
            raise nova.EvacuationFailed('No valid host')
        self.instances[instance_id].host = host or 'scheduled'

    def evacuations(self, instance_id):
        return dict(self.migrations.get(instance_id, {}))

    def free_capacity(self, host):
        return self.free
