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
once-per-request filters, the ZHA health filters among them, only in the first
pass; ``--narrow`` gives each pass the previous pass's hosts instead, as Nova's
loop does); the winner is consumed as ``SchedulerManager
._consume_selected_host`` does (``consume_from_request``, host appended to
``instance_group.hosts``, a stub instance added to ``host_state.instances``).
Two configurations are compared on the same request:

* baseline: Nova's default enabled_filters and weight_classes (all of Nova's
  weighers), read from Nova's option defaults;
* ZHA: the shipped etc/nova/nova.conf.d/zha-scheduler.conf (``--zha-conf``),
  loaded as nova-scheduler loads a nova.conf.d file: its enabled_filters
  (Nova's defaults + ZhaStandbyFilter, ZhaRedundancyFilter,
  ZhaConsistencyGroupFilter, ZhaFailureDomainFilter), its weight_classes
  (Nova's + ``zha_scheduler.weights.all_weighers``: ZhaFailureDomainWeigher,
  ZhaRedundancyWeigher) and its ``[zha_scheduler]`` options.

The request (``--request``): ``ha`` (default) is the group with the flavor
extra specs ``zha:redundancy=required`` and ``zha:consistency_group=prod-db``,
so every ZHA filter and weigher has work to do; ``group`` is the group alone.

The synthetic ZHA traits: every host has its CPC and site traits; network and
storage health drawn per subsystem (95 % ``*_REDUNDANT``, 4 % ``*_DEGRADED``,
1 % neither, i.e. unmonitored); the first LPAR of each CPC is
``CUSTOM_ZHA_STANDBY``; consistency groups ``CUSTOM_ZHA_CG_PROD_DB``,
``_ERP`` and ``_BACKUP`` on 60, 25 and 10 % of the hosts. The ZHA topology
view reads them from a counting Placement stand-in serving
``GET /traits?name=startswith:CUSTOM_ZHA_`` and
``GET /resource_providers?required=<trait>`` (JSON bodies parsed on every
call, no network latency). The member lookup of ``zha_scheduler.members``
reads an in-memory instance table instead of Nova's cell databases.

Outputs: the request ratio ZHA / baseline (target <= 1.3 with everything
enabled), the cost ZHA adds on the same input (every added filter and weigher
timed alone over all hosts, since in a request the ZHA filters shrink the host
list Nova's weighers see), the Placement calls of the topology view, the
spreading check (max skew per CPC) and a host check: no ZHA member on a
standby host, nor, for the ``ha`` request, on a degraded host or a host
without the requested consistency group. ``--profile`` adds a cProfile of one
ZHA request at the largest host count, by ZHA entry point and function.

It prints figures, not pass/fail results; it only stops with an error when
the set-up is broken (a pass finds no host, two members land on one host).
A broken spreading limit or host check is printed as such.

Usage::

    .venv/bin/python tools/benchmark.py [--hosts 1000,5000] [--cpcs 50]
        [--group-size 20] [--repeat 3] [--request {ha,group}]
        [--zha-conf FILE] [--narrow] [--profile]
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

# The shipped nova.conf snippet: the ZHA configuration is what it enables.
ZHA_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                        'etc', 'nova', 'nova.conf.d', 'zha-scheduler.conf')
ZHA_WEIGHERS_CLASS = 'zha_scheduler.weights.all_weighers'

SITES = 2
DISABLED_EVERY = 97      # one compute service in 97 is disabled
# Host health, per subsystem (network, storage), drawn independently:
# redundant below the first bound, degraded below the second, else the
# subsystem is not monitored (neither trait).
HEALTH_REDUNDANT = 0.95
HEALTH_DEGRADED = 0.99
# Storage consistency groups: (name, share of the hosts reaching it), each on
# randomly chosen hosts; the ha request names REQUESTED_GROUP.
CONSISTENCY_GROUPS = (('prod-db', 0.60), ('erp', 0.25), ('backup', 0.10))
REQUESTED_GROUP = 'prod-db'
# Flavor extra specs of the benchmarked request, by --request.
REQUEST_KINDS = {
    'ha': {'zha:redundancy': 'required',
           'zha:consistency_group': REQUESTED_GROUP},
    'group': {},
}
TARGET_RATIO = 1.3       # issue 4: <= 1.3 with every ZHA filter and weigher


# --------------------------------------------------------------------------
# Set-up of Nova (configuration, logging, objects)
# --------------------------------------------------------------------------

def setup_nova(zha_conf):
    """Load the shipped ZHA snippet into CONF and silence logs below WARNING.

    :returns: CONF and the two configurations, each a dict with
        ``enabled_filters`` and ``weight_classes``: ``zha`` as the snippet
        sets them, ``baseline`` as Nova's option defaults.
    """
    logging.basicConfig(level=logging.WARNING,
                        format='%(levelname)s %(name)s: %(message)s')
    for name in ('nova', 'zha_scheduler', 'oslo_concurrency', 'stevedore'):
        logging.getLogger(name).setLevel(logging.WARNING)

    import nova.conf
    from nova.conf import scheduler as nova_scheduler_conf
    from nova import objects
    import zha_scheduler.conf  # noqa: F401  registers [zha_scheduler]

    if not os.path.isfile(zha_conf):
        raise SystemExit('ZHA configuration not found: %s' % zha_conf)
    objects.register_all()
    conf = nova.conf.CONF
    # As nova-scheduler reads a file of /etc/nova/nova.conf.d/: every option
    # it sets ([filter_scheduler] and [zha_scheduler]) applies, the others
    # keep their defaults.
    conf([], project='nova', default_config_files=[zha_conf],
         default_config_dirs=[])
    zha = {'enabled_filters': list(conf.filter_scheduler.enabled_filters),
           'weight_classes': list(conf.filter_scheduler.weight_classes)}
    if ZHA_WEIGHERS_CLASS not in zha['weight_classes']:
        raise SystemExit('%s: weight_classes does not name %s'
                         % (zha_conf, ZHA_WEIGHERS_CLASS))
    defaults = {opt.name: opt.default
                for opt in nova_scheduler_conf.filter_scheduler_opts}
    baseline = {'enabled_filters': list(defaults['enabled_filters']),
                'weight_classes': list(defaults['weight_classes'])}
    return conf, {'baseline': baseline, 'zha': zha}


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
        # Consistency groups from their own stream, so the Nova side of the
        # cloud (and the health traits) stay those of earlier versions; each
        # group on exactly its share of the hosts, picked at random.
        cg_rng = random.Random(seed + 1000)
        group_hosts = {group: set(cg_rng.sample(range(n_hosts),
                                                round(share * n_hosts)))
                       for group, share in CONSISTENCY_GROUPS}
        self.cell_uuid = str(uuid_lib.UUID(int=rng.getrandbits(128),
                                           version=4))
        self.hosts = []
        self.cpc_of = {}                  # host name -> CPC id
        self.traits_of = {}               # provider uuid -> ZHA traits
        self.name_of = {}                 # provider uuid -> provider name
        self.zha_traits = {}              # host name -> ZHA traits
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
                found.add(traits.STANDBY)     # one standby LPAR per CPC
            for group, members in group_hosts.items():
                if i in members:
                    found.add(traits.consistency_group_trait(group))
            found.discard(None)
            self.traits_of[node_uuid] = found
            self.name_of[node_uuid] = name
            self.zha_traits[name] = found
        self.cpcs = sorted(set(self.cpc_of.values()))
        self.placement = FakePlacement(self.traits_of, self.name_of)

    def flags(self, name, kind):
        """What a member on this host breaks, from the synthetic traits.

        :returns: a set of ``standby``, ``degraded`` (network or storage)
            and ``no group`` (lacks the requested consistency group; only
            for the ``ha`` request), plus ``unmonitored`` (allowed:
            ``unmonitored_hosts = pass``).
        """
        from zha_scheduler import traits

        found = self.zha_traits[name]
        flags = set()
        if traits.STANDBY in found:
            flags.add('standby')
        if found & {traits.NET_DEGRADED, traits.STORAGE_DEGRADED}:
            flags.add('degraded')
        if not found & {traits.NET_REDUNDANT, traits.NET_DEGRADED} or not (
                found & {traits.STORAGE_REDUNDANT, traits.STORAGE_DEGRADED}):
            flags.add('unmonitored')
        if REQUEST_KINDS[kind].get('zha:consistency_group') and (
                traits.consistency_group_trait(REQUESTED_GROUP) not in found):
            flags.add('no group')
        return flags

    def health_summary(self):
        """Counts of the synthetic ZHA health and group traits."""
        from zha_scheduler import traits

        count = collections.Counter()
        for found in self.zha_traits.values():
            net = (traits.NET_REDUNDANT in found, traits.NET_DEGRADED in found)
            sto = (traits.STORAGE_REDUNDANT in found,
                   traits.STORAGE_DEGRADED in found)
            degraded = net[1] + sto[1]
            if degraded == 2:
                count['degraded both'] += 1
            elif degraded:
                count['degraded one'] += 1
            elif not any(net) or not any(sto):
                count['unmonitored'] += 1
            else:
                count['redundant'] += 1
            count['standby'] += traits.STANDBY in found
            for group, _share in CONSISTENCY_GROUPS:
                count['cg ' + group] += (
                    traits.consistency_group_trait(group) in found)
        return count

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
    if roll < HEALTH_REDUNDANT:
        return redundant
    if roll < HEALTH_DEGRADED:
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

def new_request(group_size, rng, kind='ha'):
    """A RequestSpec for a multi-create of a whole anti-affinity group.

    :param kind: a key of REQUEST_KINDS: ``ha`` adds the flavor extra specs
        ``zha:redundancy=required`` and ``zha:consistency_group``, ``group``
        asks for nothing but the group.
    """
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
        extra_specs=dict({'capabilities:hypervisor_type': 'QEMU',
                          'hw:cpu_policy': 'shared'}, **REQUEST_KINDS[kind]))
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
                     narrow=False, kind='ha'):
    """Schedule one multi-create request.

    :param kind: the request, a key of REQUEST_KINDS.
    :param narrow: feed each pass the sorted hosts of the previous pass, as
        SchedulerManager._schedule does (``hosts = self._get_sorted_hosts(
        spec_obj, hosts, num)``). By default the first pass sees all hosts
        and every later pass sees all the hosts that passed the first.
    :returns: a RequestResult.
    """
    from nova import objects

    filter_handler, enabled, weight_handler, weighers = pipeline
    spec, member_uuids = new_request(group_size, rng, kind)
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
    placement.set_view(view)
    members.set_locator(members.MemberLocator(reader=table.read_members))
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
              'vocabulary': cloud.placement.vocabulary,
              'health': cloud.health_summary()}

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
    # Every placement of every request, by configuration, for the check of
    # the hosts the members landed on.
    placed = {'baseline': [], 'zha': []}
    before, reads_before = cloud.placement.calls, table.reads
    t0 = time.perf_counter()
    done = schedule_request(cloud, pipelines['zha'], args.group_size, rng,
                            table, True, args.narrow, args.request)
    result['cold_request_ms'] = (time.perf_counter() - t0) * 1000
    result['cold_calls'] = cloud.placement.calls - before
    result['reads_per_request'] = table.reads - reads_before
    placed['zha'].extend(done.picks)
    before = cloud.placement.calls
    done = schedule_request(cloud, pipelines['zha'], args.group_size, rng,
                            table, True, args.narrow, args.request)
    result['warm_calls'] = cloud.placement.calls - before
    placed['zha'].extend(done.picks)

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
                name == 'zha', args.narrow, args.request)
            placed[name].extend(done.picks)
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
            'placed': len(placed[name]),
            'flags': collections.Counter(
                flag for h in placed[name]
                for flag in cloud.flags(h, args.request)),
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


def zha_additions(pipelines):
    """The filters and weighers of the ZHA configuration not in the baseline.

    :returns: (filters, weighers), instances in pipeline order.
    """
    _fh, base_filters, _wh, base_weighers = pipelines['baseline']
    _fh, zha_filters, _wh, zha_weighers = pipelines['zha']
    base_f = {type(f).__name__ for f in base_filters}
    base_w = {type(w).__name__ for w in base_weighers}
    return ([f for f in zha_filters if type(f).__name__ not in base_f],
            [w for w in zha_weighers if type(w).__name__ not in base_w])


def component_costs(cloud, pipelines, args, table):
    """Time what ZHA adds to a request, on the same full host list.

    In a request the ZHA filters remove hosts (standby, degraded, without the
    consistency group, in CPCs already used), so Nova's weighers see fewer
    hosts than in the baseline, which hides ZHA's own cost. Here every piece
    runs over all hosts in the state of the middle pass of a request (half of
    the group already placed, one per CPC, on hosts the request may use):
    each added filter's filter_all alone, and the added weighers inside
    HostWeightHandler.get_weighed_objects (with them minus with none).
    Filters with run_filter_once_per_request cost once per request (pass 1),
    the others and the weighers once per pass.
    """
    fh, base_filters, wh, base_weighers = pipelines['baseline']
    added_filters, added_weighers = zha_additions(pipelines)
    from zha_scheduler import placement
    cloud.refresh_services()
    placement.get_view().invalidate()
    placement.get_view().get()
    rng = random.Random(args.seed + 3)
    spec, member_uuids = new_request(args.group_size, rng, args.request)
    index = args.group_size // 2
    first_of_cpc, usable_of_cpc = {}, {}
    for host in cloud.hosts:
        first_of_cpc.setdefault(cloud.cpc_of[host.host], host.host)
        if not cloud.flags(host.host, args.request) - {'unmonitored'}:
            usable_of_cpc.setdefault(cloud.cpc_of[host.host], host.host)
    spec.instance_group.hosts = [usable_of_cpc.get(c, first_of_cpc[c])
                                 for c in cloud.cpcs[:index]]
    spec.instance_uuid = member_uuids[index]
    hosts = cloud.hosts
    repeat = max(3, args.repeat)
    gc.collect()

    def baseline_pass():
        filtered = fh.get_filtered_objects(base_filters, hosts, spec, index)
        wh.get_weighed_objects(base_weighers, filtered, spec)

    def in_nova(weighers):
        return _median_time(
            lambda: wh.get_weighed_objects(weighers, hosts, spec), repeat)

    weighed = [wh.object_class(h, 0.0) for h in hosts]
    costs = {'baseline_pass': _median_time(baseline_pass, repeat),
             'index': index, 'filters': [], 'weighers': []}
    remaining = hosts
    for f in added_filters:
        costs['filters'].append({
            'name': type(f).__name__,
            'once': f.run_filter_once_per_request,
            's': _median_time(lambda f=f: f.filter_all(hosts, spec), repeat),
            'passing': len(f.filter_all(hosts, spec))})
        remaining = f.filter_all(remaining, spec)
    costs['passing_all'] = len(remaining)
    without = in_nova([])
    for w in added_weighers:
        costs['weighers'].append({
            'name': type(w).__name__,
            's': max(0.0, in_nova([w]) - without),
            'own': _median_time(
                lambda w=w: w.weigh_objects(weighed, spec), repeat)})
    costs['weighers_all'] = max(0.0, in_nova(added_weighers) - without)
    costs['once'] = sum(f['s'] for f in costs['filters'] if f['once'])
    costs['every'] = (sum(f['s'] for f in costs['filters'] if not f['once'])
                      + costs['weighers_all'])
    base = costs['baseline_pass']
    n = args.group_size
    costs['ratio_first'] = 1 + (costs['once'] + costs['every']) / base
    costs['ratio_later'] = 1 + costs['every'] / base
    costs['ratio_request'] = 1 + (costs['once'] + n * costs['every']) / (
        n * base)
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
                     True, args.narrow, args.request)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())   # tottime sum
    zha_dir = os.sep + 'zha_scheduler' + os.sep

    def cum(path, func):
        """Cumulative time of one function; path relative to a package."""
        return sum(v[3] for k, v in stats.stats.items()
                   if k[2] == func and k[0].endswith(os.sep + path))

    def calls(path, func):
        return sum(v[1] for k, v in stats.stats.items()
                   if k[2] == func and k[0].endswith(os.sep + path))

    def is_zha(key):
        return zha_dir in key[0]

    f, w = 'zha_scheduler/filters/', 'zha_scheduler/weights/'
    entries = [
        ('Nova HostFilterHandler.get_filtered_objects (all filters)',
         'nova/filters.py', 'get_filtered_objects'),
        ('Nova HostWeightHandler.get_weighed_objects (all weighers)',
         'nova/weights.py', 'get_weighed_objects'),
        ('ZHA health filters: _ProfileFilter.filter_all (Standby, '
         'Redundancy, CG)', f + 'base.py', 'filter_all'),
        ('  of which ZhaStandbyFilter._passes (per host)',
         f + 'standby.py', '_passes'),
        ('  of which ZhaRedundancyFilter._passes (per host)',
         f + 'redundancy.py', '_passes'),
        ('  of which ZhaConsistencyGroupFilter._passes (per host)',
         f + 'consistency_group.py', '_passes'),
        ('ZhaFailureDomainFilter.filter_all',
         f + 'failure_domain.py', 'filter_all'),
        ('ZhaFailureDomainWeigher.weigh_objects',
         w + 'failure_domain.py', 'weigh_objects'),
        ('ZhaFailureDomainWeigher.weight_multiplier (Nova calls it per host)',
         w + 'failure_domain.py', 'weight_multiplier'),
        ('ZhaRedundancyWeigher.weigh_objects',
         w + 'redundancy.py', 'weigh_objects'),
        ('ZhaRedundancyWeigher.weight_multiplier (Nova calls it per host)',
         w + 'redundancy.py', 'weight_multiplier'),
        ('spread.group_spread (FD filter and weigher, once each per pass)',
         'zha_scheduler/spread.py', 'group_spread'),
        ('GroupSpread.domain_of (per host: FD filter, FD weigher count_for)',
         'zha_scheduler/spread.py', 'domain_of'),
        ('Topology.profile (per host: every ZHA filter and weigher)',
         'zha_scheduler/placement.py', 'profile'),
    ]
    # The entry points Nova calls: everything zha_scheduler runs is below.
    top = [(f + 'base.py', 'filter_all'), (f + 'failure_domain.py',
                                           'filter_all'),
           (w + 'failure_domain.py', 'weigh_objects'),
           (w + 'failure_domain.py', 'weight_multiplier'),
           (w + 'redundancy.py', 'weigh_objects'),
           (w + 'redundancy.py', 'weight_multiplier')]
    zha_total = sum(cum(path, func) for path, func in top)
    print()
    print('cProfile of one warm ZHA request (%s) at %d hosts (profiler '
          'overhead inflates per-call costs; shares are indicative):'
          % (args.request, len(cloud.hosts)))
    print('  total profiled time %.0f ms; all zha_scheduler code (sum of the '
          'entry points Nova calls) %.0f ms, %.1f %%'
          % (total * 1000, zha_total * 1000, 100 * zha_total / total))
    print('  %-72s %8s %8s %6s' % ('cumulative time of', 'calls', 'ms', '%'))
    for label, path, func in entries:
        value = cum(path, func)
        print('  %-72s %8d %8.1f %5.1f%%' % (label, calls(path, func),
                                             value * 1000,
                                             100 * value / total))
    print('  zha_scheduler functions by own time (tottime):')
    rows = sorted(((v[2], v[3], v[1], k) for k, v in stats.stats.items()
                   if is_zha(k)), reverse=True)[:15]
    for tottime, cumtime, ncalls, key in rows:
        path = key[0].split(zha_dir)[-1]
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


def vocabulary_line(vocabulary):
    """The ZHA trait vocabulary by kind, e.g. ``50 CPC, 2 site, ...``."""
    from zha_scheduler import traits

    kinds = collections.Counter()
    for trait in vocabulary:
        parsed = traits.parse(trait)
        kind = parsed[0] if parsed else 'invalid'
        kinds[kind if kind in (traits.CPC, traits.SITE,
                               traits.CONSISTENCY_GROUP, 'invalid')
              else 'fixed'] += 1
    return ', '.join('%d %s' % (kinds[k], label) for k, label in (
        (traits.CPC, 'CPC'), (traits.SITE, 'site'),
        (traits.CONSISTENCY_GROUP, 'consistency group'),
        ('fixed', 'fixed (standby, network/storage health)'),
        ('invalid', 'invalid')) if kinds[k])


def request_rules(conf, kind):
    """What the ZHA filters must enforce for this request and config."""
    from zha_scheduler import request_spec

    spec, _uuids = new_request(1, random.Random(0), kind)
    return {
        'redundancy': (request_spec.redundancy(spec) ==
                       request_spec.REQUIRED),
        'group': bool(request_spec.consistency_groups(spec)),
        'unmonitored_ok': conf.zha_scheduler.unmonitored_hosts == 'pass',
    }


def print_results(results, args, conf):
    w = 100
    print()
    print('Synthetic ZHA traits served by the fake Placement (health per '
          'subsystem: %.0f %% redundant, %.0f %% degraded, %.0f %% '
          'unmonitored)' % (100 * HEALTH_REDUNDANT,
                            100 * (HEALTH_DEGRADED - HEALTH_REDUNDANT),
                            100 * (1 - HEALTH_DEGRADED)))
    for r in results:
        h, n = r['health'], r['hosts']
        print('  %5d hosts: %d redundant network and storage, %d degraded '
              'in one subsystem, %d in both, %d unmonitored (nothing '
              'degraded); %d standby (1 per CPC); consistency groups: %s'
              % (n, h['redundant'], h['degraded one'], h['degraded both'],
                 h['unmonitored'], h['standby'], ', '.join(
                     '%s %d (%.0f %%)' % (g, h['cg ' + g],
                                          100 * h['cg ' + g] / n)
                     for g, _share in CONSISTENCY_GROUPS)))
    print('  request (--request %s): flavor extra specs %s'
          % (args.request, ', '.join(
              '%s=%s' % item for item in sorted(
                  REQUEST_KINDS[args.request].items())) or 'none'))

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
    print('baseline = Nova\'s default enabled_filters and weight_classes; ZHA '
          '= the shipped config (every ZHA filter')
    print('and weigher), both on the same %s request.' % args.request)
    print('req s = sum over the %d pass positions of the median over the %d '
          'repeats (wall clock); pass ms = req / %d.'
          % (args.group_size, args.repeat, args.group_size))
    print('RATIO = ZHA req / baseline req; CPU ratio = the same from process '
          'CPU time (less sensitive to other load).')
    print('First pass alone (index 0: also runs the once-per-request filters, '
          'the ZHA health filters among them;')
    print('no member is placed yet, so ZhaFailureDomainFilter removes no '
          'host), median ms:')
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
    print('From pass 2 on, the ZHA passes see only the hosts that passed its '
          'pass 1 (no standby, degraded or')
    print('group-less host for the ha request) and the FD filter removes the '
          'CPCs used: Nova\'s weighers then')
    print('weigh fewer hosts than in the baseline, which hides ZHA\'s own '
          'cost; the next table shows that cost.')

    print()
    print('What ZHA adds on the same input (all hosts, state of the middle '
          'pass of a request; each piece timed')
    print('alone, median ms)')
    print('-' * w)
    print('%7s | %8s | %11s %11s %12s | %8s %8s | %7s %7s %7s' % (
        'hosts', 'baseline', 'pass-1-only', 'every-pass', 'ZHA weighers',
        'added', 'added', 'ratio', 'ratio', 'ratio'))
    print('%7s | %8s | %11s %11s %12s | %8s %8s | %7s %7s %7s' % (
        '', 'pass', 'ZHA filters', 'ZHA filters', '(in Nova)', 'pass 1',
        'later', 'pass 1', 'later', 'request'))
    print('-' * w)
    for r in results:
        c = r['components']
        every_filters = sum(f['s'] for f in c['filters'] if not f['once'])
        print('%7d | %8.2f | %11.2f %11.2f %12.2f | %8.2f %8.2f | %7.3f '
              '%7.3f %7.3f'
              % (r['hosts'], c['baseline_pass'] * 1000, c['once'] * 1000,
                 every_filters * 1000, c['weighers_all'] * 1000,
                 (c['once'] + c['every']) * 1000, c['every'] * 1000,
                 c['ratio_first'], c['ratio_later'], c['ratio_request']))
    print('-' * w)
    print('pass-1-only = the added filters with run_filter_once_per_request '
          '(Nova runs them in pass 1 only);')
    print('ZHA weighers (in Nova) = HostWeightHandler.get_weighed_objects '
          'with only the ZHA weighers minus with none')
    print('(their weigh_objects + Nova\'s normalize and per-host '
          'weight_multiplier). ratio pass 1 / later = (baseline')
    print('pass + added) / baseline pass; ratio request = (%d x baseline pass '
          '+ pass-1-only + %d x every-pass added)' % (args.group_size,
                                                     args.group_size))
    print('/ (%d x baseline pass): what a request would cost if the ZHA '
          'filters removed no host.' % args.group_size)
    print('Each piece alone (median ms; filters: hosts passing it alone, '
          'of all hosts; weighers: in Nova, and')
    print('their own weigh_objects):')
    comps = [r['components'] for r in results]
    print('  %-27s %-11s' % ('', 'runs') + ''.join(
        ' %20s' % ('%d hosts' % r['hosts']) for r in results))
    for i, f in enumerate(comps[0]['filters']):
        print('  %-27s %-11s' % (f['name'], 'pass 1 only' if f['once']
                                 else 'every pass') + ''.join(
            ' %20s' % ('%.2f (%d pass)' % (c['filters'][i]['s'] * 1000,
                                          c['filters'][i]['passing']))
            for c in comps))
    print('  %-27s %-11s' % ('all ZHA filters chained', '') + ''.join(
        ' %20s' % ('(%d pass)' % c['passing_all']) for c in comps))
    for i, x in enumerate(comps[0]['weighers']):
        print('  %-27s %-11s' % (x['name'], 'every pass') + ''.join(
            ' %20s' % ('%.2f (own %.2f)' % (c['weighers'][i]['s'] * 1000,
                                           c['weighers'][i]['own'] * 1000))
            for c in comps))
    print('  %-27s %-11s' % ('all ZHA weighers together', 'every pass')
          + ''.join(' %20s' % ('%.2f' % (c['weighers_all'] * 1000))
                    for c in comps))

    print()
    print('Placement calls by the ZHA topology view (fake Placement: %d ZHA '
          'traits in the vocabulary:' % len(results[0]['vocabulary']))
    print('%s)' % vocabulary_line(results[0]['vocabulary']))
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
          'warm = the next request (TTL %d s);'
          % (args.group_size, conf.zha_scheduler.trait_cache_ttl))
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
          'spread_domain=%s, max_skew=%d)'
          % (args.group_size, args.cpcs, conf.zha_scheduler.spread_domain,
             conf.zha_scheduler.max_skew))
    print('-' * w)
    limit = conf.zha_scheduler.max_skew
    for r in results:
        for name in ('baseline', 'zha'):
            counts = r[name]['per_cpc']
            hist = collections.Counter(counts.values())
            hist[0] = args.cpcs - len(counts)
            broken = (name == 'zha' and r[name]['max_skew'] > limit and
                      args.group_size > 1)
            print('%5d hosts %-8s max members in one CPC %d, max skew '
                  'observed %d%s; CPCs by members: %s' % (
                      r['hosts'], name, max(counts.values()),
                      r[name]['max_skew'],
                      ' (LIMIT %d BROKEN)' % limit if broken else '',
                      ', '.join('%d CPCs hold %d' % (hist[k], k)
                                for k in sorted(hist))))
        z = r['zha']['per_cpc']
        print('%5d hosts ZHA final placement, members per CPC: %s' % (
            r['hosts'], ' '.join('%s:%d' % (c, z[c]) for c in sorted(z))))
    print('-' * w)
    print('max skew = max over CPCs - min over all %d CPCs of the members '
          'placed, checked after every pass of every timed request.'
          % args.cpcs)

    rules = request_rules(conf, args.request)
    checks = [('standby', 'on a standby host', True),
              ('degraded', 'on a degraded host', rules['redundancy']),
              ('no group', 'without consistency group %s' % REQUESTED_GROUP,
               rules['group']),
              ('unmonitored', 'on an unmonitored host',
               rules['redundancy'] and not rules['unmonitored_ok'])]
    print()
    print('Host check (every member placed: ZHA cold, warm and timed '
          'requests; baseline timed requests)')
    print('-' * w)
    for r in results:
        for name in ('baseline', 'zha'):
            flags = r[name]['flags']
            parts = []
            for flag, label, forbidden in checks:
                if flag == 'no group' and not rules['group']:
                    continue
                parts.append('%s %d%s' % (
                    label, flags[flag],
                    '' if not forbidden else
                    ' (BROKEN)' if name == 'zha' and flags[flag] else
                    ' (must be 0)' if name == 'zha' else ''))
            print('%5d hosts %-8s %d members placed: %s' % (
                r['hosts'], name, r[name]['placed'], ', '.join(parts)))
    print('-' * w)
    print('must be 0 for ZHA: standby always (ZhaStandbyFilter)%s%s; '
          'allowed: %s.' % (
              ', degraded (zha:redundancy=required)'
              if rules['redundancy'] else '',
              ', without the group (zha:consistency_group)'
              if rules['group'] else '',
              ', '.join(label for flag, label, forbidden in checks
                        if not forbidden and (flag != 'no group' or
                                              rules['group']))
              + (' (unmonitored_hosts = pass)'
                 if rules['redundancy'] and rules['unmonitored_ok'] else '')
              or 'nothing else'))
    print('The baseline (Nova alone) is shown for reference: it does not '
          'know these traits.')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark Nova\'s filter/weigh pipeline with its '
                    'defaults and with every ZHA filter and weigher (as the '
                    'shipped nova.conf snippet enables them) over synthetic '
                    'IBM Z clouds, and count the Placement calls of the ZHA '
                    'topology view.')
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
        '--request', choices=sorted(REQUEST_KINDS), default='ha',
        help='the benchmarked request: ha = flavor extra specs '
             'zha:redundancy=required and zha:consistency_group=%s (a group '
             'on about %.0f %% of the hosts), exercising every ZHA filter '
             'and weigher; group = the anti-affinity group alone (default: '
             '%%(default)s)' % (REQUESTED_GROUP,
                               100 * dict(CONSISTENCY_GROUPS)[REQUESTED_GROUP]))
    parser.add_argument(
        '--zha-conf', default=os.path.normpath(ZHA_CONF), metavar='FILE',
        help='nova.conf snippet whose [filter_scheduler] and [zha_scheduler] '
             'options make the ZHA configuration (default: the shipped '
             'etc/nova/nova.conf.d/zha-scheduler.conf)')
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


def _report_unused(pipelines):
    """Say which ZHA plugins are installed but not in the ZHA pipeline."""
    from zha_scheduler import filters as zha_filters
    from zha_scheduler import weights as zha_weights

    _fh, enabled, _wh, weighers = pipelines['zha']
    used = {type(x).__name__ for x in list(enabled) + list(weighers)}
    unused = sorted(cls.__name__ for cls in (zha_filters.all_filters() +
                                             zha_weights.all_weighers())
                    if cls.__name__ not in used)
    print('ZHA plugins installed but not enabled: %s'
          % (', '.join(unused) or 'none (all ZHA filters and weighers on)'))


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    conf, configs = setup_nova(args.zha_conf)
    print(machine_line())
    print(code_line())
    pipelines = {name: load_pipeline(conf, config['enabled_filters'],
                                     config['weight_classes'])
                 for name, config in configs.items()}
    print('baseline = Nova\'s defaults; ZHA = [filter_scheduler] '
          'enabled_filters and weight_classes of %s' % args.zha_conf)
    for name, (_fh, enabled, _wh, weighers) in pipelines.items():
        print('%-8s filters: %s' % (name, ', '.join(
            type(f).__name__ for f in enabled)))
        print('%-8s weighers (%d): %s' % ('', len(weighers), ', '.join(
            type(w).__name__ for w in weighers)))
    _report_unused(pipelines)
    print('[zha_scheduler] from that file: %s' % ', '.join(
        '%s = %s' % (opt, getattr(conf.zha_scheduler, opt)) for opt in (
            'spread_domain', 'max_skew', 'trait_cache_ttl',
            'require_redundancy', 'unmonitored_hosts',
            'failure_domain_weight_multiplier',
            'redundancy_weight_multiplier')))
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
    print_results(results, args, conf)
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
