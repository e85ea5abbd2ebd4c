/* Unit tests for core/rootfs and core/walk against a real directory tree
 * with hostile symlinks, a FIFO and deep nesting. */
#include <errno.h>
#include <fcntl.h>
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
#include "core/text.h"
#include "core/walk.h"

static char tmpl[] = "/tmp/vigil-rootfs-XXXXXX";
static char *top;

static void put(const char *rel, const char *content)
{
        char p[512];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void mk(const char *rel)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void ln(const char *target, const char *rel)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
        char p[512];
        (void)state;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        mk("etc");
        put("etc/os-release", "ID=test\n");
        mk("srv");
        mk("srv/app");
        put("srv/app/a.txt", "hello");
        /* An absolute link: inside the root it must mean ROOT/etc/os-release. */
        ln("/etc/os-release", "srv/abs-link");
        /* A relative link climbing above the root must be clamped. */
        ln("../../../../../../../../etc/hostname", "srv/climb");
        ln("loop2", "srv/loop1");
        ln("loop1", "srv/loop2");
        snprintf(p, sizeof(p), "%s/srv/fifo", top);
        assert_int_equal(mkfifo(p, 0600), 0);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_symlinks_stay_inside(void **state)
{
        rootfs_t *r;
        char *data;
        size_t len;
        (void)state;

        assert_int_equal(rootfs_open(top, &r), 0);
        assert_int_equal(rootfs_read_file(r, "/srv/abs-link", 1024, &data, &len), 0);
        assert_string_equal(data, "ID=test\n");
        free(data);
        /* The host's /etc/hostname exists, but not inside this root. */
        assert_int_equal(rootfs_read_file(r, "/srv/climb", 1024, &data, &len), -ENOENT);
        assert_int_equal(rootfs_read_file(r, "/srv/loop1", 1024, &data, &len), -ELOOP);
        rootfs_free(r);
}

static void test_fifo_and_caps(void **state)
{
        rootfs_t *r;
        char *data;
        size_t len;
        (void)state;

        assert_int_equal(rootfs_open(top, &r), 0);
        /* A FIFO must neither block nor be read. */
        assert_int_equal(rootfs_read_file(r, "/srv/fifo", 1024, &data, &len), -EINVAL);
        assert_int_equal(rootfs_read_file(r, "srv/app/a.txt", 4, &data, &len), -EFBIG);
        assert_int_equal(rootfs_read_file(r, "srv/app/a.txt", 5, &data, &len), 0);
        assert_int_equal(len, 5);
        free(data);
        assert_int_equal(rootfs_read_file(r, "/srv/app", 1024, &data, &len), -EISDIR);
        rootfs_free(r);
}

static void test_display_path(void **state)
{
        rootfs_t *r;
        char *p;
        (void)state;

        assert_int_equal(rootfs_open("/", &r), 0);
        assert_true(r->is_host);
        p = rootfs_display_path(r, "/etc/passwd");
        assert_string_equal(p, "/etc/passwd");
        free(p);
        rootfs_free(r);
        assert_int_equal(rootfs_open(top, &r), 0);
        p = rootfs_display_path(r, "/etc/passwd");
        assert_true(str_startswith(p, top));
        assert_true(str_endswith(p, "/etc/passwd"));
        free(p);
        rootfs_free(r);
}

struct seen {
        strv_t paths;
        int links;
        int fifos;
};

static int collect(const walk_entry_t *e, void *ud)
{
        struct seen *s = ud;
        strv_push(&s->paths, e->path);
        if (S_ISLNK(e->st->st_mode))
                s->links++;
        if (S_ISFIFO(e->st->st_mode))
                s->fifos++;
        return WALK_CONTINUE;
}

static void test_walk(void **state)
{
        rootfs_t *r;
        struct seen s = { 0 };
        walk_stats_t st;
        (void)state;

        assert_int_equal(rootfs_open(top, &r), 0);
        assert_int_equal(walk_tree(r, "/srv", NULL, collect, &s, &st), 0);
        assert_true(strv_contains(&s.paths, "/srv/app/a.txt"));
        assert_true(strv_contains(&s.paths, "/srv/abs-link"));
        assert_false(strv_contains(&s.paths, "/etc/os-release"));
        assert_int_equal(s.links, 4);
        assert_int_equal(s.fifos, 1);
        assert_int_equal(st.errors, 0);
        strv_clear(&s.paths);

        /* Depth 1: entries of /srv only, not of /srv/app. */
        walk_opts_t o = { .max_depth = 1 };
        assert_int_equal(walk_tree(r, "/srv/", &o, collect, &s, &st), 0);
        assert_true(strv_contains(&s.paths, "/srv/app"));
        assert_false(strv_contains(&s.paths, "/srv/app/a.txt"));
        strv_clear(&s.paths);

        /* Following the walk through a symlinked start is refused. */
        assert_int_equal(walk_tree(r, "/srv/abs-link", NULL, collect, &s, &st), -ENOTDIR);
        strv_clear(&s.paths);
        rootfs_free(r);
}

static void test_deep_tree_is_bounded(void **state)
{
        char p[8192];
        size_t n;
        rootfs_t *r;
        struct seen s = { 0 };
        walk_stats_t st;
        (void)state;

        n = (size_t)snprintf(p, sizeof(p), "%s/deep", top);
        assert_int_equal(mkdir(p, 0755), 0);
        for (int i = 0; i < 300; i++) {
                n += (size_t)snprintf(p + n, sizeof(p) - n, "/d");
                if (mkdir(p, 0755) < 0) {
                        /* PATH_MAX on the way down: deep enough. */
                        break;
                }
        }
        assert_int_equal(rootfs_open(top, &r), 0);
        assert_int_equal(walk_tree(r, "/deep", NULL, collect, &s, &st), 0);
        assert_true(s.paths.n <= 256);
        strv_clear(&s.paths);
        rootfs_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_symlinks_stay_inside), cmocka_unit_test(test_fifo_and_caps),
                cmocka_unit_test(test_display_path),         cmocka_unit_test(test_walk),
                cmocka_unit_test(test_deep_tree_is_bounded),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
