/* Unit tests for inventory/host/proc: a real child process read from the
 * live /proc, and a /proc-shaped tree with the awkward cases (a command name
 * with ") " in it, a process that vanished, an over-long command line, a
 * deleted executable). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/macro.h"
#include "inventory/host/proc.h"

static void write_file(const char *path, const char *data, size_t len)
{
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
}

static void test_live_child(void **state)
{
        proc_list_t l = { 0 };
        const proc_info_t *p;
        char *cmd;
        int pipefd[2];
        char c;
        pid_t pid;
        (void)state;

        /* The child execs sleep with known arguments once the pipe closes
         * on its side, so the test reads a real, fully started process. */
        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pipefd[0]);
                fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
                execl("/bin/sleep", "sleep", "3600", (char *)NULL);
                _exit(127);
        }
        close(pipefd[1]);
        /* EOF on the pipe: the child has exec'd (CLOEXEC closed it). */
        assert_int_equal(read(pipefd[0], &c, 1), 0);
        close(pipefd[0]);

        assert_int_equal(proc_list_read(&l), 0);
        assert_true(l.n > 1);
        p = proc_list_find(&l, pid);
        assert_non_null(p);
        assert_string_equal(p->comm, "sleep");
        assert_int_equal(p->ppid, getpid());
        assert_int_equal(p->uid, getuid());
        assert_int_equal(p->euid, geteuid());
        assert_non_null(p->exe);
        assert_true(strstr(p->exe, "sleep") != NULL);
        assert_false(p->exe_deleted);
        assert_false(p->cmdline_truncated);
        assert_int_equal(p->cmdline_len, 10);
        assert_memory_equal(p->cmdline,
                            "sleep\0"
                            "3600",
                            10);
        cmd = proc_cmdline_string(p);
        assert_string_equal(cmd, "sleep 3600");
        free(cmd);
        assert_true(p->start_time > 0);
        /* Our own process is there too, and the list is sorted. */
        assert_non_null(proc_list_find(&l, getpid()));
        for (size_t i = 1; i < l.n; i++)
                assert_true(l.v[i - 1].pid < l.v[i].pid);
        proc_list_clear(&l);
        assert_int_equal(l.n, 0);

        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static void make_pid(const char *root, const char *pid, const char *stat, const char *comm,
                     const char *cmdline, size_t cmdline_len, const char *exe)
{
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", root, pid);
        assert_int_equal(mkdir(path, 0755), 0);
        if (stat) {
                snprintf(path, sizeof(path), "%s/%s/stat", root, pid);
                write_file(path, stat, strlen(stat));
        }
        snprintf(path, sizeof(path), "%s/%s/status", root, pid);
        write_file(path, "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n", 37);
        snprintf(path, sizeof(path), "%s/%s/comm", root, pid);
        write_file(path, comm, strlen(comm));
        snprintf(path, sizeof(path), "%s/%s/cmdline", root, pid);
        write_file(path, cmdline, cmdline_len);
        if (exe) {
                snprintf(path, sizeof(path), "%s/%s/exe", root, pid);
                assert_int_equal(symlink(exe, path), 0);
        }
}

static void test_tree(void **state)
{
        char root[] = "/tmp/vigil-test-proc.XXXXXX", path[4096], cmd[4200];
        proc_list_t l = { 0 };
        const proc_info_t *p;
        char *big;
        (void)state;

        assert_non_null(mkdtemp(root));
        /* A command name that tries to shift the stat fields. */
        make_pid(root, "10",
                 "10 (a) S 99 (b) S 7 10 10 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 555 1 1\n",
                 "a) S 99 (b\n", "a\0-x\0\0\0", 7, "/usr/bin/a (deleted)");
        /* No stat: gone between listing and reading. */
        make_pid(root, "20", NULL, "gone\n", "", 0, NULL);
        /* Kernel thread style: empty cmdline, no exe. */
        make_pid(root, "2", "2 (kthreadd) S 0 0 0 0 -1 1 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0\n",
                 "kthreadd\n", "", 0, NULL);
        /* Over-long command line. */
        big = malloc(PROC_MAX_CMDLINE + 100);
        assert_non_null(big);
        memset(big, 'x', PROC_MAX_CMDLINE + 100);
        make_pid(root, "30", "30 (big) R 1 0 0 0 -1 1 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0\n", "big\n",
                 big, PROC_MAX_CMDLINE + 100, "/bin/big");
        free(big);
        /* Garbage stat: skipped like a vanished process. */
        make_pid(root, "40", "40 no parens here\n", "bad\n", "", 0, NULL);
        /* Entries that are not processes. */
        snprintf(path, sizeof(path), "%s/self", root);
        assert_int_equal(symlink("10", path), 0);
        snprintf(path, sizeof(path), "%s/net", root);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/0123", root);
        assert_int_equal(mkdir(path, 0755), 0);

        assert_int_equal(proc_list_read_at(root, &l), 0);
        assert_int_equal(l.n, 3);
        assert_int_equal(l.v[0].pid, 2);
        assert_int_equal(l.v[1].pid, 10);
        assert_int_equal(l.v[2].pid, 30);

        p = proc_list_find(&l, 10);
        assert_string_equal(p->comm, "a) S 99 (b");
        assert_int_equal(p->ppid, 7);
        assert_int_equal(p->start_time, 555);
        assert_int_equal(p->uid, 1000);
        assert_int_equal(p->euid, 0);
        assert_string_equal(p->exe, "/usr/bin/a");
        assert_true(p->exe_deleted);
        assert_int_equal(p->cmdline_len, 4);
        {
                char *s = proc_cmdline_string(p);
                assert_string_equal(s, "a -x");
                free(s);
        }

        p = proc_list_find(&l, 2);
        assert_null(p->exe);
        assert_int_equal(p->cmdline_len, 0);
        {
                char *s = proc_cmdline_string(p);
                assert_string_equal(s, "");
                free(s);
        }

        p = proc_list_find(&l, 30);
        assert_true(p->cmdline_truncated);
        assert_int_equal(p->cmdline_len, PROC_MAX_CMDLINE);
        assert_null(proc_list_find(&l, 20));
        assert_null(proc_list_find(&l, 40));
        proc_list_clear(&l);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(proc_list_read_at(root, &l), -ENOENT);
        assert_int_equal(proc_list_read_at("/dev/null", &l), -ENOTDIR);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_live_child),
                cmocka_unit_test(test_tree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
