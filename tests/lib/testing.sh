# shellcheck shell=bash
# Result lines for shell tests, in the same form as tests/lib/testing.c:
# "PASS name", "FAIL name: why", "SKIP name: why", then a closing count.

T_PASSED=0
T_FAILED=0
T_SKIPPED=0

pass() { echo "PASS $1"; T_PASSED=$((T_PASSED + 1)); }
fail() { echo "FAIL $1: ${*:2}"; T_FAILED=$((T_FAILED + 1)); }
skip() { echo "SKIP $1: ${*:2}"; T_SKIPPED=$((T_SKIPPED + 1)); }

# check NAME COMMAND...: PASS when the command succeeds, FAIL with its output otherwise.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
	fi
}

summary() {
	echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
	((T_FAILED == 0))
}
