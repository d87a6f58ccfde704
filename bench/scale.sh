#!/usr/bin/env bash
# scale.sh [N] — the large-inventory part of `make bench` (issue 11 point 1, SPEC §6): N devices
# (default 100000, both vendors, encryption on, from bench/gen-inventory.py), measured on one
# mount:
#
#   load + validate + index   `provctl check` wall time, median of 3
#   mount                     start of `provfs INV MNT -f` -> the first device file answered
#                             through the mount; the daemon's CPU time until then
#   resident memory           VmRSS right after the mount and after every name of `provctl ls`
#                             was looked up (a lookup renders: stat is enough), 2 in parallel
#   reload peak               a reload that changes every device file (gen-inventory.py --tag):
#                             VmHWM (reset through /proc/PID/clear_refs) and VmRSS sampled every
#                             20 ms until the log says "reloaded"; SIGHUP -> log line
#   reload under load         4 readers read device files through the mount while 3 such
#                             reloads run; every read must return, whole, the bytes of one of the
#                             two inventories (as the mount served them at rest, checked against
#                             `provctl cat` for a few names)
#
# and prints one markdown table with the targets (mount <= 1 s, resident <= 200 MB with every file
# rendered, reload peak <= 1.5 x steady, no failed request) and the machine it ran on. With
# BENCH_WRITE=1 the table also goes into bench/results.md (its own block per N, replaced on a
# rerun). Exit status 1 if a lookup or a read failed; missed targets are only reported.
#
# Knobs (environment): BUILD (default build, relative to the repository root), BENCH_WRITE=1,
# SCALE_SAMPLE (device files the readers cycle through, default 5000), SCALE_READERS (4),
# SCALE_RELOADS (3), KEEP_WORK=1 (keep the work directory: logs, smaps).
#
# Runs as root (allow_other, like the servers need). Loopback only: nothing listens. Everything
# it starts is stopped by PID and the mount is undone by a trap on EXIT, INT and TERM. The mount
# uses -o nowatch, so that SIGHUP alone starts each reload and its duration is SIGHUP -> log line.
# Every step has a time limit (a reload 120 s, the lookups 900 s, the readers 600 s); N=100000
# takes about 6 minutes on the project's 2-core machine.

set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$REPO_ROOT/$BUILD ;;
esac
PROVFS=$BUILD/provfs
PROVCTL=$BUILD/provctl
GEN=$HERE/gen-inventory.py

N=${1:-100000}
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
SAMPLE=${SCALE_SAMPLE:-5000}
READERS=${SCALE_READERS:-4}
RELOADS=${SCALE_RELOADS:-3}
RELOAD_TIMEOUT=120 # s, one reload, SIGHUP -> log line
LOAD_CAP=600       # s, the readers stop by themselves after this whatever happens

say() { printf '# scale.sh: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

case $N in
'' | *[!0-9]*) die "usage: scale.sh [N]  (N devices, default 100000)" ;;
esac
if [ "$N" -lt 1 ] || [ "$N" -gt 1000000 ]; then die "N must be 1..1000000"; fi
[ "$(id -u)" -eq 0 ] || die "needs root (the mount uses allow_other)"
for p in "$PROVFS" "$PROVCTL"; do
	[ -x "$p" ] || die "missing $p (run make first)"
done
[ -r "$GEN" ] || die "missing $GEN"
command -v python3 >/dev/null || die "needs python3"
command -v fusermount3 >/dev/null || die "needs fusermount3"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/provfs-scale.XXXXXXXX") || die "mktemp failed"
chmod 0711 "$WORK"
MNT=$WORK/mnt
STATE=$WORK/state
INV=$WORK/inventory.yaml
LOG=$WORK/provfs.log
mkdir -p "$MNT" "$STATE"
chmod 0700 "$STATE"

# --- cleanup: everything by PID, the mount undone, WORK removed only when nothing is mounted --

DAEMON_PID=
HELPER_PIDS=()

is_mounted() { # is_mounted — MNT is in /proc/mounts (any fuse type: a dead daemon's too)
	awk -v m="$MNT" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

alive() { # alive PID — exists and is not a zombie
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# poll SECONDS CMD... — run CMD every 20 ms until it succeeds; 1 if it never did.
poll() {
	local tries=$(($1 * 50))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		tries=$((tries - 1))
		sleep 0.02
	done
	"$@"
}

dead() { ! alive "$1"; }

stop_pid() { # stop_pid PID — TERM, 5 s, KILL; reaps it
	local pid=$1
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! poll 5 dead "$pid"; then
			say "pid $pid did not stop on TERM; sending KILL"
			kill -KILL "$pid" 2>/dev/null
			poll 2 dead "$pid"
		fi
	fi
	wait "$pid" 2>/dev/null
}

unmount() {
	local err rc=0
	if is_mounted && ! err=$(fusermount3 -u "$MNT" 2>&1); then
		say "fusermount3 -u: $err; trying -uz"
		fusermount3 -uz "$MNT" 2>/dev/null
		rc=1
	fi
	if [ -n "$DAEMON_PID" ]; then
		if ! poll 10 dead "$DAEMON_PID"; then
			say "provfs $DAEMON_PID still running 10 s after the unmount; stopping it"
			stop_pid "$DAEMON_PID"
			rc=1
		fi
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	fi
	if is_mounted; then
		fusermount3 -uz "$MNT" 2>/dev/null
		rc=1
	fi
	return "$rc"
}

CLEANED=0
cleanup() {
	local rc=$? p
	[ "$CLEANED" -eq 0 ] || return
	CLEANED=1
	trap - EXIT INT TERM
	: >"$WORK/stop" 2>/dev/null
	for p in "${HELPER_PIDS[@]}"; do
		stop_pid "$p"
	done
	unmount || rc=1
	if is_mounted; then
		say "still mounted, keeping $WORK"
		rc=1
	elif [ "${KEEP_WORK:-0}" = 1 ]; then
		say "KEEP_WORK=1: kept $WORK"
	else
		rm -rf --one-file-system -- "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# --- helpers ----------------------------------------------------------------------------------

now_ns() { date +%s%N; }

ms_since() { # ms_since T0_NS — milliseconds from T0 to now
	echo $((($(now_ns) - $1) / 1000000))
}

status_kb() { # status_kb FIELD — FIELD (VmRSS, VmHWM) of the daemon in kB
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$DAEMON_PID/status"
}

cpu_ticks() { # user + system CPU of the daemon, clock ticks (after the comm field's ")")
	local s
	s=$(<"/proc/$DAEMON_PID/stat")
	s=${s##*) }
	# shellcheck disable=SC2086 # word splitting is the point
	set -- $s
	echo $((${12} + ${13}))
}

# smaps DEST — keep the daemon's smaps_rollup (what its resident memory is made of).
smaps() {
	cp "/proc/$DAEMON_PID/smaps_rollup" "$1" 2>/dev/null || : >"$1"
}

smaps_kb() { # smaps_kb FILE FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "$1"
}

mib() { # mib KB — kB as MiB, one decimal
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

mb() { # mb KB — kB as MB (10^6 bytes), one decimal
	awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'
}

secs() { # secs MS — seconds, two decimals
	awk -v m="$1" 'BEGIN { printf "%.2f", m / 1000 }'
}

verdict() { # verdict CMP A B — PASS if A CMP B (awk: <=, ==, ...), else FAIL
	if awk -v a="$2" -v b="$3" "BEGIN { exit !(a $1 b) }"; then echo PASS; else echo FAIL; fi
}

median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

group() { # 1234567 -> 1,234,567
	printf '%s' "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'
}

# log_since OFFSET — the daemon's log from byte OFFSET on
log_since() { tail -c "+$(($1 + 1))" "$LOG" 2>/dev/null; }
log_size() { stat -c %s "$LOG"; }

# reloaded_line OFFSET GEN — the "reloaded ... generation GEN," line logged after OFFSET. grep
# reads to the end: with -m 1 tail could die of SIGPIPE and pipefail would call a match a miss.
reloaded_line() {
	local line
	line=$(log_since "$1" | grep -F "reloaded $INV: generation $2,") || return 1
	printf '%s\n' "${line%%$'\n'*}"
}

GENERATION=1
RELOAD_MS=
RELOAD_LINE=

# reload VARIANT — make the inventory VARIANT (a or b), SIGHUP, wait for the log line. Sets
# RELOAD_MS (SIGHUP -> line seen) and RELOAD_LINE.
reload() {
	local off t0 waited=0
	cp "$WORK/inv-$1.yaml" "$INV.tmp" || die "cannot copy the inventory"
	mv -f "$INV.tmp" "$INV" || die "cannot switch the inventory"
	GENERATION=$((GENERATION + 1))
	off=$(log_size)
	t0=$(now_ns)
	kill -HUP "$DAEMON_PID" || die "provfs is gone"
	until RELOAD_LINE=$(reloaded_line "$off" "$GENERATION"); do
		alive "$DAEMON_PID" || die "provfs died during a reload (see $LOG)"
		if [ $((waited += 1)) -gt $((RELOAD_TIMEOUT * 100)) ]; then
			log_since "$off" | grep -v ' fetch ' | tail -n 5 >&2
			die "no 'reloaded ... generation $GENERATION' within $RELOAD_TIMEOUT s"
		fi
		sleep 0.01
	done
	RELOAD_MS=$(ms_since "$t0")
}

# changed_of LINE — C of "...; files: C re-rendered, A added, R removed" (files rendered before)
changed_of() { sed -n 's/.*; files: \([0-9]*\) re-rendered,.*/\1/p' <<<"$1"; }

# --- the reader: snapshot the sample at rest, or read it under load and check every read ------

cat >"$WORK/reader.py" <<'EOF'
import os, sys, time

def read_whole(path):
    """(bytes, fstat size of the opened file) or raises OSError."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        parts = []
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            parts.append(b)
        return b"".join(parts), size
    finally:
        os.close(fd)

def wellformed(name, data):
    if name.startswith("cfg") and name.endswith(".xml"):  # Grandstream, openssl enc
        return data.startswith(b"Salted__") and len(data) % 16 == 0 and len(data) > 16
    if name.endswith(".enc"):  # Panasonic: base64 of openssl enc, 64-column lines
        return data.startswith(b"U2FsdGVkX1") and all(len(l) <= 64 for l in data.split(b"\n"))
    return len(data) > 0

mode, mnt, names_file = sys.argv[1:4]
names = open(names_file).read().split()

if mode == "snapshot":  # snapshot OUTDIR: the sample's bytes as the mount serves them at rest
    out = sys.argv[4]
    bad = 0
    for n in names:
        data, size = read_whole(os.path.join(mnt, n))
        if len(data) != size or not wellformed(n, data):
            bad += 1
            sys.stderr.write("snapshot: %s: %d bytes of %d, well-formed %s\n"
                             % (n, len(data), size, wellformed(n, data)))
        with open(os.path.join(out, n), "wb") as f:
            f.write(data)
    sys.exit(1 if bad else 0)

# load A_DIR B_DIR STOPFILE CAP INDEX COUNT OUT
a_dir, b_dir, stop, cap, index, count, out = sys.argv[4:11]
cap, index, count = float(cap), int(index), int(count)
want = {}
for n in names:
    want[n] = (open(os.path.join(a_dir, n), "rb").read(), open(os.path.join(b_dir, n), "rb").read())
ok = failed = in_a = in_b = 0
examples = []
slowest = 0.0
i = (len(names) * index) // count
end = time.monotonic() + cap
while not os.path.exists(stop) and time.monotonic() < end:
    for _ in range(64):
        n = names[i % len(names)]
        i += 1
        t = time.monotonic()
        why = None
        try:
            data, size = read_whole(os.path.join(mnt, n))
            if len(data) != size:
                why = "%d bytes read, stat of the open file says %d" % (len(data), size)
            elif data == want[n][0]:
                in_a += 1
            elif data == want[n][1]:
                in_b += 1
            elif not wellformed(n, data):
                why = "%d bytes of neither inventory, not well-formed" % len(data)
            else:
                why = "%d bytes of neither inventory" % len(data)
        except OSError as e:
            why = "%s" % (os.strerror(e.errno) if e.errno else e)
        slowest = max(slowest, time.monotonic() - t)
        if why is None:
            ok += 1
        else:
            failed += 1
            if len(examples) < 5:
                examples.append("%s: %s" % (n, why))
with open(out, "w") as f:
    f.write("%d %d %d %d %.1f\n" % (ok, failed, in_a, in_b, slowest * 1000))
    for e in examples:
        f.write(e + "\n")
EOF

# --- inventories ------------------------------------------------------------------------------

say "N=$N: generating the two inventories (work in $WORK)"
python3 "$GEN" "$N" "$WORK/inv-a.yaml" --tag a --names "$WORK/names.txt" || die "gen-inventory.py failed"
python3 "$GEN" "$N" "$WORK/inv-b.yaml" --tag b || die "gen-inventory.py failed"
cp "$WORK/inv-a.yaml" "$INV"
INV_BYTES=$(stat -c %s "$INV")
timeout 120 "$PROVCTL" ls "$INV" >"$WORK/all-names.txt" || die "provctl ls failed"
NAMES=$(wc -l <"$WORK/all-names.txt")
DEVICE_NAMES=$(wc -l <"$WORK/names.txt")
# The readers' sample: every k-th device file a phone fetches, at most SAMPLE of them.
awk -v n="$DEVICE_NAMES" -v s="$SAMPLE" 'BEGIN { k = int((n + s - 1) / s); if (k < 1) k = 1 }
	(NR - 1) % k == 0' "$WORK/names.txt" >"$WORK/sample.txt"
# ... and the first file of each kind, so that each kind is checked against provctl cat
KINDS=('^cfg' '^Config[0-9A-F]*\.enc$' '^ConfigKX-.*\.enc$' '^ConfigCom-.*\.enc$'
	'^Config[0-9A-F]*\.cfg$')
for pat in "${KINDS[@]}"; do
	grep -q -e "$pat" "$WORK/sample.txt" || grep -m 1 -e "$pat" "$WORK/names.txt" >>"$WORK/sample.txt"
done
SAMPLE_N=$(wc -l <"$WORK/sample.txt")

# --- load + validate + index ------------------------------------------------------------------

say "provctl check, 3 times"
CHECK_MS=()
for _ in 1 2 3; do
	t0=$(now_ns)
	timeout 120 "$PROVCTL" check "$INV" >/dev/null || die "provctl check failed on the generated inventory"
	CHECK_MS+=("$(ms_since "$t0")")
done
CHECK_MED=$(median3 "${CHECK_MS[@]}")
CHECK_KB=$({ timeout 120 /usr/bin/time -f '%M' "$PROVCTL" check "$INV" >/dev/null; } 2>&1 | tail -n 1)
case $CHECK_KB in '' | *[!0-9]*) CHECK_KB= ;; esac

# --- mount ------------------------------------------------------------------------------------

FIRST=$(head -n 1 "$WORK/names.txt")
first_answered() { stat -c %s "$MNT/$FIRST" >/dev/null 2>&1 && is_mounted; }
say "mounting"
t0=$(now_ns)
# SCALE_ENV: VAR=VALUE words for the daemon's environment (GLIBC_TUNABLES=..., to compare)
# shellcheck disable=SC2086 # one word per variable
setsid env ${SCALE_ENV:-} "$PROVFS" "$INV" "$MNT" -f -o "allow_other,nowatch,state=$STATE" \
	</dev/null >>"$LOG" 2>&1 &
DAEMON_PID=$!
until first_answered; do
	alive "$DAEMON_PID" || {
		tail -n 20 "$LOG" >&2
		die "provfs exited before mounting"
	}
	[ "$(ms_since "$t0")" -lt 60000 ] || die "not mounted after 60 s"
	sleep 0.005
done
MOUNT_MS=$(ms_since "$t0")
MOUNT_CPU=$(cpu_ticks)
TICK=$(getconf CLK_TCK)
poll 10 grep -qF "mounted $INV on $MNT" "$LOG" || die "no 'mounted' line in the log"
RSS_MOUNT=$(status_kb VmRSS)
smaps "$WORK/smaps-mount"

# --- every file rendered ----------------------------------------------------------------------

say "looking up all $NAMES names (xargs -P2 stat)"
t0=$(now_ns)
sed -e "s|^|$MNT/|" "$WORK/all-names.txt" |
	timeout 900 xargs -d '\n' -P 2 -n 500 stat -c '%s' -- >"$WORK/sizes.txt" 2>"$WORK/stat-errors.txt"
RENDER_MS=$(ms_since "$t0")
RENDERED=$(wc -l <"$WORK/sizes.txt")
RENDER_ERR=$(wc -l <"$WORK/stat-errors.txt")
CONTENT_BYTES=$(awk '{ s += $1 } END { printf "%d", s }' "$WORK/sizes.txt")
sleep 1 # the fetch-record flusher and the kernel settle
RSS_RENDERED=$(status_kb VmRSS)
smaps "$WORK/smaps-rendered"
KEYS=$(find "$STATE" -maxdepth 1 -name 'key-*' | wc -l)

# --- the sample at rest, generation a; checked against provctl cat ----------------------------

mkdir -p "$WORK/snap-a" "$WORK/snap-b"
timeout 300 python3 "$WORK/reader.py" snapshot "$MNT" "$WORK/sample.txt" "$WORK/snap-a" ||
	die "the sample read at rest was not whole or not well-formed"

# cat_check VARIANT — a few names of the sample (each kind of file) are what provctl cat says
CAT_CHECKED=0
cat_check() {
	local v=$1 name pat
	cp "$WORK/inv-$v.yaml" "$WORK/cat-$v.yaml"
	for pat in "${KINDS[@]}"; do
		name=$(grep -m 1 -e "$pat" "$WORK/sample.txt") || continue
		timeout 120 "$PROVCTL" cat "$WORK/cat-$v.yaml" "$name" -s "$STATE" >"$WORK/cat.out" ||
			die "provctl cat $name failed"
		cmp -s "$WORK/cat.out" "$WORK/snap-$v/$name" ||
			die "$name through the mount differs from provctl cat (inventory $v)"
		CAT_CHECKED=$((CAT_CHECKED + 1))
	done
}
cat_check a

# --- reload peak: a reload that changes every file, at rest -----------------------------------

say "reload that changes everything (a -> b)"
HWM_BEFORE=$(status_kb VmHWM)
echo 5 >"/proc/$DAEMON_PID/clear_refs" || die "cannot reset VmHWM through /proc/$DAEMON_PID/clear_refs"
HWM_RESET=$(status_kb VmHWM)
# the reset makes VmHWM the current VmRSS (Linux >= 4.0); without it the peak would be stale
[ "$HWM_RESET" -le $(($(status_kb VmRSS) + 1024)) ] ||
	die "VmHWM did not drop on clear_refs ($HWM_BEFORE -> $HWM_RESET kB): cannot measure the peak"
# sampler: the daemon's VmRSS every 20 ms, its maximum written at the end
rm -f "$WORK/stop-sampler"
(
	max=0
	while [ ! -e "$WORK/stop-sampler" ]; do
		while read -r k v _; do
			[ "$k" = VmRSS: ] && [ "$v" -gt "$max" ] && max=$v
		done <"/proc/$DAEMON_PID/status"
		sleep 0.02
	done
	echo "$max" >"$WORK/sampled-max"
) &
SAMPLER=$!
HELPER_PIDS+=("$SAMPLER")
CPU0=$(cpu_ticks)
reload b
PEAK_RELOAD_MS=$RELOAD_MS
PEAK_CHANGED=$(changed_of "$RELOAD_LINE")
RELOAD_CPU=$(($(cpu_ticks) - CPU0))
HWM=$(status_kb VmHWM)
: >"$WORK/stop-sampler"
wait "$SAMPLER"
HELPER_PIDS=()
SAMPLED_MAX=$(cat "$WORK/sampled-max")
sleep 1
RSS_AFTER=$(status_kb VmRSS)
smaps "$WORK/smaps-after-reload"

timeout 300 python3 "$WORK/reader.py" snapshot "$MNT" "$WORK/sample.txt" "$WORK/snap-b" ||
	die "the sample read at rest (inventory b) was not whole or not well-formed"
cat_check b
SAME=$(cd "$WORK/snap-a" && while read -r n; do cmp -s "$n" "../snap-b/$n" && echo "$n"; done <"$WORK/sample.txt" | wc -l)
[ "$SAME" -eq 0 ] || say "note: $SAME files of the sample are the same in both inventories"

# --- reload under load ------------------------------------------------------------------------

say "$RELOADS reloads under $READERS readers"
rm -f "$WORK/stop"
for ((r = 0; r < READERS; r++)); do
	python3 "$WORK/reader.py" load "$MNT" "$WORK/sample.txt" "$WORK/snap-a" "$WORK/snap-b" \
		"$WORK/stop" "$LOAD_CAP" "$r" "$READERS" "$WORK/reader-$r.out" &
	HELPER_PIDS+=("$!")
done
sleep 2
LOAD_MS=()
LOAD_CHANGED=()
variant=b
for ((r = 0; r < RELOADS; r++)); do
	if [ "$variant" = a ]; then variant=b; else variant=a; fi
	reload "$variant"
	LOAD_MS+=("$RELOAD_MS")
	LOAD_CHANGED+=("$(changed_of "$RELOAD_LINE")")
	sleep 2
done
: >"$WORK/stop"
for p in "${HELPER_PIDS[@]}"; do
	wait "$p"
done
HELPER_PIDS=()
READS_OK=0 READS_FAILED=0 READS_A=0 READS_B=0 SLOWEST=0
for ((r = 0; r < READERS; r++)); do
	[ -s "$WORK/reader-$r.out" ] || die "reader $r wrote no result"
	read -r ok failed in_a in_b slow <"$WORK/reader-$r.out"
	READS_OK=$((READS_OK + ok)) READS_FAILED=$((READS_FAILED + failed))
	READS_A=$((READS_A + in_a)) READS_B=$((READS_B + in_b))
	SLOWEST=$(awk -v a="$SLOWEST" -v b="$slow" 'BEGIN { print (b > a) ? b : a }')
	tail -n +2 "$WORK/reader-$r.out" | sed -e "s/^/# reader $r failed: /" >&2
done
READS=$((READS_OK + READS_FAILED))
RSS_END=$(status_kb VmRSS)
HWM_END=$(status_kb VmHWM)

unmount || say "the unmount was not clean"

# --- the table --------------------------------------------------------------------------------

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
LIMIT_KB=$((200000000 / 1024)) # 200 MB
RATIO=$(awk -v p="$HWM" -v s="$RSS_RENDERED" 'BEGIN { printf "%.2f", p / s }')
RATIO_AFTER=$(awk -v p="$HWM" -v s="$RSS_AFTER" 'BEGIN { printf "%.2f", p / s }')
anon_kb() { smaps_kb "$1" Anonymous; }
joined() { # joined MS... — "1.23 s, 1.40 s"
	local m out=
	for m in "$@"; do out+="${out:+, }$(secs "$m") s"; done
	printf '%s' "$out"
}

TABLE=$(
	printf '### %s devices (bench/scale.sh, %s)\n\n' "$(group "$N")" "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'Machine: %s CPUs (nproc), %s, Linux %s; provfs %s\n\n' "$(nproc)" "$CPU_MODEL" \
		"$(uname -r)" "$(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo '?')"
	printf '| what | measured | target | |\n|---|---|---|---|\n'
	printf '| inventory | %s devices, %s MB of YAML; %s names, %s of them device files phones fetch | | |\n' \
		"$(group "$N")" "$(awk -v b="$INV_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')" \
		"$(group "$NAMES")" "$(group "$DEVICE_NAMES")"
	# shellcheck disable=SC2016 # backquotes are markdown here
	printf '| load + validate + index (`provctl check`, median of 3) | %s s (%s)%s | ≤ 1 s (SPEC §6) | %s |\n' \
		"$(secs "$CHECK_MED")" "$(joined "${CHECK_MS[@]}")" \
		"${CHECK_KB:+; peak RSS $(mib "$CHECK_KB") MiB}" "$(verdict '<=' "$CHECK_MED" 1000)"
	printf '| mount: start → first device file answered | %s s; the daemon'"'"'s CPU until then %s s | ≤ 1 s | %s |\n' \
		"$(secs "$MOUNT_MS")" "$(awk -v t="$MOUNT_CPU" -v h="$TICK" 'BEGIN { printf "%.2f", t / h }')" \
		"$(verdict '<=' "$MOUNT_MS" 1000)"
	printf '| resident right after the mount | %s MiB (anonymous %s MiB) | | |\n' \
		"$(mib "$RSS_MOUNT")" "$(mib "$(anon_kb "$WORK/smaps-mount")")"
	printf '| every name looked up (stat, xargs -P2) | %s of %s in %s s (%s/s), %s errors; %s MiB of rendered bytes; %s keys made | | |\n' \
		"$(group "$RENDERED")" "$(group "$NAMES")" "$(secs "$RENDER_MS")" \
		"$(group $((RENDERED * 1000 / (RENDER_MS > 0 ? RENDER_MS : 1))))" "$RENDER_ERR" \
		"$(mib $((CONTENT_BYTES / 1024)))" "$(group "$KEYS")"
	printf '| resident with every file rendered (steady) | %s MiB = %s MB (anonymous %s MiB) | ≤ 200 MB | %s |\n' \
		"$(mib "$RSS_RENDERED")" "$(mb "$RSS_RENDERED")" "$(mib "$(anon_kb "$WORK/smaps-rendered")")" \
		"$(verdict '<=' "$RSS_RENDERED" "$LIMIT_KB")"
	printf '| reload that changes everything, at rest: SIGHUP → "reloaded" | %s s (%s changed; daemon CPU %s s) | | |\n' \
		"$(secs "$PEAK_RELOAD_MS")" "$(group "${PEAK_CHANGED:-?}")" \
		"$(awk -v t="$RELOAD_CPU" -v h="$TICK" 'BEGIN { printf "%.2f", t / h }')"
	printf '| reload peak (VmHWM; VmRSS sampled every 20 ms: %s MiB) | %s MiB = %s × steady | ≤ 1.5 × steady | %s |\n' \
		"$(mib "$SAMPLED_MAX")" "$(mib "$HWM")" "$RATIO" "$(verdict '<=' "$RATIO" 1.5)"
	printf '| resident 1 s after that reload | %s MiB (peak = %s × this) | | |\n' \
		"$(mib "$RSS_AFTER")" "$RATIO_AFTER"
	printf '| %s reloads that change everything under %s readers: SIGHUP → "reloaded" | %s (changed: %s) | | |\n' \
		"$RELOADS" "$READERS" "$(joined "${LOAD_MS[@]}")" "$(
			IFS=/
			echo "${LOAD_CHANGED[*]}"
		)"
	printf '| reads during those reloads (%s device files, each read whole = one inventory'"'"'s bytes) | %s failed of %s (%s of a, %s of b; slowest %s ms) | no failed request | %s |\n' \
		"$(group "$SAMPLE_N")" "$(group "$READS_FAILED")" "$(group "$READS")" "$(group "$READS_A")" \
		"$(group "$READS_B")" "$SLOWEST" "$(
			if [ "$READS" -gt 0 ] && [ "$READS_FAILED" -eq 0 ]; then echo PASS; else echo FAIL; fi
		)"
	printf '| resident at the end | %s MiB (VmHWM since the reset %s MiB) | | |\n' \
		"$(mib "$RSS_END")" "$(mib "$HWM_END")"
	# shellcheck disable=SC2016 # backquotes are markdown here
	printf '\nThe mount ran with -o nowatch (SIGHUP starts each reload)%s; state directory on %s; %s names checked against `provctl cat`; load average before the run: %s.\n' \
		"${SCALE_ENV:+ and the environment $SCALE_ENV}" "$(df --output=fstype "$STATE" | tail -n 1)" \
		"$CAT_CHECKED" "$LOADAVG"
)

printf '\n%s\n' "$TABLE"
# BENCH_SUMMARY (bench/run.sh): N <tab> what <tab> measured <tab> target <tab> verdict
if [ -n "${BENCH_SUMMARY:-}" ]; then
	{
		printf '%s\tload + validate + index (provctl check)\t%s s\t≤ 1 s\t%s\n' "$N" "$(secs "$CHECK_MED")" \
			"$(verdict '<=' "$CHECK_MED" 1000)"
		printf '%s\tmount: start → first device file answered\t%s s\t≤ 1 s\t%s\n' "$N" "$(secs "$MOUNT_MS")" \
			"$(verdict '<=' "$MOUNT_MS" 1000)"
		printf '%s\tresident with every file rendered\t%s MB\t≤ 200 MB\t%s\n' "$N" "$(mb "$RSS_RENDERED")" \
			"$(verdict '<=' "$RSS_RENDERED" "$LIMIT_KB")"
		printf '%s\treload peak, a reload that changes everything\t%s × steady (%s s)\t≤ 1.5 ×\t%s\n' "$N" \
			"$RATIO" "$(secs "$PEAK_RELOAD_MS")" "$(verdict '<=' "$RATIO" 1.5)"
		printf '%s\treads during %s reloads under load\t%s failed of %s (reloads %s)\t0 failed\t%s\n' "$N" \
			"$RELOADS" "$READS_FAILED" "$READS" "$(joined "${LOAD_MS[@]}")" "$(
				if [ "$READS" -gt 0 ] && [ "$READS_FAILED" -eq 0 ]; then echo PASS; else echo FAIL; fi
			)"
	} >>"$BENCH_SUMMARY"
fi
# bench/results.md: between markers of this N (as storm.sh keeps its own block), so that a run
# replaces its last table and the tables of other sizes and of storm.sh stay.
if [ "${BENCH_WRITE:-0}" = 1 ]; then
	printf '%s\n' "$TABLE" >"$WORK/table.md" || die "writing $WORK/table.md"
	python3 "$HERE/write-results.py" "$REPO_ROOT/bench/results.md" "scale.sh $N" "$WORK/table.md" ||
		die "writing bench/results.md"
	say "wrote bench/results.md"
fi
# What must never happen fails the run; a missed speed or memory target is only reported.
if [ "$RENDER_ERR" -ne 0 ] || [ "$READS_FAILED" -ne 0 ] || [ "$READS" -eq 0 ]; then
	die "$RENDER_ERR lookups failed, $READS_FAILED of $READS reads under reloads failed"
fi
