#include "scan/weakpass/wpcommon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rootfs.h"

#define DEFAULT_BUDGET_HASH_S   10
#define DEFAULT_BUDGET_TOTAL_S  300
#define DEFAULT_MYSQL_TIMEOUT_S 2

static const char *const default_system_dicts[] = {
        "/usr/share/john/password.lst",
        "/usr/share/dict",
        NULL,
};
static const char *const default_redis[] = {
        "/etc/redis/redis.conf",
        "/etc/redis.conf",
        "/etc/redis/redis-*.conf",
        NULL,
};
static const char *const default_pg_hba[] = {
        "/etc/postgresql/*/*/pg_hba.conf",
        "/var/lib/pgsql/data/pg_hba.conf",
        "/var/lib/pgsql/*/data/pg_hba.conf",
        "/var/lib/postgresql/data/pg_hba.conf",
        NULL,
};
static const char *const default_vsftpd[] = {
        "/etc/vsftpd.conf",
        "/etc/vsftpd/vsftpd.conf",
        NULL,
};
static const char *const default_proftpd[] = {
        "/etc/proftpd/proftpd.conf",
        "/etc/proftpd.conf",
        NULL,
};
static const char *const default_mysql_sockets[] = {
        "/run/mysqld/mysqld.sock",
        "/var/run/mysqld/mysqld.sock",
        "/var/lib/mysql/mysql.sock",
        "/tmp/mysql.sock",
        NULL,
};
static const char *const default_mysql_tcp[] = {
        "127.0.0.1:3306",
        NULL,
};
static const char *const default_mysql_accounts[] = {
        "root", "admin", "mysql", "test", NULL,
};

static int config_error(wp_t *w, const char *key, const char *what)
{
        return report_note(w->ctx->report, REPORT_NOTE_ERROR, WP_SCANNER,
                           "configuration key %s.%s %s; using the default", WP_SCANNER, key, what);
}

static int get_list(wp_t *w, const char *key, const char *const *defaults, strv_t *ret)
{
        _cleanup_free_ char *path = str_printf("%s.%s", WP_SCANNER, key);
        int r;

        if (!path)
                return -ENOMEM;
        r = config_get_strv(w->ctx->config, path, ret);
        if (r == 0)
                return 0;
        if (r == -ENOMEM)
                return r;
        if (r == -EINVAL && (r = config_error(w, key, "must be a list of strings")) < 0)
                return r;
        strv_clear(ret);
        for (size_t i = 0; defaults && defaults[i]; i++)
                if ((r = strv_push(ret, defaults[i])) < 0)
                        return r;
        return 0;
}

static int get_seconds(wp_t *w, const char *key, long long def, long long max, int64_t *ret)
{
        _cleanup_free_ char *path = str_printf("%s.%s", WP_SCANNER, key);
        json_t *v;
        long long s = def;

        if (!path)
                return -ENOMEM;
        v = config_get(w->ctx->config, path);
        if (v) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                    json_integer_value(v) > max) {
                        int r = config_error(w, key, "must be a whole number of seconds");
                        if (r < 0)
                                return r;
                } else
                        s = json_integer_value(v);
        }
        *ret = (int64_t)s * 1000000;
        return 0;
}

static int get_bool(wp_t *w, const char *key, bool def, bool *ret)
{
        _cleanup_free_ char *path = str_printf("%s.%s", WP_SCANNER, key);
        json_t *v;

        if (!path)
                return -ENOMEM;
        *ret = def;
        v = config_get(w->ctx->config, path);
        if (!v)
                return 0;
        if (!json_is_boolean(v))
                return config_error(w, key, "must be true or false");
        *ret = json_is_true(v);
        return 0;
}

int wp_init(wp_t *w, scan_ctx_t *ctx)
{
        wp_config_t *c = &w->cfg;
        int64_t timeout_us;
        unsigned long long size;
        int r;

        *w = (wp_t){ .ctx = ctx };
        c->dict_max = DICT_DEFAULT_MAX_BYTES;
        if ((r = get_seconds(w, "budget_per_hash", DEFAULT_BUDGET_HASH_S, 86400,
                             &c->budget_hash_us)) < 0 ||
            (r = get_seconds(w, "budget_total", DEFAULT_BUDGET_TOTAL_S, 7 * 86400,
                             &c->budget_total_us)) < 0 ||
            (r = get_seconds(w, "mysql.timeout", DEFAULT_MYSQL_TIMEOUT_S, 60, &timeout_us)) < 0 ||
            (r = get_bool(w, "builtin_list", true, &c->builtin)) < 0 ||
            (r = get_bool(w, "shadow.enabled", true, &c->shadow)) < 0 ||
            (r = get_bool(w, "redis.enabled", true, &c->redis)) < 0 ||
            (r = get_bool(w, "mysql.enabled", true, &c->mysql)) < 0 ||
            (r = get_bool(w, "postgresql.enabled", true, &c->postgresql)) < 0 ||
            (r = get_bool(w, "ftp.enabled", true, &c->ftp)) < 0 ||
            (r = get_list(w, "system_dictionaries", default_system_dicts, &c->system_dicts)) < 0 ||
            (r = get_list(w, "dictionary", NULL, &c->custom_dicts)) < 0 ||
            (r = get_list(w, "redis.configs", default_redis, &c->redis_configs)) < 0 ||
            (r = get_list(w, "postgresql.hba_files", default_pg_hba, &c->pg_hba_files)) < 0 ||
            (r = get_list(w, "ftp.vsftpd_configs", default_vsftpd, &c->vsftpd_configs)) < 0 ||
            (r = get_list(w, "ftp.proftpd_configs", default_proftpd, &c->proftpd_configs)) < 0 ||
            (r = get_list(w, "mysql.sockets", default_mysql_sockets, &c->mysql_sockets)) < 0 ||
            (r = get_list(w, "mysql.tcp", default_mysql_tcp, &c->mysql_tcp)) < 0 ||
            (r = get_list(w, "mysql.accounts", default_mysql_accounts, &c->mysql_accounts)) < 0)
                return r;
        c->mysql_timeout_ms = timeout_us > 0 ? (int)(timeout_us / 1000) : 1;
        r = config_get_size(ctx->config, WP_SCANNER ".dictionary_max_size", &size);
        if (r == 0 && size > 0 && size <= 4 * GiB - 1)
                c->dict_max = (size_t)size;
        else if (r != -ENOENT &&
                 (r = config_error(w, "dictionary_max_size", "must be a size up to 4G")) < 0)
                return r;
        return 0;
}

void wp_done(wp_t *w)
{
        wp_config_t *c = &w->cfg;

        strv_clear(&c->system_dicts);
        strv_clear(&c->custom_dicts);
        strv_clear(&c->redis_configs);
        strv_clear(&c->pg_hba_files);
        strv_clear(&c->vsftpd_configs);
        strv_clear(&c->proftpd_configs);
        strv_clear(&c->mysql_sockets);
        strv_clear(&c->mysql_tcp);
        strv_clear(&c->mysql_accounts);
        dict_free(w->dict);
        w->dict = NULL;
}

/* ------------------------------------------------------------------ */
/* Dictionary */

typedef struct seen_file {
        dev_t dev;
        ino_t ino;
} seen_file_t;

typedef struct dict_build {
        wp_t *w;
        seen_file_t seen[DICT_MAX_SOURCES];
        size_t n_seen;
        bool capped; /* a cap was reached; later lists are not read */
        dict_load_stats_t total;
} dict_build_t;

static int note_load(dict_build_t *b, const char *path, const dict_load_stats_t *st, int r)
{
        report_t *rep = b->w->ctx->report;

        if (st->too_long &&
            report_note(rep, REPORT_NOTE_INFO, WP_SCANNER,
                        "%s: %zu lines longer than %d bytes were not used as candidates", path,
                        st->too_long, DICT_WORD_MAX) < 0)
                return -ENOMEM;
        if (st->binary && report_note(rep, REPORT_NOTE_WARNING, path,
                                      "%zu lines hold NUL bytes and were skipped; is this a "
                                      "text word list?",
                                      st->binary) < 0)
                return -ENOMEM;
        if (r == -E2BIG) {
                b->capped = true;
                return report_note(rep, REPORT_NOTE_WARNING, path,
                                   "dictionary cap reached (%llu bytes read in all, or %u "
                                   "distinct words); the rest of this list and later lists "
                                   "are not used",
                                   (unsigned long long)b->w->cfg.dict_max, DICT_MAX_WORDS);
        }
        if (r < 0 && r != -ENOMEM)
                return report_note(rep, REPORT_NOTE_WARNING, path, "cannot read: %s", strerror(-r));
        return r == -ENOMEM ? r : 0;
}

/* Load one word list from the host (not the scanned root: word lists are
 * part of the scanning tool). */
static int load_host_file(dict_build_t *b, const char *path, dict_kind_t kind, const char *label,
                          bool must_exist)
{
        _cleanup_close_ int fd = -1;
        dict_load_stats_t st = { 0 };
        struct stat sb;
        unsigned id;
        int r;

        if (b->capped)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &sb) < 0) {
                r = -errno;
                if (!must_exist && r == -ENOENT)
                        return 0;
                return note_load(b, path, &st, r);
        }
        if (!S_ISREG(sb.st_mode))
                return must_exist ? note_load(b, path, &st, -EINVAL) : 0;
        for (size_t i = 0; i < b->n_seen; i++)
                if (b->seen[i].dev == sb.st_dev && b->seen[i].ino == sb.st_ino)
                        return 0;
        if ((r = dict_add_source(b->w->dict, kind, label, &id)) < 0)
                return r == -E2BIG ? 0 : r;
        if (b->n_seen < ELEMENTSOF(b->seen))
                b->seen[b->n_seen++] = (seen_file_t){ sb.st_dev, sb.st_ino };
        r = dict_load_fd(b->w->dict, id, fd, &st);
        b->total.added += st.added;
        b->total.bytes += st.bytes;
        return note_load(b, path, &st, r);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_system(dict_build_t *b, const char *path)
{
        _cleanup_(strv_clear) strv_t names = { 0 };
        struct stat sb;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (stat(path, &sb) < 0)
                return 0;
        if (!S_ISDIR(sb.st_mode)) {
                bool john = str_endswith(path, "/password.lst");
                return load_host_file(b, path, john ? DICT_KIND_JOHN : DICT_KIND_SYSTEM,
                                      john ? "john password.lst" : path, false);
        }
        d = opendir(path);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || str_startswith(de->d_name, "README"))
                        continue;
                if ((r = strv_push(&names, de->d_name)) < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < names.n && r == 0; i++) {
                _cleanup_free_ char *full = str_printf("%s/%s", path, names.v[i]);
                if (!full)
                        return -ENOMEM;
                r = load_host_file(b, full, DICT_KIND_SYSTEM, full, false);
        }
        return r;
}

const dict_t *wp_dict(wp_t *w)
{
        dict_build_t *b;
        dict_load_stats_t st = { 0 };
        int r = 0;

        if (w->dict || w->dict_failed)
                return w->dict;
        b = calloc(1, sizeof(*b));
        if (!b || dict_new(w->cfg.dict_max, &w->dict) < 0) {
                free(b);
                w->dict_failed = true;
                (void)report_note(w->ctx->report, REPORT_NOTE_ERROR, WP_SCANNER,
                                  "out of memory building the password dictionary");
                return NULL;
        }
        b->w = w;
        if (w->cfg.builtin)
                r = dict_load_builtin(w->dict, &st);
        for (size_t i = 0; r == 0 && i < w->cfg.system_dicts.n; i++)
                r = load_system(b, w->cfg.system_dicts.v[i]);
        for (size_t i = 0; r == 0 && i < w->cfg.custom_dicts.n; i++)
                r = load_host_file(b, w->cfg.custom_dicts.v[i], DICT_KIND_CUSTOM,
                                   "custom dictionary", true);
        free(b);
        if (r < 0) {
                dict_free(w->dict);
                w->dict = NULL;
                w->dict_failed = true;
                (void)report_note(w->ctx->report, REPORT_NOTE_ERROR, WP_SCANNER,
                                  "cannot build the password dictionary: %s", strerror(-r));
                return NULL;
        }
        (void)report_count(w->ctx->report, WP_SCANNER, "dictionary_words",
                           (long long)dict_size(w->dict));
        return w->dict;
}

/* ------------------------------------------------------------------ */
/* Files in the root */

static bool has_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

static int expand_from(const wp_t *w, const char *prefix, const strv_t *parts, size_t i,
                       strv_t *ret)
{
        _cleanup_(strv_clear) strv_t names = { 0 };
        _cleanup_close_ int fd = -1;
        struct stat st;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (ret->n >= WP_GLOB_MAX)
                return 0;
        if (i == parts->n) {
                if (rootfs_stat(w->ctx->root, prefix[0] ? prefix : "/", true, &st) == 0 &&
                    !strv_contains(ret, prefix))
                        return strv_push(ret, prefix);
                return 0;
        }
        if (!has_glob(parts->v[i])) {
                _cleanup_free_ char *next = str_printf("%s/%s", prefix, parts->v[i]);
                return next ? expand_from(w, next, parts, i + 1, ret) : -ENOMEM;
        }
        fd = rootfs_openat(w->ctx->root, prefix[0] ? prefix : "/", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return 0;
        d = fdopendir(fd);
        if (!d)
                return 0;
        fd = -1;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fnmatch(parts->v[i], de->d_name, FNM_PERIOD) != 0)
                        continue;
                if (names.n >= WP_GLOB_MAX)
                        break;
                if ((r = strv_push(&names, de->d_name)) < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        for (size_t k = 0; k < names.n && r == 0; k++) {
                _cleanup_free_ char *next = str_printf("%s/%s", prefix, names.v[k]);
                r = next ? expand_from(w, next, parts, i + 1, ret) : -ENOMEM;
        }
        return r;
}

int wp_expand(const wp_t *w, const char *pattern, strv_t *ret)
{
        _cleanup_(strv_clear) strv_t parts = { 0 };
        int r;

        if ((r = strv_split(&parts, pattern, "/")) < 0)
                return r;
        for (size_t i = 0; i < parts.n; i++)
                if (strcmp(parts.v[i], "..") == 0)
                        return 0;
        return expand_from(w, "", &parts, 0, ret);
}

char *wp_display(const wp_t *w, const char *path)
{
        return rootfs_display_path(w->ctx->root, path);
}

int wp_read(const wp_t *w, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *shown = NULL;
        int r = rootfs_read_file(w->ctx->root, path, WP_FILE_MAX, ret, ret_len);

        if (r == 0 || r == -ENOENT || r == -ENOTDIR)
                return r;
        if (r == -ENOMEM)
                return r;
        shown = wp_display(w, path);
        if (!shown)
                return -ENOMEM;
        if (report_note(w->ctx->report, REPORT_NOTE_WARNING, shown, "cannot read: %s",
                        r == -EFBIG    ? "bigger than 16 MiB"
                        : r == -EINVAL ? "not a regular file"
                                       : strerror(-r)) < 0)
                return -ENOMEM;
        return r;
}

finding_t *wp_finding(const char *check, const char *object, finding_level_t level,
                      const char *title, const char *detail, const char *remediation)
{
        finding_t *f = finding_new(CAT_WEAK_PASSWORD, check, object, level);

        if (!f)
                return NULL;
        if (finding_set_title(f, "%s", title) < 0 ||
            (detail && finding_set_detail(f, "%s", detail) < 0) ||
            (remediation && finding_set_remediation(f, "%s", remediation) < 0)) {
                finding_free(f);
                return NULL;
        }
        return f;
}

int wp_report(wp_t *w, finding_t *f)
{
        (void)report_count(w->ctx->report, WP_SCANNER, "findings", 1);
        return report_add_finding(w->ctx->report, f);
}
