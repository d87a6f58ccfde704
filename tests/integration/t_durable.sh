#!/usr/bin/env bash
# t_durable.sh — every change of a Panasonic key is on disk before the request that made it is
# answered (issue 10, point 10): write -> fsync -> rename -> fsync of the directory -> reply.
#
# t_crash.sh cannot see this: what a killed daemon wrote is in the page cache and survives the
# kill, fsync or not, and no reader can tell whether the daemon answered before or after it wrote.
# Here the daemon runs with an LD_PRELOAD shim (tests/integration/shim/trace_sync.c, built by
# `make test-programs` into BUILD/tests/libtrace_sync.so) that records, per thread and in order,
# the writes to key files and their temporaries, every fsync and rename, and the libfuse replies
# fuse_reply_entry/open/buf/err/data. libfuse answers a request on the thread that handles it, so
# for the encrypted KX-UTG300 0080F0C8C383 of tests/data/panasonic.yaml (fs/ops.c, state/keys.c,
# state/state.c) the trace must show, on one thread and in this order:
#
#   1. stat of the plain key file Config<MAC>.cfg (LOOKUP; it renders the file and so creates
#      the key): write of ".key-<MAC>.<nonce>.tmp" saying "state pending" -> fsync of that
#      temporary -> rename of it to key-<MAC> in the state directory -> fsync of the state
#      directory -> fuse_reply_entry (a positive entry);
#   2. cat of Config<MAC>.cfg (read to its end: the served mark): the same, "state served", ending
#      before the fuse_reply_buf that carried the file's last bytes (the last reply with data);
#   3. stat of Config<MAC>.enc (the phone asking for the name proves the delivery, and the
#      LOOKUP comes before any open: fs/ops.c key_flow_lookup): the same, "state delivered",
#      then fuse_reply_entry;
#
# and no reply on that thread between the write and the fsync of the directory. Afterwards
# key-<MAC> says "state delivered" with the .enc name as its proof. Each check says which link of
# the chain is missing or out of order: no fsync of the temporary, a rename before it, no fsync
# of the directory, or a reply before the write (an operation that answers first and writes
# after). The trace never holds a key: a write is recorded with the word of its "state" line only.
#
# With a sanitized build (BUILD=build-asan) the shim, built without sanitizers, is preloaded after
# the daemon's ASan runtime (which must come first in the list).
#
# Contract: SPEC.md §2 (encrypted provisioning), §4 (durable state: keys and delivery state
# survive kill -9 and power loss at any instant).

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
SHIM=$BUILD/tests/libtrace_sync.so
lib_require_bin "provfs and the trace shim are built (make test-programs)" "$PROVFS" "$SHIM"

INV=$WORK/panasonic.yaml
MNT=$WORK/mnt
STATE=$WORK/state # the state= directory provfs_mount gives the daemon (its default)
TRACE=$WORK/trace # what the shim records (TRACE_SYNC_LOG)

MAC=0080F0C8C383 # KX-UTG300, encrypt: true, key_length: 256
PLAIN=Config$MAC.cfg
ENC=Config$MAC.enc
KEY_FILE=$STATE/key-$MAC

# --- checks (commands for t_check: they say why they fail) -----------------------------------

trace_sorted() { sort -n -k1,1 -- "$TRACE" 2>/dev/null; }

last_seq() { # the highest sequence number recorded so far (0: none)
	trace_sorted | awk 'END { print NR ? $1 : 0 }'
}

trace_size() { stat -c %s -- "$TRACE" 2>/dev/null || echo 0; }

trace_quiet() { # nothing recorded for 0.2 s: the daemon finished what the last step started
	local a
	a=$(trace_size)
	sleep 0.2
	[ "$a" = "$(trace_size)" ]
}

key_state_is() { # key_state_is WORD — key-<MAC> has the line "state WORD"
	grep -qx -- "state $1" "$KEY_FILE" 2>/dev/null
}

# durable_order FROM STATE REPLY — in the trace after sequence number FROM: exactly one write of
# the key's temporary file saying "state STATE", and on its thread after it, in this order:
# fsync of that temporary (before its rename), its rename to key-<MAC> within the state
# directory, an fsync of the state directory, and then, as the thread's first reply since the
# write, REPLY (reply_entry with a node, reply_buf with data that is the last data of the step,
# reply_open). On failure: the thread's events, then why.
durable_order() {
	trace_sorted | awk -v from="$1" -v want="$2" -v reply="$3" -v mac="$MAC" '
	function get(s, key,   i, n, f) {
		n = split(s, f, " ")
		for (i = 4; i <= n; i++)
			if (index(f[i], key "=") == 1)
				return substr(f[i], length(key) + 2)
		return ""
	}
	function show(   i, shown) {
		print "thread " t " after the write (sequence thread event ...):"
		for (i = w; i <= n && shown < 12; i++)
			if (tid[i] == t) {
				print "  " line[i]
				shown++
			}
	}
	function fail(why) {
		if (w)
			show()
		print "FAILED: " why
		failed = 1
		exit 1
	}
	$1 > from + 0 {
		n++
		tid[n] = $2; ev[n] = $3; line[n] = $0
		if ($3 == "write" && get($0, "state") == want &&
		    get($0, "name") ~ ("^\\.key-" mac "\\.[0-9a-f]+\\.tmp$")) {
			writes++
			w = n
		}
		if (($3 == "reply_buf" || $3 == "reply_data") && get($0, "n") + 0 > 0)
			lastdata = n
	}
	END {
		if (failed)
			exit 1
		if (writes == 0)
			fail("no write of a temporary .key-" mac ".*.tmp saying state " want)
		if (writes > 1)
			fail(writes " writes of a temporary saying state " want ", expected one")
		t = tid[w]
		tmp = get(line[w], "name")
		if (get(line[w], "r") != get(line[w], "n"))
			fail("the write of " tmp " was short or failed")
		phase = "fsync"
		for (i = w + 1; i <= n; i++) {
			if (tid[i] != t)
				continue
			e = ev[i]
			if (e ~ /^reply_/) {
				if (phase == "fsync")
					fail(e " (sequence " line[i] + 0 ") before the fsync of " tmp)
				if (phase == "rename")
					fail(e " (sequence " line[i] + 0 ") before the rename of " tmp)
				if (phase == "dirsync")
					fail(e " (sequence " line[i] + 0 ") before the fsync of the state directory")
				if (e != reply)
					fail("the first reply after the fsync of the state directory is " e ", not " reply)
				if (e == "reply_entry" && get(line[i], "ino") + 0 == 0)
					fail("reply_entry without a node (a negative entry)")
				if (e == "reply_buf" && get(line[i], "n") + 0 <= 0)
					fail("reply_buf without data: not the read that carried the last bytes")
				if (e == "reply_buf" && lastdata != i)
					fail("more data was sent after it (" line[lastdata] "): not the last bytes")
				done = i
				break
			}
			if (phase == "fsync" && (e == "fsync" || e == "fdatasync") && get(line[i], "name") == tmp) {
				if (get(line[i], "r") != "0")
					fail("the fsync of " tmp " failed")
				phase = "rename"
			} else if (e == "rename" && get(line[i], "from") == tmp) {
				if (phase == "fsync") {
					for (j = i + 1; j <= n; j++)
						if (tid[j] == t && ev[j] ~ /^f(data)?sync$/ && get(line[j], "name") == tmp)
							fail("rename of " tmp " (sequence " line[i] + 0 ") before its fsync (sequence " line[j] + 0 ")")
					fail("rename of " tmp " (sequence " line[i] + 0 ") without an fsync of it before")
				}
				if (get(line[i], "to") != "key-" mac || get(line[i], "fromdir") != "DIR" ||
				    get(line[i], "todir") != "DIR" || get(line[i], "r") != "0")
					fail("not a rename to key-" mac " within the state directory: " line[i])
				phase = "dirsync"
			} else if (phase == "dirsync" && e == "fsync" && get(line[i], "name") == "DIR") {
				if (get(line[i], "r") != "0")
					fail("the fsync of the state directory failed")
				phase = "reply"
			}
		}
		if (phase == "fsync")
			fail("no fsync of " tmp " and no rename of it on this thread")
		if (phase == "rename")
			fail("no rename of " tmp " to key-" mac " on this thread")
		if (phase == "dirsync")
			fail("no fsync of the state directory after the rename on this thread")
		if (!done) {
			for (i = 1; i < w; i++)
				if (tid[i] == t && ev[i] == reply)
					fail(reply " (sequence " line[i] + 0 ") came before the write: answered first, written after")
			fail("no " reply " on this thread after the fsync of the state directory")
		}
		show()
		print "ok: " want ": write, fsync, rename, fsync of the directory, " reply
	}'
}

# durable_step LABEL STATE REPLY CMD... — run CMD against the mount, wait until key-<MAC> says
# STATE and the daemon has gone quiet, then judge the trace of what CMD caused.
durable_step() {
	local label=$1 want=$2 reply=$3 from
	shift 3
	from=$(last_seq)
	t_check "$label: $*" "$@" || return 1
	t_check "$label: key-$MAC says state $want" lib_poll 5 key_state_is "$want" || return 1
	lib_poll 5 trace_quiet
	t_check "$label: write -> fsync -> rename -> fsync of the state directory -> $reply, one thread" \
		durable_order "$from" "$want" "$reply"
}

cat_to_null() { cat -- "$1" >/dev/null; }

no_line() { # no_line PATTERN FILE — FILE has no line with PATTERN (and shows the ones it has)
	! grep -F -- "$1" "$2"
}

# --- the test --------------------------------------------------------------------------------

cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$INV" || exit 1
mkdir -p "$STATE" && chmod 0700 "$STATE" || exit 1

# A sanitized daemon: its ASan runtime first, then the shim (ASan insists on coming first).
ASAN_RT=$(ldd "$PROVFS" 2>/dev/null | awk '$1 ~ /^libasan\.so/ { print $3 }')
export TRACE_SYNC_LOG=$TRACE TRACE_SYNC_DIR=$STATE
PROVFS_PRELOAD="${ASAN_RT:+$ASAN_RT }$SHIM"

if t_check "provfs mounts panasonic.yaml with the trace shim preloaded" provfs_mount "$INV" "$MNT"; then
	t_check "the shim records the daemon (the open of the state directory)" \
		grep -q ' open fd=[0-9]* name=DIR ' "$TRACE"
	t_check "no key before the first lookup" test ! -e "$KEY_FILE"
	durable_step "lookup creates the key" pending reply_entry stat -- "$MNT/$PLAIN"
	durable_step "whole read of $PLAIN: served" served reply_buf cat_to_null "$MNT/$PLAIN"
	durable_step "lookup of $ENC: delivered" delivered reply_entry stat -- "$MNT/$ENC"
	t_check "$ENC reads after the delivery" cat_to_null "$MNT/$ENC"
	t_check "$PLAIN is gone" test ! -e "$MNT/$PLAIN"
	# After a delivery the daemon drops the plain file's node (notify_inval_inode), never its
	# name: a name's invalidation waits in the kernel for the directory's lock, which a lookup
	# holds while it waits for the daemon; a daemon killed meanwhile hung every reader of the
	# mount (t_crash.sh saw it; fs/reload.c, forget_key_file).
	t_check "the delivery drops the node of $PLAIN" lib_poll 5 grep -q ' notify_inval_inode ' "$TRACE"
	t_check "the delivery invalidates no name (no notify_inval_entry)" \
		no_line ' notify_inval_entry ' "$TRACE"
	t_check "key-$MAC says state delivered" key_state_is delivered
	t_check "key-$MAC names $ENC as the proof" grep -qx -- "proof $ENC" "$KEY_FILE"
	t_check "fusermount3 -u; provfs exits" provfs_umount "$MNT"
	t_eq "provfs exit status after unmount" 0 "${PROVFS_RC:-none}"
fi
t_summary
