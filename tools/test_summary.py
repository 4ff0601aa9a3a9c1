"""Print 'N passed, N failed, N skipped' from a subunit v2 stream on stdin.

Usage: stestr last --subunit | python tools/test_summary.py RUNNER_EXIT_CODE
A failed run that recorded no failing test (an import error, a crashed worker)
still counts one failure, so the closing line never hides it.
"""

import sys

import subunit
import testtools


def main() -> int:
    runner_rc = int(sys.argv[1]) if len(sys.argv) > 1 else 0
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
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 0


if __name__ == '__main__':
    sys.exit(main())
