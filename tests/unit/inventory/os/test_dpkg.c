/* Unit tests for the dpkg status reader (inventory/os/dpkg.c): a fixture
 * root and this machine's own database, both compared with what dpkg-query
 * reports for them, and corrupt stanzas of every kind the parser must skip
 * while going on with the next one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "inventory/os/ospkg.h"

static char *fixture(const char *rel)
{
        const char *base = getenv("VIGIL_FIXTURES");
        char *p;

        assert_non_null(base);
        p = str_printf("%s/%s", base, rel);
        assert_non_null(p);
        return p;
}

/* Run ARGV (no shell) and return its standard output. */
static char *run_capture(char *const argv[])
{
        int fds[2], status;
        pid_t pid;
        buf_t b;
        char chunk[65536];
        ssize_t n;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(fds[1], 1);
                close(fds[0]);
                close(fds[1]);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(fds[1]);
        buf_init(&b, 64 * MiB);
        while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
                assert_int_equal(buf_append(&b, chunk, (size_t)n), 0);
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("%s failed (status %d); is it installed?", argv[0], status);
        return buf_take(&b);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One "name arch version source source-version" line per package. */
static void lines_from_list(const pkg_list_t *l, strv_t *out)
{
        for (size_t i = 0; i < l->n; i++) {
                const pkg_t *p = &l->v[i];
                assert_int_equal(p->kind, PKG_DPKG);
                assert_int_equal(
                        strv_push_take(out, str_printf("%s %s %s %s %s", p->name,
                                                       p->arch ? p->arch : "-", p->version,
                                                       pkg_source_name(p), pkg_source_version(p))),
                        0);
        }
        qsort(out->v, out->n, sizeof(char *), cmp_str);
}

/* The same lines from dpkg-query's view of ADMINDIR, for every package that
 * has files on disk: status (second letter of db:Status-Abbrev) installed,
 * half-installed, unpacked, half-configured, triggers-awaited or
 * triggers-pending. binary:Package carries ":arch" for Multi-Arch: same
 * packages; vigil keeps the bare name and the architecture apart. */
static void lines_from_dpkg_query(const char *admindir, strv_t *out)
{
        _cleanup_free_ char *admin = str_printf("--admindir=%s", admindir), *text = NULL;
        char *argv[] = { "dpkg-query", admin, "-W",
                         "-f=${binary:Package}\t${Version}\t${source:Package}\t"
                         "${source:Version}\t${db:Status-Abbrev}\t${Architecture}\n",
                         NULL };
        char *line, *save = NULL;

        text = run_capture(argv);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                strv_t f = { 0 };
                char *colon;
                assert_int_equal(strv_split(&f, line, "\t"), 0);
                assert_int_equal(f.n, 6);
                if (strlen(f.v[4]) < 2)
                        fail_msg("odd status abbreviation in: %s", line);
                if (strchr("HUFWti", f.v[4][1])) {
                        colon = strchr(f.v[0], ':');
                        if (colon) {
                                assert_string_equal(colon + 1, f.v[5]);
                                *colon = 0;
                        }
                        assert_int_equal(
                                strv_push_take(out, str_printf("%s %s %s %s %s", f.v[0], f.v[5],
                                                               f.v[1], f.v[2], f.v[3])),
                                0);
                }
                strv_clear(&f);
        }
        qsort(out->v, out->n, sizeof(char *), cmp_str);
}

static void assert_same_lines(const strv_t *ours, const strv_t *theirs)
{
        size_t i = 0, j = 0, bad = 0;

        while (i < ours->n || j < theirs->n) {
                int c = i == ours->n ? 1 : j == theirs->n ? -1 : strcmp(ours->v[i], theirs->v[j]);
                if (c == 0) {
                        i++;
                        j++;
                        continue;
                }
                if (bad++ < 20)
                        print_error("%s %s\n", c < 0 ? "only vigil:     " : "only dpkg-query:",
                                    c < 0 ? ours->v[i] : theirs->v[j]);
                if (c < 0)
                        i++;
                else
                        j++;
        }
        if (bad)
                fail_msg("%zu differences between vigil and dpkg-query", bad);
}

static bool has_note(const report_t *r, const char *source, const char *needle)
{
        for (size_t i = 0; i < r->n_notes; i++)
                if (strcmp(r->notes[i].source, source) == 0 && strstr(r->notes[i].message, needle))
                        return true;
        return false;
}

static long long stat_of(const report_t *r, const char *name)
{
        json_t *s = json_object_get(r->stats, "inventory");
        return s ? json_integer_value(json_object_get(s, name)) : -1;
}

static const pkg_t *find(const pkg_list_t *l, const char *name, const char *arch)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].name, name) == 0 &&
                    (!arch || (l->v[i].arch && strcmp(l->v[i].arch, arch) == 0)))
                        return &l->v[i];
        return NULL;
}

static void test_fixture_root(void **state)
{
        _cleanup_free_ char *path = fixture("os/debian12"), *admin = NULL;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        strv_t ours = { 0 }, theirs = { 0 };
        report_t *rep = report_new("t", path);
        _cleanup_free_ char *where = NULL;
        const pkg_t *p;
        (void)state;

        assert_non_null(rep);
        assert_int_equal(rootfs_open(path, &root), 0);
        assert_int_equal(dpkg_read_status(root, &l, rep), 0);
        assert_int_equal(l.n, 15);
        assert_int_equal(rep->n_notes, 0);
        assert_int_equal(stat_of(rep, "dpkg_packages"), 15);
        assert_int_equal(stat_of(rep, "dpkg_skipped"), 0);

        /* Source and source version are kept only when they differ. */
        p = find(&l, "base-files", NULL);
        assert_non_null(p);
        assert_null(p->source);
        assert_null(p->source_version);
        p = find(&l, "bash", NULL);
        assert_non_null(p);
        assert_null(p->source);
        assert_string_equal(p->version, "5.2.15-2+b2");
        assert_string_equal(p->source_version, "5.2.15-2");
        p = find(&l, "bsdutils", NULL);
        assert_string_equal(p->source, "util-linux");
        assert_string_equal(p->version, "1:2.38.1-5+deb12u1");
        assert_string_equal(p->source_version, "2.38.1-5+deb12u1");
        p = find(&l, "libc6", "i386");
        assert_non_null(p);
        assert_string_equal(p->source, "glibc");
        assert_null(p->source_version);
        assert_non_null(find(&l, "libc6", "amd64"));
        where = str_printf("%s/var/lib/dpkg/status", path);
        assert_string_equal(p->location, where);
        /* States that leave files on disk are in, removed ones are not. */
        assert_non_null(find(&l, "openssh-server", NULL));
        assert_non_null(find(&l, "curl", NULL));
        assert_non_null(find(&l, "libssl3", NULL));
        assert_non_null(find(&l, "man-db", NULL));
        assert_non_null(find(&l, "libc-bin", NULL));
        assert_non_null(find(&l, "vim-tiny", NULL));
        assert_null(find(&l, "openssl", NULL));
        assert_null(find(&l, "nano", NULL));

        admin = str_printf("%s/var/lib/dpkg", path);
        lines_from_list(&l, &ours);
        lines_from_dpkg_query(admin, &theirs);
        assert_same_lines(&ours, &theirs);
        strv_clear(&ours);
        strv_clear(&theirs);
        report_free(rep);
}

/* This machine's database against dpkg-query. dpkg may be writing it while
 * the test runs (another process installing packages); the comparison is
 * only made on a read during which the file did not change. */
static void test_host_matches_dpkg_query(void **state)
{
        _cleanup_rootfs_ rootfs_t *root = NULL;
        (void)state;

        assert_int_equal(rootfs_open("/", &root), 0);
        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *before = NULL, *after = NULL;
                _cleanup_pkg_list_ pkg_list_t l = { 0 };
                strv_t ours = { 0 }, theirs = { 0 };
                size_t n1, n2;
                report_t *rep = report_new("t", "/");

                assert_non_null(rep);
                assert_int_equal(rootfs_read_file(root, "/var/lib/dpkg/status",
                                                  OSPKG_MAX_STATUS_SIZE, &before, &n1),
                                 0);
                assert_int_equal(dpkg_parse_status(before, n1, "/var/lib/dpkg/status", &l, rep), 0);
                lines_from_dpkg_query("/var/lib/dpkg", &theirs);
                assert_int_equal(rootfs_read_file(root, "/var/lib/dpkg/status",
                                                  OSPKG_MAX_STATUS_SIZE, &after, &n2),
                                 0);
                if ((n1 != n2 || memcmp(before, after, n1) != 0) && attempt < 20) {
                        strv_clear(&theirs);
                        report_free(rep);
                        sleep(1);
                        continue;
                }
                assert_true(l.n > 50);
                assert_int_equal(rep->n_notes, 0);
                assert_int_equal(stat_of(rep, "dpkg_packages"), (long long)l.n);
                lines_from_list(&l, &ours);
                assert_same_lines(&ours, &theirs);
                /* The whole file through the rootfs path gives the same. */
                {
                        _cleanup_pkg_list_ pkg_list_t l2 = { 0 };
                        int r = dpkg_read_status(root, &l2, NULL);
                        assert_int_equal(r, 0);
                        assert_true(l2.n > 50);
                }
                strv_clear(&ours);
                strv_clear(&theirs);
                report_free(rep);
                break;
        }
}

typedef struct corrupt_case {
        const char *what; /* the text expected in the note */
        size_t line;      /* the line it names */
        const char *data;
        size_t len; /* 0: strlen(data) */
} corrupt_case_t;

#define GOOD "Package: good\nStatus: install ok installed\nVersion: 1.0-1\n"

/* Each case is a bad stanza followed by a good one: the bad one is noted
 * with its line and skipped, the good one still read. */
static void test_corrupt_stanzas(void **state)
{
        static const char nul_case[] = "Package: a\nStatus: install ok installed\nVer\0sion: 1\n"
                                       "\n" GOOD;
        static const char garbage[] = "\x89PNG\r\n\x1a\n\x01\x02\x03\xff\xfe\n"
                                      "\n" GOOD;
        const corrupt_case_t cases[] = {
                { "no Package field", 1, "Status: install ok installed\nVersion: 1.0\n\n" GOOD, 0 },
                { "has no Version field", 1, "Package: a\nStatus: install ok installed\n\n" GOOD,
                  0 },
                { "no Status field", 1, "Package: a\nVersion: 1\n\n" GOOD, 0 },
                { "bad Status \"install ok\"", 2,
                  "Package: a\nStatus: install ok\nVersion: 1\n\n" GOOD, 0 },
                { "bad Status \"install ok banana\"", 3,
                  "Package: a\nVersion: 1\nStatus: install ok banana\n\n" GOOD, 0 },
                { "bad Status \"wish ok installed\"", 2,
                  "Package: a\nStatus: wish ok installed\nVersion: 1\n\n" GOOD, 0 },
                { "bad Status", 2,
                  "Package: a\nStatus: install ok installed extra\nVersion: 1\n\n" GOOD, 0 },
                { "NUL byte", 3, nul_case, sizeof(nul_case) - 1 },
                { "not a \"Field: value\" line", 1, garbage, sizeof(garbage) - 1 },
                { "duplicate Package field", 3,
                  "Package: a\nStatus: install ok installed\nPackage: b\nVersion: 1\n\n" GOOD, 0 },
                { "continuation line before any field", 1,
                  " Package: a\nStatus: install ok installed\nVersion: 1\n\n" GOOD, 0 },
                { "Package field spans lines", 2,
                  "Package: a\n b\nStatus: install ok installed\nVersion: 1\n\n" GOOD, 0 },
                { "invalid field name", 2,
                  "Package: a\nSta tus: install ok installed\nVersion: 1\n\n" GOOD, 0 },
                { "version has embedded spaces", 3,
                  "Package: a\nStatus: install ok installed\nVersion: 1.0 beta\n\n" GOOD, 0 },
                { "epoch in version is not a number", 3,
                  "Package: a\nStatus: install ok installed\nVersion: x:1.0\n\n" GOOD, 0 },
                { "empty revision", 3,
                  "Package: a\nStatus: install ok installed\nVersion: 1.0-\n\n" GOOD, 0 },
                { "invalid character in version", 3,
                  "Package: a\nStatus: install ok installed\nVersion: 1.0_2\n\n" GOOD, 0 },
                { "empty version", 3, "Package: a\nStatus: install ok installed\nVersion:\n\n" GOOD,
                  0 },
                { "epoch in version is too big", 3,
                  "Package: a\nStatus: install ok installed\nVersion: 99999999999:1\n\n" GOOD, 0 },
                { "package name must start", 1,
                  "Package: -a\nStatus: install ok installed\nVersion: 1\n\n" GOOD, 0 },
                { "invalid character in package name", 1,
                  "Package: a/b\nStatus: install ok installed\nVersion: 1\n\n" GOOD, 0 },
                { "Source is not", 4,
                  "Package: a\nStatus: install ok installed\nVersion: 1\nSource: b (1\n\n" GOOD,
                  0 },
                { "invalid version in Source", 4,
                  "Package: a\nStatus: install ok installed\nVersion: 1\nSource: b (1 2)\n\n" GOOD,
                  0 },
                { "invalid source package name", 4,
                  "Package: a\nStatus: install ok installed\nVersion: 1\nSource: _b\n\n" GOOD, 0 },
                { "invalid architecture", 4,
                  "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: "
                  "x_y\n\n" GOOD,
                  0 },
                { "line is not", 3,
                  "Package: a\nStatus: install ok installed\n: no name\nVersion: 1\n\n" GOOD, 0 },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const corrupt_case_t *c = &cases[i];
                _cleanup_pkg_list_ pkg_list_t l = { 0 };
                _cleanup_free_ char *src = str_printf("test:%zu", c->line);
                report_t *rep = report_new("t", "/");
                size_t len = c->len ? c->len : strlen(c->data);

                assert_non_null(rep);
                assert_int_equal(dpkg_parse_status(c->data, len, "test", &l, rep), 0);
                if (l.n != 1 || strcmp(l.v[0].name, "good") != 0)
                        fail_msg("case %zu (%s): %zu packages", i, c->what, l.n);
                if (rep->n_notes != 1 || !has_note(rep, src, c->what))
                        fail_msg("case %zu: expected one note \"%s\" at %s, got %zu (%s: %s)", i,
                                 c->what, src, rep->n_notes,
                                 rep->n_notes ? rep->notes[0].source : "",
                                 rep->n_notes ? rep->notes[0].message : "");
                assert_int_equal(rep->notes[0].kind, REPORT_NOTE_WARNING);
                assert_int_equal(stat_of(rep, "dpkg_skipped"), 1);
                assert_int_equal(stat_of(rep, "dpkg_packages"), 1);
                report_free(rep);
        }
}

static void test_overlong_line_and_stanza(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", "/");
        buf_t b;
        (void)state;

        /* A line one byte over the cap, in a field vigil does not read. */
        buf_init(&b, 64 * MiB);
        assert_int_equal(buf_append_str(&b, "Package: a\nStatus: install ok installed\n"
                                            "Version: 1\nDescription: x\n "),
                         0);
        for (size_t i = 0; i < OSPKG_MAX_LINE_SIZE; i++)
                assert_int_equal(buf_append(&b, "y", 1), 0);
        assert_int_equal(buf_append_str(&b, "\n\n" GOOD "\n"), 0);
        /* A stanza over the cap made of short lines. */
        assert_int_equal(buf_append_str(&b, "Package: big\nStatus: install ok installed\n"
                                            "Version: 1\nDescription: x\n"),
                         0);
        for (size_t start = b.len; b.len - start <= OSPKG_MAX_STANZA_SIZE;)
                assert_int_equal(buf_append_str(&b,
                                                " 123456789012345678901234567890123456789012345678"
                                                "9012345678901\n"),
                                 0);
        assert_int_equal(buf_append_str(&b, "\nPackage: good2\nStatus: install ok installed\n"
                                            "Version: 2\n"),
                         0);
        assert_non_null(rep);
        assert_int_equal(dpkg_parse_status(b.data, b.len, "big", &l, rep), 0);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.v[0].name, "good");
        assert_string_equal(l.v[1].name, "good2");
        assert_true(has_note(rep, "big:5", "line is longer than the cap"));
        assert_int_equal(rep->n_notes, 2);
        assert_true(strstr(rep->notes[1].message, "stanza is longer than the cap") != NULL);
        assert_int_equal(stat_of(rep, "dpkg_skipped"), 2);
        buf_free(&b);
        report_free(rep);
}

/* Many broken stanzas: all counted, only the first OSPARSE_MAX_NOTES (50)
 * listed, then one summary note. */
static void test_note_flood_is_capped(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", "/");
        buf_t b;
        (void)state;

        buf_init(&b, 64 * MiB);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(buf_append_str(&b, "garbage\n\n"), 0);
        assert_int_equal(buf_append_str(&b, GOOD), 0);
        assert_int_equal(dpkg_parse_status(b.data, b.len, "flood", &l, rep), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(stat_of(rep, "dpkg_skipped"), 1000);
        assert_int_equal(rep->n_notes, 51);
        assert_true(has_note(rep, "flood", "950 more problems"));
        buf_free(&b);
        report_free(rep);
}

static void test_layout_variants(void **state)
{
        /* Blank lines with white space between stanzas, lower-case field
         * names, no final newline, removed packages without a version. */
        static const char data[] = "\n\n  \t\npackage: a\nSTATUS: install ok installed\n"
                                   "version: 1:2.0~rc1-3\narchitecture: all\n \t \n"
                                   "Description: x\n\n   \n\n"
                                   "Package: gone\nStatus: purge ok not-installed\n\n"
                                   "Package: b\nStatus: install ok installed\nVersion: 2\n"
                                   "Source: bsrc (2)";
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", "/");
        (void)state;

        assert_int_equal(dpkg_parse_status(data, sizeof(data) - 1, "v", &l, rep), 0);
        assert_int_equal(rep->n_notes, 0);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.v[0].name, "a");
        assert_string_equal(l.v[0].version, "1:2.0~rc1-3");
        assert_string_equal(l.v[0].arch, "all");
        assert_string_equal(l.v[1].name, "b");
        assert_string_equal(l.v[1].source, "bsrc");
        assert_null(l.v[1].source_version);
        assert_null(l.v[1].arch);
        report_free(rep);

        /* Empty input and NULL report. */
        assert_int_equal(dpkg_parse_status("", 0, "e", &l, NULL), 0);
        assert_int_equal(dpkg_parse_status("\n\n", 2, "e", &l, NULL), 0);
        assert_int_equal(l.n, 2);
}

/* A status file with binary garbage, NUL bytes, a stanza without a
 * version and a version with bytes that are not text: each is one warning
 * naming its line, the good stanzas around them are read. */
static void test_corrupt_fixture(void **state)
{
        _cleanup_free_ char *path = fixture("os/debian-corrupt");
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", path);
        static const struct {
                size_t line;
                const char *what;
        } want[] = {
                { 7, "NUL byte in stanza; stanza skipped" },
                { 10, "package ghost has no Version field" },
                { 14, "NUL byte in stanza" },
                { 20, "invalid character in version: \"1.0\\xff\\xfe\"" },
        };
        (void)state;

        assert_int_equal(rootfs_open(path, &root), 0);
        assert_int_equal(dpkg_read_status(root, &l, rep), 0);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.v[0].name, "base-files");
        assert_string_equal(l.v[1].name, "tzdata");
        assert_int_equal(rep->n_notes, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                _cleanup_free_ char *src =
                        str_printf("%s/var/lib/dpkg/status:%zu", path, want[i].line);
                if (!has_note(rep, src, want[i].what))
                        fail_msg("no note \"%s\" at %s (note %zu is %s: %s)", want[i].what, src, i,
                                 rep->notes[i].source, rep->notes[i].message);
        }
        assert_int_equal(stat_of(rep, "dpkg_skipped"), 4);
        assert_int_equal(stat_of(rep, "dpkg_packages"), 2);
        report_free(rep);
}

static void test_missing_database(void **state)
{
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        char tmpl[] = "/tmp/vigil-dpkg-XXXXXX";
        (void)state;

        assert_non_null(mkdtemp(tmpl));
        assert_int_equal(rootfs_open(tmpl, &root), 0);
        assert_int_equal(dpkg_read_status(root, &l, NULL), -ENOENT);
        assert_int_equal(l.n, 0);
        rmdir(tmpl);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_root),
                cmocka_unit_test(test_host_matches_dpkg_query),
                cmocka_unit_test(test_corrupt_stanzas),
                cmocka_unit_test(test_overlong_line_and_stanza),
                cmocka_unit_test(test_note_flood_is_capped),
                cmocka_unit_test(test_layout_variants),
                cmocka_unit_test(test_corrupt_fixture),
                cmocka_unit_test(test_missing_database),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
