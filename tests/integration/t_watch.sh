#!/usr/bin/env bash
# t_watch.sh — an edit reaches the mount without SIGHUP (issue 5 point 1, SPEC §4): inotify on
# the inventory, debounced. Every way an administrator saves is tried — in place, an editor's
# rename over the file, a symlinked file and a symlink pointed elsewhere, a directory of *.yaml
# (files added and removed), git checkout, a burst of writes — and each must be served within
# one second; files that are not the inventory (swap files, notes) cause no reload, and a broken
# save keeps the last good generation until the next good one.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

BASIC=$REPO_ROOT/tests/data/basic.yaml
KEPT=cfgc074ad0a0b0c.xml # its line's user: 2001 in basic.yaml, changed by each edit below

# with_user FILE USER — basic.yaml with c0:74:ad:0a:0b:0c's user replaced, written to FILE.
with_user() {
	sed -e "s/user: \"2001\"/user: \"$2\"/" "$BASIC" >"$1"
}

# serves_user MNT USER — the mount's file carries <P35>USER</P35> (account 1's user ID).
serves_user() {
	grep -qF "<P35>$2</P35>" "$1/$KEPT"
}

reloads() { grep -c 'reloaded .*: generation' "$WORK/provfs.log"; }

log_has() { grep -qF -- "$1" "$WORK/provfs.log"; }

# mount_at NAME INVENTORY [OPTS] — mount INVENTORY at $WORK/NAME, its own state directory.
mount_at() {
	PROVFS_STATE=$WORK/state.$1 provfs_mount "$2" "$WORK/$1" "${3:-}"
}

# ---- a single file: in place, renamed over, broken and fixed, noise, a burst ----
D=$WORK/inv
MNT=$WORK/file
mkdir -p "$D"
with_user "$D/inventory.yaml" 2001
t_check "provfs mounts a single-file inventory" mount_at file "$D/inventory.yaml" || {
	t_summary
	exit 1
}
t_check "before: user 2001" serves_user "$MNT" 2001

with_user "$WORK/next" 2002
cat -- "$WORK/next" >"$D/inventory.yaml" # written in place: one CLOSE_WRITE
t_check "in place: user 2002 within 1 s" lib_poll 1 serves_user "$MNT" 2002

with_user "$D/.inventory.yaml.swp" 2003 # an editor's own files: not the inventory
with_user "$D/inventory.yaml~" 2003
printf 'notes\n' >"$D/NOTES.txt"
before=$(reloads)
with_user "$D/inventory.yaml.tmp" 2004
mv -- "$D/inventory.yaml.tmp" "$D/inventory.yaml" # vim/emacs/sed -i: rename over the file
t_check "renamed over: user 2004 within 1 s" lib_poll 1 serves_user "$MNT" 2004
t_eq "swap, backup and other files caused no reload (one for the rename)" \
	$((before + 1)) "$(reloads)"

printf 'devices: [this is not\n' >>"$D/inventory.yaml" # a half-typed edit
t_check "a broken save is logged with FILE:LINE:COL" \
	lib_poll 1 log_has "$D/inventory.yaml:"
t_check "the log says the last good generation stays" lib_poll 1 log_has "failed: still serving"
t_check "the broken save keeps user 2004" serves_user "$MNT" 2004
with_user "$D/inventory.yaml" 2005
t_check "the fixed save: user 2005 within 1 s" lib_poll 1 serves_user "$MNT" 2005

# A burst of 30 saves in a row is debounced into a few reloads, and the last one wins.
before=$(reloads)
for i in $(seq 3000 3029); do
	with_user "$D/inventory.yaml" "$i"
done
t_check "a burst of 30 saves: the last (3029) within 1 s" lib_poll 1 serves_user "$MNT" 3029
t_check "the burst made at most 5 reloads (debounced)" test $(($(reloads) - before)) -le 5
t_check "unmount the single-file inventory" provfs_umount "$MNT"

# ---- a symlinked file: edit the target; point the link at another file ----
L=$WORK/link
MNT=$WORK/symlinked
mkdir -p "$L/etc" "$L/git"
with_user "$L/git/a.yaml" 4001
with_user "$L/git/b.yaml" 4002
ln -s ../git/a.yaml "$L/etc/inventory.yaml"
t_check "provfs mounts a symlinked inventory" mount_at symlinked "$L/etc/inventory.yaml" &&
	t_check "symlink: user 4001" serves_user "$MNT" 4001
with_user "$L/git/a.yaml" 4003
t_check "symlink: editing the target serves 4003 within 1 s" lib_poll 1 serves_user "$MNT" 4003
ln -sfn ../git/b.yaml "$L/etc/inventory.yaml.new" && mv -T -- "$L/etc/inventory.yaml.new" "$L/etc/inventory.yaml"
t_check "symlink: pointing it at b.yaml serves 4002 within 1 s" lib_poll 1 serves_user "$MNT" 4002
with_user "$L/git/b.yaml" 4004
t_check "symlink: then editing b.yaml serves 4004 within 1 s" lib_poll 1 serves_user "$MNT" 4004
with_user "$L/git/a.yaml" 4005
t_check "symlink: a.yaml, no longer the target, changes nothing" serves_user "$MNT" 4004
t_check "unmount the symlinked inventory" provfs_umount "$MNT"

# ---- a directory of *.yaml under git: files added and removed, git checkout ----
G=$WORK/repo
MNT=$WORK/dir
ADDED=cfg000b82aaaaaa.xml
mkdir -p "$G"
with_user "$G/10-base.yaml" 5001
git_q() { git -C "$G" -c user.name=t -c user.email=t@example.com "$@" >/dev/null 2>&1; }
git_q init -q && git_q add -A && git_q commit -q -m base && git_q tag v1
t_check "provfs mounts a directory inventory" mount_at dir "$G" &&
	t_check "directory: user 5001" serves_user "$MNT" 5001
printf 'devices:\n  00:0b:82:aa:aa:aa: {model: GXP2170, lines: [{user: "6001"}]}\n' >"$G/20-new.yaml"
t_check "directory: a new *.yaml file adds $ADDED within 1 s" lib_poll 1 test -e "$MNT/$ADDED"
printf 'devices: {}\n' >"$G/notes.yml.txt"
before=$(reloads)
git_q add -A && git_q commit -q -m "new phone"
t_check "directory: git add/commit (.git only) made no reload" test "$(reloads)" -eq "$before"
git_q checkout -q v1
t_check "directory: git checkout v1 removes $ADDED within 1 s" \
	lib_poll 1 test ! -e "$MNT/$ADDED"
t_check "directory: git checkout v1 still serves user 5001" serves_user "$MNT" 5001
git_q checkout -q master || git_q checkout -q main
t_check "directory: git checkout back brings $ADDED within 1 s" lib_poll 1 test -e "$MNT/$ADDED"
rm -f -- "$G/20-new.yaml"
t_check "directory: removing the file removes $ADDED within 1 s" \
	lib_poll 1 test ! -e "$MNT/$ADDED"
t_check "unmount the directory inventory" provfs_umount "$MNT"

# ---- nowatch: SIGHUP only ----
MNT=$WORK/nowatch
with_user "$D/inventory.yaml" 7001
t_check "provfs mounts with -o nowatch" mount_at nowatch "$D/inventory.yaml" nowatch &&
	t_check "nowatch: user 7001" serves_user "$MNT" 7001
with_user "$D/inventory.yaml" 7002
t_check_fails "nowatch: an edit alone changes nothing for 2 s" "" \
	lib_poll 2 serves_user "$MNT" 7002
t_check "nowatch: SIGHUP" kill -HUP "$PROVFS_PID"
t_check "nowatch: after SIGHUP user 7002" lib_poll 1 serves_user "$MNT" 7002
t_check "unmount the nowatch mount" provfs_umount "$MNT"
t_summary
