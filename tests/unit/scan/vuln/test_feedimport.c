/* Unit tests for scan/vuln/feedimport and feeddb: importing OSV and tracker
 * text, zips and directories into a real SQLite store; idempotence; stale
 * and withdrawn records; malformed entries (reported with file and
 * position, the rest imported, stored data intact); lookups and status. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/store.h"
#include "core/text.h"
#include "scan/vuln/feeddb.h"
#include "scan/vuln/feedimport.h"

typedef struct errors {
        strv_t inputs;
        strv_t messages;
} errors_t;

static void on_error(const char *input, const char *message, void *userdata)
{
        errors_t *e = userdata;

        strv_push(&e->inputs, input);
        strv_push(&e->messages, message);
}

static void errors_clear(errors_t *e)
{
        strv_clear(&e->inputs);
        strv_clear(&e->messages);
}

static sqlite3 *open_db(void)
{
        sqlite3 *db = NULL;
        char *err = NULL;

        if (feeddb_open_path(":memory:", true, &db, &err) < 0)
                fail_msg("cannot open the store: %s", err);
        return db;
}

static feedimport_opts_t opts(errors_t *e)
{
        feedimport_opts_t o;

        feedimport_opts_default(&o);
        o.on_error = on_error;
        o.userdata = e;
        return o;
}

static int import(sqlite3 *db, const char *name, const char *text, errors_t *e, feed_counts_t *c)
{
        feedimport_opts_t o = opts(e);

        *c = (feed_counts_t){ 0 };
        return feedimport_buffer(db, 0, name, text, strlen(text), &o, c);
}

#define REC(id, mod, fixed)                                                                        \
        "{\"id\": \"" id "\", \"modified\": \"" mod "\", \"summary\": \"s " id "\", "              \
        "\"aliases\": [\"CVE-2024-" id "\"], "                                                     \
        "\"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"pkg" id "\"}, "   \
        "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "            \
        "{\"fixed\": \"" fixed "\"}]}], \"versions\": [\"1.0-1\", \"1.0-2\"]}]}"

static long long count(sqlite3 *db, const char *table)
{
        char sql[128];
        sqlite3_stmt *st;
        long long n = -1;

        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return n;
}

static void lookup_fixed(sqlite3 *db, const char *name, const char *expect)
{
        _cleanup_fj_arena_ fj_arena_t a;
        feeddb_reader_t *rd = NULL;
        feeddb_hit_t *hits;
        size_t n;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(feeddb_reader_new(db, &rd), 0);
        assert_int_equal(feeddb_lookup(rd, &a, "Debian:12", name, &hits, &n), 0);
        if (!expect) {
                assert_int_equal(n, 0);
        } else {
                assert_int_equal(n, 1);
                assert_int_equal(hits[0].affected.n_ranges, 1);
                assert_int_equal(hits[0].affected.ranges[0].n_events, 2);
                assert_string_equal(hits[0].affected.ranges[0].events[1].version, expect);
                assert_int_equal(hits[0].affected.n_versions, 2);
                assert_string_equal(hits[0].affected.versions[1], "1.0-2");
        }
        feeddb_reader_free(rd);
}

static void test_idempotent(void **state)
{
        _cleanup_(store_closep) sqlite3 *db = open_db();
        errors_t e = { 0 };
        feed_counts_t c;
        feeddb_status_t st;
        (void)state;

        const char *v1 = "[" REC("1", "2024-01-01T00:00:00Z", "1.0-3") "," REC(
                "2", "2024-01-01T00:00:00Z", "2.0-1") "," REC("3", "2024-01-01T00:00:00Z",
                                                              "3.0-1") "]";
        assert_int_equal(import(db, "v1.json", v1, &e, &c), 0);
        assert_int_equal(c.entries, 3);
        assert_int_equal(c.imported, 3);
        assert_int_equal(c.errors, 0);
        assert_int_equal(feeddb_status(db, &st), 0);
        assert_int_equal(st.advisories, 3);
        assert_int_equal(st.n_ecosystems, 1);
        assert_int_equal(st.ecosystems[0].ranges, 3);
        feeddb_status_clear(&st);

        /* The same text again: nothing changes. */
        assert_int_equal(import(db, "v1.json", v1, &e, &c), 0);
        assert_int_equal(c.imported, 0);
        assert_int_equal(c.unchanged, 3);
        assert_int_equal(feeddb_status(db, &st), 0);
        assert_int_equal(st.advisories, 3);
        assert_int_equal(st.ecosystems[0].packages, 3);
        assert_int_equal(st.ecosystems[0].ranges, 3);
        feeddb_status_clear(&st);

        /* A newer record replaces its rows; an older one is skipped. */
        const char *v2 = "[" REC("1", "2024-02-01T00:00:00Z",
                                 "1.0-4") "," REC("2", "2023-01-01T00:00:00Z", "2.0-9") "]";
        assert_int_equal(import(db, "v2.json", v2, &e, &c), 0);
        assert_int_equal(c.updated, 1);
        assert_int_equal(c.skipped, 1);
        lookup_fixed(db, "pkg1", "1.0-4");
        lookup_fixed(db, "pkg2", "2.0-1");
        assert_int_equal(feeddb_status(db, &st), 0);
        assert_int_equal(st.advisories, 3);
        assert_int_equal(st.ecosystems[0].ranges, 3);
        feeddb_status_clear(&st);

        /* Withdrawn: kept, but without packages. */
        assert_int_equal(import(db, "w.json",
                                "{\"id\": \"3\", \"modified\": \"2024-03-01T00:00:00Z\", "
                                "\"withdrawn\": \"2024-03-01T00:00:00Z\", \"affected\": []}",
                                &e, &c),
                         0);
        assert_int_equal(c.withdrawn, 1);
        assert_int_equal(c.updated, 1);
        lookup_fixed(db, "pkg3", NULL);
        assert_int_equal(feeddb_status(db, &st), 0);
        assert_int_equal(st.withdrawn, 1);
        feeddb_status_clear(&st);
        /* Replacing and withdrawing left no rows behind. */
        assert_int_equal(count(db, "advisory"), 3);
        assert_int_equal(count(db, "affected"), 2);
        assert_int_equal(count(db, "severity"), 0);
        assert_int_equal(count(db, "advisory_alias"), 2);
        assert_int_equal(count(db, "advisory_ref"), 0);
        assert_int_equal(e.messages.n, 0);
        errors_clear(&e);
}

static void test_malformed_entry(void **state)
{
        _cleanup_(store_closep) sqlite3 *db = open_db();
        errors_t e = { 0 };
        feed_counts_t c;
        (void)state;

        assert_int_equal(
                import(db, "good.json", "[" REC("7", "2024-01-01T00:00:00Z", "7.0-1") "]", &e, &c),
                0);
        /* Record 7 comes back newer but broken; 8 and 9 are fine. */
        const char *bad = "[\n" REC(
                "8", "2024-01-01T00:00:00Z",
                "8.0-1") ",\n"
                         "{\"id\": \"7\", \"modified\": \"2025-01-01T00:00:00Z\", \"affected\": "
                         "[{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"pkg7\"}, "
                         "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"fixed\": "
                         "\"9\"}]}]}]},\n" REC("9", "2024-01-01T00:00:00Z", "9.0-1") "\n]";
        assert_int_equal(import(db, "bad.json", bad, &e, &c), 0);
        assert_int_equal(c.entries, 3);
        assert_int_equal(c.imported, 2);
        assert_int_equal(c.errors, 1);
        assert_int_equal(e.messages.n, 1);
        assert_string_equal(e.inputs.v[0], "bad.json");
        /* "byte N (line 3, column C): record "7" affected[0]...: message" */
        assert_non_null(strstr(e.messages.v[0], "(line 3, column "));
        assert_non_null(strstr(e.messages.v[0], "record \"7\" affected[0].ranges[0].events"));
        assert_non_null(strstr(e.messages.v[0], "introduced"));
        lookup_fixed(db, "pkg7", "7.0-1"); /* what was stored is intact */
        lookup_fixed(db, "pkg8", "8.0-1");
        lookup_fixed(db, "pkg9", "9.0-1");
        errors_clear(&e);

        /* A syntax error ends the file; what came before it stays. */
        const char *broken = "[\n" REC("10", "2024-01-01T00:00:00Z",
                                       "1.0-1") ",\n{\"id\": \"11\" "
                                                "\"modified\": 1},\n" REC(
                                                        "12", "2024-01-01T00:00:00Z", "1.0-1") "]";
        assert_int_equal(import(db, "broken.json", broken, &e, &c), 0);
        assert_int_equal(c.imported, 1);
        assert_int_equal(c.errors, 1);
        assert_non_null(strstr(e.messages.v[0], "(line 3, column 13)"));
        lookup_fixed(db, "pkg10", "1.0-1");
        lookup_fixed(db, "pkg12", NULL);
        errors_clear(&e);

        /* Not a feed at all. */
        assert_int_equal(import(db, "x.json", "{\"foo\": 1}", &e, &c), -EINVAL);
        assert_int_equal(e.messages.n, 1);
        assert_int_equal(import(db, "y.json", "garbage", &e, &c), -EINVAL);
        assert_int_equal(import(db, "z.json", "{}", &e, &c), -EINVAL);
        errors_clear(&e);
}

static const char *const tracker =
        "{\n"
        " \"openssl\": {\n"
        "  \"CVE-2024-0001\": {\"description\": \"d1\", \"releases\": {\"bookworm\": {\"status\": "
        "\"resolved\", \"fixed_version\": \"3.0.11-1~deb12u2\", \"urgency\": \"high\"}}},\n"
        "  \"CVE-2024-0002\": {\"releases\": {\"bookworm\": {\"status\": \"open\", \"urgency\": "
        "\"low\"}}}\n"
        " },\n"
        " \"openssl1.1\": {\n"
        "  \"CVE-2024-0001\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\", "
        "\"fixed_version\": \"1.1.1w-0+deb12u1\", \"urgency\": \"medium\"}}},\n"
        "  \"CVE-2024-0003\": {\"releases\": {\"bookworm\": {\"status\": 5}}}\n"
        " }\n"
        "}\n";

static void test_tracker(void **state)
{
        _cleanup_(store_closep) sqlite3 *db = open_db();
        _cleanup_fj_arena_ fj_arena_t a;
        feeddb_reader_t *rd = NULL;
        feeddb_hit_t *hits;
        errors_t e = { 0 };
        feed_counts_t c;
        size_t n;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(import(db, "tracker.json", tracker, &e, &c), 0);
        assert_int_equal(c.entries, 3); /* one advisory per CVE */
        assert_int_equal(c.imported, 2);
        assert_int_equal(c.errors, 1);
        assert_non_null(strstr(e.messages.v[0], "openssl1.1.CVE-2024-0003.releases.bookworm"));
        assert_non_null(strstr(e.messages.v[0], "(line 8, column "));
        errors_clear(&e);

        assert_int_equal(feeddb_reader_new(db, &rd), 0);
        assert_int_equal(feeddb_lookup(rd, &a, "Debian:12", "openssl1.1", &hits, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(hits[0].affected.severity, "medium");
        {
                feeddb_info_t info;
                assert_int_equal(feeddb_advisory_info(rd, &a, hits[0].advisory_rowid,
                                                      hits[0].affected_rowid, &info),
                                 0);
                assert_string_equal(info.id, "CVE-2024-0001");
                assert_string_equal(info.source, "debian-tracker");
        }
        assert_int_equal(feeddb_lookup(rd, &a, "Debian:12", "openssl", &hits, &n), 0);
        assert_int_equal(n, 2);
        feeddb_reader_free(rd);

        assert_int_equal(import(db, "tracker.json", tracker, &e, &c), 0);
        assert_int_equal(c.unchanged, 2);
        assert_int_equal(c.imported + c.updated, 0);
        errors_clear(&e);
}

static void test_info(void **state)
{
        _cleanup_(store_closep) sqlite3 *db = open_db();
        _cleanup_fj_arena_ fj_arena_t a;
        feeddb_reader_t *rd = NULL;
        feeddb_hit_t *hits;
        feeddb_info_t info;
        errors_t e = { 0 };
        feed_counts_t c;
        size_t n;
        (void)state;

        fj_arena_init(&a, 1 << 20);
        assert_int_equal(
                import(db, "ghsa.json",
                       "{\"id\": \"GHSA-1\", \"aliases\": [\"CVE-2021-44228\"], \"summary\": \"s\","
                       "\"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
                       "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H\"}],"
                       "\"database_specific\": {\"severity\": \"CRITICAL\"},"
                       "\"references\": [{\"type\": \"WEB\", \"url\": \"https://a\"}],"
                       "\"affected\": [{\"package\": {\"ecosystem\": \"Maven\", \"name\": \"g:a\"},"
                       "\"severity\": [{\"type\": \"CVSS_V4\", \"score\": "
                       "\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"}],"
                       "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": "
                       "\"2.0\"}, {\"limit\": \"3.0\"}, {\"fixed\": \"2.15.0\"}]}]}]}",
                       &e, &c),
                0);
        assert_int_equal(c.imported, 1);
        assert_int_equal(feeddb_reader_new(db, &rd), 0);
        assert_int_equal(feeddb_lookup(rd, &a, "Maven", "g:a", &hits, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(hits[0].affected.ranges[0].n_events, 3);
        assert_int_equal(hits[0].affected.ranges[0].events[1].kind, FEED_EV_LIMIT);
        assert_int_equal(
                feeddb_advisory_info(rd, &a, hits[0].advisory_rowid, hits[0].affected_rowid, &info),
                0);
        assert_string_equal(info.id, "GHSA-1");
        assert_string_equal(info.severity, "critical");
        assert_int_equal(info.n_aliases, 1);
        assert_int_equal(info.n_refs, 1);
        assert_int_equal(info.n_severities, 1);
        assert_true(info.severities[0].score > 9.95);
        assert_int_equal(info.n_affected_severities, 1);
        assert_true(info.affected_severities[0].score > 9.25 &&
                    info.affected_severities[0].score < 9.35);
        feeddb_reader_free(rd);
        assert_int_equal(count(db, "severity"), 2);
        /* A new version without scores replaces every row of the old one. */
        assert_int_equal(import(db, "ghsa2.json",
                                "{\"id\": \"GHSA-1\", \"summary\": \"s2\", \"affected\": "
                                "[{\"package\": {\"ecosystem\": \"Maven\", \"name\": \"g:a\"}}]}",
                                &e, &c),
                         0);
        assert_int_equal(c.updated, 1);
        assert_int_equal(count(db, "severity"), 0);
        assert_int_equal(count(db, "advisory_alias"), 0);
        assert_int_equal(count(db, "advisory_ref"), 0);
        assert_int_equal(count(db, "affected"), 1);
        errors_clear(&e);
}

static int write_file(const char *dir, const char *name, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        fclose(f);
        return 0;
}

static void make_zip(const char *path)
{
        struct archive *w = archive_write_new();
        static const struct {
                const char *name;
                const char *text;
        } members[] = {
                { "A.json", REC("20", "2024-01-01T00:00:00Z", "1.0-5") },
                { "B.json", "{\"id\": \"21\", \"affected\": 5}" },
                { "readme.txt", "not json" },
                { "sub/C.json", REC("22", "2024-01-01T00:00:00Z", "1.0-6") },
        };

        archive_write_set_format_zip(w);
        assert_int_equal(archive_write_open_filename(w, path), ARCHIVE_OK);
        for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
                struct archive_entry *e = archive_entry_new();
                size_t n = strlen(members[i].text);
                archive_entry_set_pathname(e, members[i].name);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, (la_int64_t)n);
                archive_write_header(w, e);
                archive_write_data(w, members[i].text, n);
                archive_entry_free(e);
        }
        archive_write_close(w);
        archive_write_free(w);
}

static void test_zip_and_directory(void **state)
{
        _cleanup_(store_closep) sqlite3 *db = open_db();
        char dir[] = "/tmp/vigil-test-feed-XXXXXX", zip[600], sub[600], link[1300];
        errors_t e = { 0 };
        feedimport_opts_t o = opts(&e);
        feed_counts_t c = { 0 };
        const char *fmt = NULL;
        (void)state;

        assert_non_null(mkdtemp(dir));
        snprintf(zip, sizeof(zip), "%s/all.zip", dir);
        make_zip(zip);
        assert_int_equal(feedimport_path(db, 0, zip, &o, &c, &fmt), 0);
        assert_string_equal(fmt, "osv-zip");
        assert_int_equal(c.imported, 2);
        assert_int_equal(c.errors, 1);
        assert_int_equal(e.messages.n, 1);
        assert_true(str_endswith(e.inputs.v[0], "all.zip!B.json"));
        assert_non_null(strstr(e.messages.v[0], "record \"21\" affected"));
        lookup_fixed(db, "pkg22", "1.0-6");
        errors_clear(&e);

        /* A directory: *.json and *.zip files, sorted, symlinks not followed;
         * read in a second thread this time. */
        o.threads = 2;
        snprintf(sub, sizeof(sub), "%s/more", dir);
        assert_int_equal(mkdir(sub, 0700), 0);
        assert_int_equal(write_file(sub, "x.json", REC("30", "2024-01-01T00:00:00Z", "3.0-1")), 0);
        assert_int_equal(write_file(dir, "notes.txt", "hello"), 0);
        assert_int_equal(write_file(dir, "bad.json", "{\"id\": "), 0);
        snprintf(link, sizeof(link), "%s/link.json", dir);
        assert_int_equal(symlink("/etc/passwd", link), 0);
        c = (feed_counts_t){ 0 };
        assert_int_equal(feedimport_path(db, 0, dir, &o, &c, &fmt), 0);
        assert_string_equal(fmt, "directory");
        assert_int_equal(c.imported, 1); /* x.json; the zip's are unchanged */
        assert_int_equal(c.unchanged, 2);
        assert_int_equal(c.errors, 2); /* bad.json, the zip's B.json */
        lookup_fixed(db, "pkg30", "3.0-1");
        errors_clear(&e);

        assert_int_equal(feedimport_path(db, 0, "/nonexistent/feed.json", &o, &c, &fmt), -ENOENT);
        errors_clear(&e);

        unlink(link);
        snprintf(link, sizeof(link), "%s/x.json", sub);
        unlink(link);
        rmdir(sub);
        snprintf(link, sizeof(link), "%s/notes.txt", dir);
        unlink(link);
        snprintf(link, sizeof(link), "%s/bad.json", dir);
        unlink(link);
        unlink(zip);
        rmdir(dir);
}

static void test_feed_rows(void **state)
{
        _cleanup_(store_closep) sqlite3 *db = open_db();
        feed_counts_t c = { .entries = 5, .imported = 4, .errors = 1, .bytes = 100 };
        feeddb_status_t st;
        char *etag = NULL, *lm = NULL;
        int64_t id, id2;
        (void)state;

        assert_int_equal(feeddb_feed_get(db, "osv-Debian", "osv", "https://x/all.zip", &id), 0);
        assert_int_equal(feeddb_feed_validators(db, "osv-Debian", &etag, &lm), 0);
        assert_null(etag); /* never imported */
        assert_int_equal(feeddb_feed_record(db, id, &c, "\"abc\"", "Tue, 01 Oct 2024 00:00:00 GMT"),
                         0);
        assert_int_equal(feeddb_feed_get(db, "osv-Debian", "osv-zip", "https://x/all.zip", &id2),
                         0);
        assert_int_equal(id, id2);
        assert_int_equal(feeddb_feed_validators(db, "osv-Debian", &etag, &lm), 0);
        assert_string_equal(etag, "\"abc\"");
        assert_string_equal(lm, "Tue, 01 Oct 2024 00:00:00 GMT");
        free(etag);
        free(lm);
        assert_int_equal(feeddb_feed_touch(db, "osv-Debian"), 0);
        assert_int_equal(feeddb_status(db, &st), 0);
        assert_int_equal(st.n_feeds, 1);
        assert_string_equal(st.feeds[0].format, "osv-zip");
        assert_int_equal(st.feeds[0].entries, 5);
        assert_int_equal(st.feeds[0].errors, 1);
        assert_true(st.feeds[0].imported_at > 0);
        assert_true(st.newest_import > 0);
        feeddb_status_clear(&st);
}

static void test_parse_time(void **state)
{
        int64_t t;
        (void)state;

        assert_int_equal(feed_parse_time("1970-01-01T00:00:00Z", &t), 0);
        assert_int_equal(t, 0);
        assert_int_equal(feed_parse_time("2000-02-29T12:00:00.5Z", &t), 0);
        assert_int_equal(t, 951825600);
        assert_int_equal(feed_parse_time("2024-01-01T01:00:00+01:00", &t), 0);
        assert_int_equal(t, 1704067200);
        assert_int_equal(feed_parse_time("2024-13-01T00:00:00Z", &t), -EINVAL);
        assert_int_equal(feed_parse_time("2024-01-01", &t), -EINVAL);
        assert_int_equal(feed_parse_time("2024-01-01T00:00:00", &t), -EINVAL);
        assert_int_equal(feed_parse_time("2024-01-01T00:00:00Zjunk", &t), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_idempotent),        cmocka_unit_test(test_malformed_entry),
                cmocka_unit_test(test_tracker),           cmocka_unit_test(test_info),
                cmocka_unit_test(test_zip_and_directory), cmocka_unit_test(test_feed_rows),
                cmocka_unit_test(test_parse_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
