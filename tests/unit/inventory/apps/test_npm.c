/* Unit tests for inventory/apps/npm: lock files v1, v2 and v3 and a
 * node_modules tree written by npm 11 (tests/fixtures/apps/npm), hostile
 * variants, and `npm ls` itself as the oracle when npm is installed. */
#include "apps_test_util.h"

#include "core/rootfs.h"
#include "inventory/apps/apps.h"
#include "inventory/apps/npm.h"

/* What npm ls reports for the demo project (the alias my-lodash is
 * lodash 4.17.21). */
static const char demo_tree[] = "@babel/code-frame 7.12.13\n"
                                "@babel/helper-validator-identifier 7.29.7\n"
                                "@babel/highlight 7.25.9\n"
                                "ansi-regex 5.0.1\n"
                                "ansi-styles 3.2.1\n"
                                "chalk 2.4.2\n"
                                "color-convert 1.9.3\n"
                                "color-name 1.1.3\n"
                                "debug 2.6.9\n"
                                "emoji-regex 8.0.0\n"
                                "escape-string-regexp 1.0.5\n"
                                "has-flag 3.0.0\n"
                                "is-fullwidth-code-point 3.0.0\n"
                                "is-number 7.0.0\n"
                                "js-tokens 4.0.0\n"
                                "lodash 4.17.20\n"
                                "lodash 4.17.21\n"
                                "ms 2.0.0\n"
                                "ms 2.1.3\n"
                                "picocolors 1.1.1\n"
                                "string-width 4.2.0\n"
                                "strip-ansi 6.0.1\n"
                                "supports-color 5.5.0\n";

struct parsed {
        pkg_list_t pkgs;
        report_t *report;
        appnote_t notes;
        int r;
};

static void parse_lock_text(struct parsed *p, const char *text, size_t len)
{
        *p = (struct parsed){ 0 };
        p->report = report_new("test", "/");
        assert_non_null(p->report);
        appnote_init(&p->notes, p->report, 100);
        p->r = npm_parse_lock(text, len, "/app/package-lock.json", "/app/package.json", &p->pkgs,
                              &p->notes);
}

static void parse_lock_file(struct parsed *p, const char *rel)
{
        _cleanup_free_ char *fx = tu_fixtures(), *path = str_printf("%s/npm/%s", fx, rel);
        _cleanup_free_ char *data = NULL;
        size_t len;

        data = tu_read(path, &len);
        parse_lock_text(p, data, len);
}

static void parsed_done(struct parsed *p)
{
        pkg_list_clear(&p->pkgs);
        report_free(p->report);
}

/* npm ls on a copy of fixture DIR (lock only with LOCK); NULL without npm. */
static char *npm_oracle(const char *dir, bool lock)
{
        _cleanup_free_ char *fx = tu_fixtures(), *src = str_printf("%s/npm/%s/.", fx, dir);
        _cleanup_free_ char *oracle = str_printf("%s/oracle.py", fx);
        _cleanup_free_ char *tmp = tu_mkdtemp(), *out = str_printf("%s.txt", tmp);
        const char *cp[] = { "cp", "-r", src, tmp, NULL };
        const char *argv[] = { tu_python(), oracle, "npm-ls", tmp, lock ? "--lock" : NULL, NULL };
        char *text = NULL;
        int r;

        if (!tu_have("npm")) {
                tu_rmrf(tmp);
                return NULL;
        }
        assert_int_equal(tu_run(cp, NULL, NULL), 0);
        r = tu_run(argv, NULL, out);
        assert_int_equal(r, 0);
        text = tu_read(out, NULL);
        unlink(out);
        tu_rmrf(tmp);
        return text;
}

static void test_lock_versions_1_2_3(void **state)
{
        static const char *const dirs[] = { "lock-v1", "lock-v2", "lock-v3" };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *rel = str_printf("%s/package-lock.json", dirs[i]);
                _cleanup_free_ char *got = NULL, *oracle = NULL;
                struct parsed p;

                parse_lock_file(&p, rel);
                assert_int_equal(p.r, 0);
                got = tu_name_versions(&p.pkgs, PKG_NPM, NULL);
                if (strcmp(got, demo_tree) != 0)
                        fprintf(stderr, "%s:\n%s", dirs[i], got);
                assert_string_equal(got, demo_tree);
                assert_int_equal(p.pkgs.n, 23);
                for (size_t k = 0; k < p.pkgs.n; k++) {
                        assert_string_equal(p.pkgs.v[k].location, "/app/package-lock.json");
                        assert_string_equal(p.pkgs.v[k].manifest, "/app/package.json");
                }
                assert_int_equal(p.report->n_notes, 0);
                oracle = npm_oracle(dirs[i], true);
                if (oracle)
                        assert_string_equal(got, oracle);
                parsed_done(&p);
        }
}

static void test_workspace_and_links_are_not_components(void **state)
{
        _cleanup_free_ char *got = NULL, *oracle = NULL;
        struct parsed p;
        (void)state;

        parse_lock_file(&p, "workspace/package-lock.json");
        assert_int_equal(p.r, 0);
        got = tu_name_versions(&p.pkgs, PKG_NPM, NULL);
        assert_string_equal(got, "is-number 7.0.0\nms 2.1.2\n");
        oracle = npm_oracle("workspace", true);
        if (oracle)
                assert_string_equal(got, oracle);
        parsed_done(&p);
}

static void test_installed_tree_agrees_with_npm_ls(void **state)
{
        _cleanup_free_ char *fx = tu_fixtures(), *dir = str_printf("%s/npm/project", fx);
        _cleanup_free_ char *got = NULL, *oracle = NULL;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        strv_t roots = { 0 };
        pkg_list_t pkgs = { 0 };
        apps_opts_t o;
        report_t *r = report_new("test", "/");
        (void)state;

        assert_int_equal(rootfs_open(dir, &root), 0);
        assert_int_equal(strv_push(&roots, "/"), 0);
        apps_opts_default(&o);
        o.roots = &roots;
        assert_int_equal(apps_collect(root, &o, &pkgs, r), 0);
        got = tu_name_versions(&pkgs, PKG_NPM, NULL);
        assert_string_equal(got, demo_tree);
        /* The lock says the same; what is installed is reported. */
        for (size_t i = 0; i < pkgs.n; i++) {
                assert_non_null(strstr(pkgs.v[i].location, "/node_modules/"));
                assert_true(str_endswith(pkgs.v[i].location, "/package.json"));
                assert_non_null(pkgs.v[i].manifest);
                assert_true(str_endswith(pkgs.v[i].manifest, "npm/project/package.json"));
        }
        assert_non_null(tu_find(&pkgs, PKG_NPM, "ms", "2.0.0",
                                "/node_modules/debug/node_modules/ms/package.json"));
        assert_non_null(tu_find(&pkgs, PKG_NPM, "lodash", "4.17.21",
                                "/node_modules/my-lodash/package.json"));
        assert_non_null(tu_find(&pkgs, PKG_NPM, "@babel/highlight", "7.25.9",
                                "/node_modules/@babel/highlight/package.json"));
        assert_int_equal(r->n_notes, 0);
        oracle = npm_oracle("project", false);
        if (oracle)
                assert_string_equal(got, oracle);
        pkg_list_clear(&pkgs);
        strv_clear(&roots);
        report_free(r);
}

static void test_odd_v1(void **state)
{
        _cleanup_free_ char *got = NULL;
        struct parsed p;
        (void)state;

        parse_lock_file(&p, "odd-v1.json");
        assert_int_equal(p.r, 0);
        got = tu_name_versions(&p.pkgs, PKG_NPM, NULL);
        /* Git and file specs are not registry versions; the alias is
         * reported under the real (scoped) name. */
        assert_string_equal(got, "@types/node 18.11.9\n"
                                 "express 4.17.1\n"
                                 "left-pad 1.3.0\n"
                                 "qs 6.7.0\n"
                                 "side-channel 1.0.4\n");
        assert_true(tu_note(p.report, "/app/package-lock.json", "\"bad-alias\": alias without"));
        assert_true(tu_note(p.report, NULL, "\"no-version\" has no version"));
        assert_true(tu_note(p.report, NULL, "\"not-an-object\" is not an object"));
        assert_int_equal(p.report->n_notes, 3);
        parsed_done(&p);
}

static void test_odd_v3(void **state)
{
        _cleanup_free_ char *got = NULL;
        struct parsed p;
        (void)state;

        parse_lock_file(&p, "odd-v3.json");
        assert_int_equal(p.r, 0);
        got = tu_name_versions(&p.pkgs, PKG_NPM, NULL);
        assert_string_equal(got, "@scope/pkg 2.0.0-beta.1\n"
                                 "@types/node 18.11.9\n"
                                 "left-pad 1.3.0\n"
                                 "qs 6.7.0\n");
        assert_true(tu_note(p.report, NULL, "\"node_modules/no-version\" has no version"));
        assert_true(tu_note(p.report, NULL, "\"node_modules/not-an-object\" is not an object"));
        assert_int_equal(p.report->n_notes, 2);
        parsed_done(&p);
}

static void test_bad_files(void **state)
{
        static const struct {
                const char *text;
                int r;
                const char *note;
        } cases[] = {
                { "{", -EBADMSG, "not valid JSON" },
                { "[1, 2]", -EBADMSG, "not a JSON object" },
                { "\"just a string\"", -EBADMSG, "not valid JSON" },
                { "{\"packages\": {}, \"packages\": {}}", -EBADMSG, "duplicate" },
                { "{}", -EBADMSG, "not an npm lock file" },
                { "{\"lockfileVersion\": 3}", 0, NULL },
                { "{\"lockfileVersion\": 3, \"packages\": []}", 0, NULL },
                { "{\"packages\": {\"node_modules/a\": {\"version\": 1}}}", 0, "has no version" },
                { "{\"packages\": {\"node_modules/a\": {\"version\": \"1.0\\u0000x\"}}}", -EBADMSG,
                  "not valid JSON" },
                { "{\"packages\": {\"node_modules/\\u001b[2J\": {\"version\": \"1.0\"}}}", 0,
                  "name missing or not usable" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct parsed p;
                parse_lock_text(&p, cases[i].text, strlen(cases[i].text));
                assert_int_equal(p.r, cases[i].r);
                assert_int_equal(p.pkgs.n, 0);
                if (cases[i].note)
                        assert_true(tu_note(p.report, "/app/package-lock.json", cases[i].note));
                else
                        assert_int_equal(p.report->n_notes, 0);
                parsed_done(&p);
        }
}

static void test_deep_v1_nesting_is_capped(void **state)
{
        buf_t b;
        struct parsed p;
        (void)state;

        buf_init(&b, 1 * MiB);
        assert_int_equal(buf_append_str(&b, "{\"lockfileVersion\": 1, \"dependencies\": "), 0);
        for (int i = 0; i < 200; i++)
                assert_int_equal(buf_printf(&b,
                                            "{\"p%d\": {\"version\": \"1.0.%d\", "
                                            "\"dependencies\": ",
                                            i, i),
                                 0);
        assert_int_equal(buf_append_str(&b, "{}"), 0);
        for (int i = 0; i < 200; i++)
                assert_int_equal(buf_append_str(&b, "}}"), 0);
        assert_int_equal(buf_append_str(&b, "}"), 0);
        parse_lock_text(&p, b.data, b.len);
        assert_int_equal(p.r, 0);
        assert_int_equal(p.pkgs.n, 65);
        assert_true(tu_note(p.report, NULL, "nested deeper than 64 levels"));
        parsed_done(&p);
        buf_free(&b);
}

static void test_package_json(void **state)
{
        static const struct {
                const char *text, *fallback, *name, *version;
                int r;
                const char *note;
        } cases[] = {
                { "{\"name\": \"@scope/x\", \"version\": \"1.2.3\", \"private\": true}", "y",
                  "@scope/x", "1.2.3", 0, NULL },
                { "{\"version\": \"0.1.0\"}", "from-folder", "from-folder", "0.1.0", 0, NULL },
                { "{\"version\": \"0.1.0\"}", NULL, NULL, NULL, 0, "name missing" },
                { "{\"name\": \"x\"}", NULL, NULL, NULL, -EBADMSG, "has no version" },
                { "{\"name\": \"x\", \"version\": \"file:../x\"}", NULL, NULL, NULL, 0, NULL },
                { "{\"name\": 5, \"version\": \"1.0.0\"}", "z", "z", "1.0.0", 0, NULL },
                { "[]", NULL, NULL, NULL, -EBADMSG, "not a JSON object" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                report_t *r = report_new("test", "/");
                pkg_list_t l = { 0 };
                appnote_t n;

                appnote_init(&n, r, 10);
                assert_int_equal(npm_parse_package(cases[i].text, strlen(cases[i].text),
                                                   "/a/node_modules/x/package.json", NULL,
                                                   cases[i].fallback, &l, &n),
                                 cases[i].r);
                if (cases[i].name) {
                        assert_int_equal(l.n, 1);
                        assert_string_equal(l.v[0].name, cases[i].name);
                        assert_string_equal(l.v[0].version, cases[i].version);
                        assert_string_equal(l.v[0].location, "/a/node_modules/x/package.json");
                        assert_null(l.v[0].manifest);
                } else
                        assert_int_equal(l.n, 0);
                if (cases[i].note)
                        assert_true(tu_note(r, NULL, cases[i].note));
                else
                        assert_int_equal(r->n_notes, 0);
                pkg_list_clear(&l);
                report_free(r);
        }
}

static void test_long_name_is_refused(void **state)
{
        _cleanup_free_ char *json = NULL;
        char name[216];
        report_t *r = report_new("test", "/");
        pkg_list_t l = { 0 };
        appnote_t n;
        (void)state;

        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = 0;
        json = str_printf("{\"name\": \"%s\", \"version\": \"1.0.0\"}", name);
        appnote_init(&n, r, 10);
        assert_int_equal(npm_parse_package(json, strlen(json), "/p", NULL, NULL, &l, &n), 0);
        assert_int_equal(l.n, 0);
        assert_true(tu_note(r, "/p", "name missing or not usable"));
        name[214] = 0;
        free(json);
        json = str_printf("{\"name\": \"%s\", \"version\": \"1.0.0\"}", name);
        assert_int_equal(npm_parse_package(json, strlen(json), "/p", NULL, NULL, &l, &n), 0);
        assert_int_equal(l.n, 1);
        pkg_list_clear(&l);
        report_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lock_versions_1_2_3),
                cmocka_unit_test(test_workspace_and_links_are_not_components),
                cmocka_unit_test(test_installed_tree_agrees_with_npm_ls),
                cmocka_unit_test(test_odd_v1),
                cmocka_unit_test(test_odd_v3),
                cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_deep_v1_nesting_is_capped),
                cmocka_unit_test(test_package_json),
                cmocka_unit_test(test_long_name_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
