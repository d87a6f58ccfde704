#!/usr/bin/env bash
# t_keys.sh — keys are never lost or raced (issue 10 points 1 and 2, SPEC §2 encrypted
# provisioning, §4 durable state; state/keys.h).
#
# - One key per device, whoever asks: 40 encrypted devices, each read through the mount (its
#   plain key file, then an .enc name: a phone) and by `provctl cat` of its Config<MAC>.enc at the
#   same instant (the plain file may be gone already when provctl comes: the phone's .enc request
#   delivers the key), from a state directory without keys. Every device ends with exactly one
#   key, the one on disk: the phone read it, and the .enc files the phone got and provctl printed
#   open with it; every device the daemon logged as delivered holds the key the phone got.
# - A key file that cannot be read is never taken for "no key": damaged, truncated, a directory,
#   a FIFO. The device's encrypted files fail (EIO) through the mount, the log names the MAC once
#   (never the key), reloads (SIGHUP) keep it so, provctl rekey refuses to replace it, and the
#   file's bytes are untouched; other devices are served as before. Restored from a backup, the
#   same key is served again.
# - A descriptor of the plain key file held open across the delivery (a server's file cache)
#   reads EIO afterwards: the key is never handed out again.
# - One daemon per state directory, one provfs per mount point: a second is refused with a clear
#   message, and the first keeps serving.
#
# The old build (before issue 10) fails the first two: `BUILD=<old build> bash t_keys.sh`.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/many.yaml
MNT=$WORK/mnt
STATE=$WORK/state
LOG=$WORK/provfs.log
N=40
MODEL=KX-UTG300

mac_of() { printf '0080F0AB%04X' "$1"; }

# An inventory of N encrypted KX-UTG300 (AES-128) and one plain KX-UTG200.
write_inventory() {
	local i
	{
		printf 'version: 1\nserver: {url: http://127.0.0.1/prov}\n'
		printf 'models:\n  %s: {vendor: panasonic, max_lines: 2, encrypt: true}\n' "$MODEL"
		printf '  KX-UTG200: {vendor: panasonic, max_lines: 2}\n'
		printf 'devices:\n'
		for ((i = 0; i < N; i++)); do
			printf '  %s: {model: %s, lines: [{user: "u%d", password: "PW-SECRET-%d"}]}\n' \
				"$(mac_of "$i")" "$MODEL" "$i" "$i"
		done
		printf '  0080F0ABFFFF: {model: KX-UTG200, lines: [{user: "p", password: "PW-SECRET-P"}]}\n'
	} >"$INV"
}

key_in() { # key_in FILE — the CFG_FILE_KEY of a plain UTG key file
	sed -n 's:^<CFG_FILE_KEY>\([^<]*\)</CFG_FILE_KEY>$:\1:p' "$1" 2>/dev/null
}

disk_key() { # disk_key MAC — the key in STATE/key-MAC
	sed -n 's/^key \([0-9a-f]*\)$/\1/p' "$STATE/key-$1" 2>/dev/null
}

dec() { # dec IN KEY — decrypts as the phone does (AES-128: the model's default key_length)
	openssl enc -d -aes-128-cbc -a -md md5 -pass "pass:$2" -in "$1" -out /dev/null 2>/dev/null
}

# --- one key per device ----------------------------------------------------------------------

# phone MNT MAC DIR — the plain key file whole, then its .enc (the phone's next request).
phone() {
	cat -- "$1/Config$2.cfg" >"$3/phone.cfg" 2>/dev/null || return 1
	cat -- "$1/Config$2.enc" >"$3/phone.enc" 2>/dev/null
}

test_one_key_per_device() {
	local i mac d pids=() bad=0 delivered=0 p logged
	for ((i = 0; i < N; i++)); do
		mac=$(mac_of "$i") d=$WORK/race/$mac
		mkdir -p "$d"
		# the phone and provctl start together, for every device at once
		lib_spawn "$d/phone.log" bash -c "$(declare -f phone); phone $MNT $mac $d"
		pids+=("$SPAWN_PID")
		# shellcheck disable=SC2016 # $1..$5 are the inner sh's arguments
		lib_spawn "$d/ctl.log" sh -c '"$1" cat "$2" "Config$3.enc" -s "$4" >"$5"' \
			ctl "$PROVCTL" "$INV" "$mac" "$STATE" "$d/ctl.enc"
		pids+=("$SPAWN_PID")
	done
	for p in "${pids[@]}"; do
		lib_poll 30 _lib_dead "$p" || lib_stop_pid "$p"
	done
	for ((i = 0; i < N; i++)); do
		mac=$(mac_of "$i") d=$WORK/race/$mac
		local want
		want=$(disk_key "$mac")
		if [ -z "$want" ] || [ "$(key_in "$d/phone.cfg")" != "$want" ]; then
			echo "$mac: the phone was handed another key than the one on disk"
			bad=$((bad + 1))
			continue
		fi
		if ! dec "$d/phone.enc" "$want"; then
			echo "$mac: the .enc file the phone got does not open with the key on disk"
			bad=$((bad + 1))
		fi
		if ! dec "$d/ctl.enc" "$want"; then
			echo "$mac: the .enc file provctl cat printed does not open with the key on disk"
			bad=$((bad + 1))
		fi
		if grep -q "^state delivered$" "$STATE/key-$mac"; then
			delivered=$((delivered + 1))
		fi
	done
	# every device the daemon logged as delivered holds, on disk, the key its phone read
	while read -r logged; do
		mac=${logged^^}
		if [ "$(disk_key "$mac")" != "$(key_in "$WORK/race/$mac/phone.cfg")" ]; then
			echo "$mac: logged as delivered, but the key on disk is not the one its phone read"
			bad=$((bad + 1))
		fi
	done < <(sed -n 's/.*key of \([0-9a-f]\{12\}\) delivered.*/\1/p' "$LOG")
	echo "$N devices: $bad wrong, $delivered delivered"
	[ "$bad" -eq 0 ] && [ "$delivered" -eq "$N" ]
}

# --- unreadable key files --------------------------------------------------------------------

BAD=0080F0AB0001 # a delivered device whose key file is damaged, then restored
OTHER=0080F0AB0002

eio() { # eio FILE — reading FILE through the mount fails with EIO, at once
	local err
	err=$(timeout 10 cat -- "$1" 2>&1 >/dev/null) && {
		echo "$1 was served"
		return 1
	}
	[[ $err == *"Input/output error"* ]] || {
		echo "$1: $err"
		return 1
	}
}

LOG_FROM=0 # logged_once counts from this byte of the log on (check_damaged sets it)
logged_once() { # logged_once TEXT — exactly one line of the log since LOG_FROM holds TEXT
	local n
	n=$(tail -c +"$((LOG_FROM + 1))" -- "$LOG" | grep -cF -- "$1")
	[ "$n" -eq 1 ] || {
		echo "$n lines hold '$1'"
		return 1
	}
}

reload() { # SIGHUP, then wait until the daemon has reloaded (generation N+1 is served)
	local before
	before=$(grep -c '^.*reloaded ' "$LOG")
	kill -HUP "$PROVFS_PID"
	lib_poll 5 _more_reloads "$before"
}

_more_reloads() { [ "$(grep -c '^.*reloaded ' "$LOG")" -gt "$1" ]; }

unchanged() { cmp -- "$WORK/bad.saved" "$STATE/key-$BAD"; }

check_damaged() { # check_damaged LABEL — a damaged/unreadable key file of BAD, on a live mount
	local label=$1 n
	LOG_FROM=$(stat -c %s -- "$LOG")
	t_check "$label: SIGHUP reload" reload
	t_check "$label: the log names $BAD's key file once" \
		logged_once "key of $BAD: $STATE/key-$BAD cannot be read"
	for n in "Config$BAD.enc" "Config$MODEL-$BAD.enc" "ConfigCom-$BAD.enc"; do
		t_check "$label: $n is EIO, never encrypted with a new key" eio "$MNT/$n"
	done
	t_check "$label: another device is served as before" dec_mount "$OTHER"
	t_check "$label: a second SIGHUP" reload
	t_check "$label: ... reports it no second time" \
		logged_once "key of $BAD: $STATE/key-$BAD cannot be read"
	t_check "$label: provctl rekey refuses to replace it" not_rekeyed
	t_check "$label: provctl status says unreadable, never a key" status_unreadable
	if [ -f "$STATE/key-$BAD" ]; then
		t_check "$label: the key file is untouched" unchanged
	fi
	t_check "$label: the log never names a key" no_key_in_log
}

dec_mount() { # dec_mount MAC — its .enc opens with the key on disk, through the mount
	cp -- "$MNT/Config$1.enc" "$WORK/other.enc" && dec "$WORK/other.enc" "$(disk_key "$1")"
}

not_rekeyed() {
	local rc
	timeout 10 "$PROVCTL" rekey "$INV" "$BAD" -s "$STATE" >"$WORK/rekey.out" 2>&1
	rc=$?
	cat -- "$WORK/rekey.out"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "cannot be read" "$WORK/rekey.out" && ! grep -qF "$GOOD_KEY" "$WORK/rekey.out"
}

status_unreadable() {
	timeout 10 "$PROVCTL" status "$INV" "$BAD" -s "$STATE" >"$WORK/status.out" 2>&1
	cat -- "$WORK/status.out"
	grep -q "$BAD .*key file unreadable" "$WORK/status.out" && ! grep -qF "$GOOD_KEY" "$WORK/status.out"
}

no_key_in_log() {
	local k
	for k in "$GOOD_KEY" "$(disk_key "$OTHER")"; do
		[ -z "$k" ] || ! grep -qF -- "$k" "$LOG" || {
			echo "the log holds a key"
			return 1
		}
	done
}

test_unreadable_key_file() {
	GOOD_KEY=$(disk_key "$BAD")
	cp -p -- "$STATE/key-$BAD" "$WORK/key.backup"
	t_check "$BAD is delivered before the damage" grep -q '^state delivered$' "$STATE/key-$BAD"

	# damaged content (one line cut)
	head -n 3 -- "$WORK/key.backup" >"$STATE/key-$BAD"
	cp -- "$STATE/key-$BAD" "$WORK/bad.saved"
	check_damaged "truncated key file"
	t_check "truncated: the log says damaged content" grep -q "key-$BAD cannot be read (damaged content)" "$LOG"

	# restored from the backup: served again with the same key, said once
	cp -p -- "$WORK/key.backup" "$STATE/key-$BAD"
	LOG_FROM=$(stat -c %s -- "$LOG")
	t_check "restored: SIGHUP reload" reload
	t_check "restored: the log says it can be read again" logged_once "key of $BAD: $STATE/key-$BAD can be read again"
	t_check "restored: Config$BAD.enc opens with the original key again" dec_mount "$BAD"

	# a directory where the file was, then a FIFO: EIO at once, never a hang, never replaced
	rm -f -- "$STATE/key-$BAD"
	mkdir "$STATE/key-$BAD"
	check_damaged "a directory as key file"
	t_check "directory: still a directory" test -d "$STATE/key-$BAD"
	rmdir -- "$STATE/key-$BAD"
	mkfifo -m 0600 "$STATE/key-$BAD"
	check_damaged "a FIFO as key file"
	t_check "FIFO: still a FIFO" test -p "$STATE/key-$BAD"
	rm -f -- "$STATE/key-$BAD"
	cp -p -- "$WORK/key.backup" "$STATE/key-$BAD"
	t_check "restored again: SIGHUP reload" reload
	t_check "restored again: Config$BAD.enc opens with the original key" dec_mount "$BAD"
}

# --- a descriptor opened before the delivery --------------------------------------------------

HELD=0080F0AB0005

# A file server may keep a descriptor of the plain key file open (lighttpd's stat cache, nginx's
# open_file_cache): once the key is delivered, reads through it fail instead of handing the key
# out again.
held_fd_after_delivery() {
	python3 - "$MNT/Config$HELD.cfg" "$MNT/Config$HELD.enc" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
got = b""
while True:
    b = os.read(fd, 65536)
    if not b:
        break
    got += b
if b"CFG_FILE_KEY" not in got:
    sys.exit("the plain file carried no key")
with open(sys.argv[2], "rb") as enc:  # the phone's next request: the delivery
    enc.read()
try:
    again = os.pread(fd, 65536, 0)
except OSError as e:
    print("a read through the held descriptor after the delivery: " + e.strerror)
    sys.exit(0 if e.errno == 5 else 1)
sys.exit("a read through the held descriptor after the delivery returned %d bytes" % len(again))
PY
}

test_held_descriptor() {
	t_check "provctl rekey $HELD" to_null timeout 10 "$PROVCTL" rekey "$INV" "$HELD" -s "$STATE"
	t_check "the plain Config$HELD.cfg is served again" lib_poll 5 test -e "$MNT/Config$HELD.cfg"
	t_check "a held descriptor of the plain key file reads EIO after the delivery" \
		held_fd_after_delivery
	t_check "$HELD is delivered" grep -q '^state delivered$' "$STATE/key-$HELD"
}

to_null() { "$@" >/dev/null; }

# --- one daemon per state directory, one provfs per mount point --------------------------------

refused() { # refused EXPECTED_TEXT ARGS... — provfs ARGS exits non-zero within 10 s saying it
	local rc
	timeout 10 "$PROVFS" "${@:2}" -f >"$WORK/second.out" 2>&1 </dev/null
	rc=$?
	cat -- "$WORK/second.out"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -qF -- "$1" "$WORK/second.out"
}

test_second_mounts() {
	local mnt2=$WORK/mnt2
	mkdir -p "$mnt2"
	t_check "a second provfs with the same state directory is refused" \
		refused "state directory $STATE is in use by another provfs (pid $PROVFS_PID)" \
		"$INV" "$mnt2" -o "allow_other,state=$STATE"
	t_check "... and mounted nothing on $mnt2" bash -c "! mountpoint -q '$mnt2'"
	t_check "a second provfs on the mount point that holds one is refused" \
		refused "$MNT already holds a provfs mount" "$INV" "$MNT" -o "allow_other,state=$WORK/state2"
	t_check "the first mount still serves" dec_mount "$OTHER"
	t_check "the first daemon still runs" _lib_alive "$PROVFS_PID"
}

write_inventory
mkdir -p "$STATE" && chmod 0700 "$STATE"
if t_check "provfs mounts $N encrypted devices" provfs_mount "$INV" "$MNT"; then
	t_check "one key per device: phones through the mount and provctl cat at once" \
		test_one_key_per_device
	test_unreadable_key_file
	test_held_descriptor
	test_second_mounts
	t_check "fusermount3 -u; provfs exits" provfs_umount "$MNT"
	t_eq "provfs exit status after unmount" 0 "${PROVFS_RC:-none}"
fi
t_summary
