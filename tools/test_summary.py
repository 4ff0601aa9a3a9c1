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

"""Print 'N passed, N failed, N skipped' from a subunit v2 stream on stdin.

Usage: stestr last --subunit | python tools/test_summary.py RC [GATE...]
A failed run that recorded no failing test (an import error, a crashed worker)
still counts one failure, so the closing line never hides it; so does each
GATE named (a lint or type check that failed before the tests ran).
"""

import sys

import subunit
import testtools


def main() -> int:
    runner_rc = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    gates = sys.argv[2:]
    summary = testtools.StreamSummary()
    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer,
                                              non_subunit_name='stdout')
    summary.startTestRun()
    stream.run(summary)
    summary.stopTestRun()
    failed = (len(summary.errors) + len(summary.failures) +
              len(summary.unexpectedSuccesses))
    skipped = len(summary.skipped)
    passed = summary.testsRun - failed - skipped
    if runner_rc and not failed:
        failed = 1
    for gate in gates:
        print('%s failed: see its output above' % gate)
    print('%d passed, %d failed, %d skipped'
          % (passed, failed + len(gates), skipped))
    return 0


if __name__ == '__main__':
    sys.exit(main())
