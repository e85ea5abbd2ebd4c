/* Unit tests for scan/vuln/ecosystem: the spellings of one release that
 * feeds and hosts use must normalise to the same string. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/vuln/ecosystem.h"

static void expect(const char *in, const char *out)
{
        char buf[ECOSYSTEM_MAX + 1];
        int r = ecosystem_normalise(in, buf, sizeof(buf));

        if (r < 0)
                fail_msg("\"%s\": error %d", in, r);
        if (strcmp(buf, out) != 0)
                fail_msg("\"%s\" -> \"%s\", expected \"%s\"", in, buf, out);
}

static void test_normalise(void **state)
{
        (void)state;
        expect("Debian:12", "Debian:12");
        expect("debian:12", "Debian:12");
        expect("Debian:12.5", "Debian:12");
        expect("Debian:bookworm", "Debian:12");
        expect("Debian:sid", "Debian:unstable");
        expect("Debian", "Debian");
        expect("Ubuntu:22.04:LTS", "Ubuntu:22.04");
        expect("Ubuntu:22.04", "Ubuntu:22.04");
        expect("Ubuntu:23.10", "Ubuntu:23.10");
        expect("Ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:18.04");
        expect("Alpine:v3.19", "Alpine:v3.19");
        expect("Alpine:3.19", "Alpine:v3.19");
        expect("Alpine:3.19.1", "Alpine:v3.19");
        expect("Rocky Linux:9", "Rocky Linux:9");
        expect("Rocky Linux:9.3", "Rocky Linux:9");
        expect("almalinux:8", "AlmaLinux:8");
        expect("Maven", "Maven");
        expect("Maven:https://maven.google.com", "Maven");
        expect("PYPI", "PyPI");
        expect("npm", "npm");
        expect("Packagist", "Packagist");
        expect("Red Hat:rhel_aus:8.4::appstream", "Red Hat:rhel_aus:8.4::appstream");
        expect("SomethingNew:1", "SomethingNew:1");
}

static void test_bad(void **state)
{
        char buf[ECOSYSTEM_MAX + 1], big[600], small[8];
        (void)state;

        assert_int_equal(ecosystem_normalise("", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ecosystem_normalise("Debian\n12", buf, sizeof(buf)), -EINVAL);
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(ecosystem_normalise(big, buf, sizeof(buf)), -E2BIG);
        assert_int_equal(ecosystem_normalise("Debian:12", small, 4), -E2BIG);
        assert_int_equal(ecosystem_normalise_name("PyPI", "", small, sizeof(small)), -EINVAL);
        assert_int_equal(ecosystem_normalise_name("PyPI", "a\tb", small, sizeof(small)), -EINVAL);
}

static void test_names(void **state)
{
        char buf[64];
        (void)state;

        assert_int_equal(
                ecosystem_normalise_name("PyPI", "Django_REST.framework", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "django-rest-framework");
        assert_int_equal(ecosystem_normalise_name("PyPI", "zope.interface--x", buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "zope-interface-x");
        assert_int_equal(
                ecosystem_normalise_name("Packagist", "Symfony/HTTP-Kernel", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "symfony/http-kernel");
        assert_int_equal(ecosystem_normalise_name("Maven", "org.Apache:X", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "org.Apache:X");
        assert_int_equal(ecosystem_normalise_name("npm", "@Scope/Pkg", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "@Scope/Pkg");
}

static void test_releases_and_kinds(void **state)
{
        char base[32];
        (void)state;

        assert_string_equal(ecosystem_debian_release("buster"), "Debian:10");
        assert_string_equal(ecosystem_debian_release("bullseye"), "Debian:11");
        assert_string_equal(ecosystem_debian_release("bookworm"), "Debian:12");
        assert_string_equal(ecosystem_debian_release("trixie"), "Debian:13");
        assert_string_equal(ecosystem_debian_release("forky"), "Debian:14");
        assert_string_equal(ecosystem_debian_release("sid"), "Debian:unstable");
        assert_null(ecosystem_debian_release("hamm"));
        assert_string_equal(ecosystem_for_app_kind(PKG_MAVEN), "Maven");
        assert_string_equal(ecosystem_for_app_kind(PKG_COMPOSER), "Packagist");
        assert_null(ecosystem_for_app_kind(PKG_DPKG));
        assert_int_equal(ecosystem_base("Rocky Linux:9", base, sizeof(base)), 0);
        assert_string_equal(base, "Rocky Linux");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalise),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_releases_and_kinds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
