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

"""The real coordination server of the tests: a redis-server of their own.

Each fixture starts ``redis-server`` (Debian's package; ``tools/test.sh``
installs it) on a free loopback port, in a temporary directory, without
persistence, and stops it at cleanup. Without the binary the test is
skipped, unless ``ZHA_REQUIRE_COORDINATION_SERVER`` is set (as ``.ci/run``
sets it), and then it fails: CI never skips these tests silently.
"""

import os
import shutil
import socket
import subprocess
import time
import unittest

import fixtures
import redis

#: Set (to anything but empty) to make a missing server a failure.
REQUIRE = 'ZHA_REQUIRE_COORDINATION_SERVER'
#: A redis-server binary to use instead of the one on PATH.
BINARY = 'ZHA_REDIS_SERVER'
HOST = '127.0.0.1'
# Generous: on a loaded 2-core machine redis-server starts in milliseconds,
# but the first fork and exec may wait for the CPU.
START_TIMEOUT = 30.0


def find_binary() -> str | None:
    """The redis-server to run, or None."""
    explicit = os.environ.get(BINARY)
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise AssertionError('%s=%s is not an executable file'
                                 % (BINARY, explicit))
        return explicit
    found = shutil.which('redis-server')
    if found:
        return found
    # Debian installs it in /usr/bin; a PATH without it is not a reason to
    # skip.
    for path in ('/usr/bin/redis-server', '/usr/sbin/redis-server',
                 '/usr/local/bin/redis-server'):
        if os.access(path, os.X_OK):
            return path
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class RedisServer(fixtures.Fixture):
    """A redis-server of the test's own, on a free loopback port."""

    def setUp(self) -> None:
        # Before Fixture.setUp, which would turn the skip into an error.
        self.binary = find_binary()
        if self.binary is None:
            message = ('redis-server is not installed (apt-get install '
                       'redis-server; tools/test.sh installs it)')
            if os.environ.get(REQUIRE):
                raise AssertionError('%s and %s is set' % (message, REQUIRE))
            raise unittest.SkipTest('%s; set %s=1 to make this a failure'
                                    % (message, REQUIRE))
        super().setUp()

    def _setUp(self) -> None:
        self.directory = self.useFixture(fixtures.TempDir()).path
        self.log = os.path.join(self.directory, 'redis.log')
        self.process: subprocess.Popen[bytes] | None = None
        self.addCleanup(self.stop)
        # Another process may take the free port before the server binds
        # it: try another one.
        problems = []
        for _attempt in range(5):
            self.port = _free_port()
            problem = self.start()
            if problem is None:
                break
            problems.append(problem)
        else:
            raise AssertionError('redis-server did not start: %s'
                                 % '; '.join(problems))
        #: The coordination URL, without options.
        self.url = 'redis://%s:%d' % (HOST, self.port)

    def start(self) -> str | None:
        """Start the server on self.port; None, or why it did not start.

        Also starts it again after ``stop()``, empty (no persistence): as a
        backend restarted without its data.
        """
        assert self.binary is not None
        self.process = subprocess.Popen(
            [self.binary, '--port', str(self.port), '--bind', HOST,
             '--save', '', '--appendonly', 'no', '--dir', self.directory,
             '--logfile', self.log, '--daemonize', 'no'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        client = redis.Redis(host=HOST, port=self.port, socket_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return 'exited with status %s: %s' % (
                        self.process.returncode, self._log_tail())
                try:
                    if client.ping():
                        return None
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        return 'no answer on port %d within %s s: %s' % (
            self.port, START_TIMEOUT, self._log_tail())

    def stop(self) -> None:
        """Stop the server (the clients see their connections refused)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _log_tail(self) -> str:
        try:
            with open(self.log, encoding='utf-8', errors='replace') as f:
                return ' | '.join(f.read().splitlines()[-3:])
        except OSError:
            return '(no log)'
