#include "agent/scanproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/timeutil.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Read from the child's pipes in pieces of this size. */
#define CHUNK (64 * KiB)
/* How often the reading loop looks at a stop request while the child is
 * silent. */
#define POLL_MS 1000

int scanproc_find_exe(const char *configured, char **ret)
{
        const char *env = getenv("VIGIL_SCAN_EXE");
        char self[4096];
        ssize_t n;
        char *slash, *p;

        if (!configured && env && *env)
                configured = env;
        if (configured) {
                if (configured[0] != '/')
                        return -EINVAL;
                p = strdup(configured);
                if (!p)
                        return -ENOMEM;
                *ret = p;
                return 0;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(self) - 1)
                return -ENAMETOOLONG;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        p = str_printf("%s/vigil", self);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

void scanproc_child_init(scanproc_child_t *c)
{
        pthread_mutex_init(&c->lock, NULL);
        c->pid = 0;
        c->stop = false;
}

void scanproc_child_destroy(scanproc_child_t *c)
{
        pthread_mutex_destroy(&c->lock);
}

void scanproc_stop(scanproc_child_t *c)
{
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        if (c->pid > 0)
                (void)kill(-c->pid, SIGTERM);
        pthread_mutex_unlock(&c->lock);
}

static bool stop_requested(scanproc_child_t *c)
{
        bool stop;

        pthread_mutex_lock(&c->lock);
        stop = c->stop;
        pthread_mutex_unlock(&c->lock);
        return stop;
}

bool scanproc_completed(const report_t *r, const char *name)
{
        json_t *st = json_object_get(r->stats, name);

        if (!json_is_object(st) || !json_object_get(st, "elapsed_ms") ||
            json_integer_value(json_object_get(st, "failed")) > 0)
                return false;
        for (size_t i = 0; i < r->n_notes; i++) {
                const report_note_t *n = &r->notes[i];
                if (n->kind == REPORT_NOTE_ERROR && n->source && strcmp(n->source, name) == 0 &&
                    str_startswith(n->message, "scanner failed"))
                        return false;
        }
        return true;
}

/* Move *FD above the standard descriptors, so the child's dup2 onto 0, 1
 * and 2 never meets one of its own sources there. */
static int fd_above_stdio(int *fd)
{
        int nfd;

        if (*fd > 2)
                return 0;
        nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
        if (nfd < 0)
                return -errno;
        close(*fd);
        *fd = nfd;
        return 0;
}

static int make_pipe(int p[2])
{
        int r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        if ((r = fd_above_stdio(&p[0])) < 0 || (r = fd_above_stdio(&p[1])) < 0) {
                close(p[0]);
                close(p[1]);
                p[0] = p[1] = -1;
                return r;
        }
        return 0;
}

static void close_pair(int p[2])
{
        for (int i = 0; i < 2; i++)
                if (p[i] >= 0) {
                        close(p[i]);
                        p[i] = -1;
                }
}

/* In the child, between fork and exec: async-signal-safe calls only (no
 * allocation, no stdio, no locks). Reports a failure to exec by writing
 * errno to ERRFD (close-on-exec, so a successful exec closes it unseen). */
_Noreturn static void child_exec(const char *exe, char *const argv[], int nice_value, int in,
                                 int out, int err, int errfd)
{
        sigset_t none;
        int e;

        setpgid(0, 0);
        /* Signal mask and ignored signals survive exec: the worker thread's
         * mask and the agent's ignored SIGPIPE must not reach the scan. */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)signal(sig, SIG_DFL);
        (void)setpriority(PRIO_PROCESS, 0, nice_value);
#ifdef SYS_ioprio_set
        /* The idle I/O class (IOPRIO_WHO_PROCESS, this process, class 3). */
        (void)syscall(SYS_ioprio_set, 1, 0, 3 << 13);
#endif
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                goto fail;
#ifdef SYS_close_range
        /* Nothing else of the agent's (its store, sockets, watches) reaches
         * the scan, whether or not it was opened close-on-exec. */
        (void)syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
        execv(exe, argv);
fail:
        e = errno;
        (void)!write(errfd, &e, sizeof(e));
        _exit(127);
}

/* Keep only the last SCANPROC_STDERR_TAIL bytes of B after appending N
 * bytes of P. */
static int tail_append(buf_t *b, const char *p, size_t n)
{
        if (n >= SCANPROC_STDERR_TAIL) {
                buf_reset(b);
                return buf_append(b, p + n - SCANPROC_STDERR_TAIL, SCANPROC_STDERR_TAIL);
        }
        if (b->len + n > SCANPROC_STDERR_TAIL) {
                size_t drop = b->len + n - SCANPROC_STDERR_TAIL;
                memmove(b->data, b->data + drop, b->len - drop);
                b->len -= drop;
                b->data[b->len] = '\0';
        }
        return buf_append(b, p, n);
}

/* The last SCANPROC_STDERR_LINES lines of the child's standard error on one
 * line, joined by " | ", with a leading ": "; "" when it said nothing.
 * Caller frees; NULL when out of memory. */
static char *stderr_lines(const buf_t *err)
{
        const char *s = err->data ? err->data : "";
        size_t end = err->len, start;
        int lines = 0;
        buf_t b;

        while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == ' '))
                end--;
        start = end;
        while (start > 0) {
                if (s[start - 1] == '\n' && ++lines == SCANPROC_STDERR_LINES)
                        break;
                start--;
        }
        buf_init(&b, SCANPROC_STDERR_TAIL * 2 + 8);
        if (end > start && buf_append_str(&b, ": ") < 0)
                goto oom;
        for (size_t i = start; i < end; i++) {
                int r = s[i] == '\n' ? buf_append_str(&b, " | ") : buf_append(&b, &s[i], 1);
                if (r < 0)
                        goto oom;
        }
        return buf_take(&b);
oom:
        buf_free(&b);
        return NULL;
}

static int64_t mono_ms(void)
{
        return timeutil_mono_us() / 1000;
}

/* Whether the child has exited (it is not reaped here). */
static bool child_exited(pid_t pid)
{
        siginfo_t info = { 0 };

        return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == pid;
}

/* Read the child's standard output into OUT (at most MAX bytes) and the
 * end of its standard error into ERR until both are closed. Returns 0,
 * -E2BIG when the output passed MAX, -ECANCELED when a stop was requested
 * and the child is gone or did not go within the grace time, or a negative
 * errno. */
static int read_child(scanproc_child_t *c, pid_t pid, int outfd, int errfd, size_t max, buf_t *out,
                      buf_t *err)
{
        _cleanup_free_ char *chunk = malloc(CHUNK);
        struct pollfd pfd[2] = { { .fd = outfd, .events = POLLIN },
                                 { .fd = errfd, .events = POLLIN } };
        int64_t stop_at = -1;

        if (!chunk)
                return -ENOMEM;
        while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
                int n = poll(pfd, 2, POLL_MS);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (stop_requested(c)) {
                        if (stop_at < 0)
                                stop_at = mono_ms();
                        /* Something the child started may still hold the
                         * pipes: once the child is gone, stop waiting. */
                        if (child_exited(pid))
                                return -ECANCELED;
                        if (mono_ms() - stop_at >= SCANPROC_KILL_GRACE_MS) {
                                (void)kill(-pid, SIGKILL);
                                return -ECANCELED;
                        }
                }
                for (int i = 0; n > 0 && i < 2; i++) {
                        ssize_t got;
                        if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        got = read(pfd[i].fd, chunk, CHUNK);
                        if (got < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (got <= 0) {
                                pfd[i].fd = -1;
                                continue;
                        }
                        if (i == 0) {
                                int r = buf_append(out, chunk, (size_t)got);
                                if (r == -E2BIG || out->len > max)
                                        return -E2BIG;
                                if (r < 0)
                                        return r;
                        } else if (tail_append(err, chunk, (size_t)got) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* Wait for the child and reap it. The pid leaves C first (under the lock),
 * so a stop never signals a reaped pid that may belong to another process
 * by then. Returns the wait status. */
static int reap(scanproc_child_t *c, pid_t pid)
{
        siginfo_t info;
        int status = 0;

        while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
                ;
        pthread_mutex_lock(&c->lock);
        c->pid = 0;
        pthread_mutex_unlock(&c->lock);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return status;
}

/* The child's argument vector; caller frees with strv_clear. */
static int build_argv(const scanproc_opts_t *o, strv_t *argv)
{
        _cleanup_buf_ buf_t only = { 0 };
        int r;

        buf_init(&only, 4096);
        for (size_t i = 0; i < o->only->n; i++)
                if ((r = buf_printf(&only, "%s%s", i ? "," : "", o->only->v[i])) < 0)
                        return r;
        if ((r = strv_push(argv, o->exe)) < 0 || (r = strv_push(argv, "scan")) < 0 ||
            (r = strv_push(argv, "--only")) < 0 || (r = strv_push(argv, only.data)) < 0 ||
            (r = strv_push(argv, "--format")) < 0 || (r = strv_push(argv, "json")) < 0 ||
            (r = strv_push(argv, "--no-progress")) < 0 || (r = strv_push(argv, "-j")) < 0 ||
            (r = strv_push(argv, "1")) < 0 || (r = strv_push(argv, "--state")) < 0 ||
            (r = strv_push(argv, o->state_dir)) < 0)
                return r;
        if (o->config_path &&
            ((r = strv_push(argv, "--config")) < 0 || (r = strv_push(argv, o->config_path)) < 0))
                return r;
        return 0;
}

static int fail(char **ret_error, int r, const buf_t *err, const char *fmt, ...) _printf_(4, 5);
static int fail(char **ret_error, int r, const buf_t *err, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL, *lines = err ? stderr_lines(err) : NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        *ret_error = msg ? str_printf("%s%s", msg, lines ? lines : "") : NULL;
        return r;
}

/* What the wait status says, e.g. "exited with status 2" or "was killed by
 * signal 9 (Killed)". */
static void describe_status(int status, char *out, size_t n)
{
        if (WIFEXITED(status))
                snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(out, n, "was killed by signal %d (%s)", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
        else
                snprintf(out, n, "ended with wait status %d", status);
}

int scanproc_run(const scanproc_opts_t *o, scanproc_child_t *c, report_t **ret_report,
                 strv_t *ret_completed, char **ret_error)
{
        _cleanup_(strv_clear) strv_t argv = { 0 };
        _cleanup_buf_ buf_t out = { 0 }, err = { 0 };
        _cleanup_close_ int nul = -1;
        int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, execp[2] = { -1, -1 };
        size_t max = o->max_output ? o->max_output : SCANPROC_MAX_OUTPUT;
        report_t *report = NULL;
        json_t *doc = NULL;
        json_error_t jerr;
        char how[128];
        int exec_errno = 0, status, r;
        pid_t pid;

        *ret_error = NULL;
        buf_init(&out, max);
        buf_init(&err, SCANPROC_STDERR_TAIL);
        if (!o->only || o->only->n == 0)
                return fail(ret_error, -EINVAL, NULL, "no scanner to run");
        if ((r = build_argv(o, &argv)) < 0)
                return r;
        nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nul < 0)
                return fail(ret_error, -errno, NULL, "/dev/null: %s", strerror(errno));
        if ((r = make_pipe(outp)) < 0 || (r = make_pipe(errp)) < 0 || (r = make_pipe(execp)) < 0) {
                close_pair(outp);
                close_pair(errp);
                return fail(ret_error, r, NULL, "cannot make a pipe: %s", strerror(-r));
        }

        pthread_mutex_lock(&c->lock);
        if (c->stop) {
                pthread_mutex_unlock(&c->lock);
                close_pair(outp);
                close_pair(errp);
                close_pair(execp);
                return fail(ret_error, -ECANCELED, NULL, "the scan was stopped before it began");
        }
        pid = fork();
        if (pid == 0)
                child_exec(o->exe, argv.v, o->nice, nul, outp[1], errp[1], execp[1]);
        r = pid < 0 ? -errno : 0;
        if (pid > 0) {
                /* Also from here, so a stop right after fork reaches the
                 * group even before the child has run. */
                (void)setpgid(pid, pid);
                c->pid = pid;
        }
        pthread_mutex_unlock(&c->lock);
        close(outp[1]);
        close(errp[1]);
        close(execp[1]);
        outp[1] = errp[1] = execp[1] = -1;
        if (r < 0) {
                close_pair(outp);
                close_pair(errp);
                close_pair(execp);
                return fail(ret_error, r, NULL, "cannot start a process: %s", strerror(-r));
        }

        /* A successful exec closes the write end unseen: EOF, no errno. */
        while ((r = (int)read(execp[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
                ;
        close_pair(execp);
        if (r != (int)sizeof(exec_errno))
                exec_errno = 0;
        r = exec_errno ? 0 : read_child(c, pid, outp[0], errp[0], max, &out, &err);
        if (r < 0 && r != -ECANCELED)
                (void)kill(-pid, SIGKILL);
        close_pair(outp);
        close_pair(errp);
        status = reap(c, pid);
        if (exec_errno)
                return fail(ret_error, -exec_errno, NULL, "cannot run %s: %s", o->exe,
                            strerror(exec_errno));
        /* A stop that came while the child was going down on its own
         * signal still counts as the reason; one that came after a
         * finished scan does not. */
        if (r == -ECANCELED ||
            (stop_requested(c) && !(WIFEXITED(status) && WEXITSTATUS(status) <= 1)))
                return fail(ret_error, -ECANCELED, NULL, "the scan was stopped");
        if (r == -E2BIG)
                return fail(ret_error, r, &err, "the report of %s is larger than %zu MiB", o->exe,
                            max / MiB);
        if (r < 0)
                return fail(ret_error, r, &err, "reading from %s: %s", o->exe, strerror(-r));

        describe_status(status, how, sizeof(how));
        if (!WIFEXITED(status) || WEXITSTATUS(status) > 2)
                return fail(ret_error, -EIO, &err, "vigil scan %s", how);
        doc = json_loadb(out.data ? out.data : "", out.len, 0, &jerr);
        if (!doc)
                return fail(ret_error, -EIO, &err, "vigil scan %s without a readable report (%s)",
                            how, jerr.text);
        {
                _cleanup_free_ char *why = NULL;
                r = report_from_json(doc, &report, &why);
                json_decref(doc);
                if (r < 0)
                        return fail(ret_error, r, &err, "vigil scan %s; its report: %s", how,
                                    why ? why : strerror(-r));
        }
        if (WEXITSTATUS(status) == 2) {
                /* A report of a failed scan: keep what it found, but no
                 * scanner counts as having completed, so nothing it did
                 * not see again is taken as fixed. */
                _cleanup_free_ char *lines = stderr_lines(&err);
                if (report_note(report, REPORT_NOTE_ERROR, "scan", "vigil scan %s%s", how,
                                lines ? lines : "") < 0) {
                        report_free(report);
                        return -ENOMEM;
                }
        } else {
                for (size_t i = 0; i < o->only->n; i++)
                        if (scanproc_completed(report, o->only->v[i]) &&
                            strv_push(ret_completed, o->only->v[i]) < 0) {
                                report_free(report);
                                return -ENOMEM;
                        }
        }
        *ret_report = report;
        return 0;
}
