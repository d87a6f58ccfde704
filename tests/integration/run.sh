#!/usr/bin/env bash
# run.sh [BUILD_DIR] — run every tests/integration/t_*.sh, each in its own bash process, show its
# output as it comes, and end with one line:
#
#     integration: N passed, N failed
#
# Exit status 0 only if nothing failed and every script reached its summary. BUILD_DIR (default
# "build") is where provfs and provctl are; a relative path is taken from the repository root.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)

BUILD=${1:-build}
case $BUILD in
/*) ;;
*) BUILD=$REPO_ROOT/$BUILD ;;
esac
export BUILD

passed=0
failed=0
incomplete=0
interrupted=0
# A Ctrl-C reaches the running script too (same process group); it cleans up and ends. We stop
# after it instead of starting the next one.
trap 'interrupted=1' INT TERM

out=$(mktemp "${TMPDIR:-/tmp}/provfs-run.XXXXXXXX") || exit 1

# run_one SCRIPT — run it, add its counts. A script that ends without its summary line, or with
# a failing status although it reports no failure (e.g. its cleanup left a mount), counts as one
# failed test, so that the total can never look clean when something went wrong.
run_one() {
	local script=$1 name rc line p f
	name=$(basename "$script")
	# tee -i: a Ctrl-C must not kill the reader while the script is still printing its cleanup.
	bash "$script" 2>&1 | tee -i "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E "^# $name: [0-9]+ passed, [0-9]+ failed\$" "$out" | tail -n 1)
	if [[ $line =~ :\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
	else
		echo "FAIL - $name: ended with status $rc without its summary line"
		p=0 f=1
		incomplete=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL - $name: exit status $rc although it reports no failure"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# The harness self-test first: if it fails, the results of the others mean little.
shopt -s nullglob
scripts=()
[ -f "$HERE/t_servers.sh" ] && scripts+=("$HERE/t_servers.sh")
for script in "$HERE"/t_*.sh; do
	[ "$script" = "$HERE/t_servers.sh" ] || scripts+=("$script")
done
if [ "${#scripts[@]}" -eq 0 ]; then
	echo "FAIL - run.sh: no tests/integration/t_*.sh found"
	failed=1
	incomplete=1
fi

for script in "${scripts[@]}"; do
	if [ "$interrupted" -eq 1 ]; then
		echo "# run.sh: interrupted, not running $(basename "$script")"
		incomplete=1
		continue
	fi
	run_one "$script"
done
rm -f -- "$out"

echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$incomplete" -eq 0 ] && [ "$interrupted" -eq 0 ]
