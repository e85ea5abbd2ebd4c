#include "detect/login/dbauth.h"

#include <errno.h>
#include <string.h>

bool dbauth_is_mysql_prog(const char *prog, size_t n)
{
        return logmsg_eq(prog, n, LIT("mysqld")) || logmsg_eq(prog, n, LIT("mariadbd")) ||
               logmsg_eq(prog, n, LIT("mysqld_safe")) || logmsg_eq(prog, n, LIT("mariadb")) ||
               logmsg_eq(prog, n, LIT("mysql"));
}

bool dbauth_is_pg_prog(const char *prog, size_t n)
{
        return logmsg_eq(prog, n, LIT("postgres")) || logmsg_eq(prog, n, LIT("postgresql")) ||
               logmsg_starts(prog, n, LIT("postgres-")) ||
               logmsg_starts(prog, n, LIT("postgresql@"));
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* ---- MySQL / MariaDB ---- */

/* The message after any "[Level] [MY-nnnnnn] [Server] " groups. */
static int mysql_body(const logmsg_t *m, const char *s, size_t n, logevent_t *e)
{
        const char *at, *u;
        size_t un, hn;

        while (n > 2 && s[0] == '[') {
                const char *close = memchr(s, ']', MIN(n, (size_t)32));
                if (!close || !logmsg_starts(close, n - (size_t)(close - s), LIT("] ")))
                        return 0;
                n -= (size_t)(close - s) + 2;
                s = close + 2;
        }
        if (!logmsg_starts(s, n, LIT("Access denied for user '")))
                return 0;
        if (!logmsg_ends(s, n, LIT("' (using password: YES)")) &&
            !logmsg_ends(s, n, LIT("' (using password: NO)")))
                return 0;
        u = s + 24;
        un = n - 24 - (s[n - 2] == 'S' ? 23 : 22);
        /* 'USER'@'HOST': the host has no quote, the user may. */
        at = logmsg_rfind(u, un, LIT("'@'"));
        if (!at)
                return 0;
        hn = un - (size_t)(at - u) - 3;
        logmsg_event_init(e, m, "mysql");
        e->kind = LOGEVENT_AUTH_FAILURE;
        logevent_set(e, e->method, sizeof(e->method), LIT("password"));
        if (hn && !logmsg_eq(at + 3, hn, LIT("localhost")) && !logmsg_set_src(e, at + 3, hn))
                return 0;
        logevent_set(e, e->user, sizeof(e->user), u, (size_t)(at - u));
        return 1;
}

/* A MySQL/MariaDB line stamp: "2026-11-26T23:15:10.123456Z", "2026-11-26
 * 23:15:10", or "161126 23:15:10" / "161126  3:15:10"; then " THREAD" for the
 * first two. Returns the bytes used, 0 when none. */
static size_t mysql_stamp(syslog_clock_t *c, const char *s, size_t n, int64_t *t)
{
        size_t used, i;

        if (n > 20 && s[4] == '-' && syslog_parse_iso_time(c, s, n, true, &used, t)) {
                i = used;
                if (i >= n || s[i] != ' ')
                        return 0;
                i++;
                while (i < n && is_digit(s[i]))
                        i++;
                if (i == used + 1 || i >= n || s[i] != ' ')
                        return 0;
                return i + 1;
        }
        if (n > 16 && is_digit(s[0]) && s[6] == ' ') {
                int y, mo, d, h, mi, sec;
                char hh[2];

                for (i = 0; i < 6; i++)
                        if (!is_digit(s[i]))
                                return 0;
                i = 7;
                if (s[i] == ' ')
                        i++;
                hh[0] = s[i];
                hh[1] = s[i + 1];
                if (is_digit(hh[0]) && hh[1] == ':') {
                        h = hh[0] - '0';
                        i += 1;
                } else if (is_digit(hh[0]) && is_digit(hh[1])) {
                        h = (hh[0] - '0') * 10 + (hh[1] - '0');
                        i += 2;
                } else
                        return 0;
                if (i + 6 > n || s[i] != ':' || s[i + 3] != ':' || !is_digit(s[i + 1]) ||
                    !is_digit(s[i + 2]) || !is_digit(s[i + 4]) || !is_digit(s[i + 5]))
                        return 0;
                y = 2000 + (s[0] - '0') * 10 + (s[1] - '0');
                mo = (s[2] - '0') * 10 + (s[3] - '0');
                d = (s[4] - '0') * 10 + (s[5] - '0');
                mi = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
                sec = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
                if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                        return 0;
                i += 6;
                if (i >= n || s[i] != ' ')
                        return 0;
                *t = syslog_local_to_utc(c, y, mo, d, h, mi, sec);
                return i + 1;
        }
        return 0;
}

int dbauth_parse_mysql(syslog_clock_t *c, const logmsg_t *m, logevent_t *e)
{
        int64_t t;
        size_t used = mysql_stamp(c, m->msg, m->len, &t);

        /* The syslog header's time stands; the inner stamp is skipped. */
        return mysql_body(m, m->msg + used, m->len - used, e);
}

/* ---- PostgreSQL ---- */

#define PG_RECEIVED   "LOG:  connection received: host="
#define PG_AUTHORIZED "LOG:  connection authorized: user="
#define PG_NOHBA      "FATAL:  no pg_hba.conf entry for host \""

static size_t count_sep(const char *s, size_t n, size_t stop)
{
        size_t k = 0;
        const char *p = s;

        while (k < stop && (p = logmsg_find(p, n - (size_t)(p - s), LIT(":  "))) != NULL) {
                k++;
                p += 3;
        }
        return k;
}

/* T starts with "U@": the prefix user equals the message user. */
static bool prefix_user_is(const char *t, size_t n, const char *u, size_t un)
{
        return un < n && memcmp(t, u, un) == 0 && t[un] == '@';
}

/* "FATAL:  WORD authentication failed for user "U"" at the end of T, with
 * the prefix check. Returns 1 and fills user/method. */
static int pg_auth_failed(const char *t, size_t n, logevent_t *e)
{
        static const char tail[] = " authentication failed for user \"";
        const char *p = t;

        if (!logmsg_ends(t, n, LIT("\"")))
                return 0;
        while ((p = logmsg_find(p, n - (size_t)(p - t), LIT("FATAL:  "))) != NULL) {
                const char *w = p + 8, *q = w, *u;
                size_t un;

                while (q < t + n && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
                        q++;
                p += 8;
                if (q == w || q - w >= LOGEVENT_METHOD_MAX ||
                    !logmsg_starts(q, n - (size_t)(q - t), tail, STRLEN(tail)))
                        continue;
                u = q + STRLEN(tail);
                un = n - (size_t)(u - t) - 1;
                /* With no prefix the message starts the text; otherwise the
                 * prefix must begin with the same user. */
                if (w - 8 != t && !prefix_user_is(t, n, u, un))
                        continue;
                logevent_set(e, e->user, sizeof(e->user), u, un);
                logevent_set(e, e->method, sizeof(e->method), w, (size_t)(q - w));
                for (char *c = e->method; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char)(*c - 'A' + 'a');
                e->kind = LOGEVENT_AUTH_FAILURE;
                return 1;
        }
        return 0;
}

/* "FATAL:  role "U" does not exist". */
static int pg_no_role(const char *t, size_t n, logevent_t *e)
{
        const char *p = t;

        if (!logmsg_ends(t, n, LIT("\" does not exist")))
                return 0;
        while ((p = logmsg_find(p, n - (size_t)(p - t), LIT("FATAL:  role \""))) != NULL) {
                const char *u = p + 14;
                size_t un;

                if ((size_t)(u - t) + 16 > n)
                        return 0;
                un = n - (size_t)(u - t) - 16;
                if (p != t && !prefix_user_is(t, n, u, un)) {
                        p += 14;
                        continue;
                }
                logevent_set(e, e->user, sizeof(e->user), u, un);
                e->kind = LOGEVENT_INVALID_USER;
                e->invalid_user = true;
                return 1;
        }
        return 0;
}

/* "FATAL:  no pg_hba.conf entry for host "A", user "U", database "D", TAIL". */
static int pg_no_hba(const char *t, size_t n, logevent_t *e)
{
        static const char *const tails[] = { "\", SSL off", "\", SSL on", "\", SSL encryption",
                                             "\", no encryption", "\", GSS encryption" };
        const char *p = t;
        size_t body_end = 0;

        for (size_t i = 0; i < ELEMENTSOF(tails) && !body_end; i++)
                if (logmsg_ends(t, n, tails[i], strlen(tails[i])))
                        body_end = n - strlen(tails[i]);
        if (!body_end)
                return 0;
        while ((p = logmsg_find(p, body_end - (size_t)(p - t), LIT(PG_NOHBA))) != NULL) {
                const char *a = p + STRLEN(PG_NOHBA), *aq, *r;
                size_t rn;

                p += STRLEN(PG_NOHBA);
                aq = memchr(a, '"', body_end - (size_t)(a - t));
                if (!aq || !logmsg_starts(aq, body_end - (size_t)(aq - t), LIT("\", user \"")))
                        continue;
                r = aq + 9;
                rn = body_end - (size_t)(r - t);
                /* R is U", database "D. With a prefix "U@D " the split is
                 * the one that matches it; without one, the first. */
                if (a - STRLEN(PG_NOHBA) == t) {
                        const char *db = logmsg_find(r, rn, LIT("\", database \""));
                        if (!db)
                                continue;
                        logevent_set(e, e->user, sizeof(e->user), r, (size_t)(db - r));
                } else {
                        size_t plen = (size_t)(a - STRLEN(PG_NOHBA) - t);
                        bool found = false;

                        if (plen < 2 || t[plen - 1] != ' ')
                                continue;
                        plen--;
                        for (size_t i = 0; i < plen && !found; i++) {
                                size_t dl = plen - i - 1;
                                if (t[i] != '@' || rn != i + 13 + dl)
                                        continue;
                                if (memcmp(r, t, i) == 0 &&
                                    memcmp(r + i, "\", database \"", 13) == 0 &&
                                    memcmp(r + i + 13, t + i + 1, dl) == 0) {
                                        logevent_set(e, e->user, sizeof(e->user), t, i);
                                        found = true;
                                }
                        }
                        if (!found)
                                continue;
                }
                if (!logmsg_set_src(e, a, (size_t)(aq - a)))
                        return 0;
                e->kind = LOGEVENT_NOT_ALLOWED;
                return 1;
        }
        return 0;
}

/* The text after "[PID] ": recognise one of the messages. */
static int pg_text(const logmsg_t *m, const char *t, size_t n, pidtab_t *pids, logevent_t *e)
{
        uint64_t key = pids ? pidtab_key("postgres", m->host, m->host_len, m->pid) : 0;
        const char *s = t;
        size_t sn = n;

        logmsg_event_init(e, m, "postgres");
        if (logmsg_starts(s, sn, LIT("[unknown]@[unknown] "))) {
                s += 20;
                sn -= 20;
        }
        if (logmsg_starts(s, sn, LIT(PG_RECEIVED)) && count_sep(t, n, 2) == 1) {
                const char *a = s + STRLEN(PG_RECEIVED);
                const char *sp = memchr(a, ' ', sn - STRLEN(PG_RECEIVED));
                uint16_t port = 0;

                if (sp && logmsg_starts(sp, sn - (size_t)(sp - s), LIT(" port=")) &&
                    logmsg_parse_port(sp + 6, sn - (size_t)(sp + 6 - s), &port) &&
                    logmsg_set_src(e, a, (size_t)(sp - a)) && pids) {
                        e->port = port;
                        pidtab_learn(pids, key, m->time_us, e);
                }
                return 0;
        }
        if (pg_auth_failed(t, n, e) || pg_no_role(t, n, e)) {
                if (pids)
                        pidtab_fill(pids, key, m->time_us, e);
                return 1;
        }
        if (pg_no_hba(t, n, e))
                return 1;
        if (count_sep(t, n, 2) == 1) {
                const char *p = logmsg_find(t, n, LIT(PG_AUTHORIZED));
                if (p && (p == t || p[-1] == ' ')) {
                        const char *u = p + STRLEN(PG_AUTHORIZED),
                                   *db = logmsg_find(u, n - (size_t)(u - t), LIT(" database="));
                        if (!db)
                                return 0;
                        logevent_set(e, e->user, sizeof(e->user), u, (size_t)(db - u));
                        e->kind = LOGEVENT_AUTH_SUCCESS;
                        if (pids) {
                                pidtab_fill(pids, key, m->time_us, e);
                                pidtab_forget(pids, key);
                        }
                        return 1;
                }
        }
        return 0;
}

/* "YYYY-MM-DD hh:mm:ss[.mmm] ZONE [PID] " at S. Returns the bytes used, 0
 * when not there. */
static size_t pg_prefix(syslog_clock_t *c, const char *s, size_t n, int64_t *t, pid_t *pid)
{
        syslog_iso_t iso;
        const char *zone, *sp, *close;
        size_t zl;
        int offset = 0;
        bool utc = false, local = false;

        if (n < 25 || s[4] != '-' || s[10] != ' ' || !syslog_parse_iso_parts(s, n, true, &iso) ||
            iso.has_offset || iso.len >= n || s[iso.len] != ' ')
                return 0;
        zone = s + iso.len + 1;
        sp = memchr(zone, ' ', MIN(n - iso.len - 1, (size_t)8));
        if (!sp || sp == zone)
                return 0;
        zl = (size_t)(sp - zone);
        if (logmsg_eq(zone, zl, LIT("UTC")) || logmsg_eq(zone, zl, LIT("GMT")) ||
            logmsg_eq(zone, zl, LIT("Z")))
                utc = true;
        else if (zone[0] == '+' || zone[0] == '-') {
                syslog_iso_t z;
                char buf[32] = "1970-01-01T00:00:00";
                if (zl > 6)
                        return 0;
                memcpy(buf + 19, zone, zl);
                if (!syslog_parse_iso_parts(buf, 19 + zl, false, &z) || !z.has_offset ||
                    z.len != 19 + zl)
                        return 0;
                offset = z.offset_s;
                utc = true;
        } else
                local = true; /* an abbreviation: this host's zone */
        if (!logmsg_starts(sp, n - (size_t)(sp - s), LIT(" [")))
                return 0;
        close = memchr(sp + 2, ']', MIN(n - (size_t)(sp + 2 - s), (size_t)11));
        if (!close || !logmsg_parse_pid(sp + 2, (size_t)(close - sp - 2), pid) ||
            !logmsg_starts(close, n - (size_t)(close - s), LIT("] ")))
                return 0;
        if (utc && !local)
                *t = (syslog_days_from_civil(iso.year, (unsigned)iso.month, (unsigned)iso.day) *
                              86400 +
                      iso.hour * 3600 + iso.minute * 60 + iso.second - offset) *
                             1000000LL +
                     iso.frac_us;
        else
                *t = syslog_local_to_utc(c, iso.year, iso.month, iso.day, iso.hour, iso.minute,
                                         iso.second) +
                     iso.frac_us;
        return (size_t)(close - s) + 2;
}

int dbauth_parse_pg(syslog_clock_t *c, const logmsg_t *m, pidtab_t *pids, logevent_t *e)
{
        const char *s = m->msg;
        size_t n = m->len, used;
        logmsg_t mm = *m;
        int64_t t;
        pid_t pid;

        /* syslog's "[LINE-PART] " counter. */
        if (n > 4 && s[0] == '[' && is_digit(s[1])) {
                const char *close = memchr(s, ']', MIN(n, (size_t)24));
                if (close && logmsg_starts(close, n - (size_t)(close - s), LIT("] "))) {
                        n -= (size_t)(close - s) + 2;
                        s = close + 2;
                }
        }
        used = pg_prefix(c, s, n, &t, &pid);
        if (used) {
                mm.pid = pid;
                s += used;
                n -= used;
        }
        return pg_text(&mm, s, n, pids, e);
}

int dbauth_parse_line(syslog_clock_t *c, pidtab_t *pids, const char *line, size_t n,
                      const char *file, uint64_t lineno, logevent_t *e)
{
        logmsg_t m = { .file = file, .line = lineno, .host = "", .host_len = 0 };
        size_t used;
        int64_t t;
        pid_t pid;

        if (n < 16 || !is_digit(line[0]))
                return -ENOMSG;
        used = pg_prefix(c, line, n, &t, &pid);
        if (used) {
                m.time_us = t;
                m.pid = pid;
                m.prog = "postgres";
                m.prog_len = 8;
                m.msg = line + used;
                m.len = n - used;
                return pg_text(&m, m.msg, m.len, pids, e);
        }
        used = mysql_stamp(c, line, n, &t);
        if (used && used < n && line[used] == '[') {
                m.time_us = t;
                m.prog = "mysqld";
                m.prog_len = 6;
                m.msg = line + used;
                m.len = n - used;
                return mysql_body(&m, m.msg, m.len, e);
        }
        return -ENOMSG;
}
