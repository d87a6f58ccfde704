#!/usr/bin/env bash
# t_derived.sh — keys derived from a site secret (issue 14, point 1; state/derive.h): two provfs
# mounts of one inventory, each with its own state directory and the same key_secret=FILE, are
# two replicas behind one name. A phone may read its plain key file from one and its encrypted
# files from the other, so:
# - every file is byte-identical on both (cmp), plain key files and .enc files included, for
#   Panasonic (tests/data/panasonic.yaml), a Yealink and two Cisco devices (as t_yealink.sh and
#   t_cisco.sh have them) and a Grandstream one (XML password and binary: no per-device key);
# - the key is the HKDF-SHA256 that derive.h documents, computed here with `openssl kdf` from
#   the secret file (not from provfs), and it opens the .enc files (openssl enc -d, as
#   t_panasonic.sh, t_yealink.sh and t_cisco.sh do);
# - `provctl rekey -k` on both moves both to the same key of the next epoch;
# - a random key (provfs-key 1) made before key_secret was added keeps its key and its file;
#   once a state directory holds derived keys, no random key is made there (provctl without -k,
#   a mount without key_secret): it would differ from the key every replica derives;
# - a key derived under another secret fails (EIO), reported once, naming the device and the
#   secret file, never a key;
# - a bad secret file (mode 0644, a FIFO, empty, short, missing) refuses the mount in one line
#   naming the path and not the content, and provctl -k refuses it too; with run_as the daemon
#   reads the file as that user;
# - no secret and no key in the daemons' log.

# shellcheck disable=SC2016 # in sh -c '...', $1.. are the inner shell's arguments
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/inv # a directory inventory: panasonic.yaml as it is, and the other vendors' devices
A=$WORK/a
B=$WORK/b
SECRET=$WORK/site.key
LOG=$WORK/provfs.log # provfs_mount's daemons write here (foreground)
PA=0080F0C8C383      # KX-UTG300, encrypt: true, key_length: 256
YL=001565a1b2c4      # T46S, encrypted, space padding
CS=000e08aabbc2      # SPA112, encrypted, md5
CS2=000e08aabbc3     # CP-8841-3PCC, encrypted, sha256
GS=000b82123456      # GXP2170, XML password, binary full
PA_ENC=("Config$PA.enc" "ConfigKX-UTG300-$PA.enc" "ConfigCom-$PA.enc")
KEYS=() # every key seen, for the leak check

mkdir -p "$INV"
cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$INV/10-panasonic.yaml"
cat >"$INV/20-others.yaml" <<'EOF'
models:
  T46S: {vendor: yealink, max_lines: 16, encrypt: true}
  SPA112: {vendor: cisco, max_lines: 2, encrypt: true}
  CP-8841-3PCC: {vendor: cisco, max_lines: 10, encrypt: true, digest: sha256}
  GXP2170: {vendor: grandstream, max_lines: 6}
devices:
  001565a1b2c4: {model: T46S, lines: [{user: "1002", password: PW-SECRET-2}]}
  000e08aabbc2: {model: SPA112, lines: [{user: "1002", password: PW-SECRET-2}]}
  000e08aabbc3: {model: CP-8841-3PCC, lines: [{user: "1003", password: PW-SECRET-3}]}
  000b82123456: {model: GXP2170, xml_password: "Secr3t!", binary: full, lines: [{user: "1001", password: PW-SECRET-1}]}
EOF

# The secret: 44 printable characters (so that a leak is found by grep), mode 0600.
(umask 077 && head -c 33 /dev/urandom | base64 -w0 >"$SECRET")
SECRET_TEXT=$(cat "$SECRET")

hex() { printf %s "$1" | xxd -p | tr -d '\n'; }

# kdf SECRET_FILE VENDOR MAC EPOCH — the key derive.h specifies, by OpenSSL's command line:
# HKDF-SHA256, IKM the file's bytes, salt "provfs per-device key v1", info VENDOR NUL MAC NUL
# EPOCH, 16 bytes as lower-case hex.
kdf() {
	openssl kdf -keylen 16 -kdfopt digest:SHA256 -kdfopt "hexkey:$(xxd -p "$1" | tr -d '\n')" \
		-kdfopt "hexsalt:$(hex 'provfs per-device key v1')" \
		-kdfopt "hexinfo:$(printf '%s\0%s\0%s' "$2" "$3" "$4" | xxd -p | tr -d '\n')" HKDF |
		tr -d ':\n' | tr 'A-F' 'a-f'
}

pa_key() { sed -n 's|.*<CFG_FILE_KEY>\([^<]*\)</CFG_FILE_KEY>.*|\1|p' "$1"; }
yl_key() { sed -n 's/^static\.auto_provision\.aes_key\.mac = \(.*\)$/\1/p' "$1"; }
cs_key() { sed -n 's|.*<GPP_SA ua="na">\([^<]*\)</GPP_SA>.*|\1|p' "$1"; }

# both NAME — reads NAME from A, then from B (as a phone would, whole), into got.a/ and got.b/.
mkdir -p "$WORK/got.a" "$WORK/got.b"
both() {
	cat -- "$A/$1" >"$WORK/got.a/$1" && cat -- "$B/$1" >"$WORK/got.b/$1"
}
# same NAME WHAT — both, then cmp.
same() {
	if t_check "$2: $1 read from both replicas" both "$1"; then
		t_cmp "$2: $1 is byte-identical on both" "$WORK/got.a/$1" "$WORK/got.b/$1"
	fi
}

mount_ab() { # mount_ab — both replicas, each with its own state directory
	PROVFS_STATE=$WORK/state.a t_check "replica A mounts with key_secret" \
		provfs_mount "$INV" "$A" "listing=all,key_secret=$SECRET" &&
		PROVFS_STATE=$WORK/state.b t_check "replica B mounts with key_secret" \
			provfs_mount "$INV" "$B" "listing=all,key_secret=$SECRET"
}

if ! mount_ab; then
	t_summary
	exit 1
fi

# --- Panasonic: the plain key file, its key, and the three .enc files -------------------------
same "Config$PA.cfg" "panasonic"
pk=$(pa_key "$WORK/got.a/Config$PA.cfg")
KEYS+=("$pk")
want=$(kdf "$SECRET" panasonic "$PA" 1)
t_eq "panasonic: CFG_FILE_KEY is the HKDF of the secret, vendor, MAC, epoch 1 (openssl kdf)" \
	"$want" "$pk"
"$PROVCTL" cat "$INV" "Config$PA.enc" --plain -s "$WORK/state.a" -k "$SECRET" >"$WORK/pa.plain" 2>&1
for n in "${PA_ENC[@]}"; do
	same "$n" "panasonic"
	openssl enc -d -aes-256-cbc -a -md md5 -pass "pass:$pk" -in "$WORK/got.b/$n" \
		-out "$WORK/$n.dec" 2>/dev/null
	t_check "panasonic: $n from B opens with the key from A's plain file" test -s "$WORK/$n.dec"
done
t_cmp "panasonic: the standard layer decrypted is provctl cat --plain's" \
	"$WORK/pa.plain" "$WORK/Config$PA.enc.dec"
t_check "panasonic: ... and holds the line's password" grep -qF pw1003 "$WORK/Config$PA.enc.dec"
t_check "panasonic: the plain key file is gone on A once delivered" lib_poll 2 test ! -e "$A/Config$PA.cfg"
t_check "panasonic: ... and on B" lib_poll 2 test ! -e "$B/Config$PA.cfg"

# --- Yealink: round 1 plain with the key, round 2 AES-128-ECB under it ------------------------
same "$YL.cfg" "yealink round 1"
yk=$(yl_key "$WORK/got.a/$YL.cfg")
KEYS+=("$yk")
t_check "yealink: round 1 carries a 16-character key" test "${#yk}" -eq 16
cp -- "$WORK/got.a/$YL.cfg" "$WORK/yl.round1"
same "$YL.cfg" "yealink round 2"
t_check_fails "yealink: round 2 is not the plain file" "" cmp -s "$WORK/yl.round1" "$WORK/got.a/$YL.cfg"
"$PROVCTL" cat "$INV" "$YL.cfg" --plain -s "$WORK/state.a" -k "$SECRET" >"$WORK/yl.plain" 2>&1
openssl enc -d -aes-128-ecb -nopad -K "$(hex "$yk")" -in "$WORK/got.b/$YL.cfg" \
	-out "$WORK/yl.dec" 2>/dev/null
t_check "yealink: round 2 from B opens with the key from A, to the full text" \
	cmp -n "$(_lib_size "$WORK/yl.plain")" "$WORK/yl.dec" "$WORK/yl.plain"
t_check "yealink: ... with the password" grep -qF PW-SECRET-2 "$WORK/yl.dec"

# --- Cisco: <mac>.xml with GPP_SA, then <mac>.cfg (openssl enc) -------------------------------
for c in "$CS md5" "$CS2 sha256"; do
	read -r mac md <<<"$c"
	same "$mac.xml" "cisco $mac"
	ck=$(cs_key "$WORK/got.a/$mac.xml")
	KEYS+=("$ck")
	t_eq "cisco $mac: GPP_SA is the HKDF of the secret, vendor, MAC, epoch 1 (openssl kdf)" \
		"$(kdf "$SECRET" cisco "${mac^^}" 1)" "$ck"
	same "$mac.cfg" "cisco $mac"
	"$PROVCTL" cat "$INV" "$mac.cfg" --plain -s "$WORK/state.a" -k "$SECRET" >"$WORK/$mac.plain" 2>&1
	openssl enc -d -aes-256-cbc -md "$md" -k "$ck" -in "$WORK/got.b/$mac.cfg" \
		-out "$WORK/$mac.dec" 2>/dev/null
	t_cmp "cisco $mac: <mac>.cfg from B opens with A's GPP_SA (-md $md), to the profile" \
		"$WORK/$mac.plain" "$WORK/$mac.dec"
done

# --- Grandstream and everything else: every name of the tree, the same on both ---------------
same "cfg$GS.xml" "grandstream"
same "cfg$GS" "grandstream"
all_same() { # every name provctl ls gives: missing on both, or identical
	local n bad=""
	while read -r n; do
		if [ -e "$A/$n" ] || [ -e "$B/$n" ]; then
			both "$n" && cmp -s "$WORK/got.a/$n" "$WORK/got.b/$n" || bad="$bad $n"
		fi
	done < <("$PROVCTL" ls "$INV")
	[ -z "$bad" ] || {
		echo "differ:$bad"
		return 1
	}
}
t_check "every file of the tree is the same on both replicas" all_same

# --- rekey -k on both: the same key of epoch 2 ------------------------------------------------
for r in a b; do
	t_check "provctl rekey -k on replica ${r^^}: derived, epoch 2" \
		sh -c '"$1" rekey "$2" "$3" -s "$4" -k "$5" | grep -q "derived from the site secret, epoch 2"' \
		_ "$PROVCTL" "$INV" "$PA" "$WORK/state.$r" "$SECRET"
done
t_check "the plain key file is back on A (SIGHUP)" lib_poll 5 test -e "$A/Config$PA.cfg"
t_check "... and on B" lib_poll 5 test -e "$B/Config$PA.cfg"
same "Config$PA.cfg" "rekeyed"
pk2=$(pa_key "$WORK/got.a/Config$PA.cfg")
KEYS+=("$pk2")
t_eq "rekeyed: the key is epoch 2's (openssl kdf)" "$(kdf "$SECRET" panasonic "$PA" 2)" "$pk2"
t_check "rekeyed: another key than epoch 1's" test "$pk2" != "$pk"
for n in "${PA_ENC[@]}"; do
	same "$n" "rekeyed"
done
openssl enc -d -aes-256-cbc -a -md md5 -pass "pass:$pk2" -in "$WORK/got.b/Config$PA.enc" \
	-out "$WORK/rekeyed.dec" 2>/dev/null
t_cmp "rekeyed: B's .enc opens with the new key" "$WORK/pa.plain" "$WORK/rekeyed.dec"
t_check "state file: epoch 2, the fingerprint, no key" \
	sh -c 'grep -qx "epoch 2" "$1" && grep -q "^fingerprint [0-9a-f]\{16\}$" "$1" && ! grep -q "^key" "$1"' \
	_ "$WORK/state.a/key-$PA"
t_check "provctl status -k: derived, epoch 2" \
	sh -c '"$1" status "$2" "$3" -s "$4" -k "$5" | grep -q "derived, epoch 2"' \
	_ "$PROVCTL" "$INV" "$PA" "$WORK/state.a" "$SECRET"
provfs_umount "$B" >/dev/null 2>&1
# a key file derived for another vendor (the device's vendor changed in the inventory): the key
# stays that vendor's, and a replica without the file would derive another: status says rekey
cp -- "$WORK/state.b/key-$PA" "$WORK/pa.key"
sed -i -e 's/^vendor panasonic$/vendor yealink/' "$WORK/state.b/key-$PA"
t_check "provctl status -k: a key derived for another vendor than the inventory's asks for rekey" \
	sh -c '"$1" status "$2" "$3" -s "$4" -k "$5" | grep -qF "derived for vendor yealink, the inventory now says panasonic: run rekey"' \
	_ "$PROVCTL" "$INV" "$PA" "$WORK/state.b" "$SECRET"
t_check "provctl status -k --json: the key's vendor" \
	sh -c '"$1" status "$2" "$3" -s "$4" -k "$5" --json | grep -qF "\"epoch\": 2, \"vendor\": \"yealink\""' \
	_ "$PROVCTL" "$INV" "$PA" "$WORK/state.b" "$SECRET"
cp -- "$WORK/pa.key" "$WORK/state.b/key-$PA"

# --- another secret: the key derived under the first one is never derived under it -----------
OTHER=$WORK/other.key
(umask 077 && head -c 33 /dev/urandom | base64 -w0 >"$OTHER")
cp -- "$WORK/state.b/key-$PA" "$WORK/key.before"
PROVFS_STATE=$WORK/state.b t_check "replica B mounts with another key_secret" \
	provfs_mount "$INV" "$B" "listing=all,key_secret=$OTHER"
t_check_fails "another secret: the .enc file of a key derived under the first fails (EIO)" \
	"Input/output error" cat "$B/Config$PA.enc"
t_check_fails "another secret: ... every time" "Input/output error" cat "$B/Config$PA.enc"
t_check_fails "another secret: the plain key file too" "Input/output error" cat "$B/Config$PA.cfg"
t_eq "another secret: reported once, naming the device and the secret file" 1 \
	"$(grep -c "key of $PA: .*another site secret than key_secret=$OTHER" "$LOG")"
t_cmp "another secret: the key file is left as it was" "$WORK/key.before" "$WORK/state.b/key-$PA"
provfs_umount "$B" >/dev/null 2>&1

# --- migration: a random key made before key_secret keeps its key -----------------------------
C=$WORK/c
PROVFS_STATE=$WORK/state.c t_check "replica C mounts without key_secret" provfs_mount "$INV" "$C"
cat -- "$C/Config$PA.cfg" >"$WORK/c1.cfg"
rk=$(pa_key "$WORK/c1.cfg")
KEYS+=("$rk")
t_check "without key_secret: a random key, as before (provfs-key 1)" \
	sh -c 'head -1 "$1" | grep -qx "provfs-key 1" && grep -qx "key $2" "$1"' _ "$WORK/state.c/key-$PA" "$rk"
t_check "without key_secret: not the derived key" test "$rk" != "$pk"
provfs_umount "$C" >/dev/null 2>&1
cp -- "$WORK/state.c/key-$PA" "$WORK/c.before"
PROVFS_STATE=$WORK/state.c t_check "replica C mounts again, now with key_secret" \
	provfs_mount "$INV" "$C" "key_secret=$SECRET"
cat -- "$C/Config$PA.cfg" >"$WORK/c2.cfg"
t_eq "with key_secret: the random key is still served" "$rk" "$(pa_key "$WORK/c2.cfg")"
t_cmp "with key_secret: its key file is unchanged" "$WORK/c.before" "$WORK/state.c/key-$PA"
t_check "with key_secret: a new device gets a derived key there" \
	sh -c 'cat "$1" >/dev/null && grep -qx "provfs-key 2" "$2"' _ "$C/$YL.cfg" "$WORK/state.c/key-${YL^^}"
t_check "rekey -k moves the random key to a derived one (epoch 1)" \
	sh -c '"$1" rekey "$2" "$3" -s "$4" -k "$5" | grep -q "derived from the site secret, epoch 1"' \
	_ "$PROVCTL" "$INV" "$PA" "$WORK/state.c" "$SECRET"
t_check "... which C serves (SIGHUP)" \
	lib_poll 5 sh -c 'grep -qF "<CFG_FILE_KEY>$2</CFG_FILE_KEY>" "$1"' _ "$C/Config$PA.cfg" "$pk"
provfs_umount "$C" >/dev/null 2>&1
# the epoch is 32 bits (state/keys.c): a file at the last one (edited, damaged) has no next key
sed -e 's/^epoch 1$/epoch 4294967295/' "$WORK/state.c/key-$PA" >"$WORK/last.epoch"
cp -- "$WORK/state.c/key-$PA" "$WORK/epoch1.key" && cp -- "$WORK/last.epoch" "$WORK/state.c/key-$PA"
t_check_fails "rekey -k at the last epoch says so" "is at the last epoch (4294967295)" \
	"$PROVCTL" rekey "$INV" "$PA" -s "$WORK/state.c" -k "$SECRET"
t_cmp "... and leaves the file as it was" "$WORK/last.epoch" "$WORK/state.c/key-$PA"
cp -- "$WORK/epoch1.key" "$WORK/state.c/key-$PA"
t_check_fails "provctl rekey without -k refuses a derived key" "give -k FILE" \
	"$PROVCTL" rekey "$INV" "$PA" -s "$WORK/state.c"
# state.c now holds derived keys: a random key made there for a device without one (CS) would
# differ from the key the mount with key_secret, and every replica, derives for it.
t_check_fails "provctl cat without -k makes no random key beside derived ones" "-k FILE?" \
	"$PROVCTL" cat "$INV" "$CS.xml" -s "$WORK/state.c"
t_check_fails "provctl rekey without -k neither" "give -k FILE" \
	"$PROVCTL" rekey "$INV" "$CS" --factory-reset -s "$WORK/state.c"
PROVFS_STATE=$WORK/state.c t_check "replica C mounts without key_secret" provfs_mount "$INV" "$C"
t_check_fails "... and its mount neither (EIO)" "Input/output error" cat -- "$C/$CS.xml"
t_check_fails "... every time" "Input/output error" cat -- "$C/$CS.xml"
t_eq "... reported once, naming the device" 1 \
	"$(grep -c "key of ${CS^^}: the keys in $WORK/state.c are derived from a site secret and this mount has no key_secret=FILE" "$LOG")"
provfs_umount "$C" >/dev/null 2>&1
t_check "no key file was made for it" test ! -e "$WORK/state.c/key-${CS^^}"

# --- bad secret files: refused, naming the path, never the content -----------------------------
BAD=$WORK/bad
mkdir -p "$BAD" "$WORK/mnt.bad"
MARK="MARK-SECRET-BYTES-0123456789-abcdefghijklmnopq" # what a bad file holds: never printed
printf %s "$MARK" >"$BAD/open" && chmod 0644 "$BAD/open"
printf %s "$MARK" >"$BAD/group" && chmod 0640 "$BAD/group"
: >"$BAD/empty" && chmod 0600 "$BAD/empty"
printf %s "${MARK:0:31}" >"$BAD/short" && chmod 0600 "$BAD/short"
mkfifo -m 0600 "$BAD/fifo"
ln -s "$SECRET" "$BAD/link"

# refuse FILE — provfs (daemonizing, as mount(8) starts it) must exit non-zero without mounting;
# its output, which must name FILE and must not hold MARK, is in $WORK/refuse.out.
refuse() {
	local rc
	timeout 20 "$PROVFS" "$INV" "$WORK/mnt.bad" -o "state=$WORK/state.bad,key_secret=$1" \
		>"$WORK/refuse.out" 2>&1
	rc=$?
	cat "$WORK/refuse.out"
	if lib_is_mounted "$WORK/mnt.bad"; then
		provfs_track_mount "$WORK/mnt.bad"
		provfs_umount "$WORK/mnt.bad" >/dev/null 2>&1
		echo "mounted"
		return 0
	fi
	! grep -qF -- "$MARK" "$WORK/refuse.out" && ! grep -qF -- "${MARK:0:20}" "$WORK/refuse.out" &&
		[ "$(wc -l <"$WORK/refuse.out")" -eq 1 ] && return "$rc"
	echo "the message quotes the file or is not one line"
	return 0
}
t_check_fails "mode 0644 refuses the mount, naming the file" \
	"key_secret=$BAD/open: has mode 0644: it must be mode 0600 or 0400" refuse "$BAD/open"
t_check_fails "mode 0640 refuses the mount" "has mode 0640" refuse "$BAD/group"
t_check_fails "an empty file refuses the mount, saying how to make one" \
	"key_secret=$BAD/empty: is empty: a site secret is at least 32 bytes; make one with: head -c 32 /dev/urandom" \
	refuse "$BAD/empty"
t_check_fails "31 bytes refuse the mount" "key_secret=$BAD/short: holds 31 bytes" refuse "$BAD/short"
t_check_fails "a FIFO refuses the mount (without waiting on it)" \
	"key_secret=$BAD/fifo: is a FIFO, not a regular file" refuse "$BAD/fifo"
t_check_fails "a symlink refuses the mount" "key_secret=$BAD/link: is a symbolic link" refuse "$BAD/link"
t_check_fails "a missing file refuses the mount" "key_secret=$BAD/none: does not exist" \
	refuse "$BAD/none"
t_check_fails "provctl -k refuses a mode 0644 file the same way" \
	"provctl: -k $BAD/open: has mode 0644" "$PROVCTL" cat "$INV" "Config$PA.cfg" -s "$WORK/scratch" -k "$BAD/open"
t_check_fails "provctl: -k is not an option of ls" "-k is an option of cat, export, rekey and status" \
	"$PROVCTL" ls "$INV" -k "$SECRET"

# --- run_as: the daemon reads key_secret as that user, as it reads the inventory --------------
RA_USER=pfkey$$
if t_check "a test user $RA_USER" lib_test_user "$RA_USER"; then
	R=$WORK/ra
	mkdir -p "$R"
	cp -r -- "$INV" "$R/inv"
	cp -- "$SECRET" "$R/site.key"
	chown -R "root:$RA_USER" "$R"
	chmod -R g+rX "$R"
	chmod 0600 "$R/site.key" # root's: the user cannot read it
	t_check_fails "run_as: a root-owned 0600 key_secret is refused, saying whose it must be" \
		"run_as=$RA_USER reads key_secret as $RA_USER: make the file $RA_USER's own, mode 0600" \
		timeout 20 "$PROVFS" "$R/inv" "$WORK/mnt.bad" \
		-o "state=$WORK/state.ra,run_as=$RA_USER,key_secret=$R/site.key"
	chown "$RA_USER" "$R/site.key"
	PROVFS_STATE=$WORK/state.ra t_check "run_as: the user's own 0600 key_secret mounts" \
		provfs_mount "$R/inv" "$WORK/mnt.ra" "run_as=$RA_USER,key_secret=$R/site.key"
	t_check "run_as: it serves epoch 1's key (the same secret as A and B)" \
		grep -qF "<CFG_FILE_KEY>$pk</CFG_FILE_KEY>" "$WORK/mnt.ra/Config$PA.cfg"
	t_check "run_as: root's provctl -k reads the same file (the state directory's owner's)" \
		sh -c '"$1" status "$2" "$3" -s "$4" -k "$5" | grep -q "derived, epoch 1"' \
		_ "$PROVCTL" "$R/inv" "$PA" "$WORK/state.ra" "$R/site.key"
	provfs_umount "$WORK/mnt.ra" >/dev/null 2>&1
fi

# --- no secret and no key in any daemon's log --------------------------------------------------
provfs_umount "$A" >/dev/null 2>&1
leaks() {
	local k
	for k in "$SECRET_TEXT" "$(cat "$OTHER")" "$MARK" "${KEYS[@]}"; do
		[ -z "$k" ] || ! grep -qF -- "$k" "$LOG" || {
			echo "found in $LOG: a secret or key (${#k} characters)"
			return 1
		}
	done
}
t_check "the daemons' log holds no secret and no key" leaks
t_check "the keys checked are all there (${#KEYS[@]})" test "${#KEYS[@]}" -eq 6

t_summary
