#include "inventory/apps/apps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/walk.h"
#include "inventory/apps/appnote.h"
#include "inventory/apps/composer.h"
#include "inventory/apps/jar.h"
#include "inventory/apps/npm.h"
#include "inventory/apps/pypi.h"

/* Problems written as notes in one collection; the rest are counted. */
#define APPS_NOTES_MAX 500
/* Entries between two progress updates. */
#define APPS_PROGRESS_EVERY 256

const char *const apps_default_roots[] = {
        "/opt", "/srv", "/var/www", "/usr/local", "/home", "/root", NULL,
};

void apps_opts_default(apps_opts_t *o)
{
        *o = (apps_opts_t){
                .roots = NULL,
                .max_depth = 12,
                .max_file_size = 512ULL * MiB,
                .max_archive_depth = 4,
                .max_inflated = 1ULL * GiB,
                .max_files = 2000000,
                .progress = NULL,
        };
}

/* Where a component was found, for telling duplicates apart: two records
 * with the same kind, name and version and the same PROJECT are one
 * component, reported from the record with the lowest RANK. PROJECT NULL
 * means the location alone is the project (Java archives). */
struct origin {
        char *project;
        int rank;
};

enum {
        RANK_INSTALLED = 0, /* what is on disk: node_modules, dist-info, vendor */
        RANK_DECLARED = 1,  /* what a lock file or egg-info says */
};

struct collector {
        const rootfs_t *root;
        const apps_opts_t *opts;
        report_t *report;
        appnote_t notes;
        jar_limits_t jar;
        jar_stats_t jar_stats;
        pkg_list_t found;
        /* origins[i] belongs to found.v[i] for i < n_origins; after a failed
         * allocation found.n may be larger. */
        struct origin *origins;
        size_t n_origins, cap_origins;
        const char *stage;
        size_t entries, files, read, skipped, bad, walk_errors, truncated;
        /* The last project looked up for a manifest, and what was found. */
        char *cache_project;
        char *cache_manifest;
};

/* ---- paths ------------------------------------------------------------- */

/* The directory part of PATH ("/a/b/c" gives "/a/b", "/a" gives "/"). */
static char *dir_of(const char *path)
{
        const char *s = strrchr(path, '/');

        if (!s)
                return strdup(".");
        if (s == path)
                return strdup("/");
        return str_ndup(path, (size_t)(s - path));
}

/* Whether PATH has a component equal to NAME and where it starts. */
static const char *find_component(const char *path, const char *name, bool last)
{
        size_t n = strlen(name);
        const char *found = NULL;

        for (const char *p = path; (p = strstr(p, name)); p++)
                if ((p == path || p[-1] == '/') && (p[n] == '/' || p[n] == 0)) {
                        found = p;
                        if (!last)
                                break;
                }
        return found;
}

typedef enum nm_place {
        NM_NONE,         /* not inside node_modules */
        NM_DESCEND,      /* a folder to enter: package, scope, nested node_modules, .pnpm */
        NM_PACKAGE_JSON, /* the package.json of an installed package */
        NM_IGNORE,       /* anything else inside node_modules */
} nm_place_t;

/* Where PATH is with respect to node_modules. Inside it only package folders
 * ("a", "@scope/b"), their package.json and their own node_modules matter;
 * pnpm's store node_modules/.pnpm/<name>@<version>/node_modules/... is
 * entered too. Everything else there is code, skipped for speed. On
 * NM_PACKAGE_JSON, *RET_NAME and *RET_NAME_LEN span the folder name. */
static nm_place_t nm_classify(const char *path, bool is_dir, const char **ret_name,
                              size_t *ret_name_len)
{
        const char *nm = find_component(path, "node_modules", true), *rest, *comp[4];
        size_t len[4], n = 0, pkg_end;

        if (!nm)
                return NM_NONE;
        rest = nm + STRLEN("node_modules");
        if (*rest == 0)
                return is_dir ? NM_DESCEND : NM_IGNORE;
        rest++;
        while (*rest && n < ELEMENTSOF(comp)) {
                const char *s = strchr(rest, '/');
                comp[n] = rest;
                len[n] = s ? (size_t)(s - rest) : strlen(rest);
                n++;
                rest = s ? s + 1 : rest + strlen(rest);
        }
        if (*rest)
                return NM_IGNORE;
        if (len[0] == 5 && strncmp(comp[0], ".pnpm", 5) == 0)
                return n <= 2 && is_dir ? NM_DESCEND : NM_IGNORE;
        if (comp[0][0] == '.')
                return NM_IGNORE;
        pkg_end = comp[0][0] == '@' ? 2 : 1;
        if (n < pkg_end || (n == pkg_end && is_dir))
                return is_dir ? NM_DESCEND : NM_IGNORE;
        if (n == pkg_end + 1 && !is_dir && len[pkg_end] == 12 &&
            strncmp(comp[pkg_end], "package.json", 12) == 0) {
                *ret_name = comp[0];
                *ret_name_len = (size_t)(comp[pkg_end - 1] + len[pkg_end - 1] - comp[0]);
                return NM_PACKAGE_JSON;
        }
        return NM_IGNORE;
}

/* ---- recording --------------------------------------------------------- */

static int record(struct collector *c, size_t from, const char *project, int rank)
{
        if (c->cap_origins < c->found.cap) {
                struct origin *v = realloc(c->origins, c->found.cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                c->origins = v;
                c->cap_origins = c->found.cap;
        }
        for (size_t i = from; i < c->found.n; i++) {
                c->origins[i] = (struct origin){ NULL, rank };
                if (project && !(c->origins[i].project = strdup(project))) {
                        /* Keep the arrays in step: drop what has no origin. */
                        while (c->found.n > i) {
                                pkg_t *p = &c->found.v[--c->found.n];
                                free(p->name);
                                free(p->source);
                                free(p->version);
                                free(p->source_version);
                                free(p->arch);
                                free(p->location);
                                free(p->manifest);
                        }
                        return -ENOMEM;
                }
                c->n_origins = i + 1;
        }
        return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* Open the regular file the walker saw as E (never through a symlink, and
 * only if it is still the same file). Returns a descriptor or a negative
 * errno. */
static int open_entry(const walk_entry_t *e)
{
        struct stat st;
        int fd;

        fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != e->st->st_ino ||
            st.st_dev != e->st->st_dev) {
                close(fd);
                return -ESTALE;
        }
        return fd;
}

static size_t cap_for(const struct collector *c, size_t format_max)
{
        return (unsigned long long)format_max < c->opts->max_file_size
                       ? format_max
                       : (size_t)c->opts->max_file_size;
}

static void read_failed(struct collector *c, const char *display, int err, size_t max)
{
        c->skipped++;
        if (err == -EFBIG)
                appnote_warn(&c->notes, display, "not read: larger than %zu bytes", max);
        else
                appnote_warn(&c->notes, display, "cannot read: %s", strerror(-err));
}

/* Read the file NAME in the directory DIRFD (NULL NAME: the walk entry E
 * itself) into memory, at most MAX bytes. Returns 0, or a negative errno
 * after noting the problem. */
static int read_file(struct collector *c, const walk_entry_t *e, int dirfd, const char *name,
                     const char *display, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (name)
                fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        else
                fd = open_entry(e);
        if (fd < 0) {
                r = name ? -errno : fd;
                read_failed(c, display, r, max);
                return r;
        }
        r = rootfs_read_fd(fd, max, ret, ret_len);
        if (r < 0) {
                read_failed(c, display, r, max);
                return r;
        }
        c->read++;
        return 0;
}

/* The display path of PROJECT/FILE when that is a regular file, else NULL
 * (also NULL when out of memory: a manifest is a hint, not a result). The
 * last answer is kept, as every package of one node_modules asks for the
 * same project. */
static const char *project_manifest(struct collector *c, const char *project, const char *file)
{
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (c->cache_project && strcmp(c->cache_project, project) == 0)
                return c->cache_manifest;
        free(c->cache_project);
        free(c->cache_manifest);
        c->cache_project = c->cache_manifest = NULL;
        path = str_printf("%s%s%s", project, strcmp(project, "/") == 0 ? "" : "/", file);
        if (!path)
                return NULL;
        c->cache_project = strdup(project);
        if (rootfs_stat(c->root, path, false, &st) == 0 && S_ISREG(st.st_mode))
                c->cache_manifest = rootfs_display_path(c->root, path);
        return c->cache_manifest;
}

/* ---- the formats ------------------------------------------------------- */

static int do_jar(struct collector *c, const walk_entry_t *e, const char *display)
{
        _cleanup_close_ int fd = -1;
        size_t before = c->found.n, bad = c->jar_stats.bad;
        int r;

        if ((unsigned long long)e->st->st_size > c->opts->max_file_size) {
                read_failed(c, display, -EFBIG, (size_t)c->opts->max_file_size);
                return 0;
        }
        fd = open_entry(e);
        if (fd < 0) {
                read_failed(c, display, fd, 0);
                return 0;
        }
        c->read++;
        r = jar_scan_fd(fd, display, &c->jar, &c->found, &c->notes, &c->jar_stats);
        if (c->jar_stats.bad > bad)
                c->bad++;
        if (r < 0)
                return r;
        return record(c, before, NULL, RANK_INSTALLED);
}

static int do_npm_lock(struct collector *c, const walk_entry_t *e, const char *display)
{
        _cleanup_free_ char *data = NULL, *dir = NULL, *manifest = NULL;
        size_t len, before = c->found.n, max = cap_for(c, NPM_LOCK_MAX);
        struct stat st;
        int r;

        if (read_file(c, e, -1, NULL, display, max, &data, &len) < 0)
                return 0;
        dir = dir_of(e->path);
        if (!dir)
                return -ENOMEM;
        if (fstatat(e->dirfd, "package.json", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode)) {
                _cleanup_free_ char *p = dir_of(display);
                if (!p || !(manifest = str_printf("%s/package.json", strcmp(p, "/") == 0 ? "" : p)))
                        return -ENOMEM;
        }
        r = npm_parse_lock(data, len, display, manifest, &c->found, &c->notes);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                c->bad++;
        return record(c, before, dir, RANK_DECLARED);
}

static int do_npm_package(struct collector *c, const walk_entry_t *e, const char *display,
                          const char *name, size_t name_len)
{
        _cleanup_free_ char *data = NULL, *project = NULL, *fallback = NULL;
        const char *nm = find_component(e->path, "node_modules", false);
        size_t len, before = c->found.n, max = cap_for(c, NPM_PACKAGE_MAX);
        int r;

        if (read_file(c, e, -1, NULL, display, max, &data, &len) < 0)
                return 0;
        project = nm == e->path + 1 ? strdup("/") : str_ndup(e->path, (size_t)(nm - e->path - 1));
        fallback = str_ndup(name, name_len);
        if (!project || !fallback)
                return -ENOMEM;
        r = npm_parse_package(data, len, display, project_manifest(c, project, "package.json"),
                              fallback, &c->found, &c->notes);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                c->bad++;
        return record(c, before, project, RANK_INSTALLED);
}

static int do_composer(struct collector *c, const walk_entry_t *e, const char *display,
                       bool installed)
{
        _cleanup_free_ char *data = NULL, *project = NULL, *manifest = NULL;
        size_t len, before = c->found.n, max = cap_for(c, COMPOSER_FILE_MAX);
        const char *m = NULL;
        int r;

        if (read_file(c, e, -1, NULL, display, max, &data, &len) < 0)
                return 0;
        project = dir_of(e->path);
        if (!project)
                return -ENOMEM;
        if (installed) {
                /* PROJECT/vendor/composer/installed.json belongs to PROJECT. */
                for (int i = 0; i < 2; i++) {
                        char *up = dir_of(project);
                        if (!up)
                                return -ENOMEM;
                        free(project);
                        project = up;
                }
                m = project_manifest(c, project, "composer.json");
                r = composer_parse_installed(data, len, display, m, &c->found, &c->notes);
        } else {
                struct stat st;
                if (fstatat(e->dirfd, "composer.json", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISREG(st.st_mode)) {
                        _cleanup_free_ char *p = dir_of(display);
                        if (!p || !(manifest = str_printf("%s/composer.json",
                                                          strcmp(p, "/") == 0 ? "" : p)))
                                return -ENOMEM;
                }
                r = composer_parse_lock(data, len, display, manifest, &c->found, &c->notes);
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                c->bad++;
        return record(c, before, project, installed ? RANK_INSTALLED : RANK_DECLARED);
}

/* A *.dist-info or *.egg-info directory (FILE_NAME its metadata file), or an
 * *.egg-info file (FILE_NAME NULL). */
static int do_pypi(struct collector *c, const walk_entry_t *e, const char *display,
                   const char *file_name, int rank)
{
        _cleanup_free_ char *data = NULL, *site = NULL, *site_display = NULL, *meta = NULL;
        _cleanup_close_ int dfd = -1;
        size_t len, before = c->found.n, max = cap_for(c, PYPI_METADATA_MAX);
        int r;

        if (file_name) {
                meta = str_printf("%s/%s", display, file_name);
                if (!meta)
                        return -ENOMEM;
                dfd = openat(e->dirfd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0) {
                        read_failed(c, display, -errno, max);
                        return 0;
                }
                if (read_file(c, e, dfd, file_name, meta, max, &data, &len) < 0)
                        return 0;
        } else if (read_file(c, e, -1, NULL, display, max, &data, &len) < 0)
                return 0;
        site = dir_of(e->path);
        site_display = dir_of(display);
        if (!site || !site_display)
                return -ENOMEM;
        r = pypi_parse_metadata(data, len, meta ? meta : display, site_display, &c->found,
                                &c->notes);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                c->bad++;
        return record(c, before, site, rank);
}

/* ---- the walk ---------------------------------------------------------- */

static bool skipped_dir(const char *name)
{
        static const char *const skip[] = { ".git", ".hg", ".svn", ".bzr", "__pycache__" };

        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                if (strcmp(name, skip[i]) == 0)
                        return true;
        return false;
}

static int on_entry(const walk_entry_t *e, void *userdata)
{
        struct collector *c = userdata;
        _cleanup_free_ char *display = NULL;
        bool is_dir = S_ISDIR(e->st->st_mode);
        const char *pkg_name = NULL;
        size_t pkg_name_len = 0;
        nm_place_t nm;
        int r;

        if (++c->entries % APPS_PROGRESS_EVERY == 0)
                progress_update(c->opts->progress, c->stage, c->entries, 0);
        if (!is_dir && !S_ISREG(e->st->st_mode))
                return WALK_CONTINUE;
        if (!is_dir)
                c->files++;
        nm = nm_classify(e->path, is_dir, &pkg_name, &pkg_name_len);
        if (nm == NM_IGNORE)
                return is_dir ? WALK_SKIP : WALK_CONTINUE;
        if (nm == NM_DESCEND)
                return WALK_CONTINUE;
        if (is_dir) {
                if (skipped_dir(e->name))
                        return WALK_SKIP;
                if (str_endswith(e->name, ".dist-info") || str_endswith(e->name, ".egg-info")) {
                        bool dist = str_endswith(e->name, ".dist-info");
                        display = rootfs_display_path(c->root, e->path);
                        if (!display)
                                return -ENOMEM;
                        r = do_pypi(c, e, display, dist ? "METADATA" : "PKG-INFO",
                                    dist ? RANK_INSTALLED : RANK_DECLARED);
                        return r < 0 ? r : WALK_SKIP;
                }
                return WALK_CONTINUE;
        }
        /* Regular files: only a few names are read. */
        {
                enum {
                        F_NONE,
                        F_JAR,
                        F_NPM_LOCK,
                        F_NPM_PKG,
                        F_COMPOSER_LOCK,
                        F_COMPOSER_INSTALLED,
                        F_EGG_INFO
                } kind = F_NONE;
                size_t n = strlen(e->name);

                if (nm == NM_PACKAGE_JSON)
                        kind = F_NPM_PKG;
                else if (strcmp(e->name, "package-lock.json") == 0 ||
                         strcmp(e->name, "npm-shrinkwrap.json") == 0)
                        kind = F_NPM_LOCK;
                else if (strcmp(e->name, "composer.lock") == 0)
                        kind = F_COMPOSER_LOCK;
                else if (strcmp(e->name, "installed.json") == 0 &&
                         str_endswith(e->path, "/composer/installed.json"))
                        kind = F_COMPOSER_INSTALLED;
                else if (str_endswith(e->name, ".egg-info"))
                        kind = F_EGG_INFO;
                else if (n > 4 && (strcasecmp(e->name + n - 4, ".jar") == 0 ||
                                   strcasecmp(e->name + n - 4, ".war") == 0 ||
                                   strcasecmp(e->name + n - 4, ".ear") == 0 ||
                                   strcasecmp(e->name + n - 4, ".hpi") == 0 ||
                                   strcasecmp(e->name + n - 4, ".jpi") == 0))
                        kind = F_JAR;
                if (kind == F_NONE)
                        return WALK_CONTINUE;
                display = rootfs_display_path(c->root, e->path);
                if (!display)
                        return -ENOMEM;
                switch (kind) {
                case F_JAR:
                        r = do_jar(c, e, display);
                        break;
                case F_NPM_LOCK:
                        r = do_npm_lock(c, e, display);
                        break;
                case F_NPM_PKG:
                        r = do_npm_package(c, e, display, pkg_name, pkg_name_len);
                        break;
                case F_COMPOSER_LOCK:
                case F_COMPOSER_INSTALLED:
                        r = do_composer(c, e, display, kind == F_COMPOSER_INSTALLED);
                        break;
                case F_EGG_INFO:
                        r = do_pypi(c, e, display, NULL, RANK_DECLARED);
                        break;
                default:
                        r = 0;
                        break;
                }
        }
        return r < 0 ? r : WALK_CONTINUE;
}

static void on_walk_error(const char *path, int err, void *userdata)
{
        struct collector *c = userdata;
        _cleanup_free_ char *display = rootfs_display_path(c->root, path);

        c->walk_errors++;
        appnote_warn(&c->notes, display ? display : path, "not walked: %s", strerror(-err));
}

/* ---- results ----------------------------------------------------------- */

struct item {
        const pkg_t *p;
        const char *key; /* project, or the location when there is none */
        int rank;
};

static int cmp_str(const char *a, const char *b)
{
        if (!a || !b)
                return !a - !b;
        return strcmp(a, b);
}

static int cmp_identity(const struct item *a, const struct item *b)
{
        int r;

        if (a->p->kind != b->p->kind)
                return a->p->kind < b->p->kind ? -1 : 1;
        if ((r = cmp_str(a->key, b->key)) || (r = cmp_str(a->p->name, b->p->name)) ||
            (r = cmp_str(a->p->version, b->p->version)))
                return r;
        return 0;
}

static int cmp_dedupe(const void *x, const void *y)
{
        const struct item *a = x, *b = y;
        int r = cmp_identity(a, b);

        if (r)
                return r;
        if (a->rank != b->rank)
                return a->rank < b->rank ? -1 : 1;
        return cmp_str(a->p->location, b->p->location);
}

static int cmp_output(const void *x, const void *y)
{
        const struct item *a = x, *b = y;
        int r;

        if ((r = cmp_str(a->p->location, b->p->location)))
                return r;
        if (a->p->kind != b->p->kind)
                return a->p->kind < b->p->kind ? -1 : 1;
        if ((r = cmp_str(a->p->name, b->p->name)))
                return r;
        return cmp_str(a->p->version, b->p->version);
}

/* Drop duplicates (see struct origin), sort by location and append copies
 * to OUT. Returns the number appended or -ENOMEM. */
static long long emit(struct collector *c, pkg_list_t *out)
{
        _cleanup_free_ struct item *items = NULL;
        size_t n = MIN(c->found.n, c->n_origins), kept = 0;

        if (n == 0)
                return 0;
        items = calloc(n, sizeof(*items));
        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                items[i] = (struct item){ &c->found.v[i],
                                          c->origins[i].project ? c->origins[i].project
                                                                : c->found.v[i].location,
                                          c->origins[i].rank };
        qsort(items, n, sizeof(*items), cmp_dedupe);
        for (size_t i = 0; i < n; i++)
                if (kept == 0 || cmp_identity(&items[kept - 1], &items[i]) != 0)
                        items[kept++] = items[i];
        qsort(items, kept, sizeof(*items), cmp_output);
        for (size_t i = 0; i < kept; i++) {
                const pkg_t *p = items[i].p;
                int r = pkg_list_add(out, p->kind, p->name, p->source, p->version,
                                     p->source_version, p->arch, p->location, p->manifest);
                if (r < 0)
                        return r;
        }
        return (long long)kept;
}

static void collector_done(struct collector *c)
{
        for (size_t i = 0; i < c->n_origins; i++)
                free(c->origins[i].project);
        free(c->origins);
        pkg_list_clear(&c->found);
        free(c->cache_project);
        free(c->cache_manifest);
}

static void count(struct collector *c, const char *name, long long v)
{
        if (c->report && report_count(c->report, "inventory", name, v) < 0)
                c->notes.oom = true;
}

int apps_collect(const rootfs_t *root, const apps_opts_t *opts, pkg_list_t *out, report_t *report)
{
        const char *const *defaults = apps_default_roots;
        struct collector c = { .root = root, .opts = opts, .report = report };
        walk_opts_t wopts = {
                .max_depth = opts->max_depth,
                .one_filesystem = true,
                .skip_pseudo = true,
                .max_entries = opts->max_files,
                .on_error = on_walk_error,
        };
        size_t n_roots = opts->roots ? opts->roots->n : 0;
        long long kept = 0;
        int r = 0;

        appnote_init(&c.notes, report, APPS_NOTES_MAX);
        jar_limits_default(&c.jar);
        c.jar.max_depth = MAX(opts->max_archive_depth, 1u);
        c.jar.max_inflated = opts->max_inflated;
        if ((unsigned long long)c.jar.max_nested_size > opts->max_file_size)
                c.jar.max_nested_size = (size_t)opts->max_file_size;
        for (size_t i = 0; opts->roots ? i < n_roots : defaults[i] != NULL; i++) {
                const char *start = opts->roots ? opts->roots->v[i] : defaults[i];
                _cleanup_free_ char *stage = str_printf("apps: %s", start);
                walk_stats_t ws;

                if (!stage) {
                        r = -ENOMEM;
                        break;
                }
                c.stage = stage;
                progress_update(opts->progress, stage, c.entries, 0);
                r = walk_tree(root, start, &wopts, on_entry, &c, &ws);
                c.stage = NULL;
                if (r == -ENOMEM)
                        break;
                if (r == -ENOENT || r == -ENOTDIR) {
                        r = 0;
                        continue;
                }
                if (r < 0) {
                        _cleanup_free_ char *d = rootfs_display_path(root, start);
                        appnote_warn(&c.notes, d ? d : start, "not walked: %s", strerror(-r));
                        r = 0;
                        continue;
                }
                if (ws.truncated) {
                        _cleanup_free_ char *d = rootfs_display_path(root, start);
                        c.truncated++;
                        appnote_warn(&c.notes, d ? d : start,
                                     "walk stopped after %zu entries; the rest was not read",
                                     ws.entries);
                }
        }
        if (r == 0) {
                kept = emit(&c, out);
                if (kept < 0)
                        r = (int)kept;
        }
        count(&c, "apps_entries", (long long)c.entries);
        count(&c, "apps_files_seen", (long long)c.files);
        count(&c, "apps_files_read", (long long)c.read);
        count(&c, "apps_files_skipped", (long long)c.skipped);
        count(&c, "apps_files_bad", (long long)c.bad);
        count(&c, "apps_archives", (long long)c.jar_stats.archives);
        count(&c, "apps_archive_members", (long long)c.jar_stats.members);
        count(&c, "apps_archives_bad", (long long)c.jar_stats.bad);
        count(&c, "apps_inflated_bytes", (long long)c.jar_stats.inflated);
        count(&c, "apps_walk_errors", (long long)c.walk_errors);
        count(&c, "apps_roots_truncated", (long long)c.truncated);
        count(&c, "apps_components", kept > 0 ? kept : 0);
        count(&c, "apps_duplicates", kept >= 0 ? (long long)c.found.n - kept : 0);
        appnote_finish(&c.notes, "apps");
        collector_done(&c);
        if (r == 0 && c.notes.oom)
                r = -ENOMEM;
        return r;
}
