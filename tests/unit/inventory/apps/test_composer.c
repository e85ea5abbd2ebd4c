/* Unit tests for inventory/apps/composer: a composer.lock and a Composer 2
 * installed.json written by Composer 2.5 (tests/fixtures/apps/composer/shop),
 * a Composer 1 installed.json, bad files, and `composer show` as the oracle
 * when Composer is installed. */
#include "apps_test_util.h"

#include "inventory/apps/composer.h"

static const char shop[] = "guzzlehttp/guzzle 7.4.1\n"
                           "laravel/framework v8.83.0\n"
                           "monolog/monolog 2.3.5\n"
                           "phpunit/phpunit 9.5.13\n"
                           "symfony/http-foundation v5.4.2\n";

typedef int (*parse_fn)(const char *, size_t, const char *, const char *, pkg_list_t *,
                        appnote_t *);

static int parse_file(parse_fn fn, const char *rel, pkg_list_t *l, report_t *r)
{
        _cleanup_free_ char *fx = tu_fixtures(), *path = str_printf("%s/composer/%s", fx, rel);
        _cleanup_free_ char *data = NULL;
        appnote_t n;
        size_t len;

        data = tu_read(path, &len);
        appnote_init(&n, r, 10);
        return fn(data, len, "/srv/shop/composer.lock", "/srv/shop/composer.json", l, &n);
}

static void test_lock_and_installed(void **state)
{
        static const struct {
                parse_fn fn;
                const char *rel;
        } cases[] = {
                { composer_parse_lock, "shop/composer.lock" },
                { composer_parse_installed, "shop/vendor/composer/installed.json" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *got = NULL;
                report_t *r = report_new("test", "/");
                pkg_list_t l = { 0 };

                assert_int_equal(parse_file(cases[i].fn, cases[i].rel, &l, r), 0);
                got = tu_name_versions(&l, PKG_COMPOSER, NULL);
                /* Versions stay as written: "v8.83.0", not "8.83.0". */
                assert_string_equal(got, shop);
                for (size_t k = 0; k < l.n; k++) {
                        assert_string_equal(l.v[k].location, "/srv/shop/composer.lock");
                        assert_string_equal(l.v[k].manifest, "/srv/shop/composer.json");
                }
                assert_int_equal(r->n_notes, 0);
                pkg_list_clear(&l);
                report_free(r);
        }
}

static void test_composer_1_installed(void **state)
{
        _cleanup_free_ char *got = NULL;
        report_t *r = report_new("test", "/");
        pkg_list_t l = { 0 };
        (void)state;

        assert_int_equal(parse_file(composer_parse_installed, "installed-v1.json", &l, r), 0);
        got = tu_name_versions(&l, PKG_COMPOSER, NULL);
        assert_string_equal(got, "symfony/polyfill-mbstring v1.20.0\ntwig/twig v2.14.1\n");
        assert_true(tu_note(r, NULL, "packages[2] has no usable name or version"));
        assert_true(tu_note(r, NULL, "packages[3] is not an object"));
        pkg_list_clear(&l);
        report_free(r);
}

static void test_bad_files(void **state)
{
        static const struct {
                parse_fn fn;
                const char *text;
                int r;
                size_t n;
                const char *note;
        } cases[] = {
                { composer_parse_lock, "{", -EBADMSG, 0, "not valid JSON" },
                { composer_parse_lock, "[]", -EBADMSG, 0, "not a composer.lock" },
                { composer_parse_lock, "{\"content-hash\": \"x\"}", -EBADMSG, 0,
                  "not a composer.lock" },
                { composer_parse_lock, "{\"packages\": {}}", -EBADMSG, 0, "not a composer.lock" },
                { composer_parse_lock,
                  "{\"packages-dev\": [{\"name\": \"a/b\", \"version\": \"1.0\"}]}", 0, 1, NULL },
                { composer_parse_lock,
                  "{\"packages\": [{\"name\": \"a/b\", \"version\": \"1.0\"}], "
                  "\"packages-dev\": 5}",
                  0, 1, NULL },
                { composer_parse_lock, "{\"packages\": [{\"name\": \"a/b\", \"version\": 1}]}", 0,
                  0, "no usable name or version" },
                { composer_parse_installed, "{\"dev\": true}", -EBADMSG, 0,
                  "not a Composer installed.json" },
                { composer_parse_installed, "\"x\"", -EBADMSG, 0, "not valid JSON" },
                { composer_parse_installed, "[{\"name\": \"a/b\", \"version\": \"dev-main\"}]", 0,
                  1, NULL },
                { composer_parse_installed,
                  "{\"packages\": [{\"name\": \"a/\\u001bb\", \"version\": \"1\"}]}", 0, 0,
                  "no usable name or version" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                report_t *r = report_new("test", "/");
                pkg_list_t l = { 0 };
                appnote_t n;

                appnote_init(&n, r, 10);
                assert_int_equal(
                        cases[i].fn(cases[i].text, strlen(cases[i].text), "/x.json", NULL, &l, &n),
                        cases[i].r);
                assert_int_equal(l.n, cases[i].n);
                if (cases[i].note)
                        assert_true(tu_note(r, "/x.json", cases[i].note));
                else
                        assert_int_equal(r->n_notes, 0);
                pkg_list_clear(&l);
                report_free(r);
        }
}

static void test_composer_show_agrees(void **state)
{
        _cleanup_free_ char *fx = tu_fixtures(), *src = str_printf("%s/composer/shop/.", fx);
        _cleanup_free_ char *oracle = str_printf("%s/oracle.py", fx);
        _cleanup_free_ char *tmp = tu_mkdtemp(), *out = str_printf("%s.txt", tmp);
        _cleanup_free_ char *expected = NULL, *got = NULL, *locked = NULL, *installed = NULL;
        const char *cp[] = { "cp", "-r", src, tmp, NULL };
        const char *argv[] = { tu_python(), oracle, "composer", tmp, NULL };
        report_t *r = report_new("test", "/");
        pkg_list_t lock = { 0 }, inst = { 0 };
        (void)state;

        if (!tu_have("composer")) {
                tu_rmrf(tmp);
                report_free(r);
                skip();
        }
        assert_int_equal(tu_run(cp, NULL, NULL), 0);
        assert_int_equal(tu_run(argv, NULL, out), 0);
        expected = tu_read(out, NULL);
        assert_int_equal(parse_file(composer_parse_lock, "shop/composer.lock", &lock, r), 0);
        assert_int_equal(parse_file(composer_parse_installed, "shop/vendor/composer/installed.json",
                                    &inst, r),
                         0);
        installed = tu_name_versions(&inst, PKG_COMPOSER, "installed ");
        locked = tu_name_versions(&lock, PKG_COMPOSER, "locked ");
        got = str_printf("%s%s", installed, locked);
        assert_string_equal(got, expected);
        pkg_list_clear(&lock);
        pkg_list_clear(&inst);
        report_free(r);
        unlink(out);
        tu_rmrf(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lock_and_installed),
                cmocka_unit_test(test_composer_1_installed),
                cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_composer_show_agrees),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
