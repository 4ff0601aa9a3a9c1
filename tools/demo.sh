#!/usr/bin/env bash
# Set up ./.venv (tools/venv.sh) and run 'zha-scheduler demo' on a simulated
# IBM Z cloud. Extra arguments go to the demo, e.g. --members 4 --format json.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/venv.sh
exec .venv/bin/zha-scheduler demo "$@"
