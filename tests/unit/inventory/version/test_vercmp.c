/* Unit tests for inventory/version (vercmp): hand-picked tricky cases for
 * each scheme, version_check offsets, scheme names and OSV ecosystems, and
 * robustness on hostile strings. The bulk of the checking is done by the
 * oracle tests in tests/integration/version, which compare thousands of pairs
 * with the real tools; apk has no tool on Debian, so its cases here are the
 * main check and are worked out from apk-tools' rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inventory/version/vercmp.h"

struct vcase {
        const char *a, *b;
        int want;
};

/* Check every case both ways round, and each side against itself. */
static void run_cases(version_scheme_t scheme, const struct vcase *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int got = vercmp(scheme, c[i].a, c[i].b);
                int back = vercmp(scheme, c[i].b, c[i].a);

                if (got != c[i].want || back != -c[i].want)
                        fail_msg("%s: \"%s\" vs \"%s\": want %d, got %d (reversed %d)",
                                 version_scheme_name(scheme), c[i].a, c[i].b, c[i].want, got, back);
                assert_int_equal(vercmp(scheme, c[i].a, c[i].a), 0);
                assert_int_equal(vercmp(scheme, c[i].b, c[i].b), 0);
        }
}

/* Check that LIST is strictly increasing, pairwise. */
static void run_chain(version_scheme_t scheme, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                        int want = i < j ? -1 : (i > j ? 1 : 0);
                        int got = vercmp(scheme, list[i], list[j]);
                        if (got != want)
                                fail_msg("%s: \"%s\" vs \"%s\": want %d, got %d",
                                         version_scheme_name(scheme), list[i], list[j], want, got);
                }
}

struct ccase {
        const char *v;
        int ok;     /* 1 well-formed, 0 not */
        size_t pos; /* offset reported when not */
};

static void run_checks(version_scheme_t scheme, const struct ccase *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                size_t pos = (size_t)-1;
                int r = version_check(scheme, c[i].v, &pos);

                if (c[i].ok && r != 0)
                        fail_msg("%s: \"%s\" should be well-formed (r=%d pos=%zu)",
                                 version_scheme_name(scheme), c[i].v, r, pos);
                if (!c[i].ok && (r != -EINVAL || pos != c[i].pos))
                        fail_msg("%s: \"%s\" should be bad at %zu (r=%d pos=%zu)",
                                 version_scheme_name(scheme), c[i].v, c[i].pos, r, pos);
        }
}

#define RUN_CASES(s, c)  run_cases((s), (c), sizeof(c) / sizeof((c)[0]))
#define RUN_CHAIN(s, c)  run_chain((s), (c), sizeof(c) / sizeof((c)[0]))
#define RUN_CHECKS(s, c) run_checks((s), (c), sizeof(c) / sizeof((c)[0]))

static void test_dpkg(void **state)
{
        static const struct vcase cases[] = {
                { "1.0~rc1", "1.0", -1 },
                { "1.0~~", "1.0~", -1 },
                { "1.0~", "1.0", -1 },
                { "1.0", "1.0-0", 0 },
                { "1.0", "0:1.0", 0 },
                { "1:0.1", "2.0", 1 },
                { "1.0a", "1.0+", -1 }, /* letters before other characters */
                { "1.0+", "1.0.", -1 },
                { "1.0", "1.0a", -1 },
                { "1.01", "1.1", 0 },
                { "1.10", "1.9", 1 },
                { "2.30-1ubuntu0.1", "2.30-1", 1 },
                { "1.2.3-1~deb12u1", "1.2.3-1", -1 },
                { "1.2.3-1+deb12u1", "1.2.3-1", 1 },
                { "1:2:3", "1:2", 1 }, /* colons belong to the upstream part */
                { "1-2-3", "1-2", 1 }, /* the revision starts at the last hyphen */
                { "", "~", -1 },       /* the empty version is lowest */
                { "<unknown>", "", 0 },
                { "   1.0", "1.0\t", 0 },
                { "1.0ä", "1.0z", 1 }, /* dpkg on amd64: bytes >= 0x80 after letters */
                { "1.0ä", "1.0+", -1 },
                { "+1:1", "1:1", 0 },
                { "2147483647:1", "1:1", 1 },
        };
        (void)state;
        RUN_CASES(VERSION_DPKG, cases);
}

static void test_dpkg_check(void **state)
{
        static const struct ccase cases[] = {
                { "1.0", 1, 0 },     { "1:2.30-1ubuntu0.22.04.1", 1, 0 },
                { " 1.0\t", 1, 0 },  { "1.0~rc1+dfsg-2", 1, 0 },
                { "", 0, 0 },        { "   ", 0, 3 },
                { "1.0 x", 0, 3 },   { ":1", 0, 0 },
                { "a:1", 0, 0 },     { "1a:1", 0, 1 },
                { "-1:1", 0, 0 },    { "2147483648:1", 0, 9 },
                { "1:", 0, 2 },      { "1.0-", 0, 3 },
                { "-1", 0, 0 },      { "1:-1", 0, 2 },
                { "a1.0", 0, 0 },    { "1_0", 0, 1 },
                { "1.0-1_0", 0, 5 }, { "1.0-1:0", 0, 1 }, /* the epoch runs to the first colon */
        };
        (void)state;
        RUN_CHECKS(VERSION_DPKG, cases);
}

static void test_rpm(void **state)
{
        static const char *const chain[] = {
                "1.0~rc1", "1.0", "1.0^git1", "1.0^git2", "1.0a", "1.0.1", "1.1", "2.0", "1:0.1",
        };
        static const struct vcase cases[] = {
                { "1.0", "1_0", 0 },
                { "1.0a", "1.0.a", 0 },
                { "1.0", "1.00", 0 },
                { "a", "1", -1 },
                { "1.0~", "1.0", -1 },
                { "1.0^", "1.0", 1 },
                { "1.0^", "1.0.0", -1 },
                { "0:1.0", "1.0", 0 },
                { ":1.0", "1.0", 0 },
                { "1.0-1", "1.0", 1 },
                { "1.0-", "1.0", 1 }, /* an empty release is still a release */
                { "1.0-1.el9", "1.0-1.el9_1", -1 },
                { "2:1.0", "1:9.9", 1 },
                { "10:1", "9:1", 1 },
                { "1.0-1-1", "1.0-1-2", -1 },
                { "1.ä", "1.", 0 }, /* non-ASCII bytes are separators */
                { "", "0", -1 },
        };
        (void)state;
        RUN_CHAIN(VERSION_RPM, chain);
        RUN_CASES(VERSION_RPM, cases);
}

static void test_rpm_check(void **state)
{
        static const struct ccase cases[] = {
                { "1.0-1.el9", 1, 0 },
                { "2:1.0.2k-25.el7_9", 1, 0 },
                { "1.0~rc1^git2+x", 1, 0 },
                { "", 0, 0 },
                { "1.0-", 0, 4 },
                { ":1.0", 0, 0 },
                { "1..0", 0, 2 },
                { "1.0 ", 0, 3 },
                { "a:1", 0, 1 },
        };
        (void)state;
        RUN_CHECKS(VERSION_RPM, cases);
}

/* apk-tools cannot be installed on Debian, so these cases carry the apk
 * checking; each is derived from apk's token rules (see vercmp_apk.c). */
static void test_apk(void **state)
{
        static const char *const suffixes[] = {
                "1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_pre", "1.0_rc",
                "1.0_rc1",   "1.0",        "1.0-r0",     "1.0-r1",   "1.0-r10", "1.0_cvs",
                "1.0_svn",   "1.0_git",    "1.0_hg",     "1.0_p",    "1.0_p1",  "1.0_p9",
                "1.0_p10",   "1.0a",       "1.0b",       "1.0.0",    "1.0.1",   "1.1",
        };
        static const struct vcase cases[] = {
                { "1.01", "1.1", -1 },  /* a leading zero makes it a string */
                { "1.01", "1.001", 1 }, /* "01" > "001" as strings */
                { "1.010", "1.9", -1 },
                { "1.10", "1.9", 1 },
                { "01", "1", 0 }, /* the first number is always a number */
                { "1.0_alpha_pre2", "1.0_alpha", -1 },
                { "1.0_alpha", "1.0_alpha0", -1 },
                { "1.0_rc1", "1.0_rc1-r1", -1 },
                { "1.0_p1-r1", "1.0_p1", 1 },
                { "1.0b_p1", "1.0b", 1 },
                { "1.0~abc", "1.0", 1 },
                { "1.0~abc", "1.0~abd", -1 },
                { "1.0~abc-r1", "1.0~abc-r2", -1 },
                { "1.0~abc", "1.0-r1", 1 }, /* a hash outranks a revision */
                { "2.34", "0.1.0_alpha", 1 },
                { "1.0.0", "1.0", 1 },
                /* Invalid strings: the bad token sorts below the end, and
                 * two strings that go bad at the same point are equal. */
                { "1.0foo", "1.0", 1 },
                { "1.0foo", "1.0fz", 0 },
                { "abc", "xyz", 0 },
                { "abc", "1", -1 },
                { "1.0!", "1.0", -1 },
                { "1.0-", "1.0", -1 },
                { "1.0-r", "1.0", -1 },
                { "1.0_", "1.0", -1 },
                { "1.0_foo", "1.0", -1 },
                { "1.0_Alpha", "1.0", -1 },
                { "1.0a1", "1.0a", -1 },
                { "1.0_alpha", "1.0_foo", -1 }, /* a pre-release suffix loses first */
                { "", "0", -1 },
                /* apk's numbers wrap modulo 2^64. */
                { "18446744073709551616", "0", 0 },
                { "18446744073709551617", "1", 0 },
        };
        (void)state;
        RUN_CHAIN(VERSION_APK, suffixes);
        RUN_CASES(VERSION_APK, cases);
}

static void test_apk_check(void **state)
{
        static const struct ccase cases[] = {
                { "1.0", 1, 0 },
                { "1.0_alpha1-r2", 1, 0 },
                { "1.0a_p1~deadbeef-r3", 1, 0 },
                { "20240101", 1, 0 },
                { "", 0, 0 },
                { "v1.0", 0, 0 },
                { "1.0foo", 0, 4 },
                { "1.0-r1-r2", 0, 6 },
                { "1.0-r1_p1", 0, 6 },
                { "1.0~ABC", 0, 3 },
                { "1.0.", 0, 3 },
                { "1.0a1", 0, 4 },
                { "1.0_x", 0, 3 },
        };
        (void)state;
        RUN_CHECKS(VERSION_APK, cases);
}

static void test_maven(void **state)
{
        static const char *const chain[] = {
                "1-alpha-1", "1-alpha-2", "1-beta-1", "1-milestone-1", "1-rc-1", "1-SNAPSHOT", "1",
                "1-sp-1",    "1-foo",     "1-1",      "1.0.1",         "1.1",    "2",
        };
        static const struct vcase cases[] = {
                { "1", "1.0", 0 },
                { "1", "1.0.0", 0 },
                { "1.0", "1-0", 0 },
                { "1.0-alpha-1", "1.0-a1", 0 },
                { "1.0-alpha1", "1.0a1", 0 },
                { "1.0-rc1", "1.0-cr1", 0 },
                { "1.0-RC1", "1.0-rc1", 0 },
                { "1.0", "1.0-ga", 0 },
                { "1.0", "1.0.final", 0 },
                { "1.0", "1.0.0.RELEASE", 0 },
                { "1.0-a", "1.0-alpha", 1 }, /* "a" alone is not alpha */
                { "1.0-foo", "1.0-bar", 1 },
                { "1.0-sp", "1.0-foo", -1 },
                { "1.0-1", "1.0.1", -1 },
                { "1.0-SNAPSHOT", "1.0", -1 },
                { "1.0-SNAPSHOT", "1.0-rc1", 1 },
                { "", "0", 0 },
                { "1.0000000000.5", "1.5", 1 }, /* a 10-digit number is a long */
                { "1.123456789", "1.1234567890", -1 },
                { "1.99999999999999999999", "1.99999999999999999998", 1 },
        };
        (void)state;
        RUN_CHAIN(VERSION_MAVEN, chain);
        RUN_CASES(VERSION_MAVEN, cases);
}

/* Maven's ComparableVersion is not transitive here (checked against Maven
 * 3.8.7), and vigil gives exactly Maven's answers. */
static void test_maven_cycle(void **state)
{
        (void)state;
        assert_int_equal(vercmp_maven("1.0.alpha.1", "1"), -1);
        assert_int_equal(vercmp_maven("1", "1.ga.1"), -1);
        assert_int_equal(vercmp_maven("1.ga.1", "1.0.alpha.1"), -1);
}

static void test_maven_check(void **state)
{
        static const struct ccase cases[] = {
                { "1.0-SNAPSHOT", 1, 0 }, { "2.0.0.Final", 1, 0 },  { "", 0, 0 },
                { "1.0 beta", 0, 3 },     { "1.0-\xc3\xa4", 0, 4 },
        };
        (void)state;
        RUN_CHECKS(VERSION_MAVEN, cases);
}

static void test_semver(void **state)
{
        static const char *const chain[] = {
                "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                "1.1.0",       "2.0.0",
        };
        static const struct vcase cases[] = {
                { "v1.2.3", "1.2.3", 0 },
                { "=1.2.3", "1.2.3", 0 },
                { " v1.2.3 ", "1.2.3", 0 },
                { "1.2.3+a", "1.2.3+b", 0 },
                { "1.2.3beta", "1.2.3-beta", 0 },
                { "01.02.03", "1.2.3", 0 },
                { "1.2.3-1", "1.2.3-a", -1 },
                { "1.2.3-01", "1.2.3-1", 0 },
                { "1.2.3-Z", "1.2.3-a", -1 },
                { "1.2.34.5", "1.2.3-4.5", 0 }, /* the regex gives digits back */
                { "1.0.0-9007199254740993", "1.0.0-9007199254740992", 0 },
                { "1.2", "0.0.0", -1 }, /* invalid before valid */
                { "1.2", "1.3", -1 },   /* invalid among themselves: bytes */
                { "9007199254740992.0.0", "0.0.0", -1 },
        };
        (void)state;
        RUN_CHAIN(VERSION_SEMVER, chain);
        RUN_CASES(VERSION_SEMVER, cases);
}

static void test_semver_check(void **state)
{
        static const struct ccase cases[] = {
                { "1.2.3", 1, 0 },
                { "v1.2.3-rc.1+build.5", 1, 0 },
                { "\xc2\xa0 1.2.3 \xef\xbb\xbf", 1, 0 },
                { "1.2", 0, 3 },
                { "a.b.c", 0, 0 },
                { "1.2.3-a..b", 0, 8 },
                { "1.2.3_4", 0, 5 },
                { "9007199254740992.0.0", 0, 0 },
        };
        (void)state;
        RUN_CHECKS(VERSION_SEMVER, cases);
}

static void test_pep440(void **state)
{
        static const char *const chain[] = {
                "1.0.dev0",       "1.0a1.dev1", "1.0a1",   "1.0a1.post1", "1.0b1",
                "1.0rc1",         "1.0",        "1.0+abc", "1.0+1",       "1.0+1.a",
                "1.0.post1.dev1", "1.0.post1",  "1.1",     "1!0.1",
        };
        static const struct vcase cases[] = {
                { "1.0", "1.0.0", 0 },
                { "1.0", "v1.0", 0 },
                { "1.0", " 1.0\n", 0 },
                { "1.0-1", "1.0.post1", 0 },
                { "1.0.post", "1.0.post0", 0 },
                { "1.0alpha", "1.0a0", 0 },
                { "1.0-Beta-2", "1.0b2", 0 },
                { "1.0c1", "1.0rc1", 0 },
                { "1.0preview", "1.0rc0", 0 },
                { "1.0r", "1.0.post0", 0 },
                { "1.0a-1", "1.0a1", 0 }, /* read as a1, not as a0 post1 */
                { "1.0+A", "1.0+a", 0 },
                { "1.0+01", "1.0+1", 0 },
                { "1.0+a-b", "1.0+a.b", 0 },
                { "01.00", "1", 0 },
                { "1.0+", "0", -1 }, /* invalid before valid */
        };
        (void)state;
        RUN_CHAIN(VERSION_PEP440, chain);
        RUN_CASES(VERSION_PEP440, cases);
}

static void test_pep440_check(void **state)
{
        static const struct ccase cases[] = {
                { "1.0", 1, 0 },          { "1!2.0rc1.post2.dev3+local.7", 1, 0 },
                { "V1.0-ALPHA_1", 1, 0 }, { "", 0, 0 },
                { "1.0x", 0, 3 },         { "1.0+", 0, 3 },
                { "a1", 0, 0 },
        };
        (void)state;
        RUN_CHECKS(VERSION_PEP440, cases);
}

static void test_composer(void **state)
{
        static const char *const chain[] = {
                "foo",        "dev-feature", "dev-master", "0.0.1",   "1.0-dev",
                "1.0-alpha1", "1.0-b1",      "1.0-beta2",  "1.0-RC1", "1.0",
                "1.0-p1",     "1.0.1",       "1.0.x-dev",  "1.1",
        };
        static const struct vcase cases[] = {
                { "1.0", "1.0.0.0", 0 },
                { "v1.0.0", "1.0", 0 },
                { "1.0-rc1", "1.0-RC1", 0 },
                { "1.0-beta.1", "1.0-beta1", 0 },
                { "1.0+build", "1.0", 0 },
                { "1.0@dev", "1.0", 0 },
                { "1.0 as 2.0", "1.0", 0 },
                { "2020-01-31", "2020.01.31", -1 }, /* "2020.01.31.0" is longer */
                { "1.99999999999999999999", "1.99999999999999999998", 0 }, /* strtol */
                { "master", "dev-master", 0 },
        };
        (void)state;
        RUN_CHAIN(VERSION_COMPOSER, chain);
        RUN_CASES(VERSION_COMPOSER, cases);
}

static void test_composer_check(void **state)
{
        static const struct ccase cases[] = {
                { "1.0.0", 1, 0 }, { "dev-main", 1, 0 }, { "1.x-dev", 1, 0 },
                { "", 0, 0 },      { "1.0foo", 0, 3 },
        };
        (void)state;
        RUN_CHECKS(VERSION_COMPOSER, cases);
}

static void test_names_and_ecosystems(void **state)
{
        static const struct {
                const char *eco;
                version_scheme_t scheme;
        } ok[] = {
                { "Debian:12", VERSION_DPKG },
                { "Debian", VERSION_DPKG },
                { "Ubuntu:22.04:LTS", VERSION_DPKG },
                { "Alpine:v3.19", VERSION_APK },
                { "Rocky Linux:9", VERSION_RPM },
                { "AlmaLinux:9", VERSION_RPM },
                { "Red Hat:enterprise_linux:9::baseos", VERSION_RPM },
                { "openSUSE:Leap 15.5", VERSION_RPM },
                { "SUSE:Linux Enterprise Server 15 SP5", VERSION_RPM },
                { "Maven", VERSION_MAVEN },
                { "npm", VERSION_SEMVER },
                { "PyPI", VERSION_PEP440 },
                { "Packagist", VERSION_COMPOSER },
        };
        static const char *const unknown[] = { "",         "debian:12", "Go",      "crates.io",
                                               "Debian12", "Alpin",     "Alpine ", "NuGet" };
        version_scheme_t s;

        (void)state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                s = VERSION_SCHEME__MAX;
                assert_int_equal(version_scheme_for_ecosystem(ok[i].eco, &s), 0);
                assert_int_equal(s, ok[i].scheme);
        }
        for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
                assert_int_equal(version_scheme_for_ecosystem(unknown[i], &s), -ENOENT);
        assert_int_equal(version_scheme_for_ecosystem(NULL, &s), -ENOENT);

        for (int i = 0; i < VERSION_SCHEME__MAX; i++) {
                const char *name = version_scheme_name((version_scheme_t)i);
                assert_non_null(name);
                assert_int_equal(version_scheme_from_name(name, &s), 0);
                assert_int_equal(s, i);
        }
        assert_null(version_scheme_name(VERSION_SCHEME__MAX));
        assert_int_equal(version_scheme_from_name("deb", &s), -ENOENT);
        assert_int_equal(version_scheme_from_name(NULL, &s), -ENOENT);
}

static void test_null_and_bad_scheme(void **state)
{
        size_t pos = 99;

        (void)state;
        for (int i = 0; i < VERSION_SCHEME__MAX; i++) {
                assert_int_equal(vercmp((version_scheme_t)i, NULL, NULL), 0);
                assert_int_equal(vercmp((version_scheme_t)i, NULL, ""), 0);
                assert_int_equal(version_check((version_scheme_t)i, NULL, &pos), -EINVAL);
                assert_int_equal(pos, 0);
        }
        assert_int_equal(vercmp(VERSION_SCHEME__MAX, "a", "b"), -1);
        assert_int_equal(version_check(VERSION_SCHEME__MAX, "1", NULL), -EINVAL);
}

/* Long and pathological strings must neither crash nor take long: every
 * scheme walks its input a bounded number of times. */
static void test_hostile_strings(void **state)
{
        static const char fill[] = "0.~^-_+:!a1Z ";
        const size_t n = 50000;
        char *a = malloc(n + 1), *b = malloc(n + 1);

        (void)state;
        assert_non_null(a);
        assert_non_null(b);
        for (size_t f = 0; f < sizeof(fill) - 1; f++) {
                memset(a, fill[f], n);
                a[n] = '\0';
                memcpy(b, a, n + 1);
                b[n - 1] = '1';
                for (int i = 0; i < VERSION_SCHEME__MAX; i++) {
                        int ab = vercmp((version_scheme_t)i, a, b);
                        assert_int_equal(ab, -vercmp((version_scheme_t)i, b, a));
                        assert_int_equal(vercmp((version_scheme_t)i, a, a), 0);
                        (void)version_check((version_scheme_t)i, a, NULL);
                }
        }
        /* Deep Maven nesting: every "-" and letter/digit switch opens a list. */
        for (size_t i = 0; i < n; i++)
                a[i] = "1-a"[i % 3];
        a[n] = '\0';
        memcpy(b, a, n + 1);
        b[n / 2] = 'b';
        assert_int_equal(vercmp_maven(a, b), -1);
        free(a);
        free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dpkg),
                cmocka_unit_test(test_dpkg_check),
                cmocka_unit_test(test_rpm),
                cmocka_unit_test(test_rpm_check),
                cmocka_unit_test(test_apk),
                cmocka_unit_test(test_apk_check),
                cmocka_unit_test(test_maven),
                cmocka_unit_test(test_maven_cycle),
                cmocka_unit_test(test_maven_check),
                cmocka_unit_test(test_semver),
                cmocka_unit_test(test_semver_check),
                cmocka_unit_test(test_pep440),
                cmocka_unit_test(test_pep440_check),
                cmocka_unit_test(test_composer),
                cmocka_unit_test(test_composer_check),
                cmocka_unit_test(test_names_and_ecosystems),
                cmocka_unit_test(test_null_and_bad_scheme),
                cmocka_unit_test(test_hostile_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
