/* Unit tests for detect/fim/fimtab: the stat tuple that decides whether a
 * file is hashed again, the re-hash schedule, and the path table (many
 * entries, replacement, removal keeping probe chains intact). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "detect/fim/fimtab.h"

static struct stat sample(void)
{
        struct stat st = { 0 };

        st.st_mode = S_IFREG | 0644;
        st.st_uid = 0;
        st.st_gid = 0;
        st.st_size = 1234;
        st.st_ino = 42;
        st.st_dev = 7;
        st.st_mtim.tv_sec = 1700000000;
        st.st_mtim.tv_nsec = 5;
        st.st_ctim.tv_sec = 1700000001;
        st.st_ctim.tv_nsec = 6;
        return st;
}

static void test_diff_bits(void **state)
{
        struct stat st = sample(), o;
        fimtab_entry_t *e = fimtab_entry_new("/etc/passwd");

        (void)state;
        assert_non_null(e);
        fimtab_entry_set_stat(e, &st);
        assert_int_equal(fimtab_stat_diff(e, &st), 0);
        o = st;
        o.st_mtim.tv_nsec++; /* one nanosecond is a change */
        assert_int_equal(fimtab_stat_diff(e, &o), FIMTAB_DIFF_MTIME);
        o = st;
        o.st_ctim.tv_sec++;
        assert_int_equal(fimtab_stat_diff(e, &o), FIMTAB_DIFF_CTIME);
        o = st;
        o.st_mode = S_IFREG | 04644;
        assert_int_equal(fimtab_stat_diff(e, &o), FIMTAB_DIFF_MODE);
        o = st;
        o.st_mode = S_IFLNK | 0644;
        assert_int_equal(fimtab_stat_diff(e, &o), FIMTAB_DIFF_TYPE);
        o = st;
        o.st_uid = 1000;
        o.st_gid = 1000;
        assert_int_equal(fimtab_stat_diff(e, &o), FIMTAB_DIFF_UID | FIMTAB_DIFF_GID);
        o = st;
        o.st_ino = 43;
        o.st_dev = 8;
        o.st_size = 1;
        assert_int_equal(fimtab_stat_diff(e, &o),
                         FIMTAB_DIFF_INODE | FIMTAB_DIFF_DEV | FIMTAB_DIFF_SIZE);
        /* A directory is its type, mode and owner; times and size follow
         * its content. */
        st.st_mode = S_IFDIR | 0755;
        fimtab_entry_set_stat(e, &st);
        o = st;
        o.st_mtim.tv_sec += 100;
        o.st_size = 8192;
        o.st_ino = 99;
        assert_int_equal(fimtab_stat_diff(e, &o), 0);
        o.st_mode = S_IFDIR | 0777;
        assert_int_equal(fimtab_stat_diff(e, &o), FIMTAB_DIFF_MODE);
        fimtab_entry_free(e);
}

static void test_can_skip(void **state)
{
        struct stat st = sample(), o;
        fimtab_entry_t *e = fimtab_entry_new("/usr/bin/ls");

        (void)state;
        fimtab_entry_set_stat(e, &st);
        /* No hash yet: must read. */
        assert_false(fimtab_can_skip(e, &st, 1000));
        e->has_sha256 = true;
        e->rehash_at = 2000;
        assert_true(fimtab_can_skip(e, &st, 1000));
        assert_true(fimtab_can_skip(e, &st, 1999));
        /* Due for its scheduled re-hash. */
        assert_false(fimtab_can_skip(e, &st, 2000));
        e->rehash_at = 0; /* never re-hashed on a schedule */
        assert_true(fimtab_can_skip(e, &st, 1LL << 40));
        o = st;
        o.st_size++;
        assert_false(fimtab_can_skip(e, &o, 1000));
        /* Special files carry no hash and are never read. */
        st.st_mode = S_IFIFO | 0600;
        fimtab_entry_set_stat(e, &st);
        e->has_sha256 = false;
        assert_true(fimtab_can_skip(e, &st, 1000));
        fimtab_entry_free(e);
}

static void test_rehash_spread(void **state)
{
        const int64_t now = 1700000000, interval = 7 * 86400;
        int buckets[7] = { 0 };
        char path[64];

        (void)state;
        assert_int_equal(fimtab_rehash_time("/x", now, 0, true), 0);
        assert_int_equal(fimtab_rehash_time("/x", now, interval, false), now + interval);
        /* The first re-hash of 7000 files falls in the interval, spread over
         * its days. */
        for (int i = 0; i < 7000; i++) {
                int64_t t;
                snprintf(path, sizeof(path), "/usr/lib/file%d.so", i);
                t = fimtab_rehash_time(path, now, interval, true);
                assert_true(t > now && t <= now + interval);
                buckets[(t - now - 1) / 86400]++;
        }
        for (int d = 0; d < 7; d++)
                assert_true(buckets[d] > 700 && buckets[d] < 1300);
}

static void test_table(void **state)
{
        fimtab_t t = { 0 };
        char path[64];

        (void)state;
        for (int i = 0; i < 5000; i++) {
                fimtab_entry_t *e;
                snprintf(path, sizeof(path), "/etc/f%d", i);
                e = fimtab_entry_new(path);
                e->size = (uint64_t)i;
                assert_int_equal(fimtab_put(&t, e), 0);
        }
        assert_int_equal(t.n, 5000);
        /* Replacing keeps the count. */
        {
                fimtab_entry_t *e = fimtab_entry_new("/etc/f10");
                e->size = 99999;
                assert_int_equal(fimtab_put(&t, e), 0);
                assert_int_equal(t.n, 5000);
                assert_int_equal(fimtab_get(&t, "/etc/f10")->size, 99999);
        }
        /* Remove every other entry; the rest stay reachable. */
        for (int i = 0; i < 5000; i += 2) {
                snprintf(path, sizeof(path), "/etc/f%d", i);
                assert_true(fimtab_remove(&t, path));
        }
        assert_int_equal(t.n, 2500);
        for (int i = 0; i < 5000; i++) {
                const fimtab_entry_t *e;
                snprintf(path, sizeof(path), "/etc/f%d", i);
                e = fimtab_get(&t, path);
                if (i % 2 == 0)
                        assert_null(e);
                else {
                        assert_non_null(e);
                        assert_int_equal(e->size, i == 10 ? 99999 : (uint64_t)i);
                }
        }
        assert_false(fimtab_remove(&t, "/etc/none"));
        fimtab_clear(&t);
        assert_int_equal(t.n, 0);
}

static void test_entry_dup(void **state)
{
        fimtab_entry_t *e = fimtab_entry_new("/usr/bin/ls"), *c;
        char longpath[FIMTAB_PATH_MAX + 10];

        (void)state;
        assert_int_equal(fimtab_entry_set_pkg(e, "coreutils", "md5:00"), 0);
        e->has_sha256 = true;
        e->sha256[0] = 0xab;
        c = fimtab_entry_dup(e);
        assert_non_null(c);
        assert_string_equal(c->pkg, "coreutils");
        assert_string_equal(c->pkg_digest, "md5:00");
        assert_ptr_not_equal(c->pkg, e->pkg);
        assert_int_equal(c->sha256[0], 0xab);
        fimtab_entry_free(c);
        fimtab_entry_free(e);
        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[0] = '/';
        longpath[sizeof(longpath) - 1] = 0;
        assert_null(fimtab_entry_new(longpath));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_diff_bits),     cmocka_unit_test(test_can_skip),
                cmocka_unit_test(test_rehash_spread), cmocka_unit_test(test_table),
                cmocka_unit_test(test_entry_dup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
