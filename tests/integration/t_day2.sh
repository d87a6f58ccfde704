#!/usr/bin/env bash
# t_day2.sh — the day-2 tools (issue 13, points 5 and 8): provctl export swaps a whole tree in
# (a removed device's file does not survive, a foreign directory is refused, a killed export
# leaves DIR as it was, no key is made without -s); provctl diff between two inventories and,
# with a real mount, between what it serves and an edit; the reload log's count of changed
# devices; provctl status (XML password, never fetched, filters, --json, the unknown-MAC count);
# progress on a terminal only.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

BASIC=$REPO_ROOT/tests/data/basic.yaml
INV=$WORK/inventory.yaml
MNT=$WORK/mnt
STATE=$WORK/state
# basic.yaml's secrets, and those the edits below bring
SECRETS=('4dm1n' 'pw&1001<x>' 'pw2001' 'Secr3t!' 'n3wAdm1n' 'pw2001-new')

cp -- "$BASIC" "$INV"

status_is() { # status_is N CMD... — CMD exits with status N (its output in WORK/out)
	local want=$1 rc
	shift
	"$@" >"$WORK/out" 2>&1
	rc=$?
	cat -- "$WORK/out"
	[ "$rc" -eq "$want" ] || {
		echo "exit status $rc, expected $want"
		return 1
	}
}

# basic.yaml without 00:0b:82:12:34:56 (and its SIP password), as t_reload.sh removes it
without_first() {
	sed -e '/^  00:0b:82:12:34:56:/,/^      - {user: "1001"/d' "$BASIC" >"$1"
}

# ---- export ----------------------------------------------------------------------------------

EXP=$WORK/exp
same_tree() { # same_tree INVENTORY DIR — names are provctl ls's plus the mark, bytes provctl cat's
	local n
	"$PROVCTL" ls "$1" >"$WORK/ls.names" || return 1
	{
		cat -- "$WORK/ls.names"
		echo .provfs-export
	} | LC_ALL=C sort >"$WORK/want.names"
	entries "$2" >"$WORK/got.names"
	diff -- "$WORK/want.names" "$WORK/got.names" || return 1
	while IFS= read -r n; do
		"$PROVCTL" cat "$1" "$n" | cmp -- - "$2/$n" || return 1
	done <"$WORK/ls.names"
}
same_names() { # same_names INVENTORY DIR — the names of provctl ls, and the mark
	{
		"$PROVCTL" ls "$1" && echo .provfs-export
	} | LC_ALL=C sort | diff -q - <(entries "$2")
}
no_temp_beside() { # no_temp_beside BASE — no .BASE.provfs-new.* in WORK
	[ -z "$(find "$WORK" -maxdepth 1 -name ".$1.provfs-new.*")" ]
}

t_check "export into a new directory" "$PROVCTL" export "$INV" "$EXP"
t_check "... the tree is provctl ls and cat, with its mark" same_tree "$INV" "$EXP"
t_check "... 000b82123456's file is there" test -f "$EXP/cfg000b82123456.xml"
without_first "$WORK/fewer.yaml"
t_check "export again, of the inventory without 00:0b:82:12:34:56" \
	"$PROVCTL" export "$WORK/fewer.yaml" "$EXP"
t_check "... its file (with its SIP password) is gone" test ! -e "$EXP/cfg000b82123456.xml"
t_check "... the tree is exactly the new inventory's" same_tree "$WORK/fewer.yaml" "$EXP"
t_check "... no temporary tree is left beside it" no_temp_beside exp

mkdir -p "$WORK/etc" && echo keep >"$WORK/etc/passwd"
t_check_fails "a directory neither empty nor an export is refused" \
	"is not empty and not a provctl export" "$PROVCTL" export "$INV" "$WORK/etc"
t_eq "... and left as it was" passwd "$(entries "$WORK/etc")"
ln -s exp "$WORK/link"
t_check_fails "a symlink is refused" "a symlink" "$PROVCTL" export "$INV" "$WORK/link"
mkdir -p "$WORK/empty"
t_check "an empty directory is taken" "$PROVCTL" export "$INV" "$WORK/empty"
t_check "... and holds the tree" same_tree "$INV" "$WORK/empty"

# DIR's owner, group and mode are the administrator's (a web root's group, no access for
# others): an export, and a re-export, keep them, and a phone's password stays unreadable
PUB=$WORK/pub
mkdir -p "$PUB" && chown root:www-data "$PUB" && chmod 0750 "$PUB"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
t_check "export into a root:www-data 0750 directory" "$PROVCTL" export "$INV" "$PUB"
t_eq "... it stays root:www-data 0750" "root:www-data 750" "$(stat -c '%U:%G %a' "$PUB")"
t_check_fails "... nobody cannot read a device's file" "Permission denied" \
	as_nobody cat "$PUB/cfg000b82123456.xml"
t_check "... its files are in group www-data" \
	test -z "$(find "$PUB" -type f ! -group www-data)"
t_check "export again" "$PROVCTL" export "$WORK/fewer.yaml" "$PUB"
t_eq "... still root:www-data 0750" "root:www-data 750" "$(stat -c '%U:%G %a' "$PUB")"
t_check_fails "... nobody still cannot read a file" "Permission denied" \
	as_nobody cat "$PUB/cfgc074ad0a0b0c.xml"
export_027() { (umask 027 && "$PROVCTL" export "$INV" "$WORK/new027"); }
t_check "a new directory, under umask 027" export_027
t_eq "... is 0750, as mkdir would make it" 750 "$(stat -c %a "$WORK/new027")"

# exports are flat: a subdirectory put in one goes with the old tree (a symlink in it is removed,
# not followed); what cannot be removed (a mount below it) is an error, not a silent leftover
SUBX=$WORK/subx
mkdir -p "$WORK/keep" && echo keep >"$WORK/keep/file"
t_check "an export" "$PROVCTL" export "$INV" "$SUBX"
mkdir -p "$SUBX/sub/deeper" && echo x >"$SUBX/sub/deeper/f" && ln -s "$WORK/keep" "$SUBX/sub/link"
t_check "re-export over an export holding a subdirectory" "$PROVCTL" export "$INV" "$SUBX"
t_check "... no temporary tree is left beside it" no_temp_beside subx
t_check "... the tree is exactly the inventory's" same_tree "$INV" "$SUBX"
t_eq "... the symlink's target is untouched" keep "$(cat "$WORK/keep/file")"
mkdir -p "$SUBX/sub/mnt" && mount -t tmpfs provfs-test "$SUBX/sub/mnt" && echo m >"$SUBX/sub/mnt/f"
t_check_fails "a mount below the old tree: the export fails, saying what is left" \
	"remove it by hand" "$PROVCTL" export "$INV" "$SUBX"
t_check "... the new export is in place" same_tree "$INV" "$SUBX"
t_eq "... the mount's file is untouched" m "$(cat "$WORK"/.subx.provfs-new.*/sub/mnt/f)"
umount "$WORK"/.subx.provfs-new.*/sub/mnt
t_check "the next export removes what was left" "$PROVCTL" export "$INV" "$SUBX"
t_check "... no temporary tree is left beside it" no_temp_beside subx

# encrypted devices (Panasonic KX-UTG300) need keys: never made silently in /var/lib/provfs
PA=$REPO_ROOT/tests/data/panasonic.yaml
t_check "without -s, an inventory with per-device keys is refused in one line saying -s" \
	status_is 1 "$PROVCTL" export "$PA" "$WORK/pa"
t_eq "... one line" 1 "$(wc -l <"$WORK/out")"
t_check "... it says to pass -s" contains "$WORK/out" "pass -s STATE"
t_check "... nothing was written" test ! -e "$WORK/pa"
t_check "with -s, exported" "$PROVCTL" export "$PA" "$WORK/pa" -s "$WORK/pa-state"
t_check "... the keys are in that state directory" \
	test -n "$(find "$WORK/pa-state" -maxdepth 1 -name 'key-*')"

# a large inventory: an export killed before its swap, and progress
BIG=$WORK/big.yaml
BIG_N=20000
t_check "a $BIG_N-device Grandstream inventory" \
	python3 "$REPO_ROOT/bench/gen-inventory.py" "$BIG_N" "$BIG" --vendors gs
cp -a -- "$EXP" "$WORK/exp.before"
lib_spawn "$WORK/killed-export.log" "$PROVCTL" export "$BIG" "$EXP"
EXPORT_PID=$SPAWN_PID
half_written() { [ "$(find "$WORK/.exp.provfs-new.$EXPORT_PID" -type f 2>/dev/null | head -n 100 | wc -l)" -ge 100 ]; }
t_check "an export of it is under way" lib_poll 30 half_written
TMP_MODE=$(stat -c %a "$WORK/.exp.provfs-new.$EXPORT_PID")
t_eq "... its temporary tree, half-written, is private (700, the set-group-ID bit aside)" 700 \
	"${TMP_MODE: -3}"
kill -KILL "$EXPORT_PID" 2>/dev/null
t_check "... killed" lib_poll 5 _lib_dead "$EXPORT_PID"
lib_stop_pid "$EXPORT_PID" # reaps it
t_check "... DIR is the earlier tree, whole" diff -r -- "$WORK/exp.before" "$EXP"
t_check "... its temporary tree is left" test -d "$WORK/.exp.provfs-new.$EXPORT_PID"
# progress: on a terminal (script(1) gives one), and only there
on_tty() { script -qec "$*" /dev/null >"$WORK/tty.out" || true; } # what the terminal showed
BIG_FILES=$("$PROVCTL" ls "$BIG" | wc -l)
t_check "the next export, on a terminal" on_tty "$PROVCTL" export "$BIG" "$EXP"
t_check "... shows progress: export: N/$BIG_FILES" grep -qE "export: [0-9]+/$BIG_FILES " "$WORK/tty.out"
t_check "... and succeeds" contains "$WORK/tty.out" "$BIG_FILES files written to $EXP"
t_check "... the killed export's temporary tree is gone" no_temp_beside exp
t_check "... the tree has the $BIG_N devices' files" same_names "$BIG" "$EXP"
t_check "on a terminal, diff says what it loads" on_tty "$PROVCTL" diff "$BIG" "$INV"
t_check "... loading $BIG" contains "$WORK/tty.out" "loading $BIG"
t_check "on a terminal, check says what it loads" on_tty "$PROVCTL" check "$BIG"
t_check "... loading $BIG" contains "$WORK/tty.out" "loading $BIG"
MID=$WORK/mid.yaml
t_check "a 3000-device inventory" python3 "$REPO_ROOT/bench/gen-inventory.py" 3000 "$MID" --vendors gs
t_check "its export in a pipe (stderr not a terminal)" status_is 0 "$PROVCTL" export "$MID" "$EXP"
t_eq "... prints its one line, no progress" \
	"$("$PROVCTL" ls "$MID" | wc -l) files written to $EXP" "$(cat "$WORK/out")"
t_check "check in a pipe" status_is 0 "$PROVCTL" check "$BIG"
t_eq "... its one line, nothing else" 1 "$(wc -l <"$WORK/out")"

# ---- diff of two inventories -----------------------------------------------------------------

# The edit: 00:0b:82:12:34:56 removed, 00:0b:82:aa:aa:aa added; c0:74:ad:0a:0b:0c's user 2001 ->
# 2002 (P35 user ID, P36 authenticate ID), its password changed (P34) and an admin password set
# (P2); a generic section (cfg.xml and one file per model).
edit_two() {
	without_first "$1.tmp" &&
		sed -e 's/user: "2001", password: "pw2001"/user: "2002", password: "pw2001-new"/' \
			-e 's/^    model: GXP1625$/    model: GXP1625\n    settings: {admin_password: "n3wAdm1n"}/' \
			"$1.tmp" >"$1" &&
		printf '  00:0b:82:aa:aa:aa:\n    model: GXP2170\n    lines: [{user: "3001"}]\n' >>"$1" &&
		printf 'generic:\n  settings: {resync_minutes: 60}\n' >>"$1" &&
		rm -f -- "$1.tmp"
}
t_check "the edited inventory" edit_two "$WORK/two.yaml"
t_check "provctl check accepts it" "$PROVCTL" check "$WORK/two.yaml"
t_check "diff of the two: exit status 1" status_is 1 "$PROVCTL" diff "$BASIC" "$WORK/two.yaml"
cp -- "$WORK/out" "$WORK/diff.out"
cat >"$WORK/diff.want" <<'EOF'
device 000b82123456: removed (GXP2170)
device c074ad0a0b0c (GXP1625): changed
    P2: (secret) set
    P34: (secret) changed
    P35: "2001" -> "2002"
    P36: "2001" -> "2002"
device 000b82aaaaaa: added (GXP2170)
EOF
t_check "... the devices, and each parameter that changes" \
	diff -- "$WORK/diff.want" <(grep -E '^(device|    )' "$WORK/diff.out")
t_check "... cfg.xml is added" contains "$WORK/diff.out" "file cfg.xml: added"
t_check "... the summary" contains "$WORK/diff.out" "1 device changed, 1 added, 1 removed;"
t_check "... no secret, old or new" no_secret_in "$WORK/diff.out"
t_check "the same inventory twice: exit status 0" status_is 0 "$PROVCTL" diff "$BASIC" "$INV"
t_check "... no device named" test -z "$(grep -E '^(device|file)' "$WORK/out")"
printf 'devices:\n  nonsense: [\n' >"$WORK/bad.yaml"
t_check "a broken inventory: exit status 2" status_is 2 "$PROVCTL" diff "$BASIC" "$WORK/bad.yaml"
t_check "... the problem as FILE:LINE:COL" grep -qE "^$WORK/bad.yaml:[0-9]+:[0-9]+: " "$WORK/out"

# ---- a real mount: status, unknown MACs, one-argument diff, the reload log -------------------

t_check "provfs mounts a copy of basic.yaml (nowatch: SIGHUP only)" \
	provfs_mount "$INV" "$MNT" nowatch || {
	t_summary
	exit 1
}
C074=cfgc074ad0a0b0c.xml
t_check "a phone fetches $C074" cp -- "$MNT/$C074" "$WORK/c074.got"

status_has() { "$PROVCTL" status "$INV" -s "$STATE" "$@" >"$WORK/status.out" 2>&1 && contains "$WORK/status.out" "$C074"; }
t_check "status shows the fetch of $C074 (the records are flushed within seconds)" \
	lib_poll 5 status_has
t_check "... 000B82123456 (xml_password set): encrypted (XML password)" \
	grep -qE '^000B82123456 +GXP2170 +encrypted \(XML password\)$' "$WORK/status.out"
t_check "... C074AD0A0B0C (none): plain" grep -qE '^C074AD0A0B0C +GXP1625 +plain$' "$WORK/status.out"
t_eq "... 000B82123456: never fetched" "    never fetched" \
	"$(sed -n '/^000B82123456/{n;p}' "$WORK/status.out")"
t_check "... no secret" no_secret_in "$WORK/status.out"

devices_shown() { # devices_shown ARGS... — the MACs status shows, one a line
	"$PROVCTL" status "$INV" -s "$STATE" "$@" | grep -oE '^[0-9A-F]{12}' | tr '\n' ' '
}
t_eq "--never: the device never fetched" "000B82123456 " "$(devices_shown --never)"
t_eq "--stale 1: not fetched for a day (never included)" "000B82123456 " "$(devices_shown --stale 1)"
t_eq "--model GXP1625" "C074AD0A0B0C " "$(devices_shown --model GXP1625)"
t_eq "--group sales" "000B82123456 " "$(devices_shown --group sales)"
t_eq "a MAC in another notation" "C074AD0A0B0C " "$(devices_shown c0:74:ad:0a:0b:0c)"
t_eq "--model GXP1625 --never: none" "" "$(devices_shown --model GXP1625 --never)"
t_check_fails "--model of no such model" "no model 'GXP9999'" \
	"$PROVCTL" status "$INV" -s "$STATE" --model GXP9999
t_check_fails "the filters are status's alone (one line)" "--never is status's option" "$PROVCTL" ls "$INV" --never

# three lookups of device names for MACs the inventory does not have (an enumeration sweep)
for mac in 000b82f00001 000b82f00002 000b82f00003; do
	stat -- "$MNT/cfg$mac.xml" >/dev/null 2>&1
done
unknown_counted() { "$PROVCTL" status "$INV" -s "$STATE" | grep -q '^unknown MACs: 3 lookups of device files'; }
t_check "status shows the mount's count of the 3 unknown-MAC lookups" lib_poll 5 unknown_counted

json_ok() {
	"$PROVCTL" status "$INV" -s "$STATE" --json >"$WORK/status.json" &&
		python3 -m json.tool "$WORK/status.json" >/dev/null
}
t_check "--json is valid JSON (python3 -m json.tool)" json_ok
t_check "... with what the text says" python3 - "$WORK/status.json" "$C074" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
d = {x["mac"]: x for x in s["devices"]}
assert sorted(d) == ["000B82123456", "C074AD0A0B0C"], sorted(d)
assert d["000B82123456"]["protection"] == "encrypted (XML password)", d["000B82123456"]
assert d["000B82123456"]["never_fetched"] is True and d["000B82123456"]["fetches"] == []
assert d["000B82123456"]["groups"] == ["sales"]
assert d["C074AD0A0B0C"]["protection"] == "plain"
assert d["C074AD0A0B0C"]["never_fetched"] is False
assert [f["name"] for f in d["C074AD0A0B0C"]["fetches"]] == [sys.argv[2]], d["C074AD0A0B0C"]
assert s["unknown_macs"]["lookups"] == 3, s["unknown_macs"]
EOF
t_check "... no secret" no_secret_in "$WORK/status.json"
t_check "--json --never: valid, one device" python3 -c '
import json, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True).stdout
assert [d["mac"] for d in json.loads(out)["devices"]] == ["000B82123456"]
' "$PROVCTL" status "$INV" -s "$STATE" --json --never

# one-argument diff: the mount's copy of its inventory against the file
t_check "diff INVENTORY -s STATE right after mounting: no change (exit 0)" \
	status_is 0 "$PROVCTL" diff "$INV" -s "$STATE"
t_check "edit: the defaults' NTP server, which every device inherits" \
	sed -i 's/ntp_server: pool.ntp.org/ntp_server: ntp.example.net/' "$INV"
t_check "diff before the reload: exit 1" status_is 1 "$PROVCTL" diff "$INV" -s "$STATE"
t_eq "... both devices, the NTP server's value in each" 2 \
	"$(grep -c '"pool.ntp.org" -> "ntp.example.net"' "$WORK/out")"
t_check "... 2 devices changed" contains "$WORK/out" "2 devices changed, 0 added, 0 removed;"
log_has() { grep -qF -- "$1" "$WORK/provfs.log"; }
t_check "SIGHUP" kill -HUP "$PROVFS_PID"
# one file was fetched (rendered) before, but both devices' files change
t_check "the reload log counts 2 devices changed, 1 file re-rendered" lib_poll 5 log_has \
	"generation 2, 2 devices; devices: 2 changed, 0 added, 0 removed; files: 1 re-rendered, 0 added, 0 removed"
t_check "diff after the reload: the mount serves the file (exit 0)" \
	status_is 0 "$PROVCTL" diff "$INV" -s "$STATE"

t_check "edit: 00:0b:82:12:34:56 removed, 00:0b:82:aa:aa:aa added, c0:74:ad:0a:0b:0c changed" \
	edit_two "$INV"
t_check "diff before the reload: exit 1" status_is 1 "$PROVCTL" diff "$INV" -s "$STATE"
t_check "... 1 device changed, 1 added, 1 removed" contains "$WORK/out" "1 device changed, 1 added, 1 removed;"
t_check "... no secret" no_secret_in "$WORK/out"
t_check "SIGHUP" kill -HUP "$PROVFS_PID"
t_check "the reload log counts them" lib_poll 5 log_has \
	"generation 3, 2 devices; devices: 1 changed, 1 added, 1 removed;"
t_check "diff after the reload: exit 0" status_is 0 "$PROVCTL" diff "$INV" -s "$STATE"
t_check "the state directory's copy is private (0700)" test "$(stat -c %a "$STATE/live")" = 700
t_check "diff with a state directory no mount used: exit 2, saying so" \
	status_is 2 "$PROVCTL" diff "$INV" -s "$WORK/nostate"
t_check "... names the missing copy" contains "$WORK/out" "$WORK/nostate/live does not exist"

t_check "unmount" provfs_umount "$MNT"
t_eq "provfs exit status" 0 "${PROVFS_RC:-none}"
t_check "the daemon's log holds no secret" no_secret_in "$WORK/provfs.log"
t_summary
