#!/usr/bin/env bash
# t_generations.sh — a reload and the files already open (SPEC §4 "Atomic generations"):
#   - a reader that opened a file before a reload reads that generation's bytes to the end, even
#     when the reload changed the file's size (smaller and larger) and another reader fetched the
#     new bytes in between; readers that open after the reload get the new bytes whole;
#   - a reload invalidates only the names whose bytes changed: an unchanged file keeps its
#     inode number and mtime, a changed one gets new ones (a later mtime, also when the
#     inventory's mtime goes back: t_mtime.sh), and the log counts them.
#   - the same readers with -o retain=0 (nothing retained: every read renders again, checked
#     against the digest the size was given with), and a bad retain= value is refused.
# Files are large (~120 KB) and read with POSIX_FADV_RANDOM so that a reader really goes back to
# the kernel (and to provfs) for each page after the reload.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"
lib_require_bin "python3 is installed" "$(command -v python3)"

INV=$WORK/inventory.yaml
MNT=$WORK/mnt
GENERIC=cfg.xml             # a generic file: the kernel keeps its pages across opens
DEVICE=cfg000b82123456.xml  # a device file (kept in the page cache, or not with audit=exact)
UNTOUCHED=cfg000b82abcdef.xml # a device whose own settings never change
MODEL=cfggxp2170.xml

# inventory VALUE_LENGTH USER — 2000 generic and default params of VALUE_LENGTH characters each
# (so cfg.xml, cfggxp2170.xml and the devices' files change size with it) and the line user of
# 00:0b:82:12:34:56. 00:0b:82:ab:cd:ef takes nothing from the defaults' params: its file only
# changes when its own settings do.
inventory() {
	python3 - "$1" "$2" <<'EOF'
import sys
vlen, user = int(sys.argv[1]), sys.argv[2]
p = ", ".join('P%d: "%s"' % (10000 + i, "v" * vlen) for i in range(2000))
print("""version: 1
server:
  url: http://127.0.0.1/prov
generic:
  params: {grandstream: {%s}}
models:
  GXP2170: {vendor: grandstream, max_lines: 6}
  GXP1625: {vendor: grandstream, max_lines: 2}
groups:
  big:
    params: {grandstream: {%s}}
devices:
  00:0b:82:12:34:56:
    model: GXP2170
    groups: [big]
    lines: [{user: "%s", password: "pw1"}]
  00:0b:82:ab:cd:ef:
    model: GXP1625
    lines: [{user: "2001", password: "pw2"}]""" % (p, p, user))
EOF
}

# reader.py PATH OUT [open-only] — opens PATH, reads its first page (not with open-only), says
# "ready", waits for a line on stdin, reads the rest page by page and writes all it read to OUT.
# POSIX_FADV_RANDOM: no readahead, so the rest is read after the reload.
cat >"$WORK/reader.py" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
data = b"" if sys.argv[3:] == ["open-only"] else os.pread(fd, 4096, 0)
print("ready", flush=True)
sys.stdin.readline()
while True:
    chunk = os.pread(fd, 4096, len(data))
    if not chunk:
        break
    data += chunk
os.close(fd)
with open(sys.argv[2], "wb") as f:
    f.write(data)
EOF

log_has() { grep -qF -- "$1" "$WORK/provfs.log"; }

# write_inventory VALUE_LENGTH USER — replace the inventory (rename over it), as an editor does
write_inventory() { inventory "$1" "$2" >"$INV.new" && mv -- "$INV.new" "$INV"; }

want() { "$PROVCTL" cat "$INV" "$1" >"$WORK/want.$1" 2>/dev/null; }

# reload_to N — SIGHUP, then wait for generation N in the log
reload_to() {
	kill -HUP "$PROVFS_PID" && lib_poll 3 log_has "generation $1,"
}

# straddle NAME LEN USER GEN [open-only] — a reader opens NAME and reads a page (or nothing);
# the inventory becomes (LEN, USER) and is reloaded to generation GEN; a second reader reads the
# new file whole; then the first reader reads on. Expects: first = the old bytes, second and a
# third (after the first finished) = the new bytes.
straddle() {
	local name=$1 len=$2 user=$3 gen=$4 mode=${5:-} line
	t_check "$name: the bytes before" want "$name"
	cp -- "$WORK/want.$name" "$WORK/old.$name"
	coproc READER { python3 "$WORK/reader.py" "$MNT/$name" "$WORK/first.$name" "$mode"; }
	read -r -t 10 -u "${READER[0]}" line
	t_eq "$name: the first reader has read its first page" ready "$line"
	t_check "$name: the inventory changes its size" write_inventory "$len" "$user"
	t_check "$name: reloaded to generation $gen" reload_to "$gen"
	want "$name"
	t_check_fails "$name: its bytes changed (size $(_lib_size "$WORK/old.$name") -> $(_lib_size "$WORK/want.$name"))" \
		"" cmp -s -- "$WORK/old.$name" "$WORK/want.$name"
	t_check "$name: a second reader reads the new bytes" cp -- "$MNT/$name" "$WORK/second.$name"
	t_cmp "$name: the second reader got the new generation whole" "$WORK/want.$name" "$WORK/second.$name"
	echo go >&"${READER[1]}"
	wait "$READER_PID"
	t_eq "$name: the first reader finished" 0 "$?"
	t_cmp "$name: the first reader got its generation whole" "$WORK/old.$name" "$WORK/first.$name"
	t_check "$name: a third reader reads after both" cp -- "$MNT/$name" "$WORK/third.$name"
	t_cmp "$name: the third reader got the new generation" "$WORK/want.$name" "$WORK/third.$name"
	t_check "$name: stat's size is the new one" size_equals_bytes_read "$MNT/$name"
}

t_check "write the first inventory" write_inventory 40 1001
t_check "provctl check accepts it" "$PROVCTL" check "$INV"
t_check "provfs mounts it (nowatch: reloads by SIGHUP)" provfs_mount "$INV" "$MNT" nowatch || {
	t_summary
	exit 1
}
for name in "$GENERIC" "$DEVICE" "$UNTOUCHED" "$MODEL"; do
	t_check "$name is served as provctl says" want "$name"
	t_cmp "$name: generation 1" "$WORK/want.$name" "$MNT/$name"
done

# --- open files keep their generation ------------------------------------------------------
straddle "$GENERIC" 10 1001 2 # smaller
straddle "$GENERIC" 60 1001 3 # larger
straddle "$DEVICE" 20 1001 4  # smaller
straddle "$DEVICE" 50 1001 5  # larger

# --- only changed names are invalidated ------------------------------------------------------
ino_before=$(stat_field %i "$MNT/$UNTOUCHED")
mtime_before=$(stat_field %Y "$MNT/$UNTOUCHED")
dev_ino_before=$(stat_field %i "$MNT/$DEVICE")
dev_mtime_before=$(stat_field %Y "$MNT/$DEVICE")
gen_ino_before=$(stat_field %i "$MNT/$GENERIC")
# one device's line changes, nothing else; the inventory's mtime moves on by an hour
t_check "only $DEVICE's user changes" write_inventory 50 1009
t_check "the inventory gets a later mtime" touch -d "@$((mtime_before + 3600))" "$INV"
t_check "reloaded to generation 6" reload_to 6
t_check "the log counts one changed device and one re-rendered file, none added or removed" \
	lib_poll 2 log_has "generation 6, 2 devices; devices: 1 changed, 0 added, 0 removed; files: 1 re-rendered, 0 added, 0 removed"
for name in "$DEVICE" "$UNTOUCHED" "$GENERIC" "$MODEL"; do
	want "$name"
	t_cmp "$name: generation 6" "$WORK/want.$name" "$MNT/$name"
done
t_eq "$UNTOUCHED keeps its inode number" "$ino_before" "$(stat_field %i "$MNT/$UNTOUCHED")"
t_eq "$UNTOUCHED keeps its mtime" "$mtime_before" "$(stat_field %Y "$MNT/$UNTOUCHED")"
t_eq "$GENERIC keeps its inode number" "$gen_ino_before" "$(stat_field %i "$MNT/$GENERIC")"
dev_ino_after=$(stat_field %i "$MNT/$DEVICE")
dev_mtime_after=$(stat_field %Y "$MNT/$DEVICE")
t_check "$DEVICE has a later mtime ($dev_mtime_before -> $dev_mtime_after)" \
	test "$dev_mtime_after" -gt "$dev_mtime_before"
t_check "$DEVICE has a new inode number ($dev_ino_before -> $dev_ino_after)" \
	test "$dev_ino_before" != "$dev_ino_after"
t_check "the listing's inode numbers are stat's" python3 - "$MNT" <<'EOF'
import os, sys
for e in os.scandir(sys.argv[1]):
    if e.inode() != os.stat(e.path).st_ino:
        sys.exit("%s: readdir %d, stat %d" % (e.name, e.inode(), os.stat(e.path).st_ino))
EOF

# a device added and removed: counted as such
add_device() { printf '  00:0b:82:00:00:01:\n    model: GXP1625\n' >>"$INV"; }
t_check "a device is added" add_device
t_check "reloaded to generation 7" reload_to 7
t_check "the log counts the added names" lib_poll 2 log_has "generation 7, 3 devices; devices: 0 changed, 1 added, 0 removed; files: 0 re-rendered, 1 added, 0 removed"
t_check "the new device is served" want cfg000b82000001.xml
t_cmp "cfg000b82000001.xml: generation 7" "$WORK/want.cfg000b82000001.xml" "$MNT/cfg000b82000001.xml"
t_check "the first inventory again (one device fewer)" write_inventory 50 1009
t_check "reloaded to generation 8" reload_to 8
t_check "the log counts the removed file" lib_poll 2 log_has "generation 8, 2 devices; devices: 0 changed, 0 added, 1 removed; files: 0 re-rendered, 0 added, 1 removed"
t_check "the removed device is gone" test ! -e "$MNT/cfg000b82000001.xml"

t_check "still mounted" lib_is_mounted "$MNT"

# --- the same with no bytes retained (-o retain=0, fs/cache.h "Memory"): every read that reaches
# provfs renders again and is checked against the digest; a reader that opened before a reload
# gets its generation's bytes rendered again from its own inventory, whole.
t_check "unmount" provfs_umount "$MNT"
mv -- "$WORK/provfs.log" "$WORK/provfs-retained.log" # generation numbers start again
t_check "write the first inventory again" write_inventory 40 1001
if t_check "provfs mounts it with -o retain=0" provfs_mount "$INV" "$MNT" nowatch,retain=0; then
	straddle "$GENERIC" 10 1001 2           # smaller
	straddle "$DEVICE" 20 1001 3            # smaller
	straddle "$DEVICE" 50 1001 4 open-only  # larger; its first read comes after the reload
	straddle "$GENERIC" 60 1001 5 open-only # larger
	t_check "still mounted (retain=0)" lib_is_mounted "$MNT"
fi
mkdir -p "$WORK/mnt-refused"
# (timeout: were it accepted, provfs -f would serve until killed)
t_check_fails "-o retain=lots is refused" "retain must be a number of MiB" \
	timeout 10 "$PROVFS" "$INV" "$WORK/mnt-refused" -f -o "state=$WORK/state-refused,retain=lots"

# --- the same with audit=exact (device files bypass the kernel's page cache) -----------------
t_check "unmounted" provfs_umount "$MNT"
mv -- "$WORK/provfs.log" "$WORK/provfs-retain0.log" # generation numbers start again
t_check "the first inventory again" write_inventory 40 1001
if t_check "provfs mounts it with audit=exact" provfs_mount "$INV" "$MNT" nowatch,audit=exact; then
	straddle "$DEVICE" 20 1001 2 # smaller
	straddle "$DEVICE" 50 1001 3 # larger
fi
t_summary
