/* Syslog line framing: the header in front of a log message, in the forms
 * Linux hosts write to files.
 *
 *   RFC 3164 (classic)   "Nov 26 23:15:10 host sshd[622]: msg"
 *                        optionally "<PRI>" first, optionally without host
 *                        (the form programs send to /dev/log)
 *   ISO 8601 (rsyslog's  "2026-11-26T23:15:10.128954+00:00 host sshd[622]: msg"
 *   RSYSLOG_FileFormat,  also "…+0000" and "…Z" (journalctl -o short-iso)
 *   Debian 12 default)
 *   RFC 5424             "<34>1 2026-11-26T23:15:10.128954+00:00 host sshd 622 - - msg"
 *
 * Classic stamps have no year and no zone. They are local time of the host
 * that wrote them (converted with this process's time zone unless the clock
 * is in UTC mode), and the year is inferred by a syslog_clock_t: the first
 * stamp takes the year of a reference time (the file's mtime, or now) unless
 * that would put it more than a day after the reference, in which case it is
 * the year before; after that the year advances when the month goes back by
 * more than six (December → January), and a November or December stamp
 * that follows January or February ones (a late straggler from before the
 * turn of the year) is put in the previous year without moving the state. A fixed year (--year)
 * replaces the guess for the first stamp; rollover still applies.
 *
 * Stamps with an offset are converted to UTC; ISO stamps without one are local
 * time. Everything here reads only the given bytes and allocates nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/login/logmsg.h"

/* Program tags longer than this are not tags (RFC 5424 allows 48). */
#define SYSLOG_TAG_MAX 64

typedef enum syslog_format {
        SYSLOG_FMT_NONE = 0,
        SYSLOG_FMT_RFC3164,
        SYSLOG_FMT_ISO,
        SYSLOG_FMT_RFC5424,
} syslog_format_t;

/* Year inference and local-time conversion state. Plain data: copying it
 * copies the state. */
typedef struct syslog_clock {
        int64_t ref_us; /* reference time for the first classic stamp */
        int fixed_year; /* year of the first classic stamp, 0 = infer */
        bool utc;       /* local time is UTC (no zone conversion) */
        int year;       /* current year of classic stamps, 0 before the first */
        int last_month; /* 1..12, month of the last classic stamp */
        int64_t tz_key; /* hour (local seconds / 3600) the cached offset is for */
        int64_t tz_off; /* cached UTC offset in seconds for TZ_KEY */
        bool tz_valid;
} syslog_clock_t;

/* Initialise C. REF_US is the reference time (0 means now); FIXED_YEAR is
 * 0 or the year of the first classic stamp; UTC makes local times UTC. */
void syslog_clock_init(syslog_clock_t *c, int64_t ref_us, int fixed_year, bool utc);

/* Days since 1970-01-01 of a proleptic Gregorian date (any month/day in
 * range 1..12 / 1..31). */
int64_t syslog_days_from_civil(int y, unsigned m, unsigned d);

/* UTC microseconds of a local civil time, through C's zone cache. */
int64_t syslog_local_to_utc(syslog_clock_t *c, int y, int mo, int d, int h, int mi, int s);

/* Parse a classic stamp "Mmm dd hh:mm:ss" (day may be space-padded; an
 * optional ".fraction" of up to 9 digits) at S. On success stores the UTC
 * time and the number of bytes used and advances the year state. Returns
 * true on success; the state is unchanged on failure. */
bool syslog_parse_classic_time(syslog_clock_t *c, const char *s, size_t n, size_t *ret_len,
                               int64_t *ret_us);

/* The pieces of an ISO 8601 stamp, before any zone is applied. */
typedef struct syslog_iso {
        int year, month, day, hour, minute, second;
        int64_t frac_us; /* fraction of a second in microseconds */
        bool has_offset; /* "Z" or ±hh[:mm] was present */
        int offset_s;    /* seconds east of UTC */
        size_t len;      /* bytes used */
} syslog_iso_t;

/* Parse the pieces of an ISO 8601 stamp at S (see below for the forms).
 * Returns true on success. */
bool syslog_parse_iso_parts(const char *s, size_t n, bool space_ok, syslog_iso_t *ret);

/* Parse an ISO 8601 stamp "YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm|±hhmm|±hh]" at S.
 * When SPACE_OK a space may stand for the 'T' and a comma for the '.'
 * (the forms MariaDB, PostgreSQL and ProFTPD write). Without an offset the
 * time is local (C may be NULL only when an offset is required: then a stamp
 * without one fails). Returns true on success. */
bool syslog_parse_iso_time(syslog_clock_t *c, const char *s, size_t n, bool space_ok,
                           size_t *ret_len, int64_t *ret_us);

/* Parse a ctime(3) stamp "Www Mmm dd hh:mm:ss yyyy" (local time), the form
 * of vsftpd's own log. Returns true on success. */
bool syslog_parse_ctime(syslog_clock_t *c, const char *s, size_t n, size_t *ret_len,
                        int64_t *ret_us);

/* Parse a program tag "prog[pid]:" or "prog:" at S, followed by a space or
 * the end. On success fills M's prog/pid, and returns the bytes used
 * (including the one space after the colon); 0 when S is not a tag. */
size_t syslog_parse_tag(const char *s, size_t n, logmsg_t *m);

/* Split LINE (N bytes, no newline) into header and message. On success M's
 * time, host, prog, pid, msg and len are set (file and line are left alone)
 * and the format is returned; SYSLOG_FMT_NONE when the line has no header
 * this module knows (M is then unspecified). */
syslog_format_t syslog_parse_header(syslog_clock_t *c, const char *line, size_t n, logmsg_t *m);
