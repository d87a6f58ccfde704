#!/usr/bin/env bash
# t_cisco.sh — Cisco SPA and MPP through the vendor seam (issue 12 points 6-7; formats/cisco.md),
# through tftpd-hpa, nginx (stock) and nginx as contrib/ ships it (descriptor cache on), all on
# 127.0.0.1.
#
# - Names: the bootstrap spa<PSN>.cfg (SPA) and <PSN>-3PCC.xml, <PSN>.xml, CP-<PSN>-3PCC.xml
#   (MPP, §1.2 [U]: all three) in the listing (listing=all) and through every server,
#   byte-identical to `provctl cat`, without secrets; <mac>.xml of a plain model, in either
#   letter case, with its secrets; what is not provfs's (spa-phone.xml, another PSN, a lower-case
#   g, <mac>.cfg of a plain model) is not found.
# - The key flow (§4): an encrypted device's first <mac>.xml is plain, carries GPP_SA and the
#   [--key $SA] rule and no secret; <mac>.cfg then opens with `openssl enc -d -aes-256-cbc -md
#   md5 -k KEY` (-md sha256 for digest: sha256, `| gzip -dc` for gzip: true) to `provctl cat
#   --plain`; after that <mac>.xml is not found (404 / TFTP error 1) and <mac>.cfg stays the same.
# - `provctl check` names FILE:LINE:COL for an unknown Cisco model, a reserved parameter and a
#   digest without encryption.

# The single-quoted $SA, $MA and sh -c scripts are meant literally:
# shellcheck disable=SC2016

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/inv.yaml
MNT=$WORK/root/prov
STATE=$WORK/state
PLAIN=000e08aabbc1  # SPA504G, plain
SPA=000e08aabbc2    # SPA112, encrypted, md5
MPP=000e08aabbc3    # CP-8841-3PCC, encrypted, sha256
GZ=000e08aabbc4     # CP-7841-3PCC, encrypted, md5, gzip

cat >"$INV" <<'EOF'
version: 1
server: {url: http://127.0.0.1/prov}
defaults:
  settings: {ntp_server: pool.ntp.org, timezone: "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00", resync_minutes: 1440, admin_password: ADMIN-SECRET, sip_server: sip.example.com, sip_port: 5060}
models:
  SPA504G: {vendor: cisco, max_lines: 4}
  SPA112: {vendor: cisco, max_lines: 2, encrypt: true}
  CP-8841-3PCC: {vendor: cisco, max_lines: 10, encrypt: true, digest: sha256}
  CP-7841-3PCC: {vendor: cisco, max_lines: 4, encrypt: true, gzip: true}
devices:
  000e08aabbc1: {model: SPA504G, lines: [{user: "1001", password: PW-SECRET-1, display_name: Alice}]}
  000e08aabbc2: {model: SPA112, lines: [{user: "1002", password: PW-SECRET-2}]}
  000e08aabbc3: {model: CP-8841-3PCC, lines: [{user: "1003", password: PW-SECRET-3}]}
  000e08aabbc4: {model: CP-7841-3PCC, lines: [{user: "1004", password: PW-SECRET-4}]}
EOF

ctl_cat() { # ctl_cat NAME OUT [--plain]
	"$PROVCTL" cat "$INV" "$1" -s "$STATE" ${3:+"$3"} >"$2" 2>"$WORK/ctl.err"
}

key_of() { # key_of FILE — the GPP_SA a plain <mac>.xml carries
	sed -n 's|^<GPP_SA ua="na">\(.*\)</GPP_SA>$|\1|p' "$1"
}

provfs_mount "$INV" "$MNT" listing=all || {
	t_fail "mount" "provfs did not mount"
	t_summary
	exit 1
}
srv_tftpd_start "$WORK/root"
srv_nginx_start "$WORK/root"
srv_nginx_contrib_start "$MNT"

# --- names -----------------------------------------------------------------------------------

BOOTS="spa504G.cfg spa112.cfg 8841-3PCC.xml 8841.xml CP-8841-3PCC.xml 7841-3PCC.xml 7841.xml CP-7841-3PCC.xml"
listing=$(ls "$MNT")
for n in $BOOTS $PLAIN.xml $SPA.xml $SPA.cfg $MPP.xml $MPP.cfg $GZ.xml $GZ.cfg; do
	t_check "listed: $n" grep -qx -- "$n" <<<"$listing"
done
t_check_fails "not listed: $PLAIN.cfg (a plain model has no encrypted file)" "" \
	grep -qx -- "$PLAIN.cfg" <<<"$listing"

for n in $BOOTS; do
	ctl_cat "$n" "$WORK/boot.$n"
	t_check_fails "$n holds no secret" "" grep -q "SECRET\|GPP_SA" "$WORK/boot.$n"
done
t_check "spa504G.cfg points the phone at <base>/\$MA.xml" \
	grep -qF '<Profile_Rule_B ua="na">http://127.0.0.1/prov/$MA.xml</Profile_Rule_B>' \
	"$WORK/boot.spa504G.cfg"
t_check "the three MPP spellings are one file" \
	sh -c 'cmp "$1" "$2" && cmp "$1" "$3"' _ "$WORK/boot.8841-3PCC.xml" "$WORK/boot.8841.xml" \
	"$WORK/boot.CP-8841-3PCC.xml"
ctl_cat $PLAIN.xml "$WORK/plain.xml"
t_check "the plain device file holds its secrets (not encrypted: HTTPS is the answer)" \
	grep -qF '<Password_1_ ua="na">PW-SECRET-1</Password_1_>' "$WORK/plain.xml"
t_check_fails "the plain device file carries no key" "" grep -q GPP_SA "$WORK/plain.xml"
for proto in tftp http; do
	for n in $BOOTS; do
		expect_fetch $proto "prov/$n" "$WORK/boot.$n" "$n"
	done
	expect_fetch $proto prov/$PLAIN.xml "$WORK/plain.xml" "$PLAIN.xml"
	expect_fetch $proto prov/000E08AABBC1.xml "$WORK/plain.xml" "the MAC in upper case"
	for n in spa-phone.xml cp-phone.xml spa504g.cfg SPA504G.cfg spa8841.cfg 504G-3PCC.xml \
		8811-3PCC.xml $PLAIN.cfg 000e08aabbff.xml $PLAIN.xml.gz; do
		expect_not_found $proto "prov/$n"
	done
done

# --- the key flow ----------------------------------------------------------------------------

fetch_c() { # fetch_c NAME OUT — through nginx as contrib ships it (descriptor cache on)
	_lib_curl "http://$LIB_ADDR:$NGINXC_PORT/prov/$1" "$2" '%{http_code}' >/dev/null
	[ "$FETCH_CODE" = 200 ]
}

# opens IN KEY MD GZ OUT — openssl enc -d as the phone does it (and gzip -dc for gzip: true)
opens() {
	if [ "$4" = gzip ]; then
		openssl enc -d -aes-256-cbc -md "$3" -k "$2" -in "$1" 2>/dev/null | gzip -dc >"$5"
	else
		openssl enc -d -aes-256-cbc -md "$3" -k "$2" -in "$1" -out "$5" 2>/dev/null
	fi
}

# flow PROTO MAC MD GZ — the phone's rounds: <mac>.xml, <mac>.cfg, then both again
flow() {
	local proto=$1 mac=$2 md=$3 gz=$4 key d=$WORK/flow.$2
	mkdir -p "$d"
	case $proto in
	tftp) get() { fetch_tftp "prov/$1" "$2" >/dev/null; } ;;
	http) get() { fetch_http "prov/$1" "$2" >/dev/null; } ;;
	contrib) get() { fetch_c "$1" "$2"; } ;;
	esac
	t_check "$proto $mac: round 1, <mac>.xml" get "$mac.xml" "$d/1"
	key=$(key_of "$d/1")
	t_check "$proto $mac: round 1 is plain and carries a 32-character GPP_SA" \
		test "${#key}" -eq 32
	t_check "$proto $mac: round 1 points the phone at [--key \$SA]<base>/\$MA.cfg" \
		grep -qF '<Profile_Rule ua="na">[--key $SA]http://127.0.0.1/prov/$MA.cfg</Profile_Rule>' "$d/1"
	t_check "$proto $mac: round 1 clears Profile_Rule_B" \
		grep -qF '<Profile_Rule_B ua="na"></Profile_Rule_B>' "$d/1"
	t_check_fails "$proto $mac: round 1 carries no secret" "" grep -q SECRET "$d/1"
	t_check "$proto $mac: round 2, <mac>.cfg" get "$mac.cfg" "$d/2"
	t_check "$proto $mac: round 2 starts Salted__" test "$(head -c 8 "$d/2")" = Salted__
	ctl_cat "$mac.cfg" "$d/want" --plain
	ctl_cat "$mac.cfg" "$d/want.enc"
	t_check "$proto $mac: round 2 is what provctl cat gives" cmp "$d/2" "$d/want.enc"
	opens "$d/2" "$key" "$md" "$gz" "$d/dec"
	t_check "$proto $mac: it opens with -md $md${gz:+ and gzip -dc}, to the full profile" \
		cmp "$d/dec" "$d/want"
	t_check "$proto $mac: the full profile has the secrets" grep -q "PW-SECRET" "$d/want"
	t_check "$proto $mac: the full profile keeps the rule and GPP_SA" \
		sh -c 'grep -qF "[--key \$SA]" "$1" && grep -qF "<GPP_SA ua=\"na\">$2</GPP_SA>" "$1"' \
		_ "$d/want" "$key"
	t_check "$proto $mac: status says delivered" \
		sh -c '"$1" status "$2" "$3" -s "$4" | grep -q "delivered"' _ "$PROVCTL" "$INV" "$mac" "$STATE"
	case $proto in
	contrib)
		fetch_c "$mac.xml" "$d/3x"
		t_check "$proto $mac: round 3, <mac>.xml is gone (404)" test "$FETCH_CODE" = 404
		;;
	*) expect_not_found "$proto" "prov/$mac.xml" "$proto $mac: round 3, <mac>.xml" ;;
	esac
	t_check "$proto $mac: round 3, <mac>.cfg again" get "$mac.cfg" "$d/3"
	t_check "$proto $mac: round 3 is the encrypted file again, unchanged" cmp "$d/2" "$d/3"
}

flow contrib $SPA md5 ""
flow tftp $MPP sha256 ""
flow http $GZ md5 gzip
t_check_fails "a wrong digest does not open it" "" \
	opens "$WORK/flow.$MPP/2" "$(key_of "$WORK/flow.$MPP/1")" md5 "" "$WORK/wrong.dec"

# --- rekey: a keyed Cisco phone asks only for <mac>.cfg (its rule names nothing else), so a new
# key would lock it out: provctl refuses unless the phone will be reset (formats/cisco.md §4).

keyfile=$STATE/key-$(tr 'a-f' 'A-F' <<<"$SPA")
cp "$keyfile" "$WORK/key.before"
t_check_fails "rekey of a keyed Cisco phone without --factory-reset is refused, saying why" \
	"rekey with --factory-reset and reset the phone to factory settings" \
	"$PROVCTL" rekey "$INV" "$SPA" -s "$STATE"
t_check "the refused rekey left the key file as it was" cmp "$WORK/key.before" "$keyfile"
t_check_fails "--factory-reset is rekey's alone" "" "$PROVCTL" status "$INV" --factory-reset -s "$STATE"
t_check "rekey --factory-reset gives the device a new key" \
	"$PROVCTL" rekey "$INV" "$SPA" --factory-reset -s "$STATE"
t_check_fails "the new key differs from the old" "" cmp -s "$WORK/key.before" "$keyfile"
t_check "after the rekey, <mac>.xml (the carrier, for the reset phone) is served again" \
	lib_poll 5 test -e "$MNT/$SPA.xml"
new_key=$(key_of "$MNT/$SPA.xml")
t_check "the served carrier holds a new key" \
	test -n "$new_key" -a "$new_key" != "$(key_of "$WORK/flow.$SPA/1")"

# --- checks ----------------------------------------------------------------------------------

bad=$WORK/bad.yaml
printf 'version: 1\nserver: {url: http://127.0.0.1/prov}\nmodels:\n  SPA999: {vendor: cisco, max_lines: 2}\n  SPA112: {vendor: cisco, max_lines: 2, digest: sha256, params: {cisco: {Profile_Rule: x}}}\n' >"$bad"
out=$("$PROVCTL" check "$bad" 2>&1)
t_check "check: an unknown Cisco model at its position" grep -q "bad.yaml:4:3: .*SPA999" <<<"$out"
t_check "check: digest without encrypt at its position" \
	grep -q "bad.yaml:5:3: .*'digest' and 'gzip' apply with 'encrypt: true'" <<<"$out"
t_check "check: Profile_Rule in params at its position" \
	grep -q "bad.yaml:5:.*'Profile_Rule' cannot be set in params: provfs sets it" <<<"$out"

t_summary
