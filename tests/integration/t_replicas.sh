#!/usr/bin/env bash
# t_replicas.sh — three provfs replicas share each device's key epoch and delivery through a real
# 3-member etcd cluster on loopback (issue 14, points 2 and 4; state/shared.h): one inventory,
# one key_secret, three mounts with state=etcd://... and a cache=DIR each.
# - a phone reads its plain key file from A and its .enc files from B and C and decrypts them
#   with that key (openssl enc -d, as t_panasonic.sh); then the plain file is ENOENT on all
#   three within one second; provctl status -s etcd:// says delivered with the proof's name;
# - kill -9 of the etcd leader during deliveries of several devices: each delivery is recorded
#   exactly once (etcd's version count of the record: absent -> served -> delivered is 2
#   writes) and every replica agrees;
# - every etcd member stopped: every file is still served (plain key files too), a proof during
#   the outage records nothing, each daemon logs the outage once; members back: the pending
#   delivery completes on all three within seconds;
# - provctl rekey -s etcd:// moves all three to the next epoch's key (byte-identical plain
#   files, the HKDF of the secret for epoch 2, as t_derived.sh computes it); refused while
#   etcd is away;
# - a replica restarted while etcd is down serves from its cache directory, and the delivery
#   waiting in it completes once etcd is back;
# - numbers for the README: reload time and VmRSS per replica, etcd traffic per delivery.

# shellcheck disable=SC2016 # in sh -c '...', $1.. are the inner shell's arguments
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=etcd.sh
. "$(dirname "${BASH_SOURCE[0]}")/etcd.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/inv.yaml
SECRET=$WORK/site.key
LOG=$WORK/provfs.log
PA=0080F0C8C383 # KX-UTG300, encrypt: true, key_length: 256 (tests/data/panasonic.yaml)
MORE=(0080F0C8C390 0080F0C8C391 0080F0C8C392 0080F0C8C393 0080F0C8C394 0080F0C8C395)
OUTM=0080F0C8C396 # the device whose proof comes while etcd is away
MEAS=0080F0C8C397 # the delivery whose etcd traffic is measured
P=/provfs-test # etcd.sh's URL prefix

# The test inventory: panasonic.yaml and seven more encrypted KX-UTG300.
{
	cat "$REPO_ROOT/tests/data/panasonic.yaml"
	for m in "${MORE[@]}" "$OUTM" "$MEAS"; do
		printf '  %s: {model: KX-UTG300, lines: [{user: "2%s", password: "pw%s"}]}\n' \
			"$m" "${m: -2}" "${m: -2}"
	done
} >"$INV"
(umask 077 && head -c 33 /dev/urandom | base64 -w0 >"$SECRET")

pa_key() { sed -n 's|.*<CFG_FILE_KEY>\([^<]*\)</CFG_FILE_KEY>.*|\1|p' "$1"; }
ms() { date +%s%3N; }

etcd_cluster_start 3 || {
	t_fail "a 3-member etcd cluster starts on 127.0.0.1"
	t_summary
	exit 1
}
t_ok "a 3-member etcd cluster starts on 127.0.0.1"
ctl() { _etcdctl --endpoints="$ETCD_ENDPOINTS" "$@"; }
record() { ctl get "$P/dev/$1" --print-value-only 2>/dev/null; }
# version MAC — how many writes etcd's record of MAC has had since it was created
version() { ctl get "$P/dev/$1" -w json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["version"])'; }

declare -A MNT PIDS
mount_one() { # mount_one X — replica X with its own cache directory
	MNT[$1]=$WORK/mnt.$1
	PROVFS_STATE=$WORK/cache.$1 provfs_mount "$INV" "${MNT[$1]}" \
		"listing=all,key_secret=$SECRET,state=$ETCD_URL,cache=$WORK/cache.$1" || return 1
	PIDS[$1]=$PROVFS_PID
}
for x in a b c; do
	t_check "replica $x mounts with state=etcd://3 endpoints/provfs-test, cache=DIR" mount_one "$x"
done
if [ "${#PIDS[@]}" -ne 3 ]; then
	t_summary
	exit 1
fi
t_check "the replicas reached etcd (first range applied)" \
	lib_poll 10 sh -c '[ "$(grep -c "etcd: .* device records applied" "$1")" -ge 3 ]' _ "$LOG"

# --- the mount refuses what it cannot serve ---------------------------------------------------
mkdir -p "$WORK/mnt.x"
t_check_fails "state=etcd:// without key_secret is refused in one line" \
	"state=etcd://... needs key_secret=FILE" \
	"$PROVFS" "$INV" "$WORK/mnt.x" -f -o "state=$ETCD_URL,cache=$WORK/cache.x"
t_check_fails "a bad etcd URL is refused, naming it" "state=etcd://nohost/p" \
	"$PROVFS" "$INV" "$WORK/mnt.x" -f -o "state=etcd://nohost/p,key_secret=$SECRET"
t_check_fails "cache= without state=etcd:// is refused" "cache=" \
	"$PROVFS" "$INV" "$WORK/mnt.x" -f -o "state=$WORK/s.x,cache=$WORK/cache.x"

# gone_on_all NAME — NAME is ENOENT on the three mounts
gone_on_all() { enoent "${MNT[a]}/$1" >/dev/null && enoent "${MNT[b]}/$1" >/dev/null && enoent "${MNT[c]}/$1" >/dev/null; }
# on_all NAME — NAME can be read on the three mounts
on_all() { cat "${MNT[a]}/$1" "${MNT[b]}/$1" "${MNT[c]}/$1" >/dev/null 2>&1; }
# deliver_split MAC — a phone: the plain file from A to its end, then one .enc file from B
deliver_split() {
	cat "${MNT[a]}/Config$1.cfg" >"$WORK/plain.$1" && cat "${MNT[b]}/Config$1.enc" >"$WORK/enc.$1"
}

# rec_has MAC TEXT — etcd's record of MAC holds TEXT
rec_has() { record "$1" | grep -qF -- "$2"; }
# metrics — from every member's /metrics, summed: "BYTES TXN RANGE", the gRPC bytes sent and
# received, and the Txn and Range calls handled (the gateway's calls go through gRPC)
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
# any_gone NAME — NAME is ENOENT on one of the mounts at least
any_gone() { ! exists_on a "$1" || ! exists_on b "$1" || ! exists_on c "$1"; }
exists_on() { [ -e "${MNT[$1]}/$2" ]; }
# stays_on_all NAME SECS — NAME stays on all three mounts for SECS
stays_on_all() { ! lib_poll "$2" any_gone "$1"; }
count() { grep -c -- "$1" "$LOG"; }
count_ge() { [ "$(count "$1")" -ge "$2" ]; } # count_ge TEXT N — TEXT is in N log lines or more
no_key_in_etcd() { ! ctl get "$P" --prefix | grep -qiF -- "$1"; }

# --- plain from A, .enc from B and C; the plain file goes on all three within a second ---------
t_check "the plain key file is listed on all three" sh -c 'test -e "$1" && test -e "$2" && test -e "$3"' _ \
	"${MNT[a]}/Config$PA.cfg" "${MNT[b]}/Config$PA.cfg" "${MNT[c]}/Config$PA.cfg"
t_check "no record in etcd before anything was read to its end" test -z "$(record "$PA")"
cat "${MNT[a]}/Config$PA.cfg" >"$WORK/plain.cfg"
pk=$(pa_key "$WORK/plain.cfg")
t_eq "its key is the HKDF of the secret for epoch 1 (openssl kdf)" "$(kdf panasonic "$PA" 1)" "$pk"
t_check "A's served mark reaches etcd (epoch 1 served)" lib_poll 5 rec_has "$PA" "epoch 1 state served proof -"
cat "${MNT[b]}/Config$PA.enc" >"$WORK/Config$PA.enc"
t0=$(ms)
t_check "the plain key file is ENOENT on all three within one second of the proof on B" \
	lib_poll 1 gone_on_all "Config$PA.cfg"
_lib_diag "plain key file gone on all three $(($(ms) - t0)) ms after the .enc request on B"
cat "${MNT[c]}/ConfigKX-UTG300-$PA.enc" >"$WORK/ConfigKX-UTG300-$PA.enc"
for n in "Config$PA.enc" "ConfigKX-UTG300-$PA.enc"; do
	openssl enc -d -aes-256-cbc -a -md md5 -pass "pass:$pk" -in "$WORK/$n" -out "$WORK/$n.dec" 2>/dev/null
	t_check "$n (from ${n:6:1}) opens with the key of A's plain file" test -s "$WORK/$n.dec"
done
t_check "... and holds the line's password" grep -qF pw1003 "$WORK/Config$PA.enc.dec"
t_check "etcd records the delivery with its proof" lib_poll 2 rec_has "$PA" "epoch 1 state delivered proof Config$PA.enc since"
t_check "provctl status -s etcd:// says delivered with the proof's name" \
	sh -c '"$1" status "$2" "$3" -s "$4" | grep -q "^$3 panasonic epoch 1 delivered proof Config$3.enc since 20"' \
	_ "$PROVCTL" "$INV" "$PA" "$ETCD_URL"
lib_poll 3 count_ge "key of ${PA,,} delivered (recorded in etcd" 3
t_eq "each replica logs that delivery once" 3 "$(count "key of ${PA,,} delivered (recorded in etcd")"

# one delivery's etcd traffic: nothing but the phone's two reads between the two looks
read -r b0 t0 r0 < <(metrics)
deliver_split "$MEAS"
t_check "a delivery: plain file from A, .enc from B: gone on all three" lib_poll 1 gone_on_all "Config$MEAS.cfg"
lib_poll 3 count_ge "key of ${MEAS,,} delivered (recorded in etcd" 3
read -r b1 t1 r1 < <(metrics)
_lib_diag "etcd for one delivery seen by 3 replicas: $((b1 - b0)) gRPC bytes (sent+received, all members), $((t1 - t0)) Txn and $((r1 - r0)) Range calls"
t_eq "one delivery costs etcd two compare-and-swaps (served, delivered) and no read" "2 0" "$((t1 - t0)) $((r1 - r0))"
t_check "provctl status -s etcd:// -c DIR shows one replica's own view: delivered" \
	sh -c '"$1" status "$2" "$3" -s "$4" -c "$5" | grep -q delivered' _ "$PROVCTL" "$INV" "$PA" "$ETCD_URL" "$WORK/cache.c"
t_check_fails "provctl -c DIR without -s etcd:// is refused" "-c DIR goes with -s etcd://" \
	"$PROVCTL" status "$INV" -s "$WORK/cache.c" -c "$WORK/cache.c"
t_check "the cache directories hold no key" sh -c '! grep -rqiF -- "$1" "$2"/cache.*' _ "$pk" "$WORK"
t_check "etcd holds no key" no_key_in_etcd "$pk"

# --- kill -9 of the leader during deliveries: each recorded once, nothing lost ------------------
(
	for m in "${MORE[@]}"; do
		deliver_split "$m"
	done
	touch "$WORK/deliveries.done"
) &
DEL_PID=$!
t_check "deliveries are under way" lib_poll 10 rec_has "${MORE[0]}" "state delivered"
leader=$(etcd_leader)
t_check "the etcd leader (member $leader) is killed with SIGKILL" etcd_kill "$leader" KILL
t_check "the deliveries end" lib_poll 30 test -e "$WORK/deliveries.done"
lib_poll 5 _lib_dead "$DEL_PID"
for m in "${MORE[@]}"; do
	t_check "$m: delivered in etcd with its proof" lib_poll 15 rec_has "$m" "state delivered proof Config$m.enc since"
	t_eq "$m: recorded once: served, then delivered (version 2)" 2 "$(version "$m")"
	t_check "$m: the plain file is ENOENT on all three" lib_poll 5 gone_on_all "Config$m.cfg"
	t_eq "$m: each replica applied the delivery once" 3 "$(count "key of ${m,,} delivered (recorded in etcd")"
done
t_check "the killed member comes back" etcd_restart "$leader"
t_check "the cluster is healthy again" etcd_wait_healthy 20

# --- every member stopped: replicas keep serving, record nothing, log it once ------------------
away0=$(count "etcd unreachable: serving the last known state")
t_check "every etcd member stopped" etcd_stop_all
t_check "each replica logs the outage" lib_poll 15 count_ge "etcd unreachable: serving the last known state" $((away0 + 3))
t_check "the delivered device's .enc files are served on all" on_all "Config$PA.enc"
t_check "an undelivered device's plain key file is served on all" on_all "Config$OUTM.cfg"
cat "${MNT[a]}/Config$OUTM.cfg" >"$WORK/plain.out"
cat "${MNT[a]}/Config$OUTM.enc" >/dev/null
t_check "the proof's intent is kept in A's cache directory" lib_poll 2 test -s "$WORK/cache.a/shared-$OUTM"
t_check "a proof during the outage records nothing: the plain file stays on all three (3 s)" \
	stays_on_all "Config$OUTM.cfg" 3
t_check_fails "provctl rekey -s etcd:// is refused while etcd is away" "no new epoch while etcd is away" \
	"$PROVCTL" rekey "$INV" "$OUTM" -s "$ETCD_URL" -k "$SECRET"
# a replica restarted while etcd is down serves from its cache directory, and keeps its intent
t_check "replica A unmounts" provfs_umount "${MNT[a]}"
t_check "replica A mounts again while etcd is down" mount_one a
t_check "A: the delivered device's plain file is still ENOENT (from its cache)" enoent "${MNT[a]}/Config$PA.cfg"
t_check "A: its .enc file is served" sh -c 'cat "$1" >"$2"' _ "${MNT[a]}/Config$PA.enc" "$WORK/a.enc"
openssl enc -d -aes-256-cbc -a -md md5 -pass "pass:$pk" -in "$WORK/a.enc" -out "$WORK/a.dec" 2>/dev/null
t_check "A: ... and opens with the same key" grep -qF pw1003 "$WORK/a.dec"
t_check "A: the undelivered plain key file (the outage's proof) is still served" test -s "${MNT[a]}/Config$OUTM.cfg"
t_check "A: the intent survived the restart" test -s "$WORK/cache.a/shared-$OUTM"
t_check "A logs the outage when it starts" lib_poll 10 count_ge "etcd unreachable: serving the last known state" $((away0 + 4))
t_eq "every daemon logged the outage once" $((away0 + 4)) "$(count "etcd unreachable: serving the last known state")"

# --- members back: the pending delivery completes ------------------------------------------------
back0=$(count "etcd back")
for ((i = 1; i <= ETCD_N; i++)); do
	etcd_restart "$i"
done
t_check "the members restart and are healthy" etcd_wait_healthy 30
t0=$(ms)
t_check "the pending delivery completes: plain file ENOENT on all three" lib_poll 10 gone_on_all "Config$OUTM.cfg"
_lib_diag "pending delivery recorded $(($(ms) - t0)) ms after the cluster was healthy"
t_check "etcd records it with the outage's proof" rec_has "$OUTM" "epoch 1 state delivered proof Config$OUTM.enc"
t_check "the intent file is gone" lib_poll 5 test ! -e "$WORK/cache.a/shared-$OUTM"
t_check "each replica logs etcd back once" lib_poll 10 count_ge "etcd back" $((back0 + 3))

# --- provctl rekey -s etcd:// moves all three to the next epoch ---------------------------------
t_check "provctl rekey -s etcd:// records epoch 2" sh -c '"$@" | grep -q "epoch 2 recorded in etcd"' _ \
	"$PROVCTL" rekey "$INV" "$PA" -s "$ETCD_URL" -k "$SECRET"
t_check "etcd says epoch 2 pending" rec_has "$PA" "epoch 2 state pending proof -"
t0=$(ms)
t_check "within a second the plain key file is back on all three" lib_poll 1 on_all "Config$PA.cfg"
_lib_diag "rekey applied and served by all three $(($(ms) - t0)) ms after provctl rekey returned"
for x in a b c; do
	cat "${MNT[$x]}/Config$PA.cfg" >"$WORK/rekey.$x"
done
t_cmp "A and B serve byte-identical plain files of epoch 2" "$WORK/rekey.a" "$WORK/rekey.b"
t_cmp "A and C too" "$WORK/rekey.a" "$WORK/rekey.c"
t_eq "the key is the HKDF of the secret for epoch 2" "$(kdf panasonic "$PA" 2)" "$(pa_key "$WORK/rekey.a")"

# --- numbers for the README ------------------------------------------------------------------
for x in a b c; do
	n=$(count "reloaded ")
	t0=$(ms)
	kill -HUP "${PIDS[$x]}"
	lib_poll 10 count_ge "reloaded " $((n + 1))
	_lib_diag "replica $x: reload $(($(ms) - t0)) ms; $(grep VmRSS "/proc/${PIDS[$x]}/status" | tr -s ' \t' ' ')"
done
t_check "no secret and no key in the daemons' log" no_string_in "$LOG" "$(cat "$SECRET")" "$pk"

t_summary
