/* Unit tests for scan/process/pslist: the stat parser on awkward names
 * and broken lines; the getdents64 and readdir listings of the real /proc;
 * and what is read about real processes: this one, a copy of sleep whose
 * file was deleted, one whose name merely ends in " (deleted)", one run
 * from a memfd, and a kernel thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pstest.h"
#include "scan/process/pslist.h"

static int pfd = -1;
static char dir[] = "/tmp/vigil-pslist-XXXXXX";

static int setup(void **state)
{
        (void)state;
        pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return pfd >= 0 && mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[128];
        (void)state;
        close(pfd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_parse_stat(void **state)
{
        static const char ok[] = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 95 0 0 0 0 0 0 0 20 "
                                 "0 3 0 4242 2048 100 18446744073709551615\n";
        static const char kt[] = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 "
                                 "0 0\n";
        ps_stat_t st;

        (void)state;
        assert_int_equal(pslist_parse_stat(ok, strlen(ok), &st), 0);
        assert_int_equal(st.pid, 1234);
        assert_string_equal(st.comm, "a) b (c)");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, 1);
        assert_int_equal(st.flags, 4194560);
        assert_int_equal(st.num_threads, 3);
        assert_int_equal(st.start_time, 4242);
        assert_int_equal(pslist_parse_stat(kt, strlen(kt), &st), 0);
        assert_true(st.flags & PSLIST_PF_KTHREAD);

        /* cut short, no parentheses, bad numbers, an over-long name */
        assert_int_equal(pslist_parse_stat(ok, 40, &st), -EINVAL);
        assert_int_equal(pslist_parse_stat("1234 a S 1", 10, &st), -EINVAL);
        assert_int_equal(
                pslist_parse_stat("x (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", 47, &st),
                -EINVAL);
        assert_int_equal(
                pslist_parse_stat("0 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", 47, &st),
                -EINVAL);
        {
                char big[256];
                memset(big, 'x', sizeof(big));
                memcpy(big, "5 (", 3);
                memcpy(big + 150, ") S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", 44);
                assert_int_equal(pslist_parse_stat(big, 194, &st), -EINVAL);
        }
        assert_int_equal(pslist_parse_stat("", 0, &st), -EINVAL);
}

static void test_listings(void **state)
{
        pid_t *raw = NULL, *libc = NULL;
        size_t nr, nl;

        (void)state;
        assert_int_equal(pslist_pids_raw(pfd, &raw, &nr), 0);
        assert_int_equal(pslist_pids_libc(pfd, &libc, &nl), 0);
        assert_true(nr > 1 && nl > 1);
        for (size_t i = 1; i < nr; i++)
                assert_true(raw[i - 1] < raw[i]);
        assert_true(pslist_pids_contain(raw, nr, getpid()));
        assert_true(pslist_pids_contain(libc, nl, getpid()));
        assert_true(pslist_pids_contain(raw, nr, 1));
        assert_false(pslist_pids_contain(raw, nr, 0));
        free(raw);
        free(libc);
}

static void test_self(void **state)
{
        pslist_opts_t o = { .exe_stat = true, .netns = true };
        char exe[4096], ns[64], comm[64];
        ps_entry_t e;
        ssize_t n;
        FILE *f;

        (void)state;
        assert_int_equal(pslist_read_pid(pfd, getpid(), &o, &e), 0);
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        assert_true(n > 0);
        exe[n] = 0;
        assert_string_equal(e.exe, exe);
        assert_false(e.exe_deleted);
        assert_true(e.exe_stat_ok);
        assert_true(e.exe_nlink >= 1);
        f = fopen("/proc/self/comm", "re");
        assert_non_null(f);
        assert_non_null(fgets(comm, sizeof(comm), f));
        fclose(f);
        comm[strcspn(comm, "\n")] = 0;
        assert_string_equal(e.comm, comm);
        assert_int_equal(e.ppid, getppid());
        assert_non_null(e.cmdline);
        assert_string_equal(e.cmdline, program_invocation_name);
        n = readlink("/proc/self/ns/net", ns, sizeof(ns) - 1);
        assert_true(n > 0);
        ns[n] = 0;
        {
                char want[64];
                snprintf(want, sizeof(want), "net:[%llu]", (unsigned long long)e.netns);
                assert_string_equal(ns, want);
        }
        ps_entry_done(&e);
        assert_int_equal(pslist_read_pid(pfd, 0, &o, &e), -ESRCH);
        assert_int_equal(pslist_read_pid(pfd, -5, &o, &e), -ESRCH);
}

static void test_deleted(void **state)
{
        char path[256], named[256];
        char *argv[] = { "sleep", "600", NULL };
        pslist_opts_t o = { 0 };
        ps_entry_t e;
        pid_t a, b;

        (void)state;
        snprintf(path, sizeof(path), "%s/gone", dir);
        snprintf(named, sizeof(named), "%s/kept (deleted)", dir);
        assert_int_equal(pstest_copy("/bin/sleep", path, 0755), 0);
        assert_int_equal(pstest_copy("/bin/sleep", named, 0755), 0);
        a = pstest_spawn(path, argv);
        b = pstest_spawn(named, argv);
        assert_true(pstest_wait_exe(a, "/gone"));
        assert_true(pstest_wait_exe(b, "/kept"));
        assert_int_equal(unlink(path), 0);

        /* The suffix alone is not enough: the link count says deleted. */
        assert_int_equal(pslist_read_pid(pfd, a, &o, &e), 0);
        assert_true(e.exe_deleted);
        assert_false(e.exe_memfd);
        assert_string_equal(e.exe, path);
        assert_int_equal(e.exe_nlink, 0);
        assert_string_equal(e.comm, "gone");
        assert_int_equal(e.cmdline_len, strlen("sleep") + 1 + strlen("600"));
        assert_memory_equal(e.cmdline,
                            "sleep\0"
                            "600",
                            e.cmdline_len);
        ps_entry_done(&e);

        assert_int_equal(pslist_read_pid(pfd, b, &o, &e), 0);
        assert_false(e.exe_deleted);
        assert_string_equal(e.exe, named);
        ps_entry_done(&e);

        pstest_kill(a);
        pstest_kill(b);
        assert_int_equal(pslist_read_pid(pfd, a, &o, &e), -ESRCH);
}

static void test_memfd(void **state)
{
        pslist_opts_t o = { .exe_stat = true };
        ps_entry_t e;
        pid_t pid;

        (void)state;
        pid = pstest_spawn_memfd("vigil-test");
        assert_true(pstest_wait_exe(pid, "memfd:vigil-test"));
        assert_int_equal(pslist_read_pid(pfd, pid, &o, &e), 0);
        assert_true(e.exe_memfd);
        assert_true(e.exe_deleted);
        assert_true(strncmp(e.exe, "/memfd:vigil-test", 17) == 0);
        ps_entry_done(&e);
        pstest_kill(pid);
}

static void test_kthread_and_list(void **state)
{
        pslist_opts_t o = { 0 };
        ps_list_t l = { 0 };
        pslist_stats_t st;
        const ps_entry_t *self, *two;
        ps_entry_t e;

        (void)state;
        if (pslist_read_pid(pfd, 2, &o, &e) == 0) {
                if (strcmp(e.comm, "kthreadd") == 0) {
                        assert_true(e.kthread);
                        assert_null(e.exe);
                        assert_null(e.cmdline);
                }
                ps_entry_done(&e);
        }
        assert_int_equal(pslist_read(pfd, &o, &l, &st), 0);
        assert_true(l.n > 1);
        assert_true(st.listed >= l.n);
        assert_int_equal(st.listed, l.n + st.vanished);
        for (size_t i = 1; i < l.n; i++)
                assert_true(l.v[i - 1].pid < l.v[i].pid);
        self = ps_list_find(&l, getpid());
        assert_non_null(self);
        assert_string_equal(ps_entry_argv0(self), self->cmdline);
        two = ps_list_find(&l, 1);
        assert_non_null(two);
        assert_null(ps_list_find(&l, 0));
        ps_list_clear(&l);
        ps_list_clear(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_stat), cmocka_unit_test(test_listings),
                cmocka_unit_test(test_self),       cmocka_unit_test(test_deleted),
                cmocka_unit_test(test_memfd),      cmocka_unit_test(test_kthread_and_list),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
