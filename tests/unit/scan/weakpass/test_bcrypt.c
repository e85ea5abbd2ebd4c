/* Unit tests for scan/weakpass/bcrypt with libxcrypt as the oracle: random
 * 7-bit passwords of every length up to past the 72-byte key limit, every
 * prefix, several costs, full and partial lane batches. */
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

#include "scan/weakpass/bcrypt.h"

extern const uint32_t bcrypt_init_p[18];
extern const uint32_t bcrypt_init_s[4][256];

static void test_constants(void **state)
{
        (void)state;
        /* Published first and last words of Blowfish's P-array and S-box 0. */
        assert_int_equal(bcrypt_init_p[0], 0x243f6a88);
        assert_int_equal(bcrypt_init_p[17], 0x8979fb1b);
        assert_int_equal(bcrypt_init_s[0][0], 0xd1310ba6);
        assert_int_equal(bcrypt_init_s[3][255], 0x3ac372e6);
}

static void test_parse(void **state)
{
        bcrypt_setting_t s;
        uint8_t d[BCRYPT_DIGEST];

        (void)state;
        assert_int_equal(
                bcrypt_parse("$2b$05$I8sQfNqwOCCF9lJuIMVKz.qKYygWHQ7HzEvmg5u/WOWyFT3ufPA9m", &s, d),
                0);
        assert_int_equal(s.cost, 5);
        assert_int_equal(
                bcrypt_parse("$2b$03$I8sQfNqwOCCF9lJuIMVKz.qKYygWHQ7HzEvmg5u/WOWyFT3ufPA9m", &s, d),
                -EINVAL);
        assert_int_equal(
                bcrypt_parse("$2c$05$I8sQfNqwOCCF9lJuIMVKz.qKYygWHQ7HzEvmg5u/WOWyFT3ufPA9m", &s, d),
                -EINVAL);
        assert_int_equal(
                bcrypt_parse("$2b$05$I8sQfNqwOCCF9lJuIMVKz.qKYygWHQ7HzEvmg5u/WOWyFT3ufPA9", &s, d),
                -EINVAL);
        assert_int_equal(
                bcrypt_parse("$2b$05$I8sQfNqwOCCF9lJuIMVKz.qKYygWHQ7HzEvmg5u/WOWyFT3ufPA9!", &s, d),
                -EINVAL);
        assert_true(bcrypt_supported("abc", 3));
        assert_false(bcrypt_supported("\xc3\xa4", 2));
}

static void random_pw(char *buf, size_t len, unsigned *seed)
{
        for (size_t i = 0; i < len; i++)
                buf[i] = (char)(1 + rand_r(seed) % 127);
        buf[len] = 0;
}

static void check(const char *prefix, unsigned long cost, size_t lanes_used, unsigned *seed)
{
        char salt[CRYPT_GENSALT_OUTPUT_SIZE], pws[BCRYPT_LANES][100];
        const char *pw[BCRYPT_LANES];
        size_t len[BCRYPT_LANES];
        uint8_t out[BCRYPT_LANES][BCRYPT_DIGEST], want[BCRYPT_DIGEST];
        bcrypt_setting_t s;
        struct crypt_data cd;

        assert_non_null(crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof(salt)));
        for (size_t l = 0; l < lanes_used; l++) {
                len[l] = (size_t)rand_r(seed) % 90;
                random_pw(pws[l], len[l], seed);
                pw[l] = pws[l];
        }
        memset(&cd, 0, sizeof(cd));
        assert_non_null(crypt_rn("", salt, &cd, sizeof(cd)));
        assert_int_equal(bcrypt_parse(cd.output, &s, NULL), 0);
        bcrypt_hash(&s, pw, len, lanes_used, out);
        for (size_t l = 0; l < lanes_used; l++) {
                memset(&cd, 0, sizeof(cd));
                assert_non_null(crypt_rn(pw[l], salt, &cd, sizeof(cd)));
                assert_int_equal(bcrypt_parse(cd.output, &s, want), 0);
                if (memcmp(out[l], want, sizeof(want)) != 0)
                        fail_msg("%s cost %lu: password of %zu bytes differs from libxcrypt",
                                 prefix, cost, len[l]);
        }
}

static void test_against_libxcrypt(void **state)
{
        static const char *const prefixes[] = { "$2b$", "$2a$", "$2y$" };
        unsigned seed = 12345;

        (void)state;
        /* Kept small: sanitizer builds run this code some 50 times slower. */
        for (size_t n = 1; n <= BCRYPT_LANES; n++)
                check("$2b$", 4, n, &seed);
        for (size_t p = 1; p < 3; p++)
                check(prefixes[p], 4, BCRYPT_LANES, &seed);
        check("$2b$", 5, BCRYPT_LANES, &seed);
}

static void test_edge_lengths(void **state)
{
        /* Lengths around the 72-byte key: 71, 72, 73 and longer give the
         * hash of their first 72 bytes, as libxcrypt does. */
        char salt[CRYPT_GENSALT_OUTPUT_SIZE], buf[4][200];
        size_t lens[4] = { 0, 71, 72, 150 };
        const char *pw[4];
        uint8_t out[4][BCRYPT_DIGEST], want[BCRYPT_DIGEST];
        bcrypt_setting_t s;
        struct crypt_data cd;

        (void)state;
        assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)));
        for (int i = 0; i < 4; i++) {
                memset(buf[i], 'a' + i, lens[i]);
                buf[i][lens[i]] = 0;
                pw[i] = buf[i];
        }
        memset(&cd, 0, sizeof(cd));
        assert_non_null(crypt_rn("", salt, &cd, sizeof(cd)));
        assert_int_equal(bcrypt_parse(cd.output, &s, NULL), 0);
        bcrypt_hash(&s, pw, lens, 4, out);
        for (int i = 0; i < 4; i++) {
                memset(&cd, 0, sizeof(cd));
                assert_non_null(crypt_rn(pw[i], salt, &cd, sizeof(cd)));
                assert_int_equal(bcrypt_parse(cd.output, &s, want), 0);
                assert_memory_equal(out[i], want, sizeof(want));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_constants),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_against_libxcrypt),
                cmocka_unit_test(test_edge_lengths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
