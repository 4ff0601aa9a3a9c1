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

# Set up ./.venv (tools/venv.sh), run the lint (flake8 with hacking, as
# 'tox -e pep8') and type checks (mypy, as 'tox -e mypy'), then the whole
# test suite with stestr: unit, property and functional tests (real Nova
# services in-process). Extra arguments go to 'stestr run', e.g. a test
# filter regex. The last line is "N passed, N failed, N skipped" for CI; a
# failed lint or type check counts as one failure each.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
./tools/venv.sh || { echo "0 passed, 1 failed"; exit 1; }
# Best effort: without it the coordination tests skip, saying why.
./tools/install_redis_server.sh ||
    echo "The coordination tests will skip (or fail in CI)." >&2
gates=()
echo "== flake8 (hacking)" >&2
.venv/bin/flake8 || gates+=(flake8)
echo "== mypy" >&2
.venv/bin/mypy zha_scheduler || gates+=(mypy)
.venv/bin/stestr run --concurrency "${ZHA_TEST_CONCURRENCY:-2}" "$@"
rc=$?
.venv/bin/stestr last --subunit |
    .venv/bin/python tools/test_summary.py "$rc" "${gates[@]}"
[ "$rc" -eq 0 ] && [ "${#gates[@]}" -eq 0 ]
