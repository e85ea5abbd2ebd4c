#include "detect/login/pam.h"

#include <string.h>

bool pam_is_pam(const logmsg_t *m)
{
        return logmsg_starts(m->msg, m->len, LIT("pam_"));
}

/* Read "NAME=VALUE" at *S where VALUE runs to the next space; advance past
 * it (and the one space after it). */
static bool field(const char **s, size_t *n, const char *name, size_t nl, const char **v,
                  size_t *vl)
{
        const char *sp;

        if (!logmsg_starts(*s, *n, name, nl))
                return false;
        *s += nl;
        *n -= nl;
        sp = memchr(*s, ' ', *n);
        *v = *s;
        *vl = sp ? (size_t)(sp - *s) : *n;
        *s += *vl;
        *n -= *vl;
        if (*n) {
                (*s)++;
                (*n)--;
        }
        return true;
}

int pam_parse(const logmsg_t *m, logevent_t *e)
{
        const char *s = m->msg, *svc, *close, *v, *ruser = "", *rhost = "";
        size_t n = m->len, svc_len, vl, ruser_len = 0, rhost_len = 0;
        char service[LOGEVENT_SERVICE_MAX];

        /* pam_MODULE(SERVICE:auth): authentication failure; */
        if (!logmsg_starts(s, n, LIT("pam_")))
                return 0;
        close = memchr(s, '(', MIN(n, (size_t)40));
        if (!close)
                return 0;
        svc = close + 1;
        close = memchr(svc, ':', MIN(n - (size_t)(svc - s), (size_t)LOGEVENT_SERVICE_MAX));
        if (!close || close == svc)
                return 0;
        svc_len = (size_t)(close - svc);
        for (size_t i = 0; i < svc_len; i++)
                if (svc[i] == ' ' || svc[i] == ')' || (unsigned char)svc[i] < 0x21)
                        return 0;
        n -= (size_t)(close - s);
        s = close;
        if (!logmsg_starts(s, n, LIT(":auth): authentication failure; ")))
                return 0;
        s += STRLEN(":auth): authentication failure; ");
        n -= STRLEN(":auth): authentication failure; ");
        if (!field(&s, &n, LIT("logname="), &v, &vl) || !field(&s, &n, LIT("uid="), &v, &vl) ||
            !field(&s, &n, LIT("euid="), &v, &vl) || !field(&s, &n, LIT("tty="), &v, &vl) ||
            !field(&s, &n, LIT("ruser="), &ruser, &ruser_len) ||
            !field(&s, &n, LIT("rhost="), &rhost, &rhost_len))
                return 0;
        /* pam_unix puts two spaces before "user="; it is absent when the
         * account does not exist. */
        if (n && s[0] == ' ') {
                s++;
                n--;
        }
        memcpy(service, svc, svc_len);
        service[svc_len] = 0;
        logmsg_event_init(e, m, service);
        e->kind = LOGEVENT_PAM_FAILURE;
        if (rhost_len && !logmsg_set_src(e, rhost, rhost_len))
                return 0;
        if (logmsg_starts(s, n, LIT("user="))) {
                const char *u = s + STRLEN("user=");
                size_t ul = n - STRLEN("user=");
                bool su = logmsg_eq(service, svc_len, LIT("su")) ||
                          logmsg_eq(service, svc_len, LIT("su-l"));

                if (su && ruser_len) {
                        logevent_set(e, e->user, sizeof(e->user), ruser, ruser_len);
                        logevent_set(e, e->target_user, sizeof(e->target_user), u, ul);
                } else
                        logevent_set(e, e->user, sizeof(e->user), u, ul);
        } else if (n == 0) {
                e->invalid_user = true;
        } else
                return 0;
        return 1;
}
