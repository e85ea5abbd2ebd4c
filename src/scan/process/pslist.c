#include "scan/process/pslist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/text.h"

/* A stat line is a few hundred bytes; one longer than this is not one. */
#define STAT_MAX 4096
/* readlink of the exe link: a longer path is left unread, since a cut path
 * would name another file. */
#define EXE_MAX (PATH_MAX * 2)
/* The first read of cmdline; longer command lines take a second buffer. */
#define CMDLINE_FIRST 4096

static const char deleted_suffix[] = " (deleted)";

/* Parse the decimal token [P, P+N) into *RET. */
static int parse_dec(const char *p, size_t n, unsigned long long *ret)
{
        char tmp[24];

        if (n == 0 || n >= sizeof(tmp))
                return -EINVAL;
        memcpy(tmp, p, n);
        tmp[n] = 0;
        return str_to_u64(tmp, ret);
}

int pslist_parse_stat(const char *s, size_t n, ps_stat_t *ret)
{
        const char *open_paren, *close_paren = NULL, *p, *end = s + n;
        ps_stat_t st = { 0 };
        unsigned long long v;
        unsigned field = 2;
        size_t clen;

        open_paren = memchr(s, '(', n);
        if (!open_paren)
                return -EINVAL;
        for (const char *q = end; q > open_paren; q--)
                if (q[-1] == ')') {
                        close_paren = q - 1;
                        break;
                }
        if (!close_paren)
                return -EINVAL;
        if (parse_dec(s, (size_t)(open_paren - s) - (open_paren > s && open_paren[-1] == ' '), &v) <
                    0 ||
            v == 0 || v > INT32_MAX)
                return -EINVAL;
        st.pid = (pid_t)v;
        clen = (size_t)(close_paren - open_paren - 1);
        if (clen > PSLIST_MAX_COMM)
                return -EINVAL;
        memcpy(st.comm, open_paren + 1, clen);
        st.comm[clen] = 0;

        p = close_paren + 1;
        while (p < end && field < 22) {
                const char *tok;
                size_t tlen;

                while (p < end && *p == ' ')
                        p++;
                tok = p;
                while (p < end && *p != ' ' && *p != '\n')
                        p++;
                tlen = (size_t)(p - tok);
                if (tlen == 0)
                        break;
                field++;
                switch (field) {
                case 3:
                        if (tlen != 1)
                                return -EINVAL;
                        st.state = tok[0];
                        break;
                case 4:
                        if (parse_dec(tok, tlen, &v) < 0 || v > INT32_MAX)
                                return -EINVAL;
                        st.ppid = (pid_t)v;
                        break;
                case 9:
                        if (parse_dec(tok, tlen, &v) < 0 || v > ULONG_MAX)
                                return -EINVAL;
                        st.flags = (unsigned long)v;
                        break;
                case 20:
                        if (parse_dec(tok, tlen, &v) < 0 || v > ULONG_MAX)
                                return -EINVAL;
                        st.num_threads = (unsigned long)v;
                        break;
                case 22:
                        if (parse_dec(tok, tlen, &v) < 0)
                                return -EINVAL;
                        st.start_time = v;
                        break;
                default:
                        break;
                }
        }
        if (field < 22)
                return -EINVAL;
        *ret = st;
        return 0;
}

static int pids_push(pid_t **v, size_t *n, size_t *cap, pid_t pid)
{
        if (*n >= PSLIST_MAX_PROCS)
                return -E2BIG;
        if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 1024;
                pid_t *nv = realloc(*v, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = nc;
        }
        (*v)[(*n)++] = pid;
        return 0;
}

static int cmp_pid_t(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return (x > y) - (x < y);
}

/* A directory entry name that is a pid, or 0. */
static pid_t name_pid(const char *name)
{
        unsigned long long v;

        if (name[0] < '1' || name[0] > '9')
                return 0;
        if (str_to_u64(name, &v) < 0 || v > INT32_MAX)
                return 0;
        return (pid_t)v;
}

struct linux_dirent64_hdr {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

int pslist_pids_raw(int proc_dirfd, pid_t **ret, size_t *ret_n)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ pid_t *v = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, cap = 0;
        enum { BUFSZ = 32 * 1024 };

        /* A description of its own, so the listing starts at the
         * beginning whatever the caller did with PROC_DIRFD. */
        fd = openat(proc_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        buf = malloc(BUFSZ);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                long k = syscall(SYS_getdents64, fd, buf, BUFSZ);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                for (long off = 0; off < k;) {
                        const struct linux_dirent64_hdr *d = (const void *)(buf + off);
                        size_t max_name;
                        pid_t pid;
                        int r;

                        /* The kernel wrote these records, but a short or
                         * overlong record length would walk off the
                         * buffer, so it is checked like any input. */
                        if ((long)sizeof(*d) > k - off ||
                            d->d_reclen < offsetof(struct linux_dirent64_hdr, d_name) + 1 ||
                            d->d_reclen > k - off)
                                return -EIO;
                        max_name = d->d_reclen - offsetof(struct linux_dirent64_hdr, d_name);
                        if (!memchr(d->d_name, 0, max_name))
                                return -EIO;
                        off += d->d_reclen;
                        pid = name_pid(d->d_name);
                        if (pid <= 0)
                                continue;
                        if ((r = pids_push(&v, &n, &cap, pid)) < 0)
                                return r;
                }
        }
        if (n > 1)
                qsort(v, n, sizeof(*v), cmp_pid_t);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

int pslist_pids_libc(int proc_dirfd, pid_t **ret, size_t *ret_n)
{
        _cleanup_free_ pid_t *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        fd = openat(proc_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                pid_t pid = name_pid(de->d_name);
                if (pid > 0 && (r = pids_push(&v, &n, &cap, pid)) < 0)
                        break;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0)
                return r;
        if (n > 1)
                qsort(v, n, sizeof(*v), cmp_pid_t);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

bool pslist_pids_contain(const pid_t *v, size_t n, pid_t pid)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (v[mid] == pid)
                        return true;
                if (v[mid] < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

/* Read NAME in DIRFD with one read into BUF (procfs returns the whole of
 * these small files in one call when the buffer is big enough). Returns the
 * byte count or a negative errno; CAP bytes read means "maybe more". */
static ssize_t read_once(int dirfd, const char *name, char *buf, size_t cap, int *ret_fd)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        ssize_t n;

        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, cap);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        if (ret_fd)
                *ret_fd = fd;
        else
                close(fd);
        return n;
}

static bool gone(int r)
{
        return r == -ENOENT || r == -ESRCH;
}

/* The command line: one read of CMDLINE_FIRST bytes serves almost every
 * process; a longer one is read on from the same descriptor up to the cap. */
static int read_cmdline(int dfd, ps_entry_t *e)
{
        char first[CMDLINE_FIRST];
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *big = NULL;
        ssize_t n;
        size_t len;

        n = read_once(dfd, "cmdline", first, sizeof(first), &fd);
        if (n < 0)
                return (int)n;
        len = (size_t)n;
        if (len == sizeof(first)) {
                big = malloc(PSLIST_MAX_CMDLINE + 2);
                if (!big)
                        return -ENOMEM;
                memcpy(big, first, len);
                while (len < PSLIST_MAX_CMDLINE + 1) {
                        ssize_t k = read(fd, big + len, PSLIST_MAX_CMDLINE + 1 - len);
                        if (k < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (k == 0)
                                break;
                        len += (size_t)k;
                }
                if (len > PSLIST_MAX_CMDLINE) {
                        len = PSLIST_MAX_CMDLINE;
                        e->cmdline_truncated = true;
                }
        }
        /* Drop the final NUL (and any NUL padding) so NULs only separate. */
        while (len > 0 && (big ? big : first)[len - 1] == 0)
                len--;
        if (len == 0)
                return 0;
        e->cmdline = malloc(len + 1);
        if (!e->cmdline)
                return -ENOMEM;
        memcpy(e->cmdline, big ? big : first, len);
        e->cmdline[len] = 0;
        e->cmdline_len = len;
        return 0;
}

static int read_exe(int dfd, const pslist_opts_t *o, ps_entry_t *e)
{
        /* On the stack: only the bytes of the path are kept, not a buffer
         * of EXE_MAX per process for the whole sweep. */
        char buf[EXE_MAX + 1];
        bool suffix = false;
        struct stat st;
        ssize_t n;

        n = readlinkat(dfd, "exe", buf, EXE_MAX + 1);
        if (n <= 0 || (size_t)n > EXE_MAX)
                return n < 0 && gone(-errno) ? -ESRCH : 0;
        buf[n] = 0;
        if ((size_t)n > STRLEN(deleted_suffix) && str_endswith(buf, deleted_suffix)) {
                buf[(size_t)n - STRLEN(deleted_suffix)] = 0;
                suffix = true;
        }
        /* The stat through the link reaches the file itself, also when its
         * name is gone; a link count of 0 tells a deleted file from one
         * whose name merely ends in " (deleted)". */
        if ((o && o->exe_stat) || suffix) {
                if (fstatat(dfd, "exe", &st, 0) == 0) {
                        e->exe_stat_ok = true;
                        e->exe_dev = (uint64_t)st.st_dev;
                        e->exe_ino = (uint64_t)st.st_ino;
                        e->exe_size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
                        e->exe_mtime_ns =
                                (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
                        e->exe_nlink =
                                st.st_nlink > UINT32_MAX ? UINT32_MAX : (unsigned)st.st_nlink;
                }
        }
        if (suffix) {
                e->exe_memfd = str_startswith(buf, "/memfd:");
                e->exe_deleted = e->exe_memfd || (e->exe_stat_ok && e->exe_nlink == 0);
                if (!e->exe_deleted) /* a real name ending in " (deleted)" */
                        buf[strlen(buf)] = ' ';
        }
        e->exe = strdup(buf);
        return e->exe ? 0 : -ENOMEM;
}

/* "net:[4026531840]" → 4026531840 */
static uint64_t read_netns(int dfd)
{
        char link[64];
        unsigned long long v;
        ssize_t n = readlinkat(dfd, "ns/net", link, sizeof(link) - 1);

        if (n <= 6 || link[n - 1] != ']' || memcmp(link, "net:[", 5) != 0)
                return 0;
        return parse_dec(link + 5, (size_t)n - 6, &v) == 0 ? v : 0;
}

void ps_entry_done(ps_entry_t *e)
{
        if (!e)
                return;
        free(e->exe);
        free(e->cmdline);
        *e = (ps_entry_t){ 0 };
}

int pslist_read_pid(int proc_dirfd, pid_t pid, const pslist_opts_t *o, ps_entry_t *ret)
{
        _cleanup_close_ int dfd = -1;
        ps_entry_t e = { .pid = pid };
        char statbuf[STAT_MAX];
        char name[24];
        ps_stat_t st;
        ssize_t n;
        int r;

        if (pid <= 0)
                return -ESRCH;
        snprintf(name, sizeof(name), "%d", (int)pid);
        dfd = openat(proc_dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return errno == ENOMEM ? -ENOMEM : -ESRCH;
        n = read_once(dfd, "stat", statbuf, sizeof(statbuf), NULL);
        if (n <= 0 || (size_t)n >= sizeof(statbuf) ||
            pslist_parse_stat(statbuf, (size_t)n, &st) < 0 || st.pid != pid)
                return -ESRCH;
        e.ppid = st.ppid;
        e.state = st.state;
        e.num_threads = st.num_threads;
        e.start_time = st.start_time;
        e.kthread = (st.flags & PSLIST_PF_KTHREAD) != 0;
        memcpy(e.comm, st.comm, sizeof(e.comm));
        if (!e.kthread) {
                r = read_cmdline(dfd, &e);
                if (r == -ENOMEM)
                        goto fail;
                if (gone(r)) {
                        r = -ESRCH;
                        goto fail;
                }
                r = read_exe(dfd, o, &e);
                if (r < 0)
                        goto fail;
                if (o && o->netns)
                        e.netns = read_netns(dfd);
        }
        *ret = e;
        return 0;
fail:
        ps_entry_done(&e);
        return r;
}

static int cmp_entry(const void *a, const void *b)
{
        const ps_entry_t *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

int pslist_read(int proc_dirfd, const pslist_opts_t *o, ps_list_t *out, pslist_stats_t *stats)
{
        _cleanup_free_ pid_t *pids = NULL;
        ps_list_t l = { 0 };
        pslist_stats_t s = { 0 };
        size_t n_pids;
        int r;

        r = pslist_pids_raw(proc_dirfd, &pids, &n_pids);
        if (r < 0)
                return r;
        s.listed = n_pids;
        l.v = calloc(n_pids ? n_pids : 1, sizeof(*l.v));
        if (!l.v)
                return -ENOMEM;
        l.cap = n_pids ? n_pids : 1;
        for (size_t i = 0; i < n_pids; i++) {
                ps_entry_t e;
                r = pslist_read_pid(proc_dirfd, pids[i], o, &e);
                if (r == -ESRCH) {
                        s.vanished++;
                        continue;
                }
                if (r < 0) {
                        ps_list_clear(&l);
                        return r;
                }
                s.kthreads += e.kthread;
                s.threads += e.num_threads;
                l.v[l.n++] = e;
        }
        /* The listing was sorted, and so is the list; sorting again costs
         * nothing and keeps the invariant independent of that. */
        if (l.n > 1)
                qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
        ps_list_clear(out);
        *out = l;
        if (stats)
                *stats = s;
        return 0;
}

void ps_list_clear(ps_list_t *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                ps_entry_done(&l->v[i]);
        free(l->v);
        *l = (ps_list_t){ 0 };
}

const ps_entry_t *ps_list_find(const ps_list_t *l, pid_t pid)
{
        size_t lo = 0, hi = l->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (l->v[mid].pid == pid)
                        return &l->v[mid];
                if (l->v[mid].pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

const char *ps_entry_argv0(const ps_entry_t *e)
{
        return e->cmdline ? e->cmdline : "";
}
