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

"""Run a console script's main() in-process and check the CLI rules."""

from collections.abc import Callable, Sequence
from contextlib import redirect_stderr
from contextlib import redirect_stdout
import io
import json
import logging
import sys
from typing import Any
import warnings

import fixtures
from oslo_config import cfg

from zha_scheduler.cmd import logs
from zha_scheduler.conf import evacuate as evacuate_conf


class ProcessState(fixtures.Fixture):
    """Restores what a console script changes for its whole process.

    Logging setup (root handlers and level), ``sys.excepthook`` (oslo.log
    sets one) and the warnings filters, so that one test's command does not
    log into the next test's captured stderr.
    """

    def _setUp(self) -> None:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        hook, filters = sys.excepthook, list(warnings.filters)
        quiet = {name: logging.getLogger(name).level
                 for name in logs.QUIET_LOGGERS + logs.REQUEST_LOGGERS}

        def restore() -> None:
            for handler in list(root.handlers):
                if handler not in handlers:
                    root.removeHandler(handler)
            for handler in handlers:
                if handler not in root.handlers:
                    root.addHandler(handler)
            root.setLevel(level)
            sys.excepthook = hook
            warnings.filters[:] = filters
            for name, old in quiet.items():
                logging.getLogger(name).setLevel(old)
        self.addCleanup(restore)


class GlobalConf(fixtures.Fixture):
    """Leaves oslo.config's global CONF as a new process would have it.

    The insight commands parse it, as their process does; keystoneauth
    registers an auth plugin's options in [nova] when it loads one, and a
    required one left unset would fail the next command's parse.
    """

    def _setUp(self) -> None:
        self.addCleanup(self.restore)

    def restore(self) -> None:
        """Unparse CONF and drop the [nova] options a plugin added."""
        cfg.CONF.reset()
        if 'nova' not in cfg.CONF:
            return
        base = cfg.ConfigOpts()
        evacuate_conf.register_nova_opts(base)
        for name in set(cfg.CONF['nova']) - set(base['nova']):
            cfg.CONF.unregister_opt(cfg.Opt(name), group='nova')


def run(main: Callable[..., int], argv: Sequence[str],
        **kwargs: Any) -> tuple[int, str, str]:
    """``main(argv)`` with stdout and stderr captured.

    :returns: the exit status (of a SystemExit too), stdout and stderr.
    """
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = main(list(argv), **kwargs)
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def usage_error_problems(status: Any, out: str, err: str) -> list[str]:
    """How a run breaks the rule for a user's mistake; empty if it keeps it.

    The rule: exit status 2, exactly one line on stderr, not a traceback,
    and nothing or valid JSON on stdout.
    """
    problems = []
    if status != 2:
        problems.append('exit status %r, not 2' % (status,))
    lines = err.splitlines()
    if len(lines) != 1:
        problems.append('%d lines on stderr, not 1' % len(lines))
    if 'Traceback' in err:
        problems.append('a traceback on stderr')
    if out.strip():
        try:
            json.loads(out)
        except ValueError:
            problems.append('stdout is neither empty nor JSON')
    return problems
