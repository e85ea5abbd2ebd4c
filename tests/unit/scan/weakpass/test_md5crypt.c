/* Unit tests for scan/weakpass/md5crypt with libxcrypt as the oracle:
 * every password length the SIMD code takes, salts of every length, full
 * and partial lane batches, and the MD5 constants. */
#include <crypt.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/weakpass/md5crypt.h"

extern const uint32_t md5crypt_k[64];

static void test_constants(void **state)
{
        (void)state;
        assert_int_equal(md5crypt_k[0], 0xd76aa478);
        assert_int_equal(md5crypt_k[63], 0xeb86d391);
}

static void test_parse(void **state)
{
        md5crypt_setting_t s;

        (void)state;
        assert_int_equal(md5crypt_parse("$1$i0.db5DF$b5YYkI9MR/GTrffvLDKqL1", &s), 0);
        assert_string_equal(s.salt, "i0.db5DF");
        assert_int_equal(s.prefix_len, 12);
        assert_int_equal(md5crypt_parse("$1$$b5YYkI9MR/GTrffvLDKqL1", &s), 0);
        assert_int_equal(s.salt_len, 0);
        assert_int_equal(md5crypt_parse("$1$i0.db5DFx$b5YYkI9MR/GTrffvLDKqL1", &s), -EINVAL);
        assert_int_equal(md5crypt_parse("$1$i0.db5DF$b5YYkI9MR/GTrffvLDKqL", &s), -EINVAL);
        assert_int_equal(md5crypt_parse("$1$i0.db5DF$b5YYkI9MR/GTrffvLDKq!1", &s), -EINVAL);
        assert_int_equal(md5crypt_parse("$5$i0.db5DF$b5YYkI9MR/GTrffvLDKqL1", &s), -EINVAL);
}

static void check(const char *setting, size_t len, size_t n, unsigned *seed)
{
        char pws[MD5CRYPT_LANES][MD5CRYPT_MAX_LEN + 1], out[MD5CRYPT_LANES][MD5CRYPT_ENCODED];
        const char *pw[MD5CRYPT_LANES];
        md5crypt_setting_t s;
        struct crypt_data cd;

        memset(&cd, 0, sizeof(cd));
        assert_non_null(crypt_rn("", setting, &cd, sizeof(cd)));
        assert_int_equal(md5crypt_parse(cd.output, &s), 0);
        for (size_t l = 0; l < n; l++) {
                for (size_t i = 0; i < len; i++)
                        pws[l][i] = (char)(1 + rand_r(seed) % 255);
                pws[l][len] = 0;
                pw[l] = pws[l];
        }
        md5crypt_hash(&s, pw, len, n, out);
        for (size_t l = 0; l < n; l++) {
                memset(&cd, 0, sizeof(cd));
                assert_non_null(crypt_rn(pw[l], setting, &cd, sizeof(cd)));
                if (memcmp(out[l], cd.output + s.prefix_len, MD5CRYPT_ENCODED) != 0)
                        fail_msg("setting %s, length %zu, lane %zu: %.22s != %s", setting, len, l,
                                 out[l], cd.output + s.prefix_len);
        }
}

static void test_against_libxcrypt(void **state)
{
        static const char *const settings[] = {
                "$1$$",      "$1$a$",      "$1$ab$",      "$1$abc$",      "$1$abcd$",
                "$1$abcde$", "$1$abcdef$", "$1$abcdefg$", "$1$abcdefgh$", "$1$./AZaz09$",
        };
        unsigned seed = 4242;

        (void)state;
        for (size_t st = 0; st < (sizeof(settings) / sizeof(settings[0])); st++)
                for (size_t len = 0; len <= MD5CRYPT_MAX_LEN; len++)
                        check(settings[st], len, MD5CRYPT_LANES, &seed);
        for (size_t n = 1; n <= MD5CRYPT_LANES; n++)
                check("$1$Zy7.pQ1x$", 8, n, &seed);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_constants),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_against_libxcrypt),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
