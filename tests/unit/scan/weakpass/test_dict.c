/* Unit tests for scan/weakpass/dict: loading word lists (line endings,
 * comments, overlong and binary lines, caps), deduplication, the built-in
 * list, the password quality rule and the masked hint. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scan/weakpass/dict.h"

static void test_add_and_find(void **state)
{
        dict_t *d = NULL;
        unsigned src, got_src;
        size_t idx, len;

        (void)state;
        assert_int_equal(dict_new(1 * MiB, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_CUSTOM, "custom dictionary", &src), 0);
        assert_int_equal(dict_add_word(d, src, "alpha", 5), 1);
        assert_int_equal(dict_add_word(d, src, "alpha", 5), 0);
        assert_int_equal(dict_add_word(d, src, "", 0), -EINVAL);
        assert_int_equal(dict_add_word(d, src, "a\nb", 3), -EINVAL);
        assert_int_equal(dict_add_word(d, src, "a\0b", 3), -EINVAL);
        assert_true(dict_find(d, "alpha", 5, &idx));
        assert_false(dict_find(d, "alph", 4, NULL));
        assert_string_equal(dict_word(d, idx, &len, &got_src), "alpha");
        assert_int_equal(len, 5);
        assert_int_equal(got_src, src);
        assert_int_equal(dict_source_kind(d, src), DICT_KIND_CUSTOM);
        assert_string_equal(dict_source_label(d, src), "custom dictionary");
        /* Many words: the table grows and everything is still found. */
        for (int i = 0; i < 20000; i++) {
                char w[32];
                int n = snprintf(w, sizeof(w), "word%d", i);
                assert_int_equal(dict_add_word(d, src, w, (size_t)n), 1);
        }
        for (int i = 0; i < 20000; i += 997) {
                char w[32];
                int n = snprintf(w, sizeof(w), "word%d", i);
                assert_true(dict_find(d, w, (size_t)n, NULL));
        }
        assert_int_equal(dict_size(d), 20001);
        dict_free(d);
}

static void test_load_buffer(void **state)
{
        static const char text[] = "#!comment: a john-style header\n"
                                   "one\r\n"
                                   "\n"
                                   "two\n"
                                   "one\n"
                                   "with space\n"
                                   "bin\0ary\n"
                                   "last-without-newline";
        char longline[600];
        dict_load_stats_t st = { 0 };
        dict_t *d = NULL;
        unsigned src;

        (void)state;
        assert_int_equal(dict_new(1 * MiB, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_SYSTEM, "/usr/share/dict/words", &src), 0);
        assert_int_equal(dict_load_buffer(d, src, text, sizeof(text) - 1, &st), 0);
        assert_int_equal(st.added, 4);
        assert_int_equal(st.duplicates, 1);
        assert_int_equal(st.binary, 1);
        assert_true(dict_find(d, "one", 3, NULL));
        assert_false(dict_find(d, "one\r", 4, NULL));
        assert_true(dict_find(d, "with space", 10, NULL));
        assert_true(dict_find(d, "last-without-newline", 20, NULL));
        assert_false(dict_find(d, "#!comment: a john-style header", 30, NULL));

        /* A 257-byte line is skipped; a 256-byte one is kept. */
        memset(longline, 'x', sizeof(longline));
        longline[257] = '\n';
        memset(&st, 0, sizeof(st));
        assert_int_equal(dict_load_buffer(d, src, longline, 258, &st), 0);
        assert_int_equal(st.too_long, 1);
        assert_int_equal(st.added, 0);
        longline[256] = '\n';
        memset(&st, 0, sizeof(st));
        assert_int_equal(dict_load_buffer(d, src, longline, 257, &st), 0);
        assert_int_equal(st.added, 1);
        dict_free(d);
}

static void test_read_cap(void **state)
{
        char tmpl[] = "/tmp/vigil-dict-XXXXXX";
        dict_load_stats_t st = { 0 };
        dict_t *d = NULL;
        unsigned src;
        int fd;

        (void)state;
        /* A cap in the middle of a list is an error, and the partial line
         * at the cut is not taken as a word. */
        assert_int_equal(dict_new(10, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_CUSTOM, "c", &src), 0);
        assert_int_equal(dict_load_buffer(d, src, "abc\ndefgh\nijklmn\n", 17, &st), -E2BIG);
        assert_true(dict_find(d, "abc", 3, NULL));
        assert_true(dict_find(d, "defgh", 5, NULL));
        assert_false(dict_find(d, "i", 1, NULL));
        dict_free(d);

        /* The same through a file descriptor, read in pieces. */
        fd = mkstemp(tmpl);
        assert_true(fd >= 0);
        for (int i = 0; i < 100000; i++)
                dprintf(fd, "w%06d\n", i);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(dict_new(8 * 50000, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_CUSTOM, "c", &src), 0);
        memset(&st, 0, sizeof(st));
        assert_int_equal(dict_load_fd(d, src, fd, &st), -E2BIG);
        assert_int_equal(st.added, 50000);
        assert_true(dict_find(d, "w049999", 7, NULL));
        assert_false(dict_find(d, "w050000", 7, NULL));
        dict_free(d);

        /* A file that ends exactly at the cap is complete. */
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(dict_new(8 * 100000, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_CUSTOM, "c", &src), 0);
        memset(&st, 0, sizeof(st));
        assert_int_equal(dict_load_fd(d, src, fd, &st), 0);
        assert_int_equal(st.added, 100000);
        dict_free(d);
        close(fd);
        unlink(tmpl);
}

static void test_builtin(void **state)
{
        dict_load_stats_t st = { 0 };
        dict_t *d = NULL;
        size_t idx;
        unsigned src;

        (void)state;
        assert_int_equal(dict_new(1 * MiB, &d), 0);
        assert_int_equal(dict_load_builtin(d, &st), 0);
        assert_true(st.added > 1000);
        assert_int_equal(st.too_long + st.binary, 0);
        assert_true(dict_find(d, "123456", 6, &idx));
        assert_int_equal(idx, 0); /* most common first */
        assert_true(dict_find(d, "password", 8, NULL));
        assert_true(dict_find(d, "raspberry", 9, &idx));
        dict_word(d, idx, NULL, &src);
        assert_int_equal(dict_source_kind(d, src), DICT_KIND_BUILTIN);
        assert_false(dict_find(d, "#!comment", 9, NULL));
        dict_free(d);
}

static void test_quality(void **state)
{
        dict_t *d = NULL;
        unsigned src = 99, id;

        (void)state;
        assert_int_equal(dict_new(1 * MiB, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_CUSTOM, "c", &id), 0);
        assert_int_equal(dict_add_word(d, id, "summer2024!", 11), 1);
        assert_int_equal(dict_password_weakness(d, "Tr0ub4dor&3x", 12, NULL), 0);
        assert_int_equal(dict_password_weakness(d, "Ab1!", 4, NULL), DICT_WEAK_SHORT);
        assert_int_equal(dict_password_weakness(d, "alllowercase", 12, NULL), DICT_WEAK_CLASSES);
        assert_int_equal(dict_password_weakness(d, "lower123", 8, NULL), DICT_WEAK_CLASSES);
        /* Non-ASCII counts as the "other" class; length is in characters. */
        assert_int_equal(dict_password_weakness(d, "Pässwörd1", strlen("Pässwörd1"), NULL), 0);
        assert_int_equal(dict_password_weakness(d, "ÄÖÜäöü1", strlen("ÄÖÜäöü1"), NULL),
                         DICT_WEAK_SHORT | DICT_WEAK_CLASSES);
        assert_int_equal(dict_password_weakness(d, "ÄÖÜäöü1x", strlen("ÄÖÜäöü1x"), NULL), 0);
        assert_int_equal(dict_password_weakness(d, "summer2024!", 11, &src), DICT_WEAK_LISTED);
        assert_int_equal(src, id);
        /* The lower-case form is looked up too. */
        assert_int_equal(dict_password_weakness(d, "SUMMER2024!", 11, NULL), DICT_WEAK_LISTED);
        assert_int_equal(dict_password_weakness(NULL, "", 0, NULL),
                         DICT_WEAK_SHORT | DICT_WEAK_CLASSES);
        dict_free(d);
}

static void test_hint(void **state)
{
        char h[DICT_HINT_MAX];

        (void)state;
        dict_mask_hint("", 0, h, sizeof(h));
        assert_string_equal(h, "empty");
        dict_mask_hint("password", 8, h, sizeof(h));
        assert_string_equal(h, "p******* (8 characters)");
        /* Short passwords show no character at all. */
        dict_mask_hint("abc", 3, h, sizeof(h));
        assert_string_equal(h, "*** (3 characters)");
        dict_mask_hint("x", 1, h, sizeof(h));
        assert_string_equal(h, "* (1 character)");
        /* A non-ASCII first character is not shown. */
        dict_mask_hint("äbcdefgh", strlen("äbcdefgh"), h, sizeof(h));
        assert_string_equal(h, "******** (8 characters)");
        /* Long passwords keep a bounded mask. */
        dict_mask_hint("0123456789012345678901234567890123456789", 40, h, sizeof(h));
        assert_string_equal(h, "0********************** (40 characters)");
        /* Invalid UTF-8 is counted in bytes. */
        dict_mask_hint("ab\xff\xfe"
                       "cdefg",
                       9, h, sizeof(h));
        assert_string_equal(h, "a******** (9 bytes)");
        assert_int_equal(dict_char_count("日本語", strlen("日本語")), 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_add_and_find), cmocka_unit_test(test_load_buffer),
                cmocka_unit_test(test_read_cap),     cmocka_unit_test(test_builtin),
                cmocka_unit_test(test_quality),      cmocka_unit_test(test_hint),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
