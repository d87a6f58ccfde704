#!/usr/bin/env bash
# t_yealink.sh — Yealink through the vendor seam (issue 12 point 5; formats/yealink.md), through
# tftpd-hpa, nginx (stock) and nginx as contrib/ ships it (descriptor cache on), all on 127.0.0.1.
#
# - Names: <mac>.cfg, <mac>.boot (model option boot: true), y0000000000XX.cfg per model code, in
#   the listing (listing=all) and through every server, byte-identical to `provctl cat`; what a phone may also
#   ask for (<mac>-local.cfg, y000000000000.boot, <mac>.enc, another model's code) is not found;
#   an encrypted model has no common file (a shared file cannot carry per-device keys).
# - The key flow, the one Panasonic uses: the first <mac>.cfg of an encrypted device is plain,
#   carries its 16-character key and no secret; the phone's next request (its next round) gets
#   <mac>.cfg encrypted AES-128-ECB under that key, which `openssl enc -d -aes-128-ecb` opens to
#   the full text (space padding by default, PKCS#7 with padding: pkcs7), and the plain form
#   never comes back. Through nginx's descriptor cache too.
# - key_in_file: true: <mac>_Security.enc is the key under the public built-in key (§5.1), and
#   opens <mac>.cfg.
# - `provctl check` names FILE:LINE:COL for an unknown Yealink model and a padding without
#   encryption.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/inv.yaml
MNT=$WORK/root/prov
STATE=$WORK/state
PLAIN=001565a1b2c3  # T54W, plain, boot file
SPACE=001565a1b2c4  # T46S, encrypted, space padding
PKCS=001565a1b2c5   # T48S, encrypted, pkcs7
INFILE=001565a1b2c6 # T41S, encrypted, key_in_file
BUILTIN=454b7333355861635036657962413235 # hex("EKs35XacP6eybA25"), formats/yealink.md §5.1

cat >"$INV" <<'EOF'
version: 1
server: {url: http://127.0.0.1/prov}
defaults:
  settings: {ntp_server: pool.ntp.org, timezone: "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00", language: en, resync_minutes: 1440, admin_password: ADMIN-SECRET, sip_server: sip.example.com, sip_port: 5060}
models:
  T54W: {vendor: yealink, max_lines: 16, boot: true}
  T46S: {vendor: yealink, max_lines: 16, encrypt: true}
  T48S: {vendor: yealink, max_lines: 16, encrypt: true, padding: pkcs7}
  T41S: {vendor: yealink, max_lines: 6, encrypt: true, key_in_file: true}
devices:
  001565a1b2c3: {model: T54W, lines: [{user: "1001", password: PW-SECRET-1, display_name: Alice}]}
  001565a1b2c4: {model: T46S, lines: [{user: "1002", password: PW-SECRET-2}]}
  001565a1b2c5: {model: T48S, lines: [{user: "1003", password: PW-SECRET-3}]}
  001565a1b2c6: {model: T41S, lines: [{user: "1004", password: PW-SECRET-4}]}
EOF

ctl_cat() { # ctl_cat NAME OUT [--plain]
	"$PROVCTL" cat "$INV" "$1" -s "$STATE" ${3:+"$3"} >"$2" 2>"$WORK/ctl.err"
}

key_of() { # key_of FILE — the aes_key.mac a plain <mac>.cfg carries
	sed -n 's/^static\.auto_provision\.aes_key\.mac = \(.*\)$/\1/p' "$1"
}

hex() { printf %s "$1" | xxd -p | tr -d '\n'; }

provfs_mount "$INV" "$MNT" listing=all || {
	t_fail "mount" "provfs did not mount"
	t_summary
	exit 1
}
srv_tftpd_start "$WORK/root"
srv_nginx_start "$WORK/root"
srv_nginx_contrib_start "$MNT"

# --- names -----------------------------------------------------------------------------------

listing=$(ls "$MNT")
for n in $PLAIN.cfg $PLAIN.boot y000000000096.cfg $SPACE.cfg $PKCS.cfg $INFILE.cfg \
	${INFILE}_Security.enc; do
	t_check "listed: $n" grep -qx -- "$n" <<<"$listing"
done
for n in y000000000066.cfg y000000000065.cfg y000000000068.cfg $SPACE.boot; do
	t_check_fails "not listed: $n (encrypted model, or no boot file)" "" grep -qx -- "$n" <<<"$listing"
done

ctl_cat $PLAIN.cfg "$WORK/plain.cfg"
ctl_cat $PLAIN.boot "$WORK/plain.boot"
ctl_cat y000000000096.cfg "$WORK/common.cfg"
t_check "the plain device file starts with the version line" \
	test "$(head -c 18 "$WORK/plain.cfg")" = "#!version:1.0.0.1"
t_check "the device file holds its secrets (not encrypted: HTTPS is the answer)" \
	grep -q "account.1.password = PW-SECRET-1" "$WORK/plain.cfg"
t_check_fails "the common file holds no secret" "" grep -q "SECRET" "$WORK/common.cfg"
t_check "the boot file lists the common file, then the device file" \
	test "$(grep include "$WORK/plain.boot" | tr -d '\n')" = \
	"include:config \"y000000000096.cfg\"include:config \"$PLAIN.cfg\""
for proto in tftp http; do
	expect_fetch $proto prov/$PLAIN.cfg "$WORK/plain.cfg" "$PLAIN.cfg"
	expect_fetch $proto prov/$PLAIN.boot "$WORK/plain.boot" "$PLAIN.boot"
	expect_fetch $proto prov/y000000000096.cfg "$WORK/common.cfg" y000000000096.cfg
	expect_fetch $proto prov/001565A1B2C3.cfg "$WORK/plain.cfg" "the MAC in upper case"
	for n in $PLAIN-local.cfg y000000000000.boot $PLAIN.enc y000000000066.cfg \
		${PLAIN}_Security.enc; do
		# shellcheck disable=SC2086 # names without spaces
		expect_not_found $proto prov/$n
	done
done

# --- the key flow ----------------------------------------------------------------------------

fetch_c() { # fetch_c NAME OUT — through nginx as contrib ships it (descriptor cache on)
	_lib_curl "http://$LIB_ADDR:$NGINXC_PORT/prov/$1" "$2" '%{http_code}' >/dev/null
	[ "$FETCH_CODE" = 200 ]
}

# flow PROTO MAC PADDING — the phone's two rounds, then a third
flow() {
	# shellcheck disable=SC2034 # get is defined below, per protocol
	local proto=$1 mac=$2 pad=$3 get key d=$WORK/flow.$2
	mkdir -p "$d"
	case $proto in
	tftp) get() { fetch_tftp "prov/$1" "$2" >/dev/null; } ;;
	contrib) get() { fetch_c "$1" "$2"; } ;;
	esac
	t_check "$proto $mac: round 1, <mac>.cfg" get "$mac.cfg" "$d/1"
	key=$(key_of "$d/1")
	t_check "$proto $mac: round 1 is plain and carries a 16-character key" \
		test "${#key}" -eq 16
	t_check_fails "$proto $mac: round 1 carries no secret" "" grep -q SECRET "$d/1"
	t_check "$proto $mac: round 2, <mac>.cfg again" get "$mac.cfg" "$d/2"
	t_check_fails "$proto $mac: round 2 is not plain" "" grep -qa "^#!version" "$d/2"
	t_check "$proto $mac: round 2 is whole AES blocks" test $(($(_lib_size "$d/2") % 16)) -eq 0
	ctl_cat "$mac.cfg" "$d/want" --plain
	if [ "$pad" = space ]; then
		openssl enc -d -aes-128-ecb -nopad -K "$(hex "$key")" -in "$d/2" -out "$d/dec" 2>/dev/null
		t_check "$proto $mac: it opens with the key, to the full text and spaces" \
			cmp -n "$(_lib_size "$d/want")" "$d/dec" "$d/want"
		t_check "$proto $mac: the padding is spaces only, at least one" test \
			"$(tail -c +"$(($(_lib_size "$d/want") + 1))" "$d/dec" | tr -d ' ' | wc -c)" -eq 0 -a \
			"$(_lib_size "$d/dec")" -gt "$(_lib_size "$d/want")"
	else
		# shellcheck disable=SC2016 # sh -c's positional parameters, expanded by sh
		t_check "$proto $mac: it opens with the key (PKCS#7), to the full text" \
			sh -c 'openssl enc -d -aes-128-ecb -K "$1" -in "$2" | cmp - "$3"' _ \
			"$(hex "$key")" "$d/2" "$d/want"
	fi
	t_check "$proto $mac: the full text has the secrets" grep -q "PW-SECRET" "$d/want"
	# shellcheck disable=SC2016 # sh -c's positional parameters, expanded by sh
	t_check "$proto $mac: status says delivered" \
		sh -c '"$1" status "$2" "$3" -s "$4" | grep -q "delivered"' _ "$PROVCTL" "$INV" "$mac" "$STATE"
	t_check "$proto $mac: round 3, <mac>.cfg again" get "$mac.cfg" "$d/3"
	t_check "$proto $mac: round 3 is the encrypted file again, unchanged" cmp "$d/2" "$d/3"
}

flow contrib $SPACE space
flow tftp $PKCS pkcs7

# key_in_file: no flow, the key file next to the encrypted file
get_h() { fetch_http "prov/$1" "$2" >/dev/null; }
t_check "key_in_file: $INFILE.cfg" get_h "$INFILE.cfg" "$WORK/if.cfg"
t_check "key_in_file: ${INFILE}_Security.enc" get_h "${INFILE}_Security.enc" "$WORK/if.sec"
t_check "key_in_file: the key file is 16 bytes" test "$(_lib_size "$WORK/if.sec")" -eq 16
ifkey=$(openssl enc -d -aes-128-ecb -nopad -K "$BUILTIN" -in "$WORK/if.sec" 2>/dev/null)
ctl_cat "$INFILE.cfg" "$WORK/if.want" --plain
openssl enc -d -aes-128-ecb -nopad -K "$(hex "$ifkey")" -in "$WORK/if.cfg" -out "$WORK/if.dec" 2>/dev/null
t_check "key_in_file: the key in ${INFILE}_Security.enc opens $INFILE.cfg" \
	cmp -n "$(_lib_size "$WORK/if.want")" "$WORK/if.dec" "$WORK/if.want"

# --- checks ----------------------------------------------------------------------------------

bad=$WORK/bad.yaml
printf 'version: 1\nserver: {url: http://127.0.0.1/prov}\nmodels:\n  T99: {vendor: yealink, max_lines: 2}\n  T46S: {vendor: yealink, max_lines: 2, padding: pkcs7}\n' >"$bad"
out=$("$PROVCTL" check "$bad" 2>&1)
t_check "check: an unknown Yealink model at its position" grep -q "bad.yaml:4:3: .*T99" <<<"$out"
t_check "check: padding without encrypt at its position" \
	grep -q "bad.yaml:5:3: .*'padding' and 'key_in_file' apply with 'encrypt: true'" <<<"$out"

t_summary
