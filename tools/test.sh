#!/usr/bin/env bash
# Set up ./.venv (tools/venv.sh) and run the whole test suite with stestr:
# unit, property and functional tests (real Nova services in-process).
# Extra arguments go to 'stestr run', e.g. a test filter regex.
# The last line is "N passed, N failed, N skipped" for CI.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
./tools/venv.sh || { echo "0 passed, 1 failed"; exit 1; }
.venv/bin/stestr run --concurrency "${ZHA_TEST_CONCURRENCY:-2}" "$@"
rc=$?
.venv/bin/stestr last --subunit | .venv/bin/python tools/test_summary.py "$rc"
exit $rc
