#include "scan/weakpass/redisconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hash.h"
#include "core/text.h"

static void wipe_str(char *s)
{
        if (s)
                explicit_bzero(s, strlen(s));
}

static void wipe_strv(strv_t *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                wipe_str(sv->v[i]);
        strv_clear(sv);
}

static void user_clear(redis_user_t *u)
{
        free(u->name);
        wipe_strv(&u->passwords);
        strv_clear(&u->hashes);
        free(u->where);
        *u = (redis_user_t){ 0 };
}

/* Forget every password of U. */
static void user_resetpass(redis_user_t *u)
{
        wipe_strv(&u->passwords);
        strv_clear(&u->hashes);
        u->nopass = false;
}

static int users_reset(redisconf_t *c)
{
        for (size_t i = 0; i < c->n_users; i++)
                user_clear(&c->users[i]);
        c->n_users = 0;
        if (c->cap_users == 0) {
                c->users = calloc(8, sizeof(*c->users));
                if (!c->users)
                        return -ENOMEM;
                c->cap_users = 8;
        }
        c->users[0] = (redis_user_t){ .on = true, .nopass = true };
        c->users[0].name = strdup("default");
        if (!c->users[0].name)
                return -ENOMEM;
        c->n_users = 1;
        return 0;
}

int redisconf_init(redisconf_t *c)
{
        *c = (redisconf_t){ 0 };
        return users_reset(c);
}

void redisconf_clear(redisconf_t *c)
{
        for (size_t i = 0; i < c->n_users; i++)
                user_clear(&c->users[i]);
        free(c->users);
        wipe_str(c->requirepass);
        free(c->requirepass);
        free(c->requirepass_where);
        free(c->aclfile);
        free(c->aclfile_where);
        *c = (redisconf_t){ 0 };
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* One argument in Redis' quoting rules starting at P (not white space): a
 * quote may open anywhere in an argument, and a closing quote must be
 * followed by white space or the end of the line. The decoded bytes go to
 * OUT (room for the rest of the line) and *RET_N. Returns the number of
 * input bytes used, or 0 for a quoting error. */
static size_t split_one(const char *p, const char *end, char *out, size_t *ret_n)
{
        const char *s = p;
        size_t n = 0;
        char quote = 0;

        while (s < end) {
                if (quote == '"') {
                        if (*s == '\\' && s + 3 < end && s[1] == 'x' && str_hexval(s[2]) >= 0 &&
                            str_hexval(s[3]) >= 0) {
                                out[n++] = (char)(str_hexval(s[2]) * 16 + str_hexval(s[3]));
                                s += 4;
                        } else if (*s == '\\' && s + 1 < end) {
                                char c = s[1];
                                out[n++] = c == 'n'   ? '\n'
                                           : c == 'r' ? '\r'
                                           : c == 't' ? '\t'
                                           : c == 'b' ? '\b'
                                           : c == 'a' ? '\a'
                                                      : c;
                                s += 2;
                        } else if (*s == '"') {
                                s++;
                                if (s < end && !is_space(*s))
                                        return 0;
                                quote = 0;
                                break;
                        } else
                                out[n++] = *s++;
                } else if (quote == '\'') {
                        if (*s == '\\' && s + 1 < end && s[1] == '\'') {
                                out[n++] = '\'';
                                s += 2;
                        } else if (*s == '\'') {
                                s++;
                                if (s < end && !is_space(*s))
                                        return 0;
                                quote = 0;
                                break;
                        } else
                                out[n++] = *s++;
                } else if (is_space(*s))
                        break;
                else if (*s == '"' || *s == '\'')
                        quote = *s++;
                else
                        out[n++] = *s++;
        }
        if (quote)
                return 0;
        *ret_n = n;
        return (size_t)(s - p);
}

int redisconf_split(const char *line, size_t len, strv_t *ret)
{
        _cleanup_(strv_clear) strv_t args = { 0 };
        const char *p = line, *end = line + len;
        char *tmp;
        int r = 0;

        tmp = malloc(len + 1);
        if (!tmp)
                return -ENOMEM;
        for (;;) {
                size_t used, n = 0;
                while (p < end && is_space(*p))
                        p++;
                if (p >= end)
                        break;
                if (args.n >= REDISCONF_MAX_ARGS) {
                        r = -E2BIG;
                        break;
                }
                used = split_one(p, end, tmp, &n);
                if (used == 0) {
                        r = -EINVAL;
                        break;
                }
                p += used;
                if ((r = strv_push_take(&args, str_ndup(tmp, n))) < 0)
                        break;
                /* A NUL inside an argument would cut it short in C. */
                if (memchr(tmp, 0, n)) {
                        r = -EINVAL;
                        break;
                }
        }
        explicit_bzero(tmp, len + 1);
        free(tmp);
        if (r < 0) {
                wipe_strv(&args);
                return r;
        }
        *ret = args;
        args = (strv_t){ 0 };
        return 0;
}

static int warn(report_t *r, const char *where, const char *fmt, ...) _printf_(3, 4);

static int warn(report_t *r, const char *where, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
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
        if (report_note(r, REPORT_NOTE_WARNING, where, "%s", msg) < 0)
                return -ENOMEM;
        return 0;
}

static void sha256_hex(const char *s, char out[HASH_SHA256_HEX])
{
        uint8_t d[HASH_SHA256_LEN];

        hash_sha256(s, strlen(s), d);
        hash_hex(d, sizeof(d), out);
        explicit_bzero(d, sizeof(d));
}

static void remove_at(strv_t *sv, size_t i)
{
        wipe_str(sv->v[i]);
        free(sv->v[i]);
        memmove(&sv->v[i], &sv->v[i + 1], (sv->n - i) * sizeof(char *));
        sv->n--;
}

/* Drop the password whose SHA-256 hex is HEX, in plain and hashed form. */
static void remove_password(redis_user_t *u, const char *hex)
{
        char h[HASH_SHA256_HEX];

        for (size_t i = 0; i < u->hashes.n;)
                if (strcmp(u->hashes.v[i], hex) == 0)
                        remove_at(&u->hashes, i);
                else
                        i++;
        for (size_t i = 0; i < u->passwords.n;) {
                sha256_hex(u->passwords.v[i], h);
                if (strcmp(h, hex) == 0)
                        remove_at(&u->passwords, i);
                else
                        i++;
        }
}

/* Apply one ACL rule. Only the rules that decide how the user logs in
 * matter here; key, channel and command rules are accepted as they are. */
static int apply_rule(redis_user_t *u, const char *rule, const char *where, report_t *r)
{
        char hex[HASH_SHA256_HEX];
        size_t n = strlen(rule);
        int ret = 0;

        if (strcasecmp(rule, "on") == 0)
                u->on = true;
        else if (strcasecmp(rule, "off") == 0)
                u->on = false;
        else if (strcasecmp(rule, "nopass") == 0) {
                user_resetpass(u);
                u->nopass = true;
        } else if (strcasecmp(rule, "resetpass") == 0)
                user_resetpass(u);
        else if (strcasecmp(rule, "reset") == 0) {
                user_resetpass(u);
                u->on = false;
        } else if (rule[0] == '>') {
                if (!strv_contains(&u->passwords, rule + 1))
                        ret = strv_push(&u->passwords, rule + 1);
                u->nopass = false;
        } else if (rule[0] == '<') {
                sha256_hex(rule + 1, hex);
                remove_password(u, hex);
        } else if (rule[0] == '#' || rule[0] == '!') {
                bool ok = n == 65;
                for (size_t i = 1; ok && i < n; i++)
                        ok = str_hexval(rule[i]) >= 0;
                if (!ok)
                        return warn(r, where, "%s", "password hash is not 64 hex digits");
                for (size_t i = 0; i < 64; i++)
                        hex[i] = (char)(rule[i + 1] >= 'A' && rule[i + 1] <= 'F' ? rule[i + 1] + 32
                                                                                 : rule[i + 1]);
                hex[64] = 0;
                if (rule[0] == '!')
                        remove_password(u, hex);
                else {
                        if (!strv_contains(&u->hashes, hex))
                                ret = strv_push(&u->hashes, hex);
                        u->nopass = false;
                }
        }
        explicit_bzero(hex, sizeof(hex));
        return ret;
}

static redis_user_t *find_user(redisconf_t *c, const char *name)
{
        for (size_t i = 0; i < c->n_users; i++)
                if (strcmp(c->users[i].name, name) == 0)
                        return &c->users[i];
        return NULL;
}

/* "user NAME RULES...": (re)define NAME from scratch. */
static int define_user(redisconf_t *c, const strv_t *args, const char *where, report_t *r)
{
        redis_user_t *u;
        int ret;

        if (args->n < 2)
                return warn(r, where, "%s", "\"user\" needs a user name");
        u = find_user(c, args->v[1]);
        if (u && u->where &&
            (ret = warn(r, where,
                        "user '%s' is defined twice; the last "
                        "definition is used",
                        args->v[1])) < 0)
                return ret;
        if (!u) {
                if (c->n_users >= REDISCONF_MAX_USERS)
                        return warn(r, where, "%s", "too many users; the rest are ignored");
                if (c->n_users == c->cap_users) {
                        size_t cap = c->cap_users * 2;
                        redis_user_t *v = realloc(c->users, cap * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        c->users = v;
                        c->cap_users = cap;
                }
                u = &c->users[c->n_users++];
                *u = (redis_user_t){ 0 };
                u->name = strdup(args->v[1]);
                if (!u->name) {
                        c->n_users--;
                        return -ENOMEM;
                }
        }
        user_resetpass(u);
        u->on = false;
        free(u->where);
        u->where = strdup(where);
        if (!u->where)
                return -ENOMEM;
        for (size_t i = 2; i < args->n; i++)
                if ((ret = apply_rule(u, args->v[i], where, r)) < 0)
                        return ret;
        return 0;
}

static int set_str(char **dst, const char *src, bool secret)
{
        char *copy = strdup(src);

        if (!copy)
                return -ENOMEM;
        if (secret)
                wipe_str(*dst);
        free(*dst);
        *dst = copy;
        return 0;
}

typedef enum file_kind {
        KIND_CONF,
        KIND_ACL,
} file_kind_t;

static int handle_line(redisconf_t *c, file_kind_t kind, const strv_t *args, const char *where,
                       report_t *r, redisconf_include_fn include, void *userdata)
{
        const char *cmd = args->v[0];
        int ret;

        if (kind == KIND_ACL) {
                if (strcasecmp(cmd, "user") != 0)
                        return warn(r, where, "%s", "an ACL file line must start with \"user\"");
                return define_user(c, args, where, r);
        }
        if (strcasecmp(cmd, "user") == 0) {
                c->conf_user_lines++;
                return define_user(c, args, where, r);
        }
        if (strcasecmp(cmd, "requirepass") == 0) {
                if (args->n != 2)
                        return warn(r, where, "%s", "\"requirepass\" takes one argument");
                c->has_requirepass = true;
                if ((ret = set_str(&c->requirepass, args->v[1], true)) < 0 ||
                    (ret = set_str(&c->requirepass_where, where, false)) < 0)
                        return ret;
                return 0;
        }
        if (strcasecmp(cmd, "aclfile") == 0) {
                if (args->n != 2)
                        return warn(r, where, "%s", "\"aclfile\" takes one argument");
                if ((ret = set_str(&c->aclfile, args->v[1], false)) < 0 ||
                    (ret = set_str(&c->aclfile_where, where, false)) < 0)
                        return ret;
                return 0;
        }
        if (strcasecmp(cmd, "include") == 0) {
                if (args->n != 2)
                        return warn(r, where, "%s", "\"include\" takes one argument");
                return include ? include(args->v[1], where, userdata) : 0;
        }
        return 0;
}

static int parse_lines(redisconf_t *c, file_kind_t kind, const char *data, size_t len,
                       const char *source, report_t *r, redisconf_include_fn include,
                       void *userdata)
{
        size_t pos = 0, line = 0;
        int ret = 0;

        while (pos < len && ret == 0) {
                const char *nl = memchr(data + pos, '\n', len - pos);
                size_t end = nl ? (size_t)(nl - data) : len;
                const char *p = data + pos;
                size_t n = end - pos;
                _cleanup_free_ char *where = NULL;
                strv_t args = { 0 };

                line++;
                pos = end + 1;
                while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r')) {
                        p++;
                        n--;
                }
                if (n == 0 || *p == '#')
                        continue;
                where = str_printf("%s:%zu", source, line);
                if (!where)
                        return -ENOMEM;
                if (n > REDISCONF_LINE_MAX) {
                        ret = warn(r, where, "%s", "line too long; skipped");
                        continue;
                }
                ret = redisconf_split(p, n, &args);
                if (ret == -EINVAL || ret == -E2BIG) {
                        ret = warn(r, where, "%s",
                                   ret == -EINVAL ? "unbalanced quotes or a NUL byte; "
                                                    "Redis would refuse this line"
                                                  : "too many arguments; skipped");
                        continue;
                }
                if (ret < 0)
                        return ret;
                if (args.n > 0)
                        ret = handle_line(c, kind, &args, where, r, include, userdata);
                wipe_strv(&args);
        }
        return ret;
}

int redisconf_parse(redisconf_t *c, const char *data, size_t len, const char *source, report_t *r,
                    redisconf_include_fn include, void *userdata)
{
        return parse_lines(c, KIND_CONF, data, len, source, r, include, userdata);
}

int redisconf_parse_aclfile(redisconf_t *c, const char *data, size_t len, const char *source,
                            report_t *r)
{
        int ret;

        /* Loading an ACL file replaces every user; a default user the file
         * does not define comes back as the built-in "on nopass" one. */
        if ((ret = users_reset(c)) < 0)
                return ret;
        c->from_aclfile = true;
        return parse_lines(c, KIND_ACL, data, len, source, r, NULL, NULL);
}

int redisconf_finish(redisconf_t *c)
{
        redis_user_t *def = &c->users[0];

        /* requirepass only shapes the default user when neither an ACL file
         * nor a "user default" line redefined it (both are applied after
         * the configuration's requirepass when Redis starts). */
        if (c->from_aclfile || def->where || !c->has_requirepass)
                return 0;
        user_resetpass(def);
        if (!c->requirepass[0]) {
                def->nopass = true;
                return 0;
        }
        def->where = strdup(c->requirepass_where);
        if (!def->where)
                return -ENOMEM;
        return strv_push(&def->passwords, c->requirepass);
}
