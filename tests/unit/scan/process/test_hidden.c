/* Unit tests for scan/process/hidden: the loadavg and ld.so.preload
 * parsers, and the hidden-process checks against real processes: a child
 * left out of the listing handed to the check is found by the pid probe
 * and by the parent check (through a listed grandchild), a thread of a
 * listed process is not taken for a hidden process, a process that exits
 * is not reported, and a complete listing reports nothing. A libc view
 * that leaves a listed process out is found by the cross-view. The
 * listings are filtered here the way a rootkit filters them; the
 * integration test hides a process with a real preloaded library. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pstest.h"
#include "scan/process/hidden.h"

static int pfd = -1;

static int setup(void **state)
{
        (void)state;
        pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return pfd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        close(pfd);
        return 0;
}

static void test_parsers(void **state)
{
        unsigned long tasks;
        pid_t last;
        strv_t v = { 0 };
        static const char preload[] = "/lib/a.so /lib/b.so:/lib/c.so\n# /lib/commented.so\n"
                                      "\t/lib/d.so # trailing\n\n";

        (void)state;
        assert_int_equal(hidden_parse_loadavg("0.50 0.40 0.30 2/345 6789\n", 26, &tasks, &last), 0);
        assert_int_equal(tasks, 345);
        assert_int_equal(last, 6789);
        assert_int_equal(hidden_parse_loadavg("0.50 0.40 0.30 2345 6789", 24, &tasks, &last),
                         -EINVAL);
        assert_int_equal(hidden_parse_loadavg("0.50 0.40 0.30 2/ 6789", 22, &tasks, &last),
                         -EINVAL);
        assert_int_equal(hidden_parse_loadavg("", 0, &tasks, &last), -EINVAL);
        assert_int_equal(hidden_read_loadavg(pfd, &tasks, &last), 0);
        assert_true(tasks > 0);
        assert_true(hidden_pid_max(pfd) >= last);
        assert_true(hidden_proc_is_own(pfd));

        assert_int_equal(hidden_parse_preload(preload, strlen(preload), &v), 0);
        assert_int_equal(v.n, 4);
        assert_string_equal(v.v[0], "/lib/a.so");
        assert_string_equal(v.v[1], "/lib/b.so");
        assert_string_equal(v.v[2], "/lib/c.so");
        assert_string_equal(v.v[3], "/lib/d.so");
        strv_clear(&v);
        assert_int_equal(hidden_parse_preload("", 0, &v), 0);
        assert_int_equal(v.n, 0);
        {
                char *many = malloc(300 * 3);
                for (int i = 0; i < 300; i++)
                        memcpy(many + 3 * i, "a.\n", 3);
                assert_int_equal(hidden_parse_preload(many, 900, &v), -E2BIG);
                free(many);
                strv_clear(&v);
        }
}

/* The pid the filtered listings below leave out. */
static pid_t hidden_pid;

static void drop_pid(pid_t *v, size_t *n)
{
        size_t j = 0;
        for (size_t i = 0; i < *n; i++)
                if (v[i] != hidden_pid)
                        v[j++] = v[i];
        *n = j;
}

static int raw_hiding(int dirfd, pid_t **ret, size_t *ret_n)
{
        int r = pslist_pids_raw(dirfd, ret, ret_n);
        if (r == 0)
                drop_pid(*ret, ret_n);
        return r;
}

static int libc_hiding(int dirfd, pid_t **ret, size_t *ret_n)
{
        int r = pslist_pids_libc(dirfd, ret, ret_n);
        if (r == 0)
                drop_pid(*ret, ret_n);
        return r;
}

/* The listing of /proc with some pids left out, as a rootkit would. */
static void listing_without(ps_list_t *l, const pid_t *drop, size_t n_drop)
{
        pslist_opts_t o = { 0 };
        size_t j = 0;

        assert_int_equal(pslist_read(pfd, &o, l, NULL), 0);
        for (size_t i = 0; i < l->n; i++) {
                bool d = false;
                for (size_t k = 0; k < n_drop; k++)
                        d |= l->v[i].pid == drop[k];
                if (d)
                        ps_entry_done(&l->v[i]);
                else
                        l->v[j++] = l->v[i];
        }
        l->n = j;
}

static const hidden_proc_t *find(const hidden_result_t *r, pid_t pid)
{
        for (size_t i = 0; i < r->n; i++)
                if (r->v[i].pid == pid)
                        return &r->v[i];
        return NULL;
}

static void test_probe_and_parent(void **state)
{
        char *argv[] = { "sh", "-c", "sleep 120 & wait", NULL };
        hidden_result_t res = { 0 };
        ps_list_t l = { 0 };
        pid_t child, top = 0;
        hidden_opts_t o = { .proc_dirfd = -1 };
        const hidden_proc_t *h;
        pid_t grandchild = 0;

        (void)state;
        /* a shell with a sleeping child: hide the shell, keep its child */
        child = pstest_spawn("/bin/sh", argv);
        for (int i = 0; i < 20000 && !grandchild; i++) {
                char path[64];
                FILE *f;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)child, (int)child);
                f = fopen(path, "re");
                if (f) {
                        int g;
                        if (fscanf(f, "%d", &g) == 1 && pstest_wait_exe(g, "sleep"))
                                grandchild = g;
                        fclose(f);
                }
                if (!grandchild)
                        usleep(1000);
        }
        assert_true(grandchild > 0);

        hidden_pid = child;
        listing_without(&l, &child, 1);
        for (size_t i = 0; i < l.n; i++)
                top = MAX(top, l.v[i].pid);
        o.proc_dirfd = pfd;
        o.procs = &l;
        o.parents = true;
        o.list_raw = raw_hiding;
        assert_int_equal(hidden_check(&o, &res), 0);
        h = find(&res, child);
        assert_non_null(h);
        assert_string_equal(h->method, "parent");
        assert_true(h->proc_entry_readable);
        assert_string_equal(h->comm, "sh");
        assert_int_equal(h->ppid, getpid());
        hidden_result_clear(&res);

        o.parents = false;
        o.probe_from = 1;
        o.probe_to = MAX(top, child) + 16;
        assert_int_equal(hidden_check(&o, &res), 0);
        h = find(&res, child);
        assert_non_null(h);
        assert_string_equal(h->method, "probe");
        assert_true(res.probed > 0);
        hidden_result_clear(&res);
        ps_list_clear(&l);

        /* Listed by getdents64, left out by libc's readdir: the cross-view
         * finds it (and nothing else). */
        listing_without(&l, NULL, 0);
        o = (hidden_opts_t){
                .proc_dirfd = pfd, .procs = &l, .cross_view = true, .list_libc = libc_hiding
        };
        assert_int_equal(hidden_check(&o, &res), 0);
        assert_int_equal(res.n, 1);
        assert_int_equal(res.v[0].pid, child);
        assert_string_equal(res.v[0].method, "libc_readdir");
        hidden_result_clear(&res);
        ps_list_clear(&l);
        o.list_raw = raw_hiding;

        /* Once it is gone it is not reported, whatever the listing says. */
        pstest_kill(child);
        kill(grandchild, SIGKILL);
        listing_without(&l, &child, 1);
        o.procs = &l;
        o.parents = true;
        assert_int_equal(hidden_check(&o, &res), 0);
        assert_null(find(&res, child));
        hidden_result_clear(&res);
        ps_list_clear(&l);
}

static void *idle_thread(void *arg)
{
        int *stop = arg;
        while (!__atomic_load_n(stop, __ATOMIC_SEQ_CST))
                usleep(1000);
        return NULL;
}

static void test_threads_and_complete(void **state)
{
        hidden_result_t res = { 0 };
        ps_list_t l = { 0 };
        hidden_opts_t o = { .proc_dirfd = -1 };
        pthread_t t;
        int stop = 0;
        pid_t top = 0;
        unsigned long tasks;
        pid_t last;

        (void)state;
        /* This process has a second thread: its thread id answers a probe
         * but belongs to a listed process. */
        assert_int_equal(pthread_create(&t, NULL, idle_thread, &stop), 0);
        assert_int_equal(hidden_read_loadavg(pfd, &tasks, &last), 0);
        listing_without(&l, NULL, 0);
        for (size_t i = 0; i < l.n; i++)
                top = MAX(top, l.v[i].pid);
        o.proc_dirfd = pfd;
        o.procs = &l;
        o.cross_view = true;
        o.parents = true;
        o.task_count = true;
        o.tasks_before = tasks;
        o.probe_from = 1;
        o.probe_to = top + 64;
        assert_int_equal(hidden_check(&o, &res), 0);
        if (res.n)
                fail_msg("pid %d reported hidden (%s)", (int)res.v[0].pid, res.v[0].method);
        assert_true(res.threads_known >= 1);
        assert_false(res.count_deficit && res.n);
        hidden_result_clear(&res);
        ps_list_clear(&l);
        __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
        pthread_join(t, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parsers),
                cmocka_unit_test(test_probe_and_parent),
                cmocka_unit_test(test_threads_and_complete),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
