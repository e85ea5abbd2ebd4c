#include "scan/secrets/filescan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/walk.h"

/* Files go to the workers in batches, so that handing over costs one lock
 * and wake-up per batch, not per small file. Each file in a batch holds an
 * open descriptor: the queue's size also bounds the descriptors in use
 * (QUEUE_CAP + workers + 1 batches). */
#define BATCH_FILES 16
#define BATCH_BYTES (256 * KiB)
#define QUEUE_CAP   16
/* Notes of one kind (unreadable, changed, ...) before they are only counted. */
#define NOTES_PER_KIND 20

/* A file handed to the workers. ST is what the walk saw, or, when
 * NEED_STAT is set (the walk took the type from the directory listing and
 * did not stat it), nothing yet: the worker fstats the open descriptor. */
typedef struct item {
        int fd;
        char *path;
        struct stat st;
        bool need_stat;
} item_t;

typedef struct batch {
        size_t n;
        uint64_t bytes;
        item_t items[BATCH_FILES];
} batch_t;

enum note_kind { NK_UNREADABLE, NK_VANISHED, NK_CHANGED, NK_TOO_LARGE, NK_WALK, NK__MAX };

struct shared {
        const secrets_filescan_opts_t *o;
        pthread_mutex_t lock;
        pthread_cond_t not_empty, not_full;
        batch_t *q[QUEUE_CAP];
        batch_t *cur; /* being filled by the walker */
        size_t head, n;
        bool done;
        atomic_int err; /* first callback error: stop */
        atomic_uint_fast64_t files_scanned, bytes_scanned, binary_skipped, empty, vanished, changed,
                unreadable, too_large, walk_errors;
        atomic_uint notes[NK__MAX];
        secrets_engine_stats_t engine;
        /* Walker-only counters. */
        uint64_t special_skipped, symlinks_skipped, excluded, repos, dirs, queued;
};

_printf_(4, 5) static void note(struct shared *sh, enum note_kind kind, const char *path,
                                const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        if (!sh->o->report || atomic_fetch_add(&sh->notes[kind], 1) >= NOTES_PER_KIND)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        report_note(sh->o->report, REPORT_NOTE_WARNING, path, "%s", msg);
}

static bool same_content(const struct stat *a, const struct stat *b)
{
        return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
               a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ino == b->st_ino;
}

/* Read up to N bytes, retrying short reads until EOF. */
static ssize_t read_full(int fd, char *p, size_t n)
{
        size_t got = 0;

        while (got < n) {
                ssize_t r = read(fd, p + got, n - got);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return got ? (ssize_t)got : -errno;
                }
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        return (ssize_t)got;
}

struct fd_cb {
        secrets_filescan_match_fn fn;
        void *userdata;
        const char *path;
};

static int fd_match(const secrets_match_t *m, void *userdata)
{
        struct fd_cb *c = userdata;
        return c->fn(c->path, m, c->userdata);
}

/* Scan FD, whose fstat() is BEFORE. */
static int scan_fd(const secrets_engine_t *e, secrets_scratch_t *s, char *buf, int fd,
                   const struct stat *before, const char *path, uint64_t max_size,
                   secrets_filescan_match_fn fn, void *userdata, uint64_t *ret_bytes,
                   bool *ret_binary, bool *ret_changed)
{
        struct fd_cb cb = { fn, userdata, path };
        struct stat after;
        uint64_t size, total;
        size_t len, want;
        ssize_t n;
        bool eof;
        int r;

        *ret_binary = *ret_changed = false;
        *ret_bytes = 0;
        if (!S_ISREG(before->st_mode))
                return -EINVAL;
        size = (uint64_t)before->st_size;
        if (size > max_size)
                return -EFBIG;
        /* Read what the size says; a file that grows or shrinks meanwhile
         * shows in the second fstat. */
        want = size < SECRETS_FILESCAN_BUF ? (size_t)size : SECRETS_FILESCAN_BUF;
        n = read_full(fd, buf, want);
        if (n < 0)
                return (int)n;
        len = (size_t)n;
        total = len;
        eof = len < want;
        if (memchr(buf, 0, len < SECRETS_BINARY_PROBE ? len : SECRETS_BINARY_PROBE)) {
                *ret_binary = true;
                return 0;
        }
        secrets_scan_begin(s);
        for (;;) {
                if (eof || total >= size) {
                        r = secrets_scan_chunk(e, s, buf, len, true, fd_match, &cb);
                        if (r < 0)
                                return r;
                        break;
                }
                /* Not the last chunk: the buffer is full. */
                r = secrets_scan_chunk(e, s, buf, len, false, fd_match, &cb);
                if (r < 0)
                        return r;
                memmove(buf, buf + len - SECRETS_OVERLAP, SECRETS_OVERLAP);
                want = SECRETS_FILESCAN_BUF - SECRETS_OVERLAP;
                if (size - total < want)
                        want = (size_t)(size - total);
                n = read_full(fd, buf + SECRETS_OVERLAP, want);
                if (n < 0)
                        return (int)n;
                eof = (size_t)n < want;
                len = SECRETS_OVERLAP + (size_t)n;
                total += (uint64_t)n;
        }
        *ret_bytes = total;
        /* A file read in one go changed if it was shorter than its size
         * said; one read in chunks is looked at again, since it took long
         * enough for a writer to get in between. (A file replaced before
         * it was opened was caught by the caller's fstat.) */
        if (total != size || (size > SECRETS_FILESCAN_BUF &&
                              (fstat(fd, &after) < 0 || !same_content(before, &after))))
                *ret_changed = true;
        return 0;
}

int secrets_filescan_fd(const secrets_engine_t *e, secrets_scratch_t *s, char *buf, int fd,
                        const char *path, uint64_t max_size, secrets_filescan_match_fn fn,
                        void *userdata, uint64_t *ret_bytes, bool *ret_binary, bool *ret_changed)
{
        struct stat st;

        *ret_binary = *ret_changed = false;
        *ret_bytes = 0;
        if (fstat(fd, &st) < 0)
                return -errno;
        return scan_fd(e, s, buf, fd, &st, path, max_size, fn, userdata, ret_bytes, ret_binary,
                       ret_changed);
}

/* True when the file of ST (regular) is not to be read: over the size cap
 * (counted and noted) or empty (counted). */
static bool skip_by_size(struct shared *sh, const char *path, const struct stat *st)
{
        const secrets_filescan_opts_t *o = sh->o;

        if ((uint64_t)st->st_size > o->max_file_size) {
                atomic_fetch_add(&sh->too_large, 1);
                note(sh, NK_TOO_LARGE, path,
                     "not scanned: %llu bytes is over the size cap of %llu (secret.max_file_size)",
                     (unsigned long long)st->st_size, (unsigned long long)o->max_file_size);
                return true;
        }
        if (st->st_size == 0) {
                atomic_fetch_add(&sh->empty, 1);
                return true;
        }
        return false;
}

struct worker {
        struct shared *sh;
        pthread_t thread;
        secrets_scratch_t *scratch;
        char *buf;
};

static void process(struct worker *w, item_t *it)
{
        struct shared *sh = w->sh;
        const secrets_filescan_opts_t *o = sh->o;
        uint64_t bytes = 0;
        bool binary = false, changed = false;
        int r;

        if (it->need_stat) {
                /* The stat the walk left out, now of the open file itself:
                 * what is read is what was checked. */
                if (fstat(it->fd, &it->st) < 0) {
                        atomic_fetch_add(&sh->unreadable, 1);
                        note(sh, NK_UNREADABLE, it->path, "cannot be read: %s", strerror(errno));
                        return;
                }
                if (!S_ISREG(it->st.st_mode)) {
                        atomic_fetch_add(&sh->changed, 1);
                        note(sh, NK_CHANGED, it->path,
                             "was replaced by something other than a file; not read");
                        return;
                }
                if (skip_by_size(sh, it->path, &it->st))
                        return;
        }
        r = scan_fd(o->engine, w->scratch, w->buf, it->fd, &it->st, it->path, o->max_file_size,
                    o->on_match, o->userdata, &bytes, &binary, &changed);
        if (r == -EFBIG) {
                atomic_fetch_add(&sh->changed, 1);
                note(sh, NK_CHANGED, it->path, "grew past the size cap before it was read");
                return;
        }
        if (r == -ENOMEM) {
                int zero = 0;
                atomic_compare_exchange_strong(&sh->err, &zero, r);
                return;
        }
        if (r < 0) {
                /* Read errors belong to this file only (EIO, EISDIR or
                 * EAGAIN for something swapped in after the walk). */
                atomic_fetch_add(&sh->unreadable, 1);
                note(sh, NK_UNREADABLE, it->path, "cannot be read: %s", strerror(-r));
                return;
        }
        if (binary) {
                atomic_fetch_add(&sh->binary_skipped, 1);
                return;
        }
        atomic_fetch_add(&sh->files_scanned, 1);
        atomic_fetch_add(&sh->bytes_scanned, bytes);
        if (changed) {
                atomic_fetch_add(&sh->changed, 1);
                note(sh, NK_CHANGED, it->path, "changed while it was read; positions may be off");
        }
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        struct shared *sh = w->sh;

        for (;;) {
                batch_t *b;

                pthread_mutex_lock(&sh->lock);
                while (!sh->n && !sh->done)
                        pthread_cond_wait(&sh->not_empty, &sh->lock);
                if (!sh->n) {
                        pthread_mutex_unlock(&sh->lock);
                        break;
                }
                b = sh->q[sh->head];
                sh->head = (sh->head + 1) % QUEUE_CAP;
                sh->n--;
                pthread_cond_signal(&sh->not_full);
                pthread_mutex_unlock(&sh->lock);
                for (size_t i = 0; i < b->n; i++) {
                        if (!atomic_load(&sh->err))
                                process(w, &b->items[i]);
                        close(b->items[i].fd);
                        free(b->items[i].path);
                }
                free(b);
        }
        return NULL;
}

/* Hand the walker's current batch to the workers. */
static void push_batch(struct shared *sh)
{
        batch_t *b = TAKE_PTR(sh->cur);

        if (!b)
                return;
        pthread_mutex_lock(&sh->lock);
        while (sh->n == QUEUE_CAP)
                pthread_cond_wait(&sh->not_full, &sh->lock);
        sh->q[(sh->head + sh->n) % QUEUE_CAP] = b;
        sh->n++;
        pthread_cond_signal(&sh->not_empty);
        pthread_mutex_unlock(&sh->lock);
}

/* Queue an open file for the workers (takes FD and PATH in every case).
 * ST is what was seen of it, or NULL when the worker is to fstat it. */
static int enqueue(struct shared *sh, int fd, char *path, const struct stat *st)
{
        batch_t *b = sh->cur;

        if (!b) {
                b = sh->cur = malloc(sizeof(*b));
                if (!b) {
                        close(fd);
                        free(path);
                        return -ENOMEM;
                }
                b->n = 0;
                b->bytes = 0;
        }
        if (st) {
                b->items[b->n++] = (item_t){ .fd = fd, .path = path, .st = *st };
                b->bytes += (uint64_t)st->st_size;
        } else
                b->items[b->n++] = (item_t){ .fd = fd, .path = path, .need_stat = true };
        if (b->n == BATCH_FILES || b->bytes >= BATCH_BYTES)
                push_batch(sh);
        sh->queued++;
        if (sh->o->progress && (sh->queued & 1023) == 0)
                progress_update(sh->o->progress, "secret: scanning files",
                                (size_t)atomic_load(&sh->files_scanned), 0);
        return 0;
}

/* Open NAME in DIRFD without following a symlink and without blocking on
 * a FIFO swapped in after the walk saw a regular file; without touching
 * its access time where allowed. A NAME with a '/' (".git/config") is
 * resolved beneath DIRFD, so a component swapped for a symlink cannot lead
 * out of the scanned tree. */
static int open_file(const rootfs_t *root, int dirfd, const char *name)
{
        int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
        int fd;

        if (strchr(name, '/')) {
                fd = rootfs_openat_dir(root, dirfd, name, flags | O_NOATIME);
                if (fd == -EPERM)
                        fd = rootfs_openat_dir(root, dirfd, name, flags);
                return fd;
        }
        fd = openat(dirfd, name, flags | O_NOATIME);
        if (fd < 0 && errno == EPERM)
                fd = openat(dirfd, name, flags);
        return fd < 0 ? -errno : fd;
}

/* The walk saw the regular file NAME in DIRFD: open it, check it is what
 * was seen, and queue it. SEEN is its stat, or NULL when the walk only
 * knows from the directory listing that it is a regular file; the size
 * checks then wait for the worker's fstat of the open file. */
static int consider_file(struct shared *sh, int dirfd, const char *name, const char *path,
                         const struct stat *seen)
{
        const secrets_filescan_opts_t *o = sh->o;
        char *copy;
        int fd;

        if (seen && skip_by_size(sh, path, seen))
                return 0;
        fd = open_file(o->root, dirfd, name);
        if (fd < 0) {
                if (fd == -ENOENT) {
                        atomic_fetch_add(&sh->vanished, 1);
                        note(sh, NK_VANISHED, path, "vanished before it could be read");
                } else if (fd == -ELOOP) {
                        atomic_fetch_add(&sh->changed, 1);
                        note(sh, NK_CHANGED, path, "was replaced by a symlink; not followed");
                } else {
                        atomic_fetch_add(&sh->unreadable, 1);
                        note(sh, NK_UNREADABLE, path, "cannot be opened: %s", strerror(-fd));
                }
                return 0;
        }
        /* No second stat here (it would cost a system call per file): the
         * open cannot block (O_NONBLOCK) nor follow a symlink, the read is
         * capped at the size the walk (or the worker's fstat) saw, and a
         * file swapped in between reads short or fails, which counts it as
         * changed or unreadable. */
        copy = strdup(path);
        if (!copy) {
                close(fd);
                return -ENOMEM;
        }
        return enqueue(sh, fd, copy, seen);
}

static bool is_bare_repo(int dirfd, const char *name)
{
        _cleanup_free_ char *head = str_printf("%s/HEAD", name);
        _cleanup_free_ char *objects = str_printf("%s/objects", name);
        struct stat st;

        if (!head || !objects)
                return false;
        return fstatat(dirfd, head, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
               fstatat(dirfd, objects, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int walk_cb(const walk_entry_t *e, void *userdata)
{
        struct shared *sh = userdata;
        const secrets_filescan_opts_t *o = sh->o;
        mode_t mode = e->st->st_mode;
        size_t nlen;
        int r;

        if (atomic_load(&sh->err))
                return WALK_STOP;
        if (S_ISDIR(mode)) {
                sh->dirs++;
                if (o->skip && o->skip(e->path, true, o->userdata)) {
                        sh->excluded++;
                        return WALK_SKIP;
                }
                nlen = strlen(e->name);
                if (strcmp(e->name, ".git") == 0) {
                        struct stat st;
                        if (is_bare_repo(e->dirfd, e->name)) {
                                _cleanup_free_ char *wt = str_ndup(e->path, strlen(e->path) - 5);
                                if (!wt)
                                        return -ENOMEM;
                                sh->repos++;
                                if (o->on_repo)
                                        o->on_repo(*wt ? wt : "/", e->path, o->userdata);
                        }
                        /* Remote URLs in .git/config may carry tokens. */
                        if (fstatat(e->dirfd, ".git/config", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISREG(st.st_mode)) {
                                _cleanup_free_ char *p = str_printf("%s/config", e->path);
                                if (!p)
                                        return -ENOMEM;
                                if (consider_file(sh, e->dirfd, ".git/config", p, &st) < 0)
                                        return -ENOMEM;
                        }
                        return WALK_SKIP;
                }
                if (nlen > 4 && strcmp(e->name + nlen - 4, ".git") == 0 &&
                    is_bare_repo(e->dirfd, e->name)) {
                        sh->repos++;
                        if (o->on_repo)
                                o->on_repo(NULL, e->path, o->userdata);
                        return WALK_SKIP;
                }
                return WALK_CONTINUE;
        }
        if (S_ISREG(mode)) {
                if (o->skip && o->skip(e->path, false, o->userdata)) {
                        sh->excluded++;
                        return WALK_CONTINUE;
                }
                /* The walk trusts the listing's file type (trust_dtype):
                 * the size is only known once the file is open. */
                r = consider_file(sh, e->dirfd, e->name, e->path, e->type_only ? NULL : e->st);
                return r < 0 ? -ENOMEM : WALK_CONTINUE;
        }
        if (S_ISLNK(mode))
                sh->symlinks_skipped++;
        else
                sh->special_skipped++;
        return WALK_CONTINUE;
}

static void walk_error(const char *path, int err, void *userdata)
{
        struct shared *sh = userdata;

        if (err == -ENOENT) {
                atomic_fetch_add(&sh->vanished, 1);
                note(sh, NK_VANISHED, path, "vanished while the directory was walked");
        } else if (err == -EACCES || err == -EPERM) {
                atomic_fetch_add(&sh->unreadable, 1);
                note(sh, NK_UNREADABLE, path, "cannot be read: %s", strerror(-err));
        } else {
                atomic_fetch_add(&sh->walk_errors, 1);
                note(sh, NK_WALK, path, "not walked: %s",
                     err == -ELOOP ? "a directory loop or a tree too deep" : strerror(-err));
        }
}

/* A start path: walk a directory, scan a file. */
static int scan_start(struct shared *sh, const char *start)
{
        const secrets_filescan_opts_t *o = sh->o;
        /* Regular files and directories are known by the listing's type;
         * a stat per file would only give the size, which the worker's
         * fstat of the open file gives as well (issue 4: walking a million
         * files must cost about what "rg --files" does). */
        walk_opts_t wopts = { .skip_pseudo = true, .trust_dtype = true, .on_error = walk_error };
        walk_stats_t ws;
        struct stat st;
        int r;

        r = rootfs_stat(o->root, start, true, &st);
        if (r < 0) {
                if (r != -ENOENT)
                        walk_error(start, r, sh);
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                if (o->skip && o->skip(start, true, o->userdata)) {
                        sh->excluded++;
                        return 0;
                }
                sh->dirs++;
                r = walk_tree(o->root, start, &wopts, walk_cb, sh, &ws);
                if (r == -ENOENT || r == -ENOTDIR || r == -EACCES) {
                        walk_error(start, r, sh);
                        return 0;
                }
                return r;
        }
        if (S_ISREG(st.st_mode)) {
                _cleanup_free_ char *dir = NULL;
                const char *slash = strrchr(start, '/');
                int dfd;

                if (o->skip && o->skip(start, false, o->userdata)) {
                        sh->excluded++;
                        return 0;
                }
                dir = slash && slash != start ? str_ndup(start, (size_t)(slash - start))
                                              : strdup("/");
                if (!dir)
                        return -ENOMEM;
                dfd = rootfs_openat(o->root, dir, O_RDONLY | O_DIRECTORY);
                if (dfd < 0) {
                        walk_error(start, dfd, sh);
                        return 0;
                }
                /* A start given as a symlink is followed: stat the target. */
                r = rootfs_stat(o->root, start, false, &st);
                if (r == 0 && S_ISLNK(st.st_mode)) {
                        int fd = rootfs_openat(o->root, start, O_RDONLY | O_NONBLOCK | O_NOCTTY);
                        char *copy;
                        close(dfd);
                        if (fd < 0) {
                                walk_error(start, fd, sh);
                                return 0;
                        }
                        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                                close(fd);
                                sh->special_skipped++;
                                return 0;
                        }
                        copy = strdup(start);
                        if (!copy) {
                                close(fd);
                                return -ENOMEM;
                        }
                        return enqueue(sh, fd, copy, &st);
                }
                r = consider_file(sh, dfd, slash ? slash + 1 : start, start, &st);
                close(dfd);
                return r;
        }
        sh->special_skipped++;
        return 0;
}

int secrets_filescan_run(const secrets_filescan_opts_t *o, const strv_t *starts,
                         secrets_filescan_stats_t *ret_stats)
{
        struct shared *sh = calloc(1, sizeof(*sh));
        struct worker *workers;
        unsigned nthreads = o->threads ? o->threads : 1, started = 0;
        int r = 0;

        memset(ret_stats, 0, sizeof(*ret_stats));
        if (!sh)
                return -ENOMEM;
        workers = calloc(nthreads, sizeof(*workers));
        if (!workers) {
                free(sh);
                return -ENOMEM;
        }
        sh->o = o;
        pthread_mutex_init(&sh->lock, NULL);
        pthread_cond_init(&sh->not_empty, NULL);
        pthread_cond_init(&sh->not_full, NULL);
        for (unsigned i = 0; i < nthreads; i++) {
                struct worker *w = &workers[i];
                w->sh = sh;
                if (secrets_scratch_new(o->engine, &w->scratch) < 0 ||
                    !(w->buf = malloc(SECRETS_FILESCAN_BUF)))
                        break;
                if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
                        break;
                started++;
        }
        if (!started) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < starts->n && r == 0 && !atomic_load(&sh->err); i++)
                r = scan_start(sh, starts->v[i]);
        push_batch(sh);
        pthread_mutex_lock(&sh->lock);
        sh->done = true;
        pthread_cond_broadcast(&sh->not_empty);
        pthread_mutex_unlock(&sh->lock);
        for (unsigned i = 0; i < started; i++)
                pthread_join(workers[i].thread, NULL);
        if (!r)
                r = atomic_load(&sh->err);
out:
        for (unsigned i = 0; i < nthreads; i++) {
                secrets_engine_stats_t es;
                if (workers[i].scratch) {
                        secrets_scratch_stats(workers[i].scratch, &es);
                        ret_stats->engine.bytes += es.bytes;
                        ret_stats->engine.candidates += es.candidates;
                        ret_stats->engine.placeholders += es.placeholders;
                        ret_stats->engine.filtered += es.filtered;
                        ret_stats->engine.regex_limits += es.regex_limits;
                        ret_stats->engine.reported += es.reported;
                }
                secrets_scratch_free(workers[i].scratch);
                free(workers[i].buf);
        }
        free(workers);
        ret_stats->files_scanned = atomic_load(&sh->files_scanned);
        ret_stats->bytes_scanned = atomic_load(&sh->bytes_scanned);
        ret_stats->binary_skipped = atomic_load(&sh->binary_skipped);
        ret_stats->empty = atomic_load(&sh->empty);
        ret_stats->too_large = atomic_load(&sh->too_large);
        ret_stats->vanished = atomic_load(&sh->vanished);
        ret_stats->changed = atomic_load(&sh->changed);
        ret_stats->unreadable = atomic_load(&sh->unreadable);
        ret_stats->walk_errors = atomic_load(&sh->walk_errors);
        ret_stats->special_skipped = sh->special_skipped;
        ret_stats->symlinks_skipped = sh->symlinks_skipped;
        ret_stats->excluded = sh->excluded;
        ret_stats->repos = sh->repos;
        ret_stats->dirs = sh->dirs;
        if (o->report)
                for (int k = 0; k < NK__MAX; k++) {
                        unsigned n = atomic_load(&sh->notes[k]);
                        if (n > NOTES_PER_KIND)
                                report_note(o->report, REPORT_NOTE_WARNING, "secret",
                                            "%u more files like the above were not fully "
                                            "scanned (see statistics)",
                                            n - NOTES_PER_KIND);
                }
        pthread_mutex_destroy(&sh->lock);
        pthread_cond_destroy(&sh->not_empty);
        pthread_cond_destroy(&sh->not_full);
        free(sh);
        return r;
}
