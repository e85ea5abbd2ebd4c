#include "scan/weakpass/ftpconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/text.h"

static int warn(report_t *r, const char *source, size_t line, const char *fmt, ...) _printf_(4, 5);

static int warn(report_t *r, const char *source, size_t line, const char *fmt, ...)
{
        _cleanup_free_ char *where = NULL, *msg = NULL;
        va_list ap;
        int n;

        if (!r)
                return 0;
        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0) {
                msg = NULL;
                return -ENOMEM;
        }
        where = str_printf("%s:%zu", source, line);
        if (!where || report_note(r, REPORT_NOTE_WARNING, where, "%s", msg) < 0)
                return -ENOMEM;
        return 0;
}

/* ------------------------------------------------------------------ */
/* vsftpd */

static const struct {
        const char *name;
        size_t offset;
} vsftpd_bools[] = {
        { "anonymous_enable", offsetof(vsftpd_conf_t, anonymous_enable) },
        { "write_enable", offsetof(vsftpd_conf_t, write_enable) },
        { "anon_upload_enable", offsetof(vsftpd_conf_t, anon_upload_enable) },
        { "anon_mkdir_write_enable", offsetof(vsftpd_conf_t, anon_mkdir_write_enable) },
        { "anon_other_write_enable", offsetof(vsftpd_conf_t, anon_other_write_enable) },
        { "no_anon_password", offsetof(vsftpd_conf_t, no_anon_password) },
};

int ftpconf_parse_vsftpd(const char *data, size_t len, const char *source, report_t *r,
                         vsftpd_conf_t *ret)
{
        size_t pos = 0, line = 0;
        int e;

        *ret = (vsftpd_conf_t){ 0 };
        while (pos < len) {
                const char *nl = memchr(data + pos, '\n', len - pos);
                size_t end = nl ? (size_t)(nl - data) : len;
                const char *p = data + pos, *eq;
                size_t n = end - pos, name_len, vlen;
                bool all_space = true;
                char value[8];

                line++;
                pos = end + 1;
                for (size_t i = 0; i < n; i++)
                        if (p[i] != ' ' && p[i] != '\t')
                                all_space = false;
                if (n == 0 || p[0] == '#' || all_space)
                        continue;
                if (n > FTPCONF_LINE_MAX || memchr(p, 0, n)) {
                        if ((e = warn(r, source, line, "%s", "line too long or binary; skipped")) <
                            0)
                                return e;
                        continue;
                }
                eq = memchr(p, '=', n);
                name_len = eq ? (size_t)(eq - p) : n;
                for (size_t k = 0; k < ELEMENTSOF(vsftpd_bools); k++) {
                        const char *name = vsftpd_bools[k].name;
                        bool *field = (bool *)((char *)ret + vsftpd_bools[k].offset);
                        if (strlen(name) != name_len || memcmp(p, name, name_len) != 0)
                                continue;
                        vlen = eq ? n - name_len - 1 : 0;
                        if (vlen == 0 || vlen >= sizeof(value)) {
                                e = warn(r, source, line,
                                         "bad boolean value for %s; vsftpd would refuse to start",
                                         name);
                                if (e < 0)
                                        return e;
                                break;
                        }
                        memcpy(value, eq + 1, vlen);
                        value[vlen] = 0;
                        if (strcasecmp(value, "YES") == 0 || strcasecmp(value, "TRUE") == 0 ||
                            strcmp(value, "1") == 0)
                                *field = true;
                        else if (strcasecmp(value, "NO") == 0 || strcasecmp(value, "FALSE") == 0 ||
                                 strcmp(value, "0") == 0)
                                *field = false;
                        else {
                                e = warn(r, source, line,
                                         "bad boolean value for %s; vsftpd would refuse to start",
                                         name);
                                if (e < 0)
                                        return e;
                                break;
                        }
                        if (k == 0)
                                ret->anonymous_line = line;
                        break;
                }
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* ProFTPD */

void ftpconf_proftpd_clear(proftpd_conf_t *c)
{
        for (size_t i = 0; i < c->n_anons; i++) {
                free(c->anons[i].where);
                free(c->anons[i].dir);
        }
        c->n_anons = 0;
}

#define MAX_DEPTH 32

/* Where the parser is: the open sections, the <Anonymous> block being read
 * (if any), and the <Limit> inside it. */
typedef struct pstate {
        char sections[MAX_DEPTH][16];
        size_t depth;
        size_t anon_depth; /* depth of the <Anonymous> section + 1, 0 when outside */
        proftpd_anon_t *anon;
        bool in_limit;
        bool limit_login, limit_write;
        bool limit_allow, limit_deny;
} pstate_t;

static bool is_write_command(const char *w)
{
        static const char *const cmds[] = { "WRITE", "STOR", "STOU", "APPE", "MKD", "XMKD", "ALL" };

        for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
                if (strcasecmp(w, cmds[i]) == 0)
                        return true;
        return false;
}

static int handle_section(pstate_t *st, proftpd_conf_t *c, const strv_t *args, const char *source,
                          size_t line, report_t *r)
{
        const char *name = args->v[0] + 1;
        size_t nlen = strlen(name);

        if (nlen > 0 && name[nlen - 1] == '>')
                nlen--;
        if (name[0] == '/') {
                /* A closing tag. */
                if (st->depth == 0)
                        return warn(r, source, line, "%s", "closing tag without an open section");
                st->depth--;
                if (st->in_limit && strncasecmp(name + 1, "Limit", 5) == 0) {
                        if (st->anon && st->limit_login && st->limit_deny && !st->limit_allow)
                                st->anon->login_denied = true;
                        if (st->anon && st->limit_write && st->limit_allow)
                                st->anon->writable = true;
                        st->in_limit = false;
                }
                if (st->anon_depth && st->depth + 1 == st->anon_depth) {
                        st->anon = NULL;
                        st->anon_depth = 0;
                }
                return 0;
        }
        if (st->depth >= MAX_DEPTH)
                return warn(r, source, line, "%s", "sections nested too deeply");
        snprintf(st->sections[st->depth], sizeof(st->sections[0]), "%.*s",
                 (int)MIN(nlen, sizeof(st->sections[0]) - 1), name);
        st->depth++;
        if (strncasecmp(name, "Anonymous", nlen) == 0 && nlen == 9) {
                proftpd_anon_t *a;
                if (st->anon)
                        return warn(r, source, line, "%s", "<Anonymous> inside <Anonymous>");
                if (c->n_anons >= FTPCONF_MAX_ANONS)
                        return warn(r, source, line, "%s", "too many <Anonymous> sections");
                a = &c->anons[c->n_anons];
                *a = (proftpd_anon_t){ 0 };
                a->where = str_printf("%s:%zu", source, line);
                a->dir = strdup(args->n > 1 ? args->v[1] : "");
                if (!a->where || !a->dir) {
                        free(a->where);
                        free(a->dir);
                        return -ENOMEM;
                }
                /* The argument may end with the '>' of the tag. */
                size_t dl = strlen(a->dir);
                if (dl > 0 && a->dir[dl - 1] == '>')
                        a->dir[dl - 1] = 0;
                c->n_anons++;
                st->anon = a;
                st->anon_depth = st->depth;
        } else if (strncasecmp(name, "Limit", nlen) == 0 && nlen == 5) {
                st->in_limit = true;
                st->limit_login = st->limit_write = st->limit_allow = st->limit_deny = false;
                for (size_t i = 1; i < args->n; i++) {
                        char w[32];
                        snprintf(w, sizeof(w), "%s", args->v[i]);
                        size_t wl = strlen(w);
                        if (wl > 0 && w[wl - 1] == '>')
                                w[wl - 1] = 0;
                        if (strcasecmp(w, "LOGIN") == 0)
                                st->limit_login = true;
                        if (is_write_command(w))
                                st->limit_write = true;
                }
        }
        return 0;
}

/* Split at blanks; "double quotes" keep blanks. Returns 0, -EINVAL, -ENOMEM. */
static int split_words(const char *p, size_t n, strv_t *ret)
{
        _cleanup_buf_ buf_t w;
        size_t i = 0;
        int r;

        buf_init(&w, FTPCONF_LINE_MAX);
        while (i < n) {
                bool q = false;
                while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
                        i++;
                if (i >= n)
                        break;
                buf_reset(&w);
                while (i < n && (q || (p[i] != ' ' && p[i] != '\t' && p[i] != '\r'))) {
                        if (p[i] == '"') {
                                q = !q;
                                i++;
                                continue;
                        }
                        if ((r = buf_append(&w, &p[i], 1)) < 0)
                                return r;
                        i++;
                }
                if (q)
                        return -EINVAL;
                if ((r = strv_push(ret, w.data ? w.data : "")) < 0)
                        return r;
        }
        return 0;
}

int ftpconf_parse_proftpd(const char *data, size_t len, const char *source, report_t *r,
                          ftpconf_include_fn include, void *userdata, proftpd_conf_t *c)
{
        pstate_t st = { .depth = 0 };
        _cleanup_buf_ buf_t rec;
        size_t pos = 0, line = 0;
        int e = 0;

        buf_init(&rec, FTPCONF_LINE_MAX);
        while (pos < len && e == 0) {
                _cleanup_(strv_clear) strv_t args = { 0 };
                size_t first = line + 1;
                bool too_long = false;
                const char *p;
                size_t n;

                buf_reset(&rec);
                for (;;) {
                        const char *nl = memchr(data + pos, '\n', len - pos);
                        size_t end = nl ? (size_t)(nl - data) : len;
                        size_t ln = end - pos;
                        bool cont;
                        line++;
                        while (ln > 0 && data[pos + ln - 1] == '\r')
                                ln--;
                        cont = ln > 0 && data[pos + ln - 1] == '\\';
                        if (cont)
                                ln--;
                        if (!too_long && buf_append(&rec, data + pos, ln) == -E2BIG)
                                too_long = true;
                        pos = end + 1;
                        if (!cont || pos >= len)
                                break;
                }
                if (too_long) {
                        e = warn(r, source, first, "%s", "line too long; skipped");
                        continue;
                }
                p = rec.data ? rec.data : "";
                n = rec.len;
                while (n > 0 && (*p == ' ' || *p == '\t')) {
                        p++;
                        n--;
                }
                if (n == 0 || *p == '#')
                        continue;
                if (memchr(p, 0, n)) {
                        e = warn(r, source, first, "%s", "line holds a NUL byte; skipped");
                        continue;
                }
                e = split_words(p, n, &args);
                if (e == -EINVAL) {
                        e = warn(r, source, first, "%s", "unterminated quote; line skipped");
                        continue;
                }
                if (e < 0 || args.n == 0)
                        continue;
                if (args.v[0][0] == '<') {
                        e = handle_section(&st, c, &args, source, first, r);
                        continue;
                }
                if (strcasecmp(args.v[0], "Include") == 0) {
                        if (args.n != 2)
                                e = warn(r, source, first, "%s", "Include takes one path");
                        else if (st.anon)
                                e = warn(r, source, first, "%s",
                                         "Include inside <Anonymous> is not followed");
                        else if (include) {
                                _cleanup_free_ char *where = str_printf("%s:%zu", source, first);
                                e = where ? include(args.v[1], where, userdata) : -ENOMEM;
                        }
                        continue;
                }
                if (!st.anon)
                        continue;
                if (strcasecmp(args.v[0], "AnonRequirePassword") == 0 && args.n == 2)
                        st.anon->require_password = strcasecmp(args.v[1], "on") == 0 ||
                                                    strcasecmp(args.v[1], "yes") == 0 ||
                                                    strcasecmp(args.v[1], "true") == 0;
                if (st.in_limit) {
                        bool all = args.n == 3 && strcasecmp(args.v[1], "from") == 0 &&
                                   strcasecmp(args.v[2], "all") == 0;
                        if (strcasecmp(args.v[0], "AllowAll") == 0 ||
                            (strcasecmp(args.v[0], "Allow") == 0 && all))
                                st.limit_allow = true;
                        if (strcasecmp(args.v[0], "DenyAll") == 0 ||
                            (strcasecmp(args.v[0], "Deny") == 0 && all))
                                st.limit_deny = true;
                }
        }
        return e;
}
