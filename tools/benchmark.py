#!/usr/bin/env python3
"""Scheduling benchmark: Nova's filter/weigh pipeline with and without ZHA.

Runs Nova's real scheduling pipeline pieces, ``HostFilterHandler
.get_filtered_objects`` and ``HostWeightHandler.get_weighed_objects``, with
filter and weigher classes loaded the way nova-scheduler's HostManager loads
them (``[filter_scheduler] available_filters`` / ``enabled_filters`` /
``weight_classes``), over synthetic IBM Z clouds of N real ``HostState``
objects (built from ComputeNode records) spread over a number of CPCs.

One scheduling request is a multi-create of a whole anti-affinity server group
(``--group-size`` members, one RequestSpec): each member gets one filter+weigh
pass with ``index`` = its position, over all hosts (after the first pass: all
hosts that passed it, since Nova runs ComputeFilter and the other
once-per-request filters only in the first pass; ``--narrow`` gives each pass
the previous pass's hosts instead, as Nova's loop does); the winner is consumed
as ``SchedulerManager._consume_selected_host`` does (``consume_from_request``,
host appended to ``instance_group.hosts``, a stub instance added to
``host_state.instances``). Two configurations are compared:

* baseline: Nova's default enabled_filters and all of Nova's weighers;
* ZHA: the same plus ZhaFailureDomainFilter and ZhaFailureDomainWeigher, as
  shipped in etc/nova/nova.conf.d/zha-scheduler.conf.

The ZHA topology view reads a counting Placement stand-in serving
``GET /traits?name=startswith:CUSTOM_ZHA_`` and
``GET /resource_providers?required=<trait>`` from the synthetic topology
(JSON bodies parsed on every call, no network latency). The member lookup of
``zha_scheduler.members`` reads an in-memory instance table instead of Nova's
cell databases.

It prints figures, not pass/fail results; it only stops with an error when
the set-up is broken (a pass finds no host, two members land on one host).
A broken spreading limit is printed as such.

Usage::

    .venv/bin/python tools/benchmark.py [--hosts 1000,5000] [--cpcs 50]
        [--group-size 20] [--repeat 3] [--narrow] [--profile]
"""

import argparse
import collections
import cProfile
import datetime
import gc
import json
import logging
import os
import platform
import pstats
import random
import statistics
import sys
import time
import uuid as uuid_lib
import warnings

# Nova pulls in eventlet through futurist, which warns on import.
warnings.filterwarnings('ignore', module='futurist')
warnings.filterwarnings('ignore', category=DeprecationWarning)

BASELINE_FILTERS = [
    'ComputeFilter',
    'ComputeCapabilitiesFilter',
    'ImagePropertiesFilter',
    'ServerGroupAntiAffinityFilter',
    'ServerGroupAffinityFilter',
]
ZHA_FILTERS = BASELINE_FILTERS + ['ZhaFailureDomainFilter']
AVAILABLE_FILTERS = ['nova.scheduler.filters.all_filters',
                     'zha_scheduler.filters.all_filters']
BASELINE_WEIGHERS = ['nova.scheduler.weights.all_weighers']
ZHA_WEIGHERS = BASELINE_WEIGHERS + ['zha_scheduler.weights.all_weighers']

SITES = 2
DISABLED_EVERY = 97      # one compute service in 97 is disabled
TARGET_RATIO = 1.2


# --------------------------------------------------------------------------
# Set-up of Nova (configuration, logging, objects)
# --------------------------------------------------------------------------

def setup_nova():
    """Configure CONF with defaults only and silence logs below WARNING."""
    logging.basicConfig(level=logging.WARNING,
                        format='%(levelname)s %(name)s: %(message)s')
    for name in ('nova', 'zha_scheduler', 'oslo_concurrency', 'stevedore'):
        logging.getLogger(name).setLevel(logging.WARNING)

    import nova.conf
    from nova import objects
    import zha_scheduler.conf  # noqa: F401  registers [zha_scheduler]

    objects.register_all()
    conf = nova.conf.CONF
    conf([], project='nova', default_config_files=[], default_config_dirs=[])
    # What etc/nova/nova.conf.d/zha-scheduler.conf sets; the enabled filters
    # and weight classes are chosen per configuration below.
    conf.set_override('available_filters', AVAILABLE_FILTERS,
                      group='filter_scheduler')
    conf.set_override('spread_domain', 'cpc', group='zha_scheduler')
    conf.set_override('max_skew', 1, group='zha_scheduler')
    conf.set_override('trait_cache_ttl', 30, group='zha_scheduler')
    return conf


def load_pipeline(conf, enabled_filters, weight_classes):
    """Instantiate filters and weighers as nova's HostManager.__init__ does."""
    from nova.scheduler import filters
    from nova.scheduler import weights

    conf.set_override('enabled_filters', enabled_filters,
                      group='filter_scheduler')
    conf.set_override('weight_classes', weight_classes,
                      group='filter_scheduler')
    filter_handler = filters.HostFilterHandler()
    filter_classes = filter_handler.get_matching_classes(
        conf.filter_scheduler.available_filters)
    filter_cls_map = {cls.__name__: cls for cls in filter_classes}
    missing = [name for name in conf.filter_scheduler.enabled_filters
               if name not in filter_cls_map]
    if missing:
        raise SystemExit('filters not found: %s' % ', '.join(missing))
    enabled = [filter_cls_map[name]()
               for name in conf.filter_scheduler.enabled_filters]
    weight_handler = weights.HostWeightHandler()
    weighers = [cls() for cls in weight_handler.get_matching_classes(
        conf.filter_scheduler.weight_classes)]
    return filter_handler, enabled, weight_handler, weighers


# --------------------------------------------------------------------------
# Synthetic cloud
# --------------------------------------------------------------------------

class Cloud:
    """N LPARs over C CPCs: HostStates, traits and a Placement stand-in."""

    def __init__(self, n_hosts, n_cpcs, seed=42):
        from nova import objects
        from nova.scheduler import host_manager
        from zha_scheduler import traits

        rng = random.Random(seed)
        self.rng = rng
        self.cell_uuid = str(uuid_lib.UUID(int=rng.getrandbits(128),
                                           version=4))
        self.hosts = []
        self.cpc_of = {}                  # host name -> CPC id
        self.traits_of = {}               # provider uuid -> ZHA traits
        self.name_of = {}                 # provider uuid -> provider name
        numa_json = _numa_topology_json()
        now = datetime.datetime.now(datetime.timezone.utc)
        for i in range(n_hosts):
            c = i * n_cpcs // n_hosts
            first = -(-c * n_hosts // n_cpcs)  # first host index of CPC c
            lpar = i - first + 1
            cpc_id = 'Z%02d' % (c + 1)
            name = 'cpc%02d-lpar%03d' % (c + 1, lpar)
            node_uuid = str(uuid_lib.UUID(int=rng.getrandbits(128),
                                          version=4))
            memory_mb = rng.choice((262144, 524288, 1048576))
            vcpus = rng.choice((32, 48, 64))
            n_inst = rng.randint(0, 12)
            used_ram = min(memory_mb - 16384, n_inst * 8192 + 4096)
            local_gb = 2048
            used_gb = n_inst * 40
            compute = objects.ComputeNode(
                id=i + 1, uuid=node_uuid, service_id=i + 1, host=name,
                hypervisor_hostname=name, vcpus=vcpus,
                vcpus_used=n_inst * 2, memory_mb=memory_mb,
                memory_mb_used=used_ram, free_ram_mb=memory_mb - used_ram,
                local_gb=local_gb, local_gb_used=used_gb,
                free_disk_gb=local_gb - used_gb,
                disk_available_least=local_gb - used_gb,
                hypervisor_type='QEMU',
                hypervisor_version=rng.choice((8002000, 9000000)),
                cpu_info=json.dumps({'arch': 's390x', 'model': 'gen16a',
                                     'vendor': 'IBM',
                                     'topology': {'sockets': 1,
                                                  'cores': vcpus,
                                                  'threads': 1}}),
                running_vms=n_inst, current_workload=0,
                stats={'num_instances': str(n_inst), 'io_workload': '0',
                       'failed_builds': '0'},
                metrics='[]', host_ip='10.%d.%d.%d' % (
                    c, lpar // 250, lpar % 250 + 1),
                numa_topology=numa_json,
                supported_hv_specs=[objects.HVSpec(
                    arch='s390x', hv_type='kvm', vm_mode='hvm')],
                pci_device_pools=objects.PciDevicePoolList(objects=[]),
                cpu_allocation_ratio=4.0, ram_allocation_ratio=1.0,
                disk_allocation_ratio=1.0, mapped=1, updated_at=now)
            host = host_manager.HostState(name, name, self.cell_uuid)
            instances = {}
            for _ in range(n_inst):
                inst_uuid = str(uuid_lib.UUID(int=rng.getrandbits(128),
                                              version=4))
                instances[inst_uuid] = objects.Instance(uuid=inst_uuid)
            host.update(compute=compute, service=self._service(i, name),
                        aggregates=[], inst_dict=instances)
            self.hosts.append(host)
            self.cpc_of[name] = cpc_id
            found = {traits.cpc_trait(cpc_id),
                     traits.site_trait('DC%d' % (c % SITES + 1))}
            found.add(_health(rng, traits.NET_REDUNDANT, traits.NET_DEGRADED))
            found.add(_health(rng, traits.STORAGE_REDUNDANT,
                              traits.STORAGE_DEGRADED))
            if lpar == 1:
                found.add(traits.STANDBY)
            found.discard(None)
            self.traits_of[node_uuid] = found
            self.name_of[node_uuid] = name
        self.cpcs = sorted(set(self.cpc_of.values()))
        self.placement = FakePlacement(self.traits_of, self.name_of)

    @staticmethod
    def _service(i, name):
        now = datetime.datetime.now(datetime.timezone.utc)
        disabled = i % DISABLED_EVERY == DISABLED_EVERY - 1
        return {'id': i + 1, 'uuid': str(uuid_lib.UUID(int=i + 1)),
                'host': name, 'binary': 'nova-compute', 'topic': 'compute',
                'report_count': 1000, 'disabled': disabled,
                'disabled_reason': 'maintenance' if disabled else None,
                'forced_down': False, 'version': 70,
                'created_at': now - datetime.timedelta(days=30),
                'updated_at': now, 'last_seen_up': now}

    def refresh_services(self):
        """Fresh service records, as HostManager reads them per request."""
        for i, host in enumerate(self.hosts):
            host.update(service=self._service(i, host.host))


def _health(rng, redundant, degraded):
    roll = rng.random()
    if roll < 0.95:
        return redundant
    if roll < 0.99:
        return degraded
    return None  # not monitored


def _numa_topology_json():
    from nova import objects
    cells = [objects.NUMACell(
        id=cell, cpuset=set(range(cell * 32, cell * 32 + 32)),
        pcpuset=set(), memory=262144, cpu_usage=0, memory_usage=0,
        pinned_cpus=set(), siblings=[{c} for c in range(cell * 32,
                                                              cell * 32 + 32)],
        mempages=[objects.NUMAPagesTopology(size_kb=4, total=65536000,
                                            used=0),
                  objects.NUMAPagesTopology(size_kb=1024, total=0, used=0)],
        network_metadata=objects.NetworkMetadata(physnets=set(),
                                                 tunneled=False),
        socket=cell)
        for cell in range(2)]
    return objects.NUMATopology(cells=cells)._to_json()


class FakeResponse:
    """The parts of a keystoneauth/requests response read_topology uses."""

    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text

    def __bool__(self):
        return self.status_code < 400

    def json(self):
        return json.loads(self.text)


class FakePlacement:
    """Placement stand-in with Nova's report client ``get`` signature.

    Bodies are pre-rendered JSON, parsed by ``json()`` on every call, like a
    real response; every call is counted.
    """

    def __init__(self, traits_of, name_of):
        holders = collections.defaultdict(list)
        for rp_uuid, found in traits_of.items():
            for trait in found:
                holders[trait].append(rp_uuid)
        self.vocabulary = sorted(holders)
        self._bodies = {
            '/traits?name=startswith:CUSTOM_ZHA_':
                json.dumps({'traits': self.vocabulary})}
        for trait, rp_uuids in holders.items():
            self._bodies['/resource_providers?required=%s' % trait] = (
                json.dumps({'resource_providers': [
                    _provider(u, name_of[u]) for u in sorted(rp_uuids)]}))
        self.body_bytes = sum(len(b) for b in self._bodies.values())
        self.calls = 0
        self.by_url = collections.Counter()

    def get(self, url, version=None, global_request_id=None):
        self.calls += 1
        self.by_url[url] += 1
        body = self._bodies.get(url)
        if body is None:
            return FakeResponse(404, '{"errors": [{"status": 404}]}')
        return FakeResponse(200, body)


def _provider(rp_uuid, name):
    base = '/resource_providers/%s' % rp_uuid
    return {'uuid': rp_uuid, 'name': name, 'generation': 7,
            'root_provider_uuid': rp_uuid, 'parent_provider_uuid': None,
            'links': [{'rel': 'self', 'href': base},
                      {'rel': 'inventories', 'href': base + '/inventories'},
                      {'rel': 'usages', 'href': base + '/usages'},
                      {'rel': 'aggregates', 'href': base + '/aggregates'},
                      {'rel': 'traits', 'href': base + '/traits'},
                      {'rel': 'allocations', 'href': base + '/allocations'}]}


class InstanceTable:
    """In-memory stand-in for the instance records of Nova's cell DBs."""

    def __init__(self):
        self.records = {}   # instance uuid -> (host, node)
        self.reads = 0

    def read_members(self, spec_obj):
        """MemberLocator reader: the group's placed members."""
        from zha_scheduler import members
        self.reads += 1
        found = []
        for inst_uuid in spec_obj.instance_group.members or []:
            record = self.records.get(inst_uuid)
            if record and record[0]:
                found.append(members.Member(inst_uuid, record[0], record[1]))
        return found


# --------------------------------------------------------------------------
# One scheduling request
# --------------------------------------------------------------------------

def new_request(group_size, rng):
    """A RequestSpec for a multi-create of a whole anti-affinity group."""
    from nova import objects

    def new_uuid():
        return str(uuid_lib.UUID(int=rng.getrandbits(128), version=4))

    member_uuids = [new_uuid() for _ in range(group_size)]
    project, user = 'p' * 32, 'u' * 32
    group = objects.InstanceGroup(
        uuid=new_uuid(), name='ha-group', project_id=project, user_id=user,
        policy='anti-affinity', policies=['anti-affinity'], rules={},
        members=list(member_uuids), hosts=[])
    flavor = objects.Flavor(
        id=1, flavorid='zha.medium', name='zha.medium', memory_mb=8192,
        vcpus=2, root_gb=40, ephemeral_gb=0, swap=0, rxtx_factor=1.0,
        vcpu_weight=0, disabled=False, is_public=True,
        extra_specs={'capabilities:hypervisor_type': 'QEMU',
                     'hw:cpu_policy': 'shared'})
    image = objects.ImageMeta.from_dict({
        'id': new_uuid(), 'name': 'rhel-9-s390x', 'disk_format': 'qcow2',
        'container_format': 'bare', 'min_ram': 0, 'min_disk': 0,
        'properties': {'hw_architecture': 's390x',
                       'hw_disk_bus': 'virtio'}})
    spec = objects.RequestSpec(
        instance_uuid=member_uuids[0], project_id=project, user_id=user,
        flavor=flavor, image=image, num_instances=group_size,
        instance_group=group, ignore_hosts=None, force_hosts=None,
        force_nodes=None, requested_destination=None, scheduler_hints={},
        numa_topology=None,
        pci_requests=objects.InstancePCIRequests(requests=[]),
        availability_zone=None, is_bfv=False, limits=None, retry=None)
    spec.obj_reset_changes()
    return spec, member_uuids


class Snapshot:
    """Undo what consume_from_request and the bookkeeping change on a host."""

    FIELDS = ('free_ram_mb', 'free_disk_mb', 'vcpus_used', 'num_instances',
              'num_io_ops', 'numa_topology', 'updated')

    def __init__(self, host):
        self.host = host
        self.values = {f: getattr(host, f) for f in self.FIELDS}
        self.instances = dict(host.instances)

    def restore(self):
        for field, value in self.values.items():
            setattr(self.host, field, value)
        self.host.instances = self.instances


RequestResult = collections.namedtuple('RequestResult', [
    'times',      # wall seconds of each pass
    'cpu_times',  # process CPU seconds of each pass
    'passing',    # hosts passing all filters in each pass
    'picks',      # the host chosen in each pass
    'max_skew',   # largest CPC skew seen after any pass
])


def schedule_request(cloud, pipeline, group_size, rng, table, spread_check,
                     narrow=False):
    """Schedule one multi-create request.

    :param narrow: feed each pass the sorted hosts of the previous pass, as
        SchedulerManager._schedule does (``hosts = self._get_sorted_hosts(
        spec_obj, hosts, num)``). By default the first pass sees all hosts
        and every later pass sees all the hosts that passed the first.
    :returns: a RequestResult.
    """
    from nova import objects

    filter_handler, enabled, weight_handler, weighers = pipeline
    spec, member_uuids = new_request(group_size, rng)
    hosts = cloud.hosts
    snapshots = []
    picks = []
    times = []
    cpu_times = []
    passing = []
    max_skew = 0
    cpc_counts = collections.Counter()
    for index, inst_uuid in enumerate(member_uuids):
        # SchedulerManager._schedule: the spec carries the current instance.
        spec.instance_uuid = inst_uuid
        spec.obj_reset_changes(['instance_uuid'])
        cpu_start = time.process_time()
        start = time.perf_counter()
        filtered = filter_handler.get_filtered_objects(enabled, hosts, spec,
                                                       index)
        if not filtered:
            raise SystemExit('pass %d of %d (index %d) found no host: Nova '
                             'would fail the request with NoValidHost'
                             % (index + 1, group_size, index))
        weighed = weight_handler.get_weighed_objects(weighers, filtered, spec)
        chosen = weighed[0].obj    # host_subset_size = 1
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        passing.append(len(filtered))
        if narrow:
            hosts = [w.obj for w in weighed]
        elif index == 0:
            # Filters with run_filter_once_per_request (ComputeFilter, ...)
            # only run in the first pass: Nova relies on the later passes
            # getting the hosts that survived it. Every later pass gets all
            # of them (no member is placed before the first pass, so the
            # group filters reject no host in it).
            hosts = filtered
        # SchedulerManager._consume_selected_host, outside the clock.
        snapshots.append(Snapshot(chosen))
        chosen.consume_from_request(spec)
        spec.instance_group.hosts.append(chosen.host)
        spec.instance_group.obj_reset_changes(['hosts'])
        chosen.instances[inst_uuid] = objects.Instance(uuid=inst_uuid)
        # The instance record now names its host (nova-compute's claim).
        table.records[inst_uuid] = (chosen.host, chosen.nodename)
        picks.append(chosen.host)
        cpc_counts[cloud.cpc_of[chosen.host]] += 1
        skew = (max(cpc_counts.values()) -
                min(cpc_counts.get(c, 0) for c in cloud.cpcs))
        max_skew = max(max_skew, skew)
    if spread_check and len(set(picks)) != len(picks):
        raise SystemExit('two members on one host: %s' % picks)
    # Undo the request so every request starts from the same cloud.
    for snap in reversed(snapshots):
        snap.restore()
    table.records.clear()
    return RequestResult(times, cpu_times, passing, picks, max_skew)


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------

def install_zha(cloud, table):
    """Point the ZHA view at the fake Placement, the locator at the table."""
    from zha_scheduler import members
    from zha_scheduler import placement

    view = placement.TopologyView(client_factory=lambda: cloud.placement)
    placement._VIEW = view
    members._LOCATOR = members.MemberLocator(reader=table.read_members)
    return view


def run_host_count(conf, n_hosts, args, pipelines):
    from zha_scheduler import placement

    t0 = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    cloud = Cloud(n_hosts, args.cpcs, seed=args.seed)
    build_s = time.perf_counter() - t0
    if not args.no_gc_freeze:
        # The static cloud (millions of objects) leaves the collector's
        # generations, so full collections do not rescan it at random
        # moments of the timed passes; garbage made by the passes is still
        # collected normally.
        gc.collect()
        gc.freeze()
    table = InstanceTable()
    view = install_zha(cloud, table)
    rng = random.Random(args.seed + 1)
    result = {'hosts': n_hosts, 'build_s': build_s,
              'per_cpc': n_hosts / len(cloud.cpcs),
              'vocabulary': len(cloud.placement.vocabulary)}

    # Cold refresh alone: read_topology against the stand-in.
    cold = []
    for _ in range(max(3, args.repeat)):
        gc.collect()
        start = time.perf_counter()
        topo, calls = placement.read_topology(cloud.placement)
        cold.append(time.perf_counter() - start)
    result['refresh_ms'] = statistics.median(cold) * 1000
    result['refresh_calls'] = calls
    result['refresh_kb'] = cloud.placement.body_bytes / 1024
    result['profiles'] = len(topo.by_uuid)

    # Placement calls of one ZHA request on a cold, then a warm cache.
    cloud.refresh_services()
    view.invalidate()
    before, reads_before = cloud.placement.calls, table.reads
    t0 = time.perf_counter()
    schedule_request(cloud, pipelines['zha'], args.group_size, rng, table,
                     True, args.narrow)
    result['cold_request_ms'] = (time.perf_counter() - t0) * 1000
    result['cold_calls'] = cloud.placement.calls - before
    result['reads_per_request'] = table.reads - reads_before
    before = cloud.placement.calls
    schedule_request(cloud, pipelines['zha'], args.group_size, rng, table,
                     True, args.narrow)
    result['warm_calls'] = cloud.placement.calls - before

    # Timed requests, baseline and ZHA interleaved. The ZHA view is
    # refreshed off the clock before each request (TTL 30 s), so every
    # timed request runs on a warm cache; its Placement calls are counted.
    walls = {'baseline': [], 'zha': []}   # per request: [seconds per pass]
    cpus = {'baseline': [], 'zha': []}
    skews = {'baseline': 0, 'zha': 0}
    passing = {}
    last_picks = {}
    warm_calls_timed = 0
    for _ in range(args.repeat):
        for name in ('baseline', 'zha'):
            cloud.refresh_services()
            view.invalidate()
            view.get()
            gc.collect()
            before = cloud.placement.calls
            done = schedule_request(
                cloud, pipelines[name], args.group_size, rng, table,
                name == 'zha', args.narrow)
            if name == 'zha':
                warm_calls_timed += cloud.placement.calls - before
            walls[name].append(done.times)
            cpus[name].append(done.cpu_times)
            passing[name] = done.passing
            skews[name] = max(skews[name], done.max_skew)
            last_picks[name] = done.picks
    result['warm_calls_timed'] = warm_calls_timed
    result['passing'] = passing
    for name in ('baseline', 'zha'):
        # Median over the repeats of each pass position, summed: one burst
        # of a noisy neighbour spoils one pass of one request, not a request.
        request_s = _sum_of_medians(walls[name])
        totals = [sum(times) for times in walls[name]]
        result[name] = {
            'request_ms': request_s * 1000,
            'pass_ms': request_s * 1000 / args.group_size,
            'cpu_request_ms': _sum_of_medians(cpus[name]) * 1000,
            'first_pass_ms': statistics.median(
                times[0] for times in walls[name]) * 1000,
            'first_pass_cpu_ms': statistics.median(
                times[0] for times in cpus[name]) * 1000,
            'spread_ms': (max(totals) - min(totals)) * 1000,
            'max_skew': skews[name],
            'per_cpc': collections.Counter(
                cloud.cpc_of[h] for h in last_picks[name]),
        }
    result['cpu_ratio'] = (result['zha']['cpu_request_ms'] /
                           result['baseline']['cpu_request_ms'])
    result['ratio'] = result['zha']['request_ms'] / result['baseline'][
        'request_ms']
    result['components'] = component_costs(cloud, pipelines, args, table)
    result['cloud'] = cloud
    result['table'] = table
    return result


def _sum_of_medians(requests):
    return sum(statistics.median(column)
               for column in zip(*requests, strict=True))


def _median_time(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def component_costs(cloud, pipelines, args, table):
    """Time what ZHA adds to one pass, on the same full host list.

    In a request the ZHA filter removes the CPCs already used, so Nova's
    weighers see fewer hosts than in the baseline, which hides ZHA's own
    cost. Here every piece runs over all hosts in the state of the middle
    pass of a request (half of the group already picked, one per CPC).
    """
    fh, base_filters, wh, base_weighers = pipelines['baseline']
    _fh, zha_filters, _wh, zha_weighers = pipelines['zha']
    zha_filter = next(f for f in zha_filters
                      if type(f).__name__ == 'ZhaFailureDomainFilter')
    zha_weigher = next(w for w in zha_weighers
                       if type(w).__name__ == 'ZhaFailureDomainWeigher')
    from zha_scheduler import placement
    cloud.refresh_services()
    placement.get_view().invalidate()
    placement.get_view().get()
    rng = random.Random(args.seed + 3)
    spec, member_uuids = new_request(args.group_size, rng)
    index = args.group_size // 2
    first_of_cpc = {}
    for host in cloud.hosts:
        first_of_cpc.setdefault(cloud.cpc_of[host.host], host.host)
    spec.instance_group.hosts = [first_of_cpc[c]
                                 for c in cloud.cpcs[:index]]
    spec.instance_uuid = member_uuids[index]
    hosts = cloud.hosts
    repeat = max(3, args.repeat)
    gc.collect()

    def baseline_pass():
        filtered = fh.get_filtered_objects(base_filters, hosts, spec, index)
        wh.get_weighed_objects(base_weighers, filtered, spec)

    weighed = [wh.object_class(h, 0.0) for h in hosts]
    costs = {
        'baseline_pass': _median_time(baseline_pass, repeat),
        'filter': _median_time(lambda: zha_filter.filter_all(hosts, spec),
                               repeat),
        'weigh_objects': _median_time(
            lambda: zha_weigher.weigh_objects(weighed, spec), repeat),
        'handler_with': _median_time(
            lambda: wh.get_weighed_objects([zha_weigher], hosts, spec),
            repeat),
        'handler_without': _median_time(
            lambda: wh.get_weighed_objects([], hosts, spec), repeat),
        'passing': len(zha_filter.filter_all(hosts, spec)),
        'index': index,
    }
    costs['weigher'] = max(0.0, costs['handler_with'] -
                           costs['handler_without'])
    costs['added'] = costs['filter'] + costs['weigher']
    costs['ratio'] = 1 + costs['added'] / costs['baseline_pass']
    return costs


def profile_zha(cloud, pipelines, args, table):
    """cProfile one warm ZHA request; print where ZHA's time goes."""
    from zha_scheduler import placement

    placement.get_view().invalidate()
    placement.get_view().get()
    cloud.refresh_services()
    rng = random.Random(args.seed + 2)
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    schedule_request(cloud, pipelines['zha'], args.group_size, rng, table,
                     True, args.narrow)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())   # tottime sum

    def cum(pred):
        return sum(v[3] for k, v in stats.stats.items() if pred(k))

    def is_zha(key):
        return os.sep + 'zha_scheduler' + os.sep in key[0]

    entries = {
        'ZhaFailureDomainFilter.filter_all (cumulative)':
            cum(lambda k: is_zha(k) and k[2] == 'filter_all'),
        'ZhaFailureDomainWeigher.weigh_objects (cumulative)':
            cum(lambda k: is_zha(k) and k[2] == 'weigh_objects'),
        'ZhaFailureDomainWeigher.weight_multiplier (cumulative, called by '
        'Nova per host)':
            cum(lambda k: is_zha(k) and k[2] == 'weight_multiplier'),
        '  of which spread.group_spread (filter and weigher, once each per '
        'pass)':
            cum(lambda k: is_zha(k) and k[2] == 'group_spread'),
        '  of which GroupSpread.domain_of (per host: filter, weigher '
        'count_for)':
            cum(lambda k: is_zha(k) and k[2] == 'domain_of'),
    }
    print()
    print('cProfile of one warm ZHA request at %d hosts (profiler overhead '
          'inflates per-call costs; shares are indicative):'
          % len(cloud.hosts))
    print('  total profiled time %.0f ms' % (total * 1000))
    for label, value in entries.items():
        print('  %-78s %7.1f ms %5.1f %%' % (label, value * 1000,
                                              100 * value / total))
    print('  zha_scheduler functions by own time (tottime):')
    rows = sorted(((v[2], v[3], v[1], k) for k, v in stats.stats.items()
                   if is_zha(k)), reverse=True)[:12]
    for tottime, cumtime, ncalls, key in rows:
        path = key[0].split(os.sep + 'zha_scheduler' + os.sep)[-1]
        print('    %-52s calls %7d  own %7.1f ms %5.1f %%  cum %7.1f ms'
              % ('%s:%d %s' % (path, key[1], key[2]), ncalls,
                 tottime * 1000, 100 * tottime / total, cumtime * 1000))


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def machine_line():
    import nova.version
    try:
        with open('/proc/cpuinfo') as f:
            model = next((line.split(':', 1)[1].strip() for line in f
                          if line.startswith(('model name', 'machine'))),
                         platform.processor() or '?')
    except OSError:
        model = platform.processor() or '?'
    usable = (len(os.sched_getaffinity(0))
              if hasattr(os, 'sched_getaffinity') else os.cpu_count())
    return ('machine: %d CPUs (%d usable), %s, %s; Python %s; Nova %s'
            % (os.cpu_count(), usable, model, platform.machine(),
               platform.python_version(), nova.version.version_string()))


def code_line():
    """Which zha_scheduler code was measured (its tree may be in flux)."""
    import hashlib
    import subprocess

    import zha_scheduler
    package = os.path.dirname(os.path.abspath(zha_scheduler.__file__))
    digest = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(package)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith('.py'):
                with open(os.path.join(root, name), 'rb') as f:
                    digest.update(f.read())
    try:
        def git(*cmd):
            return subprocess.run(
                ('git',) + cmd, cwd=package, capture_output=True, text=True,
                check=True, timeout=10).stdout.strip()
        rev = git('rev-parse', '--short', 'HEAD')
        dirty = git('status', '--porcelain', '--', '.')
        rev = '%s%s' % (rev, ' + uncommitted changes' if dirty else '')
    except (OSError, subprocess.SubprocessError):
        rev = 'no git'
    return 'zha_scheduler: %s (git %s, sources sha256 %s)' % (
        package, rev, digest.hexdigest()[:12])


def print_results(results, args):
    w = 100
    print()
    print('Time per scheduling pass (one filter+weigh pass over %s; %d '
          'requests of %d passes each)' % (
              'the previous pass\'s hosts (--narrow)' if args.narrow
              else 'all hosts (passes 2+: all that passed pass 1)',
              args.repeat, args.group_size))
    print('-' * w)
    print('%7s %9s | %11s %11s | %10s %10s | %11s %9s %s' % (
        'hosts', 'LPARs/CPC', 'baseline ms', 'ZHA ms', 'base req s',
        'ZHA req s', 'RATIO', 'CPU ratio', 'target <= %.1f' % TARGET_RATIO))
    print('-' * w)
    for r in results:
        b, z = r['baseline'], r['zha']
        print('%7d %9.0f | %11.2f %11.2f | %10.2f %10.2f | %11.3f %9.3f %s'
              % (r['hosts'], r['per_cpc'], b['pass_ms'], z['pass_ms'],
                 b['request_ms'] / 1000, z['request_ms'] / 1000, r['ratio'],
                 r['cpu_ratio'],
                 'met' if r['ratio'] <= TARGET_RATIO else 'MISSED'))
    print('-' * w)
    print('req s = sum over the %d pass positions of the median over the %d '
          'repeats (wall clock); pass ms = req / %d.'
          % (args.group_size, args.repeat, args.group_size))
    print('RATIO = ZHA req / baseline req; CPU ratio = the same from process '
          'CPU time (less sensitive to other load).')
    print('First pass alone (index 0: also runs the once-per-request filters; '
          'the ZHA filter removes no host yet), median ms:')
    for r in results:
        b, z = r['baseline'], r['zha']
        print('  %5d hosts: baseline %.2f, ZHA %.2f (ratio %.3f, CPU ratio '
              '%.3f); spread of request totals over repeats: baseline %.0f '
              'ms, ZHA %.0f ms'
              % (r['hosts'], b['first_pass_ms'], z['first_pass_ms'],
                 z['first_pass_ms'] / b['first_pass_ms'],
                 z['first_pass_cpu_ms'] / b['first_pass_cpu_ms'],
                 b['spread_ms'], z['spread_ms']))
    print('Hosts passing all filters in passes 1, 2 and %d:' % args.group_size)
    for r in results:
        print('  %5d hosts: baseline %s, ZHA %s' % (r['hosts'], ', '.join(
            str(r['passing']['baseline'][i]) for i in (0, 1, -1)),
            ', '.join(str(r['passing']['zha'][i]) for i in (0, 1, -1))))

    print()
    print('What ZHA adds to one pass on the same input (all hosts, middle '
          'pass of a request, components timed alone, median ms)')
    print('-' * w)
    print('%7s | %13s | %10s %10s %12s | %9s %9s | %s' % (
        'hosts', 'baseline pass', 'ZHA filter', 'ZHA weigh', '(of which own',
        'added', 'ratio', 'hosts passing'))
    print('%7s | %13s | %10s %10s %12s | %9s %9s | %s' % (
        '', '', '', '(in Nova)', 'weigh_objects)', '', '', 'ZHA filter'))
    print('-' * w)
    for r in results:
        c = r['components']
        print('%7d | %13.2f | %10.2f %10.2f %12.2f | %9.2f %9.3f | %d of %d'
              % (r['hosts'], c['baseline_pass'] * 1000, c['filter'] * 1000,
                 c['weigher'] * 1000, c['weigh_objects'] * 1000,
                 c['added'] * 1000, c['ratio'], c['passing'], r['hosts']))
    print('-' * w)
    print('ZHA weigh (in Nova) = HostWeightHandler.get_weighed_objects with '
          'only ZhaFailureDomainWeigher minus with no weigher')
    print('(its weigh_objects + Nova\'s normalize and per-host '
          'weight_multiplier); ratio = (baseline pass + added) / baseline '
          'pass.')
    print('In the request figures above the ZHA filter removes the used '
          'CPCs before weighing, so Nova\'s')
    print('weighers see fewer hosts than in the baseline: that hides this '
          'added cost and can make the ratio < 1.')

    print()
    print('Placement calls by the ZHA topology view (fake Placement: %d ZHA '
          'traits in the vocabulary)' % results[0]['vocabulary'])
    print('-' * w)
    print('%7s | %16s %16s %16s | %14s %14s' % (
        'hosts', 'cold request', 'warm request', 'timed requests',
        'cold refresh ms', 'providers read'))
    print('-' * w)
    for r in results:
        print('%7d | %16d %16d %16d | %14.1f %14d' % (
            r['hosts'], r['cold_calls'], r['warm_calls'],
            r['warm_calls_timed'], r['refresh_ms'], r['profiles']))
    print('-' * w)
    print('cold request = one %d-member request right after invalidate(); '
          'warm = the next request (TTL 30 s);' % args.group_size)
    print('timed requests = calls made during all %d timed ZHA requests '
          '(view refreshed before each, off the clock).' % args.repeat)
    print('cold refresh = read_topology() alone (1 + one call per trait, '
          'JSON parsed, no network latency).')
    for r in results:
        print('  %5d hosts: the cold request took %.2f s in all (timed warm '
              'requests: %.2f s); Placement JSON parsed per refresh: %.0f kB'
              % (r['hosts'], r['cold_request_ms'] / 1000,
                 r['zha']['request_ms'] / 1000, r['refresh_kb']))

    print()
    print('Member lookup: zha_scheduler.members.MemberLocator(reader=...) '
          'reads an IN-MEMORY instance table,')
    print('not Nova\'s cell databases (no DB query time is included); '
          'reads per request: %s.' % ', '.join(
              '%d at %d hosts' % (r['reads_per_request'], r['hosts'])
              for r in results))

    print()
    print('Spreading check (%d-member anti-affinity group, %d CPCs, ZHA '
          'spread_domain=cpc, max_skew=1)' % (args.group_size, args.cpcs))
    print('-' * w)
    for r in results:
        for name in ('baseline', 'zha'):
            counts = r[name]['per_cpc']
            hist = collections.Counter(counts.values())
            hist[0] = args.cpcs - len(counts)
            broken = (name == 'zha' and r[name]['max_skew'] > 1 and
                      args.group_size > 1)
            print('%5d hosts %-8s max members in one CPC %d, max skew '
                  'observed %d%s; CPCs by members: %s' % (
                      r['hosts'], name, max(counts.values()),
                      r[name]['max_skew'],
                      ' (LIMIT 1 BROKEN)' if broken else '',
                      ', '.join('%d CPCs hold %d' % (hist[k], k)
                                for k in sorted(hist))))
        z = r['zha']['per_cpc']
        print('%5d hosts ZHA final placement, members per CPC: %s' % (
            r['hosts'], ' '.join('%s:%d' % (c, z[c]) for c in sorted(z))))
    print('-' * w)
    print('max skew = max over CPCs - min over all %d CPCs of the members '
          'placed, checked after every pass of every timed request.'
          % args.cpcs)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark Nova\'s filter/weigh pipeline with and '
                    'without the ZHA failure-domain filter and weigher over '
                    'synthetic IBM Z clouds, and count the Placement calls '
                    'of the ZHA topology view.')
    parser.add_argument(
        '--hosts', default='1000,5000',
        help='comma-separated host (LPAR) counts to measure '
             '(default: %(default)s)')
    parser.add_argument(
        '--cpcs', type=int, default=50,
        help='number of CPCs the hosts are spread over (default: '
             '%(default)s)')
    parser.add_argument(
        '--group-size', type=int, default=20,
        help='members of the anti-affinity server group, scheduled as one '
             'multi-create request, one pass each (default: %(default)s)')
    parser.add_argument(
        '--repeat', type=int, default=3,
        help='timed requests per configuration and host count; the median '
             'is reported (default: %(default)s)')
    parser.add_argument(
        '--seed', type=int, default=42,
        help='random seed of the synthetic cloud (default: %(default)s)')
    parser.add_argument(
        '--narrow', action='store_true',
        help='feed each pass only the hosts sorted by the previous pass, as '
             'SchedulerManager._schedule does in a multi-create (default: '
             'every pass sees all hosts; after the first, all hosts that '
             'passed the first)')
    parser.add_argument(
        '--no-gc-freeze', action='store_true',
        help='do not gc.freeze() the synthetic cloud before timing (noisier '
             'figures: full collections then rescan every host object)')
    parser.add_argument(
        '--profile', action='store_true',
        help='also cProfile one ZHA request at the largest host count and '
             'print where the ZHA code spends its time')
    args = parser.parse_args(argv)
    try:
        args.host_counts = [int(x) for x in args.hosts.split(',') if x]
    except ValueError:
        parser.error('--hosts takes comma-separated integers')
    if not args.host_counts or min(args.host_counts) < args.cpcs:
        parser.error('every host count must be >= --cpcs')
    if args.cpcs < 1 or args.group_size < 1 or args.repeat < 1:
        parser.error('--cpcs, --group-size and --repeat must be >= 1')
    if args.group_size > min(args.host_counts):
        parser.error('--group-size cannot exceed the host count')
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    conf = setup_nova()
    print(machine_line())
    print(code_line())
    pipelines = {
        'baseline': load_pipeline(conf, BASELINE_FILTERS, BASELINE_WEIGHERS),
        'zha': load_pipeline(conf, ZHA_FILTERS, ZHA_WEIGHERS),
    }
    for name, (_fh, enabled, _wh, weighers) in pipelines.items():
        print('%-8s filters: %s' % (name, ', '.join(
            type(f).__name__ for f in enabled)))
        print('%-8s weighers (%d): %s' % ('', len(weighers), ', '.join(
            type(w).__name__ for w in weighers)))
    print('load average at start: %s (other processes on this machine '
          'disturb wall-clock figures)' % ', '.join(
              '%.2f' % x for x in os.getloadavg()))
    print('hosts: real nova HostState objects from ComputeNode records '
          '(s390x/QEMU, 2 NUMA cells, 0-12 instances each, 1 in %d '
          'services disabled), %d CPCs, %d sites; %s.'
          % (DISABLED_EVERY, args.cpcs, SITES,
             'GC on, not frozen' if args.no_gc_freeze else
             'GC on, the built cloud gc.freeze()d'))
    results = []
    for n_hosts in args.host_counts:
        r = run_host_count(conf, n_hosts, args, pipelines)
        print('  %d hosts: cloud built in %.1f s, baseline %.2f ms/pass, '
              'ZHA %.2f ms/pass' % (n_hosts, r['build_s'],
                                    r['baseline']['pass_ms'],
                                    r['zha']['pass_ms']), flush=True)
        results.append(r)
    print_results(results, args)
    if args.profile:
        last = results[-1]
        profile_zha(last['cloud'], pipelines, args, last['table'])
    print()
    print('load average at end: %s; total run time %.0f s' % (
        ', '.join('%.2f' % x for x in os.getloadavg()),
        time.perf_counter() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
