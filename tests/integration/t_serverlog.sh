#!/usr/bin/env bash
# t_serverlog.sh — the audit in the default mode (audit=cached) and from the servers' own logs
# (issue 11, point 3):
# - a second fetch of a device file over nginx is served by the kernel's page cache: provfs
#   logs "bytes=0 size=S cached" (no READ reached it), and provctl status shows that record;
# - nginx with contrib's provfs log_format, tftpd-hpa -v through syslog (captured by a receiver
#   on a private /dev/log: in.tftpd runs in its own mount namespace, the machine's logging is
#   never touched; -vv, as contrib ships it) written as a traditional, an RFC 3339 and a journalctl -o short-iso file,
#   and vsftpd's xferlog: `provctl status INVENTORY MAC --server-log FILE...` shows each fetch
#   with the client's address, complete (a whole GET, a whole FTP RETR), partial (a Range
#   request), requested (TFTP: tftpd logs no completion), failed (a TFTP NAK), at most 5 per
#   file; names in another letter case show under the canonical name;
# - lines it does not understand are counted once, never echoed; no secret in any output.
#
# Contract: SPEC.md §1 (provctl status), §4 ("Audit": per-fetch history from the servers' own
# logs, with the client address; "No secret leaks").

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/panasonic.yaml
MNT=$WORK/mnt
STATE=$WORK/state
LOG=$WORK/provfs.log
SYSLOG=$WORK/syslog # the receiver writes SYSLOG.trad, SYSLOG.rfc3339, SYSLOG.journal
DEV=0080F0C8C381    # KX-HDV130N: a plain device file, kept in the page cache by default
STD=Config$DEV.cfg
KEYDEV=0080F0C8C383 # KX-UTG300, encrypted: its plain file is direct I/O, always exact
SECRETS=('4dm1n' 'm0del' 'pw1001' 'pw1002' 'Secr3t!' 'd3f4ult' 'pw1003' 'pw&1004<x>' 'pw1005')
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
PY=/usr/bin/python3

# --- tftpd-hpa with its syslog captured --------------------------------------------------------

# The receiver: binds a datagram socket (/dev/log inside tftpd's namespace) and writes each
# message, as syslog daemons store them, in three files. glibc sends "<PRI>Mmm dd hh:mm:ss
# TAG[PID]: MSG\n".
write_receiver() {
	cat >"$WORK/syslog-recv.py" <<'EOF'
import datetime, os, re, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
files = {k: open(out + '.' + k, 'ab', buffering=0) for k in ('trad', 'rfc3339', 'journal')}
while True:
    msg = s.recv(65536)
    m = re.match(rb'<[0-9]+>([A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}) (.*?)\n?$', msg, re.S)
    if not m:
        continue
    now = datetime.datetime.now().astimezone()
    files['trad'].write(m.group(1) + b' pbx ' + m.group(2) + b'\n')
    files['rfc3339'].write(now.isoformat(timespec='microseconds').encode() + b' pbx ' + m.group(2) + b'\n')
    files['journal'].write(now.strftime('%Y-%m-%dT%H:%M:%S%z').encode() + b' pbx ' + m.group(2) + b'\n')
EOF
}

# srv_tftpd_syslog_start ROOT — like lib.sh's srv_tftpd_start, with -vv as contrib ships it, in a mount namespace
# of its own whose /dev is a small tmpfs (null, zero, random, urandom bound from the real one)
# with the receiver's socket as /dev/log. in.tftpd connects to /dev/log when it starts, before
# it chroots, and is exec'd by the namespace's shell: TFTPD_PID is in.tftpd, the receiver is
# in its process group, and lib_stop_pid stops both.
srv_tftpd_syslog_start() {
	mkdir -p "$WORK/tftpd" "$WORK/dev"
	write_receiver
	_lib_start_server tftpd "$WORK/tftpd/tftpd.log" _lib_tftpd_ready 1 _tftpd_syslog_spawn "$1" || return 1
	TFTP_PORT=$_SRV_PORT
	TFTPD_PID=$_SRV_PID
}

_tftpd_syslog_spawn() {
	# shellcheck disable=SC2016 # expanded by the namespace's shell
	lib_spawn "$WORK/tftpd/tftpd.log" unshare -m bash -c '
		set -e
		mount -t tmpfs -o mode=0755,size=64k provfs-test-dev "$1"
		for n in null zero random urandom; do : >"$1/$n"; mount --bind "/dev/$n" "$1/$n"; done
		mount --bind "$1" /dev
		"$2" "$3" /dev/log "$4" &
		for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
		exec in.tftpd -L -vv -a "$5" -s "$6" -u nobody' \
		_ "$WORK/dev" "$PY" "$WORK/syslog-recv.py" "$SYSLOG" "$LIB_ADDR:$2" "$1"
}

# --- checks ------------------------------------------------------------------------------------

size_of() { stat -c %s -- "$1"; }

# status ARGS... — provctl status INV DEV -s STATE ARGS..., output kept in WORK/status.all.
status() {
	"$PROVCTL" status "$INV" "$DEV" -s "$STATE" "$@" | tee -a "$WORK/status.all"
	return "${PIPESTATUS[0]}"
}

# shows ERE ARGS... — status ARGS... prints a line matching ERE.
shows() {
	local re=$1 out
	shift
	out=$(status "$@") || {
		printf '%s\n' "$out"
		return 1
	}
	grep -qE -- "$re" <<<"$out" || {
		echo "no line matches: $re"
		printf '%s\n' "$out"
		return 1
	}
}

# count_of ERE ARGS... — how many lines of status ARGS... match ERE.
count_of() {
	local re=$1
	shift
	status "$@" | grep -cE -- "$re"
}

count_is() { # count_is N ERE ARGS...
	local n=$1 got
	shift
	got=$(count_of "$@")
	[ "$got" -eq "$n" ] || {
		echo "$got lines match $1, expected $n"
		return 1
	}
}

# provfs_record BYTES SIZE WORD — the line of the provfs record of STD
provfs_record() {
	printf '^    %s +%s  %s/%s bytes  %s  \\(provfs, generation 1\\)$' "${STD//./\\.}" "$STAMP" "$1" "$2" "$3"
}

# server_line BYTES WORD SERVER — a line of a server's fetch of STD from LIB_ADDR
server_line() {
	printf '^    %s +%s  %s  %s  \\(%s from %s\\)$' "${STD//./\\.}" "$STAMP" "$1" "$2" "$3" "${LIB_ADDR//./\\.}"
}

nak_failed() { # the device KEYDEV's .enc request, refused by tftpd
	local out
	out=$("$PROVCTL" status "$INV" "$KEYDEV" -s "$STATE" --server-log "$SYSLOG.trad") || return 1
	printf '%s\n' "$out" >>"$WORK/status.all"
	grep -qE "^    Config${KEYDEV}\\.enc +$STAMP  -  failed  \\(tftpd from ${LIB_ADDR//./\\.}\\)\$" <<<"$out" || {
		printf '%s\n' "$out"
		return 1
	}
}

range_http() { # range_http NAME — the first 100 bytes, a Range request
	curl -sS --noproxy '*' -r 0-99 -o "$WORK/range" -w '%{http_code}' \
		"http://$LIB_ADDR:$HTTP_PORT/$1" | grep -qx 206
}

hostile_log() { # a copy of nginx's log with lines that are not its format
	cp -- "$WORK/nginx/provfs.log" "$WORK/hostile.log" &&
		printf 'provfs1 2026-02-30T00:00:00Z 127.0.0.1 "GET" "/%s" 200 1 "1" "-" "OK"\n' "$STD" >>"$WORK/hostile.log" &&
		printf 'password=pw1001 \033[2J%s\n' "$STD" >>"$WORK/hostile.log" &&
		head -c 20000 /dev/zero >>"$WORK/hostile.log" && printf '\n' >>"$WORK/hostile.log"
}

# --- run -----------------------------------------------------------------------------------------

setup() {
	cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$INV" &&
		"$PROVCTL" cat "$INV" "$STD" >"$WORK/std"
}

if ! t_check "set up the inventory" setup ||
	! PROVFS_STATE=$STATE t_check "provfs mounts panasonic.yaml (default: audit=cached)" provfs_mount "$INV" "$MNT" ||
	! t_check "nginx starts on the mount" srv_nginx_start "$MNT" ||
	! t_check "vsftpd starts on the mount" srv_vsftpd_start "$MNT" ||
	! t_check "in.tftpd -v starts on the mount, its syslog captured" srv_tftpd_syslog_start "$MNT"; then
	t_summary
	exit 1
fi
SIZE=$(size_of "$WORK/std")
mac=$(tr 'A-F' 'a-f' <<<"$DEV")

# (a) the page cache serves a repeat: provfs sees the open, not the bytes
expect_fetch http "$STD" "$WORK/std" "$STD, the first time"
t_check "... provfs delivered it whole: bytes=$SIZE complete" \
	logged 1 "provfs: fetch $STD mac=$mac generation=1 bytes=$SIZE size=$SIZE complete\$"
expect_fetch http "$STD" "$WORK/std" "$STD again"
t_check "... the kernel served it: bytes=0 size=$SIZE cached" \
	logged 1 "provfs: fetch $STD mac=$mac generation=1 bytes=0 size=$SIZE cached\$"
t_check "provctl status shows that cached fetch as the last one" \
	lib_poll 5 shows "$(provfs_record 0 "$SIZE" cached)"
expect_fetch http "$STD" "$WORK/std" "$STD a third time"
t_check "... cached again" \
	logged 2 "provfs: fetch $STD mac=$mac generation=1 bytes=0 size=$SIZE cached\$"

# (b) each server's own log
t_check "http: a Range request for the first 100 bytes" range_http "$STD"
expect_fetch ftp "$STD" "$WORK/std" "$STD over FTP"
expect_fetch tftp "Config${mac}.cfg" "$WORK/std" "Config${mac}.cfg (lower-case MAC) over TFTP"
expect_not_found tftp "sub/Config${KEYDEV}.enc" "sub/Config${KEYDEV}.enc (no such directory)"
expect_not_found http Config0080F0C8C3FF.cfg "a device the inventory lacks"
t_check "the servers wrote their logs" lib_poll 5 grep -q "filename sub/Config${KEYDEV}.enc" "$SYSLOG.trad"

NG=(--server-log "$WORK/nginx/provfs.log")
FT=(--server-log "$WORK/vsftpd/xferlog")
t_check "nginx: the three whole GETs, complete, with the client's address" \
	count_is 3 "$(server_line "$SIZE/$SIZE bytes" complete nginx)" "${NG[@]}"
t_check "nginx: the Range request, partial" \
	shows "$(server_line "100/$SIZE bytes" partial nginx)" "${NG[@]}"
# other names: the device the inventory lacks, and lib.sh's readiness probe for /
t_check "nginx: a request for a device not in the inventory is counted, not shown" \
	shows "^server log .*/nginx/provfs\\.log: 4 fetches of device files shown, 2 requests for other names\$" "${NG[@]}"
t_check "vsftpd xferlog: the whole RETR, complete" \
	shows "$(server_line "$SIZE bytes" complete vsftpd)" "${FT[@]}"
for f in trad rfc3339 journal; do
	t_check "tftpd ($f syslog): the lower-case request under the canonical name, requested" \
		shows "$(server_line - requested tftpd)" --server-log "$SYSLOG.$f"
done
t_check "tftpd: the NAK of sub/Config${KEYDEV}.enc marks that request failed" nak_failed
t_check "all logs at once, in name order: provfs's record first, then the servers' fetches" \
	shows "$(provfs_record 0 "$SIZE" cached)" "${NG[@]}" "${FT[@]}" --server-log "$SYSLOG.journal"
t_check "... at most 5 server fetches per file" \
	count_is 5 "^    ${STD//./\\.} .*\\((nginx|vsftpd|tftpd) from " "${NG[@]}" "${FT[@]}" --server-log "$SYSLOG.journal"
t_check "journalctl output on standard input (--server-log -)" \
	shows "$(server_line - requested tftpd)" --server-log - <"$SYSLOG.journal"

t_check "a log with lines of no known format" hostile_log
t_check "... they are counted once at the end" \
	shows "^server log .*/hostile\\.log: 4 fetches of device files shown, 2 requests for other names, 3 lines not understood\$" --server-log "$WORK/hostile.log"
t_check "... never echoed" no_string_in "$WORK/status.all" 'password=' $'\033'
t_check_fails "a missing server log is an error, and said so" "cannot be read: No such file or directory" \
	status --server-log "$WORK/nope.log"
t_check_fails "--server-log belongs to status alone" "--server-log is status's option" \
	"$PROVCTL" ls "$INV" --server-log "$WORK/nginx/provfs.log"

t_check "servers stop" srv_stop_all
t_check "the mount unmounts" provfs_umount "$MNT"
t_check "no secret in the log" no_secret_in "$LOG"
t_check "no secret in provctl status" no_secret_in "$WORK/status.all"
t_check "no secret in fetch.log" no_secret_in "$STATE/fetch.log"

t_summary
