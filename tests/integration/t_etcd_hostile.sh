#!/usr/bin/env bash
# t_etcd_hostile.sh — a replica (state=etcd://) against etcd contents written by hand with
# etcdctl (state/shared.c, state/etcd.c), on a one-member etcd on loopback:
# - a prefix whose records are larger together than one reply may be (ETCD_REPLY_MAX, 4 MiB:
#   three garbage values of 1.4 MB each, as a site with ~15,000 records would be): the replica
#   still syncs (the range is read in pages), applies the valid record among them, and
#   provctl status -s etcd:// lists them all;
# - garbage, a lower-case MAC, a name that is not a MAC, a key with a newline: each is logged
#   as ignored, on one line (no forged log line), the daemon keeps serving;
# - what is not an intent under an intent's name in the cache (symlink, FIFO, directory,
#   garbage) is logged and ignored, the replica mounts;
# - epochs 0 and 2^32 are not records; 2^32-1 is served, and provctl rekey says it is the last;
# - a DELETE of a delivered record never un-delivers: the plain key file stays ENOENT;
# - 50 SIGHUPs at once while a rekey arrives: alive, serving the new epoch's key;
# - etcd frozen (SIGSTOP): provctl status/rekey fail in one line within 2 s; a delivery waits
#   in the cache; unmount exits within 3 s.

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
P=/provfs-test  # etcd.sh's URL prefix
D2=0080F0C8C390 # one more KX-UTG300: read while etcd is frozen
D3=0080F0C8C391 # one more: etcd's record names another vendor and key length
{
	cat "$REPO_ROOT/tests/data/panasonic.yaml"
	printf '  %s: {model: KX-UTG300, lines: [{user: "2090", password: "pw90"}]}\n' "$D2"
	printf '  %s: {model: KX-UTG300, lines: [{user: "2091", password: "pw91"}]}\n' "$D3"
} >"$INV"
(umask 077 && head -c 33 /dev/urandom | base64 -w0 >"$SECRET")

etcd_cluster_start 1 || {
	t_fail "a one-member etcd starts on 127.0.0.1"
	t_summary
	exit 1
}
t_ok "a one-member etcd starts on 127.0.0.1"
ctl() { _etcdctl --endpoints="$ETCD_ENDPOINTS" "$@"; }
count() { grep -c -- "$1" "$LOG"; }
has() { grep -qF -- "$1" "$LOG"; }

# Three values of 1.4 MB (etcd's default request limit is 1.5 MiB): 5.6 MB of base64 in one
# range reply. Names sort before the valid record, so a range cut short would miss it.
head -c 1400000 /dev/zero | tr '\0' 'x' >"$WORK/big"
for k in 000000000001 000000000002 000000000003; do
	ctl put "$P/dev/$k" <"$WORK/big" >/dev/null || t_fail "etcdctl put of a 1.4 MB value"
done
# the device delivered on another replica: since 1796010841 as in the README
ctl put "$P/dev/$PA" "provfs-shared 1 vendor panasonic bits 256 epoch 1 state delivered proof Config$PA.enc since 1796010841" >/dev/null
ctl put "$P/dev/${PA,,}" "provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 1" >/dev/null
ctl put "$P/dev/not-a-mac" "provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 1" >/dev/null
ctl put "$P/dev/0080F0C8C3"$'\n'"forged" "x" >/dev/null

# the cache directory holds what is not an intent under intents' names
mkdir -m 0700 "$WORK/cache"
ln -s /etc/passwd "$WORK/cache/shared-000000000005"
mkfifo -m 0600 "$WORK/cache/shared-000000000006"
mkdir "$WORK/cache/shared-000000000007"
printf 'not a record\n' >"$WORK/cache/shared-000000000008"

MNT=$WORK/mnt
t_check "a replica mounts on that prefix (and on a cache with odd intent files)" \
	provfs_mount "$INV" "$MNT" "listing=all,key_secret=$SECRET,state=$ETCD_URL,cache=$WORK/cache"
t_check "it syncs although the prefix is larger than one reply (ETCD_REPLY_MAX)" \
	lib_poll 10 has "etcd: 7 device records applied"
for n in 5 6 7 8; do
	t_check "cache/shared-00000000000$n (symlink, FIFO, directory, garbage) is logged as ignored" \
		has "/cache/shared-00000000000$n"
done
t_check "the record delivered elsewhere is applied: the plain key file is ENOENT" \
	lib_poll 2 enoent "$MNT/Config$PA.cfg"
t_check "its .enc files are served" cat "$MNT/Config$PA.enc"
t_eq "the three garbage records are each logged once as not a record" 3 \
	"$(count "is not a provfs-shared 1 record: ignored")"
t_check "a lower-case MAC is not a device's record" has "$P/dev/${PA,,} is not a device's record"
t_check "nor a name that is not a MAC" has "$P/dev/not-a-mac is not a device's record"
t_check "a key with a newline is logged on one line, escaped" has "$P/dev/0080F0C8C3\\nforged is not"
t_eq "no log line starts with the key's second line" 0 "$(grep -c '^forged' "$LOG")"
t_check "no garbage value reaches the log" sh -c '! grep -q xxxxxxxx "$1"' _ "$LOG"
t_check "provctl status -s etcd:// lists the delivered record despite the large prefix" \
	sh -c '"$1" status "$2" "$3" -s "$4" | grep -q "^$3 panasonic epoch 1 delivered proof Config$3.enc"' \
	_ "$PROVCTL" "$INV" "$PA" "$ETCD_URL"

"$PROVCTL" status "$INV" -s "$ETCD_URL" >"$WORK/status.out" 2>"$WORK/status.err"
t_eq "provctl status: each record that is not one named on stderr, on one line each" 6 \
	"$(grep -c "is not a provfs-shared 1 record" "$WORK/status.err")"
t_check "... the key with a newline escaped" grep -qF "$P/dev/0080F0C8C3\\nforged is not" "$WORK/status.err"
t_eq "... no line starts with that key's second line" 0 "$(grep -c '^forged' "$WORK/status.err")"

# --- epochs at and beyond the limit --------------------------------------------------------------
ctl put "$P/dev/$D3" "provfs-shared 1 vendor panasonic bits 256 epoch 4294967295 state pending proof - since 1" >/dev/null
ctl put "$P/dev/0080F0C8C3FF" "provfs-shared 1 vendor panasonic bits 256 epoch 4294967296 state pending proof - since 1" >/dev/null
ctl put "$P/dev/0080F0C8C3FE" "provfs-shared 1 vendor panasonic bits 256 epoch 0 state pending proof - since 1" >/dev/null
t_check "epoch 2^32 is not a record: ignored" lib_poll 3 has "record of 0080F0C8C3FF is not a provfs-shared 1 record"
t_check "nor epoch 0" lib_poll 3 has "record of 0080F0C8C3FE is not a provfs-shared 1 record"
t_check "epoch 2^32-1 is applied: the plain file has that epoch's key (HKDF, as t_derived.sh)" \
	lib_poll 3 grep -qF "<CFG_FILE_KEY>$(kdf panasonic "$D3" 4294967295)<" "$MNT/Config$D3.cfg"
t_check_fails "provctl rekey at epoch 2^32-1 says there is no next one, one line" \
	"etcd has its last epoch (4294967295): no next one" \
	"$PROVCTL" rekey "$INV" "$D3" -s "$ETCD_URL" -k "$SECRET"

# --- a DELETE never un-delivers -----------------------------------------------------------------
ctl del "$P/dev/$PA" >/dev/null
ctl put "$P/dev/000000000004" "garbage after the delete" >/dev/null
t_check "the watch is alive after the delete (it reports the next garbage)" \
	lib_poll 3 has "record of 000000000004 is not"
t_check "after a DELETE of its record the plain key file stays ENOENT" enoent "$MNT/Config$PA.cfg"
t_check "the daemon is alive" _lib_alive "$PROVFS_PID"

# --- a SIGHUP storm: 50 reloads asked at once, while the watch applies a rekey -----------------
for _ in $(seq 50); do kill -HUP "$PROVFS_PID"; done
ctl put "$P/dev/$D2" "provfs-shared 1 vendor panasonic bits 256 epoch 7 state pending proof - since 1" >/dev/null
t_check "after a SIGHUP storm the daemon serves the epoch etcd says (7)" \
	lib_poll 5 grep -qF "<CFG_FILE_KEY>$(kdf panasonic "$D2" 7)<" "$MNT/Config$D2.cfg"
t_check "... and is alive" _lib_alive "$PROVFS_PID"

# --- etcd frozen (SIGSTOP: connections hang, nothing refuses): provctl and unmount are prompt ---
ms() { date +%s%3N; }
kill -STOP "${ETCD_PID[1]}"
for cmd in status rekey; do
	t0=$(ms)
	"$PROVCTL" "$cmd" "$INV" "$PA" -s "$ETCD_URL" -k "$SECRET" >"$WORK/$cmd.out" 2>&1
	rc=$? took=$(($(ms) - t0))
	t_eq "provctl $cmd with etcd frozen: exit 1 (a problem, provctl(1)), one line" "1 1" \
		"$rc $(wc -l <"$WORK/$cmd.out")"
	t_check "... within 2 s ($took ms)" test "$took" -lt 2000
done
"$PROVCTL" status "$INV" -s "etcd://127.0.0.1:1/p" >"$WORK/bad.out" 2>&1
t_eq "provctl status with a refused endpoint: exit 1, one line" "1 1" "$? $(wc -l <"$WORK/bad.out")"
t_check "the replica logs the outage" lib_poll 15 has "etcd unreachable: serving the last known state"
# a served mark and a proof to push: the thread is in a call to the frozen member
t_check "a plain key file is served while etcd is frozen" cat "$MNT/Config$D2.cfg"
t_check "... and its .enc file" cat "$MNT/Config$D2.enc"
t_check "the delivery waits in the cache directory" test -s "$WORK/cache/shared-$D2"
t0=$(ms)
t_check "unmount with etcd frozen: the daemon exits on its own" provfs_umount "$MNT"
took=$(($(ms) - t0))
t_check "... within 3 s ($took ms)" test "$took" -lt 3000
kill -CONT "${ETCD_PID[1]}"
t_summary
