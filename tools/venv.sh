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
# --no-deps: the requirements above already brought the pinned dependencies.
.venv/bin/python -m pip install --quiet --no-deps -e .
