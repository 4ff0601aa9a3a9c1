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

"""Logging of the console scripts: results on stdout, logs on stderr."""

import logging
import sys
import warnings

from oslo_config import cfg

from zha_scheduler.cmd import common
from zha_scheduler.conf import files

#: Loggers whose warnings repeat a mistake the command reports in its own
#: line: stevedore's "Could not load passwrod" for an unknown auth_type.
QUIET_LOGGERS = ('stevedore',)
#: Loggers warning of a request that fails next: the argparse subcommands
#: report that failure as their one line (exit 2).
REQUEST_LOGGERS = ('keystoneauth', 'openstack')


def setup_logging(conf: cfg.ConfigOpts, prog: str) -> None:
    """oslo.log's ``setup``, with no handler on stdout.

    oslo.log logs to stdout when neither a log file, stderr nor the journal
    is configured; stdout carries the tool's results, so log to stderr then.

    :raises UsageError: an invalid logging option or a log file that cannot
        be opened.
    """
    from oslo_log import log

    try:
        if not (conf.use_stderr or conf.log_file or conf.log_dir or
                conf.use_journal or conf.log_config_append):
            conf.set_override('use_stderr', True)
        # A default only: default_log_levels set in the file wins.
        conf.set_default('default_log_levels', [
            level for level in conf.default_log_levels
            if level.split('=')[0] not in QUIET_LOGGERS] + [
            '%s=ERROR' % name for name in QUIET_LOGGERS])
        log.setup(conf, prog)
    except cfg.Error as exc:
        raise common.UsageError(str(files.config_error(exc))) from None
    except OSError as exc:
        raise common.UsageError(
            'cannot open the log file %s: %s; give a file in an existing, '
            'writable directory' % (
                getattr(exc, 'filename', None) or conf.log_file,
                exc.strerror or exc)) from None
    except (log.LogConfigError, TypeError, ValueError) as exc:
        # A bad log_config_append file (LogConfigError) or
        # syslog_log_facility (TypeError): oslo.log raises no Error of its
        # own for the latter.
        raise common.UsageError(
            'cannot set up logging: %s' % files.one_line(exc)) from None


class StderrHandler(logging.StreamHandler):
    """The handler ``log_to_stderr`` installs, on ``sys.stderr``."""

    def __init__(self) -> None:
        # sys.stderr as it is now: a test capturing it gets its own handler.
        super().__init__(sys.stderr)


def _on_stdout(handler: logging.Handler) -> bool:
    stream = getattr(handler, 'stream', None)
    return stream is not None and stream in (sys.stdout, sys.__stdout__)


def log_to_stderr(level: int = logging.WARNING) -> None:
    """Send Python logging (Nova's and ours) to stderr from ``level`` up.

    For the argparse subcommands. Deprecation notices of the libraries Nova
    imports are not the operator's to act on: they are silenced.
    """
    for category in (DeprecationWarning, PendingDeprecationWarning,
                     FutureWarning):
        warnings.simplefilter('ignore', category)
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, StderrHandler) or _on_stdout(handler):
            root.removeHandler(handler)
    handler = StderrHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter('%(levelname)s %(name)s: '
                                           '%(message)s'))
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    for name in QUIET_LOGGERS + REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.ERROR))
