#include "detect/fim/fimpolicy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "detect/fim/fimtab.h"

const char *const fimpolicy_default_include[] = {
        /* Accounts and access. */
        "/etc/passwd",
        "/etc/shadow",
        "/etc/group",
        "/etc/gshadow",
        "/etc/sudoers",
        "/etc/sudoers.d",
        "/etc/ssh",
        "/etc/pam.conf",
        "/etc/pam.d",
        "/etc/security",
        "~/.ssh/authorized_keys",
        "~/.ssh/authorized_keys2",
        /* Places that start programs. */
        "/etc/crontab",
        "/etc/anacrontab",
        "/etc/cron.*",
        "/var/spool/cron",
        "/etc/systemd/system",
        "/etc/rc.local",
        /* The dynamic linker. */
        "/etc/ld.so.preload",
        "/etc/ld.so.conf*",
        /* Programs and libraries; the ones that are symlinks on a merged
         * /usr system are recorded as symlinks and not walked twice. */
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/usr/bin",
        "/usr/sbin",
        "/usr/lib",
        "/usr/lib32",
        "/usr/lib64",
        "/usr/libexec",
        NULL,
};

const char *const fimpolicy_default_exclude[] = {
        /* Python byte code is written by package scripts and by Python
         * itself whenever a module is imported by root. */
        "*/__pycache__",
        NULL,
};

static bool is_meta(char c)
{
        return c == '*' || c == '?' || c == '[' || c == '\\';
}

static int pattern_problem(const char *pattern)
{
        size_t n = strlen(pattern);
        const char *p;

        if (n == 0 || n > FIMPOLICY_PATTERN_MAX)
                return -EINVAL;
        if (str_startswith(pattern, "~/")) {
                if (!pattern[2])
                        return -EINVAL; /* a whole home directory is too much */
                p = pattern + 1;
        } else if (pattern[0] == '/')
                p = pattern;
        else
                return -EINVAL;
        if (strcmp(p, "/") == 0)
                return 0;
        /* Each component must be a name: no empty parts (except one trailing
         * slash), no "." or "..". */
        while (*p == '/') {
                const char *c = p + 1;
                size_t len = strcspn(c, "/");
                if (len == 0 && c[len] == 0 && c != pattern + 1)
                        break;
                if (len == 0 || (len == 1 && c[0] == '.') ||
                    (len == 2 && c[0] == '.' && c[1] == '.'))
                        return -EINVAL;
                if (memchr(c, '\n', len))
                        return -EINVAL;
                p = c + len;
        }
        return 0;
}

static int add_include(fimpolicy_t *p, const char *pattern)
{
        fimpolicy_pattern_t *pp;
        size_t n = strlen(pattern);
        char *copy;

        /* Drop one trailing slash: "/etc/ssh/" is "/etc/ssh". */
        if (n > 1 && pattern[n - 1] == '/')
                n--;
        for (size_t i = 0; i < p->n_include; i++)
                if (strlen(p->include[i].pattern) == n &&
                    strncmp(p->include[i].pattern, pattern, n) == 0)
                        return 0;
        if (p->n_include == p->cap_include) {
                size_t cap = p->cap_include ? p->cap_include * 2 : 32;
                fimpolicy_pattern_t *v = realloc(p->include, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                p->include = v;
                p->cap_include = cap;
        }
        copy = str_ndup(pattern, n);
        if (!copy)
                return -ENOMEM;
        pp = &p->include[p->n_include++];
        *pp = (fimpolicy_pattern_t){ .pattern = copy };
        while (pp->literal_len < n && !is_meta(copy[pp->literal_len]))
                pp->literal_len++;
        pp->glob = pp->literal_len < n;
        for (size_t i = 0; i < n; i++)
                if (copy[i] == '/')
                        pp->components++;
        return 0;
}

int fimpolicy_add(fimpolicy_t *p, const char *pattern)
{
        if (pattern_problem(pattern) < 0)
                return -EINVAL;
        if (str_startswith(pattern, "~/")) {
                if (strv_contains(&p->home, pattern + 2))
                        return 0;
                return strv_push(&p->home, pattern + 2);
        }
        return add_include(p, pattern);
}

int fimpolicy_add_exclude(fimpolicy_t *p, const char *pattern)
{
        size_t n = strlen(pattern);

        if (n == 0 || n > FIMPOLICY_PATTERN_MAX || strchr(pattern, '\n'))
                return -EINVAL;
        if (strv_contains(&p->exclude, pattern))
                return 0;
        return strv_push(&p->exclude, pattern);
}

int fimpolicy_add_defaults(fimpolicy_t *p)
{
        int r;

        for (size_t i = 0; fimpolicy_default_include[i]; i++)
                if ((r = fimpolicy_add(p, fimpolicy_default_include[i])) < 0)
                        return r;
        for (size_t i = 0; fimpolicy_default_exclude[i]; i++)
                if ((r = fimpolicy_add_exclude(p, fimpolicy_default_exclude[i])) < 0)
                        return r;
        return 0;
}

void fimpolicy_clear(fimpolicy_t *p)
{
        for (size_t i = 0; i < p->n_include; i++)
                free(p->include[i].pattern);
        free(p->include);
        p->include = NULL;
        p->n_include = p->cap_include = 0;
        strv_clear(&p->home);
        strv_clear(&p->exclude);
}

/* Append S to B with every wildcard character escaped. */
static int append_escaped(buf_t *b, const char *s, size_t n)
{
        int r;

        for (size_t i = 0; i < n; i++) {
                if (is_meta(s[i]) && (r = buf_append(b, "\\", 1)) < 0)
                        return r;
                if ((r = buf_append(b, &s[i], 1)) < 0)
                        return r;
        }
        return 0;
}

static bool home_usable(const char *h, size_t n)
{
        if (n < 2 || h[0] != '/' || n > FIMPOLICY_PATTERN_MAX / 2)
                return false;
        if (memchr(h, 0, n))
                return false;
        /* No "." or ".." component: a home must name a real place. */
        for (size_t i = 0; i < n;) {
                size_t j = i + 1, len;
                while (j < n && h[j] != '/')
                        j++;
                len = j - i - 1;
                if ((len == 1 && h[i + 1] == '.') ||
                    (len == 2 && h[i + 1] == '.' && h[i + 2] == '.'))
                        return false;
                i = j;
        }
        return true;
}

int fimpolicy_expand_homes(fimpolicy_t *p, const rootfs_t *root, report_t *report)
{
        _cleanup_free_ char *data = NULL;
        _cleanup_(strv_clear) strv_t homes = { 0 };
        size_t len = 0, line = 0;
        const char *s, *end;
        int r;

        if (p->home.n == 0)
                return 0;
        r = rootfs_read_file(root, "/etc/passwd", FIMPOLICY_MAX_PASSWD, &data, &len);
        if (r < 0) {
                if (r == -ENOMEM)
                        return r;
                if (r != -ENOENT && report)
                        (void)report_note(report, REPORT_NOTE_WARNING, "/etc/passwd",
                                          "cannot read the accounts for authorized_keys: %s",
                                          strerror(-r));
                return 0;
        }
        for (s = data, end = data + len; s < end; s = s + strcspn(s, "\n") + 1) {
                size_t n = strcspn(s, "\n");
                const char *f = s, *home;
                size_t home_len;
                line++;
                if (s + n > end)
                        n = (size_t)(end - s);
                /* name:passwd:uid:gid:gecos:home:shell */
                for (int k = 0; k < 5; k++) {
                        const char *c = memchr(f, ':', (size_t)(s + n - f));
                        if (!c) {
                                f = NULL;
                                break;
                        }
                        f = c + 1;
                }
                if (!f)
                        continue;
                home = f;
                home_len = strcspn(home, ":\n");
                if (home + home_len > s + n)
                        home_len = (size_t)(s + n - home);
                while (home_len > 1 && home[home_len - 1] == '/')
                        home_len--;
                if (!home_usable(home, home_len) || homes.n >= FIMPOLICY_MAX_HOMES)
                        continue;
                {
                        _cleanup_free_ char *h = str_ndup(home, home_len);
                        if (!h)
                                return -ENOMEM;
                        if (strv_contains(&homes, h))
                                continue;
                        if ((r = strv_push(&homes, h)) < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < homes.n; i++)
                for (size_t k = 0; k < p->home.n; k++) {
                        _cleanup_buf_ buf_t b;
                        buf_init(&b, FIMPOLICY_PATTERN_MAX);
                        if (append_escaped(&b, homes.v[i], strlen(homes.v[i])) < 0 ||
                            buf_append(&b, "/", 1) < 0 || buf_append_str(&b, p->home.v[k]) < 0)
                                continue; /* longer than a pattern may be */
                        if ((r = add_include(p, b.data)) < 0)
                                return r;
                }
        return 0;
}

static bool excluded_one(const fimpolicy_t *p, const char *path)
{
        for (size_t i = 0; i < p->exclude.n; i++)
                if (fnmatch(p->exclude.v[i], path, 0) == 0)
                        return true;
        return false;
}

bool fimpolicy_excluded_self(const fimpolicy_t *p, const char *path)
{
        return p->exclude.n && excluded_one(p, path);
}

bool fimpolicy_excluded(const fimpolicy_t *p, const char *path)
{
        char buf[FIMTAB_PATH_MAX + 1];
        size_t n = strlen(path);

        if (!p->exclude.n)
                return false;
        if (n > FIMTAB_PATH_MAX)
                return excluded_one(p, path);
        memcpy(buf, path, n + 1);
        for (size_t i = 1; i <= n; i++) {
                if (i < n && buf[i] != '/')
                        continue;
                buf[i] = 0;
                if (excluded_one(p, buf))
                        return true;
                if (i < n)
                        buf[i] = '/';
        }
        return false;
}

static bool pattern_covers(const fimpolicy_pattern_t *pp, const char *path)
{
        char buf[FIMTAB_PATH_MAX + 1];
        size_t n, k = 0;
        unsigned seen = 0;

        if (strncmp(path, pp->pattern, pp->literal_len) != 0)
                return false;
        if (!pp->glob) {
                /* "/" covers everything; otherwise PATH is the pattern or
                 * lies below it. */
                if (pp->literal_len == 1)
                        return true;
                return path[pp->literal_len] == 0 || path[pp->literal_len] == '/';
        }
        /* A wildcard never matches "/", so only the ancestor of PATH with as
         * many components as the pattern can match. */
        n = strlen(path);
        for (k = 0; k < n; k++)
                if (path[k] == '/' && ++seen > pp->components)
                        break;
        if (seen < pp->components || k > FIMTAB_PATH_MAX)
                return false;
        memcpy(buf, path, k);
        buf[k] = 0;
        return fnmatch(pp->pattern, buf, FNM_PATHNAME) == 0;
}

bool fimpolicy_covers(const fimpolicy_t *p, const char *path)
{
        for (size_t i = 0; i < p->n_include; i++)
                if (pattern_covers(&p->include[i], path))
                        return !fimpolicy_excluded(p, path);
        return false;
}

struct expander {
        const rootfs_t *root;
        const fimpolicy_t *policy;
        fimpolicy_path_fn fn;
        void *userdata;
        size_t matches;
        bool capped;
        buf_t path;
};

/* Remove backslash escapes from N bytes of S into B. */
static int append_unescaped(buf_t *b, const char *s, size_t n)
{
        int r;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 1 < n)
                        i++;
                if ((r = buf_append(b, &s[i], 1)) < 0)
                        return r;
        }
        return 0;
}

static bool has_meta(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (is_meta(s[i]))
                        return true;
        return false;
}

/* Expand REST (the pattern after what X->path already holds). */
static int expand_rest(struct expander *x, const char *rest)
{
        size_t base = x->path.len, n;
        const char *comp;
        int r = 0;

        while (*rest == '/')
                rest++;
        if (!*rest) {
                struct stat st;
                const char *path = x->path.len ? x->path.data : "/";
                if (x->matches >= FIMPOLICY_MAX_MATCHES) {
                        x->capped = true;
                        return 0;
                }
                if (rootfs_stat(x->root, path, false, &st) < 0)
                        return 0;
                if (fimpolicy_excluded(x->policy, path))
                        return 0;
                x->matches++;
                return x->fn(path, x->userdata);
        }
        comp = rest;
        n = strcspn(comp, "/");
        if (!has_meta(comp, n)) {
                if (buf_append(&x->path, "/", 1) < 0 || buf_append(&x->path, comp, n) < 0)
                        r = 0; /* longer than a path may be: nothing matches */
                else
                        r = expand_rest(x, comp + n);
                x->path.len = base;
                if (x->path.data)
                        x->path.data[base] = 0;
                return r;
        }
        {
                _cleanup_free_ char *glob = str_ndup(comp, n);
                int dfd;
                DIR *d;
                struct dirent *de;

                if (!glob)
                        return -ENOMEM;
                dfd = rootfs_openat(x->root, x->path.len ? x->path.data : "/",
                                    O_RDONLY | O_DIRECTORY);
                if (dfd < 0)
                        return 0;
                d = fdopendir(dfd);
                if (!d) {
                        close(dfd);
                        return 0;
                }
                while ((de = readdir(d)) && r == 0 && !x->capped) {
                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                continue;
                        if (fnmatch(glob, de->d_name, 0) != 0)
                                continue;
                        if (buf_append(&x->path, "/", 1) < 0 ||
                            buf_append_str(&x->path, de->d_name) < 0) {
                                x->path.len = base;
                                x->path.data[base] = 0;
                                continue;
                        }
                        r = expand_rest(x, comp + n);
                        x->path.len = base;
                        x->path.data[base] = 0;
                }
                closedir(d);
        }
        return r;
}

int fimpolicy_expand(const fimpolicy_t *p, const rootfs_t *root, report_t *report,
                     fimpolicy_path_fn fn, void *userdata)
{
        int r = 0;

        for (size_t i = 0; i < p->n_include && r == 0; i++) {
                struct expander x = { .root = root, .policy = p, .fn = fn, .userdata = userdata };
                const char *pat = p->include[i].pattern;
                buf_init(&x.path, FIMTAB_PATH_MAX);
                /* The literal start of the pattern is taken as written, the
                 * rest component by component. */
                if (!p->include[i].glob) {
                        if (buf_append_str(&x.path, strcmp(pat, "/") == 0 ? "" : pat) == 0)
                                r = expand_rest(&x, "");
                } else {
                        const char *slash = pat;
                        for (const char *q = pat; q < pat + p->include[i].literal_len; q++)
                                if (*q == '/')
                                        slash = q;
                        if (append_unescaped(&x.path, pat, (size_t)(slash - pat)) == 0)
                                r = expand_rest(&x, slash);
                }
                if (x.capped && report)
                        (void)report_note(report, REPORT_NOTE_WARNING, "fim",
                                          "pattern '%s' matches more than %d paths; only the "
                                          "first %d are covered",
                                          pat, FIMPOLICY_MAX_MATCHES, FIMPOLICY_MAX_MATCHES);
                buf_free(&x.path);
        }
        return r;
}

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

fim_class_t fimpolicy_classify(const char *path)
{
        static const char *const auth[] = {
                "/etc/passwd",  "/etc/shadow",    "/etc/group",   "/etc/gshadow",
                "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh",     "/etc/pam.conf",
                "/etc/pam.d",   "/etc/security",  "/etc/passwd-", "/etc/shadow-",
        };
        static const char *const persist[] = {
                "/etc/crontab",        "/etc/anacrontab", "/var/spool/cron",
                "/etc/systemd/system", "/etc/rc.local",   "/etc/init.d",
        };
        static const char *const binary[] = {
                "/bin",
                "/sbin",
                "/lib",
                "/lib32",
                "/lib64",
                "/usr/bin",
                "/usr/sbin",
                "/usr/lib",
                "/usr/lib32",
                "/usr/lib64",
                "/usr/libexec",
                "/usr/local/bin",
                "/usr/local/sbin",
                "/usr/local/lib",
        };
        const char *base = strrchr(path, '/');

        if (strcmp(path, "/etc/ld.so.preload") == 0)
                return FIM_CLASS_PRELOAD;
        if (str_startswith(path, "/etc/ld.so.conf"))
                return FIM_CLASS_LOADER;
        for (size_t i = 0; i < ELEMENTSOF(auth); i++)
                if (under(path, auth[i]))
                        return FIM_CLASS_AUTH;
        if (base &&
            (strcmp(base, "/authorized_keys") == 0 || strcmp(base, "/authorized_keys2") == 0))
                return FIM_CLASS_AUTH;
        if (str_startswith(path, "/etc/cron."))
                return FIM_CLASS_PERSIST;
        for (size_t i = 0; i < ELEMENTSOF(persist); i++)
                if (under(path, persist[i]))
                        return FIM_CLASS_PERSIST;
        for (size_t i = 0; i < ELEMENTSOF(binary); i++)
                if (under(path, binary[i]))
                        return FIM_CLASS_BINARY;
        return FIM_CLASS_OTHER;
}

const char *fimpolicy_class_name(fim_class_t c)
{
        switch (c) {
        case FIM_CLASS_BINARY:
                return "binary";
        case FIM_CLASS_PERSIST:
                return "persistence";
        case FIM_CLASS_AUTH:
                return "access";
        case FIM_CLASS_LOADER:
                return "loader";
        case FIM_CLASS_PRELOAD:
                return "preload";
        case FIM_CLASS_OTHER:
                break;
        }
        return "other";
}

alert_level_t fimpolicy_level(fim_rule_t rule, fim_class_t cls, unsigned flags)
{
        switch (rule) {
        case FIM_RULE_PACKAGE_MISMATCH:
                /* A program or library that is not what its package shipped
                 * is how rootkits and trojaned tools look; data files in the
                 * same directories (certificates, documentation, scripts
                 * without an execute bit) are less sure signs. */
                if (cls == FIM_CLASS_BINARY &&
                    (flags & (FIMPOLICY_F_EXECUTABLE | FIMPOLICY_F_LIBRARY)))
                        return ALERT_URGENT;
                return ALERT_SUSPICIOUS;
        case FIM_RULE_MODIFIED:
        case FIM_RULE_ADDED:
                /* A set-id program that no package accounts for is a
                 * classic way back in to root. */
                if ((flags & FIMPOLICY_F_SETID_GAINED) && (flags & FIMPOLICY_F_EXECUTABLE) &&
                    !(flags & FIMPOLICY_F_PACKAGE_OWNED))
                        return ALERT_URGENT;
                switch (cls) {
                case FIM_CLASS_PRELOAD:
                        return (flags & FIMPOLICY_F_PRELOAD_ENTRIES) ? ALERT_URGENT
                                                                     : ALERT_REMINDER;
                case FIM_CLASS_AUTH:
                case FIM_CLASS_LOADER:
                case FIM_CLASS_PERSIST:
                        return ALERT_SUSPICIOUS;
                case FIM_CLASS_BINARY:
                        /* A new program no package knows, in a directory
                         * of programs, is how droppers install themselves.
                         * Other changes there are mostly caches that
                         * package triggers rebuild. */
                        if (rule == FIM_RULE_ADDED && (flags & FIMPOLICY_F_EXECUTABLE) &&
                            !(flags & FIMPOLICY_F_PACKAGE_OWNED))
                                return ALERT_SUSPICIOUS;
                        return ALERT_REMINDER;
                case FIM_CLASS_OTHER:
                        break;
                }
                return ALERT_REMINDER;
        case FIM_RULE_DELETED:
                return cls == FIM_CLASS_AUTH ? ALERT_SUSPICIOUS : ALERT_REMINDER;
        case FIM_RULE_PERMISSIONS:
                if ((flags & FIMPOLICY_F_SETID_GAINED) && (flags & FIMPOLICY_F_EXECUTABLE))
                        return ALERT_URGENT;
                if (cls != FIM_CLASS_OTHER &&
                    (flags & (FIMPOLICY_F_WORLD_WRITABLE | FIMPOLICY_F_SETID_GAINED)))
                        return ALERT_SUSPICIOUS;
                if ((cls == FIM_CLASS_AUTH || cls == FIM_CLASS_PRELOAD) &&
                    (flags & FIMPOLICY_F_OWNER_CHANGED))
                        return ALERT_SUSPICIOUS;
                return ALERT_REMINDER;
        case FIM_RULE__MAX:
                break;
        }
        return ALERT_REMINDER;
}

const char *fimpolicy_rule_name(fim_rule_t rule)
{
        static const char *const names[FIM_RULE__MAX] = {
                [FIM_RULE_MODIFIED] = "fim.modified",
                [FIM_RULE_ADDED] = "fim.added",
                [FIM_RULE_DELETED] = "fim.deleted",
                [FIM_RULE_PACKAGE_MISMATCH] = "fim.package_mismatch",
                [FIM_RULE_PERMISSIONS] = "fim.permissions",
        };
        return (unsigned)rule < FIM_RULE__MAX ? names[rule] : "fim.unknown";
}

bool fimpolicy_preload_has_entries(const char *data, size_t n)
{
        bool in_comment = false;

        /* The dynamic linker splits the file at white space and ':'; "#"
         * starts a comment up to the end of the line. */
        for (size_t i = 0; i < n; i++) {
                char c = data[i];
                if (c == '\n') {
                        in_comment = false;
                        continue;
                }
                if (in_comment)
                        continue;
                if (c == '#') {
                        in_comment = true;
                        continue;
                }
                if (c != ' ' && c != '\t' && c != '\r' && c != ':' && c != '\v' && c != '\f')
                        return true;
        }
        return false;
}

bool fimpolicy_is_library_name(const char *path)
{
        const char *base = strrchr(path, '/');

        base = base ? base + 1 : path;
        return str_endswith(base, ".so") || strstr(base, ".so.") != NULL;
}
