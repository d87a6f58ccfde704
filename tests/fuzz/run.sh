#!/usr/bin/env bash
# run.sh FUZZ_BUILD SECONDS [TARGET...] — run each libFuzzer target FUZZ_BUILD/fuzz/fuzz_* (or the
# TARGETs named) for SECONDS on its seed corpus tests/fuzz/corpus/<name>/, and end with one line:
#
#     fuzz: N passed, N failed
#
# One result line per target: "ok - fuzz_names: 4803633 inputs in 30 s, 1302 new", or
# "FAIL - fuzz_names: crash, reproducer: PATH" followed by the report and the command that runs
# the reproducer again. Reproducers are kept in FUZZ_BUILD/artifacts/. The inputs libFuzzer adds
# to the corpus go to a temporary directory that is removed afterwards: tests/fuzz/corpus/ holds
# the hand-picked seeds only. Targets run side by side, as many at a time as there are cores.
# `make fuzz` and `make check` (with a short SECONDS) run this; tests/run-all.sh counts its line.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)

if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 FUZZ_BUILD SECONDS [TARGET...]" >&2
	exit 2
fi
BUILD=$1
SECONDS_EACH=$2
shift 2
case $BUILD in
/*) ;;
*) BUILD=$REPO_ROOT/$BUILD ;;
esac

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
	for src in "$HERE"/fuzz_*.c; do
		t=$(basename "$src" .c)
		targets+=("$t")
	done
fi

# Options of each target: the corpus directory and what else libFuzzer needs to know.
target_corpus() { # target_corpus NAME — tests/fuzz/corpus/<dir> of a target
	echo "$HERE/corpus/${1#fuzz_}"
}
target_options() { # target_options NAME — libFuzzer options of a target
	case $1 in
	fuzz_inventory) echo "-max_len=16384 -timeout=25 -dict=$HERE/inventory.dict" ;;
	fuzz_names) echo "-max_len=512 -timeout=10" ;;
	*) echo "-timeout=25" ;;
	esac
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/provfs-fuzz-run.XXXXXXXX") || exit 1
trap 'rm -rf -- "$TMP"' EXIT
ARTIFACTS=$BUILD/artifacts
mkdir -p "$ARTIFACTS" || exit 1

# The sanitizers' own settings: reports on stderr, where libFuzzer (and this script) read them,
# whatever a caller had set (tests/run-all.sh sends the test suite's reports to files).
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unset LSAN_OPTIONS

# start_one NAME — start a target in the background; its output goes to TMP/NAME.log.
start_one() {
	local name=$1 bin=$BUILD/fuzz/$1 corpus opts
	corpus=$(target_corpus "$name")
	mkdir -p "$TMP/$name.corpus" "$TMP/$name.tmp"
	if [ ! -x "$bin" ] || [ ! -d "$corpus" ]; then
		echo "missing $bin or $corpus (run make fuzz-build)" >"$TMP/$name.log"
		return 1
	fi
	read -r -a opts <<<"$(target_options "$name")"
	# The first corpus directory gets the new inputs; the seeds are only read. The target's own
	# temporary directory (fuzz.h) goes below TMP too, so that nothing is left behind.
	TMPDIR=$TMP/$name.tmp timeout -k 10 $((SECONDS_EACH + 120)) "$bin" \
		-max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix="$ARTIFACTS/$name-" "${opts[@]}" \
		"$TMP/$name.corpus" "$corpus" >"$TMP/$name.log" 2>&1 &
	PIDS[$name]=$!
}

stat_of() { # stat_of NAME KEY — a value of libFuzzer's final stats (-print_final_stats)
	sed -n "s/^stat::$2: *\([0-9]*\)$/\1/p" "$TMP/$1.log" | tail -n 1
}

passed=0
failed=0
declare -A PIDS=()

# report NAME STATUS — one result line for a finished target.
report() {
	local name=$1 rc=$2 art runs added
	if [ "$rc" -eq 0 ] && grep -q '^Done [0-9]* runs' "$TMP/$name.log"; then
		runs=$(stat_of "$name" number_of_executed_units)
		added=$(stat_of "$name" new_units_added)
		echo "ok - $name: ${runs:-?} inputs in $SECONDS_EACH s, ${added:-?} new"
		passed=$((passed + 1))
		return
	fi
	failed=$((failed + 1))
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$TMP/$name.log" | tail -n 1)
	if [ -n "$art" ]; then
		echo "FAIL - $name: $(grep -o -m 1 -E 'ERROR: [A-Za-z]+: [a-z-]+|runtime error|property violated|deadly signal|out-of-memory|timeout' "$TMP/$name.log" || echo crash), reproducer: $art"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "FAIL - $name: did not stop after $SECONDS_EACH s (killed)"
	else
		echo "FAIL - $name: exit status $rc without a reproducer"
	fi
	# The report: from what the sanitizer, libFuzzer or the violated property said, without the
	# shadow memory map.
	sed -n '/ERROR: \|runtime error:\|property violated\|deadly signal\|out-of-memory\|timeout after/,$p' \
		"$TMP/$name.log" | grep -v -E '^(Shadow|  [A-Z][A-Za-z ]+:|=?>? *0x[0-9a-f]+: |stat::)' |
		head -n 60 | sed 's/^/#   /'
	[ -z "$art" ] || echo "#   rerun: $BUILD/fuzz/$name $art"
}

# Run the targets, at most one per core at a time, and report each as it ends.
cores=$(nproc 2>/dev/null || echo 1)
queue=("${targets[@]}")
while [ "${#queue[@]}" -gt 0 ] || [ "${#PIDS[@]}" -gt 0 ]; do
	while [ "${#queue[@]}" -gt 0 ] && [ "${#PIDS[@]}" -lt "$cores" ]; do
		name=${queue[0]}
		queue=("${queue[@]:1}")
		echo "# $name: fuzzing for $SECONDS_EACH s"
		if ! start_one "$name"; then
			failed=$((failed + 1))
			echo "FAIL - $name: $(cat "$TMP/$name.log")"
		fi
	done
	[ "${#PIDS[@]}" -gt 0 ] || continue
	done_pid=
	wait -n -p done_pid "${PIDS[@]}"
	rc=$?
	for name in "${!PIDS[@]}"; do
		if [ "${PIDS[$name]}" = "$done_pid" ]; then
			unset 'PIDS[$name]'
			report "$name" "$rc"
		fi
	done
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
