#!/usr/bin/env bash
# replicas.sh [N] — the numbers of README "Replicas: delivery shared through etcd" (issue 14,
# point 5), measured: a 3-member etcd cluster (tests/integration/etcd.sh) and three provfs
# replicas with state=etcd://..., one key_secret and a cache directory each, on an inventory of
# N devices (default 10000) from bench/gen-inventory.py. Per replica:
#
#   mount            provfs started -> the mount answers (provfs_mount's poll), ms
#   VmRSS            after the mount, and after every name of `provctl ls` was looked up on it
#   reload           SIGHUP -> the "reloaded" log line, ms (mounted with nowatch: SIGHUP only)
#
# and for the cluster: BENCH_DELIVERIES (default 50) phones each read their plain key file from
# replica A to its end and ask replica B for an .enc name; the etcd traffic per delivery is the
# difference of every member's /metrics (gRPC bytes sent and received, Txn and Range calls),
# summed, divided by the deliveries; the time until the last delivered plain file is gone on
# all three replicas is measured too.
#
# Not part of `make check` (minutes of both CPUs); `make bench` runs it after the other scripts.
# It uses the integration tests' library (tests/integration/lib.sh): everything binds 127.0.0.1,
# every process is stopped by PID and every mount undone at exit, and failures are counted as
# in a test ("N passed, N failed" at the end). Run it on an idle machine.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/lib.sh"
# shellcheck source=tests/integration/etcd.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/etcd.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

N=${1:-10000}
K=${BENCH_DELIVERIES:-50}
INV=$WORK/inv.yaml
SECRET=$WORK/site.key
LOG=$WORK/provfs.log

ms() { date +%s%3N; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; } # per A B — A/B, 1 decimal
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
reloads() { grep -c 'reloaded .*: generation' "$LOG"; }

python3 "$REPO_ROOT/bench/gen-inventory.py" "$N" "$INV" >/dev/null || exit 1
(umask 077 && head -c 32 /dev/urandom >"$SECRET")
"$PROVCTL" ls "$INV" >"$WORK/names" || exit 1
mapfile -t MACS < <(sed -n 's/^Config\([0-9A-F]\{12\}\)\.enc$/\1/p' "$WORK/names" | head -n "$K")
t_check "the inventory has $K encrypted devices to deliver" test "${#MACS[@]}" -eq "$K"

t_check "a 3-member etcd cluster starts on 127.0.0.1" etcd_cluster_start 3 || {
	t_summary
	exit 1
}

declare -A MNT PIDS MOUNT_MS RSS_MOUNT RSS_ALL RELOAD_MS
mount_one() { # mount_one X
	local t0
	MNT[$1]=$WORK/mnt.$1
	t0=$(ms)
	PROVFS_STATE=$WORK/cache.$1 provfs_mount "$INV" "${MNT[$1]}" \
		"nowatch,key_secret=$SECRET,state=$ETCD_URL,cache=$WORK/cache.$1" || return 1
	MOUNT_MS[$1]=$(($(ms) - t0))
	PIDS[$1]=$PROVFS_PID
	RSS_MOUNT[$1]=$(rss_kb "$PROVFS_PID")
}
look_up_all() { # look_up_all X — every name looked up (a lookup renders), 2 in parallel
	(cd "${MNT[$1]}" && xargs -P 2 -n 200 stat -c '' -- <"$WORK/names" >/dev/null)
}
# shellcheck disable=SC2016 # $1, $2: the inner sh's arguments
reload_one() { # reload_one X — SIGHUP, then the next "reloaded" line
	local before t0
	before=$(reloads)
	t0=$(ms)
	kill -HUP "${PIDS[$1]}" && lib_poll 120 sh -c '[ "$(grep -c "reloaded .*: generation" "$1")" -gt "$2" ]' _ "$LOG" "$before" ||
		return 1
	RELOAD_MS[$1]=$(($(ms) - t0))
}
for x in a b c; do
	t_check "replica $x mounts $N devices with state=etcd://" mount_one "$x" || {
		t_summary
		exit 1
	}
	t_check "replica $x: every name looked up" look_up_all "$x"
	RSS_ALL[$x]=$(rss_kb "${PIDS[$x]}")
	t_check "replica $x: a reload" reload_one "$x"
done

# metrics — every member's /metrics summed: "BYTES TXN RANGE" (as tests/integration/t_replicas.sh)
metrics() {
	local i
	for ((i = 1; i <= ETCD_N; i++)); do
		curl -s --max-time 2 "http://$LIB_ADDR:${ETCD_CLIENT[i]}/metrics"
	done | awk '
		/^etcd_network_client_grpc_(sent|received)_bytes_total/ { b += $2 }
		/^grpc_server_handled_total.*grpc_method="Txn"/ { t += $2 }
		/^grpc_server_handled_total.*grpc_method="Range"/ { r += $2 }
		END { printf "%d %d %d\n", b, t, r }'
}
deliver() { # deliver MAC — the plain file from A to its end, then an .enc name from B
	cat "${MNT[a]}/Config$1.cfg" >/dev/null && stat -c '' "${MNT[b]}/Config$1.enc" >/dev/null
}
gone_on_all() { # gone_on_all MAC — its plain file is ENOENT on the three replicas
	local x
	for x in a b c; do
		[ ! -e "${MNT[$x]}/Config$1.cfg" ] || return 1
	done
}

read -r b0 t0 r0 < <(metrics)
start=$(ms)
for m in "${MACS[@]}"; do
	deliver "$m" || t_fail "delivery of $m"
done
t_check "the last delivery is gone on all three replicas" lib_poll 10 gone_on_all "${MACS[K - 1]}"
spread=$(($(ms) - start))
# the counters settle once the last watch events went out: two reads 0.2 s apart agree
prev=$(metrics)
for _ in $(seq 50); do
	sleep 0.2
	now=$(metrics)
	[ "$now" = "$prev" ] && break
	prev=$now
done
read -r b1 t1 r1 <<<"$now"
all_gone=1
for m in "${MACS[@]}"; do
	gone_on_all "$m" || all_gone=0
done
t_eq "every delivered plain file is gone on all three" 1 "$all_gone"

{
	printf '\n### bench/replicas.sh: %s devices, 3 replicas, 3 etcd members\n\n' "$N"
	printf '%s; %s CPUs; load average %s.\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '| replica | mount, ms | VmRSS mounted, MB | VmRSS all looked up, MB | reload, ms |\n'
	printf '|---|---|---|---|---|\n'
	for x in a b c; do
		printf '| %s | %s | %s | %s | %s |\n' "$x" "${MOUNT_MS[$x]}" "$(per "${RSS_MOUNT[$x]}" 1024)" \
			"$(per "${RSS_ALL[$x]}" 1024)" "${RELOAD_MS[$x]:-failed}"
	done
	printf '\n| %s deliveries (plain from A, .enc from B) | per delivery |\n|---|---|\n' "$K"
	printf '| etcd gRPC bytes (sent + received, all members) | %d |\n' $(((b1 - b0) / K))
	printf '| Txn calls | %s |\n' "$(per $((t1 - t0)) "$K")"
	printf '| Range calls | %s |\n' "$(per $((r1 - r0)) "$K")"
	printf '| all %s done and gone on 3 replicas, ms | %s in all |\n' "$K" "$spread"
} >&"$_LIB_OUT"
t_summary
