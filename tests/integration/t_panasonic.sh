#!/usr/bin/env bash
# t_panasonic.sh — end to end: everything a Panasonic fleet asks for (tests/data/panasonic.yaml,
# issue 4): both dialects (text: KX-HDV130N, KX-UT136; utg-xml: KX-UTG200 plain, KX-UTG300
# encrypted), the three first-wins layers and the <MODEL>.cfg entry file, and the per-device key
# flow of the encrypted UTG. provctl ls pins the names; validate_cfg.py and xmllint judge the
# formats; a phone is played for every device over tftpd-hpa and nginx (entry file -> standard ->
# the product and master files the standard names, .enc decrypted with the delivered key), and
# its first-wins merge must equal the inventory's own merge, derived by hand below.
#
# Contract: SPEC.md §1 (provctl ls/cat/rekey/status), §2 (Panasonic rows, encrypted provisioning),
# §3 (precedence, settings mapping, secrets), §4 (stable bytes, durable state, no secret leaks);
# formats/panasonic.md §1 (text format), §2.2 (UTG encryption), §3.1 (first file wins).

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

# The shared vectors sit beside the repository (as for the unit tests: tests/unit/testutil.h).
VECTORS=${PROVFS_VECTORS:-$REPO_ROOT/../shared/vectors}
VALIDATE=$VECTORS/panasonic/validate_cfg.py

INV=$WORK/panasonic.yaml
MNT=$WORK/mnt
STATE=$WORK/state          # the state= directory provfs_mount gives the daemon (its default)
SCRATCH=$WORK/scratch      # state for provctl cat of reference bytes: never the mount's keys
GOT=$WORK/got              # files read through the mount
PY=$WORK/pana.py           # parser/merger, written below
STATUS_LOG=$WORK/status.all # every provctl status/rekey output of this run (for the leak check)
URL=http://127.0.0.1/prov/ # server.url of panasonic.yaml, plus the slash before a file name

ENC_MAC=0080F0C8C383 # KX-UTG300, encrypt: true, key_length: 256
ENC_MODEL=KX-UTG300
PLAIN_KEY_FILE=Config$ENC_MAC.cfg
ENC_FILES=("Config$ENC_MAC.enc" "Config$ENC_MODEL-$ENC_MAC.enc" "ConfigCom-$ENC_MAC.enc")
KEY_FILE=$STATE/key-$ENC_MAC # state/keys.c: "provfs-key 1", "state ...", "bits ...", "key ..."
KEY_LABEL=state/key-$ENC_MAC

# "MAC MODEL" of every device of panasonic.yaml (MACs as SPEC §2 writes them: upper case).
DEVICES=("0080F0C8C381 KX-HDV130N" "0080F0C8C382 KX-UT136" "$ENC_MAC $ENC_MODEL" "0080F0C8C384 KX-UTG200")

# Every password of panasonic.yaml (the one with & and < also as XML writes it). Never in a shared
# layer, the log or provctl status. The keys of ENC_MAC are added as they become known.
SECRETS=('d3f4ult' 'pw1001' 'pw1002' 'pw1003' 'pw&1004<x>' 'pw&amp;1004&lt;x&gt;' 'pw1005')
KEYS=()

# Every name the tree serves, derived by hand from panasonic.yaml and SPEC §2 (LC_ALL=C order):
# - each device: Config<MAC>.cfg (standard layer; for ...83 the plain key file);
# - ...83 (KX-UTG300, encrypt: true): Config<MAC>.enc, Config<MODEL>-<MAC>.enc,
#   ConfigCom-<MAC>.enc (SPEC §2 "Encrypted provisioning", step 3);
# - each model: the entry file <MODEL>.cfg; and the product layer Config<MODEL>.cfg for the three
#   models that are not encrypted (KX-UTG300's product layer exists only per device, as .enc);
# - the master layer of the inventory defaults: ConfigCom.cfg for the text dialect, and
#   ConfigCom-utg.cfg, the same layer in the utg-xml dialect for the plain KX-UTG200. SPEC §2
#   names only ConfigCom.cfg; a text file cannot serve a UTG phone, so provfs adds this name
#   (README "Panasonic": only when a plain model of that dialect exists).
EXPECTED_LS='Config0080F0C8C381.cfg
Config0080F0C8C382.cfg
Config0080F0C8C383.cfg
Config0080F0C8C383.enc
Config0080F0C8C384.cfg
ConfigCom-0080F0C8C383.enc
ConfigCom-utg.cfg
ConfigCom.cfg
ConfigKX-HDV130N.cfg
ConfigKX-UT136.cfg
ConfigKX-UTG200.cfg
ConfigKX-UTG300-0080F0C8C383.enc
KX-HDV130N.cfg
KX-UT136.cfg
KX-UTG200.cfg
KX-UTG300.cfg'

# Files of the text dialect (validate_cfg.py) and plain UTG XML files (xmllint), none of ...83's.
TEXT_FILES=(Config0080F0C8C381.cfg Config0080F0C8C382.cfg ConfigKX-HDV130N.cfg ConfigKX-UT136.cfg
	ConfigCom.cfg KX-HDV130N.cfg KX-UT136.cfg)
UTG_FILES=(Config0080F0C8C384.cfg ConfigKX-UTG200.cfg ConfigCom-utg.cfg KX-UTG200.cfg KX-UTG300.cfg)
# Files several devices (or unknown ones) read: never a secret (SPEC §2, §3).
SHARED_FILES=(ConfigCom.cfg ConfigCom-utg.cfg ConfigKX-HDV130N.cfg ConfigKX-UT136.cfg
	ConfigKX-UTG200.cfg KX-HDV130N.cfg KX-UT136.cfg KX-UTG200.cfg KX-UTG300.cfg)

# The three CFG_*_FILE_PATH names (standard, product, master) each file must carry, after
# http://127.0.0.1/prov/ (server.url). Entry files keep the phone's {MAC} macro; a device's
# standard file names itself. The plain key file of ...83 points at the encrypted names
# (SPEC §2 step 2); the plain UTG uses the UTG master layer.
declare -A ENTRY_PATHS=(
	[KX-HDV130N]='Config{MAC}.cfg ConfigKX-HDV130N.cfg ConfigCom.cfg'
	[KX-UT136]='Config{MAC}.cfg ConfigKX-UT136.cfg ConfigCom.cfg'
	[KX-UTG300]='Config{MAC}.cfg ConfigKX-UTG300-{MAC}.enc ConfigCom-{MAC}.enc'
	[KX-UTG200]='Config{MAC}.cfg ConfigKX-UTG200.cfg ConfigCom-utg.cfg'
)
declare -A STD_PATHS=(
	[0080F0C8C381]='Config0080F0C8C381.cfg ConfigKX-HDV130N.cfg ConfigCom.cfg'
	[0080F0C8C382]='Config0080F0C8C382.cfg ConfigKX-UT136.cfg ConfigCom.cfg'
	[0080F0C8C383]='Config0080F0C8C383.enc ConfigKX-UTG300-0080F0C8C383.enc ConfigCom-0080F0C8C383.enc'
	[0080F0C8C384]='Config0080F0C8C384.cfg ConfigKX-UTG200.cfg ConfigCom-utg.cfg'
)

# What each phone must end up with: the inventory's merge, derived by hand from panasonic.yaml
# (flat names; a UTG leaf inside <Line idx="n"> is NAME_n). Sources of the rows:
# - SPEC §3 precedence: device > groups > model > defaults; params beat settings at one level.
# - SPEC §3 Panasonic settings table: admin_password -> ADMIN_PASS, ntp_server -> NTP_ADDR,
#   resync_minutes -> CFG_CYCLIC="Y" + CFG_CYCLIC_INTVL (minutes, formats/panasonic.md §3.3);
#   per line user -> PHONE_NUMBER_n, auth_user (defaults to user) -> SIP_AUTHID_n, password ->
#   SIP_PASS_n, display_name -> DISPLAY_NAME_n; sip_server (or the line's own server) ->
#   SIP_RGSTR_ADDR_n for every listed line.
# - Not spelt out by SPEC ("..."), taken from provfs's documented choice as plausible: the
#   registrar is also the proxy (README: "sip_server sets both the registrar and the proxy of
#   every account"; SIP_PRXY_ADDR_n, as the FusionPBX templates do), and sip_port ->
#   SIP_RGSTR_PORT_n and SIP_PRXY_PORT_n (backend/pa_params.c).
# - A UTG path in params (Device/Phone/Telephone/DEFAULT_LANGUAGE) is its leaf name.
# The file-path and key parameters (CFG_*_FILE_PATH, CFG_FILE_KEY*) are checked separately.
declare -A EXPECTED
# ...81 KX-HDV130N, group sales, one line:
#   ADMIN_PASS, NTP_ADDR, CFG_CYCLIC*, CFG_RESYNC_FROM_SIP: defaults;
#   SIP_TRANSPORT_1 and TIME_ZONE=120: model params (beat defaults params TIME_ZONE=60);
#   SIP_RGSTR/PRXY_ADDR_1, *_PORT_1: group sales settings sip_server/sip_port;
#   SYSLOG_PORT=1514: group sales params (beat defaults params 514).
EXPECTED[0080F0C8C381]='ADMIN_PASS=d3f4ult
CFG_CYCLIC=Y
CFG_CYCLIC_INTVL=1440
CFG_RESYNC_FROM_SIP=check-sync
DISPLAY_NAME_1=John Smith
NTP_ADDR=pool.ntp.org
PHONE_NUMBER_1=1001
SIP_AUTHID_1=1001
SIP_PASS_1=pw1001
SIP_PRXY_ADDR_1=sip.example.com
SIP_PRXY_PORT_1=5060
SIP_RGSTR_ADDR_1=sip.example.com
SIP_RGSTR_PORT_1=5060
SIP_TRANSPORT_1=0
SYSLOG_PORT=1514
TIME_ZONE=120'
# ...82 KX-UT136, no group: the line's own server pbx.example.com is its registrar (and proxy);
#   no sip_port anywhere -> no *_PORT_1; TIME_ZONE=-300 from device params; SYSLOG_PORT=514 and
#   the rest from defaults; no display_name -> no DISPLAY_NAME_1.
EXPECTED[0080F0C8C382]='ADMIN_PASS=d3f4ult
CFG_CYCLIC=Y
CFG_CYCLIC_INTVL=1440
CFG_RESYNC_FROM_SIP=check-sync
NTP_ADDR=pool.ntp.org
PHONE_NUMBER_1=1002
SIP_AUTHID_1=1002
SIP_PASS_1=pw1002
SIP_PRXY_ADDR_1=pbx.example.com
SIP_RGSTR_ADDR_1=pbx.example.com
SYSLOG_PORT=514
TIME_ZONE=-300'
# ...83 KX-UTG300, group sales, two lines: both lines get the group's registrar and port;
#   DEFAULT_LANGUAGE from the model's UTG-path param; TIME_ZONE=60 from defaults (this model sets
#   none); SYSLOG_PORT=1514 from group sales; XML entities of line 2 unescaped.
EXPECTED[0080F0C8C383]='ADMIN_PASS=d3f4ult
CFG_CYCLIC=Y
CFG_CYCLIC_INTVL=1440
CFG_RESYNC_FROM_SIP=check-sync
DEFAULT_LANGUAGE=de-DE
DISPLAY_NAME_2=Anna & Co
NTP_ADDR=pool.ntp.org
PHONE_NUMBER_1=1003
PHONE_NUMBER_2=1004
SIP_AUTHID_1=1003
SIP_AUTHID_2=1004
SIP_PASS_1=pw1003
SIP_PASS_2=pw&1004<x>
SIP_PRXY_ADDR_1=sip.example.com
SIP_PRXY_ADDR_2=sip.example.com
SIP_PRXY_PORT_1=5060
SIP_PRXY_PORT_2=5060
SIP_RGSTR_ADDR_1=sip.example.com
SIP_RGSTR_ADDR_2=sip.example.com
SIP_RGSTR_PORT_1=5060
SIP_RGSTR_PORT_2=5060
SYSLOG_PORT=1514
TIME_ZONE=60'
# ...84 KX-UTG200 (utg-xml: the name starts with KX-UTG, and dialect says so), no group, no
#   server anywhere -> no registrar; everything else from defaults.
EXPECTED[0080F0C8C384]='ADMIN_PASS=d3f4ult
CFG_CYCLIC=Y
CFG_CYCLIC_INTVL=1440
CFG_RESYNC_FROM_SIP=check-sync
NTP_ADDR=pool.ntp.org
PHONE_NUMBER_1=1005
SIP_AUTHID_1=1005
SIP_PASS_1=pw1005
SYSLOG_PORT=514
TIME_ZONE=60'
# The layers of ...83 one by one (SPEC §2: product = model level, master = inventory defaults;
# the standard .enc is the plain key file without its key).
ENC_PRODUCT_EXPECTED='DEFAULT_LANGUAGE=de-DE'
ENC_MASTER_EXPECTED='CFG_CYCLIC=Y
CFG_CYCLIC_INTVL=1440
CFG_RESYNC_FROM_SIP=check-sync
NTP_ADDR=pool.ntp.org
SYSLOG_PORT=514
TIME_ZONE=60'

# Names that must not exist, with why: mount ENOENT, TFTP "File not found", HTTP 404.
# SPEC §2: names are matched exactly except the MAC part (case-insensitive); <MAC> is 12 hex
# digits without separators.
NOT_FOUND=(
	"Config0080F0C8C399.cfg unknown MAC"
	"Config0080F0C8C399.enc unknown MAC"
	"ConfigKX-UTG300-0080F0C8C399.enc unknown MAC"
	"ConfigCom-0080F0C8C399.enc unknown MAC"
	"config0080F0C8C381.cfg lower-case prefix"
	"CONFIG0080F0C8C381.CFG upper-case name"
	"Config0080F0C8C381.CFG upper-case extension"
	"configcom.cfg lower-case master name"
	"ConfigCom-UTG.cfg upper-case UTG master name"
	"kx-hdv130n.cfg lower-case model in the entry name"
	"ConfigKX-hdv130n.cfg lower-case model in the product name"
	"Config00-80-F0-C8-C3-81.cfg MAC with separators"
	"Config0080F0C8C38.cfg MAC one digit short"
	"Config0080F0C8C3811.cfg MAC one digit long"
	"Config0080F0C8C381 no extension"
	"ConfigCommon.cfg not a provfs name"
	"ConfigKX-UTG300.cfg encrypted model has no plain product file"
	"Config0080F0C8C384.enc plain UTG has no .enc"
	"ConfigKX-UTG200-0080F0C8C384.enc plain UTG has no .enc product"
	"ConfigCom-0080F0C8C384.enc plain UTG has no .enc master"
	"Config0080F0C8C381.enc text device has no .enc"
	"ConfigKX-UTG300-0080F0C8C384.enc model of another device"
	"ConfigKX-UTG200-0080F0C8C383.enc wrong model for the MAC"
)
# Lower-case MACs of served names resolve to the same file (SPEC §2).
LOWER_MAC=(
	"Config0080f0c8c381.cfg Config0080F0C8C381.cfg"
	"Config0080f0C8c384.cfg Config0080F0C8C384.cfg"
)
LOWER_MAC_ENC=(
	"Config0080f0c8c383.enc Config0080F0C8C383.enc"
	"ConfigKX-UTG300-0080f0c8c383.enc ConfigKX-UTG300-0080F0C8C383.enc"
	"ConfigCom-0080f0c8c383.enc ConfigCom-0080F0C8C383.enc"
)

# --- the phone's parser: flat NAME -> value of a text or UTG file, first-wins merge ----------

write_parser() {
	cat >"$PY" <<'EOF'
"""pana.py flat FILE [--no-key] | get FILE NAME | merge STD PROD MASTER

flat: the parameters of one Panasonic file as sorted NAME=value lines. Text dialect:
NAME="value" lines (CRLF; '#' lines and empty lines ignored; first occurrence wins). UTG XML:
every leaf element; a leaf inside <Line idx="n"> is NAME_n; entities unescaped by the parser.
--no-key drops CFG_FILE_KEY*. merge: standard, product, master merged first-wins, without
CFG_*_FILE_PATH and CFG_FILE_KEY*."""
import re
import sys
import xml.etree.ElementTree as ET

PARAM = re.compile(rb'^([A-Za-z0-9_]+)="(.*)"$')
PATHS = re.compile(r'^CFG_(STANDARD|PRODUCT|MASTER)_FILE_PATH$')


def flat(path):
    data = open(path, 'rb').read()
    out = {}
    if data.lstrip().startswith(b'<'):
        root = ET.fromstring(data)

        def walk(el, line):
            if el.tag == 'Line' and 'idx' in el.attrib:
                line = el.attrib['idx']
            kids = list(el)
            if not kids and el is not root:
                out[el.tag + ('_' + line if line else '')] = el.text or ''
            for k in kids:
                walk(k, line)
        walk(root, None)
    else:
        for raw in data.split(b'\r\n'):
            if not raw or raw.startswith(b'#'):
                continue
            m = PARAM.match(raw)
            if not m:
                sys.exit('%s: not NAME="value": %r' % (path, raw))
            out.setdefault(m.group(1).decode(), m.group(2).decode())
    return out


def show(d):
    for k in sorted(d):
        print('%s=%s' % (k, d[k]))


def main(argv):
    if len(argv) >= 2 and argv[0] == 'flat':
        d = flat(argv[1])
        if '--no-key' in argv[2:]:
            d = {k: v for k, v in d.items() if not k.startswith('CFG_FILE_KEY')}
        show(d)
    elif len(argv) == 3 and argv[0] == 'get':
        d = flat(argv[1])
        if argv[2] not in d:
            sys.exit('%s: no %s' % (argv[1], argv[2]))
        print(d[argv[2]])
    elif len(argv) == 4 and argv[0] == 'merge':
        merged = {}
        for f in argv[1:]:
            for k, v in flat(f).items():
                if not PATHS.match(k) and not k.startswith('CFG_FILE_KEY'):
                    merged.setdefault(k, v)
        show(merged)
    else:
        sys.exit(__doc__)


main(sys.argv[1:])
EOF
}

py() { python3 "$PY" "$@"; }

# --- small checks used with t_check ----------------------------------------------------------

# get PROTO NAME OUT — fetch over tftp or http; says what went wrong.
get() {
	"fetch_$1" "$2" "$3" >/dev/null && return 0
	echo "fetch $1 $2: code=$FETCH_CODE rc=$FETCH_RC ${FETCH_ERR:-}"
	return 1
}

params_equal() { # params_equal EXPECTED_LINES CMD... — CMD's NAME=value lines equal EXPECTED
	local want=$1
	shift
	diff -u --label expected --label got -- <(printf '%s\n' "$want") <("$@")
}

# paths_are FILE MAC "STD PROD MASTER" — the file's CFG_*_FILE_PATHs are those names under URL.
paths_are() {
	local f=$1 names layer got rc=0 i=0
	read -r -a names <<<"$3"
	for layer in STANDARD PRODUCT MASTER; do
		got=$(py get "$f" "CFG_${layer}_FILE_PATH") || return 1
		if [ "$got" != "$URL${names[i]}" ]; then
			echo "CFG_${layer}_FILE_PATH: expected '$URL${names[i]}', got '$got'"
			rc=1
		fi
		i=$((i + 1))
	done
	return "$rc"
}

# layer_name FILE LAYER MAC — sets LAYER_NAME: the file name of CFG_<LAYER>_FILE_PATH, {MAC}
# replaced by the upper-case MAC, as the phone does (the URL must be under server.url).
layer_name() {
	local url
	url=$(py get "$1" "CFG_$2_FILE_PATH") || return 1
	url=${url//\{MAC\}/$3}
	if [[ $url != "$URL"* ]] || [[ ${url#"$URL"} == */* ]] || [ "$url" = "$URL" ]; then
		echo "CFG_$2_FILE_PATH '$url' is not a file under $URL"
		return 1
	fi
	LAYER_NAME=${url#"$URL"}
}

dec() { # dec IN OUT KEY — the UTG's decryption (SPEC §2 step 3), AES-256 for key_length 256
	openssl enc -d -aes-256-cbc -a -md md5 -pass "pass:$3" -in "$1" -out "$2" || {
		rm -f -- "$2" # no garbage for the checks that read it
		return 1
	}
}

# not_for_key IN KEY REF — IN does not decrypt with KEY to the plain text REF.
not_for_key() {
	if dec "$1" "$WORK/wrong.out" "$2" 2>/dev/null && cmp -s -- "$WORK/wrong.out" "$3"; then
		echo "$1 decrypts with that key"
		return 1
	fi
	return 0
}

# base64_64 FILE — openssl enc -a output: base64 lines of 64 columns, the last one shorter or
# equal, starting with "Salted__" (U2FsdGVkX1), newline at the end.
base64_64() {
	local f=$1
	[ -s "$f" ] || {
		echo "$f is missing or empty"
		return 1
	}
	head -c 10 -- "$f" | grep -qx 'U2FsdGVkX1' || {
		echo "does not start with U2FsdGVkX1 (Salted__)"
		return 1
	}
	[ "$(tail -c 1 -- "$f" | xxd -p)" = 0a ] || {
		echo "no newline at the end"
		return 1
	}
	awk 'length($0) > 64 || !/^[A-Za-z0-9+\/=]+$/ { bad = 1; print "line " NR ": " length($0) " columns or not base64" }
		short { bad = 1; print "line " NR - 1 " shorter than 64 but not the last" }
		{ short = length($0) < 64 }
		END { exit bad }' "$f"
}

no_key_param() { # no_key_param FILE — no CFG_FILE_KEY* among its parameters
	local found
	found=$(py flat "$1") || return 1
	! grep '^CFG_FILE_KEY' <<<"$found"
}

is_key() { # is_key STRING — 32 printable characters
	echo "key has ${#1} characters"
	[[ $1 =~ ^[[:graph:]]{32}$ ]]
}

key_in_state() { # the key stored for ENC_MAC (state/keys.c format), or nothing
	awk '$1 == "key" { print $2 }' "$KEY_FILE" 2>/dev/null
}

status_says() { # status_says REGEX — provctl status of ENC_MAC matches (output kept for leaks)
	local out
	out=$("$PROVCTL" status "$INV" "$ENC_MAC" -s "$STATE" 2>&1)
	printf '%s\n' "$out" >>"$STATUS_LOG"
	echo "$out"
	[[ $out =~ $1 ]]
}

validate_ok() { # validate_ok FILE — validate_cfg.py: exit 0, and no warning either
	local out
	out=$(python3 "$VALIDATE" "$1" 2>&1)
	local rc=$?
	echo "$out"
	[ "$rc" -eq 0 ] && [[ $out == *"(0 errors, 0 warnings)"* ]]
}

mode_of() { stat -c %a -- "$1" 2>&1; }

size_of() { stat -c %s -- "$1" 2>/dev/null || echo missing; }

generic_listing() { # the expected names without a MAC: what listing=generic shows
	grep -v '0080F0C8C38' <<<"$EXPECTED_LS"
}

# --- set-up ----------------------------------------------------------------------------------

setup() {
	cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$INV" && mkdir -p "$GOT" "$SCRATCH" &&
		write_parser && : >"$STATUS_LOG" && [ -f "$VALIDATE" ]
}

# --- the tests -------------------------------------------------------------------------------

test_provctl() {
	t_check "provctl check: panasonic.yaml is clean" "$PROVCTL" check "$INV"
	t_check "provctl ls" to_file "$WORK/ls.txt" "$PROVCTL" ls "$INV" -s "$SCRATCH"
	t_check "provctl ls names exactly the expected Panasonic files" \
		diff -- <(printf '%s\n' "$EXPECTED_LS") "$WORK/ls.txt"
	t_check "provctl ls is sorted (LC_ALL=C)" env LC_ALL=C sort -c -- "$WORK/ls.txt"
}

# Everything that is not ...83's, read through the mount: formats, secrets, provctl cat's bytes.
test_mount_files() {
	local n
	for n in "${TEXT_FILES[@]}" "${UTG_FILES[@]}"; do
		t_check "mount: read $n" cp -- "$MNT/$n" "$GOT/$n"
		t_check "mount: $n identical to provctl cat" same_bytes \
			<("$PROVCTL" cat "$INV" "$n" -s "$SCRATCH") "$GOT/$n"
		t_check "mount: stat size of $n equals bytes read" size_equals_bytes_read "$MNT/$n"
		t_eq "mount: $n mode is 0444" 444 "$(mode_of "$MNT/$n")"
	done
	for n in "${TEXT_FILES[@]}"; do
		t_check "validate_cfg.py accepts $n (no errors, no warnings)" validate_ok "$GOT/$n"
	done
	for n in "${UTG_FILES[@]}"; do
		t_check "xmllint accepts $n" xmllint --noout "$GOT/$n"
	done
	for n in "${SHARED_FILES[@]}"; do
		t_check "shared $n holds no secret" no_secret_in "$GOT/$n"
	done
	for n in "${!ENTRY_PATHS[@]}"; do
		t_check "entry file $n.cfg holds only the three CFG_*_FILE_PATHs" \
			params_equal "$(printf 'CFG_%s_FILE_PATH\n' MASTER PRODUCT STANDARD)" \
			eval "py flat '$GOT/$n.cfg' | cut -d= -f1"
	done
	t_check "ls of the mount works" to_file "$WORK/listing.txt" entries "$MNT"
	t_check "ls (listing=generic) shows exactly the names without a MAC" \
		diff -- <(generic_listing) "$WORK/listing.txt"
}

same_bytes() { # same_bytes EXPECTED ACTUAL — byte-identical, and EXPECTED is not empty
	local tmp=$WORK/same.tmp
	cat -- "$1" >"$tmp"
	[ -s "$tmp" ] || {
		echo "$1 is missing or empty"
		return 1
	}
	cmp -- "$tmp" "$2"
}

test_not_found() {
	local entry name why proto pair lower upper
	for entry in "${NOT_FOUND[@]}"; do
		name=${entry%% *} why=${entry#* }
		t_check "mount: $name ($why) is ENOENT" enoent "$MNT/$name"
		for proto in tftp http; do
			expect_not_found "$proto" "$name" "$name ($why)"
		done
	done
	for pair in "${LOWER_MAC[@]}"; do
		read -r lower upper <<<"$pair"
		t_check "mount: $lower (lower-case MAC) is $upper" same_bytes "$GOT/$upper" "$MNT/$lower"
		for proto in tftp http; do
			expect_fetch "$proto" "$lower" "$GOT/$upper" "$lower (lower-case MAC) is $upper"
		done
	done
}

# play PROTO MAC MODEL — be the phone: the entry file <MODEL>.cfg, its CFG_STANDARD_FILE_PATH
# ({MAC} = upper-case MAC), then the product and master files the standard file names, .enc
# decrypted with the key the standard file delivered; merge first-wins; compare.
# Sets PHONE_KEY (and, for ENC_MAC, DELIVERED_KEY) when the standard file carries CFG_FILE_KEY.
play() {
	local proto=$1 mac=$2 model=$3 d who std name layer file
	d=$WORK/play/$proto/$mac
	who="$proto: phone $mac"
	mkdir -p "$d"
	PHONE_KEY=
	t_check "$who fetches its entry file $model.cfg" get "$proto" "$model.cfg" "$d/entry" || return 1
	t_check "$who: entry file $model.cfg names ${ENTRY_PATHS[$model]}" \
		paths_are "$d/entry" "$mac" "${ENTRY_PATHS[$model]}"
	t_check "$who: standard file name from the entry file" layer_name "$d/entry" STANDARD "$mac" ||
		return 1
	std=$LAYER_NAME
	t_check "$who fetches its standard file $std" get "$proto" "$std" "$d/standard" || return 1
	if [ "$mac" = "$ENC_MAC" ]; then
		t_check "$who: plain key file $std is well-formed XML" xmllint --noout "$d/standard"
		t_check "$who: $std carries CFG_FILE_KEY" to_file "$d/key" py get "$d/standard" CFG_FILE_KEY
		PHONE_KEY=$(cat -- "$d/key")
		DELIVERED_KEY=$PHONE_KEY
		KEYS+=("$PHONE_KEY")
		t_check "$who: CFG_FILE_KEY has 32 characters" is_key "$PHONE_KEY"
		t_check "$who: CFG_FILE_KEY_LENGTH is 256 (key_length of $model)" \
			params_equal 256 py get "$d/standard" CFG_FILE_KEY_LENGTH
	else
		t_check "$who: $std carries no CFG_FILE_KEY*" no_key_param "$d/standard"
	fi
	t_check "$who: $std names ${STD_PATHS[$mac]}" paths_are "$d/standard" "$mac" "${STD_PATHS[$mac]}"
	for layer in STANDARD PRODUCT MASTER; do
		t_check "$who: $layer file name from $std" layer_name "$d/standard" "$layer" "$mac" ||
			return 1
		name=$LAYER_NAME file=$d/$layer
		# the standard file names itself, except the plain key file: it names Config<MAC>.enc
		[ "$layer" != STANDARD ] || [ "$name" != "$std" ] || continue
		t_check "$who fetches $name" get "$proto" "$name" "$file.got" || return 1
		if [[ $name == *.enc ]]; then
			t_check "$who: $name is base64 in 64-column lines" base64_64 "$file.got"
			t_check "$who decrypts $name with the delivered key" dec "$file.got" "$file" "$PHONE_KEY" ||
				return 1
			t_check "$who: decrypted $name is well-formed XML" xmllint --noout "$file"
		else
			cp -- "$file.got" "$file"
			[ ! -f "$GOT/$name" ] || t_cmp "$who: $name identical to the mount's" "$GOT/$name" "$file"
		fi
	done
	if [ -f "$d/STANDARD" ]; then
		t_check "$who: decrypted Config$mac.enc is $std without the key" \
			params_equal "$(py flat "$d/standard" --no-key)" py flat "$d/STANDARD"
	fi
	[ -f "$GOT/$std" ] && t_cmp "$who: $std identical to the mount's" "$GOT/$std" "$d/standard"
	t_check "$who: standard, product, master merged first-wins equal the inventory's merge" \
		params_equal "${EXPECTED[$mac]}" py merge "$d/standard" "$d/PRODUCT" "$d/MASTER"
}

play_all() {
	local dev
	for dev in "${DEVICES[@]}"; do
		# shellcheck disable=SC2086 # "MAC MODEL"
		play "$1" $dev
	done
}

# The plain key file of ...83 is gone: on the mount (after the asynchronous release), over TFTP
# and HTTP, also under a lower-case MAC.
plain_key_file_gone() {
	local label=$1 proto
	t_check "$label: mount: $PLAIN_KEY_FILE is ENOENT" lib_poll 3 enoent "$MNT/$PLAIN_KEY_FILE"
	t_check "$label: mount: Config0080f0c8c383.cfg (lower-case MAC) is ENOENT" \
		enoent "$MNT/Config0080f0c8c383.cfg"
	for proto in tftp http; do
		expect_not_found "$proto" "$PLAIN_KEY_FILE" "$label: $PLAIN_KEY_FILE"
	done
	t_check "$label: provctl cat $PLAIN_KEY_FILE exits 1 without bytes" provctl_says_unknown
}

provctl_says_unknown() { # provctl cat of the plain key file: exit 1 and no bytes (SPEC §1)
	local rc
	"$PROVCTL" cat "$INV" "$PLAIN_KEY_FILE" -s "$STATE" >"$WORK/unknown.out" 2>"$WORK/unknown.err"
	rc=$?
	cat -- "$WORK/unknown.err"
	[ "$rc" -eq 1 ] && [ ! -s "$WORK/unknown.out" ]
}

# http_range NAME RANGE OUT — curl -r through nginx: 206 and the bytes of the range.
http_range() {
	local code
	code=$(curl -sS --noproxy '*' --max-time 30 -r "$2" -o "$3" -w '%{http_code}' \
		"http://$LIB_ADDR:$HTTP_PORT/$1")
	echo "HTTP $code, $(size_of "$3") bytes"
	[ "$code" = 206 ]
}

# The encrypted files through the mount: stable, base64, openssl opens them with KEY.
# Saves the plain texts as $WORK/enc.<label>/<name>.
enc_files_open_with() {
	local label=$1 key=$2 d=$WORK/enc.${1// /-} n
	mkdir -p "$d"
	for n in "${ENC_FILES[@]}"; do
		t_check "$label: mount: read $n" cp -- "$MNT/$n" "$d/$n" || continue
		t_check "$label: mount: $n is base64 in 64-column lines" base64_64 "$d/$n"
		t_check "$label: mount: reading $n twice gives the same bytes" cmp -- "$d/$n" "$MNT/$n"
		t_check "$label: mount: stat size of $n equals bytes read" size_equals_bytes_read "$MNT/$n"
		t_eq "$label: mount: $n mode is 0444" 444 "$(mode_of "$MNT/$n")"
		t_check "$label: mount: $n identical to provctl cat" same_bytes \
			<("$PROVCTL" cat "$INV" "$n" -s "$STATE") "$d/$n"
		t_check "$label: openssl enc -d -aes-256-cbc -md md5 opens $n with the key" \
			dec "$d/$n" "$d/$n.xml" "$key" &&
			t_check "$label: decrypted $n is well-formed XML" xmllint --noout "$d/$n.xml"
	done
}

test_key_flow_first_delivery() {
	local pending
	t_check "before any read: provctl status says no key yet or pending" \
		status_says 'key (no key yet|pending)'
	# A reader that stops after 20 bytes delivers nothing (SPEC §2 step 3: direct I/O).
	t_check "mount: a 20-byte read of $PLAIN_KEY_FILE" \
		dd if="$MNT/$PLAIN_KEY_FILE" of="$WORK/half1" bs=20 count=1 status=none
	t_eq "mount: the 20-byte read got 20 bytes" 20 "$(size_of "$WORK/half1")"
	t_eq "mount: $PLAIN_KEY_FILE mode is 0444" 444 "$(mode_of "$MNT/$PLAIN_KEY_FILE")"
	PLAIN_SIZE=$(stat -c %s -- "$MNT/$PLAIN_KEY_FILE")
	t_check "mount: $PLAIN_KEY_FILE stays after the 20-byte read" stays "$PLAIN_KEY_FILE" 1
	t_check "after the half read provctl status says pending" status_says 'key pending'
	pending=$(key_in_state)
	t_check "the pending key is stored in $KEY_LABEL" is_key "$pending"
	KEYS+=("$pending")
	t_eq "$KEY_LABEL is mode 0600" 600 "$(mode_of "$KEY_FILE")"
	t_check "mount: a second 20-byte read gets the same bytes" \
		cmp -- "$WORK/half1" <(dd if="$MNT/$PLAIN_KEY_FILE" bs=20 count=1 status=none)
	t_check "mount: $PLAIN_KEY_FILE stays after the second half read" stays "$PLAIN_KEY_FILE" 1
	t_eq "the half reads left the pending key unchanged" "$pending" "$(key_in_state)"

	# The first whole read: TFTP, as the phone reads it.
	DELIVERED_KEY=
	play_all tftp
	KEY0=$DELIVERED_KEY
	t_eq "the key delivered over TFTP is the one stored while pending" "$pending" "$KEY0"
	t_eq "stat size of $PLAIN_KEY_FILE equals the bytes TFTP delivered" "$PLAIN_SIZE" \
		"$(size_of "$WORK/play/tftp/$ENC_MAC/standard")"
	plain_key_file_gone "after the TFTP read"
	t_check "after delivery provctl status says delivered" status_says 'key delivered'
	t_eq "after delivery $KEY_LABEL is still mode 0600" 600 "$(mode_of "$KEY_FILE")"
	t_eq "after delivery the stored key is the delivered key" "$KEY0" "$(key_in_state)"
	enc_files_open_with delivered "$KEY0"
	t_check "the product .enc holds the model layer" params_equal "$ENC_PRODUCT_EXPECTED" \
		py flat "$WORK/enc.delivered/${ENC_FILES[1]}.xml"
	t_check "the master .enc holds the defaults layer" params_equal "$ENC_MASTER_EXPECTED" \
		py flat "$WORK/enc.delivered/${ENC_FILES[2]}.xml"
	t_check "the standard .enc is the plain key file without the key" \
		params_equal "$(py flat "$WORK/play/tftp/$ENC_MAC/standard" --no-key)" \
		py flat "$WORK/enc.delivered/${ENC_FILES[0]}.xml"
	local pair lower upper proto
	for pair in "${LOWER_MAC_ENC[@]}"; do
		read -r lower upper <<<"$pair"
		t_check "mount: $lower (lower-case MAC) is $upper" \
			same_bytes "$WORK/enc.delivered/$upper" "$MNT/$lower"
		for proto in tftp http; do
			expect_fetch "$proto" "$lower" "$WORK/enc.delivered/$upper" "$lower (lower-case MAC) is $upper"
		done
	done
	for proto in tftp http; do
		expect_fetch "$proto" "${ENC_FILES[0]}" "$WORK/enc.delivered/${ENC_FILES[0]}" \
			"${ENC_FILES[0]} identical to the mount's"
	done
}

# After a remount: still delivered, the same key opens the same plain texts.
still_delivered() {
	local label=$1 n
	t_check "$label: provctl status says delivered" status_says 'key delivered'
	plain_key_file_gone "$label"
	enc_files_open_with "$label" "$KEY0"
	for n in "${ENC_FILES[@]}"; do
		t_cmp "$label: $n has the same bytes as before (SPEC §4 stable bytes)" \
			"$WORK/enc.delivered/$n" "$WORK/enc.${label// /-}/$n"
		t_cmp "$label: $n decrypts to the same XML as before" \
			"$WORK/enc.delivered/$n.xml" "$WORK/enc.${label// /-}/$n.xml"
	done
}

start_servers() {
	t_check "$1: tftpd-hpa starts on the mount" srv_tftpd_start "$MNT" &&
		t_check "$1: nginx starts on the mount" srv_nginx_start "$MNT"
}

test_key_flow_remount() {
	t_check "servers stop by PID (for the unmount)" srv_stop_all
	t_check "fusermount3 -u; provfs exits" provfs_umount "$MNT"
	t_check "provfs mounts panasonic.yaml again" provfs_mount "$INV" "$MNT" || return 1
	start_servers "after the remount" || return 1
	still_delivered "after the remount"
}

test_key_flow_kill9() {
	local pid
	t_check "servers stop by PID (before kill -9)" srv_stop_all
	pid=$PROVFS_PID
	disown "$pid" 2>/dev/null # no "Killed" job report; _lib_dead treats the zombie as gone
	t_check "kill -9 provfs" kill -KILL "$pid"
	t_check "provfs is gone after kill -9" lib_poll 5 _lib_dead "$pid"
	t_check "fusermount3 -u -z cleans the dead mount" fusermount3 -u -z "$MNT"
	t_check "provfs mounts panasonic.yaml after kill -9" provfs_mount "$INV" "$MNT" || return 1
	start_servers "after kill -9" || return 1
	still_delivered "after kill -9"
}

test_key_flow_rekey() {
	local n d=$WORK/enc.rekeyed
	t_check "provctl rekey $ENC_MAC while mounted" to_file "$WORK/rekey.out" \
		"$PROVCTL" rekey "$INV" "$ENC_MAC" -s "$STATE"
	cat -- "$WORK/rekey.out" >>"$STATUS_LOG"
	t_check "after rekey the mount serves $PLAIN_KEY_FILE again" lib_poll 5 exists "$PLAIN_KEY_FILE"
	t_check "after rekey provctl status says pending" status_says 'key pending'
	t_eq "after rekey $KEY_LABEL is mode 0600" 600 "$(mode_of "$KEY_FILE")"
	KEYS+=("$(key_in_state)")

	# The second whole read: HTTP, as the phone reads it; it brings the new key.
	DELIVERED_KEY=
	play_all http
	KEY1=$DELIVERED_KEY
	t_check "the key delivered after rekey differs from the old one" test "$KEY1" != "$KEY0"
	t_eq "the key delivered over HTTP is the stored key" "$KEY1" "$(key_in_state)"
	plain_key_file_gone "after the HTTP read"
	t_check "after the second delivery provctl status says delivered" status_says 'key delivered'
	mkdir -p "$d"
	for n in "${ENC_FILES[@]}"; do
		t_check "after rekey: mount: read $n" cp -- "$MNT/$n" "$d/$n" || continue
		t_check "after rekey: $n opens with the new key" dec "$d/$n" "$d/$n.xml" "$KEY1" &&
			t_check "after rekey: $n with the new key is the same XML as before" \
				cmp -- "$WORK/enc.delivered/$n.xml" "$d/$n.xml"
		t_check "after rekey: $n does not open with the old key" \
			not_for_key "$d/$n" "$KEY0" "$d/$n.xml"
	done
}

# A half read through nginx (HTTP Range), with nginx's stock sendfile on: sendfile reads this
# small file whole through the page cache, so provfs may count it as read to its end (served),
# but only the phone's next request for an .enc name delivers (SPEC §2 step 3). A third key, so
# that this comes last: a failure here must not hide the flow above.
rekey_again() { # rekey_again LABEL — a new pending key, and the plain key file back on the mount
	t_check "$1: provctl rekey $ENC_MAC" to_file "$WORK/rekey.again" \
		"$PROVCTL" rekey "$INV" "$ENC_MAC" -s "$STATE"
	cat -- "$WORK/rekey.again" >>"$STATUS_LOG"
	t_check "$1: the mount serves $PLAIN_KEY_FILE again" lib_poll 5 exists "$PLAIN_KEY_FILE" ||
		return 1
	KEYS+=("$(key_in_state)")
}

test_key_flow_http_half_reads() {
	rekey_again "for the HTTP half read" || return 1
	t_check "http: bytes 0-19 of $PLAIN_KEY_FILE (Range)" \
		http_range "$PLAIN_KEY_FILE" 0-19 "$WORK/range.head"
	t_check "http: the 20 bytes are the file's first 20" cmp -- "$WORK/half1" "$WORK/range.head"
	t_check "mount: $PLAIN_KEY_FILE stays after an HTTP read of its first 20 bytes" \
		stays "$PLAIN_KEY_FILE" 1
	t_check "after an HTTP read of 20 bytes provctl status says pending or served, not delivered" \
		status_says 'key (pending|served)'
	t_eq "after an HTTP read of 20 bytes the pending key is unchanged" "${KEYS[-1]}" "$(key_in_state)"
}

# No secret and no key in the log or in anything provctl status/rekey printed (SPEC §4).
test_no_leaks() {
	t_check "provfs.log holds no password of panasonic.yaml" \
		no_string_in "$WORK/provfs.log" "${SECRETS[@]}"
	t_check "provfs.log holds no key" no_string_in "$WORK/provfs.log" "${KEYS[@]}"
	t_check "provctl status and rekey printed no password" \
		no_string_in "$STATUS_LOG" "${SECRETS[@]}"
	t_check "provctl status and rekey printed no key" no_string_in "$STATUS_LOG" "${KEYS[@]}"
	cat -- "$STATE"/* >"$WORK/state.all" 2>/dev/null
	t_check "the state directory holds no password" no_string_in "$WORK/state.all" "${SECRETS[@]}"
}

test_shutdown() {
	t_check "servers stop by PID" srv_stop_all
	t_check "fusermount3 -u; provfs exits" provfs_umount "$MNT"
	t_eq "provfs exit status after unmount" 0 "${PROVFS_RC:-none}"
}

if ! t_check "set up panasonic.yaml and the parser; vectors/panasonic/validate_cfg.py is there" setup; then
	t_summary
	exit 1
fi
test_provctl
if t_check "provfs mounts panasonic.yaml (listing=generic)" provfs_mount "$INV" "$MNT"; then
	test_mount_files
	# After the mount: tftpd's chroot pins the directory it sees at start-up.
	if start_servers "first mount"; then
		test_not_found
		test_key_flow_first_delivery
		test_key_flow_remount &&
			test_key_flow_kill9 &&
			test_key_flow_rekey &&
			test_key_flow_http_half_reads
	fi
	test_no_leaks
	test_shutdown
fi
t_summary
