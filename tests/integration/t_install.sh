#!/usr/bin/env bash
# t_install.sh — provfs put into service as an administrator would (issue 13, points 1, 5, 6):
# `make install` into a DESTDIR and `make uninstall`; the installed systemd unit passes
# `systemd-analyze verify`; a real `mount -t fuse.provfs` and an fstab line through the installed
# mount helper; --version of both programs and a one-line message for an unknown command or
# option; findmnt's SOURCE is the inventory's path (also with a comma and a space); the warning
# without allow_other; a state directory that cannot be written refuses to mount, naming it; and
# -o run_as=USER: the daemon serves as that user with no capability, the state directory and the
# Panasonic key flow are that user's, and SIGTERM still unmounts.
#
# The installed helper and programs are tried in a private mount namespace (unshare -m) where an
# overlay puts DESTDIR's /sbin and /usr/bin over the real ones: nothing is written outside WORK,
# and tests of other worktrees running at the same time never see this build's helper.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$REPO_ROOT/tests/data/basic.yaml
PLAIN=cfgc074ad0a0b0c.xml # served as plain XML (basic.yaml)
PA_INV=$REPO_ROOT/tests/data/panasonic.yaml
PA_MAC=0080F0C8C383 # KX-UTG300, encrypt: true: the key flow
PA_PLAIN=Config$PA_MAC.cfg
PA_ENC=Config$PA_MAC.enc
# The version, from the one place the source writes it.
VERSION=$(sed -n 's/^#define PROVFS_VERSION "\(.*\)"$/\1/p' "$REPO_ROOT/inventory/version.h")
DEST=$WORK/dest
SBIN_REAL=$(readlink -f /sbin)
NS_PID=

# --- helpers ---------------------------------------------------------------------------------

mode_of() { stat -c %a -- "$1" 2>&1; }

# one_line_fails RC PATTERN CMD... — CMD exits with RC, prints nothing on stdout and exactly
# one line on stderr, containing PATTERN.
one_line_fails() {
	local want=$1 pattern=$2 rc
	shift 2
	"$@" >"$WORK/ol.out" 2>"$WORK/ol.err"
	rc=$?
	cat -- "$WORK/ol.out" "$WORK/ol.err"
	[ "$rc" -eq "$want" ] && [ ! -s "$WORK/ol.out" ] && [ "$(wc -l <"$WORK/ol.err")" -eq 1 ] &&
		grep -qF -- "$pattern" "$WORK/ol.err"
}

# refused EXPECTED_MESSAGE MNT OPTS [INVENTORY] — provfs exits 1 before mounting, saying
# EXPECTED_MESSAGE.
refused() {
	local mnt=$2 rc
	mkdir -p "$mnt"
	"$PROVFS" "${4:-$INV}" "$mnt" -f -o "$3" >"$WORK/refused.out" 2>&1 </dev/null
	rc=$?
	cat -- "$WORK/refused.out"
	[ "$rc" -eq 1 ] && grep -qF -- "$1" "$WORK/refused.out" && ! lib_is_mounted "$mnt"
}

source_is() { # source_is MNT PATH — findmnt's SOURCE of MNT
	local got
	got=$(findmnt -n -o SOURCE --mountpoint "$1") || return 1
	echo "SOURCE: $got"
	[ "$got" = "$2" ]
}

# in_ns CMD... — run CMD in the private mount namespace of NS_PID.
in_ns() { nsenter -t "$NS_PID" -m -- "$@"; }

ns_ready() { [ "$(readlink "/proc/$NS_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; }

ns_source_is() { # ns_source_is MNT PATH — the same, in the namespace
	local got
	got=$(findmnt --task "$NS_PID" -n -o SOURCE,FSTYPE --mountpoint "$1") || return 1
	echo "SOURCE FSTYPE: $got"
	[ "$got" = "$2 fuse.provfs" ]
}

ns_pids_for() { provfs_pids_for "$1"; } # argv is global: the same search finds them

argv0_is() { # argv0_is PID PATH — the daemon was started as PATH (the helper's full path)
	local a0
	a0=$(tr '\0' '\n' <"/proc/$1/cmdline" | head -n 1)
	echo "argv[0]: $a0"
	[ "$a0" = "$2" ]
}

all_dead() {
	local p
	for p in "$@"; do
		_lib_dead "$p" || return 1
	done
}

status_field() { # status_field PID FIELD — the value of FIELD in /proc/PID/status, tabs as spaces
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

# --- make install / uninstall ----------------------------------------------------------------

# make install with the programs of BUILD as they are (-o all: never rebuilt here, whatever
# BUILD is, e.g. build-asan under make check).
mk() { make --no-print-directory -C "$REPO_ROOT" -o all BUILD="$BUILD" "$@"; }

files_in() { # files_in DIR — every file and symlink below DIR, relative, sorted
	(cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort)
}

# What install must put, derived from the tree: the programs, the helper, the unit, and each
# man/*.1 and man/*.5 there is (none: no man directory at all, no placeholder).
expected_files() {
	local m
	{
		printf '%s\n' usr/bin/provfs usr/bin/provctl sbin/mount.fuse.provfs \
			usr/lib/systemd/system/provfs.service
		for m in "$REPO_ROOT"/man/*.1; do
			[ -e "$m" ] && echo "usr/share/man/man1/${m##*/}"
		done
		for m in "$REPO_ROOT"/man/*.5; do
			[ -e "$m" ] && echo "usr/share/man/man5/${m##*/}"
		done
	} | LC_ALL=C sort
}

# The installed unit is contrib's with the program's path BINDIR's (/usr/bin for PREFIX=/usr)
# wherever contrib says /usr/local/bin/provfs, and nothing else changed.
unit_substituted() {
	local unit=$DEST/usr/lib/systemd/system/provfs.service
	grep -E '^ExecStart=' "$unit"
	grep -qE '^ExecStart=/usr/bin/provfs ' "$unit" && ! grep -qF /usr/local/bin "$unit" &&
		diff <(sed 's|/usr/local/bin/provfs|/usr/bin/provfs|g' "$REPO_ROOT/contrib/provfs.service") "$unit"
}

test_install() {
	t_check "make install DESTDIR=... PREFIX=/usr" mk install DESTDIR="$DEST" PREFIX=/usr || return
	t_check "installed files are exactly the expected ones" \
		diff <(expected_files) <(files_in "$DEST")
	t_cmp "installed provfs is the build's" "$BUILD/provfs" "$DEST/usr/bin/provfs"
	t_cmp "installed provctl is the build's" "$BUILD/provctl" "$DEST/usr/bin/provctl"
	t_eq "provfs is mode 0755" 755 "$(mode_of "$DEST/usr/bin/provfs")"
	t_eq "mount.fuse.provfs is mode 0755" 755 "$(mode_of "$DEST/sbin/mount.fuse.provfs")"
	t_eq "provfs.service is mode 0644" 644 "$(mode_of "$DEST/usr/lib/systemd/system/provfs.service")"
	t_eq "/var/lib/provfs is mode 0700" 700 "$(mode_of "$DEST/var/lib/provfs")"
	t_check "the helper runs the installed provfs by its full path" \
		grep -qF 'fuse./usr/bin/provfs' "$DEST/sbin/mount.fuse.provfs"
	t_check "the unit's ExecStart is /usr/bin/provfs, nothing else changed" unit_substituted
}

test_uninstall() {
	t_check "make uninstall DESTDIR=... PREFIX=/usr" mk uninstall DESTDIR="$DEST" PREFIX=/usr
	t_eq "no file left after uninstall" "" "$(files_in "$DEST")"
	t_check "uninstall keeps /var/lib/provfs (keys live there)" test -d "$DEST/var/lib/provfs"
}

# --- the installed files at work, in a private mount namespace -------------------------------

test_namespace() {
	local mnt=$WORK/mnt-t mnt_f=$WORK/mnt-fstab pids unit=$DEST/usr/lib/systemd/system/provfs.service
	lib_spawn "$WORK/ns.log" unshare -m --propagation private sleep 600
	NS_PID=$SPAWN_PID
	t_check "a private mount namespace" lib_poll 10 ns_ready || return
	t_check "namespace: DESTDIR's /sbin over $SBIN_REAL" in_ns mount -t overlay overlay \
		-o "lowerdir=$DEST/sbin:$SBIN_REAL" "$SBIN_REAL" || return
	t_check "namespace: DESTDIR's /usr/bin over /usr/bin" in_ns mount -t overlay overlay \
		-o "lowerdir=$DEST/usr/bin:/usr/bin" /usr/bin || return

	t_check "systemd-analyze verify accepts the installed unit" in_ns systemd-analyze verify "$unit"
	sed 's|^ExecStart=/usr/bin/provfs |ExecStart=/nonexistent/provfs |' "$unit" >"$WORK/provfs.service"
	t_check_fails "systemd-analyze verify refuses the unit with a program that is not there" \
		"/nonexistent/provfs" in_ns systemd-analyze verify "$WORK/provfs.service"

	mkdir -p "$mnt" "$mnt_f"
	t_check "mount -t fuse.provfs through the installed helper" \
		in_ns timeout 30 mount -t fuse.provfs "$INV" "$mnt" -o "allow_other,state=$WORK/state-t" || return
	provfs_track_mount "$mnt"
	t_check "its findmnt SOURCE is the inventory, type fuse.provfs" ns_source_is "$mnt" "$INV"
	pids=$(ns_pids_for "$mnt")
	t_check "its daemon is running" test -n "$pids"
	# shellcheck disable=SC2086 # one PID
	t_check "the helper started the installed /usr/bin/provfs" argv0_is $pids /usr/bin/provfs
	t_check "it serves $PLAIN as provctl cat says" in_ns cmp -- "$WORK/plain.expected" "$mnt/$PLAIN"
	t_check "umount" in_ns umount "$mnt"
	# shellcheck disable=SC2086 # one PID
	t_check "its daemon has exited" lib_poll 10 all_dead $pids

	printf '%s %s fuse.provfs allow_other,state=%s,nofail 0 0\n' "$INV" "$mnt_f" \
		"$WORK/state-fstab" >"$WORK/fstab"
	t_check "an fstab line (mount -T) through the installed helper" \
		in_ns timeout 30 mount -T "$WORK/fstab" "$mnt_f" || return
	provfs_track_mount "$mnt_f"
	t_check "fstab: findmnt SOURCE is the inventory" ns_source_is "$mnt_f" "$INV"
	pids=$(ns_pids_for "$mnt_f")
	t_check "fstab: umount" in_ns umount "$mnt_f"
	# shellcheck disable=SC2086 # one PID
	t_check "fstab: its daemon has exited" lib_poll 10 all_dead $pids
	t_check "the namespace ends" lib_stop_pid "$NS_PID"
	NS_PID=
}

# --- the programs ----------------------------------------------------------------------------

test_versions() {
	t_check "the version is written in inventory/version.h" test -n "$VERSION"
	t_eq "provfs --version names provfs and the version" "provfs $VERSION" \
		"$("$PROVFS" --version | head -n 1)"
	t_eq "provfs --version exits 0" 0 "$("$PROVFS" --version >/dev/null 2>&1; echo $?)"
	t_eq "provctl --version" "provctl $VERSION" "$("$PROVCTL" --version)"
	t_eq "provctl --version exits 0" 0 "$("$PROVCTL" --version >/dev/null 2>&1; echo $?)"
	t_check "provctl frob: exit 2, one line naming the command" \
		one_line_fails 2 "provctl: unknown command 'frob'" "$PROVCTL" frob "$INV"
	t_check "provctl --frob: exit 2, one line naming the option" \
		one_line_fails 2 "provctl: unknown option '--frob'" "$PROVCTL" --frob
	t_check "provctl check --frob: exit 2, one line naming the option" \
		one_line_fails 2 "provctl: unknown option '--frob'" "$PROVCTL" check --frob "$INV"
	# another command's option: named in one line, not the whole usage
	t_check "provctl ls --stale 3: exit 2, one line naming the option" \
		one_line_fails 2 "provctl: --stale is status's option" "$PROVCTL" ls "$INV" --stale 3
	for opt in "--server-log x" "--model m" "--group g" --never --json; do
		# shellcheck disable=SC2086 # opt is an option and maybe its value
		t_check "provctl ls $opt: exit 2, one line naming the option" \
			one_line_fails 2 "provctl: ${opt%% *} is status's option" "$PROVCTL" ls "$INV" $opt
	done
	t_check "provctl cat --factory-reset: exit 2, one line naming the option" \
		one_line_fails 2 "provctl: --factory-reset is rekey's option" \
		"$PROVCTL" cat "$INV" x --factory-reset
	mkdir -p "$WORK/mnt-opt"
	t_check "provfs -o frob: exit 1, one line naming the option" \
		one_line_fails 1 "frob" "$PROVFS" "$INV" "$WORK/mnt-opt" -f -o "frob,state=$WORK/state-opt"
}

# --- findmnt, allow_other, the state directory -----------------------------------------------

test_source() {
	local d="$WORK/inv dir, a" mnt=$WORK/mnt-src
	t_check "mount basic.yaml" provfs_mount "$INV" "$mnt" || return
	t_check "findmnt SOURCE is the inventory's path" source_is "$mnt" "$INV"
	t_check "unmount" provfs_umount "$mnt"
	mkdir -p "$d"
	cp -- "$INV" "$d/basic, b.yaml"
	t_check "mount an inventory whose path has commas and spaces" \
		provfs_mount "$d/basic, b.yaml" "$mnt" || return
	t_check "findmnt SOURCE is that path, commas and spaces intact" source_is "$mnt" "$d/basic, b.yaml"
	t_check "it serves $PLAIN" cmp -- "$WORK/plain.expected" "$mnt/$PLAIN"
	t_check "unmount" provfs_umount "$mnt"
}

as_nobody_refused() { # a server's user cannot read the mount
	! setpriv --reuid=nobody --regid=nogroup --clear-groups cat -- "$1" >/dev/null
}

test_allow_other() {
	local mnt=$WORK/mnt-noao log=$WORK/noao.log
	grep -F 'without -o allow_other' "$WORK/provfs.log" >"$WORK/ao.grep"
	t_check "with allow_other: no warning" test ! -s "$WORK/ao.grep"
	mkdir -p "$mnt"
	setsid "$PROVFS" "$INV" "$mnt" -f -o "state=$WORK/state-noao" </dev/null >"$log" 2>&1 \
		{_LIB_OUT}>&- {_LIB_ERR}>&- &
	provfs_track_mount "$mnt" $!
	t_check "mount without allow_other" lib_poll 10 lib_is_mounted "$mnt" || return
	t_check "it warns that servers running as other users will be refused" grep -qF \
		"provfs: warning: $mnt is mounted without -o allow_other: servers running as other users (tftpd-hpa, nginx, vsftpd) will be refused" \
		"$log"
	t_check "and so they are: nobody cannot read $PLAIN" as_nobody_refused "$mnt/$PLAIN"
	t_check "unmount" provfs_umount "$mnt"
}

test_state_refused() {
	local ro=$WORK/state-ro
	: >"$WORK/state-file"
	t_check "a file where the state directory should be: refused, named" \
		refused "provfs: state directory $WORK/state-file: not a directory: not mounted" \
		"$WORK/mnt-sf" "allow_other,state=$WORK/state-file"
	# root writes through any mode bits: a read-only bind mount is what root cannot write
	mkdir -p "$ro"
	t_check "a bind mount for the state directory" mount --bind "$ro" "$ro" || return
	t_check "made read-only" mount -o remount,bind,ro "$ro"
	t_check "a read-only state directory: refused, named" \
		refused "provfs: state directory $ro is not writable (Read-only file system): not mounted" \
		"$WORK/mnt-ro" "allow_other,state=$ro"
	t_check "a missing state directory that cannot be created: refused, named" \
		refused "provfs: state directory $ro/sub: cannot open or create it (Read-only file system): not mounted" \
		"$WORK/mnt-ro" "allow_other,state=$ro/sub"
	t_check "undo the bind mount" umount "$ro"
}

# --- run_as ----------------------------------------------------------------------------------

RA_USER=pfit$$
RA_MADE=0

ra_cleanup() { # the test user goes, whatever happened (-f: a daemon left is killed by lib after)
	[ "$RA_MADE" -eq 1 ] && userdel -f "$RA_USER" >/dev/null 2>&1
	RA_MADE=0
	[ -z "$NS_PID" ] || lib_stop_pid "$NS_PID"
	# the bind mount of test_state_refused, if a failure left it
	if findmnt -n --mountpoint "$WORK/state-ro" >/dev/null 2>&1; then
		umount "$WORK/state-ro"
	fi
}
on_exit() {
	local rc=$?
	ra_cleanup
	(exit "$rc")
	_lib_on_exit
}
trap on_exit EXIT

owned_by_user() { # owned_by_user DIR — DIR and every file in it belong to RA_USER
	local bad
	bad=$(find "$1" \( ! -user "$RA_USER" -o ! -group "$RA_USER" \) -printf '%u:%g %p\n')
	[ -z "$bad" ] || {
		echo "$bad"
		return 1
	}
}

key_state() { awk '$1 == "state" { print $2 }' "$1/key-$PA_MAC" 2>/dev/null; }

enoent() { ! stat -- "$1" >/dev/null 2>&1; }

not_mounted() { ! lib_is_mounted "$1"; }

test_run_as() {
	local inv_dir=$WORK/ra-inv state=$WORK/state-ra mnt=$WORK/mnt-ra pid uid gid
	t_check "a test user $RA_USER" useradd --system --no-create-home --user-group \
		--shell /usr/sbin/nologin "$RA_USER" || return
	RA_MADE=1
	uid=$(id -u "$RA_USER")
	gid=$(id -g "$RA_USER")
	# The inventory as README says: readable by the user's group, not by others.
	mkdir -p "$inv_dir"
	cp -- "$PA_INV" "$inv_dir/inventory.yaml"
	chgrp -R "$RA_USER" "$inv_dir"
	chmod 0750 "$inv_dir"
	chmod 0640 "$inv_dir/inventory.yaml"
	# A state directory root used before, with a key root made (provctl as root).
	t_check "provctl cat as root makes the device's key" \
		to_file "$WORK/ra.plain0" "$PROVCTL" cat "$inv_dir/inventory.yaml" "$PA_PLAIN" -s "$state"
	t_eq "the key file is root's before" root "$(stat -c %U -- "$state/key-$PA_MAC" 2>&1)"

	cp -- "$PA_INV" "$WORK/ra-secret.yaml"
	chmod 0600 "$WORK/ra-secret.yaml"
	t_check "an inventory the user cannot read: refused, saying why" \
		refused "run_as=$RA_USER reads the inventory (and reloads it) as $RA_USER" "$WORK/mnt-ras" \
		"allow_other,state=$WORK/state-ras,run_as=$RA_USER" "$WORK/ra-secret.yaml"
	# A YAML error is not a permission problem: no hint about readability.
	echo 'x: [' >"$WORK/ra-bad.yaml"
	chmod 0644 "$WORK/ra-bad.yaml"
	t_check "a YAML error under run_as: refused" refused "the inventory has errors" \
		"$WORK/mnt-ras" "allow_other,state=$WORK/state-ras,run_as=$RA_USER" "$WORK/ra-bad.yaml"
	t_check "... without the readability hint" \
		test -z "$(grep -F 'must be readable by that user' "$WORK/refused.out")"
	# state= naming a directory that is not provfs's (state=/etc by mistake): left alone.
	mkdir -p "$WORK/ra-foreign"
	echo h >"$WORK/ra-foreign/shadow"
	chmod 0640 "$WORK/ra-foreign/shadow"
	chmod 0755 "$WORK/ra-foreign"
	t_check "a foreign state directory is refused, naming the entry" \
		refused "not a provfs state directory (it holds shadow" "$WORK/mnt-ras" \
		"allow_other,state=$WORK/ra-foreign,run_as=$RA_USER" "$WORK/ra-bad.yaml"
	t_eq "the foreign directory is as it was" "root 755 root 640" \
		"$(stat -c '%U %a' -- "$WORK/ra-foreign" "$WORK/ra-foreign/shadow" | tr '\n' ' ' | sed 's/ $//')"
	t_check "run_as=root is refused" refused "run_as=root: the user is root" "$WORK/mnt-ras" \
		"allow_other,state=$WORK/state-ras,run_as=root"
	t_check "run_as of no such user is refused" refused "run_as=nobody-$$: no such user" \
		"$WORK/mnt-ras" "allow_other,state=$WORK/state-ras,run_as=nobody-$$"

	PROVFS_STATE=$state t_check "mount with -o run_as=$RA_USER" \
		provfs_mount "$inv_dir/inventory.yaml" "$mnt" "run_as=$RA_USER" || return
	pid=$PROVFS_PID
	t_eq "daemon's real, effective, saved, fs uid" "$uid $uid $uid $uid" \
		"$(status_field "$pid" Uid | tr -s '\t ' ' ')"
	t_eq "daemon's gids" "$gid $gid $gid $gid" "$(status_field "$pid" Gid | tr -s '\t ' ' ')"
	t_eq "daemon has no supplementary group" "" "$(status_field "$pid" Groups | tr -d '\t ')"
	t_eq "daemon's effective capabilities" 0000000000000000 "$(status_field "$pid" CapEff)"
	t_eq "daemon's permitted capabilities" 0000000000000000 "$(status_field "$pid" CapPrm)"
	t_eq "daemon has no_new_privs" 1 "$(status_field "$pid" NoNewPrivs)"
	t_eq "the state directory is the user's, 0700" "$RA_USER 700" "$(stat -c '%U %a' -- "$state")"
	t_check "every file in it is the user's" owned_by_user "$state"
	t_check "the log says whom it serves as" grep -qF ", serving as $RA_USER" "$WORK/provfs.log"

	# The key flow writes state as the user: the key root made is read, then delivered.
	t_check "read $PA_PLAIN to its end" to_file "$WORK/ra.plain" cat -- "$mnt/$PA_PLAIN"
	t_cmp "$PA_PLAIN is what provctl cat gave with the same key" "$WORK/ra.plain0" "$WORK/ra.plain"
	t_check "ask for $PA_ENC (the proof)" to_file "$WORK/ra.enc" cat -- "$mnt/$PA_ENC"
	t_eq "the key is delivered" delivered "$(key_state "$state")"
	t_check "$PA_PLAIN is gone after delivery" lib_poll 5 enoent "$mnt/$PA_PLAIN"
	t_check "the state files are still all the user's" owned_by_user "$state"
	# provctl rekey as root: its new key file goes to the user, and the daemon can read it.
	t_check "provctl rekey as root" "$PROVCTL" rekey "$inv_dir/inventory.yaml" "$PA_MAC" -s "$state"
	t_check "the new key file is the user's" owned_by_user "$state"
	t_check "the daemon read the new key: $PA_PLAIN is served again" \
		lib_poll 10 test -e "$mnt/$PA_PLAIN"
	t_check "no key unreadable in the log" test -z "$(grep -F 'cannot be read' "$WORK/provfs.log")"

	# SIGTERM: the daemon cannot unmount as the user; fusermount3's auto_unmount does.
	t_check "SIGTERM to the daemon" kill -TERM "$pid"
	t_check "the daemon exits" lib_poll 10 _lib_dead "$pid"
	t_check "the mount is gone" lib_poll 10 not_mounted "$mnt"
	provfs_umount "$mnt" >/dev/null 2>&1
	# A sanitizer that could not write its report as the user aborts (134): it would go unseen.
	t_check "the daemon ended by itself, not by a signal or an abort (status $PROVFS_RC)" \
		test "${PROVFS_RC:-255}" -lt 128
	t_check "no secret in the log" no_string_in "$WORK/provfs.log" pw1003 "$(key_state_key "$state")"
}

key_state_key() { awk '$1 == "key" { print $2 }' "$1/key-$PA_MAC" 2>/dev/null; }

"$PROVCTL" cat "$INV" "$PLAIN" >"$WORK/plain.expected"
test_install
test_versions
test_namespace
test_uninstall
test_source
test_allow_other
test_state_refused
test_run_as
t_summary
