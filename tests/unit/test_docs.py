"""The documentation matches the code: options, paths, links, release notes."""

import configparser
import glob
import os
import re
import subprocess
import sys

import fixtures
from oslotest import base
import yaml

from zha_scheduler.conf import agent as agent_conf
from zha_scheduler.conf import evacuate as evacuate_conf
from zha_scheduler.conf import scheduler as scheduler_conf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DOC = os.path.join(ROOT, 'doc')
NOTES = os.path.join(ROOT, 'releasenotes', 'notes')

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


def _pages():
    return sorted(glob.glob(os.path.join(DOC, '*.md')))


def _slug(heading):
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def _anchors(path):
    with open(path, encoding='utf-8') as f:
        return {_slug(line.lstrip('#')) for line in f
                if re.match(r'^#{1,6} ', line)}


class ConfigurationPageTest(base.BaseTestCase):

    def test_configuration_page_is_current(self):
        output = os.path.join(self.useFixture(fixtures.TempDir()).path,
                              'configuration.md')
        # In a process of its own, as the sample config test does.
        subprocess.run([sys.executable, 'tools/gen_config_doc.py',
                        '--output', output], check=True, cwd=ROOT)
        with open(output, encoding='utf-8') as f:
            generated = f.read()
        with open(os.path.join(DOC, 'configuration.md'),
                  encoding='utf-8') as f:
            committed = f.read()
        self.assertEqual(
            committed, generated,
            'doc/configuration.md is stale: run '
            '.venv/bin/python tools/gen_config_doc.py')


class PagesTest(base.BaseTestCase):

    def test_index_links_every_page(self):
        with open(os.path.join(DOC, 'README.md'), encoding='utf-8') as f:
            linked = set(LINK.findall(f.read()))
        for page in _pages():
            name = os.path.basename(page)
            if name != 'README.md':
                self.assertIn(name, linked, 'doc/README.md does not link it')

    def test_links_resolve(self):
        for page in _pages():
            with open(page, encoding='utf-8') as f:
                targets = LINK.findall(f.read())
            for target in targets:
                if re.match(r'^[a-z]+:', target):
                    continue  # http:, mailto:
                path, _, anchor = target.partition('#')
                path = os.path.normpath(os.path.join(DOC, path)) if path else page
                self.assertTrue(os.path.exists(path),
                                '%s: broken link %s' % (page, target))
                if anchor and path.endswith('.md'):
                    self.assertIn(anchor, _anchors(path),
                                  '%s: no heading for %s' % (page, target))

    def test_ini_examples_use_real_options(self):
        for page in _pages():
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
        for page in _pages():
            with open(page, encoding='utf-8') as f:
                paths = set(REPO_PATH.findall(f.read()))
            for path in paths:
                self.assertTrue(os.path.exists(os.path.join(ROOT, path)),
                                '%s names %s, which does not exist'
                                % (page, path))


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

    def test_reno_lint(self):
        reno = os.path.join(os.path.dirname(sys.executable), 'reno')
        self.assertTrue(os.path.exists(reno),
                        'reno is not installed next to %s: install '
                        'test-requirements.txt' % sys.executable)
        result = subprocess.run([reno, '-q', 'lint'], cwd=ROOT,
                                capture_output=True, text=True)
        self.assertEqual(0, result.returncode,
                         'reno lint failed:\n%s%s'
                         % (result.stdout, result.stderr))
