# shellcheck shell=bash
#
# lib-bench.sh — helpers for bench/storm.sh (and any bench script that wants them).
#
#     . "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
#     bench_init NAME          # WORK=/tmp/provfs-bench-NAME.XXXXXXXX, cleanup trap on EXIT
#
# Copied and trimmed from tests/integration/lib.sh (that file also installs a test runner and
# its own traps, which a bench does not want). The same rules: everything binds 127.0.0.1, every
# process is started in its own session (setsid) and stopped by its PID (process group), never by
# name; FUSE mounts are undone with fusermount3 -u, tmpfs mounts with umount; WORK is removed only
# when nothing is mounted below it.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$REPO_ROOT/$BUILD ;;
esac
PROVFS=$BUILD/provfs
# shellcheck disable=SC2034 # PROVCTL, NGINX_PORT, TFTP_PORT: for the scripts that source this file
PROVCTL=$BUILD/provctl
BENCH_ADDR=127.0.0.1
NGINX_CONTRIB=$REPO_ROOT/contrib/nginx-provfs.conf

_BENCH_PIDS=()   # servers: each the leader of its own process group
_BENCH_FUSE=()   # "MNT PID" of each provfs mount
_BENCH_TMPFS=()  # tmpfs mount points
_BENCH_PORTS=" " # ports handed out
WORK=

bench_log() { printf '# %s\n' "$*" >&2; }

bench_die() {
	bench_log "FAILED: $*"
	exit 1
}

# bench_init NAME — make WORK (0711: servers drop to nobody and must traverse it), set traps.
bench_init() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/provfs-bench-$1.XXXXXXXX") || bench_die "mktemp"
	chmod 0711 "$WORK"
	trap bench_cleanup EXIT
	trap 'bench_log "interrupted"; exit 130' INT
	trap 'bench_log "terminated"; exit 143' TERM
}

# bench_require_bin PATH|NAME... — each must be an executable path or a command on PATH.
bench_require_bin() {
	local p
	for p in "$@"; do
		if [[ $p == */* ]]; then
			[ -x "$p" ] || bench_die "missing $p (run make first)"
		else
			command -v "$p" >/dev/null || bench_die "missing command $p (run make deps)"
		fi
	done
}

bench_now_ns() { date +%s%N; }

# bench_client SECONDS CMD... — run a client under timeout(1) in the background and wait for it:
# a signal to the script interrupts the wait (the trap runs at once) and the cleanup stops the
# client by its PID. Returns the client's status.
_BENCH_CLIENT=
bench_client() {
	local secs=$1 rc
	shift
	timeout "$secs" "$@" &
	_BENCH_CLIENT=$!
	wait "$_BENCH_CLIENT"
	rc=$?
	_BENCH_CLIENT=
	return "$rc"
}

# bench_poll SECONDS CMD... — run CMD every 50 ms until it succeeds (0) or SECONDS pass (1).
bench_poll() {
	local tries=$(($1 * 20))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		tries=$((tries - 1))
		sleep 0.05
	done
	"$@"
}

bench_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

_bench_dead() { ! bench_alive "$1"; }
_bench_group_empty() { ! pgrep -g "$1" >/dev/null 2>&1; }

# bench_spawn LOG CMD... — CMD in a new session, stdin /dev/null, output appended to LOG.
# Sets SPAWN_PID and remembers it for the cleanup.
bench_spawn() {
	local log=$1
	shift
	setsid "$@" </dev/null >>"$log" 2>&1 &
	SPAWN_PID=$!
	_BENCH_PIDS+=("$SPAWN_PID")
}

# bench_stop PID — TERM its process group, wait up to 5 s, then KILL. Reaps it.
bench_stop() {
	local pid=$1 p keep=()
	[ -n "$pid" ] || return 0
	if bench_alive "$pid" || ! _bench_group_empty "$pid"; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		if ! bench_poll 5 _bench_dead "$pid" || ! bench_poll 2 _bench_group_empty "$pid"; then
			bench_log "pid $pid did not stop on TERM; sending KILL"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
			bench_poll 2 _bench_dead "$pid"
		fi
	fi
	wait "$pid" 2>/dev/null
	for p in "${_BENCH_PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	_BENCH_PIDS=("${keep[@]}")
}

# bench_free_port — a port free for TCP and UDP in 20000-32767 (below the ephemeral range).
bench_free_port() {
	local tries=200 p
	while [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		p=$((20000 + RANDOM % 12000))
		[[ $_BENCH_PORTS == *" $p "* ]] && continue
		[ -z "$(ss -Htuan "( sport = :$p )" 2>/dev/null)" ] || continue
		_BENCH_PORTS+="$p "
		FREE_PORT=$p
		return 0
	done
	bench_die "no free port"
}

# _bench_listening t|u PORT PID — PID (or a process of its group) holds a socket on PORT.
_bench_listening() {
	local line p
	line=$(ss -Hlnp"$1" "( sport = :$2 )" 2>/dev/null) || return 1
	[ -n "$line" ] || return 1
	[[ $line == *"pid=$3,"* ]] && return 0
	for p in $(pgrep -g "$3" 2>/dev/null); do
		[[ $line == *"pid=$p,"* ]] && return 0
	done
	return 1
}

_bench_mnt_escape() { # /proc/mounts escapes space, tab, newline and backslash as octal
	local s=$1
	s=${s//\\/\\134}
	s=${s// /\\040}
	printf '%s' "$s"
}

# bench_mounted MNT [TYPE] — MNT is a mount point (of TYPE, if given).
bench_mounted() {
	local m
	m=$(_bench_mnt_escape "$1")
	awk -v m="$m" -v t="${2:-}" '$2 == m && (t == "" || $3 == t) { f = 1 } END { exit !f }' /proc/mounts
}

# bench_tmpfs DIR SIZE — mount a tmpfs (mode 0755) on DIR.
bench_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" || bench_die "mount -t tmpfs on $1"
	_BENCH_TMPFS+=("$1")
}

# bench_provfs_mount INV MNT STATE LOG — provfs -f -o allow_other,ro,state=STATE in the
# background; waits (10 s) for the mount. Sets PROVFS_PID.
bench_provfs_mount() {
	local inv=$1 mnt=$2 state=$3 log=$4 extra=${5:-}
	mkdir -p "$mnt" "$state"
	chmod 0700 "$state"
	setsid "$PROVFS" "$inv" "$mnt" -f -o "allow_other,ro,state=$state${extra:+,$extra}" </dev/null >>"$log" 2>&1 &
	PROVFS_PID=$!
	_BENCH_FUSE+=("$mnt $PROVFS_PID")
	bench_poll 10 bench_mounted "$mnt" fuse.provfs && return 0
	tail -n 20 "$log" >&2
	bench_die "provfs did not mount $mnt"
}

# bench_provfs_umount MNT PID — fusermount3 -u (falls back to -uz), wait for the daemon.
bench_provfs_umount() {
	local mnt=$1 pid=$2
	if bench_mounted "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || {
			bench_log "fusermount3 -u $mnt refused; using -uz"
			fusermount3 -uz "$mnt" 2>/dev/null
		}
	fi
	if [ -n "$pid" ] && ! bench_poll 10 _bench_dead "$pid"; then
		bench_log "provfs $pid still running after unmount; TERM"
		kill -TERM "$pid" 2>/dev/null
		bench_poll 3 _bench_dead "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	[ -z "$pid" ] || wait "$pid" 2>/dev/null
	return 0
}

# bench_nginx_start ROOT NAME [nofdcache] — nginx with contrib/nginx-provfs.conf's server block as
# shipped; only the listen address, the alias path, and pid/log/temp paths (in WORK/NAME) differ.
# nofdcache: without its open_file_cache lines (the price of audit=exact).
# worker_processes 2; the http-level settings are Debian 12's /etc/nginx/nginx.conf ones.
# Sets NGINX_PORT, NGINX_PID; the access log is WORK/NAME/provfs.access.log (contrib's provfs
# format: the status is field 6).
bench_nginx_start() {
	local root=$1 d=$WORK/$2 port drop=()
	[ "${3:-}" != nofdcache ] || drop=(-e '/^[[:space:]]*open_file_cache/d')
	mkdir -p "$d"
	bench_free_port
	port=$FREE_PORT
	sed -e "s|^\([[:space:]]*\)listen 80;|\1listen $BENCH_ADDR:$port;|" \
		-e '/^[[:space:]]*listen \[::\]:80;/d' \
		-e "s|^\([[:space:]]*\)alias /srv/provfs/;|\1alias $root/;|" \
		-e "s|^\([[:space:]]*\)access_log /var/log/nginx/provfs.access.log provfs;|\1access_log $d/provfs.access.log provfs;|" \
		"${drop[@]}" "$NGINX_CONTRIB" >"$d/provfs.conf"
	if ! grep -q "listen $BENCH_ADDR:$port;" "$d/provfs.conf" || ! grep -q "alias $root/;" "$d/provfs.conf" ||
		! grep -q "access_log $d/provfs.access.log provfs;" "$d/provfs.conf"; then
		bench_die "$NGINX_CONTRIB no longer has 'listen 80;', 'alias /srv/provfs/;' and its access_log line to substitute"
	fi
	if grep -v "listen $BENCH_ADDR:$port;" "$d/provfs.conf" | grep -v '^[[:space:]]*#' | grep -q 'listen'; then
		bench_die "$NGINX_CONTRIB listens on something else too"
	fi
	cat >"$d/nginx.conf" <<EOF
# Generated by bench/lib-bench.sh: Debian 12's nginx.conf http settings + contrib's server block.
daemon off;
master_process on;
user nobody nogroup;
worker_processes 2;
# contrib/nginx-provfs-limits.conf (systemd LimitNOFILE) outside systemd: open_file_cache's fds
worker_rlimit_nofile 65536;
pid $d/nginx.pid;
error_log $d/error.log;

events {
    worker_connections 768;
}

http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $d/access.log;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;

    include $d/provfs.conf;
}
EOF
	bench_spawn "$d/stderr.log" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
	NGINX_PID=$SPAWN_PID
	# shellcheck disable=SC2034
	NGINX_PORT=$port
	bench_poll 10 _bench_listening t "$port" "$NGINX_PID" || {
		tail -n 20 "$d/error.log" "$d/stderr.log" >&2
		bench_die "nginx ($2) did not listen on $port"
	}
}

# bench_tftpd_start ROOT NAME — in.tftpd -L -a 127.0.0.1:PORT -s ROOT -u nobody (as lib.sh).
# Start it after mounting anything on ROOT (the chroot pins what it saw). Sets TFTP_PORT, TFTPD_PID.
bench_tftpd_start() {
	local root=$1 d=$WORK/$2 port
	mkdir -p "$d"
	bench_free_port
	port=$FREE_PORT
	bench_spawn "$d/tftpd.log" in.tftpd -L -a "$BENCH_ADDR:$port" -s "$root" -u nobody
	TFTPD_PID=$SPAWN_PID
	# shellcheck disable=SC2034
	TFTP_PORT=$port
	bench_poll 10 _bench_listening u "$port" "$TFTPD_PID" || {
		tail -n 20 "$d/tftpd.log" >&2
		bench_die "in.tftpd ($2) did not listen on $port"
	}
}

# bench_median NUMBER... — the median (mean of the two middle values for an even count).
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B [DIGITS] — A / B.
bench_ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.*f\n", d, a / b }'
}

# bench_machine — "nproc N, kernel K, CPU MODEL, RAM M MiB".
bench_machine() {
	local model
	model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	printf 'nproc %s, kernel %s, CPU %s, RAM %s MiB' "$(nproc)" "$(uname -r)" "${model:-unknown}" \
		"$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
}

bench_cleanup() {
	local rc=$? e left
	trap - EXIT INT TERM
	if [ -n "$_BENCH_CLIENT" ]; then # timeout(1) passes TERM on to its command
		kill -TERM "$_BENCH_CLIENT" 2>/dev/null
		wait "$_BENCH_CLIENT" 2>/dev/null
	fi
	# Servers first: they hold chroots and open files inside the mounts.
	while [ "${#_BENCH_PIDS[@]}" -gt 0 ]; do
		bench_stop "${_BENCH_PIDS[0]}"
	done
	for e in "${_BENCH_FUSE[@]}"; do
		bench_provfs_umount "${e% *}" "${e##* }"
	done
	for e in "${_BENCH_TMPFS[@]}"; do
		if bench_mounted "$e"; then
			umount "$e" 2>/dev/null || umount -l "$e" || bench_log "cannot unmount $e"
		fi
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		left=$(awk -v w="$(_bench_mnt_escape "$WORK")/" 'index($2, w) == 1 { print $2 }' /proc/mounts)
		if [ -n "$left" ]; then
			bench_log "still mounted, keeping $WORK: $left"
			[ "$rc" -ne 0 ] || rc=1
		elif [ "${KEEP_WORK:-0}" = 1 ]; then
			bench_log "KEEP_WORK=1: kept $WORK"
		else
			rm -rf --one-file-system -- "$WORK"
		fi
	fi
	exit "$rc"
}
