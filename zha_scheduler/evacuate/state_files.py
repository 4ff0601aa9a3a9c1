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

"""Where the hook keeps its state: one file per host under ``state_dir``.

A host's file is ``<state_dir>/<host key>.json``, the host key being the
host name encoded by :func:`host_key`: an ordinary host name (letters,
digits, ``.``, ``_`` and ``-``) is its own key, so the files of earlier
releases keep their names; the tooz lock of a host is named by its key too.
"""

import hashlib
import os
import string

SUFFIX = '.json'
#: Characters a host name keeps in its key; any other is percent-encoded.
SAFE = frozenset(string.ascii_letters + string.digits + '._-')
#: Longest key. The state file's temporary and corrupt companions add at
#: most 40 characters, which keeps every name within NAME_MAX (255 bytes).
MAX_KEY = 200
#: Separates the head of a shortened key from its hash. Never part of an
#: encoded name, so a shortened key never equals an unshortened one.
HASH_MARK = '~'


def host_key(host: str) -> str:
    """A host name as one safe file-name component, injectively.

    Every character outside ``[A-Za-z0-9._-]``, and a leading ``.`` (no
    hidden file, no ``.`` or ``..``), becomes ``%XX`` per UTF-8 byte, so
    ``/``, NUL and ``%`` itself cannot appear and decoding gives the name
    back. A key longer than MAX_KEY keeps its head and ends with ``~`` and
    the SHA-256 of the name.

    :raises ValueError: the host name is empty.
    """
    if not host:
        raise ValueError('empty host name')
    key = ''.join(
        char if char in SAFE and not (index == 0 and char == '.') else
        ''.join('%%%02X' % byte
                for byte in char.encode('utf-8', 'surrogatepass'))
        for index, char in enumerate(host))
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(host.encode('utf-8', 'surrogatepass')).hexdigest()
    head = key[:MAX_KEY - len(HASH_MARK) - len(digest)]
    # Cosmetic: no escape cut in half before the mark.
    cut = head.find('%', len(head) - 2)
    if cut != -1:
        head = head[:cut]
    return head + HASH_MARK + digest


def state_path(state_dir: str, host: str) -> str:
    """Where the state of a host is kept.

    :raises ValueError: the host name is empty.
    """
    return os.path.join(state_dir, host_key(host) + SUFFIX)


def legacy_path(state_dir: str, host: str) -> str | None:
    """The name releases before the host key gave the file, if different.

    None when it is the same name, was never a plain file name in
    state_dir, or holds ``%`` or ``~``: such a name could be another
    host's key (``a%2Fb.json`` is the file of host ``a/b``).
    """
    name = host + SUFFIX
    if (not host or os.sep in name or (os.altsep and os.altsep in name) or
            '\0' in name or '%' in name or HASH_MARK in name or
            len(name.encode('utf-8', 'surrogatepass')) > 255):
        return None
    path = os.path.join(state_dir, name)
    return None if path == state_path(state_dir, host) else path
