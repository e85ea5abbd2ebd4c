/* Unit tests for the apk installed database reader (inventory/os/apkdb.c):
 * an Alpine fixture root, the usr/lib location, and corrupt stanzas. */
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

static const pkg_t *find(const pkg_list_t *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].name, name) == 0)
                        return &l->v[i];
        return NULL;
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

static void test_fixture_root(void **state)
{
        _cleanup_free_ char *path = fixture("os/alpine319"), *where = NULL;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", path);
        const pkg_t *p;
        (void)state;

        assert_int_equal(rootfs_open(path, &root), 0);
        assert_int_equal(apkdb_read(root, &l, rep), 0);
        assert_int_equal(rep->n_notes, 0);
        assert_int_equal(l.n, 6);
        assert_int_equal(stat_of(rep, "apk_packages"), 6);
        where = str_printf("%s/lib/apk/db/installed", path);
        p = find(&l, "musl");
        assert_non_null(p);
        assert_int_equal(p->kind, PKG_APK);
        assert_string_equal(p->version, "1.2.4_git20230717-r4");
        assert_string_equal(p->arch, "x86_64");
        assert_null(p->source); /* origin is the name itself */
        assert_string_equal(p->location, where);
        p = find(&l, "libcrypto3");
        assert_string_equal(p->version, "3.1.4-r5");
        assert_string_equal(p->source, "openssl");
        assert_string_equal(pkg_source_name(p), "openssl");
        p = find(&l, "ca-certificates-bundle");
        assert_string_equal(p->source, "ca-certificates");
        assert_non_null(find(&l, "linux-lts"));
        assert_non_null(find(&l, "alpine-baselayout-data"));
        report_free(rep);
}

/* Newer images keep the database under /usr/lib/apk/db. */
static void test_usr_lib_location(void **state)
{
        char tmpl[] = "/tmp/vigil-apk-XXXXXX";
        char p[512];
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        FILE *f;
        (void)state;

        assert_non_null(mkdtemp(tmpl));
        assert_int_equal(rootfs_open(tmpl, &root), 0);
        assert_int_equal(apkdb_read(root, &l, NULL), -ENOENT);
        snprintf(p, sizeof(p), "%s/usr", tmpl);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/usr/lib", tmpl);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/usr/lib/apk", tmpl);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/usr/lib/apk/db", tmpl);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/usr/lib/apk/db/installed", tmpl);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs("P:zlib\nV:1.3.1-r0\nA:aarch64\no:zlib\n", f);
        fclose(f);
        assert_int_equal(apkdb_read(root, &l, NULL), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.v[0].name, "zlib");
        assert_string_equal(l.v[0].arch, "aarch64");
        assert_int_equal(unlink(p), 0);
        {
                static const char *const dirs[] = { "usr/lib/apk/db", "usr/lib/apk", "usr/lib",
                                                    "usr" };
                for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                        snprintf(p, sizeof(p), "%s/%s", tmpl, dirs[i]);
                        assert_int_equal(rmdir(p), 0);
                }
        }
        assert_int_equal(rmdir(tmpl), 0);
}

#define GOOD "P:good\nV:1.0-r0\n"

static void test_corrupt_stanzas(void **state)
{
        static const char nul_case[] = "P:a\nV:1\0.0-r0\n\n" GOOD;
        static const struct {
                const char *what;
                size_t line;
                const char *data;
                size_t len;
        } cases[] = {
                { "without a P: line", 1, "V:1.0-r0\nA:x86_64\n\n" GOOD, 0 },
                { "has no V: line", 1, "P:a\nA:x86_64\n\n" GOOD, 0 },
                { "NUL byte", 2, nul_case, sizeof(nul_case) - 1 },
                { "not an \"X:value\" line", 2, "P:a\ngarbage\nV:1\n\n" GOOD, 0 },
                { "not an \"X:value\" line", 1, "\x7f\x45LF\x02\x01\n\n" GOOD, 0 },
                { "duplicate P: line", 3, "P:a\nV:1\nP:b\n\n" GOOD, 0 },
                { "version must start with a digit", 2, "P:a\nV:x1.0\n\n" GOOD, 0 },
                { "invalid character in version", 2, "P:a\nV:1.0 r0\n\n" GOOD, 0 },
                { "empty version", 2, "P:a\nV:\n\n" GOOD, 0 },
                { "invalid character in package name", 1, "P:a b\nV:1\n\n" GOOD, 0 },
                { "package name must start", 1, "P:-a\nV:1\n\n" GOOD, 0 },
                { "invalid architecture", 3, "P:a\nV:1\nA:x/86\n\n" GOOD, 0 },
                { "origin:", 3, "P:a\nV:1\no:../x\n\n" GOOD, 0 },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_pkg_list_ pkg_list_t l = { 0 };
                _cleanup_free_ char *src = str_printf("apk:%zu", cases[i].line);
                report_t *rep = report_new("t", "/");
                size_t len = cases[i].len ? cases[i].len : strlen(cases[i].data);

                assert_int_equal(apkdb_parse(cases[i].data, len, "apk", &l, rep), 0);
                if (l.n != 1 || strcmp(l.v[0].name, "good") != 0)
                        fail_msg("case %zu (%s): %zu packages", i, cases[i].what, l.n);
                if (rep->n_notes != 1 || !has_note(rep, src, cases[i].what))
                        fail_msg("case %zu: expected one note \"%s\" at %s, got %zu (%s: %s)", i,
                                 cases[i].what, src, rep->n_notes,
                                 rep->n_notes ? rep->notes[0].source : "",
                                 rep->n_notes ? rep->notes[0].message : "");
                assert_int_equal(stat_of(rep, "apk_skipped"), 1);
                report_free(rep);
        }
}

static void test_caps_and_layout(void **state)
{
        _cleanup_pkg_list_ pkg_list_t l = { 0 };
        report_t *rep = report_new("t", "/");
        buf_t b;
        (void)state;

        buf_init(&b, 16 * MiB);
        assert_int_equal(buf_append_str(&b, "\n\nP:a\nV:1-r0\nT:"), 0);
        for (size_t i = 0; i <= OSPKG_MAX_LINE_SIZE; i++)
                assert_int_equal(buf_append(&b, "x", 1), 0);
        /* CRLF values, no final newline. */
        assert_int_equal(buf_append_str(&b, "\n\n\nP:b\r\nV:2.0-r1\r\nA:x86_64\r\no:bsrc"), 0);
        assert_int_equal(apkdb_parse(b.data, b.len, "caps", &l, rep), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.v[0].name, "b");
        assert_string_equal(l.v[0].version, "2.0-r1");
        assert_string_equal(l.v[0].arch, "x86_64");
        assert_string_equal(l.v[0].source, "bsrc");
        assert_true(has_note(rep, "caps:5", "line is longer than the cap"));
        buf_free(&b);
        report_free(rep);

        assert_int_equal(apkdb_parse("", 0, "e", &l, NULL), 0);
        assert_int_equal(apkdb_parse("\n\n\n", 3, "e", &l, NULL), 0);
        assert_int_equal(l.n, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_root),
                cmocka_unit_test(test_usr_lib_location),
                cmocka_unit_test(test_corrupt_stanzas),
                cmocka_unit_test(test_caps_and_layout),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
