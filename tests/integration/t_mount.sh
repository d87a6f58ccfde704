#!/usr/bin/env bash
# t_mount.sh — end to end: mount tests/data/basic.yaml with build/provfs, serve the mount with the
# real tftpd-hpa, nginx and vsftpd, and check that a phone gets exactly what `provctl cat` says,
# that unknown names are "not found" in every protocol, that the tree is read-only and hides MACs
# from listings, that the encrypted file decrypts with openssl, and that mount(8) and fstab work.
#
# Contract (SPEC.md §1, §2): provfs INVENTORY MNT [-f] [-d] [-o opt,...], own options state=DIR
# and listing=generic|all, always read-only, files 0444 and the directory 0555, owned by root.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$REPO_ROOT/tests/data/basic.yaml
ENC=cfg000b82123456.xml   # 00:0b:82:12:34:56 has xml_password: served encrypted
PLAIN=cfgc074ad0a0b0c.xml # c0:74:ad:0a:0b:0c has none: served as plain XML
PASSWORD='Secr3t!'
# Secrets of basic.yaml (raw and XML-escaped) that must never show up in logs or listings.
SECRETS=('4dm1n' 'pw2001' 'Secr3t!' 'pw&1001<x>' 'pw&amp;1001')
# Unknown MAC, a MAC one digit short, a MAC that is not hex.
MISSING=(cfg000b82ffffff.xml cfg000b8212345.xml cfgzzzzzzzzzzzz.xml)
# Asked on the mount only (no URL or TFTP request can carry them as they are): bytes that are
# not UTF-8, a control character, a prefix longer than 64 characters (SPEC §2), and the longest
# name the kernel passes on (255 bytes).
ODD=($'cfg\xff\xfe0b82123456.xml' $'cfg000b82123456.xml\t' $'\x01cfg000b82123456.xml'
	"$(printf '%065d' 0)cfg000b82123456.xml" "cfg000b82123456.xml$(printf '%0236d' 0)")

EXP=$WORK/expected # what provctl says each name contains
MNT=$WORK/mnt      # listing=generic (the default); the servers serve this one
MNT_ALL=$WORK/mnt-all

# --- small checks used with t_check ----------------------------------------------------------

starts_with() { # starts_with FILE PREFIX
	[ "$(head -c "${#2}" -- "$1")" = "$2" ]
}

not_encrypted() { # a non-empty file without the openssl header
	[ -s "$1" ] && ! starts_with "$1" Salted__
}

same_twice() { # two reads of FILE give the same bytes
	cat -- "$1" >"$WORK/read1" && cat -- "$1" >"$WORK/read2" && cmp -- "$WORK/read1" "$WORK/read2"
}

is_read_only() { # the mount's options start with ro (and do not say rw)
	local opts
	opts=$(lib_mount_opts "$1") || return 1
	echo "options: $opts"
	[[ ,$opts, == *,ro,* ]]
}

lists_no_mac() { # ls of the mount works and shows no name containing a device MAC, any case
	local listing
	listing=$(ls -a -- "$1") || return 1
	if grep -i -e 000b82123456 -e c074ad0a0b0c <<<"$listing"; then
		return 1
	fi
	return 0
}

lists_name() { # lists_name DIR NAME — NAME is an entry of DIR
	entries "$1" | grep -qxF -- "$2"
}

listing_equals_provctl_ls() { # listing=all shows exactly what provctl ls names
	entries "$1" >"$WORK/listing.txt"
	diff -- "$WORK/ls.txt" "$WORK/listing.txt"
}

provctl_unknown_name() { # provctl cat of an unknown name: exit 1, a message, no bytes
	local rc
	"$PROVCTL" cat "$INV" "${MISSING[0]}" >"$WORK/unknown.out" 2>"$WORK/unknown.err"
	rc=$?
	cat -- "$WORK/unknown.err"
	[ "$rc" -eq 1 ] && [ -s "$WORK/unknown.err" ] && [ ! -s "$WORK/unknown.out" ]
}

all_dead() { # all_dead PID... — every PID has exited
	local pid
	for pid in "$@"; do
		_lib_dead "$pid" || return 1
	done
}

# --- the tests -------------------------------------------------------------------------------

# provctl alone: the reference bytes every later test compares with.
test_provctl() {
	local n
	mkdir -p "$EXP"
	t_check "provctl check: basic.yaml is clean" "$PROVCTL" check "$INV"
	for n in "$ENC" "$PLAIN"; do
		t_check "provctl cat $n" to_file "$EXP/$n" "$PROVCTL" cat "$INV" "$n"
		t_check "provctl cat $n --plain" to_file "$EXP/$n.plain" "$PROVCTL" cat "$INV" "$n" --plain
		t_check "provctl cat $n is stable" cmp -- "$EXP/$n" <("$PROVCTL" cat "$INV" "$n")
	done
	t_check "provctl cat of an unknown name exits 1 with a message" provctl_unknown_name

	t_check "provctl ls" to_file "$WORK/ls.txt" "$PROVCTL" ls "$INV"
	t_check "provctl ls names $ENC" grep -qxF -- "$ENC" "$WORK/ls.txt"
	t_check "provctl ls names $PLAIN" grep -qxF -- "$PLAIN" "$WORK/ls.txt"
	t_check "provctl ls is sorted" env LC_ALL=C sort -c -- "$WORK/ls.txt"
	t_check "provctl ls shows no secret" no_secret_in "$WORK/ls.txt"
}

# provctl export: a static copy of the tree, every file exactly what provctl cat gives.
export_matches() { # export_matches DIR — names equal provctl ls, bytes equal provctl cat
	local n
	entries "$1" | grep -vxF .provfs-export >"$WORK/export.names"
	diff -- "$WORK/ls.txt" "$WORK/export.names" || return 1
	while IFS= read -r n; do
		cmp -- "$EXP/$n" "$1/$n" || return 1
		[ "$(stat -c %a -- "$1/$n")" = 444 ] || {
			echo "$n is not 0444"
			return 1
		}
	done <"$WORK/ls.txt"
}

test_export() {
	t_check "provctl export" "$PROVCTL" export "$INV" "$WORK/export"
	t_check "export: names and bytes equal provctl ls and cat" export_matches "$WORK/export"
	t_check "provctl export again over the same directory" "$PROVCTL" export "$INV" "$WORK/export"
	t_check "export again: still equal" export_matches "$WORK/export"
	t_check "export holds no temporary file (only its mark)" \
		test -z "$(find "$WORK/export" -name '.*' ! -name .provfs-export)"
	t_check "no temporary tree is left beside it" test -z "$(find "$WORK" -maxdepth 1 -name '.export.*')"
}

# The rendered bytes themselves (SPEC §2, Grandstream).
test_content() {
	local n
	t_check "$ENC starts with Salted__" starts_with "$EXP/$ENC" Salted__
	t_check "$ENC carries no secret in clear" no_secret_in "$EXP/$ENC"
	t_check "openssl decrypts $ENC" decrypt "$EXP/$ENC" "$WORK/decrypted.xml"
	t_cmp "decrypted $ENC equals provctl cat --plain" "$EXP/$ENC.plain" "$WORK/decrypted.xml"
	t_cmp "$PLAIN (no password) is served plain" "$EXP/$PLAIN.plain" "$EXP/$PLAIN"
	t_check "$PLAIN is not encrypted" not_encrypted "$EXP/$PLAIN"
	for n in "$ENC" "$PLAIN"; do
		t_check "xmllint accepts plain $n" xmllint --noout "$EXP/$n.plain"
		t_check "plain $n has P237 (server path)" contains "$EXP/$n.plain" '<P237>127.0.0.1/prov</P237>'
		t_check "plain $n has P212 = 1 (http)" contains "$EXP/$n.plain" '<P212>1</P212>'
	done
	t_check "plain $ENC has its MAC" contains "$WORK/decrypted.xml" '<mac>000b82123456</mac>'
	t_check "plain $PLAIN has its MAC" contains "$EXP/$PLAIN.plain" '<mac>c074ad0a0b0c</mac>'
}

# A bad inventory never mounts: provfs exits 1 and says FILE:LINE:COL.
bad_inventory_refused() {
	local bad=$WORK/bad.yaml mnt=$WORK/mnt-bad rc
	printf 'version: 1\nserver: {url: http://h/p}\ndevices:\n  000b82123456: {model: NOPE}\n' >"$bad"
	mkdir -p "$mnt"
	"$PROVFS" "$bad" "$mnt" -f -o "state=$WORK/state-bad" >"$WORK/bad.out" 2>&1 </dev/null
	rc=$?
	cat -- "$WORK/bad.out"
	[ "$rc" -eq 1 ] && grep -qF "$bad:4:25: unknown model (no model of that name" "$WORK/bad.out" &&
		! lib_is_mounted "$mnt"
}

# The mount itself, read directly.
test_mount_reads() {
	local n name
	t_check "mount is read-only" is_read_only "$MNT"
	t_eq "root directory mode is 0555" 555 "$(stat_field %a "$MNT")"
	t_eq "root directory owner is root" 0:0 "$(stat_field %u:%g "$MNT")"
	for n in "$ENC" "$PLAIN"; do
		t_eq "$n is a regular file" "regular file" "$(stat_field %F "$MNT/$n")"
		t_eq "$n mode is 0444" 444 "$(stat_field %a "$MNT/$n")"
		t_eq "$n owner is root" 0:0 "$(stat_field %u:%g "$MNT/$n")"
		t_cmp "mount: $n identical to provctl cat" "$EXP/$n" "$MNT/$n"
		t_check "mount: stat size of $n equals bytes read" size_equals_bytes_read "$MNT/$n"
		t_check "mount: two reads of $n are identical" same_twice "$MNT/$n"
	done
	# Only the MAC part of a name is case-insensitive.
	t_cmp "mount: cfg000B82123456.xml (upper-case MAC) is $ENC" "$EXP/$ENC" "$MNT/cfg000B82123456.xml"
	t_cmp "mount: cfgC074AD0A0B0C.xml (upper-case MAC) is $PLAIN" "$EXP/$PLAIN" "$MNT/cfgC074AD0A0B0C.xml"
	t_check_fails "mount: CFG000b82123456.xml (upper-case prefix) is ENOENT" \
		"No such file or directory" stat -- "$MNT/CFG000b82123456.xml"
	for name in "${MISSING[@]}"; do
		t_check_fails "mount: stat $name is ENOENT" "No such file or directory" stat -- "$MNT/$name"
	done
	for name in "${ODD[@]}"; do
		t_check_fails "mount: stat of an odd name ($(printf %q "$name" | cut -c1-40)) is ENOENT" \
			"No such file or directory" stat -- "$MNT/$name"
	done
	t_check "a 64-character prefix is one (SPEC §2)" cmp -s -- "$EXP/$ENC" "$MNT/$(printf '%064d' 0)$ENC"
}

# Every write is EROFS (SPEC §2), and the file is unchanged afterwards.
# shellcheck disable=SC2016 # the single-quoted scripts expand $1 themselves
test_read_only() {
	t_check_fails "write to $PLAIN is EROFS" "Read-only file system" \
		bash -c 'echo x > "$1"' _ "$MNT/$PLAIN"
	t_check_fails "append to $PLAIN is EROFS" "Read-only file system" \
		bash -c 'echo x >> "$1"' _ "$MNT/$PLAIN"
	t_check_fails "touch newfile is EROFS" "Read-only file system" touch -- "$MNT/newfile"
	t_check_fails "mkdir is EROFS" "Read-only file system" mkdir -- "$MNT/newdir"
	t_check_fails "rm $PLAIN is EROFS" "Read-only file system" rm -f -- "$MNT/$PLAIN"
	t_check_fails "chmod $PLAIN is EROFS" "Read-only file system" chmod 0666 -- "$MNT/$PLAIN"
	t_cmp "$PLAIN unchanged after the write attempts" "$EXP/$PLAIN" "$MNT/$PLAIN"
}

# listing=generic hides devices; listing=all on a second mount shows them (SPEC §2, FUSE.md §4.3).
test_listing() {
	t_check "ls (listing=generic) shows no device MAC" lists_no_mac "$MNT"
	if ! PROVFS_STATE=$WORK/state-all t_check "second mount with -o listing=all" \
		provfs_mount "$INV" "$MNT_ALL" listing=all; then
		return
	fi
	t_check "ls (listing=all) shows $ENC" lists_name "$MNT_ALL" "$ENC"
	t_check "ls (listing=all) shows $PLAIN" lists_name "$MNT_ALL" "$PLAIN"
	t_check "ls (listing=all) equals provctl ls" listing_equals_provctl_ls "$MNT_ALL"
	# Two mounts of one inventory serve identical bytes (SPEC §4: salts are derived, not drawn).
	t_cmp "two mounts serve identical $ENC" "$MNT/$ENC" "$MNT_ALL/$ENC"
	t_check "unmount the listing=all mount" provfs_umount "$MNT_ALL"
}

# The three servers over the mount: what a phone gets is what provctl cat says.
test_servers() {
	local n name proto
	# After the mount: tftpd's chroot pins the directory it sees at start-up.
	t_check "tftpd-hpa starts on the mount" srv_tftpd_start "$MNT"
	t_check "nginx starts on the mount" srv_nginx_start "$MNT"
	t_check "vsftpd starts on the mount" srv_vsftpd_start "$MNT"
	for proto in tftp http ftp; do
		for n in "$ENC" "$PLAIN"; do
			expect_fetch "$proto" "$n" "$EXP/$n" "$n identical to provctl cat"
		done
		expect_fetch "$proto" cfg000B82123456.xml "$EXP/$ENC" "cfg000B82123456.xml (upper-case MAC) is $ENC"
		for name in "${MISSING[@]}"; do
			expect_not_found "$proto" "$name"
		done
	done
}

# mount(8) with -t fuse.provfs and with an fstab line: mount.fuse3 starts provfs as a daemon.
# LABEL MNT MOUNT_CMD...
helper_route() {
	local label=$1 mnt=$2 pids
	shift 2
	mkdir -p "$mnt"
	t_check "$label: mounts" "$@" || return
	provfs_track_mount "$mnt"
	t_check "$label: is a fuse.provfs mount" lib_is_mounted "$mnt"
	# mount(8) passes "rw" and mount.fuse3 adds "dev,suid": the mount must still be read-only.
	t_check "$label: is read-only" is_read_only "$mnt"
	t_cmp "$label: serves $PLAIN" "$EXP/$PLAIN" "$mnt/$PLAIN"
	t_cmp "$label: serves $ENC" "$EXP/$ENC" "$mnt/$ENC"
	pids=$(provfs_pids_for "$mnt")
	t_check "$label: its daemon is running" test -n "$pids"
	t_check "$label: fusermount3 -u" provfs_umount "$mnt"
	# shellcheck disable=SC2086 # a list of PIDs
	t_check "$label: the daemon has exited" all_dead $pids
	t_check_fails "$label: no longer mounted" "" lib_is_mounted "$mnt"
}

test_mount_helper() {
	local mnt_t=$WORK/mnt-t mnt_f=$WORK/mnt-fstab
	t_check "provfs reachable by mount.fuse3" provfs_helper_link || return
	mkdir -p "$WORK/state-t" "$WORK/state-fstab"
	helper_route "mount -t fuse.provfs" "$mnt_t" \
		timeout 30 mount -t fuse.provfs "$INV" "$mnt_t" -o "allow_other,state=$WORK/state-t"
	printf '# provfs test fstab\n%s %s fuse.provfs allow_other,state=%s 0 0\n' \
		"$INV" "$mnt_f" "$WORK/state-fstab" >"$WORK/fstab"
	helper_route "fstab (mount -T)" "$mnt_f" timeout 30 mount -T "$WORK/fstab" "$mnt_f"
	provfs_helper_unlink
}

# Orderly shutdown, then the log: by now it has seen every open, read and lookup above.
test_shutdown() {
	t_check "servers stop by PID" srv_stop_all
	t_check "fusermount3 -u the main mount; provfs exits" provfs_umount "$MNT"
	t_eq "provfs exit status after unmount" 0 "${PROVFS_RC:-none}"
	t_check "provfs.log shows no secret" no_secret_in "$WORK/provfs.log"
}

test_provctl
test_content
test_export
t_check "a bad inventory does not mount (exit 1, FILE:LINE:COL)" bad_inventory_refused

# A bad option value never mounts: provfs exits 1 and names the option and what it takes.
bad_option_refused() { # bad_option_refused OPT=VALUE EXPECTED_MESSAGE
	local mnt=$WORK/mnt-badopt rc
	mkdir -p "$mnt"
	"$PROVFS" "$INV" "$mnt" -f -o "state=$WORK/state-badopt,$1" >"$WORK/badopt.out" 2>&1 </dev/null
	rc=$?
	cat -- "$WORK/badopt.out"
	[ "$rc" -eq 1 ] && grep -qF -- "$2" "$WORK/badopt.out" && ! lib_is_mounted "$mnt"
}
t_check "-o audit=every is refused: audit must be 'cached' or 'exact'" \
	bad_option_refused audit=every "provfs: audit must be 'cached' or 'exact', not 'every'"
t_check "-o listing=some is refused" \
	bad_option_refused listing=some "provfs: listing must be 'generic' or 'all', not 'some'"

if t_check "provfs mounts basic.yaml (listing=generic)" provfs_mount "$INV" "$MNT"; then
	test_mount_reads
	test_read_only
	test_listing
	test_servers
	test_mount_helper
	test_shutdown
fi
t_summary
