#!/usr/bin/env bash
# Runs the test suites `make check` asks for and ends with one line:
#   check: N passed, N failed
# Usage: tests/run-all.sh [--asan ASAN_BUILD] [--fuzz FUZZ_BUILD SECONDS] BUILD_DIR [unit|integration|all]
# Unit tests are cmocka programs (build/tests/test_*); their "[  PASSED  ]" and
# "[  FAILED  ]" summaries are added up, and a program that dies without a summary counts
# as one failure. Integration tests print "integration: N passed, N failed".
# --asan: then the same suites again with the programs of ASAN_BUILD (AddressSanitizer,
# LeakSanitizer, UndefinedBehaviorSanitizer). Every sanitizer report of any process (unit test,
# provctl, the provfs daemon, also one mount(8) started) goes to a file of its own; each report
# counts as one failure and is shown.
# --fuzz: then each libFuzzer target of FUZZ_BUILD for SECONDS (tests/fuzz/run.sh); each target
# counts as one test.
set -u
asan=
fuzz=
fuzz_seconds=
while [ $# -gt 0 ]; do
	case $1 in
	--asan) asan=${2:?--asan needs a build directory}; shift 2 ;;
	--fuzz) fuzz=${2:?--fuzz needs a build directory}; fuzz_seconds=${3:?--fuzz needs seconds}; shift 3 ;;
	*) break ;;
	esac
done
build=${1:-build}
what=${2:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export PROVFS_VECTORS=${PROVFS_VECTORS:-$root/../shared/vectors}
passed=0
failed=0

run_unit() { # run_unit BUILD_DIR
	local t out rc p f
	for t in "$1"/tests/test_*; do
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

# add_counts NAME OUTPUT RC — add a suite's "NAME: N passed, N failed" line; a suite that fails
# without reporting a failure counts as one.
add_counts() {
	local name=$1 out=$2 rc=$3 p f
	p=$(printf '%s\n' "$out" | sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed\$/\1/p" | tail -1)
	f=$(printf '%s\n' "$out" | sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed\$/\2/p" | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "FAIL - $name suite exited with status $rc"
		failed=$((failed + 1))
	fi
}

run_integration() { # run_integration BUILD_DIR
	local out rc
	out=$(bash tests/integration/run.sh "$1" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	add_counts integration "$out" "$rc"
}

# The unit and integration suites once more with the sanitized programs. Sanitizer reports go to
# files (log_path) rather than to stderr: a report of a process whose stderr a test discards,
# or of a daemon at exit (LeakSanitizer), still reaches us. Every report is fatal (the build has
# -fno-sanitize-recover=all; abort_on_error makes the status unmistakable). tests/asan.supp
# says which reports are not ours and why, tests/lsan.supp the one leak that is libfuse's.
run_sanitized() { # run_sanitized ASAN_BUILD
	local dir=$1 reports supp r n=0
	reports=$(mktemp -d "${TMPDIR:-/tmp}/provfs-san.XXXXXXXX") || {
		echo "FAIL - sanitizers: mktemp failed"
		failed=$((failed + 1))
		return
	}
	echo "# --- the suites again under AddressSanitizer and UndefinedBehaviorSanitizer ($dir)"
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_exe_name=1:log_path=$reports/report:suppressions=$root/tests/asan.supp"
	export UBSAN_OPTIONS="abort_on_error=1:halt_on_error=1:print_stacktrace=1:log_exe_name=1:log_path=$reports/report"
	# a run_as daemon reads the suppressions as its user at exit: a copy it can read (the clone
	# may sit in a 0700 directory, as a mktemp -d one does; an unreadable file aborts it)
	if ! supp=$(mktemp -d "${TMPDIR:-/tmp}/provfs-supp.XXXXXXXX") || ! chmod 0755 "$supp" ||
		! install -m 0644 "$root/tests/lsan.supp" "$supp/lsan.supp"; then
		echo "FAIL - sanitizers: cannot place the LeakSanitizer suppressions"
		failed=$((failed + 1))
	fi
	export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
	case $what in
	unit) run_unit "$dir" ;;
	integration) run_integration "$dir" ;;
	*) run_unit "$dir"; run_integration "$dir" ;;
	esac
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	for r in "$reports"/report*; do
		[ -f "$r" ] || continue
		n=$((n + 1))
		# log_exe_name: the file is report.PROGRAM.PID
		echo "FAIL - sanitizer report $n (${r#"$reports"/report.}): $(grep -m 1 -o -E '(ERROR: |runtime error:).*' "$r" || echo "?")"
		grep -v -E '^(Shadow|  [A-Z][A-Za-z ]+:|=?>? *0x[0-9a-f]+: )' "$r" | head -n 60 | sed 's/^/#   /'
	done
	failed=$((failed + n))
	[ "$n" -eq 0 ] || echo "# $n sanitizer report(s) above"
	rm -rf -- "$reports" "$supp"
}

run_fuzz() { # run_fuzz FUZZ_BUILD SECONDS
	local out rc
	out=$(bash tests/fuzz/run.sh "$1" "$2" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	add_counts fuzz "$out" "$rc"
}

case $what in
unit) run_unit "$build" ;;
integration) run_integration "$build" ;;
all) run_unit "$build"; run_integration "$build" ;;
*) echo "usage: $0 [--asan ASAN_BUILD] [--fuzz FUZZ_BUILD SECONDS] BUILD_DIR [unit|integration|all]" >&2; exit 2 ;;
esac
[ -z "$asan" ] || run_sanitized "$asan"
[ -z "$fuzz" ] || run_fuzz "$fuzz" "$fuzz_seconds"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
