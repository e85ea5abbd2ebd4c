/* Unit tests for inventory/host/cmdrun: real programs run without a shell,
 * their output, exit status, the output cap, the time limit and the fixed
 * environment. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inventory/host/cmdrun.h"

static char *prog(const char *name)
{
        char *p = NULL;
        assert_int_equal(cmdrun_find_program(name, &p), 0);
        assert_true(p[0] == '/');
        return p;
}

static void test_find(void **state)
{
        char *p = NULL;
        (void)state;

        free(prog("sh"));
        assert_int_equal(cmdrun_find_program("no/slash", &p), -EINVAL);
        assert_int_equal(cmdrun_find_program("", &p), -EINVAL);
        assert_int_equal(cmdrun_find_program("vigil-no-such-program", &p), -ENOENT);
        assert_null(p);
}

static void test_output_status(void **state)
{
        char *echo = prog("echo"), *sh = prog("sh"), *out = NULL;
        size_t len = 0;
        int status = -1;
        (void)state;

        {
                const char *argv[] = { echo, "hello", "$HOME;", NULL };
                assert_int_equal(cmdrun_capture(argv, 5000, 1024, &out, &len, &status), 0);
                /* No shell: "$HOME;" is an argument, not an expansion. */
                assert_string_equal(out, "hello $HOME;\n");
                assert_int_equal(len, 13);
                assert_int_equal(status, 0);
                free(out);
        }
        {
                const char *argv[] = { sh, "-c", "echo x >&2; exit 3", NULL };
                assert_int_equal(cmdrun_capture(argv, 5000, 1024, &out, &len, &status), 0);
                assert_string_equal(out, ""); /* stderr goes to /dev/null */
                assert_int_equal(status, 3);
                free(out);
        }
        {
                const char *argv[] = { sh, "-c", "kill -TERM $$", NULL };
                assert_int_equal(cmdrun_capture(argv, 5000, 1024, &out, &len, &status), 0);
                assert_int_equal(status, 128 + 15);
                free(out);
        }
        free(echo);
        free(sh);
}

static void test_limits(void **state)
{
        char *sh = prog("sh"), *out = NULL;
        size_t len;
        int status;
        (void)state;

        {
                const char *argv[] = { sh, "-c", "while :; do echo aaaaaaaaaaaaaaaa; done", NULL };
                assert_int_equal(cmdrun_capture(argv, 20000, 1000, &out, &len, &status), -E2BIG);
                assert_null(out);
        }
        {
                /* A program that never ends, and a child of it that keeps
                 * the output open: both are killed at the limit. */
                const char *argv[] = { sh, "-c", "sleep 600 & sleep 600", NULL };
                assert_int_equal(cmdrun_capture(argv, 300, 1000, &out, &len, &status), -ETIMEDOUT);
                assert_null(out);
        }
        {
                const char *argv[] = { "sh", "-c", "true", NULL };
                assert_int_equal(cmdrun_capture(argv, 1000, 1000, &out, &len, &status), -EINVAL);
        }
        {
                const char *argv[] = { "/nonexistent/vigil-tool", NULL };
                assert_int_equal(cmdrun_capture(argv, 1000, 1000, &out, &len, &status), -ENOENT);
        }
        free(sh);
}

static void test_environment(void **state)
{
        char *env = prog("env"), *out = NULL;
        size_t len;
        int status;
        const char *argv[] = { env, NULL };
        (void)state;

        setenv("VIGIL_TEST_SECRET", "x", 1);
        assert_int_equal(cmdrun_capture(argv, 5000, 4096, &out, &len, &status), 0);
        assert_string_equal(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n");
        free(out);
        free(env);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_output_status),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_environment),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
