"""Runs every tests/test_*.py and prints one line per test for the TAP wrapper:
"RESULT ok <test id>" or "RESULT not-ok <test id>", then tracebacks, then
"SUMMARY <run> <failed>".  Exit status 1 if any test failed or errored.
Usage: PGSCHED_DSN='host=... port=... dbname=...' /usr/bin/python3 run_tests.py"""

import os
import sys
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class Result(unittest.TextTestResult):
    def addSuccess(self, test):
        super().addSuccess(test)
        print(f"RESULT ok {test.id()}", flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        print(f"RESULT not-ok {test.id()}", flush=True)

    def addError(self, test, err):
        super().addError(test, err)
        print(f"RESULT not-ok {test.id()}", flush=True)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        print(f"RESULT skip {test.id()} {reason}", flush=True)


def main() -> int:
    # Temporal's examples never close their clients; psycopg warns about that.
    warnings.filterwarnings("ignore", category=ResourceWarning)
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=Result,
                                     warnings="ignore")
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"SUMMARY {result.testsRun} {failed}", flush=True)
    return 1 if failed or not result.wasSuccessful() else 0


if __name__ == "__main__":
    sys.exit(main())
