/* Unit tests for detect/login/journal: the export format (fed in every
 * possible split), binary fields, caps, and JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "detect/login/journal.h"

typedef struct seen {
        char msg[8][256];
        char prog[8][32];
        pid_t pid[8];
        int64_t time[8];
        size_t n;
} seen_t;

static int on_entry(const journal_entry_t *je, void *userdata)
{
        seen_t *s = userdata;
        logmsg_t m = { 0 };

        if (!journal_entry_to_msg(je, &m) || s->n >= 8)
                return 0;
        snprintf(s->msg[s->n], sizeof(s->msg[0]), "%.*s", (int)m.len, m.msg);
        snprintf(s->prog[s->n], sizeof(s->prog[0]), "%.*s", (int)m.prog_len, m.prog);
        s->pid[s->n] = m.pid;
        s->time[s->n] = m.time_us;
        s->n++;
        return 0;
}

/* Two entries; the second has a binary MESSAGE holding a newline. */
static size_t export_sample(char *out)
{
        static const char a[] = "__CURSOR=s=1;i=1\n__REALTIME_TIMESTAMP=1795000000000001\n"
                                "_COMM=sshd\nSYSLOG_IDENTIFIER=sshd\n_PID=622\n"
                                "MESSAGE=Failed password for root from 203.0.113.9 port 5 ssh2\n"
                                "\n"
                                "__REALTIME_TIMESTAMP=1795000000000002\nSYSLOG_IDENTIFIER=sudo\n"
                                "SYSLOG_PID=7\nMESSAGE\n";
        static const char msg[] = "line one\nline two";
        size_t n = 0;
        uint64_t len = sizeof(msg) - 1;

        memcpy(out, a, sizeof(a) - 1);
        n += sizeof(a) - 1;
        for (int i = 0; i < 8; i++)
                out[n++] = (char)(len >> (8 * i));
        memcpy(out + n, msg, len);
        n += len;
        memcpy(out + n, "\n_HOSTNAME=web1\n\n", 17);
        return n + 17;
}

static void check_sample(const seen_t *s)
{
        assert_int_equal(s->n, 2);
        assert_string_equal(s->msg[0], "Failed password for root from 203.0.113.9 port 5 ssh2");
        assert_string_equal(s->prog[0], "sshd");
        assert_int_equal(s->pid[0], 622);
        assert_int_equal(s->time[0], 1795000000000001LL);
        assert_string_equal(s->msg[1], "line one\nline two");
        assert_string_equal(s->prog[1], "sudo");
        assert_int_equal(s->pid[1], 7);
}

static void test_export_splits(void **state)
{
        char data[1024];
        size_t n = export_sample(data);
        (void)state;

        for (size_t cut = 0; cut <= n; cut++) {
                seen_t s = { 0 };
                journal_export_t *jx = journal_export_new(on_entry, &s);
                assert_non_null(jx);
                assert_int_equal(journal_export_feed(jx, data, cut), 0);
                assert_int_equal(journal_export_feed(jx, data + cut, n - cut), 0);
                assert_int_equal(journal_export_finish(jx), 0);
                check_sample(&s);
                assert_int_equal(journal_export_errors(jx), 0);
                journal_export_free(jx);
        }
}

static void test_export_bad(void **state)
{
        seen_t s = { 0 };
        journal_export_t *jx = journal_export_new(on_entry, &s);
        static const char bad[] = "MESSAGE\n\x05\0\0\0\0\0\0\0abcdeX_COMM=x\nMESSAGE=lost\n\n"
                                  "_COMM=su\nMESSAGE=kept\n\n"
                                  "MESSAGE\n\xff\xff\xff\xff\xff\xff\xff\xff";
        (void)state;

        assert_non_null(jx);
        /* A binary field not followed by its newline spoils its entry; the
         * parser finds the next one; a huge size is refused. */
        assert_int_equal(journal_export_feed(jx, bad, sizeof(bad) - 1), 0);
        assert_int_equal(journal_export_finish(jx), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.msg[0], "kept");
        assert_int_equal(journal_export_errors(jx), 2);
        journal_export_free(jx);
}

static void test_export_cap(void **state)
{
        seen_t s = { 0 };
        journal_export_t *jx = journal_export_new(on_entry, &s);
        static char big[JOURNAL_MESSAGE_MAX + 100];
        (void)state;

        memcpy(big, "MESSAGE=", 8);
        memset(big + 8, 'a', sizeof(big) - 9);
        big[sizeof(big) - 1] = '\n';
        assert_int_equal(journal_export_feed(jx, big, sizeof(big)), 0);
        assert_int_equal(journal_export_feed(jx, "_COMM=sshd\n\nMESSAGE=ok\n\n", 25), 0);
        assert_int_equal(journal_export_finish(jx), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.msg[0], "ok");
        assert_int_equal(journal_export_errors(jx), 1);
        journal_export_free(jx);
}

static void test_json(void **state)
{
        journal_entry_t e;
        logmsg_t m = { 0 };
        static const char line[] =
                "{\"__REALTIME_TIMESTAMP\":\"1795000000000003\",\"_COMM\":\"sshd\","
                "\"SYSLOG_IDENTIFIER\":\"sshd\",\"_PID\":\"9\",\"_HOSTNAME\":\"h\","
                "\"MESSAGE\":[73,110,118,97,108,105,100,32,255]}";
        (void)state;

        journal_entry_init(&e);
        assert_int_equal(journal_json_line(line, sizeof(line) - 1, &e), 0);
        assert_true(journal_entry_to_msg(&e, &m));
        assert_int_equal(m.len, 9);
        assert_memory_equal(m.msg, "Invalid \xff", 9);
        assert_int_equal(m.pid, 9);
        assert_int_equal(m.time_us, 1795000000000003LL);
        assert_int_equal(journal_json_line("[1]", 3, &e), -EBADMSG);
        assert_int_equal(journal_json_line("{", 1, &e), -EBADMSG);
        assert_int_equal(journal_json_line("{\"MESSAGE\":null}", 16, &e), -E2BIG);
        assert_int_equal(journal_json_line("{\"MESSAGE\":[300]}", 17, &e), -EBADMSG);
        /* A local process can set SYSLOG_IDENTIFIER, not _COMM. */
        {
                static const char l2[] = "{\"_COMM\":\"logger\",\"SYSLOG_IDENTIFIER\":\"sshd\","
                                         "\"MESSAGE\":\"x\"}";
                assert_int_equal(journal_json_line(l2, sizeof(l2) - 1, &e), 0);
        }
        assert_true(journal_entry_to_msg(&e, &m));
        assert_true(logmsg_eq(m.prog, m.prog_len, LIT("logger")));
        journal_entry_free(&e);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_export_splits),
                cmocka_unit_test(test_export_bad),
                cmocka_unit_test(test_export_cap),
                cmocka_unit_test(test_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
