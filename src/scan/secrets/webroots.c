#include "scan/secrets/webroots.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"

#define WEB_MAX_FILES    128
#define WEB_MAX_DEPTH    8
#define WEB_MAX_ROOTS    256
#define WEB_MAX_FILESIZE (1 * MiB)
#define WEB_MAX_PATH     4096
/* Files listed from one include directory. */
#define WEB_MAX_DIR_ENTRIES 1024

struct wctx {
        const rootfs_t *root;
        report_t *report;
        secrets_webroots_t *w;
        strv_t seen; /* configuration files read, against include loops */
        int err;     /* -ENOMEM once out of memory */
        /* Apache's ServerRoot while reading its configuration. */
        char server_root[WEB_MAX_PATH];
};

void secrets_webroots_clear(secrets_webroots_t *w)
{
        strv_clear(&w->roots);
        strv_clear(&w->resolved);
        strv_clear(&w->sources);
}

/* Collapse repeated '/' and drop a trailing one; "." components are
 * dropped and ".." removes the previous component (lexically, as the web
 * servers do with their configured paths). Returns a new string or NULL. */
static char *normalize_path(const char *p)
{
        _cleanup_buf_ buf_t b = { 0 };
        const char *s = p;

        buf_init(&b, WEB_MAX_PATH);
        while (*s) {
                size_t n;
                while (*s == '/')
                        s++;
                n = strcspn(s, "/");
                if (!n)
                        break;
                if (n == 1 && s[0] == '.') {
                } else if (n == 2 && s[0] == '.' && s[1] == '.') {
                        char *slash = b.len ? strrchr(b.data, '/') : NULL;
                        if (slash) {
                                b.len = (size_t)(slash - b.data);
                                b.data[b.len] = 0;
                        }
                } else if (buf_append(&b, "/", 1) < 0 || buf_append(&b, s, n) < 0)
                        return NULL;
                s += n;
        }
        if (!b.len && buf_append(&b, "/", 1) < 0)
                return NULL;
        return buf_take(&b);
}

/* The path of DIRFD's target inside the root, via /proc/self/fd. */
static char *fd_path_in_root(const rootfs_t *root, int fd)
{
        char link[64], target[WEB_MAX_PATH + 1], rootp[WEB_MAX_PATH + 1];
        ssize_t n, rn;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0 || n >= (ssize_t)sizeof(target) - 1)
                return NULL;
        target[n] = 0;
        if (root->is_host)
                return strdup(target);
        snprintf(link, sizeof(link), "/proc/self/fd/%d", root->fd);
        rn = readlink(link, rootp, sizeof(rootp) - 1);
        if (rn <= 0 || rn >= (ssize_t)sizeof(rootp) - 1)
                return NULL;
        rootp[rn] = 0;
        if (strncmp(target, rootp, (size_t)rn) != 0 || (target[rn] != '/' && target[rn] != 0))
                return NULL;
        return strdup(target[rn] ? target + rn : "/");
}

int secrets_webroots_add(secrets_webroots_t *w, const rootfs_t *root, const char *path,
                         const char *source)
{
        _cleanup_free_ char *norm = normalize_path(path), *resolved = NULL;
        int fd, r;

        if (!norm)
                return -ENOMEM;
        if (strv_contains(&w->roots, norm) || w->roots.n >= WEB_MAX_ROOTS)
                return 0;
        fd = rootfs_openat(root, norm, O_PATH);
        if (fd >= 0) {
                resolved = fd_path_in_root(root, fd);
                close(fd);
        }
        if ((r = strv_push(&w->roots, norm)) < 0 ||
            (r = strv_push(&w->sources, source ? source : "")) < 0)
                return r;
        if (resolved && strcmp(resolved, norm) != 0 && !strv_contains(&w->resolved, resolved))
                return strv_push(&w->resolved, resolved);
        return 0;
}

static bool under(const char *path, const char *root)
{
        size_t n = strlen(root);

        if (n == 1 && root[0] == '/')
                return true;
        return strncmp(path, root, n) == 0 && (path[n] == 0 || path[n] == '/');
}

const char *secrets_webroots_match(const secrets_webroots_t *w, const char *path)
{
        for (size_t i = 0; i < w->roots.n; i++)
                if (under(path, w->roots.v[i]))
                        return w->roots.v[i];
        for (size_t i = 0; i < w->resolved.n; i++)
                if (under(path, w->resolved.v[i]))
                        return w->resolved.v[i];
        return NULL;
}

/* Cut a configured path at its first variable ("/var/www/$host/public"
 * serves something under /var/www). Returns false when nothing is left. */
static bool cut_variables(char *p)
{
        char *d = strchr(p, '$');

        if (!d)
                return true;
        *d = 0;
        d = strrchr(p, '/');
        if (!d)
                return false;
        d[d == p ? 1 : 0] = 0;
        return p[0] == '/';
}

static void add_root(struct wctx *c, const char *base, const char *arg, const char *file,
                     unsigned line)
{
        _cleanup_free_ char *p = NULL, *src = NULL;

        if (c->err)
                return;
        p = arg[0] == '/' ? strdup(arg) : str_printf("%s/%s", base, arg);
        src = str_printf("%s:%u", file, line);
        if (!p || !src) {
                c->err = -ENOMEM;
                return;
        }
        if (!cut_variables(p))
                return;
        if (secrets_webroots_add(c->w, c->root, p, src) == -ENOMEM)
                c->err = -ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef void (*file_fn)(struct wctx *c, const char *path, unsigned depth);

/* Expand an include pattern (wildcards in the last component only) and
 * call FN on each regular file, in name order. A directory (Apache) means
 * every file in it. */
static void expand_include(struct wctx *c, const char *pattern, unsigned depth, file_fn fn,
                           const char *from)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_(strv_clear) strv_t names = { 0 };
        const char *base, *slash = strrchr(pattern, '/');
        struct stat st;
        struct dirent *de;
        DIR *d;
        int fd;

        if (!slash)
                return;
        dir = str_ndup(pattern, (size_t)(slash - pattern));
        base = slash + 1;
        if (!dir) {
                c->err = -ENOMEM;
                return;
        }
        if (strpbrk(dir, "*?[")) {
                if (c->report)
                        report_note(c->report, REPORT_NOTE_INFO, from,
                                    "include with a wildcard in a directory name is not followed");
                return;
        }
        if (!strpbrk(base, "*?[")) {
                if (rootfs_stat(c->root, pattern, true, &st) < 0)
                        return;
                if (S_ISREG(st.st_mode)) {
                        fn(c, pattern, depth);
                        return;
                }
                if (!S_ISDIR(st.st_mode))
                        return;
                free(dir);
                dir = strdup(pattern);
                if (!dir) {
                        c->err = -ENOMEM;
                        return;
                }
                base = "*";
        }
        fd = rootfs_openat(c->root, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((de = readdir(d)) && names.n < WEB_MAX_DIR_ENTRIES) {
                if (de->d_name[0] == '.' || fnmatch(base, de->d_name, FNM_PERIOD) != 0)
                        continue;
                if (strv_push(&names, de->d_name) < 0) {
                        c->err = -ENOMEM;
                        break;
                }
        }
        closedir(d);
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < names.n && !c->err; i++) {
                _cleanup_free_ char *p = str_printf("%s/%s", dir, names.v[i]);
                if (!p) {
                        c->err = -ENOMEM;
                        return;
                }
                if (rootfs_stat(c->root, p, true, &st) == 0 && S_ISREG(st.st_mode))
                        fn(c, p, depth);
        }
}

/* Read a configuration file once; NULL when it was read already, missing,
 * or too big (noted). */
static char *read_conf(struct wctx *c, const char *path, unsigned depth, size_t *ret_len)
{
        char *data = NULL;
        int r;

        if (c->err || depth > WEB_MAX_DEPTH || strv_contains(&c->seen, path))
                return NULL;
        if (c->seen.n >= WEB_MAX_FILES) {
                if (c->report)
                        report_note(c->report, REPORT_NOTE_WARNING, path,
                                    "web server configuration not read: more than %d files",
                                    WEB_MAX_FILES);
                return NULL;
        }
        if (strv_push(&c->seen, path) < 0) {
                c->err = -ENOMEM;
                return NULL;
        }
        r = rootfs_read_file(c->root, path, WEB_MAX_FILESIZE, &data, ret_len);
        if (r == -ENOMEM)
                c->err = r;
        else if (r < 0 && r != -ENOENT && c->report)
                report_note(c->report, REPORT_NOTE_WARNING, path,
                            "web server configuration not read: %s",
                            r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
        return r < 0 ? NULL : data;
}

/* ------------------------------------------------------------------ nginx */

#define NGINX_PREFIX "/usr/share/nginx"
#define NGINX_CONF   "/etc/nginx"

typedef struct ntok {
        char kind; /* 'w' word, ';', '{', '}', 0 at the end */
        char *word;
        unsigned line;
} ntok_t;

/* The next nginx token from *P (advanced); words are unquoted copies. */
static int nginx_next(const char **p, const char *end, unsigned *line, ntok_t *t)
{
        _cleanup_buf_ buf_t b = { 0 };
        const char *s = *p;

        buf_init(&b, WEB_MAX_PATH);
        for (;;) {
                while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
                        if (*s == '\n')
                                (*line)++;
                        s++;
                }
                if (s < end && *s == '#') {
                        while (s < end && *s != '\n')
                                s++;
                        continue;
                }
                break;
        }
        t->line = *line;
        t->word = NULL;
        if (s >= end) {
                t->kind = 0;
                *p = s;
                return 0;
        }
        if (*s == ';' || *s == '{' || *s == '}') {
                t->kind = *s;
                *p = s + 1;
                return 0;
        }
        t->kind = 'w';
        while (s < end) {
                char ch = *s;
                if (ch == '"' || ch == '\'') {
                        char q = ch;
                        s++;
                        while (s < end && *s != q) {
                                if (*s == '\\' && s + 1 < end)
                                        s++;
                                if (*s == '\n')
                                        (*line)++;
                                if (buf_append(&b, s, 1) < 0)
                                        return -E2BIG;
                                s++;
                        }
                        if (s < end)
                                s++;
                        continue;
                }
                if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ';' || ch == '{' ||
                    ch == '}')
                        break;
                if (ch == '\\' && s + 1 < end)
                        s++;
                if (buf_append(&b, s, 1) < 0)
                        return -E2BIG;
                s++;
        }
        *p = s;
        t->word = buf_take(&b);
        return t->word ? 0 : -ENOMEM;
}

static void nginx_file(struct wctx *c, const char *path, unsigned depth)
{
        _cleanup_free_ char *data = NULL;
        _cleanup_(strv_clear) strv_t stmt = { 0 };
        const char *p, *end;
        unsigned line = 1, stmt_line = 1;
        size_t len;

        data = read_conf(c, path, depth, &len);
        if (!data)
                return;
        p = data;
        end = data + len;
        while (!c->err) {
                ntok_t t;
                int r = nginx_next(&p, end, &line, &t);
                if (r < 0) {
                        if (r == -ENOMEM)
                                c->err = r;
                        else if (c->report)
                                report_note(c->report, REPORT_NOTE_WARNING, path,
                                            "line %u: token too long; rest of file skipped", line);
                        return;
                }
                if (t.kind == 'w') {
                        if (!stmt.n)
                                stmt_line = t.line;
                        if (strv_push_take(&stmt, t.word) < 0) {
                                c->err = -ENOMEM;
                                return;
                        }
                        continue;
                }
                if (t.kind == ';' && stmt.n == 2) {
                        if (strcmp(stmt.v[0], "root") == 0 || strcmp(stmt.v[0], "alias") == 0)
                                add_root(c, NGINX_PREFIX, stmt.v[1], path, stmt_line);
                        else if (strcmp(stmt.v[0], "include") == 0) {
                                _cleanup_free_ char *pat =
                                        stmt.v[1][0] == '/'
                                                ? strdup(stmt.v[1])
                                                : str_printf("%s/%s", NGINX_CONF, stmt.v[1]);
                                _cleanup_free_ char *src = str_printf("%s:%u", path, stmt_line);
                                if (!pat || !src) {
                                        c->err = -ENOMEM;
                                        return;
                                }
                                expand_include(c, pat, depth + 1, nginx_file, src);
                        }
                }
                strv_clear(&stmt);
                if (t.kind == 0)
                        return;
        }
}

/* ----------------------------------------------------------------- Apache */

/* ServerRoot from the main file's place: /etc/apache2/apache2.conf gives
 * /etc/apache2, /etc/httpd/conf/httpd.conf gives /etc/httpd. */
static void apache_defaults(struct wctx *c, const char *main_conf)
{
        const char *slash = strrchr(main_conf, '/');
        size_t n = slash ? (size_t)(slash - main_conf) : 0;

        if (n >= 5 && strncmp(main_conf + n - 5, "/conf", 5) == 0)
                n -= 5;
        snprintf(c->server_root, sizeof(c->server_root), "%.*s", (int)n, main_conf);
}

/* Split an Apache line into words, honouring double quotes. */
static int apache_words(const char *s, strv_t *ret)
{
        _cleanup_buf_ buf_t b = { 0 };
        int r;

        buf_init(&b, WEB_MAX_PATH);
        while (*s) {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s)
                        break;
                buf_reset(&b);
                if (*s == '"') {
                        s++;
                        while (*s && *s != '"') {
                                if (*s == '\\' && s[1])
                                        s++;
                                if ((r = buf_append(&b, s++, 1)) < 0)
                                        return r;
                        }
                        if (*s)
                                s++;
                } else
                        while (*s && *s != ' ' && *s != '\t')
                                if ((r = buf_append(&b, s++, 1)) < 0)
                                        return r;
                if ((r = strv_push(ret, b.data ? b.data : "")) < 0)
                        return r;
        }
        return 0;
}

static void apache_file(struct wctx *c, const char *path, unsigned depth);

static void apache_line(struct wctx *c, const char *path, unsigned line_no, const char *line,
                        unsigned depth)
{
        _cleanup_(strv_clear) strv_t w = { 0 };
        int r;

        if ((r = apache_words(line, &w)) < 0) {
                if (r == -ENOMEM)
                        c->err = r;
                return;
        }
        if (w.n < 2)
                return;
        if (strcasecmp(w.v[0], "ServerRoot") == 0 && w.v[1][0] == '/')
                snprintf(c->server_root, sizeof(c->server_root), "%s", w.v[1]);
        else if (strcasecmp(w.v[0], "DocumentRoot") == 0)
                add_root(c, c->server_root, w.v[1], path, line_no);
        else if (strcasecmp(w.v[0], "Alias") == 0 && w.n >= 3)
                add_root(c, c->server_root, w.v[2], path, line_no);
        else if (strcasecmp(w.v[0], "Include") == 0 || strcasecmp(w.v[0], "IncludeOptional") == 0) {
                _cleanup_free_ char *pat = w.v[1][0] == '/'
                                                   ? strdup(w.v[1])
                                                   : str_printf("%s/%s", c->server_root, w.v[1]);
                _cleanup_free_ char *src = str_printf("%s:%u", path, line_no);
                if (!pat || !src) {
                        c->err = -ENOMEM;
                        return;
                }
                expand_include(c, pat, depth + 1, apache_file, src);
        }
}

static void apache_file(struct wctx *c, const char *path, unsigned depth)
{
        _cleanup_free_ char *data = NULL;
        _cleanup_buf_ buf_t logical = { 0 };
        unsigned line = 0, start_line = 1;
        size_t len;
        char *p, *end;

        data = read_conf(c, path, depth, &len);
        if (!data)
                return;
        buf_init(&logical, 64 * KiB);
        p = data;
        end = data + len;
        while (p < end && !c->err) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                bool cont;

                line++;
                if (!logical.len)
                        start_line = line;
                while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
                        n--;
                cont = n && p[n - 1] == '\\';
                if (cont)
                        n--;
                if (buf_append(&logical, p, n) < 0 || (cont && buf_append(&logical, " ", 1) < 0)) {
                        buf_reset(&logical);
                        cont = false;
                }
                if (!cont) {
                        char *s = logical.data ? str_strip(logical.data) : NULL;
                        if (s && *s && *s != '#')
                                apache_line(c, path, start_line, s, depth);
                        buf_reset(&logical);
                }
                p = nl ? nl + 1 : end;
        }
}

int secrets_webroots_find(const rootfs_t *root, report_t *report, secrets_webroots_t *w)
{
        static const char *const nginx_main[] = { "/etc/nginx/nginx.conf",
                                                  "/usr/local/nginx/conf/nginx.conf",
                                                  "/usr/local/etc/nginx/nginx.conf" };
        static const char *const apache_main[] = { "/etc/apache2/apache2.conf",
                                                   "/etc/httpd/conf/httpd.conf",
                                                   "/usr/local/apache2/conf/httpd.conf" };
        struct wctx c = { .root = root, .report = report, .w = w };

        for (size_t i = 0; i < ELEMENTSOF(nginx_main) && !c.err; i++)
                nginx_file(&c, nginx_main[i], 0);
        for (size_t i = 0; i < ELEMENTSOF(apache_main) && !c.err; i++) {
                apache_defaults(&c, apache_main[i]);
                apache_file(&c, apache_main[i], 0);
        }
        strv_clear(&c.seen);
        return c.err;
}
