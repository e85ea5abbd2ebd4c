#include "scan/process/response.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/macro.h"
#include "scan/process/psconf.h"
#include "scan/process/pslist.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

const char *response_outcome_name(response_outcome_t o)
{
        switch (o) {
        case RESPONSE_KILLED:
                return "killed";
        case RESPONSE_ALLOWLISTED:
                return "allowlisted";
        case RESPONSE_PROTECTED:
                return "protected";
        case RESPONSE_GONE:
                return "gone";
        default:
                return "failed";
        }
}

/* True when process PID runs the same file as this process. */
static bool runs_vigil(int proc_dirfd, pid_t pid)
{
        struct stat self, other;
        char path[32];

        if (fstatat(proc_dirfd, "self/exe", &self, 0) < 0)
                return false;
        snprintf(path, sizeof(path), "%d/exe", (int)pid);
        if (fstatat(proc_dirfd, path, &other, 0) < 0)
                return false;
        return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

bool response_protected(int proc_dirfd, const response_target_t *t)
{
        return t->pid <= 1 || t->kthread || t->pid == getpid() || runs_vigil(proc_dirfd, t->pid);
}

/* The start time of PID now, or -ESRCH. */
static int start_time_of(int proc_dirfd, pid_t pid, unsigned long long *ret)
{
        char path[32], buf[4096];
        _cleanup_close_ int fd = -1;
        ps_stat_t st;
        ssize_t n;

        snprintf(path, sizeof(path), "%d/stat", (int)pid);
        fd = openat(proc_dirfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -ESRCH;
        n = read(fd, buf, sizeof(buf));
        if (n <= 0 || (size_t)n >= sizeof(buf) || pslist_parse_stat(buf, (size_t)n, &st) < 0 ||
            st.pid != pid)
                return -ESRCH;
        *ret = st.start_time;
        return 0;
}

response_outcome_t response_kill(int proc_dirfd, const response_target_t *t,
                                 const strv_t *allowlist, int *ret_errno)
{
        _cleanup_close_ int pidfd = -1;
        unsigned long long now;

        if (response_protected(proc_dirfd, t))
                return RESPONSE_PROTECTED;
        if (psconf_listed(allowlist, t->exe, t->comm))
                return RESPONSE_ALLOWLISTED;

        /* Pin the process, then check that it is still the one the sweep
         * saw: from here on the pidfd cannot refer to another process. */
        pidfd = (int)syscall(SYS_pidfd_open, (long)t->pid, 0L);
        if (pidfd < 0 && errno == ESRCH)
                return RESPONSE_GONE;
        if (start_time_of(proc_dirfd, t->pid, &now) < 0 || now != t->start_time)
                return RESPONSE_GONE;
        if (pidfd >= 0) {
                if (syscall(SYS_pidfd_send_signal, (long)pidfd, (long)SIGKILL, NULL, 0L) == 0)
                        return RESPONSE_KILLED;
                if (errno == ESRCH)
                        return RESPONSE_GONE;
        } else if (kill(t->pid, SIGKILL) == 0)
                return RESPONSE_KILLED;
        else if (errno == ESRCH)
                return RESPONSE_GONE;
        if (ret_errno)
                *ret_errno = errno;
        return RESPONSE_FAILED;
}
