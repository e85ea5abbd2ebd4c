/* Unit tests for agent/scanproc: a scan in a child process. A small shell
 * script stands in for vigil; its behaviour is chosen through the
 * environment (FAKE_MODE), and it records its arguments, nice value, I/O
 * class and open descriptors so the test can check what the child got. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/scanproc.h"

static char dir[] = "/tmp/vigil-scanproc.XXXXXX";
static char exe[256], report_path[256];

/* The report the fake prints: baseline ran, secret failed. */
static void write_report(void)
{
        report_t *r = report_new("h", "/");
        finding_t *f = finding_new(CAT_BASELINE, "ssh.root", "/etc/ssh/sshd_config", FINDING_HIGH);
        FILE *out;

        assert_non_null(r);
        assert_non_null(f);
        assert_int_equal(finding_set_title(f, "Root login over SSH"), 0);
        assert_int_equal(report_add_finding(r, f), 0);
        assert_int_equal(report_count(r, "baseline", "elapsed_ms", 3), 0);
        assert_int_equal(report_count(r, "secret", "elapsed_ms", 0), 0);
        assert_int_equal(report_note(r, REPORT_NOTE_ERROR, "baseline", "a policy is unreadable"),
                         0);
        assert_int_equal(
                report_note(r, REPORT_NOTE_ERROR, "secret", "scanner failed: Permission denied"),
                0);
        out = fopen(report_path, "w");
        assert_non_null(out);
        assert_int_equal(report_write_json(r, out), 0);
        fclose(out);
        report_free(r);
}

static int setup(void **state)
{
        static const char script[] =
                "#!/bin/sh\n"
                "d=$(dirname \"$0\")\n"
                "printf '%s\\n' \"$@\" >\"$d/args\"\n"
                "cut -d' ' -f19 /proc/$$/stat >\"$d/nice\"\n"
                "ionice -p $$ >\"$d/ionice\" 2>&1\n"
                "if [ -n \"$FAKE_FD\" ] && [ -e /proc/$$/fd/$FAKE_FD ]; then echo open >\"$d/fd\";"
                " else echo closed >\"$d/fd\"; fi\n"
                "case $FAKE_MODE in\n"
                "ok) cat \"$d/report.json\"; exit 1 ;;\n"
                "fail-with-report) cat \"$d/report.json\"; echo 'vigil: first' >&2;"
                " echo 'vigil: second' >&2; echo 'vigil: third' >&2; echo 'vigil: last' >&2;"
                " exit 2 ;;\n"
                "fail) echo 'vigil: cannot read the configuration' >&2; exit 2 ;;\n"
                "garbage) echo '{\"host\":'; exit 0 ;;\n"
                "signal) kill -9 $$ ;;\n"
                "big) head -c 100000 /dev/zero | tr '\\0' x; exit 0 ;;\n"
                "hang) echo started >\"$d/hang\"; sleep 60; exit 0 ;;\n"
                "esac\n"
                "exit 3\n";
        FILE *f;
        (void)state;

        assert_non_null(mkdtemp(dir));
        snprintf(exe, sizeof(exe), "%s/vigil", dir);
        snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
        f = fopen(exe, "w");
        assert_non_null(f);
        fputs(script, f);
        fclose(f);
        assert_int_equal(chmod(exe, 0755), 0);
        write_report();
        return 0;
}

static int teardown(void **state)
{
        char cmd[512];
        (void)state;

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *name)
{
        char path[512], *data = malloc(4096);
        size_t n;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "r");
        assert_non_null(f);
        assert_non_null(data);
        n = fread(data, 1, 4095, f);
        data[n] = 0;
        fclose(f);
        return data;
}

typedef struct run {
        scanproc_opts_t o;
        strv_t only;
        scanproc_child_t child;
        report_t *report;
        strv_t completed;
        char *error;
        int r;
} run_t;

static void run_init(run_t *x, const char *mode)
{
        memset(x, 0, sizeof(*x));
        setenv("FAKE_MODE", mode, 1);
        assert_int_equal(strv_push(&x->only, "baseline"), 0);
        assert_int_equal(strv_push(&x->only, "secret"), 0);
        x->o = (scanproc_opts_t){
                .exe = exe,
                .state_dir = "/tmp/state dir",
                .only = &x->only,
        };
        scanproc_child_init(&x->child);
}

static void run_clear(run_t *x)
{
        strv_clear(&x->only);
        strv_clear(&x->completed);
        report_free(x->report);
        free(x->error);
        scanproc_child_destroy(&x->child);
        unsetenv("FAKE_MODE");
}

static void *run_thread(void *p)
{
        run_t *x = p;
        x->r = scanproc_run(&x->o, &x->child, &x->report, &x->completed, &x->error);
        return NULL;
}

static void test_success_and_child_setup(void **state)
{
        _cleanup_free_ char *args = NULL, *nice = NULL, *io = NULL, *fdst = NULL;
        char fdnum[16];
        int leak;
        run_t x;
        (void)state;

        run_init(&x, "ok");
        x.o.config_path = "/etc/vigil/test.yml";
        x.o.nice = 7;
        /* A descriptor the agent opened without close-on-exec. */
        leak = open("/dev/null", O_RDONLY);
        assert_true(leak > 2);
        snprintf(fdnum, sizeof(fdnum), "%d", leak);
        setenv("FAKE_FD", fdnum, 1);
        x.r = scanproc_run(&x.o, &x.child, &x.report, &x.completed, &x.error);
        unsetenv("FAKE_FD");
        close(leak);
        assert_int_equal(x.r, 0);
        assert_null(x.error);
        assert_non_null(x.report);
        assert_int_equal(x.report->n_findings, 1);
        assert_string_equal(x.report->findings[0]->object, "/etc/ssh/sshd_config");
        /* baseline ran (its own error note does not make it fail); secret
         * failed. */
        assert_int_equal(x.completed.n, 1);
        assert_string_equal(x.completed.v[0], "baseline");
        assert_int_equal(x.child.pid, 0);

        args = slurp("args");
        assert_string_equal(args, "scan\n--only\nbaseline,secret\n--format\njson\n--no-progress\n"
                                  "-j\n1\n--state\n/tmp/state dir\n--config\n"
                                  "/etc/vigil/test.yml\n");
        nice = slurp("nice");
        assert_int_equal(atoi(nice), 7);
        io = slurp("ionice");
        assert_non_null(strstr(io, "idle"));
        fdst = slurp("fd");
        assert_string_equal(fdst, "closed\n");
        run_clear(&x);
}

static void test_exit_2_with_report(void **state)
{
        run_t x;
        const report_note_t *last;
        (void)state;

        run_init(&x, "fail-with-report");
        x.r = scanproc_run(&x.o, &x.child, &x.report, &x.completed, &x.error);
        assert_int_equal(x.r, 0);
        assert_non_null(x.report);
        assert_int_equal(x.report->n_findings, 1);
        /* Nothing counts as completed, so nothing is taken as fixed. */
        assert_int_equal(x.completed.n, 0);
        last = &x.report->notes[x.report->n_notes - 1];
        assert_int_equal(last->kind, REPORT_NOTE_ERROR);
        assert_string_equal(last->source, "scan");
        assert_string_equal(last->message, "vigil scan exited with status 2: vigil: second | "
                                           "vigil: third | vigil: last");
        run_clear(&x);
}

static void expect_failure(const char *mode, int want, const char *want_text)
{
        run_t x;

        run_init(&x, mode);
        x.r = scanproc_run(&x.o, &x.child, &x.report, &x.completed, &x.error);
        assert_int_equal(x.r, want);
        assert_null(x.report);
        assert_int_equal(x.completed.n, 0);
        assert_non_null(x.error);
        if (!strstr(x.error, want_text))
                fail_msg("\"%s\" does not say \"%s\"", x.error, want_text);
        assert_int_equal(x.child.pid, 0);
        run_clear(&x);
}

static void test_failures(void **state)
{
        (void)state;
        expect_failure("fail", -EIO,
                       "exited with status 2 without a readable report (" /* jansson's words */);
        expect_failure("fail", -EIO, ": vigil: cannot read the configuration");
        expect_failure("garbage", -EIO, "exited with status 0 without a readable report");
        expect_failure("signal", -EIO, "was killed by signal 9");
        expect_failure("unknown-mode", -EIO, "exited with status 3");
}

static void test_output_cap(void **state)
{
        run_t x;
        (void)state;

        run_init(&x, "big");
        x.o.max_output = 4096;
        x.r = scanproc_run(&x.o, &x.child, &x.report, &x.completed, &x.error);
        assert_int_equal(x.r, -E2BIG);
        assert_null(x.report);
        assert_non_null(strstr(x.error, "larger than"));
        run_clear(&x);
}

static void test_missing_executable(void **state)
{
        run_t x;
        char missing[300];
        (void)state;

        run_init(&x, "ok");
        snprintf(missing, sizeof(missing), "%s/not-there", dir);
        x.o.exe = missing;
        x.r = scanproc_run(&x.o, &x.child, &x.report, &x.completed, &x.error);
        assert_int_equal(x.r, -ENOENT);
        assert_non_null(strstr(x.error, "cannot run"));
        run_clear(&x);
}

static void test_stop(void **state)
{
        char hang[300];
        pthread_t t;
        sigset_t term, old;
        run_t x;
        (void)state;

        snprintf(hang, sizeof(hang), "%s/hang", dir);
        unlink(hang);
        run_init(&x, "hang");
        /* The worker thread's blocked signals must not reach the child. */
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &term, &old);
        assert_int_equal(pthread_create(&t, NULL, run_thread, &x), 0);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        /* Wait (bounded) until the child is in its sleep. */
        for (int i = 0; i < 3000 && access(hang, F_OK) != 0; i++)
                usleep(10000);
        assert_int_equal(access(hang, F_OK), 0);
        scanproc_stop(&x.child);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(x.r, -ECANCELED);
        assert_null(x.report);
        assert_int_equal(x.child.pid, 0);
        run_clear(&x);

        /* Stopped before it began: no child at all. */
        run_init(&x, "ok");
        scanproc_stop(&x.child);
        x.r = scanproc_run(&x.o, &x.child, &x.report, &x.completed, &x.error);
        assert_int_equal(x.r, -ECANCELED);
        run_clear(&x);
}

static void test_find_exe(void **state)
{
        _cleanup_free_ char *p = NULL, *q = NULL, *self = NULL;
        char buf[4096];
        ssize_t n;
        (void)state;

        assert_int_equal(scanproc_find_exe("relative/vigil", &p), -EINVAL);
        assert_int_equal(scanproc_find_exe("/opt/vigil/bin/vigil", &p), 0);
        assert_string_equal(p, "/opt/vigil/bin/vigil");
        setenv("VIGIL_SCAN_EXE", "/from/env/vigil", 1);
        assert_int_equal(scanproc_find_exe(NULL, &q), 0);
        assert_string_equal(q, "/from/env/vigil");
        unsetenv("VIGIL_SCAN_EXE");
        free(q);
        q = NULL;
        /* Without either: "vigil" beside this executable. */
        n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = 0;
        *strrchr(buf, '/') = 0;
        self = str_printf("%s/vigil", buf);
        assert_int_equal(scanproc_find_exe(NULL, &q), 0);
        assert_string_equal(q, self);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_success_and_child_setup),
                cmocka_unit_test(test_exit_2_with_report),
                cmocka_unit_test(test_failures),
                cmocka_unit_test(test_output_cap),
                cmocka_unit_test(test_missing_executable),
                cmocka_unit_test(test_stop),
                cmocka_unit_test(test_find_exe),
        };
        unsetenv("VIGIL_SCAN_EXE");
        return cmocka_run_group_tests(tests, setup, teardown);
}
