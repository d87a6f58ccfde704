#!/usr/bin/env bash
# t_firmware.sh — firmware stays in its directory, and nothing hangs or comes short (issue 10
# points 4 and 5):
# - a symlink to a secret in a version directory: `provctl check` names it at FILE:LINE:COL, the
#   mount is refused, a reload is refused; the secret never goes out over TFTP;
# - a firmware file replaced by a FIFO after mounting: its read fails at once (EIO) with a log
#   line, while other files and the rest of the mount keep being served;
# - a firmware file truncated under a reader (the mount, nginx, tftpd-hpa): the reader gets an
#   error, never a successful shorter file;
# - an inventory that becomes a FIFO, or a directory inventory that gains a directory or FIFO
#   named *.yaml: a reload error is logged, the last good generation keeps serving, and
#   `fusermount3 -u` ends the daemon within seconds; also while a reload is blocked on a hung
#   file system (a second provfs, stopped with SIGSTOP).
# Every client runs under `timeout`: a hang is a failure, never a stuck test.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/fw.yaml # firmware_dir "firmware" is relative to it
FW=$WORK/firmware/grandstream/1.0
MNT=$WORK/mnt
SECRET=$WORK/secret
SECRET_TEXT='root:x:TOPSECRET-firmware-test'
# The version's value: every error of the scan is reported at it.
WHERE="$INV:5:68:"

log_has() { grep -qF -- "$1" "$WORK/provfs.log"; }

make_tree() {
	mkdir -p "$FW" &&
		cat >"$INV" <<-'EOF' &&
			version: 1
			server: {url: http://127.0.0.1/prov}
			firmware_dir: firmware
			models:
			  GXP2170: {vendor: grandstream, max_lines: 2, firmware: {version: "1.0", prefix: gs_}}
			devices:
			  000b82123456: {model: GXP2170}
		EOF
		head -c 3000 /dev/urandom >"$FW/small.bin" &&
		head -c 5000 /dev/urandom >"$FW/fifo.bin" &&
		head -c 4M /dev/urandom >"$FW/big.bin" &&
		head -c 32M /dev/urandom >"$FW/http.bin" &&
		head -c 32M /dev/urandom >"$FW/tftp.bin" &&
		printf '%s\n' "$SECRET_TEXT" >"$SECRET"
}

# secret_not_in FILE — FILE does not carry the secret.
secret_not_in() {
	if [ -s "$1" ] && grep -qF -- "TOPSECRET" "$1"; then
		echo "the secret was served: $1"
		return 1
	fi
}

# ---- a symlink to a secret in the version directory --------------------------------------------
test_symlink() {
	local out=$WORK/check.out
	ln -s "$SECRET" "$FW/evil.bin"
	t_check_fails "provctl check: a symlink in the version directory is an error at $WHERE" \
		"$WHERE firmware 1.0: 'evil.bin' in grandstream/1.0 is a symbolic link" \
		timeout 10 "$PROVCTL" check "$INV"
	timeout 10 "$PROVCTL" cat "$INV" gs_evil.bin >"$out" 2>&1
	t_check "provctl cat does not print the secret" secret_not_in "$out"
	if provfs_mount "$INV" "$MNT" >/dev/null 2>&1; then
		t_fail "provfs refuses to mount with the symlink" "it mounted"
		timeout 10 cat -- "$MNT/gs_evil.bin" >"$out" 2>/dev/null
		t_check "the mount does not serve the secret" secret_not_in "$out"
		provfs_umount "$MNT" >/dev/null 2>&1
	else
		t_ok "provfs refuses to mount with the symlink"
		t_check "the log says why" log_has "is a symbolic link"
	fi
	rm -f -- "$FW/evil.bin"
}

# ---- reload refused; FIFO swapped in; truncation under readers ----------------------------------

# A reload with the symlink is refused; the secret is not a file over TFTP.
test_reload_symlink() {
	local out=$WORK/evil.tftp
	ln -s "$SECRET" "$FW/evil.bin"
	t_check "SIGHUP with the symlink" kill -HUP "$PROVFS_PID"
	t_check "the reload error names the symlink at $WHERE" \
		lib_poll 3 log_has "$WHERE firmware 1.0: 'evil.bin' in grandstream/1.0 is a symbolic link"
	t_check "the log says the last good generation stays" lib_poll 3 log_has "still serving generation 1"
	expect_not_found tftp gs_evil.bin "gs_evil.bin (a symlink to a secret)"
	fetch_tftp gs_evil.bin "$out" >/dev/null
	t_check "TFTP never sent the secret" secret_not_in "$out"
	rm -f -- "$FW/evil.bin"
}

# unblock_fifo PATH — opens a FIFO read-write for a moment: a reader blocked on it wakes up.
unblock_fifo() {
	local fd
	[ -p "$1" ] || return 0
	exec {fd}<>"$1"
	exec {fd}>&-
}

# read_fails_fast PATH SECONDS — reading PATH fails with EIO within SECONDS.
read_fails_fast() {
	local start end err
	start=$(date +%s%N)
	err=$(timeout 10 cat -- "$1" 2>&1 >/dev/null) && {
		echo "the read succeeded"
		return 1
	}
	end=$(date +%s%N)
	echo "after $(((end - start) / 1000000)) ms: $err"
	[[ $err == *"Input/output error"* ]] && [ $((end - start)) -lt $(($2 * 1000000000)) ]
}

test_fifo() {
	local pids=() p i rcs
	rm -f -- "$FW/fifo.bin" && mkfifo -- "$FW/fifo.bin"
	t_check "a firmware file replaced by a FIFO: its read fails (EIO) within 2 s" \
		read_fails_fast "$MNT/gs_fifo.bin" 2
	t_check "the log names the file" lib_poll 2 log_has "firmware gs_fifo.bin"
	# Readers keep trying the FIFO while others fetch: nobody waits on it.
	for i in 1 2 3 4 5 6; do
		(timeout 10 cat -- "$MNT/gs_fifo.bin" >/dev/null 2>&1) &
		pids+=($!)
	done
	t_cmp "meanwhile: the mount serves gs_small.bin" "$FW/small.bin" "$MNT/gs_small.bin"
	expect_fetch tftp gs_small.bin "$FW/small.bin" "meanwhile: gs_small.bin over TFTP"
	expect_fetch http gs_small.bin "$FW/small.bin" "meanwhile: gs_small.bin over HTTP"
	t_check "meanwhile: the device file is served" timeout 10 cat -- "$MNT/cfg000b82123456.xml"
	t_check "meanwhile: the directory lists" timeout 10 ls -- "$MNT"
	rcs=
	for p in "${pids[@]}"; do
		wait "$p"
		rcs+=" $?"
	done
	t_check "the 6 readers of the FIFO'd file failed, none blocked (statuses:$rcs)" \
		test -z "$(echo "$rcs" | tr ' ' '\n' | grep -xE '0|124')"
	unblock_fifo "$FW/fifo.bin"
}

# The mount: read half through one open file, truncate the real file, read on.
test_truncate_mount() {
	local fd rc err
	exec {fd}<"$MNT/gs_big.bin"
	dd bs=64k count=32 status=none <&"$fd" >"$WORK/big.part1"
	truncate -s 1M -- "$FW/big.bin"
	err=$(timeout 10 cat <&"$fd" 2>&1 >"$WORK/big.part2")
	rc=$?
	exec {fd}<&-
	t_eq "mount: first half read" 2097152 "$(stat -c %s -- "$WORK/big.part1")"
	t_check "mount: reading on after truncation fails with EIO (status $rc: $err)" \
		eio_failure "$rc" "$err"
	t_check "the log names the short read" lib_poll 2 log_has "read: firmware gs_big.bin"
}

eio_failure() { [ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [[ $2 == *"Input/output error"* ]]; }

# wait_size FILE BYTES — FILE has grown to at least BYTES.
wait_size() { [ "$(stat -c %s -- "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }

# nginx: Content-Length is 32 MiB; the file is truncated while curl reads it slowly.
test_truncate_http() {
	local out=$WORK/http.out pid rc
	: >"$out"
	curl -sS --noproxy '*' --limit-rate 4M --max-time 60 -o "$out" \
		"http://$LIB_ADDR:$HTTP_PORT/gs_http.bin" 2>"$WORK/http.err" &
	pid=$!
	lib_poll 10 wait_size "$out" 1048576
	truncate -s 0 -- "$FW/http.bin"
	wait "$pid"
	rc=$?
	t_check "HTTP: curl fails on the truncated file (status $rc, not 0): $(head -c 200 "$WORK/http.err")" \
		test "$rc" -ne 0
	t_check "HTTP: fewer bytes than announced arrived" test "$(stat -c %s -- "$out")" -lt 33554432
}

# tftpd-hpa: the file is truncated during the transfer.
test_truncate_tftp() {
	local out=$WORK/tftp.out pid rc msg
	: >"$out"
	timeout 60 tftp -m binary "$LIB_ADDR" "$TFTP_PORT" -c get gs_tftp.bin "$out" >"$WORK/tftp.msg" 2>&1 &
	pid=$!
	lib_poll 20 wait_size "$out" 1048576
	truncate -s 0 -- "$FW/tftp.bin"
	wait "$pid"
	rc=$?
	msg=$(head -c 200 "$WORK/tftp.msg")
	if [ "$rc" -eq 0 ] && [ -z "$msg" ] && [ "$(stat -c %s -- "$out")" -lt 33554432 ]; then
		t_fail "TFTP: the transfer fails" "a shorter file arrived as a success ($(stat -c %s -- "$out") bytes)"
	elif [ "$(stat -c %s -- "$out")" -ge 33554432 ]; then
		t_fail "TFTP: the transfer fails" "the whole file arrived before the truncation: too fast to test"
	else
		t_ok "TFTP: the transfer fails (status $rc: $msg)"
	fi
}

test_mounted() {
	t_check "tftpd-hpa starts on the mount" srv_tftpd_start "$MNT" || return 1
	t_check "nginx starts on the mount" srv_nginx_start "$MNT" || return 1
	expect_fetch tftp gs_small.bin "$FW/small.bin" "gs_small.bin over TFTP"
	test_reload_symlink
	test_fifo
	test_truncate_mount
	test_truncate_http
	test_truncate_tftp
	t_check "servers stop" srv_stop_all
}

# ---- inventory files that are not files ----------------------------------------------------------

# gone_within SECONDS PID — the daemon has exited within SECONDS.
gone_within() { lib_poll "$1" _lib_dead "$2"; }

# umount_fast NAME MNT PID — `fusermount3 -u` returns and the daemon is gone within 6 s.
umount_fast() {
	local start end
	start=$(date +%s)
	t_check "$1: fusermount3 -u returns" timeout 10 fusermount3 -u "$2"
	t_check "$1: the daemon is gone within 6 s" gone_within 6 "$3"
	end=$(date +%s)
	_lib_diag "$1: unmounted and gone after $((end - start)) s"
	provfs_umount "$2" >/dev/null 2>&1
}

test_inventory_fifo() {
	local d=$WORK/inv1 m=$WORK/mnt1 fifo pid
	mkdir -p "$d" && sed -e 's|firmware_dir: firmware|firmware_dir: ../firmware|' "$INV" >"$d/inv.yaml"
	fifo=$WORK/fifo.yaml
	mkfifo -- "$fifo" && mkdir -p -- "$m"
	t_check_fails "provctl check: a FIFO inventory is an error, no hang" \
		"$fifo:0:0: a FIFO, not a regular file" timeout 10 "$PROVCTL" check "$fifo"
	t_check_fails "provfs: a FIFO inventory is not mounted, no hang" "not mounted" \
		timeout 10 "$PROVFS" "$fifo" "$m" -f -o "state=$WORK/state.fifo"
	rm -f -- "$fifo"
	PROVFS_STATE=$WORK/state.inv1 provfs_mount "$d/inv.yaml" "$m" || {
		t_fail "provfs mounts a single-file inventory"
		return 1
	}
	pid=$PROVFS_PID
	cp -- "$m/cfg000b82123456.xml" "$WORK/dev.good"
	mkfifo -- "$d/next" && mv -- "$d/next" "$d/inv.yaml"
	t_check "a FIFO renamed over the inventory: a reload error" \
		lib_poll 3 log_has "$d/inv.yaml:0:0: a FIFO, not a regular file"
	t_check "the log says the last good generation stays" lib_poll 3 log_has "failed: still serving"
	t_cmp "the old generation keeps serving" "$WORK/dev.good" "$m/cfg000b82123456.xml"
	t_cmp "firmware keeps being served" "$FW/small.bin" "$m/gs_small.bin"
	umount_fast "FIFO inventory" "$m" "$pid"
	unblock_fifo "$d/inv.yaml"
}

test_directory_inventory() {
	local d=$WORK/inv2 m=$WORK/mnt2 pid
	mkdir -p "$d" && sed -e 's|firmware_dir: firmware|firmware_dir: ../firmware|' "$INV" >"$d/a.yaml"
	PROVFS_STATE=$WORK/state.inv2 provfs_mount "$d" "$m" || {
		t_fail "provfs mounts a directory inventory"
		return 1
	}
	pid=$PROVFS_PID
	cp -- "$m/cfg000b82123456.xml" "$WORK/dev2.good"
	mkdir -- "$d/x.yaml"
	t_check "a directory named x.yaml: a reload error" \
		lib_poll 3 log_has "$d/x.yaml:0:0: a directory, not a regular file"
	rmdir -- "$d/x.yaml"
	mkfifo -- "$d/y.yaml"
	t_check "a FIFO named y.yaml: a reload error" \
		lib_poll 3 log_has "$d/y.yaml:0:0: a FIFO, not a regular file"
	t_cmp "the old generation keeps serving" "$WORK/dev2.good" "$m/cfg000b82123456.xml"
	umount_fast "directory inventory with a FIFO" "$m" "$pid"
	unblock_fifo "$d/y.yaml"
}

# The reloader blocked in a hung file system: another provfs, stopped, holds what the inventory
# now points at. The unmount must still end the daemon.
test_blocked_reload() {
	local d=$WORK/inv3 m=$WORK/mnt3 h=$WORK/hung pid hung_pid
	mkdir -p "$d" && sed -e 's|firmware_dir: firmware|firmware_dir: ../firmware|' "$INV" >"$d/a.yaml"
	PROVFS_STATE=$WORK/state.hung provfs_mount "$REPO_ROOT/tests/data/basic.yaml" "$h" || {
		t_fail "a second provfs mounts (to be stopped)"
		return 1
	}
	hung_pid=$PROVFS_PID
	PROVFS_STATE=$WORK/state.inv3 provfs_mount "$d" "$m" || {
		t_fail "provfs mounts a directory inventory"
		return 1
	}
	pid=$PROVFS_PID
	kill -STOP "$hung_pid"
	ln -s -- "$h/cfgc074ad0a0b0c.xml" "$d/z.yaml" # the reload stats it: blocks in the stopped mount
	sleep 1.5                                    # the debounce, then the reload starts and blocks
	umount_fast "reload blocked in a hung file system" "$m" "$pid"
	t_check "the log says the reloader was left behind" lib_poll 2 log_has "reloader still busy"
	kill -CONT "$hung_pid"
	rm -f -- "$d/z.yaml"
	t_check "the second provfs unmounts" provfs_umount "$h"
}

if ! t_check "set up the inventory and its firmware (3000 B, 5000 B, 4 MiB, 2 x 32 MiB)" make_tree; then
	t_summary
	exit 1
fi
test_symlink
t_check "provctl check: the clean tree" timeout 10 "$PROVCTL" check "$INV"
if t_check "provfs mounts the clean tree" provfs_mount "$INV" "$MNT"; then
	test_mounted
	t_check "unmount" provfs_umount "$MNT"
fi
# The tests above left a FIFO in the version directory: the inventories below need a clean one.
fifo_back_to_file() { rm -f -- "$FW/fifo.bin" && head -c 5000 /dev/urandom >"$FW/fifo.bin"; }
t_check "the FIFO in the version directory is a file again" fifo_back_to_file
test_inventory_fifo
test_directory_inventory
test_blocked_reload
t_summary
