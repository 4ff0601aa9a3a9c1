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
import uuid

from oslo_log import log as logging
from tooz import coordination

LOG = logging.getLogger(__name__)


class LockBusy(Exception):
    """Another zha-evacuate holds the lock of this host."""


@contextlib.contextmanager
def host_lock(url: str, host: str) -> Iterator[None]:
    """Hold the host's lock, never waiting for it.

    A second run gives up at once: the holder finishes the job, and a later
    run resumes from the progress file if the holder died.

    :raises LockBusy: when another process holds it.
    """
    member = ('zha-evacuate-%s' % uuid.uuid4().hex).encode()
    coordinator = coordination.get_coordinator(url, member)
    coordinator.start(start_heart=True)
    try:
        lock = coordinator.get_lock(('zha-evacuate-%s' % host).encode())
        if not lock.acquire(blocking=False):
            raise LockBusy('another zha-evacuate is evacuating %s' % host)
        try:
            yield
        finally:
            lock.release()
    finally:
        coordinator.stop()
