#include "detect/login/logmsg.h"

#include <errno.h>
#include <string.h>

void logmsg_event_init(logevent_t *e, const logmsg_t *m, const char *service)
{
        size_t n;

        /* Only the scalars and the first byte of each string: clearing the
         * whole struct (1.3 KiB) per line shows in `vigil logscan`'s profile.
         * Every reader stops at the terminators. */
        e->service[0] = e->method[0] = e->user[0] = e->target_user[0] = e->src[0] = 0;
        e->host[0] = 0;
        e->kind = LOGEVENT_AUTH_FAILURE;
        e->has_ip = e->truncated = e->invalid_user = false;
        memset(&e->src_ip, 0, sizeof(e->src_ip));
        e->port = 0;
        e->time_us = m->time_us;
        e->file = m->file;
        e->line = m->line;
        e->pid = m->pid;
        if (m->host_len)
                logevent_set(e, e->host, sizeof(e->host), m->host, m->host_len);
        n = strlen(service);
        logevent_set(e, e->service, sizeof(e->service), service, n);
}

/* A strict dotted quad: four decimal parts 0..255 without leading zeros, the
 * form inet_pton accepts. Written out because it is on the hot path and
 * inet_pton needs a NUL-terminated copy. */
static bool parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
        size_t i = 0;

        for (int part = 0; part < 4; part++) {
                unsigned v = 0;
                size_t start = i;

                if (part > 0) {
                        if (i >= n || s[i] != '.')
                                return false;
                        start = ++i;
                }
                while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
                        v = v * 10 + (unsigned)(s[i] - '0');
                        i++;
                }
                if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
                        return false;
                out[part] = (uint8_t)v;
        }
        return i == n;
}

bool logmsg_parse_ip(const char *s, size_t n, ipaddr_t *ret)
{
        ipaddr_t a = { 0 };

        if (n == 0 || n >= IPADDR_STR_MAX)
                return false;
        if (s[0] != ':' && memchr(s, ':', n) == NULL) {
                if (!parse_ipv4(s, n, a.bytes))
                        return false;
                a.family = AF_INET;
                *ret = a;
                return true;
        }
        return ipaddr_parse_n(s, n, ret) == 0;
}

bool logmsg_is_hostname(const char *s, size_t n)
{
        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_'))
                        return false;
        }
        return true;
}

bool logmsg_set_src(logevent_t *e, const char *s, size_t n)
{
        ipaddr_t a;

        if (logmsg_parse_ip(s, n, &a)) {
                e->has_ip = true;
                e->src_ip = a;
                if (a.family == AF_INET && memchr(s, ':', n) == NULL) {
                        /* A strict dotted quad is already in normal form. */
                        memcpy(e->src, s, n);
                        e->src[n] = 0;
                } else
                        ipaddr_format(&a, e->src);
                return true;
        }
        if (!logmsg_is_hostname(s, n))
                return false;
        e->has_ip = false;
        memset(&e->src_ip, 0, sizeof(e->src_ip));
        logevent_set(e, e->src, sizeof(e->src), s, n);
        return true;
}

bool logmsg_parse_port(const char *s, size_t n, uint16_t *ret)
{
        unsigned v = 0;

        if (n == 0 || n > 5)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (v == 0 || v > 65535)
                return false;
        *ret = (uint16_t)v;
        return true;
}

bool logmsg_parse_pid(const char *s, size_t n, pid_t *ret)
{
        long v = 0;

        if (n == 0 || n > 9)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        if (v <= 0)
                return false;
        *ret = (pid_t)v;
        return true;
}

const char *logmsg_find(const char *s, size_t n, const char *lit, size_t ln)
{
        return memmem(s, n, lit, ln);
}

const char *logmsg_rfind(const char *s, size_t n, const char *lit, size_t ln)
{
        if (ln == 0 || n < ln)
                return NULL;
        /* Walk back over candidate first bytes with memrchr. */
        for (size_t end = n - ln + 1; end > 0;) {
                const char *p = memrchr(s, lit[0], end);
                if (!p)
                        return NULL;
                if (memcmp(p, lit, ln) == 0)
                        return p;
                end = (size_t)(p - s);
        }
        return NULL;
}

bool logmsg_cut_port(const char *s, size_t *n, uint16_t *ret)
{
        size_t i = *n, digits_end = *n;

        while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9' && digits_end - i < 6)
                i--;
        if (i == digits_end || !logmsg_ends(s, i, LIT(" port ")))
                return false;
        if (!logmsg_parse_port(s + i, digits_end - i, ret))
                return false;
        *n = i - STRLEN(" port ");
        return true;
}

bool logmsg_cut_token(const char *s, size_t *n, const char **tok, size_t *tok_len)
{
        const char *sp;

        if (*n == 0)
                return false;
        sp = memrchr(s, ' ', *n);
        if (!sp || (size_t)(sp - s) + 1 == *n)
                return false;
        *tok = sp + 1;
        *tok_len = *n - (size_t)(sp - s) - 1;
        *n = (size_t)(sp - s);
        return true;
}
