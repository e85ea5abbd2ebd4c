/* One log record as the message parsers see it (the header fields a framing
 * layer found: time, host, program, pid, and the message text), and the
 * small scanning helpers those parsers share. The framing layers are syslog.c
 * (text lines), journal.c (journald entries) and the own-format readers of
 * ftp.c and dbauth.c; the message parsers are sshd.c, pam.c, privesc.c,
 * ftp.c and dbauth.c.
 *
 * Everything here works on byte ranges of the caller's buffer (no NUL
 * needed, nothing copied) so the hot path of `vigil logscan` allocates
 * nothing. Texts are untrusted: the helpers never read past the given
 * length. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "core/ipaddr.h"
#include "core/macro.h"
#include "detect/login/logevent.h"

/* The header of one record. PROG/HOST/MSG point into the caller's line; they
 * are valid as long as that line is. */
typedef struct logmsg {
        int64_t time_us;  /* UTC microseconds, 0 when the record had none */
        const char *host; /* host name from the header, may be empty */
        size_t host_len;
        const char *prog; /* program tag ("sshd"), may be empty */
        size_t prog_len;
        pid_t pid;       /* 0 when the record had none */
        const char *msg; /* the message text */
        size_t len;
        const char *file; /* borrowed: the source name for events */
        uint64_t line;    /* 1-based record number, 0 when unknown */
} logmsg_t;

/* A literal and its length, for the (pointer, length) helpers below. */
#define LIT(s) (s), STRLEN(s)

/* Start event E from record M: zero it, copy time, file, line, pid, host and
 * set SERVICE. */
void logmsg_event_init(logevent_t *e, const logmsg_t *m, const char *service);

/* Parse S (N bytes) as an IP address. IPv4 must be a strict dotted quad;
 * IPv6 goes through ipaddr_parse_n, so "::ffff:a.b.c.d" becomes IPv4.
 * Returns true on success. */
bool logmsg_parse_ip(const char *s, size_t n, ipaddr_t *ret);

/* True when S (N bytes) is a plausible DNS host name: 1..253 bytes of
 * letters, digits, '-', '_' and '.'. What a resolver hands to a daemon has
 * this shape; anything else in an address position means the line is not
 * what it seems. */
bool logmsg_is_hostname(const char *s, size_t n);

/* Set E's source from the token S (N bytes): an address is stored in its
 * normal form ("::ffff:1.2.3.4" as "1.2.3.4") with has_ip set; a host name
 * is stored as is. Returns false (E unchanged) when the token is neither. */
bool logmsg_set_src(logevent_t *e, const char *s, size_t n);

/* Parse 1..5 decimal digits as a port 1..65535. */
bool logmsg_parse_port(const char *s, size_t n, uint16_t *ret);

/* Parse 1..9 decimal digits as a positive pid. */
bool logmsg_parse_pid(const char *s, size_t n, pid_t *ret);

/* The first/last occurrence of LIT (LN bytes) in S (N bytes), or NULL. */
const char *logmsg_find(const char *s, size_t n, const char *lit, size_t ln);
const char *logmsg_rfind(const char *s, size_t n, const char *lit, size_t ln);

static inline bool logmsg_starts(const char *s, size_t n, const char *lit, size_t ln)
{
        return n >= ln && memcmp(s, lit, ln) == 0;
}

static inline bool logmsg_ends(const char *s, size_t n, const char *lit, size_t ln)
{
        return n >= ln && memcmp(s + n - ln, lit, ln) == 0;
}

/* True when the N bytes at S equal LIT exactly. */
static inline bool logmsg_eq(const char *s, size_t n, const char *lit, size_t ln)
{
        return n == ln && memcmp(s, lit, ln) == 0;
}

/* Take " port N" off the end of S[0..*N): on success *N is shortened to
 * before it and the port stored. */
bool logmsg_cut_port(const char *s, size_t *n, uint16_t *ret);

/* Take the last space-separated token off the end of S[0..*N): on success
 * *TOK and *TOK_LEN name it and *N is shortened to before the space. Fails when
 * there is no space or the token is empty. */
bool logmsg_cut_token(const char *s, size_t *n, const char **tok, size_t *tok_len);
