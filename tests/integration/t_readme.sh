#!/usr/bin/env bash
# t_readme.sh — README's "A first mount, step by step", run as written: every `sh` block between
# <!-- walkthrough:begin --> and <!-- walkthrough:end --> (but the one marked walkthrough:skip),
# line by line, against the real tftpd-hpa on a loopback port. Only what a test must change is
# substituted: build/ and contrib/ become this build and checkout, /srv/tftp, /srv/static,
# /var/lib/provfs and /tmp/cfg.xml paths below WORK, the TFTP port is added to `tftp 127.0.0.1`,
# and `systemctl restart|stop tftpd-hpa` start and stop our own in.tftpd. Then the walk-through
# must have done what the README says: `check` printed the line it quotes, the fetched file is
# what `provctl cat` says, and it decrypts to `provctl cat --plain`.
#
# It also checks the claims of README's "Troubleshooting": an unknown MAC is ENOENT on the
# mount and "File not found" over TFTP, the MAC matches in any case, findmnt shows allow_other,
# a mount without it is refused to tftpd (which runs as another user), the fetch appears in
# STATE/fetch.log in the documented shape, and openssl warns about the key derivation while
# -pbkdf2 cannot decrypt.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"
lib_require_bin "tftpd-hpa, tftp-hpa, openssl, fusermount3, findmnt" "$(command -v in.tftpd)" \
	"$(command -v tftp)" "$(command -v openssl)" "$(command -v fusermount3)" "$(command -v findmnt)"

README=$REPO_ROOT/README.md
SITE=$WORK/site # the directory the steps run in (the README's: the repository's top)
MNT=$WORK/tftp  # README: /srv/tftp
STATE=$WORK/state
mkdir -p "$SITE" "$MNT" # Debian's tftpd-hpa package makes /srv/tftp

# --- the steps, as the README writes them ----------------------------------------------------

# The sh blocks of the walk-through, one command a line, without the indentation of the list.
walkthrough_lines() {
	awk '
		/<!-- walkthrough:begin/ { on = 1; next }
		/<!-- walkthrough:end/ { on = 0 }
		!on { next }
		/<!-- walkthrough:skip/ { skip = 1; next }
		/^[ \t]*```sh[ \t]*$/ && !block { block = 1; run = !skip; skip = 0; next }
		/^[ \t]*```/ && block { block = 0; next }
		block && run { sub(/^[ \t]+/, ""); if ($0 != "") print }
	' "$README"
}

# The line with what a test must change, and only that. Variables stay unexpanded until the
# line runs (TFTP_PORT is known only once tftpd is up).
substitute() {
	local l=$1
	# shellcheck disable=SC2016 # the $ are for eval
	l=$(sed -E \
		-e 's#(^| )build/#\1$BUILD/#g' \
		-e 's#(^| )contrib/#\1$REPO_ROOT/contrib/#g' \
		-e 's#/srv/tftp#$MNT#g' \
		-e 's#/srv/static#$WORK/static#g' \
		-e 's#/var/lib/provfs#$STATE#g' \
		-e 's#/tmp/cfg\.xml#$WORK/cfg.xml#g' \
		-e 's#^tftp 127\.0\.0\.1 #tftp 127.0.0.1 $TFTP_PORT #' \
		-e 's#^systemctl (restart|stop) tftpd-hpa$#readme_tftpd_\1#' <<<"$l")
	printf '%s\n' "$l"
}

# systemctl restart|stop tftpd-hpa, for our own in.tftpd serving MNT (as Debian's: --secure,
# dropping to another user).
readme_tftpd_restart() {
	readme_tftpd_stop
	srv_tftpd_start "$MNT"
}
readme_tftpd_stop() {
	[ -z "${TFTPD_PID:-}" ] || lib_stop_pid "$TFTPD_PID"
	TFTPD_PID=
}

mapfile -t LINES < <(walkthrough_lines)
t_check "README's walk-through has its steps (${#LINES[@]} command lines)" test "${#LINES[@]}" -ge 10

# Nothing of the real system may be left in what runs.
no_system_path() {
	local l bad=0
	for l in "${CMDS[@]}"; do
		if [[ $l =~ (/srv/|/var/lib/|/tmp/|/etc/|systemctl|^mount ) ]]; then
			echo "left as written: $l"
			bad=1
		fi
	done
	return "$bad"
}
CMDS=()
for l in "${LINES[@]}"; do
	CMDS+=("$(substitute "$l")")
done
if ! t_check "every system path and service of the steps is substituted" no_system_path; then
	t_summary
	exit 1
fi

# run_line N — one line of the walk-through, in SITE, its output kept in WORK/out.N.
run_line() {
	(cd "$SITE" && eval "${CMDS[$1]}") >"$WORK/out.$1" 2>"$WORK/err.$1" {_LIB_OUT}>&- {_LIB_ERR}>&- || {
		cat "$WORK/out.$1" "$WORK/err.$1"
		return 1
	}
	# tftpd's start sets TFTP_PORT in this shell, not in the subshell above
}

# --- the Troubleshooting claims, checked while the walk-through's mount is served -----------

troubleshooting() {
	local enc=cfg000b82123456.xml
	t_check "troubleshooting: an unknown MAC is ENOENT on the mount" enoent "$MNT/cfg000b82ffffff.xml"
	t_eq "troubleshooting: and 'File not found' (TFTP error 1) through tftpd-hpa" 1 \
		"$(fetch_tftp cfg000b82ffffff.xml "$WORK/unknown")"
	t_eq "troubleshooting: the MAC part matches in upper case" ok "$(fetch_tftp cfg000B82123456.xml "$WORK/upper")"
	t_cmp "troubleshooting: upper case gets the same bytes" "$WORK/cfg.xml" "$WORK/upper"
	t_check "troubleshooting: findmnt shows allow_other" \
		grep -qw allow_other <(findmnt -no OPTIONS "$MNT")
	# fetch.log: "TIME MAC NAME GENERATION BYTES SIZE complete|partial|cached", flushed within a second
	local size
	size=$(stat -c %s "$WORK/expected.enc")
	t_check "troubleshooting: the fetch is in STATE/fetch.log as documented" \
		lib_poll 5 grep -qE "^[0-9]+ 000B82123456 $enc 1 [0-9]+ $size (complete|partial|cached)\$" "$STATE/fetch.log"
	t_check "troubleshooting: openssl enc -d warns about the key derivation" \
		grep -qF "deprecated key derivation used" "$WORK/err.$OPENSSL_LINE"
	t_check_fails "troubleshooting: with -pbkdf2 the file does not decrypt" "" \
		openssl enc -d -aes-256-cbc -md md5 -pbkdf2 -k 'Secr3t!' -in "$WORK/cfg.xml" -out "$WORK/pbkdf2"
}

# --- run it ----------------------------------------------------------------------------------

OPENSSL_LINE=
CHECK_LINE=
for i in "${!CMDS[@]}"; do
	case ${LINES[$i]} in
	"systemctl stop tftpd-hpa")
		# Before the README stops the server: what a server in front of the mount shows.
		"$PROVCTL" cat "$SITE/inventory.yaml" cfg000b82123456.xml >"$WORK/expected.enc"
		troubleshooting
		;;
	esac
	if [[ ${LINES[$i]} == systemctl\ restart\ tftpd-hpa ]]; then
		# in this shell: it sets TFTP_PORT and TFTPD_PID
		t_check "step: ${LINES[$i]}" readme_tftpd_restart
		continue
	fi
	if [[ ${LINES[$i]} == systemctl\ stop\ tftpd-hpa ]]; then
		t_check "step: ${LINES[$i]}" readme_tftpd_stop
		continue
	fi
	t_check "step: ${LINES[$i]}" run_line "$i"
	case ${LINES[$i]} in
	*"provctl check "*) CHECK_LINE=$i ;;
	*"openssl enc -d"*) OPENSSL_LINE=$i ;;
	*"provfs inventory.yaml "*)
		# the daemon detached: let the cleanup find it if a later step fails
		provfs_track_mount "$MNT" "$(provfs_pids_for "$(realpath -m "$MNT")" 2>/dev/null)"
		;;
	esac
done

# --- what the README says the steps did --------------------------------------------------------

# "A clean inventory says `...`": the line the README quotes, and what check printed.
# shellcheck disable=SC2016 # backquotes of markdown, not of the shell
CLAIM=$(grep -oE 'A clean inventory says `[^`]+`' "$README" | sed -E 's/.*`([^`]+)`/\1/')
t_eq "step 2: provctl check prints what the README quotes" "$CLAIM" "$(cat "$WORK/out.${CHECK_LINE:-x}" 2>/dev/null)"

# "a mistake (`modle:` for the first device's `model:`) looks like this:" and the text block after
# it: what check says about that very mistake.
awk '/<!-- walkthrough:begin/ { on = 1 } on && /a mistake/ { m = 1 }
	m && /^[ \t]*```text/ { b = 1; next } b && /^[ \t]*```/ { exit }
	b { sub(/^[ \t]+/, ""); print }' "$README" >"$WORK/mistake.claimed"
mkdir -p "$WORK/mistake"
sed '0,/^    model: GXP2170$/s//    modle: GXP2170/' "$SITE/inventory.yaml" >"$WORK/mistake/inventory.yaml"
(cd "$WORK/mistake" && "$PROVCTL" check inventory.yaml >"$WORK/mistake.actual" 2>&1)
t_check "step 2: the mistake was made (modle)" grep -q "modle: GXP2170" "$WORK/mistake/inventory.yaml"
t_cmp "step 2: provctl check says about it what the README shows" "$WORK/mistake.claimed" "$WORK/mistake.actual"

"$PROVCTL" cat "$SITE/inventory.yaml" cfg000b82123456.xml --plain >"$WORK/expected.plain"
t_cmp "step 5: the fetched file is what provctl cat says" "$WORK/expected.enc" "$WORK/cfg.xml"
t_cmp "step 5: openssl decrypts it to provctl cat --plain" "$WORK/expected.plain" "$WORK/out.${OPENSSL_LINE:-x}"
t_check "step 3: export wrote the tree" test -s "$WORK/static/cfg000b82123456.xml"
not_mounted() { ! lib_is_mounted "$(realpath -m "$1")"; }
no_allow_other() { ! findmnt -no OPTIONS "$1" | grep -qw allow_other; }
t_check "step 6: the mount is gone" not_mounted "$MNT"
provfs_umount "$MNT" >/dev/null 2>&1 # nothing to do when step 6 worked; stops it otherwise

# Troubleshooting, "Permission denied": the same mount without allow_other, behind tftpd-hpa.
MNT2=$WORK/tftp-no-allow-other
mkdir -p "$MNT2"
lib_spawn "$WORK/provfs2.log" "$PROVFS" "$SITE/inventory.yaml" "$MNT2" -f -o "state=$WORK/state2"
provfs_track_mount "$MNT2" "$SPAWN_PID"
if t_check "troubleshooting: a mount without allow_other" lib_poll 10 lib_is_mounted "$(realpath -m "$MNT2")"; then
	t_check "troubleshooting: findmnt shows no allow_other there" no_allow_other "$MNT2"
	srv_tftpd_start "$MNT2"
	fetch_tftp cfg000b82123456.xml "$WORK/denied" >/dev/null
	t_eq "troubleshooting: tftpd-hpa says what the README quotes" \
		"Error code 0: Permission denied" "$FETCH_ERR"
	lib_stop_pid "$TFTPD_PID"
	provfs_umount "$MNT2" >/dev/null 2>&1
fi

t_summary
