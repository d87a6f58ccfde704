#!/usr/bin/env bash
# t_delivery.sh — what delivers a Panasonic key, through every stock server (issue 10 point 3).
#
# The encrypted KX-UTG300 (0080F0C8C383) of tests/data/panasonic.yaml, one mount, five servers
# on it: tftpd-hpa, nginx (its stock `sendfile on`), lighttpd (sendfile, its Linux default),
# apache2 (EnableSendfile On) and vsftpd (use_sendfile, its default). The rule (SPEC §2 step 3,
# fs/ops.c key_served/prove_delivery): a key is delivered only when, after a reader read the
# plain Config<MAC>.cfg to its end ("served"), the phone asks for one of its .enc names; that
# request is the proof. A server using sendfile may read the whole plain file for a client that
# gets a few bytes of it, so a whole read alone must prove nothing.
#
# For each server in turn, each partial read with a fresh pending key (provctl rekey while
# mounted):
# - a Range read of the first 100 bytes (HTTP: Range: bytes=0-99; FTP: curl's range, which stops
#   the data connection after 100 bytes) never delivers: status pending or served, the plain
#   file still served. TFTP has no ranges (RFC 1350: a transfer always starts at block 1): no
#   Range case for tftpd-hpa.
# - an aborted transfer (HTTP, FTP: a client that keeps 50 bytes of the body and resets the
#   connection; TFTP: a client that takes block 1 and answers with an ERROR packet) never
#   delivers either.
# - the plain file fetched whole with no .enc request afterwards does not deliver.
# - a phone: the plain file whole, then one of its .enc names through the same server: within a
#   second provctl status says "key delivered" and names that .enc file, the daemon log says so,
#   the plain file is ENOENT on the mount and "not found" through that server (TFTP error 1,
#   HTTP 404, FTP 550), and the three .enc files decrypt with the key the phone got.
# No key and no password in the daemon log or in anything provctl printed.
#
# What each server's partial reads did to the key (pending or served) is printed as "# " lines
# at the end: it depends on how the server reads (sendfile, buffered reads), not on provfs.
#
# Contract: SPEC.md §2 (encrypted provisioning, step 3), §4 (no secret in logs); issue 10.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"

INV=$WORK/panasonic.yaml
MNT=$WORK/mnt
STATE=$WORK/state           # the state= directory provfs_mount gives the daemon (its default)
STATUS_LOG=$WORK/status.all # every provctl status/rekey output of this run (for the leak check)
LOG=$WORK/provfs.log        # the daemon's log (provfs_mount)
ABORT_PY=$WORK/abort.py     # the client that gives up, written below

MAC=0080F0C8C383 # KX-UTG300, encrypt: true, key_length: 256
MAC_LOWER=0080f0c8c383
MODEL=KX-UTG300
PLAIN=Config$MAC.cfg
ENC_FILES=("Config$MAC.enc" "Config$MODEL-$MAC.enc" "ConfigCom-$MAC.enc")
KEY_FILE=$STATE/key-$MAC

# PROTO (the fetch_PROTO of lib.sh), server name, and the .enc name its phone asks for (each of
# the three names proves delivery somewhere).
SERVERS=(
	"tftp tftpd-hpa ${ENC_FILES[0]}"
	"http nginx ${ENC_FILES[1]}"
	"lighttpd lighttpd ${ENC_FILES[2]}"
	"apache apache2 ${ENC_FILES[0]}"
	"ftp vsftpd ${ENC_FILES[1]}"
)

# Every password of panasonic.yaml (the one with & and < also as XML writes it); the keys are
# added as they become known.
SECRETS=('d3f4ult' 'pw1001' 'pw1002' 'pw1003' 'pw&1004<x>' 'pw&amp;1004&lt;x&gt;' 'pw1005')
KEYS=()
RESULTS=() # "server: what a partial read left" lines for the end

# key_file_gone PROTO — the plain key file through the server after delivery: not found, or (a
# server that kept a descriptor from before the delivery: lighttpd's stat cache, as shipped) a
# failed transfer that carried no byte, because provfs fails reads through such descriptors.
key_file_gone() {
	local out=$WORK/gone.$1
	rm -f -- "$out"
	"fetch_$1" "$PLAIN" "$out" >/dev/null
	if _lib_is_not_found "$1"; then
		return 0
	fi
	echo "code=$FETCH_CODE rc=$FETCH_RC ${FETCH_ERR:-}; $(stat -c %s -- "$out" 2>/dev/null || echo 0) bytes"
	[ "$FETCH_RC" -ne 0 ] && [ ! -s "$out" ]
}

# --- helpers ---------------------------------------------------------------------------------

url_of() { # url_of PROTO NAME
	case $1 in
	http) echo "http://$LIB_ADDR:$HTTP_PORT/$2" ;;
	lighttpd) echo "http://$LIB_ADDR:$LIGHTTPD_PORT/$2" ;;
	apache) echo "http://$LIB_ADDR:$APACHE_PORT/$2" ;;
	ftp) echo "ftp://$LIB_ADDR:$FTP_PORT/$2" ;;
	esac
}

size_of() { stat -c %s -- "$1" 2>/dev/null || echo missing; }

status_of() { # the provctl status line of MAC (kept for the leak check)
	local out
	out=$("$PROVCTL" status "$INV" "$MAC" -s "$STATE" 2>&1)
	printf '%s\n' "$out" >>"$STATUS_LOG"
	printf '%s\n' "$out"
}

status_says() { # status_says REGEX — provctl status of MAC matches
	local out
	out=$(status_of)
	echo "$out"
	[[ $out =~ $1 ]]
}

key_state() { # pending, served, delivered, ... as provctl status says
	local out
	out=$(status_of)
	[[ $out =~ key\ ([a-z]+) ]] && echo "${BASH_REMATCH[1]}"
}

key_in_state() { awk '$1 == "key" { print $2 }' "$KEY_FILE" 2>/dev/null; }

key_of() { # key_of FILE — the CFG_FILE_KEY a plain key file carries
	sed -n 's:.*<CFG_FILE_KEY>\([^<]*\)</CFG_FILE_KEY>.*:\1:p' -- "$1"
}

dec() { # dec IN OUT KEY — the UTG's decryption (SPEC §2 step 3), AES-256 for key_length 256
	openssl enc -d -aes-256-cbc -a -md md5 -pass "pass:$3" -in "$1" -out "$2" || {
		rm -f -- "$2"
		return 1
	}
}

# not_delivered LABEL — the checks after a read that must not deliver: status pending or served,
# the plain file still on the mount a second later, the stored key unchanged. Records the state.
not_delivered() {
	local label=$1 state
	t_check "$label: $PLAIN stays on the mount" stays "$PLAIN" 1
	t_check "$label: provctl status says pending or served, not delivered" \
		status_says 'key (pending|served)'
	t_eq "$label: the stored key is unchanged" "${KEYS[-1]}" "$(key_in_state)"
	state=$(key_state)
	RESULTS+=("$label: key ${state:-unknown}")
}

# --- partial reads ---------------------------------------------------------------------------

# range_read PROTO OUT — the first 100 bytes of the plain file: HTTP 206 (Range: bytes=0-99);
# FTP: curl reads 100 bytes and closes the data connection.
range_read() {
	local code rc
	code=$(curl -sS --noproxy '*' --path-as-is --max-time 10 -r 0-99 -o "$2" \
		-w '%{response_code}' "$(url_of "$1" "$PLAIN")")
	rc=$?
	echo "curl status $rc, code $code, $(size_of "$2") bytes"
	case $1 in
	ftp) [ "$rc" -eq 0 ] || return 1 ;;
	*) [ "$rc" -eq 0 ] && [ "$code" = 206 ] || return 1 ;;
	esac
	[ "$(size_of "$2")" = 100 ] && [ "$(head -c 5 -- "$2")" = '<?xml' ]
}

# aborted PROTO OUT — a client that gives up after 50 bytes of the plain file's body and resets
# the connection (SO_LINGER 0), or for TFTP takes block 1 (512 bytes) and answers with an ERROR
# packet instead of an ACK (RFC 1350). The file is small: the server may have sent it all by
# then, which is the point (it read it all; the client did not take it).
aborted() {
	local port
	case $1 in
	tftp) port=$TFTP_PORT ;;
	http) port=$HTTP_PORT ;;
	lighttpd) port=$LIGHTTPD_PORT ;;
	apache) port=$APACHE_PORT ;;
	ftp) port=$FTP_PORT ;;
	esac
	timeout 15 python3 "$ABORT_PY" "$1" "$LIB_ADDR" "$port" "$PLAIN" "$2"
}

write_abort_client() {
	cat >"$ABORT_PY" <<'EOF'
"""abort.py PROTO ADDR PORT NAME OUT: start a download of NAME, keep the first bytes in OUT, give
up. Exit 0 when fewer bytes than the file's were kept and the transfer was abandoned."""
import ftplib, socket, struct, sys

proto, addr, port, name, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
KEEP = 50


def reset(sock):  # close with RST, as a client that dies mid-transfer
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    sock.close()


def tftp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(struct.pack('!H', 1) + name.encode() + b'\0octet\0', (addr, port))
    pkt, peer = s.recvfrom(4 + 65536)
    op, block = struct.unpack('!HH', pkt[:4])
    if op != 3 or block != 1:
        sys.exit('expected DATA block 1, got opcode %d' % op)
    s.sendto(struct.pack('!HH', 5, 0) + b'transfer aborted by the client\0', peer)
    print('got block 1, sent ERROR 0 instead of ACK')
    if len(pkt) - 4 != 512:
        sys.exit('block 1 has %d bytes: the file fits in it' % (len(pkt) - 4))
    return pkt[4:]


def http():
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(('GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (name, addr)).encode())
    data = b''
    while b'\r\n\r\n' not in data or len(data.split(b'\r\n\r\n', 1)[1]) < KEEP:
        chunk = s.recv(KEEP)
        if not chunk:
            sys.exit('the server closed the connection first')
        data += chunk
    head, body = data.split(b'\r\n\r\n', 1)
    status = head.split(b'\r\n', 1)[0].decode()
    reset(s)
    print('%s; kept %d bytes of the body, reset the connection' % (status, KEEP))
    if ' 200 ' not in status + ' ':
        sys.exit('not 200')
    return body[:KEEP]


def ftp():
    f = ftplib.FTP()
    f.connect(addr, port, timeout=5)
    f.login()
    f.voidcmd('TYPE I')
    conn = f.transfercmd('RETR ' + name)
    data = b''
    while len(data) < KEEP:
        chunk = conn.recv(KEEP - len(data))
        if not chunk:
            sys.exit('the server closed the data connection first')
        data += chunk
    reset(conn)
    f.close()
    print('RETR: kept %d bytes, reset the data connection' % KEEP)
    return data


data = {'tftp': tftp, 'ftp': ftp}.get(proto, http)()
open(out, 'wb').write(data)
EOF
}

# get PROTO NAME OUT — a whole fetch through the server; says what went wrong.
get() {
	"fetch_$1" "$2" "$3" >/dev/null && return 0
	echo "fetch $1 $2: code=$FETCH_CODE rc=$FETCH_RC ${FETCH_ERR:-}"
	return 1
}

# --- one server ------------------------------------------------------------------------------

# rekey LABEL — a fresh pending key, and the plain key file served again by the mount.
rekey() {
	t_check "$1: provctl rekey $MAC" to_file "$WORK/rekey.out" \
		"$PROVCTL" rekey "$INV" "$MAC" -s "$STATE" || return 1
	cat -- "$WORK/rekey.out" >>"$STATUS_LOG"
	t_check "$1: the mount serves $PLAIN again" lib_poll 5 exists "$PLAIN" || return 1
	t_check "$1: provctl status says pending" status_says 'key pending' || return 1
	KEYS+=("$(key_in_state)")
}

test_server() {
	local proto=$1 srv=$2 enc=$3 d=$WORK/$1 key lines n
	mkdir -p "$d"
	rekey "$srv" || return 1

	if [ "$proto" != tftp ]; then
		t_check "$srv: a Range read of bytes 0-99 of $PLAIN" range_read "$proto" "$d/range" &&
			not_delivered "$srv: after the Range read"
		# each partial read from a pending key: what it did is its own doing
		rekey "$srv: before the aborted transfer" || return 1
	fi
	t_check "$srv: an aborted transfer of $PLAIN" aborted "$proto" "$d/aborted" &&
		t_check "$srv: the aborted transfer got the first bytes of $PLAIN" \
			test "$(head -c 5 -- "$d/aborted")" = '<?xml' &&
		not_delivered "$srv: after the aborted transfer"

	t_check "$srv: $PLAIN fetched whole" get "$proto" "$PLAIN" "$d/whole" || return 1
	t_eq "$srv: the whole file carries the stored key" "${KEYS[-1]}" "$(key_of "$d/whole")"
	not_delivered "$srv: after a whole fetch without an .enc request"

	# The phone: the plain file whole, then its next file, an .enc name.
	lines=$(wc -l <"$LOG")
	t_check "$srv: phone fetches $PLAIN" get "$proto" "$PLAIN" "$d/plain" || return 1
	key=$(key_of "$d/plain")
	KEYS+=("$key")
	t_eq "$srv: the phone got the stored key" "${KEYS[-2]}" "$key"
	t_check "$srv: phone fetches $enc" get "$proto" "$enc" "$d/$enc" || return 1
	t_check "$srv: within a second provctl status says delivered, proved by $enc" \
		lib_poll 1 status_says "key delivered .*proved by the phone's request for $enc after"
	t_check "$srv: the daemon log says the request for $enc delivered it" \
		contains <(tail -n "+$((lines + 1))" -- "$LOG") \
		"key of $MAC_LOWER delivered: the phone asked for $enc after reading its plain file to the end"
	t_check "$srv: mount: $PLAIN is ENOENT" lib_poll 1 enoent "$MNT/$PLAIN"
	t_check "$srv: $PLAIN after delivery: not found, never a byte of it" key_file_gone "$proto"
	t_eq "$srv: the stored key is the one the phone got" "$key" "$(key_in_state)"
	for n in "${ENC_FILES[@]}"; do
		[ "$n" = "$enc" ] || t_check "$srv: phone fetches $n" get "$proto" "$n" "$d/$n" || continue
		t_check "$srv: $n decrypts with the key the phone got" dec "$d/$n" "$d/$n.xml" "$key" &&
			t_check "$srv: decrypted $n is well-formed XML" xmllint --noout "$d/$n.xml"
	done
}

start_servers() {
	t_check "tftpd-hpa starts on the mount" srv_tftpd_start "$MNT" &&
		t_check "nginx starts on the mount (sendfile on)" srv_nginx_start "$MNT" &&
		t_check "nginx config has its stock sendfile on" grep -qx '    sendfile on;' "$WORK/nginx/nginx.conf" &&
		t_check "lighttpd starts on the mount" srv_lighttpd_start "$MNT" &&
		t_check "apache2 starts on the mount (EnableSendfile On)" srv_apache_start "$MNT" &&
		t_check "vsftpd starts on the mount" srv_vsftpd_start "$MNT"
}

test_no_leaks() {
	t_check "provfs.log holds no password of panasonic.yaml" no_string_in "$LOG" "${SECRETS[@]}"
	t_check "provfs.log holds no key" no_string_in "$LOG" "${KEYS[@]}"
	t_check "provctl status and rekey printed no password" no_string_in "$STATUS_LOG" "${SECRETS[@]}"
	t_check "provctl status and rekey printed no key" no_string_in "$STATUS_LOG" "${KEYS[@]}"
}

report() {
	local r
	for r in "${RESULTS[@]}"; do
		printf '# %s\n' "$r"
	done
}

setup() {
	cp -- "$REPO_ROOT/tests/data/panasonic.yaml" "$INV" && write_abort_client && : >"$STATUS_LOG"
}

# --- main ------------------------------------------------------------------------------------

if ! t_check "set up panasonic.yaml and the aborting client" setup; then
	t_summary
	exit 1
fi
if t_check "provfs mounts panasonic.yaml" provfs_mount "$INV" "$MNT"; then
	# After the mount: tftpd's chroot pins the directory it sees at start-up.
	if start_servers; then
		for entry in "${SERVERS[@]}"; do
			# shellcheck disable=SC2086 # "PROTO SERVER ENC"
			test_server $entry
		done
	fi
	test_no_leaks
	t_check "servers stop by PID" srv_stop_all
	t_check "fusermount3 -u; provfs exits" provfs_umount "$MNT"
	t_eq "provfs exit status after unmount" 0 "${PROVFS_RC:-none}"
fi
report
t_summary
