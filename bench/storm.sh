#!/usr/bin/env bash
#
# storm.sh [N] [--write] — reboot-storm bench (SPEC §6, issue 11): provfs against a static copy.
#
# N devices (default 10000) from bench/gen-inventory.py (half Grandstream with encrypted
# cfg<mac>.xml, half Panasonic: KX-UTG300 encrypted, every fourth a text-dialect model), mounted
# with build/provfs (-o allow_other,ro,state=WORK/state), and a `provctl export` of the same
# inventory (same state, so the same Panasonic keys) on a tmpfs. Each measurement alternates
# A B A B... (A = the mount, B = the static copy; the same server and configuration apart from the
# root) BENCH_RUNS times per side (default 3) and reports the medians and the ratio A/B:
#
#   HTTP warm      nginx as contrib/nginx-provfs.conf ships it, wrk -t2 -c64 -d5s --latency, a
#                  Lua script walking every device file round-robin: req/s, p99; every response
#                  must be 200 (wrk's non-2xx and socket errors, and nginx's access log);
#                  after an untimed fetch of every file and an untimed wrk run on each side
#   HTTP first     the inventory is regenerated with another --tag (every device file changes),
#   fetch          provfs's log says "reloaded", then every device file is fetched once by curl
#                  -Z --parallel-max 32: time and files/s. The static side is the same fetch from
#                  the tmpfs copy after nginx renewed its workers (SIGHUP: an empty descriptor
#                  cache; tmpfs has no page cache to drop): as cold as a static tree can be.
#   TFTP warm      tftpd-hpa (in.tftpd -L -s ROOT), curl -Z --parallel-max 32 tftp:// of every
#                  device file: files/s; every file fetched is compared (sha256) with the static
#                  copy: any mismatch fails the run
#   audit=exact    the price of the exact in-FUSE audit: a second mount with -o audit=exact,
#                  served by nginx without contrib's open_file_cache lines and by tftpd-hpa, so
#                  that every fetch is read and recorded by provfs: HTTP warm and TFTP warm as
#                  above, against the same static copy (no target: it is the price)
#   firmware       a 32 MiB random file under FIRMWARE_DIR/grandstream/<version>/, read (cat) through
#                  the mount vs the real file: warm (BENCH_FW_RUNS, default 5, alternated) and first
#                  read (echo 3 > /proc/sys/vm/drop_caches before each read): MB/s
#
# Prints one markdown table with the machine and the date. With --write or BENCH_WRITE=1 it also
# puts the table into bench/results.md (between "storm" markers; the rest of the file is kept).
# Exits 1 if any request failed or any file differed. Needs root (mounts, drop_caches, servers
# dropping to nobody). Builds nothing: `make bench` builds first. Loopback only; every process is
# stopped by PID and everything is unmounted on exit.
#
# Knobs (env): BENCH_RUNS (3), BENCH_WRK_SECONDS (5), BENCH_FW_RUNS (5), BUILD (build),
# KEEP_WORK=1 (keep the temp dir).

# shellcheck source=bench/lib-bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

N=10000
WRITE=${BENCH_WRITE:-0}
for arg in "$@"; do
	case $arg in
	--write) WRITE=1 ;;
	'' | *[!0-9]*) bench_die "usage: storm.sh [N] [--write]" ;;
	*) N=$arg ;;
	esac
done
if [ "$N" -lt 1 ] || [ "$N" -gt 1000000 ]; then
	bench_die "N must be 1..1000000"
fi
RUNS=${BENCH_RUNS:-3}
WRK_SECONDS=${BENCH_WRK_SECONDS:-5}
FW_RUNS=${BENCH_FW_RUNS:-5}
PARALLEL=32
FW_VERSION=1.0.11.3
FW_MIB=32
CLIENT_TIMEOUT=300 # seconds: no client command may run longer

[ "$(id -u)" -eq 0 ] || bench_die "storm.sh needs root (mounts, drop_caches, servers as nobody)"
bench_require_bin "$PROVFS" "$PROVCTL" python3 nginx in.tftpd wrk curl fusermount3 sha256sum timeout ss

bench_init storm
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say() { printf '# storm: %s\n' "$*" >&2; }

INV=$WORK/inv/inventory.yaml
NAMES=$WORK/names.txt
MNT=$WORK/mnt
STATE=$WORK/state
TMPFS=$WORK/tmpfs
STATIC=$TMPFS/prov
FWDIR=$WORK/firmware
FW_REAL=$FWDIR/grandstream/$FW_VERSION/gxp2170fw.bin
FW_NAME=gs_gxp2170fw.bin_$FW_VERSION
PLOG=$WORK/provfs.log
TAG=0

# --- set-up ----------------------------------------------------------------------------------

mkdir -p "$WORK/inv" "$(dirname "$FW_REAL")"
head -c $((FW_MIB * 1048576)) /dev/urandom >"$FW_REAL" || bench_die "firmware file"
python3 "$BENCH_DIR/gen-inventory.py" "$N" "$INV" --firmware "$FWDIR" "$FW_VERSION" \
	--tag "$TAG" --names "$NAMES" || bench_die "gen-inventory.py"
"$PROVCTL" check "$INV" >&2 || bench_die "provctl check"
NFILES=$(wc -l <"$NAMES")

t0=$(bench_now_ns)
bench_provfs_mount "$INV" "$MNT" "$STATE" "$PLOG"
t1=$(bench_now_ns)
say "mounted $N devices ($NFILES device files) in $(((t1 - t0) / 1000000)) ms"

# A fleet in service: every encrypted Panasonic phone got its key once (its plain Config<MAC>.cfg
# read to the end, then one of its .enc names asked for), as at its first provisioning. Until
# then the key flow's names are looked up on every request (fs/ops.c, key_flow_lookup), which a
# reboot storm of provisioned phones never sees.
t0=$(bench_now_ns)
ndeliver=0
while IFS= read -r n; do
	case $n in
	Config[0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F].enc)
		{ cat -- "$MNT/${n%.enc}.cfg" >/dev/null && cat -- "$MNT/$n" >/dev/null; } ||
			bench_die "cannot deliver the key of ${n%.enc}"
		[ ! -e "$MNT/${n%.enc}.cfg" ] || bench_die "${n%.enc}.cfg still there after delivery"
		ndeliver=$((ndeliver + 1))
		;;
	esac
done <"$NAMES"
say "delivered $ndeliver Panasonic keys in $((($(bench_now_ns) - t0) / 1000000)) ms"

# The static copy: tmpfs big enough for the tree and the TFTP client's copies (files are small).
bench_tmpfs "$TMPFS" "$((256 + N / 10))m"
t0=$(bench_now_ns)
"$PROVCTL" export "$INV" "$STATIC" -s "$STATE" >&2 || bench_die "provctl export"
t1=$(bench_now_ns)
say "exported the static copy in $(((t1 - t0) / 1000000)) ms"
chmod -R a+rX "$STATIC"

# Every name must exist on both sides; the stat also renders every file on the mount (warm).
missing=0
while IFS= read -r n; do
	[ -f "$STATIC/$n" ] && [ -f "$MNT/$n" ] || missing=$((missing + 1))
done <"$NAMES"
[ "$missing" -eq 0 ] || bench_die "$missing device file(s) missing on the mount or in the copy"
(cd "$STATIC" && xargs -d '\n' sha256sum --) <"$NAMES" >"$WORK/static.sha256" || bench_die "sha256sum"
cmp -s "$MNT/$FW_NAME" "$FW_REAL" || bench_die "$FW_NAME through the mount differs from the real file"

bench_nginx_start "$MNT" nginx-a
NGA_PORT=$NGINX_PORT
bench_nginx_start "$STATIC" nginx-b
NGB_PORT=$NGINX_PORT
NGB_PID=$NGINX_PID
bench_tftpd_start "$MNT" tftpd-a
TFA_PORT=$TFTP_PORT # set by bench_tftpd_start
bench_tftpd_start "$STATIC" tftpd-b
TFB_PORT=$TFTP_PORT
say "nginx mount :$NGA_PORT static :$NGB_PORT; tftpd mount :$TFA_PORT static :$TFB_PORT"

FAILED=0 # failed requests + mismatched files, over the whole run

# settle — wait (at most 30 s) until the provfs daemon is idle: less than 2 clock ticks of CPU in
# 0.5 s. After a run through the mount, provfs goes on working for a while (its fetch-record
# flusher writes a file per device fetched); that must not steal the CPU from the next static run.
SETTLE_MS=()
settle() {
	local t0 a b tries=60
	t0=$(bench_now_ns)
	b=$(awk '{ print $14 + $15 }' "/proc/$PROVFS_PID/stat")
	while [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		a=$b
		sleep 0.5
		b=$(awk '{ print $14 + $15 }' "/proc/$PROVFS_PID/stat")
		[ $((b - a)) -ge 2 ] || break
	done
	SETTLE_MS+=("$((($(bench_now_ns) - t0) / 1000000))")
}

# --- clients ---------------------------------------------------------------------------------

# curl_config FILE URLBASE OUTDIR — a curl -K file fetching every device name once.
curl_config() {
	local out=$1 base=$2 dir=$3
	awk -v b="$base" -v d="$dir" '{
		printf "url = \"%s/%s\"\n", b, $0
		if (d == "") print "output = \"/dev/null\""; else printf "output = \"%s/%s\"\n", d, $0
	}' "$NAMES" >"$out"
}

curl_config "$WORK/http-a.curl" "http://$BENCH_ADDR:$NGA_PORT/prov" ""
curl_config "$WORK/http-b.curl" "http://$BENCH_ADDR:$NGB_PORT/prov" ""
mkdir -p "$TMPFS/got"
curl_config "$WORK/tftp-a.curl" "tftp://$BENCH_ADDR:$TFA_PORT" "$TMPFS/got"
curl_config "$WORK/tftp-b.curl" "tftp://$BENCH_ADDR:$TFB_PORT" "$TMPFS/got"

cat >"$WORK/walk.lua" <<'EOF'
-- Walk every device file name round-robin; each thread starts at its own offset.
local names = {}
for line in io.lines(os.getenv("BENCH_NAMES")) do
  names[#names + 1] = "/prov/" .. line
end
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
local i
function request()
  if i == nil then
    i = (offset or 0) * math.floor(#names / 2)
  end
  i = i % #names + 1
  return wrk.format("GET", names[i])
end
EOF

# parallel_fetch CURLCFG — curl -Z of a -K file; sets PF_NS (elapsed), PF_P99 (the 99th percentile
# of one transfer's time, ms) and PF_BAD, the transfers that did not end with 200 (HTTP) / exit 0
# (TFTP), or were not made at all.
parallel_fetch() {
	local cfg=$1 t0 t1 codes=$WORK/codes.txt rc
	t0=$(bench_now_ns)
	bench_client "$CLIENT_TIMEOUT" curl -s -Z --parallel-max "$PARALLEL" -K "$cfg" \
		-w '%{response_code} %{exitcode} %{time_total}\n' >"$codes" 2>>"$WORK/curl.err"
	rc=$?
	t1=$(bench_now_ns)
	PF_NS=$((t1 - t0))
	# TFTP has no status: curl reports 0 on success.
	PF_BAD=$(awk -v n="$NFILES" '($1 != 200 && $1 != 0) || $2 != 0 { b++ } END { print b + (n - NR > 0 ? n - NR : 0) }' "$codes")
	[ "$rc" -eq 0 ] || [ "$PF_BAD" -gt 0 ] || PF_BAD=1
	# the 99th percentile of the transfers' times (curl's time_total, seconds), in ms
	# shellcheck disable=SC2034 # PF_P99: read through eval in first_run
	PF_P99=$(awk '{ print $3 * 1000 }' "$codes" | sort -n |
		awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.999); if (i < 1) i = 1; printf "%.1f", v[i] }')
}

# access_non200 LOG FROM_LINE — responses in nginx's access log (contrib's provfs format: the status
# is field 6) after FROM_LINE that were not 200; a line of another format counts as one.
access_non200() {
	tail -n "+$(($2 + 1))" "$1" | awk '$1 != "provfs1" || $6 != 200 { b++ } END { print b + 0 }'
}

# to_ms VALUE_WITH_UNIT — wrk's "1.23ms" / "850.00us" / "1.01s" in ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) printf "%.3f\n", v / 1000; else if (v ~ /ms$/) printf "%.3f\n", v + 0;
		else if (v ~ /s$/) printf "%.3f\n", v * 1000; else print "nan" }'
}

# wrk_run SIDE PORT — one wrk run; appends to RPS_<SIDE>, P99_<SIDE>; counts failures.
RPS_a=() RPS_b=() P99_a=() P99_b=()
wrk_run() {
	local side=$1 port=$2 log=$WORK/nginx-$1/provfs.access.log out=$WORK/wrk-$1.out before rps p99 non2xx sock bad
	before=$(wc -l <"$log")
	BENCH_NAMES=$NAMES bench_client $((WRK_SECONDS + 60)) wrk -t2 -c64 -d"${WRK_SECONDS}s" --latency \
		-s "$WORK/walk.lua" "http://$BENCH_ADDR:$port/" >"$out" 2>&1 || {
		cat "$out" >&2
		bench_die "wrk failed"
	}
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	sock=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	bad=$(access_non200 "$log" "$before")
	bad=$((bad + ${non2xx:-0} + ${sock:-0}))
	if [ "$bad" -gt 0 ]; then
		say "HTTP warm ($side): $bad failed requests (non-2xx ${non2xx:-0}, socket errors ${sock:-0})"
		FAILED=$((FAILED + bad))
	fi
	say "HTTP warm ($side): $rps req/s, p99 $p99 ms"
	eval "RPS_$side+=(\"\$rps\"); P99_$side+=(\"\$p99\")"
}

# --- HTTP warm -------------------------------------------------------------------------------

say "HTTP warm: one untimed pass of every file on each side first"
for s in a b; do
	parallel_fetch "$WORK/http-$s.curl"
	[ "$PF_BAD" -eq 0 ] || bench_die "warm-up over HTTP ($s): $PF_BAD failed fetches"
done
# and one untimed wrk run per side: each nginx worker keeps its own descriptor cache, and the
# pass above reached each worker with only part of the names
say "HTTP warm: one untimed wrk run on each side"
wrk_run a "$NGA_PORT"
wrk_run b "$NGB_PORT"
RPS_a=() RPS_b=() P99_a=() P99_b=()
for ((r = 1; r <= RUNS; r++)); do
	settle
	wrk_run a "$NGA_PORT"
	settle
	wrk_run b "$NGB_PORT"
done

# --- TFTP warm -------------------------------------------------------------------------------

TFTP_a=() TFTP_b=() MISMATCH=0
tftp_run() {
	local side=$1 ns bad mis
	rm -rf "$TMPFS/got" && mkdir -p "$TMPFS/got"
	parallel_fetch "$WORK/tftp-$side.curl"
	ns=$PF_NS bad=$PF_BAD
	mis=$( (cd "$TMPFS/got" && sha256sum --quiet -c "$WORK/static.sha256" 2>/dev/null) | grep -c ': FAILED')
	if [ "$bad" -gt 0 ] || [ "$mis" -gt 0 ]; then
		say "TFTP ($side): $bad failed transfers, $mis files differ from the static copy"
		FAILED=$((FAILED + bad))
		MISMATCH=$((MISMATCH + mis))
	fi
	eval "TFTP_$side+=(\"\$(awk -v n=\"\$NFILES\" -v t=\"\$ns\" 'BEGIN { printf \"%.0f\", n / (t / 1e9) }')\")"
	say "TFTP warm ($side): $NFILES files in $((ns / 1000000)) ms"
}
for ((r = 1; r <= RUNS; r++)); do
	settle
	tftp_run a
	settle
	tftp_run b
done

# --- the price of audit=exact ---------------------------------------------------------------
#
# X = a second mount of the same inventory with -o audit=exact (its own state directory: a copy,
# keys delivered), served by nginx without the open_file_cache lines of contrib/ and by tftpd-hpa:
# every fetch is opened and read through provfs and recorded complete or partial (nowatch: it
# stays out of the reloads below). Against the
# same static B, alternated X B X B.

cp -a "$STATE" "$WORK/state-exact" || bench_die "copying the state directory"
rm -f "$WORK/state-exact/provfs.pid"
PROVFS_A_PID=$PROVFS_PID
bench_provfs_mount "$INV" "$WORK/mnt-exact" "$WORK/state-exact" "$WORK/provfs-exact.log" audit=exact,nowatch
PROVFS_X_PID=$PROVFS_PID
PROVFS_PID=$PROVFS_A_PID
bench_nginx_start "$WORK/mnt-exact" nginx-x nofdcache
NGX_PORT=$NGINX_PORT
bench_tftpd_start "$WORK/mnt-exact" tftpd-x
curl_config "$WORK/http-x.curl" "http://$BENCH_ADDR:$NGX_PORT/prov" ""
curl_config "$WORK/tftp-x.curl" "tftp://$BENCH_ADDR:$TFTP_PORT" "$TMPFS/got"
parallel_fetch "$WORK/http-x.curl"
[ "$PF_BAD" -eq 0 ] || bench_die "warm-up over HTTP (x): $PF_BAD failed fetches"
# B's runs of this section stay out of the medians of the sections above (saved and restored)
SAVED_RPS_b=("${RPS_b[@]}") SAVED_P99_b=("${P99_b[@]}") SAVED_TFTP_b=("${TFTP_b[@]}")
RPS_b=() P99_b=() TFTP_b=()
# shellcheck disable=SC2034 # P99_x: filled by wrk_run, not shown
RPS_x=() P99_x=() TFTP_x=()
for ((r = 1; r <= RUNS; r++)); do
	PROVFS_PID=$PROVFS_X_PID settle
	wrk_run x "$NGX_PORT"
	settle
	wrk_run b "$NGB_PORT"
done
for ((r = 1; r <= RUNS; r++)); do
	PROVFS_PID=$PROVFS_X_PID settle
	tftp_run x
	settle
	tftp_run b
done

RPS_bx=("${RPS_b[@]}") TFTP_bx=("${TFTP_b[@]}")
RPS_b=("${SAVED_RPS_b[@]}") P99_b=("${SAVED_P99_b[@]}") TFTP_b=("${SAVED_TFTP_b[@]}")

# --- HTTP first fetch after a reload that changes every file --------------------------------

FIRST_a=() FIRST_b=() FIRSTMS_a=() FIRSTMS_b=() FIRSTP99_a=() FIRSTP99_b=()
workers() { pgrep -P "$1" | sort | tr '\n' ' '; }
workers_replaced() { # workers_replaced MASTER OLD — 2 workers, none of OLD
	local now w
	now=$(workers "$1")
	[ "$(wc -w <<<"$now")" -eq 2 ] || return 1
	for w in $now; do
		case " $2 " in *" $w "*) return 1 ;; esac
	done
}
nginx_new_workers() {
	local old
	old=$(workers "$1")
	if ! kill -HUP "$1" || ! bench_poll 10 workers_replaced "$1" "$old"; then
		bench_die "nginx did not renew its workers"
	fi
}
reloads() { grep -c 'reloaded' "$PLOG"; }
reloaded_after() { [ "$(reloads)" -gt "$1" ]; }
first_run() {
	local side=$1 ns bad before
	if [ "$side" = a ]; then
		TAG=$((TAG + 1))
		before=$(reloads)
		python3 "$BENCH_DIR/gen-inventory.py" "$N" "$INV" --firmware "$FWDIR" "$FW_VERSION" \
			--tag "$TAG" || bench_die "gen-inventory.py --tag $TAG"
		bench_poll 120 reloaded_after "$before" || {
			tail -n 5 "$PLOG" >&2
			bench_die "provfs did not log 'reloaded' within 120 s"
		}
		say "reload: $(grep 'reloaded' "$PLOG" | tail -n 1)"
	else
		# B's files did not change: new workers, so that nginx's descriptor cache is empty and
		# every file is opened again, as on A (where every name changed)
		nginx_new_workers "$NGB_PID"
	fi
	settle
	parallel_fetch "$WORK/http-$side.curl"
	ns=$PF_NS bad=$PF_BAD
	if [ "$bad" -gt 0 ]; then
		say "HTTP first fetch ($side): $bad failed fetches"
		FAILED=$((FAILED + bad))
	fi
	eval "FIRSTMS_$side+=(\"\$((ns / 1000000))\")"
	eval "FIRSTP99_$side+=(\"\$PF_P99\")"
	eval "FIRST_$side+=(\"\$(awk -v n=\"\$NFILES\" -v t=\"\$ns\" 'BEGIN { printf \"%.0f\", n / (t / 1e9) }')\")"
	say "HTTP first fetch ($side): $NFILES files in $((ns / 1000000)) ms"
}
for ((r = 1; r <= RUNS; r++)); do
	first_run a
	first_run b
done

# --- firmware --------------------------------------------------------------------------------

# read_mbs FILE — seconds-exact cat of FILE to /dev/null; prints MB/s (10^6 bytes).
read_mbs() {
	local t0 t1
	t0=$(bench_now_ns)
	timeout "$CLIENT_TIMEOUT" cat -- "$1" >/dev/null || {
		echo nan
		return 1
	}
	t1=$(bench_now_ns)
	awk -v b=$((FW_MIB * 1048576)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f\n", b / 1e6 / (t / 1e9) }'
}
drop_caches() { sync && echo 3 >/proc/sys/vm/drop_caches; }

FWW_a=() FWW_b=() FWF_a=() FWF_b=()
read_mbs "$MNT/$FW_NAME" >/dev/null || bench_die "reading $MNT/$FW_NAME"
read_mbs "$FW_REAL" >/dev/null || bench_die "reading $FW_REAL"
settle
for ((r = 1; r <= FW_RUNS; r++)); do
	FWW_a+=("$(read_mbs "$MNT/$FW_NAME")")
	FWW_b+=("$(read_mbs "$FW_REAL")")
done
say "firmware warm MB/s: mount ${FWW_a[*]}; real file ${FWW_b[*]}"
for ((r = 1; r <= RUNS; r++)); do
	drop_caches || bench_die "echo 3 > /proc/sys/vm/drop_caches"
	FWF_a+=("$(read_mbs "$MNT/$FW_NAME")")
	drop_caches
	FWF_b+=("$(read_mbs "$FW_REAL")")
done
say "firmware first read MB/s: mount ${FWF_a[*]}; real file ${FWF_b[*]}"

# --- the table -------------------------------------------------------------------------------

m() { bench_median "$@"; }
rps_a=$(m "${RPS_a[@]}") rps_b=$(m "${RPS_b[@]}")
p99_a=$(m "${P99_a[@]}") p99_b=$(m "${P99_b[@]}")
tf_a=$(m "${TFTP_a[@]}") tf_b=$(m "${TFTP_b[@]}")
ff_a=$(m "${FIRST_a[@]}") ff_b=$(m "${FIRST_b[@]}")
fm_a=$(m "${FIRSTMS_a[@]}") fm_b=$(m "${FIRSTMS_b[@]}")
fp_a=$(m "${FIRSTP99_a[@]}") fp_b=$(m "${FIRSTP99_b[@]}")
fww_a=$(m "${FWW_a[@]}") fww_b=$(m "${FWW_b[@]}")
fwf_a=$(m "${FWF_a[@]}") fwf_b=$(m "${FWF_b[@]}")
ok() { awk -v r="$1" -v t="$2" 'BEGIN { print (r + 0 >= t) ? "yes" : "**no**" }'; }
int() { printf '%.0f' "$1"; }

r_rps=$(bench_ratio "$rps_a" "$rps_b")
r_ff=$(bench_ratio "$ff_a" "$ff_b")
r_tf=$(bench_ratio "$tf_a" "$tf_b")
r_fww=$(bench_ratio "$fww_a" "$fww_b")
r_fwf=$(bench_ratio "$fwf_a" "$fwf_b")
rps_x=$(m "${RPS_x[@]}") tf_x=$(m "${TFTP_x[@]}")
rps_bx=$(m "${RPS_bx[@]}") tf_bx=$(m "${TFTP_bx[@]}")
r_rps_x=$(bench_ratio "$rps_x" "$rps_bx")
r_tf_x=$(bench_ratio "$tf_x" "$tf_bx")

TABLE=$WORK/table.md
{
	printf '### make bench: reboot storm (bench/storm.sh), N = %s devices, %s device files\n\n' "$N" "$NFILES"
	printf '%s; %s; load average at start %s, at the end %s (anything else running skews the ratios)\n\n' \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(bench_machine)" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2016 # backquotes for markdown
	printf 'A = provfs mount (-o allow_other,ro), B = `provctl export` of the same inventory on tmpfs (firmware: the real file on %s); same server, same configuration apart from the root; runs alternated A B A B, %s per side (firmware warm: %s), medians.\n\n' \
		"$(df --output=fstype "$FW_REAL" | tail -n 1)" "$RUNS" "$FW_RUNS"
	printf '| measurement | provfs (A) | static (B) | A / B | SPEC §6 target |\n'
	printf '|---|---:|---:|---:|---|\n'
	printf '| HTTP warm, nginx as contrib/ ships it, wrk -t2 -c64 -d%ss: req/s | %s | %s | %s | ≥ 0.9 (%s) |\n' \
		"$WRK_SECONDS" "$(int "$rps_a")" "$(int "$rps_b")" "$r_rps" "$(ok "$r_rps" 0.9)"
	printf '| HTTP warm: p99 latency, ms | %s | %s | %s | |\n' "$p99_a" "$p99_b" "$(bench_ratio "$p99_a" "$p99_b")"
	printf '| HTTP first fetch of every file after a reload that changed them all, curl -Z x%s: files/s (ms for all) | %s (%s ms) | %s (%s ms) | %s | ≥ 0.25 (%s) |\n' \
		"$PARALLEL" "$(int "$ff_a")" "$(int "$fm_a")" "$(int "$ff_b")" "$(int "$fm_b")" "$r_ff" "$(ok "$r_ff" 0.25)"
	printf '| HTTP first fetch: p99 of one file, ms | %s | %s | %s | |\n' "$fp_a" "$fp_b" "$(bench_ratio "$fp_a" "$fp_b")"
	printf '| TFTP warm, tftpd-hpa, curl -Z x%s: files/s (every file verified) | %s | %s | %s | ≥ 0.9 (%s) |\n' \
		"$PARALLEL" "$(int "$tf_a")" "$(int "$tf_b")" "$r_tf" "$(ok "$r_tf" 0.9)"
	printf '| firmware %s MiB, warm: MB/s | %s | %s | %s | ≥ 0.9 (%s) |\n' \
		"$FW_MIB" "$(int "$fww_a")" "$(int "$fww_b")" "$r_fww" "$(ok "$r_fww" 0.9)"
	printf '| firmware %s MiB, first read after drop_caches: MB/s | %s | %s | %s | ≥ 0.5 (%s) |\n' \
		"$FW_MIB" "$(int "$fwf_a")" "$(int "$fwf_b")" "$r_fwf" "$(ok "$r_fwf" 0.5)"
	printf '| price of audit=exact (every fetch read and recorded by provfs): HTTP warm, nginx without open_file_cache: req/s | %s | %s | %s | (no target) |\n' \
		"$(int "$rps_x")" "$(int "$rps_bx")" "$r_rps_x"
	printf '| price of audit=exact: TFTP warm: files/s (every file verified) | %s | %s | %s | (no target) |\n' \
		"$(int "$tf_x")" "$(int "$tf_bx")" "$r_tf_x"
	printf '\nFailed requests: %s; TFTP files differing from the static copy: %s. Before each timed run the bench waited for provfs to go idle (its fetch-record flusher works on after a run through the mount): %s ms at most, median %s ms.\n' \
		"$FAILED" "$MISMATCH" "$(printf '%s\n' "${SETTLE_MS[@]}" | sort -n | tail -n 1)" "$(bench_median "${SETTLE_MS[@]}")"
	printf 'HTTP first fetch: A waits for provfs to log "reloaded" (the reload re-renders every file already rendered before it goes live, so the fetch finds bytes ready but every kernel cache entry of a device file dropped, and nginx opens every file again); B fetches the same names from the tmpfs copy after nginx renewed its workers (SIGHUP: its descriptor cache is empty, every file is opened again; tmpfs has no page cache to drop: its pages are the files), i.e. as cold as a static tree gets.\n'
} >"$TABLE"
cat "$TABLE"

# BENCH_SUMMARY (bench/run.sh): one line per result, N <tab> what <tab> measured <tab> target
# <tab> verdict, for the summary table of make bench.
if [ -n "${BENCH_SUMMARY:-}" ]; then
	{
		printf '%s\tHTTP warm (nginx as contrib/ ships it), provfs / static\t%s (%s / %s req/s; p99 %s / %s ms)\t≥ 0.9\t%s\n' \
			"$N" "$r_rps" "$(int "$rps_a")" "$(int "$rps_b")" "$p99_a" "$p99_b" "$(ok "$r_rps" 0.9)"
		printf '%s\tHTTP first fetch after a reload that changed every file\t%s (%s / %s ms for all; p99 %s / %s ms)\t≥ 0.25\t%s\n' \
			"$N" "$r_ff" "$(int "$fm_a")" "$(int "$fm_b")" "$fp_a" "$fp_b" "$(ok "$r_ff" 0.25)"
		printf '%s\tTFTP warm (tftpd-hpa)\t%s (%s / %s files/s)\t≥ 0.9\t%s\n' \
			"$N" "$r_tf" "$(int "$tf_a")" "$(int "$tf_b")" "$(ok "$r_tf" 0.9)"
		printf '%s\tfirmware 32 MiB warm\t%s\t≥ 0.9\t%s\n' "$N" "$r_fww" "$(ok "$r_fww" 0.9)"
		printf '%s\tfirmware 32 MiB first read\t%s\t≥ 0.5\t%s\n' "$N" "$r_fwf" "$(ok "$r_fwf" 0.5)"
		printf '%s\tprice of audit=exact: HTTP warm without open_file_cache, TFTP warm\t%s, %s\t(the price)\t\n' \
			"$N" "$r_rps_x" "$r_tf_x"
		printf '%s\tfailed requests, TFTP files differing\t%s, %s\t0\t%s\n' "$N" "$FAILED" "$MISMATCH" \
			"$([ "$FAILED" -eq 0 ] && [ "$MISMATCH" -eq 0 ] && echo yes || echo '**no**')"
	} >>"$BENCH_SUMMARY"
fi

if [ "$WRITE" = 1 ]; then
	RESULTS=$BENCH_DIR/results.md
	python3 "$BENCH_DIR/write-results.py" "$RESULTS" "storm.sh $N" "$TABLE" ||
		bench_die "writing bench/results.md"
	say "wrote $RESULTS"
fi

if [ "$FAILED" -ne 0 ] || [ "$MISMATCH" -ne 0 ]; then
	bench_die "$FAILED failed requests, $MISMATCH mismatched files"
fi
