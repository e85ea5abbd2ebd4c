/* Unit tests for scan/vuln/osv: OSV records into feed records, and the
 * errors (field path and position) for malformed ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/vuln/osv.h"

static const char *const ghsa =
        "{\n"
        "  \"schema_version\": \"1.4.0\",\n"
        "  \"id\": \"GHSA-jfh8-c2jp-5v3q\",\n"
        "  \"modified\": \"2024-03-05T10:11:12.123Z\",\n"
        "  \"published\": \"2021-12-10T00:40:56Z\",\n"
        "  \"aliases\": [\"CVE-2021-44228\"],\n"
        "  \"related\": [\"CVE-2021-45046\", \"CVE-2021-44228\"],\n"
        "  \"summary\": \"Remote code injection in Log4j\",\n"
        "  \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
        "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H\"}],\n"
        "  \"affected\": [\n"
        "    {\"package\": {\"ecosystem\": \"Maven\", \"name\": "
        "\"org.apache.logging.log4j:log4j-core\"},\n"
        "     \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"2.0-beta9\"}, "
        "{\"fixed\": \"2.15.0\"}]},\n"
        "                {\"type\": \"GIT\", \"repo\": \"https://x\", \"events\": "
        "[{\"introduced\": \"abc\"}]}],\n"
        "     \"versions\": [\"2.0\", \"2.14.1\"]},\n"
        "    {\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"Some_Pkg\"},\n"
        "     \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
        "{\"last_affected\": \"1.2.3\"}]}],\n"
        "     \"ecosystem_specific\": {\"urgency\": \"LOW\"}}\n"
        "  ],\n"
        "  \"references\": [{\"type\": \"ADVISORY\", \"url\": "
        "\"https://github.com/advisories/GHSA-jfh8-c2jp-5v3q\"}],\n"
        "  \"database_specific\": {\"severity\": \"CRITICAL\"}\n"
        "}\n";

static int parse_text(fj_arena_t *a, const char *text, feed_advisory_t *adv, unsigned *ign,
                      feed_error_t *err)
{
        fj_value_t *v;
        fj_error_t jerr;
        int r = fj_parse(a, text, 0, strlen(text), 0, &v, &jerr);

        if (r < 0)
                fail_msg("JSON error at %zu: %s", jerr.pos, jerr.msg);
        return osv_parse_record(a, v, adv, ign, err);
}

static void test_full_record(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        feed_advisory_t adv;
        feed_error_t err;
        unsigned ign = 0;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(parse_text(&a, ghsa, &adv, &ign, &err), 0);
        assert_string_equal(adv.source, "osv");
        assert_string_equal(adv.id, "GHSA-jfh8-c2jp-5v3q");
        assert_int_equal(adv.modified, 1709633472);
        assert_int_equal(adv.published, 1639096856);
        assert_false(adv.withdrawn);
        assert_string_equal(adv.summary, "Remote code injection in Log4j");
        /* aliases + related, each id once */
        assert_int_equal(adv.n_aliases, 2);
        assert_string_equal(adv.aliases[0].id, "CVE-2021-44228");
        assert_int_equal(adv.aliases[0].kind, FEED_ALIAS);
        assert_string_equal(adv.aliases[1].id, "CVE-2021-45046");
        assert_int_equal(adv.aliases[1].kind, FEED_RELATED);
        assert_int_equal(adv.n_severities, 1);
        assert_true(adv.severities[0].score > 9.95);
        assert_string_equal(adv.severity, "critical");
        assert_int_equal(adv.n_refs, 1);
        assert_int_equal(adv.n_affected, 2);

        const feed_affected_t *m = &adv.affected[0];
        assert_string_equal(m->ecosystem, "Maven");
        assert_string_equal(m->name, "org.apache.logging.log4j:log4j-core");
        assert_int_equal(m->n_ranges, 1);
        assert_int_equal(m->git_ranges, 1);
        assert_int_equal(m->ranges[0].type, FEED_RANGE_ECOSYSTEM);
        assert_int_equal(m->ranges[0].n_events, 2);
        assert_int_equal(m->ranges[0].events[1].kind, FEED_EV_FIXED);
        assert_string_equal(m->ranges[0].events[1].version, "2.15.0");
        assert_int_equal(m->n_versions, 2);
        assert_int_equal(ign, 1);

        const feed_affected_t *p = &adv.affected[1];
        assert_string_equal(p->name, "some-pkg"); /* PEP 503 */
        assert_int_equal(p->ranges[0].type, FEED_RANGE_SEMVER);
        assert_int_equal(p->ranges[0].events[1].kind, FEED_EV_LAST_AFFECTED);
        assert_string_equal(p->severity, "low");
}

static void test_minimal_and_withdrawn(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        feed_advisory_t adv;
        feed_error_t err;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(
                parse_text(&a,
                           "{\"id\":\"DSA-1-1\",\"modified\":\"2020-01-01T00:00:00+02:00\","
                           "\"withdrawn\":\"2021-01-01T00:00:00Z\",\"details\":\"\\nFirst "
                           "line.\\nSecond line.\"}",
                           &adv, NULL, &err),
                0);
        assert_true(adv.withdrawn);
        assert_int_equal(adv.modified, 1577829600);
        assert_string_equal(adv.summary, "First line.");
        assert_int_equal(adv.n_affected, 0);
        /* Ubuntu priorities are severity words. */
        assert_int_equal(parse_text(&a,
                                    "{\"id\":\"USN-1-1\",\"severity\":[{\"type\":\"Ubuntu\","
                                    "\"score\":\"medium\"}],\"affected\":[{\"package\":null}]}",
                                    &adv, NULL, &err),
                         0);
        assert_string_equal(adv.severity, "medium");
        assert_int_equal(adv.n_affected, 0);
}

static void expect_error(const char *text, const char *where, const char *msg_part, size_t pos)
{
        _cleanup_fj_arena_ fj_arena_t a;
        feed_advisory_t adv;
        feed_error_t err = { 0 };

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(parse_text(&a, text, &adv, NULL, &err), -EINVAL);
        if (strcmp(err.where, where) != 0)
                fail_msg("%s: where \"%s\", expected \"%s\" (%s)", text, err.where, where, err.msg);
        if (!strstr(err.msg, msg_part))
                fail_msg("%s: message \"%s\" lacks \"%s\"", text, err.msg, msg_part);
        if (pos != (size_t)-1 && err.pos != pos)
                fail_msg("%s: position %zu, expected %zu", text, err.pos, pos);
}

static void test_malformed(void **state)
{
        (void)state;
        expect_error("[]", "", "must be a JSON object", 0);
        expect_error("{\"modified\":\"2020-01-01T00:00:00Z\"}", "", "without \"id\"", 0);
        expect_error("{\"id\":5}", "id", "expected a string", 6);
        expect_error("{\"id\":\"X\",\"modified\":\"yesterday\"}", "modified", "RFC 3339", 21);
        expect_error("{\"id\":\"X\",\"aliases\":\"CVE-1\"}", "aliases", "expected an array", 20);
        expect_error("{\"id\":\"X\",\"affected\":[{\"package\":{\"name\":\"a\"}}]}",
                     "affected[0].package", "needs \"ecosystem\"", (size_t)-1);
        expect_error(
                "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
                "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"fixed\":\"1\"}]}]}]}",
                "affected[0].ranges[0].events", "without an \"introduced\"", (size_t)-1);
        expect_error(
                "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
                "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\",\"fixed\":"
                "\"1\"}]}]}]}",
                "affected[0].ranges[0].events[0]", "exactly one", (size_t)-1);
        expect_error(
                "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
                "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},{\"broken\":"
                "\"1\"}]}]}]}",
                "affected[0].ranges[0].events[1]", "unknown event", (size_t)-1);
        expect_error(
                "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
                "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":7}]}]}]}",
                "affected[0].ranges[0].events[0].introduced", "expected a string", (size_t)-1);
        expect_error(
                "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
                "\"versions\":[\"1\",\"\"]}]}",
                "affected[0].versions[1]", "empty", (size_t)-1);
        expect_error(
                "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
                "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
                "{\"fixed\":\"2\"},{\"last_affected\":\"1\"}]}]}]}",
                "affected[0].ranges[0].events", "both", (size_t)-1);
        expect_error("{\"id\":\"X\",\"references\":[{\"type\":\"WEB\"}]}", "references[0]",
                     "without \"url\"", (size_t)-1);
        expect_error("{\"id\":\"X\",\"severity\":[{\"type\":\"CVSS_V3\"}]}", "severity[0]",
                     "needs \"type\" and \"score\"", (size_t)-1);
        expect_error("{\"id\":\"X\\u0001\"}", "id", "control character", 6);
}

static void test_unknown_parts_counted(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        feed_advisory_t adv;
        feed_error_t err;
        unsigned ign = 0;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(
                parse_text(&a,
                           "{\"id\":\"X\",\"severity\":[{\"type\":\"OTHER\",\"score\":\"9\"},"
                           "{\"type\":\"CVSS_V3\",\"score\":\"bogus\"}],"
                           "\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":"
                           "\"a\"},\"ranges\":[{\"type\":\"FUTURE\",\"events\":[]}]}]}",
                           &adv, &ign, &err),
                0);
        assert_int_equal(ign, 2);
        assert_int_equal(adv.n_severities, 1);
        assert_true(adv.severities[0].score < 0); /* kept, not scored */
        assert_int_equal(adv.affected[0].n_ranges, 0);
        assert_int_equal(adv.affected[0].unknown_ranges, 1);
        assert_true(osv_is_record_field("affected"));
        assert_false(osv_is_record_field("openssl"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_record),
                cmocka_unit_test(test_minimal_and_withdrawn),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_unknown_parts_counted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
