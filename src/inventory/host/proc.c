#include "inventory/host/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"

/* Caps for the small files of /proc/PID. The kernel writes stat and status
 * itself, but a comm of 16 bytes with ')' and spaces in it is chosen by the
 * process, so parsing never trusts field positions before the last ')'. */
#define PROC_MAX_STAT   (8 * KiB)
#define PROC_MAX_STATUS (64 * KiB)
#define PROC_MAX_COMM   (4 * KiB)
/* readlink of /proc/PID/exe: a path longer than this is left unread. */
#define PROC_MAX_EXE (PATH_MAX * 2)

/* Read at most MAX bytes of NAME inside DIRFD into a fresh NUL-terminated
 * buffer. *RET_TRUNCATED (when not NULL) says the file had more; without it
 * a longer file is -EFBIG. Returns 0 or a negative errno. */
static int read_small(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len,
                      bool *ret_truncated)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        data = malloc(max + 2);
        if (!data)
                return -ENOMEM;
        /* Read one byte past the cap to know whether there was more. */
        while (len < max + 1) {
                ssize_t n = read(fd, data + len, max + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max) {
                if (!ret_truncated)
                        return -EFBIG;
                *ret_truncated = true;
                len = max;
        } else if (ret_truncated)
                *ret_truncated = false;
        data[len] = 0;
        *ret = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* A process that went away between listing and reading shows as ENOENT or
 * ESRCH depending on where the read was. */
static bool gone(int r)
{
        return r == -ENOENT || r == -ESRCH;
}

/* Fields after the command name in /proc/PID/stat: the name is in
 * parentheses and may itself contain ") ", so the fields start after the
 * last ')'. Field 3 (state) is the first token there. */
static int parse_stat(const char *s, pid_t *ret_ppid, unsigned long long *ret_start)
{
        const char *p = strrchr(s, ')');
        unsigned long long ppid = 0, start = 0;
        unsigned field = 2;

        if (!p)
                return -EINVAL;
        p++;
        while (*p && field < 22) {
                const char *tok;
                size_t n;
                char tmp[32];
                unsigned long long v;

                while (*p == ' ')
                        p++;
                tok = p;
                while (*p && *p != ' ')
                        p++;
                n = (size_t)(p - tok);
                if (n == 0)
                        break;
                field++;
                if (field != 4 && field != 22)
                        continue;
                if (n >= sizeof(tmp))
                        return -EINVAL;
                memcpy(tmp, tok, n);
                tmp[n] = 0;
                if (str_to_u64(tmp, &v) < 0)
                        return -EINVAL;
                if (field == 4)
                        ppid = v;
                else
                        start = v;
        }
        if (field < 22 || ppid > INT32_MAX)
                return -EINVAL;
        *ret_ppid = (pid_t)ppid;
        *ret_start = start;
        return 0;
}

/* The real and effective uid from the "Uid:" line of /proc/PID/status. */
static int parse_status_uid(const char *s, uid_t *ret_uid, uid_t *ret_euid)
{
        const char *line = s;

        while (line && *line) {
                if (str_startswith(line, "Uid:")) {
                        unsigned long long v[2];
                        const char *p = line + 4;
                        for (int i = 0; i < 2; i++) {
                                char tmp[24];
                                size_t n = 0;
                                while (*p == ' ' || *p == '\t')
                                        p++;
                                while (p[n] >= '0' && p[n] <= '9' && n < sizeof(tmp) - 1)
                                        n++;
                                if (n == 0 || n >= sizeof(tmp) - 1)
                                        return -EINVAL;
                                memcpy(tmp, p, n);
                                tmp[n] = 0;
                                if (str_to_u64(tmp, &v[i]) < 0 || v[i] > UINT32_MAX)
                                        return -EINVAL;
                                p += n;
                        }
                        *ret_uid = (uid_t)v[0];
                        *ret_euid = (uid_t)v[1];
                        return 0;
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return -EINVAL;
}

static char *read_exe(int dirfd, bool *ret_deleted)
{
        static const char deleted[] = " (deleted)";
        _cleanup_free_ char *buf = malloc(PROC_MAX_EXE + 1);
        ssize_t n;

        *ret_deleted = false;
        if (!buf)
                return NULL;
        n = readlinkat(dirfd, "exe", buf, PROC_MAX_EXE + 1);
        /* A link as long as the buffer may have been cut by readlink; a cut
         * path would name another file, so it is left unread. */
        if (n <= 0 || (size_t)n > PROC_MAX_EXE)
                return NULL;
        buf[n] = 0;
        if ((size_t)n > STRLEN(deleted) && str_endswith(buf, deleted)) {
                buf[(size_t)n - STRLEN(deleted)] = 0;
                *ret_deleted = true;
        }
        return TAKE_PTR(buf);
}

void proc_info_done(proc_info_t *p)
{
        if (!p)
                return;
        free(p->comm);
        free(p->exe);
        free(p->cmdline);
        *p = (proc_info_t){ 0 };
}

int proc_read_pid(int proc_dirfd, pid_t pid, proc_info_t *ret)
{
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *stat = NULL, *status = NULL;
        proc_info_t p = { .pid = pid };
        char name[24];
        size_t len;
        int r;

        if (pid <= 0)
                return -ESRCH;
        snprintf(name, sizeof(name), "%d", (int)pid);
        dfd = openat(proc_dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return errno == ENOMEM ? -ENOMEM : -ESRCH;

        /* stat is what makes a process: without it the entry is gone or not
         * a process at all. */
        r = read_small(dfd, "stat", PROC_MAX_STAT, &stat, NULL, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || parse_stat(stat, &p.ppid, &p.start_time) < 0)
                return -ESRCH;

        r = read_small(dfd, "status", PROC_MAX_STATUS, &status, NULL, NULL);
        if (r == -ENOMEM)
                return r;
        if (gone(r))
                return -ESRCH;
        if (r < 0 || parse_status_uid(status, &p.uid, &p.euid) < 0)
                p.uid = p.euid = (uid_t)-1;

        r = read_small(dfd, "comm", PROC_MAX_COMM, &p.comm, &len, NULL);
        if (r == -ENOMEM)
                goto fail;
        if (gone(r)) {
                r = -ESRCH;
                goto fail;
        }
        if (r == 0 && len > 0 && p.comm[len - 1] == '\n')
                p.comm[len - 1] = 0;

        r = read_small(dfd, "cmdline", PROC_MAX_CMDLINE, &p.cmdline, &p.cmdline_len,
                       &p.cmdline_truncated);
        if (r == -ENOMEM)
                goto fail;
        if (gone(r)) {
                r = -ESRCH;
                goto fail;
        }
        /* The last argument ends with a NUL; drop it (and any padding a
         * process wrote over its argument area) so NULs only separate. */
        while (r == 0 && p.cmdline_len > 0 && p.cmdline[p.cmdline_len - 1] == 0)
                p.cmdline_len--;

        p.exe = read_exe(dfd, &p.exe_deleted);
        *ret = p;
        return 0;
fail:
        proc_info_done(&p);
        return r;
}

static int cmp_pid(const void *a, const void *b)
{
        const proc_info_t *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

int proc_list_read_at(const char *proc_path, proc_list_t *out)
{
        _cleanup_close_ int pfd = -1;
        proc_list_t l = { 0 };
        DIR *d;
        struct dirent *de;
        int r = 0;

        pfd = open(proc_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return errno == ENOTDIR ? -ENOTDIR : errno == ENOMEM ? -ENOMEM : -ENOENT;
        {
                int dupfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
                if (dupfd < 0)
                        return -errno;
                d = fdopendir(dupfd);
                if (!d) {
                        r = -errno;
                        close(dupfd);
                        return r;
                }
        }
        while ((errno = 0, de = readdir(d))) {
                unsigned long long v;
                proc_info_t p;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                if (str_to_u64(de->d_name, &v) < 0 || v > INT32_MAX)
                        continue;
                r = proc_read_pid(pfd, (pid_t)v, &p);
                if (r == -ESRCH) {
                        r = 0;
                        continue;
                }
                if (r < 0)
                        goto fail;
                if (l.n == l.cap) {
                        size_t cap = l.cap ? l.cap * 2 : 256;
                        proc_info_t *nv = realloc(l.v, cap * sizeof(*nv));
                        if (!nv) {
                                proc_info_done(&p);
                                r = -ENOMEM;
                                goto fail;
                        }
                        l.v = nv;
                        l.cap = cap;
                }
                l.v[l.n++] = p;
        }
        closedir(d);
        d = NULL;
        if (l.n > 1)
                qsort(l.v, l.n, sizeof(*l.v), cmp_pid);
        proc_list_clear(out);
        *out = l;
        return 0;
fail:
        if (d)
                closedir(d);
        proc_list_clear(&l);
        return r;
}

int proc_list_read(proc_list_t *out)
{
        return proc_list_read_at("/proc", out);
}

void proc_list_clear(proc_list_t *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                proc_info_done(&l->v[i]);
        free(l->v);
        *l = (proc_list_t){ 0 };
}

const proc_info_t *proc_list_find(const proc_list_t *l, pid_t pid)
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

char *proc_cmdline_string(const proc_info_t *p)
{
        char *s;

        if (!p->cmdline || p->cmdline_len == 0)
                return strdup("");
        s = malloc(p->cmdline_len + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < p->cmdline_len; i++)
                s[i] = p->cmdline[i] ? p->cmdline[i] : ' ';
        s[p->cmdline_len] = 0;
        return s;
}
