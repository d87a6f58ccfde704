#!/usr/bin/env bash
# t_crash.sh — SIGKILL during Panasonic key delivery (issue 5): "a test kills the daemon with
# SIGKILL during Panasonic key delivery and finds the state consistent after remount".
#
# The encrypted KX-UTG300 (0080F0C8C383) of tests/data/panasonic.yaml, ROUNDS times on one state
# directory: a pending key (round 1: none yet, the first reader's lookup makes it; later rounds:
# provctl rekey while mounted); three concurrent readers of the plain key file Config<MAC>.cfg
# (two phones: tftp through tftpd-hpa and dd through the mount, each reading it whole and then
# asking for one of its .enc names as a phone does next, which delivers the key; plus a 20-byte
# dd that must never deliver); after a delay drawn from 0..MAX_DELAY ms, SIGKILL to provfs;
# `fusermount3 -u -z`; then the state is judged on disk (before anything reads it), and again
# through a remount on the same state directory:
#
# - STATE/key-<MAC> parses exactly as state/keys.c parse() reads it ("provfs-key 1", "state
#   pending|served|delivered", "bits N", "key <32 lower-case hex>", "since N", and for a delivery
#   "proof NAME"), mode 0600, and provctl status says the same state. The key after the crash is
#   the round's key: a crash never loses, truncates or replaces it.
# - Nothing else is in STATE but the names the daemon writes (key-<MAC>, fetch.log, provfs.pid,
#   the lock files keys.lock and provfs.lock) and, from a writer that was killed, their
#   temporaries ".NAME.<16 random hex>.tmp"
#   (state/state.c). keys.c loads only "key-" plus 12 hex digits, so a temporary is never read; the
#   daemon removes those older than a minute when it mounts. To make that observable a decoy is
#   planted before the first mount: a well-formed ".key-<MAC>.<nonce>.tmp" saying "delivered"
#   with another key, dated a day ahead so that no sweep takes it. Every check below would fail
#   if the daemon or provctl took it for the key. A second one, two minutes old, must be swept
#   by the first mount.
# - Delivered: the plain name is ENOENT on the mount, and each .enc file decrypts with the stored
#   key to exactly what provctl cat --plain gives. A reader of this round holds the whole plain
#   file with that key (a delivery is only ever earned by a whole read).
#   Its proof is one of the .enc names the phones asked for.
# - Pending or served (the plain file was read to its end, but no .enc request followed before
#   the kill): the plain file is served (read in two opens, byte 0 and bytes 1..), is identical
#   to provctl cat, and its CFG_FILE_KEY is the stored key.
#   The .enc names exist while pending too (backend/files.c: an encrypted device's .enc files
#   always exist; only the plain one goes): they decrypt with the pending key to the same plain
#   layers.
# - If the killed daemon logged "key of <mac> delivered" (written after keystore_deliver
#   returned), the state on disk says delivered: a delivery the daemon acted on is never lost.
# - Both outcomes occur (delivered, and pending or served, after a crash): otherwise the kill
#   timing did not exercise delivery, and the test says so instead of passing vacuously.
# - No key ever appears in the daemon's log or in what provctl status printed.
#
# What this can and cannot see: SIGKILL ends the process, not the kernel. What the killed daemon
# wrote is in the page cache and reaches the disk, fsync or not, so a missing fsync is invisible
# here (only a power cut shows it). And a fuse mount sends RELEASE after close(2) has returned,
# so no reader can tell in what order the daemon wrote and answered: t_durable.sh watches the
# system calls themselves for that. What it sees is the atomicity and order of
# the writes as they reach the file system: a key file rewritten in place (truncate, then write)
# is caught when a kill lands between the two (an empty key file: "no key yet", another key
# after the remount); a delivery logged but not on disk; a key a crash changed or lost; a daemon
# or provctl that takes a leftover temporary file for the key (the decoy).
#
# Knobs (environment): CRASH_ROUNDS (default 30), CRASH_MAX_DELAY_MS (default 30; see delays).
#
# Contract: SPEC.md §2 (encrypted provisioning, steps 1-4), §4 (durable state: keys and delivery
# state survive kill -9 at any instant; no secret in logs).

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

ROUNDS=${CRASH_ROUNDS:-30}
EXTRA=$((ROUNDS / 3)) # rounds added while an outcome is missing (see the loop at the end)
MAX_DELAY=${CRASH_MAX_DELAY_MS:-30}

INV=$WORK/panasonic.yaml
MNT=$WORK/mnt
STATE=$WORK/state     # the state= directory provfs_mount gives the daemon (its default)
SCRATCH=$WORK/scratch # state for provctl cat --plain of the reference layers: never the mount's
LOG=$WORK/provfs.log  # provfs_mount appends the daemon's stderr here
STATUS_LOG=$WORK/status.all

MAC=0080F0C8C383 # KX-UTG300, encrypt: true, key_length: 256
MAC_LOWER=0080f0c8c383
MODEL=KX-UTG300
PLAIN=Config$MAC.cfg
ENC_FILES=("Config$MAC.enc" "Config$MODEL-$MAC.enc" "ConfigCom-$MAC.enc")
KEY_FILE=$STATE/key-$MAC

# The decoy temporary file: a name no writer draws twice (state/state.c draws 64 random bits).
DECOY=$STATE/.key-$MAC.0123456789abcdef.tmp
STALE=$STATE/.key-$MAC.fedcba9876543210.tmp # two minutes old: the first mount removes it
DECOY_KEY=0123456789abcdef0123456789abcdef

# Every password of panasonic.yaml, and every key seen (added as they become known): never in the
# daemon's log nor in what provctl status printed (no_secret_in reads SECRETS).
SECRETS=('d3f4ult' 'pw1001' 'pw1002' 'pw1003' 'pw&1004<x>' 'pw&amp;1004&lt;x&gt;' 'pw1005'
	"$DECOY_KEY")

DELIVERED=0 # rounds that ended delivered
PENDING=0   # rounds that ended pending
NONE=0      # rounds that ended with no key (only possible before the first key exists)
LOGGED_DELIVERED=0 # rounds whose killed daemon had logged the delivery
IN_RELEASE=0       # rounds whose killed daemon had logged a complete read, not (yet) a delivery
PENDING_HELD=0     # pending rounds in which a reader already held the whole plain file

# --- small checks (commands for t_check: they say why they fail) ------------------------------

# key_file_parses FILE — FILE is exactly what state/keys.c accepts (parse(); load_one: under 256
# bytes). Sets KF_STATE, KF_BITS, KF_KEY. Never prints the key.
KEY_RE=$'^provfs-key 1\nstate (pending|served|delivered)\nbits (128|192|256)\nkey ([0-9a-f]{32})\nsince [0-9]+\n(proof [A-Za-z0-9._-]+\n)?$'
key_file_parses() {
	local text size
	KF_STATE='' KF_BITS='' KF_KEY=''
	size=$(stat -c %s -- "$1") || return 1
	IFS= read -r -d '' text <"$1" # the whole file, newlines and all (it holds no NUL if it parses)
	if [ "$size" -ge 256 ] || [ "${#text}" -ne "$size" ] || ! [[ $text =~ $KEY_RE ]]; then
		echo "$1 does not parse: $size bytes; the first word of each line:"
		awk '{ print NR ": " $1 " (" length($0) " characters)" }' "$1"
		return 1
	fi
	KF_STATE=${BASH_REMATCH[1]} KF_BITS=${BASH_REMATCH[2]} KF_KEY=${BASH_REMATCH[3]}
}

mode_of() { stat -c %a -- "$1" 2>&1; }

# state_names_ok — every entry of STATE is a name the daemon writes or the temporary of one
# (state/state.c: ".NAME.<16 hex>.tmp"). Called while no daemon runs, so a temporary is a
# leftover of a killed writer: remembered in LEFTOVER (new ones counted in ROUND_LEFTOVERS), and
# a key's must be mode 0600 (it holds a key). The decoy is expected and not counted.
declare -A LEFTOVER=()
state_names_ok() {
	local f rc=0 names='key-[0-9A-F]{12}|fetch\.log(\.1)?|provfs\.pid|keys\.lock|provfs\.lock|live|unknown-macs'
	ROUND_LEFTOVERS=0
	while IFS= read -r f; do
		# live: the copy of the inventory provctl diff reads; .live.new: a killed daemon's
		# unfinished copy, which the next mount's replaces (state/snapshot.c)
		if [[ $f =~ ^($names)$ || $f == .live.new ]]; then
			continue
		elif [[ $f =~ ^\.($names)\.[0-9a-f]{16}\.tmp$ ]]; then
			[ "$STATE/$f" != "$DECOY" ] || continue
			if [ -z "${LEFTOVER[$f]:-}" ]; then
				LEFTOVER[$f]=1
				ROUND_LEFTOVERS=$((ROUND_LEFTOVERS + 1))
				echo "new leftover temporary file $f ($(stat -c '%s bytes, mode %a' -- "$STATE/$f"))"
			fi
			if [ "$(mode_of "$STATE/$f")" != 600 ] && [[ $f == .key-* ]]; then
				echo "$f is not mode 0600"
				rc=1
			fi
		else
			echo "unexpected entry in the state directory: $f"
			rc=1
		fi
	done < <(find "$STATE" -mindepth 1 -maxdepth 1 -printf '%f\n')
	[ -f "$DECOY" ] || {
		echo "the decoy $DECOY is gone"
		rc=1
	}
	return "$rc"
}

# status_says STATE_WORD — provctl status of MAC says "key STATE_WORD", and no damaged records.
status_says() {
	local out
	out=$("$PROVCTL" status "$INV" "$MAC" -s "$STATE" 2>&1)
	printf '%s\n' "$out" >>"$STATUS_LOG"
	echo "$out"
	[[ $out =~ $MAC\ +$MODEL\ +key\ $1 ]] && [[ $out != *unreadable* ]]
}


key_in() { # key_in FILE — the CFG_FILE_KEY of a plain UTG key file, or nothing
	sed -n 's:^<CFG_FILE_KEY>\([^<]*\)</CFG_FILE_KEY>$:\1:p' "$1" 2>/dev/null
}

whole_plain() { # whole_plain FILE — a whole plain key file: its XML closes
	[ -s "$1" ] && [ "$(tail -n 1 -- "$1")" = '</PANASIPPhoneConfig>' ]
}

dec() { # dec IN OUT KEY BITS — as the phone decrypts (SPEC §2 step 3)
	openssl enc -d "-aes-$4-cbc" -a -md md5 -pass "pass:$3" -in "$1" -out "$2" || {
		rm -f -- "$2"
		return 1
	}
}

# enc_opens DIR NAME KEY BITS — NAME, read through the mount, decrypts with KEY to exactly what
# provctl cat --plain gives for it.
enc_opens() {
	local d=$1 n=$2
	cp -- "$MNT/$n" "$d/$n" || return 1
	dec "$d/$n" "$d/$n.plain" "$3" "$4" || return 1
	cmp -- "$WORK/ref/$n" "$d/$n.plain"
}

# plain_served DIR — the plain key file, read through the mount in two opens (byte 0, then bytes
# 1 to the end: neither covers the file from its first byte to its last, so nothing is
# delivered), is what provctl cat gives now, and carries the stored key.
plain_served() {
	local d=$1 got
	dd if="$MNT/$PLAIN" of="$d/plain" bs=1 count=1 status=none || return 1
	dd if="$MNT/$PLAIN" bs=4096 skip=1 iflag=skip_bytes status=none >>"$d/plain" || return 1
	"$PROVCTL" cat "$INV" "$PLAIN" -s "$STATE" >"$d/plain.want" || return 1
	cmp -- "$d/plain.want" "$d/plain" || return 1
	got=$(key_in "$d/plain")
	[ "$got" = "$KF_KEY" ] || {
		echo "CFG_FILE_KEY of the served file is not the stored key (${#got} characters)"
		return 1
	}
}

# a_reader_got KEY FILE... — one of the files is a whole plain key file carrying KEY.
a_reader_got() {
	local key=$1 f
	shift
	for f in "$@"; do
		whole_plain "$f" && [ "$(key_in "$f")" = "$key" ] && return 0
	done
	echo "no reader of this round holds the whole plain file with the stored key:"
	for f in "$@"; do
		echo "  $f: $(stat -c %s -- "$f" 2>/dev/null || echo missing) bytes"
	done
	return 1
}

all_dead() { # all_dead SECONDS PID... — each PID ends within SECONDS
	local secs=$1 p
	shift
	for p in "$@"; do
		lib_poll "$secs" _lib_dead "$p" || {
			echo "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) still runs"
			# where it waits, and its children's (seen once or twice in a CI run under
			# ASan: kept here to find out why the next time)
			for c in "$p" $(cat "/proc/$p/task/$p/children" 2>/dev/null); do
				echo "  $c $(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null)" \
					"state $(awk '/^State/ { print $2 }' "/proc/$c/status" 2>/dev/null)" \
					"wchan $(cat "/proc/$c/wchan" 2>/dev/null)"
				sed 's/^/    /' "/proc/$c/stack" 2>/dev/null | head -n 12
			done
			return 1
		}
	done
}

abort_ends() { # abort_ends MNT PID... — after lib_fuse_abort MNT, each PID ends within 10 s
	local mnt=$1
	shift
	lib_fuse_abort "$mnt" && all_dead 10 "$@"
}

log_since() { # log_since OFFSET — the daemon log from byte OFFSET on
	tail -c +"$(($1 + 1))" -- "$LOG"
}

log_size() { stat -c %s -- "$LOG" 2>/dev/null || echo 0; }

log_has_since() { log_since "$1" | grep -qF -- "$2"; }

pid_file_is() { [ "$(cat -- "$STATE/provfs.pid" 2>/dev/null)" = "$1" ]; }

same_file() { # same_file SAVED FILE — FILE still has the bytes saved before
	cmp -- "$1" "$2"
}

# --- set-up ----------------------------------------------------------------------------------

setup() {
	local n
	cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$INV" || return 1
	: >"$STATUS_LOG"
	mkdir -p "$WORK/ref" "$SCRATCH" "$STATE" && chmod 0700 "$STATE" || return 1
	# The plain layers the .enc files must decrypt to: they hold no key, so any state will do.
	for n in "${ENC_FILES[@]}"; do
		"$PROVCTL" cat "$INV" "$n" --plain -s "$SCRATCH" >"$WORK/ref/$n" || return 1
		[ -s "$WORK/ref/$n" ] || return 1
	done
	printf 'provfs-key 1\nstate delivered\nbits 256\nkey %s\n' "$DECOY_KEY" >"$DECOY" &&
		chmod 0600 "$DECOY" && touch -d '+1 day' "$DECOY" &&
		cp -p -- "$DECOY" "$STALE" && touch -d '2 minutes ago' "$STALE"
}

# encs_open LABEL ROUND_DIR — each .enc file decrypts with the stored key (KF_KEY, KF_BITS) to
# what provctl cat --plain gives
encs_open() {
	local p
	for p in "${ENC_FILES[@]}"; do
		t_check "$1: $p decrypts with the stored key to provctl cat --plain" \
			enc_opens "$2" "$p" "$KF_KEY" "$KF_BITS"
	done
}

# --- one round -------------------------------------------------------------------------------

# crash_round I DELAY_MS — readers, SIGKILL after DELAY_MS, unmount, judge the state on disk,
# remount, judge it through the mount. ROUND_KEY: the key before the round ("" if none).
crash_round() {
	local i=$1 delay=$2 label r=$WORK/round.$1 pid p readers=() log_from outcome
	label="round $i (kill after $(printf '%d.%03d' $((delay / 1000)) $((delay % 1000))) ms)"
	mkdir -p "$r"
	log_from=$(log_size)
	pid=$PROVFS_PID

	# Three readers at once: two phones read the plain key file whole and then ask for an .enc
	# name (what delivers), one reader only its first 20 bytes. The slowest to start (tftp: a
	# client, then tftpd forks) first, the quickest (dd) last.
	# shellcheck disable=SC2016 # $1..$5 are the inner sh's arguments
	lib_spawn "$r/tftp.log" timeout 20 sh -c 'cd "$1" && tftp -m binary "$2" "$3" -c get "$4" tftp &&
		tftp -m binary "$2" "$3" -c get "$5" tftp.enc' phone "$r" "$LIB_ADDR" "$TFTP_PORT" "$PLAIN" \
		"${ENC_FILES[2]}"
	readers+=("$SPAWN_PID")
	lib_spawn "$r/half.log" dd if="$MNT/$PLAIN" of="$r/half" bs=20 count=1 status=none
	readers+=("$SPAWN_PID")
	# shellcheck disable=SC2016 # $1..$3 are the inner sh's arguments
	lib_spawn "$r/dd.log" sh -c 'dd if="$1" of="$2" bs=4096 status=none && cat -- "$3" >"$2.enc"' \
		phone "$MNT/$PLAIN" "$r/dd" "$MNT/${ENC_FILES[1]}"
	readers+=("$SPAWN_PID")
	pause_us "$delay"
	disown "$pid" 2>/dev/null # no "Killed" job report; _lib_dead treats the zombie as gone
	t_check "$label: SIGKILL provfs" kill -KILL "$pid"
	t_check "$label: provfs is gone" lib_poll 5 _lib_dead "$pid"

	# The readers through the mount end by themselves: done, or their requests failed when the
	# connection went with the daemon. A tftp client may wait in vain: tftpd-hpa chroots into the
	# mount for each request, and on a dead mount that child exits without an answer; once the
	# daemon is gone nothing can come any more, so it is stopped after a second.
	if ! t_check "$label: the readers through the mount end after the kill" \
		all_dead 10 "${readers[1]}" "${readers[2]}"; then
		# a thread of the killed daemon waits in the kernel and keeps the connection open:
		# abort it, as README "Troubleshooting" says, so that this run can go on and clean up
		t_check "$label: aborting the connection (fusectl) ends the readers" \
			abort_ends "$MNT" "${readers[1]}" "${readers[2]}"
	fi
	lib_poll 1 _lib_dead "${readers[0]}"
	for p in "${readers[@]}"; do
		lib_stop_pid "$p"
	done
	srv_stop_all # tftpd's chroot pins the dead mount
	t_check "$label: fusermount3 -u -z cleans the dead mount" fusermount3 -u -z "$MNT"

	# The state as the crash left it, before any daemon or provctl touches it.
	if [ -z "$ROUND_KEY" ] && [ ! -e "$KEY_FILE" ]; then
		# killed before the first lookup made the first key: consistent, and the remount below
		# must make one
		outcome=none
		t_ok "$label: no key-$MAC yet (killed before the first key was made)"
	else
		t_check "$label: key-$MAC parses as state/keys.c reads it" key_file_parses "$KEY_FILE"
		outcome=${KF_STATE:-damaged}
	fi
	t_check "$label: the state directory holds only the daemon's names and ignored temporaries" \
		state_names_ok
	if [ "$outcome" != none ]; then
		t_eq "$label: key-$MAC is mode 0600" 600 "$(mode_of "$KEY_FILE")"
		t_eq "$label: key length as the model says" 256 "$KF_BITS"
		if [ -n "$ROUND_KEY" ]; then
			t_check "$label: the key after the crash is the round's key" test "$KF_KEY" = "$ROUND_KEY"
		fi
		[ -z "$KF_KEY" ] || SECRETS+=("$KF_KEY")
		t_check "$label: provctl status says $outcome" status_says "$outcome"
	else
		t_check "$label: provctl status says no key yet" status_says 'no key yet'
	fi
	if log_has_since "$log_from" "key of $MAC_LOWER delivered"; then
		LOGGED_DELIVERED=$((LOGGED_DELIVERED + 1))
		t_eq "$label: the killed daemon logged the delivery, and the state says delivered" \
			delivered "$outcome"
	elif log_since "$log_from" | grep -q -- "fetch $PLAIN mac=$MAC_LOWER .* complete\$"; then
		IN_RELEASE=$((IN_RELEASE + 1))
	fi
	if [ "$outcome" = delivered ]; then
		t_check "$label: a reader of this round got the whole plain file with the delivered key" \
			a_reader_got "$KF_KEY" "$r/dd" "$r/tftp"
		t_check "$label: the delivery names the .enc request that proved it" \
			grep -qE "^proof (${ENC_FILES[1]}|${ENC_FILES[2]})\$" "$KEY_FILE"
	fi
	cp -p -- "$KEY_FILE" "$r/key.after" 2>/dev/null

	# The same state directory, mounted again.
	t_check "$label: provfs mounts again on the same state" provfs_mount "$INV" "$MNT" || return 1
	case $outcome in
	delivered)
		DELIVERED=$((DELIVERED + 1))
		t_check "$label: delivered: the plain $PLAIN is ENOENT on the mount" enoent "$MNT/$PLAIN"
		encs_open "$label: delivered" "$r"
		;;
	pending | served)
		PENDING=$((PENDING + 1))
		# a reader may hold the whole file already: its release never reached the daemon, or
		# was cut short before the delivery was on disk; the phone reads the same key again
		a_reader_got "$KF_KEY" "$r/dd" "$r/tftp" >/dev/null && PENDING_HELD=$((PENDING_HELD + 1))
		t_check "$label: $outcome: the plain $PLAIN is served, as provctl cat, with the stored key" \
			plain_served "$r"
		encs_open "$label: $outcome" "$r"
		if [ "$outcome" = served ]; then
			# a phone that read it before the crash asks for its .enc files after it:
			# that is the proof, across the restart
			t_check "$label: served, then an .enc request after the remount: delivered" \
				status_says delivered
			cp -p -- "$KEY_FILE" "$r/key.after"
		fi
		;;
	none)
		NONE=$((NONE + 1))
		# The first lookup makes the key now; it must be a well-formed pending one.
		t_check "$label: no key: the plain $PLAIN is served again" lib_poll 2 test -e "$MNT/$PLAIN"
		t_check "$label: no key: the remounted daemon made a pending key" key_file_parses "$KEY_FILE" &&
			t_eq "$label: no key: the new key is pending" pending "$KF_STATE" &&
			t_check "$label: no key: the plain file carries it" plain_served "$r"
		[ -z "$KF_KEY" ] || SECRETS+=("$KF_KEY")
		cp -p -- "$KEY_FILE" "$r/key.after"
		;;
	esac
	_lib_diag "$label: $outcome$([ "$ROUND_LEFTOVERS" -eq 0 ] || echo ", left a temporary file")"
	LAST_ROUND=$r
}

# next_key I — round I's pending key: provctl rekey while mounted, and wait until the daemon has
# reloaded it. First, the remount and the checks of the previous round changed nothing.
next_key() {
	local label="round $1" log_from
	if [ -n "${LAST_ROUND:-}" ]; then
		t_check "$label: the state after the previous crash is unchanged by the remount and the checks" \
			same_file "$LAST_ROUND/key.after" "$KEY_FILE"
	fi
	# provfs writes its pid file just after mounting; the killed one's may still be there
	t_check "$label: STATE/provfs.pid names the running provfs" lib_poll 5 pid_file_is "$PROVFS_PID"
	log_from=$(log_size)
	t_check "$label: provctl rekey while mounted" to_file "$WORK/rekey.out" \
		"$PROVCTL" rekey "$INV" "$MAC" -s "$STATE" || return 1
	cat -- "$WORK/rekey.out" >>"$STATUS_LOG"
	t_check "$label: provctl rekey told the running provfs" contains "$WORK/rekey.out" \
		"told provfs (pid $PROVFS_PID) to reload" || return 1
	t_check "$label: provfs reloaded the new key" lib_poll 5 log_has_since "$log_from" "reloaded " ||
		return 1
	t_check "$label: the new key is stored" key_file_parses "$KEY_FILE" || return 1
	t_eq "$label: the new key is pending" pending "$KF_STATE" || return 1
	ROUND_KEY=$KF_KEY
	SECRETS+=("$ROUND_KEY")
}

# The delays in microseconds: MAX_DELAY ms times u^3 for u spread evenly over (0, 1), shuffled.
# A whole read and its delivery take about a millisecond on an idle machine and several under
# ASan or load, so the cube puts a third of the rounds below 1 ms of MAX_DELAY = 30 and the rest
# spread up to it: kills land before the readers open, while they read, in the release (the
# delivery's writes) and after it, on a fast machine as on a slow one.
delays() {
	local i n=$((2 * ROUNDS)) u
	for ((i = 0; i < ROUNDS; i++)); do
		u=$((2 * i + 1)) # u / n
		echo $((MAX_DELAY * 1000 * u * u * u / (n * n * n)))
	done | shuf
}

# pause_us N — wait N microseconds without starting a process (sleep(1) alone costs about a
# millisecond): a read with a timeout on a FIFO nobody writes to.
pause_us() {
	[ "$1" -gt 0 ] || return 0
	read -r -t "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))" _ <>"$TICK" || :
}

# --- the test --------------------------------------------------------------------------------

TICK=$WORK/tick # pause_us; opened per call (read-write: never EOF), so no child inherits it
mkfifo -m 0600 "$TICK"

if ! t_check "set up panasonic.yaml, the reference layers and the decoy temporary file" setup; then
	t_summary
	exit 1
fi
t_check "provctl status before any read: no key yet" status_says 'no key yet'
ROUND_KEY=
if t_check "provfs mounts panasonic.yaml" provfs_mount "$INV" "$MNT"; then
	t_check "the mount removed a killed writer's temporary file two minutes old" test ! -e "$STALE"
	t_check "and kept a recent one" test -e "$DECOY"
	mapfile -t DELAYS < <(delays)
	# After ROUNDS, up to EXTRA more rounds while one outcome has not come up yet, each leaning
	# towards it (no delay for pending, the longest for delivered); the checks below still need
	# both, so an outcome that never comes fails the test.
	i=0
	while :; do
		i=$((i + 1))
		if [ "$i" -le "$ROUNDS" ]; then
			delay=${DELAYS[i - 1]}
		elif [ "$i" -le $((ROUNDS + EXTRA)) ] && [ "$PENDING" -eq 0 ]; then
			delay=0
		elif [ "$i" -le $((ROUNDS + EXTRA)) ] && [ "$DELIVERED" -eq 0 ]; then
			delay=$((MAX_DELAY * 1000))
		else
			break
		fi
		[ "$i" -eq 1 ] || next_key "$i" || break
		t_check "round $i: tftpd-hpa starts on the mount" srv_tftpd_start "$MNT" || break
		crash_round "$i" "$delay" || break
	done
	_lib_diag "$((i - 1)) rounds: $DELIVERED delivered, $PENDING pending, $NONE without a key yet;" \
		"$LOGGED_DELIVERED logged the delivery before the kill, $IN_RELEASE were killed" \
		"after a complete read was logged but before the delivery was, $PENDING_HELD ended" \
		"pending although a reader had the whole plain file; ${#LEFTOVER[@]} temporary files" \
		"left by killed writers"
	t_check "some rounds ended delivered ($DELIVERED of $((i - 1)))" test "$DELIVERED" -ge 1
	t_check "some rounds ended pending or served ($PENDING of $((i - 1)))" test "$PENDING" -ge 1
	if [ -n "${LAST_ROUND:-}" ]; then
		t_check "the state after the last crash is unchanged by the remount and the checks" \
			same_file "$LAST_ROUND/key.after" "$KEY_FILE"
	fi
	t_check "the daemon's log holds no key and no password" no_secret_in "$LOG"
	t_check "provctl status and rekey printed no key and no password" no_secret_in "$STATUS_LOG"
	t_check "fusermount3 -u; provfs exits" provfs_umount "$MNT"
	t_eq "provfs exit status after unmount" 0 "${PROVFS_RC:-none}"
fi
t_summary
