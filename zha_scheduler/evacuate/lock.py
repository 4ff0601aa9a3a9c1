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

"""One evacuation per host at a time: a tooz lock per host."""

from collections.abc import Callable
from collections.abc import Iterator
import contextlib
import importlib.metadata
from typing import Any
import urllib.parse
import uuid

from oslo_log import log as logging
from stevedore import driver
from stevedore import exception as stevedore_exc
import tooz
from tooz import coordination

from zha_scheduler.evacuate import state_files

LOG = logging.getLogger(__name__)

#: What tooz raises when its backend cannot be loaded or reached.
BACKEND_ERRORS = (tooz.ToozError, stevedore_exc.NoMatches, ImportError,
                  OSError)


class LockBusy(Exception):
    """Another zha-evacuate holds the lock of this host."""


class LockError(Exception):
    """The coordination backend cannot be used to take a host's lock."""


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = '%s:***@%s' % (parts.username or '',
                            parts.netloc.rpartition('@')[2])
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def drivers() -> list[str]:
    """The names of the tooz drivers installed (URL schemes)."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(
        group=coordination.TOOZ_BACKENDS_NAMESPACE)})


def check_url(url: str) -> None:
    """Check a coordination URL as tooz will use it, without connecting.

    The driver is resolved as ``tooz.coordination.get_coordinator`` does
    (stevedore, tooz's namespace) but not started; a ``file://`` URL must
    name a directory this process can create or write.

    :raises LockError: what is wrong, with the known drivers.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    known = drivers()
    if scheme not in known:
        raise LockError('%s is not a tooz driver; known drivers: %s' % (
            repr(scheme) if scheme else 'no driver is named',
            ', '.join(known)))

    def failed(manager: Any, ep: Any, err: BaseException) -> None:
        raise LockError('the tooz driver %s cannot be loaded: %s (install '
                        'the library it needs)' % (scheme, err)) from err
    driver.DriverManager(coordination.TOOZ_BACKENDS_NAMESPACE, scheme,
                         invoke_on_load=False,
                         on_load_failure_callback=failed)
    if scheme == 'file':
        problem = state_files.dir_problem(urllib.parse.urlsplit(url).path)
        if problem:
            raise LockError('the lock directory: %s' % problem)


def _quietly(action: Callable[[], Any], what: str) -> None:
    # The run is over: a backend failing now must not turn its result into
    # an error (the backend expires the lock of a dead member).
    try:
        action()
    except Exception as exc:
        LOG.warning('Could not %(what)s: %(err)s', {'what': what, 'err': exc})


@contextlib.contextmanager
def host_lock(url: str, host: str) -> Iterator[None]:
    """Hold the host's lock, never waiting for it.

    A second run gives up at once: the holder finishes the job, and a later
    run resumes from the progress file if the holder died. The lock is named
    after the host key of the state file (``state_files.host_key``).

    :raises LockBusy: when another process holds it.
    :raises LockError: the backend cannot be loaded or reached.
    :raises ValueError: the host name is empty.
    """
    name = ('zha-evacuate-%s' % state_files.host_key(host)).encode()
    member = ('zha-evacuate-%s' % uuid.uuid4().hex).encode()
    try:
        coordinator = coordination.get_coordinator(url, member)
        coordinator.start(start_heart=True)
    except BACKEND_ERRORS as exc:
        raise LockError('cannot use the coordination backend %s: %s' % (
            redact(url), exc)) from exc
    try:
        lock = coordinator.get_lock(name)
        try:
            acquired = lock.acquire(blocking=False)
        except BACKEND_ERRORS as exc:
            raise LockError('cannot take the lock of %s from %s: %s' % (
                host, redact(url), exc)) from exc
        if not acquired:
            raise LockBusy('another zha-evacuate is evacuating %s' % host)
        try:
            yield
        finally:
            _quietly(lock.release, 'release the lock of %s' % host)
    finally:
        _quietly(coordinator.stop, 'leave the coordination backend')
