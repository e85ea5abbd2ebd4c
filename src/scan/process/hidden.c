#include "scan/process/hidden.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/macro.h"

/* The inode number of the initial pid namespace (PROC_PID_INIT_INO in the
 * kernel; fixed since Linux 3.8). */
#define INIT_PIDNS_INO 4026531836ULL

static int read_small_at(int dirfd, const char *path, char *buf, size_t cap, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        ssize_t n;

        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, cap - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret_len = (size_t)n;
        return 0;
}

/* kill(PID, 0) through the system call: true when the pid exists (EPERM
 * means it exists but belongs to someone else). */
static bool answers(pid_t pid)
{
        long r = syscall(SYS_kill, (long)pid, 0L);
        return r == 0 || errno == EPERM;
}

int hidden_parse_loadavg(const char *s, size_t n, unsigned long *ret_tasks, pid_t *ret_last_pid)
{
        /* "l1 l5 l15 running/total last_pid" */
        const char *p = s, *end = s + n, *slash;
        unsigned long long total, last;
        char num[24];
        size_t k;

        for (int f = 0; f < 3; f++) {
                while (p < end && *p != ' ')
                        p++;
                while (p < end && *p == ' ')
                        p++;
        }
        slash = memchr(p, '/', (size_t)(end - p));
        if (!slash)
                return -EINVAL;
        p = slash + 1;
        for (k = 0; p + k < end && p[k] >= '0' && p[k] <= '9'; k++)
                ;
        if (k == 0 || k >= sizeof(num))
                return -EINVAL;
        memcpy(num, p, k);
        num[k] = 0;
        if (str_to_u64(num, &total) < 0 || total > ULONG_MAX)
                return -EINVAL;
        p += k;
        while (p < end && *p == ' ')
                p++;
        for (k = 0; p + k < end && p[k] >= '0' && p[k] <= '9'; k++)
                ;
        if (k == 0 || k >= sizeof(num))
                return -EINVAL;
        memcpy(num, p, k);
        num[k] = 0;
        if (str_to_u64(num, &last) < 0 || last > INT32_MAX)
                return -EINVAL;
        *ret_tasks = (unsigned long)total;
        *ret_last_pid = (pid_t)last;
        return 0;
}

int hidden_read_loadavg(int proc_dirfd, unsigned long *ret_tasks, pid_t *ret_last_pid)
{
        char buf[256];
        size_t n;
        int r = read_small_at(proc_dirfd, "loadavg", buf, sizeof(buf), &n);

        if (r < 0)
                return r;
        return hidden_parse_loadavg(buf, n, ret_tasks, ret_last_pid);
}

pid_t hidden_pid_max(int proc_dirfd)
{
        char buf[32];
        unsigned long long v;
        size_t n;

        if (read_small_at(proc_dirfd, "sys/kernel/pid_max", buf, sizeof(buf), &n) < 0)
                return 4194304;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = 0;
        if (str_to_u64(buf, &v) < 0 || v < 2 || v > 4194304)
                return 4194304;
        return (pid_t)v;
}

bool hidden_proc_is_own(int proc_dirfd)
{
        char link[32], want[32];
        ssize_t n = readlinkat(proc_dirfd, "self", link, sizeof(link) - 1);

        if (n <= 0)
                return false;
        link[n] = 0;
        snprintf(want, sizeof(want), "%d", (int)getpid());
        return strcmp(link, want) == 0;
}

bool hidden_in_init_pidns(int proc_dirfd)
{
        char link[64], want[64];
        ssize_t n = readlinkat(proc_dirfd, "self/ns/pid", link, sizeof(link) - 1);

        if (n <= 0)
                return false;
        link[n] = 0;
        snprintf(want, sizeof(want), "pid:[%llu]", INIT_PIDNS_INO);
        return strcmp(link, want) == 0;
}

/* A sorted, growable set of pids. */
typedef struct pidset {
        pid_t *v;
        size_t n, cap;
} pidset_t;

static void pidset_free(pidset_t *s)
{
        free(s->v);
        *s = (pidset_t){ 0 };
}

static int pidset_add(pidset_t *s, pid_t pid)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 1024;
                pid_t *v;
                if (cap > PSLIST_MAX_PROCS * 2)
                        return -E2BIG;
                v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = pid;
        return 0;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return (x > y) - (x < y);
}

static void pidset_sort(pidset_t *s)
{
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(*s->v), cmp_pid);
}

/* The thread ids of process PID from /proc/PID/task, added to S. */
static int add_threads(int proc_dirfd, pid_t pid, pidset_t *s, size_t *count)
{
        _cleanup_close_ int tfd = -1;
        char path[32];
        pid_t *tids = NULL;
        size_t n = 0;
        int r;

        snprintf(path, sizeof(path), "%d/task", (int)pid);
        tfd = openat(proc_dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0)
                return 0; /* gone, or not ours to read */
        r = pslist_pids_raw(tfd, &tids, &n);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < n && r == 0; i++)
                if (tids[i] != pid) {
                        r = pidset_add(s, tids[i]);
                        (*count)++;
                }
        free(tids);
        return r;
}

/* The Tgid of /proc/PID/status: the process a thread id belongs to. */
static int read_tgid(int proc_dirfd, pid_t pid, pid_t *ret)
{
        char path[32], buf[4096];
        const char *p;
        unsigned long long v;
        size_t n, k;
        char num[24];
        int r;

        snprintf(path, sizeof(path), "%d/status", (int)pid);
        if ((r = read_small_at(proc_dirfd, path, buf, sizeof(buf), &n)) < 0)
                return r;
        p = strstr(buf, "\nTgid:");
        if (!p)
                return -EINVAL;
        p += 6;
        while (*p == ' ' || *p == '\t')
                p++;
        for (k = 0; p[k] >= '0' && p[k] <= '9' && k < sizeof(num) - 1; k++)
                num[k] = p[k];
        num[k] = 0;
        if (str_to_u64(num, &v) < 0 || v == 0 || v > INT32_MAX)
                return -EINVAL;
        *ret = (pid_t)v;
        return 0;
}

/* /proc/PID/stat by name: name, parent and start time. */
static int read_stat(int proc_dirfd, pid_t pid, ps_stat_t *ret)
{
        char path[32], buf[4096];
        size_t n;
        int r;

        snprintf(path, sizeof(path), "%d/stat", (int)pid);
        if ((r = read_small_at(proc_dirfd, path, buf, sizeof(buf), &n)) < 0)
                return r;
        return pslist_parse_stat(buf, n, ret);
}

typedef struct cand {
        pid_t pid;
        const char *method;
        bool readable;
        ps_stat_t st;
} cand_t;

static int cands_add(cand_t **v, size_t *n, size_t *cap, pid_t pid, const char *method)
{
        for (size_t i = 0; i < *n; i++)
                if ((*v)[i].pid == pid)
                        return 0;
        if (*n >= HIDDEN_MAX_CANDIDATES)
                return -E2BIG;
        if (*n == *cap) {
                size_t c = *cap ? *cap * 2 : 16;
                cand_t *nv = realloc(*v, c * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = c;
        }
        (*v)[(*n)++] = (cand_t){ .pid = pid, .method = method };
        return 0;
}

static int result_add(hidden_result_t *r, const cand_t *c)
{
        hidden_proc_t *h;

        if (r->n == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 8;
                hidden_proc_t *v = realloc(r->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                r->v = v;
                r->cap = cap;
        }
        h = &r->v[r->n++];
        *h = (hidden_proc_t){
                .pid = c->pid,
                .method = c->method,
                .proc_entry_readable = c->readable,
                .ppid = c->readable ? c->st.ppid : 0,
                .start_time = c->readable ? c->st.start_time : 0,
        };
        if (c->readable)
                memcpy(h->comm, c->st.comm, sizeof(h->comm));
        return 0;
}

int hidden_check(const hidden_opts_t *o, hidden_result_t *ret)
{
        _cleanup_free_ cand_t *cands = NULL;
        _cleanup_free_ pid_t *again = NULL, *libc = NULL;
        hidden_result_t res = { 0 };
        pidset_t known = { 0 };
        size_t n_cands = 0, cap_cands = 0, n_again = 0, n_libc = 0;
        pid_t from = o->probe_from, to = o->probe_to;
        bool own = hidden_proc_is_own(o->proc_dirfd);
        int (*list_raw)(int, pid_t **, size_t *) = o->list_raw ? o->list_raw : pslist_pids_raw;
        int (*list_libc)(int, pid_t **, size_t *) = o->list_libc ? o->list_libc : pslist_pids_libc;
        int r = 0;

        for (size_t i = 0; i < o->procs->n; i++)
                res.tasks_listed += o->procs->v[i].num_threads;

        /* Task count: the kernel counts every task of every namespace, so
         * the comparison only holds in the initial pid namespace. */
        if (o->task_count && o->tasks_before && own && hidden_in_init_pidns(o->proc_dirfd)) {
                unsigned long after;
                pid_t last;
                if (hidden_read_loadavg(o->proc_dirfd, &after, &last) == 0) {
                        unsigned long kernel = MIN(after, o->tasks_before);
                        uint64_t tolerance = 4 + o->procs->n / 64;
                        res.tasks_kernel = kernel;
                        if ((uint64_t)kernel > res.tasks_listed + tolerance) {
                                res.count_deficit = true;
                                if (o->probe_all_to > 0) {
                                        from = 1;
                                        to = o->probe_all_to;
                                }
                        }
                }
        }
        if (!own) {
                /* Signals reach this pid namespace, the listing shows
                 * another: comparing them would report every process. */
                res.skipped_foreign_proc = true;
                from = 1;
                to = 0;
        }

        /* What is known to run: the listing and the threads of every
         * multi-threaded process in it. */
        for (size_t i = 0; i < o->procs->n && r == 0; i++)
                r = pidset_add(&known, o->procs->v[i].pid);
        if (r == 0 && (to >= from || o->parents) && own)
                for (size_t i = 0; i < o->procs->n && r == 0; i++)
                        if (o->procs->v[i].num_threads > 1)
                                r = add_threads(o->proc_dirfd, o->procs->v[i].pid, &known,
                                                &res.threads_known);
        if (r < 0)
                goto out;
        pidset_sort(&known);

        if (o->cross_view) {
                r = list_libc(o->proc_dirfd, &libc, &n_libc);
                if (r < 0)
                        goto out;
                for (size_t i = 0; i < o->procs->n && r == 0; i++)
                        if (!pslist_pids_contain(libc, n_libc, o->procs->v[i].pid))
                                r = cands_add(&cands, &n_cands, &cap_cands, o->procs->v[i].pid,
                                              "libc_readdir");
        }
        if (r == 0 && o->parents && own)
                for (size_t i = 0; i < o->procs->n && r == 0; i++) {
                        pid_t pp = o->procs->v[i].ppid;
                        if (pp > 0 && !pslist_pids_contain(known.v, known.n, pp) && answers(pp))
                                r = cands_add(&cands, &n_cands, &cap_cands, pp, "parent");
                }
        if (r == 0 && to >= from && from >= 1) {
                size_t k = 0;
                for (pid_t pid = from; pid <= to && r == 0; pid++) {
                        while (k < known.n && known.v[k] < pid)
                                k++;
                        if (k < known.n && known.v[k] == pid)
                                continue;
                        res.probed++;
                        if (answers(pid))
                                r = cands_add(&cands, &n_cands, &cap_cands, pid, "probe");
                }
        }
        if (r == -E2BIG)
                r = 0; /* confirm what was gathered; the count says more */
        if (r < 0)
                goto out;
        res.candidates = n_cands;
        if (n_cands == 0)
                goto done;

        /* First look at each candidate: a thread of a listed process is
         * not hidden; a thread of an unlisted one stands for its process. */
        for (size_t i = 0; i < n_cands; i++) {
                cand_t *c = &cands[i];
                pid_t tgid;
                if (strcmp(c->method, "libc_readdir") != 0 &&
                    read_tgid(o->proc_dirfd, c->pid, &tgid) == 0 && tgid != c->pid) {
                        if (pslist_pids_contain(known.v, known.n, tgid)) {
                                c->pid = 0;
                                continue;
                        }
                        c->pid = tgid;
                }
                c->readable = read_stat(o->proc_dirfd, c->pid, &c->st) == 0;
        }

        /* A second listing taken while the candidates were known to be
         * alive: a process that started after the first one shows here. */
        r = list_raw(o->proc_dirfd, &again, &n_again);
        if (r < 0)
                goto out;
        if (o->cross_view) {
                free(libc);
                libc = NULL;
                r = list_libc(o->proc_dirfd, &libc, &n_libc);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; i < n_cands; i++) {
                cand_t *c = &cands[i];
                bool dup = false;
                ps_stat_t now;

                if (c->pid <= 0)
                        continue;
                for (size_t j = 0; j < i; j++)
                        dup |= cands[j].pid == c->pid;
                if (dup)
                        continue;
                if (strcmp(c->method, "libc_readdir") == 0) {
                        if (pslist_pids_contain(libc, n_libc, c->pid) ||
                            !pslist_pids_contain(again, n_again, c->pid))
                                continue;
                } else if (pslist_pids_contain(again, n_again, c->pid))
                        continue;
                if (!answers(c->pid))
                        continue;
                if (c->readable) {
                        if (read_stat(o->proc_dirfd, c->pid, &now) < 0 ||
                            now.start_time != c->st.start_time)
                                continue;
                }
                if ((r = result_add(&res, c)) < 0)
                        goto out;
        }
done:
        pidset_free(&known);
        *ret = res;
        return 0;
out:
        pidset_free(&known);
        hidden_result_clear(&res);
        return r;
}

void hidden_result_clear(hidden_result_t *r)
{
        if (!r)
                return;
        free(r->v);
        *r = (hidden_result_t){ 0 };
}

int hidden_parse_preload(const char *data, size_t n, strv_t *ret)
{
        size_t i = 0;

        while (i < n) {
                size_t start;
                char *e;
                int r;

                if (data[i] == '#') {
                        while (i < n && data[i] != '\n')
                                i++;
                        continue;
                }
                if (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r' ||
                    data[i] == ':' || data[i] == 0) {
                        i++;
                        continue;
                }
                start = i;
                while (i < n && data[i] != ' ' && data[i] != '\t' && data[i] != '\n' &&
                       data[i] != '\r' && data[i] != ':' && data[i] != 0)
                        i++;
                if (i - start > PATH_MAX)
                        return -E2BIG;
                if (ret->n >= HIDDEN_MAX_PRELOAD)
                        return -E2BIG;
                e = str_ndup(data + start, i - start);
                if (!e)
                        return -ENOMEM;
                if ((r = strv_push_take(ret, e)) < 0)
                        return r;
        }
        return 0;
}
