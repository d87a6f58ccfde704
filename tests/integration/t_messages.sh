#!/usr/bin/env bash
# t_messages.sh — no secret in any message (issue 10 points 6 and 10): a directory inventory
# with a *.yaml symlink to a shadow file makes `provctl check` fail without printing a hash
# field, and a running mount's reload logs the problem without one either and keeps serving
# the last good generation; a key or a path with a line break never forges a log line; and
# `provctl check` exits 0 clean, 1 with errors, 2 on a usage error.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

BASIC=$REPO_ROOT/tests/data/basic.yaml
KEPT=cfgc074ad0a0b0c.xml
MARK=MARKERHASH
FORGED='provfs: key of 0011223344AA delivered'

# status_of CMD... — prints CMD's exit status (its output goes to $WORK/out).
status_of() {
	"$@" >"$WORK/out" 2>&1
	echo "$?"
}

# no_mark FILE — FILE does not hold the marker (prints the offending lines if it does).
no_mark() {
	! grep -F -- "$MARK" "$1"
}

# not_forged FILE — no line of FILE starts with the forged text, with or without a log stamp.
not_forged() {
	! grep -E -- "^([0-9TZ:-]+ )?$FORGED" "$1"
}

# one_line_each FILE — FILE has no carriage return, escape or other control byte but tab.
one_line_each() {
	! LC_ALL=C grep -q -- $'[\x01-\x08\x0b-\x1f\x7f]' "$1"
}

# ---- point 10: provctl check's exit status ----
D=$WORK/inv
mkdir -p "$D"
cp -- "$BASIC" "$D/inventory.yaml"
t_eq "provctl check: 0 for a clean inventory" 0 "$(status_of "$PROVCTL" check "$D")"
printf 'version: 1\nserver: {url: http://h/p}\ndevices: {000b82000001: {model: NOPE}}\n' \
	>"$WORK/bad.yaml"
t_eq "provctl check: 1 for an inventory with errors" 1 "$(status_of "$PROVCTL" check "$WORK/bad.yaml")"
t_check "provctl check: the error has its FILE:LINE:COL" grep -qF "$WORK/bad.yaml:3:33: unknown model" "$WORK/out"
t_eq "provctl check: 1 for a missing inventory" 1 "$(status_of "$PROVCTL" check "$WORK/nonexistent.yaml")"
t_eq "provctl check: 2 without an inventory" 2 "$(status_of "$PROVCTL" check)"
t_eq "provctl check: 2 with two inventories" 2 "$(status_of "$PROVCTL" check "$D" "$D")"
t_eq "provctl check: 2 with an unknown option" 2 "$(status_of "$PROVCTL" check -x "$D")"

# ---- a *.yaml symlink to a shadow file: provctl check ----
SHADOW=$WORK/shadow
cat >"$SHADOW" <<EOF
root:\$y\$j9T\$${MARK}root0123456789abcdefABCDEF:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
alice:\$6\$salt${MARK}\$${MARK}alice0123456789:19000:0:99999:7:::
bob:${MARK}plain:19000:0:99999:7:::
EOF
ln -s -- "$SHADOW" "$D/zz.yaml"
t_eq "shadow link: provctl check exits 1" 1 "$(status_of "$PROVCTL" check "$D")"
t_check "shadow link: the problem is at zz.yaml:1:1" grep -qF "$D/zz.yaml:1:1: " "$WORK/out"
t_check "shadow link: no hash field in provctl check's output" no_mark "$WORK/out"
t_check "shadow link: every message is one line" one_line_each "$WORK/out"
rm -f -- "$D/zz.yaml"

# The real /etc/shadow, when there is one: none of its hash fields (the second ':'-field,
# where longer than 2 characters) in the output. Nothing of it is ever printed here.
real_shadow_hidden() {
	local out=$WORK/real.out fields=$WORK/real.fields
	mkdir -p "$WORK/real" && cp -- "$BASIC" "$WORK/real/inventory.yaml" &&
		ln -sf /etc/shadow "$WORK/real/zz.yaml" || return 1
	"$PROVCTL" check "$WORK/real" >"$out" 2>&1
	[ $? -eq 1 ] || return 1
	awk -F: 'length($2) > 2 { print $2 }' /etc/shadow >"$fields"
	if [ ! -s "$fields" ]; then
		_lib_diag "/etc/shadow holds no hash field: this case checks the exit status only"
		return 0
	fi
	! grep -qF -f "$fields" "$out"
}
if [ -r /etc/shadow ]; then
	t_check "/etc/shadow link: provctl check exits 1 and prints no hash field" real_shadow_hidden
fi

# ---- text typed on the command line is echoed in one line ----
# ESC, BEL, CR, a line break and bytes >= 0x80 in an argument, an option value or a path:
# each message is exactly one line of printable ASCII (terminal escapes never reach it raw).
EVIL=$'x\e]0;PWNED\a\e[31m\r\nforged: line\x80\xff'
# one_message FILE — FILE is one line, and every byte before its final newline is printable.
one_message() {
	[ "$(wc -l <"$1")" -eq 1 ] && [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ] &&
		[ "$(LC_ALL=C tr -d '\040-\176' <"$1" | wc -c)" -eq 1 ]
}
# echoed WHAT CMD... — CMD fails with one one-line message on standard error.
echoed() {
	local what=$1
	shift
	"$@" >"$WORK/echo.out" 2>"$WORK/echo.err"
	t_check "$what: exits non-zero" test $? -ne 0
	t_check "$what: one line of printable text" one_message "$WORK/echo.err"
}
echoed "provctl unknown command" "$PROVCTL" "$EVIL" "$D"
echoed "provctl unknown first option" "$PROVCTL" "-$EVIL" "$D"
echoed "provctl unknown option" "$PROVCTL" check "-$EVIL" "$D"
echoed "provctl status --model" "$PROVCTL" status "$D" --model "$EVIL"
echoed "provctl cat NAME" "$PROVCTL" cat "$D" "$EVIL" -s "$WORK/state-echo"
echoed "provctl status MAC" "$PROVCTL" status "$D" "$EVIL"
echoed "provctl rekey MAC" "$PROVCTL" rekey "$D" "$EVIL" -s "$WORK/state-echo"
echoed "provctl export into a missing parent" "$PROVCTL" export "$D" "$WORK/$EVIL/out"
echoed "provctl diff -s STATE" "$PROVCTL" diff -s "$WORK/$EVIL" "$D"
"$PROVCTL" status "$D" --server-log "$WORK/$EVIL" >"$WORK/echo.out" 2>&1
printable() { ! LC_ALL=C grep -q '[^[:print:]]' "$1"; }
t_check "provctl status --server-log: the log's line is printable" printable "$WORK/echo.out"
mkdir -p "$WORK/mnt-echo"
echoed "provfs -o listing" "$PROVFS" "$D" "$WORK/mnt-echo" -f -o "listing=$EVIL"
echoed "provfs -o audit" "$PROVFS" "$D" "$WORK/mnt-echo" -f -o "audit=$EVIL"
echoed "provfs -o retain" "$PROVFS" "$D" "$WORK/mnt-echo" -f -o "retain=$EVIL"
echoed "provfs -o run_as" "$PROVFS" "$D" "$WORK/mnt-echo" -f -o "run_as=$EVIL"
echoed "provfs INVENTORY" "$PROVFS" "$WORK/$EVIL" "$WORK/mnt-echo" -f
: >"$WORK/plainfile"
echoed "provfs -o state" "$PROVFS" "$D" "$WORK/mnt-echo" -f -o "state=$WORK/plainfile/$EVIL"

# ---- the same edit into a running mount: the daemon's log ----
t_check "provfs mounts a good directory inventory" provfs_mount "$D" "$WORK/mnt" || {
	t_summary
	exit 1
}
MNT=$WORK/mnt
t_check "before: $KEPT is served" cp -- "$MNT/$KEPT" "$WORK/kept.good"
failed_reloads() { grep -c 'reload of .* failed: still serving generation 1' "$WORK/provfs.log"; }
more_failed_than() { [ "$(failed_reloads)" -gt "$1" ]; }
ln -s -- "$SHADOW" "$D/zz.yaml"
t_check "shadow link added: the inotify reload fails at zz.yaml:1:1" \
	lib_poll 3 grep -qF "$D/zz.yaml:1:1: " "$WORK/provfs.log"
t_check "the log says the last good generation stays" lib_poll 2 more_failed_than 0
n=$(failed_reloads)
t_check "SIGHUP" kill -HUP "$PROVFS_PID"
t_check "the SIGHUP reload fails too" lib_poll 2 more_failed_than "$n"
t_check "no hash field in the daemon's log" no_mark "$WORK/provfs.log"
t_cmp "$KEPT still serves generation 1" "$WORK/kept.good" "$MNT/$KEPT"
rm -f -- "$D/zz.yaml"

# A key that tries to forge a line of its own.
printf '"x\\n%s": 1\n"y\\r\\n%s\\e[2K": 2\n' "$FORGED" "$FORGED" >"$D/forge.yaml"
t_check "forged key: the reload fails at forge.yaml:1:1" \
	lib_poll 3 grep -qF "$D/forge.yaml:1:1: unknown key" "$WORK/provfs.log"
t_check "forged key: the reload fails at forge.yaml:2:1" \
	lib_poll 2 grep -qF "$D/forge.yaml:2:1: unknown key" "$WORK/provfs.log"
t_check "forged key: no log line starts with the forged text" not_forged "$WORK/provfs.log"
rm -f -- "$D/forge.yaml"
# A file name with a line break in a directory inventory (file names are untrusted too).
printf 'bogus: 1\n' >"$D/x"$'\n'"$FORGED"$'\n'".yaml"
t_check "forged file name: the reload fails" \
	lib_poll 3 grep -qF "bogus" "$WORK/provfs.log"
t_check "forged file name: no log line starts with the forged text" not_forged "$WORK/provfs.log"
t_check "forged file name: provctl check exits 1" test "$(status_of "$PROVCTL" check "$D")" -eq 1
t_check "forged file name: provctl check forges no line" not_forged "$WORK/out"
rm -f -- "$D/x"$'\n'"$FORGED"$'\n'".yaml"
t_cmp "$KEPT still serves generation 1" "$WORK/kept.good" "$MNT/$KEPT"
t_check "unmount" provfs_umount "$MNT"

# An inventory path with a line break: the daemon's own lines ("mounted ...", "reloaded ...")
# name it, so the logger itself escapes. Spawned by hand: lib.sh's provfs_mount writes the
# command line into its log, and that line would hold the text this case looks for.
FD=$WORK/"inv"$'\n'"$FORGED"
MNT2=$WORK/mnt2
mkdir -p "$FD" "$MNT2" "$WORK/state2" && chmod 0700 "$WORK/state2"
cp -- "$BASIC" "$FD/inventory.yaml"
lib_spawn "$WORK/forge.log" "$PROVFS" "$FD" "$MNT2" -f -o "allow_other,state=$WORK/state2"
provfs_track_mount "$MNT2" "$SPAWN_PID"
t_check "provfs mounts an inventory whose path holds a line break" lib_poll 10 lib_is_mounted "$MNT2"
t_check "SIGHUP" kill -HUP "$SPAWN_PID"
t_check "the reload is logged" lib_poll 2 grep -qF "generation 2" "$WORK/forge.log"
t_check "path with a line break: no log line starts with the forged text" not_forged "$WORK/forge.log"
t_check "unmount" provfs_umount "$MNT2"
t_summary
