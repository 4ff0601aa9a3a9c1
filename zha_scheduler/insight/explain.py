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

"""Replay one scheduling request through Nova's pipeline and say what happened.

Placement's candidate query is replayed by ``candidates``; every enabled
filter then runs through its own ``filter_all``, as Nova's filter handler
calls it, with the DEBUG messages it logs captured per host as the reason;
the weighers run as Nova's weight handler runs them, with each weigher's
share kept. Nothing is written anywhere.
"""

import contextlib
import dataclasses
import gc
import logging as std_logging
import uuid as uuid_lib
from collections.abc import Iterator, Mapping
from typing import Any

from zha_scheduler.insight import candidates
from zha_scheduler.insight import hoststates
from zha_scheduler.insight import pipeline
from zha_scheduler.insight import snapshot
from zha_scheduler.insight import sources
from zha_scheduler import model

PASSED = 'passed'
PLACEMENT = 'Placement'
# Nova's server group filters log the check they make, not its outcome.
_PLAIN = {
    'ServerGroupAntiAffinityFilter':
        'already holds as many members of the anti-affinity server group as '
        'its rules allow',
    'ServerGroupAffinityFilter':
        'is not the host of the affinity server group',
}
# Loggers whose DEBUG messages say why a filter turned a host away.
_REASON_LOGGERS = ('nova', 'zha_scheduler')


@dataclasses.dataclass
class Request:
    """What to explain: a flavor, image properties, hints and a group."""

    flavor: model.Flavor
    image_properties: dict[str, Any] = dataclasses.field(default_factory=dict)
    hints: dict[str, Any] = dataclasses.field(default_factory=dict)
    group: model.Group | None = None
    project_id: str = 'zha-explain'


@dataclasses.dataclass
class HostVerdict:
    """One host's fate: where it was turned away, or its weights and rank."""

    host: str
    node: str
    cpc: str | None
    site: str | None
    rejected_by: str | None = None
    reason: str | None = None
    weights: dict[str, float] = dataclasses.field(default_factory=dict)
    weight: float | None = None
    rank: int | None = None


@dataclasses.dataclass
class Explanation:
    """The verdict on every host, the filters' counts and Nova's choice."""

    request: dict[str, Any]
    placement_query: str
    steps: list[dict[str, Any]]
    hosts: list[HostVerdict]
    chosen: str | None
    tied: int

    def to_dict(self) -> dict[str, Any]:
        return {'request': self.request,
                'placement_query': self.placement_query,
                'steps': self.steps, 'chosen': self.chosen,
                'tied_for_first': self.tied,
                'hosts': [dataclasses.asdict(h) for h in self.hosts]}


class _Records(std_logging.Handler):
    """Keeps every log record emitted while a filter runs."""

    def __init__(self) -> None:
        super().__init__(std_logging.DEBUG)
        self.records: list[std_logging.LogRecord] = []

    def emit(self, record: std_logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _capture(level: int = std_logging.DEBUG) -> Iterator[_Records]:
    """Keep the records of Nova's and our loggers from ``level`` up.

    Those from WARNING up are passed on to the loggers' handlers at the
    end, in order.
    """
    handler = _Records()
    saved = []
    for name in _REASON_LOGGERS:
        logger = std_logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        # The DEBUG flood is for us alone; warnings are passed on below.
        logger.setLevel(level)
        logger.propagate = False
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        for record in handler.records:
            if record.levelno >= std_logging.WARNING:
                std_logging.getLogger(record.name).handle(record)


def _label(state: Any) -> str:
    return state.host if state.host == state.nodename else '%s (%s)' % (
        state.host, state.nodename)


def _reasons(records: list[std_logging.LogRecord],
             states: list[Any]) -> dict[int, str]:
    """The message each host drew, by id() of its HostState.

    Filters log a rejection with the HostState among the arguments, in
    Nova's wording; the HostState's long repr is replaced by the host name.
    """
    by_id = {id(s): s for s in states}
    # Some of Nova's filters log the host name instead of the HostState.
    by_name = {s.host: id(s) for s in states}
    found: dict[int, str] = {}
    for record in records:
        args = record.args
        values = list(args.values() if isinstance(args, Mapping)
                      else args if isinstance(args, tuple) else ())
        hits = [id(v) for v in values if id(v) in by_id]
        if not hits:
            hits = [by_name[v] for v in values
                    if isinstance(v, str) and v in by_name]
        if not hits:
            continue
        if isinstance(args, Mapping):
            args = {k: _label(v) if id(v) in by_id else v
                    for k, v in args.items()}
        else:
            args = tuple(_label(v) if id(v) in by_id else v for v in values)
        try:
            text = str(record.msg) % args
        except (TypeError, ValueError, KeyError):
            text = record.getMessage()
        for hit in hits:
            found.setdefault(hit, text)
    return found


def _summary(request: Request) -> dict[str, Any]:
    flavor = request.flavor
    return {'flavor': flavor.name, 'resources': flavor.resources,
            'extra_specs': flavor.extra_specs,
            'image_properties': request.image_properties,
            'hints': request.hints,
            'group': None if request.group is None else {
                'uuid': request.group.uuid, 'name': request.group.name,
                'policy': request.group.policy}}


def request_spec(request: Request, snap: snapshot.Snapshot) -> Any:
    """A new instance's RequestSpec, as the API hands it to the scheduler."""
    from nova import objects

    instance_uuid = str(uuid_lib.uuid4())
    flavor = request.flavor
    hints = {k: v if isinstance(v, list) else [v]
             for k, v in request.hints.items()}
    group = None
    if request.group is not None:
        g = request.group
        # Only the members by uuid, not all 50,000 instances of the cloud.
        wanted = set(g.members)
        found = {i.uuid: i for i in snap.instances if i.uuid in wanted}
        placed = snapshot.placed(snapshot.members_of(g, found))
        # The API adds the new instance to the group before scheduling it.
        group = objects.InstanceGroup(
            uuid=g.uuid, name=g.name,
            project_id=g.project_id or request.project_id,
            user_id='zha-explain', policy=g.policy, policies=[g.policy],
            rules=dict(g.rules), members=list(g.members) + [instance_uuid],
            hosts=sorted({m.host for m in placed if m.host}))
        hints.setdefault('group', [g.uuid])
    spec = objects.RequestSpec(
        instance_uuid=instance_uuid, project_id=request.project_id,
        user_id='zha-explain', num_instances=1, instance_group=group,
        flavor=objects.Flavor(
            id=1, flavorid=flavor.id or flavor.name, name=flavor.name,
            memory_mb=flavor.ram, vcpus=flavor.vcpus, root_gb=flavor.disk,
            ephemeral_gb=flavor.ephemeral, swap=flavor.swap, rxtx_factor=1.0,
            vcpu_weight=0, disabled=False, is_public=True,
            extra_specs=dict(flavor.extra_specs)),
        image=objects.ImageMeta.from_dict({
            'id': str(uuid_lib.uuid4()), 'name': 'explain',
            'disk_format': 'qcow2',
            'container_format': 'bare', 'min_ram': 0, 'min_disk': 0,
            'properties': dict(request.image_properties)}),
        ignore_hosts=None, force_hosts=None, force_nodes=None,
        requested_destination=None, scheduler_hints=hints, numa_topology=None,
        pci_requests=objects.InstancePCIRequests(requests=[]),
        availability_zone=None, is_bfv=False, limits=None, retry=None)
    spec.obj_reset_changes()
    return spec


def _weigh(weighers: list[Any], states: list[Any], spec: Any
           ) -> list[tuple[Any, float, dict[str, float]]]:
    """Nova's ``BaseWeightHandler.get_weighed_objects``, keeping each share."""
    from nova.scheduler import weights
    from nova import weights as nova_weights

    weighed = [weights.WeighedHost(s, 0.0) for s in states]
    shares: list[dict[str, float]] = [{} for _ in states]
    if len(weighed) > 1:
        for weigher in weighers:
            raw = weigher.weigh_objects(weighed, spec)
            normal = nova_weights.normalize(raw, minval=weigher.minval,
                                            maxval=weigher.maxval)
            # Looked up once per weigher, not once per host and weigher
            # (75,000 times at 5,000 hosts); the sums are Nova's, in order.
            name = type(weigher).__name__
            multiplier = weigher.weight_multiplier
            for item, kept, value in zip(weighed, shares, normal):
                share = multiplier(item.obj) * value
                item.weight += share
                kept[name] = share
    order = sorted(range(len(weighed)), key=lambda i: weighed[i].weight,
                   reverse=True)
    return [(weighed[i].obj, weighed[i].weight, shares[i]) for i in order]


def explain(snap: snapshot.Snapshot, request: Request,
            conf: Any) -> Explanation:
    """Run the request through Placement's step and Nova's pipeline.

    :param conf: Nova's configuration (``nova.conf.CONF`` loaded from
        nova.conf), which names the filters and weighers.
    :raises pipeline.PipelineError: when nova.conf's pipeline cannot load.
    """
    # The snapshot lives as long as the run and holds no garbage: frozen,
    # the collector's passes over the pipeline's short-lived objects do
    # not walk its 50,000 instances each time (about 20% of the CPU).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _explain(snap, request, conf)
    finally:
        if enabled:
            gc.enable()


def _explain(snap: snapshot.Snapshot, request: Request,
             conf: Any) -> Explanation:
    loaded = pipeline.load(conf)
    asked = candidates.query(request.flavor, request.image_properties)
    by_host: dict[int, HostVerdict] = {}
    returned, returned_verdicts = [], []
    for host, reason in zip(snap.hosts,
                            candidates.rejections(snap.hosts, asked)):
        profile = snap.profile(host)
        verdict = HostVerdict(host.name, host.node, profile.cpc, profile.site)
        by_host[id(host)] = verdict
        verdict.reason = reason
        if reason:
            verdict.rejected_by = PLACEMENT
        else:
            returned.append(host)
            returned_verdicts.append(verdict)
    # HostStates only for what Placement returns, as in nova-scheduler.
    alive = hoststates.host_states(snap, returned)
    verdicts = {id(state): verdict for state, verdict
                in zip(alive, returned_verdicts, strict=True)}
    steps = [{'step': PLACEMENT, 'start': len(snap.hosts),
              'end': len(alive)}]
    with sources.replay(snap):
        spec = request_spec(request, snap)
        for filter_obj in loaded.filters:
            if not alive:
                break
            if not filter_obj.run_filter_for_index(0):
                continue
            name = type(filter_obj).__name__
            # A filter whose reason is _PLAIN's needs no DEBUG records: the
            # anti-affinity filter logs one per host, 5,000 LogRecords made
            # for nothing (0.05 to 0.1 s of CPU).
            with _capture(std_logging.WARNING if name in _PLAIN
                          else std_logging.DEBUG) as captured:
                passed = list(filter_obj.filter_all(list(alive), spec) or [])
            kept = {id(s) for s in passed}
            rejected = [s for s in alive if id(s) not in kept]
            reasons = _reasons(captured.records, rejected)
            for state in rejected:
                verdict = verdicts[id(state)]
                verdict.rejected_by = name
                verdict.reason = (_PLAIN.get(name) or reasons.get(id(state)) or
                                  _default_reason(filter_obj))
            steps.append({'step': name, 'start': len(alive),
                          'end': len(passed)})
            alive = passed
        ranked = _weigh(loaded.weighers, alive, spec)
    for rank, (state, weight, shares) in enumerate(ranked, 1):
        verdict = verdicts[id(state)]
        verdict.rank, verdict.weight, verdict.weights = rank, weight, shares
    ordered = ([verdicts[id(s)] for s, _, _ in ranked] +
               [v for v in by_host.values() if v.rank is None])
    tied = sum(1 for _, w, _ in ranked if ranked and w == ranked[0][1])
    return Explanation(request=_summary(request), placement_query=str(asked),
                       steps=steps, hosts=ordered,
                       chosen=ranked[0][0].host if ranked else None, tied=tied)


def _default_reason(filter_obj: Any) -> str:
    doc = (type(filter_obj).__doc__ or '').strip().splitlines()
    return 'rejected by %s%s' % (type(filter_obj).__name__,
                                 ': ' + doc[0] if doc else '')
