/* Unit tests for scan/weakpass/crack with libxcrypt as the oracle: hashes
 * of every scheme the scanner supports are made with crypt_gensalt_rn and
 * crypt_rn, then the checker must find the weak ones (and say from which
 * list), not find the strong ones, stop at its budget, and give the same
 * answers with one thread and with several. */
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

#include "scan/weakpass/crack.h"

/* Hash PW with a fresh setting for PREFIX/COUNT (or the literal SETTING
 * when PREFIX is NULL). Returns a new string. */
static char *make_hash(const char *prefix, unsigned long count, const char *setting, const char *pw)
{
        char salt[CRYPT_GENSALT_OUTPUT_SIZE];
        struct crypt_data cd;

        memset(&cd, 0, sizeof(cd));
        if (prefix) {
                assert_non_null(crypt_gensalt_rn(prefix, count, NULL, 0, salt, sizeof(salt)));
                setting = salt;
        }
        assert_non_null(crypt_rn(pw, setting, &cd, sizeof(cd)));
        return strdup(cd.output);
}

static dict_t *small_dict(unsigned *ret_src)
{
        static const char words[] = "123456\npassword\nqwerty\nletmein\nmonkey\ndragon\n"
                                    "iloveyou\nsunshine\nprincess\nfootball\n";
        dict_load_stats_t st = { 0 };
        dict_t *d = NULL;
        unsigned src;

        assert_int_equal(dict_new(1 * MiB, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_CUSTOM, "custom dictionary", &src), 0);
        assert_int_equal(dict_load_buffer(d, src, words, sizeof(words) - 1, &st), 0);
        /* Filler so that each hash has some work beyond the matches (not
         * much: sanitizer builds compute bcrypt slowly). */
        for (int i = 0; i < 10; i++) {
                char w[32];
                int n = snprintf(w, sizeof(w), "filler-%d", i);
                assert_int_equal(dict_add_word(d, src, w, (size_t)n), 1);
        }
        if (ret_src)
                *ret_src = src;
        return d;
}

typedef struct scheme {
        const char *name;
        const char *prefix;
        unsigned long count;
        const char *setting; /* when prefix is NULL */
} scheme_t;

static const scheme_t schemes[] = {
        { "yescrypt", "$y$", 1, NULL },       { "gost-yescrypt", "$gy$", 1, NULL },
        { "sha512crypt", "$6$", 1000, NULL }, { "sha256crypt", "$5$", 1000, NULL },
        { "bcrypt", "$2b$", 4, NULL },        { "md5crypt", "$1$", 0, NULL },
        { "descrypt", NULL, 0, "x7" },        { "bsdicrypt", NULL, 0, "_J9..salt" },
};

/* Check every scheme with THREADS workers; WITH_BCRYPT includes bcrypt,
 * which only one of the runs does because sanitizer builds compute it
 * slowly. */
static void check_all(unsigned threads, bool with_bcrypt)
{
        enum { PER = 4 };
        size_t n = ELEMENTSOF(schemes) * PER;
        crack_target_t *t = calloc(n, sizeof(*t));
        crack_result_t *res = calloc(n, sizeof(*res));
        char **hashes = calloc(n, sizeof(char *));
        unsigned src;
        dict_t *d = small_dict(&src);
        crack_opts_t opts = { .threads = threads };

        for (size_t s = 0; s < ELEMENTSOF(schemes); s++) {
                const scheme_t *sc = &schemes[s];
                if (!with_bcrypt && strcmp(sc->name, "bcrypt") == 0)
                        sc = &schemes[0];
                /* weak (list), name variant, empty, strong */
                const char *pw[PER] = { "monkey", "alicealice", "", "q8#Vt-2pLm!xR7" };
                for (size_t k = 0; k < PER; k++) {
                        size_t i = s * PER + k;
                        hashes[i] = make_hash(sc->prefix, sc->count, sc->setting, pw[k]);
                        /* Only the name-variant target gets an account
                         * name, so the others have few candidates (bcrypt
                         * is slow in sanitizer builds). */
                        t[i] = (crack_target_t){ hashes[i], k == 1 ? "alice" : NULL };
                }
        }
        assert_int_equal(crack_run(d, t, n, &opts, res), 0);
        for (size_t s = 0; s < ELEMENTSOF(schemes); s++) {
                crack_result_t *r = &res[s * PER];
                print_message("%s: %zu/%zu checked\n", schemes[s].name, r[3].checked, r[3].total);
                assert_int_equal(r[0].status, CRACK_FOUND);
                assert_int_equal(r[0].kind, DICT_KIND_CUSTOM);
                assert_int_equal(r[0].source, src);
                assert_string_equal(r[0].hint, "m***** (6 characters)");
                assert_int_equal(r[1].status, CRACK_FOUND);
                assert_int_equal(r[1].kind, DICT_KIND_NAME_VARIANT);
                assert_string_equal(r[1].hint, "a********* (10 characters)");
                assert_int_equal(r[2].status, CRACK_FOUND);
                assert_int_equal(r[2].kind, DICT_KIND_EMPTY);
                assert_string_equal(r[2].hint, "empty");
                assert_int_equal(r[3].status, CRACK_NOT_FOUND);
                assert_int_equal(r[3].checked, r[3].total);
                assert_true(r[3].total >= dict_size(d) + 1);
        }
        /* Nothing in the results holds a password. */
        for (size_t i = 0; i < n; i++)
                assert_null(memmem(&res[i], sizeof(res[i]), "monkey", 6));
        for (size_t i = 0; i < n; i++)
                free(hashes[i]);
        free(hashes);
        free(t);
        free(res);
        dict_free(d);
}

static void test_schemes_one_thread(void **state)
{
        (void)state;
        check_all(1, false);
}

static void test_schemes_threads(void **state)
{
        (void)state;
        check_all(4, true);
}

static void test_shared_salt(void **state)
{
        /* DES hashes of one salt are checked together; each must still get
         * its own answer. */
        char *h1 = make_hash(NULL, 0, "ab", "letmein");
        char *h2 = make_hash(NULL, 0, "ab", "dragon");
        char *h3 = make_hash(NULL, 0, "ab", "Zq9!strong");
        crack_target_t t[3] = { { h1, "u1" }, { h2, "u2" }, { h3, "u3" } };
        crack_result_t res[3];
        dict_t *d = small_dict(NULL);
        crack_opts_t opts = { .threads = 2 };

        (void)state;
        assert_int_equal(crack_run(d, t, 3, &opts, res), 0);
        assert_int_equal(res[0].status, CRACK_FOUND);
        assert_string_equal(res[0].hint, "l****** (7 characters)");
        assert_int_equal(res[1].status, CRACK_FOUND);
        assert_string_equal(res[1].hint, "d***** (6 characters)");
        assert_int_equal(res[2].status, CRACK_NOT_FOUND);
        /* Variants of all three names were tried on the shared salt. */
        assert_true(res[2].total > 3 * 30 + dict_size(d));
        free(h1);
        free(h2);
        free(h3);
        dict_free(d);
}

static void test_budget(void **state)
{
        /* A default-cost yescrypt takes milliseconds per candidate, so a
         * budget of one microsecond ends the check after the first chunk,
         * whatever the machine's speed. */
        char *h = make_hash("$y$", 0, NULL, "not-in-any-list-7Hq");
        crack_target_t t[2] = { { h, "bob" }, { h, "bob" } };
        crack_result_t res[2];
        dict_t *d = small_dict(NULL);
        crack_opts_t opts = { .threads = 2, .budget_per_hash_us = 1 };

        (void)state;
        assert_int_equal(crack_run(d, t, 1, &opts, res), 0);
        assert_int_equal(res[0].status, CRACK_INCOMPLETE);
        assert_false(res[0].total_budget);
        assert_true(res[0].checked >= 1);
        assert_true(res[0].checked < res[0].total);

        opts = (crack_opts_t){ .threads = 1, .budget_total_us = 1 };
        assert_int_equal(crack_run(d, t, 2, &opts, res), 0);
        assert_int_equal(res[0].status, CRACK_INCOMPLETE);
        assert_true(res[0].total_budget);
        assert_int_equal(res[1].status, CRACK_INCOMPLETE);
        free(h);
        dict_free(d);
}

static void test_unsupported(void **state)
{
        crack_target_t t[3] = { { "x", "a" }, { "$9$bogus$hash", "b" }, { "*0", "c" } };
        crack_result_t res[3];
        dict_t *d = small_dict(NULL);
        crack_opts_t opts = { .threads = 2 };

        (void)state;
        assert_int_equal(crack_run(d, t, 3, &opts, res), 0);
        for (size_t i = 0; i < 3; i++)
                assert_int_equal(res[i].status, CRACK_UNSUPPORTED);
        assert_int_equal(crack_run(d, t, 0, &opts, res), 0);
        dict_free(d);
}

static void test_engine_fallbacks(void **state)
{
        /* Candidates the own bcrypt and md5crypt code does not take (8-bit
         * characters, more than 15 bytes) still get checked, by libxcrypt;
         * and a bcrypt string whose salt is not in libxcrypt's canonical
         * form can match nothing, as at login. */
        static const char *const pws[] = { "p\xc3\xa4ssw\xc3\xb6rd", "a-long-password-of-24-b" };
        dict_load_stats_t st = { 0 };
        dict_t *d = NULL;
        unsigned src;
        char *h[5];
        crack_target_t t[5];
        crack_result_t res[5];
        crack_opts_t opts = { .threads = 2 };

        (void)state;
        assert_int_equal(dict_new(1 * MiB, &d), 0);
        assert_int_equal(dict_add_source(d, DICT_KIND_CUSTOM, "c", &src), 0);
        for (int i = 0; i < 8; i++) {
                char w[32];
                int n = snprintf(w, sizeof(w), "w%d", i);
                assert_int_equal(dict_add_word(d, src, w, (size_t)n), 1);
        }
        for (size_t i = 0; i < 2; i++)
                assert_int_equal(dict_load_buffer(d, src, pws[i], strlen(pws[i]), &st), 0);
        h[0] = make_hash("$2b$", 4, NULL, pws[0]);
        h[1] = make_hash("$2b$", 4, NULL, pws[1]);
        h[2] = make_hash("$1$", 0, NULL, pws[0]);
        h[3] = make_hash("$1$", 0, NULL, pws[1]);
        /* The last salt character of bcrypt carries 2 bits; flipping the
         * 4 unused ones gives a string libxcrypt never produces. */
        h[4] = make_hash("$2b$", 4, NULL, "w3");
        {
                static const char b64[] =
                        "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                char *c = &h[4][28];
                size_t v = (size_t)(strchr(b64, *c) - b64);
                *c = b64[(v & 0x30) | ((v + 1) & 0x0f)];
        }
        for (int i = 0; i < 5; i++)
                t[i] = (crack_target_t){ h[i], NULL };
        assert_int_equal(crack_run(d, t, 5, &opts, res), 0);
        for (int i = 0; i < 4; i++)
                assert_int_equal(res[i].status, CRACK_FOUND);
        assert_string_equal(res[1].hint, "a********************** (23 characters)");
        assert_int_equal(res[4].status, CRACK_NOT_FOUND);
        for (int i = 0; i < 5; i++)
                free(h[i]);
        dict_free(d);
}

static void test_variants(void **state)
{
        strv_t v = { 0 };
        static const char *const expect[] = { "alice",      "Alice",     "ALICE",    "ecila",
                                              "alicealice", "alice1",    "alice123", "alice!",
                                              "alice@123",  "alice2024", "Alice123", "Alice2026",
                                              "123alice",   "@l1c3",     "@l1c3123" };

        (void)state;
        assert_int_equal(crack_name_variants("alice", &v), 0);
        assert_true(v.n <= CRACK_MAX_VARIANTS);
        assert_true(v.n >= 30);
        for (size_t i = 0; i < ELEMENTSOF(expect); i++)
                assert_true(strv_contains(&v, expect[i]));
        for (size_t i = 0; i < v.n; i++) {
                assert_true(v.v[i][0]);
                for (size_t k = i + 1; k < v.n; k++)
                        assert_string_not_equal(v.v[i], v.v[k]);
        }
        strv_clear(&v);
        /* Names at the size limit make no over-long variants. */
        char big[DICT_WORD_MAX + 1];
        memset(big, 'n', DICT_WORD_MAX);
        big[DICT_WORD_MAX] = 0;
        assert_int_equal(crack_name_variants(big, &v), 0);
        for (size_t i = 0; i < v.n; i++)
                assert_true(strlen(v.v[i]) <= DICT_WORD_MAX);
        strv_clear(&v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_schemes_one_thread), cmocka_unit_test(test_schemes_threads),
                cmocka_unit_test(test_shared_salt),        cmocka_unit_test(test_budget),
                cmocka_unit_test(test_unsupported),        cmocka_unit_test(test_engine_fallbacks),
                cmocka_unit_test(test_variants),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
