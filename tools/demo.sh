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

# Set up ./.venv (tools/venv.sh) and run 'zha-scheduler demo' on a simulated
# IBM Z cloud. Extra arguments go to the demo, e.g. --members 4 --format json.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/venv.sh
exec .venv/bin/zha-scheduler demo "$@"
