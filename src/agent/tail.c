#include "agent/tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/text.h"

#define READ_CHUNK    (64 * KiB)
#define GRACE_DEFAULT (10 * 1000000LL)
/* Lines of a file that starts at its end are counted up to this size, so
 * line numbers in events are right; beyond it they count from the start
 * position. */
#define COUNT_LINES_MAX (1 * GiB)

/* One open file being read. Invariant: the file's bytes before
 * pos.offset were handed out; the PENDING bytes after it were read and are
 * held (in PARTIAL, or skipped when SKIPPING) until their record ends. */
typedef struct reader {
        int fd; /* -1 when closed */
        char *name;
        tail_pos_t pos;
        uint64_t pending;
        buf_t partial;
        bool skipping;
        uint64_t checked_size; /* size when the head was last verified */
        int64_t last_data_us;
} reader_t;

struct tail {
        char *path, *dir, *base;
        size_t record_size, line_max;
        tail_start_t start;
        int64_t grace_us;
        reader_t cur, prev;
        tail_pos_t saved_cur, saved_prev;
        bool has_saved_cur, has_saved_prev;
        bool started;
        int open_err; /* last error opening the path, to report it once */
        char *rbuf;
};

uint64_t tail_head_hash(const void *data, size_t n)
{
        return hash_fnv1a(data, MIN(n, TAIL_HEAD_MAX));
}

bool tail_is_sibling_name(const char *base, const char *name)
{
        static const char *const packed[] = { ".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z", ".zip" };
        size_t bl = strlen(base);

        if (strncmp(name, base, bl) != 0)
                return false;
        if (name[bl] != '.' && name[bl] != '-' && name[bl] != '_')
                return false;
        if (!name[bl + 1])
                return false;
        for (size_t i = 0; i < ELEMENTSOF(packed); i++)
                if (str_endswith(name + bl, packed[i]))
                        return false;
        return true;
}

static void reader_init(reader_t *r, size_t line_max)
{
        memset(r, 0, sizeof(*r));
        r->fd = -1;
        buf_init(&r->partial, line_max);
}

static void reader_close(reader_t *r)
{
        size_t max = r->partial.max;

        if (r->fd >= 0)
                close(r->fd);
        free(r->name);
        buf_free(&r->partial);
        reader_init(r, max);
}

static void note(const tail_cb_t *cb, tail_note_t n, const char *file, int err)
{
        if (cb && cb->on_note)
                cb->on_note(n, file, err, cb->userdata);
}

int tail_new(const tail_opts_t *o, const tail_pos_t *saved_cur, const tail_pos_t *saved_prev,
             tail_t **ret)
{
        tail_t *t;
        const char *slash;

        if (!o || !o->path || !*o->path || o->record_size > TAIL_RECORD_MAX)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->record_size = o->record_size;
        t->line_max = o->line_max ? o->line_max : TAIL_LINE_MAX_DEFAULT;
        t->start = o->start;
        t->grace_us = o->grace_us > 0 ? o->grace_us : GRACE_DEFAULT;
        reader_init(&t->cur, t->line_max);
        reader_init(&t->prev, t->line_max);
        t->path = strdup(o->path);
        slash = strrchr(o->path, '/');
        if (slash) {
                t->dir = str_ndup(o->path, slash == o->path ? 1 : (size_t)(slash - o->path));
                t->base = strdup(slash + 1);
        } else {
                t->dir = strdup(".");
                t->base = strdup(o->path);
        }
        t->rbuf = malloc(READ_CHUNK);
        if (!t->path || !t->dir || !t->base || !t->rbuf) {
                tail_free(t);
                return -ENOMEM;
        }
        if (!*t->base) {
                tail_free(t);
                return -EINVAL;
        }
        if (saved_cur && (saved_cur->dev || saved_cur->ino)) {
                t->saved_cur = *saved_cur;
                t->has_saved_cur = true;
        }
        if (saved_prev && (saved_prev->dev || saved_prev->ino)) {
                t->saved_prev = *saved_prev;
                t->has_saved_prev = true;
        }
        *ret = t;
        return 0;
}

void tail_free(tail_t *t)
{
        if (!t)
                return;
        reader_close(&t->cur);
        reader_close(&t->prev);
        buf_free(&t->cur.partial);
        buf_free(&t->prev.partial);
        free(t->path);
        free(t->dir);
        free(t->base);
        free(t->rbuf);
        free(t);
}

const char *tail_path(const tail_t *t)
{
        return t->path;
}

int tail_fd(const tail_t *t)
{
        return t->cur.fd;
}

bool tail_has_prev(const tail_t *t)
{
        return t->prev.fd >= 0;
}

void tail_positions(const tail_t *t, tail_pos_t *ret_cur, bool *ret_has_cur, tail_pos_t *ret_prev,
                    bool *ret_has_prev)
{
        static const tail_pos_t zero;

        /* Before the first poll the saved positions still stand. */
        if (!t->started) {
                *ret_cur = t->has_saved_cur ? t->saved_cur : zero;
                *ret_has_cur = t->has_saved_cur;
                *ret_prev = t->has_saved_prev ? t->saved_prev : zero;
                *ret_has_prev = t->has_saved_prev;
                return;
        }
        *ret_has_cur = t->cur.fd >= 0;
        *ret_cur = *ret_has_cur ? t->cur.pos : zero;
        *ret_has_prev = t->prev.fd >= 0;
        *ret_prev = *ret_has_prev ? t->prev.pos : zero;
}

/* ---- identity ---- */

static int open_file(int dirfd, const char *name, int *ret_fd, struct stat *ret_st)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return -errno;
        if (fstat(fd, ret_st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (!S_ISREG(ret_st->st_mode)) {
                close(fd);
                return -EINVAL;
        }
        *ret_fd = fd;
        return 0;
}

/* Whether the first POS->head_len bytes of FD hash to POS->head_hash. */
static bool head_matches(int fd, const tail_pos_t *pos)
{
        char head[TAIL_HEAD_MAX];
        ssize_t n;

        if (pos->head_len == 0)
                return true;
        n = pread(fd, head, pos->head_len, 0);
        return n == (ssize_t)pos->head_len && tail_head_hash(head, (size_t)n) == pos->head_hash;
}

/* Verify the head of R's file against its position and extend it to
 * TAIL_HEAD_MAX as the file grows. Returns false when the file no longer
 * starts with the bytes it started with (rewritten after a truncation). */
static bool head_check(reader_t *r, uint64_t size)
{
        char head[TAIL_HEAD_MAX];
        size_t want = (size_t)MIN(size, (uint64_t)TAIL_HEAD_MAX);
        ssize_t n;

        if (size == r->checked_size)
                return true;
        /* Files only grow: smaller than the bytes hashed means truncated. */
        if (want < r->pos.head_len)
                return false;
        n = pread(r->fd, head, want, 0);
        if (n < 0)
                return true; /* a read error is reported by the read itself */
        if (r->pos.head_len && ((size_t)n < r->pos.head_len ||
                                tail_head_hash(head, r->pos.head_len) != r->pos.head_hash))
                return false;
        r->pos.head_len = (uint32_t)n;
        r->pos.head_hash = tail_head_hash(head, (size_t)n);
        r->checked_size = size;
        return true;
}

/* Find a sibling of the path that is the file POS describes: by device and
 * inode when BY_INODE (a renamed file), else by its first bytes and a size
 * of at least POS->offset, not being inode EXCLUDE_INO (the copy
 * copytruncate left). On success *RET_FD and *RET_NAME (caller frees) are
 * set. Returns 0 or -ENOENT. */
static int find_sibling(tail_t *t, const tail_pos_t *pos, bool by_inode, uint64_t exclude_ino,
                        int *ret_fd, char **ret_name)
{
        DIR *d = opendir(t->dir);
        struct dirent *de;
        unsigned seen = 0;
        int best_fd = -1;
        char *best_name = NULL;
        struct timespec best_mtime = { 0 };

        if (!d)
                return -ENOENT;
        while ((de = readdir(d)) && seen++ < TAIL_SIBLINGS_MAX) {
                struct stat st;
                int fd;

                if (!tail_is_sibling_name(t->base, de->d_name))
                        continue;
                if (open_file(dirfd(d), de->d_name, &fd, &st) < 0)
                        continue;
                if (by_inode) {
                        if ((uint64_t)st.st_dev != pos->dev || (uint64_t)st.st_ino != pos->ino ||
                            (uint64_t)st.st_size < pos->offset || !head_matches(fd, pos)) {
                                close(fd);
                                continue;
                        }
                } else if (!pos->head_len || (uint64_t)st.st_ino == exclude_ino ||
                           (uint64_t)st.st_size < pos->offset || !head_matches(fd, pos) ||
                           (best_fd >= 0 && (st.st_mtim.tv_sec < best_mtime.tv_sec ||
                                             (st.st_mtim.tv_sec == best_mtime.tv_sec &&
                                              st.st_mtim.tv_nsec <= best_mtime.tv_nsec)))) {
                        close(fd);
                        continue;
                }
                if (best_fd >= 0)
                        close(best_fd);
                free(best_name);
                best_fd = fd;
                best_mtime = st.st_mtim;
                best_name = str_printf("%s%s%s", strcmp(t->dir, "/") == 0 ? "" : t->dir, "/",
                                       de->d_name);
                if (!best_name) {
                        close(best_fd);
                        best_fd = -1;
                        break;
                }
                if (by_inode)
                        break;
        }
        closedir(d);
        if (best_fd < 0)
                return -ENOENT;
        *ret_fd = best_fd;
        *ret_name = best_name;
        return 0;
}

/* ---- reading ---- */

static int emit(reader_t *r, const tail_cb_t *cb, const char *data, size_t n, unsigned flags,
                uint64_t consumed)
{
        int k = cb->on_record(r->name, data, n, r->pos.lineno + 1, flags, cb->userdata);

        if (k < 0)
                return k;
        r->pos.offset += consumed;
        r->pos.lineno++;
        r->pending = 0;
        r->skipping = false;
        buf_reset(&r->partial);
        return 0;
}

/* Frame the N bytes at P (read at R's read position) into lines. */
static int feed_lines(tail_t *t, reader_t *r, const tail_cb_t *cb, const char *p, size_t n)
{
        const char *end = p + n;
        int k;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t seg = (size_t)((nl ? nl : end) - p);

                if (!nl) {
                        if (!r->skipping && buf_append(&r->partial, p, seg) < 0) {
                                r->skipping = true;
                                buf_reset(&r->partial);
                        }
                        r->pending += seg;
                        return 0;
                }
                if (r->skipping || r->partial.len + seg > t->line_max)
                        k = emit(r, cb, "", 0, TAIL_REC_OVERSIZED, r->pending + seg + 1);
                else if (r->partial.len == 0)
                        k = emit(r, cb, p, seg, 0, seg + 1);
                else if ((k = buf_append(&r->partial, p, seg)) == 0)
                        k = emit(r, cb, r->partial.data, r->partial.len, 0, r->pending + seg + 1);
                if (k < 0)
                        return k;
                p = nl + 1;
        }
        return 0;
}

/* Frame the N bytes at P into fixed-size records. */
static int feed_records(tail_t *t, reader_t *r, const tail_cb_t *cb, const char *p, size_t n)
{
        size_t rs = t->record_size;
        int k;

        while (n > 0) {
                if (r->partial.len == 0 && n >= rs) {
                        if ((k = emit(r, cb, p, rs, 0, rs)) < 0)
                                return k;
                        p += rs;
                        n -= rs;
                        continue;
                }
                size_t take = MIN(n, rs - r->partial.len);
                if ((k = buf_append(&r->partial, p, take)) < 0)
                        return k;
                r->pending += take;
                p += take;
                n -= take;
                if (r->partial.len == rs &&
                    (k = emit(r, cb, r->partial.data, rs, 0, r->pending)) < 0)
                        return k;
        }
        return 0;
}

/* Read R from its read position to the end of the file or BUDGET bytes.
 * *RET_GOT gets the bytes read. */
static int read_reader(tail_t *t, reader_t *r, const tail_cb_t *cb, size_t budget, int64_t now,
                       size_t *ret_got, bool *ret_more)
{
        size_t total = 0;
        int k;

        for (;;) {
                size_t want = READ_CHUNK;
                ssize_t n;

                if (budget) {
                        if (total >= budget) {
                                if (ret_more)
                                        *ret_more = true;
                                break;
                        }
                        want = MIN(want, budget - total);
                }
                n = pread(r->fd, t->rbuf, want, (off_t)(r->pos.offset + r->pending));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        note(cb, TAIL_NOTE_ERROR, r->name, -errno);
                        break;
                }
                if (n == 0)
                        break;
                total += (size_t)n;
                r->last_data_us = now;
                /* What the callbacks did not consume is read again next
                 * time: the read position is always pos.offset + pending. */
                k = t->record_size ? feed_records(t, r, cb, t->rbuf, (size_t)n)
                                   : feed_lines(t, r, cb, t->rbuf, (size_t)n);
                if (k < 0) {
                        *ret_got = total;
                        return k;
                }
                if ((size_t)n < want)
                        break;
        }
        *ret_got = total;
        return 0;
}

/* R is left behind for good: hand out what it holds. */
static int finish_reader(reader_t *r, const tail_cb_t *cb)
{
        if (!r->pending)
                return 0;
        if (r->skipping)
                return emit(r, cb, "", 0, TAIL_REC_OVERSIZED | TAIL_REC_UNTERMINATED, r->pending);
        return emit(r, cb, r->partial.data ? r->partial.data : "", r->partial.len,
                    TAIL_REC_UNTERMINATED, r->pending);
}

/* Read the rotated file to its end and close it. */
static int drain_prev(tail_t *t, const tail_cb_t *cb, int64_t now)
{
        size_t got;
        int k;

        if (t->prev.fd < 0)
                return 0;
        if ((k = read_reader(t, &t->prev, cb, 0, now, &got, NULL)) < 0 ||
            (k = finish_reader(&t->prev, cb)) < 0)
                return k;
        note(cb, TAIL_NOTE_CLOSED_PREV, t->prev.name, 0);
        reader_close(&t->prev);
        return 0;
}

static uint64_t count_lines(int fd, uint64_t upto, char *buf)
{
        uint64_t lines = 0, off = 0;

        if (upto > COUNT_LINES_MAX)
                return 0;
        while (off < upto) {
                ssize_t n =
                        pread(fd, buf, (size_t)MIN((uint64_t)READ_CHUNK, upto - off), (off_t)off);
                if (n <= 0)
                        return 0;
                for (const char *p = buf, *e = buf + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
                        lines++;
                off += (uint64_t)n;
        }
        return lines;
}

/* Where a file seen for the first time starts being read. */
static void start_position(tail_t *t, reader_t *r, uint64_t size)
{
        if (t->start == TAIL_START_BEGINNING || size == 0)
                return;
        if (t->record_size) {
                r->pos.offset = size - size % t->record_size;
                r->pos.lineno = r->pos.offset / t->record_size;
                return;
        }
        /* The end of the last complete line: a partial line at the end is
         * finished later and handed out whole. */
        for (uint64_t end = size; end > 0;) {
                size_t n = (size_t)MIN(end, (uint64_t)READ_CHUNK);
                ssize_t got = pread(r->fd, t->rbuf, n, (off_t)(end - n));
                const char *nl;
                if (got != (ssize_t)n)
                        break;
                nl = memrchr(t->rbuf, '\n', n);
                if (nl) {
                        r->pos.offset = end - n + (uint64_t)(nl - t->rbuf) + 1;
                        break;
                }
                end -= n;
                if (size - end > t->line_max)
                        break; /* an oversized last line: start at its start */
        }
        r->pos.lineno = count_lines(r->fd, r->pos.offset, t->rbuf);
}

static int set_reader(reader_t *r, int fd, const char *name, const struct stat *st)
{
        r->name = strdup(name);
        if (!r->name)
                return -ENOMEM;
        r->fd = fd;
        r->pos.dev = (uint64_t)st->st_dev;
        r->pos.ino = (uint64_t)st->st_ino;
        return 0;
}

/* The first poll: find the saved files again. */
static int tail_start(tail_t *t, const tail_cb_t *cb, int64_t now)
{
        struct stat st;
        int fd = -1, r;

        t->started = true;
        r = open_file(AT_FDCWD, t->path, &fd, &st);
        if (r < 0 && r != -ENOENT) {
                note(cb, TAIL_NOTE_ERROR, t->path, r);
                t->open_err = r;
        }
        if (t->has_saved_prev) {
                int pfd;
                char *pname;
                if (find_sibling(t, &t->saved_prev, true, 0, &pfd, &pname) == 0) {
                        reader_t *p = &t->prev;
                        p->fd = pfd;
                        p->name = pname;
                        p->pos = t->saved_prev;
                        p->last_data_us = now;
                        note(cb, TAIL_NOTE_RESUMED, p->name, 0);
                } else
                        note(cb, TAIL_NOTE_LOST, t->path, 0);
        }
        if (t->has_saved_cur) {
                const tail_pos_t *s = &t->saved_cur;
                if (fd >= 0 && (uint64_t)st.st_dev == s->dev && (uint64_t)st.st_ino == s->ino &&
                    (uint64_t)st.st_size >= s->offset && head_matches(fd, s)) {
                        if ((r = set_reader(&t->cur, fd, t->path, &st)) < 0) {
                                close(fd);
                                return r;
                        }
                        t->cur.pos = *s;
                        note(cb, TAIL_NOTE_RESUMED, t->path, 0);
                        return 0;
                }
                /* Rotated (renamed away) or truncated while we were down. */
                int ofd = -1;
                char *oname = NULL;
                bool same_inode =
                        fd >= 0 && (uint64_t)st.st_dev == s->dev && (uint64_t)st.st_ino == s->ino;
                if ((!same_inode && find_sibling(t, s, true, 0, &ofd, &oname) == 0) ||
                    find_sibling(t, s, false, s->ino, &ofd, &oname) == 0) {
                        if ((r = drain_prev(t, cb, now)) < 0) {
                                close(ofd);
                                free(oname);
                                if (fd >= 0)
                                        close(fd);
                                return r;
                        }
                        t->prev.fd = ofd;
                        t->prev.name = oname;
                        t->prev.pos = *s;
                        t->prev.last_data_us = now;
                        note(cb, same_inode ? TAIL_NOTE_FROM_COPY : TAIL_NOTE_ROTATED, oname, 0);
                } else
                        note(cb, TAIL_NOTE_LOST, t->path, 0);
                if (fd >= 0) {
                        if ((r = set_reader(&t->cur, fd, t->path, &st)) < 0) {
                                close(fd);
                                return r;
                        }
                        note(cb, TAIL_NOTE_OPENED, t->path, 0);
                }
                return 0;
        }
        if (fd >= 0) {
                if ((r = set_reader(&t->cur, fd, t->path, &st)) < 0) {
                        close(fd);
                        return r;
                }
                start_position(t, &t->cur, (uint64_t)st.st_size);
                note(cb, TAIL_NOTE_OPENED, t->path, 0);
        }
        return 0;
}

/* The path now names another file: the current one becomes the rotated
 * one, read to its end now and kept open for the grace period. */
static int rotate(tail_t *t, const tail_cb_t *cb, int64_t now, int fd, const struct stat *st)
{
        size_t got;
        int r;

        if ((r = drain_prev(t, cb, now)) < 0 ||
            (r = read_reader(t, &t->cur, cb, 0, now, &got, NULL)) < 0)
                return r;
        buf_free(&t->prev.partial);
        t->prev = t->cur;
        t->prev.last_data_us = now;
        reader_init(&t->cur, t->line_max);
        if ((r = set_reader(&t->cur, fd, t->path, st)) < 0)
                return r;
        note(cb, TAIL_NOTE_ROTATED, t->path, 0);
        return 0;
}

/* The current file shrank or was rewritten: read the rest of what it held
 * from its copy, if one is beside it, and start it over. */
static int truncated(tail_t *t, const tail_cb_t *cb, int64_t now)
{
        reader_t *c = &t->cur;
        int ofd, r;
        char *oname;

        if (c->pos.head_len && find_sibling(t, &c->pos, false, c->pos.ino, &ofd, &oname) == 0) {
                if ((r = drain_prev(t, cb, now)) < 0) {
                        close(ofd);
                        free(oname);
                        return r;
                }
                t->prev.fd = ofd;
                t->prev.name = oname;
                t->prev.pos = c->pos;
                t->prev.last_data_us = now;
                note(cb, TAIL_NOTE_FROM_COPY, oname, 0);
        } else if ((r = finish_reader(c, cb)) < 0)
                return r;
        c->pos.offset = 0;
        c->pos.lineno = 0;
        c->pos.head_len = 0;
        c->pos.head_hash = 0;
        c->pending = 0;
        c->skipping = false;
        c->checked_size = 0;
        buf_reset(&c->partial);
        note(cb, TAIL_NOTE_TRUNCATED, t->path, 0);
        return 0;
}

int tail_poll(tail_t *t, int64_t now, size_t budget, const tail_cb_t *cb, bool *ret_more)
{
        struct stat st;
        size_t got = 0;
        int r, fd;

        if (ret_more)
                *ret_more = false;
        if (!t->started && (r = tail_start(t, cb, now)) < 0)
                return r;
        if (t->prev.fd >= 0) {
                if ((r = read_reader(t, &t->prev, cb, budget, now, &got, ret_more)) < 0)
                        return r;
                if (got == 0 && now - t->prev.last_data_us >= t->grace_us) {
                        if ((r = finish_reader(&t->prev, cb)) < 0)
                                return r;
                        note(cb, TAIL_NOTE_CLOSED_PREV, t->prev.name, 0);
                        reader_close(&t->prev);
                }
        }
        if (t->cur.fd < 0) {
                r = open_file(AT_FDCWD, t->path, &fd, &st);
                if (r < 0) {
                        if (r != -ENOENT && r != t->open_err)
                                note(cb, TAIL_NOTE_ERROR, t->path, r);
                        t->open_err = r;
                        return 0;
                }
                t->open_err = 0;
                if ((r = set_reader(&t->cur, fd, t->path, &st)) < 0) {
                        close(fd);
                        return r;
                }
                note(cb, TAIL_NOTE_OPENED, t->path, 0);
        } else if (stat(t->path, &st) == 0 && ((uint64_t)st.st_dev != t->cur.pos.dev ||
                                               (uint64_t)st.st_ino != t->cur.pos.ino)) {
                /* Open the new file before letting go of the old one; if it
                 * cannot be opened yet, the old one is read on. */
                if (open_file(AT_FDCWD, t->path, &fd, &st) == 0 &&
                    (r = rotate(t, cb, now, fd, &st)) < 0) {
                        if (t->cur.fd != fd)
                                close(fd);
                        return r;
                }
        }
        if (fstat(t->cur.fd, &st) < 0) {
                note(cb, TAIL_NOTE_ERROR, t->cur.name, -errno);
                return 0;
        }
        if ((uint64_t)st.st_size < t->cur.pos.offset + t->cur.pending ||
            !head_check(&t->cur, (uint64_t)st.st_size)) {
                if ((r = truncated(t, cb, now)) < 0)
                        return r;
                /* Read the copy's end before the new content. */
                if (t->prev.fd >= 0 &&
                    (r = read_reader(t, &t->prev, cb, budget, now, &got, ret_more)) < 0)
                        return r;
                (void)head_check(&t->cur, (uint64_t)st.st_size);
        }
        return read_reader(t, &t->cur, cb, budget, now, &got, ret_more);
}
