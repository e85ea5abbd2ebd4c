/* Unit tests for inventory/apps/apps: the walker over a real tree built at
 * test time (Java archives from mkjars.py, the npm, Composer and Python
 * fixtures, pnpm's layout, a .git folder, symlinks and a FIFO), seen through
 * a rootfs as a mounted image would be: what is read, what is skipped, how
 * duplicates within a project are merged, manifests, caps and counters. */
#include "apps_test_util.h"

#include <sys/stat.h>

#include "core/rootfs.h"
#include "inventory/apps/apps.h"

static char *tree; /* the image root */

static void put(const char *rel, const char *text)
{
        _cleanup_free_ char *path = str_printf("%s%s", tree, rel);
        _cleanup_free_ char *dir = strdup(path);

        *strrchr(dir, '/') = 0;
        tu_mkdirs(dir);
        tu_write(path, text);
}

static void copy(const char *fixture, const char *rel)
{
        _cleanup_free_ char *fx = tu_fixtures(), *src = str_printf("%s/%s/.", fx, fixture);
        _cleanup_free_ char *dst = str_printf("%s%s", tree, rel);
        const char *cp[] = { "cp", "-r", src, dst, NULL };

        tu_mkdirs(dst);
        assert_int_equal(tu_run(cp, NULL, NULL), 0);
}

static void link_at(const char *target, const char *rel)
{
        _cleanup_free_ char *path = str_printf("%s%s", tree, rel);
        assert_int_equal(symlink(target, path), 0);
}

static int group_setup(void **state)
{
        _cleanup_free_ char *fx = tu_fixtures(), *script = str_printf("%s/mkjars.py", fx);
        _cleanup_free_ char *java = NULL, *data = NULL, *git = NULL, *fifo = NULL;
        const char *argv[] = { tu_python(),      script,        NULL,         "app.war",
                               "app.ear",        "deep.jar",    "notzip.jar", "truncated.jar",
                               "secret-1.0.jar", "fat-2.0.jar", NULL };
        const char *bomb[] = { tu_python(), script, NULL, "liar.war", NULL };
        (void)state;

        tree = tu_mkdtemp();
        java = str_printf("%s/opt/java", tree);
        tu_mkdirs(java);
        argv[2] = java;
        if (tu_run(argv, NULL, NULL) != 0)
                return -1;
        /* Outside the default roots, to keep the default walk quick. */
        data = str_printf("%s/data", tree);
        tu_mkdirs(data);
        bomb[2] = data;
        if (tu_run(bomb, NULL, NULL) != 0)
                return -1;
        copy("npm/project", "/srv/web");
        copy("composer/shop", "/srv/php");
        copy("python/site-packages", "/usr/local/lib/python3.11/dist-packages");
        /* A lock file alone, without composer.json next to it. */
        copy("composer/shop", "/var/www/html");
        {
                _cleanup_free_ char *cj = str_printf("%s/var/www/html/composer.json", tree);
                _cleanup_free_ char *v = str_printf("%s/var/www/html/vendor", tree);
                unlink(cj);
                tu_rmrf(v);
        }
        /* pnpm: the store and a symlink to it. */
        put("/home/u/proj/package.json", "{\"name\": \"proj\", \"version\": \"0.0.1\"}\n");
        put("/home/u/proj/node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad/package.json",
            "{\"name\": \"left-pad\", \"version\": \"1.3.0\"}\n");
        link_at(".pnpm/left-pad@1.3.0/node_modules/left-pad", "/home/u/proj/node_modules/left-pad");
        put("/home/u/proj/node_modules/.pnpm/lock.yaml", "lockfileVersion: '6.0'\n");
        /* Inside a package only its package.json and node_modules count. */
        put("/home/u/proj/node_modules/foo/package.json",
            "{\"name\": \"foo\", \"version\": \"1.0.0\"}\n");
        put("/home/u/proj/node_modules/foo/lib/package.json",
            "{\"name\": \"not-a-package\", \"version\": \"9.9.9\"}\n");
        put("/home/u/proj/node_modules/foo/package-lock.json",
            "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/nope\": {\"version\": "
            "\"1.0.0\"}}}\n");
        put("/home/u/proj/node_modules/@s/bar/package.json",
            "{\"name\": \"@s/bar\", \"version\": \"2.0.0\"}\n");
        put("/home/u/proj/node_modules/bad/package.json", "{\"name\": \"bad\"");
        /* Version control internals are not read. */
        git = str_printf("%s/home/u/proj/.git/objects", tree);
        tu_mkdirs(git);
        link_at("../../../../../opt/java/app.war", "/home/u/proj/.git/objects/x.jar");
        put("/home/u/proj/.git/objects/pkg/composer.lock",
            "{\"packages\": [{\"name\": \"git/hidden\", \"version\": \"1.0\"}]}");
        /* Symlinks and special files are never followed or opened. */
        link_at("/opt/java/app.war", "/srv/link.jar");
        link_at("/opt", "/srv/optlink");
        fifo = str_printf("%s/srv/fifo.jar", tree);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        /* A metadata file that cannot be read (the tests run as root, to
         * whom permissions mean nothing, so a FIFO stands in). */
        free(fifo);
        fifo = str_printf("%s/usr/local/lib/python3.11/dist-packages/fifo-1.0.dist-info", tree);
        tu_mkdirs(fifo);
        free(fifo);
        fifo = str_printf("%s/usr/local/lib/python3.11/dist-packages/fifo-1.0.dist-info/METADATA",
                          tree);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        tu_rmrf(tree);
        free(tree);
        return 0;
}

struct run {
        rootfs_t *root;
        strv_t roots;
        apps_opts_t opts;
        pkg_list_t pkgs;
        report_t *report;
};

static void run_init(struct run *r, const char *const *roots)
{
        *r = (struct run){ 0 };
        assert_int_equal(rootfs_open(tree, &r->root), 0);
        for (; roots && *roots; roots++)
                assert_int_equal(strv_push(&r->roots, *roots), 0);
        apps_opts_default(&r->opts);
        r->opts.roots = roots ? &r->roots : NULL;
        r->report = report_new("test", tree);
        assert_non_null(r->report);
}

static void run_go(struct run *r)
{
        assert_int_equal(apps_collect(r->root, &r->opts, &r->pkgs, r->report), 0);
}

static void run_done(struct run *r)
{
        pkg_list_clear(&r->pkgs);
        strv_clear(&r->roots);
        report_free(r->report);
        rootfs_free(r->root);
}

static long long stat_of(const struct run *r, const char *name)
{
        json_t *v = json_object_get(json_object_get(r->report->stats, "inventory"), name);
        return v ? json_integer_value(v) : -1;
}

/* The display path of REL in the tree. Caller frees. */
static char *disp(const char *rel)
{
        char *s = str_printf("%s%s", tree, rel);
        assert_non_null(s);
        return s;
}

static void test_apps_opts_default(void **state)
{
        apps_opts_t o;
        size_t n = 0;
        (void)state;

        apps_opts_default(&o);
        assert_null(o.roots);
        assert_int_equal(o.max_depth, 12);
        assert_true(o.max_file_size == 512ULL * 1024 * 1024);
        assert_int_equal(o.max_archive_depth, 4);
        assert_true(o.max_inflated == 1ULL << 30);
        assert_int_equal(o.max_files, 2000000);
        assert_null(o.progress);
        while (apps_default_roots[n])
                n++;
        assert_int_equal(n, 6);
        assert_string_equal(apps_default_roots[0], "/opt");
}

static void test_everything_under_the_default_roots(void **state)
{
        _cleanup_free_ char *web_manifest = disp("/srv/web/package.json");
        _cleanup_free_ char *php_manifest = disp("/srv/php/composer.json");
        _cleanup_free_ char *site = disp("/usr/local/lib/python3.11/dist-packages");
        _cleanup_free_ char *war = disp("/opt/java/app.war");
        const pkg_t *p;
        struct run r;
        (void)state;

        run_init(&r, NULL); /* NULL roots: the default ones */
        run_go(&r);

        /* Java, with the archive chain. */
        p = tu_find(&r.pkgs, PKG_MAVEN, "org.apache.logging.log4j:log4j-core", "2.14.1", NULL);
        assert_non_null(p);
        assert_true(str_startswith(p->location, war));
        assert_true(str_endswith(p->manifest, "app.war!/WEB-INF/lib/log4j-core-2.14.1.jar"));
        assert_non_null(
                tu_find(&r.pkgs, PKG_MAVEN, "org.apache.struts:struts2-core", "2.5.30", NULL));
        /* Hostile archives were noted, not fatal. */
        assert_true(tu_note(r.report, "/opt/java/notzip.jar", "not a readable zip"));
        assert_true(tu_note(r.report, "/opt/java/deep.jar", "deeper than 4"));

        /* npm: the lock and node_modules of /srv/web agree; each package is
         * reported once, from node_modules. */
        assert_int_equal(tu_count(&r.pkgs, PKG_NPM, "ms"), 2);
        p = tu_find(&r.pkgs, PKG_NPM, "ms", "2.0.0", NULL);
        assert_non_null(p);
        assert_true(str_endswith(p->location, "/srv/web/node_modules/debug/node_modules/ms/"
                                              "package.json"));
        assert_string_equal(p->manifest, web_manifest);
        for (size_t i = 0; i < r.pkgs.n; i++)
                if (r.pkgs.v[i].kind == PKG_NPM)
                        assert_null(strstr(r.pkgs.v[i].location, "package-lock.json"));
        /* pnpm's store, scopes; not a sub-folder package.json, not a lock
         * inside node_modules, not what .git holds. */
        p = tu_find(&r.pkgs, PKG_NPM, "left-pad", "1.3.0", NULL);
        assert_non_null(p);
        assert_true(str_endswith(p->manifest, "/home/u/proj/package.json"));
        assert_int_equal(tu_count(&r.pkgs, PKG_NPM, "left-pad"), 1);
        assert_non_null(tu_find(&r.pkgs, PKG_NPM, "@s/bar", "2.0.0", NULL));
        assert_non_null(tu_find(&r.pkgs, PKG_NPM, "foo", "1.0.0", NULL));
        assert_null(tu_find(&r.pkgs, PKG_NPM, "not-a-package", NULL, NULL));
        assert_null(tu_find(&r.pkgs, PKG_NPM, "nope", NULL, NULL));
        assert_true(
                tu_note(r.report, "/home/u/proj/node_modules/bad/package.json", "not valid JSON"));
        assert_null(tu_find(&r.pkgs, PKG_COMPOSER, "git/hidden", NULL, NULL));
        for (size_t i = 0; i < r.pkgs.n; i++) {
                assert_null(strstr(r.pkgs.v[i].location, "/.git/"));
                assert_null(strstr(r.pkgs.v[i].location, "/srv/link.jar"));
                assert_null(strstr(r.pkgs.v[i].location, "/srv/optlink"));
        }

        /* Composer: installed.json wins over the lock in one project; a lock
         * alone has no composer.json to name. */
        p = tu_find(&r.pkgs, PKG_COMPOSER, "laravel/framework", "v8.83.0",
                    "/srv/php/vendor/composer/installed.json");
        assert_non_null(p);
        assert_string_equal(p->manifest, php_manifest);
        assert_int_equal(tu_count(&r.pkgs, PKG_COMPOSER, "laravel/framework"), 2);
        p = tu_find(&r.pkgs, PKG_COMPOSER, "laravel/framework", "v8.83.0",
                    "/var/www/html/composer.lock");
        assert_non_null(p);
        assert_null(p->manifest);

        /* Python under /usr/local. */
        p = tu_find(&r.pkgs, PKG_PYPI, "django", "3.2.12", NULL);
        assert_non_null(p);
        assert_string_equal(p->manifest, site);
        assert_true(tu_note(r.report, "fifo-1.0.dist-info/METADATA", "cannot read"));
        assert_false(tu_note(r.report, "fifo.jar", NULL));

        /* Sorted by location; counters match. */
        for (size_t i = 1; i < r.pkgs.n; i++)
                assert_true(strcmp(r.pkgs.v[i - 1].location, r.pkgs.v[i].location) <= 0);
        assert_int_equal(stat_of(&r, "apps_components"), (long long)r.pkgs.n);
        assert_true(stat_of(&r, "apps_duplicates") >= 23 + 5);
        assert_true(stat_of(&r, "apps_files_seen") > 50);
        assert_true(stat_of(&r, "apps_files_read") > 30);
        assert_true(stat_of(&r, "apps_archives") >= 15);
        assert_true(stat_of(&r, "apps_archives_bad") >= 4);
        assert_true(stat_of(&r, "apps_files_bad") >= 1);
        assert_int_equal(stat_of(&r, "apps_files_skipped"), 1);
        assert_int_equal(stat_of(&r, "apps_roots_truncated"), 0);
        run_done(&r);
}

static void test_roots_missing_and_out_list_kept(void **state)
{
        static const char *const roots[] = { "/nonexistent", "/srv/php/composer.json", "/srv/php",
                                             NULL };
        struct run r;
        (void)state;

        run_init(&r, roots);
        assert_int_equal(pkg_list_add(&r.pkgs, PKG_DPKG, "bash", NULL, "5.2", NULL, NULL,
                                      "/var/lib/dpkg/status", NULL),
                         0);
        run_go(&r);
        assert_string_equal(r.pkgs.v[0].name, "bash");
        assert_int_equal(r.pkgs.n, 1 + 5);
        assert_int_equal(r.report->n_notes, 0);
        run_done(&r);
}

static void test_file_size_cap(void **state)
{
        static const char *const roots[] = { "/opt", NULL };
        struct run r;
        (void)state;

        /* app.war is 2.9 KB and truncated.jar 36 KB; the others are
         * smaller. */
        run_init(&r, roots);
        r.opts.max_file_size = 2500;
        run_go(&r);
        assert_true(tu_note(r.report, "/opt/java/app.war", "larger than 2500"));
        assert_int_equal(stat_of(&r, "apps_files_skipped"), 2);
        assert_null(tu_find(&r.pkgs, PKG_MAVEN, "org.apache.logging.log4j:log4j-core", NULL, NULL));
        assert_non_null(tu_find(&r.pkgs, PKG_MAVEN, "org.example:level1", NULL, NULL));
        run_done(&r);
}

static void test_archive_options_reach_the_reader(void **state)
{
        static const char *const opt[] = { "/opt", NULL }, *const data[] = { "/data", NULL };
        struct run r;
        (void)state;

        run_init(&r, opt);
        r.opts.max_archive_depth = 2;
        run_go(&r);
        assert_non_null(tu_find(&r.pkgs, PKG_MAVEN, "org.example:level2", NULL, NULL));
        assert_null(tu_find(&r.pkgs, PKG_MAVEN, "org.example:level3", NULL, NULL));
        assert_true(tu_note(r.report, "/opt/java/deep.jar", "deeper than 2 levels"));
        run_done(&r);

        run_init(&r, data);
        r.opts.max_inflated = 16 * MiB;
        run_go(&r);
        assert_true(tu_note(r.report, "/data/liar.war!/WEB-INF/lib/zeros.jar",
                            "more than 16777216 bytes inflated"));
        assert_true(stat_of(&r, "apps_inflated_bytes") <= (long long)(16 * MiB + 1));
        assert_non_null(tu_find(&r.pkgs, PKG_MAVEN, "org.example:liar", "1.0", NULL));
        run_done(&r);
}

static void test_entry_cap_and_depth(void **state)
{
        static const char *const roots[] = { "/srv", NULL };
        struct run r;
        (void)state;

        run_init(&r, roots);
        r.opts.max_files = 10;
        run_go(&r);
        assert_true(tu_note(r.report, "/srv", "walk stopped after 10 entries"));
        assert_int_equal(stat_of(&r, "apps_roots_truncated"), 1);
        run_done(&r);

        /* Entries down to depth MAX_DEPTH - 1 below /srv are seen:
         * web/package-lock.json is at depth 1, web/node_modules/x/package.json
         * at 3, and debug's own node_modules/ms/package.json at 5. The lock
         * stands in for what the walk did not reach. */
        run_init(&r, roots);
        r.opts.max_depth = 3;
        run_go(&r);
        assert_non_null(
                tu_find(&r.pkgs, PKG_NPM, "lodash", "4.17.20", "/srv/web/package-lock.json"));
        assert_int_equal(tu_count(&r.pkgs, PKG_NPM, NULL), 23);
        run_done(&r);
        run_init(&r, roots);
        r.opts.max_depth = 4;
        run_go(&r);
        assert_non_null(tu_find(&r.pkgs, PKG_NPM, "lodash", "4.17.20",
                                "/srv/web/node_modules/lodash/package.json"));
        assert_non_null(tu_find(&r.pkgs, PKG_NPM, "ms", "2.0.0", "/srv/web/package-lock.json"));
        assert_int_equal(tu_count(&r.pkgs, PKG_NPM, NULL), 23);
        run_done(&r);
}

static void test_host_root_paths(void **state)
{
        _cleanup_free_ char *java = str_printf("%s/opt/java", tree);
        _cleanup_rootfs_ rootfs_t *host = NULL;
        strv_t roots = { 0 };
        pkg_list_t pkgs = { 0 };
        apps_opts_t o;
        const pkg_t *p;
        (void)state;

        /* On the running host, locations are plain absolute paths. */
        assert_int_equal(rootfs_open("/", &host), 0);
        assert_int_equal(strv_push(&roots, java), 0);
        apps_opts_default(&o);
        o.roots = &roots;
        assert_int_equal(apps_collect(host, &o, &pkgs, NULL), 0);
        p = tu_find(&pkgs, PKG_MAVEN, "com.example:shop", "1.0.0", NULL);
        assert_non_null(p);
        assert_true(str_startswith(p->location, java));
        assert_true(str_endswith(p->location, "/app.war!/META-INF/maven/com.example/shop/"
                                              "pom.properties"));
        pkg_list_clear(&pkgs);
        strv_clear(&roots);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_apps_opts_default),
                cmocka_unit_test(test_everything_under_the_default_roots),
                cmocka_unit_test(test_roots_missing_and_out_list_kept),
                cmocka_unit_test(test_file_size_cap),
                cmocka_unit_test(test_archive_options_reach_the_reader),
                cmocka_unit_test(test_entry_cap_and_depth),
                cmocka_unit_test(test_host_root_paths),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
