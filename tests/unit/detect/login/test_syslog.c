/* Unit tests for detect/login/syslog: stamps, zones, year inference and
 * header framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/timeutil.h"
#include "detect/login/syslog.h"

#define US 1000000LL

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
        return (syslog_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
                s) *
               US;
}

static void test_civil(void **state)
{
        (void)state;
        assert_int_equal(syslog_days_from_civil(1970, 1, 1), 0);
        assert_int_equal(syslog_days_from_civil(2000, 3, 1), 11017);
        assert_int_equal(syslog_days_from_civil(2024, 2, 29) + 1,
                         syslog_days_from_civil(2024, 3, 1));
        /* Cross-check with the C library for every day of a few years. */
        for (int y = 1999; y <= 2101; y += 17)
                for (int m = 1; m <= 12; m++) {
                        struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = 28 };
                        assert_int_equal(syslog_days_from_civil(y, (unsigned)m, 28) * 86400,
                                         (int64_t)timegm(&tm));
                }
}

static void test_iso(void **state)
{
        int64_t t;
        size_t used;
        syslog_clock_t c;
        (void)state;

        syslog_clock_init(&c, utc(2026, 11, 27, 0, 0, 0), 0, true);
        assert_true(syslog_parse_iso_time(&c, "2026-11-26T23:15:10.128954+00:00 x", 34, false,
                                          &used, &t));
        assert_int_equal(used, 32);
        assert_int_equal(t, utc(2026, 11, 26, 23, 15, 10) + 128954);
        assert_true(syslog_parse_iso_time(NULL, "2026-11-26T23:15:10+0130", 24, false, &used, &t));
        assert_int_equal(t, utc(2026, 11, 26, 21, 45, 10));
        assert_true(
                syslog_parse_iso_time(NULL, "2026-11-26T23:15:10.5-05:00", 27, false, &used, &t));
        assert_int_equal(t, utc(2026, 11, 27, 4, 15, 10) + 500000);
        assert_true(syslog_parse_iso_time(NULL, "2026-11-26T23:15:10Z", 20, false, &used, &t));
        assert_int_equal(t, utc(2026, 11, 26, 23, 15, 10));
        /* Nanoseconds are cut to microseconds. */
        assert_true(syslog_parse_iso_time(NULL, "2026-11-26T23:15:10.123456789Z", 30, false, &used,
                                          &t));
        assert_int_equal(t, utc(2026, 11, 26, 23, 15, 10) + 123456);
        /* No offset: local time, which needs a clock. */
        assert_false(syslog_parse_iso_time(NULL, "2026-11-26T23:15:10", 19, false, &used, &t));
        assert_true(syslog_parse_iso_time(&c, "2026-11-26 23:15:10,250", 23, true, &used, &t));
        assert_int_equal(t, utc(2026, 11, 26, 23, 15, 10) + 250000);
        assert_false(syslog_parse_iso_time(&c, "2026-11-26 23:15:10", 19, false, &used, &t));
        assert_false(syslog_parse_iso_time(&c, "2026-13-26T23:15:10Z", 20, false, &used, &t));
        assert_false(syslog_parse_iso_time(&c, "2026-11-26T24:15:10Z", 20, false, &used, &t));
        assert_false(syslog_parse_iso_time(&c, "2026-11-26T23:15", 16, false, &used, &t));
        assert_false(syslog_parse_iso_time(&c, "2026-11-26T23:15:10+25:00", 25, false, &used, &t));
}

static int64_t classic(syslog_clock_t *c, const char *s)
{
        int64_t t = -1;
        size_t used;

        if (!syslog_parse_classic_time(c, s, strlen(s), &used, &t))
                return -1;
        return t;
}

static void test_year_inference(void **state)
{
        syslog_clock_t c;
        (void)state;

        /* The reference is the file's mtime: 2027-01-02. A log that starts in
         * December belongs to 2026 and rolls over into 2027. */
        syslog_clock_init(&c, utc(2027, 1, 2, 12, 0, 0), 0, true);
        assert_int_equal(classic(&c, "Dec 30 10:00:00"), utc(2026, 12, 30, 10, 0, 0));
        assert_int_equal(classic(&c, "Dec 31 23:59:59"), utc(2026, 12, 31, 23, 59, 59));
        assert_int_equal(classic(&c, "Jan  1 00:00:01"), utc(2027, 1, 1, 0, 0, 1));
        /* A late line from before midnight stays in the old year. */
        assert_int_equal(classic(&c, "Dec 31 23:59:58"), utc(2026, 12, 31, 23, 59, 58));
        assert_int_equal(classic(&c, "Jan  2 11:00:00"), utc(2027, 1, 2, 11, 0, 0));
        /* Out of order by a month: no rollover. */
        assert_int_equal(classic(&c, "Feb  1 00:00:00"), utc(2027, 2, 1, 0, 0, 0));
        assert_int_equal(classic(&c, "Jan 31 23:59:00"), utc(2027, 1, 31, 23, 59, 0));

        /* A host quiet from February to October: still the same year. */
        syslog_clock_init(&c, utc(2026, 12, 1, 0, 0, 0), 0, true);
        assert_int_equal(classic(&c, "Feb  3 10:00:00"), utc(2026, 2, 3, 10, 0, 0));
        assert_int_equal(classic(&c, "Oct  9 10:00:00"), utc(2026, 10, 9, 10, 0, 0));
        assert_int_equal(classic(&c, "Nov 30 10:00:00"), utc(2026, 11, 30, 10, 0, 0));

        /* A log whose first line is a day after the reference is last year's. */
        syslog_clock_init(&c, utc(2026, 3, 1, 0, 0, 0), 0, true);
        assert_int_equal(classic(&c, "Mar  5 10:00:00"), utc(2025, 3, 5, 10, 0, 0));
        syslog_clock_init(&c, utc(2026, 3, 1, 0, 0, 0), 0, true);
        assert_int_equal(classic(&c, "Mar  1 20:00:00"), utc(2026, 3, 1, 20, 0, 0));

        /* A fixed year is the first line's; rollover still applies. */
        syslog_clock_init(&c, utc(2030, 6, 1, 0, 0, 0), 2020, true);
        assert_int_equal(classic(&c, "Nov 26 23:15:10"), utc(2020, 11, 26, 23, 15, 10));
        assert_int_equal(classic(&c, "Jan  3 00:00:00"), utc(2021, 1, 3, 0, 0, 0));

        /* Fractions (rsyslog high precision with a classic stamp). */
        syslog_clock_init(&c, utc(2026, 12, 1, 0, 0, 0), 0, true);
        assert_int_equal(classic(&c, "Nov 26 23:15:10.25"), utc(2026, 11, 26, 23, 15, 10) + 250000);
        assert_int_equal(classic(&c, "Nov 6 23:15:10"), utc(2026, 11, 6, 23, 15, 10));
        /* Malformed. */
        assert_int_equal(classic(&c, "Foo 26 23:15:10"), -1);
        assert_int_equal(classic(&c, "Nov 32 23:15:10"), -1);
        assert_int_equal(classic(&c, "Nov 26 23:61:10"), -1);
        assert_int_equal(classic(&c, "Nov 26 2315:10"), -1);
        assert_int_equal(classic(&c, "Nov 26"), -1);
}

static void test_local_time(void **state)
{
        syslog_clock_t c;
        (void)state;

        /* Europe/Berlin: CET +1 in winter, CEST +2 in summer (needs tzdata). */
        if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0)
                skip();
        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        syslog_clock_init(&c, utc(2026, 12, 1, 0, 0, 0), 0, false);
        assert_int_equal(classic(&c, "Nov 26 23:15:10"), utc(2026, 11, 26, 22, 15, 10));
        syslog_clock_init(&c, utc(2026, 12, 1, 0, 0, 0), 0, false);
        assert_int_equal(classic(&c, "Jul  1 12:00:00"), utc(2026, 7, 1, 10, 0, 0));
        setenv("TZ", "UTC", 1);
        tzset();
}

static syslog_format_t header(const char *line, logmsg_t *m)
{
        syslog_clock_t c;

        syslog_clock_init(&c, utc(2026, 12, 1, 0, 0, 0), 0, true);
        memset(m, 0, sizeof(*m));
        return syslog_parse_header(&c, line, strlen(line), m);
}

static void test_headers(void **state)
{
        logmsg_t m;
        (void)state;

        assert_int_equal(header("Nov 26 23:15:10 web1 sshd[622]: hello world", &m),
                         SYSLOG_FMT_RFC3164);
        assert_true(logmsg_eq(m.host, m.host_len, LIT("web1")));
        assert_true(logmsg_eq(m.prog, m.prog_len, LIT("sshd")));
        assert_int_equal(m.pid, 622);
        assert_true(logmsg_eq(m.msg, m.len, LIT("hello world")));
        assert_int_equal(m.time_us, utc(2026, 11, 26, 23, 15, 10));

        assert_int_equal(header("2026-11-26T23:15:10.128954+00:00 web1 sudo:     bob : TTY=x", &m),
                         SYSLOG_FMT_ISO);
        assert_true(logmsg_eq(m.prog, m.prog_len, LIT("sudo")));
        assert_int_equal(m.pid, 0);
        assert_true(logmsg_eq(m.msg, m.len, LIT("    bob : TTY=x")));

        /* Sent to /dev/log: PRI and no host. */
        assert_int_equal(header("<38>Nov 26 23:15:10 sshd[1]: msg", &m), SYSLOG_FMT_RFC3164);
        assert_int_equal(m.host_len, 0);
        assert_true(logmsg_eq(m.prog, m.prog_len, LIT("sshd")));

        assert_int_equal(
                header("<34>1 2026-11-26T23:15:10.128954+00:00 web1 sshd 622 - - msg here", &m),
                SYSLOG_FMT_RFC5424);
        assert_true(logmsg_eq(m.prog, m.prog_len, LIT("sshd")));
        assert_int_equal(m.pid, 622);
        assert_true(logmsg_eq(m.msg, m.len, LIT("msg here")));
        assert_int_equal(header("<34>1 2026-11-26T23:15:10Z web1 sshd 622 ID47 [ex@1 a=\"x\\]y\"]"
                                "[b@2 c=\"d\"] \xEF\xBB\xBFm",
                                &m),
                         SYSLOG_FMT_RFC5424);
        assert_true(logmsg_eq(m.msg, m.len, LIT("m")));
        assert_int_equal(header("<34>1 - - - - - -", &m), SYSLOG_FMT_RFC5424);
        assert_int_equal(m.len, 0);

        /* Empty message after the tag. */
        assert_int_equal(header("Nov 26 23:15:10 web1 sshd[622]:", &m), SYSLOG_FMT_RFC3164);
        assert_int_equal(m.len, 0);

        /* Not headers. */
        assert_int_equal(header("hello", &m), SYSLOG_FMT_NONE);
        assert_int_equal(header("Nov 26 23:15:10 web1", &m), SYSLOG_FMT_NONE);
        assert_int_equal(header("Nov 26 23:15:10 web1 sshd[x]: m", &m), SYSLOG_FMT_NONE);
        assert_int_equal(header("Nov 26 23:15:10 web1 sshd[622] m", &m), SYSLOG_FMT_NONE);
        assert_int_equal(header("Nov 26 23:15:10 web1 sshd[622]:m", &m), SYSLOG_FMT_NONE);
        assert_int_equal(header("<999999>Nov 26 23:15:10 a b: m", &m), SYSLOG_FMT_NONE);
        assert_int_equal(header("<34>1 2026-11-26T23:15:10 web1 sshd 622 - - m", &m),
                         SYSLOG_FMT_NONE);
        assert_int_equal(header("<34>1 2026-11-26T23:15:10Z web1 sshd 622 - [x m", &m),
                         SYSLOG_FMT_NONE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_civil),          cmocka_unit_test(test_iso),
                cmocka_unit_test(test_year_inference), cmocka_unit_test(test_local_time),
                cmocka_unit_test(test_headers),
        };
        setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
