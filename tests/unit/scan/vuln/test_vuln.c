/* Unit tests for scan/vuln/vuln: matching package lists against a real
 * feed store and the findings that come out (titles, levels, fixed
 * versions, remediation, grouping, kernel, rpm binary/source dedupe). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/store.h"
#include "scan/vuln/feeddb.h"
#include "scan/vuln/feedimport.h"
#include "scan/vuln/vuln.h"

static const char *const debian_feed =
        "["
        /* openssl: a DSA with two CVEs, fixed after what is installed */
        "{\"id\": \"DSA-5678-1\", \"modified\": \"2024-01-01T00:00:00Z\", \"summary\": "
        "\"openssl - security update\", \"related\": [\"CVE-2024-0001\", \"CVE-2024-0002\"],"
        " \"references\": [{\"type\": \"ADVISORY\", \"url\": "
        "\"https://www.debian.org/security/2024/dsa-5678\"}],"
        " \"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"openssl\"},"
        " \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
        "\"3.0.11-1~deb12u2\"}]}]}]},"
        /* foo: binNMU installed at the fixed source version: not affected */
        "{\"id\": \"DSA-100-1\", \"modified\": \"2024-01-01T00:00:00Z\", \"related\": "
        "[\"CVE-2023-1000\"], \"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", "
        "\"name\": "
        "\"foo\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
        "{\"fixed\": \"1.2-3\"}]}]}]},"
        /* foo: a later fix; the source version is compared, not the binary's */
        "{\"id\": \"DEBIAN-CVE-2024-2000\", \"modified\": \"2024-01-01T00:00:00Z\", "
        "\"upstream\": [\"CVE-2024-2000\"], \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
        "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N\"}], \"affected\": [{\"package\": "
        "{\"ecosystem\": \"Debian:12\", \"name\": \"foo\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", "
        "\"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"1.2-4\"}]}]}]},"
        /* bash: epoch 1 installed, fix without epoch: not affected */
        "{\"id\": \"DSA-200-1\", \"modified\": \"2024-01-01T00:00:00Z\", \"affected\": "
        "[{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"bash\"}, \"ranges\": "
        "[{\"type\": "
        "\"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"5.3-1\"}]}]}]},"
        /* the kernel */
        "{\"id\": \"DSA-300-1\", \"modified\": \"2024-01-01T00:00:00Z\", \"related\": "
        "[\"CVE-2024-3000\"], \"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", "
        "\"name\": "
        "\"linux\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
        "{\"fixed\": \"6.1.80-1\"}]}]}]},"
        /* log4j, GHSA with CVSS 10 */
        "{\"id\": \"GHSA-jfh8-c2jp-5v3q\", \"modified\": \"2024-01-01T00:00:00Z\", \"aliases\": "
        "[\"CVE-2021-44228\"], \"summary\": \"Remote code injection in Log4j\", \"severity\": "
        "[{\"type\": \"CVSS_V3\", \"score\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H\"}], "
        "\"affected\": [{\"package\": {\"ecosystem\": \"Maven\", \"name\": "
        "\"org.apache.logging.log4j:log4j-core\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", "
        "\"events\": "
        "[{\"introduced\": \"2.0-beta9\"}, {\"fixed\": \"2.15.0\"}]}]}]}"
        "]";

static const char *const tracker_feed =
        "{\"openssl\": {\"CVE-2024-0001\": {\"description\": \"d\", \"releases\": {\"bookworm\": "
        "{\"status\": \"resolved\", \"fixed_version\": \"3.0.11-1~deb12u2\", \"urgency\": "
        "\"high\"}}}},"
        " \"zlib\": {\"CVE-2024-4000\": {\"description\": \"zlib problem\", \"releases\": "
        "{\"bookworm\": {\"status\": \"open\", \"urgency\": \"low\"}}}}}";

static sqlite3 *store_with(const char *const *texts, size_t n)
{
        sqlite3 *db = NULL;
        char *err = NULL;
        feedimport_opts_t o;

        if (feeddb_open_path(":memory:", true, &db, &err) < 0)
                fail_msg("store: %s", err);
        feedimport_opts_default(&o);
        for (size_t i = 0; i < n; i++) {
                feed_counts_t c = { 0 };
                assert_int_equal(
                        feedimport_buffer(db, 0, "feed", texts[i], strlen(texts[i]), &o, &c), 0);
                assert_int_equal(c.errors, 0);
        }
        return db;
}

static const finding_t *find(const report_t *r, const char *check, const char *object)
{
        for (size_t i = 0; i < r->n_findings; i++)
                if (strcmp(r->findings[i]->check, check) == 0 &&
                    strcmp(r->findings[i]->object, object) == 0)
                        return r->findings[i];
        return NULL;
}

static const char *ev(const finding_t *f, const char *key)
{
        return json_string_value(json_object_get(f->evidence, key));
}

static void add(pkg_list_t *l, pkg_kind_t k, const char *name, const char *src, const char *ver,
                const char *srcver, const char *loc)
{
        assert_int_equal(pkg_list_add(l, k, name, src, ver, srcver, "amd64", loc, NULL), 0);
}

static void test_debian(void **state)
{
        const char *feeds[] = { debian_feed, tracker_feed };
        _cleanup_(store_closep) sqlite3 *db = store_with(feeds, 2);
        _cleanup_pkg_list_ pkg_list_t os = { 0 }, apps = { 0 };
        report_t *r = report_new("h", "/");
        const finding_t *f;
        kernel_info_t k = {
                .running_release = (char *)"6.1.0-18-amd64",
                .running_package = (char *)"linux-image-6.1.0-18-amd64",
                .running_version = (char *)"6.1.76-1",
                .newest_release = (char *)"6.1.0-20-amd64",
                .newest_package = (char *)"linux-image-6.1.0-20-amd64",
                .newest_version = (char *)"6.1.85-1",
                .reboot_needed = true,
        };
        (void)state;

        const char *st = "/var/lib/dpkg/status";
        add(&os, PKG_DPKG, "openssl", NULL, "3.0.11-1~deb12u1", NULL, st);
        add(&os, PKG_DPKG, "libssl3", "openssl", "3.0.11-1~deb12u1", NULL, st);
        add(&os, PKG_DPKG, "libfoo1", "foo", "1.2-3+b1", "1.2-3", st);
        add(&os, PKG_DPKG, "bash", NULL, "1:5.2.15-2", NULL, st);
        add(&os, PKG_DPKG, "zlib1g", "zlib", "1:1.2.13.dfsg-1", NULL, st);
        add(&os, PKG_DPKG, "linux-image-6.1.0-18-amd64", "linux-signed-amd64", "6.1.76-1",
            "6.1.76+1", st);
        add(&os, PKG_DPKG, "linux-image-6.1.0-20-amd64", "linux-signed-amd64", "6.1.85-1",
            "6.1.85+1", st);
        add(&os, PKG_DPKG, "linux-image-amd64", "linux-signed-amd64", "6.1.85-1", "6.1.85+1", st);
        add(&os, PKG_DPKG, "linux-libc-dev", "linux", "6.1.76-1", NULL, st);
        add(&apps, PKG_MAVEN, "org.apache.logging.log4j:log4j-core", NULL, "2.14.1", NULL,
            "/srv/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar");
        add(&apps, PKG_MAVEN, "org.apache.logging.log4j:log4j-api", NULL, "2.14.1", NULL,
            "/srv/app.war!/WEB-INF/lib/log4j-api-2.14.1.jar");

        vuln_input_t in = { .os_ecosystem = "Debian:12",
                            .os_id = "debian",
                            .os_version_id = "12",
                            .os_pkgs = &os,
                            .apps = &apps,
                            .kernel = &k };
        assert_int_equal(vuln_match(db, &in, r), 0);

        /* Exactly these findings. */
        assert_int_equal(r->n_findings, 6);

        f = find(r, "DSA-5678-1", "openssl");
        assert_non_null(f);
        assert_string_equal(f->title,
                            "openssl 3.0.11-1~deb12u1: CVE-2024-0001, CVE-2024-0002 (DSA-5678-1)");
        assert_string_equal(f->remediation, "apt-get install --only-upgrade libssl3 openssl");
        assert_int_equal(f->level, FINDING_HIGH); /* tracker urgency of CVE-2024-0001 */
        assert_string_equal(ev(f, "fixed_version"), "3.0.11-1~deb12u2");
        assert_string_equal(ev(f, "installed_version"), "3.0.11-1~deb12u1");
        assert_string_equal(ev(f, "source_package"), "openssl");
        assert_string_equal(ev(f, "cves"), "CVE-2024-0001, CVE-2024-0002");
        assert_string_equal(ev(f, "ecosystem"), "Debian:12");
        assert_null(find(r, "CVE-2024-0001", "openssl")); /* folded into the DSA */

        f = find(r, "CVE-2024-2000", "foo");
        assert_non_null(f);
        assert_string_equal(ev(f, "installed_version"), "1.2-3");
        assert_string_equal(ev(f, "fixed_version"), "1.2-4");
        assert_string_equal(ev(f, "cvss_score"), "4.3");
        assert_int_equal(f->level, FINDING_MEDIUM);
        assert_string_equal(f->remediation, "apt-get install --only-upgrade libfoo1");
        assert_null(find(r, "DSA-100-1", "foo"));
        assert_null(find(r, "DSA-200-1", "bash"));

        f = find(r, "CVE-2024-4000", "zlib");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_LOW);
        assert_non_null(strstr(f->title, "no fix available yet"));
        assert_non_null(strstr(f->remediation, "no fix available yet"));
        assert_null(ev(f, "fixed_version"));

        /* The running kernel, not the newer one nor linux-libc-dev. */
        f = find(r, "DSA-300-1", "linux");
        assert_non_null(f);
        assert_string_equal(ev(f, "installed_version"), "6.1.76-1");
        assert_string_equal(f->remediation,
                            "apt-get install --only-upgrade linux-image-amd64, then reboot into "
                            "the new kernel");
        f = find(r, "kernel-reboot-needed", "linux-image-6.1.0-20-amd64");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_MEDIUM);
        assert_non_null(strstr(f->title, "6.1.0-20-amd64"));

        f = find(r, "GHSA-jfh8-c2jp-5v3q",
                 "org.apache.logging.log4j:log4j-core in "
                 "/srv/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_HIGH);
        assert_string_equal(f->remediation,
                            "raise org.apache.logging.log4j:log4j-core to \xe2\x89\xa5 2.15.0 in "
                            "/srv/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar");
        assert_string_equal(ev(f, "cvss_score"), "10.0");
        assert_string_equal(f->title, "org.apache.logging.log4j:log4j-core 2.14.1: CVE-2021-44228 "
                                      "(GHSA-jfh8-c2jp-5v3q)");
        report_free(r);
}

static void test_no_reboot_low(void **state)
{
        const char *feeds[] = { debian_feed };
        _cleanup_(store_closep) sqlite3 *db = store_with(feeds, 1);
        _cleanup_pkg_list_ pkg_list_t os = { 0 };
        report_t *r = report_new("h", "/");
        const finding_t *f;
        kernel_info_t k = {
                .running_release = (char *)"6.1.0-20-amd64",
                .running_package = (char *)"linux-image-6.1.0-20-amd64",
                .running_version = (char *)"6.1.85-1",
                .newest_release = (char *)"6.1.0-21-amd64",
                .newest_package = (char *)"linux-image-6.1.0-21-amd64",
                .newest_version = (char *)"6.1.90-1",
                .reboot_needed = true,
        };
        (void)state;

        add(&os, PKG_DPKG, "linux-image-6.1.0-20-amd64", "linux-signed-amd64", "6.1.85-1",
            "6.1.85+1", "s");
        add(&os, PKG_DPKG, "linux-image-6.1.0-21-amd64", "linux-signed-amd64", "6.1.90-1",
            "6.1.90+1", "s");
        vuln_input_t in = { .os_ecosystem = "Debian:12", .os_pkgs = &os, .kernel = &k };
        assert_int_equal(vuln_match(db, &in, r), 0);
        assert_int_equal(r->n_findings, 1);
        f = find(r, "kernel-reboot-needed", "linux-image-6.1.0-21-amd64");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_LOW); /* the running kernel is not vulnerable */
        report_free(r);
}

static void test_rpm_dedupe(void **state)
{
        static const char *const rocky =
                "[{\"id\": \"RLSA-2024:1\", \"modified\": \"2024-01-01T00:00:00Z\", \"related\": "
                "[\"CVE-2024-5000\"], \"affected\": ["
                "{\"package\": {\"ecosystem\": \"Rocky Linux:9\", \"name\": \"openssl\"}, "
                "\"ranges\": "
                "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
                "\"1:3.0.7-24.el9\"}]}]},"
                "{\"package\": {\"ecosystem\": \"Rocky Linux:9\", \"name\": \"openssl-libs\"}, "
                "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
                "{\"fixed\": \"1:3.0.7-24.el9\"}]}]}]},"
                "{\"id\": \"RLSA-2024:2\", \"modified\": \"2024-01-01T00:00:00Z\", \"affected\": ["
                "{\"package\": {\"ecosystem\": \"Rocky Linux:9\", \"name\": \"openssl-libs\"}, "
                "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
                "{\"fixed\": \"1:3.0.7-25.el9\"}]}]}]}]";
        const char *feeds[] = { rocky };
        _cleanup_(store_closep) sqlite3 *db = store_with(feeds, 1);
        _cleanup_pkg_list_ pkg_list_t os = { 0 };
        report_t *r = report_new("h", "/");
        const finding_t *f;
        (void)state;

        add(&os, PKG_RPM, "openssl", NULL, "1:3.0.7-18.el9", NULL, "rpmdb");
        add(&os, PKG_RPM, "openssl-libs", "openssl", "1:3.0.7-18.el9", NULL, "rpmdb");
        vuln_input_t in = { .os_ecosystem = "Rocky Linux:9",
                            .os_id = "rocky",
                            .os_version_id = "9.3",
                            .os_pkgs = &os };
        assert_int_equal(vuln_match(db, &in, r), 0);
        assert_int_equal(r->n_findings, 2);
        f = find(r, "RLSA-2024:1", "openssl");
        assert_non_null(f);
        assert_string_equal(f->remediation, "dnf upgrade openssl openssl-libs");
        assert_null(find(r, "RLSA-2024:1", "openssl-libs"));
        f = find(r, "RLSA-2024:2", "openssl-libs");
        assert_non_null(f);
        assert_string_equal(f->remediation, "dnf upgrade openssl-libs");
        report_free(r);

        /* RHEL 7 still has yum. */
        r = report_new("h", "/");
        in.os_id = "centos";
        in.os_version_id = "7";
        in.os_ecosystem = "Rocky Linux:9";
        assert_int_equal(vuln_match(db, &in, r), 0);
        f = find(r, "RLSA-2024:1", "openssl");
        assert_non_null(f);
        assert_string_equal(f->remediation, "yum upgrade openssl openssl-libs");
        report_free(r);
}

static void test_no_feed_for_ecosystem(void **state)
{
        const char *feeds[] = { debian_feed };
        _cleanup_(store_closep) sqlite3 *db = store_with(feeds, 1);
        _cleanup_pkg_list_ pkg_list_t os = { 0 };
        report_t *r = report_new("h", "/");
        (void)state;

        add(&os, PKG_APK, "busybox", NULL, "1.36.1-r5", NULL, "lib/apk/db/installed");
        vuln_input_t in = { .os_ecosystem = "Alpine:v3.19", .os_pkgs = &os };
        assert_int_equal(vuln_match(db, &in, r), 0);
        assert_int_equal(r->n_findings, 0);
        assert_int_equal(report_count_notes(r, REPORT_NOTE_WARNING), 1);
        assert_non_null(strstr(r->notes[0].message, "no advisories for Alpine:v3.19"));
        report_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_debian),
                cmocka_unit_test(test_no_reboot_low),
                cmocka_unit_test(test_rpm_dedupe),
                cmocka_unit_test(test_no_feed_for_ecosystem),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
