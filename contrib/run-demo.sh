#!/usr/bin/env bash
# run-demo.sh [BUILD_DIR] — what `make run` does after the build: mount
# contrib/example/inventory.yaml at a temporary mount point, serve it with tftpd-hpa on
# 127.0.0.1:6969, print commands to try, and wait. Ctrl-C stops tftpd-hpa, unmounts, waits for
# provfs to exit and removes the temporary directory.
#
# Needs root: tftpd-hpa drops to nobody, which can read the mount only with -o allow_other.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/.." && pwd)

BUILD=${1:-${BUILD:-build}}
case $BUILD in
/*) ;;
*) BUILD=$REPO_ROOT/$BUILD ;;
esac
PROVFS=$BUILD/provfs
PROVCTL=$BUILD/provctl
# DEMO_INVENTORY: demo another inventory instead of the example.
INVENTORY=${DEMO_INVENTORY:-$REPO_ROOT/contrib/example/inventory.yaml}
ADDR=127.0.0.1
PORT=6969

die() {
	echo "run-demo: $*" >&2
	exit 1
}

# Paths shown to the user: relative to the repository root when run from there.
show() {
	if [ "$PWD" = "$REPO_ROOT" ]; then
		printf '%s' "${1#"$REPO_ROOT"/}"
	else
		printf '%s' "$1"
	fi
}

# --- refuse early, before anything is started ------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "needs root (tftpd-hpa drops to nobody; the mount needs allow_other)"
for bin in "$PROVFS" "$PROVCTL"; do
	[ -x "$bin" ] || die "$bin missing: run make first"
done
[ -r "$INVENTORY" ] || die "$INVENTORY not found"
command -v in.tftpd >/dev/null || die "in.tftpd not found: apt-get install tftpd-hpa (or make deps)"
busy=$(ss -Hlnup "( sport = :$PORT )" 2>/dev/null)
if [ -n "$busy" ]; then
	die "UDP port $PORT is busy, not starting:
$busy
Stop whatever listens there (e.g. a system tftpd-hpa on that port) and try again."
fi

# --- state and cleanup -----------------------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/provfs-demo.XXXXXXXX") || die "mktemp failed"
chmod 0711 "$TMP" # tftpd (as nobody) chroots into the mount below it
MNT=$TMP/mnt
mkdir -p "$MNT" "$TMP/state"
chmod 0700 "$TMP/state"
PROVFS_PID=
TFTPD_PID=

alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

mounted() { awk -v m="$MNT" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }

# wait_gone PID SECONDS — poll until PID has exited.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		alive "$1" || return 0
		sleep 0.05
	done
	! alive "$1"
}

# stop PID — TERM, then KILL after 5 s. By PID only.
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait_gone "$1" 5 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	trap - EXIT INT TERM
	trap '' PIPE
	echo
	echo "run-demo: stopping"
	# tftpd first: it is chrooted inside the mount, which would make the unmount fail (busy).
	stop "$TFTPD_PID"
	if mounted; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT"
	fi
	if [ -n "$PROVFS_PID" ]; then
		wait_gone "$PROVFS_PID" 10 || stop "$PROVFS_PID"
		wait "$PROVFS_PID" 2>/dev/null
	fi
	if mounted; then
		echo "run-demo: $MNT is still mounted; left $TMP in place" >&2
	else
		rm -rf --one-file-system -- "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- mount -----------------------------------------------------------------------------------

# setsid: Ctrl-C reaches only this script, whose cleanup then stops things in order. provfs
# writes its log (audit lines: which name was fetched) to this terminal.
setsid "$PROVFS" "$INVENTORY" "$MNT" -f -o "allow_other,state=$TMP/state" </dev/null &
PROVFS_PID=$!
for ((i = 0; i < 200; i++)); do
	mounted && break
	alive "$PROVFS_PID" || die "provfs exited before mounting $MNT (see its messages above)"
	sleep 0.05
done
mounted || die "provfs did not mount $MNT within 10 s"

# --- serve -----------------------------------------------------------------------------------

# After the mount: tftpd's chroot pins the directory it sees when it starts.
setsid in.tftpd -L -a "$ADDR:$PORT" -s "$MNT" -u nobody </dev/null &
TFTPD_PID=$!
for ((i = 0; i < 100; i++)); do
	ss -Hlnup "( sport = :$PORT )" 2>/dev/null | grep -q "pid=$TFTPD_PID," && break
	alive "$TFTPD_PID" || die "in.tftpd exited (port $PORT taken meanwhile?)"
	sleep 0.05
done

# --- tell the user ---------------------------------------------------------------------------

# The first per-device Grandstream file; any name if there is none.
NAMES=$("$PROVCTL" ls "$INVENTORY") || die "provctl ls failed"
NAME=$(grep -E '^cfg[0-9a-f]{12}\.xml$' <<<"$NAMES" | head -n 1)
[ -n "$NAME" ] || NAME=$(head -n 1 <<<"$NAMES")

cat <<EOF

provfs demo
  inventory  $(show "$INVENTORY")
  mounted at $MNT (read-only; ls shows no per-device names)
  served by  tftpd-hpa on $ADDR:$PORT (UDP)

Fetch a phone's file the way the phone does, from another terminal:

  tftp -m binary $ADDR $PORT -c get $NAME /tmp/$NAME

Its content before encryption (a device with an XML password gets it encrypted; the password is
in a comment of the inventory):

  $(show "$PROVCTL") cat $(show "$INVENTORY") $NAME --plain

Every name the mount serves: $(show "$PROVCTL") ls $(show "$INVENTORY")

Press Ctrl-C to stop.
EOF

# Until Ctrl-C, or until one of the two ends by itself.
wait -n "$PROVFS_PID" "$TFTPD_PID"
alive "$PROVFS_PID" || echo "run-demo: provfs has exited" >&2
alive "$TFTPD_PID" || echo "run-demo: in.tftpd has exited" >&2
