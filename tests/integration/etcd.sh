# shellcheck shell=bash
#
# etcd.sh — a real etcd cluster for the integration tests, on loopback. Source it after lib.sh:
#
#     . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#     . "$(dirname "${BASH_SOURCE[0]}")/etcd.sh"
#
#   etcd_cluster_start [N]   N members (default 3) of Debian's etcd-server, each on two free
#                            ports of its own (client, peer) on 127.0.0.1, data in WORK/etcd/mI;
#                            waits until every member is healthy. Sets ETCD_N, ETCD_ENDPOINTS
#                            ("127.0.0.1:C1,127.0.0.1:C2,..."), ETCD_URL (etcd://ENDPOINTS/provfs-test)
#                            and per member I (1..N) ETCD_PID[I], ETCD_CLIENT[I], ETCD_PEER[I]
#   etcd_kill I [SIGNAL]     SIGNAL (default KILL) to member I, waits until it is gone
#   etcd_stop I              member I stopped by PID (TERM, then KILL)
#   etcd_restart I           member I started again on its ports and data (after kill or stop)
#   etcd_stop_all            every member stopped
#   etcd_wait_healthy [SECS] every running member is healthy (a leader, a committed proposal)
#   etcd_leader              prints the member number I of the leader (fails if none)
#   etcd_move_leader I       member I becomes the leader
#   etcd_alive_endpoints     prints the client endpoints of the running members, comma-separated
#   kdf VENDOR MAC EPOCH     prints the key a replica derives (state/derive.h) from the site
#                            secret in the file $SECRET, by openssl kdf (as t_derived.sh)
#
# Never a fixed port: a system etcd that the etcd-server package may have started on 2379/2380
# is neither used nor disturbed. Members are stopped by PID through lib.sh's cleanup, like every
# server. Election timing is etcd's default (heartbeat 100 ms, election 1000 ms): a killed leader
# is replaced in about 1-2 s.

ETCD_BIN=${ETCD_BIN:-/usr/bin/etcd}
ETCDCTL_BIN=${ETCDCTL_BIN:-/usr/bin/etcdctl}
ETCD_N=0
ETCD_PID=()
ETCD_CLIENT=()
ETCD_PEER=()
ETCD_ENDPOINTS=
ETCD_URL=
_ETCD_CLUSTER=

# etcd_cluster_start [N]
etcd_cluster_start() {
	local n=${1:-3} i
	lib_require_bin "etcd and etcdctl are installed (etcd-server, etcd-client)" "$ETCD_BIN" "$ETCDCTL_BIN"
	mkdir -p "$WORK/etcd"
	ETCD_N=$n
	ETCD_ENDPOINTS=
	_ETCD_CLUSTER=
	for ((i = 1; i <= n; i++)); do
		free_port 2 >/dev/null || return 1
		ETCD_CLIENT[i]=$FREE_PORT
		ETCD_PEER[i]=$((FREE_PORT + 1))
		ETCD_ENDPOINTS+=${ETCD_ENDPOINTS:+,}$LIB_ADDR:${ETCD_CLIENT[i]}
		_ETCD_CLUSTER+=${_ETCD_CLUSTER:+,}m$i=http://$LIB_ADDR:${ETCD_PEER[i]}
	done
	# shellcheck disable=SC2034 # ETCD_URL: for the scripts that source this file
	ETCD_URL=etcd://$ETCD_ENDPOINTS/provfs-test
	for ((i = 1; i <= n; i++)); do
		_etcd_spawn "$i" new
	done
	etcd_wait_healthy 30
}

# _etcd_spawn I new|existing — member I in the foreground of its own session (lib_spawn).
_etcd_spawn() {
	local i=$1
	lib_spawn "$WORK/etcd/m$i.log" "$ETCD_BIN" --name "m$i" --data-dir "$WORK/etcd/m$i" \
		--listen-client-urls "http://$LIB_ADDR:${ETCD_CLIENT[i]}" \
		--advertise-client-urls "http://$LIB_ADDR:${ETCD_CLIENT[i]}" \
		--listen-peer-urls "http://$LIB_ADDR:${ETCD_PEER[i]}" \
		--initial-advertise-peer-urls "http://$LIB_ADDR:${ETCD_PEER[i]}" \
		--initial-cluster "$_ETCD_CLUSTER" --initial-cluster-state "$2" \
		--initial-cluster-token "provfs-test-$$" --log-level warn
	ETCD_PID[i]=$SPAWN_PID
}

etcd_kill() {
	local i=$1 sig=${2:-KILL} pid=${ETCD_PID[$1]}
	[ -n "$pid" ] || return 0
	kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null
	lib_poll 10 _lib_dead "$pid" || return 1
	lib_stop_pid "$pid" # reaps it and forgets it
	ETCD_PID[i]=
}

etcd_stop() {
	local i=$1
	[ -n "${ETCD_PID[i]}" ] || return 0
	lib_stop_pid "${ETCD_PID[i]}" 10
	ETCD_PID[i]=
}

etcd_restart() {
	[ -z "${ETCD_PID[$1]}" ] || return 1
	_etcd_spawn "$1" existing
}

etcd_stop_all() {
	local i rc=0
	for ((i = 1; i <= ETCD_N; i++)); do
		etcd_stop "$i" || rc=1
	done
	return "$rc"
}

etcd_alive_endpoints() {
	local i out=
	for ((i = 1; i <= ETCD_N; i++)); do
		if [ -z "${ETCD_PID[i]}" ] || ! _lib_alive "${ETCD_PID[i]}"; then
			continue
		fi
		out+=${out:+,}$LIB_ADDR:${ETCD_CLIENT[i]}
	done
	[ -n "$out" ] && echo "$out"
}

_etcdctl() {
	ETCDCTL_API=3 "$ETCDCTL_BIN" --dial-timeout=1s --command-timeout=2s "$@"
}

# Every running member healthy (etcdctl commits a proposal through each): the cluster has a
# leader and a quorum.
_etcd_healthy() {
	local eps
	eps=$(etcd_alive_endpoints) || return 1
	_etcdctl --endpoints="$eps" endpoint health >/dev/null 2>&1
}

etcd_wait_healthy() {
	local i
	lib_poll "${1:-20}" _etcd_healthy && return 0
	_lib_diag "etcd: not healthy after ${1:-20} s"
	for ((i = 1; i <= ETCD_N; i++)); do
		_lib_diag_file "$WORK/etcd/m$i.log" 5
	done
	return 1
}

# etcd_leader — the member whose ID the members report as leader.
etcd_leader() {
	local eps json i n
	eps=$(etcd_alive_endpoints) || return 1
	json=$(_etcdctl --endpoints="$eps" endpoint status -w json 2>/dev/null) || return 1
	i=$(python3 -c '
import json, sys
leader = None
for s in json.loads(sys.argv[1]):
    st = s["Status"]
    if st.get("leader") and st["header"]["member_id"] == st["leader"]:
        leader = s["Endpoint"]
print(leader or "")
' "$json") || return 1
	[ -n "$i" ] || return 1
	for ((n = 1; n <= ETCD_N; n++)); do
		if [ "$i" = "$LIB_ADDR:${ETCD_CLIENT[n]}" ]; then
			echo "$n"
			return 0
		fi
	done
	return 1
}

# etcd_move_leader I — make member I the leader (etcdctl move-leader, sent to the current one).
etcd_move_leader() {
	local i=$1 cur id json
	cur=$(etcd_leader) || return 1
	[ "$cur" = "$i" ] && return 0
	json=$(_etcdctl --endpoints="$LIB_ADDR:${ETCD_CLIENT[i]}" endpoint status -w json) || return 1
	id=$(python3 -c 'import json, sys; print("%x" % json.loads(sys.argv[1])[0]["Status"]["header"]["member_id"])' "$json") || return 1
	_etcdctl --endpoints="$LIB_ADDR:${ETCD_CLIENT[cur]}" move-leader "$id" >/dev/null || return 1
	lib_poll 5 _etcd_leader_is "$i"
}

_etcd_leader_is() { [ "$(etcd_leader)" = "$1" ]; }

kdf() {
	openssl kdf -keylen 16 -kdfopt digest:SHA256 -kdfopt "hexkey:$(xxd -p "$SECRET" | tr -d '\n')" \
		-kdfopt "hexsalt:$(printf %s 'provfs per-device key v1' | xxd -p | tr -d '\n')" \
		-kdfopt "hexinfo:$(printf '%s\0%s\0%s' "$1" "$2" "$3" | xxd -p | tr -d '\n')" HKDF |
		tr -d ':\n' | tr 'A-F' 'a-f'
}
