/* Unit tests for core/walk's trust_dtype option and its loop guard, on a
 * real directory tree: the walk must see the same entries with and without
 * the option, fall back to a stat where the listing gives no type, never
 * follow symlinks (loops among them), never open a FIFO, refuse a
 * directory swapped for a symlink after the listing, and not enter a
 * directory that is its own ancestor (a bind mount, when this process may
 * make one).
 *
 * Filesystems without d_type (some FUSE filesystems, XFS without ftype)
 * are simulated by replacing readdir64 in this test binary: the wrapper
 * calls libc's and, while force_unknown is set, reports DT_UNKNOWN. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/rootfs.h"
#include "core/text.h"
#include "core/walk.h"

static bool force_unknown;
static unsigned readdir_calls;

struct dirent64 *readdir64(DIR *d)
{
        static struct dirent64 *(*real)(DIR *);
        struct dirent64 *de;

        if (!real) {
                *(void **)&real = dlsym(RTLD_NEXT, "readdir64");
                if (!real)
                        abort();
        }
        de = real(d);
        readdir_calls++;
        if (de && force_unknown)
                de->d_type = DT_UNKNOWN;
        return de;
}

static char tmpl[] = "/tmp/vigil-walk-XXXXXX";
static char *top;

static void pathof(char *p, size_t n, const char *rel)
{
        assert_true((size_t)snprintf(p, n, "%s/%s", top, rel) < n);
}

static void put(const char *rel, const char *content)
{
        char p[512];
        int fd;

        pathof(p, sizeof(p), rel);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        close(fd);
}

static void mk(const char *rel)
{
        char p[512];
        pathof(p, sizeof(p), rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void ln(const char *target, const char *rel)
{
        char p[512];
        pathof(p, sizeof(p), rel);
        assert_int_equal(symlink(target, p), 0);
}

/* The tree:
 *   t/a.conf (7 bytes)       t/sub/b.txt (3 bytes)   t/sub/deeper/c (0 bytes)
 *   t/fifo (a FIFO nobody writes to)
 *   t/loop -> .              t/sub/up -> ..          t/sub/self -> self
 *   t/ping -> pong           t/pong -> ping          t/out -> / (outside)
 *   t/sub/deeper/back -> ../../sub
 */
static int setup(void **state)
{
        char p[512];
        (void)state;

        top = mkdtemp(tmpl);
        assert_non_null(top);
        mk("t");
        put("t/a.conf", "x=1\ny=2");
        mk("t/sub");
        put("t/sub/b.txt", "abc");
        mk("t/sub/deeper");
        put("t/sub/deeper/c", "");
        pathof(p, sizeof(p), "t/fifo");
        assert_int_equal(mkfifo(p, 0600), 0);
        ln(".", "t/loop");
        ln("..", "t/sub/up");
        ln("self", "t/sub/self");
        ln("pong", "t/ping");
        ln("ping", "t/pong");
        ln("/", "t/out");
        ln("../../sub", "t/sub/deeper/back");
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        (void)state;
        return nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* One line per entry, "PATH TYPE SIZE TYPE_ONLY", sorted, so two walks
 * can be compared as a whole. */
struct seen {
        strv_t lines;
        strv_t errors;
        unsigned type_only, stated;
};

static char type_char(mode_t m)
{
        return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p' : '?';
}

static int collect(const walk_entry_t *e, void *ud)
{
        struct seen *s = ud;
        char line[600];

        /* Nothing the walker hands out may lie outside the tree. */
        assert_true(str_startswith(e->path, "/t"));
        if (e->type_only) {
                s->type_only++;
                /* Only the type (and the listing's inode) is known. */
                assert_true(S_ISREG(e->st->st_mode) || S_ISDIR(e->st->st_mode));
                assert_int_equal(e->st->st_mode & 07777, 0);
                assert_int_equal(e->st->st_size, 0);
                assert_int_equal(e->st->st_nlink, 0);
        } else
                s->stated++;
        snprintf(line, sizeof(line), "%s %c", e->path, type_char(e->st->st_mode));
        assert_int_equal(strv_push(&s->lines, line), 0);
        return WALK_CONTINUE;
}

static void on_error(const char *path, int err, void *ud)
{
        struct seen *s = ud;
        char line[600];

        snprintf(line, sizeof(line), "%s %d", path, err);
        assert_int_equal(strv_push(&s->errors, line), 0);
}

static void seen_clear(struct seen *s)
{
        strv_clear(&s->lines);
        strv_clear(&s->errors);
        *s = (struct seen){ 0 };
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const walk_opts_t *base, bool trust, struct seen *s, walk_stats_t *st)
{
        rootfs_t *r;
        walk_opts_t o = *base;

        o.trust_dtype = trust;
        o.on_error = on_error;
        assert_int_equal(rootfs_open(top, &r), 0);
        assert_int_equal(walk_tree(r, "/t", &o, collect, s, st), 0);
        rootfs_free(r);
        if (s->lines.n > 1)
                qsort(s->lines.v, s->lines.n, sizeof(*s->lines.v), cmp_str);
}

static void assert_same(const struct seen *a, const struct seen *b)
{
        assert_int_equal(a->lines.n, b->lines.n);
        for (size_t i = 0; i < a->lines.n; i++)
                assert_string_equal(a->lines.v[i], b->lines.v[i]);
}

/* The expected entries: symlinks listed as symlinks, nothing behind them. */
static const char *const expected[] = {
        "/t/a.conf f",       "/t/fifo p",
        "/t/loop l",         "/t/out l",
        "/t/ping l",         "/t/pong l",
        "/t/sub d",          "/t/sub/b.txt f",
        "/t/sub/deeper d",   "/t/sub/deeper/back l",
        "/t/sub/deeper/c f", "/t/sub/self l",
        "/t/sub/up l",
};

static void assert_expected(const struct seen *s)
{
        assert_int_equal(s->lines.n, ELEMENTSOF(expected));
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                assert_string_equal(s->lines.v[i], expected[i]);
        assert_int_equal(s->errors.n, 0);
}

static void test_same_entries_fewer_stats(void **state)
{
        struct seen plain = { 0 }, trusted = { 0 };
        walk_stats_t st1, st2;
        walk_opts_t o = { 0 };
        (void)state;

        walk(&o, false, &plain, &st1);
        walk(&o, true, &trusted, &st2);
        assert_expected(&plain);
        assert_same(&plain, &trusted);
        assert_int_equal(st1.entries, st2.entries);
        assert_int_equal(st1.dirs, st2.dirs);
        assert_int_equal(st2.errors, 0);
        /* Without the option everything is stat'ed; with it only the seven
         * symlinks and the FIFO are (tmpfs and ext4 both give d_type). */
        assert_int_equal(plain.type_only, 0);
        assert_int_equal(trusted.type_only, 5);
        assert_int_equal(trusted.stated, 8);
        seen_clear(&plain);
        seen_clear(&trusted);
}

static void test_one_filesystem_stats_directories(void **state)
{
        struct seen s = { 0 };
        walk_opts_t o = { .one_filesystem = true };
        (void)state;

        walk(&o, true, &s, NULL);
        assert_expected(&s);
        /* Directories need their device before they are opened. */
        assert_int_equal(s.type_only, 3);
        seen_clear(&s);
}

static int first_file_size(const walk_entry_t *e, void *ud)
{
        if (strcmp(e->path, "/t/a.conf") == 0)
                *(off_t *)ud = e->st->st_size;
        return WALK_CONTINUE;
}

static void test_unknown_type_falls_back_to_stat(void **state)
{
        struct seen plain = { 0 }, unknown = { 0 };
        walk_opts_t o = { 0 };
        rootfs_t *r;
        off_t size = -1;
        (void)state;

        walk(&o, false, &plain, NULL);
        readdir_calls = 0;
        force_unknown = true;
        walk(&o, true, &unknown, NULL);
        force_unknown = false;
        /* The wrapper was in the path, so the listing did say DT_UNKNOWN. */
        assert_true(readdir_calls >= ELEMENTSOF(expected));
        assert_same(&plain, &unknown);
        assert_int_equal(unknown.type_only, 0);
        assert_int_equal(unknown.stated, ELEMENTSOF(expected));

        /* A stat'ed entry carries its real size. */
        force_unknown = true;
        o.trust_dtype = true;
        assert_int_equal(rootfs_open(top, &r), 0);
        assert_int_equal(walk_tree(r, "/t", &o, first_file_size, &size, NULL), 0);
        rootfs_free(r);
        force_unknown = false;
        assert_int_equal(size, 7);
        seen_clear(&plain);
        seen_clear(&unknown);
}

/* Symlink loops (t/loop -> ., t/sub/up -> .., ping <-> pong, self -> self,
 * a link back up the tree) and a link to / are listed, never followed, in
 * both modes; the FIFO is listed without being opened (an open would
 * block: nobody writes to it). */
static void test_symlink_loops_and_fifo(void **state)
{
        struct seen s = { 0 };
        walk_opts_t o = { 0 };
        walk_stats_t st;
        (void)state;

        for (int trust = 0; trust <= 1; trust++) {
                walk(&o, trust, &s, &st);
                assert_expected(&s);
                assert_int_equal(st.errors, 0);
                seen_clear(&s);
        }
        /* Also when the listing gives no types. */
        force_unknown = true;
        walk(&o, true, &s, &st);
        force_unknown = false;
        assert_expected(&s);
        seen_clear(&s);
}

/* The callback replaces t/sub (which the listing called a directory) with
 * a symlink to / before the walker opens it: the walker must not follow
 * it, and must say the entry changed. */
static int swap_sub(const walk_entry_t *e, void *ud)
{
        struct seen *s = ud;
        char from[512], to[512];

        if (strcmp(e->path, "/t/sub") == 0) {
                assert_true(e->type_only);
                pathof(from, sizeof(from), "t/sub");
                pathof(to, sizeof(to), "t/sub.moved");
                assert_int_equal(rename(from, to), 0);
                assert_int_equal(symlink("/", from), 0);
        }
        return collect(e, s);
}

static void test_directory_swapped_for_symlink(void **state)
{
        struct seen s = { 0 };
        walk_opts_t o = { .trust_dtype = true, .on_error = on_error };
        char from[512], to[512];
        rootfs_t *r;
        (void)state;

        assert_int_equal(rootfs_open(top, &r), 0);
        assert_int_equal(walk_tree(r, "/t", &o, swap_sub, &s, NULL), 0);
        rootfs_free(r);
        /* Nothing below the swapped entry was walked (the moved directory
         * may or may not be listed, depending on the listing's order). */
        for (size_t i = 0; i < s.lines.n; i++)
                assert_false(str_startswith(s.lines.v[i], "/t/sub/"));
        assert_int_equal(s.errors.n, 1);
        assert_string_equal(s.errors.v[0], "/t/sub -116"); /* -ESTALE */
        pathof(from, sizeof(from), "t/sub.moved");
        pathof(to, sizeof(to), "t/sub");
        assert_int_equal(unlink(to), 0);
        assert_int_equal(rename(from, to), 0);
        seen_clear(&s);
}

/* In a child with a mount namespace of its own, bind t onto
 * t/sub/deeper/mnt: that directory is then t itself, its own ancestor. The
 * child's exit status: 0 passed, 77 no permission to do this, else the
 * failed step. */
static int bind_loop_child(bool trust)
{
        char src[512], dst[512];
        struct seen s = { 0 };
        walk_opts_t o = { 0 };
        bool loop_reported = false;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 77;
        pathof(src, sizeof(src), "t");
        pathof(dst, sizeof(dst), "t/sub/deeper/mnt");
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
                return 77;
        walk(&o, trust, &s, NULL);
        for (size_t i = 0; i < s.errors.n; i++)
                if (strcmp(s.errors.v[i], "/t/sub/deeper/mnt -40") == 0) /* -ELOOP */
                        loop_reported = true;
        if (!loop_reported || s.errors.n != 1)
                return 1;
        /* The bind mount itself is listed, nothing beneath it. */
        for (size_t i = 0; i < s.lines.n; i++)
                if (str_startswith(s.lines.v[i], "/t/sub/deeper/mnt/"))
                        return 2;
        if (!strv_contains(&s.lines, "/t/sub/deeper/mnt d"))
                return 3;
        seen_clear(&s);
        return 0;
}

static void test_bind_mount_loop(void **state)
{
        char dst[512];
        (void)state;

        pathof(dst, sizeof(dst), "t/sub/deeper/mnt");
        assert_int_equal(mkdir(dst, 0755), 0);
        for (int trust = 0; trust <= 1; trust++) {
                int status = 0;
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0)
                        _exit(bind_loop_child(trust));
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFEXITED(status));
                if (WEXITSTATUS(status) == 77) {
                        assert_int_equal(rmdir(dst), 0);
                        skip();
                }
                assert_int_equal(WEXITSTATUS(status), 0);
        }
        assert_int_equal(rmdir(dst), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_entries_fewer_stats),
                cmocka_unit_test(test_one_filesystem_stats_directories),
                cmocka_unit_test(test_unknown_type_falls_back_to_stat),
                cmocka_unit_test(test_symlink_loops_and_fifo),
                cmocka_unit_test(test_directory_swapped_for_symlink),
                cmocka_unit_test(test_bind_mount_loop),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
