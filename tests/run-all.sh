#!/usr/bin/env bash
# Runs the test suites `make check` asks for and ends with one line:
#   check: N passed, N failed
# Usage: tests/run-all.sh BUILD_DIR [unit|integration|all]
# Unit tests are cmocka programs (build/tests/test_*); their "[  PASSED  ]" and
# "[  FAILED  ]" summaries are added up, and a program that dies without a summary counts
# as one failure. Integration tests print "integration: N passed, N failed".
set -u
build=${1:-build}
what=${2:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export PROVFS_VECTORS=${PROVFS_VECTORS:-$root/../shared/vectors}
passed=0
failed=0

run_unit() {
	local t out rc p f
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		[[ "$t" == *.d ]] && continue
		out=$("$t" 2>&1)
		rc=$?
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
			echo "FAIL - $t exited with status $rc and no summary"
			failed=$((failed + 1))
		fi
	done
}

run_integration() {
	local out rc p f
	out=$(bash tests/integration/run.sh "$build" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "FAIL - integration suite exited with status $rc"
		failed=$((failed + 1))
	fi
}

case $what in
unit) run_unit ;;
integration) run_integration ;;
all) run_unit; run_integration ;;
*) echo "usage: $0 BUILD_DIR [unit|integration|all]" >&2; exit 2 ;;
esac
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
