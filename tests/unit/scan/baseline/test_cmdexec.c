/* Unit tests for scan/baseline/cmdexec: word splitting without a shell,
 * the timeout, the output cap, stdin, the environment and exit codes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/baseline/cmdexec.h"

/* Split and run CMD; returns cmdexec_run's result, output in *OUT. */
static int run(const char *cmd, unsigned timeout_ms, size_t max, char **out, int *status)
{
        strv_t argv = { 0 };
        cmdexec_opts_t o = { .timeout_ms = timeout_ms, .max_output = max };
        size_t len = 0;
        int r;

        assert_int_equal(cmdexec_split(cmd, &argv), 0);
        *out = NULL;
        r = cmdexec_run(argv.v, &o, out, &len, status);
        if (r == 0 && max)
                assert_true(len <= max);
        strv_clear(&argv);
        return r;
}

static void test_split(void **state)
{
        strv_t v = { 0 };
        (void)state;

        assert_int_equal(cmdexec_split("  stat -c '%a %U'  /etc/shadow ", &v), 0);
        assert_int_equal(v.n, 4);
        assert_string_equal(v.v[0], "stat");
        assert_string_equal(v.v[2], "%a %U");
        assert_string_equal(v.v[3], "/etc/shadow");
        strv_clear(&v);
        assert_int_equal(cmdexec_split("echo \"a \\\"b\\\" \\$c\" d\\ e '$(id)' *", &v), 0);
        assert_int_equal(v.n, 5);
        assert_string_equal(v.v[1], "a \"b\" $c");
        assert_string_equal(v.v[2], "d e");
        assert_string_equal(v.v[3], "$(id)");
        assert_string_equal(v.v[4], "*");
        strv_clear(&v);
        assert_int_equal(cmdexec_split("echo 'unterminated", &v), -EINVAL);
        strv_clear(&v);
        assert_int_equal(cmdexec_split("echo \"unterminated", &v), -EINVAL);
        strv_clear(&v);
        assert_int_equal(cmdexec_split("   ", &v), -EINVAL);
        strv_clear(&v);
}

static void test_no_shell(void **state)
{
        char *out;
        int st;
        (void)state;

        /* Nothing is expanded: no command substitution, variables, globs,
         * pipes or redirections. */
        assert_int_equal(run("echo $(id) $HOME * | cat > /tmp/x; id", 5000, 0, &out, &st), 0);
        assert_string_equal(out, "$(id) $HOME * | cat > /tmp/x; id\n");
        assert_int_equal(st, 0);
        free(out);
}

static void test_env_stdin_stderr_status(void **state)
{
        char *out;
        int st;
        (void)state;

        assert_int_equal(run("env", 5000, 0, &out, &st), 0);
        assert_string_equal(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n");
        free(out);
        /* stdin is /dev/null: cat ends at once with no output. */
        assert_int_equal(run("cat", 5000, 0, &out, &st), 0);
        assert_string_equal(out, "");
        free(out);
        /* stderr is captured too, and a non-zero exit is not an error. */
        assert_int_equal(run("ls /nonexistent-vigil-path", 5000, 0, &out, &st), 0);
        assert_non_null(strstr(out, "nonexistent-vigil-path"));
        assert_int_equal(st, 2);
        free(out);
        assert_int_equal(run("sh -c 'exit 7'", 5000, 0, &out, &st), 0);
        assert_int_equal(st, 7);
        free(out);
}

static void test_timeout_kills(void **state)
{
        char *out = NULL;
        int st;
        (void)state;

        /* The child and the grandchild it starts are both killed. */
        assert_int_equal(run("sh -c 'sleep 60 & sleep 60'", 200, 0, &out, &st), -ETIMEDOUT);
        assert_null(out);
        assert_int_equal(run("sleep 60", 200, 0, &out, &st), -ETIMEDOUT);
}

static void test_output_cap(void **state)
{
        char *out = NULL;
        int st;
        (void)state;

        assert_int_equal(run("head -c 100000 /dev/zero", 5000, 4096, &out, &st), -E2BIG);
        assert_null(out);
        assert_int_equal(run("head -c 4096 /dev/zero", 5000, 4096, &out, &st), 0);
        free(out);
        /* An endless writer is stopped by the cap, not by the timeout. */
        assert_int_equal(run("yes", 60000, 1 << 20, &out, &st), -E2BIG);
}

static void test_missing_program(void **state)
{
        char *out = NULL;
        int st;
        (void)state;
        assert_int_equal(run("vigil-no-such-program-xyz", 5000, 0, &out, &st), -ENOENT);
        assert_int_equal(run("/nonexistent/prog", 5000, 0, &out, &st), -ENOENT);
        /* A directory is not executable. */
        assert_int_equal(run("/etc", 5000, 0, &out, &st), -EACCES);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_no_shell),
                cmocka_unit_test(test_env_stdin_stderr_status),
                cmocka_unit_test(test_timeout_kills),
                cmocka_unit_test(test_output_cap),
                cmocka_unit_test(test_missing_program),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
