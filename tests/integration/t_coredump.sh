#!/usr/bin/env bash
# t_coredump.sh — no secret in a core dump (issue 10, point 8): a crash of provfs or provctl
# started from a shell with `ulimit -c unlimited` writes no core, because both set RLIMIT_CORE
# to 0 and make themselves non-dumpable (state/nodump.h) before they read a secret.
#
# Each process runs in a subshell with `ulimit -c unlimited` whose working directory is an empty
# directory of its own: with core_pattern "core" (relative) the kernel writes the core there, as
# "core" or, with core_uses_pid, "core.PID".
# - Control first: `sleep` killed by SIGSEGV in such a directory must leave a core file, which
#   proves that this machine would show us a core at all. If it does not (another core_pattern:
#   absolute, or a pipe to systemd-coredump or apport), the test says so and judges by
#   /proc/PID/limits only, which it checks in every case: "Max core file size 0 0".
# - The daemon, started with -f in such a directory (libfuse 3.14 then changes to / all the same:
#   the core would go to /core, so the test looks wherever /proc/PID/cwd says), mounted on an
#   inventory with a marker password, after a fetch of the encrypted file (so the secrets are
#   rendered in its memory): SIGSEGV leaves no core; the dead mount is undone with fusermount3.
# - provctl cat --plain of a device file larger than a pipe's buffer into a FIFO that nobody
#   reads: it blocks in write(2) with the rendered plaintext in memory; SIGSEGV leaves no core.
# A core found anyway is reported with its size and whether the marker is in it.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/inventory.yaml
MNT=$WORK/mnt
DEVICE=cfg000b82123456.xml # encrypted with PASSWORD
PASSWORD='Secr3t!'
MARKER="core-marker-$$-$RANDOM" # the line password: what a core must never hold
PATTERN=$(cat /proc/sys/kernel/core_pattern)

# A sanitized build (build-asan) catches SIGSEGV itself and reports it as a crash: leave the
# signal to the kernel, as in the normal build.
NOSAN_SEGV="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"

# tests/data/basic.yaml with the marker as 00:0b:82:12:34:56's line password, plus a group of
# 2000 long params so that the device's file is larger than a pipe's buffer (provctl blocks).
make_inventory() {
	local i
	sed "s/pw&1001<x>/$MARKER/" "$REPO_ROOT/tests/data/basic.yaml" >"$INV" || return 1
	grep -qF -- "$MARKER" "$INV" || return 1
	{
		printf '  big:\n    params:\n      grandstream:\n'
		for ((i = 10000; i < 12000; i++)); do
			printf '        P%d: "%s"\n' "$i" "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		done
	} >"$WORK/group.yaml"
	# the group goes under groups:, the device joins it
	awk -v g="$WORK/group.yaml" '
		{ print }
		/^groups:/ { while ((getline line < g) > 0) print line }
	' "$INV" | sed 's/groups: \[sales\]/groups: [sales, big]/' >"$INV.new" && mv -- "$INV.new" "$INV"
}

# core_state DIR PID — each name the kernel may give the core of PID in DIR ("core",
# "core.PID"), with its inode, size and ctime if it exists: a core written there changes a line.
core_state() {
	local f
	for f in "${1%/}/core" "${1%/}/core.$2"; do
		if [ -f "$f" ]; then
			stat -c '%n %i %s %z' -- "$f"
		else
			echo "$f -"
		fi
	done
}

# no_new_core DIR PID — no core written since core_state gave CORE_BEFORE; else says which,
# how large and whether the marker is in it (then it is ours, and removed: no secret left behind)
no_new_core() {
	local line f rc=0
	while IFS= read -r line; do
		grep -qxF -- "$line" <<<"$CORE_BEFORE" && continue
		f=${line%% *}
		rc=1
		echo "core written: $f ($(_lib_size "$f") bytes)"
		if grep -aqF -- "$MARKER" "$f"; then
			echo "  it holds the marker password; removed"
			rm -f -- "$f"
		fi
	done < <(core_state "$1" "$2")
	return "$rc"
}

has_core_in() { [ -n "$(find "$1" -mindepth 1 -maxdepth 1 -type f -name 'core*')" ]; }

no_core_limit() { # no_core_limit PID — /proc/PID/limits: "Max core file size 0 0"
	local line
	line=$(grep -F 'Max core file size' "/proc/$1/limits") || {
		echo "cannot read /proc/$1/limits"
		return 1
	}
	echo "$line"
	[[ $line =~ ^Max\ core\ file\ size\ +0\ +0\ + ]]
}

cwd_is() { # cwd_is PID DIR
	local cwd
	cwd=$(readlink "/proc/$1/cwd") || return 1
	echo "cwd $cwd"
	[ "$cwd" = "$2" ]
}

blocked_in_pipe_write() { # the kernel symbol a writer to a full pipe sleeps in
	local w
	w=$(cat "/proc/$1/wchan" 2>/dev/null) || return 1
	[[ $w == *pipe_write* ]]
}

not_mounted() { ! lib_is_mounted "$1"; }


t_check "the inventory carries the marker password and a large device file" make_inventory
t_check "provctl check accepts it" "$PROVCTL" check "$INV"
_lib_diag "core_pattern: $PATTERN; core_uses_pid: $(cat /proc/sys/kernel/core_uses_pid)"

# --- control: can this machine show us a core? -------------------------------------------------
CTRL=$WORK/core-sleep
mkdir -p "$CTRL"
(cd "$CTRL" && ulimit -c unlimited && exec sleep 30) &
ctrl_pid=$!
lib_poll 5 cwd_is "$ctrl_pid" "$CTRL" >/dev/null
kill -SEGV "$ctrl_pid"
wait "$ctrl_pid" 2>/dev/null
t_eq "control: sleep died of SIGSEGV" 139 "$?"
if lib_poll 5 has_core_in "$CTRL"; then
	SEE_CORES=1
	t_ok "control: sleep killed by SIGSEGV left a core in its directory ($(ls -- "$CTRL"))"
	rm -f -- "$CTRL"/core*
else
	SEE_CORES=0
	_lib_diag "control: no core from sleep: core_pattern '$PATTERN' does not write into the" \
		"working directory, so this test cannot see a core; it judges by /proc/PID/limits only"
fi

# crash NAME PID — SIGSEGV to PID (our child), then one test: no core where the kernel would
# have put it (PID's working directory), when cores can be seen at all. Sets CRASH_RC.
crash() {
	local name=$1 pid=$2 cwd
	cwd=$(readlink "/proc/$pid/cwd")
	CORE_BEFORE=$(core_state "$cwd" "$pid")
	kill -SEGV "$pid"
	wait "$pid" 2>/dev/null
	CRASH_RC=$?
	if [ "$SEE_CORES" -eq 1 ]; then
		t_check "$name: no core in its working directory $cwd" no_new_core "$cwd" "$pid"
	fi
}

# --- the daemon --------------------------------------------------------------------------------
# Started as provfs_mount does, but from a directory of its own with `ulimit -c unlimited`.
# libfuse 3.14's fuse_daemonize changes to / even in the foreground (-f), so its core would go
# to /core: crash() looks wherever the daemon is.
D=$WORK/core-provfs
mkdir -p "$D" "$MNT" "$WORK/state"
chmod 0700 "$WORK/state"
(cd "$D" && ulimit -c unlimited && ASAN_OPTIONS=$NOSAN_SEGV exec setsid "$PROVFS" "$INV" "$MNT" \
	-f -o "allow_other,nowatch,state=$WORK/state") </dev/null >>"$WORK/provfs.log" 2>&1 \
	{_LIB_OUT}>&- {_LIB_ERR}>&- &
provfs_pid=$!
provfs_track_mount "$MNT" "$provfs_pid"
if t_check "provfs mounts the inventory" lib_poll 10 lib_is_mounted "$MNT"; then
	_lib_diag "provfs runs in $(readlink "/proc/$provfs_pid/cwd") (started in $D)"
	t_check "provfs: Max core file size 0 0" no_core_limit "$provfs_pid"
	t_check "$DEVICE is fetched through the mount" cp -- "$MNT/$DEVICE" "$WORK/device.enc"
	t_check "it decrypts" decrypt "$WORK/device.enc" "$WORK/device.xml"
	t_check "and holds the marker password (a secret in the daemon's memory)" \
		contains "$WORK/device.xml" "$MARKER"
	crash provfs "$provfs_pid"
	t_eq "provfs: exit status 128 + SIGSEGV" 139 "$CRASH_RC"
else
	_lib_diag_file "$WORK/provfs.log"
fi
# the dead mount ("Transport endpoint is not connected"): fusermount3 -u, -uz if need be
provfs_umount "$MNT" >/dev/null 2>&1
t_check "the mount is gone" not_mounted "$MNT"

# --- provctl -----------------------------------------------------------------------------------
C=$WORK/core-provctl
FIFO=$WORK/fifo
mkdir -p "$C"
mkfifo -- "$FIFO"
# held open for reading (so provctl's open does not wait) and never read (so its write does)
exec {fifo_fd}<>"$FIFO"
(cd "$C" && ulimit -c unlimited && ASAN_OPTIONS=$NOSAN_SEGV exec "$PROVCTL" cat "$INV" "$DEVICE" \
	--plain -s "$WORK/state-ctl") >"$FIFO" 2>>"$WORK/provctl.log" {_LIB_OUT}>&- {_LIB_ERR}>&- &
ctl_pid=$!
t_check "provctl cat --plain blocks writing the plaintext into a full pipe" \
	lib_poll 10 blocked_in_pipe_write "$ctl_pid"
t_check "provctl keeps its working directory" cwd_is "$ctl_pid" "$C"
t_check "provctl: Max core file size 0 0" no_core_limit "$ctl_pid"
crash provctl "$ctl_pid"
t_eq "provctl: exit status 128 + SIGSEGV" 139 "$CRASH_RC"
exec {fifo_fd}>&-

t_summary
