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

"""``zha-scheduler explain``: why each host would take a request or not."""

import argparse
import json
from typing import Any

from zha_scheduler.cmd.commands import _insight


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        'explain', help="show, host by host, what Nova's filters and weighers "
        'decide for a flavor, image and hints',
        description="Runs the request through Placement's candidate step and "
        'the filters and weighers nova.conf enables, over the live hosts or a '
        'saved snapshot, and prints for each host the filter that rejected it '
        'and why, or its weight per weigher and its rank. Read-only.')
    _insight.add_source_arguments(parser)
    parser.add_argument('--flavor', required=True, help='flavor name or id')
    parser.add_argument('--image', metavar='ID',
                        help='image whose properties to use (live cloud only)')
    parser.add_argument('--image-property', action='append',
                        metavar='KEY=VALUE',
                        help='an image property, e.g. hw_architecture=s390x; '
                        'may be repeated')
    parser.add_argument('--group',
                        help='server group (uuid or name) the instance joins')
    parser.add_argument('--hint', action='append', metavar='KEY=VALUE',
                        help='a scheduler hint, e.g. zha_spread_domain=site; '
                        'may be repeated')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, conn: Any = None) -> int:
    """Explain the request; ``conn`` replaces the one from [nova] (tests)."""
    from zha_scheduler.insight import explain
    from zha_scheduler.insight import pipeline
    from zha_scheduler.insight import snapshot

    _insight.quiet_logs()
    try:
        conf = _insight.load_conf(args)
        image_properties = _insight.key_values(args.image_property,
                                               '--image-property')
        hints = _insight.key_values(args.hint, '--hint')
        if args.image and args.snapshot:
            raise _insight.UsageError('--image reads the live cloud: with '
                                      '--snapshot give --image-property '
                                      'instead')
        if args.image:
            conn = conn if conn is not None else _insight.connection(conf)
            image_properties = dict(_image_properties(conn, args.image),
                                    **image_properties)
        snap = _insight.read_snapshot(args, conf, conn)
        request = explain.Request(
            flavor=snap.find_flavor(args.flavor),
            image_properties=image_properties, hints=hints,
            group=snap.find_group(args.group) if args.group else None)
        result = explain.explain(snap, request, conf)
    except (_insight.UsageError, snapshot.SnapshotError,
            pipeline.PipelineError) as exc:
        return _insight.fail('explain', exc)
    if args.format == 'json':
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(render(result, conf))
    return _insight.EXIT_OK


def _image_properties(conn: Any, image_id: str) -> dict[str, Any]:
    try:
        image = conn.image.get_image(image_id)
    except Exception as exc:
        raise _insight.UsageError('cannot read image %s: %s'
                                  % (image_id, exc)) from None
    return dict(image.properties or {})


def render(result: Any, conf: Any) -> str:
    """The explanation as a table an operator reads top to bottom."""
    req = result.request
    res = req['resources']
    lines = ['Request: flavor %s (%d VCPU, %d MB RAM, %d GB disk)' % (
        req['flavor'], res['VCPU'], res['MEMORY_MB'], res['DISK_GB'])]
    for label, values in (('extra specs', req['extra_specs']),
                          ('image properties', req['image_properties']),
                          ('hints', req['hints'])):
        if values:
            lines.append('  %s: %s' % (label, ', '.join(
                '%s=%s' % kv for kv in sorted(values.items()))))
    if req['group']:
        lines.append('  server group: %(name)s (%(uuid)s, %(policy)s)'
                     % req['group'])
    lines.append('Placement query: %s' % result.placement_query)
    lines.append('Hosts left after each step: ' + ', '.join(
        '%s %d' % (s['step'], s['end']) for s in result.steps))
    lines.append('')
    rows = [('RANK', 'HOST', 'CPC', 'SITE', 'WEIGHT',
             'WEIGHERS / REJECTED BY')]
    for host in result.hosts:
        if host.rank is None:
            detail = '%s: %s' % (host.rejected_by, host.reason)
            rows.append(('-', host.host, host.cpc or '?', host.site or '-',
                         '-', detail))
        else:
            shares = sorted(((w, s) for w, s in host.weights.items() if s),
                            key=lambda item: -abs(item[1]))
            detail = (', '.join('%s %+.3f' % (w, s) for w, s in shares) or
                      'all weighers 0')
            rows.append((str(host.rank), host.host, host.cpc or '?',
                         host.site or '-', '%.3f' % host.weight, detail))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        lines.append('  '.join(cell.ljust(widths[i]) if i < 5 else cell
                               for i, cell in enumerate(row)).rstrip())
    lines.append('')
    if result.chosen is None:
        lines.append('No host passes: Nova answers NoValidHost.')
    else:
        subset = conf.filter_scheduler.host_subset_size
        shuffle = conf.filter_scheduler.shuffle_best_same_weighed_hosts
        if subset > 1:
            lines.append('Nova picks at random among the first %d hosts '
                         '(host_subset_size).' % subset)
        elif result.tied > 1 and shuffle:
            lines.append('Nova picks at random among the %d hosts tied first '
                         '(shuffle_best_same_weighed_hosts).' % result.tied)
        else:
            lines.append('Nova would choose %s.' % result.chosen)
    return '\n'.join(lines)
