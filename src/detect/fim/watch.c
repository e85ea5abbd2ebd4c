#include "detect/fim/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "core/walk.h"

#define INOTIFY_MASK                                                                               \
        (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM |          \
         IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK | IN_ONLYDIR)
#define FANOTIFY_MASK (FAN_MODIFY | FAN_CLOSE_WRITE)
/* How often the package manager is looked for while paths are held. */
#define PM_POLL_US 1000000
/* Bytes read from the event descriptors per call. */
#define EVENT_BUF (64 * KiB)

/* A string-keyed map (open addressing, backward-shift removal). */
typedef struct smap_slot {
        char *key; /* owned; NULL: empty */
        void *value;
} smap_slot_t;

typedef struct smap {
        smap_slot_t *v;
        size_t cap, n;
} smap_t;

static size_t smap_home(const smap_t *m, const char *key)
{
        return (size_t)hash_fnv1a(key, strlen(key)) & (m->cap - 1);
}

static smap_slot_t *smap_find(const smap_t *m, const char *key)
{
        if (!m->cap)
                return NULL;
        for (size_t i = smap_home(m, key);; i = (i + 1) & (m->cap - 1)) {
                if (!m->v[i].key)
                        return NULL;
                if (strcmp(m->v[i].key, key) == 0)
                        return &m->v[i];
        }
}

static int smap_grow(smap_t *m)
{
        size_t cap = m->cap ? m->cap * 2 : 64;
        smap_slot_t *old = m->v, *v = calloc(cap, sizeof(*v));

        if (!v)
                return -ENOMEM;
        m->v = v;
        for (size_t i = 0; i < m->cap; i++) {
                size_t j;
                if (!old[i].key)
                        continue;
                for (j = (size_t)hash_fnv1a(old[i].key, strlen(old[i].key)) & (cap - 1); v[j].key;
                     j = (j + 1) & (cap - 1))
                        ;
                v[j] = old[i];
        }
        free(old);
        m->cap = cap;
        return 0;
}

/* Insert KEY (copied) with VALUE; an existing key keeps its value and
 * *RET_SLOT points at it. Returns 0, 1 when the key was there, -ENOMEM. */
static int smap_put(smap_t *m, const char *key, void *value, smap_slot_t **ret_slot)
{
        smap_slot_t *s = smap_find(m, key);
        size_t i;

        if (s) {
                if (ret_slot)
                        *ret_slot = s;
                return 1;
        }
        if ((m->n + 1) * 2 > m->cap && smap_grow(m) < 0)
                return -ENOMEM;
        for (i = smap_home(m, key); m->v[i].key; i = (i + 1) & (m->cap - 1))
                ;
        m->v[i].key = strdup(key);
        if (!m->v[i].key)
                return -ENOMEM;
        m->v[i].value = value;
        m->n++;
        if (ret_slot)
                *ret_slot = &m->v[i];
        return 0;
}

/* Remove KEY; returns its value (the caller frees it) or NULL. */
static void *smap_del(smap_t *m, const char *key)
{
        smap_slot_t *s = smap_find(m, key);
        size_t i, j, mask = m->cap - 1;
        void *value;

        if (!s)
                return NULL;
        value = s->value;
        free(s->key);
        i = (size_t)(s - m->v);
        m->v[i] = (smap_slot_t){ 0 };
        m->n--;
        for (j = (i + 1) & mask; m->v[j].key; j = (j + 1) & mask) {
                size_t home = smap_home(m, m->v[j].key);
                bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
                if (in_range)
                        continue;
                m->v[i] = m->v[j];
                m->v[j] = (smap_slot_t){ 0 };
                i = j;
        }
        return value;
}

static void smap_clear(smap_t *m, bool free_values)
{
        for (size_t i = 0; i < m->cap; i++) {
                free(m->v[i].key);
                if (free_values)
                        free(m->v[i].value);
        }
        free(m->v);
        *m = (smap_t){ 0 };
}

/* A path waiting to be judged. */
typedef struct pending {
        int64_t due_us;     /* judge when the monotonic clock passes this */
        fim_actor_t actor;  /* the last writer fanotify named */
        bool tree;          /* a directory appeared, vanished or moved: judge below it too */
        bool held;          /* waiting for a package manager */
        int64_t held_since; /* monotonic */
} pending_t;

/* A directory to watch, with its rank (lower is more important). */
typedef struct wdir {
        char *path;
        int rank;
        unsigned depth;
} wdir_t;

struct fimwatch {
        fimwatch_opts_t o;
        int epfd, ifd, ffd;
        char *root_canon; /* the root's host path, "" for "/" */
        char **wdpath;    /* inotify wd -> watched directory (a key of WATCHED), NULL when free */
        size_t wdcap;
        smap_t watched;   /* directory -> (void *)(intptr_t)wd; owns the strings of WDPATH */
        smap_t unwatched; /* directories checked periodically */
        strv_t topmost;   /* unwatched directories whose parent is watched */
        smap_t pending;   /* path -> pending_t* */
        smap_t fs_marked; /* file systems (by device number) with a fanotify mark */
        long long limit;
        size_t n_watches;
        bool rescan_all;
        bool pm_running;
        int64_t pm_checked_us;
        int64_t next_periodic_us;
        fimwatch_status_t st;
        char *buf;
};

static int rank_of(fim_class_t c)
{
        switch (c) {
        case FIM_CLASS_PRELOAD:
                return 0;
        case FIM_CLASS_AUTH:
                return 1;
        case FIM_CLASS_LOADER:
                return 2;
        case FIM_CLASS_PERSIST:
                return 3;
        case FIM_CLASS_BINARY:
                return 4;
        case FIM_CLASS_OTHER:
                break;
        }
        return 5;
}

static unsigned depth_of(const char *path)
{
        unsigned d = 0;
        for (const char *p = path; *p; p++)
                d += *p == '/';
        return d;
}

static char *parent_of(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!slash || slash == path)
                return strdup("/");
        return str_ndup(path, (size_t)(slash - path));
}

/* The host path of FD inside the root, or NULL. Caller frees. */
static char *fd_to_rel(const fimwatch_t *w, int fd)
{
        char proc[64], buf[PATH_MAX + 1];
        size_t rn = strlen(w->root_canon);
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n <= 0 || (size_t)n >= sizeof(buf) - 1)
                return NULL;
        buf[n] = 0;
        if (buf[0] != '/' || str_endswith(buf, " (deleted)"))
                return NULL;
        if (strncmp(buf, w->root_canon, rn) != 0 || (buf[rn] != '/' && buf[rn] != 0))
                return NULL;
        return strdup(buf[rn] ? buf + rn : "/");
}

/* True when PATH is covered or known, i.e. worth judging. A store that
 * cannot be read makes it worth judging: the judgement reports the error. */
static bool interesting(const fimwatch_t *w, const char *path)
{
        return fimpolicy_covers(w->o.policy, path) || fimcheck_known(w->o.check, path) != 0;
}

/* True when directory PATH lies on the way to an include pattern: a
 * pattern's leading components match PATH. */
static bool pattern_ancestor(const fimwatch_t *w, const char *path)
{
        size_t n = strlen(path);

        for (size_t i = 0; i < w->o.policy->n_include; i++) {
                const char *p = w->o.policy->include[i].pattern;
                if (strncmp(p, path, n) == 0 && p[n] == '/')
                        return true;
        }
        return false;
}

static int queue(fimwatch_t *w, const char *path, bool tree, const fim_actor_t *actor,
                 int64_t now_us)
{
        smap_slot_t *s;
        pending_t *p;
        int r;

        if (w->pending.n >= FIMWATCH_MAX_PENDING && !smap_find(&w->pending, path)) {
                w->rescan_all = true;
                return 0;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        r = smap_put(&w->pending, path, p, &s);
        if (r < 0) {
                free(p);
                return r;
        }
        if (r == 1) {
                free(p);
                p = s->value;
        }
        p->due_us = now_us + w->o.settle_us;
        p->tree = p->tree || tree;
        if (actor && actor->pid > 0)
                p->actor = *actor;
        return 0;
}

/* ---- adding watches ---- */

static int add_watch(fimwatch_t *w, const char *dir)
{
        smap_slot_t *slot;
        char proc[64];
        int fd, wd, err;

        if (smap_find(&w->watched, dir))
                return 0;
        if (w->limit > 0 && (long long)w->n_watches >= w->limit)
                return -ENOSPC;
        fd = rootfs_openat(w->o.root, dir, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return fd;
        /* The watch goes through the descriptor, so the directory is the one
         * resolved inside the root whatever the path's symlinks say. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        wd = inotify_add_watch(w->ifd, proc, INOTIFY_MASK);
        err = errno;
        close(fd);
        if (wd < 0)
                return -err;
        if ((size_t)wd >= w->wdcap) {
                size_t cap = w->wdcap ? w->wdcap : 256;
                char **v;
                while (cap <= (size_t)wd)
                        cap *= 2;
                v = realloc(w->wdpath, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                memset(v + w->wdcap, 0, (cap - w->wdcap) * sizeof(*v));
                w->wdpath = v;
                w->wdcap = cap;
        }
        if (smap_put(&w->watched, dir, (void *)(intptr_t)wd, &slot) < 0)
                return -ENOMEM;
        /* One copy of the path: the map's key. A second path to the same
         * directory gets the same descriptor and keeps the first name. */
        if (!w->wdpath[wd]) {
                w->wdpath[wd] = slot->key;
                w->n_watches++;
        }
        (void)smap_del(&w->unwatched, dir);
        return 0;
}

static int mark_fanotify(fimwatch_t *w, const char *dir)
{
        char proc[64], key[32];
        struct stat st;
        int fd, r;

        if (w->ffd < 0)
                return 0;
        fd = rootfs_openat(w->o.root, dir, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return 0;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return 0;
        }
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        snprintf(key, sizeof(key), "%llu", (unsigned long long)st.st_dev);
        if (strcmp(w->st.fanotify, "filesystem") == 0) {
                if (smap_find(&w->fs_marked, key)) {
                        close(fd);
                        return 0;
                }
                r = fanotify_mark(w->ffd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FANOTIFY_MASK,
                                  AT_FDCWD, proc);
                if (r == 0) {
                        close(fd);
                        w->st.fanotify_marks++;
                        return smap_put(&w->fs_marked, key, NULL, NULL) < 0 ? -ENOMEM : 0;
                }
                /* Some file systems refuse whole-file-system marks; mark
                 * directories one by one from here on. */
                snprintf(w->st.fanotify_why, sizeof(w->st.fanotify_why),
                         "file-system marks refused (%s); directories are marked one by one",
                         strerror(errno));
                w->st.fanotify = "inode";
        }
        r = fanotify_mark(w->ffd, FAN_MARK_ADD, FANOTIFY_MASK | FAN_EVENT_ON_CHILD, AT_FDCWD, proc);
        close(fd);
        if (r == 0)
                w->st.fanotify_marks++;
        return 0;
}

static int wdir_cmp(const void *a, const void *b)
{
        const wdir_t *x = a, *y = b;

        if (x->rank != y->rank)
                return x->rank - y->rank;
        if (x->depth != y->depth)
                return x->depth < y->depth ? -1 : 1;
        return strcmp(x->path, y->path);
}

/* Note DIR (with the class of what it holds) for watching. */
static int want_dir(smap_t *dirs, const char *dir, fim_class_t cls)
{
        smap_slot_t *s;
        int rank = rank_of(cls), r;

        r = smap_put(dirs, dir, (void *)(intptr_t)(rank + 1), &s);
        if (r < 0)
                return r;
        if (r == 1 && (intptr_t)s->value > rank + 1)
                s->value = (void *)(intptr_t)(rank + 1);
        return 0;
}

/* The deepest existing directory on the way to PATTERN. */
static char *deepest_existing(const fimwatch_t *w, const fimpolicy_pattern_t *pp)
{
        _cleanup_free_ char *p = str_ndup(pp->pattern, pp->literal_len);
        char *slash;

        if (!p)
                return NULL;
        for (;;) {
                struct stat st;
                if (rootfs_stat(w->o.root, *p ? p : "/", false, &st) == 0 && S_ISDIR(st.st_mode))
                        return strdup(*p ? p : "/");
                slash = strrchr(p, '/');
                if (!slash)
                        return strdup("/");
                *slash = 0;
        }
}

static int count_file(const char *path, uint32_t mode, void *userdata)
{
        fimwatch_t *w = userdata;
        _cleanup_free_ char *parent = NULL;

        if (S_ISDIR(mode))
                return 0;
        parent = parent_of(path);
        if (!parent)
                return -ENOMEM;
        if (smap_find(&w->unwatched, parent))
                w->st.unwatched_files++;
        return 0;
}

static int count_unwatched(fimwatch_t *w)
{
        w->st.unwatched_files = 0;
        w->st.unwatched_dirs = w->unwatched.n;
        if (!w->unwatched.n)
                return 0;
        return fimcheck_foreach(w->o.check, count_file, w);
}

/* Recompute the unwatched directories whose parent is watched (or is not a
 * directory we care about): checking those trees covers every unwatched
 * directory once. */
static int compute_topmost(fimwatch_t *w)
{
        strv_clear(&w->topmost);
        for (size_t i = 0; i < w->unwatched.cap; i++) {
                const char *d = w->unwatched.v[i].key;
                _cleanup_free_ char *parent = NULL;
                bool top = true;
                if (!d)
                        continue;
                for (parent = parent_of(d); parent && strcmp(parent, "/") != 0;) {
                        char *up;
                        if (smap_find(&w->unwatched, parent)) {
                                top = false;
                                break;
                        }
                        up = parent_of(parent);
                        free(parent);
                        parent = up;
                }
                if (!parent)
                        return -ENOMEM;
                if (top && strv_push(&w->topmost, d) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int want_entry(const char *path, uint32_t mode, void *userdata)
{
        smap_t *dirs = userdata;
        _cleanup_free_ char *parent = NULL;

        if (S_ISDIR(mode))
                return want_dir(dirs, path, fimpolicy_classify(path));
        parent = parent_of(path);
        if (!parent)
                return -ENOMEM;
        return want_dir(dirs, parent, fimpolicy_classify(path));
}

static int setup_watches(fimwatch_t *w)
{
        smap_t dirs = { 0 };
        wdir_t *list = NULL;
        size_t n = 0;
        int r;

        r = fimcheck_foreach(w->o.check, want_entry, &dirs);
        for (size_t i = 0; i < w->o.policy->n_include && r == 0; i++) {
                const fimpolicy_pattern_t *pp = &w->o.policy->include[i];
                _cleanup_free_ char *d = deepest_existing(w, pp);
                if (!d)
                        r = -ENOMEM;
                else
                        r = want_dir(&dirs, d, fimpolicy_classify(pp->pattern));
        }
        if (r < 0)
                goto out;
        list = calloc(dirs.n ? dirs.n : 1, sizeof(*list));
        if (!list) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < dirs.cap; i++)
                if (dirs.v[i].key)
                        list[n++] = (wdir_t){ dirs.v[i].key, (int)(intptr_t)dirs.v[i].value - 1,
                                              depth_of(dirs.v[i].key) };
        qsort(list, n, sizeof(*list), wdir_cmp);
        w->st.dirs = n;
        for (size_t i = 0; i < n; i++) {
                r = add_watch(w, list[i].path);
                if (r == -ENOMEM)
                        goto out;
                if (r < 0) {
                        /* Over the limit, refused, or gone: checked periodically. */
                        r = smap_put(&w->unwatched, list[i].path, NULL, NULL);
                        if (r < 0)
                                goto out;
                }
                r = mark_fanotify(w, list[i].path);
                if (r < 0)
                        goto out;
        }
        w->st.watched_dirs = w->n_watches;
        if ((r = count_unwatched(w)) < 0 || (r = compute_topmost(w)) < 0)
                goto out;
out:
        free(list);
        smap_clear(&dirs, false);
        return r;
}

static long long kernel_watch_limit(void)
{
        char buf[32] = "";
        unsigned long long v;
        ssize_t n;
        int fd = open("/proc/sys/fs/inotify/max_user_watches", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return 8192;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 8192;
        buf[n] = 0;
        if (str_to_u64(str_strip(buf), &v) < 0 || v == 0)
                return 8192;
        return (long long)(v / 2 ? v / 2 : 1);
}

static void setup_fanotify(fimwatch_t *w)
{
        w->st.fanotify = "off";
        if (!w->o.fanotify) {
                snprintf(w->st.fanotify_why, sizeof(w->st.fanotify_why),
                         "turned off (fim.fanotify: false)");
                return;
        }
        w->ffd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
                               O_RDONLY | O_LARGEFILE | O_CLOEXEC);
        if (w->ffd < 0) {
                snprintf(w->st.fanotify_why, sizeof(w->st.fanotify_why), "%s%s", strerror(errno),
                         errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
                return;
        }
        w->st.fanotify = "filesystem";
}

int fimwatch_new(const fimwatch_opts_t *o, fimwatch_t **ret)
{
        fimwatch_t *w = calloc(1, sizeof(*w));
        struct epoll_event ev = { .events = EPOLLIN };
        int r;

        if (!w)
                return -ENOMEM;
        /* From here on the check answers single paths: what it holds for
         * whole passes goes back to the store, before the watcher's own
         * structures are made, so these are not strewn among its holes. */
        r = fimcheck_release(o->check);
        if (r < 0)
                (void)report_note(o->report, REPORT_NOTE_WARNING, "fim",
                                  "cannot move the package digests to the store (%s); they stay "
                                  "in memory",
                                  strerror(-r));
        w->o = *o;
        w->epfd = w->ifd = w->ffd = -1;
        if (w->o.settle_us <= 0)
                w->o.settle_us = 200000;
        if (w->o.periodic_us <= 0)
                w->o.periodic_us = 600 * 1000000LL;
        w->buf = malloc(EVENT_BUF);
        if (!w->buf) {
                r = -ENOMEM;
                goto fail;
        }
        if (o->root->is_host)
                w->root_canon = strdup("");
        else {
                char proc[64], buf[PATH_MAX + 1];
                ssize_t n;
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->root->fd);
                n = readlink(proc, buf, sizeof(buf) - 1);
                if (n <= 0 || (size_t)n >= sizeof(buf) - 1) {
                        r = n < 0 ? -errno : -ENAMETOOLONG;
                        goto fail;
                }
                buf[n] = 0;
                w->root_canon = strdup(strcmp(buf, "/") == 0 ? "" : buf);
        }
        if (!w->root_canon) {
                r = -ENOMEM;
                goto fail;
        }
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->epfd < 0 || w->ifd < 0) {
                r = -errno;
                (void)report_note(o->report, REPORT_NOTE_ERROR, "fim", "cannot start inotify: %s",
                                  strerror(-r));
                goto fail;
        }
        ev.data.fd = w->ifd;
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ifd, &ev) < 0) {
                r = -errno;
                goto fail;
        }
        setup_fanotify(w);
        if (w->ffd >= 0) {
                ev.data.fd = w->ffd;
                if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ffd, &ev) < 0) {
                        r = -errno;
                        goto fail;
                }
        }
        w->limit = o->max_watches > 0 ? o->max_watches : kernel_watch_limit();
        w->st.watch_limit = w->limit;
        if ((r = setup_watches(w)) < 0)
                goto fail;
        if (w->ffd >= 0 && w->st.fanotify_marks == 0) {
                snprintf(w->st.fanotify_why, sizeof(w->st.fanotify_why), "no mark could be placed");
                w->st.fanotify = "off";
        }
        w->next_periodic_us = timeutil_mono_us() + w->o.periodic_us;
        if (w->st.unwatched_dirs)
                (void)report_note(o->report, REPORT_NOTE_WARNING, "fim",
                                  "inotify watches: %zu of %zu directories watched (limit %lld); "
                                  "%zu directories holding %zu files are covered only by periodic "
                                  "checks every %lld s%s",
                                  w->st.watched_dirs, w->st.dirs, w->limit, w->st.unwatched_dirs,
                                  w->st.unwatched_files, (long long)(w->o.periodic_us / 1000000),
                                  strcmp(w->st.fanotify, "off") != 0
                                          ? " (fanotify still reports their content changes)"
                                          : "");
        else
                (void)report_note(o->report, REPORT_NOTE_INFO, "fim",
                                  "inotify watches: all %zu directories watched (limit %lld)",
                                  w->st.dirs, w->limit);
        if (strcmp(w->st.fanotify, "off") == 0)
                (void)report_note(o->report, REPORT_NOTE_INFO, "fim",
                                  "fanotify is not used (%s): alerts cannot name the process "
                                  "that changed a file",
                                  w->st.fanotify_why);
        else
                (void)report_note(o->report, REPORT_NOTE_INFO, "fim",
                                  "fanotify: %zu %s mark(s); alerts name the writing process",
                                  w->st.fanotify_marks, w->st.fanotify);
        (void)fimwatch_save_status(w);
        *ret = w;
        return 0;
fail:
        fimwatch_free(w);
        return r;
}

void fimwatch_free(fimwatch_t *w)
{
        if (!w)
                return;
        if (w->epfd >= 0)
                close(w->epfd);
        if (w->ifd >= 0)
                close(w->ifd);
        if (w->ffd >= 0)
                close(w->ffd);
        free(w->wdpath); /* its strings are the keys of WATCHED */
        smap_clear(&w->watched, false);
        smap_clear(&w->unwatched, false);
        smap_clear(&w->pending, true);
        smap_clear(&w->fs_marked, false);
        strv_clear(&w->topmost);
        free(w->root_canon);
        free(w->buf);
        free(w);
}

int fimwatch_fd(const fimwatch_t *w)
{
        return w->epfd;
}

/* ---- events ---- */

/* Watch a directory that appeared, and what is below it when covered. */
static int watch_new_dir(fimwatch_t *w, const char *dir);

static int watch_walk_cb(const walk_entry_t *e, void *userdata)
{
        fimwatch_t *w = userdata;
        int r;

        if (!S_ISDIR(e->st->st_mode))
                return WALK_CONTINUE;
        if (fimpolicy_excluded_self(w->o.policy, e->path))
                return WALK_SKIP;
        r = add_watch(w, e->path);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && smap_put(&w->unwatched, e->path, NULL, NULL) < 0)
                return -ENOMEM;
        return mark_fanotify(w, e->path) < 0 ? -ENOMEM : WALK_CONTINUE;
}

static int watch_new_dir(fimwatch_t *w, const char *dir)
{
        walk_opts_t wo = { .skip_pseudo = true };
        size_t before = w->unwatched.n;
        int r;

        r = add_watch(w, dir);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && smap_put(&w->unwatched, dir, NULL, NULL) < 0)
                return -ENOMEM;
        if ((r = mark_fanotify(w, dir)) < 0)
                return r;
        w->st.dirs++;
        if (fimpolicy_covers(w->o.policy, dir)) {
                r = walk_tree(w->o.root, dir, &wo, watch_walk_cb, w, NULL);
                if (r == -ENOMEM)
                        return r;
        }
        w->st.watched_dirs = w->n_watches;
        if (w->unwatched.n != before && compute_topmost(w) < 0)
                return -ENOMEM;
        return 0;
}

static int read_inotify(fimwatch_t *w, int64_t now_us)
{
        for (;;) {
                ssize_t n = read(w->ifd, w->buf, EVENT_BUF);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                for (char *p = w->buf; p < w->buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        const char *dir;
                        int r;
                        p += sizeof(*ev) + ev->len;
                        w->st.events++;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                w->rescan_all = true;
                                w->st.overflows++;
                                continue;
                        }
                        if (ev->wd < 0 || (size_t)ev->wd >= w->wdcap || !w->wdpath[ev->wd])
                                continue;
                        dir = w->wdpath[ev->wd];
                        if (ev->mask & IN_IGNORED) {
                                /* The directory is gone (or unmounted). */
                                /* This frees DIR, the map's key. */
                                (void)smap_del(&w->watched, dir);
                                w->wdpath[ev->wd] = NULL;
                                w->n_watches--;
                                continue;
                        }
                        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                                if (interesting(w, dir) &&
                                    (r = queue(w, dir, true, NULL, now_us)) < 0)
                                        return r;
                                continue;
                        }
                        if (ev->len && ev->name[0]) {
                                _cleanup_free_ char *path = str_printf(
                                        "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, ev->name);
                                bool isdir = ev->mask & IN_ISDIR;
                                if (!path)
                                        return -ENOMEM;
                                if (isdir && (ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
                                    (fimpolicy_covers(w->o.policy, path) ||
                                     pattern_ancestor(w, path)) &&
                                    (r = watch_new_dir(w, path)) < 0)
                                        return r;
                                if (interesting(w, path)) {
                                        if ((r = queue(w, path, isdir, NULL, now_us)) < 0)
                                                return r;
                                } else if (isdir && pattern_ancestor(w, path)) {
                                        if ((r = queue(w, path, false, NULL, now_us)) < 0)
                                                return r;
                                }
                        }
                }
        }
}

static void actor_from_pid(fim_actor_t *a, pid_t pid)
{
        char path[64];
        ssize_t n;
        int fd;

        *a = (fim_actor_t){ .pid = pid, .time_us = timeutil_now_us() };
        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                n = read(fd, a->comm, sizeof(a->comm) - 1);
                close(fd);
                if (n > 0) {
                        a->comm[n] = 0;
                        a->comm[strcspn(a->comm, "\n")] = 0;
                } else
                        a->comm[0] = 0;
        }
        snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
        n = readlink(path, a->exe, sizeof(a->exe) - 1);
        a->exe[n > 0 ? n : 0] = 0;
}

static int read_fanotify(fimwatch_t *w, int64_t now_us)
{
        pid_t self = getpid();

        for (;;) {
                ssize_t n = read(w->ffd, w->buf, EVENT_BUF);
                struct fanotify_event_metadata *md;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                for (md = (struct fanotify_event_metadata *)w->buf; FAN_EVENT_OK(md, n);
                     md = FAN_EVENT_NEXT(md, n)) {
                        _cleanup_free_ char *path = NULL;
                        int r = 0;
                        w->st.events++;
                        if (md->vers != FANOTIFY_METADATA_VERSION) {
                                if (md->fd >= 0)
                                        close(md->fd);
                                return -EPROTO;
                        }
                        if (md->mask & FAN_Q_OVERFLOW) {
                                w->rescan_all = true;
                                w->st.overflows++;
                        }
                        if (md->fd < 0)
                                continue;
                        if (md->pid != self) {
                                path = fd_to_rel(w, md->fd);
                                if (path && interesting(w, path)) {
                                        fim_actor_t a;
                                        actor_from_pid(&a, md->pid);
                                        r = queue(w, path, false, &a, now_us);
                                } else if (w->st.ignore_marks < FIMWATCH_MAX_IGNORES &&
                                           fanotify_mark(w->ffd,
                                                         FAN_MARK_ADD | FAN_MARK_IGNORED_MASK |
                                                                 FAN_MARK_IGNORED_SURV_MODIFY,
                                                         FANOTIFY_MASK, md->fd, NULL) == 0) {
                                        w->st.ignore_marks++;
                                }
                        }
                        close(md->fd);
                        if (r < 0)
                                return r;
                }
        }
}

int fimwatch_dispatch(fimwatch_t *w, int64_t now_us)
{
        int r = read_inotify(w, now_us);

        if (r == 0 && w->ffd >= 0)
                r = read_fanotify(w, now_us);
        return r;
}

/* ---- ticks ---- */

static int judge(fimwatch_t *w, const char *path, pending_t *p, bool judge_it)
{
        fimcheck_t *c = w->o.check;
        const fim_actor_t *a = p->actor.pid > 0 ? &p->actor : NULL;
        struct stat st;
        int r;

        w->st.judged++;
        if (!interesting(w, path)) {
                /* A directory on the way to a pattern appeared: look at the
                 * pattern targets below it. */
                size_t n = strlen(path);
                for (size_t i = 0; i < w->o.policy->n_include; i++) {
                        const fimpolicy_pattern_t *pp = &w->o.policy->include[i];
                        if (pp->glob || strncmp(pp->pattern, path, n) != 0 || pp->pattern[n] != '/')
                                continue;
                        if ((r = fimcheck_tree(c, pp->pattern, a, judge_it)) < 0)
                                return r;
                }
                return 0;
        }
        if (p->tree || (rootfs_stat(w->o.root, path, false, &st) == 0 && S_ISDIR(st.st_mode)))
                return fimcheck_tree(c, path, a, judge_it);
        return fimcheck_path(c, path, a, judge_it);
}

static void pm_refresh(fimwatch_t *w, int64_t now_us)
{
        pkgmgr_state_t st;

        if (w->pm_checked_us && now_us - w->pm_checked_us < PM_POLL_US)
                return;
        w->pm_checked_us = now_us;
        if (pkgmgr_probe(w->o.root, w->o.host_processes, &st) == 0)
                w->pm_running = st.running;
}

int fimwatch_tick(fimwatch_t *w, int64_t now_us)
{
        _cleanup_(strv_clear) strv_t due = { 0 };
        bool reloaded = false;
        size_t held = 0;
        int r;

        if (w->rescan_all) {
                w->rescan_all = false;
                smap_clear(&w->pending, true);
                if ((r = fimcheck_run(w->o.check, FIMCHECK_UPDATE, NULL)) < 0)
                        return r;
        }
        for (size_t i = 0; i < w->pending.cap; i++) {
                pending_t *p = w->pending.v[i].value;
                if (w->pending.v[i].key && (p->held || p->due_us <= now_us) &&
                    strv_push(&due, w->pending.v[i].key) < 0)
                        return -ENOMEM;
        }
        if (due.n)
                pm_refresh(w, now_us);
        for (size_t i = 0; i < due.n; i++) {
                smap_slot_t *s = smap_find(&w->pending, due.v[i]);
                pending_t *p = s ? s->value : NULL;
                bool judge_it = true;
                if (!p)
                        continue;
                if (w->pm_running) {
                        /* The writer, when known, must be the package
                         * manager or run under it for the change to wait. */
                        int under =
                                p->actor.pid > 0 ? pkgmgr_pid_under_manager(p->actor.pid) : -ESRCH;
                        if (!p->held && under != 0) {
                                p->held = true;
                                p->held_since = now_us;
                        }
                        if (p->held && now_us - p->held_since <= w->o.pm_grace_us) {
                                held++;
                                continue;
                        }
                } else if (p->held) {
                        /* The package manager finished: what it installed
                         * is checked against the new digests, nothing
                         * else is an alert. */
                        if (!reloaded) {
                                if ((r = fimcheck_reload_packages(w->o.check)) < 0)
                                        return r;
                                reloaded = true;
                        }
                        judge_it = false;
                }
                p = smap_del(&w->pending, due.v[i]);
                r = judge(w, due.v[i], p, judge_it);
                free(p);
                if (r < 0)
                        return r;
        }
        w->st.held = held;
        if (now_us >= w->next_periodic_us) {
                w->next_periodic_us = now_us + w->o.periodic_us;
                if (w->topmost.n) {
                        for (size_t i = 0; i < w->topmost.n; i++)
                                if ((r = fimcheck_tree(w->o.check, w->topmost.v[i], NULL, true)) <
                                    0)
                                        return r;
                        w->st.periodic_runs++;
                }
                (void)fimwatch_save_status(w);
        }
        return 0;
}

int64_t fimwatch_next_tick(const fimwatch_t *w)
{
        int64_t next = w->next_periodic_us;

        if (w->rescan_all)
                return 0;
        for (size_t i = 0; i < w->pending.cap; i++) {
                const pending_t *p = w->pending.v[i].value;
                int64_t t;
                if (!w->pending.v[i].key)
                        continue;
                t = p->held ? w->pm_checked_us + PM_POLL_US : p->due_us;
                if (t < next)
                        next = t;
        }
        return next;
}

void fimwatch_get_status(const fimwatch_t *w, fimwatch_status_t *ret)
{
        *ret = w->st;
        ret->watched_dirs = w->n_watches;
        ret->unwatched_dirs = w->unwatched.n;
}

json_t *fimwatch_status_json(const fimwatch_t *w)
{
        fimwatch_status_t s;

        fimwatch_get_status(w, &s);
        return json_pack(
                "{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "directories",
                (json_int_t)s.dirs, "watched_directories", (json_int_t)s.watched_dirs,
                "unwatched_directories", (json_int_t)s.unwatched_dirs, "unwatched_files",
                (json_int_t)s.unwatched_files, "watch_limit", (json_int_t)s.watch_limit, "fanotify",
                s.fanotify, "fanotify_note", s.fanotify_why, "fanotify_marks",
                (json_int_t)s.fanotify_marks, "ignore_marks", (json_int_t)s.ignore_marks, "events",
                (json_int_t)s.events, "judged", (json_int_t)s.judged, "held", (json_int_t)s.held,
                "periodic_runs", (json_int_t)s.periodic_runs, "overflows", (json_int_t)s.overflows,
                "periodic_seconds", (json_int_t)(w->o.periodic_us / 1000000), "updated_at",
                (json_int_t)(timeutil_now_us() / 1000000));
}

int fimwatch_save_status(fimwatch_t *w)
{
        json_t *j;
        char *s;
        int r;

        if (!w->o.db)
                return 0;
        j = fimwatch_status_json(w);
        s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!s)
                return -ENOMEM;
        r = fimdb_meta_set(w->o.db, FIMDB_META_WATCH, s);
        free(s);
        return r;
}
