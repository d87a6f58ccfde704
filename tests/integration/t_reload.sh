#!/usr/bin/env bash
# t_reload.sh — SIGHUP reloads the inventory (SPEC §1, §4): added, changed and removed devices
# are visible through the mount and through nginx within a second, a bad edit is logged as
# FILE:LINE:COL and changes nothing, and SIGHUP never ends the daemon.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/inventory.yaml
MNT=$WORK/mnt
KEPT=cfgc074ad0a0b0c.xml    # changes: its line's user 2001 -> 2002
REMOVED=cfg000b82123456.xml # removed by the edit
ADDED=cfg000b82aaaaaa.xml   # added by the edit; looked up (ENOENT) before

cp -- "$REPO_ROOT/tests/data/basic.yaml" "$INV"

# The edit: another user for c0:74:ad:0a:0b:0c, 00:0b:82:12:34:56 gone, 00:0b:82:aa:aa:aa new.
edit_inventory() {
	sed -e 's/user: "2001"/user: "2002"/' \
		-e '/^  00:0b:82:12:34:56:/,/^      - {user: "1001"/d' "$REPO_ROOT/tests/data/basic.yaml" >"$INV.new" &&
		printf '  00:0b:82:aa:aa:aa:\n    model: GXP2170\n    lines: [{user: "3001"}]\n' >>"$INV.new" &&
		mv -- "$INV.new" "$INV"
}

same_as_provctl() { # same_as_provctl NAME — the mount serves what provctl cat says now
	"$PROVCTL" cat "$INV" "$1" >"$WORK/want" 2>/dev/null && cmp -s -- "$WORK/want" "$MNT/$1"
}

gone() { [ ! -e "$MNT/$1" ]; }

log_has() { grep -qF -- "$1" "$WORK/provfs.log"; }

http_same_as_provctl() {
	"$PROVCTL" cat "$INV" "$1" >"$WORK/want" && [ "$(fetch_http "$1" "$WORK/got")" = 200 ] &&
		cmp -s -- "$WORK/want" "$WORK/got"
}

alive() { kill -0 "$PROVFS_PID" 2>/dev/null; }

t_check "provfs mounts a copy of basic.yaml (nowatch: SIGHUP only)" provfs_mount "$INV" "$MNT" nowatch || {
	t_summary
	exit 1
}
t_check "nginx starts on the mount" srv_nginx_start "$MNT"
# Fill the kernel's caches: pages and attributes of KEPT, a negative entry for ADDED.
t_check "before: $KEPT as provctl says" same_as_provctl "$KEPT"
t_check "before: $KEPT over http" http_same_as_provctl "$KEPT"
t_check "before: $ADDED does not exist" gone "$ADDED"
t_check "before: $REMOVED as provctl says" same_as_provctl "$REMOVED"
cp -- "$MNT/$KEPT" "$WORK/kept.before"

t_check "edit the inventory" edit_inventory
t_check "provctl check accepts the edit" "$PROVCTL" check "$INV"
t_check "SIGHUP" kill -HUP "$PROVFS_PID"
t_check "within 1 s: $KEPT changed on the mount" lib_poll 1 same_as_provctl "$KEPT"
t_check_fails "the new $KEPT differs from the old" "" cmp -s -- "$WORK/kept.before" "$MNT/$KEPT"
t_check "within 1 s: $ADDED appeared" lib_poll 1 same_as_provctl "$ADDED"
t_check "within 1 s: $REMOVED is gone" lib_poll 1 gone "$REMOVED"
t_check "nginx serves the new $KEPT" http_same_as_provctl "$KEPT"
t_check "nginx serves $ADDED" http_same_as_provctl "$ADDED"
t_eq "nginx: $REMOVED is 404" 404 "$(fetch_http "$REMOVED" "$WORK/got")"
t_check "the log names generation 2" lib_poll 2 log_has "generation 2, 2 devices"

# A bad edit: every problem logged with its position, the last good generation kept.
cp -- "$MNT/$KEPT" "$WORK/kept.good"
cp -- "$MNT/$ADDED" "$WORK/added.good"
printf '  000b82bbbbbb: {model: GXP9999}\n' >>"$INV"
t_check "SIGHUP after a bad edit" kill -HUP "$PROVFS_PID"
t_check "the log gives FILE:LINE:COL of the problem" \
	lib_poll 2 log_has "$INV:26:25: unknown model (no model of that name under 'models')"
t_check "the log says the old generation stays" lib_poll 2 log_has "still serving generation 2"
t_cmp "$KEPT still serves generation 2" "$WORK/kept.good" "$MNT/$KEPT"
t_cmp "$ADDED still serves generation 2" "$WORK/added.good" "$MNT/$ADDED"
t_check "the daemon survived SIGHUP" alive
t_check "still mounted" lib_is_mounted "$MNT"

t_check "servers stop" srv_stop_all
t_check "unmount" provfs_umount "$MNT"
t_eq "provfs exit status" 0 "${PROVFS_RC:-none}"
t_summary
