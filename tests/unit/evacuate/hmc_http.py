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

"""zhmcclient's faked HMC served over HTTP to a real ``zhmcclient.Session``.

``zhmcclient.mock.FakedSession`` replaces the Session's HTTP methods, so it
never logs on, never checks a session ID and never runs the Session's own
re-logon on HTTP 403 reason 5. This adapter sits under a real Session
instead: the faked HMC's URI handlers answer, and it checks the
``X-API-Session`` header as an HMC does (403.4 without one, 403.5 for an
unknown or expired one, 403.0 for bad credentials at logon). Tests expire
a session with :meth:`FakedHmcAdapter.expire` and count requests.
"""

import json
import threading
from typing import Any
import urllib.parse

import fixtures
import requests
import zhmcclient
from zhmcclient.mock import _urihandler


class FakedHmcAdapter(requests.adapters.BaseAdapter):
    """Answers HTTP requests from the faked HMC of a FakedSession."""

    def __init__(self, faked_session: Any, userid: str = 'watcher',
                 password: str = 's3cret') -> None:
        super().__init__()
        self.hmc = faked_session.hmc
        self.userid, self.password = userid, password
        self.uris = _urihandler.UriHandler(_urihandler.URIS)
        #: (method, path with query, HTTP status) of every request.
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()

    def count(self, method: str, path: str | None = None,
              status: int | None = None) -> int:
        with self._lock:
            return sum(1 for m, p, s in self.requests
                       if m == method and (path is None or p == path) and
                       (status is None or s == status))

    def expire(self) -> None:
        """End every session, as an HMC does on timeout or restart."""
        for session_id in list(self.hmc._valid_session_ids):
            self.hmc.remove_session_id(session_id)

    def send(self, request: Any, **kwargs: Any) -> requests.Response:
        url = urllib.parse.urlsplit(request.url)
        uri = url.path + ('?' + url.query if url.query else '')
        if not self.hmc.enabled:
            raise requests.exceptions.ConnectionError(
                'Connection refused', request=request)
        status, body = self._answer(request, uri)
        with self._lock:
            self.requests.append((request.method, url.path, status))
        response = requests.Response()
        response.status_code = status
        response.request = request
        response.url = request.url
        if body is not None:
            response.headers['Content-Type'] = 'application/json'
            response._content = json.dumps(body).encode()
        else:
            response._content = b''
        return response

    def _answer(self, request: Any, uri: str) -> tuple[int, Any]:
        method = request.method
        try:
            if method == 'POST' and uri == '/api/sessions':
                body = json.loads(request.body)
                if (body.get('userid'), body.get('password')) != (
                        self.userid, self.password):
                    return 403, _error(method, uri, 403, 0,
                                       'Logon failed: invalid credentials')
                return 200, self.uris.post(self.hmc, uri, body, False, True)
            if uri == '/api/version':
                return 200, self.uris.get(self.hmc, uri, False)
            session_id = request.headers.get('X-API-Session')
            if session_id is None:
                return 403, _error(method, uri, 403, 4, 'No session ID')
            if not self.hmc.validate_session_id(session_id):
                return 403, _error(method, uri, 403, 5, 'Session ID invalid')
            if method == 'DELETE' and uri == '/api/sessions/this-session':
                self.hmc.remove_session_id(session_id)
                return 204, None
            if method == 'GET':
                return 200, self.uris.get(self.hmc, uri, True)
            return 405, _error(method, uri, 405, 0, 'not served')
        except _urihandler.FakedHTTPError as exc:
            return exc.http_status, exc.response()

    def close(self) -> None:
        pass


def _error(method: str, uri: str, status: int, reason: int,
           message: str) -> dict[str, Any]:
    return {'request-method': method, 'request-uri': uri,
            'http-status': status, 'reason': reason, 'message': message}


class RealSessions(fixtures.Fixture):
    """Makes real zhmcclient Sessions send their requests to the adapter."""

    def __init__(self, adapter: FakedHmcAdapter) -> None:
        super().__init__()
        self.adapter = adapter

    def _setUp(self) -> None:
        # Session._new_session builds the requests session at each logon:
        # zhmcclient's one place for the transport (private: tests only).
        def new_session(retry_timeout_config: Any) -> requests.Session:
            session = requests.Session()
            session.mount('https://', self.adapter)
            return session
        self.useFixture(fixtures.MockPatchObject(
            zhmcclient.Session, '_new_session', staticmethod(new_session)))
