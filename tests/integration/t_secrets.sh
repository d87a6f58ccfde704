#!/usr/bin/env bash
# t_secrets.sh — secrets outside the inventory and enrolment windows (issue 13, point 7), on a
# real mount: a password read from the `secrets:` file is served and never logged; a secrets
# file open to other users is refused at the reference's FILE:LINE:COL while the last good
# generation serves on; an edit of the secrets file alone reloads; and an `enroll_until` a few
# seconds ahead ends, without any edit, the serving of a plain Grandstream file that carries a
# password and of a Cisco key carrier (ENOENT, also through a descriptor opened before), while
# the encrypted files stay served.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"
lib_require_bin "openssl" "$(command -v openssl)"

D=$WORK/inv
MNT=$WORK/mnt
INV=$D/inventory.yaml
SEC=$D/secrets.yaml
PLAIN=cfg000b82000002.xml   # a Grandstream device without an XML password
ENC=cfg000b82000001.xml     # a Grandstream device with one (from the secrets file)
CARRIER=000e08aabbc2.xml    # a Cisco SPA112 with encrypt: true: its key carrier
CS_ENC=000e08aabbc2.cfg     # ... and its encrypted profile
PW1='Fr0m-File-Alice-1'
PW2='Fr0m-File-Bob-2'
PW2B='Fr0m-File-Bob-2-edited'
XPW='Xml-Fr0m-File'
mkdir -p "$D"

# inventory [ENROLL_UNTIL] — the inventory; with a time, both bootstrap devices get a window.
inventory() {
	local w=${1:+, enroll_until: \"$1\"}
	cat >"$INV" <<-YAML
		version: 1
		server: {url: http://prov.example.com/prov}
		secrets: secrets.yaml
		models:
		  GXP2170: {vendor: grandstream, max_lines: 2}
		  SPA112: {vendor: cisco, max_lines: 2, encrypt: true}
		devices:
		  000b82000001: {model: GXP2170, xml_password: {secret: xml}$w,
		                 lines: [{user: "1001", password: {secret: alice}}]}
		  000b82000002: {model: GXP2170$w, lines: [{user: "1002", password: {secret: bob}}]}
		  000e08aabbc2: {model: SPA112$w, lines: [{user: "1003", password: {secret: alice}}]}
	YAML
}

# secrets BOB_PASSWORD — the secrets file, written in place (its mode stays)
secrets() {
	printf 'alice: "%s"\nbob: "%s"\nxml: "%s"\n' "$PW1" "$1" "$XPW" >"$SEC"
}

serves() { grep -qF -- "$2" "$MNT/$1"; }
log_has() { grep -qF -- "$1" "$WORK/provfs.log"; }
# no_secret_in FILE... — none of the secrets in any FILE (the daemon's log, a command's output)
no_secret_in() {
	local f
	for f; do
		! grep -qF -e "$PW1" -e "$PW2" -e "$PW2B" -e "$XPW" -- "$f" || return 1
	done
}
enc_has() { # the encrypted Grandstream file opens with the XML password of the secrets file
	openssl enc -d -aes-256-cbc -md md5 -k "$XPW" -in "$MNT/$ENC" 2>/dev/null | grep -qF -- "$PW1"
}
reloads() { grep -c 'reloaded .*: generation' "$WORK/provfs.log"; }
reloaded_since() { test "$(reloads)" -gt "$1"; }

inventory
secrets "$PW2"
chmod 0600 "$SEC"

# ---- a secret from the file, served and never logged ----
t_check "provctl check accepts the inventory with its secrets file" "$PROVCTL" check "$INV"
t_check "provfs mounts it" provfs_mount "$INV" "$MNT" || {
	t_summary
	exit 1
}
t_check "the plain file carries bob's password from the secrets file" serves "$PLAIN" "$PW2"
t_check "the encrypted file opens with the XML password from the secrets file" enc_has

# ---- a secrets file open to other users: refused where it is named, last good kept ----
before=$(reloads)
chmod 0644 "$SEC" # IN_ATTRIB: the watch sees a chmod too
t_check "mode 0644: the reload fails at the secrets: value (inventory.yaml:3:10)" \
	lib_poll 3 log_has "$INV:3:10: secrets file $SEC is open to other users (mode 0644)"
t_check "the log says the last good generation stays" lib_poll 1 log_has "failed: still serving"
t_check "mode 0644: bob's password is still served (the last good generation)" \
	serves "$PLAIN" "$PW2"
t_check_fails "provctl check refuses it, naming the reference" "inventory.yaml:3:10:" \
	"$PROVCTL" check "$INV"
t_eq "no reload went through" "$before" "$(reloads)"

# ---- an edit of the secrets file alone reloads ----
chmod 0600 "$SEC"
t_check "mode 0600 again: reloaded" lib_poll 3 reloaded_since "$before"
secrets "$PW2B"
t_check "an edit of the secrets file is served within 2 s" lib_poll 2 serves "$PLAIN" "$PW2B"

# ---- an enrolment window ends without an edit ----
t_check "before any window: the Cisco key carrier is served" test -s "$MNT/$CARRIER"
end=$(($(date +%s) + 6))
before=$(reloads)
inventory "$(date -u -d "@$end" +%Y-%m-%dT%H:%M:%SZ)"
t_check "enroll_until $((end - $(date +%s))) s ahead: reloaded" lib_poll 3 reloaded_since "$before"
if [ "$(date +%s)" -lt "$end" ]; then
	t_check "inside the window: the plain file with a password is served" serves "$PLAIN" "$PW2B"
	t_check "inside the window: the key carrier is served" test -s "$MNT/$CARRIER"
	exec 3<"$MNT/$PLAIN" # a descriptor kept across the end, as a server's cache would
else
	t_fail "the reload took longer than the window: nothing checked inside it"
	exec 3</dev/null
fi
t_check "the window ends: the plain file is not found (polled 10 s)" \
	lib_poll 10 test ! -e "$MNT/$PLAIN"
t_check "not before the window's end" test "$(date +%s)" -ge "$end"
t_check "and at most 3 s after it (no kernel cache holds the name longer)" \
	test "$(date +%s)" -le $((end + 3))
t_check_fails "cat of the plain file: No such file" "No such file" cat "$MNT/$PLAIN"
t_check_fails "a descriptor opened inside the window reads nothing after it" "" \
	head -c 1 <&3
exec 3<&-
t_check "the key carrier is not found either" test ! -e "$MNT/$CARRIER"
t_check "the encrypted Grandstream file is still served" enc_has
t_check "the encrypted Cisco profile is still served" test -s "$MNT/$CS_ENC"
t_check "no reload was needed (the generation is the one of the edit)" \
	test "$(reloads)" -eq $((before + 1))
t_check_fails "provctl cat says when the window closed" \
	"not served: the enrolment window of 000b82000002 closed at" "$PROVCTL" cat "$INV" "$PLAIN"
_lib_run "$WORK/status.out" "$PROVCTL" status "$INV" -s "$WORK/state"
t_check "provctl status says the window closed" \
	grep -qF "enrolment window closed at $(date -u -d "@$end" +%Y-%m-%dT%H:%M:%SZ)" "$WORK/status.out"
# the same in --json: the window's end and whether it closed, a device without one null/false
"$PROVCTL" status "$INV" -s "$WORK/state" --json >"$WORK/status.json" 2>&1
t_check "provctl status --json is valid JSON" python3 -m json.tool "$WORK/status.json"
json_window() { # MAC — "UNTIL CLOSED" of that device
	python3 -c 'import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    if d["mac"].lower() == sys.argv[2].lower():
        print(d["enroll_until"], str(d["enroll_closed"]).lower())' "$WORK/status.json" "$1"
}
t_eq "provctl status --json: the window of 000b82000002 closed" \
	"$(date -u -d "@$end" +%Y-%m-%dT%H:%M:%SZ) true" "$(json_window 000b82000002)"

# ---- never a secret in the log or a message ----
"$PROVCTL" ls "$INV" >"$WORK/ls.out" 2>&1
"$PROVCTL" check "$INV" >"$WORK/check.out" 2>&1
t_check "provctl status, ls and check show no secret" \
	no_secret_in "$WORK/status.out" "$WORK/ls.out" "$WORK/check.out"

t_check "unmount" provfs_umount "$MNT"
t_check "the daemon's log holds no secret" no_secret_in "$WORK/provfs.log"

# ---- provctl check warns about a secret written inline in a git work tree ----
G=$WORK/repo
mkdir -p "$G"
git -C "$G" init -q
inventory # no window: line 10 is bob's device, its password at column 67
sed -e 's/password: {secret: bob}/password: "Inl1ne-S3cret"/' "$INV" >"$G/inventory.yaml"
cp -p -- "$SEC" "$G/secrets.yaml"
_lib_run "$WORK/nogit.out" "$PROVCTL" check "$INV"
lacks() { ! grep -qF -- "$1" "$2"; }
t_check "check outside git, no inline secret: no warning" lacks warning "$WORK/nogit.out"
t_check "check in a git work tree: status 0" "$PROVCTL" check "$G/inventory.yaml"
_lib_run "$WORK/git.out" "$PROVCTL" check "$G/inventory.yaml"
t_check "... and a warning at the inline password (10:67)" grep -qF \
	"$G/inventory.yaml:10:67: warning: 1 secret written inline in an inventory inside the git work tree $G" \
	"$WORK/git.out"
t_check "the warning quotes no secret" lacks Inl1ne "$WORK/git.out"

# ---- a secrets file first named by a failed reload: fixing it (the chmod asked for) reloads --
F=$WORK/first
mkdir -p "$F"
first_inv() { # first_inv PASSWORD_VALUE [SECRETS_LINE]
	cat >"$F/inventory.yaml" <<-YAML
		version: 1
		server: {url: http://prov.example.com/prov}
		${2:-}
		models: {GXP2170: {vendor: grandstream, max_lines: 2}}
		devices: {000b82000002: {model: GXP2170, lines: [{user: "1002", password: $1}]}}
	YAML
}
first_inv '"Inl1ne-First"'
fserves() { grep -qF -- "$1" "$WORK/mnt-first/$PLAIN"; }
t_check "a mount of an inventory without a secrets file" \
	provfs_mount "$F/inventory.yaml" "$WORK/mnt-first"
before=$(reloads)
printf 'a: "%s"\n' "$PW1" >"$F/secrets.yaml"
chmod 0644 "$F/secrets.yaml"
first_inv '{secret: a}' 'secrets: secrets.yaml'
t_check "secrets: added with a file of mode 0644: the reload fails" \
	lib_poll 3 log_has "secrets file $F/secrets.yaml is open to other users (mode 0644)"
t_check "the last good generation serves on" fserves Inl1ne-First
chmod 0600 "$F/secrets.yaml"
t_check "chmod 0600 of the file the failed reload named: reloaded" \
	lib_poll 3 reloaded_since "$before"
t_check "... and its password is served" lib_poll 2 fserves "$PW1"
provfs_umount "$WORK/mnt-first" >/dev/null 2>&1

# ---- root:GROUP 0640 (as /etc/shadow): root's provctl and a run_as daemon both read it ----
RA_USER=pfsec$$
R=$WORK/ra
if t_check "a test user $RA_USER" lib_test_user "$RA_USER"; then
	mkdir -p "$R"
	cp -- "$INV" "$SEC" "$R/"
	chown -R "root:$RA_USER" "$R"
	chmod 0750 "$R"
	chmod 0640 "$R/inventory.yaml" "$R/secrets.yaml"
	t_check "root's provctl check reads a root:$RA_USER 0640 secrets file" \
		"$PROVCTL" check "$R/inventory.yaml"
	PROVFS_STATE=$WORK/state-ra t_check "a run_as=$RA_USER daemon mounts with it" \
		provfs_mount "$R/inventory.yaml" "$WORK/mnt-ra" "run_as=$RA_USER"
	t_check "... and serves bob's password from it" grep -qF -- "$PW2B" "$WORK/mnt-ra/$PLAIN"
	provfs_umount "$WORK/mnt-ra" >/dev/null 2>&1
	chmod 0660 "$R/secrets.yaml"
	t_check_fails "group write (0660) is still refused" "is open to other users (mode 0660)" \
		"$PROVCTL" check "$R/inventory.yaml"
fi
t_summary
