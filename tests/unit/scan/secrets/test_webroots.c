/* Unit tests for scan/secrets/webroots: nginx and Apache configuration in a
 * scanned root (includes with wildcards, relative paths, variables, quotes,
 * comments, include loops, symlinked roots). */
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

#include "core/rootfs.h"
#include "scan/secrets/webroots.h"

static char tmpl[] = "/tmp/vigil-webroots-XXXXXX";
static char *top;

static void put(const char *rel, const char *content)
{
        char p[512], cmd[600];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
        assert_int_equal(system(cmd), 0);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static int setup(void **state)
{
        char p[512];
        (void)state;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        put("etc/nginx/nginx.conf", "user www-data;\n"
                                    "http {\n"
                                    "  # root /commented/out;\n"
                                    "  include /etc/nginx/conf.d/*.conf;\n"
                                    "  include sites-enabled/*;\n"
                                    "  include /etc/nginx/nginx.conf; # a loop, read once\n"
                                    "}\n");
        put("etc/nginx/conf.d/app.conf",
            "server {\n  listen 80;\n  root /srv/app/public;\n"
            "  location /static/ { alias \"/srv/static files/\"; }\n}\n");
        put("etc/nginx/conf.d/ignored.txt", "server { root /not/included; }\n");
        put("etc/nginx/sites-available/default",
            "server {\n  root /var/www/$host/htdocs;\n  location / { try_files $uri =404; }\n}\n");
        snprintf(p, sizeof(p), "%s/etc/nginx/sites-enabled", top);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/etc/nginx/sites-enabled/default", top);
        assert_int_equal(symlink("/etc/nginx/sites-available/default", p), 0);
        put("etc/nginx/sites-enabled/relative", "server { root html; }\n");

        put("etc/apache2/apache2.conf", "ServerRoot \"/etc/apache2\"\n"
                                        "IncludeOptional sites-enabled/*.conf\n"
                                        "Include ports.conf\n"
                                        "# DocumentRoot /commented\n");
        put("etc/apache2/ports.conf", "Listen 80\n");
        put("etc/apache2/sites-enabled/000-default.conf", "<VirtualHost *:80>\n"
                                                          "    DocumentRoot \"/var/www/html\"\n"
                                                          "    Alias /docs \\\n"
                                                          "          /usr/share/doc/app\n"
                                                          "</VirtualHost>\n");
        /* /srv/www is the real directory of the symlinked root /var/www/html. */
        put("srv/www/index.html", "hi\n");
        put("var/www/.keep", "");
        snprintf(p, sizeof(p), "%s/var/www/html", top);
        assert_int_equal(symlink("/srv/www", p), 0);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_find(void **state)
{
        rootfs_t *root = NULL;
        secrets_webroots_t w = { 0 };
        report_t *rep = report_new("h", top);
        (void)state;

        assert_int_equal(rootfs_open(top, &root), 0);
        assert_int_equal(secrets_webroots_find(root, rep, &w), 0);
        for (size_t i = 0; i < w.roots.n; i++)
                fprintf(stderr, "root %s (%s)\n", w.roots.v[i], w.sources.v[i]);
        assert_true(strv_contains(&w.roots, "/srv/app/public"));
        assert_true(strv_contains(&w.roots, "/srv/static files"));
        assert_true(strv_contains(&w.roots, "/var/www"));              /* cut at $host */
        assert_true(strv_contains(&w.roots, "/usr/share/nginx/html")); /* relative */
        assert_true(strv_contains(&w.roots, "/var/www/html"));
        assert_true(strv_contains(&w.roots, "/usr/share/doc/app")); /* continued line */
        assert_false(strv_contains(&w.roots, "/commented/out"));
        assert_false(strv_contains(&w.roots, "/commented"));
        assert_false(strv_contains(&w.roots, "/not/included"));
        assert_int_equal(w.roots.n, 6);
        /* Sources name the file and line. */
        for (size_t i = 0; i < w.roots.n; i++)
                if (strcmp(w.roots.v[i], "/srv/app/public") == 0)
                        assert_string_equal(w.sources.v[i], "/etc/nginx/conf.d/app.conf:3");

        assert_string_equal(secrets_webroots_match(&w, "/srv/app/public/.env"), "/srv/app/public");
        assert_string_equal(secrets_webroots_match(&w, "/srv/app/public"), "/srv/app/public");
        assert_null(secrets_webroots_match(&w, "/srv/app/public2/x"));
        assert_null(secrets_webroots_match(&w, "/srv/app/.env"));
        /* The symlinked root also matches its real directory. */
        assert_non_null(secrets_webroots_match(&w, "/srv/www/index.html"));
        secrets_webroots_clear(&w);
        rootfs_free(root);
        report_free(rep);
}

static void test_empty_root(void **state)
{
        char t[] = "/tmp/vigil-webroots-empty-XXXXXX";
        rootfs_t *root = NULL;
        secrets_webroots_t w = { 0 };
        (void)state;

        assert_non_null(mkdtemp(t));
        assert_int_equal(rootfs_open(t, &root), 0);
        assert_int_equal(secrets_webroots_find(root, NULL, &w), 0);
        assert_int_equal(w.roots.n, 0);
        assert_null(secrets_webroots_match(&w, "/var/www/html/x"));
        assert_int_equal(secrets_webroots_add(&w, root, "/var//www/./html/", "test"), 0);
        assert_string_equal(w.roots.v[0], "/var/www/html");
        assert_non_null(secrets_webroots_match(&w, "/var/www/html/x"));
        secrets_webroots_clear(&w);
        rootfs_free(root);
        rmdir(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_empty_root),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
