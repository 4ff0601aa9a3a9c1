#!/usr/bin/env bash
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

# Install Debian's redis-server when it is missing: the coordination tests
# (tests/functional/test_coordination.py) run a real one of their own on a
# loopback port, and the redis-server wheels on PyPI are built for Python
# 3.9 at most. Needs root or password-less sudo; says what to do otherwise.
# (On a machine with systemd the package also starts a system redis-server
# on port 6379, which the tests do not use.)
set -uo pipefail
install_redis_server() {
    if [ -n "${ZHA_REDIS_SERVER:-}" ] ||
            command -v redis-server >/dev/null 2>&1; then
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            echo "redis-server is missing and only root can install it:" \
                "run 'apt-get install redis-server' as root" >&2
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "redis-server is missing and there is no apt-get: install" \
            "it, or set ZHA_REDIS_SERVER to its path" >&2
        return 1
    fi
    echo "== apt-get install redis-server (for the coordination tests)" >&2
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y)
    # A fresh machine's package lists may be missing or out of date.
    "${apt[@]}" --no-install-recommends install redis-server >&2 ||
        { "${apt[@]}" update >&2 &&
            "${apt[@]}" --no-install-recommends install redis-server >&2; }
}

install_redis_server
