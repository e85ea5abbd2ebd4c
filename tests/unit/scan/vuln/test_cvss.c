/* Unit tests for scan/vuln/cvss: base scores of published example vectors
 * (FIRST's specification examples and calculator test sets) and strict
 * rejection of malformed vectors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/vuln/cvss.h"

typedef struct {
        const char *vector;
        double score;
} example_t;

static void check(const example_t *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                double s = -1;
                int r = cvss_score(v[i].vector, &s, NULL);
                if (r < 0)
                        fail_msg("%s: rejected (%d)", v[i].vector, r);
                /* Scores have one decimal; compare in tenths. */
                if ((long)(s * 10 + 0.5) != (long)(v[i].score * 10 + 0.5))
                        fail_msg("%s: got %.1f, expected %.1f", v[i].vector, s, v[i].score);
        }
}

/* CVSS v4.0: base vectors with the scores of FIRST's reference calculator. */
static const example_t v4[] = {
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L", 9.2 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L", 7.8 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N", 6.9 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:H/SC:N/SI:H/SA:N", 9.2 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H", 7.9 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:N/VA:L/SC:N/SI:H/SA:N", 8.3 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:L/SC:N/SI:H/SA:N", 6.3 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:N/SA:L", 5.3 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.6 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:N/SC:N/SI:L/SA:L", 8.5 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", 5.1 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:L/VA:N/SC:H/SI:N/SA:L", 8.4 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:L/SC:N/SI:L/SA:N", 7.1 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:L/VI:L/VA:N/SC:H/SI:L/SA:L", 6.4 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:H/VI:L/VA:L/SC:L/SI:L/SA:L", 7.0 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H", 9.3 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:N/VI:L/VA:L/SC:L/SI:L/SA:H", 6.2 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:L/SC:H/SI:H/SA:H", 9.3 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:L/SC:L/SI:L/SA:N", 5.1 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N", 4.8 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:A/VC:L/VI:N/VA:N/SC:H/SI:N/SA:H", 6.0 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H", 9.5 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:L/SA:L", 8.3 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:L/VA:L/SC:H/SI:L/SA:L", 7.0 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:L/VI:L/VA:N/SC:H/SI:N/SA:N", 4.9 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N", 2.1 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N", 2.3 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:H/SA:L", 4.5 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:N/VC:N/VI:L/VA:L/SC:H/SI:H/SA:H", 5.5 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N", 1.8 },
        { "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:L/VI:N/VA:L/SC:L/SI:H/SA:N", 4.3 },
        { "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:H/SA:L", 9.4 },
        { "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", 2.1 },
        { "CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:P/VC:H/VI:H/VA:H/SC:H/SI:L/SA:H", 8.8 },
        { "CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:N/VI:L/VA:L/SC:H/SI:H/SA:L", 5.0 },
        { "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N", 4.0 },
        { "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:L/SA:N", 9.5 },
        { "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:N/VI:L/VA:N/SC:L/SI:H/SA:L", 7.0 },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0 },
};

/* CVSS v3.x: the specification's worked examples and calculator results. */
static const example_t v3[] = {
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1 },  /* CVE-2013-1937 */
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4 },  /* CVE-2013-0375 */
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5 },  /* CVE-2014-0160 */
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },  /* CVE-2014-6271 */
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0 }, /* CVE-2021-44228 */
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:L/A:L", 9.9 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", 7.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:N/A:N", 4.7 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N", 4.3 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:N/A:N", 4.1 },
        { "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N", 3.5 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:L", 6.6 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:N/A:N", 4.9 },
        { "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:L/A:L", 6.0 },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0 },
        { "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
        { "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0 },
        { "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H", 7.8 },
        { "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6 },
};

/* CVSS v2.0: NVD's scores for well-known vectors. */
static const example_t v2[] = {
        { "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5 }, { "AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3 },
        { "AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2 }, { "(AV:N/AC:L/Au:N/C:C/I:C/A:C)", 10.0 },
        { "AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0 },
};

static void test_v4(void **state)
{
        (void)state;
        check(v4, sizeof(v4) / sizeof(v4[0]));
}

static void test_v3(void **state)
{
        cvss_version_t ver;
        double s;
        (void)state;

        check(v3, sizeof(v3) / sizeof(v3[0]));
        assert_int_equal(cvss_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s, &ver), 0);
        assert_int_equal(ver, CVSS_V30);
        assert_int_equal(
                cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", &s,
                           &ver),
                0);
        assert_int_equal(ver, CVSS_V40);
        assert_string_equal(cvss_version_name(CVSS_V31), "3.1");
}

static void test_v2(void **state)
{
        (void)state;
        check(v2, sizeof(v2) / sizeof(v2[0]));
}

static void test_invalid(void **state)
{
        static const char *const bad[] = {
                "",
                "CVSS:3.1/",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",           /* A missing */
                "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",       /* bad value */
                "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  /* repeated */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/FOO:1", /* unknown metric */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",      /* empty part */
                "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "CVSS:5.0/AV:N",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:S",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q",
                "AV:N/AC:L/Au:N/C:P/I:P",
                "AV:N/AC:L/Au:N/C:P/I:P/A:X",
                "AV:N:AC",
                "high",
        };
        double s;
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (cvss_score(bad[i], &s, NULL) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(cvss_score(NULL, &s, NULL), -EINVAL);
}

static void test_level(void **state)
{
        (void)state;
        assert_int_equal(cvss_level(10.0), FINDING_HIGH);
        assert_int_equal(cvss_level(7.0), FINDING_HIGH);
        assert_int_equal(cvss_level(6.9), FINDING_MEDIUM);
        assert_int_equal(cvss_level(4.0), FINDING_MEDIUM);
        assert_int_equal(cvss_level(3.9), FINDING_LOW);
        assert_int_equal(cvss_level(0.0), FINDING_LOW);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v4),    cmocka_unit_test(test_v3),
                cmocka_unit_test(test_v2),    cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_level),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
