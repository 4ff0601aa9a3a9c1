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

"""The documentation matches the code: options, paths, links, names,
release notes."""

import configparser
import glob
import os
import re

from oslotest import base
import yaml

from zha_scheduler.conf import agent as agent_conf
from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.conf import scheduler as scheduler_conf
from zha_scheduler import filters
from zha_scheduler import request_spec
from zha_scheduler import spread
from zha_scheduler import weights

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DOC = os.path.join(ROOT, 'doc')
NOTES = os.path.join(ROOT, 'releasenotes', 'notes')
README = os.path.join(ROOT, 'README.md')
SCHEDULING = os.path.join(DOC, 'scheduling.md')
SNIPPET = os.path.join(ROOT, 'etc', 'nova', 'nova.conf.d',
                       'zha-scheduler.conf')
# The README is the front page: what it is, how to try it, where to read on.
README_MAX_BYTES = 6000

# reno's default sections, and the prelude.
NOTE_SECTIONS = {'prelude', 'features', 'issues', 'upgrade', 'deprecations',
                 'critical', 'security', 'fixes', 'other'}
NOTE_NAME = re.compile(r'^[a-z0-9][a-z0-9-]*-[0-9a-f]{16}\.yaml$')
LINK = re.compile(r'\]\(([^)\s]+)\)')
# A repository path in backquotes, e.g. `etc/systemd/` or `tools/test.sh`.
REPO_PATH = re.compile(
    r'`((?:doc|etc|devstack|releasenotes|tests|tools|zha_scheduler)/'
    r'[^`\s<>*]*)`')
INI_BLOCK = re.compile(r'```ini\n(.*?)```', re.S)
ZHA_OPTS = {'zha_scheduler': scheduler_conf.scheduler_opts,
            'zha_agent': agent_conf.agent_opts,
            'zha_evacuate': evacuate_conf.evacuate_opts}
# Public names as the pages spell them; `_ZhaWeigher` (the base class) and
# `Zha*Filter` are not matched.
FILTER_NAME = re.compile(r'\bZha\w*Filter\b')
WEIGHER_NAME = re.compile(r'\bZha\w*Weigher\b')
# A snake_case name in backquotes, alone or as `name = value`: in
# scheduling.md an option of [zha_scheduler], a hint, one of Nova's options
# or a function of the skew model.
NAME_REF = re.compile(r'`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?: = ([^`]+))?`')
HINTS = {spread.SPREAD_DOMAIN_HINT, spread.MAX_SKEW_HINT,
         request_spec.CONSISTENCY_GROUP_HINT}
NOVA_OPTIONS = {'available_filters', 'enabled_filters', 'weight_classes'}
SPREAD_FUNCTIONS = {'spread_rule'}
EXTRA_SPEC = re.compile(r'`(zha:[a-z_]+)(?:=([^`]+))?`')
# The layout tree of the README: top-level entries, and the entries of
# zha_scheduler/ indented by two spaces.
LAYOUT_BLOCK = re.compile(r'^## Layout\n.*?```\n(.*?)```', re.S | re.M)
LAYOUT_ENTRY = re.compile(r'^( {0,2})([\w.][^\s]*)', re.M)


def _pages():
    return sorted(glob.glob(os.path.join(DOC, '*.md')))


def _markdown():
    """The README and every page of doc/."""
    return [README] + _pages()


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def _ini_lines(text):
    """The lines of an INI text without comments and blank lines."""
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith(('#', ';'))]


def _section(lines, name):
    """The lines of section ``[name]``, its header included."""
    start = lines.index('[%s]' % name)
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith('[')), len(lines))
    return lines[start:end]


def _slug(heading):
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def _anchors(path):
    with open(path, encoding='utf-8') as f:
        return {_slug(line.lstrip('#')) for line in f
                if re.match(r'^#{1,6} ', line)}


class PagesTest(base.BaseTestCase):

    def test_index_links_every_page(self):
        with open(os.path.join(DOC, 'README.md'), encoding='utf-8') as f:
            linked = set(LINK.findall(f.read()))
        for page in _pages():
            name = os.path.basename(page)
            if name != 'README.md':
                self.assertIn(name, linked, 'doc/README.md does not link it')

    def test_links_resolve(self):
        for page in _markdown():
            with open(page, encoding='utf-8') as f:
                targets = LINK.findall(f.read())
            for target in targets:
                if re.match(r'^[a-z]+:', target):
                    continue  # http:, mailto:
                path, _, anchor = target.partition('#')
                # Relative to the page: doc/ for the pages, the root for
                # the README.
                path = (os.path.normpath(os.path.join(os.path.dirname(page),
                                                      path))
                        if path else page)
                self.assertTrue(os.path.exists(path),
                                '%s: broken link %s' % (page, target))
                if anchor and path.endswith('.md'):
                    self.assertIn(anchor, _anchors(path),
                                  '%s: no heading for %s' % (page, target))

    def test_ini_examples_use_real_options(self):
        for page in _markdown():
            with open(page, encoding='utf-8') as f:
                blocks = INI_BLOCK.findall(f.read())
            for block in blocks:
                if not re.search(r'^\[zha_', block, re.M):
                    continue  # e.g. DevStack's local.conf
                # available_filters is multi-valued in nova.conf; [DEFAULT]
                # is a section like the others for oslo.config.
                parser = configparser.ConfigParser(
                    strict=False, interpolation=None,
                    default_section='no default section')
                parser.read_string(block)
                for group, opts in ZHA_OPTS.items():
                    if not parser.has_section(group):
                        continue
                    known = {opt.dest: opt for opt in opts}
                    for name, value in parser.items(group):
                        self.assertIn(name, known, '%s: [%s] %s'
                                      % (page, group, name))
                        # Raises on a value the option refuses.
                        known[name].type(value)

    def test_repository_paths_exist(self):
        for page in _markdown():
            with open(page, encoding='utf-8') as f:
                paths = set(REPO_PATH.findall(f.read()))
            for path in paths:
                self.assertTrue(os.path.exists(os.path.join(ROOT, path)),
                                '%s names %s, which does not exist'
                                % (page, path))

    def test_filter_and_weigher_names_exist(self):
        filter_names = {cls.__name__ for cls in filters.all_filters()}
        weigher_names = {cls.__name__ for cls in weights.all_weighers()}
        for page in _markdown():
            text = _read(page)
            for name in set(FILTER_NAME.findall(text)):
                self.assertIn(name, filter_names,
                              '%s names an unknown filter' % page)
            for name in set(WEIGHER_NAME.findall(text)):
                self.assertIn(name, weigher_names,
                              '%s names an unknown weigher' % page)


class ReadmeTest(base.BaseTestCase):

    def test_readme_is_short(self):
        size = os.path.getsize(README)
        self.assertLess(size, README_MAX_BYTES,
                        'README.md has %d bytes: move details to doc/'
                        % size)

    def test_readme_maps_every_page(self):
        linked = set(LINK.findall(_read(README)))
        for page in _pages():
            name = 'doc/' + os.path.basename(page)
            if name != 'doc/README.md':
                self.assertIn(name, linked, 'README.md does not link it')

    def test_nova_conf_lines_are_the_shipped_ones(self):
        blocks = INI_BLOCK.findall(_read(README))
        self.assertEqual(1, len(blocks), 'README.md: one ini block')
        shipped = _section(_ini_lines(_read(SNIPPET)), 'filter_scheduler')
        self.assertEqual(shipped, _ini_lines(blocks[0]),
                         'README.md: the [filter_scheduler] lines of %s'
                         % os.path.relpath(SNIPPET, ROOT))

    def test_layout_names_what_exists(self):
        found = LAYOUT_BLOCK.search(_read(README))
        self.assertIsNotNone(found, 'README.md: no ## Layout tree')
        entries = set()
        for indent, name in LAYOUT_ENTRY.findall(found.group(1)):
            parent = 'zha_scheduler' if indent else ''
            path = os.path.join(parent, name)
            entries.add(path.rstrip('/'))
            self.assertTrue(os.path.exists(os.path.join(ROOT, path)),
                            'README.md layout names %s, which does not '
                            'exist' % path)
        # Every package of zha_scheduler/ has its line.
        for init in glob.glob(os.path.join(ROOT, 'zha_scheduler', '*',
                                           '__init__.py')):
            package = os.path.relpath(os.path.dirname(init), ROOT)
            self.assertIn(package, entries,
                          'README.md layout lacks %s/' % package)


class SchedulingPageTest(base.BaseTestCase):

    def test_every_filter_and_weigher_is_described(self):
        text = _read(SCHEDULING)
        for cls in filters.all_filters() + weights.all_weighers():
            self.assertTrue('**%s**' % cls.__name__ in text,
                            'doc/scheduling.md does not describe %s'
                            % cls.__name__)

    def test_option_and_hint_names_exist(self):
        options = {opt.dest: opt for opt in scheduler_conf.scheduler_opts}
        refs = NAME_REF.findall(_read(SCHEDULING))
        self.assertGreater(len(refs), 0)
        for name, value in refs:
            if name in HINTS or name in NOVA_OPTIONS:
                continue
            if name in SPREAD_FUNCTIONS:
                self.assertTrue(callable(getattr(spread, name, None)),
                                'zha_scheduler.spread has no %s' % name)
                continue
            self.assertIn(name, options, 'doc/scheduling.md names `%s`, '
                          'not a [zha_scheduler] option' % name)
            if value:
                # Raises on a value the option refuses.
                options[name].type(value)

    def test_extra_specs_exist(self):
        keys = {request_spec.REDUNDANCY: request_spec.REDUNDANCY_VALUES,
                request_spec.CONSISTENCY_GROUP: None}
        for key, value in EXTRA_SPEC.findall(_read(SCHEDULING)):
            self.assertIn(key, keys, 'doc/scheduling.md: unknown extra spec')
            if value and keys[key]:
                self.assertIn(value, keys[key], 'doc/scheduling.md: %s=%s'
                              % (key, value))


class ReleaseNotesTest(base.BaseTestCase):

    def _notes(self):
        notes = sorted(glob.glob(os.path.join(NOTES, '*.yaml')))
        self.assertGreater(len(notes), 0)
        return notes

    def test_notes_are_named_as_reno_names_them(self):
        for note in self._notes():
            self.assertRegex(os.path.basename(note), NOTE_NAME,
                             'create notes with: .venv/bin/reno new <slug>')

    def test_notes_have_known_sections_only(self):
        for note in self._notes():
            with open(note, encoding='utf-8') as f:
                content = yaml.safe_load(f)
            self.assertIsInstance(content, dict, note)
            self.assertEqual(set(), set(content) - NOTE_SECTIONS, note)
            for section, value in content.items():
                if section == 'prelude':
                    self.assertIsInstance(value, str, note)
                    continue
                self.assertIsInstance(value, list, '%s: %s' % (note, section))
                for item in value:
                    self.assertIsInstance(item, str, note)
                    self.assertNotIn('or remove this section', item, note)
