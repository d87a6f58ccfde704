#!/usr/bin/env bash
#
# run.sh — `make bench`: the reboot storm (bench/storm.sh) for each size of BENCH_SIZES (default
# "1000 10000" devices) and the large inventory (bench/scale.sh) at BENCH_SCALE_N (default
# 100000) and the replicas (bench/replicas.sh at BENCH_REPLICAS_N, default 10000, its own table),
# then one summary table of every result against its target (issue 11, SPEC §6), with
# the machine it ran on. Each script prints its own detailed table first.
#
# BENCH_WRITE=1 also writes bench/results.md: the summary and every detailed table, each in its
# own block (bench/write-results.py), so a rerun replaces them. Exit status 1 if a script failed
# (a failed request, a file that differed, a failed read); a missed target is only reported.
#
# Run it on an idle machine: the ratios compare two runs on the same CPUs, and anything else
# running skews them (each table gives the load average).

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZES=${BENCH_SIZES:-1000 10000}
SCALE_N=${BENCH_SCALE_N:-100000}
SUMMARY=$(mktemp /tmp/provfs-bench-summary.XXXXXXXX) || exit 1
TABLE=$(mktemp /tmp/provfs-bench-table.XXXXXXXX) || exit 1
trap 'rm -f -- "$SUMMARY" "$TABLE"' EXIT
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date -u '+%Y-%m-%d %H:%M UTC')
rc=0

for n in $SIZES; do
	case $n in
	'' | *[!0-9]*)
		echo "run.sh: BENCH_SIZES must be numbers, not '$n'" >&2
		exit 2
		;;
	esac
	BENCH_SUMMARY=$SUMMARY bash "$HERE/storm.sh" "$n" || rc=1
done
BENCH_SUMMARY=$SUMMARY bash "$HERE/scale.sh" "$SCALE_N" || rc=1
# README "Replicas": three replicas sharing delivery through etcd (its own table)
bash "$HERE/replicas.sh" "${BENCH_REPLICAS_N:-10000}" || rc=1

{
	printf '### make bench: summary\n\n'
	printf '%s; %s CPUs (nproc), %s, RAM %s MiB, Linux %s; provfs %s; load average at start %s, at the end %s.\n\n' \
		"$START" "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
		"$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" "$(uname -r)" \
		"$(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo '?')" \
		"$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2016 # backquotes are markdown here
	printf 'Ratios are provfs / a `provctl export` of the same inventory on tmpfs, served by the same server with the same configuration, runs alternated A B A B (details below).\n\n'
	printf '| devices | measurement | measured | target | met |\n|---:|---|---|---|---|\n'
	awk -F'\t' '{
		v = $5; if (v == "PASS") v = "yes"; else if (v == "FAIL") v = "**no**"
		printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, v
	}' "$SUMMARY"
} >"$TABLE"
printf '\n'
cat "$TABLE"

if [ "${BENCH_WRITE:-0}" = 1 ]; then
	python3 "$HERE/write-results.py" "$HERE/results.md" summary "$TABLE" top || rc=1
fi
exit "$rc"
