/* Helpers shared by the process sweep's unit tests: starting real child
 * programs (copies of /bin/sleep in a temporary directory, deleted or
 * not, or run from a memfd) and waiting until they run. Every wait is for
 * a condition, with a long safety limit, never a fixed sleep. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Copy SRC to DST with MODE. Returns 0 or -1. */
static inline int pstest_copy(const char *src, const char *dst, mode_t mode)
{
        int in = open(src, O_RDONLY | O_CLOEXEC), out;
        struct stat st;
        off_t off = 0;

        if (in < 0 || fstat(in, &st) < 0)
                return -1;
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (out < 0) {
                close(in);
                return -1;
        }
        while (off < st.st_size)
                if (sendfile(out, in, &off, (size_t)(st.st_size - off)) <= 0)
                        break;
        close(in);
        close(out);
        return off == st.st_size ? 0 : -1;
}

/* Wait until PID's exe link contains WANT (or PID is gone). True when
 * seen. */
static inline bool pstest_wait_exe(pid_t pid, const char *want)
{
        for (int i = 0; i < 20000; i++) {
                char path[64], link[4096];
                ssize_t n;
                snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
                n = readlink(path, link, sizeof(link) - 1);
                if (n > 0) {
                        link[n] = 0;
                        if (strstr(link, want))
                                return true;
                } else if (errno == ENOENT && kill(pid, 0) < 0)
                        return false;
                usleep(1000);
        }
        return false;
}

/* In a child: output to /dev/null, so a child (or its own children) never
 * holds the test's output pipe open. */
static inline void pstest_quiet(void)
{
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                if (fd > 2)
                        close(fd);
        }
}

/* Fork and exec PATH with ARGV; the child dies with the test. */
static inline pid_t pstest_spawn(const char *path, char *const argv[])
{
        pid_t pid = fork();

        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                pstest_quiet();
                execv(path, argv);
                _exit(127);
        }
        return pid;
}

/* Run a copy of /bin/sleep from a memfd named NAME. */
static inline pid_t pstest_spawn_memfd(const char *name)
{
        pid_t pid = fork();

        if (pid == 0) {
                static char *const argv[] = { "sleep", "600", NULL };
                extern char **environ;
                int fd = memfd_create(name, 0), in = open("/bin/sleep", O_RDONLY);
                struct stat st;
                off_t off = 0;
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                pstest_quiet();
                if (fd < 0 || in < 0 || fstat(in, &st) < 0)
                        _exit(127);
                while (off < st.st_size)
                        if (sendfile(fd, in, &off, (size_t)(st.st_size - off)) <= 0)
                                _exit(127);
                fexecve(fd, argv, environ);
                _exit(127);
        }
        return pid;
}

static inline void pstest_kill(pid_t pid)
{
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
}
