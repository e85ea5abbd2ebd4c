/* Unit tests for detect/fim/pkgmgr, the rule that holds judgement while a
 * package manager runs: a real process (Debian's python3, renamed with
 * prctl) takes a real POSIX lock on var/lib/dpkg/lock-frontend of a temp
 * root, and the probe must see it when the holder looks like a package
 * manager, refuse it when it does not, and see nothing once it is gone. */
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

#include "detect/fim/pkgmgr.h"

#define PYTHON "/usr/bin/python3"

/* Start python as NAME holding a write lock on LOCK; returns its pid once
 * the lock is held, with *RET_FD the pipe that keeps it alive. */
static int holder_out = -1;

static pid_t start_holder(const char *name, const char *lock, int *ret_fd)
{
        static const char script[] = "import ctypes, fcntl, sys\n"
                                     "ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)\n"
                                     "f = open(sys.argv[2], 'r+')\n"
                                     "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                                     "print('ready', flush=True)\n"
                                     "sys.stdin.read()\n";
        int in[2], out[2];
        char buf[16] = "";
        pid_t pid;

        assert_int_equal(pipe(in), 0);
        assert_int_equal(pipe(out), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(in[0], 0);
                dup2(out[1], 1);
                close(in[1]);
                close(out[0]);
                execl(PYTHON, "python3", "-c", script, name, lock, (char *)NULL);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        assert_true(read(out[0], buf, sizeof(buf) - 1) > 0);
        assert_non_null(strstr(buf, "ready"));
        /* Kept open while the holder lives: a closed pipe would kill it. */
        holder_out = out[0];
        *ret_fd = in[1];
        return pid;
}

static void stop_holder(pid_t pid, int fd)
{
        int status;
        close(fd);
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
        close(holder_out);
}

static char root_path[64];
static char lock_path[128];

static int setup(void **state)
{
        char cmd[256];
        int fd;

        (void)state;
        snprintf(root_path, sizeof(root_path), "/tmp/vigil-pkgmgr.XXXXXX");
        if (!mkdtemp(root_path))
                return -1;
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s/var/lib/dpkg'", root_path);
        if (system(cmd) != 0)
                return -1;
        snprintf(lock_path, sizeof(lock_path), "%s/var/lib/dpkg/lock-frontend", root_path);
        fd = open(lock_path, O_CREAT | O_WRONLY, 0640);
        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

static int teardown(void **state)
{
        char cmd[256];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_path);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_names(void **state)
{
        (void)state;
        assert_true(pkgmgr_is_manager_name("dpkg"));
        assert_true(pkgmgr_is_manager_name("apt-get"));
        assert_true(pkgmgr_is_manager_name("unattended-upgr"));
        assert_true(pkgmgr_is_manager_name("rpm"));
        assert_true(pkgmgr_is_manager_name("apk"));
        assert_false(pkgmgr_is_manager_name("dpkgx"));
        assert_false(pkgmgr_is_manager_name("bash"));
        assert_false(pkgmgr_is_manager_name(""));
        /* This test program is neither a package manager nor under one. */
        assert_false(pkgmgr_pid_is_manager(getpid(), NULL, 0));
        assert_int_equal(pkgmgr_pid_under_manager(getpid()), 0);
}

static void test_lock_by_manager(void **state)
{
        rootfs_t *root = NULL;
        pkgmgr_state_t st;
        int fd;
        pid_t pid;

        (void)state;
        if (access(PYTHON, X_OK) < 0)
                skip();
        assert_int_equal(rootfs_open(root_path, &root), 0);
        assert_int_equal(pkgmgr_probe(root, false, &st), 0);
        assert_false(st.running);
        assert_false(st.holder_untrusted);

        pid = start_holder("dpkg", lock_path, &fd);
        assert_int_equal(pkgmgr_probe(root, false, &st), 0);
        assert_true(st.running);
        assert_int_equal(st.pid, pid);
        assert_string_equal(st.name, "dpkg");
        assert_string_equal(st.via, "lock /var/lib/dpkg/lock-frontend");
        assert_int_equal(pkgmgr_pid_under_manager(pid), 1);
        /* The process list finds it too. */
        assert_int_equal(pkgmgr_probe(root, true, &st), 0);
        assert_true(st.running);
        stop_holder(pid, fd);

        assert_int_equal(pkgmgr_probe(root, false, &st), 0);
        assert_false(st.running);
        rootfs_free(root);
}

static void test_lock_by_impostor(void **state)
{
        rootfs_t *root = NULL;
        pkgmgr_state_t st;
        int fd;
        pid_t pid;

        (void)state;
        if (access(PYTHON, X_OK) < 0)
                skip();
        assert_int_equal(rootfs_open(root_path, &root), 0);
        /* Holding the lock is not enough: the holder must be a package
         * manager, or anyone could silence the alerts. */
        pid = start_holder("evil", lock_path, &fd);
        assert_int_equal(pkgmgr_probe(root, false, &st), 0);
        assert_false(st.running);
        assert_true(st.holder_untrusted);
        assert_int_equal(st.untrusted_pid, pid);
        assert_string_equal(st.untrusted_name, "evil");
        assert_int_equal(pkgmgr_pid_under_manager(pid), 0);
        stop_holder(pid, fd);
        rootfs_free(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_lock_by_manager),
                cmocka_unit_test(test_lock_by_impostor),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
