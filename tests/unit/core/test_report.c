/* Unit tests for core/finding, core/report and the three report writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/report.h"

static finding_t *make(finding_category_t cat, const char *check, const char *object,
                       finding_level_t level)
{
        finding_t *f = finding_new(cat, check, object, level);
        assert_non_null(f);
        assert_int_equal(finding_set_title(f, "%s in %s", check, object), 0);
        return f;
}

static char *render(const report_t *r, int which, bool color)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        report_text_opts_t o = { .color = color };

        assert_non_null(f);
        if (which == 0)
                assert_int_equal(report_write_text(r, f, &o), 0);
        else if (which == 1)
                assert_int_equal(report_write_json(r, f), 0);
        else
                assert_int_equal(report_write_sarif(r, f), 0);
        fclose(f);
        return out;
}

static void test_id_is_stable_and_distinct(void **state)
{
        char a[FINDING_ID_HEX + 1], b[FINDING_ID_HEX + 1], c[FINDING_ID_HEX + 1];
        (void)state;

        finding_make_id(CAT_VULNERABILITY, "CVE-1", "openssl", a);
        finding_make_id(CAT_VULNERABILITY, "CVE-1", "openssl", b);
        assert_string_equal(a, b);
        assert_int_equal(strlen(a), FINDING_ID_HEX);
        /* Moving text between check and object must not collide. */
        finding_make_id(CAT_VULNERABILITY, "CVE-1o", "penssl", c);
        assert_string_not_equal(a, c);
        finding_make_id(CAT_BASELINE, "CVE-1", "openssl", c);
        assert_string_not_equal(a, c);
}

static void test_merge_same_id(void **state)
{
        report_t *r = report_new("h", "/");
        finding_t *f1 = make(CAT_VULNERABILITY, "DSA-1", "openssl", FINDING_MEDIUM);
        finding_t *f2 = make(CAT_VULNERABILITY, "DSA-1", "openssl", FINDING_HIGH);
        (void)state;

        finding_add_reference(f1, "CVE-2024-1");
        finding_add_reference(f2, "CVE-2024-2");
        finding_add_reference(f2, "CVE-2024-1");
        assert_int_equal(report_add_finding(r, f1), 0);
        assert_int_equal(report_add_finding(r, f2), 0);
        assert_int_equal(r->n_findings, 1);
        assert_int_equal(r->findings[0]->level, FINDING_HIGH);
        assert_int_equal(json_array_size(r->findings[0]->references), 2);
        report_free(r);
}

static void test_many_findings_index(void **state)
{
        report_t *r = report_new("h", "/");
        char name[32];
        (void)state;

        for (int round = 0; round < 2; round++)
                for (int i = 0; i < 5000; i++) {
                        snprintf(name, sizeof(name), "pkg%d", i);
                        assert_int_equal(report_add_finding(r, make(CAT_VULNERABILITY, "CVE-9",
                                                                    name, FINDING_LOW)),
                                         0);
                }
        assert_int_equal(r->n_findings, 5000);
        report_sort(r);
        /* The index is rebuilt after sorting, so merging still works. */
        assert_int_equal(
                report_add_finding(r, make(CAT_VULNERABILITY, "CVE-9", "pkg42", FINDING_HIGH)), 0);
        assert_int_equal(r->n_findings, 5000);
        report_free(r);
}

static void test_json_shape(void **state)
{
        report_t *r = report_new("web1", "/");
        finding_t *f = make(CAT_EXPOSURE, "redis.noauth", "127.0.0.1:6379", FINDING_HIGH);
        json_error_t err;
        json_t *doc, *jf;
        char *out;
        (void)state;

        finding_add_evidence_str(f, "user", "bad\xff\xfe name");
        finding_add_evidence_int(f, "port", 6379);
        finding_set_remediation(f, "set requirepass");
        report_add_finding(r, f);
        report_add_finding(r, make(CAT_BASELINE, "ssh.x11", "/etc/ssh/sshd_config", FINDING_LOW));
        out = render(r, 1, false);
        doc = json_loads(out, 0, &err);
        assert_non_null(doc);
        assert_string_equal(json_string_value(json_object_get(doc, "host")), "web1");
        /* high caps at 80, minus 10 for the high and 1 for the low. */
        assert_int_equal(json_integer_value(json_object_get(doc, "score")), 80);
        assert_int_equal(json_array_size(json_object_get(doc, "findings")), 2);
        assert_true(json_is_array(json_object_get(doc, "alerts")));
        jf = json_array_get(json_object_get(doc, "findings"), 0);
        assert_string_equal(json_string_value(json_object_get(jf, "level")), "high");
        assert_string_equal(json_string_value(json_object_get(jf, "category")), "exposure");
        assert_int_equal(strlen(json_string_value(json_object_get(jf, "id"))), FINDING_ID_HEX);
        /* Invalid UTF-8 became U+FFFD, so the document stays valid JSON. */
        assert_string_equal(
                json_string_value(json_object_get(json_object_get(jf, "evidence"), "user")),
                "bad\xef\xbf\xbd\xef\xbf\xbd name");
        json_decref(doc);
        free(out);
        report_free(r);
}

static void test_text_escapes_and_colors(void **state)
{
        report_t *r = report_new("h", "/");
        finding_t *f = make(CAT_SECRET, "aws", "/srv/a\033]0;pwned\007", FINDING_MEDIUM);
        char *out;
        (void)state;

        finding_set_remediation(f, "rotate the key\nthen remove it");
        report_add_finding(r, f);
        out = render(r, 0, false);
        assert_null(strchr(out, '\033'));
        assert_non_null(strstr(out, "\\x1b]0;pwned\\x07"));
        assert_non_null(strstr(out, "Medium risks (1)"));
        assert_non_null(strstr(out, "fix: rotate the key"));
        assert_non_null(strstr(out, "then remove it"));
        free(out);
        out = render(r, 0, true);
        assert_non_null(strstr(out, "\033[33m"));
        free(out);
        report_free(r);
}

static void test_sarif_locations(void **state)
{
        report_t *r = report_new("h", "/");
        finding_t *f = make(CAT_SECRET, "aws-access-key", "/srv/.env", FINDING_HIGH);
        json_error_t err;
        json_t *doc, *res;
        char *out;
        (void)state;

        finding_add_evidence_str(f, "path", "/srv/.env");
        finding_add_evidence_int(f, "line", 3);
        finding_add_evidence_int(f, "column", 7);
        report_add_finding(r, f);
        report_add_finding(r, make(CAT_VULNERABILITY, "CVE-1", "openssl", FINDING_LOW));
        out = render(r, 2, false);
        doc = json_loads(out, 0, &err);
        assert_non_null(doc);
        assert_string_equal(json_string_value(json_object_get(doc, "version")), "2.1.0");
        res = json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "results");
        assert_int_equal(json_array_size(res), 2);
        json_t *r0 = json_array_get(res, 0);
        assert_string_equal(json_string_value(json_object_get(r0, "level")), "error");
        json_t *region =
                json_object_get(json_object_get(json_array_get(json_object_get(r0, "locations"), 0),
                                                "physicalLocation"),
                                "region");
        assert_int_equal(json_integer_value(json_object_get(region, "startLine")), 3);
        assert_int_equal(json_integer_value(json_object_get(region, "startColumn")), 7);
        json_decref(doc);
        free(out);
        report_free(r);
}

static void test_alerts_and_notes(void **state)
{
        report_t *r = report_new("h", "/");
        alert_t *a = alert_new(ALERT_ABNORMAL_PROCESS, "process.reverse_shell", "pid:42",
                               ALERT_URGENT, 1764199000000000LL);
        char *out;
        (void)state;

        assert_non_null(a);
        alert_set_title(a, "reverse shell");
        assert_int_equal(report_add_alert(r, a), 0);
        report_note(r, REPORT_NOTE_WARNING, "/var/lib/dpkg/status:12", "stanza without Version");
        assert_int_equal(report_score(r), 60);
        out = render(r, 0, false);
        assert_non_null(strstr(out, "Alerts (1)"));
        assert_non_null(strstr(out, "/var/lib/dpkg/status:12: stanza without Version"));
        free(out);
        out = render(r, 1, false);
        assert_non_null(strstr(out, "\"type\": \"abnormal_process\""));
        assert_non_null(strstr(out, "\"time\": \"2025-11-26T23:16:40Z\""));
        free(out);
        report_free(r);
}

static void test_keep_tagged(void **state)
{
        report_t *r = report_new("h", "/");
        finding_t *a = make(CAT_BASELINE, "p:1", "p", FINDING_LOW);
        finding_t *b = make(CAT_BASELINE, "p:2", "p", FINDING_LOW);
        finding_t *c = make(CAT_BASELINE, "p:3", "p", FINDING_LOW);
        (void)state;

        finding_add_tag(a, "cis:5.2.10");
        finding_add_tag(b, "cisco");
        finding_add_tag(c, "cis");
        report_add_finding(r, a);
        report_add_finding(r, b);
        report_add_finding(r, c);
        assert_int_equal(report_keep_tagged(r, "cis"), 1);
        assert_int_equal(r->n_findings, 2);
        assert_int_equal(report_keep_tagged(r, "cis:5.2.10"), 1);
        assert_string_equal(r->findings[0]->check, "p:1");
        /* The id index still finds what is left. */
        report_add_finding(r, make(CAT_BASELINE, "p:1", "p", FINDING_HIGH));
        assert_int_equal(r->n_findings, 1);
        assert_int_equal(r->findings[0]->level, FINDING_HIGH);
        report_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_id_is_stable_and_distinct),
                cmocka_unit_test(test_merge_same_id),
                cmocka_unit_test(test_many_findings_index),
                cmocka_unit_test(test_json_shape),
                cmocka_unit_test(test_text_escapes_and_colors),
                cmocka_unit_test(test_sarif_locations),
                cmocka_unit_test(test_alerts_and_notes),
                cmocka_unit_test(test_keep_tagged),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
