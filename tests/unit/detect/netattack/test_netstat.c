/* Unit tests for detect/netattack/netstat: the /proc counter parsers on
 * copies of a real kernel's tables (tests/fixtures/netattack/proc/idle and
 * synflood: a network namespace before and during a SYN flood against a
 * listener with a backlog of 8, made by tests/fixtures/netattack/
 * make-fixtures.sh), an older kernel's shorter TcpExt and no IPv6 (old), copies cut
 * short (truncated) and damaged ones (garbled), plus the live /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/netattack/netstat.h"

static char *fixture_dir(const char *name)
{
        const char *dir = getenv("VIGIL_FIXTURES");
        char *p;

        assert_non_null(dir);
        assert_true(asprintf(&p, "%s/netattack/proc/%s", dir, name) > 0);
        return p;
}

static char *read_fixture(const char *name, size_t *ret_len)
{
        char *dir = fixture_dir(name), *data;
        FILE *f;
        long n;

        f = fopen(dir, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        data = malloc((size_t)n + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
        data[n] = 0;
        fclose(f);
        free(dir);
        *ret_len = (size_t)n;
        return data;
}

static netstat_sample_t read_dir(const char *name, bool synrecv)
{
        char *dir = fixture_dir(name);
        netstat_sample_t s;

        assert_int_equal(netstat_read(dir, synrecv, &s), 0);
        free(dir);
        return s;
}

static void test_real_idle(void **state)
{
        netstat_sample_t s = read_dir("idle", true);
        (void)state;

        for (int c = 0; c < NETSTAT_COUNTER__MAX; c++)
                assert_true(netstat_has(&s, c));
        assert_int_equal(s.v[NETSTAT_SYNCOOKIES_SENT], 0);
        assert_int_equal(s.v[NETSTAT_LISTEN_DROPS], 0);
        assert_true(s.have_synrecv);
        assert_int_equal(s.synrecv, 0);
        assert_false(s.synrecv_capped);
        assert_int_equal(s.bad_lines, 0);
}

static void test_real_synflood(void **state)
{
        netstat_sample_t s = read_dir("synflood", true);
        (void)state;

        /* The values nstat showed for that namespace. */
        assert_int_equal(s.v[NETSTAT_SYNCOOKIES_SENT], 1173);
        assert_int_equal(s.v[NETSTAT_SYNCOOKIES_FAILED], 0);
        assert_int_equal(s.v[NETSTAT_LISTEN_OVERFLOWS], 0);
        assert_int_equal(s.v[NETSTAT_REQQ_FULL_DROP], 0);
        /* Nine half-open connections: the SYN queue of a backlog of 8. */
        assert_int_equal(s.synrecv, 9);
        assert_int_equal(s.bad_lines, 0);
        assert_true(netstat_has(&s, NETSTAT_UDP6_IN));

        /* Without the socket tables. */
        s = read_dir("synflood", false);
        assert_false(s.have_synrecv);
        assert_int_equal(s.synrecv, 0);
}

static void test_old_kernel(void **state)
{
        netstat_sample_t s = read_dir("old", true);
        (void)state;

        assert_true(netstat_has(&s, NETSTAT_SYNCOOKIES_SENT));
        assert_int_equal(s.v[NETSTAT_SYNCOOKIES_SENT], 12);
        assert_int_equal(s.v[NETSTAT_LISTEN_OVERFLOWS], 77);
        assert_false(netstat_has(&s, NETSTAT_LISTEN_DROPS));
        assert_false(netstat_has(&s, NETSTAT_REQQ_FULL_DROP));
        assert_int_equal(s.v[NETSTAT_UDP_IN], 500);
        assert_int_equal(s.v[NETSTAT_UDP_IN_ERRORS], 7);
        assert_false(netstat_has(&s, NETSTAT_UDP_RCVBUF_ERRORS));
        assert_false(netstat_has(&s, NETSTAT_UDP6_IN)); /* no snmp6 */
        assert_int_equal(s.synrecv, 1);                 /* no tcp6 either */
        /* "MaxConn -1" is in the Tcp pair, which is not read. */
        assert_int_equal(s.bad_lines, 0);
}

static void test_truncated(void **state)
{
        netstat_sample_t s = read_dir("truncated", true);
        (void)state;

        /* The TcpExt values were cut: none of them is believed. */
        for (int c = NETSTAT_LISTEN_OVERFLOWS; c <= NETSTAT_SYNCOOKIES_FAILED; c++)
                assert_false(netstat_has(&s, c));
        /* snmp was cut before Udp. */
        assert_false(netstat_has(&s, NETSTAT_UDP_IN));
        /* snmp6 is missing from the copy. */
        assert_false(netstat_has(&s, NETSTAT_UDP6_IN));
        /* The tcp copy ends inside the 7th line: 6 whole lines remain (the
         * header, the listener and four SYN_RECV sockets). */
        assert_int_equal(s.synrecv, 4);
        assert_true(s.bad_lines >= 3);
}

static void test_garbled(void **state)
{
        netstat_sample_t s = { 0 };
        size_t n;
        char *data;
        uint64_t count = 0, lines = 0;
        size_t bad = 0;
        (void)state;

        data = read_fixture("garbled/net/netstat", &n);
        assert_int_equal(netstat_parse_pairs(data, n, &s), 0);
        free(data);
        /* A value that is not a number, or over 2^64, is not taken; the
         * others of the same pair are. */
        assert_false(netstat_has(&s, NETSTAT_LISTEN_DROPS));
        assert_false(netstat_has(&s, NETSTAT_SYNCOOKIES_SENT));
        assert_true(netstat_has(&s, NETSTAT_LISTEN_OVERFLOWS));
        assert_true(netstat_has(&s, NETSTAT_REQQ_FULL_DROP));
        assert_int_equal(s.v[NETSTAT_LISTEN_OVERFLOWS], 0);
        /* The bad TcpExt values, the IpExt pair with a field missing, the
         * line without a colon and the header it orphaned, the last header
         * without values. */
        assert_int_equal(s.bad_lines, 5);

        s = (netstat_sample_t){ 0 };
        data = read_fixture("garbled/net/snmp", &n);
        assert_int_equal(netstat_parse_pairs(data, n, &s), 0);
        free(data);
        assert_true(netstat_has(&s, NETSTAT_UDP_IN));
        assert_int_equal(s.bad_lines, 1);

        s = (netstat_sample_t){ 0 };
        data = read_fixture("garbled/net/snmp6", &n);
        assert_int_equal(netstat_parse_snmp6(data, n, &s), 0);
        free(data);
        assert_true(netstat_has(&s, NETSTAT_UDP6_IN));
        assert_true(netstat_has(&s, NETSTAT_UDP6_IN_ERRORS));
        assert_true(netstat_has(&s, NETSTAT_UDP6_RCVBUF_ERRORS));
        assert_int_equal(s.v[NETSTAT_UDP6_RCVBUF_ERRORS], 0);
        assert_int_equal(s.bad_lines, 3);

        data = read_fixture("garbled/net/tcp", &n);
        assert_int_equal(netstat_count_synrecv(data, n, &count, &bad, &lines), 0);
        free(data);
        assert_int_equal(count, 9);
        assert_int_equal(bad, 5);
        assert_int_equal(lines, 10);
}

static void test_odd_text(void **state)
{
        static const char pairs[] = "TcpExt: ListenDrops ListenOverflows\n"
                                    "TcpExt: 5 6 7\n" /* too many values */
                                    "Udp: InDatagrams\n"
                                    "TcpExt: 1\n" /* another prefix: Udp header orphaned */
                                    "TcpExt:\n"   /* the values of "TcpExt: 1": too few */
                                    "TcpExt:\n"   /* a header, orphaned by the next */
                                    "Udp:\tInDatagrams  RcvbufErrors\t\n"
                                    "Udp:\t42\t\t3\n";
        static const char tcp6[] = "  sl  local_address remote_address st\n"
                                   "   0: 00000000000000000000000001000000:0016 "
                                   "00000000000000000000000000000000:0000 03 0\n"
                                   "   1: 0000000000000000000000000100000:0016 "
                                   "00000000000000000000000000000000:0000 03 0\n";
        netstat_sample_t s = { 0 };
        uint64_t count = 0;
        size_t bad = 0;
        (void)state;

        assert_int_equal(netstat_parse_pairs(pairs, sizeof(pairs) - 1, &s), 0);
        assert_false(netstat_has(&s, NETSTAT_LISTEN_DROPS));
        assert_int_equal(s.v[NETSTAT_UDP_IN], 42);
        assert_int_equal(s.v[NETSTAT_UDP_RCVBUF_ERRORS], 3);
        assert_int_equal(s.bad_lines, 4);

        /* Empty input, and NUL bytes. */
        s = (netstat_sample_t){ 0 };
        assert_int_equal(netstat_parse_pairs("", 0, &s), 0);
        assert_int_equal(netstat_parse_pairs("Udp: InDatagrams\nUdp: 4\0002\n", 26, &s), 0);
        assert_false(netstat_has(&s, NETSTAT_UDP_IN));
        assert_int_equal(netstat_parse_snmp6("Udp6InDatagrams 7", 17, &s), 0);
        assert_false(netstat_has(&s, NETSTAT_UDP6_IN)); /* no newline: cut off */

        /* The IPv6 table format, and a header in the middle of a chunk. */
        assert_int_equal(netstat_count_synrecv(tcp6, sizeof(tcp6) - 1, &count, &bad, NULL), 0);
        assert_int_equal(count, 1);
        assert_int_equal(bad, 1); /* 31 hex digits */
}

static void test_missing_and_special_files(void **state)
{
        char tmpl[] = "/tmp/vigil-netstat-XXXXXX", path[256];
        netstat_sample_t s;
        (void)state;

        assert_non_null(mkdtemp(tmpl));
        assert_int_equal(netstat_read(tmpl, true, &s), -ENOENT);
        snprintf(path, sizeof(path), "%s/net", tmpl);
        assert_int_equal(mkdir(path, 0700), 0);
        /* A FIFO where a table should be is refused, not waited on. */
        snprintf(path, sizeof(path), "%s/net/netstat", tmpl);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(netstat_read(tmpl, true, &s), -EINVAL);
        unlink(path);
        snprintf(path, sizeof(path), "%s/net", tmpl);
        rmdir(path);
        rmdir(tmpl);
}

static void test_live(void **state)
{
        netstat_sample_t s;
        (void)state;

        /* Whatever kernel runs the test has these. */
        assert_int_equal(netstat_read("/proc", true, &s), 0);
        assert_true(netstat_has(&s, NETSTAT_LISTEN_OVERFLOWS));
        assert_true(netstat_has(&s, NETSTAT_UDP_IN));
        assert_true(s.have_synrecv);
        assert_int_equal(s.bad_lines, 0);
        assert_string_equal(netstat_counter_name(NETSTAT_UDP6_IN_ERRORS), "Udp6InErrors");
        assert_string_equal(netstat_counter_name(NETSTAT_COUNTER__MAX), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_idle),
                cmocka_unit_test(test_real_synflood),
                cmocka_unit_test(test_old_kernel),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_garbled),
                cmocka_unit_test(test_odd_text),
                cmocka_unit_test(test_missing_and_special_files),
                cmocka_unit_test(test_live),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
