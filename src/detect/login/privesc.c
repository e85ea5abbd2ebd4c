#include "detect/login/privesc.h"

#include <string.h>

bool privesc_is_prog(const char *prog, size_t n)
{
        return logmsg_eq(prog, n, LIT("su")) || logmsg_eq(prog, n, LIT("sudo")) ||
               logmsg_eq(prog, n, LIT("login"));
}

static bool no_space(const char *s, size_t n)
{
        return n > 0 && memchr(s, ' ', n) == NULL;
}

/* util-linux: "[FAILED SU ](to TARGET) USER on TTY". */
static int parse_su_utillinux(const logmsg_t *m, const char *s, size_t n, logevent_t *e)
{
        bool failed = false;
        const char *close, *on;

        if (logmsg_starts(s, n, LIT("FAILED SU "))) {
                failed = true;
                s += 10;
                n -= 10;
        }
        if (!logmsg_starts(s, n, LIT("(to ")))
                return 0;
        close = memchr(s, ')', n);
        if (!close || !no_space(s + 4, (size_t)(close - s) - 4) ||
            !logmsg_starts(close, n - (size_t)(close - s), LIT(") ")))
                return 0;
        on = logmsg_rfind(s, n, LIT(" on "));
        if (!on || on < close + 2 || !no_space(close + 2, (size_t)(on - close - 2)))
                return 0;
        logmsg_event_init(e, m, "su");
        e->kind = failed ? LOGEVENT_PRIV_FAILURE : LOGEVENT_SESSION_OPEN;
        logevent_set(e, e->target_user, sizeof(e->target_user), s + 4, (size_t)(close - s) - 4);
        logevent_set(e, e->user, sizeof(e->user), close + 2, (size_t)(on - close - 2));
        return 1;
}

/* shadow: "FAILED su for TARGET by USER", "Successful su for TARGET by USER". */
static int parse_su_shadow(const logmsg_t *m, const char *s, size_t n, logevent_t *e)
{
        bool failed;
        const char *by;

        if (logmsg_starts(s, n, LIT("FAILED su for "))) {
                failed = true;
                s += 14;
                n -= 14;
        } else if (logmsg_starts(s, n, LIT("Successful su for "))) {
                failed = false;
                s += 18;
                n -= 18;
        } else
                return 0;
        by = logmsg_find(s, n, LIT(" by "));
        if (!by || !no_space(s, (size_t)(by - s)) || !no_space(by + 4, n - (size_t)(by - s) - 4))
                return 0;
        logmsg_event_init(e, m, "su");
        e->kind = failed ? LOGEVENT_PRIV_FAILURE : LOGEVENT_SESSION_OPEN;
        logevent_set(e, e->target_user, sizeof(e->target_user), s, (size_t)(by - s));
        logevent_set(e, e->user, sizeof(e->user), by + 4, n - (size_t)(by - s) - 4);
        return 1;
}

static int parse_sudo(const logmsg_t *m, const char *s, size_t n, logevent_t *e)
{
        const char *sep, *rest, *target;
        size_t rn, ul;
        logevent_kind_t kind;

        while (n && s[0] == ' ') {
                s++;
                n--;
        }
        sep = logmsg_find(s, MIN(n, (size_t)LOGEVENT_USER_MAX + 3), LIT(" : "));
        if (!sep || !no_space(s, (size_t)(sep - s)))
                return 0;
        ul = (size_t)(sep - s);
        rest = sep + 3;
        rn = n - ul - 3;
        if (logmsg_starts(rest, rn, LIT("TTY=")))
                kind = LOGEVENT_SESSION_OPEN;
        else {
                size_t i = 0;
                while (i < rn && i < 6 && rest[i] >= '0' && rest[i] <= '9')
                        i++;
                if ((i > 0 &&
                     logmsg_starts(rest + i, rn - i, LIT(" incorrect password attempt"))) ||
                    logmsg_starts(rest, rn, LIT("user NOT in sudoers ; ")) ||
                    logmsg_starts(rest, rn, LIT("user NOT authorized on host ; ")) ||
                    logmsg_starts(rest, rn, LIT("command not allowed ; ")))
                        kind = LOGEVENT_PRIV_FAILURE;
                else
                        return 0;
        }
        logmsg_event_init(e, m, "sudo");
        e->kind = kind;
        logevent_set(e, e->user, sizeof(e->user), s, ul);
        target = logmsg_find(rest, rn, LIT(" ; USER="));
        if (target) {
                const char *t = target + 8,
                           *end = logmsg_find(t, rn - (size_t)(t - rest), LIT(" ; "));
                size_t tl = end ? (size_t)(end - t) : rn - (size_t)(t - rest);
                if (no_space(t, tl))
                        logevent_set(e, e->target_user, sizeof(e->target_user), t, tl);
        }
        return 1;
}

/* util-linux login: "FAILED LOGIN N FROM WHERE FOR USER, REASON". */
static int parse_login(const logmsg_t *m, const char *s, size_t n, logevent_t *e)
{
        const char *from, *sp, *comma;
        size_t i = 13;

        if (!logmsg_starts(s, n, LIT("FAILED LOGIN ")))
                return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        if (i == 13 || !logmsg_starts(s + i, n - i, LIT(" FROM ")))
                return 0;
        from = s + i + 6;
        sp = memchr(from, ' ', n - (size_t)(from - s));
        if (!sp || sp == from || !logmsg_starts(sp, n - (size_t)(sp - s), LIT(" FOR ")))
                return 0;
        comma = logmsg_rfind(sp + 5, n - (size_t)(sp + 5 - s), LIT(", "));
        if (!comma)
                return 0;
        logmsg_event_init(e, m, "login");
        e->kind = LOGEVENT_AUTH_FAILURE;
        logevent_set(e, e->user, sizeof(e->user), sp + 5, (size_t)(comma - sp - 5));
        {
                ipaddr_t a;
                /* WHERE is a terminal for console logins; only an address
                 * is a source. */
                if (logmsg_parse_ip(from, (size_t)(sp - from), &a))
                        logmsg_set_src(e, from, (size_t)(sp - from));
        }
        return 1;
}

int privesc_parse(const logmsg_t *m, logevent_t *e)
{
        const char *s = m->msg;
        size_t n = m->len;

        if (logmsg_eq(m->prog, m->prog_len, LIT("su"))) {
                if (parse_su_utillinux(m, s, n, e))
                        return 1;
                return parse_su_shadow(m, s, n, e);
        }
        if (logmsg_eq(m->prog, m->prog_len, LIT("sudo")))
                return parse_sudo(m, s, n, e);
        if (logmsg_eq(m->prog, m->prog_len, LIT("login")))
                return parse_login(m, s, n, e);
        return 0;
}
