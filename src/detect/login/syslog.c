#include "detect/login/syslog.h"

#include <string.h>
#include <time.h>

#include "core/timeutil.h"

#define USEC 1000000LL

void syslog_clock_init(syslog_clock_t *c, int64_t ref_us, int fixed_year, bool utc)
{
        memset(c, 0, sizeof(*c));
        c->ref_us = ref_us ? ref_us : timeutil_now_us();
        c->fixed_year = fixed_year;
        c->utc = utc;
}

int64_t syslog_days_from_civil(int y, unsigned m, unsigned d)
{
        /* Howard Hinnant's days_from_civil: eras of 400 years, March-based
         * years so the leap day is last. */
        int64_t yy = (int64_t)y - (m <= 2);
        int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
        int64_t yoe = yy - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

        return era * 146097 + doe - 719468;
}

static int64_t civil_seconds(int y, int mo, int d, int h, int mi, int s)
{
        return syslog_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
               s;
}

int64_t syslog_local_to_utc(syslog_clock_t *c, int y, int mo, int d, int h, int mi, int s)
{
        int64_t local = civil_seconds(y, mo, d, h, mi, s);
        int64_t key;

        if (c->utc)
                return local * USEC;
        /* The zone offset only changes on hour boundaries in practice, so it
         * is computed once per local hour: localtime_r at the guess, then at
         * the guess corrected by that offset (right across a DST change). */
        key = local >= 0 ? local / 3600 : (local - 3599) / 3600;
        if (!c->tz_valid || key != c->tz_key) {
                struct tm tm;
                time_t t = (time_t)local;
                long off = 0;

                if (localtime_r(&t, &tm)) {
                        off = tm.tm_gmtoff;
                        t = (time_t)(local - off);
                        if (localtime_r(&t, &tm))
                                off = tm.tm_gmtoff;
                }
                c->tz_key = key;
                c->tz_off = off;
                c->tz_valid = true;
        }
        return (local - c->tz_off) * USEC;
}

static int year_of(const syslog_clock_t *c, int64_t t_us)
{
        time_t t = (time_t)(t_us / USEC);
        struct tm tm;

        if (!(c->utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)))
                return 1970;
        return tm.tm_year + 1900;
}

static inline bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* N digits at S as a number; -1 when one is not a digit. */
static int digits(const char *s, size_t n)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

/* A fraction ".ddd" at S: up to 9 digits, as microseconds. Returns the bytes
 * used (0 when there is no fraction). */
static size_t parse_fraction(const char *s, size_t n, bool comma_ok, int64_t *ret_us)
{
        size_t i = 1;
        int64_t v = 0;
        int nd = 0;

        if (n < 2 || !(s[0] == '.' || (comma_ok && s[0] == ',')) || !is_digit(s[1]))
                return 0;
        while (i < n && is_digit(s[i]) && nd < 9) {
                v = v * 10 + (s[i] - '0');
                nd++;
                i++;
        }
        while (nd < 6) {
                v *= 10;
                nd++;
        }
        while (nd > 6) {
                v /= 10;
                nd--;
        }
        *ret_us = v;
        return i;
}

static int month_of(const char *s)
{
        /* Three letters, compared as one number. */
        uint32_t k = (uint32_t)(unsigned char)s[0] << 16 | (uint32_t)(unsigned char)s[1] << 8 |
                     (uint32_t)(unsigned char)s[2];
        switch (k) {
        case 'J' << 16 | 'a' << 8 | 'n':
                return 1;
        case 'F' << 16 | 'e' << 8 | 'b':
                return 2;
        case 'M' << 16 | 'a' << 8 | 'r':
                return 3;
        case 'A' << 16 | 'p' << 8 | 'r':
                return 4;
        case 'M' << 16 | 'a' << 8 | 'y':
                return 5;
        case 'J' << 16 | 'u' << 8 | 'n':
                return 6;
        case 'J' << 16 | 'u' << 8 | 'l':
                return 7;
        case 'A' << 16 | 'u' << 8 | 'g':
                return 8;
        case 'S' << 16 | 'e' << 8 | 'p':
                return 9;
        case 'O' << 16 | 'c' << 8 | 't':
                return 10;
        case 'N' << 16 | 'o' << 8 | 'v':
                return 11;
        case 'D' << 16 | 'e' << 8 | 'c':
                return 12;
        }
        return 0;
}

static bool valid_time(int h, int mi, int s)
{
        /* 60 for a leap second. */
        return h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s <= 60;
}

bool syslog_parse_classic_time(syslog_clock_t *c, const char *s, size_t n, size_t *ret_len,
                               int64_t *ret_us)
{
        int month, day, h, mi, sec, year;
        int64_t frac = 0, t;
        size_t i;

        /* "Nov 26 23:15:10" or "Nov  6 23:15:10" or "Nov 6 23:15:10". */
        if (n < 14 || s[3] != ' ')
                return false;
        month = month_of(s);
        if (!month)
                return false;
        i = 4;
        if (s[i] == ' ')
                i++;
        if (is_digit(s[i]) && is_digit(s[i + 1])) {
                day = (s[i] - '0') * 10 + (s[i + 1] - '0');
                i += 2;
        } else if (is_digit(s[i])) {
                day = s[i] - '0';
                i++;
        } else
                return false;
        if (day < 1 || day > 31 || n < i + 9 || s[i] != ' ' || s[i + 3] != ':' || s[i + 6] != ':')
                return false;
        h = digits(s + i + 1, 2);
        mi = digits(s + i + 4, 2);
        sec = digits(s + i + 7, 2);
        if (!valid_time(h, mi, sec))
                return false;
        i += 9;
        i += parse_fraction(s + i, n - i, false, &frac);

        if (!c->year) {
                year = c->fixed_year ? c->fixed_year : year_of(c, c->ref_us);
                if (!c->fixed_year &&
                    syslog_local_to_utc(c, year, month, day, h, mi, sec) > c->ref_us + 86400 * USEC)
                        year--;
                c->year = year;
                c->last_month = month;
        } else if (month + 6 < c->last_month) {
                c->year++;
                c->last_month = month;
                year = c->year;
        } else if (month > c->last_month + 6 && month >= 11 && c->last_month <= 2) {
                /* A straggler from before the turn of the year (a forward
                 * jump elsewhere in the year is a host that was quiet). */
                year = c->year - 1;
        } else {
                c->last_month = month;
                year = c->year;
        }
        t = syslog_local_to_utc(c, year, month, day, h, mi, sec);
        *ret_us = t + frac;
        *ret_len = i;
        return true;
}

bool syslog_parse_ctime(syslog_clock_t *c, const char *s, size_t n, size_t *ret_len,
                        int64_t *ret_us)
{
        int month, day, h, mi, sec, year;

        /* "Tue Nov 26 23:15:10 2026", day space-padded. */
        if (n < 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
            s[19] != ' ')
                return false;
        for (int i = 0; i < 3; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
                        return false;
        month = month_of(s + 4);
        day = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
        h = digits(s + 11, 2);
        mi = digits(s + 14, 2);
        sec = digits(s + 17, 2);
        year = digits(s + 20, 4);
        if (!month || day < 1 || day > 31 || !valid_time(h, mi, sec) || year < 1970)
                return false;
        *ret_us = syslog_local_to_utc(c, year, month, day, h, mi, sec);
        *ret_len = 24;
        return true;
}

bool syslog_parse_iso_parts(const char *s, size_t n, bool space_ok, syslog_iso_t *ret)
{
        syslog_iso_t t = { 0 };
        size_t i;

        if (n < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
                return false;
        if (!(s[10] == 'T' || (space_ok && s[10] == ' ')))
                return false;
        t.year = digits(s, 4);
        t.month = digits(s + 5, 2);
        t.day = digits(s + 8, 2);
        t.hour = digits(s + 11, 2);
        t.minute = digits(s + 14, 2);
        t.second = digits(s + 17, 2);
        if (t.year < 1970 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 ||
            !valid_time(t.hour, t.minute, t.second))
                return false;
        i = 19;
        i += parse_fraction(s + i, n - i, space_ok, &t.frac_us);
        if (i < n && s[i] == 'Z') {
                t.has_offset = true;
                i++;
        } else if (i + 3 <= n && (s[i] == '+' || s[i] == '-') && is_digit(s[i + 1]) &&
                   is_digit(s[i + 2])) {
                int sign = s[i] == '-' ? -1 : 1;
                int oh = digits(s + i + 1, 2), om = 0;

                i += 3;
                if (i + 3 <= n && s[i] == ':' && is_digit(s[i + 1]) && is_digit(s[i + 2])) {
                        om = digits(s + i + 1, 2);
                        i += 3;
                } else if (i + 2 <= n && is_digit(s[i]) && is_digit(s[i + 1])) {
                        om = digits(s + i, 2);
                        i += 2;
                }
                if (oh > 23 || om > 59)
                        return false;
                t.has_offset = true;
                t.offset_s = sign * (oh * 3600 + om * 60);
        }
        t.len = i;
        *ret = t;
        return true;
}

bool syslog_parse_iso_time(syslog_clock_t *c, const char *s, size_t n, bool space_ok,
                           size_t *ret_len, int64_t *ret_us)
{
        syslog_iso_t t;

        if (!syslog_parse_iso_parts(s, n, space_ok, &t))
                return false;
        if (t.has_offset)
                *ret_us = (civil_seconds(t.year, t.month, t.day, t.hour, t.minute, t.second) -
                           t.offset_s) *
                                  USEC +
                          t.frac_us;
        else if (c)
                *ret_us =
                        syslog_local_to_utc(c, t.year, t.month, t.day, t.hour, t.minute, t.second) +
                        t.frac_us;
        else
                return false;
        *ret_len = t.len;
        return true;
}

size_t syslog_parse_tag(const char *s, size_t n, logmsg_t *m)
{
        size_t i = 0, plen;
        pid_t pid = 0;

        while (i < n && i <= SYSLOG_TAG_MAX) {
                unsigned char c = (unsigned char)s[i];
                if (c == '[' || c == ':' || c == ' ' || c < 0x20 || c == 0x7f)
                        break;
                i++;
        }
        if (i == 0 || i > SYSLOG_TAG_MAX || i >= n)
                return 0;
        plen = i;
        if (s[i] == '[') {
                const char *close = memchr(s + i, ']', MIN(n - i, (size_t)12));
                if (!close || !logmsg_parse_pid(s + i + 1, (size_t)(close - s - i - 1), &pid))
                        return 0;
                i = (size_t)(close - s) + 1;
        }
        if (i >= n || s[i] != ':')
                return 0;
        i++;
        if (i < n) {
                if (s[i] != ' ')
                        return 0;
                i++;
        }
        m->prog = s;
        m->prog_len = plen;
        m->pid = pid;
        return i;
}

/* RFC 5424 after "<PRI>1 ": TIMESTAMP HOST APP PROCID MSGID SD [MSG]. */
static syslog_format_t parse_5424(const char *s, size_t n, logmsg_t *m)
{
        const char *f[5];
        size_t fl[5], i = 0;
        size_t used;
        int64_t t = 0;

        for (int k = 0; k < 5; k++) {
                const char *sp = memchr(s + i, ' ', n - i);
                if (!sp)
                        return SYSLOG_FMT_NONE;
                f[k] = s + i;
                fl[k] = (size_t)(sp - s) - i;
                if (fl[k] == 0)
                        return SYSLOG_FMT_NONE;
                i = (size_t)(sp - s) + 1;
        }
        if (!logmsg_eq(f[0], fl[0], LIT("-"))) {
                /* RFC 5424 requires the offset. */
                if (!syslog_parse_iso_time(NULL, f[0], fl[0], false, &used, &t) || used != fl[0])
                        return SYSLOG_FMT_NONE;
        }
        if (fl[2] > 48)
                return SYSLOG_FMT_NONE;
        m->time_us = t;
        m->host = logmsg_eq(f[1], fl[1], LIT("-")) ? "" : f[1];
        m->host_len = logmsg_eq(f[1], fl[1], LIT("-")) ? 0 : fl[1];
        m->prog = logmsg_eq(f[2], fl[2], LIT("-")) ? "" : f[2];
        m->prog_len = logmsg_eq(f[2], fl[2], LIT("-")) ? 0 : fl[2];
        m->pid = 0;
        if (!logmsg_eq(f[3], fl[3], LIT("-")))
                (void)logmsg_parse_pid(f[3], fl[3], &m->pid);
        /* Structured data: "-" or one or more [id param="value" …] elements,
         * where a value may hold \" \\ and \]. */
        if (i < n && s[i] == '-') {
                i++;
        } else {
                if (i >= n || s[i] != '[')
                        return SYSLOG_FMT_NONE;
                while (i < n && s[i] == '[') {
                        bool quoted = false;
                        i++;
                        while (i < n) {
                                char c = s[i];
                                if (quoted && c == '\\' && i + 1 < n) {
                                        i += 2;
                                        continue;
                                }
                                if (c == '"')
                                        quoted = !quoted;
                                else if (c == ']' && !quoted)
                                        break;
                                i++;
                        }
                        if (i >= n)
                                return SYSLOG_FMT_NONE;
                        i++;
                }
        }
        if (i < n) {
                if (s[i] != ' ')
                        return SYSLOG_FMT_NONE;
                i++;
        }
        if (logmsg_starts(s + i, n - i, LIT("\xEF\xBB\xBF")))
                i += 3;
        m->msg = s + i;
        m->len = n - i;
        return SYSLOG_FMT_RFC5424;
}

syslog_format_t syslog_parse_header(syslog_clock_t *c, const char *line, size_t n, logmsg_t *m)
{
        const char *s = line;
        syslog_format_t fmt;
        size_t used, tag;
        int64_t t;

        if (n && s[0] == '<') {
                size_t i = 1;
                while (i < n && i < 5 && is_digit(s[i]))
                        i++;
                if (i == 1 || i >= n || s[i] != '>')
                        return SYSLOG_FMT_NONE;
                i++;
                if (n - i >= 2 && s[i] == '1' && s[i + 1] == ' ')
                        return parse_5424(s + i + 2, n - i - 2, m);
                s += i;
                n -= i;
        }
        if (n >= 20 && is_digit(s[0]) && s[4] == '-') {
                if (!syslog_parse_iso_time(c, s, n, false, &used, &t))
                        return SYSLOG_FMT_NONE;
                fmt = SYSLOG_FMT_ISO;
        } else {
                if (!syslog_parse_classic_time(c, s, n, &used, &t))
                        return SYSLOG_FMT_NONE;
                fmt = SYSLOG_FMT_RFC3164;
        }
        if (used >= n || s[used] != ' ')
                return SYSLOG_FMT_NONE;
        s += used + 1;
        n -= used + 1;
        m->time_us = t;
        /* Messages sent to /dev/log have no host: the tag comes first. */
        tag = syslog_parse_tag(s, n, m);
        if (tag) {
                m->host = "";
                m->host_len = 0;
        } else {
                const char *sp = memchr(s, ' ', n);
                if (!sp || sp == s)
                        return SYSLOG_FMT_NONE;
                m->host = s;
                m->host_len = (size_t)(sp - s);
                n -= m->host_len + 1;
                s = sp + 1;
                tag = syslog_parse_tag(s, n, m);
                if (!tag)
                        return SYSLOG_FMT_NONE;
        }
        m->msg = s + tag;
        m->len = n - tag;
        return fmt;
}
