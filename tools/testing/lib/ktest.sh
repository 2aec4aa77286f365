# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# ktest.sh - the shell twin of ktest.h: the one result printer of the
# project's test scripts (fabric-tests.sh, teardown-cycle.sh, the e2e
# scripts).  Sourced, never executed.  Lines, parsed by run-all:
#
#   PASS: <name>
#   FAIL: <name>: <reason>
#   SKIP: <name>: <reason>
#   N passed, M failed[, K skipped]
#
# A script keeps the names it promises in KTEST_CASES (blank-separated)
# and prints them with `ktest_list` when run with --list, running
# nothing: run-all counts every promised name without a line as failed.

KTEST_PASSED=0
KTEST_FAILED=0
KTEST_SKIPPED=0
KTEST_CASES=${KTEST_CASES:-}

ktest_pass() {
	echo "PASS: $1"
	KTEST_PASSED=$((KTEST_PASSED + 1))
}

# ktest_fail NAME REASON
ktest_fail() {
	echo "FAIL: $1: ${2:-no reason given}"
	KTEST_FAILED=$((KTEST_FAILED + 1))
}

# ktest_skip NAME REASON
ktest_skip() {
	echo "SKIP: $1: ${2:-no reason given}"
	KTEST_SKIPPED=$((KTEST_SKIPPED + 1))
}

# ktest_check NAME WANT GOT: NAME passes iff GOT equals WANT.
ktest_check() {
	if [ "$2" = "$3" ]; then
		ktest_pass "$1"
	else
		ktest_fail "$1" "expected '$2', got '$3'"
	fi
}

# ktest_exit NAME STATUS [WHAT]: a program's exit status as a case of its
# own, so that one that died half-way is a FAIL even when every line it
# printed passed.
ktest_exit() {
	if [ "$2" = 0 ]; then
		ktest_pass "$1"
	else
		ktest_fail "$1" "expected ${3:-the suite} to exit 0, got status $2"
	fi
}

# The names in KTEST_CASES, one a line.
ktest_list() {
	local c

	for c in $KTEST_CASES; do
		echo "$c"
	done
}

# The closing "N passed, M failed" line; returns 1 iff a case failed.
ktest_summary() {
	local s=

	[ "$KTEST_SKIPPED" = 0 ] || s=", $KTEST_SKIPPED skipped"
	echo "$KTEST_PASSED passed, $KTEST_FAILED failed$s"
	[ "$KTEST_FAILED" = 0 ]
}
