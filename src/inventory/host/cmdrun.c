#include "inventory/host/cmdrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/macro.h"
#include "core/text.h"

int cmdrun_find_program(const char *name, char **ret)
{
        static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

        if (!*name || strchr(name, '/'))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = str_printf("%s/%s", dirs[i], name);
                struct stat st;

                if (!p)
                        return -ENOMEM;
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Kill the child's process group and reap the child. */
static void kill_and_reap(pid_t pid)
{
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

int cmdrun_capture(const char *const argv[], int timeout_ms, size_t max_out, char **ret_out,
                   size_t *ret_len, int *ret_status)
{
        cmdrun_opts_t o = { .timeout_ms = timeout_ms, .max_out = max_out };

        if (!argv || !argv[0] || argv[0][0] != '/')
                return -EINVAL;
        return cmdrun_run(argv, &o, ret_out, ret_len, ret_status);
}

int cmdrun_run(const char *const argv[], const cmdrun_opts_t *opts, char **ret_out, size_t *ret_len,
               int *ret_status)
{
        /* A fixed environment: the tool's behaviour must not depend on the
         * caller's locale or PATH. */
        static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
        _cleanup_buf_ buf_t out = { 0 };
        _cleanup_free_ char *resolved = NULL;
        const char *prog;
        int pipefd[2], status, r = 0;
        int timeout_ms = opts->timeout_ms;
        bool merge = opts->merge_stderr;
        long long deadline;
        size_t len;
        pid_t pid;
        char *s;

        buf_init(&out, opts->max_out);
        if (!argv || !argv[0] || !argv[0][0])
                return -EINVAL;
        prog = argv[0];
        if (prog[0] != '/') {
                r = cmdrun_find_program(prog, &resolved);
                if (r < 0)
                        return r == -EINVAL ? -ENOENT : r;
                prog = resolved;
        }
        {
                struct stat st;
                if (stat(prog, &st) < 0)
                        return -ENOENT;
                /* A directory passes access(X_OK) for root; only run files. */
                if (!S_ISREG(st.st_mode) || access(prog, X_OK) < 0)
                        return -EACCES;
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                /* Only async-signal-safe calls from here to execve. */
                sigset_t all;
                int nul;

                setpgid(0, 0);
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                signal(SIGPIPE, SIG_DFL);
                nul = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (nul < 0 || dup2(nul, 0) < 0 || dup2(pipefd[1], 1) < 0 ||
                    dup2(merge ? pipefd[1] : nul, 2) < 0)
                        _exit(127);
                execve(prog, (char *const *)argv, envp);
                _exit(127);
        }
        close(pipefd[1]);
        /* Also set from the parent so a kill right after fork reaches the
         * group even if the child has not run yet. */
        setpgid(pid, pid);

        deadline = now_ms() + timeout_ms;
        for (;;) {
                char chunk[16 * 1024];
                struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
                long long left = deadline - now_ms();
                ssize_t n;
                int k;

                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                k = poll(&pfd, 1, (int)MIN(left, 1000LL));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (k == 0)
                        continue;
                n = read(pipefd[0], chunk, sizeof(chunk));
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                r = buf_append(&out, chunk, (size_t)n);
                if (r < 0)
                        break;
        }
        close(pipefd[0]);
        if (r < 0) {
                kill_and_reap(pid);
                return r;
        }
        /* The output is closed; the program should be exiting. Wait for it
         * within what is left of the time limit. */
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR) {
                        r = -errno;
                        kill_and_reap(pid);
                        return r;
                }
                if (now_ms() >= deadline) {
                        kill_and_reap(pid);
                        return -ETIMEDOUT;
                }
                poll(NULL, 0, 10);
        }
        len = out.len;
        s = buf_take(&out);
        if (!s)
                return -ENOMEM;
        *ret_out = s;
        if (ret_len)
                *ret_len = len;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}
