/* Unit tests for scan/weakpass/shadow: the shadow and passwd parsers on a
 * fixture with every kind of password field and broken lines, and the hash
 * type names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/weakpass/shadow.h"

static char *fixture(const char *name, size_t *len)
{
        char path[512];
        const char *dir = getenv("VIGIL_FIXTURES");
        FILE *f;
        char *buf;
        long n;

        snprintf(path, sizeof(path), "%s/weakpass/%s", dir ? dir : "tests/fixtures", name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = 0;
        fclose(f);
        *len = (size_t)n;
        return buf;
}

static bool has_note(const report_t *r, const char *source, const char *text)
{
        for (size_t i = 0; i < r->n_notes; i++)
                if (strcmp(r->notes[i].source, source) == 0 && strstr(r->notes[i].message, text))
                        return true;
        return false;
}

static void test_shadow_fixture(void **state)
{
        shadow_db_t db = { 0 };
        report_t *r = report_new("h", "/");
        size_t len;
        char *data = fixture("shadow", &len);
        const shadow_entry_t *e;

        (void)state;
        assert_int_equal(shadow_parse(data, len, "shadow", r, &db), 0);
        assert_non_null(e = shadow_db_find(&db, "root"));
        assert_int_equal(e->state, SHADOW_DISABLED);
        assert_non_null(e = shadow_db_find(&db, "empty"));
        assert_int_equal(e->state, SHADOW_EMPTY);
        assert_string_equal(e->password, "");
        assert_non_null(e = shadow_db_find(&db, "locked"));
        assert_int_equal(e->state, SHADOW_LOCKED);
        assert_non_null(e = shadow_db_find(&db, "neverset"));
        assert_int_equal(e->state, SHADOW_DISABLED);
        assert_non_null(e = shadow_db_find(&db, "rhel"));
        assert_int_equal(e->state, SHADOW_DISABLED);
        assert_non_null(e = shadow_db_find(&db, "alice"));
        assert_int_equal(e->state, SHADOW_HASH);
        assert_true(strncmp(e->password, "$y$", 3) == 0);
        assert_int_equal(e->line, 7);
        /* The old two-field form is accepted quietly. */
        assert_non_null(e = shadow_db_find(&db, "oldform"));
        assert_int_equal(e->state, SHADOW_HASH);
        /* Leading blanks are skipped like glibc does. */
        assert_non_null(shadow_db_find(&db, "indented"));
        /* The first of two entries wins. */
        assert_non_null(e = shadow_db_find(&db, "dup"));
        assert_string_equal(e->password, "*");
        assert_true(has_note(r, "shadow:15", "duplicate account name"));
        assert_true(has_note(r, "shadow:16", "expected 9 fields"));
        assert_non_null(shadow_db_find(&db, "short"));
        assert_true(has_note(r, "shadow:17", "no password field"));
        assert_true(has_note(r, "shadow:18", "empty account name"));
        assert_int_equal(db.nis_lines, 2);
        assert_null(shadow_db_find(&db, "+nis"));
        shadow_db_clear(&db);
        report_free(r);
        free(data);
}

static void test_passwd(void **state)
{
        static const char text[] = "root:x:0:0:root:/root:/bin/bash\n"
                                   "legacy:ab01FAX.bb1nE:1001:1001::/home/legacy:/bin/sh\n"
                                   "nopw::1002:1002::/home/nopw:/bin/sh\n"
                                   "bad:x:notanumber:0::/:/bin/sh\n"
                                   "short:x:1\n";
        shadow_db_t db = { 0 };
        report_t *r = report_new("h", "/");
        const shadow_entry_t *e;

        (void)state;
        assert_int_equal(shadow_parse_passwd(text, sizeof(text) - 1, "passwd", r, &db), 0);
        assert_int_equal(db.n, 3);
        assert_non_null(e = shadow_db_find(&db, "root"));
        assert_int_equal(e->uid, 0);
        assert_string_equal(e->shell, "/bin/bash");
        assert_string_equal(e->password, "x");
        assert_non_null(e = shadow_db_find(&db, "legacy"));
        assert_int_equal(e->state, SHADOW_HASH);
        assert_non_null(e = shadow_db_find(&db, "nopw"));
        assert_int_equal(e->state, SHADOW_EMPTY);
        assert_true(has_note(r, "passwd:4", "uid is not a number"));
        assert_true(has_note(r, "passwd:5", "expected 7 fields"));
        shadow_db_clear(&db);
        report_free(r);
}

static void test_many_duplicates(void **state)
{
        /* A hostile file with many lines must parse in linear time and
         * keep only the first of each name. */
        size_t n = 200000, len = 0;
        char *buf = malloc(n * 32);
        shadow_db_t db = { 0 };

        (void)state;
        assert_non_null(buf);
        for (size_t i = 0; i < n; i++)
                len += (size_t)sprintf(buf + len, "u%zu:*:1::::::\n", i % 100000);
        assert_int_equal(shadow_parse(buf, len, "big", NULL, &db), 0);
        assert_int_equal(db.n, 100000);
        assert_int_equal(db.bad_lines, 100000);
        shadow_db_clear(&db);
        free(buf);
}

static void test_classify_and_types(void **state)
{
        (void)state;
        assert_int_equal(shadow_classify(""), SHADOW_EMPTY);
        assert_int_equal(shadow_classify("*"), SHADOW_DISABLED);
        assert_int_equal(shadow_classify("*LK*"), SHADOW_DISABLED);
        assert_int_equal(shadow_classify("!"), SHADOW_DISABLED);
        assert_int_equal(shadow_classify("!!"), SHADOW_DISABLED);
        assert_int_equal(shadow_classify("!*"), SHADOW_DISABLED);
        assert_int_equal(shadow_classify("!$6$salt$hash"), SHADOW_LOCKED);
        assert_int_equal(shadow_classify("!!$6$salt$hash"), SHADOW_LOCKED);
        assert_int_equal(shadow_classify("$6$salt$hash"), SHADOW_HASH);

        assert_string_equal(shadow_hash_type("$y$j9T$abc$def"), "yescrypt");
        assert_string_equal(shadow_hash_type("$gy$j9T$abc$def"), "gost-yescrypt");
        assert_string_equal(shadow_hash_type("$7$CU..../....abc$def"), "scrypt");
        assert_string_equal(shadow_hash_type("$2b$10$abc"), "bcrypt");
        assert_string_equal(shadow_hash_type("$2y$10$abc"), "bcrypt");
        assert_string_equal(shadow_hash_type("$2a$10$abc"), "bcrypt");
        assert_string_equal(shadow_hash_type("$6$abc$def"), "sha512crypt");
        assert_string_equal(shadow_hash_type("$5$abc$def"), "sha256crypt");
        assert_string_equal(shadow_hash_type("$1$abc$def"), "md5crypt");
        assert_string_equal(shadow_hash_type("_J9..abcdefghijklmno"), "bsdicrypt");
        assert_string_equal(shadow_hash_type("ab01FAX.bb1nE"), "descrypt");
        assert_string_equal(shadow_hash_type("ab01FAX.bb1nE0123456789a"), "bigcrypt");
        assert_string_equal(shadow_hash_type("x"), "unknown");
        assert_string_equal(shadow_hash_type("ab01FAX.bb1n!"), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shadow_fixture),
                cmocka_unit_test(test_passwd),
                cmocka_unit_test(test_many_duplicates),
                cmocka_unit_test(test_classify_and_types),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
