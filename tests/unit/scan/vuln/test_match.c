/* Unit tests for scan/vuln/match: OSV range semantics and how advisories
 * that hit one package are grouped into findings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/vuln/match.h"

#define EV(k, v)                                                                                   \
        {                                                                                          \
                FEED_EV_##k, v                                                                     \
        }
#define RANGE(t, ...)                                                                              \
        {                                                                                          \
                FEED_RANGE_##t, (feed_event_t[]){ __VA_ARGS__ },                                   \
                        sizeof((feed_event_t[]){ __VA_ARGS__ }) / sizeof(feed_event_t)             \
        }

static void expect(version_scheme_t s, const feed_affected_t *af, const char *v, bool affected,
                   const char *fixed, const char *last)
{
        match_result_t r;
        size_t n = 0;

        if (match_affected(s, v, af, &r, &n) != affected)
                fail_msg("%s: expected %s", v, affected ? "affected" : "not affected");
        if (!affected)
                return;
        if ((fixed == NULL) != (r.fixed == NULL) || (fixed && strcmp(fixed, r.fixed) != 0))
                fail_msg("%s: fixed %s, expected %s", v, r.fixed ? r.fixed : "(none)",
                         fixed ? fixed : "(none)");
        if ((last == NULL) != (r.last_affected == NULL) ||
            (last && strcmp(last, r.last_affected) != 0))
                fail_msg("%s: last_affected %s, expected %s", v,
                         r.last_affected ? r.last_affected : "(none)", last ? last : "(none)");
}

static void test_introduced_fixed(void **state)
{
        feed_range_t r1[] = { RANGE(ECOSYSTEM, EV(INTRODUCED, "0"), EV(FIXED, "1.2-1")) };
        feed_affected_t a1 = { .ranges = r1, .n_ranges = 1 };
        feed_range_t r2[] = { RANGE(ECOSYSTEM, EV(INTRODUCED, "1.0-1"), EV(FIXED, "1.2-1")) };
        feed_affected_t a2 = { .ranges = r2, .n_ranges = 1 };
        (void)state;

        expect(VERSION_DPKG, &a1, "1.1-9", true, "1.2-1", NULL);
        expect(VERSION_DPKG, &a1, "1.2-1", false, NULL, NULL);
        expect(VERSION_DPKG, &a1, "1.2-1+b1", false, NULL, NULL);
        expect(VERSION_DPKG, &a1, "1.2-1~deb12u1", true, "1.2-1", NULL); /* ~ sorts first */
        expect(VERSION_DPKG, &a1, "0.1", true, "1.2-1", NULL);
        expect(VERSION_DPKG, &a2, "0.9-1", false, NULL, NULL);
        expect(VERSION_DPKG, &a2, "1.0-1", true, "1.2-1", NULL);
        expect(VERSION_DPKG, &a2, "1:0.5-1", false, NULL, NULL); /* epoch 1 beats 0 */
}

static void test_last_affected_and_limit(void **state)
{
        feed_range_t r1[] = { RANGE(ECOSYSTEM, EV(INTRODUCED, "0"), EV(LAST_AFFECTED, "2.0")) };
        feed_affected_t a1 = { .ranges = r1, .n_ranges = 1 };
        feed_range_t r2[] = { RANGE(SEMVER, EV(INTRODUCED, "1.0.0"), EV(LIMIT, "2.0.0")) };
        feed_affected_t a2 = { .ranges = r2, .n_ranges = 1 };
        feed_range_t r3[] = { RANGE(SEMVER, EV(INTRODUCED, "1.0.0"), EV(LIMIT, "*")) };
        feed_affected_t a3 = { .ranges = r3, .n_ranges = 1 };
        (void)state;

        expect(VERSION_PEP440, &a1, "2.0", true, NULL, "2.0");
        expect(VERSION_PEP440, &a1, "2.0.0", true, NULL, "2.0"); /* equal in PEP 440 */
        expect(VERSION_PEP440, &a1, "2.0.post1", false, NULL, NULL);
        expect(VERSION_PEP440, &a1, "1.9", true, NULL, "2.0");
        expect(VERSION_SEMVER, &a2, "1.5.0", true, NULL, NULL);
        expect(VERSION_SEMVER, &a2, "2.0.0", false, NULL, NULL);
        expect(VERSION_SEMVER, &a2, "0.9.0", false, NULL, NULL);
        expect(VERSION_SEMVER, &a3, "99.0.0", true, NULL, NULL);
}

static void test_multiple_and_unordered(void **state)
{
        feed_range_t ordered[] = { RANGE(SEMVER, EV(INTRODUCED, "1.0.0"), EV(FIXED, "1.2.0"),
                                         EV(INTRODUCED, "3.0.0"), EV(FIXED, "3.2.5")) };
        feed_range_t shuffled[] = { RANGE(SEMVER, EV(FIXED, "3.2.5"), EV(INTRODUCED, "3.0.0"),
                                          EV(FIXED, "1.2.0"), EV(INTRODUCED, "1.0.0")) };
        feed_range_t two[] = { RANGE(ECOSYSTEM, EV(INTRODUCED, "1.0.0"), EV(FIXED, "1.2.0")),
                               RANGE(ECOSYSTEM, EV(INTRODUCED, "3.0.0"), EV(FIXED, "3.2.5")) };
        feed_affected_t cases[] = {
                { .ranges = ordered, .n_ranges = 1 },
                { .ranges = shuffled, .n_ranges = 1 },
                { .ranges = two, .n_ranges = 2 },
        };
        (void)state;

        for (size_t i = 0; i < 3; i++) {
                expect(VERSION_SEMVER, &cases[i], "0.9.0", false, NULL, NULL);
                expect(VERSION_SEMVER, &cases[i], "1.1.0", true, "1.2.0", NULL);
                expect(VERSION_SEMVER, &cases[i], "1.2.0", false, NULL, NULL);
                expect(VERSION_SEMVER, &cases[i], "2.5.0", false, NULL, NULL);
                expect(VERSION_SEMVER, &cases[i], "3.0.0-rc.1", false, NULL, NULL);
                expect(VERSION_SEMVER, &cases[i], "3.2.4", true, "3.2.5", NULL);
                expect(VERSION_SEMVER, &cases[i], "3.2.5", false, NULL, NULL);
        }
}

static void test_versions_list_and_zero(void **state)
{
        const char *versions[] = { "2.14.1", "2.14.0" };
        feed_range_t ranges[] = { RANGE(ECOSYSTEM, EV(INTRODUCED, "2.0"), EV(FIXED, "2.3")) };
        feed_affected_t a = {
                .ranges = ranges, .n_ranges = 1, .versions = versions, .n_versions = 2
        };
        feed_affected_t only = { .versions = versions, .n_versions = 2 };
        feed_range_t zero[] = { RANGE(ECOSYSTEM, EV(INTRODUCED, "0")) };
        feed_affected_t unfixed = { .ranges = zero, .n_ranges = 1 };
        match_result_t r;
        (void)state;

        expect(VERSION_MAVEN, &a, "2.1", true, "2.3", NULL);
        assert_true(match_affected(VERSION_MAVEN, "2.14.1", &a, &r, NULL));
        assert_true(r.by_version_list);
        assert_null(r.fixed);
        expect(VERSION_MAVEN, &only, "2.14.0.0", true, NULL, NULL); /* equal in Maven */
        expect(VERSION_MAVEN, &only, "2.15.0", false, NULL, NULL);
        /* "introduced: 0" sorts before every version, even ones below "0". */
        expect(VERSION_DPKG, &unfixed, "0~~", true, NULL, NULL);
        expect(VERSION_SEMVER, &unfixed, "0.0.0-alpha", true, NULL, NULL);
        assert_false(match_affected(VERSION_DPKG, "1.0", &(feed_affected_t){ 0 }, &r, NULL));
}

static void test_many_events(void **state)
{
        /* More events than the sort keeps on the stack, in reverse order. */
        feed_event_t ev[200];
        char vers[200][16];
        feed_range_t rg = { FEED_RANGE_ECOSYSTEM, ev, 200 };
        feed_affected_t af = { .ranges = &rg, .n_ranges = 1 };
        (void)state;

        for (int i = 0; i < 100; i++) {
                snprintf(vers[2 * i], 16, "%d.0", 2 * (99 - i) + 1);
                snprintf(vers[2 * i + 1], 16, "%d.0", 2 * (99 - i));
                ev[2 * i] = (feed_event_t){ FEED_EV_FIXED, vers[2 * i] };
                ev[2 * i + 1] = (feed_event_t){ FEED_EV_INTRODUCED, vers[2 * i + 1] };
        }
        expect(VERSION_DPKG, &af, "10.5", true, "11.0", NULL);
        expect(VERSION_DPKG, &af, "11.5", false, NULL, NULL);
        expect(VERSION_DPKG, &af, "198.1", true, "199.0", NULL);
        expect(VERSION_DPKG, &af, "300", false, NULL, NULL);
}

/* ---- grouping ---- */

static const feed_alias_t dsa_aliases[] = { { "CVE-2024-0001", FEED_RELATED },
                                            { "CVE-2024-0002", FEED_RELATED } };
static const feed_alias_t deb_cve2[] = { { "CVE-2024-0002", FEED_UPSTREAM } };

static const match_group_t *find(const match_group_t *g, size_t n, const char *check)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(g[i].check, check) == 0)
                        return &g[i];
        return NULL;
}

static bool has(const char **v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

static void test_group_and_per_cve(void **state)
{
        _cleanup_fj_arena_ fj_arena_t a;
        match_hit_t hits[] = {
                { .id = "CVE-2024-0001",
                  .source = "debian-tracker",
                  .fixed = "1.0-3",
                  .cvss_score = -1,
                  .urgency = "high" },
                { .id = "DSA-5678-1",
                  .source = "osv",
                  .aliases = dsa_aliases,
                  .n_aliases = 2,
                  .fixed = "1.0-2",
                  .cvss_score = -1,
                  .summary = "openssl - security update" },
                { .id = "DEBIAN-CVE-2024-0002",
                  .source = "osv",
                  .aliases = deb_cve2,
                  .n_aliases = 1,
                  .fixed = "1.0-2",
                  .cvss_score = -1 },
                { .id = "CVE-2024-0003", .source = "osv", .cvss_score = 5.0, .cvss_vector = "v" },
                { .id = "CVE-2024-0003",
                  .source = "debian-tracker",
                  .cvss_score = -1,
                  .urgency = "low" },
        };
        match_group_t *g;
        size_t n;
        const match_group_t *dsa, *c3;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(match_group_hits(VERSION_DPKG, hits, 5, &a, &g, &n), 0);
        assert_int_equal(n, 2);
        dsa = find(g, n, "DSA-5678-1");
        assert_non_null(dsa);
        assert_int_equal(dsa->n_cves, 2);
        assert_string_equal(dsa->cves[0], "CVE-2024-0001");
        assert_string_equal(dsa->cves[1], "CVE-2024-0002");
        assert_string_equal(dsa->fixed, "1.0-3"); /* the highest fix of the members */
        assert_string_equal(dsa->summary, "openssl - security update");
        assert_int_equal(dsa->level, FINDING_HIGH);
        assert_int_equal(dsa->level_source, MATCH_LEVEL_URGENCY);
        assert_true(has(dsa->advisories, dsa->n_advisories, "DEBIAN-CVE-2024-0002"));
        assert_true(has(dsa->advisories, dsa->n_advisories, "CVE-2024-0001"));
        assert_string_equal(dsa->advisories[0], "DSA-5678-1");

        c3 = find(g, n, "CVE-2024-0003");
        assert_non_null(c3);
        assert_int_equal(c3->n_cves, 1);
        assert_null(c3->fixed);
        assert_int_equal(c3->level, FINDING_MEDIUM); /* CVSS 5.0 wins over urgency low */
        assert_int_equal(c3->level_source, MATCH_LEVEL_CVSS);
        assert_int_equal(c3->n_advisories, 1);
}

static void test_subset_alias_overlap(void **state)
{
        static const feed_alias_t a1[] = { { "CVE-2024-1001", FEED_RELATED },
                                           { "CVE-2024-1002", FEED_RELATED } };
        static const feed_alias_t a2[] = { { "CVE-2024-1001", FEED_RELATED } };
        static const feed_alias_t a3[] = { { "CVE-2024-1002", FEED_RELATED },
                                           { "CVE-2024-1003", FEED_RELATED } };
        static const feed_alias_t gh[] = { { "PYSEC-2024-9", FEED_ALIAS } };
        static const feed_alias_t py[] = { { "GHSA-aaaa-bbbb-cccc", FEED_ALIAS } };
        _cleanup_fj_arena_ fj_arena_t a;
        match_group_t *g;
        size_t n;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        /* A regression update repeating one CVE folds into the first. */
        match_hit_t sub[] = {
                { .id = "DSA-1-2",
                  .source = "osv",
                  .aliases = a2,
                  .n_aliases = 1,
                  .fixed = "2",
                  .cvss_score = -1 },
                { .id = "DSA-1-1",
                  .source = "osv",
                  .aliases = a1,
                  .n_aliases = 2,
                  .fixed = "1",
                  .cvss_score = -1 },
        };
        assert_int_equal(match_group_hits(VERSION_DPKG, sub, 2, &a, &g, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(g[0].check, "DSA-1-1");
        assert_true(has(g[0].advisories, g[0].n_advisories, "DSA-1-2"));
        assert_string_equal(g[0].fixed, "2");
        assert_int_equal(g[0].level, FINDING_MEDIUM);
        assert_int_equal(g[0].level_source, MATCH_LEVEL_DEFAULT);

        /* Advisories naming each other without CVEs are one. */
        match_hit_t linked[] = {
                { .id = "PYSEC-2024-9",
                  .source = "osv",
                  .aliases = py,
                  .n_aliases = 1,
                  .cvss_score = -1,
                  .severity = "low" },
                { .id = "GHSA-aaaa-bbbb-cccc",
                  .source = "osv",
                  .aliases = gh,
                  .n_aliases = 1,
                  .fixed = "1.2",
                  .cvss_score = -1,
                  .severity = "high" },
        };
        assert_int_equal(match_group_hits(VERSION_PEP440, linked, 2, &a, &g, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(g[0].check, "GHSA-aaaa-bbbb-cccc");
        assert_int_equal(g[0].n_cves, 0);
        assert_int_equal(g[0].level, FINDING_HIGH);
        assert_int_equal(g[0].level_source, MATCH_LEVEL_SEVERITY);

        /* Partial overlap: both stay, the shared CVE is listed once. */
        match_hit_t overlap[] = {
                { .id = "DSA-2-1",
                  .source = "osv",
                  .aliases = a1,
                  .n_aliases = 2,
                  .cvss_score = -1 },
                { .id = "DSA-3-1",
                  .source = "osv",
                  .aliases = a3,
                  .n_aliases = 2,
                  .cvss_score = -1 },
        };
        assert_int_equal(match_group_hits(VERSION_DPKG, overlap, 2, &a, &g, &n), 0);
        assert_int_equal(n, 2);
        size_t total = g[0].n_cves + g[1].n_cves;
        assert_int_equal(total, 3);
        assert_false(has(g[1].cves, g[1].n_cves, g[0].cves[0]) &&
                     has(g[1].cves, g[1].n_cves, g[0].cves[g[0].n_cves - 1]));
}

static void test_words(void **state)
{
        finding_level_t l;
        (void)state;

        assert_int_equal(match_word_level("critical", &l), 0);
        assert_int_equal(l, FINDING_HIGH);
        assert_int_equal(match_word_level("medium", &l), 0);
        assert_int_equal(l, FINDING_MEDIUM);
        assert_int_equal(match_word_level("not yet assigned", &l), 0);
        assert_int_equal(l, FINDING_MEDIUM);
        assert_int_equal(match_word_level("unimportant", &l), 0);
        assert_int_equal(l, FINDING_LOW);
        assert_int_equal(match_word_level("negligible", &l), 0);
        assert_int_equal(l, FINDING_LOW);
        assert_int_equal(match_word_level("whatever", &l), -ENOENT);
        assert_int_equal(match_word_level(NULL, &l), -ENOENT);
        assert_true(match_is_cve("CVE-2024-12345"));
        assert_false(match_is_cve("CVE-24-1234"));
        assert_false(match_is_cve("CVE-2024-123"));
        assert_false(match_is_cve("DSA-2024-1234"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_introduced_fixed),
                cmocka_unit_test(test_last_affected_and_limit),
                cmocka_unit_test(test_multiple_and_unordered),
                cmocka_unit_test(test_versions_list_and_zero),
                cmocka_unit_test(test_many_events),
                cmocka_unit_test(test_group_and_per_cve),
                cmocka_unit_test(test_subset_alias_overlap),
                cmocka_unit_test(test_words),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
