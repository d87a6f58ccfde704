#!/usr/bin/env bash
# t_shipped.sh — the server configurations of contrib/ as shipped (issue 13, point 2), each in
# front of a real provfs mount of contrib/example/inventory.yaml, on 127.0.0.1:
#
#   contrib/tftpd-hpa.default      in.tftpd started exactly as Debian's init script does from it
#   contrib/nginx-provfs.conf      HTTP
#   contrib/nginx-provfs-https.conf  HTTPS, with a server certificate of a CA made here
#   contrib/nginx-provfs-mtls.conf   HTTPS with client certificates: none and another CA's are
#                                  refused, one of the CA the file names is served
#   contrib/lighttpd-provfs.conf   HTTP; a Panasonic key flow: the plain key file is 404 from
#                                  the request after the proof (its stat cache off)
#   contrib/vsftpd-provfs.conf     anonymous FTP: a download works; upload, mkdir, delete and
#                                  listing are refused
#
# Each file is copied with only the lines it marks "# site:" changed (address and port, paths),
# and a check shows that nothing else differs, so what runs here is what an admin installs.
# Every served file must equal `provctl cat`; nothing outside the mount is served; an unknown
# MAC is "not found" in each protocol's words.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"
lib_require_bin "the servers and clients are installed" "$(command -v in.tftpd)" \
	"$(command -v nginx)" "$(command -v lighttpd)" "$(command -v vsftpd)" \
	"$(command -v curl)" "$(command -v tftp)" "$(command -v openssl)"

CONTRIB=$REPO_ROOT/contrib
INV=$WORK/inventory.yaml
MNT=$WORK/mnt
EXP=$WORK/expected
GOT=$WORK/got
DEV=cfg000b82123456.xml      # a device file of the example inventory (a secret inside)
MAC=000b82123456
GENERIC=KX-UTG300.cfg        # a file that names no MAC
UNKNOWN=cfg000b82999999.xml # a well-formed name of a MAC the inventory lacks
PA_PLAIN=Config0080F0C8C381.cfg # an encrypted Panasonic device: its plain key file ...
PA_ENC=Config0080F0C8C381.enc   # ... and one of its .enc names
mkdir -p "$EXP" "$GOT"
cp -- "$CONTRIB/example/inventory.yaml" "$INV"

# --- what the phones must get ----------------------------------------------------------------

t_check "provctl cat $DEV" to_file "$EXP/$DEV" "$PROVCTL" cat "$INV" "$DEV"
t_check "provctl cat $GENERIC" to_file "$EXP/$GENERIC" "$PROVCTL" cat "$INV" "$GENERIC"
# (the key, made here in the mount's state directory, is the one the mount serves)
mkdir -p "$WORK/state" && chmod 0700 "$WORK/state"
t_check "provctl cat $PA_PLAIN" to_file "$EXP/$PA_PLAIN" "$PROVCTL" cat "$INV" "$PA_PLAIN" -s "$WORK/state"
t_check "provctl cat $PA_ENC" to_file "$EXP/$PA_ENC" "$PROVCTL" cat "$INV" "$PA_ENC" -s "$WORK/state"

if ! t_check "provfs mounts the example inventory" provfs_mount "$INV" "$MNT"; then
	t_summary
	exit 1
fi

# A file next to the mount, which no server may hand out (a symlink or ".." would reach it).
printf 'outside the mount\n' >"$WORK/outside.txt"
chmod 0444 "$WORK/outside.txt"

# --- tftpd-hpa -------------------------------------------------------------------------------

# The init script's command line (/etc/init.d/tftpd-hpa: --listen --user --address, the options,
# the directory), from the copy of the snippet, with --foreground for --listen: same server,
# but it stays our child, so that we stop it by PID.
_tftpd_spawn() {
	local d=$WORK/tftpd
	site_copy "$CONTRIB/tftpd-hpa.default" "$d/tftpd-hpa" \
		"s|^TFTP_DIRECTORY=\"/srv/provfs\"|TFTP_DIRECTORY=\"$1\"|" \
		"s|^TFTP_ADDRESS=\":69\"|TFTP_ADDRESS=\"$LIB_ADDR:$2\"|" >"$d/copy.why" || return 1
	# The init script sources the file too; it sets TFTP_USERNAME, TFTP_ADDRESS, TFTP_OPTIONS
	# and TFTP_DIRECTORY (and nothing of lib.sh's).
	# shellcheck disable=SC1091 # the copy made above
	. "$d/tftpd-hpa" || return 1
	# shellcheck disable=SC2086 # TFTP_OPTIONS is split as the init script splits it
	lib_spawn "$d/tftpd.log" in.tftpd --foreground --user "$TFTP_USERNAME" \
		--address "$TFTP_ADDRESS" $TFTP_OPTIONS "$TFTP_DIRECTORY"
}
mkdir -p "$WORK/tftpd"
if _lib_start_server tftpd "$WORK/tftpd/tftpd.log" _lib_tftpd_ready 1 _tftpd_spawn "$MNT"; then
	TFTP_PORT=$_SRV_PORT TFTPD_PID=$_SRV_PID
	t_ok "tftpd-hpa starts from contrib/tftpd-hpa.default"
	t_check "tftpd-hpa: the copy differs from contrib only on its \"# site:\" lines" cat "$WORK/tftpd/copy.why"
	expect_fetch tftp "$DEV" "$EXP/$DEV"
	expect_fetch tftp "$GENERIC" "$EXP/$GENERIC"
	expect_not_found tftp "$UNKNOWN"
	fetch_tftp "../outside.txt" "$GOT/tftp-outside" >/dev/null
	t_check "tftp: ../outside.txt is refused" test "$FETCH_CODE" != ok -a ! -s "$GOT/tftp-outside"
	lib_stop_pid "$TFTPD_PID"
	TFTPD_PID=
else
	t_fail "tftpd-hpa starts from contrib/tftpd-hpa.default" "$(cat "$WORK/tftpd/copy.why" 2>/dev/null)"
fi

# --- nginx: HTTP, HTTPS, HTTPS with client certificates --------------------------------------

# The CA, the server's certificate (127.0.0.1 and localhost), a client certificate of the CA,
# and a client certificate of another CA that nginx must not take.
TLS=$WORK/tls
mkdir -p "$TLS"
make_ca() { # make_ca NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=provfs test $1" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout "$TLS/$1.key" -out "$TLS/$1.crt"
}
make_cert() { # make_cert NAME CA EXTENSIONS
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$TLS/$1.key" -out "$TLS/$1.csr" &&
		printf '%s\n' "$3" >"$TLS/$1.ext" &&
		openssl x509 -req -in "$TLS/$1.csr" -CA "$TLS/$2.crt" -CAkey "$TLS/$2.key" \
			-CAcreateserial -days 2 -extfile "$TLS/$1.ext" -out "$TLS/$1.crt"
}
make_tls() {
	make_ca ca && make_ca other-ca &&
		make_cert server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" &&
		make_cert phone ca "extendedKeyUsage=clientAuth" &&
		make_cert stranger other-ca "extendedKeyUsage=clientAuth" &&
		chmod 0600 "$TLS"/*.key
}
t_check "a CA, a server certificate, a client certificate and another CA's made with openssl" make_tls

NGINX_KIND= # http, https or mtls: which contrib file _nginx_spawn copies

_nginx_spawn() {
	local root=$1 port=$2 d=$WORK/nginx-$NGINX_KIND src subst=()
	mkdir -p "$d"
	subst=("s|^\([[:space:]]*\)alias /srv/provfs/;|\1alias $root/;|")
	case $NGINX_KIND in
	http)
		src=$CONTRIB/nginx-provfs.conf
		subst+=("s|^\([[:space:]]*\)listen 80;|\1listen $LIB_ADDR:$port;|"
			"s|/var/log/nginx/provfs.access.log|$d/provfs.access.log|")
		;;
	https | mtls)
		src=$CONTRIB/nginx-provfs-$NGINX_KIND.conf
		subst+=("s|^\([[:space:]]*\)listen 443 ssl;|\1listen $LIB_ADDR:$port ssl;|"
			"s|/var/log/nginx/provfs-$NGINX_KIND.access.log|$d/provfs.access.log|"
			"s|/etc/ssl/provfs/server.crt;|$TLS/server.crt;|"
			"s|/etc/ssl/provfs/server.key;|$TLS/server.key;|")
		[ "$NGINX_KIND" = https ] || subst+=("s|/etc/ssl/provfs/phones-ca.crt;|$TLS/ca.crt;|")
		;;
	esac
	site_copy "$src" "$d/site.conf" "${subst[@]}" >"$d/copy.why" || return 1
	lib_nginx_site_spawn "$d" "$d/site.conf"
}

# nginx_start KIND — start nginx with contrib's KIND file; sets NGINXC_PORT, NGINXC_PID.
# (Ready as lib.sh's servers are: an HTTPS port answers a plain HTTP request with a 400.)
nginx_start() {
	NGINX_KIND=$1
	mkdir -p "$WORK/nginx-$1"
	if _lib_start_server nginx "$WORK/nginx-$1/stderr.log" _lib_http_ready 1 _nginx_spawn "$MNT"; then
		NGINXC_PORT=$_SRV_PORT NGINXC_PID=$_SRV_PID
		t_ok "nginx starts with contrib's $1 file"
		t_check "nginx $1: the copy differs from contrib only on its \"# site:\" lines" \
			cat "$WORK/nginx-$1/copy.why"
		return 0
	fi
	t_fail "nginx starts with contrib's $1 file" "$(cat "$WORK/nginx-$1/copy.why" 2>/dev/null)"
	return 1
}

nginx_stop() {
	lib_stop_pid "$NGINXC_PID"
	NGINXC_PID=
}

# --- HTTP checks: nginx (HTTP, HTTPS, client certificates) and lighttpd -------------------------
# Each takes the URL, then curl's arguments for the connection (a CA, a client certificate).

# get URL OUT [CURL_ARGS...] — one GET as sent (--path-as-is); prints the status, sets FETCH_CODE.
get() {
	local url=$1 out=$2
	shift 2
	: >"$out"
	FETCH_CODE=$(curl -sS --noproxy '*' --path-as-is --max-time 20 -o "$out" -w '%{http_code}' \
		"$@" "$url" 2>"$GOT/curl.err")
	echo "$FETCH_CODE $(cat "$GOT/curl.err")"
}

# served URL NAME [CURL_ARGS...] — 200 and the bytes of provctl cat.
served() {
	local url=$1 name=$2
	shift 2
	get "$url" "$GOT/$name" "$@" && [ "$FETCH_CODE" = 200 ] && cmp -- "$EXP/$name" "$GOT/$name"
}

# status_is CODE URL [CURL_ARGS...] — the answer's status is CODE, and it is not the device file.
status_is() {
	local want=$1 url=$2
	shift 2
	get "$url" "$GOT/answer" "$@"
	[ "$FETCH_CODE" = "$want" ] && ! cmp -s -- "$EXP/$DEV" "$GOT/answer"
}

# not_outside URL [CURL_ARGS...] — no 200, and not the bytes of WORK/outside.txt.
not_outside() {
	get "$@" && [ "$FETCH_CODE" != 200 ] && ! grep -qF 'outside the mount' "$GOT/answer"
}

# no_listing URL [CURL_ARGS...] — the mount's directory is not listed: no 200, no file name.
no_listing() {
	get "$1" "$GOT/answer" "${@:2}" && [ "$FETCH_CODE" != 200 ] && ! grep -qF "$GENERIC" "$GOT/answer"
}

# no_store URL [CURL_ARGS...] — the answer carries "Cache-Control: no-store".
no_store() {
	get "$1" "$GOT/answer" -D "$GOT/headers" "${@:2}" && grep -qi '^cache-control: no-store' "$GOT/headers"
}

# not_modified URL [CURL_ARGS...] — If-Modified-Since the Last-Modified it sent is a 304.
not_modified() {
	local lm
	get "$1" "$GOT/answer" -D "$GOT/headers" "${@:2}" || return 1
	lm=$(tr -d '\r' <"$GOT/headers" | sed -n 's/^[Ll]ast-[Mm]odified: //p')
	echo "Last-Modified: $lm"
	[ -n "$lm" ] && status_is 304 "$1" -H "If-Modified-Since: $lm" "${@:2}"
}

# web_checks LABEL BASE [CURL_ARGS...] — what every web server of contrib must do, BASE being
# http(s)://ADDR:PORT: the device file and a generic file are provctl cat's bytes, an unknown
# MAC is 404, /prov/ is not listed, ".." (plain and encoded) does not leave the mount, POST is
# refused, answers say no-store, a conditional GET of an unchanged file is 304.
web_checks() {
	local label=$1 base=$2
	shift 2
	t_check "$label: $DEV" served "$base/prov/$DEV" "$DEV" "$@"
	t_check "$label: $GENERIC" served "$base/prov/$GENERIC" "$GENERIC" "$@"
	t_check "$label: $UNKNOWN is 404" status_is 404 "$base/prov/$UNKNOWN" "$@"
	t_check "$label: no listing of /prov/" no_listing "$base/prov/" "$@"
	t_check "$label: /prov/../outside.txt is not served" not_outside "$base/prov/../outside.txt" "$GOT/answer" "$@"
	t_check "$label: /prov/%2e%2e/outside.txt is not served" \
		not_outside "$base/prov/%2e%2e/outside.txt" "$GOT/answer" "$@"
	t_check "$label: a POST is refused" post_refused "$base/prov/$DEV" "$@"
	t_check "$label: the answer says Cache-Control: no-store" no_store "$base/prov/$DEV" "$@"
	t_check "$label: If-Modified-Since its Last-Modified is 304" not_modified "$base/prov/$DEV" "$@"
}

# post_refused URL [CURL_ARGS...] — a POST gets a 4xx, not the file.
post_refused() {
	get "$1" "$GOT/answer" -d x "${@:2}" && [[ $FETCH_CODE == 4?? ]] && ! cmp -s -- "$EXP/$DEV" "$GOT/answer"
}

# status_shows LOG WORDS — provctl status reads the server's log and shows the device's fetch.
status_shows() {
	local out=$GOT/status
	"$PROVCTL" status "$INV" "$MAC" -s "$WORK/state" --server-log "$1" >"$out" 2>&1
	cat "$out"
	grep -qF -- "$2" "$out"
}

# logged_status N STATUS NAME LOG — N lines of the access log (contrib's provfs format) answer
# NAME with STATUS.
logged_status() {
	local n
	n=$(grep -cF "\"/prov/$3\" $2 " "$4")
	echo "$n lines with status $2 for $3"
	[ "$n" -eq "$1" ]
}

if nginx_start http; then
	web_checks "nginx http" "http://$LIB_ADDR:$NGINXC_PORT"
	t_check "nginx http: provctl status reads its access log (MAC, complete)" \
		status_shows "$WORK/nginx-http/provfs.access.log" "complete  (nginx from $LIB_ADDR)"
	nginx_stop
fi

if nginx_start https; then
	U=https://$LIB_ADDR:$NGINXC_PORT
	web_checks "nginx https" "$U" --cacert "$TLS/ca.crt"
	t_check "nginx https: also as https://localhost" \
		served "https://localhost:$NGINXC_PORT/prov/$DEV" "$DEV" --cacert "$TLS/ca.crt" \
		--resolve "localhost:$NGINXC_PORT:$LIB_ADDR"
	t_check_fails "nginx https: a client without the CA refuses the server" "certificate" \
		curl -sS --noproxy '*' --max-time 20 -o /dev/null "$U/prov/$DEV"
	t_check "nginx https: provctl status reads its access log" \
		status_shows "$WORK/nginx-https/provfs.access.log" "complete  (nginx from $LIB_ADDR)"
	nginx_stop
fi

if nginx_start mtls; then
	U=https://$LIB_ADDR:$NGINXC_PORT
	t_check "nginx mtls: without a client certificate: 400" \
		status_is 400 "$U/prov/$DEV" --cacert "$TLS/ca.crt"
	t_check "nginx mtls: with another CA's certificate: 400" \
		status_is 400 "$U/prov/$DEV" --cacert "$TLS/ca.crt" --cert "$TLS/stranger.crt" --key "$TLS/stranger.key"
	web_checks "nginx mtls, the CA's client certificate" "$U" \
		--cacert "$TLS/ca.crt" --cert "$TLS/phone.crt" --key "$TLS/phone.key"
	t_check "nginx mtls: the two refusals are in its access log as 400" \
		logged_status 2 400 "$DEV" "$WORK/nginx-mtls/provfs.access.log"
	nginx_stop
fi

# --- lighttpd --------------------------------------------------------------------------------

_lighttpd_spawn() {
	local root=$1 port=$2 d=$WORK/lighttpd
	site_copy "$CONTRIB/lighttpd-provfs.conf" "$d/lighttpd.conf" \
		"s|^server.bind = \"0.0.0.0\"|server.bind = \"$LIB_ADDR\"|" \
		"s|^server.port = 80 |server.port = $port |" \
		"s|\"/run/lighttpd.pid\"|\"$d/lighttpd.pid\"|" \
		"s|\"/var/log/lighttpd/error.log\"|\"$d/log/error.log\"|" \
		"s|\"/var/log/lighttpd/provfs.access.log\"|\"$d/log/access.log\"|" \
		"s|^server.document-root = \"/srv/provfs\"|server.document-root = \"$root\"|" \
		"s|=> \"/srv/provfs/\" )|=> \"$root/\" )|" >"$d/copy.why" || return 1
	lib_spawn "$d/stderr.log" lighttpd -D -f "$d/lighttpd.conf"
}
# lighttpd opens its logs as www-data (server.username): their directory is www-data's.
mkdir -p "$WORK/lighttpd/log"
chown www-data:www-data "$WORK/lighttpd/log"
if _lib_start_server lighttpd "$WORK/lighttpd/stderr.log" _lib_http_ready 1 _lighttpd_spawn "$MNT"; then
	LIGHTTPD_PORT=$_SRV_PORT LIGHTTPD_PID=$_SRV_PID
	U=http://$LIB_ADDR:$LIGHTTPD_PORT
	t_ok "lighttpd starts with contrib/lighttpd-provfs.conf"
	t_check "lighttpd: the copy differs from contrib only on its \"# site:\" lines" cat "$WORK/lighttpd/copy.why"
	web_checks lighttpd "$U"
	t_check "lighttpd: nothing but /prov/ (/$GENERIC is refused)" status_is 403 "$U/$GENERIC"
	# The Panasonic key flow as a phone runs it: the plain key file read whole, then an .enc
	# name asked for (the proof: delivered), after which the plain file is gone at once. A
	# stat cache (lighttpd's default) would answer the next request from what it kept.
	t_check "lighttpd: key flow: $PA_PLAIN, read whole" served "$U/prov/$PA_PLAIN" "$PA_PLAIN"
	t_check "lighttpd: key flow: then $PA_ENC" served "$U/prov/$PA_ENC" "$PA_ENC"
	t_check "lighttpd: key flow: $PA_PLAIN is 404 right after" status_is 404 "$U/prov/$PA_PLAIN"
	lib_stop_pid "$LIGHTTPD_PID"
	LIGHTTPD_PID=
	# (lighttpd writes its access log in batches: read it once lighttpd has stopped)
	t_check "lighttpd: its access log names the device file" \
		contains "$WORK/lighttpd/log/access.log" "\"GET /prov/$DEV HTTP/1.1\" 200 "
else
	t_fail "lighttpd starts with contrib/lighttpd-provfs.conf" "$(cat "$WORK/lighttpd/copy.why" 2>/dev/null)"
fi

# --- vsftpd ----------------------------------------------------------------------------------

_vsftpd_spawn() {
	local root=$1 port=$2 d=$WORK/vsftpd
	site_copy "$CONTRIB/vsftpd-provfs.conf" "$d/vsftpd.conf" \
		"s|^listen_address=0.0.0.0\$|listen_address=$LIB_ADDR|" \
		"s|^listen_port=21\$|listen_port=$port|" \
		"s|^anon_root=/srv/provfs\$|anon_root=$root|" \
		"s|^secure_chroot_dir=/var/run/vsftpd/empty\$|secure_chroot_dir=$d/empty|" \
		"s|^pasv_min_port=40000\$|pasv_min_port=$((port + 1))|" \
		"s|^pasv_max_port=40100\$|pasv_max_port=$((port + 10))|" \
		"s|^xferlog_file=/var/log/xferlog\$|xferlog_file=$d/xferlog|" >"$d/copy.why" || return 1
	# vsftpd insists that its config file belongs to the user running it (root here).
	chmod 0600 "$d/vsftpd.conf"
	lib_spawn "$d/stderr.log" vsftpd "$d/vsftpd.conf"
}
mkdir -p "$WORK/vsftpd/empty"
chmod 0555 "$WORK/vsftpd/empty"
# ftp_username=ftp: vsftpd changes into its home before anon_root (see the contrib file).
if _lib_start_server vsftpd "$WORK/vsftpd/stderr.log" _lib_vsftpd_ready 11 _vsftpd_spawn "$MNT"; then
	FTP_PORT=$_SRV_PORT VSFTPD_PID=$_SRV_PID
	F=ftp://$LIB_ADDR:$FTP_PORT
	t_ok "vsftpd starts with contrib/vsftpd-provfs.conf"
	t_check "vsftpd: the copy differs from contrib only on its \"# site:\" lines" cat "$WORK/vsftpd/copy.why"
	expect_fetch ftp "$DEV" "$EXP/$DEV"
	expect_fetch ftp "$GENERIC" "$EXP/$GENERIC"
	expect_not_found ftp "$UNKNOWN"

	# ftp_refused CMD CURL_ARGS... — curl sent the FTP command CMD, vsftpd answered it "550
	# Permission denied." (its answer for what its configuration forbids: the contrib file's
	# write_enable=NO and dirlist_enable=NO; the read-only mount alone would give another
	# answer, e.g. 553 to STOR), and curl failed.
	ftp_refused() {
		local cmd=$1 reply
		shift
		if curl -sS -v --noproxy '*' --max-time 20 -o "$GOT/ftp.out" "$@" 2>"$GOT/ftp.err"; then
			echo "curl succeeded"
			return 1
		fi
		# the server's reply to CMD: the first "< " line after "> CMD"
		reply=$(tr -d '\r' <"$GOT/ftp.err" | awk -v c="> $cmd" 'index($0, c) == 1 { s = 1; next }
			s && /^< / { print; exit }')
		echo "reply to $cmd: ${reply:-none}"
		[[ $reply == "< 550 Permission denied."* ]]
	}
	printf 'upload\n' >"$GOT/upload.txt"
	t_check "vsftpd: an upload is refused" ftp_refused STOR -T "$GOT/upload.txt" "$F/new.txt"
	t_check "vsftpd: ... and left nothing" enoent "$MNT/new.txt"
	t_check "vsftpd: MKD is refused" ftp_refused MKD -Q "MKD newdir" "$F/"
	t_check "vsftpd: DELE is refused" ftp_refused DELE -Q "DELE $GENERIC" "$F/"
	t_check "vsftpd: RNFR is refused" ftp_refused RNFR -Q "RNFR $GENERIC" "$F/"
	t_check "vsftpd: ... $GENERIC is still there" cmp -- "$EXP/$GENERIC" "$MNT/$GENERIC"
	t_check "vsftpd: LIST is refused (dirlist_enable=NO)" ftp_refused LIST "$F/"
	t_check "vsftpd: NLST is refused" ftp_refused NLST --list-only "$F/"
	fetch_ftp ../outside.txt "$GOT/ftp-outside" >/dev/null
	t_check "vsftpd: ../outside.txt is not served (550)" \
		test "$FETCH_CODE" = 550 -a "$FETCH_RC" -ne 0 -a ! -s "$GOT/ftp-outside"
	t_check "vsftpd: provctl status reads its xferlog (MAC, complete)" \
		status_shows "$WORK/vsftpd/xferlog" "complete  (vsftpd from $LIB_ADDR)"
	lib_stop_pid "$VSFTPD_PID"
	VSFTPD_PID=
else
	t_fail "vsftpd starts with contrib/vsftpd-provfs.conf" "$(cat "$WORK/vsftpd/copy.why" 2>/dev/null)"
fi

t_check "provfs unmounts" provfs_umount "$MNT"

t_summary
