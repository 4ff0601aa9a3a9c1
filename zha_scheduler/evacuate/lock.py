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

from collections.abc import Iterator
import contextlib

from zha_scheduler.clients import coordination_backend
from zha_scheduler.clients import coordination_locks
from zha_scheduler.evacuate import state_files

# The locks are shared with the maintenance tools; these names are the
# hook's own API to them.
BACKEND_ERRORS = coordination_locks.BACKEND_ERRORS
EXPIRY = coordination_locks.EXPIRY
LockBusy = coordination_locks.LockBusy
LockError = coordination_locks.LockError
coordinator = coordination_locks.coordinator
expiry_options = coordination_locks.expiry_options
member_id = coordination_locks.member_id
quietly = coordination_locks.quietly
redact = coordination_locks.redact


def check_url(url: str) -> None:
    """Check a coordination URL as tooz will use it, without connecting.

    :raises LockError: what is wrong, with the known drivers.
    """
    try:
        coordination_backend.check_url(url)
    except coordination_backend.CoordinationError as exc:
        raise LockError(str(exc)) from None


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
    # Made through this module's name: tests record the coordinators.
    member = coordinator(url, member_id('run'))
    with coordination_locks.held(
            member, url, [name],
            lambda _: 'another zha-evacuate is evacuating %s' % host):
        yield
