# shellcheck shell=bash
#
# lib.sh — shared harness for the integration tests (tests/integration/t_*.sh).
#
# Source it at the top of a test script:
#
#     . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# What it gives you (details at each function):
#   test runner   t_ok, t_fail, t_check, t_check_fails, t_eq, t_cmp, t_summary
#   ports         free_port [COUNT]                       -> FREE_PORT
#   servers       srv_tftpd_start, srv_nginx_start, srv_lighttpd_start, srv_apache_start,
#                 srv_vsftpd_start, srv_stop_all
#                 -> TFTP_PORT/TFTPD_PID, HTTP_PORT/NGINX_PID, LIGHTTPD_PORT/LIGHTTPD_PID,
#                    APACHE_PORT/APACHE_PID, FTP_PORT/VSFTPD_PID
#   clients       fetch_tftp, fetch_http (nginx), fetch_lighttpd, fetch_apache, fetch_ftp
#                                                         -> FETCH_RC, FETCH_CODE, FETCH_ERR
#                 expect_fetch, expect_not_found          (assertions built on them)
#   contrib       site_copy, only_site_lines              (a contrib file changed on "# site:" lines only)
#                 lib_nginx_site_spawn                    (nginx around one of contrib's server blocks)
#   provfs        provfs_mount, provfs_umount, provfs_track_mount, provfs_pids_for,
#                 lib_is_mounted, lib_mount_opts          -> PROVFS_PID, PROVFS_RC
#                 provfs_helper_link, provfs_helper_unlink (for mount -t / fstab tests)
#   processes     lib_spawn (-> SPAWN_PID), lib_stop_pid, lib_poll
#   users         lib_test_user                           (a system user for run_as, removed at exit)
#   guards        lib_require_root, lib_require_bin
#   paths         REPO_ROOT, BUILD (absolute), BUILD_ABS, PROVFS, PROVCTL, WORK, LIB_ADDR
#   knobs (env)   BUILD, KEEP_WORK=1, PROVFS_STATE and PROVFS_PRELOAD (per provfs_mount call),
#                 VSFTPD_USER
#
# Everything a script starts is stopped by PID (never by name: other tests may run at the same
# time), mounts are undone and WORK is removed by a trap on EXIT, INT and TERM. Set KEEP_WORK=1 to
# keep WORK for a post-mortem. Everything binds 127.0.0.1 only.

set -u

# --- paths -----------------------------------------------------------------------------------

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LIB_DIR/../.." && pwd)

# BUILD may come from the environment (run.sh exports it). A relative BUILD is relative to the
# repository root, not to the caller's directory, so `make integration` and a script run from
# anywhere agree on which binaries they test.
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$REPO_ROOT/$BUILD ;;
esac
# shellcheck disable=SC2034 # BUILD_ABS, PROVCTL: for the scripts that source this file
BUILD_ABS=$BUILD PROVCTL=$BUILD/provctl
PROVFS=$BUILD/provfs

T_SCRIPT=$(basename "$0")

# Address every server binds and every client contacts. Never anything else.
LIB_ADDR=127.0.0.1

# --- work directory --------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/provfs-it.XXXXXXXX") || {
	echo "# $T_SCRIPT: mktemp failed" >&2
	exit 1
}
# Servers drop to nobody/ftp and open files below WORK by path (nginx) or chroot into a
# directory below it (tftpd, vsftpd): they need to traverse WORK, which mktemp made 0700.
chmod 0711 "$WORK"

# --- test runner -----------------------------------------------------------------------------

# The script's own stdout and stderr, saved: results always go there, and the EXIT/signal traps
# restore them, because a trap may fire while t_check has redirected a function's output into a
# capture file (that output would then vanish with WORK). External commands and daemons do not
# get these descriptors (see _lib_run, lib_spawn): a leftover daemon holding them would keep the
# pipe of a caller such as `run.sh | tee` open forever.
exec {_LIB_OUT}>&1 {_LIB_ERR}>&2

T_PASSED=0
T_FAILED=0
_T_SUMMARY_DONE=0

# t_ok NAME — record a passed test.
t_ok() {
	T_PASSED=$((T_PASSED + 1))
	printf 'ok - %s\n' "$1" >&"$_LIB_OUT"
}

# t_fail NAME [WHY] — record a failed test. The first line of WHY goes on the FAIL line; any
# further lines follow as "#" comments so that one test stays one result line.
t_fail() {
	local name=$1 why=${2:-failed} first rest
	T_FAILED=$((T_FAILED + 1))
	first=${why%%$'\n'*}
	printf 'FAIL - %s: %s\n' "$name" "$first" >&"$_LIB_OUT"
	if [[ $why == *$'\n'* ]]; then
		rest=${why#*$'\n'}
		[ -z "$rest" ] || _lib_comment "$rest" >&"$_LIB_OUT"
	fi
}

# t_check NAME CMD... — ok if CMD exits 0. CMD runs in this shell (a function may set variables);
# its stdout and stderr are captured and shown only on failure.
t_check() {
	local name=$1 rc out=$WORK/.t_check.out
	shift
	_lib_run "$out" "$@"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		t_ok "$name"
	else
		t_fail "$name" "exit status $rc: $*"$'\n'"$(_lib_tail "$out" 15)"
	fi
	return "$rc"
}

# t_check_fails NAME PATTERN CMD... — ok if CMD exits non-zero AND its stdout+stderr contains the
# fixed string PATTERN (e.g. "Read-only file system"). An empty PATTERN only checks the failure.
t_check_fails() {
	local name=$1 pattern=$2 rc out=$WORK/.t_check.out
	shift 2
	_lib_run "$out" "$@"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		t_fail "$name" "succeeded but should have failed: $*"$'\n'"$(_lib_tail "$out" 5)"
		return 1
	fi
	if [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$out"; then
		t_fail "$name" "failed (status $rc) without '$pattern': $*"$'\n'"$(_lib_tail "$out" 5)"
		return 1
	fi
	t_ok "$name"
}

# t_eq NAME EXPECTED ACTUAL — ok if the two strings are equal.
t_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1" "expected '$2', got '$3'"
		return 1
	fi
}

# t_cmp NAME EXPECTED_FILE ACTUAL_FILE — ok if the files are byte-identical.
t_cmp() {
	local why
	if why=$(cmp -- "$2" "$3" 2>&1); then
		t_ok "$1"
	else
		t_fail "$1" "${why:-differ} (sizes $(_lib_size "$2") vs $(_lib_size "$3"))"
		return 1
	fi
}

# t_summary — print "# <script>: N passed, N failed"; returns non-zero if any test failed.
# Make it the last command of a script so that its status becomes the script's exit status.
t_summary() {
	_T_SUMMARY_DONE=1
	printf '# %s: %d passed, %d failed\n' "$T_SCRIPT" "$T_PASSED" "$T_FAILED" >&"$_LIB_OUT"
	[ "$T_FAILED" -eq 0 ]
}

# lib_require_root — the servers drop to nobody/ftp and mounts need allow_other: only root can
# set that up. Without root, report one failure and end the script.
lib_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		t_fail "running as root" "integration tests need root (servers drop privileges, allow_other)"
		t_summary
		exit 1
	fi
}

# lib_require_bin NAME PATH... — fail and end the script if a program is missing: a test script
# cannot say anything useful without it.
lib_require_bin() {
	local name=$1 p missing=
	shift
	for p in "$@"; do
		[ -x "$p" ] || missing+=" $p"
	done
	if [ -n "$missing" ]; then
		t_fail "$name" "missing:$missing (run make first)"
		t_summary
		exit 1
	fi
}

# _lib_run FILE CMD... — run CMD with stdout+stderr into FILE. A function runs in this shell (it
# may set variables); an external command runs without the saved descriptors.
_lib_run() {
	local out=$1
	shift
	if [ "$(type -t "$1")" = file ]; then
		"$@" >"$out" 2>&1 {_LIB_OUT}>&- {_LIB_ERR}>&-
	else
		"$@" >"$out" 2>&1
	fi
}

_lib_comment() { # every line of $1 as a "#" comment
	local line
	while IFS= read -r line; do
		printf '#   %s\n' "$line"
	done <<<"$1"
}

_lib_tail() { # last N lines of a file, or nothing
	[ -s "$1" ] && tail -n "$2" -- "$1"
}

_lib_size() {
	stat -c %s -- "$1" 2>/dev/null || echo missing
}

_lib_diag() { # a diagnostic line on stderr, visible in the test output but not a result
	printf '# %s\n' "$*" >&2
}

_lib_diag_file() { # last lines of a log file as diagnostics
	local f=$1 n=${2:-20}
	[ -s "$f" ] || return 0
	_lib_diag "--- last lines of $f:"
	tail -n "$n" -- "$f" | sed 's/^/#   /' >&2
}

# --- polling and processes -------------------------------------------------------------------

# lib_poll SECONDS CMD... — run CMD every 50 ms until it succeeds (0) or SECONDS pass (1).
lib_poll() {
	local tries=$(($1 * 20))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		tries=$((tries - 1))
		sleep 0.05
	done
	"$@"
}

# _lib_alive PID — the process exists and is not a zombie (kill -0 succeeds on zombies).
_lib_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$state" != Z ] && [ -n "$state" ]
}

_lib_dead() { ! _lib_alive "$1"; }

# _lib_group_empty PGID — no process left in the process group.
_lib_group_empty() { ! pgrep -g "$1" >/dev/null 2>&1; }

_LIB_PIDS=() # servers and other helpers, each the leader of its own process group

# lib_spawn LOG CMD... — start CMD in the background in a new session (setsid), stdin from
# /dev/null, stdout+stderr appended to LOG. Sets SPAWN_PID and remembers it for cleanup.
# Why setsid: the process becomes leader of its own process group, so that (a) a Ctrl-C at the
# terminal reaches only the test script, whose trap then shuts things down in order, and (b) the
# server's own children (tftpd forks per request, vsftpd per session, nginx workers) can be
# signalled through the group ID we own, not found by name.
lib_spawn() {
	local log=$1
	shift
	setsid "$@" </dev/null >>"$log" 2>&1 {_LIB_OUT}>&- {_LIB_ERR}>&- &
	SPAWN_PID=$!
	_LIB_PIDS+=("$SPAWN_PID")
}

# lib_stop_pid PID [SECONDS] — TERM the process group led by PID (falls back to the PID alone),
# wait up to SECONDS (default 5) for the leader and the group to go, then KILL. Reaps the PID if it
# is our child. Returns 0 if it went after TERM, 1 if KILL was needed.
lib_stop_pid() {
	local pid=$1 secs=${2:-5} rc=0 p keep=()
	[ -n "$pid" ] || return 0
	if _lib_alive "$pid" || ! _lib_group_empty "$pid"; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		if ! lib_poll "$secs" _lib_dead "$pid" || ! lib_poll 2 _lib_group_empty "$pid"; then
			_lib_diag "pid $pid did not stop on TERM; sending KILL"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
			lib_poll 2 _lib_dead "$pid"
			rc=1
		fi
	fi
	wait "$pid" 2>/dev/null
	for p in "${_LIB_PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	_LIB_PIDS=("${keep[@]}")
	return "$rc"
}

# lib_test_user NAME — a system user NAME with its own group, no home and no login, for the
# run_as tests; removed at exit, after every mount and process is gone. Returns useradd's status.
_LIB_USERS=()
lib_test_user() {
	useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$1" || return
	_LIB_USERS+=("$1")
}

# --- ports -----------------------------------------------------------------------------------

_LIB_PORTS=" " # ports handed out by this script, so two servers never get the same one

# _lib_port_used PORT — any TCP or UDP socket (any state, any address) on that local port.
_lib_port_used() {
	[ -n "$(ss -Htuan "( sport = :$1 )" 2>/dev/null)" ] || [[ $_LIB_PORTS == *" $1 "* ]]
}

# free_port [COUNT] — find COUNT (default 1) consecutive ports, free for TCP and UDP, print the
# first and set FREE_PORT. The range 20000-32767 stays below the kernel's ephemeral range
# (32768-60999), so a client's source port cannot take it between this check and the bind.
# Call it as `free_port >/dev/null; p=$FREE_PORT` to let the script remember the ports it
# handed out; `p=$(free_port)` works too but forgets them (subshell).
free_port() {
	local count=${1:-1} tries=200 base i ok
	while [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		base=$((20000 + RANDOM % (32768 - 20000 - count)))
		ok=1
		for ((i = 0; i < count; i++)); do
			if _lib_port_used $((base + i)); then
				ok=0
				break
			fi
		done
		[ "$ok" -eq 1 ] || continue
		for ((i = 0; i < count; i++)); do
			_LIB_PORTS+="$((base + i)) "
		done
		FREE_PORT=$base
		echo "$base"
		return 0
	done
	_lib_diag "free_port: no free port found"
	return 1
}

# _lib_listening PROTO PORT PID — PID (or a process of its group) has a socket bound on PORT.
# PROTO is "t" (TCP, listening) or "u" (UDP). Checking the owner guards against someone else
# having grabbed the port.
_lib_listening() {
	local line
	line=$(ss -Hlnp"$1" "( sport = :$2 )" 2>/dev/null) || return 1
	[ -n "$line" ] || return 1
	[[ $line == *"pid=$3,"* ]] && return 0
	# nginx: the socket may be listed under a worker; accept any process of the group.
	local p
	for p in $(pgrep -g "$3" 2>/dev/null); do
		[[ $line == *"pid=$p,"* ]] && return 0
	done
	return 1
}

# _lib_start_server NAME LOG READY_FN PORTS_NEEDED START_FN ROOT — shared retry loop: pick
# ports, start, wait until READY_FN PORT PID succeeds. Retries with new ports if the server dies
# (most likely a port race with another test). Sets _SRV_PORT and _SRV_PID.
_lib_start_server() {
	local name=$1 log=$2 ready=$3 nports=$4 start=$5 root=$6 attempt port
	for attempt in 1 2 3; do
		free_port "$nports" >/dev/null || return 1
		port=$FREE_PORT
		"$start" "$root" "$port" || return 1
		if lib_poll 10 "$ready" "$port" "$SPAWN_PID"; then
			_SRV_PORT=$port
			_SRV_PID=$SPAWN_PID
			return 0
		fi
		if _lib_alive "$SPAWN_PID"; then
			_lib_diag "$name on port $port: running but not ready after 10 s"
			_lib_diag_file "$log"
			lib_stop_pid "$SPAWN_PID"
			return 1
		fi
		_lib_diag "$name on port $port exited during start-up (attempt $attempt)"
		_lib_diag_file "$log"
		lib_stop_pid "$SPAWN_PID"
	done
	return 1
}

# --- tftpd-hpa -------------------------------------------------------------------------------

# srv_tftpd_start ROOTDIR — in.tftpd in the foreground (-L, so the PID is ours), chrooted to
# ROOTDIR (-s), dropping to nobody. Sets TFTP_PORT, TFTPD_PID.
# Start it after mounting anything on ROOTDIR: the chroot pins the directory it saw at start-up.
srv_tftpd_start() {
	mkdir -p "$WORK/tftpd"
	_lib_start_server tftpd "$WORK/tftpd/tftpd.log" _lib_tftpd_ready 1 _lib_tftpd_spawn "$1" || return 1
	TFTP_PORT=$_SRV_PORT
	TFTPD_PID=$_SRV_PID
}

_lib_tftpd_spawn() {
	lib_spawn "$WORK/tftpd/tftpd.log" in.tftpd -L -a "$LIB_ADDR:$2" -s "$1" -u nobody
}

_lib_tftpd_ready() { _lib_listening u "$1" "$2"; }

# --- nginx -----------------------------------------------------------------------------------

# srv_nginx_start ROOTDIR — nginx (master + 1 worker as nobody) with its own prefix, config, pid,
# logs and temp paths in WORK/nginx; serves ROOTDIR with sendfile on and autoindex off. Besides
# access.log (combined), WORK/nginx/provfs.log in contrib's audit log_format.
# Sets HTTP_PORT, NGINX_PID (the master).
srv_nginx_start() {
	mkdir -p "$WORK/nginx"
	_lib_start_server nginx "$WORK/nginx/stderr.log" _lib_http_ready 1 _lib_nginx_spawn "$1" || return 1
	HTTP_PORT=$_SRV_PORT
	NGINX_PID=$_SRV_PID
}

# _lib_nginx_conf DIR CONNECTIONS MAIN HTTP — DIR/nginx.conf: the master in the foreground, one
# worker as nobody, pid, error log and temporary paths in DIR; MAIN (main-context lines) and HTTP
# (the http block's own lines) are the caller's.
_lib_nginx_conf() {
	local d=$1
	cat >"$d/nginx.conf" <<EOF
# Generated by tests/integration/lib.sh for one test run.
daemon off;
master_process on;
user nobody nogroup;
worker_processes 1;
$3
pid $d/nginx.pid;
error_log $d/error.log info;

events {
    worker_connections $2;
}

http {
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
$4
}
EOF
}

_lib_nginx_spawn() {
	local root=$1 port=$2 d=$WORK/nginx fmt
	# the audit log_format exactly as contrib ships it (provctl status --server-log reads it)
	fmt=$(sed -n '/^log_format provfs /,/;$/p' "$REPO_ROOT/contrib/nginx-provfs.conf")
	_lib_nginx_conf "$d" 64 "" "    types {
        application/xml xml;
        text/plain      txt cfg;
    }
    default_type application/octet-stream;
    access_log $d/access.log;
$fmt
    access_log $d/provfs.log provfs;
    sendfile on;

    server {
        listen $LIB_ADDR:$port;
        root $root;
        autoindex off;
    }" || return 1
	# -e: the error log nginx uses before it has read the config (default /var/log/nginx).
	lib_spawn "$d/stderr.log" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
}

# --- contrib's configurations as shipped ------------------------------------------------------
#
# The files of contrib/ mark the lines an admin changes (address and port, paths) with "# site:".
# A test starts a server from a copy made with site_copy, which checks that only those lines
# changed: what runs in the test is what an admin installs.

# only_site_lines SHIPPED COPY N — COPY has SHIPPED's lines, except exactly N lines, each of which
# is marked in SHIPPED: "# site:" after its value, or a comment line "# site: ..." just above it
# (for formats without comments after a value). Says which line differs otherwise.
only_site_lines() {
	awk -v n="$3" '
		NR == FNR { a[FNR] = $0; na = FNR; next }
		{
			b[FNR] = $0; nb = FNR
		}
		END {
			if (na != nb) { printf "%d lines shipped, %d in the copy\n", na, nb; exit 1 }
			for (i = 1; i <= na; i++) {
				if (a[i] == b[i]) continue
				changed++
				marked = (a[i] ~ /[^[:space:]].*# site:/) || (i > 1 && a[i - 1] ~ /^[[:space:]]*# site:/)
				if (!marked) { printf "line %d changed but is not marked \"# site:\": %s\n", i, a[i]; bad = 1 }
			}
			if (changed != n) { printf "%d lines changed, expected %d (one per substitution)\n", changed, n; bad = 1 }
			exit bad
		}' "$1" "$2"
}

# site_copy SHIPPED COPY SEDEXPR... — COPY = SHIPPED with the sed substitutions, one line each;
# fails (saying why) unless every substitution changed one marked line and nothing else changed.
site_copy() {
	local src=$1 dst=$2 args=() e
	shift 2
	for e in "$@"; do
		args+=(-e "$e")
	done
	sed "${args[@]}" -- "$src" >"$dst" || return 1
	only_site_lines "$src" "$dst" "$#"
}

# srv_nginx_contrib_start ROOT — nginx with contrib/nginx-provfs.conf's server block exactly as
# shipped: only its "# site:" lines (listen address, alias path, access log) are substituted
# (site_copy: each must match, nothing else may change, or the start fails).
# worker_rlimit_nofile stands for contrib/nginx-provfs-limits.conf, the systemd drop-in that
# raises the limit under systemd. Phones ask for /prov/NAME.
# Sets NGINXC_PORT, NGINXC_PID; the access log (contrib's provfs format) is
# $WORK/nginx-contrib/provfs.access.log.
srv_nginx_contrib_start() {
	mkdir -p "$WORK/nginx-contrib"
	_lib_start_server nginx "$WORK/nginx-contrib/stderr.log" _lib_http_ready 1 \
		_lib_nginx_contrib_spawn "$1" || return 1
	# shellcheck disable=SC2034 # NGINXC_PORT: for the scripts that source this file
	NGINXC_PORT=$_SRV_PORT
	NGINXC_PID=$_SRV_PID
}

_lib_nginx_contrib_spawn() {
	local root=$1 port=$2 d=$WORK/nginx-contrib
	if ! site_copy "$REPO_ROOT/contrib/nginx-provfs.conf" "$d/provfs.conf" \
		"s|^\([[:space:]]*\)listen 80;|\1listen $LIB_ADDR:$port;|" \
		"s|^\([[:space:]]*\)alias /srv/provfs/;|\1alias $root/;|" \
		"s|^\([[:space:]]*\)access_log /var/log/nginx/provfs.access.log provfs;|\1access_log $d/provfs.access.log provfs;|" \
		>"$d/copy.why"; then
		_lib_diag "contrib/nginx-provfs.conf: $(cat "$d/copy.why")"
		return 1
	fi
	lib_nginx_site_spawn "$d" "$d/provfs.conf"
}

# lib_nginx_site_spawn DIR SITE — start nginx (lib_spawn, log DIR/stderr.log) on DIR/nginx.conf:
# Debian 12's http settings around SITE, a server block of contrib's included as
# /etc/nginx/sites-enabled/ is. Requests of other servers go to DIR/access.log.
lib_nginx_site_spawn() {
	local d=$1
	_lib_nginx_conf "$d" 768 "worker_rlimit_nofile 65536;" "    sendfile on;
    tcp_nopush on;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $d/access.log;

    include $2;" || return 1
	lib_spawn "$d/stderr.log" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
}

# _lib_http_ready PORT PID — ready when the listener belongs to the server's process group and
# an HTTP request gets any answer (nginx, lighttpd, apache2).
_lib_http_ready() {
	local code
	_lib_listening t "$1" "$2" || return 1
	code=$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "http://$LIB_ADDR:$1/")
	[ "$code" != 000 ]
}

# --- lighttpd --------------------------------------------------------------------------------

# srv_lighttpd_start ROOTDIR — lighttpd in the foreground (-D) as nobody, with its own config and
# pid in WORK/lighttpd and its logs in WORK/lighttpd/log; serves ROOTDIR with the network backend
# as shipped (sendfile on Linux), the stat cache off (see the config) and no directory listing
# (modules: mod_accesslog and the built-in static file module only).
# Sets LIGHTTPD_PORT, LIGHTTPD_PID.
srv_lighttpd_start() {
	# lighttpd opens its logs after dropping to nobody: they live in a directory of nobody's.
	mkdir -p "$WORK/lighttpd/log"
	chown nobody:nogroup "$WORK/lighttpd/log"
	_lib_start_server lighttpd "$WORK/lighttpd/stderr.log" _lib_http_ready 1 _lib_lighttpd_spawn "$1" ||
		return 1
	LIGHTTPD_PORT=$_SRV_PORT
	LIGHTTPD_PID=$_SRV_PID
}

_lib_lighttpd_spawn() {
	local root=$1 port=$2 d=$WORK/lighttpd
	cat >"$d/lighttpd.conf" <<EOF
# Generated by tests/integration/lib.sh for one test run.
server.modules = ( "mod_accesslog" )
server.document-root = "$root"
server.bind = "$LIB_ADDR"
server.port = $port
# As shipped, stat cache included: it keeps a small file's descriptor open and serves from it for
# about a second after the name is gone. provfs fails reads of a delivered key file through such
# a descriptor (EIO), so the key is not handed out again (t_delivery.sh, t_keys.sh).
server.username = "nobody"
server.groupname = "nogroup"
server.pid-file = "$d/lighttpd.pid"
server.errorlog = "$d/log/error.log"
accesslog.filename = "$d/log/access.log"
mimetype.assign = ( ".xml" => "application/xml", ".cfg" => "text/plain",
                    "" => "application/octet-stream" )
EOF
	lib_spawn "$d/stderr.log" lighttpd -D -f "$d/lighttpd.conf"
}

# --- apache2 ---------------------------------------------------------------------------------

# srv_apache_start ROOTDIR — apache2 in the foreground (-DFOREGROUND, prefork: a parent and its
# children as nobody/nogroup) with a minimal config of its own in WORK/apache2 (no file of
# /etc/apache2 is read); serves ROOTDIR with EnableSendfile On (Apache's default is Off).
# Sets APACHE_PORT, APACHE_PID (the parent).
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}

srv_apache_start() {
	mkdir -p "$WORK/apache2"
	_lib_start_server apache2 "$WORK/apache2/stderr.log" _lib_http_ready 1 _lib_apache_spawn "$1" ||
		return 1
	APACHE_PORT=$_SRV_PORT
	APACHE_PID=$_SRV_PID
}

_lib_apache_spawn() {
	local root=$1 port=$2 d=$WORK/apache2
	cat >"$d/apache2.conf" <<EOF
# Generated by tests/integration/lib.sh for one test run.
ServerRoot "$d"
ServerName $LIB_ADDR
Listen $LIB_ADDR:$port
LoadModule mpm_prefork_module $APACHE_MODULES/mod_mpm_prefork.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule mime_module $APACHE_MODULES/mod_mime.so
StartServers 1
MinSpareServers 1
MaxSpareServers 2
MaxRequestWorkers 8
User nobody
Group nogroup
PidFile "$d/apache2.pid"
DefaultRuntimeDir "$d"
Mutex file:$d default
ErrorLog "$d/error.log"
LogLevel info
LogFormat "%h %t \"%r\" %>s %b" plain
CustomLog "$d/access.log" plain
TypesConfig /dev/null
AddType application/xml .xml
AddType text/plain .cfg
EnableSendfile On
DocumentRoot "$root"
<Directory />
    Require all denied
    AllowOverride None
    Options None
</Directory>
<Directory "$root">
    Require all granted
</Directory>
EOF
	# -f and -d: only this config, never /etc/apache2/apache2.conf.
	lib_spawn "$d/stderr.log" apache2 -d "$d" -f "$d/apache2.conf" -DFOREGROUND
}

# --- vsftpd ----------------------------------------------------------------------------------

# VSFTPD_USER: vsftpd changes into the home directory of ftp_username before it changes into
# anon_root, so "nobody" (home /nonexistent) fails every login with
# "500 OOPS: cannot change directory:/nonexistent". Debian's vsftpd package creates "ftp" with
# home /srv/ftp; use that.
VSFTPD_USER=${VSFTPD_USER:-ftp}

# srv_vsftpd_start ROOTDIR — standalone vsftpd in the foreground (background=NO), anonymous
# read-only with anon_root=ROOTDIR, passive ports in a free range, config and logs in
# WORK/vsftpd (vsftpd.log, and xferlog in the wu-ftpd format contrib ships). Sets FTP_PORT,
# VSFTPD_PID.
srv_vsftpd_start() {
	local home
	home=$(getent passwd "$VSFTPD_USER" | cut -d: -f6)
	if [ -z "$home" ] || [ ! -d "$home" ]; then
		_lib_diag "vsftpd: user '$VSFTPD_USER' missing or without a home directory (set VSFTPD_USER)"
		return 1
	fi
	# vsftpd refuses a secure_chroot_dir that is writable by the unprivileged user: empty, root's.
	mkdir -p "$WORK/vsftpd/empty"
	chmod 0555 "$WORK/vsftpd/empty"
	# 1 control port + 10 passive ports, consecutive.
	_lib_start_server vsftpd "$WORK/vsftpd/stderr.log" _lib_vsftpd_ready 11 _lib_vsftpd_spawn "$1" || return 1
	FTP_PORT=$_SRV_PORT
	VSFTPD_PID=$_SRV_PID
}

_lib_vsftpd_spawn() {
	local root=$1 port=$2 d=$WORK/vsftpd
	cat >"$d/vsftpd.conf" <<EOF
# Generated by tests/integration/lib.sh for one test run.
listen=YES
listen_ipv6=NO
listen_address=$LIB_ADDR
listen_port=$port
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=$root
ftp_username=$VSFTPD_USER
nopriv_user=nobody
write_enable=NO
anon_upload_enable=NO
anon_mkdir_write_enable=NO
anon_other_write_enable=NO
anon_world_readable_only=YES
dirlist_enable=NO
hide_ids=YES
connect_from_port_20=NO
pasv_enable=YES
pasv_address=$LIB_ADDR
pasv_min_port=$((port + 1))
pasv_max_port=$((port + 10))
secure_chroot_dir=$d/empty
xferlog_enable=YES
xferlog_std_format=YES
xferlog_file=$d/xferlog
dual_log_enable=YES
vsftpd_log_file=$d/vsftpd.log
log_ftp_protocol=YES
EOF
	# vsftpd insists that its config file belongs to the user running it (root here).
	chmod 0600 "$d/vsftpd.conf"
	lib_spawn "$d/stderr.log" vsftpd "$d/vsftpd.conf"
}

# Ready when the listener belongs to our process and a connection gets the "220" greeting.
_lib_vsftpd_ready() {
	local fd line
	_lib_listening t "$1" "$2" || return 1
	{ exec {fd}<>"/dev/tcp/$LIB_ADDR/$1"; } 2>/dev/null || return 1
	IFS= read -r -t 2 line <&"$fd"
	exec {fd}>&- # no QUIT: writing to a socket the server may have closed would raise SIGPIPE

	[[ ${line:-} == 220* ]]
}

# srv_stop_all — stop every server started so far (servers first: they keep a chroot, cwd or
# open files inside mounts, which would make the unmount fail with EBUSY).
srv_stop_all() {
	local pid rc=0
	for pid in ${TFTPD_PID:-} ${NGINX_PID:-} ${NGINXC_PID:-} ${LIGHTTPD_PID:-} ${APACHE_PID:-} \
		${VSFTPD_PID:-}; do
		lib_stop_pid "$pid" || rc=1
	done
	TFTPD_PID='' NGINX_PID='' NGINXC_PID='' LIGHTTPD_PID='' APACHE_PID='' VSFTPD_PID=''
	return "$rc"
}

# --- clients ---------------------------------------------------------------------------------
#
# Each fetch_* writes the body to OUT (created empty first, so cmp always has a file), prints
# FETCH_CODE and returns 0 only on a complete, successful transfer. Variables set:
#   FETCH_RC    the client's exit status
#   FETCH_CODE  tftp: "ok", the TFTP error code ("1" = File not found), or "none" (no answer)
#               http: the HTTP status ("200", "404", "000" if no answer)
#               ftp:  the last FTP reply code ("226" = transfer complete, "550" = no such file)
#   FETCH_ERR   what the client said (tftp prints "Error code 1: File not found" on stdout)
# Call them without $(...) (e.g. `fetch_http NAME OUT >/dev/null`) to keep the variables.

# fetch_tftp NAME OUT — tftp-hpa exits 0 even when the server answers with an error, and leaves an
# empty OUT behind; only its message tells. Without an answer it gives up after 25 s with
# "Transfer timed out." and status 69; `timeout` bounds it anyway.
fetch_tftp() {
	local name=$1 out=$2
	: >"$out"
	FETCH_ERR=$(timeout 40 tftp -m binary "$LIB_ADDR" "${TFTP_PORT:?tftpd not started}" -c get "$name" "$out" 2>&1)
	FETCH_RC=$?
	if [[ $FETCH_ERR =~ Error\ code\ ([0-9]+) ]]; then
		FETCH_CODE=${BASH_REMATCH[1]}
	elif [ "$FETCH_RC" -eq 0 ] && [ -z "$FETCH_ERR" ]; then
		FETCH_CODE=ok
	else
		FETCH_CODE=none
	fi
	echo "$FETCH_CODE"
	[ "$FETCH_CODE" = ok ]
}

# fetch_http NAME OUT — curl through nginx; NAME is sent as is (--path-as-is).
# fetch_lighttpd, fetch_apache — the same through lighttpd and apache2 (PROTO lighttpd, apache
# for expect_fetch and expect_not_found).
fetch_http() { _lib_fetch_http "${HTTP_PORT:?nginx not started}" "$@"; }
fetch_lighttpd() { _lib_fetch_http "${LIGHTTPD_PORT:?lighttpd not started}" "$@"; }
fetch_apache() { _lib_fetch_http "${APACHE_PORT:?apache2 not started}" "$@"; }

_lib_fetch_http() { # _lib_fetch_http PORT NAME OUT
	_lib_curl "http://$LIB_ADDR:$1/$2" "$3" '%{http_code}'
	[ "$FETCH_RC" -eq 0 ] && [ "$FETCH_CODE" = 200 ]
}

# fetch_ftp NAME OUT — curl, anonymous, passive. A missing file: FTP 550, curl status 78.
fetch_ftp() {
	_lib_curl "ftp://$LIB_ADDR:${FTP_PORT:?vsftpd not started}/$1" "$2" '%{response_code}'
	[ "$FETCH_RC" -eq 0 ]
}

_lib_curl() {
	local url=$1 out=$2 fmt=$3 errf=$WORK/.curl.err
	: >"$out"
	FETCH_CODE=$(curl -sS --noproxy '*' --path-as-is --max-time 30 -o "$out" -w "$fmt" "$url" 2>"$errf")
	FETCH_RC=$?
	FETCH_ERR=$(cat "$errf")
	echo "$FETCH_CODE"
}

# expect_fetch PROTO NAME EXPECTED_FILE [LABEL] — one test: NAME fetched over PROTO (tftp, http,
# lighttpd, apache, ftp) arrives complete and byte-identical to EXPECTED_FILE.
expect_fetch() {
	local proto=$1 name=$2 expected=$3 label=${4:-$2} out why
	out=$WORK/fetch.$proto.$RANDOM
	if ! "fetch_$proto" "$name" "$out" >/dev/null; then
		t_fail "$proto: $label" "fetch failed: code=$FETCH_CODE rc=$FETCH_RC ${FETCH_ERR:-}"
	elif ! why=$(cmp -- "$expected" "$out" 2>&1); then
		t_fail "$proto: $label" "not identical: $why (sizes $(_lib_size "$expected") vs $(_lib_size "$out"))"
	else
		t_ok "$proto: $label"
	fi
	rm -f -- "$out"
}

# expect_not_found PROTO NAME [LABEL] — one test: the server reports the name as missing, in its
# protocol's words: TFTP "Error code 1: File not found", HTTP 404, FTP 550 (curl status 78).
expect_not_found() {
	local proto=$1 name=$2 label=${3:-$2} out got
	out=$WORK/fetch.$proto.$RANDOM
	"fetch_$proto" "$name" "$out" >/dev/null
	got="code=$FETCH_CODE rc=$FETCH_RC ${FETCH_ERR:-}"
	rm -f -- "$out"
	if _lib_is_not_found "$proto"; then
		t_ok "$proto: $label is not found"
	else
		t_fail "$proto: $label is not found" "got $got"
	fi
}

_lib_is_not_found() {
	case $1 in
	tftp) [[ $FETCH_ERR == *"Error code 1: File not found"* ]] ;;
	http | lighttpd | apache) [ "$FETCH_CODE" = 404 ] ;;
	ftp) [ "$FETCH_CODE" = 550 ] && [ "$FETCH_RC" -eq 78 ] ;;
	*) return 1 ;;
	esac
}

# --- provfs mounts ---------------------------------------------------------------------------

declare -A _LIB_MOUNTS=() # mount point -> daemon PID ("" when mount.fuse3 started it)

# /proc/mounts writes space, tab, newline and backslash in paths as octal escapes.
_lib_mnt_escape() {
	local p=${1//\\/\\134}
	p=${p// /\\040}
	p=${p//$'\t'/\\011}
	printf '%s' "${p//$'\n'/\\012}"
}

# lib_is_mounted MNT [TYPE] — MNT is a mount point of TYPE (default fuse.provfs). Reads
# /proc/mounts only, so it never touches (and never hangs on) the filesystem itself.
lib_is_mounted() {
	local mnt type=${2:-fuse.provfs}
	mnt=$(_lib_mnt_escape "$1")
	awk -v m="$mnt" -v t="$type" '$2 == m && $3 == t { found = 1 } END { exit !found }' /proc/mounts
}

# lib_fuse_abort MNT — abort MNT's FUSE connection through fusectl (mounted on
# /sys/fs/fuse/connections if it is not), as README "Troubleshooting" tells an administrator: every
# request waiting on it fails with ENOTCONN and /dev/fuse lets go. The last resort when a daemon
# died while a thread of it waited in the kernel (fs/reload.c, forget_key_file). Reads only
# /proc/self/mountinfo, never the mount itself.
lib_fuse_abort() {
	local mnt ctl=/sys/fs/fuse/connections dev
	mnt=$(_lib_mnt_escape "$(realpath -m -- "$1")")
	dev=$(awk -v m="$mnt" '$5 == m { split($3, d, ":"); n = d[1] * 1048576 + d[2] } END { if (n == "") exit 1; print n }' /proc/self/mountinfo) ||
		return 1
	mountpoint -q "$ctl" || mount -t fusectl none "$ctl" || return 1
	[ -w "$ctl/$dev/abort" ] && echo 1 >"$ctl/$dev/abort"
}

# lib_mount_opts MNT — the options field of MNT's line in /proc/mounts (e.g. "ro,nosuid,...").
lib_mount_opts() {
	local mnt
	mnt=$(_lib_mnt_escape "$1")
	awk -v m="$mnt" '$2 == m { o = $4 } END { if (o == "") exit 1; print o }' /proc/mounts
}

# provfs_mount INVENTORY MNT [EXTRA_OPTS] — start
#     $PROVFS INVENTORY MNT -f -o allow_other,state=$PROVFS_STATE[,EXTRA_OPTS]
# in the background (PROVFS_STATE defaults to $WORK/state; give a second mount its own), output
# appended to $WORK/provfs.log. PROVFS_PRELOAD, if set, is the daemon's LD_PRELOAD (t_durable.sh). Waits until MNT is a fuse.provfs mount (10 s at most). Sets
# PROVFS_PID. On failure prints the log, stops the daemon and returns 1.
provfs_mount() {
	local inv=$1 mnt=$2 extra=${3:-} state=${PROVFS_STATE:-$WORK/state} opts pid pre=()
	mnt=$(realpath -m -- "$mnt") # /proc/mounts shows the canonical path
	mkdir -p "$mnt"
	mkdir -p "$state" && chmod 0700 "$state"
	opts=allow_other,state=$state${extra:+,$extra}
	printf '# provfs_mount: %s %s %s -f -o %s\n' "$PROVFS" "$inv" "$mnt" "$opts" >>"$WORK/provfs.log"
	# PROVFS_PRELOAD: through env, so that only the daemon gets it (env execs: same PID).
	[ -z "${PROVFS_PRELOAD:-}" ] || pre=(env "LD_PRELOAD=$PROVFS_PRELOAD")
	# setsid: a terminal Ctrl-C must not reach the daemon; our trap unmounts it in order.
	setsid "${pre[@]}" "$PROVFS" "$inv" "$mnt" -f -o "$opts" </dev/null >>"$WORK/provfs.log" 2>&1 \
		{_LIB_OUT}>&- {_LIB_ERR}>&- &
	pid=$!
	# shellcheck disable=SC2034 # PROVFS_PID: for the scripts that source this file
	PROVFS_PID=$pid
	_LIB_MOUNTS[$mnt]=$pid
	if lib_poll 10 _lib_mounted_or_dead "$mnt" "$pid" && lib_is_mounted "$mnt"; then
		return 0
	fi
	if _lib_alive "$pid"; then
		_lib_diag "provfs_mount: $mnt not mounted after 10 s; stopping provfs"
		kill -TERM "$pid" 2>/dev/null
	else
		wait "$pid" 2>/dev/null
		_lib_diag "provfs_mount: provfs exited with status $? before mounting $mnt"
	fi
	_lib_diag_file "$WORK/provfs.log"
	provfs_umount "$mnt" >/dev/null 2>&1
	return 1
}

_lib_mounted_or_dead() { lib_is_mounted "$1" || _lib_dead "$2"; }

# provfs_track_mount MNT [PID] — remember a mount made some other way (mount -t, fstab) so that
# provfs_umount can find its daemon and cleanup can undo it.
provfs_track_mount() {
	local mnt
	mnt=$(realpath -m -- "$1")
	_LIB_MOUNTS[$mnt]=${2:-}
}

# provfs_pids_for MNT — PIDs of provfs processes that have MNT as an exact argument. This finds
# a daemon that mount.fuse3 started (it daemonizes, so it is not our child); the mount path lives
# in WORK and is unique to this script. Exact argv match: no regex, no names of other processes.
provfs_pids_for() {
	local mnt=$1 d p a args
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" != "$$" ] || continue
		args=()
		mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || continue
		[ "${#args[@]}" -gt 0 ] || continue
		[ "${args[0]##*/}" = provfs ] || continue
		for a in "${args[@]:1}"; do
			if [ "$a" = "$mnt" ]; then
				echo "$p"
				break
			fi
		done
	done
}

# provfs_umount MNT — `fusermount3 -u MNT`, then wait (10 s) for the daemon to exit by itself.
# If the unmount is refused (busy) it falls back to `fusermount3 -uz`; if the daemon lingers it is
# stopped with TERM/KILL. Sets PROVFS_RC to the daemon's exit status when it was our child.
# Returns 0 only if the plain unmount worked and the daemon exited on its own.
provfs_umount() {
	local mnt pids pid rc=0 err
	mnt=$(realpath -m -- "$1")
	pids=${_LIB_MOUNTS[$mnt]:-}
	# A daemonized one (mount.fuse3) is not our child: find it before it goes.
	[ -n "$pids" ] || pids=$(provfs_pids_for "$mnt")
	PROVFS_RC=
	if lib_is_mounted "$mnt" || lib_is_mounted "$mnt" fuse; then
		if ! err=$(fusermount3 -u "$mnt" 2>&1); then
			_lib_diag "fusermount3 -u $mnt: $err; trying -uz"
			fusermount3 -uz "$mnt" 2>/dev/null
			rc=1
		fi
	fi
	for pid in $pids; do
		if ! lib_poll 10 _lib_dead "$pid"; then
			_lib_diag "provfs $pid did not exit after unmounting $mnt; stopping it"
			kill -TERM "$pid" 2>/dev/null
			lib_poll 3 _lib_dead "$pid" || kill -KILL "$pid" 2>/dev/null
			rc=1
		fi
		if [ "$pid" = "${_LIB_MOUNTS[$mnt]:-}" ]; then
			wait "$pid" 2>/dev/null
			# shellcheck disable=SC2034 # PROVFS_RC: for the scripts that source this file
			PROVFS_RC=$?
		fi
	done
	# A daemon that died leaves the mount behind ("Transport endpoint is not connected").
	if lib_is_mounted "$mnt"; then
		fusermount3 -uz "$mnt" 2>/dev/null
		rc=1
	fi
	unset '_LIB_MOUNTS[$mnt]'
	return "$rc"
}

# --- provfs for mount(8) ---------------------------------------------------------------------
#
# `mount -t fuse.provfs` and fstab lines run /sbin/mount.fuse3, which starts the file system as
# `/bin/sh -c 'provfs SOURCE MNT -o ...'`. util-linux 2.38 mount(8) removes PATH (and HOME, SHELL,
# ...) from the environment of its helpers even for root, so `PATH=$BUILD:$PATH mount ...` does not
# work: the helper's shell falls back to its built-in PATH
# /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin and fails with
# "/bin/sh: 1: provfs: not found". For those tests provfs must be in one of those directories, as
# it is after `make install`. provfs_helper_link puts a symlink to $PROVFS into /usr/local/sbin
# (first in that PATH) for the duration of the test; cleanup removes it.

LIB_HELPER_DIR=/usr/local/sbin
_LIB_HELPER_LINK=

# provfs_helper_link — make the mount helper find this build's provfs. Returns 1, saying why, if
# another provfs is already there (it would be tested instead, and it is not ours to replace).
provfs_helper_link() {
	local link=$LIB_HELPER_DIR/provfs found
	found=$(env -i /bin/sh -c 'command -v provfs')
	if [ -n "$found" ]; then
		# Ours already (a link left by a killed run, or an identical installed copy): fine.
		[ "$(readlink -f -- "$found")" = "$(readlink -f -- "$PROVFS")" ] && return 0
		cmp -s -- "$found" "$PROVFS" && return 0
		if [ "$found" = "$link" ]; then
			echo "a different provfs is installed as $link; mount.fuse3 would run it, not $PROVFS"
			return 1
		fi
		# Found later in the helper's PATH (an older `make install`): our link shadows it.
	fi
	mkdir -p "$LIB_HELPER_DIR" && ln -s -- "$PROVFS" "$link" || return 1
	_LIB_HELPER_LINK=$link
}

# provfs_helper_unlink — remove the link made by provfs_helper_link, if it is still ours.
provfs_helper_unlink() {
	[ -n "$_LIB_HELPER_LINK" ] || return 0
	if [ -L "$_LIB_HELPER_LINK" ] && [ "$(readlink -- "$_LIB_HELPER_LINK")" = "$PROVFS" ]; then
		rm -f -- "$_LIB_HELPER_LINK"
	fi
	_LIB_HELPER_LINK=
}

# --- cleanup ---------------------------------------------------------------------------------

_LIB_CLEANED=0

_lib_cleanup() {
	local mnt left u rc=0
	[ "$_LIB_CLEANED" -eq 0 ] || return 0
	_LIB_CLEANED=1
	# Servers first: they hold chroots, cwds and open files inside the mounts.
	srv_stop_all || rc=1
	for mnt in "${!_LIB_MOUNTS[@]}"; do
		provfs_umount "$mnt" || rc=1
	done
	while [ "${#_LIB_PIDS[@]}" -gt 0 ]; do
		lib_stop_pid "${_LIB_PIDS[0]}" || rc=1
	done
	provfs_helper_unlink
	for u in "${_LIB_USERS[@]}"; do
		userdel -f "$u" >/dev/null 2>&1 || rc=1
	done
	_lib_sanitizer_check || rc=1
	# Never rm -rf across a mount that is still there.
	left=$(awk -v w="$(_lib_mnt_escape "$WORK")/" 'index($2, w) == 1 { print $2 }' /proc/mounts)
	if [ -n "$left" ]; then
		_lib_diag "cleanup: still mounted, keeping $WORK: $left"
		rc=1
	elif [ "${KEEP_WORK:-0}" = 1 ]; then
		_lib_diag "cleanup: KEEP_WORK=1, kept $WORK"
	else
		rm -rf --one-file-system -- "$WORK"
	fi
	return "$rc"
}

# A report of AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer (a build-asan run).
_LIB_SANITIZER_RE='==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|^[^ ]+:[0-9]+:[0-9]+: runtime error: '

# _lib_sanitizer_check — with a sanitized build, provfs reports memory errors, leaks and undefined
# behaviour on its stderr, which provfs_mount appends to WORK/provfs.log (scripts may keep other
# *.log files in WORK). The leak report comes when the daemon exits, so this runs after the
# unmounts of the cleanup. Each log with a report is one failed test, and the summary line is
# printed again (run.sh takes the last one). tests/run-all.sh sends the reports of its sanitized
# run to files of their own instead (log_path) and counts them there; this catches them in a run
# without that, e.g. `tests/integration/run.sh build-asan`.
_lib_sanitizer_check() {
	local f found=0
	while IFS= read -r -d '' f; do
		grep -qE -- "$_LIB_SANITIZER_RE" "$f" || continue
		found=1
		t_fail "no sanitizer report in ${f#"$WORK"/}" \
			"$(grep -m 1 -E -- "$_LIB_SANITIZER_RE" "$f")"$'\n'"$(grep -A 30 -m 1 -E -- "$_LIB_SANITIZER_RE" "$f")"
	done < <(find "$WORK" -xdev -type f -name '*.log' -print0 2>/dev/null)
	[ "$found" -eq 0 ] && return 0
	[ "$_T_SUMMARY_DONE" -eq 0 ] || t_summary
	return 1
}

_lib_on_exit() {
	local rc=$?
	trap - EXIT
	exec 1>&"$_LIB_OUT" 2>&"$_LIB_ERR"
	if [ "$_T_SUMMARY_DONE" -eq 0 ]; then
		t_fail "$T_SCRIPT" "aborted with status $rc before its summary"
		t_summary
		[ "$rc" -ne 0 ] || rc=1
	fi
	if ! _lib_cleanup; then
		_lib_diag "cleanup: did not finish cleanly"
		[ "$rc" -ne 0 ] || rc=1
	fi
	exit "$rc"
}

_lib_on_signal() {
	# A Ctrl-C may also have killed whoever reads our output (a pipe to tee): ignore SIGPIPE so
	# that printing during the cleanup cannot kill the cleanup.
	trap '' PIPE
	exec 1>&"$_LIB_OUT" 2>&"$_LIB_ERR"
	_lib_diag "interrupted by SIG$1"
	trap - INT TERM
	[ "$1" = INT ] && exit 130
	exit 143
}

trap _lib_on_exit EXIT
trap '_lib_on_signal INT' INT
trap '_lib_on_signal TERM' TERM

# --- file checks shared by the test scripts ---------------------------------------------------
# Each one is a command for t_check: it succeeds or fails and says why on its output.
# no_secret_in reads the array SECRETS, decrypt the variable PASSWORD and exists/stays the mount
# point MNT of the calling script; lines_are and logged read provfs's log.

to_file() { # to_file FILE CMD... — CMD's stdout into FILE
	local f=$1
	shift
	"$@" >"$f"
}

contains() { grep -qF -- "$2" "$1"; }

no_string_in() { # no_string_in FILE STRING... — FILE (must exist) holds none of the (non-empty) strings
	local f=$1 s rc=0
	shift
	[ -f "$f" ] || {
		echo "$f is missing"
		return 1
	}
	for s in "$@"; do
		[ -n "$s" ] || continue
		if grep -qF -- "$s" "$f"; then
			echo "found '$s' in $f"
			rc=1
		fi
	done
	return "$rc"
}

no_secret_in() { # no_secret_in FILE — a non-empty FILE; names the secret it finds
	local s rc=0
	[ -s "$1" ] || {
		echo "$1 is missing or empty"
		return 1
	}
	for s in "${SECRETS[@]}"; do
		if grep -qF -- "$s" "$1"; then
			echo "found secret '$s' in $1"
			rc=1
		fi
	done
	return "$rc"
}

# lines_are N ERE — exactly N lines of provfs's log (WORK/provfs.log, where provfs_mount sends
# it) match ERE; shows the last audit lines otherwise.
lines_are() {
	local n
	n=$(grep -cE -- "$2" "$WORK/provfs.log")
	[ "$n" -eq "$1" ] && return 0
	echo "$n lines match, expected $1: $2"
	grep -E 'provfs: (fetch|unknown MACs)' "$WORK/provfs.log" | tail -n 8
	return 1
}

# logged N ERE — lines_are, waited for (5 s at most): a release comes after the client is done.
logged() {
	lib_poll 5 lines_are "$1" "$2" >/dev/null
	lines_are "$1" "$2"
}

decrypt() { # decrypt IN OUT — as a phone does, and as SPEC §2 says openssl does it
	openssl enc -d -aes-256-cbc -md md5 -k "$PASSWORD" -in "$1" -out "$2"
}

size_equals_bytes_read() { # stat's size of a file on the mount = what read() returns
	local size bytes
	size=$(stat -c %s -- "$1") || return 1
	bytes=$(wc -c <"$1") || return 1
	echo "stat size $size, bytes read $bytes"
	[ "$size" = "$bytes" ]
}

enoent() { # enoent PATH — stat says ENOENT (and nothing else: no other error)
	local err
	err=$(stat -- "$1" 2>&1) && {
		echo "$1 exists"
		return 1
	}
	[[ $err == *"No such file or directory"* ]] || {
		echo "$err"
		return 1
	}
}

exists() { [ -e "$MNT/$1" ]; } # exists NAME — NAME is on the calling script's mount MNT

# stays NAME SECONDS — NAME is still on MNT after SECONDS (releases are asynchronous).
stays() {
	if lib_poll "$2" enoent "$MNT/$1" >/dev/null; then
		echo "$1 vanished"
		return 1
	fi
	exists "$1"
}

stat_field() { # stat_field FORMAT PATH — one stat field, or stat's error (shown in the FAIL line)
	stat -c "$1" -- "$2" 2>&1
}

entries() { # entries DIR — the names readdir returns, one a line, byte-sorted
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort
}
