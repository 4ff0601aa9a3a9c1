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

# Prove that zha-scheduler installed from this checkout as a user would (not
# editable) with its 'demo' extra runs 'zha-scheduler demo' outside the
# checkout:
#   1. a fresh virtualenv in a temporary directory,
#   2. pip install -c constraints.txt '<checkout>[demo]' (pip needs the git
#      metadata pbr reads, so run it on a git checkout),
#   3. zha-scheduler demo, run from another (empty) directory.
# Exits with the first failed step's status, else the demo's. Prints each
# step's time on stderr. Extra arguments go to the demo (e.g. --format json).
# PYTHON picks the interpreter (python3); ZHA_KEEP_VENV=1 keeps the temporary
# directory and prints where it is.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/zha-installed-demo.XXXXXX")
finish() {
    if [ "${ZHA_KEEP_VENV:-0}" = 1 ]; then
        echo "== kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap finish EXIT
# Nothing from the checkout may reach the installed package's imports.
unset PYTHONPATH

step() {
    local name=$1 start=$SECONDS
    shift
    echo "== $name" >&2
    "$@"
    echo "== $name: $((SECONDS - start)) s" >&2
}

venv=$work/venv
step "fresh venv ($PYTHON)" "$PYTHON" -m venv "$venv"
step "pip install -c constraints.txt '${repo}[demo]'" \
    "$venv/bin/python" -m pip install --quiet --no-input \
    -c "$repo/constraints.txt" "${repo}[demo]"
mkdir "$work/elsewhere"
cd "$work/elsewhere"
# The package must be the installed copy, not the checkout (no editable
# install, no path entry to it).
"$venv/bin/python" - "$repo" <<'PY'
import os
import sys

import zha_scheduler

repo = os.path.realpath(sys.argv[1])
where = os.path.realpath(zha_scheduler.__file__)
if where.startswith(repo + os.sep):
    sys.exit('zha_scheduler is imported from the checkout: %s' % where)
print('== zha_scheduler from %s' % os.path.dirname(where), file=sys.stderr)
PY
step "zha-scheduler demo (in $PWD)" "$venv/bin/zha-scheduler" demo "$@"
