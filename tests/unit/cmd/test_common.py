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

"""Unit tests of zha_scheduler.cmd.common: the rules of every command."""

from contextlib import redirect_stderr
import io
import logging
import os
import sys

import fixtures
from oslo_config import cfg
from oslo_log import log as oslo_log
from oslotest import base

from tests.unit.cmd import cli_helpers
from zha_scheduler.cmd import common
from zha_scheduler.cmd import logs
from zha_scheduler.conf import files


class ConfigFileTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def test_a_readable_utf8_file_has_no_problem(self):
        path = self.write('ok.conf', '[DEFAULT]\nsite = Zürich\n'.encode())
        self.assertIsNone(files.config_file_problem(path))

    def test_problems_name_the_file_and_the_fix(self):
        missing = os.path.join(self.tmp, 'missing.conf')
        latin1 = self.write('latin1.conf', b'[DEFAULT]\nsite = Z\xfcrich\n')
        self.assertEqual('cannot read %s: No such file or directory'
                         % missing, files.config_file_problem(missing))
        self.assertEqual('cannot read %s: it is a directory; give the path '
                         'of a config file' % self.tmp,
                         files.config_file_problem(self.tmp))
        self.assertEqual('cannot read %s: not UTF-8 text (byte 0xfc on line '
                         '2); save it in UTF-8' % latin1,
                         files.config_file_problem(latin1))

    def test_a_pipe_is_left_to_the_parser(self):
        # Reading it would consume what the parser is to read.
        fifo = os.path.join(self.tmp, 'fifo')
        os.mkfifo(fifo)
        self.assertIsNone(files.config_file_problem(fifo))

    def test_check_config_files_refuses_the_first_bad_one(self):
        good = self.write('good.conf', b'')
        bad = self.write('bad.conf', b'\xff')
        error = self.assertRaises(files.ConfigFileError,
                                  files.check_config_files,
                                  [good, bad, self.tmp])
        self.assertIn(bad, str(error))

    def parse(self, *argv):
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.IntOpt('count', min=1), group='zha')
        conf.register_cli_opt(cfg.StrOpt('format', choices=['text', 'json']))
        err = io.StringIO()
        with redirect_stderr(err):
            try:
                common.parse_args(conf, argv, 'zha-test')
                common.read_options(conf, 'zha', [cfg.IntOpt('count')])
            except common.UsageError as exc:
                return str(exc), err.getvalue()
        return None, err.getvalue()

    def test_parse_args_names_the_file_oslo_config_fails_on(self):
        latin1 = self.write('latin1.conf', b'[zha]\ncount = \xb2\n')
        garbage = self.write('garbage.conf', b'no section\n')
        value = self.write('value.conf', b'[zha]\ncount = 0\n')
        cases = {
            self.tmp: 'cannot read %s: it is a directory' % self.tmp,
            latin1: 'cannot read %s: not UTF-8 text (byte 0xb2 on line 2)'
                    % latin1,
            garbage: "cannot parse %s: line 1, No ':' or '=' found in "
                     "assignment: 'no section'; it must be an ini file"
                     % garbage,
            value: 'invalid value for [zha] count in %s: Should be greater '
                   'than or equal to 1; set a valid one' % value,
            os.path.join(self.tmp, 'no.conf'):
                'cannot read %s/no.conf: No such file or directory'
                % self.tmp,
        }
        for path, start in cases.items():
            for argv in (['--config-file', path], ['--config-file=' + path],
                         ['--config-fi', path]):
                message, err = self.parse(*argv)
                self.assertEqual('', err)
                self.assertTrue(message and message.startswith(start),
                                (argv, message))

    def test_parse_args_errors_of_argparse_are_one_line(self):
        for argv, expected in (
                (['--bogus'], 'unrecognized arguments: --bogus; see '
                              'zha-test --help'),
                (['--format', 'xml'], "argument --format: Invalid String("
                 "choices=['text', 'json']) value: xml; see zha-test "
                 "--help")):
            self.assertEqual((expected, ''), self.parse(*argv))

    def test_parse_args_help_exits_0(self):
        out = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        conf = cfg.ConfigOpts()
        exc = self.assertRaises(SystemExit, common.parse_args, conf,
                                ['--help'], 'zha-test')
        self.assertEqual(0, exc.code)
        self.assertIn('usage: zha-test', out.getvalue())

    def test_config_error_finds_the_undecodable_file(self):
        # oslo.config's parser lets UnicodeDecodeError through unnamed.
        good = self.write('good.conf', b'[DEFAULT]\n')
        bad = self.write('bad.conf', b'[DEFAULT]\nx = \xe9\n')
        exc = UnicodeDecodeError('utf-8', b'\xe9', 0, 1, 'invalid')
        self.assertIn(bad, str(files.config_error(exc, [good, bad])))
        self.assertIn('cannot read the config files (%s)' % good,
                      str(files.config_error(exc, [good])))


class FilesTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_existing_dir(self):
        path = os.path.join(self.tmp, 'file')
        open(path, 'w').close()
        self.assertEqual(self.tmp, common.existing_dir(self.tmp, '--root'))
        for bad, why in (('', '--root is empty'),
                         (path, '--root %s is not a directory' % path),
                         (path + 'x', '--root %sx does not exist' % path)):
            error = self.assertRaises(common.UsageError, common.existing_dir,
                                      bad, '--root')
            self.assertTrue(str(error).startswith(why), str(error))

    def test_writable_file(self):
        path = os.path.join(self.tmp, 'x.log')
        self.assertEqual(path, common.writable_file(path, '--log-file'))
        error = self.assertRaises(common.UsageError, common.writable_file,
                                  os.path.join(path + '.d', 'x.log'),
                                  '--log-file')
        self.assertIn('No such file or directory', str(error))


class OutputTest(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(cli_helpers.ProcessState())
        self.err = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.err))

    def test_fail_prints_one_line_and_returns_the_status(self):
        self.assertEqual(3, common.fail('zha-x', ValueError('a\n  b'), 3,
                                        label='refused'))
        self.assertEqual(2, common.fail('zha-x', KeyError()))
        self.assertEqual('zha-x: refused: a b\nzha-x: KeyError\n',
                         self.err.getvalue())

    def test_argument_parser_errors_are_one_line(self):
        parser = common.ArgumentParser(prog='zha-x')
        parser.add_argument('--count', type=int)
        exc = self.assertRaises(SystemExit, parser.parse_args,
                                ['--count', 'x'])
        self.assertEqual(2, exc.code)
        self.assertEqual("zha-x: error: argument --count: invalid int value: "
                         "'x'; see zha-x --help\n", self.err.getvalue())

    def test_log_to_stderr_moves_stdout_handlers(self):
        root = logging.getLogger()
        on_stdout = logging.StreamHandler(sys.stdout)
        root.addHandler(on_stdout)
        logs.log_to_stderr()
        logs.log_to_stderr()  # twice: still one handler
        self.assertNotIn(on_stdout, root.handlers)
        ours = [h for h in root.handlers
                if isinstance(h, logs.StderrHandler)]
        self.assertEqual(1, len(ours))
        logging.getLogger('nova.test').warning('shown')
        logging.getLogger('nova.test').info('not shown')
        self.assertEqual('WARNING nova.test: shown\n', self.err.getvalue())

    def oslo_conf(self, *argv):
        conf = cfg.ConfigOpts()
        oslo_log.register_options(conf)
        conf(list(argv))
        return conf

    def test_setup_logging_never_falls_back_to_stdout(self):
        setup = self.useFixture(fixtures.MockPatch(
            'oslo_log.log.setup')).mock
        conf = self.oslo_conf()
        logs.setup_logging(conf, 'zha-x')
        self.assertTrue(conf.use_stderr)
        setup.assert_called_once_with(conf, 'zha-x')
        # A log file is where the operator wants the logs: no stderr copy.
        conf = self.oslo_conf('--log-file', os.devnull)
        logs.setup_logging(conf, 'zha-x')
        self.assertFalse(conf.use_stderr)

    def test_setup_logging_bad_log_file_is_a_usage_error(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        conf = self.oslo_conf('--log-file', os.path.join(tmp, 'no', 'x.log'))
        error = self.assertRaises(common.UsageError, logs.setup_logging,
                                  conf, 'zha-x')
        self.assertIn('cannot open the log file %s/no/x.log: No such file '
                      'or directory' % tmp, str(error))
