# SPDX-License-Identifier: GPL-2.0
"""Result lines of the parity scripts, in the form of tests/lib/testing.sh:
"PASS name", "FAIL name: why", then the closing count."""

passed = failed = 0


def result(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def summary():
    """Prints the count; the exit status: 1 if any check failed."""
    print(f"{passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0
