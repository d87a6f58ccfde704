#!/usr/bin/env bash
# t_nginx_cache.sh — nginx as contrib/nginx-provfs.conf ships it (open_file_cache on) in front of
# provfs, and the kernel's page cache behind it (audit=cached, the default): issue 11, points 2-4.
#
# Grandstream (tests/data/grandstream.yaml):
# - 20 fetches of a device file through nginx's descriptor cache are one open for provfs: after
#   nginx stops (its descriptors close), the log has exactly one fetch line for it, "complete";
# - through a server without a descriptor cache (lib.sh's nginx), 20 fetches are 20 opens, and
#   the kernel serves every repeat from its page cache: 19 lines say "bytes=0 ... cached";
#   with audit=exact every one of them is read through provfs: 20 lines "complete";
# - a reload that changes the file reaches HTTP as soon as it is live (nginx checks the name on
#   every request, open_file_cache_valid 0): the first request after the daemon logged
#   "reloaded" gets the new bytes, whole;
# - a MAC added to the inventory is served from the first request after the reload (errors are
#   not cached);
# - a POST is refused.
# Panasonic (tests/data/panasonic.yaml, the encrypted KX-UTG300 0080F0C8C383), with
# audit=cached and with audit=exact:
# - the phone first asks for its .enc (the key is pending: proves nothing), then reads its plain
#   Config<MAC>.cfg, then asks for the .enc again, which nginx serves from the descriptor it
#   kept: the lookup of the name (the key flow's names are not cached by the kernel until the
#   key is delivered) proves delivery before the answer, the plain file is 404 through nginx
#   from the next request, and the .enc decrypts with the key the phone got.
#
# Contract: SPEC.md §2 (encrypted provisioning), §4 (atomic generations); issue 11.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"
lib_require_bin "nginx, curl and openssl are installed" "$(command -v nginx)" \
	"$(command -v curl)" "$(command -v openssl)"

GS_INV=$WORK/grandstream.yaml
PA_INV=$WORK/panasonic.yaml
GS_MNT=$WORK/gs
PA_MNT=$WORK/pa
LOG=$WORK/provfs.log
EXP=$WORK/expected
GOT=$WORK/got
DEV=cfg000b82123456.xml # 00:0b:82:12:34:56
NEW=cfg000b82aabbcc.xml # a MAC the inventory gets later
MAC=0080F0C8C383
PLAIN=Config$MAC.cfg
ENC=Config$MAC.enc
mkdir -p "$EXP" "$GOT"
for fw in 1.0.11.3/gxp2170fw.bin 1.0.11.5/gxp2170fw.bin 1.0.7.3/gxp1600fw.bin; do
	mkdir -p "$WORK/firmware/grandstream/${fw%/*}"
	head -c 3000 /dev/urandom >"$WORK/firmware/grandstream/$fw"
done

STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

# get NAME OUT [PORT] — GET /prov/NAME through the contrib nginx (or PORT's nginx, no /prov);
# prints the HTTP status.
get() {
	if [ -n "${3:-}" ]; then
		_lib_curl "http://$LIB_ADDR:$3/$1" "$2" '%{http_code}'
	else
		_lib_curl "http://$LIB_ADDR:$NGINXC_PORT/prov/$1" "$2" '%{http_code}'
	fi
}

# fetch_n N NAME [PORT] — N GETs, each body must equal $EXP/NAME
fetch_n() {
	local i
	for ((i = 0; i < $1; i++)); do
		get "$2" "$GOT/$2" "${3:-}" >/dev/null
		if [ "$FETCH_CODE" != 200 ] || ! cmp -s "$GOT/$2" "$EXP/$2"; then
			echo "fetch $i of $2: status $FETCH_CODE or other bytes"
			return 1
		fi
	done
}

# lines_eq N NAME WORD [EXTRA_ERE] — exactly N such lines (a release comes after the client)
lines_eq() {
	local n
	n=$(grep -cE "^$STAMP provfs: fetch ${2//./\\.} ${4:-.*} $3\$" "$LOG")
	[ "$n" -eq "$1" ] || {
		echo "$n lines '$2 ... ${4:-} $3', expected $1"
		return 1
	}
}
lines_now() { lib_poll 5 lines_eq "$@" >/dev/null; lines_eq "$@"; }

# --- Grandstream ---------------------------------------------------------------------------

cp -- "$REPO_ROOT/tests/data/grandstream.yaml" "$GS_INV"
cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$PA_INV"
"$PROVCTL" cat "$GS_INV" "$DEV" >"$EXP/$DEV" || t_fail "provctl cat $DEV"

# without a descriptor cache: every fetch is an open, repeats come from the page cache
if t_check "provfs mounts grandstream.yaml (default audit=cached)" provfs_mount "$GS_INV" "$GS_MNT"; then
	if t_check "nginx (lib.sh, no open_file_cache) starts" srv_nginx_start "$GS_MNT"; then
		t_check "20 fetches through it: the same bytes" fetch_n 20 "$DEV" "$HTTP_PORT"
		t_check "... the first read through provfs: one complete line" lines_now 1 "$DEV" complete
		t_check "... the 19 repeats from the kernel's page cache: bytes=0 cached" \
			lines_now 19 "$DEV" cached 'mac=000b82123456 generation=1 bytes=0 size=[0-9]+'
		lib_stop_pid "$NGINX_PID"
		NGINX_PID=
	fi
	provfs_umount "$GS_MNT"
fi
: >"$LOG"
if t_check "provfs mounts grandstream.yaml with audit=exact" provfs_mount "$GS_INV" "$GS_MNT" audit=exact; then
	if t_check "nginx (lib.sh) starts" srv_nginx_start "$GS_MNT"; then
		t_check "20 fetches: the same bytes" fetch_n 20 "$DEV" "$HTTP_PORT"
		t_check "... each read through provfs: 20 complete lines" lines_now 20 "$DEV" complete \
			"mac=000b82123456 generation=1 bytes=$(stat -c %s "$EXP/$DEV") size=[0-9]+"
		t_check "... none cached" lines_eq 0 "$DEV" cached
		lib_stop_pid "$NGINX_PID"
		NGINX_PID=
	fi
	provfs_umount "$GS_MNT"
fi
: >"$LOG"

# reload_to FILE — the inventory becomes FILE; waits for the daemon's "reloaded" line.
reloads=0
reload_to() {
	cp -- "$1" "$GS_INV.tmp" && mv -f -- "$GS_INV.tmp" "$GS_INV" || return 1
	reloads=$((reloads + 1))
	lib_poll 10 reloaded_n "$reloads"
}
reloaded_n() { [ "$(grep -c 'reloaded' "$LOG")" -ge "$1" ]; }

# changes_within SECONDS OLD NEW NAME — poll NAME until it is NEW; every answer is OLD or NEW
# (OLD /dev/null: a 404). SECONDS 0: the first answer must be NEW.
changes_within() {
	local t0 i=0
	t0=$(date +%s%N)
	while :; do
		get "$4" "$GOT/poll" >/dev/null
		if [ "$FETCH_CODE" = 404 ] && [ "$2" = /dev/null ]; then
			: # not there yet: the old state of a new file
		elif [ "$FETCH_CODE" != 200 ]; then
			echo "status $FETCH_CODE while polling"
			return 1
		elif cmp -s "$GOT/poll" "$3"; then
			break
		elif ! cmp -s "$GOT/poll" "$2"; then
			echo "answer $i is neither the old nor the new file"
			return 1
		fi
		i=$((i + 1))
		[ $(($(date +%s%N) - t0)) -lt $(($1 * 1000000000)) ] || {
			echo "still the old file after $1 s ($i old answers)"
			return 1
		}
		sleep 0.05
	done
	_lib_diag "$4: the new bytes after $((($(date +%s%N) - t0) / 1000000)) ms ($i old answers)"
}

if t_check "provfs mounts grandstream.yaml again" provfs_mount "$GS_INV" "$GS_MNT"; then
	if t_check "nginx with contrib/nginx-provfs.conf as shipped starts" srv_nginx_contrib_start "$GS_MNT"; then
		t_check "20 fetches through nginx's descriptor cache: the same bytes" fetch_n 20 "$DEV"
		t_check "a POST is refused (403)" test "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' \
			-X POST "http://$LIB_ADDR:$NGINXC_PORT/prov/$DEV")" = 403
		t_check "$NEW is 404 before its MAC is in the inventory" test "$(get "$NEW" "$GOT/new")" = 404

		# a change: every device file's bytes (the default time zone is in each)
		sed -e 's/timezone: "CET-1CEST-2,M3.5.0\/02:00:00,M10.5.0\/03:00:00"/timezone: "EST5EDT"/' "$GS_INV" >"$WORK/gs2.yaml"
		printf '  00:0b:82:aa:bb:cc: {model: GXP1625}\n' >>"$WORK/gs2.yaml"
		"$PROVCTL" cat "$WORK/gs2.yaml" "$DEV" >"$EXP/$DEV.2" || t_fail "provctl cat (2)"
		"$PROVCTL" cat "$WORK/gs2.yaml" "$NEW" >"$EXP/$NEW" || t_fail "provctl cat $NEW"
		t_check "the change changes $DEV" test "$(cmp -s "$EXP/$DEV" "$EXP/$DEV.2"; echo $?)" = 1
		if t_check "the edit reloads" reload_to "$WORK/gs2.yaml"; then
			t_check "the first request after the reload gets the new $DEV" \
				changes_within 0 "$EXP/$DEV" "$EXP/$DEV.2" "$DEV"
			t_check "... and the new MAC's $NEW (404 is not cached)" \
				changes_within 0 /dev/null "$EXP/$NEW" "$NEW"
		fi
		lib_stop_pid "$NGINXC_PID"
		NGINXC_PID=
		# nginx's descriptors are closed now: their releases are logged
		t_check "20 fetches through the descriptor cache were one open for provfs" \
			lines_now 1 "$DEV" complete 'mac=000b82123456 generation=1 bytes=[0-9]+ size=[0-9]+'
	fi
	provfs_umount "$GS_MNT"
fi

# --- Panasonic: the key flow through the descriptor cache -------------------------------------

key_of() { sed -n 's:.*<CFG_FILE_KEY>\([^<]*\)</CFG_FILE_KEY>.*:\1:p' -- "$1"; }
status_says() { "$PROVCTL" status "$PA_INV" "$MAC" -s "$1" | grep -qE "$2"; }

# key_flow MODE — the phone's requests through the contrib nginx on a mount with audit=MODE
key_flow() {
	local mode=$1 state=$WORK/state-pa-$1 key
	PROVFS_STATE=$state t_check "provfs mounts panasonic.yaml (audit=$mode)" \
		provfs_mount "$PA_INV" "$PA_MNT" "audit=$mode" || return 1
	if t_check "nginx with contrib/nginx-provfs.conf starts on it" srv_nginx_contrib_start "$PA_MNT"; then
		t_check "the phone asks for $ENC first: 200" test "$(get "$ENC" "$GOT/enc0")" = 200
		t_check "... which proves nothing: the key is pending" status_says "$state" 'key pending'
		t_check "the phone reads $PLAIN: 200" test "$(get "$PLAIN" "$GOT/plain")" = 200
		key=$(key_of "$GOT/plain")
		t_check "... it carries a key" test -n "$key"
		t_check "the phone asks for $ENC again: 200" test "$(get "$ENC" "$GOT/enc")" = 200
		t_check "... the key is delivered (before the answer)" status_says "$state" 'key delivered'
		t_check "... $PLAIN is 404 through nginx from the next request" \
			test "$(get "$PLAIN" "$GOT/plain2")" = 404
		t_check "... and $ENC decrypts with the key the phone got" \
			openssl enc -d -aes-256-cbc -a -md md5 -pass "pass:$key" -in "$GOT/enc" -out "$GOT/enc.dec"
		t_check "... into the phone's configuration" grep -q '<PANASIPPhoneConfig>' "$GOT/enc.dec"
		t_check "no key in the daemon log" test -n "$key" -a "$(grep -cF -- "$key" "$LOG")" = 0
		lib_stop_pid "$NGINXC_PID"
		NGINXC_PID=
	fi
	provfs_umount "$PA_MNT"
}
key_flow cached
key_flow exact

t_summary
