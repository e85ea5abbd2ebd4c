#include "detect/fim/check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "core/walk.h"
#include "detect/fim/fimhash.h"
#include "detect/fim/fimpath.h"

/* Accounts and groups read for owner names in evidence. */
#define FIMCHECK_MAX_IDS    100000
#define FIMCHECK_MAX_IDFILE (16 * MiB)

typedef struct idname {
        uint32_t id;
        char name[33];
} idname_t;

typedef struct idmap {
        idname_t *v;
        size_t n, cap;
} idmap_t;

/* Two ways to hold the baseline and the package digests. Loaded (the
 * default): TAB holds every baseline entry and PV every package file, which
 * is what a full run wants. Lean (after fimcheck_release, with a store):
 * TAB is empty and PV keeps only its package list; single paths are looked
 * up in the store (the files table, and the package digests parked in its
 * TEMP table), so a long-lived watcher does not hold a copy of what the
 * store can answer. A full run in lean mode loads both for its duration. */
struct fimcheck {
        fimcheck_opts_t o;
        fimtab_t tab;
        pkgverify_t *pv;
        bool lean;
        bool parked;             /* PV's files are in the store's TEMP table as they are now */
        fimpath_t *canon;        /* NULL in lean mode until needed */
        fimpolicy_t base_policy; /* what the stored baseline covers */
        bool had_baseline;
        bool root_mismatch;
        char *stored_root;
        fimhash_t *hash; /* the calling thread's */
        idmap_t users, groups;
        fimcheck_stats_t totals;
        size_t notes;
};

/* One file system object met by a run. */
typedef struct item {
        char *path; /* canonical, inside the root; owned */
        struct stat st;
        char *link; /* a symlink's target; owned */
        bool has_pk;
        pkgverify_file_t pk; /* when HAS_PK: the package file; its path is not used */
        bool need_hash;
        unsigned algos;
        int err; /* from hashing: 0 or a negative errno */
        bool hashed;
        fimhash_digests_t dig;
} item_t;

struct run {
        fimcheck_t *c;
        fimcheck_mode_t mode;
        bool accept_all; /* UPDATE and the watcher */
        bool judge;      /* alerts are made */
        bool hold;       /* a package manager runs: judge nothing, accept nothing changed */
        bool walk_dirs;  /* descend into directories */
        const fim_actor_t *actor;
        item_t *items;
        size_t n, cap;
        size_t *set; /* open addressing over items by path; slot = index + 1 */
        size_t set_cap;
        fimcheck_stats_t st;
        int64_t now;
        int error;
};

/* ---- owner names ---- */

static int idmap_load(const rootfs_t *root, const char *path, idmap_t *m)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = rootfs_read_file(root, path, FIMCHECK_MAX_IDFILE, &data, &len);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (const char *s = data, *end = data + len; s < end && m->n < FIMCHECK_MAX_IDS;) {
                const char *nl = memchr(s, '\n', (size_t)(end - s)), *c1, *c2;
                const char *e = nl ? nl : end;
                unsigned long long id = 0;
                char num[24];
                size_t nlen;
                c1 = memchr(s, ':', (size_t)(e - s));
                c2 = c1 ? memchr(c1 + 1, ':', (size_t)(e - c1 - 1)) : NULL;
                if (c1 && c2 && (size_t)(c1 - s) < sizeof(m->v->name) && c1 > s) {
                        const char *idp = c2 + 1, *c3 = memchr(idp, ':', (size_t)(e - idp));
                        nlen = c3 ? (size_t)(c3 - idp) : (size_t)(e - idp);
                        if (nlen > 0 && nlen < sizeof(num)) {
                                memcpy(num, idp, nlen);
                                num[nlen] = 0;
                                if (str_to_u64(num, &id) == 0 && id <= UINT32_MAX) {
                                        if (m->n == m->cap) {
                                                size_t cap = m->cap ? m->cap * 2 : 64;
                                                idname_t *v = realloc(m->v, cap * sizeof(*v));
                                                if (!v)
                                                        return -ENOMEM;
                                                m->v = v;
                                                m->cap = cap;
                                        }
                                        m->v[m->n].id = (uint32_t)id;
                                        memcpy(m->v[m->n].name, s, (size_t)(c1 - s));
                                        m->v[m->n].name[c1 - s] = 0;
                                        m->n++;
                                }
                        }
                }
                s = nl ? nl + 1 : end;
        }
        return 0;
}

static const char *idmap_name(const idmap_t *m, uint32_t id)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->v[i].id == id)
                        return m->v[i].name;
        return NULL;
}

/* ---- setup ---- */

static const pkgverify_file_t *item_pk(const item_t *it)
{
        return it->has_pk ? &it->pk : NULL;
}

/* The package file at PATH into *RET. Returns 1, 0 when there is none, or a
 * negative errno from the store. */
static int pk_lookup(const fimcheck_t *c, const char *path, pkgverify_file_t *ret)
{
        const pkgverify_file_t *f;
        pkgverify_file_t pf;
        int r;

        if (!c->pv)
                return 0;
        if (!c->lean) {
                f = pkgverify_lookup(c->pv, path);
                if (!f)
                        return 0;
                *ret = *f;
                return 1;
        }
        r = fimdb_pkgfile_get(c->o.db, path, &pf);
        if (r == -ENOENT || (r == 0 && pf.pkg >= c->pv->n_pkgs))
                return 0;
        if (r < 0)
                return r;
        *ret = pf;
        return 1;
}

/* The baseline entry of PATH as a copy in *RET (caller frees), or NULL
 * when there is none. Returns 0 or a negative errno. */
static int base_get(const fimcheck_t *c, const char *path, fimtab_entry_t **ret)
{
        const fimtab_entry_t *e;
        fimtab_entry_t *copy = NULL;
        int r;

        if (c->lean) {
                r = fimdb_get(c->o.db, path, &copy);
                if (r < 0 && r != -ENOENT)
                        return r;
                *ret = copy;
                return 0;
        }
        e = fimtab_get(&c->tab, path);
        if (e && !(copy = fimtab_entry_dup(e)))
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* 1 when PATH has a baseline entry, 0 when not, or a negative errno. */
static int base_has(const fimcheck_t *c, const char *path)
{
        if (c->lean)
                return fimdb_has(c->o.db, path);
        return fimtab_get(&c->tab, path) != NULL;
}

static int need_canon(fimcheck_t *c)
{
        return c->canon ? 0 : fimpath_new(c->o.root, &c->canon);
}

static int need_hash(fimcheck_t *c)
{
        return c->hash ? 0 : fimhash_new(&c->hash);
}

static bool scope_fn(const char *path, void *userdata)
{
        const fimcheck_t *c = userdata;
        return fimpolicy_covers(c->o.policy, path);
}

int fimcheck_reload_packages(fimcheck_t *c)
{
        pkgverify_t *pv = NULL;
        int r;

        if (!c->o.verify_packages)
                return 0;
        if ((r = need_canon(c)) < 0)
                return r;
        r = pkgverify_load(c->o.root, c->canon, scope_fn, c, c->o.report, &pv);
        if (r < 0)
                return r;
        if (c->lean) {
                /* Straight into the store; only the package list stays. */
                r = fimdb_pkgfiles_set(c->o.db, pv);
                if (r < 0) {
                        pkgverify_free(pv);
                        return r;
                }
                pkgverify_drop_files(pv);
                fimpath_free(c->canon);
                c->canon = NULL;
        }
        pkgverify_free(c->pv);
        c->pv = pv;
        c->parked = c->lean;
        return 0;
}

/* Rebuild C->base_policy from a JSON array of patterns in meta KEY. */
static int load_base_patterns(fimcheck_t *c, const char *key, bool exclude)
{
        _cleanup_free_ char *v = NULL;
        json_t *a, *e;
        size_t i;
        int r = fimdb_meta_get(c->o.db, key, &v);

        if (r == -ENOENT || r == -EINVAL)
                return 0;
        if (r < 0)
                return r;
        a = json_loads(v, 0, NULL);
        if (!json_is_array(a)) {
                json_decref(a);
                (void)report_note(c->o.report, REPORT_NOTE_WARNING, c->o.db_display,
                                  "the stored %s patterns are damaged; ignored", key);
                return 0;
        }
        json_array_foreach (a, i, e) {
                const char *s = json_string_value(e);
                if (!s)
                        continue;
                r = exclude ? fimpolicy_add_exclude(&c->base_policy, s)
                            : fimpolicy_add(&c->base_policy, s);
                if (r == -ENOMEM) {
                        json_decref(a);
                        return r;
                }
        }
        json_decref(a);
        return 0;
}

int fimcheck_new(const fimcheck_opts_t *o, fimcheck_t **ret)
{
        fimcheck_t *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->o = *o;
        if (c->o.threads < 1)
                c->o.threads = 1;
        if (!c->o.db_display)
                c->o.db_display = FIMDB_FILE;
        if ((r = fimhash_new(&c->hash)) < 0 || (r = fimpath_new(o->root, &c->canon)) < 0)
                goto fail;
        if ((r = idmap_load(o->root, "/etc/passwd", &c->users)) < 0 ||
            (r = idmap_load(o->root, "/etc/group", &c->groups)) < 0)
                goto fail;
        if (o->db) {
                int64_t created;
                r = fimdb_meta_get(o->db, FIMDB_META_ROOT, &c->stored_root);
                if (r < 0 && r != -ENOENT && r != -EINVAL)
                        goto fail;
                if (r == 0 && strcmp(c->stored_root, o->root->path) != 0) {
                        c->root_mismatch = true;
                } else if (fimdb_meta_get_int(o->db, FIMDB_META_CREATED, &created) == 0) {
                        c->had_baseline = true;
                        r = fimdb_load(o->db, c->o.db_display, &c->tab, o->report, NULL);
                        if (r < 0)
                                goto fail;
                        if ((r = load_base_patterns(c, FIMDB_META_INCLUDE, false)) < 0 ||
                            (r = load_base_patterns(c, FIMDB_META_EXCLUDE, true)) < 0)
                                goto fail;
                }
        }
        if ((r = fimcheck_reload_packages(c)) < 0)
                goto fail;
        *ret = c;
        return 0;
fail:
        fimcheck_free(c);
        return r;
}

void fimcheck_free(fimcheck_t *c)
{
        if (!c)
                return;
        fimtab_clear(&c->tab);
        pkgverify_free(c->pv);
        fimpath_free(c->canon);
        fimpolicy_clear(&c->base_policy);
        fimhash_free(c->hash);
        free(c->users.v);
        free(c->groups.v);
        free(c->stored_root);
        free(c);
}

const fimtab_t *fimcheck_table(const fimcheck_t *c)
{
        return &c->tab;
}

static void give_back_memory(void)
{
#ifdef __GLIBC__
        /* What was freed lies in many small holes, in the heap of the thread
         * that ran the pass as often as not; glibc only returns the top of
         * a heap by itself. */
        (void)malloc_trim(0);
#endif
}

int fimcheck_release(fimcheck_t *c)
{
        int r;

        if (c->lean || !c->o.db)
                return 0;
        if (c->pv && !c->parked) {
                if ((r = fimdb_pkgfiles_set(c->o.db, c->pv)) < 0)
                        return r;
                c->parked = true;
        }
        pkgverify_drop_files(c->pv);
        fimtab_clear(&c->tab);
        fimpath_free(c->canon);
        c->canon = NULL;
        fimhash_free(c->hash);
        c->hash = NULL;
        c->lean = true;
        give_back_memory();
        return 0;
}

static int add_parked(const pkgverify_file_t *f, void *userdata)
{
        pkgverify_t *pv = userdata;
        int r = pkgverify_add_file(pv, f->path, f->pkg, f->algo, f->digest);

        return r == -EINVAL ? 0 : r;
}

/* Leave lean mode for a full run: the baseline and the parked package files
 * back into memory. */
static int load_all(fimcheck_t *c)
{
        int r;

        if (!c->lean)
                return 0;
        if (c->had_baseline &&
            (r = fimdb_load(c->o.db, c->o.db_display, &c->tab, c->o.report, NULL)) < 0)
                goto fail;
        if (c->pv && (r = fimdb_pkgfiles_foreach_under(c->o.db, "/", add_parked, c->pv)) < 0)
                goto fail;
        c->lean = false;
        return 0;
fail:
        fimtab_clear(&c->tab);
        pkgverify_drop_files(c->pv);
        return r;
}

int fimcheck_known(fimcheck_t *c, const char *path)
{
        return base_has(c, path);
}

int fimcheck_foreach(fimcheck_t *c, fimcheck_entry_fn fn, void *userdata)
{
        int r;

        if (c->lean)
                return fimdb_foreach_under(c->o.db, "/", fn, userdata);
        for (size_t i = 0; i < c->tab.cap; i++) {
                const fimtab_entry_t *e = fimtab_at(&c->tab, i);
                if (e && (r = fn(e->path, e->mode, userdata)) < 0)
                        return r;
        }
        return 0;
}

const fimcheck_stats_t *fimcheck_totals(const fimcheck_t *c)
{
        return &c->totals;
}

/* ---- notes ---- */

static void file_note(struct run *run, const char *path, const char *what, int err)
{
        fimcheck_t *c = run->c;
        _cleanup_free_ char *display = NULL;

        if (c->notes++ >= FIMCHECK_NOTES_MAX)
                return;
        display = rootfs_display_path(c->o.root, path);
        (void)report_note(c->o.report, REPORT_NOTE_WARNING, display ? display : path, "%s: %s",
                          what, strerror(-err));
}

/* ---- collecting items ---- */

static size_t set_slot(const struct run *run, const char *path)
{
        return (size_t)hash_fnv1a(path, strlen(path)) & (run->set_cap - 1);
}

static bool set_has(const struct run *run, const char *path)
{
        if (!run->set_cap)
                return false;
        for (size_t i = set_slot(run, path);; i = (i + 1) & (run->set_cap - 1)) {
                size_t v = run->set[i];
                if (!v)
                        return false;
                if (strcmp(run->items[v - 1].path, path) == 0)
                        return true;
        }
}

static int set_grow(struct run *run)
{
        size_t cap = run->set_cap ? run->set_cap * 2 : 1024;
        size_t *v = calloc(cap, sizeof(*v));

        if (!v)
                return -ENOMEM;
        free(run->set);
        run->set = v;
        run->set_cap = cap;
        for (size_t k = 0; k < run->n; k++) {
                size_t i = set_slot(run, run->items[k].path);
                while (run->set[i])
                        i = (i + 1) & (cap - 1);
                run->set[i] = k + 1;
        }
        return 0;
}

/* Add an item for PATH with lstat ST; LINK_DIRFD/LINK_NAME read a symlink's
 * target (LINK_DIRFD < 0: by path). Returns 0, 1 when PATH was already
 * there, or a negative errno. */
static int add_item(struct run *run, const char *path, const struct stat *st, int link_dirfd,
                    const char *link_name)
{
        fimcheck_t *c = run->c;
        item_t *it;
        size_t i;

        if (set_has(run, path))
                return 1;
        if (run->n == run->cap) {
                size_t cap = run->cap ? run->cap * 2 : 1024;
                item_t *v = realloc(run->items, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                run->items = v;
                run->cap = cap;
        }
        if ((run->n + 1) * 2 > run->set_cap && set_grow(run) < 0)
                return -ENOMEM;
        it = &run->items[run->n];
        *it = (item_t){ .st = *st };
        it->path = strdup(path);
        if (!it->path)
                return -ENOMEM;
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t len;
                if (link_dirfd >= 0)
                        len = readlinkat(link_dirfd, link_name, target, sizeof(target) - 1);
                else {
                        int fd = rootfs_openat(c->o.root, path, O_PATH | O_NOFOLLOW);
                        len = fd < 0 ? -1 : readlinkat(fd, "", target, sizeof(target) - 1);
                        if (fd >= 0)
                                close(fd);
                }
                if (len < 0) {
                        free(it->path);
                        run->st.vanished++;
                        return 1;
                }
                target[len] = 0;
                it->link = strdup(target);
                if (!it->link) {
                        free(it->path);
                        return -ENOMEM;
                }
        }
        if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)) {
                int r = pk_lookup(c, path, &it->pk);
                if (r < 0) {
                        free(it->path);
                        free(it->link);
                        return r;
                }
                it->has_pk = r > 0;
        }
        for (i = set_slot(run, path); run->set[i]; i = (i + 1) & (run->set_cap - 1))
                ;
        run->set[i] = ++run->n;
        return 0;
}

static int walk_cb(const walk_entry_t *e, void *userdata)
{
        struct run *run = userdata;
        int r;

        if (fimpolicy_excluded_self(run->c->o.policy, e->path))
                return S_ISDIR(e->st->st_mode) ? WALK_SKIP : WALK_CONTINUE;
        r = add_item(run, e->path, e->st, e->dirfd, e->name);
        if (r < 0)
                return r;
        /* A directory already met was walked already. */
        if (r == 1 && S_ISDIR(e->st->st_mode))
                return WALK_SKIP;
        return WALK_CONTINUE;
}

static void walk_error(const char *path, int err, void *userdata)
{
        struct run *run = userdata;

        run->st.unreadable++;
        file_note(run, path, "cannot read the directory", err);
}

/* Add PATH (canonical) and, for a directory, everything below it. */
static int collect_path(struct run *run, const char *path)
{
        walk_opts_t wo = { .skip_pseudo = true, .on_error = walk_error };
        struct stat st;
        int r;

        r = rootfs_stat(run->c->o.root, path, false, &st);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0; /* gone: the deletion pass sees it */
        r = add_item(run, path, &st, -1, NULL);
        if (r < 0)
                return r;
        if (r == 1 || !S_ISDIR(st.st_mode) || !run->walk_dirs)
                return 0;
        r = walk_tree(run->c->o.root, path, &wo, walk_cb, run, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
                run->st.unreadable++;
                file_note(run, path, "cannot walk the directory", r);
        }
        return 0;
}

static int on_root(const char *path, void *userdata)
{
        struct run *run = userdata;
        _cleanup_free_ char *canon = NULL;
        int r = fimpath_canonical(run->c->canon, path, &canon);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        return collect_path(run, canon);
}

/* ---- hashing ---- */

static void hash_item(fimcheck_t *c, fimhash_t *h, item_t *it)
{
        struct stat st;
        int fd;

        fd = rootfs_openat(c->o.root, it->path,
                           O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_NOATIME);
        /* O_NOATIME is only allowed to the owner or with CAP_FOWNER. */
        if (fd == -EPERM)
                fd = rootfs_openat(c->o.root, it->path,
                                   O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                it->err = fd;
                return;
        }
        if (fstat(fd, &st) < 0) {
                it->err = -errno;
                close(fd);
                return;
        }
        if (!S_ISREG(st.st_mode)) {
                it->err = -ENOENT; /* swapped for something else since the walk */
                close(fd);
                return;
        }
        /* Judge what was hashed, even when it was replaced after the walk. */
        it->st = st;
        if (c->o.max_file_size && (uint64_t)st.st_size > c->o.max_file_size)
                it->err = -EFBIG;
        else
                it->err = fimhash_fd(h, fd, it->algos, c->o.max_file_size, c->o.max_hash_time_us,
                                     &it->dig);
        it->hashed = it->err == 0;
        close(fd);
}

struct pool {
        fimcheck_t *c;
        item_t *items;
        size_t *todo;
        size_t n_todo;
        atomic_size_t next;
        atomic_size_t done;
        int error;
        pthread_mutex_t lock;
};

static void pool_work(struct pool *p, fimhash_t *h)
{
        for (;;) {
                size_t k = atomic_fetch_add(&p->next, 1), done;
                if (k >= p->n_todo)
                        return;
                hash_item(p->c, h, &p->items[p->todo[k]]);
                done = atomic_fetch_add(&p->done, 1) + 1;
                if (p->c->o.progress && done % 256 == 0)
                        progress_update(p->c->o.progress, "fim: hashing", done, p->n_todo);
        }
}

static void *pool_thread(void *arg)
{
        struct pool *p = arg;
        fimhash_t *h = NULL;

        if (fimhash_new(&h) < 0) {
                pthread_mutex_lock(&p->lock);
                p->error = -ENOMEM;
                pthread_mutex_unlock(&p->lock);
                return NULL;
        }
        pool_work(p, h);
        fimhash_free(h);
        return NULL;
}

static int hash_items(struct run *run, size_t *todo, size_t n_todo)
{
        fimcheck_t *c = run->c;
        struct pool p = { .c = c, .items = run->items, .todo = todo, .n_todo = n_todo };
        pthread_t *tids = NULL;
        size_t started = 0, want = c->o.threads > 1 ? c->o.threads - 1 : 0;

        if (n_todo == 0)
                return 0;
        if (want > n_todo / 64)
                want = n_todo / 64; /* a handful of files is not worth a thread */
        pthread_mutex_init(&p.lock, NULL);
        if (want) {
                tids = calloc(want, sizeof(*tids));
                for (size_t i = 0; tids && i < want; i++) {
                        if (pthread_create(&tids[i], NULL, pool_thread, &p) != 0)
                                break;
                        started++;
                }
        }
        pool_work(&p, c->hash);
        for (size_t i = 0; i < started; i++)
                pthread_join(tids[i], NULL);
        free(tids);
        pthread_mutex_destroy(&p.lock);
        if (c->o.progress)
                progress_clear(c->o.progress);
        return p.error;
}

/* ---- evidence and alerts ---- */

static const char *type_name(uint32_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "file";
        case S_IFDIR:
                return "directory";
        case S_IFLNK:
                return "symlink";
        case S_IFCHR:
                return "character device";
        case S_IFBLK:
                return "block device";
        case S_IFIFO:
                return "fifo";
        case S_IFSOCK:
                return "socket";
        }
        return "unknown";
}

static json_t *state_json(const fimcheck_t *c, const fimtab_entry_t *e, const char *link)
{
        json_t *o = json_object();
        char buf[HASH_SHA256_HEX], when[TIMEUTIL_ISO_LEN], mode[16], owner[80];
        const char *u = idmap_name(&c->users, e->uid), *g = idmap_name(&c->groups, e->gid);

        if (!o)
                return NULL;
        json_object_set_new(o, "type", json_string(type_name(e->mode)));
        if (e->has_sha256) {
                hash_hex(e->sha256, HASH_SHA256_LEN, buf);
                json_object_set_new(o, "sha256", json_string(buf));
        }
        snprintf(mode, sizeof(mode), "%04o", (unsigned)(e->mode & 07777));
        json_object_set_new(o, "mode", json_string(mode));
        if (u && g)
                snprintf(owner, sizeof(owner), "%s:%s", u, g);
        else
                snprintf(owner, sizeof(owner), "%u:%u", (unsigned)e->uid, (unsigned)e->gid);
        jsonx_set_str(o, "owner", owner);
        json_object_set_new(o, "uid", json_integer(e->uid));
        json_object_set_new(o, "gid", json_integer(e->gid));
        if (!S_ISDIR(e->mode))
                json_object_set_new(o, "size", json_integer((json_int_t)e->size));
        timeutil_format_iso(e->mtime_ns / 1000, when, sizeof(when));
        json_object_set_new(o, "mtime", json_string(when));
        json_object_set_new(o, "inode", json_integer((json_int_t)e->ino));
        if (link)
                jsonx_set_str(o, "target", link);
        return o;
}

/* PATH quoted for a shell when it holds anything but plain characters. */
static char *shell_quote(const char *s)
{
        _cleanup_buf_ buf_t b = { 0 };
        bool plain = *s != 0;

        for (const char *p = s; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-:@",
                            *p))
                        plain = false;
        if (plain)
                return strdup(s);
        buf_init(&b, 4 * FIMTAB_PATH_MAX + 16);
        if (buf_append(&b, "'", 1) < 0)
                return NULL;
        for (const char *p = s; *p; p++)
                if ((*p == '\'' ? buf_append_str(&b, "'\\''") : buf_append(&b, p, 1)) < 0)
                        return NULL;
        if (buf_append(&b, "'", 1) < 0)
                return NULL;
        return buf_take(&b);
}

typedef struct change {
        fim_rule_t rule;
        const char *path;
        fim_class_t cls;
        const fimtab_entry_t *before; /* may be NULL */
        const fimtab_entry_t *after;  /* may be NULL */
        const char *link;             /* after's symlink target */
        const pkgverify_file_t *pk;
        const fimhash_digests_t *dig; /* after's digests when hashed */
        unsigned diff;
        unsigned flags;
        bool content_changed;
} change_t;

static char *remediation(const fimcheck_t *c, const change_t *ch, const char *qpath)
{
        const char *accept = "If the change is yours, accept it with 'vigil fim check --update'.";

        if (ch->pk) {
                _cleanup_free_ char *hint = pkgverify_reinstall_hint(c->pv, ch->pk);
                _cleanup_free_ char *inner = shell_quote(ch->path), *qroot = NULL;
                _cleanup_free_ char *owner = NULL, *fix = NULL;
                const pkgverify_pkg_t *p = pkgverify_pkg_of(c->pv, ch->pk);
                if (!hint || !inner)
                        return NULL;
                /* For an image, the package tools must look inside it. */
                if (c->o.root->is_host) {
                        owner = str_printf("%s %s",
                                           p->kind == PKG_APK   ? "apk info --who-owns"
                                           : p->kind == PKG_RPM ? "rpm -qf"
                                                                : "dpkg -S",
                                           inner);
                        fix = strdup(hint);
                } else {
                        if (!(qroot = shell_quote(c->o.root->path)))
                                return NULL;
                        if (p->kind == PKG_APK)
                                owner = str_printf("apk --root %s info --who-owns %s", qroot,
                                                   inner);
                        else if (p->kind == PKG_RPM)
                                owner = str_printf("rpm --root %s -qf %s", qroot, inner);
                        else
                                owner = str_printf("dpkg --root=%s -S %s", qroot, inner);
                        fix = str_printf("chroot %s %s", qroot, hint);
                }
                if (!owner || !fix)
                        return NULL;
                if (ch->rule == FIM_RULE_DELETED)
                        return str_printf("Find out why the file is gone (%s), then restore it "
                                          "from its package: %s",
                                          owner, fix);
                if (ch->rule == FIM_RULE_PERMISSIONS)
                        return str_printf("Find out who changed the mode or owner; reinstalling "
                                          "the package restores them: %s\n%s",
                                          fix, accept);
                return str_printf("Find out what changed the file before you replace it (keep a "
                                  "copy for analysis: cp -a %s /root/evidence/). Check which "
                                  "package owns it: %s\nRestore the packaged file: %s",
                                  qpath, owner, fix);
        }
        switch (ch->cls) {
        case FIM_CLASS_PRELOAD:
                return str_printf("Every program loads the libraries named in %s. Unless you put "
                                  "them there, empty the file (truncate -s 0 %s), keep the "
                                  "library for analysis, and look for how it got there.\n%s",
                                  qpath, qpath, accept);
        case FIM_CLASS_AUTH:
                return str_printf("Review the change (who logged in and ran what around that "
                                  "time: last, journalctl, the auth log). If it is not yours, "
                                  "restore %s from a backup, remove unknown accounts or keys, "
                                  "and rotate credentials.\n%s",
                                  qpath, accept);
        case FIM_CLASS_PERSIST:
                return str_printf("Check what %s runs and who put it there; if it is not yours, "
                                  "remove it and stop what it started (systemctl, crontab -l).\n%s",
                                  qpath, accept);
        default:
                break;
        }
        if (ch->rule == FIM_RULE_DELETED)
                return str_printf("Restore %s from a backup or reinstall the package that owns "
                                  "it (dpkg -S %s).\n%s",
                                  qpath, qpath, accept);
        return str_printf("Review the change to %s; if it is not yours, restore the file from a "
                          "backup and find out how it was changed.\n%s",
                          qpath, accept);
}

static char *title(const change_t *ch, const char *display, const pkgverify_pkg_t *p)
{
        char mb[16], ma[16];

        switch (ch->rule) {
        case FIM_RULE_PACKAGE_MISMATCH:
                return str_printf("%s differs from what package %s installed", display, p->name);
        case FIM_RULE_ADDED:
                return str_printf("%s was added", display);
        case FIM_RULE_DELETED:
                if (!ch->before && p)
                        return str_printf("%s is missing (package %s installs it)", display,
                                          p->name);
                return str_printf("%s was deleted", display);
        case FIM_RULE_PERMISSIONS:
                snprintf(mb, sizeof(mb), "%04o", ch->before ? ch->before->mode & 07777 : 0);
                snprintf(ma, sizeof(ma), "%04o", ch->after ? ch->after->mode & 07777 : 0);
                if (ch->diff & FIMTAB_DIFF_MODE)
                        return str_printf("permissions of %s changed (%s -> %s)", display, mb, ma);
                return str_printf("owner of %s changed", display);
        default:
                return str_printf("%s was modified", display);
        }
}

static int emit(struct run *run, const change_t *ch)
{
        fimcheck_t *c = run->c;
        _cleanup_free_ char *display = rootfs_display_path(c->o.root, ch->path);
        _cleanup_free_ char *qpath = NULL, *ttl = NULL, *rem = NULL;
        const pkgverify_pkg_t *p = ch->pk ? pkgverify_pkg_of(c->pv, ch->pk) : NULL;
        alert_level_t level = fimpolicy_level(ch->rule, ch->cls, ch->flags);
        int64_t t = run->actor && run->actor->time_us ? run->actor->time_us : run->now * 1000000;
        json_t *ev, *changes;
        alert_t *a;

        if (!display || !(qpath = shell_quote(display)))
                return -ENOMEM;
        if (run->hold) {
                run->st.deferred++;
                return 0;
        }
        a = alert_new(ALERT_FILE_TAMPERING, fimpolicy_rule_name(ch->rule), display, level, t);
        if (!a)
                return -ENOMEM;
        ttl = title(ch, display, p);
        rem = remediation(c, ch, qpath);
        if (!ttl || !rem || alert_set_title(a, "%s", ttl) < 0 ||
            alert_set_remediation(a, "%s", rem) < 0 ||
            (c->o.host && alert_set_host(a, c->o.host) < 0)) {
                alert_free(a);
                return -ENOMEM;
        }
        ev = a->evidence;
        jsonx_set_str(ev, "path", display);
        json_object_set_new(ev, "class", json_string(fimpolicy_class_name(ch->cls)));
        changes = json_array();
        if (ch->content_changed)
                json_array_append_new(changes, json_string("content"));
        if (ch->diff & FIMTAB_DIFF_TYPE)
                json_array_append_new(changes, json_string("type"));
        if (ch->diff & FIMTAB_DIFF_MODE)
                json_array_append_new(changes, json_string("mode"));
        if (ch->diff & (FIMTAB_DIFF_UID | FIMTAB_DIFF_GID))
                json_array_append_new(changes, json_string("owner"));
        if (json_array_size(changes))
                json_object_set_new(ev, "changes", changes);
        else
                json_decref(changes);
        if (ch->before)
                json_object_set_new(ev, "before", state_json(c, ch->before, NULL));
        if (ch->after)
                json_object_set_new(ev, "after", state_json(c, ch->after, ch->link));
        if (p) {
                char expected[PKGVERIFY_DIGEST_STR], actual[PKGVERIFY_DIGEST_STR + 8];
                size_t n;
                const uint8_t *d = ch->dig ? fimhash_get(ch->dig, ch->pk->algo, &n) : NULL;
                jsonx_set_str(ev, "package", p->name);
                if (p->version)
                        jsonx_set_str(ev, "package_version", p->version);
                json_object_set_new(ev, "package_manager", json_string(pkg_kind_name(p->kind)));
                pkgverify_digest_str(ch->pk, expected, sizeof(expected));
                json_object_set_new(ev, "expected_digest", json_string(expected));
                if (d) {
                        char hex[2 * FIMHASH_MAX_LEN + 1];
                        hash_hex(d, n, hex);
                        snprintf(actual, sizeof(actual), "%s:%s", fimhash_algo_name(ch->pk->algo),
                                 hex);
                        json_object_set_new(ev, "actual_digest", json_string(actual));
                }
        }
        if (run->actor && run->actor->pid > 0) {
                json_t *pr = json_object();
                json_object_set_new(pr, "pid", json_integer(run->actor->pid));
                if (run->actor->comm[0])
                        jsonx_set_str(pr, "comm", run->actor->comm);
                if (run->actor->exe[0])
                        jsonx_set_str(pr, "exe", run->actor->exe);
                json_object_set_new(ev, "process", pr);
        }
        if (ch->after) {
                char when[TIMEUTIL_ISO_LEN];
                timeutil_format_iso(ch->after->ctime_ns / 1000, when, sizeof(when));
                json_object_set_new(ev, "changed_at", json_string(when));
        }
        switch (ch->rule) {
        case FIM_RULE_ADDED:
                run->st.added++;
                break;
        case FIM_RULE_DELETED:
                run->st.deleted++;
                break;
        case FIM_RULE_PERMISSIONS:
                run->st.permissions++;
                break;
        case FIM_RULE_PACKAGE_MISMATCH:
                break;
        default:
                run->st.modified++;
                break;
        }
        run->st.alerts++;
        return alert_sink_emit(&c->o.sink, a);
}

/* ---- judging one item ---- */

static unsigned base_flags(const fimcheck_t *c, const char *path, const fimtab_entry_t *before,
                           const fimtab_entry_t *after, const pkgverify_file_t *pk)
{
        unsigned f = 0;

        if (after && S_ISREG(after->mode) && (after->mode & 0111))
                f |= FIMPOLICY_F_EXECUTABLE;
        if (fimpolicy_is_library_name(path))
                f |= FIMPOLICY_F_LIBRARY;
        if (pk)
                f |= FIMPOLICY_F_PACKAGE_OWNED;
        if (c->pv && (c->pv->have_dpkg || c->pv->have_apk))
                f |= FIMPOLICY_F_PACKAGE_DB;
        if (after && S_ISREG(after->mode)) {
                uint32_t was = before && S_ISREG(before->mode) ? before->mode : 0;
                if ((after->mode & 06000) & ~(was & 06000))
                        f |= FIMPOLICY_F_SETID_GAINED;
        }
        if (after && !S_ISLNK(after->mode) && (after->mode & 02) &&
            !(before && (before->mode & 02)))
                f |= FIMPOLICY_F_WORLD_WRITABLE;
        if (before && after && (before->uid != after->uid || before->gid != after->gid))
                f |= FIMPOLICY_F_OWNER_CHANGED;
        return f;
}

static unsigned preload_flag(const fimcheck_t *c, const char *path, fim_class_t cls)
{
        _cleanup_free_ char *data = NULL;
        size_t n = 0;

        if (cls != FIM_CLASS_PRELOAD)
                return 0;
        /* A file too big to read names something for sure. */
        if (rootfs_read_file(c->o.root, path, FIMCHECK_MAX_PRELOAD, &data, &n) == -EFBIG)
                return FIMPOLICY_F_PRELOAD_ENTRIES;
        return data && fimpolicy_preload_has_entries(data, n) ? FIMPOLICY_F_PRELOAD_ENTRIES : 0;
}

/* Store AFTER as the new state of its path (taking it over). */
static int accept(struct run *run, fimtab_entry_t *after)
{
        fimcheck_t *c = run->c;
        int r;

        if (c->o.db && (r = fimdb_put(c->o.db, after)) < 0) {
                fimtab_entry_free(after);
                return r;
        }
        if (c->lean) {
                fimtab_entry_free(after);
                return 0;
        }
        return fimtab_put(&c->tab, after);
}

static int judge_item(struct run *run, item_t *it)
{
        fimcheck_t *c = run->c;
        _cleanup_fimtab_entry_ fimtab_entry_t *base = NULL;
        _cleanup_fimtab_entry_ fimtab_entry_t *after = NULL;
        const pkgverify_file_t *pk = item_pk(it);
        char pkdigest[PKGVERIFY_DIGEST_STR];
        fim_class_t cls = fimpolicy_classify(it->path);
        change_t ch = { .path = it->path, .cls = cls, .link = it->link, .pk = pk };
        bool pkg_match = false, pkg_known = false, alerted = false, write = false;
        bool judge_new;
        int r;

        if ((r = base_get(c, it->path, &base)) < 0)
                return r;
        ch.before = base;
        if (S_ISREG(it->st.st_mode))
                run->st.files++;
        else if (S_ISDIR(it->st.st_mode))
                run->st.dirs++;
        else if (S_ISLNK(it->st.st_mode))
                run->st.symlinks++;
        else
                run->st.special++;

        if (it->need_hash && !it->hashed) {
                switch (it->err) {
                case -EFBIG:
                        run->st.too_big++;
                        break;
                case -ENOENT:
                case -ELOOP:
                case -ENOTDIR:
                        run->st.vanished++;
                        return 0;
                case -ETIMEDOUT:
                        run->st.timed_out++;
                        file_note(run, it->path, "hashing took too long", it->err);
                        return 0;
                default:
                        run->st.unreadable++;
                        file_note(run, it->path, "cannot read the file", it->err);
                        return 0;
                }
        }
        if (S_ISLNK(it->st.st_mode)) {
                r = fimhash_bytes(c->hash, it->link, strlen(it->link), pk ? pk->algo : 0, &it->dig);
                if (r < 0)
                        return r;
                it->hashed = true;
        }

        after = fimtab_entry_new(it->path);
        if (!after)
                return -ENOMEM;
        fimtab_entry_set_stat(after, &it->st);
        after->source = FIM_SOURCE_BASELINE;
        if (it->hashed) {
                memcpy(after->sha256, it->dig.sha256, HASH_SHA256_LEN);
                after->has_sha256 = true;
                if (S_ISREG(it->st.st_mode)) {
                        run->st.hashed++;
                        run->st.bytes_hashed += it->dig.bytes;
                }
                after->hashed_at = run->now;
                after->rehash_at = fimtab_rehash_time(it->path, run->now, c->o.rehash_interval,
                                                      !base || !base->hashed_at);
        } else if (base && !it->need_hash) {
                /* Unchanged tuple: carry the stored hash and schedule over. */
                after->has_sha256 = base->has_sha256;
                memcpy(after->sha256, base->sha256, HASH_SHA256_LEN);
                after->hashed_at = base->hashed_at;
                after->rehash_at = base->rehash_at;
                if (S_ISREG(it->st.st_mode) || S_ISLNK(it->st.st_mode))
                        run->st.skipped++;
        }

        if (pk) {
                run->st.package_files++;
                pkgverify_digest_str(pk, pkdigest, sizeof(pkdigest));
                if (it->hashed) {
                        pkg_known = true;
                        pkg_match = pkgverify_matches(pk, &it->dig);
                } else if (base && !it->need_hash && base->pkg_digest &&
                           strcmp(base->pkg_digest, pkdigest) == 0 &&
                           base->pkg_state != FIM_PKG_NONE) {
                        pkg_known = true;
                        pkg_match = base->pkg_state == FIM_PKG_OK;
                }
                if (pkg_known) {
                        const pkgverify_pkg_t *p = pkgverify_pkg_of(c->pv, pk);
                        after->source = pkg_match ? FIM_SOURCE_PACKAGE : FIM_SOURCE_BASELINE;
                        after->pkg_state = pkg_match ? FIM_PKG_OK : FIM_PKG_MISMATCH;
                        if (fimtab_entry_set_pkg(after, p->name, pkdigest) < 0)
                                return -ENOMEM;
                }
        }

        if (base) {
                ch.diff = fimtab_entry_diff(base, after);
                if (ch.diff & FIMTAB_DIFF_TYPE)
                        ch.content_changed = true;
                else if (base->has_sha256 && after->has_sha256)
                        ch.content_changed =
                                memcmp(base->sha256, after->sha256, HASH_SHA256_LEN) != 0;
                else if (S_ISREG(after->mode))
                        ch.content_changed = ch.diff & (FIMTAB_DIFF_SIZE | FIMTAB_DIFF_MTIME);
        }
        ch.after = after;
        ch.dig = it->hashed ? &it->dig : NULL;
        ch.flags = base_flags(c, it->path, base, after, pk);
        /* Added files are judged only against a baseline that covered them. */
        judge_new = run->judge && c->had_baseline && !base;
        if (judge_new && !fimpolicy_covers(&c->base_policy, it->path)) {
                judge_new = false;
                run->st.new_coverage++;
        }

        if (pkg_known && !pkg_match) {
                run->st.package_mismatch++;
                ch.rule = FIM_RULE_PACKAGE_MISMATCH;
                ch.content_changed = ch.content_changed || !base;
                if ((r = emit(run, &ch)) < 0)
                        return r;
                alerted = true;
        } else if (pkg_known && pkg_match) {
                /* What the package shipped: a changed content is an upgrade.
                 * A mode or owner change on the same inode is not. */
                if (base && ch.content_changed)
                        run->st.package_accepted++;
                if (run->judge && base && !ch.content_changed && !(ch.diff & FIMTAB_DIFF_INODE) &&
                    (ch.diff & (FIMTAB_DIFF_MODE | FIMTAB_DIFF_UID | FIMTAB_DIFF_GID))) {
                        ch.rule = FIM_RULE_PERMISSIONS;
                        if ((r = emit(run, &ch)) < 0)
                                return r;
                        alerted = true;
                }
        } else if (judge_new) {
                ch.rule = FIM_RULE_ADDED;
                ch.flags |= preload_flag(c, it->path, cls);
                if ((r = emit(run, &ch)) < 0)
                        return r;
                alerted = true;
        } else if (run->judge && base && ch.content_changed) {
                ch.rule = FIM_RULE_MODIFIED;
                ch.flags |= preload_flag(c, it->path, cls);
                if ((r = emit(run, &ch)) < 0)
                        return r;
                alerted = true;
        } else if (run->judge && base &&
                   (ch.diff & (FIMTAB_DIFF_MODE | FIMTAB_DIFF_UID | FIMTAB_DIFF_GID))) {
                ch.rule = FIM_RULE_PERMISSIONS;
                if ((r = emit(run, &ch)) < 0)
                        return r;
                alerted = true;
        }

        /* What to write back. */
        if (run->mode == FIMCHECK_INIT || run->accept_all)
                write = !run->hold || !alerted;
        else if (!alerted && c->had_baseline && !run->hold) {
                /* Nothing to judge: keep the cache fresh, and take package
                 * upgrades and newly installed package files. */
                write = !base || ch.content_changed || ch.diff || it->hashed ||
                        (after->pkg_digest &&
                         (!base->pkg_digest || strcmp(base->pkg_digest, after->pkg_digest) != 0));
                if (!base && !(pkg_known && pkg_match))
                        write = false;
                if (base && ch.content_changed && !(pkg_known && pkg_match))
                        write = false;
        }
        if (!write)
                return 0;
        return accept(run, TAKE_PTR(after));
}

/* A baseline entry (or a package file) that is gone. */
static int judge_gone(struct run *run, fimtab_entry_t *e, const char *path,
                      const pkgverify_file_t *pk)
{
        fimcheck_t *c = run->c;
        change_t ch = { .rule = FIM_RULE_DELETED,
                        .path = path,
                        .cls = fimpolicy_classify(path),
                        .before = e,
                        .pk = pk };
        int r;

        ch.flags = base_flags(c, path, e, NULL, pk);
        if (run->judge && (r = emit(run, &ch)) < 0)
                return r;
        if (pk)
                run->st.package_missing++;
        if (e && (run->accept_all || run->mode == FIMCHECK_INIT) && !run->hold) {
                if (c->o.db && (r = fimdb_delete(c->o.db, path)) < 0)
                        return r;
                fimtab_remove(&c->tab, path);
        }
        return 0;
}

static bool under_any(const char *path, const char *const *scopes, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(scopes[i]);
                if (strcmp(scopes[i], "/") == 0 ||
                    (strncmp(path, scopes[i], len) == 0 && (path[len] == 0 || path[len] == '/')))
                        return true;
        }
        return false;
}

/* ---- runs ---- */

static void run_free(struct run *run)
{
        for (size_t i = 0; i < run->n; i++) {
                free(run->items[i].path);
                free(run->items[i].link);
        }
        free(run->items);
        free(run->set);
}

static void add_stats(fimcheck_stats_t *t, const fimcheck_stats_t *s)
{
        t->files += s->files;
        t->dirs += s->dirs;
        t->symlinks += s->symlinks;
        t->special += s->special;
        t->hashed += s->hashed;
        t->skipped += s->skipped;
        t->bytes_hashed += s->bytes_hashed;
        t->package_files += s->package_files;
        t->package_mismatch += s->package_mismatch;
        t->package_missing += s->package_missing;
        t->package_accepted += s->package_accepted;
        t->added += s->added;
        t->modified += s->modified;
        t->deleted += s->deleted;
        t->permissions += s->permissions;
        t->alerts += s->alerts;
        t->deferred += s->deferred;
        t->new_coverage += s->new_coverage;
        t->vanished += s->vanished;
        t->unreadable += s->unreadable;
        t->too_big += s->too_big;
        t->timed_out += s->timed_out;
}

/* Decide which items to hash and hash them. */
static int hash_phase(struct run *run)
{
        fimcheck_t *c = run->c;
        _cleanup_free_ size_t *todo = NULL;
        size_t n_todo = 0;

        todo = malloc((run->n ? run->n : 1) * sizeof(*todo));
        if (!todo)
                return -ENOMEM;
        for (size_t i = 0; i < run->n; i++) {
                item_t *it = &run->items[i];
                _cleanup_fimtab_entry_ fimtab_entry_t *base = NULL;
                const pkgverify_file_t *pk = item_pk(it);
                int r;
                if (!S_ISREG(it->st.st_mode))
                        continue;
                if (run->mode != FIMCHECK_INIT && (r = base_get(c, it->path, &base)) < 0)
                        return r;
                it->algos = FIMHASH_SHA256 | (pk ? pk->algo : 0);
                it->need_hash = !base || !fimtab_can_skip(base, &it->st, run->now);
                if (!it->need_hash && pk) {
                        char d[PKGVERIFY_DIGEST_STR];
                        /* A package digest that changed since the file was
                         * last compared needs a fresh look. */
                        pkgverify_digest_str(pk, d, sizeof(d));
                        if (!base->pkg_digest || strcmp(base->pkg_digest, d) != 0 ||
                            base->pkg_state == FIM_PKG_NONE)
                                it->need_hash = true;
                }
                if (it->need_hash)
                        todo[n_todo++] = i;
        }
        return hash_items(run, todo, n_todo);
}

/* Baseline paths in scope that the run did not meet. */
struct gone_ctx {
        struct run *run;
        strv_t *gone;
};

static int gone_cb(const char *path, uint32_t mode, void *userdata)
{
        struct gone_ctx *g = userdata;

        (void)mode;
        return set_has(g->run, path) ? 0 : strv_push(g->gone, path);
}

/* Package files in scope that the run did not meet, with their digests. */
typedef struct missing {
        char *path;
        pkgverify_file_t f;
} missing_t;

struct missing_ctx {
        struct run *run;
        missing_t *v;
        size_t n, cap;
};

static int missing_cb(const pkgverify_file_t *f, void *userdata)
{
        struct missing_ctx *m = userdata;

        if (f->pkg >= m->run->c->pv->n_pkgs || set_has(m->run, f->path))
                return 0;
        if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 16;
                missing_t *v = realloc(m->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                m->v = v;
                m->cap = cap;
        }
        m->v[m->n].f = *f;
        m->v[m->n].f.path = NULL;
        if (!(m->v[m->n].path = strdup(f->path)))
                return -ENOMEM;
        m->n++;
        return 0;
}

static void missing_clear(struct missing_ctx *m)
{
        for (size_t i = 0; i < m->n; i++)
                free(m->v[i].path);
        free(m->v);
}

/* Judge the package file F at PATH that the run did not meet. */
static int judge_missing(struct run *run, const char *path, const pkgverify_file_t *f, bool full,
                         const char *const *scopes, size_t n_scopes)
{
        fimcheck_t *c = run->c;
        struct stat st;
        int r;

        if ((r = base_has(c, path)) != 0)
                return r < 0 ? r : 0;
        if (!full && !under_any(path, scopes, n_scopes))
                return 0;
        if (fimpolicy_excluded(c->o.policy, path))
                return 0;
        r = rootfs_stat(c->o.root, path, false, &st);
        if (r == 0 || (r != -ENOENT && r != -ENOTDIR))
                return 0;
        return judge_gone(run, NULL, path, f);
}

static int judge_phase(struct run *run, const char *const *scopes, size_t n_scopes, bool full)
{
        fimcheck_t *c = run->c;
        int r;

        for (size_t i = 0; i < run->n; i++)
                if ((r = judge_item(run, &run->items[i])) < 0)
                        return r;
        /* Baseline entries not met: deleted, or no longer covered. Collect
         * first, since judging changes the table. */
        {
                _cleanup_(strv_clear) strv_t gone = { 0 };
                if (c->lean) {
                        struct gone_ctx g = { run, &gone };
                        for (size_t i = 0; i < (full ? 1 : n_scopes); i++)
                                if ((r = fimdb_foreach_under(c->o.db, full ? "/" : scopes[i],
                                                             gone_cb, &g)) < 0)
                                        return r;
                } else {
                        for (size_t i = 0; i < c->tab.cap; i++) {
                                fimtab_entry_t *e = fimtab_at(&c->tab, i);
                                if (!e || set_has(run, e->path))
                                        continue;
                                if (!full && !under_any(e->path, scopes, n_scopes))
                                        continue;
                                if ((r = strv_push(&gone, e->path)) < 0)
                                        return r;
                        }
                }
                for (size_t i = 0; i < gone.n; i++) {
                        _cleanup_fimtab_entry_ fimtab_entry_t *e = NULL;
                        pkgverify_file_t pf;
                        struct stat st;
                        int has_pk;
                        if ((r = base_get(c, gone.v[i], &e)) < 0)
                                return r;
                        if (!e)
                                continue;
                        if (!fimpolicy_covers(c->o.policy, e->path)) {
                                /* The policy no longer covers it. */
                                if ((run->accept_all || run->mode == FIMCHECK_INIT) && !run->hold) {
                                        if (c->o.db && (r = fimdb_delete(c->o.db, e->path)) < 0)
                                                return r;
                                        fimtab_remove(&c->tab, e->path);
                                }
                                continue;
                        }
                        /* It may only have been skipped (a walk error, an
                         * exclusion inside a covered tree): gone means gone. */
                        r = rootfs_stat(c->o.root, e->path, false, &st);
                        if (r == 0 || (r != -ENOENT && r != -ENOTDIR))
                                continue;
                        if ((has_pk = pk_lookup(c, gone.v[i], &pf)) < 0)
                                return has_pk;
                        if ((r = judge_gone(run, e, gone.v[i], has_pk ? &pf : NULL)) < 0)
                                return r;
                }
        }
        /* Package files in scope that do not exist at all. */
        if (c->pv && (full || n_scopes)) {
                if (c->lean) {
                        struct missing_ctx m = { .run = run };
                        r = 0;
                        for (size_t i = 0; i < (full ? 1 : n_scopes) && r == 0; i++)
                                r = fimdb_pkgfiles_foreach_under(c->o.db, full ? "/" : scopes[i],
                                                                 missing_cb, &m);
                        for (size_t i = 0; i < m.n && r == 0; i++)
                                r = judge_missing(run, m.v[i].path, &m.v[i].f, full, scopes,
                                                  n_scopes);
                        missing_clear(&m);
                        if (r < 0)
                                return r;
                } else {
                        for (size_t i = 0; i < c->pv->n_files; i++) {
                                const pkgverify_file_t *f = &c->pv->files[i];
                                if (set_has(run, f->path))
                                        continue;
                                if ((r = judge_missing(run, f->path, f, full, scopes, n_scopes)) <
                                    0)
                                        return r;
                        }
                }
        }
        return 0;
}

static json_t *patterns_json(const fimpolicy_t *p, bool exclude)
{
        json_t *a = json_array();

        if (!a)
                return NULL;
        if (exclude)
                for (size_t i = 0; i < p->exclude.n; i++)
                        json_array_append_new(a, jsonx_string_lossy(p->exclude.v[i]));
        else
                for (size_t i = 0; i < p->n_include; i++)
                        json_array_append_new(a, jsonx_string_lossy(p->include[i].pattern));
        return a;
}

static int set_meta_json(fimdb_t *db, const char *key, json_t *v)
{
        char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
        int r;

        json_decref(v);
        if (!s)
                return -ENOMEM;
        r = fimdb_meta_set(db, key, s);
        free(s);
        return r;
}

/* The baseline now covers the current policy. */
static int adopt_policy(fimcheck_t *c)
{
        fimpolicy_t p = { 0 };
        int r = 0;

        for (size_t i = 0; i < c->o.policy->n_include && r == 0; i++)
                r = fimpolicy_add(&p, c->o.policy->include[i].pattern);
        for (size_t i = 0; i < c->o.policy->exclude.n && r == 0; i++)
                r = fimpolicy_add_exclude(&p, c->o.policy->exclude.v[i]);
        if (r < 0) {
                fimpolicy_clear(&p);
                return r;
        }
        fimpolicy_clear(&c->base_policy);
        c->base_policy = p;
        return 0;
}

static int write_meta(struct run *run)
{
        fimcheck_t *c = run->c;
        fimdb_t *db = c->o.db;
        int r;

        if ((r = fimdb_meta_set(db, FIMDB_META_ROOT, c->o.root->path)) < 0)
                return r;
        if (run->mode == FIMCHECK_INIT || !c->had_baseline)
                if ((r = fimdb_meta_set_int(db, FIMDB_META_CREATED, run->now)) < 0)
                        return r;
        if ((r = fimdb_meta_set_int(db, FIMDB_META_UPDATED, run->now)) < 0 ||
            (r = set_meta_json(db, FIMDB_META_INCLUDE, patterns_json(c->o.policy, false))) < 0 ||
            (r = set_meta_json(db, FIMDB_META_EXCLUDE, patterns_json(c->o.policy, true))) < 0)
                return r;
        return 0;
}

static void report_stats(report_t *rep, const fimcheck_stats_t *s)
{
        const struct {
                const char *name;
                unsigned long long v;
        } counters[] = {
                { "files", s->files },
                { "directories", s->dirs },
                { "symlinks", s->symlinks },
                { "special", s->special },
                { "hashed", s->hashed },
                { "skipped_unchanged", s->skipped },
                { "bytes_hashed", s->bytes_hashed },
                { "package_files_seen", s->package_files },
                { "package_mismatch", s->package_mismatch },
                { "package_missing", s->package_missing },
                { "package_accepted", s->package_accepted },
                { "alerts", s->alerts },
                { "deferred", s->deferred },
                { "new_coverage", s->new_coverage },
                { "vanished", s->vanished },
                { "unreadable", s->unreadable },
                { "too_big", s->too_big },
                { "timed_out", s->timed_out },
        };

        for (size_t i = 0; i < ELEMENTSOF(counters); i++)
                (void)report_count(rep, "fim", counters[i].name, (long long)counters[i].v);
}

static int run_full(fimcheck_t *c, fimcheck_mode_t mode, fimcheck_stats_t *ret);

int fimcheck_run(fimcheck_t *c, fimcheck_mode_t mode, fimcheck_stats_t *ret)
{
        bool was_lean = c->lean;
        int r;

        if ((r = load_all(c)) < 0)
                return r;
        r = run_full(c, mode, ret);
        if (was_lean) {
                int k = fimcheck_release(c);
                if (r == 0)
                        r = k;
        }
        return r;
}

static int run_full(fimcheck_t *c, fimcheck_mode_t mode, fimcheck_stats_t *ret)
{
        struct run run = { .c = c, .mode = mode, .walk_dirs = true };
        bool in_tx = false;
        int r;

        if ((r = need_hash(c)) < 0 || (r = need_canon(c)) < 0)
                return r;

        run.now = c->o.now ? c->o.now : timeutil_now_us() / 1000000;
        if (c->root_mismatch && mode != FIMCHECK_INIT) {
                (void)report_note(c->o.report, REPORT_NOTE_ERROR, c->o.db_display,
                                  "the baseline was built for root '%s', not '%s'; use another "
                                  "--state directory for each root, or 'vigil fim init' to "
                                  "replace it",
                                  c->stored_root, c->o.root->path);
                return -EXDEV;
        }
        if ((r = pkgmgr_probe(c->o.root, c->o.host_processes, &run.st.pm)) < 0)
                run.st.pm = (pkgmgr_state_t){ 0 };
        if (run.st.pm.holder_untrusted)
                (void)report_note(c->o.report, REPORT_NOTE_WARNING, "fim",
                                  "a package manager lock is held by process %d (%s), which is "
                                  "not a package manager; changes are judged as usual",
                                  (int)run.st.pm.untrusted_pid, run.st.pm.untrusted_name);
        if (mode == FIMCHECK_INIT) {
                fimtab_clear(&c->tab);
                c->had_baseline = false;
        }
        run.judge = mode != FIMCHECK_INIT;
        run.accept_all = mode == FIMCHECK_UPDATE;
        if (run.st.pm.running) {
                if (mode == FIMCHECK_CHECK)
                        run.hold = true;
                (void)report_note(c->o.report, REPORT_NOTE_WARNING, "fim",
                                  "a package manager is running (%s, pid %d, seen by %s): %s",
                                  run.st.pm.name, (int)run.st.pm.pid, run.st.pm.via,
                                  mode == FIMCHECK_CHECK
                                          ? "changes are not judged now; check again when it "
                                            "has finished"
                                          : "files it is changing may be recorded half-way");
        }
        run.st.had_baseline = c->had_baseline;
        if (mode == FIMCHECK_CHECK && !c->had_baseline)
                (void)report_note(c->o.report, REPORT_NOTE_INFO, "fim",
                                  "no baseline yet: only package-owned files were verified; run "
                                  "'vigil fim init' to record the other critical files");

        if (c->o.progress)
                progress_update(c->o.progress, "fim: listing files", 0, 0);
        r = fimpolicy_expand(c->o.policy, c->o.root, c->o.report, on_root, &run);
        if (r < 0)
                goto out;
        if ((r = hash_phase(&run)) < 0)
                goto out;
        if (c->o.db && (mode != FIMCHECK_CHECK || c->had_baseline)) {
                if ((r = fimdb_begin(c->o.db)) < 0)
                        goto out;
                in_tx = true;
                if (mode == FIMCHECK_INIT && (r = fimdb_clear(c->o.db)) < 0)
                        goto out;
        } else {
                /* Nothing may be written: judge against a store-less table. */
                fimdb_t *db = c->o.db;
                c->o.db = NULL;
                r = judge_phase(&run, NULL, 0, true);
                c->o.db = db;
                if (r < 0)
                        goto out;
                goto done;
        }
        if ((r = judge_phase(&run, NULL, 0, true)) < 0)
                goto out;
        if (mode != FIMCHECK_CHECK) {
                if ((r = write_meta(&run)) < 0)
                        goto out;
                if ((r = adopt_policy(c)) < 0)
                        goto out;
                c->had_baseline = true;
        } else if ((r = fimdb_meta_set_int(c->o.db, FIMDB_META_CHECKED, run.now)) < 0)
                goto out;
        if ((r = fimdb_commit(c->o.db)) < 0)
                goto out;
        in_tx = false;
done:
        report_stats(c->o.report, &run.st);
        add_stats(&c->totals, &run.st);
        c->totals.pm = run.st.pm;
        c->totals.had_baseline = c->had_baseline;
        if (ret)
                *ret = run.st;
        r = 0;
out:
        if (in_tx)
                fimdb_rollback(c->o.db);
        if (r < 0 && mode == FIMCHECK_INIT)
                fimtab_clear(&c->tab);
        run_free(&run);
        return r;
}

static int partial(fimcheck_t *c, const char *path, const fim_actor_t *actor, bool tree, bool judge)
{
        struct run run = { .c = c,
                           .mode = FIMCHECK_UPDATE,
                           .accept_all = true,
                           .judge = judge,
                           .walk_dirs = tree,
                           .actor = actor };
        const char *scopes[1] = { path };
        bool in_tx = false;
        int r;

        run.now = timeutil_now_us() / 1000000;
        if (!fimpolicy_covers(c->o.policy, path) && (r = base_has(c, path)) <= 0)
                return r;
        if ((r = need_hash(c)) < 0)
                return r;
        r = collect_path(&run, path);
        if (r < 0)
                goto out;
        if ((r = hash_phase(&run)) < 0)
                goto out;
        if (c->o.db) {
                if ((r = fimdb_begin(c->o.db)) < 0)
                        goto out;
                in_tx = true;
        }
        if (tree)
                r = judge_phase(&run, scopes, 1, false);
        else {
                /* One path: the item itself, or its absence. */
                for (size_t i = 0; i < run.n && r == 0; i++)
                        r = judge_item(&run, &run.items[i]);
                if (r == 0 && run.n == 0) {
                        _cleanup_fimtab_entry_ fimtab_entry_t *e = NULL;
                        pkgverify_file_t pf;
                        int has_pk = 0;
                        if ((r = base_get(c, path, &e)) == 0 &&
                            (has_pk = pk_lookup(c, path, &pf)) < 0)
                                r = has_pk;
                        if (r == 0 && (e || has_pk))
                                r = judge_gone(&run, e, path, has_pk ? &pf : NULL);
                }
        }
        if (r < 0)
                goto out;
        if (in_tx) {
                if ((r = fimdb_commit(c->o.db)) < 0)
                        goto out;
                in_tx = false;
        }
        add_stats(&c->totals, &run.st);
out:
        if (in_tx)
                fimdb_rollback(c->o.db);
        run_free(&run);
        if (c->lean) {
                /* The read buffer is only worth keeping during a pass. */
                fimhash_free(c->hash);
                c->hash = NULL;
        }
        return r;
}

int fimcheck_path(fimcheck_t *c, const char *path, const fim_actor_t *actor, bool judge)
{
        return partial(c, path, actor, false, judge);
}

int fimcheck_tree(fimcheck_t *c, const char *path, const fim_actor_t *actor, bool judge)
{
        return partial(c, path, actor, true, judge);
}
