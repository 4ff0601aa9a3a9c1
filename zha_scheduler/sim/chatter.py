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

"""Where the simulated cloud's chatter goes: a file, not the terminal."""

from collections.abc import Iterator
import contextlib
import logging
import os
import sys
import tempfile


def log_to_file(path: str | None, prefix: str) -> str:
    """Send Python logging, from INFO up, to a file; return its path.

    Nova's services log plenty: a benchmark keeps it out of its report.

    :param path: the file; by default a new temporary one.
    :param prefix: the temporary file's name prefix.
    """
    path = path or tempfile.mkstemp(prefix=prefix, suffix='.log')[1]
    logging.basicConfig(filename=path, level=logging.INFO, force=True)
    return path


@contextlib.contextmanager
def output_to(path: str) -> Iterator[None]:
    """Send file descriptors 1 and 2 (Nova's, eventlet's chatter) to a file.

    Nova's services and eventlet write to them directly, past logging.
    """
    saved = {}
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        stream.flush()
        saved[fd] = os.dup(fd)
        with open(path, 'a') as log:
            os.dup2(log.fileno(), fd)
    try:
        yield
    finally:
        for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
            stream.flush()
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
