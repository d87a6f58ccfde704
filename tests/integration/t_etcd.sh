#!/usr/bin/env bash
# t_etcd.sh — the etcd client (state/etcd.c) against a real 3-member etcd cluster on loopback
# (etcd.sh), through tests/tools/etcd_tool.c: put/get/range/delete agree with etcdctl; a
# compare-and-swap wins once; two processes incrementing one counter by CAS lose no update; a
# watch sees every change in order within a second; killing the leader (which every client is
# connected to) loses or doubles no increment and leaves no gap in the watch; with every member
# stopped or frozen a call says "no etcd" (EAGAIN) within 2 s, and after a restart calls and the
# watch resume.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=etcd.sh
. "$(dirname "${BASH_SOURCE[0]}")/etcd.sh"

TOOL=$BUILD/tests/etcd_tool
lib_require_bin "etcd_tool is built (make test-programs)" "$TOOL"

etcd_cluster_start 3 || {
	t_fail "a 3-member etcd cluster starts on 127.0.0.1"
	t_summary
	exit 1
}
t_ok "a 3-member etcd cluster starts on 127.0.0.1"
U=$ETCD_URL
P=/provfs-test # the URL's prefix: etcd_tool puts every key below it

tool() { "$TOOL" "$U" "$@"; }
ctl() { _etcdctl --endpoints="$ETCD_ENDPOINTS" "$@"; }
ms() { date +%s%3N; }
# start_watch NAME PREFIX FROM — etcd_tool watch in the background, events into WORK/NAME.out.
start_watch() { lib_spawn "$WORK/$1.log" "$TOOL" "$U" watch "$2" "$3" "$WORK/$1.out"; }
# start_incr URL KEY ID COUNT [PAUSE_MS] — etcd_tool incr in the background, into WORK/incrID.log.
start_incr() { lib_spawn "$WORK/incr$3.log" "$TOOL" "$1" incr "$2" "$3" "$4" ${5:+"$5"}; }

# --- put, get, range, delete ----------------------------------------------------------------

put_rev=$(tool put dev/one v1)
t_eq "put reports the revision etcd gives the key" "rev=$(ctl get "$P/dev/one" -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["mod_revision"])')" "$put_rev"
t_eq "get returns the value and revisions put wrote" "v1 mod=${put_rev#rev=} create=${put_rev#rev=}" "$(tool get dev/one)"
ctl put "$P/dev/two" "written by etcdctl" >/dev/null
t_eq "a value etcdctl wrote reads back" "written by etcdctl" "$(tool get dev/two | sed 's/ mod=.*//')"
ctl put "$P/devices" "not below dev/" >/dev/null
t_eq "range of a prefix: exactly its keys, in key order" \
	"$P/dev/one=v1 $P/dev/two=written by etcdctl" \
	"$(tool range dev/ | grep -v '^rev=' | sed 's/ mod=[0-9]*$//' | paste -sd ' ')"
t_check_fails "get of a missing key says ENOENT" ENOENT tool get dev/none
t_eq "delete removes one key" "deleted=1" "$(tool del dev/one | cut -d' ' -f1)"
t_eq "etcdctl no longer sees it" "" "$(ctl get "$P/dev/one" --print-value-only)"

# --- compare-and-swap -----------------------------------------------------------------------

first=$(tool cas dev/cas absent "epoch 1")
t_eq "CAS on an absent key succeeds" ok "${first%% *}"
rev1=${first#ok rev=}
t_check_fails "the same CAS again fails with the current value and revision" \
	"canceled epoch 1 mod=$rev1" tool cas dev/cas absent "epoch 1"
t_check "CAS on the current mod_revision succeeds" tool cas dev/cas "mod=$rev1" "epoch 2"
t_check_fails "CAS on the old mod_revision fails" "canceled epoch 2 mod=" tool cas dev/cas "mod=$rev1" "epoch 3"
t_check "CAS on the current value succeeds" tool cas dev/cas "value=epoch 2" "epoch 3"
t_check_fails "CAS on an old value fails" "canceled epoch 3 mod=" tool cas dev/cas "value=epoch 2" "epoch 4"
t_eq "etcdctl sees the winning value" "epoch 3" "$(ctl get "$P/dev/cas" --print-value-only)"

# --- a watch sees every change, in order, within a second --------------------------------------

W1=$WORK/watch1.out
start_watch watch1 w/ 0
W1_PID=$SPAWN_PID
t_check "the watch connects" lib_poll 10 contains "$W1" "# status connected"

# seen FILE ERE — FILE has a line matching ERE.
seen() { grep -qE -- "$2" "$1"; }

# watch_latency KEY VALUE — put KEY=VALUE, print the ms until the watch shows it (or "never").
watch_latency() {
	local t0 rev
	t0=$(ms)
	rev=$(tool put "$1" "$2") || return 1
	if lib_poll 3 seen "$W1" "^${rev#rev=} PUT $P/$1 $2\$"; then
		echo $(($(ms) - t0))
	else
		echo never
	fi
}
slow=
for k in 1 2 3 4 5; do
	l=$(watch_latency "w/k$k" "value $k")
	[ "$l" != never ] && [ "$l" -lt 1000 ] || slow+=" w/k$k:$l"
done
t_eq "every put reaches the watch within 1 s" "" "$slow"
tool del w/k2 >/dev/null
t_check "a delete reaches the watch" lib_poll 1 seen "$W1" "^[0-9]+ DELETE $P/w/k2 \$"
t_eq "the watch saw the six changes in order, each once" \
	"PUT w/k1|PUT w/k2|PUT w/k3|PUT w/k4|PUT w/k5|DELETE w/k2" \
	"$(awk -v p="$P/" '$1 ~ /^[0-9]+$/ { sub(p, "", $3); print $2 " " $3 }' "$W1" | paste -sd '|')"
lib_stop_pid "$W1_PID"

# --- two processes, one counter, no lost update ------------------------------------------------

# counter_ok KEY TOTAL ID:N... — the counter's value is TOTAL with each writer's last increment.
counter_ok() {
	local key=$1 total=$2 v w
	shift 2
	v=$(tool get "$key" | sed 's/ mod=.*//')
	echo "counter: $v"
	[ "${v%% *}" = "$total" ] || return 1
	for w in "$@"; do
		[[ " $v " == *" $w "* ]] || return 1
	done
}

# incr_done LOG ID N — the incr process wrote its success line.
incr_done() { grep -q "^incr $2 done $3 " "$1"; }

start_incr "$U" ctr A 50
A_PID=$SPAWN_PID
start_incr "$U" ctr B 50
B_PID=$SPAWN_PID
lib_poll 40 _lib_dead "$A_PID"
lib_poll 40 _lib_dead "$B_PID"
t_check "writer A finished its 50 increments" incr_done "$WORK/incrA.log" A 50
t_check "writer B finished its 50 increments" incr_done "$WORK/incrB.log" B 50
t_check "the counter is exactly 100 (A:50, B:50)" counter_ok ctr 100 A:50 B:50
t_check "the writers really raced (some CAS lost and retried)" \
	grep -qE 'conflicts=[1-9]' "$WORK/incrA.log" "$WORK/incrB.log"
lib_stop_pid "$A_PID"
lib_stop_pid "$B_PID"

# --- the leader dies during increments ---------------------------------------------------------
# Every client starts at the first endpoint; member 1 is made the leader, so the kill takes the
# connection of the watch and of both writers at once.

t_check "member 1 becomes the leader" etcd_move_leader 1
W2=$WORK/watch2.out
start_watch watch2 ctr2 0
W2_PID=$SPAWN_PID
t_check "a second watch connects" lib_poll 10 contains "$W2" "# status connected"
start_incr "$U" ctr2 C 60 20
C_PID=$SPAWN_PID
start_incr "$U" ctr2 D 60 20
D_PID=$SPAWN_PID

count_at_least() { # count_at_least KEY N — the counter has reached N
	local v
	v=$(tool get "$1" 2>/dev/null) || return 1
	[ "${v%% *}" -ge "$2" ] 2>/dev/null
}
lib_poll 20 count_at_least ctr2 30
killed=$(etcd_leader)
t_eq "the leader is member 1" 1 "$killed"
at_kill=$(tool get ctr2 | sed 's/ mod=.*//')
t_check "kill -9 the leader mid-run" etcd_kill "$killed" KILL
lib_poll 60 _lib_dead "$C_PID"
lib_poll 60 _lib_dead "$D_PID"
t_check "writer C finished its 60 increments after the kill" incr_done "$WORK/incrC.log" C 60
t_check "writer D finished its 60 increments after the kill" incr_done "$WORK/incrD.log" D 60
t_check "the counter is exactly 120 (C:60, D:60): nothing lost or doubled" counter_ok ctr2 120 C:60 D:60
t_check "the kill came mid-run (counter just before: ${at_kill%% *})" test "${at_kill%% *}" -lt 120
lib_stop_pid "$C_PID"
lib_stop_pid "$D_PID"

# watch_counts FILE KEY — the counts of KEY's PUT events in FILE, one a line.
watch_counts() { awk -v k="$P/$2" '$1 ~ /^[0-9]+$/ && $2 == "PUT" && $3 == k { print $4 }' "$1"; }
t_check "the watch reaches 120" lib_poll 5 seen "$W2" " PUT $P/ctr2 120 "
t_eq "the watch saw counts 1..120, each once and in order, across the kill" \
	"$(seq 1 120 | paste -sd ' ')" "$(watch_counts "$W2" ctr2 | paste -sd ' ')"
t_check "restart the killed member" etcd_restart "$killed"
t_check "the cluster is healthy again" etcd_wait_healthy 30

# --- the watch's member freezes while writes go on elsewhere ------------------------------------
# The watch starts at member 1, a follower; the writer's URL lists members 2, 3, 1, so its writes
# never wait for member 1. Frozen (SIGSTOP), member 1 keeps the watch's connection open and
# silent: the watch must notice, resume on another member from its last revision + 1 and so
# deliver the increments made meanwhile, none twice.

t_check "member 2 becomes the leader" etcd_move_leader 2
U2=etcd://$LIB_ADDR:${ETCD_CLIENT[2]},$LIB_ADDR:${ETCD_CLIENT[3]},$LIB_ADDR:${ETCD_CLIENT[1]}$P
W3=$WORK/watch3.out
start_watch watch3 ctr3 0
W3_PID=$SPAWN_PID
t_check "a third watch connects (to member 1)" lib_poll 10 contains "$W3" "# status connected"
start_incr "$U2" ctr3 E 100 50
E_PID=$SPAWN_PID
lib_poll 20 count_at_least ctr3 10
frozen_at=$(tool get ctr3 | cut -d' ' -f1)
kill -STOP "${ETCD_PID[1]}"
lib_poll 60 _lib_dead "$E_PID"
t_check "writer E finished its 100 increments while member 1 was frozen" incr_done "$WORK/incrE.log" E 100
t_check "member 1 froze mid-run (counter just before: $frozen_at)" test "$frozen_at" -lt 100
t_check "the watch reaches 100 without member 1" lib_poll 10 seen "$W3" " PUT $P/ctr3 100 "
t_eq "the watch saw counts 1..100, each once and in order, across the freeze" \
	"$(seq 1 100 | paste -sd ' ')" "$(watch_counts "$W3" ctr3 | paste -sd ' ')"
kill -CONT "${ETCD_PID[1]}"
lib_stop_pid "$W3_PID"
lib_stop_pid "$E_PID"
t_check "the cluster is healthy after member 1 thaws" etcd_wait_healthy 30

# --- no etcd: calls fail fast; after a restart they and the watch resume -----------------------

# fails_fast LABEL CMD... — CMD prints "error EAGAIN", and the call took under 2000 ms inside the
# client (etcd_tool's ETCD_TOOL_TIMING; the process's own start-up aside, which ASan slows).
fails_fast() {
	local label=$1 t0 out wall re=$'^took_ms=([0-9]+)\nerror EAGAIN$'
	shift
	t0=$(ms)
	out=$(ETCD_TOOL_TIMING=1 "$@" 2>&1)
	wall=$(($(ms) - t0))
	if [[ $out =~ $re ]] && [ "${BASH_REMATCH[1]}" -lt 2000 ]; then
		t_ok "$label (${BASH_REMATCH[1]} ms; $wall ms with the process)"
	else
		t_fail "$label" "got: $out ($wall ms with the process)"
	fi
}

t_check "stop every member" etcd_stop_all
fails_fast "get says EAGAIN within 2 s with every member stopped" tool get ctr2
fails_fast "CAS says EAGAIN within 2 s with every member stopped" tool cas ctr2 absent x
t_check "the watch reports no etcd" lib_poll 5 contains "$W2" "# status EAGAIN"
for i in 1 2 3; do
	etcd_restart "$i"
done
t_check "all three members restart on their data" etcd_wait_healthy 30
t_eq "get works again and the data survived" 120 "$(tool get ctr2 | cut -d' ' -f1)"
# last_status FILE — the watch's last status line says connected.
last_connected() { [ "$(awk '$2 == "status" { s = $3 } END { print s }' "$1")" = connected ]; }
t_check "the watch reconnects (its last status is connected again)" lib_poll 10 last_connected "$W2"
t_check "a put after the restart" tool put ctr2 "121 after-restart"
t_check "the watch delivers it" lib_poll 5 seen "$W2" " PUT $P/ctr2 121 after-restart\$"
t_eq "the watch has every revision once" "" "$(awk '$1 ~ /^[0-9]+$/ { print $1 }' "$W2" | sort | uniq -d)"

# Frozen members (SIGSTOP) accept connections and never answer: the per-attempt timeout, not a
# refused connection, must end the call.
for i in 1 2 3; do
	kill -STOP "${ETCD_PID[i]}"
done
fails_fast "get says EAGAIN within 2 s with every member frozen" tool get ctr2
for i in 1 2 3; do
	kill -CONT "${ETCD_PID[i]}"
done
t_check "the cluster is healthy after the freeze" etcd_wait_healthy 30
lib_stop_pid "$W2_PID"

# --- a watch from a compacted revision: a snapshot, then events --------------------------------

compact_rev=$(tool put dev/before-compaction x | sed 's/^rev=//')
t_check "compact the history up to revision $compact_rev" ctl compact "$compact_rev"
W4=$WORK/watch4.out
start_watch watch4 dev/ 1
W4_PID=$SPAWN_PID
ndev=$(ctl get --prefix "$P/dev/" --keys-only | grep -c .)
t_check "a watch from revision 1 gets the prefix's $ndev keys as a snapshot at a revision >= $compact_rev" \
	lib_poll 10 seen "$W4" "^# reset [0-9]+ $ndev\$"
snap_rev=$(awk '$2 == "reset" { print $3 }' "$W4")
t_check "the snapshot's revision is at or after the compaction" test "${snap_rev:-0}" -ge "$compact_rev"
t_check "a put after it" tool put dev/after-compaction y
t_check "then arrives as an event" lib_poll 5 seen "$W4" "^[0-9]+ PUT $P/dev/after-compaction y\$"
t_eq "and nothing from before the snapshot" "" "$(awk -v r="${snap_rev:-0}" '$1 ~ /^[0-9]+$/ && $1 <= r' "$W4")"
lib_stop_pid "$W4_PID"

t_summary
