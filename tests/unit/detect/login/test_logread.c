/* Unit tests for detect/login/logread: framing across reads, huge lines,
 * gzip members, sniffing, utmp tails. Input comes from memfds and pipes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "detect/login/logread.h"

#define EV "Nov 26 23:15:10 h sshd[1]: Invalid user u from 203.0.113.9 port 5\n"

typedef struct got {
        size_t n;
        uint64_t lines[16];
} got_t;

static int on_event(const logevent_t *e, void *userdata)
{
        got_t *g = userdata;
        if (g->n < 16)
                g->lines[g->n] = e->line;
        g->n++;
        return 0;
}

static int read_mem(const void *data, size_t n, logread_input_t in, got_t *g, logread_stats_t *st)
{
        logparse_opts_t o = { .ref_time_us = 1795000000LL * 1000000, .utc = true };
        logparse_ctx_t *ctx = logparse_new(&o);
        logread_cb_t cb = { .on_event = on_event, .userdata = g };
        int fd = memfd_create("t", MFD_CLOEXEC), r;

        assert_true(fd >= 0);
        assert_non_null(ctx);
        assert_int_equal(write(fd, data, n), (ssize_t)n);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        r = logread_fd(fd, "t", in, ctx, &cb, st);
        close(fd);
        logparse_free(ctx);
        return r;
}

static void test_huge_line(void **state)
{
        /* A line longer than the read buffer, between two good ones. */
        size_t big = 9 * 1024 * 1024, n = 0;
        char *data = malloc(big + 4 * sizeof(EV));
        got_t g = { 0 };
        logread_stats_t st;
        (void)state;

        assert_non_null(data);
        memcpy(data, EV, strlen(EV));
        n = strlen(EV);
        memcpy(data + n, EV, strlen(EV) - 1); /* an event-looking start */
        memset(data + n + strlen(EV) - 1, 'x', big);
        n += strlen(EV) - 1 + big;
        data[n++] = '\n';
        memcpy(data + n, EV, strlen(EV) - 1); /* no final newline */
        n += strlen(EV) - 1;
        assert_int_equal(read_mem(data, n, LOGREAD_AUTO, &g, &st), 0);
        assert_int_equal(g.n, 2);
        assert_int_equal(g.lines[0], 1);
        assert_int_equal(g.lines[1], 3);
        assert_int_equal(st.oversized, 1);
        assert_int_equal(st.records, 3);
        free(data);
}

static size_t gz(const char *s, unsigned char *out, size_t cap)
{
        z_stream z = { 0 };
        size_t n;

        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (unsigned char *)s;
        z.avail_in = (uInt)strlen(s);
        z.next_out = out;
        z.avail_out = (uInt)cap;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        n = cap - z.avail_out;
        deflateEnd(&z);
        return n;
}

static void test_gzip(void **state)
{
        unsigned char buf[4096];
        size_t n;
        got_t g = { 0 };
        logread_stats_t st;
        (void)state;

        /* Two members, as `cat a.gz b.gz` makes. */
        n = gz(EV EV, buf, sizeof(buf));
        n += gz(EV, buf + n, sizeof(buf) - n);
        assert_int_equal(read_mem(buf, n, LOGREAD_AUTO, &g, &st), 0);
        assert_int_equal(g.n, 3);
        assert_true(st.compressed);
        /* Cut short: an error, the events before the cut still delivered. */
        memset(&g, 0, sizeof(g));
        assert_int_equal(read_mem(buf, n - 10, LOGREAD_AUTO, &g, &st), -EBADMSG);
        /* Garbage after the magic. */
        memset(&g, 0, sizeof(g));
        memset(buf + 2, 0x55, 40);
        assert_int_equal(read_mem(buf, 42, LOGREAD_AUTO, &g, &st), -EBADMSG);
}

static void test_sniff(void **state)
{
        got_t g = { 0 };
        logread_stats_t st;
        static const char ex[] = "__CURSOR=x\n_COMM=sshd\n_PID=3\nMESSAGE=Invalid user u from "
                                 "203.0.113.9 port 5\n\n";
        static const char js[] = "{\"_COMM\":\"sshd\",\"MESSAGE\":\"Invalid user u from "
                                 "203.0.113.9 port 5\"}\nnot json\n";
        (void)state;

        assert_int_equal(read_mem(ex, sizeof(ex) - 1, LOGREAD_AUTO, &g, &st), 0);
        assert_int_equal(st.input, LOGREAD_EXPORT);
        assert_int_equal(g.n, 1);
        memset(&g, 0, sizeof(g));
        assert_int_equal(read_mem(js, sizeof(js) - 1, LOGREAD_AUTO, &g, &st), 0);
        assert_int_equal(st.input, LOGREAD_JSON);
        assert_int_equal(g.n, 1);
        assert_int_equal(st.bad, 1);
        memset(&g, 0, sizeof(g));
        assert_int_equal(read_mem(EV, strlen(EV), LOGREAD_AUTO, &g, &st), 0);
        assert_int_equal(st.input, LOGREAD_TEXT);
        assert_int_equal(read_mem("", 0, LOGREAD_AUTO, &g, &st), 0);
        assert_int_equal(st.records, 0);
}

static void test_utmp_tail(void **state)
{
        unsigned char rec[384 * 2 + 100];
        got_t g = { 0 };
        logread_stats_t st;
        (void)state;

        memset(rec, 0, sizeof(rec));
        assert_int_equal(read_mem(rec, sizeof(rec), LOGREAD_BTMP, &g, &st), 0);
        assert_int_equal(st.records, 2);
        assert_int_equal(st.bad, 1);
        assert_int_equal(g.n, 0);
        assert_string_equal(logread_input_name(LOGREAD_WTMP), "wtmp");
        assert_int_equal(logread_input_for_path("/var/log/btmp.1"), LOGREAD_BTMP);
        assert_int_equal(logread_input_for_path("wtmp"), LOGREAD_WTMP);
        assert_int_equal(logread_input_for_path("/var/log/auth.log"), LOGREAD_AUTO);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_huge_line),
                cmocka_unit_test(test_gzip),
                cmocka_unit_test(test_sniff),
                cmocka_unit_test(test_utmp_tail),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
