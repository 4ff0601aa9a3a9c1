#!/usr/bin/env bash
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
