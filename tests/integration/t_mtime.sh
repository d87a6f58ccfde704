#!/usr/bin/env bash
# t_mtime.sh — honest mtimes (issue 10, point 9): a file's mtime increases strictly whenever its
# bytes change and stays while they do not, whatever the inventory's own mtime does, because web
# servers answer If-Modified-Since from the mtime alone (fs/cache.h, "Mtimes").
#
# A directory inventory, mounted with nowatch (one reload per SIGHUP) and served by nginx. Four
# edits, each changing DEVICE's bytes while the inventory's mtime goes back or stays:
#   A  the newest file of the directory is removed (it held the defaults: every device changes);
#   B  DEVICE's user changes, then `touch -d 2001-01-01` on the file;
#   C  DEVICE's user changes again, the file's mtime put back to what it was (stays);
#   D  `cp -p` of an older copy of the file (older content, older mtime).
# After each: stat on the mount gives DEVICE a later mtime than before, and so does the
# directory; nginx answers a GET with If-Modified-Since = the previous Last-Modified with 200 and
# the new bytes (provctl cat), never 304. UNTOUCHED, whose bytes B-D leave alone, keeps its mtime
# and nginx answers 304 for it.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/inventory # a directory of *.yaml
MNT=$WORK/mnt
DEVICE=cfg000b82123456.xml
UNTOUCHED=cfgc074ad0a0b0c.xml

# base USER — the main file: DEVICE's line user is USER, nothing else ever changes
base() {
	cat <<EOF
version: 1
server: {url: http://127.0.0.1/prov}
generic: {settings: {ntp_server: pool.ntp.org}}
models:
  GXP2170: {vendor: grandstream, max_lines: 6}
devices:
  00:0b:82:12:34:56: {model: GXP2170, lines: [{user: "$1", password: pw1}]}
  c0:74:ad:0a:0b:0c: {model: GXP2170, lines: [{user: "2001", password: pw2}]}
EOF
}

log_has() { grep -qF -- "$1" "$WORK/provfs.log"; }

GEN=1
reload() { # SIGHUP, then wait for the next generation in the log
	GEN=$((GEN + 1))
	kill -HUP "$PROVFS_PID" && lib_poll 3 log_has "generation $GEN,"
}

# head_of NAME — GET NAME through nginx: body to WORK/body, Last-Modified to LM
head_of() {
	local code
	code=$(curl -sS --noproxy '*' --max-time 10 -D "$WORK/headers" -o "$WORK/body" \
		-w '%{http_code}' "http://$LIB_ADDR:$HTTP_PORT/$1") || return 1
	LM=$(sed -n 's/^Last-Modified: *//Ip' "$WORK/headers" | tr -d '\r')
	echo "$1: $code, Last-Modified $LM"
	[ "$code" = 200 ] && [ -n "$LM" ]
}

# conditional NAME SINCE — GET with If-Modified-Since: SINCE; prints the status, body to WORK/cond
conditional() {
	: >"$WORK/cond" # curl leaves it alone on a 304
	curl -sS --noproxy '*' --max-time 10 -o "$WORK/cond" -w '%{http_code}' \
		-H "If-Modified-Since: $2" "http://$LIB_ADDR:$HTTP_PORT/$1"
}

want() { "$PROVCTL" cat "$INV" "$1" >"$WORK/want" 2>/dev/null; }

mkdir -p "$INV"
base 1001 >"$INV/10-base.yaml"
printf 'defaults:\n  settings: {ntp_server: ntp.example.org}\n' >"$INV/20-extra.yaml"
touch -d '2010-01-01' "$INV/10-base.yaml"
touch -d '2020-01-01' "$INV/20-extra.yaml" # the newest: the inventory's mtime
base 1001 >"$WORK/base-1001.yaml"
touch -d '2000-01-01' "$WORK/base-1001.yaml" # an old copy, for cp -p

t_check "provctl check accepts the directory" "$PROVCTL" check "$INV"
t_check "provfs mounts it (nowatch: reloads by SIGHUP)" provfs_mount "$INV" "$MNT" nowatch || {
	t_summary
	exit 1
}
t_check "nginx serves the mount" srv_nginx_start "$MNT" || {
	t_summary
	exit 1
}
t_check "nginx: $DEVICE" head_of "$DEVICE"
DEV_LM=$LM
DEV_MTIME=$(stat_field %Y "$MNT/$DEVICE")
DIR_MTIME=$(stat_field %Y "$MNT")

# step LABEL — after an edit: reload, then DEVICE and the directory have later mtimes, and nginx
# answers the previous Last-Modified with the new bytes
step() {
	local label=$1 mtime dir code
	want "$DEVICE"
	t_check_fails "$label: $DEVICE's bytes change" "" cmp -s -- "$WORK/want" "$WORK/body"
	t_check "$label: reloaded" reload
	mtime=$(stat_field %Y "$MNT/$DEVICE")
	t_check "$label: $DEVICE's mtime increases ($DEV_MTIME -> $mtime)" test "$mtime" -gt "$DEV_MTIME"
	dir=$(stat_field %Y "$MNT")
	t_check "$label: the directory's mtime increases ($DIR_MTIME -> $dir)" test "$dir" -gt "$DIR_MTIME"
	code=$(conditional "$DEVICE" "$DEV_LM")
	t_eq "$label: nginx answers If-Modified-Since $DEV_LM with 200" 200 "$code"
	t_cmp "$label: with the new bytes" "$WORK/want" "$WORK/cond"
	t_check "nginx: $DEVICE" head_of "$DEVICE"
	DEV_LM=$LM DEV_MTIME=$mtime DIR_MTIME=$dir
}

rm -f -- "$INV/20-extra.yaml"
step "A (the newest file removed: the inventory's mtime goes back)"

# UNTOUCHED's bytes stay from here on
t_check "nginx: $UNTOUCHED" head_of "$UNTOUCHED"
UNT_LM=$LM
UNT_MTIME=$(stat_field %Y "$MNT/$UNTOUCHED")

base 1002 >"$INV/10-base.yaml"
touch -d '2001-01-01' "$INV/10-base.yaml"
step "B (touch -d 2001-01-01 after the edit)"

base 1003 >"$INV/10-base.yaml"
touch -d '2001-01-01' "$INV/10-base.yaml"
step "C (the inventory's mtime stays the same)"

cp -p -- "$WORK/base-1001.yaml" "$INV/10-base.yaml"
step "D (cp -p of an older copy)"

t_eq "$UNTOUCHED keeps its mtime through B, C and D" "$UNT_MTIME" "$(stat_field %Y "$MNT/$UNTOUCHED")"
t_eq "nginx answers 304 for $UNTOUCHED since its Last-Modified" 304 "$(conditional "$UNTOUCHED" "$UNT_LM")"
# a reload that changes nothing keeps every file's mtime
t_check "a reload that changes nothing" reload
t_eq "$DEVICE keeps its mtime" "$DEV_MTIME" "$(stat_field %Y "$MNT/$DEVICE")"
t_eq "nginx answers 304 for $DEVICE since its Last-Modified" 304 "$(conditional "$DEVICE" "$DEV_LM")"

t_check "still mounted" lib_is_mounted "$MNT"
t_summary
