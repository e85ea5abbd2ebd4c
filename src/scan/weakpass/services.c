#include "scan/weakpass/services.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "scan/weakpass/crack.h"
#include "scan/weakpass/ftpconf.h"
#include "scan/weakpass/mysqlauth.h"
#include "scan/weakpass/pghba.h"
#include "scan/weakpass/redisconf.h"

/* ------------------------------------------------------------------ */
/* Shared: includes inside the root */

/* PATH as written in the file at FROM (a path inside the root): absolute as
 * is, relative to FROM's directory otherwise. Caller frees. */
static char *resolve_relative(const char *from, const char *path)
{
        _cleanup_free_ char *copy = NULL;

        if (path[0] == '/')
                return strdup(path);
        copy = strdup(from);
        if (!copy)
                return NULL;
        return str_printf("%s/%s", dirname(copy), path);
}

/* Files of an include that may be a glob or (for ProFTPD and PostgreSQL)
 * a directory, in name order. */
static int include_targets(wp_t *w, const char *path, bool dir_ok, strv_t *ret)
{
        _cleanup_(strv_clear) strv_t found = { 0 };
        struct stat st;
        int r;

        if ((r = wp_expand(w, path, &found)) < 0)
                return r;
        for (size_t i = 0; i < found.n; i++) {
                if (rootfs_stat(w->ctx->root, found.v[i], true, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_free_ char *pat = NULL;
                        if (!dir_ok)
                                continue;
                        pat = str_printf("%s/*", found.v[i]);
                        if (!pat || (r = wp_expand(w, pat, ret)) < 0)
                                return pat ? r : -ENOMEM;
                } else if (!strv_contains(ret, found.v[i]) && (r = strv_push(ret, found.v[i])) < 0)
                        return r;
        }
        return 0;
}

typedef struct incl {
        wp_t *w;
        const char *cur; /* path inside the root of the file being parsed */
        unsigned depth;
        unsigned files;
} incl_t;

/* Before following an include: the depth and file caps. */
static int include_allowed(incl_t *in, const char *where, bool *ret)
{
        *ret = false;
        if (in->depth >= WP_INCLUDE_DEPTH || in->files >= WP_INCLUDE_FILES) {
                return report_note(in->w->ctx->report, REPORT_NOTE_WARNING, where,
                                   "include not followed: more than %d levels or %d files "
                                   "(an include loop?)",
                                   WP_INCLUDE_DEPTH, WP_INCLUDE_FILES);
        }
        *ret = true;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Redis */

typedef struct redis_ctx {
        incl_t in;
        redisconf_t conf;
} redis_ctx_t;

static int redis_load(redis_ctx_t *rc, const char *path);

static int redis_include(const char *path, const char *where, void *userdata)
{
        redis_ctx_t *rc = userdata;
        _cleanup_free_ char *full = resolve_relative(rc->in.cur, path);
        _cleanup_(strv_clear) strv_t files = { 0 };
        bool ok;
        int r;

        if (!full)
                return -ENOMEM;
        if ((r = include_allowed(&rc->in, where, &ok)) < 0 || !ok)
                return r;
        if ((r = include_targets(rc->in.w, full, false, &files)) < 0)
                return r;
        if (files.n == 0)
                return report_note(rc->in.w->ctx->report, REPORT_NOTE_WARNING, where,
                                   "included file not found; Redis would refuse to start");
        for (size_t i = 0; i < files.n; i++) {
                const char *saved = rc->in.cur;
                rc->in.depth++;
                r = redis_load(rc, files.v[i]);
                rc->in.depth--;
                rc->in.cur = saved;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int redis_load(redis_ctx_t *rc, const char *path)
{
        _cleanup_free_ char *data = NULL, *shown = NULL;
        size_t len;
        int r;

        rc->in.files++;
        r = wp_read(rc->in.w, path, &data, &len);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        shown = wp_display(rc->in.w, path);
        if (!shown)
                return -ENOMEM;
        rc->in.cur = path;
        r = redisconf_parse(&rc->conf, data, len, shown, rc->in.w->ctx->report, redis_include, rc);
        explicit_bzero(data, len);
        return r;
}

static void describe_weakness(unsigned weak, const char *list, char *out, size_t n)
{
        size_t o = 0;

        out[0] = 0;
        if (weak & DICT_WEAK_SHORT)
                o += (size_t)snprintf(out + o, n - MIN(o, n), "shorter than 8 characters");
        if (weak & DICT_WEAK_CLASSES)
                o += (size_t)snprintf(out + MIN(o, n), n - MIN(o, n),
                                      "%sfewer than 3 character "
                                      "classes",
                                      o ? ", " : "");
        if (weak & DICT_WEAK_LISTED)
                o += (size_t)snprintf(out + MIN(o, n), n - MIN(o, n), "%s%s %s", o ? ", " : "",
                                      strcmp(list, "the user name") == 0 ? "equal to" : "listed in",
                                      list);
}

static int redis_finding(wp_t *w, const char *conf_shown, const redis_user_t *u, bool nopass,
                         const char *why, const char *hint, const char *list)
{
        _cleanup_free_ char *object = str_printf("%s:%s", conf_shown, u->name);
        _cleanup_free_ char *title = NULL, *detail = NULL, *fix = NULL;
        bool def = strcmp(u->name, "default") == 0;
        const char *where = u->where ? u->where : conf_shown;
        finding_t *f;

        if (!object)
                return -ENOMEM;
        if (nopass) {
                title = def ? str_printf("Redis accepts clients without a password (%s)",
                                         conf_shown)
                            : str_printf("Redis user '%s' logs in with any password (%s)", u->name,
                                         conf_shown);
                detail = def ? str_printf("The default user of the Redis server configured in "
                                          "%s is enabled and has no password (no requirepass, "
                                          "or \"nopass\" at %s): every client that can reach "
                                          "the server gets full access, and an attacker with "
                                          "access to Redis can often write files and run "
                                          "code as the redis user.",
                                          conf_shown, where)
                             : str_printf("The Redis user '%s' (%s) is enabled with "
                                          "\"nopass\": any password logs it in.",
                                          u->name, where);
                fix = def ? str_printf("Set a long random password: `requirepass <password>` in "
                                       "%s (or `user default on >PASSWORD ...` in the ACL "
                                       "file), made e.g. with `openssl rand -base64 32`, then "
                                       "restart Redis. Keep `bind 127.0.0.1 -::1` and "
                                       "`protected-mode yes` as well.",
                                       conf_shown)
                          : str_printf("Give the user a password (`ACL SETUSER %s resetpass "
                                       ">PASSWORD`, and the same in %s) or disable it (`ACL "
                                       "SETUSER %s off`).",
                                       u->name, where, u->name);
        } else {
                title = str_printf("Redis password of user '%s' is weak (%s)", u->name, conf_shown);
                detail = str_printf("The password of the Redis user '%s' set at %s is weak: "
                                    "%s (hint: %s). Redis answers thousands of AUTH attempts a "
                                    "second, so a weak password is found quickly.",
                                    u->name, where, why, hint);
                fix = str_printf("Replace it with a long random password (e.g. `openssl rand "
                                 "-base64 32`) at %s and restart Redis (or change it live "
                                 "with `ACL SETUSER %s resetpass >NEWPASSWORD`).",
                                 where, u->name);
        }
        if (!title || !detail || !fix)
                return -ENOMEM;
        f = wp_finding(nopass ? "redis.no-password" : "redis.weak-password", object, FINDING_HIGH,
                       title, detail, fix);
        if (!f || finding_add_evidence_str(f, "path", conf_shown) < 0 ||
            finding_add_evidence_str(f, "user", u->name) < 0 ||
            finding_add_evidence_str(f, "where", where) < 0 ||
            (why && finding_add_evidence_str(f, "weakness", why) < 0) ||
            (list && finding_add_evidence_str(f, "matched_list", list) < 0) ||
            finding_add_evidence_str(f, "hint", nopass ? "no password" : hint) < 0) {
                finding_free(f);
                return -ENOMEM;
        }
        return wp_report(w, f);
}

/* A hashed ACL password: which user, and the digest. */
typedef struct redis_hash {
        size_t user;
        uint8_t digest[HASH_SHA256_LEN];
        bool found;
        dict_kind_t kind;
        unsigned source;
        char hint[DICT_HINT_MAX];
} redis_hash_t;

static int hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                out[i] = (uint8_t)v;
        }
        return 0;
}

static void match_hashes(redis_hash_t *hs, size_t nh, const char *cand, size_t len,
                         dict_kind_t kind, unsigned source)
{
        uint8_t d[HASH_SHA256_LEN];

        hash_sha256(cand, len, d);
        for (size_t i = 0; i < nh; i++)
                if (!hs[i].found && memcmp(d, hs[i].digest, sizeof(d)) == 0) {
                        hs[i].found = true;
                        hs[i].kind = kind;
                        hs[i].source = source;
                        dict_mask_hint(cand, len, hs[i].hint, sizeof(hs[i].hint));
                }
        explicit_bzero(d, sizeof(d));
}

/* Check the hashed passwords (ACL "#<sha256>") against the same
 * candidates as shadow hashes, within the per-hash budget. */
static int redis_check_hashes(wp_t *w, const redisconf_t *c, const char *conf_shown)
{
        _cleanup_free_ redis_hash_t *hs = NULL;
        const dict_t *d;
        size_t nh = 0, total = 0, left, n_words;
        int64_t deadline;
        int r;

        for (size_t i = 0; i < c->n_users; i++)
                if (c->users[i].on && !c->users[i].nopass)
                        total += c->users[i].hashes.n;
        if (total == 0)
                return 0;
        d = wp_dict(w);
        if (!d)
                return 0;
        hs = calloc(total, sizeof(*hs));
        if (!hs)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_users; i++) {
                const redis_user_t *u = &c->users[i];
                if (!u->on || u->nopass)
                        continue;
                for (size_t k = 0; k < u->hashes.n; k++)
                        if (hex_to_bytes(u->hashes.v[k], hs[nh].digest, HASH_SHA256_LEN) == 0)
                                hs[nh++].user = i;
        }
        left = nh;
        deadline = w->cfg.budget_hash_us ? timeutil_mono_us() + w->cfg.budget_hash_us : 0;
        match_hashes(hs, nh, "", 0, DICT_KIND_EMPTY, 0);
        for (size_t i = 0; i < nh; i++) {
                _cleanup_(strv_clear) strv_t v = { 0 };
                if ((r = crack_name_variants(c->users[hs[i].user].name, &v)) < 0)
                        return r;
                for (size_t k = 0; k < v.n; k++)
                        match_hashes(hs, nh, v.v[k], strlen(v.v[k]), DICT_KIND_NAME_VARIANT, 0);
        }
        n_words = dict_size(d);
        for (size_t k = 0; k < n_words; k++) {
                size_t len;
                unsigned source;
                const char *word = dict_word(d, k, &len, &source);
                match_hashes(hs, nh, word, len, dict_source_kind(d, source), source);
                if ((k & 1023) == 0) {
                        left = 0;
                        for (size_t i = 0; i < nh; i++)
                                left += !hs[i].found;
                        if (left == 0)
                                break;
                        if (deadline && timeutil_mono_us() > deadline) {
                                (void)report_note(w->ctx->report, REPORT_NOTE_INFO, WP_SCANNER,
                                                  "%s: time budget used up after checking "
                                                  "%zu of %zu candidates against hashed Redis "
                                                  "passwords",
                                                  conf_shown, k, n_words);
                                break;
                        }
                }
        }
        for (size_t i = 0; i < nh; i++) {
                const redis_user_t *u = &c->users[hs[i].user];
                const char *list;
                char why[256];
                if (!hs[i].found)
                        continue;
                list = hs[i].kind == DICT_KIND_EMPTY          ? "empty"
                       : hs[i].kind == DICT_KIND_NAME_VARIANT ? "user name variant"
                                                              : dict_source_label(d, hs[i].source);
                snprintf(why, sizeof(why), "its SHA-256 matches a password from %s", list);
                if ((r = redis_finding(w, conf_shown, u, false, why, hs[i].hint, list)) < 0)
                        return r;
        }
        explicit_bzero(hs, total * sizeof(*hs));
        return 0;
}

static int redis_evaluate(wp_t *w, const redisconf_t *c, const char *conf_shown)
{
        const dict_t *d = NULL;
        int r;

        for (size_t i = 0; i < c->n_users; i++) {
                const redis_user_t *u = &c->users[i];
                if (!u->on)
                        continue;
                if (u->nopass) {
                        if ((r = redis_finding(w, conf_shown, u, true, NULL, NULL, NULL)) < 0)
                                return r;
                        continue;
                }
                for (size_t k = 0; k < u->passwords.n; k++) {
                        const char *pw = u->passwords.v[k];
                        size_t len = strlen(pw);
                        unsigned weak, source = 0;
                        const char *list = NULL;
                        char why[256], hint[DICT_HINT_MAX];

                        if (!d)
                                d = wp_dict(w);
                        weak = dict_password_weakness(d, pw, len, &source);
                        if (weak & DICT_WEAK_LISTED)
                                list = dict_source_label(d, source);
                        if (strcasecmp(pw, u->name) == 0) {
                                weak |= DICT_WEAK_LISTED;
                                list = "the user name";
                        }
                        if (!weak)
                                continue;
                        describe_weakness(weak, list, why, sizeof(why));
                        dict_mask_hint(pw, len, hint, sizeof(hint));
                        r = redis_finding(w, conf_shown, u, false, why, hint, list);
                        if (r < 0)
                                return r;
                        /* One finding per user is enough. */
                        break;
                }
        }
        return redis_check_hashes(w, c, conf_shown);
}

static int redis_check_one(wp_t *w, const char *path)
{
        _cleanup_free_ char *shown = wp_display(w, path);
        redis_ctx_t rc = { .in = { .w = w, .cur = path } };
        int r;

        if (!shown)
                return -ENOMEM;
        if ((r = redisconf_init(&rc.conf)) < 0)
                return r;
        if ((r = redis_load(&rc, path)) < 0)
                goto out;
        if (rc.conf.aclfile) {
                _cleanup_free_ char *acl = resolve_relative(path, rc.conf.aclfile);
                _cleanup_free_ char *data = NULL, *acl_shown = NULL;
                size_t len;
                if (!acl || !(acl_shown = wp_display(w, acl))) {
                        r = -ENOMEM;
                        goto out;
                }
                if (rc.conf.conf_user_lines > 0)
                        (void)report_note(w->ctx->report, REPORT_NOTE_WARNING, shown,
                                          "has both \"user\" lines and an aclfile, which Redis "
                                          "refuses; the aclfile's users are checked");
                r = wp_read(w, acl, &data, &len);
                if (r == -ENOMEM)
                        goto out;
                if (r < 0) {
                        r = report_note(w->ctx->report, REPORT_NOTE_WARNING, rc.conf.aclfile_where,
                                        "ACL file %s cannot be read; Redis users not checked",
                                        acl_shown);
                        goto out;
                }
                r = redisconf_parse_aclfile(&rc.conf, data, len, acl_shown, w->ctx->report);
                explicit_bzero(data, len);
                if (r < 0)
                        goto out;
        }
        if ((r = redisconf_finish(&rc.conf)) < 0)
                goto out;
        (void)report_count(w->ctx->report, WP_SCANNER, "redis_configs", 1);
        r = redis_evaluate(w, &rc.conf, shown);
out:
        redisconf_clear(&rc.conf);
        return r;
}

int services_check_redis(wp_t *w)
{
        _cleanup_(strv_clear) strv_t files = { 0 };
        int r;

        for (size_t i = 0; i < w->cfg.redis_configs.n; i++)
                if ((r = wp_expand(w, w->cfg.redis_configs.v[i], &files)) < 0)
                        return r;
        for (size_t i = 0; i < files.n; i++)
                if ((r = redis_check_one(w, files.v[i])) < 0)
                        return r;
        return 0;
}

/* ------------------------------------------------------------------ */
/* MySQL / MariaDB */

typedef struct mysql_ep {
        mysqlauth_endpoint_t ep;
        bool reached; /* a MySQL conversation took place */
        char label[300];
        char host[64];
} mysql_ep_t;

static int parse_tcp(const char *s, mysql_ep_t *ret)
{
        const char *colon;
        unsigned long long port;
        size_t hn;
        const char *h = s;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                h = s + 1;
                hn = (size_t)(close - h);
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon)
                        return -EINVAL;
                hn = (size_t)(colon - s);
        }
        if (hn == 0 || hn >= sizeof(ret->host) || str_to_u64(colon + 1, &port) < 0 || port == 0 ||
            port > 65535)
                return -EINVAL;
        memcpy(ret->host, h, hn);
        ret->host[hn] = 0;
        ret->ep = (mysqlauth_endpoint_t){ .host = ret->host, .port = (uint16_t)port };
        snprintf(ret->label, sizeof(ret->label), "tcp:%s", s);
        return 0;
}

static void random_hex(char *out, size_t nbytes)
{
        uint8_t b[32];

        nbytes = MIN(nbytes, sizeof(b));
        if (getrandom(b, nbytes, 0) != (ssize_t)nbytes) {
                /* Only used for probes that must not match a real
                 * password; the clock is random enough for that. */
                uint64_t t = (uint64_t)timeutil_now_us();
                for (size_t i = 0; i < nbytes; i++)
                        b[i] = (uint8_t)(t >> ((i % 8) * 8)) ^ (uint8_t)(i * 131);
        }
        hash_hex(b, nbytes, out);
}

typedef enum ep_state {
        EP_CONTINUE,
        EP_STOP,
} ep_state_t;

static int mysql_note_error(wp_t *w, const mysql_ep_t *e, int err)
{
        /* Nothing listening is the normal case for the default endpoints. */
        if (err == -ENOENT || err == -ECONNREFUSED || err == -ENOTDIR)
                return 0;
        return report_note(
                w->ctx->report, REPORT_NOTE_WARNING, e->label, "MySQL login check not possible: %s",
                err == -EPROTO ? "the peer does not speak the MySQL protocol" : strerror(-err));
}

static int mysql_finding(wp_t *w, const mysql_ep_t *e, const char *account, bool anonymous,
                         const char *password, const mysqlauth_result_t *res)
{
        _cleanup_free_ char *object = NULL, *title = NULL, *detail = NULL, *fix = NULL;
        const char *matched, *check;
        char hint[DICT_HINT_MAX];
        finding_t *f;

        dict_mask_hint(password, strlen(password), hint, sizeof(hint));
        if (anonymous) {
                check = "mysql.anonymous-login";
                matched = "empty";
                object = str_printf("%s anonymous", e->label);
                title = str_printf("MySQL accepts anonymous logins (%s)", e->label);
                detail = str_printf("The server at %s (%s) logged in a made-up user name with "
                                    "an empty password: an anonymous account (user '') "
                                    "exists, so anyone who can connect gets in.",
                                    e->label, res->server_version);
                fix = str_printf("Remove the anonymous accounts: `DROP USER ''@'localhost'; "
                                 "DROP USER ''@'%%';` (or run `mariadb-secure-installation` / "
                                 "`mysql_secure_installation`).");
        } else {
                bool empty = !password[0];
                check = empty ? "mysql.empty-password" : "mysql.default-password";
                matched = empty                            ? "empty"
                          : strcmp(password, account) == 0 ? "account name"
                                                           : "default passwords";
                object = str_printf("%s %s", e->label, account);
                title = empty ? str_printf("MySQL account '%s' accepts an empty password (%s)",
                                           account, e->label)
                              : str_printf("MySQL account '%s' accepts a default password (%s)",
                                           account, e->label);
                detail = str_printf("The server at %s (%s) logged in '%s' with %s (hint: %s). "
                                    "Anyone who can connect to it can do the same.",
                                    e->label, res->server_version, account,
                                    empty ? "an empty password" : "a well-known default password",
                                    hint);
                fix = str_printf("Set a strong password: `ALTER USER '%s'@'localhost' "
                                 "IDENTIFIED BY '<long random password>';` (for root, "
                                 "unix_socket authentication is a good alternative: `ALTER "
                                 "USER 'root'@'localhost' IDENTIFIED VIA unix_socket;`), and "
                                 "run `mariadb-secure-installation` / "
                                 "`mysql_secure_installation`.",
                                 account);
        }
        if (!object || !title || !detail || !fix)
                return -ENOMEM;
        f = wp_finding(check, object, FINDING_HIGH, title, detail, fix);
        if (!f || finding_add_evidence_str(f, "endpoint", e->label) < 0 ||
            finding_add_evidence_str(f, "account", anonymous ? "" : account) < 0 ||
            finding_add_evidence_str(f, "server_version", res->server_version) < 0 ||
            (res->current_user[0] &&
             finding_add_evidence_str(f, "authenticated_as", res->current_user) < 0) ||
            finding_add_evidence_str(f, "matched_list", matched) < 0 ||
            finding_add_evidence_str(f, "hint", hint) < 0) {
                finding_free(f);
                return -ENOMEM;
        }
        return wp_report(w, f);
}

/* Try the passwords of one account until one is accepted. *RET_STATE says
 * whether to go on with this endpoint. */
static int mysql_check_account(wp_t *w, mysql_ep_t *e, const char *account, bool anonymous,
                               bool anon_open, ep_state_t *ret_state, bool *ret_accepted)
{
        const char *passwords[4] = { "", account, "password", "123456" };
        size_t n_pw = anonymous ? 1 : 4;
        int timeout = w->cfg.mysql_timeout_ms;
        report_t *rep = w->ctx->report;
        int r;

        *ret_state = EP_CONTINUE;
        *ret_accepted = false;
        for (size_t i = 0; i < n_pw; i++) {
                mysqlauth_result_t res, ctl;
                char control[33];
                bool dup = false;

                for (size_t k = 0; k < i; k++)
                        dup = dup || strcmp(passwords[k], passwords[i]) == 0;
                if (dup)
                        continue;
                r = mysqlauth_try(&e->ep, account, passwords[i], timeout, &res);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        *ret_state = EP_STOP;
                        return mysql_note_error(w, e, r);
                }
                e->reached = true;
                (void)report_count(rep, WP_SCANNER, "mysql_attempts", 1);
                switch (res.outcome) {
                case MYSQLAUTH_DENIED:
                        continue;
                case MYSQLAUTH_REFUSED:
                        *ret_state = EP_STOP;
                        return report_note(rep, REPORT_NOTE_WARNING, e->label,
                                           "MySQL server refused the connection (error %u: %s); "
                                           "logins not checked",
                                           res.error_code, res.message);
                case MYSQLAUTH_UNSUPPORTED:
                        return report_note(rep, REPORT_NOTE_INFO, WP_SCANNER,
                                           "%s: MySQL account '%s' uses the %s authentication "
                                           "method, which vigil does not try",
                                           e->label, anonymous ? "(anonymous)" : account,
                                           res.plugin);
                case MYSQLAUTH_ACCEPTED:
                        break;
                }
                /* With an anonymous account open, an unknown user name gets
                 * in with an empty password too; that is the anonymous
                 * finding, not one about this name. CURRENT_USER() tells
                 * which account the server matched ("@host" for the
                 * anonymous one). */
                if (anon_open && !passwords[i][0] &&
                    (!res.current_user[0] || res.current_user[0] == '@'))
                        continue;
                /* Accepted. A random password tells a real password check from
                 * authentication that ignores passwords: unix_socket when we
                 * run as the account's namesake, or --skip-grant-tables. */
                random_hex(control, 16);
                (void)report_count(rep, WP_SCANNER, "mysql_attempts", 1);
                r = mysqlauth_try(&e->ep, account, control, timeout, &ctl);
                explicit_bzero(control, sizeof(control));
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        *ret_state = EP_STOP;
                        return mysql_note_error(w, e, r);
                }
                if (ctl.outcome == MYSQLAUTH_ACCEPTED && anonymous) {
                        *ret_state = EP_STOP;
                        return report_note(rep, REPORT_NOTE_WARNING, e->label,
                                           "the MySQL server lets in any user name with any "
                                           "password (--skip-grant-tables?); passwords were "
                                           "not judged");
                }
                if (ctl.outcome == MYSQLAUTH_ACCEPTED)
                        return report_note(rep, REPORT_NOTE_INFO, WP_SCANNER,
                                           "%s: MySQL account '%s' logs in whatever the "
                                           "password (unix_socket authentication for the "
                                           "user vigil runs as, or --skip-grant-tables); "
                                           "its password was not judged",
                                           e->label, anonymous ? "(anonymous)" : account);
                *ret_accepted = true;
                return mysql_finding(w, e, account, anonymous, passwords[i], &res);
        }
        return 0;
}

static int mysql_check_endpoint(wp_t *w, mysql_ep_t *e)
{
        char probe[64];
        ep_state_t st;
        bool anon_open;
        int r;

        /* First an account name nobody has: only an anonymous account lets
         * it in. */
        memcpy(probe, "vigil-probe-", 12);
        random_hex(probe + 12, 4);
        r = mysql_check_account(w, e, probe, true, false, &st, &anon_open);
        for (size_t i = 0; r == 0 && st != EP_STOP && i < w->cfg.mysql_accounts.n; i++) {
                bool accepted;
                r = mysql_check_account(w, e, w->cfg.mysql_accounts.v[i], false, anon_open, &st,
                                        &accepted);
        }
        if (e->reached)
                (void)report_count(w->ctx->report, WP_SCANNER, "mysql_endpoints", 1);
        return r;
}

int services_check_mysql(wp_t *w)
{
        dev_t seen_dev[16];
        ino_t seen_ino[16];
        size_t n_seen = 0;
        int r;

        for (size_t i = 0; i < w->cfg.mysql_sockets.n; i++) {
                const char *path = w->cfg.mysql_sockets.v[i];
                mysql_ep_t e = { 0 };
                struct stat st;
                bool dup = false;

                /* The socket is on the running host; /run and /var/run are
                 * usually the same directory, so sockets are told apart by
                 * inode. */
                if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                        continue;
                for (size_t k = 0; k < n_seen; k++)
                        dup = dup || (seen_dev[k] == st.st_dev && seen_ino[k] == st.st_ino);
                if (dup)
                        continue;
                if (n_seen < ELEMENTSOF(seen_dev)) {
                        seen_dev[n_seen] = st.st_dev;
                        seen_ino[n_seen++] = st.st_ino;
                }
                e.ep.unix_path = path;
                snprintf(e.label, sizeof(e.label), "unix:%s", path);
                if ((r = mysql_check_endpoint(w, &e)) < 0)
                        return r;
        }
        for (size_t i = 0; i < w->cfg.mysql_tcp.n; i++) {
                mysql_ep_t e = { 0 };
                if (parse_tcp(w->cfg.mysql_tcp.v[i], &e) < 0) {
                        if ((r = report_note(w->ctx->report, REPORT_NOTE_ERROR, WP_SCANNER,
                                             "weak_password.mysql.tcp: '%s' is not "
                                             "ADDRESS:PORT",
                                             w->cfg.mysql_tcp.v[i])) < 0)
                                return r;
                        continue;
                }
                if ((r = mysql_check_endpoint(w, &e)) < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* PostgreSQL */

typedef struct pg_ctx {
        incl_t in;
        const char *top_shown;
} pg_ctx_t;

static int pg_load(pg_ctx_t *pc, const char *path, bool must_exist, const char *where);

static int pg_rule(const pghba_rule_t *rule, const char *where, void *userdata)
{
        pg_ctx_t *pc = userdata;
        wp_t *w = pc->in.w;
        _cleanup_free_ char *object = NULL, *title = NULL, *detail = NULL, *fix = NULL,
                            *record = NULL;
        finding_level_t level;
        const char *scope_text;
        finding_t *f;

        (void)report_count(w->ctx->report, WP_SCANNER, "pg_hba_rules", 1);
        if (strcmp(rule->method, "trust") != 0)
                return 0;
        switch (rule->scope) {
        case PGHBA_SCOPE_REMOTE:
                level = FINDING_HIGH;
                scope_text = "clients on other machines";
                break;
        case PGHBA_SCOPE_LOOPBACK:
                level = FINDING_MEDIUM;
                scope_text = "every local user and process (over loopback TCP)";
                break;
        default:
                level = FINDING_MEDIUM;
                scope_text = "every local user and process (over the Unix socket)";
                break;
        }
        record = rule->address ? str_printf("%s %s %s %s %s", rule->type, rule->database,
                                            rule->user, rule->address, rule->method)
                               : str_printf("%s %s %s %s", rule->type, rule->database, rule->user,
                                            rule->method);
        if (!record)
                return -ENOMEM;
        object = str_printf("%s %s", pc->top_shown, record);
        title = str_printf("PostgreSQL trusts %s without a password (%s)",
                           rule->scope == PGHBA_SCOPE_REMOTE ? "remote clients" : "local clients",
                           where);
        detail = str_printf("The pg_hba.conf rule \"%s\" at %s uses the trust method: %s can "
                            "connect as any role it names (database '%s', user '%s'), "
                            "including a superuser such as postgres, without a password.",
                            record, where, scope_text, rule->database, rule->user);
        fix = str_printf("Change the method of the rule at %s to `scram-sha-256` (give the "
                         "roles passwords with `ALTER ROLE name PASSWORD '...'`), or `peer` "
                         "for local socket connections%s; then reload PostgreSQL (`SELECT "
                         "pg_reload_conf();`).",
                         where,
                         rule->scope == PGHBA_SCOPE_REMOTE
                                 ? ", and limit the address to the clients that need it"
                                 : "");
        if (!object || !title || !detail || !fix)
                return -ENOMEM;
        f = wp_finding("postgresql.trust", object, level, title, detail, fix);
        if (!f || finding_add_evidence_str(f, "where", where) < 0 ||
            finding_add_evidence_str(f, "rule", record) < 0 ||
            finding_add_evidence_str(f, "scope",
                                     rule->scope == PGHBA_SCOPE_REMOTE     ? "remote"
                                     : rule->scope == PGHBA_SCOPE_LOOPBACK ? "loopback"
                                                                           : "local socket") < 0) {
                finding_free(f);
                return -ENOMEM;
        }
        return wp_report(w, f);
}

static int pg_include(pghba_include_kind_t kind, const char *path, const char *where,
                      void *userdata)
{
        pg_ctx_t *pc = userdata;
        _cleanup_free_ char *full = resolve_relative(pc->in.cur, path);
        _cleanup_(strv_clear) strv_t files = { 0 };
        bool ok;
        int r;

        if (!full)
                return -ENOMEM;
        if ((r = include_allowed(&pc->in, where, &ok)) < 0 || !ok)
                return r;
        if (kind == PGHBA_INCLUDE_DIR) {
                _cleanup_free_ char *pat = str_printf("%s/*.conf", full);
                if (!pat || (r = wp_expand(pc->in.w, pat, &files)) < 0)
                        return pat ? r : -ENOMEM;
        } else if ((r = strv_push(&files, full)) < 0)
                return r;
        for (size_t i = 0; i < files.n; i++) {
                const char *saved = pc->in.cur;
                pc->in.depth++;
                r = pg_load(pc, files.v[i], kind == PGHBA_INCLUDE, where);
                pc->in.depth--;
                pc->in.cur = saved;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int pg_load(pg_ctx_t *pc, const char *path, bool must_exist, const char *where)
{
        _cleanup_free_ char *data = NULL, *shown = NULL;
        size_t len;
        int r;

        pc->in.files++;
        r = wp_read(pc->in.w, path, &data, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (r == -ENOENT && must_exist && where)
                        return report_note(pc->in.w->ctx->report, REPORT_NOTE_WARNING, where,
                                           "included file not found; PostgreSQL would not "
                                           "load this configuration");
                return 0;
        }
        shown = wp_display(pc->in.w, path);
        if (!shown)
                return -ENOMEM;
        pc->in.cur = path;
        return pghba_parse(data, len, shown, pc->in.w->ctx->report, pg_rule, pg_include, pc);
}

int services_check_postgresql(wp_t *w)
{
        _cleanup_(strv_clear) strv_t files = { 0 };
        int r;

        for (size_t i = 0; i < w->cfg.pg_hba_files.n; i++)
                if ((r = wp_expand(w, w->cfg.pg_hba_files.v[i], &files)) < 0)
                        return r;
        for (size_t i = 0; i < files.n; i++) {
                _cleanup_free_ char *shown = wp_display(w, files.v[i]);
                pg_ctx_t pc = { .in = { .w = w, .cur = files.v[i] }, .top_shown = shown };
                if (!shown)
                        return -ENOMEM;
                (void)report_count(w->ctx->report, WP_SCANNER, "pg_hba_files", 1);
                if ((r = pg_load(&pc, files.v[i], false, NULL)) < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* FTP */

static int ftp_finding(wp_t *w, const char *server, const char *object, const char *where,
                       bool writable, const char *fix)
{
        _cleanup_free_ char *title = NULL, *detail = NULL;
        finding_t *f;

        title = str_printf("%s allows anonymous FTP logins%s (%s)", server,
                           writable ? " with upload" : "", where);
        detail = str_printf("%s at %s lets anyone log in as \"anonymous\" or \"ftp\" without a "
                            "password%s.",
                            server, where,
                            writable ? " and write files, which makes the server a drop box "
                                       "for malware and stolen data"
                                     : "; everything under the anonymous root is public");
        if (!title || !detail)
                return -ENOMEM;
        f = wp_finding("ftp.anonymous-login", object, writable ? FINDING_HIGH : FINDING_MEDIUM,
                       title, detail, fix);
        if (!f || finding_add_evidence_str(f, "server", server) < 0 ||
            finding_add_evidence_str(f, "where", where) < 0 ||
            finding_add_evidence_str(f, "anonymous_write", writable ? "yes" : "no") < 0) {
                finding_free(f);
                return -ENOMEM;
        }
        return wp_report(w, f);
}

static int check_vsftpd(wp_t *w, const char *path)
{
        _cleanup_free_ char *data = NULL, *shown = NULL, *where = NULL, *fix = NULL;
        vsftpd_conf_t c;
        size_t len;
        bool writable;
        int r;

        r = wp_read(w, path, &data, &len);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        shown = wp_display(w, path);
        if (!shown)
                return -ENOMEM;
        (void)report_count(w->ctx->report, WP_SCANNER, "ftp_configs", 1);
        if ((r = ftpconf_parse_vsftpd(data, len, shown, w->ctx->report, &c)) < 0)
                return r;
        if (!c.anonymous_enable)
                return 0;
        writable = c.write_enable &&
                   (c.anon_upload_enable || c.anon_mkdir_write_enable || c.anon_other_write_enable);
        where = str_printf("%s:%zu", shown, c.anonymous_line);
        fix = str_printf("Set `anonymous_enable=NO` in %s and restart vsftpd (`systemctl "
                         "restart vsftpd`); if anonymous downloads are really wanted, keep "
                         "`anon_upload_enable=NO` and `anon_mkdir_write_enable=NO`.",
                         shown);
        if (!where || !fix)
                return -ENOMEM;
        return ftp_finding(w, "vsftpd", shown, where, writable, fix);
}

typedef struct proftpd_ctx {
        incl_t in;
        proftpd_conf_t conf;
} proftpd_ctx_t;

static int proftpd_load(proftpd_ctx_t *pc, const char *path);

static int proftpd_include(const char *path, const char *where, void *userdata)
{
        proftpd_ctx_t *pc = userdata;
        _cleanup_free_ char *full = resolve_relative(pc->in.cur, path);
        _cleanup_(strv_clear) strv_t files = { 0 };
        bool ok;
        int r;

        if (!full)
                return -ENOMEM;
        if ((r = include_allowed(&pc->in, where, &ok)) < 0 || !ok)
                return r;
        if ((r = include_targets(pc->in.w, full, true, &files)) < 0)
                return r;
        for (size_t i = 0; i < files.n; i++) {
                const char *saved = pc->in.cur;
                pc->in.depth++;
                r = proftpd_load(pc, files.v[i]);
                pc->in.depth--;
                pc->in.cur = saved;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int proftpd_load(proftpd_ctx_t *pc, const char *path)
{
        _cleanup_free_ char *data = NULL, *shown = NULL;
        size_t len;
        int r;

        pc->in.files++;
        r = wp_read(pc->in.w, path, &data, &len);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        shown = wp_display(pc->in.w, path);
        if (!shown)
                return -ENOMEM;
        pc->in.cur = path;
        return ftpconf_parse_proftpd(data, len, shown, pc->in.w->ctx->report, proftpd_include, pc,
                                     &pc->conf);
}

static int check_proftpd(wp_t *w, const char *path)
{
        proftpd_ctx_t *pc = calloc(1, sizeof(*pc));
        int r;

        if (!pc)
                return -ENOMEM;
        pc->in = (incl_t){ .w = w, .cur = path };
        r = proftpd_load(pc, path);
        if (r == 0 && pc->in.files > 0)
                (void)report_count(w->ctx->report, WP_SCANNER, "ftp_configs", 1);
        for (size_t i = 0; r == 0 && i < pc->conf.n_anons; i++) {
                const proftpd_anon_t *a = &pc->conf.anons[i];
                _cleanup_free_ char *object = NULL, *fix = NULL;
                if (a->login_denied || a->require_password)
                        continue;
                object = str_printf("%s <Anonymous %s>", a->where, a->dir);
                fix = str_printf("Remove or comment out the <Anonymous %s> section at %s (or "
                                 "deny logins in it with `<Limit LOGIN> DenyAll </Limit>`), "
                                 "then reload ProFTPD (`systemctl reload proftpd`).",
                                 a->dir, a->where);
                if (!object || !fix) {
                        r = -ENOMEM;
                        break;
                }
                r = ftp_finding(w, "ProFTPD", object, a->where, a->writable, fix);
        }
        ftpconf_proftpd_clear(&pc->conf);
        free(pc);
        return r;
}

int services_check_ftp(wp_t *w)
{
        _cleanup_(strv_clear) strv_t vs = { 0 }, pro = { 0 };
        int r;

        for (size_t i = 0; i < w->cfg.vsftpd_configs.n; i++)
                if ((r = wp_expand(w, w->cfg.vsftpd_configs.v[i], &vs)) < 0)
                        return r;
        for (size_t i = 0; i < w->cfg.proftpd_configs.n; i++)
                if ((r = wp_expand(w, w->cfg.proftpd_configs.v[i], &pro)) < 0)
                        return r;
        for (size_t i = 0; i < vs.n; i++)
                if ((r = check_vsftpd(w, vs.v[i])) < 0)
                        return r;
        for (size_t i = 0; i < pro.n; i++)
                if ((r = check_proftpd(w, pro.v[i])) < 0)
                        return r;
        return 0;
}
