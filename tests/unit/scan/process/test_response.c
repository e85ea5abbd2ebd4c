/* Unit tests for scan/process/response: pid 1, this process and kernel
 * threads are never killed; the allowlist is honoured; a target whose
 * start time changed (its pid now names another process) is left alone;
 * a real child is killed, and a second attempt finds it gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pstest.h"
#include "scan/process/pslist.h"
#include "scan/process/response.h"

static void test_response(void **state)
{
        int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char *argv[] = { "sleep", "600", NULL };
        strv_t allow = { 0 };
        response_target_t t;
        ps_entry_t e;
        pid_t child;
        int status, err = 0;

        (void)state;
        t = (response_target_t){ .pid = 1, .exe = "/sbin/init", .comm = "init" };
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_PROTECTED);
        t = (response_target_t){ .pid = getpid(), .comm = "me" };
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_PROTECTED);
        t = (response_target_t){ .pid = 2, .kthread = true, .comm = "kthreadd" };
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_PROTECTED);
        t = (response_target_t){ .pid = 0 };
        assert_true(response_protected(pfd, &t));

        child = pstest_spawn("/bin/sleep", argv);
        assert_true(pstest_wait_exe(child, "sleep"));
        assert_int_equal(pslist_read_pid(pfd, child, NULL, &e), 0);
        t = (response_target_t){
                .pid = child, .start_time = e.start_time, .exe = e.exe, .comm = e.comm
        };

        assert_int_equal(strv_push(&allow, "sleep"), 0);
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_ALLOWLISTED);
        strv_clear(&allow);
        assert_int_equal(strv_push(&allow, "/usr/bin/"), 0);
        assert_int_equal(strv_push(&allow, "/bin/"), 0);
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_ALLOWLISTED);
        strv_clear(&allow);

        /* the sweep saw another process under this pid */
        t.start_time = e.start_time + 1;
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_GONE);
        assert_int_equal(kill(child, 0), 0);

        t.start_time = e.start_time;
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_KILLED);
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        assert_int_equal(response_kill(pfd, &t, &allow, &err), RESPONSE_GONE);
        assert_string_equal(response_outcome_name(RESPONSE_KILLED), "killed");
        assert_string_equal(response_outcome_name(RESPONSE_FAILED), "failed");
        ps_entry_done(&e);
        close(pfd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_response),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
