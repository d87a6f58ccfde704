#!/usr/bin/env bash
# t_servers.sh — self-test of the harness, without FUSE: the three real servers started by lib.sh
# serve a plain directory, the three clients fetch from it byte-for-byte, and a missing name comes
# back in each protocol's own words. If this fails, t_mount.sh results mean nothing.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root

ROOT=$WORK/root

# Files chosen for the protocols' edge cases: a tiny text file, a multi-block binary file (TFTP
# blocks are 512 bytes), and a file of exactly two blocks (TFTP then sends a final empty block).
make_root() {
	mkdir -p "$ROOT"
	printf 'hello, phone\n' >"$ROOT/small.txt"
	head -c 70001 /dev/urandom >"$ROOT/blob.bin"
	head -c 1024 /dev/urandom >"$ROOT/two-blocks.bin"
	chmod 0755 "$ROOT"
	chmod 0444 "$ROOT"/*
}

check_free_port() {
	local p
	free_port >/dev/null || return 1
	p=$FREE_PORT
	[ "$p" -ge 20000 ] && [ "$p" -le 32767 ] && [ -z "$(ss -Htuan "( sport = :$p )")" ]
}

# After srv_stop_all nothing of the three servers may remain: no process in their groups, and
# their ports are closed.
check_all_gone() {
	local pid
	for pid in "$@"; do
		_lib_dead "$pid" && _lib_group_empty "$pid" || return 1
	done
	[ -z "$(ss -Hlntu "( sport = :$TFTP_PORT or sport = :$HTTP_PORT or sport = :$FTP_PORT )")" ]
}

make_root
t_check "free_port gives an unused high port" check_free_port

t_check "tftpd-hpa starts" srv_tftpd_start "$ROOT"
t_check "nginx starts" srv_nginx_start "$ROOT"
t_check "vsftpd starts" srv_vsftpd_start "$ROOT"

for proto in tftp http ftp; do
	for f in small.txt blob.bin two-blocks.bin; do
		expect_fetch "$proto" "$f" "$ROOT/$f" "$f is byte-identical"
	done
	expect_not_found "$proto" missing.txt
done

# The status each helper reports on success, as documented in lib.sh.
fetch_tftp small.txt "$WORK/x" >/dev/null
t_eq "fetch_tftp reports ok" ok "$FETCH_CODE"
fetch_http small.txt "$WORK/x" >/dev/null
t_eq "fetch_http reports 200" 200 "$FETCH_CODE"
fetch_ftp small.txt "$WORK/x" >/dev/null
t_eq "fetch_ftp reports 226" 226 "$FETCH_CODE"
t_eq "fetch_http prints the status" 404 "$(fetch_http missing.txt "$WORK/x")"

pids="$TFTPD_PID $NGINX_PID $VSFTPD_PID"
t_check "servers stop by PID" srv_stop_all
# shellcheck disable=SC2086 # three PIDs, split on purpose
t_check "no server process or port left" check_all_gone $pids

t_summary
