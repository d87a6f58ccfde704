/*
 * serverlog.h - the file servers' own logs, read by `provctl status --server-log` (SPEC §4
 * "Audit": per-fetch history with the client's address comes from the servers). provfs sees
 * only what reaches it: with the kernel's page cache (audit=cached) or nginx's
 * open_file_cache, a repeat fetch never does. The servers see every request.
 *
 * One line at a time, each in the first format of the table that claims it (serverlog.c):
 *
 * - nginx, with the log_format contrib/nginx-provfs.conf ships:
 *       provfs1 $time_iso8601 $remote_addr "$request_method" "$request_uri" $status
 *       $body_bytes_sent "$sent_http_content_length" "$sent_http_content_range"
 *       "$request_completion"
 *   A GET answered 200 is complete only when nginx says the request completed ("OK") and the
 *   body it sent is the whole Content-Length; a 200 cut short (an aborted transfer, a client
 *   that gave up) is partial, and so is a 206 (a Range request). 304 is not-modified, any
 *   other status failed. Other methods (HEAD) are not fetches.
 * - tftpd-hpa -v, through syslog: "in.tftpd[PID]: RRQ from ADDR filename NAME" (or "...
 *   NAME remapped to NEW": NEW). tftpd-hpa logs the request and nothing about its end, not
 *   even with -vvv (a finished or an abandoned transfer log the same), so a TFTP fetch is only
 *   ever "requested". "in.tftpd[PID]: sending NAK (...) to ADDR" from the same process marks
 *   its request failed (the caller joins them by PID).
 *   Accepted envelopes: syslog files with the traditional timestamp ("Nov 29 20:51:42 HOST",
 *   local time, the year taken from `now`) or RFC 3339 ("2026-11-29T20:51:42.123456+01:00
 *   HOST", rsyslog's default on Debian 12), and `journalctl -o short-iso`
 *   ("2026-11-29T20:51:42+0100 HOST"). Lines of other programs are not ours (SRV_LINE_OTHER).
 * - vsftpd with xferlog_std_format=YES (the wu-ftpd xferlog): "Sun Nov 29 20:51:42 2026 1
 *   ADDR BYTES /NAME b _ o a USER ftp 0 * c": local time, outgoing ('o') only, c complete and i
 *   incomplete (partial); the size of the file is not logged.
 *
 * Every field is checked: a date that does not exist, an address inet_pton does not take, a
 * number with a sign or past uint64, a control byte or a NUL anywhere: the line is not
 * understood (SRV_LINE_BAD), never half-read. The name is the last path component of what
 * was asked, without a query string; the caller resolves it against the inventory (a name
 * with '/' or ".." never reaches a file). Lines are at most SRV_LINE_MAX bytes.
 *
 * No FUSE, no inventory here: strings in, one struct out.
 */
#ifndef PROVFS_SERVERLOG_H
#define PROVFS_SERVERLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/files.h"

#define SRV_LINE_MAX 4096
#define SRV_ADDR_MAX 46 /* INET6_ADDRSTRLEN */

enum srv_kind {
	SRV_NGINX,
	SRV_TFTPD,
	SRV_VSFTPD,
};

enum srv_result {
	SRV_COMPLETE,     /* the server sent the whole file and says the transfer finished */
	SRV_PARTIAL,      /* a part: a Range request, an aborted or incomplete transfer */
	SRV_REQUESTED,    /* asked for; the server does not log how it ended (TFTP) */
	SRV_NOT_MODIFIED, /* HTTP 304: the client's copy is current */
	SRV_FAILED,       /* no file sent (an HTTP error, a TFTP NAK) */
};

enum srv_line {
	SRV_LINE_FETCH, /* a request for a file: out is filled */
	SRV_LINE_NAK,   /* tftpd refused the request of process out->pid */
	SRV_LINE_OTHER, /* a line of a known format that is no fetch (another program, a HEAD) */
	SRV_LINE_BAD,   /* not understood */
};

struct srv_fetch {
	enum srv_kind server;
	int64_t time;                 /* seconds since the epoch, UTC */
	char addr[SRV_ADDR_MAX];      /* the client, as logged (checked by inet_pton) */
	char name[FILE_NAME_MAX + 1]; /* last path component; "" when it cannot be a name */
	bool has_bytes, has_size;
	uint64_t bytes; /* bytes sent, where the server says */
	uint64_t size;  /* the file's size, where the server says */
	enum srv_result result;
	unsigned status; /* nginx: the HTTP status */
	long pid;        /* tftpd: the process that served it */
};

/* "nginx", "tftpd", "vsftpd". */
const char *srv_kind_name(enum srv_kind k);

/* "complete", "partial", "requested", "not-modified", "failed". */
const char *srv_result_word(enum srv_result r);

/* Parses one line of len bytes, without its '\n'. now: for dates that carry no year. */
enum srv_line srv_parse_line(const char *line, size_t len, int64_t now, struct srv_fetch *out);

#endif
