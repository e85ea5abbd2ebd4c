#include "detect/login/ftp.h"

#include <errno.h>
#include <string.h>

bool ftp_is_prog(const char *prog, size_t n)
{
        return logmsg_eq(prog, n, LIT("vsftpd")) || logmsg_eq(prog, n, LIT("proftpd")) ||
               logmsg_eq(prog, n, LIT("pure-ftpd"));
}

static void set_user(logevent_t *e, const char *u, size_t n)
{
        logevent_set(e, e->user, sizeof(e->user), u, n);
}

/* vsftpd after the date: "[pid N] [USER] (OK|FAIL) LOGIN: Client "ADDR"". */
static int vsftpd_msg(const logmsg_t *m, logevent_t *e)
{
        const char *s = m->msg, *close, *client, *addr, *u;
        size_t n = m->len, ul, i;
        bool ok;
        logmsg_t mm = *m;

        if (logmsg_starts(s, n, LIT("[pid "))) {
                close = memchr(s, ']', MIN(n, (size_t)16));
                if (!close || !logmsg_parse_pid(s + 5, (size_t)(close - s) - 5, &mm.pid) ||
                    !logmsg_starts(close, n - (size_t)(close - s), LIT("] ")))
                        return 0;
                n -= (size_t)(close - s) + 2;
                s = close + 2;
        }
        if (!logmsg_starts(s, n, LIT("[")) || !logmsg_ends(s, n, LIT("\"")))
                return 0;
        /* Anonymous logins add ", anon password "…"" (client text) at the
         * end; their user is fixed, so they are read from the left. */
        if (logmsg_starts(s, n, LIT("[ftp] ")) || logmsg_starts(s, n, LIT("[anonymous] "))) {
                u = s + 1;
                ul = s[1] == 'f' ? 3 : 9;
                i = ul + 3;
                ok = logmsg_starts(s + i, n - i, LIT("OK LOGIN: Client \""));
                if (!ok && !logmsg_starts(s + i, n - i, LIT("FAIL LOGIN: Client \"")))
                        return 0;
                addr = s + i + (ok ? 18 : 20);
                close = memchr(addr, '"', n - (size_t)(addr - s));
                if (!close)
                        return 0;
        } else {
                close = s + n - 1;
                client = logmsg_rfind(s, n - 1, LIT(" LOGIN: Client \""));
                if (!client)
                        return 0;
                addr = client + 16;
                if (client >= s + 4 && memcmp(client - 4, "] OK", 4) == 0) {
                        ok = true;
                        ul = (size_t)(client - 4 - s) - 1;
                } else if (client >= s + 6 && memcmp(client - 6, "] FAIL", 6) == 0) {
                        ok = false;
                        ul = (size_t)(client - 6 - s) - 1;
                } else
                        return 0;
                u = s + 1;
        }
        logmsg_event_init(e, &mm, "vsftpd");
        e->kind = ok ? LOGEVENT_AUTH_SUCCESS : LOGEVENT_AUTH_FAILURE;
        logevent_set(e, e->method, sizeof(e->method), LIT("password"));
        if (!logmsg_set_src(e, addr, (size_t)(close - addr)))
                return 0;
        set_user(e, u, ul);
        return 1;
}

/* ProFTPD after the tag: "SERVER (NAME[ADDR]) - MSG" (syslog) or
 * "SERVER (NAME[ADDR]): MSG" (own log). */
static int proftpd_msg(const logmsg_t *m, logevent_t *e)
{
        const char *s = m->msg, *open, *br, *close, *msg, *p;
        size_t n = m->len, mn;

        open = memchr(s, ' ', MIN(n, (size_t)300));
        if (!open || !logmsg_starts(open, n - (size_t)(open - s), LIT(" (")))
                return 0;
        /* The client name comes from the resolver (no '[' in it) or is the
         * address itself. */
        br = memchr(open + 2, '[', MIN(n - (size_t)(open + 2 - s), (size_t)260));
        if (!br)
                return 0;
        close = memchr(br, ']', MIN(n - (size_t)(br - s), (size_t)IPADDR_STR_MAX + 1));
        if (!close)
                return 0;
        p = close + 1;
        if (logmsg_starts(p, n - (size_t)(p - s), LIT(") - ")))
                msg = p + 4;
        else if (logmsg_starts(p, n - (size_t)(p - s), LIT("): ")))
                msg = p + 3;
        else
                return 0;
        mn = n - (size_t)(msg - s);
        logmsg_event_init(e, m, "proftpd");
        if (!logmsg_set_src(e, br + 1, (size_t)(close - br - 1)) || !e->has_ip)
                return 0;
        if (logmsg_starts(msg, mn, LIT("USER "))) {
                const char *u = msg + 5, *end;
                size_t un = mn - 5;

                if ((end = logmsg_rfind(u, un, LIT(" (Login failed): ")))) {
                        e->kind = LOGEVENT_AUTH_FAILURE;
                        logevent_set(e, e->method, sizeof(e->method), LIT("password"));
                } else if ((end = logmsg_rfind(u, un, LIT(": no such user found from ")))) {
                        e->kind = LOGEVENT_INVALID_USER;
                        e->invalid_user = true;
                } else if (logmsg_ends(u, un, LIT(": Login successful."))) {
                        end = u + un - 19;
                        e->kind = LOGEVENT_AUTH_SUCCESS;
                        logevent_set(e, e->method, sizeof(e->method), LIT("password"));
                } else
                        return 0;
                set_user(e, u, (size_t)(end - u));
                return 1;
        }
        if (logmsg_starts(msg, mn, LIT("Maximum login attempts ")) &&
            logmsg_ends(msg, mn, LIT("exceeded, connection refused"))) {
                e->kind = LOGEVENT_MAX_ATTEMPTS;
                return 1;
        }
        if (logmsg_starts(msg, mn, LIT("SECURITY VIOLATION: Root login attempted"))) {
                e->kind = LOGEVENT_ROOT_REFUSED;
                set_user(e, LIT("root"));
                return 1;
        }
        return 0;
}

/* Pure-FTPd: "(?@ADDR) [LEVEL] MSG"; "?" is the user before login. */
static int pureftpd_msg(const logmsg_t *m, logevent_t *e)
{
        const char *s = m->msg, *close, *msg;
        size_t n = m->len, mn;

        if (!logmsg_starts(s, n, LIT("(?@")))
                return 0;
        close = memchr(s + 3, ')', MIN(n - 3, (size_t)256));
        if (!close)
                return 0;
        msg = close + 1;
        mn = n - (size_t)(msg - s);
        logmsg_event_init(e, m, "pure-ftpd");
        if (!logmsg_set_src(e, s + 3, (size_t)(close - s) - 3))
                return 0;
        if (logmsg_starts(msg, mn, LIT(" [WARNING] Authentication failed for user [")) &&
            logmsg_ends(msg, mn, LIT("]"))) {
                e->kind = LOGEVENT_AUTH_FAILURE;
                logevent_set(e, e->method, sizeof(e->method), LIT("password"));
                set_user(e, msg + 43, mn - 44);
                return 1;
        }
        if (logmsg_starts(msg, mn, LIT(" [INFO] ")) &&
            logmsg_ends(msg, mn, LIT(" is now logged in")) && mn > 25) {
                e->kind = LOGEVENT_AUTH_SUCCESS;
                logevent_set(e, e->method, sizeof(e->method), LIT("password"));
                set_user(e, msg + 8, mn - 25);
                return 1;
        }
        return 0;
}

int ftp_parse(const logmsg_t *m, logevent_t *e)
{
        if (logmsg_eq(m->prog, m->prog_len, LIT("vsftpd")))
                return vsftpd_msg(m, e);
        if (logmsg_eq(m->prog, m->prog_len, LIT("proftpd")))
                return proftpd_msg(m, e);
        if (logmsg_eq(m->prog, m->prog_len, LIT("pure-ftpd")))
                return pureftpd_msg(m, e);
        return 0;
}

int ftp_parse_line(syslog_clock_t *c, const char *line, size_t n, const char *file, uint64_t lineno,
                   logevent_t *e)
{
        logmsg_t m = { .file = file, .line = lineno, .host = "", .host_len = 0 };
        size_t used;

        /* vsftpd: ctime date, then the message. */
        if (n > 25 && line[3] == ' ' && line[24] == ' ' &&
            syslog_parse_ctime(c, line, n, &used, &m.time_us)) {
                if (!logmsg_starts(line + 25, n - 25, LIT("[pid ")))
                        return -ENOMSG;
                m.prog = "vsftpd";
                m.prog_len = 6;
                m.msg = line + 25;
                m.len = n - 25;
                return vsftpd_msg(&m, e);
        }
        /* ProFTPD: "2026-11-26 23:15:10,123 HOST proftpd[PID] MSG". */
        if (n > 30 && line[4] == '-' && line[10] == ' ' && line[19] == ',' &&
            syslog_parse_iso_time(c, line, n, true, &used, &m.time_us) && used < n &&
            line[used] == ' ') {
                const char *h = line + used + 1, *sp, *tag;
                size_t rest = n - used - 1;

                sp = memchr(h, ' ', rest);
                if (!sp)
                        return -ENOMSG;
                tag = sp + 1;
                if (!logmsg_starts(tag, n - (size_t)(tag - line), LIT("proftpd[")))
                        return -ENOMSG;
                {
                        const char *close =
                                memchr(tag, ']', MIN(n - (size_t)(tag - line), (size_t)20));
                        if (!close ||
                            !logmsg_parse_pid(tag + 8, (size_t)(close - tag) - 8, &m.pid) ||
                            !logmsg_starts(close, n - (size_t)(close - line), LIT("] ")))
                                return -ENOMSG;
                        m.host = h;
                        m.host_len = (size_t)(sp - h);
                        m.prog = "proftpd";
                        m.prog_len = 7;
                        m.msg = close + 2;
                        m.len = n - (size_t)(m.msg - line);
                        return proftpd_msg(&m, e);
                }
        }
        return -ENOMSG;
}
