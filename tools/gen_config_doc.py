#!/usr/bin/env python3
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

"""Render doc/configuration.md from the options in the code.

The options come from the ``oslo.config.opts`` entry points that also feed
the sample config files, so the page lists exactly what the services read.
Run it after changing an option, from the repository root:

    .venv/bin/python tools/gen_config_doc.py  # writes doc/configuration.md
    .venv/bin/python tools/gen_config_doc.py --output -  # prints it
"""

import argparse
import importlib.metadata
import os
import sys

from oslo_config import cfg

from zha_scheduler.conf import agent as agent_conf
from zha_scheduler.conf import evacuate as evacuate_conf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
OUTPUT = os.path.join('doc', 'configuration.md')
REGENERATE = '.venv/bin/python tools/gen_config_doc.py'

#: The entry points (``oslo.config.opts`` names) of the three programs.
NAMESPACES = ('zha_scheduler', 'zha_scheduler.agent', 'zha_scheduler.evacuate')

#: Where each ZHA group is set, and its sample file.
WHERE = {
    'zha_scheduler': (
        'nova.conf (or a file in nova.conf.d) on every nova-scheduler host; '
        'read by the ZHA filters and weighers. Restart nova-scheduler after '
        'a change.', 'etc/zha-scheduler.conf.sample'),
    'zha_agent': (
        '`/etc/zha-scheduler/zha-trait-agent.conf` on every compute host; '
        'read by `zha-trait-agent`. Restart `zha-trait-agent.service` after '
        'a change.', 'etc/zha-trait-agent.conf.sample'),
    'zha_evacuate': (
        '`/etc/zha-scheduler/zha-evacuate.conf` where `zha-evacuate` runs; '
        'read at the start of each run. Restart '
        '`zha-evacuate-watch.service` after a change.',
        'etc/zha-evacuate.conf.sample'),
}

#: keystoneauth groups: the program using each and how it registers it.
KSA_GROUPS = {
    'placement': ('zha-trait-agent', 'Placement',
                  agent_conf.register_placement_opts),
    'nova': ('zha-evacuate', 'Nova (and Placement, through the same '
             'session)', evacuate_conf.register_nova_opts),
}

TYPE_NAMES = {'floating point': 'float', 'list': 'list (comma-separated)'}
PYTHON_TYPES = {str: 'string', int: 'integer', float: 'float', bool: 'boolean'}


def load_groups():
    """Return ``{group name: (OptGroup or None, [Opt])}`` in entry point
    order.
    """
    found = {}
    eps = importlib.metadata.entry_points(group='oslo.config.opts')
    by_name = {ep.name: ep for ep in eps}
    for namespace in NAMESPACES:
        if namespace not in by_name:
            raise SystemExit('entry point oslo.config.opts %s is missing: '
                             'install the package (pip install -e .)'
                             % namespace)
        for group, opts in by_name[namespace].load()():
            name = group.name if isinstance(group, cfg.OptGroup) else group
            entry = found.setdefault(
                name, (group if isinstance(group, cfg.OptGroup) else None, []))
            known = {opt.dest for opt in entry[1]}
            entry[1].extend(opt for opt in opts if opt.dest not in known)
    return found


def rst_to_md(text):
    """Help texts are written for oslo's RST output: ``x`` becomes `x`."""
    return (text or '').strip().replace('``', '`')


def type_text(opt):
    """Type of an option, with its bounds and choices."""
    type_ = opt.type
    if isinstance(type_, type):
        # keystoneauth's plugin options carry a Python type.
        name = PYTHON_TYPES.get(type_, type_.__name__)
    else:
        name = getattr(type_, 'type_name', type(type_).__name__)
    name = name.replace(' value', '')
    name = TYPE_NAMES.get(name, name)
    if getattr(type_, 'choices', None):
        name += ': ' + ', '.join('`%s`' % c for c in type_.choices)
    bounds = []
    if getattr(type_, 'min', None) is not None:
        bounds.append('min %s' % type_.min)
    if getattr(type_, 'max', None) is not None:
        bounds.append('max %s' % type_.max)
    if bounds:
        name += ' (%s)' % ', '.join(bounds)
    if opt.secret:
        name += ', secret'
    return name


def default_text(value):
    if value is None or value == []:
        return 'unset'
    if isinstance(value, bool):
        return '`%s`' % str(value).lower()
    if isinstance(value, (list, tuple)):
        return '`%s`' % ','.join(str(v) for v in value)
    return '`%s`' % value


def first_sentence(text):
    text = ' '.join(rst_to_md(text).split())
    end = text.find('. ')
    return text if end < 0 else text[:end + 1]


def render_zha_group(name, group, opts):
    where, sample = WHERE.get(name, ('', ''))
    lines = ['## [%s]' % name, '']
    if group is not None and group.help:
        lines += [rst_to_md(group.help), '']
    if where:
        lines += ['Set in %s Sample: [`%s`](../%s).' % (where, sample, sample),
                  '']
    lines += ['| option | type | default |', '|---|---|---|']
    lines += ['| `%s` | %s | %s |' % (opt.dest, type_text(opt),
                                      default_text(opt.default))
              for opt in opts]
    lines.append('')
    for opt in opts:
        lines += ['### `%s`' % opt.dest, '',
                  'Type: %s. Default: %s.' % (type_text(opt),
                                              default_text(opt.default)),
                  '', rst_to_md(opt.help), '']
        choices = getattr(opt.type, 'choices', None) or {}
        described = [(c, d) for c, d in choices.items() if d]
        if described:
            lines += ['Values:', '']
            lines += ['- `%s`: %s' % (c, rst_to_md(d)) for c, d in described]
            lines.append('')
    return lines


def render_ksa_groups(groups):
    names = [n for n in groups if n in KSA_GROUPS]
    option_sets = {n: [opt.dest for opt in groups[n][1]] for n in names}
    if len({tuple(v) for v in option_sets.values()}) > 1:
        raise SystemExit('the keystoneauth groups %s differ; render them '
                         'apart' % ', '.join(names))
    lines = ['## keystoneauth groups: %s' % ', '.join(
        '[%s]' % n for n in names), '']
    for n in names:
        program, service, _ = KSA_GROUPS[n]
        lines.append('- `[%s]` in the configuration file of `%s`: how it '
                     'authenticates to %s.' % (n, program, service))
    lines += ['', 'The same options as the `[placement]` and `[nova]` '
              'sections of nova.conf, from keystoneauth: session (TLS, '
              'timeouts), authentication (`auth_type` and the options of '
              'its plugin; the table lists those of `password`) and '
              'adapter (endpoint discovery). Defaults set by the tools:', '']
    for n in names:
        conf = cfg.ConfigOpts()
        KSA_GROUPS[n][2](conf)
        for opt in groups[n][1]:
            try:
                value = conf[n][opt.dest]
            except cfg.NoSuchOptError:
                continue  # an auth plugin's option, registered on use
            if value != opt.default:
                lines.append('- `[%s] %s = %s`' % (
                    n, opt.dest, ','.join(value) if isinstance(value, list)
                    else value))
    lines += ['', '| option | type | meaning |', '|---|---|---|']
    lines += ['| `%s` | %s | %s |' % (opt.dest, type_text(opt),
                                      first_sentence(opt.help).replace(
                                          '|', '\\|'))
              for opt in groups[names[0]][1]] if names else []
    lines.append('')
    return lines


def render():
    groups = load_groups()
    lines = [
        '<!-- Generated by tools/gen_config_doc.py from the oslo.config.opts '
        'entry points; do not edit by hand. -->',
        '',
        '# Configuration reference',
        '',
        'Every option of zha-scheduler, generated from the code (regenerate '
        'with `%s`). The sample files in `etc/` carry the same help texts '
        '(`oslo-config-generator --config-file '
        'etc/oslo-config-generator/<name>.conf`). The nova.conf lines that '
        'enable the filters and weighers are in [install.md](install.md).'
        % REGENERATE,
        '',
        '| group | program | file |',
        '|---|---|---|',
        '| `[zha_scheduler]` | nova-scheduler | nova.conf |',
        '| `[zha_agent]`, `[placement]` | zha-trait-agent | '
        '`/etc/zha-scheduler/zha-trait-agent.conf` |',
        '| `[zha_evacuate]`, `[nova]` | zha-evacuate | '
        '`/etc/zha-scheduler/zha-evacuate.conf` |',
        '',
        'zha-trait-agent and zha-evacuate also read the oslo.log options of '
        '`[DEFAULT]` (`debug`, `log_file`, `use_journal`, ...), listed in '
        'their sample files.',
        '',
    ]
    for name, (group, opts) in groups.items():
        if name.startswith('zha_'):
            lines += render_zha_group(name, group, opts)
    lines += render_ksa_groups(groups)
    return '\n'.join(lines).rstrip('\n') + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--output', default=os.path.join(ROOT, OUTPUT),
                        help='file to write, "-" for standard output '
                             '(default: %s)' % OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    if args.output == '-':
        sys.stdout.write(text)
    else:
        with open(args.output, 'w', encoding='utf-8') as f:
            f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
