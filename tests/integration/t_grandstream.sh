#!/usr/bin/env bash
# t_grandstream.sh — end to end: everything a Grandstream fleet asks for (tests/data/grandstream.yaml):
# the legacy binary in both layouts, config prefix/postfix names (and old ones still resolving),
# the generic cfg.xml and cfg<model>.xml, firmware in waves. provctl ls pins the names; the mount,
# tftpd-hpa and nginx must serve exactly what provctl cat says, and everything else is "not found".
#
# Contract: SPEC.md §1 (provctl ls/cat), §2 (Grandstream rows), formats/grandstream.md §1.2 (binary
# header), §4 (names, prefix/postfix, firmware).

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/grandstream.yaml # firmware_dir "firmware" is relative to it: $WORK/firmware
FW=$WORK/firmware/grandstream
EXP=$WORK/expected # provctl cat NAME, one file per name: the reference for every later check
MNT=$WORK/mnt      # listing=generic (the default); the servers serve this one
PASSWORD='Secr3t!' # xml_password of 00:0b:82:12:34:56
BIG=gs_gxp2170fw.bin_1.0.11.3 # the 32 MiB firmware: more blocks than TFTP's 16-bit counter
MACS=(000b82123456 000b82123457 c074ad0a0b0c)
# Secrets of grandstream.yaml: never in a file that unknown devices or several devices read.
SECRETS=('4dm1n' 'm0del' 'pw1001' 'pw1002' 'Secr3t!')

# Every name the mount serves, derived by hand from grandstream.yaml (LC_ALL=C order):
# - 00:0b:82:12:34:56: binary bootstrap -> .xml, bare, .bin; group sales gives prefix gs_ and
#   postfix _cfg002 -> each also wrapped;
# - 00:0b:82:12:34:57: binary full -> .xml, bare, .bin; no prefix/postfix;
# - c0:74:ad:0a:0b:0c: no binary -> .xml only; its own postfix .cfg3 -> wrapped;
# - generic: cfg.xml, cfggxp1625.xml, cfggxp2170.xml, each also under the two pairs devices use
#   (gs_, _cfg002) and ("", .cfg3);
# - firmware: 1.0.11.3 as gs_/_1.0.11.3 (model GXP2170, used by ...56), 1.0.11.5 as gs_/_1.0.11.5
#   (group wave2 overrides it for ...57), 1.0.7.3 as ""/_1.0.7.3 (model GXP1625); 9.9.9 unused.
EXPECTED_LS='cfg.xml
cfg.xml.cfg3
cfg000b82123456
cfg000b82123456.bin
cfg000b82123456.xml
cfg000b82123457
cfg000b82123457.bin
cfg000b82123457.xml
cfgc074ad0a0b0c.xml
cfgc074ad0a0b0c.xml.cfg3
cfggxp1625.xml
cfggxp1625.xml.cfg3
cfggxp2170.xml
cfggxp2170.xml.cfg3
gs_cfg.xml_cfg002
gs_cfg000b82123456.bin_cfg002
gs_cfg000b82123456.xml_cfg002
gs_cfg000b82123456_cfg002
gs_cfggxp1625.xml_cfg002
gs_cfggxp2170.xml_cfg002
gs_gxp2170fw.bin_1.0.11.3
gs_gxp2170fw.bin_1.0.11.5
gxp1600fw.bin_1.0.7.3'

# "NAME SAME_AS": a name that must serve exactly the bytes of another name (or, for firmware, of
# the real file below $FW).
SAME_BYTES=(
	"cfg000b82123456.bin cfg000b82123456"
	"cfg000b82123457.bin cfg000b82123457"
	"gs_cfg000b82123456_cfg002 cfg000b82123456"
	"gs_cfg000b82123456.bin_cfg002 cfg000b82123456"
	"gs_cfg000b82123456.xml_cfg002 cfg000b82123456.xml"
	"cfgc074ad0a0b0c.xml.cfg3 cfgc074ad0a0b0c.xml"
	"cfg.xml.cfg3 cfg.xml"
	"gs_cfg.xml_cfg002 cfg.xml"
	"cfggxp1625.xml.cfg3 cfggxp1625.xml"
	"gs_cfggxp1625.xml_cfg002 cfggxp1625.xml"
	"cfggxp2170.xml.cfg3 cfggxp2170.xml"
	"gs_cfggxp2170.xml_cfg002 cfggxp2170.xml"
)
FIRMWARE=(
	"gs_gxp2170fw.bin_1.0.11.3 1.0.11.3/gxp2170fw.bin"
	"gs_gxp2170fw.bin_1.0.11.5 1.0.11.5/gxp2170fw.bin"
	"gxp1600fw.bin_1.0.7.3 1.0.7.3/gxp1600fw.bin"
)

# "OLD_NAME CURRENT_NAME": a phone still asking with an old (or any) prefix/postfix gets the
# current file. The longest known name inside wins: cfg000b82123456.xml_cfg001 is the XML with
# postfix _cfg001, not the binary cfg000b82123456 with postfix .xml_cfg001.
P64=$(printf 'p%.0s' {1..64})
P65=${P64}p
OLD_NAMES=(
	"old_cfg000b82123456.xml_cfg001 cfg000b82123456.xml"
	"cfg000b82123456.xml_cfg001 cfg000b82123456.xml"
	"x.cfgc074ad0a0b0c.xml.cfg2 cfgc074ad0a0b0c.xml"
	"gs_cfg000b82123457.bin_old cfg000b82123457.bin"
	"gs_cfg000b82123457_cfg001 cfg000b82123457"
	"old_cfg.xml_cfg001 cfg.xml"
	"gs_cfggxp2170.xml_cfg001 cfggxp2170.xml"
	"gs_cfg000B82123456.xml_cfg001 cfg000b82123456.xml" # the MAC part is case-insensitive
	"${P64}cfg000b82123456.xml cfg000b82123456.xml"
	"cfg000b82123456.xml${P64} cfg000b82123456.xml"
	"${P64}cfg000b82123456.xml${P64} cfg000b82123456.xml"
)

# Names that must not exist, with why. Mount, TFTP, HTTP and provctl cat all say so.
NOT_FOUND=(
	"cfg000b82ffffff.xml unknown MAC"
	"gs_cfg000b82ffffff.xml_cfg002 unknown MAC, wrapped"
	"cfg000b8212345.xml MAC one digit short"
	"cfg000b8212345g.xml MAC not hex"
	"gs+cfg000b82123456.xml prefix character outside [A-Za-z0-9._-]"
	"cfg000b82123456.xml~ postfix character outside [A-Za-z0-9._-]"
	"cfgc074ad0a0b0c device without binary"
	"cfgc074ad0a0b0c.bin device without binary"
	"gs_gxp2170fw.bin_9.9.9 firmware version no device uses"
	"gxp2170fw.bin_1.0.11.3 firmware under the wrong prefix"
	"gs_gxp2170fw.bin firmware under the wrong postfix"
	"gxp2170fw.bin firmware without prefix/postfix"
	"gs_gxp1600fw.bin_1.0.11.3 firmware file of another version"
	"gs_gxp2170fw.bin_1.0.11.3_old firmware names are exact"
	"CFG000b82123456.xml upper-case prefix"
	"${P65}cfg000b82123456.xml 65-character prefix"
	"cfg000b82123456.xml${P65} 65-character postfix"
)

# short NAME — NAME for a test label, with the 64/65-character paddings written as p{64}/p{65}.
short() {
	local n=${1//$P65/p\{65\}}
	printf '%s' "${n//$P64/p\{64\}}"
}

# --- small checks used with t_check ----------------------------------------------------------

same_bytes() { # same_bytes EXPECTED ACTUAL — byte-identical, and EXPECTED is not empty
	[ -s "$1" ] || {
		echo "$1 is missing or empty"
		return 1
	}
	cmp -- "$1" "$2"
}

lacks() { # lacks FILE STRING — a non-empty FILE without STRING (a missing file proves nothing)
	[ -s "$1" ] || {
		echo "$1 is missing or empty"
		return 1
	}
	! grep -F -- "$2" "$1"
}

# has_param FILE N VALUE — the XML carries <PN>VALUE</PN>; an empty VALUE may also be <PN/>.
# On failure shows what the file has for PN.
has_param() {
	local f=$1 p=P$2 v=$3
	grep -qF -- "<$p>$v</$p>" "$f" && return 0
	[ -z "$v" ] && grep -qF -- "<$p/>" "$f" && return 0
	echo "found: $(grep -E "<${p}[/>]" "$f" || echo "no <$p>")"
	return 1
}

hex_at() { # hex_at FILE OFFSET LENGTH — those bytes as lower-case hex, no spaces
	xxd -p -s "$2" -l "$3" -- "$1"
}

# binary_frame_ok FILE — formats/grandstream.md §1.2: the length field counts the whole file in
# 16-bit words, and the big-endian words of the whole file sum to 0 mod 0x10000.
binary_frame_ok() {
	local f=$1 size words sum=0 w
	size=$(stat -c %s -- "$f") || return 1
	words=$((16#$(hex_at "$f" 0 4)))
	echo "size $size bytes, length field $words words"
	[ $((size % 2)) -eq 0 ] && [ "$words" -eq $((size / 2)) ] || return 1
	for w in $(od -An -v -tx2 --endian=big -- "$f"); do
		sum=$(((sum + 16#$w) & 0xffff))
	done
	echo "word sum $sum"
	[ "$sum" -eq 0 ]
}

provctl_says_unknown() { # provctl cat NAME: exit 1 and no bytes
	local rc
	"$PROVCTL" cat "$INV" "$1" >"$WORK/unknown.out" 2>"$WORK/unknown.err"
	rc=$?
	cat -- "$WORK/unknown.err"
	[ "$rc" -eq 1 ] && [ ! -s "$WORK/unknown.out" ]
}

names_a_mac() { # names_a_mac NAME — NAME contains a device MAC, any case
	local m
	for m in "${MACS[@]}"; do
		[[ ${1,,} == *"$m"* ]] && return 0
	done
	return 1
}

lists_no_mac() { # lists_no_mac FILE — no line names a device MAC
	local n rc=0
	while IFS= read -r n; do
		if names_a_mac "$n"; then
			echo "listed: $n"
			rc=1
		fi
	done <"$1"
	return "$rc"
}

lists_name() { grep -qxF -- "$2" "$1"; } # lists_name FILE NAME

# The expected names that belong in a listing=generic readdir: all that name no MAC.
generic_listing() {
	local n
	while IFS= read -r n; do
		names_a_mac "$n" || echo "$n"
	done <<<"$EXPECTED_LS"
}

# --- set-up ----------------------------------------------------------------------------------

# The inventory next to a firmware tree: three versions that devices use, one that none does.
make_inventory() {
	cp -- "$REPO_ROOT/tests/data/grandstream.yaml" "$INV" &&
		mkdir -p "$FW/1.0.11.3" "$FW/1.0.11.5" "$FW/1.0.7.3" "$FW/9.9.9" &&
		head -c 32M /dev/urandom >"$FW/1.0.11.3/gxp2170fw.bin" &&
		head -c 100K /dev/urandom >"$FW/1.0.11.5/gxp2170fw.bin" &&
		head -c 3000 /dev/urandom >"$FW/1.0.7.3/gxp1600fw.bin" &&
		head -c 5000 /dev/urandom >"$FW/9.9.9/gxp2170fw.bin"
}

# --- the tests -------------------------------------------------------------------------------

# provctl: the naming contract, and the reference bytes of every name.
test_provctl() {
	local n
	t_check "provctl check: grandstream.yaml with its firmware tree is clean" "$PROVCTL" check "$INV"
	t_check "provctl ls" to_file "$WORK/ls.txt" "$PROVCTL" ls "$INV"
	t_check "provctl ls names exactly the expected Grandstream files" \
		diff -- <(printf '%s\n' "$EXPECTED_LS") "$WORK/ls.txt"
	t_check "provctl ls is sorted (LC_ALL=C)" env LC_ALL=C sort -c -- "$WORK/ls.txt"
	mkdir -p "$EXP"
	# The reference bytes of every expected name (a name missing from ls still gets its FAIL
	# here), and the plain XML of the devices for the content checks.
	while IFS= read -r n; do
		t_check "provctl cat $n" to_file "$EXP/$n" "$PROVCTL" cat "$INV" "$n"
	done < <(printf '%s\n' "$EXPECTED_LS")
	for n in cfg000b82123456.xml cfg000b82123457.xml cfgc074ad0a0b0c.xml; do
		t_check "provctl cat $n --plain" to_file "$EXP/$n.plain" "$PROVCTL" cat "$INV" "$n" --plain
	done
}

# Names that are other names: wrapped ones, .bin beside the bare binary, firmware = the real file.
test_same_bytes() {
	local pair name same
	for pair in "${SAME_BYTES[@]}"; do
		read -r name same <<<"$pair"
		t_check "provctl cat: $name has the bytes of $same" same_bytes "$EXP/$same" "$EXP/$name"
	done
	for pair in "${FIRMWARE[@]}"; do
		read -r name same <<<"$pair"
		t_cmp "provctl cat: firmware $name is $same" "$FW/$same" "$EXP/$name"
	done
	for pair in "${OLD_NAMES[@]}"; do
		read -r name same <<<"$pair"
		t_check "provctl cat: old prefix/postfix $(short "$name") gets $same" \
			same_bytes "$EXP/$same" <("$PROVCTL" cat "$INV" "$name")
	done
}

# The rendered bytes (SPEC §2, Grandstream; formats/grandstream.md §1.2, §4.2).
test_content() {
	local enc=cfg000b82123456.xml n
	# Encryption: only ...56 has an XML password.
	t_check "$enc is encrypted (Salted__)" contains "$EXP/$enc" Salted__
	t_check "openssl decrypts $enc" decrypt "$EXP/$enc" "$WORK/decrypted.xml"
	t_cmp "decrypted $enc equals provctl cat --plain" "$EXP/$enc.plain" "$WORK/decrypted.xml"
	t_cmp "cfg000b82123457.xml (no password) is served plain" \
		"$EXP/cfg000b82123457.xml.plain" "$EXP/cfg000b82123457.xml"
	t_cmp "cfgc074ad0a0b0c.xml (no password) is served plain" \
		"$EXP/cfgc074ad0a0b0c.xml.plain" "$EXP/cfgc074ad0a0b0c.xml"

	# Device files keep the phone on this tree: firmware path and the pairs it uses.
	n=$EXP/$enc.plain # group sales: config gs_/_cfg002; model firmware 1.0.11.3
	t_check "$enc: P234 = gs_ (config prefix of group sales)" has_param "$n" 234 gs_
	t_check "$enc: P235 = _cfg002 (config postfix of group sales)" has_param "$n" 235 _cfg002
	t_check "$enc: P192 = 127.0.0.1/prov" has_param "$n" 192 127.0.0.1/prov
	t_check "$enc: P232 = gs_ (firmware prefix of model GXP2170)" has_param "$n" 232 gs_
	t_check "$enc: P233 = _1.0.11.3 (firmware postfix of model GXP2170)" has_param "$n" 233 _1.0.11.3
	n=$EXP/cfg000b82123457.xml.plain # group wave2 overrides the model's firmware
	t_check "cfg000b82123457.xml: P192 = 127.0.0.1/prov" has_param "$n" 192 127.0.0.1/prov
	t_check "cfg000b82123457.xml: P232 = gs_ (group wave2)" has_param "$n" 232 gs_
	t_check "cfg000b82123457.xml: P233 = _1.0.11.5 (group wave2 overrides the model)" \
		has_param "$n" 233 _1.0.11.5
	n=$EXP/cfgc074ad0a0b0c.xml.plain # own postfix .cfg3 only; model firmware without prefix
	t_check "cfgc074ad0a0b0c.xml: P234 empty (no config prefix)" has_param "$n" 234 ''
	t_check "cfgc074ad0a0b0c.xml: P235 = .cfg3 (its own config postfix)" has_param "$n" 235 .cfg3
	t_check "cfgc074ad0a0b0c.xml: P192 = 127.0.0.1/prov" has_param "$n" 192 127.0.0.1/prov
	t_check "cfgc074ad0a0b0c.xml: P232 empty (model GXP1625 has no firmware prefix)" \
		has_param "$n" 232 ''
	t_check "cfgc074ad0a0b0c.xml: P233 = _1.0.7.3" has_param "$n" 233 _1.0.7.3
	for n in cfg000b82123456.xml cfg000b82123457.xml cfgc074ad0a0b0c.xml; do
		t_check "xmllint accepts plain $n" xmllint --noout "$EXP/$n.plain"
	done

	# Generic files: read by unknown phones, so no MAC and no secret.
	for n in $(generic_listing | grep -v 'fw\.bin'); do
		t_check "generic $n is well-formed XML" xmllint --noout "$EXP/$n"
		t_check "generic $n has no <mac>" lacks "$EXP/$n" '<mac>'
		t_check "generic $n has no secret" no_secret_in "$EXP/$n"
	done
	t_check "cfggxp2170.xml: model language, P1362 = de" has_param "$EXP/cfggxp2170.xml" 1362 de
	t_check "cfggxp1625.xml: generic language, P1362 = en" has_param "$EXP/cfggxp1625.xml" 1362 en
	t_check "cfg.xml: generic language, P1362 = en" has_param "$EXP/cfg.xml" 1362 en

	# Legacy binary headers (formats/grandstream.md §1.2): compare bytes only, they are not text.
	t_eq "cfg000b82123456 is layout B: bytes 6-7 are ff 01" ff01 \
		"$(hex_at "$EXP/cfg000b82123456" 6 2)"
	t_eq "cfg000b82123457 is layout A: bytes 6-11 are its MAC" 000b82123457 \
		"$(hex_at "$EXP/cfg000b82123457" 6 6)"
	for n in cfg000b82123456 cfg000b82123457; do
		t_eq "$n: bytes 12-15 are CR LF CR LF" 0d0a0d0a "$(hex_at "$EXP/$n" 12 4)"
		t_check "$n: length field and checksum are right" binary_frame_ok "$EXP/$n"
	done
}

# Every name of provctl ls, read straight from the mount.
test_mount_reads() {
	local n
	while IFS= read -r n; do
		t_cmp "mount: $n identical to provctl cat" "$EXP/$n" "$MNT/$n"
		t_check "mount: stat size of $n equals bytes read" size_equals_bytes_read "$MNT/$n"
		t_eq "mount: $n mode is 0444" 444 "$(stat_field %a "$MNT/$n")"
	done <"$WORK/ls.txt"
	t_cmp "mount: $BIG is the real 32 MiB file" "$FW/1.0.11.3/gxp2170fw.bin" "$MNT/$BIG"
}

# listing=generic: no device MAC, but the generic and firmware names (SPEC §2).
test_listing() {
	local n
	t_check "ls of the mount works" to_file "$WORK/listing.txt" entries "$MNT"
	t_check "ls (listing=generic) shows no device MAC" lists_no_mac "$WORK/listing.txt"
	for n in cfg.xml cfggxp2170.xml cfggxp1625.xml "${FIRMWARE[@]%% *}"; do
		t_check "ls (listing=generic) shows $n" lists_name "$WORK/listing.txt" "$n"
	done
	t_check "ls (listing=generic) equals the expected names without the MAC names" \
		diff -- <(generic_listing) "$WORK/listing.txt"
}

# tftpd-hpa and nginx over the mount: what a phone gets is what provctl cat says.
test_servers() {
	local n
	while IFS= read -r n; do
		expect_fetch http "$n" "$EXP/$n" "$n identical to provctl cat"
		# TFTP's 16-bit block counter with 512-byte blocks cannot carry 32 MiB.
		[ "$n" = "$BIG" ] || expect_fetch tftp "$n" "$EXP/$n" "$n identical to provctl cat"
	done <"$WORK/ls.txt"
	# Firmware straight from the source file, not only equal to provctl cat.
	expect_fetch http "$BIG" "$FW/1.0.11.3/gxp2170fw.bin" "$BIG is the real 32 MiB file"
	expect_fetch tftp gs_gxp2170fw.bin_1.0.11.5 "$FW/1.0.11.5/gxp2170fw.bin" \
		"gs_gxp2170fw.bin_1.0.11.5 is the real 100 KiB file"
	expect_fetch tftp gxp1600fw.bin_1.0.7.3 "$FW/1.0.7.3/gxp1600fw.bin" \
		"gxp1600fw.bin_1.0.7.3 is the real 3000-byte file"
}

# A phone whose prefix/postfix changed still asks with the old ones: it gets the current file.
test_old_names() {
	local pair name cur label proto
	for pair in "${OLD_NAMES[@]}"; do
		read -r name cur <<<"$pair"
		label="old name $(short "$name") gets current $cur"
		t_cmp "mount: $label" "$EXP/$cur" "$MNT/$name"
		for proto in tftp http; do
			expect_fetch "$proto" "$name" "$EXP/$cur" "$label"
		done
	done
}

# Everything else is ENOENT, in every protocol's words, and provctl cat exits 1.
test_not_found() {
	local entry name why proto
	for entry in "${NOT_FOUND[@]}"; do
		name=${entry%% *} why=${entry#* }
		t_check_fails "mount: $(short "$name") ($why) is ENOENT" "No such file or directory" \
			stat -- "$MNT/$name"
		for proto in tftp http; do
			expect_not_found "$proto" "$name" "$(short "$name") ($why)"
		done
		t_check "provctl cat $(short "$name") ($why) exits 1" provctl_says_unknown "$name"
	done
	# A space: only nginx decodes %20; on the mount the name is taken literally.
	expect_not_found http gs%20cfg000b82123456.xml "gs%20cfg000b82123456.xml (space in the prefix)"
	t_check_fails "mount: 'gs cfg000b82123456.xml' (space in the prefix) is ENOENT" \
		"No such file or directory" stat -- "$MNT/gs cfg000b82123456.xml"
}

test_shutdown() {
	t_check "servers stop by PID" srv_stop_all
	t_check "fusermount3 -u; provfs exits" provfs_umount "$MNT"
	t_eq "provfs exit status after unmount" 0 "${PROVFS_RC:-none}"
}

if ! t_check "set up grandstream.yaml and its firmware tree (32 MiB, 100 KiB, 3000 B, unused 9.9.9)" \
	make_inventory; then
	t_summary
	exit 1
fi
test_provctl
test_same_bytes
test_content

if t_check "provfs mounts grandstream.yaml (listing=generic)" provfs_mount "$INV" "$MNT"; then
	test_mount_reads
	test_listing
	# After the mount: tftpd's chroot pins the directory it sees at start-up.
	if t_check "tftpd-hpa starts on the mount" srv_tftpd_start "$MNT" &&
		t_check "nginx starts on the mount" srv_nginx_start "$MNT"; then
		test_servers
		test_old_names
		test_not_found
	fi
	test_shutdown
fi
t_summary
