#include "scan/baseline/cmdexec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

static const char *const search_path[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
static char *const minimal_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

int cmdexec_split(const char *s, strv_t *ret)
{
        _cleanup_buf_ buf_t word;
        size_t words = 0;
        bool in_word = false;
        int r;

        buf_init(&word, 64 * KiB);
        for (;;) {
                char c = *s;
                if (c == 0 || c == ' ' || c == '\t' || c == '\n') {
                        if (in_word) {
                                char *w = buf_take(&word);
                                if (!w)
                                        return -ENOMEM;
                                if (++words > CMDEXEC_MAX_WORDS) {
                                        free(w);
                                        return -EINVAL;
                                }
                                if ((r = strv_push_take(ret, w)) < 0)
                                        return r;
                                in_word = false;
                        }
                        if (c == 0)
                                break;
                        s++;
                        continue;
                }
                in_word = true;
                if (c == '\'') {
                        const char *end = strchr(s + 1, '\'');
                        if (!end)
                                return -EINVAL;
                        if ((r = buf_append(&word, s + 1, (size_t)(end - s - 1))) < 0)
                                return r;
                        s = end + 1;
                } else if (c == '"') {
                        s++;
                        for (;;) {
                                if (!*s)
                                        return -EINVAL;
                                if (*s == '"') {
                                        s++;
                                        break;
                                }
                                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                                        s++;
                                if ((r = buf_append(&word, s, 1)) < 0)
                                        return r;
                                s++;
                        }
                } else if (c == '\\' && s[1]) {
                        if ((r = buf_append(&word, s + 1, 1)) < 0)
                                return r;
                        s += 2;
                } else {
                        if ((r = buf_append(&word, s, 1)) < 0)
                                return r;
                        s++;
                }
        }
        return words ? 0 : -EINVAL;
}

static bool is_executable(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The program to execute for NAME, or NULL (caller frees *RET). */
static int resolve(const char *name, char **ret)
{
        if (strchr(name, '/')) {
                if (!is_executable(name))
                        return access(name, F_OK) == 0 ? -EACCES : -ENOENT;
                *ret = strdup(name);
                return *ret ? 0 : -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(search_path); i++) {
                char *p = str_printf("%s/%s", search_path[i], name);
                if (!p)
                        return -ENOMEM;
                if (is_executable(p)) {
                        *ret = p;
                        return 0;
                }
                free(p);
        }
        return -ENOENT;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void child(const char *path, char *const *argv, int out_fd, int err_fd)
{
        sigset_t all;
        int devnull;

        setpgid(0, 0);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
                goto fail;
        /* Keep only the exec-error pipe (close-on-exec) as descriptor 3. */
        if (err_fd != 3) {
                if (dup3(err_fd, 3, O_CLOEXEC) < 0)
                        goto fail;
                err_fd = 3;
        }
        if (close_range(4, ~0U, 0) < 0)
                for (int fd = 4; fd < 65536; fd++)
                        close(fd);
        execve(path, argv, minimal_env);
fail:;
        int e = errno;
        ssize_t w = write(err_fd, &e, sizeof(e));
        (void)w;
        _exit(127);
}

static void kill_group(pid_t pid)
{
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
}

static int reap(pid_t pid, int *ret_status)
{
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (ret_status)
                *ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return 0;
}

int cmdexec_run(char *const *argv, const cmdexec_opts_t *opts, char **ret_output, size_t *ret_len,
                int *ret_status)
{
        unsigned timeout = opts && opts->timeout_ms ? opts->timeout_ms : CMDEXEC_DEFAULT_TIMEOUT_MS;
        size_t max = opts && opts->max_output ? opts->max_output : CMDEXEC_DEFAULT_MAX_OUTPUT;
        _cleanup_free_ char *path = NULL;
        _cleanup_buf_ buf_t out;
        int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
        long long deadline;
        int r, exec_errno = 0, status = 0;
        bool eof = false;
        pid_t pid;

        if (!argv || !argv[0])
                return -EINVAL;
        if ((r = resolve(argv[0], &path)) < 0)
                return r;
        buf_init(&out, max);
        if (pipe2(outp, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(errp, O_CLOEXEC) < 0) {
                r = -errno;
                close(outp[0]);
                close(outp[1]);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(outp[0]);
                close(outp[1]);
                close(errp[0]);
                close(errp[1]);
                return r;
        }
        if (pid == 0)
                child(path, argv, outp[1], errp[1]);
        setpgid(pid, pid); /* also done by the child; whichever runs first wins */
        close(outp[1]);
        close(errp[1]);
        if (read(errp[0], &exec_errno, sizeof(exec_errno)) == (ssize_t)sizeof(exec_errno)) {
                close(errp[0]);
                close(outp[0]);
                reap(pid, NULL);
                return exec_errno ? -exec_errno : -ENOEXEC;
        }
        close(errp[0]);

        deadline = now_ms() + timeout;
        r = 0;
        while (!eof) {
                long long left = deadline - now_ms();
                struct pollfd pfd = { .fd = outp[0], .events = POLLIN };
                char chunk[16384];
                ssize_t n;

                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                n = poll(&pfd, 1, (int)MIN(left, 1000));
                if (n < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (n <= 0)
                        continue;
                n = read(outp[0], chunk, sizeof(chunk));
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        eof = true;
                else if ((r = buf_append(&out, chunk, (size_t)n)) < 0)
                        break;
        }
        close(outp[0]);
        /* The output is complete; give the process the rest of its time to
         * exit, then kill what is left of its group. */
        while (r == 0) {
                siginfo_t si = { 0 };
                /* WNOWAIT keeps the child a zombie, so its process group id
                 * cannot be reused before stray members are killed. */
                int w = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
                if (w == 0 && si.si_pid == pid) {
                        kill(-pid, SIGKILL);
                        if ((r = reap(pid, &status)) < 0)
                                return r;
                        break;
                }
                if (w < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (now_ms() >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                poll(NULL, 0, 5);
        }
        if (r < 0) {
                kill_group(pid);
                reap(pid, NULL);
                return r;
        }
        *ret_len = out.len;
        *ret_output = buf_take(&out);
        if (!*ret_output)
                return -ENOMEM;
        if (ret_status)
                *ret_status = status;
        return 0;
}
