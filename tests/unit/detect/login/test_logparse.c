/* Unit tests for detect/login/logparse: the dispatcher and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <errno.h>

#include "lptest.h"

#define L "Nov 26 23:15:10 web1 sshd[1]: Failed password for root from 203.0.113.9 port 5 ssh2"

static void test_bad_input(void **state)
{
        logparse_ctx_t *ctx = lp_ctx(NULL);
        logevent_t e;
        size_t n = 7;
        char *big;
        char buf[2048];
        (void)state;

        /* Over the cap: not parsed at all, even though it starts like an event. */
        big = malloc(LOGPARSE_LINE_MAX + 10);
        assert_non_null(big);
        memset(big, 'a', LOGPARSE_LINE_MAX + 10);
        memcpy(big, L, strlen(L));
        assert_int_equal(logparse_line(ctx, big, LOGPARSE_LINE_MAX + 1, "f", 1, &e, 1, &n), -E2BIG);
        assert_int_equal(n, 0);
        /* At the cap it is parsed (and the trailing junk spoils the port). */
        assert_int_equal(logparse_line(ctx, big, LOGPARSE_LINE_MAX, "f", 1, &e, 1, &n),
                         LOGPARSE_UNMATCHED);
        free(big);

        /* A NUL inside: not text. */
        {
                char line[] = L;
                line[40] = 0;
                assert_int_equal(logparse_line(ctx, line, sizeof(line) - 1, "f", 1, &e, 1, &n),
                                 LOGPARSE_OTHER);
        }
        /* NULs in front (a copytruncate hole), CR and LF at the end. */
        {
                char line[256];
                memset(line, 0, 16);
                memcpy(line + 16, L "\r\n", strlen(L) + 2);
                assert_int_equal(logparse_line(ctx, line, 16 + strlen(L) + 2, "f", 9, &e, 1, &n),
                                 LOGPARSE_EVENT);
                assert_int_equal(n, 1);
                assert_int_equal(e.line, 9);
                assert_string_equal(e.src, "203.0.113.9");
        }
        /* A line cut short (rotation, crash) never gives a wrong address. */
        for (size_t cut = 0; cut < strlen(L); cut++) {
                int r = logparse_line(ctx, L, cut, "f", 1, &e, 1, &n);
                if (r == LOGPARSE_EVENT)
                        fail_msg("cut at %zu gave %s", cut, lp_describe(&e, buf, sizeof(buf)));
        }
        assert_int_equal(logparse_line(ctx, L, strlen(L), "f", 1, &e, 0, &n), -EINVAL);
        assert_int_equal(logparse_stats(ctx)->oversized, 1);
        assert_int_equal(logparse_stats(ctx)->binary, 1);
        logparse_free(ctx);
}

static void test_invalid_utf8(void **state)
{
        logparse_ctx_t *ctx = lp_ctx(NULL);
        char buf[2048];
        (void)state;

        assert_string_equal(
                lp_parse(ctx,
                         "Nov 26 23:15:10 web1 sshd[1]: Invalid user \xff\xfe\xc3 from "
                         "203.0.113.9 port 5",
                         buf, sizeof(buf)),
                "invalid_user method= user=\xff\xfe\xc3 src=203.0.113.9 port=5 invalid");
        logparse_free(ctx);
}

/* Long user names are cut at a character boundary and flagged. */
static void test_truncation(void **state)
{
        logparse_ctx_t *ctx = lp_ctx(NULL);
        char line[2048], *p;
        logevent_t e;
        size_t n;
        (void)state;

        p = line + snprintf(line, sizeof(line), "Nov 26 23:15:10 web1 sshd[1]: Invalid user ");
        for (int i = 0; i < 200; i++) {
                memcpy(p, "\xc3\xa9", 2);
                p += 2;
        }
        p += snprintf(p, 64, " from 203.0.113.9 port 5");
        assert_int_equal(logparse_line(ctx, line, (size_t)(p - line), "f", 1, &e, 1, &n),
                         LOGPARSE_EVENT);
        assert_true(e.truncated);
        assert_int_equal(strlen(e.user), 254);
        assert_string_equal(e.src, "203.0.113.9");
        logparse_free(ctx);
}

static void test_stats_and_reset(void **state)
{
        logparse_ctx_t *ctx = lp_ctx(NULL);
        char buf[2048];
        const logparse_stats_t *st;
        (void)state;

        lp_parse(ctx, L, buf, sizeof(buf));
        lp_parse(ctx, "Nov 26 23:15:10 web1 CRON[2]: (root) CMD (true)", buf, sizeof(buf));
        lp_parse(ctx, "Nov 26 23:15:10 web1 sshd[1]: Server listening on :: port 22.", buf,
                 sizeof(buf));
        lp_parse(ctx, "garbage", buf, sizeof(buf));
        st = logparse_stats(ctx);
        assert_int_equal(st->lines, 4);
        assert_int_equal(st->events, 1);
        assert_int_equal(st->unmatched, 1);
        assert_int_equal(st->other, 2);
        logparse_reset(ctx, 0);
        assert_int_equal(logparse_stats(ctx)->lines, 4);
        logparse_free(ctx);
        logparse_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_truncation),
                cmocka_unit_test(test_stats_and_reset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
