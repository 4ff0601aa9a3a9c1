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

import json
import logging
import os
import tempfile
import threading
from unittest import mock
import urllib.parse

import fixtures
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslotest import base

from zha_scheduler.conf import files
from zha_scheduler.evacuate import progress
from zha_scheduler.evacuate import state_files

SETTINGS = settings(max_examples=200, deadline=None, database=None)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
    st.text(max_size=10),
    lambda inner: (st.lists(inner, max_size=4) |
                   st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20)
#: Valid states, and the same with one field of a wrong type.
GOOD = {'host': 'lpar1', 'runs': [{'run_id': 'r1', 'started': 1.0}],
        'instances': {'i1': {'state': 'done', 'target': 'sb', 'name': 'web',
                             'run_id': 'r1', 'at': 2.0},
                      'i2': {'state': 'failed', 'target': None,
                             'error': 'No valid host', 'at': 3}}}
CORRUPT = {
    'truncated JSON': json.dumps(GOOD)[:40].encode(),
    'binary garbage': b'\x00\xff\xfe\x89PNG\r\n\x1a\n\xc3\x28',
    'empty file': b'',
    'a JSON list': b'[{"state": "done"}]',
    'a JSON string': b'"lpar1"',
    'instances as a list': json.dumps(
        {**GOOD, 'instances': ['i1']}).encode(),
    'an entry that is a number': json.dumps(
        {**GOOD, 'instances': {'i1': 5}}).encode(),
    'an unknown state': json.dumps(
        {**GOOD, 'instances': {'i1': {'state': 'gone'}}}).encode(),
    'a name that is a number': json.dumps(
        {**GOOD, 'instances': {'i1': {'state': 'done', 'name': 7}}}).encode(),
    'a time that is a boolean': json.dumps(
        {**GOOD, 'instances': {'i1': {'state': 'done', 'at': True}}}).encode(),
    'runs as an object': json.dumps({**GOOD, 'runs': {}}).encode(),
    'another host': json.dumps({**GOOD, 'host': 'lpar2'}).encode(),
    'deep nesting': b'[' * 100000,
}


def _write(path, content):
    with open(path, 'wb') as f:
        f.write(content)


class ProgressStoreTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.log = self.useFixture(fixtures.FakeLogger(
            name='zha_scheduler.evacuate.progress', level=logging.INFO,
            format='%(levelname)s %(message)s'))

    def test_survives_a_new_process_and_writes_atomically(self):
        tmp = self.tmp
        store = progress.ProgressStore(tmp, 'lpar1')
        store.start_run('r1')
        store.record('i1', progress.DONE, target='sb')
        store.record('i2', progress.REQUESTED)
        again = progress.ProgressStore(tmp, 'lpar1')
        self.assertTrue(again.done('i1'))
        self.assertFalse(again.done('i2'))
        self.assertEqual(['lpar1.json'], os.listdir(tmp))
        with open(os.path.join(tmp, 'lpar1.json')) as f:
            self.assertEqual('sb', json.load(f)['instances']['i1']['target'])

    def test_reasons(self):
        self.assertEqual('zha-evacuate: in progress r1',
                         progress.in_progress_reason('r1'))
        self.assertIn('2 failed', progress.done_reason('r1', 2))

    def test_a_valid_file_is_read_as_it_is(self):
        _write(os.path.join(self.tmp, 'lpar1.json'), json.dumps(GOOD).encode())
        store = progress.ProgressStore(self.tmp, 'lpar1')
        self.assertEqual(GOOD, store.data)
        self.assertEqual(['lpar1.json'], os.listdir(self.tmp))

    def test_a_corrupt_file_is_moved_aside_and_the_store_starts_empty(self):
        path = os.path.join(self.tmp, 'lpar1.json')
        for why, content in CORRUPT.items():
            _write(path, content)
            store = progress.ProgressStore(self.tmp, 'lpar1')
            self.assertEqual({'host': 'lpar1', 'runs': [], 'instances': {}},
                             store.data, why)
            self.assertFalse(os.path.exists(path), why)
            self.assertTrue(store.moved_to.startswith(path + '.corrupt-'))
            with open(store.moved_to, 'rb') as f:
                self.assertEqual(content, f.read(), why)
            # The WARNING names both files.
            warning = self.log.output.splitlines()[-1]
            self.assertIn('WARNING State file %s is unusable' % path,
                          warning, why)
            self.assertIn('moved it to %s' % store.moved_to, warning, why)
            # The next run keeps the aside file and records where it is.
            store.start_run('r2')
            store.record('i9', progress.DONE, target='sb')
            again = progress.ProgressStore(self.tmp, 'lpar1')
            self.assertTrue(again.done('i9'), why)
            self.assertEqual(store.moved_to,
                             again.data['runs'][0]['corrupt_state_moved_to'])
            os.unlink(path)
        asides = [n for n in os.listdir(self.tmp) if '.corrupt-' in n]
        self.assertEqual(len(CORRUPT), len(asides))

    def test_a_dry_run_leaves_a_corrupt_file_in_place(self):
        path = os.path.join(self.tmp, 'lpar1.json')
        _write(path, b'{"instances": ')
        store = progress.ProgressStore(self.tmp, 'lpar1', repair=False)
        self.assertEqual({}, store.data['instances'])
        self.assertIsNone(store.moved_to)
        self.assertEqual(['lpar1.json'], os.listdir(self.tmp))
        self.assertIn('ignored', self.log.output)

    @SETTINGS
    @given(st.binary(max_size=200) | JSON.map(
        lambda value: json.dumps(value).encode()))
    def test_any_content_loads_or_is_moved_aside(self, content):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'lpar1.json')
            _write(path, content)
            store = progress.ProgressStore(tmp, 'lpar1')
            self.assertIsNone(progress.content_problem(store.data, 'lpar1'))
            self.assertEqual(store.moved_to is None, os.path.exists(path))
            store.start_run('r1')
            store.record('i1', progress.FAILED, error='x', target=None)
            again = progress.ProgressStore(tmp, 'lpar1')
            self.assertIsNone(again.moved_to)
            self.assertEqual(progress.FAILED, again.state('i1'))

    def test_an_unreadable_file_is_an_error_naming_it(self):
        path = os.path.join(self.tmp, 'lpar1.json')
        os.mkdir(path)
        exc = self.assertRaises(progress.StateError, progress.ProgressStore,
                                self.tmp, 'lpar1')
        self.assertIn('cannot read state file %s' % path, str(exc))

    def test_a_write_error_names_the_file_and_leaves_no_temporary(self):
        store = progress.ProgressStore(self.tmp, 'lpar1')
        with mock.patch('json.dump', side_effect=OSError(28, 'No space'),
                        autospec=True):
            exc = self.assertRaises(progress.StateError, store.start_run,
                                    'r1')
        self.assertIn('cannot write state file %s' % store.path, str(exc))
        self.assertEqual([], os.listdir(self.tmp))
        blocked = os.path.join(self.tmp, 'file')
        _write(blocked, b'')
        exc = self.assertRaises(progress.StateError, progress.ProgressStore,
                                blocked, 'lpar1')
        self.assertIn('Not a directory', str(exc))

    def test_threads_record_concurrently(self):
        store = progress.ProgressStore(self.tmp, 'lpar1')
        threads = [threading.Thread(target=store.record,
                                    args=('i%d' % n, progress.DONE))
                   for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        again = progress.ProgressStore(self.tmp, 'lpar1')
        self.assertEqual(20, len(again.data['instances']))
        self.assertEqual(['lpar1.json'], os.listdir(self.tmp))

    def test_a_file_of_the_previous_naming_is_renamed(self):
        # Before the host key, a name outside [A-Za-z0-9._-] was used as is.
        old = os.path.join(self.tmp, 'lpar 1.json')
        _write(old, json.dumps({'host': 'lpar 1', 'runs': [], 'instances': {
            'i1': {'state': 'done'}}}).encode())
        dry = progress.ProgressStore(self.tmp, 'lpar 1', repair=False)
        self.assertTrue(dry.done('i1'))
        self.assertTrue(os.path.exists(old))
        store = progress.ProgressStore(self.tmp, 'lpar 1')
        self.assertTrue(store.done('i1'))
        self.assertEqual(['lpar%201.json'], os.listdir(self.tmp))
        self.assertIn('Renamed state file %s to %s' % (old, store.path),
                      self.log.output)
        # A name that could be another host's key is never adopted:
        # "a%2Fb.json" is the file of host "a/b", not of host "a%2Fb".
        self.assertIsNone(state_files.legacy_path(self.tmp, 'a%2Fb'))
        self.assertIsNone(state_files.legacy_path(self.tmp, 'a/b'))
        self.assertIsNone(state_files.legacy_path(self.tmp, 'lpar1'))


class HostKeyTest(base.BaseTestCase):

    def test_ordinary_names_keep_their_file_names(self):
        for host in ('cpc1-lpar1.example.com', 'lpar1', 'ZKVM_11', 'a' * 200):
            self.assertEqual(host, state_files.host_key(host))
            self.assertEqual('/s/%s.json' % host,
                             state_files.state_path('/s', host))

    def test_other_names_are_percent_encoded(self):
        self.assertEqual('..%2Fetc%2Fpasswd'.replace('.', '%2E', 1),
                         state_files.host_key('../etc/passwd'))
        self.assertEqual('%2F', state_files.host_key('/'))
        self.assertEqual('%2E.', state_files.host_key('..'))
        self.assertEqual('%2E', state_files.host_key('.'))
        self.assertEqual('a%00b', state_files.host_key('a\0b'))
        self.assertEqual('100%25', state_files.host_key('100%'))
        self.assertEqual('h%C3%B6st', state_files.host_key('höst'))
        self.assertRaises(ValueError, state_files.host_key, '')

    def test_long_names_are_shortened_with_a_hash(self):
        key = state_files.host_key('a' * 201)
        self.assertEqual(state_files.MAX_KEY, len(key))
        self.assertIn(state_files.HASH_MARK, key)
        self.assertNotEqual(key, state_files.host_key('a' * 202))
        # No escape cut in half before the mark.
        key = state_files.host_key('/' * 300)
        self.assertRegex(key, r'^(%2F)+~[0-9a-f]{64}$')

    @settings(max_examples=500, deadline=None, database=None)
    @given(st.text(min_size=1, max_size=300))
    def test_the_state_file_stays_in_state_dir(self, host):
        path = state_files.state_path('/var/lib/zha/evacuate', host)
        name = os.path.basename(path)
        self.assertEqual('/var/lib/zha/evacuate', os.path.dirname(path))
        self.assertEqual(path, os.path.normpath(path))
        self.assertNotIn('\0', name)
        self.assertFalse(name.startswith('.'))
        self.assertLessEqual(len(name.encode()), 255 - 40)
        key = state_files.host_key(host)
        if state_files.HASH_MARK not in key:
            self.assertEqual(host, urllib.parse.unquote(
                key, errors='surrogatepass'))

    @settings(max_examples=500, deadline=None, database=None)
    @given(st.text(min_size=1, max_size=300),
           st.text(min_size=1, max_size=300))
    def test_two_names_never_share_a_file(self, one, other):
        if one != other:
            self.assertNotEqual(state_files.state_path('/s', one),
                                state_files.state_path('/s', other))

    @settings(max_examples=200, deadline=None, database=None)
    @given(st.text(alphabet='a/.%~\0', min_size=1, max_size=8),
           st.text(alphabet='a/.%~\0', min_size=1, max_size=8))
    def test_two_names_of_few_characters_never_share_a_file(self, one,
                                                            other):
        # Close names, where a collision of a weak encoding shows.
        if one != other:
            self.assertNotEqual(state_files.host_key(one),
                                state_files.host_key(other))


class DirProblemTest(base.BaseTestCase):

    def test_problems(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        a_file = os.path.join(tmp, 'f')
        _write(a_file, b'')
        self.assertIsNone(files.dir_problem(tmp))
        self.assertIsNone(
            files.dir_problem(os.path.join(tmp, 'new/sub')))
        self.assertEqual('%s is not a directory' % a_file,
                         files.dir_problem(a_file))
        self.assertIn('cannot be created: %s is not a directory' % a_file,
                      files.dir_problem(os.path.join(a_file, 'sub')))
        self.assertEqual('no directory is set', files.dir_problem(''))
        with mock.patch('os.access', return_value=False,
                        autospec=True):
            self.assertEqual('%s is not writable by this user' % tmp,
                             files.dir_problem(tmp))
            self.assertIn('cannot be created: %s is not writable' % tmp,
                          files.dir_problem(os.path.join(tmp, 'new')))
