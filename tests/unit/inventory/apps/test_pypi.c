/* Unit tests for inventory/apps/pypi: METADATA and PKG-INFO parsing, PEP
 * 503 names, and an oracle test: the *.dist-info and *.egg-info of this
 * machine's Python (copied, with hand-made odd ones) read by the walker and
 * by Python's own importlib.metadata must give the same packages. */
#include "apps_test_util.h"

#include "core/rootfs.h"
#include "inventory/apps/apps.h"
#include "inventory/apps/pypi.h"

static int parse(const char *text, pkg_list_t *l, report_t *r)
{
        appnote_t n;

        appnote_init(&n, r, 10);
        return pypi_parse_metadata(text, strlen(text), "/sp/x.dist-info/METADATA", "/sp", l, &n);
}

static void test_metadata_headers(void **state)
{
        static const struct {
                const char *text, *name, *version;
        } cases[] = {
                { "Metadata-Version: 2.1\nName: Django\nVersion: 3.2.12\n\nName: body\n", "django",
                  "3.2.12" },
                { "Metadata-Version: 2.1\r\nName: Zope.Interface\r\nVersion: 5.4.0\r\n",
                  "zope-interface", "5.4.0" },
                { "name:   ruamel.yaml.clib  \nVERSION:0.2.6", "ruamel-yaml-clib", "0.2.6" },
                { "Summary: a\n  continued: line\nName: a__b\nVersion: 1!2.0.post1\n", "a-b",
                  "1!2.0.post1" },
                /* The first header wins, as email.message does. */
                { "Name: first\nName: second\nVersion: 1\nVersion: 2\n", "first", "1" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                report_t *r = report_new("test", "/");
                pkg_list_t l = { 0 };

                assert_int_equal(parse(cases[i].text, &l, r), 0);
                assert_int_equal(l.n, 1);
                assert_int_equal(l.v[0].kind, PKG_PYPI);
                assert_string_equal(l.v[0].name, cases[i].name);
                assert_string_equal(l.v[0].version, cases[i].version);
                assert_string_equal(l.v[0].location, "/sp/x.dist-info/METADATA");
                assert_string_equal(l.v[0].manifest, "/sp");
                assert_int_equal(r->n_notes, 0);
                pkg_list_clear(&l);
                report_free(r);
        }
}

static void test_metadata_without_name_or_version(void **state)
{
        static const struct {
                const char *text, *note;
        } cases[] = {
                { "Name: x\n", "no usable Version" },
                { "Version: 1\n", "no usable Name" },
                { "Name: x\n\nVersion: 1\n", "no usable Version" },
                /* A line that is not a header ends the headers. */
                { "Name: x\nnot a header\nVersion: 1\n", "no usable Version" },
                { "Name: \nVersion: 1\n", "no usable Name" },
                { "Name: a\x1b[2Jb\nVersion: 1\n", "no usable Name" },
                { "", "no usable Name" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                report_t *r = report_new("test", "/");
                pkg_list_t l = { 0 };

                assert_int_equal(parse(cases[i].text, &l, r), -EBADMSG);
                assert_int_equal(l.n, 0);
                assert_true(tu_note(r, "/sp/x.dist-info/METADATA", cases[i].note));
                pkg_list_clear(&l);
                report_free(r);
        }
}

static void test_normalize_name(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "Foo.Bar__baz--Qux", "foo-bar-baz-qux" },   { "A", "a" }, { "-._x_.-", "-x-" },
                { "typing_extensions", "typing-extensions" }, { "", "" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *n = pypi_normalize_name(cases[i].in, strlen(cases[i].in));
                assert_non_null(n);
                assert_string_equal(n, cases[i].out);
                free(n);
        }
}

static void test_importlib_agrees_on_this_machines_packages(void **state)
{
        _cleanup_free_ char *fx = tu_fixtures(), *oracle = str_printf("%s/oracle.py", fx);
        _cleanup_free_ char *hand = str_printf("%s/python/site-packages", fx);
        _cleanup_free_ char *tmp = tu_mkdtemp(), *sp = str_printf("%s/site-packages", tmp);
        _cleanup_free_ char *out = str_printf("%s/oracle.txt", tmp);
        _cleanup_free_ char *expected = NULL, *got = NULL;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        const char *argv[] = { tu_python(),
                               oracle,
                               "pypi-copy",
                               sp,
                               "/usr/lib/python3/dist-packages",
                               "/usr/local/lib/python3.11/dist-packages",
                               hand,
                               NULL };
        report_t *r = report_new("test", "/");
        strv_t roots = { 0 };
        pkg_list_t pkgs = { 0 };
        apps_opts_t o;
        const pkg_t *p;
        (void)state;

        assert_int_equal(tu_run(argv, NULL, out), 0);
        expected = tu_read(out, NULL);
        assert_int_equal(rootfs_open(tmp, &root), 0);
        assert_int_equal(strv_push(&roots, "/site-packages"), 0);
        apps_opts_default(&o);
        o.roots = &roots;
        assert_int_equal(apps_collect(root, &o, &pkgs, r), 0);
        got = tu_name_versions(&pkgs, PKG_PYPI, NULL);
        if (strcmp(got, expected) != 0)
                tu_dump(&pkgs, r);
        assert_string_equal(got, expected);
        fprintf(stderr, "# %zu distributions agree with importlib.metadata\n", pkgs.n);

        /* The hand-made ones: each form, and the broken one noted. */
        p = tu_find(&pkgs, PKG_PYPI, "django", "3.2.12", "/Django-3.2.12.dist-info/METADATA");
        assert_non_null(p);
        assert_true(str_endswith(p->manifest, "/site-packages"));
        assert_non_null(tu_find(&pkgs, PKG_PYPI, "zope-interface", "5.4.0", NULL));
        assert_non_null(tu_find(&pkgs, PKG_PYPI, "pillow", "9.0.0",
                                "/Pillow-9.0.0-py3.11.egg-info/PKG-INFO"));
        assert_non_null(
                tu_find(&pkgs, PKG_PYPI, "requests", "2.25.1", "/requests-2.25.1-py3.9.egg-info"));
        assert_true(tu_note(r, "broken-1.0.dist-info/METADATA", "no usable Version"));
        assert_null(tu_find(&pkgs, PKG_PYPI, "broken", NULL, NULL));
        pkg_list_clear(&pkgs);
        strv_clear(&roots);
        report_free(r);
        tu_rmrf(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_metadata_headers),
                cmocka_unit_test(test_metadata_without_name_or_version),
                cmocka_unit_test(test_normalize_name),
                cmocka_unit_test(test_importlib_agrees_on_this_machines_packages),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
