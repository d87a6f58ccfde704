#!/usr/bin/env bash
# t_audit.sh — the audit (issue 5, point 2): every release of a device file logs one line
#     <ISO-8601 UTC> provfs: fetch NAME mac=MAC generation=N bytes=B size=S complete|partial
# (fs/audit.h) for fetches over tftpd-hpa and nginx and for reads on the mount, never a secret;
# files without a MAC are not audited; provctl status shows each device's last fetch of each
# file once the flusher appended it to STATE/fetch.log (and after a clean unmount, across a
# remount, past a damaged line, with the records of an older version's fetch-<MAC> file); an
# enumeration of 200 unknown MACs over TFTP gives exactly one warning with the count.
# (The default audit=cached mode and the servers' own logs: t_serverlog.sh.)
#
# Contract: SPEC.md §1 (provctl status: "per device: key state, last fetch of each file (time,
# bytes, complete or not)"), §4 ("Audit", "No secret leaks", "Bounded").

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

GS_INV=$WORK/grandstream.yaml # firmware_dir "firmware" is relative to it
PA_INV=$WORK/panasonic.yaml
FW=$WORK/firmware/grandstream
GS_MNT=$WORK/gs # served by tftpd-hpa and nginx
PA_MNT=$WORK/pa # read directly
GS_STATE=$WORK/state-gs
PA_STATE=$WORK/state-pa
LOG=$WORK/provfs.log # provfs_mount appends both daemons' stderr here
EXP=$WORK/expected
SWEEP=200 # unknown MACs asked for over TFTP

# Every password of both inventories: never in the log, provctl status or the fetch records.
SECRETS=('4dm1n' 'm0del' 'pw1001' 'pw1002' 'Secr3t!' 'd3f4ult' 'pw1003' 'pw&1004<x>' 'pw1005')

STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

# --- checks used with t_check -----------------------------------------------------------------

# fetch_line NAME MAC GEN BYTES SIZE WORD — the exact log line, as an ERE.
fetch_line() {
	local name=${1//./\\.}
	printf '^%s provfs: fetch %s mac=%s generation=%s bytes=%s size=%s %s$' \
		"$STAMP" "$name" "$2" "$3" "$4" "$5" "$6"
}

# status_has INV STATE MAC NAME BYTES SIZE WORD — provctl status MAC shows that fetch as provfs
# recorded it, at a UTC time within the last 10 minutes.
status_has() {
	local out when now line
	out=$("$PROVCTL" status "$1" "$3" -s "$2") || return 1
	printf '%s\n' "$out" >>"$WORK/status.all"
	line=$(grep -E -- "^    ${4//./\\.} +$STAMP  $5/$6 bytes  $7  \(provfs, generation [0-9]+\)\$" <<<"$out") || {
		printf '%s\n' "$out"
		return 1
	}
	when=$(grep -oE -- "$STAMP" <<<"$line")
	when=$(date -u -d "${when/T/ }" +%s) || return 1
	now=$(date -u +%s)
	if [ $((now - when)) -lt 0 ] || [ $((now - when)) -ge 600 ]; then
		echo "time $line is not recent"
		return 1
	fi
}

# status_shows ... — status_has, polled for 5 s (the flusher writes at most once a second).
status_shows() {
	lib_poll 5 status_has "$@" >/dev/null
	status_has "$@"
}

size_of() { stat -c %s -- "$1"; }

fetch_lines_well_formed() { # and there are some
	local bad
	grep -q 'provfs: fetch ' "$LOG" || return 1
	bad=$(grep 'provfs: fetch ' "$LOG" | grep -vE "^$STAMP provfs: fetch [A-Za-z0-9._-]+ mac=[0-9a-f]{12} generation=[0-9]+ bytes=[0-9]+ size=[0-9]+ (complete|partial|cached)\$")
	[ -z "$bad" ] || {
		printf '%s\n' "$bad"
		return 1
	}
}

# sweep — SWEEP TFTP requests for cfg<MAC>.xml of MACs no inventory has, 20 at a time.
# (wait for these clients only: a bare `wait` would wait for the servers too)
sweep() {
	local i name pids=()
	mkdir -p "$WORK/sweep"
	for ((i = 0; i < SWEEP; i++)); do
		name=$(printf 'cfg0a0000%06x.xml' "$i")
		timeout 20 tftp -m binary "$LIB_ADDR" "$TFTP_PORT" -c get "$name" "$WORK/sweep/$i" \
			>"$WORK/sweep/$i.out" 2>&1 &
		pids+=($!)
		if [ "${#pids[@]}" -eq 20 ]; then
			wait "${pids[@]}"
			pids=()
		fi
	done
	[ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}"
	# every answer was "not found"
	[ "$(grep -lF 'Error code 1: File not found' "$WORK/sweep"/*.out | wc -l)" -eq "$SWEEP" ]
}

read_part() { # read_part FILE — the first 20 bytes, as a phone that gives up would read them
	dd if="$1" of=/dev/null bs=20 count=1 status=none
}

# --- set-up --------------------------------------------------------------------------------

setup() {
	cp -- "$REPO_ROOT/tests/data/grandstream.yaml" "$GS_INV" &&
		cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$PA_INV" &&
		mkdir -p "$FW/1.0.11.3" "$FW/1.0.11.5" "$FW/1.0.7.3" "$EXP" &&
		head -c 5000 /dev/urandom >"$FW/1.0.11.3/gxp2170fw.bin" &&
		head -c 5000 /dev/urandom >"$FW/1.0.11.5/gxp2170fw.bin" &&
		head -c 3000 /dev/urandom >"$FW/1.0.7.3/gxp1600fw.bin" &&
		"$PROVCTL" cat "$GS_INV" cfg000b82123456.xml >"$EXP/cfg000b82123456.xml" &&
		"$PROVCTL" cat "$GS_INV" cfg000b82123456 >"$EXP/cfg000b82123456" &&
		"$PROVCTL" cat "$GS_INV" cfgc074ad0a0b0c.xml >"$EXP/cfgc074ad0a0b0c.xml" &&
		"$PROVCTL" cat "$GS_INV" cfg.xml >"$EXP/cfg.xml" &&
		"$PROVCTL" cat "$GS_INV" cfggxp2170.xml >"$EXP/cfggxp2170.xml"
}

# --- Grandstream over tftpd-hpa and nginx ----------------------------------------------------

grandstream() {
	local xml bin gen2 m=000b82123456
	xml=$(size_of "$EXP/cfg000b82123456.xml")
	bin=$(size_of "$EXP/cfg000b82123456")

	expect_fetch tftp cfg000b82123456.xml "$EXP/cfg000b82123456.xml"
	t_check "tftp: cfg000b82123456.xml logs one line: name, MAC, generation 1, $xml bytes, complete" \
		logged 1 "$(fetch_line cfg000b82123456.xml $m 1 "$xml" "$xml" complete)"
	# device files bypass the page cache at open: a second fetch is read, and logged, again
	expect_fetch http cfg000b82123456.xml "$EXP/cfg000b82123456.xml"
	t_check "http: the same file again logs one more complete line" \
		logged 2 "$(fetch_line cfg000b82123456.xml $m 1 "$xml" "$xml" complete)"
	# an alias wrapped in the device's prefix/postfix: the open sees the inode, logged by its
	# canonical name
	expect_fetch http gs_cfg000b82123456_cfg002 "$EXP/cfg000b82123456"
	t_check "http: gs_cfg000b82123456_cfg002 logs the canonical name cfg000b82123456, complete" \
		logged 1 "$(fetch_line cfg000b82123456 $m 1 "$bin" "$bin" complete)"
	t_check "provctl status shows the last fetch of cfg000b82123456.xml (UTC time, bytes, complete)" \
		status_shows "$GS_INV" "$GS_STATE" $m cfg000b82123456.xml "$xml" "$xml" complete
	t_check "provctl status shows the last fetch of cfg000b82123456" \
		status_shows "$GS_INV" "$GS_STATE" $m cfg000b82123456 "$bin" "$bin" complete

	# files without a MAC: served, not audited (checked in the log at the end)
	expect_fetch tftp cfg.xml "$EXP/cfg.xml"
	expect_fetch http cfggxp2170.xml "$EXP/cfggxp2170.xml"
	expect_fetch tftp gxp1600fw.bin_1.0.7.3 "$FW/1.0.7.3/gxp1600fw.bin"

	# a reload: new opens log the new generation
	kill -HUP "$PROVFS_PID"
	t_check "SIGHUP: generation 2" lib_poll 5 grep -qF "reloaded $GS_INV: generation 2" "$LOG"
	gen2=$(size_of "$EXP/cfgc074ad0a0b0c.xml")
	expect_fetch tftp cfgc074ad0a0b0c.xml "$EXP/cfgc074ad0a0b0c.xml"
	t_check "tftp: cfgc074ad0a0b0c.xml after the reload logs generation 2" \
		logged 1 "$(fetch_line cfgc074ad0a0b0c.xml c074ad0a0b0c 2 "$gen2" "$gen2" complete)"

	t_check "an enumeration: $SWEEP unknown MACs over TFTP, each not found" sweep
	t_check "... gives one warning with the count $SWEEP and an example name" \
		logged 1 "^$STAMP provfs: unknown MACs: $SWEEP lookups of device files for MACs not in the inventory since the last warning, e\\.g\\. cfg0a0000[0-9a-f]{6}\\.xml: an enumeration sweep\\?\$"
	t_check "... and no fetch line" lines_are 0 'fetch cfg0a0000'
}

# --- Panasonic, read on the mount -------------------------------------------------------------

panasonic() {
	local key std enc
	key=$(size_of "$PA_MNT/Config0080F0C8C383.cfg")
	std=$(size_of "$PA_MNT/Config0080F0C8C381.cfg")

	t_check "dd bs=20 count=1 of the key file Config0080F0C8C383.cfg" read_part "$PA_MNT/Config0080F0C8C383.cfg"
	t_check "... logs bytes=20 size=$key partial" \
		logged 1 "$(fetch_line Config0080F0C8C383.cfg 0080f0c8c383 1 20 "$key" partial)"
	t_check "provctl status: the key still pending, and the partial fetch" \
		status_shows "$PA_INV" "$PA_STATE" 0080F0C8C383 Config0080F0C8C383.cfg 20 "$key" partial
	t_check "... with its key state" contains "$WORK/status.all" \
		"0080F0C8C383  KX-UTG300     key pending (256-bit)"
	t_check "cat Config0080F0C8C381.cfg on the mount" to_file "$WORK/std" cat "$PA_MNT/Config0080F0C8C381.cfg"
	t_check "... logs bytes=$std size=$std complete" \
		logged 1 "$(fetch_line Config0080F0C8C381.cfg 0080f0c8c381 1 "$std" "$std" complete)"

	# an older version's record file is read as the device's oldest records; a damaged line
	# of fetch.log costs that line only
	printf 'provfs-fetch 1\nConfig0080F0C8C382.cfg 1600000000 7 9 partial\n' >"$PA_STATE/fetch-0080F0C8C382"
	printf 'not a record\n' >>"$PA_STATE/fetch.log"
	t_check "provctl status: the record of an older version's fetch-<MAC> file" \
		contains_cmd "    Config0080F0C8C382.cfg       2020-09-13T12:26:40Z  7/9 bytes  partial  (provfs)" "$PROVCTL" status "$PA_INV" 0080F0C8C382 -s "$PA_STATE"
	t_check "provctl status: a damaged line of fetch.log is counted, the others still read" \
		contains_cmd "1 damaged line of $PA_STATE/fetch.log(.1) skipped" "$PROVCTL" status "$PA_INV" 0080F0C8C383 -s "$PA_STATE"
	t_check "... (the partial fetch before it is still shown)" \
		status_has "$PA_INV" "$PA_STATE" 0080F0C8C383 Config0080F0C8C383.cfg 20 "$key" partial
	t_check "cat Config0080F0C8C382.cfg" to_file "$WORK/std2" cat "$PA_MNT/Config0080F0C8C382.cfg"
	std=$(size_of "$WORK/std2")
	t_check "... is newer than the old file's record, and shown instead" \
		status_shows "$PA_INV" "$PA_STATE" 0080F0C8C382 Config0080F0C8C382.cfg "$std" "$std" complete
	t_check "... which is never written again" \
		contains "$PA_STATE/fetch-0080F0C8C382" 'Config0080F0C8C382.cfg 1600000000 7 9 partial'

	# the last fetch before a clean unmount is written by the unmount at the latest
	t_check "cat Config0080F0C8C384.cfg, then unmount at once" cat_and_umount
	std=$(size_of "$WORK/std4")
	t_check "provctl status after the unmount shows that fetch" \
		status_has "$PA_INV" "$PA_STATE" 0080F0C8C384 Config0080F0C8C384.cfg "$std" "$std" complete
	PROVFS_STATE=$PA_STATE t_check "provfs mounts panasonic.yaml again" provfs_mount "$PA_INV" "$PA_MNT" || return 1
	t_check "cat Config0080F0C8C383.enc" to_file "$WORK/enc" cat "$PA_MNT/Config0080F0C8C383.enc"
	enc=$(size_of "$WORK/enc")
	t_check "provctl status: the new fetch of Config0080F0C8C383.enc ..." \
		status_shows "$PA_INV" "$PA_STATE" 0080F0C8C383 Config0080F0C8C383.enc "$enc" "$enc" complete
	t_check "... beside the partial one of the first mount" \
		status_has "$PA_INV" "$PA_STATE" 0080F0C8C383 Config0080F0C8C383.cfg 20 "$key" partial
}

contains_cmd() { # contains_cmd STRING CMD... — CMD succeeds and its output has STRING
	local s=$1 out
	shift
	out=$("$@") || return 1
	printf '%s\n' "$out" | tee -a "$WORK/status.all"
	grep -qF -- "$s" <<<"$out"
}

no_device_files() {
	local f rc=0
	for f in "$GS_STATE"/fetch-* "$PA_STATE"/fetch-*; do
		if [ ! -e "$f" ] || [ "$f" = "$PA_STATE/fetch-0080F0C8C382" ]; then continue; fi
		echo "$f"
		rc=1
	done
	return "$rc"
}

cat_and_umount() {
	cat -- "$PA_MNT/Config0080F0C8C384.cfg" >"$WORK/std4" && provfs_umount "$PA_MNT"
}

# --- run -------------------------------------------------------------------------------------

if ! t_check "set up both inventories, firmware and reference bytes" setup; then
	t_summary
	exit 1
fi

if PROVFS_STATE=$GS_STATE t_check "provfs mounts grandstream.yaml (audit=exact)" provfs_mount "$GS_INV" "$GS_MNT" audit=exact; then
	if t_check "tftpd-hpa starts on the mount" srv_tftpd_start "$GS_MNT" &&
		t_check "nginx starts on the mount" srv_nginx_start "$GS_MNT"; then
		grandstream
	fi
fi
if PROVFS_STATE=$PA_STATE t_check "provfs mounts panasonic.yaml" provfs_mount "$PA_INV" "$PA_MNT"; then
	panasonic
fi

# everything released: servers stopped, both unmounted
t_check "servers stop" srv_stop_all
t_check "grandstream.yaml unmounts" provfs_umount "$GS_MNT"
t_check "panasonic.yaml unmounts" provfs_umount "$PA_MNT"
t_check "files without a MAC (cfg.xml, cfggxp2170.xml, firmware) are not audited" \
	lines_are 0 'provfs: fetch (cfg\.xml|cfggxp2170\.xml|gxp1600fw)'
t_check "still one sweep warning after the unmount" lines_are 1 'provfs: unknown MACs:'
t_check "every fetch line has the full format" fetch_lines_well_formed
t_check "no secret in the log" no_secret_in "$LOG"
t_check "no secret in provctl status" no_secret_in "$WORK/status.all"
cat -- "$GS_STATE"/fetch.log "$PA_STATE"/fetch.log >"$WORK/records" 2>/dev/null
t_check "no secret in the fetch records" no_secret_in "$WORK/records"
t_check "no file per device in the state directories (but the one planted)" no_device_files

t_summary
