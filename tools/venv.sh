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

# Create or update ./.venv with zha-scheduler and everything its demo and tests
# need, pinned by constraints.txt. Safe to run again: pip skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade 'pip>=23'
.venv/bin/python -m pip install --quiet -c constraints.txt \
    -r requirements.txt -r test-requirements.txt
# With its 'demo' extra (what 'zha-scheduler demo' needs beyond
# requirements.txt), so the extra is checked here too; the requirements
# above already brought nearly everything, pinned.
.venv/bin/python -m pip install --quiet -c constraints.txt -e '.[demo]'
