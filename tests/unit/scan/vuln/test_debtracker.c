/* Unit tests for scan/vuln/debtracker: tracker entries of one CVE under
 * several source packages into one advisory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/vuln/debtracker.h"

static const fj_value_t *parse(fj_arena_t *a, const char *text)
{
        fj_value_t *v;
        fj_error_t e;

        if (fj_parse(a, text, 0, strlen(text), 0, &v, &e) < 0)
                fail_msg("JSON error at %zu: %s", e.pos, e.msg);
        return v;
}

static const feed_affected_t *find(const feed_advisory_t *adv, const char *eco, const char *name)
{
        for (size_t i = 0; i < adv->n_affected; i++)
                if (strcmp(adv->affected[i].ecosystem, eco) == 0 &&
                    strcmp(adv->affected[i].name, name) == 0)
                        return &adv->affected[i];
        return NULL;
}

static void test_releases(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        feed_advisory_t adv;
        feed_error_t err;
        unsigned ign = 0;
        const feed_affected_t *af;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        debtracker_part_t parts[2] = {
                { "openssl", 3,
                  parse(&a, "{\"description\": \"Bad things in OpenSSL\", \"scope\": \"remote\","
                            "\"releases\": {"
                            "\"bookworm\": {\"status\": \"resolved\", \"fixed_version\": "
                            "\"3.0.11-1~deb12u2\", \"urgency\": \"medium\", \"repositories\": "
                            "{\"bookworm\": \"3.0.11-1~deb12u2\"}},"
                            "\"bullseye\": {\"status\": \"open\", \"urgency\": \"low**\"},"
                            "\"buster\": {\"status\": \"resolved\", \"fixed_version\": \"0\", "
                            "\"urgency\": \"unimportant\"},"
                            "\"trixie\": {\"status\": \"undetermined\"},"
                            "\"sid\": {\"status\": \"resolved\", \"fixed_version\": \"3.1.0-1\", "
                            "\"urgency\": \"not yet assigned\"},"
                            "\"hamm\": {\"status\": \"open\"}}}") },
                { "openssl1.1", 40,
                  parse(&a, "{\"releases\": {\"bookworm\": {\"status\": \"open\", \"urgency\": "
                            "\"end-of-life\"}}}") },
        };
        assert_int_equal(debtracker_parse_cve(&a, "CVE-2024-0001", parts, 2, &adv, &ign, &err), 0);
        assert_string_equal(adv.source, "debian-tracker");
        assert_string_equal(adv.id, "CVE-2024-0001");
        assert_string_equal(adv.summary, "Bad things in OpenSSL");
        assert_int_equal(adv.n_affected, 4);
        assert_int_equal(ign, 2); /* undetermined, unknown code name */

        af = find(&adv, "Debian:12", "openssl");
        assert_non_null(af);
        assert_int_equal(af->n_ranges, 1);
        assert_int_equal(af->ranges[0].n_events, 2);
        assert_string_equal(af->ranges[0].events[0].version, "0");
        assert_string_equal(af->ranges[0].events[1].version, "3.0.11-1~deb12u2");
        assert_string_equal(af->severity, "medium");

        af = find(&adv, "Debian:11", "openssl");
        assert_non_null(af);
        assert_int_equal(af->ranges[0].n_events, 1); /* open: no fix */
        assert_string_equal(af->severity, "low");

        assert_null(find(&adv, "Debian:10", "openssl")); /* fixed_version "0": never affected */
        assert_null(find(&adv, "Debian:13", "openssl"));
        af = find(&adv, "Debian:unstable", "openssl");
        assert_non_null(af);
        assert_string_equal(af->severity, "not yet assigned");
        af = find(&adv, "Debian:12", "openssl1.1");
        assert_non_null(af);
        assert_string_equal(af->severity, "end-of-life");
        assert_int_equal(adv.n_refs, 1);
        assert_string_equal(adv.refs[0].url,
                            "https://security-tracker.debian.org/tracker/CVE-2024-0001");
}

static void test_malformed(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        feed_advisory_t adv;
        feed_error_t err = { 0 };
        debtracker_part_t p;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        p = (debtracker_part_t){ "zlib", 1, parse(&a, "{\"releases\": []}") };
        assert_int_equal(debtracker_parse_cve(&a, "CVE-1", &p, 1, &adv, NULL, &err), -EINVAL);
        assert_string_equal(err.where, "zlib.CVE-1");

        p = (debtracker_part_t){ "zlib", 1,
                                 parse(&a, "{\"releases\": {\"bookworm\": {\"fixed_version\": "
                                           "\"1\"}}}") };
        assert_int_equal(debtracker_parse_cve(&a, "CVE-1", &p, 1, &adv, NULL, &err), -EINVAL);
        assert_string_equal(err.where, "zlib.CVE-1.releases.bookworm");
        assert_non_null(strstr(err.msg, "status"));

        p = (debtracker_part_t){ "zlib", 1,
                                 parse(&a, "{\"releases\": {\"bookworm\": {\"status\": "
                                           "\"resolved\", \"fixed_version\": 2}}}") };
        assert_int_equal(debtracker_parse_cve(&a, "CVE-1", &p, 1, &adv, NULL, &err), -EINVAL);

        p = (debtracker_part_t){ "zlib", 1, parse(&a, "[]") };
        assert_int_equal(debtracker_parse_cve(&a, "CVE-1", &p, 1, &adv, NULL, &err), -EINVAL);

        p = (debtracker_part_t){ "bad name", 1, parse(&a, "{}") };
        assert_int_equal(debtracker_parse_cve(&a, "CVE-1", &p, 1, &adv, NULL, &err), -EINVAL);
        p = (debtracker_part_t){ "zlib", 1, parse(&a, "{}") };
        assert_int_equal(debtracker_parse_cve(&a, "CVE 1", &p, 1, &adv, NULL, &err), -EINVAL);
        /* No releases at all is fine: nothing affected. */
        assert_int_equal(debtracker_parse_cve(&a, "TEMP-0000000-1", &p, 1, &adv, NULL, &err), 0);
        assert_int_equal(adv.n_affected, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_releases),
                cmocka_unit_test(test_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
