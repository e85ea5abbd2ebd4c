/* Unit tests for scan/secrets/engine: the embedded tests of every shipped
 * rule (each positive test found at the marked offset, each negative test
 * not found), placeholders, previews, entropy, chunked scanning across chunk
 * edges, positions (line and column in characters) and the promise that no
 * preview shows more than 6 characters of a secret. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/text.h"
#include "scan/secrets/engine.h"
#include "scan/secrets/rules.h"

#ifndef VIGIL_SOURCE_RULES
#define VIGIL_SOURCE_RULES "rules"
#endif

typedef struct hit {
        char rule[80];
        uint64_t offset;
        size_t length;
        uint64_t line, column;
        char preview[SECRETS_PREVIEW_MAX];
        char fingerprint[HASH_SHA256_HEX];
} hit_t;

typedef struct hits {
        hit_t v[1024];
        size_t n;
} hits_t;

static secrets_rules_t *rules;
static secrets_engine_t *engine;
static secrets_scratch_t *scratch;

static int collect(const secrets_match_t *m, void *userdata)
{
        hits_t *h = userdata;
        hit_t *x;

        if (h->n >= ELEMENTSOF(h->v))
                return -E2BIG;
        x = &h->v[h->n++];
        snprintf(x->rule, sizeof(x->rule), "%s", m->rule->id);
        x->offset = m->offset;
        x->length = m->length;
        x->line = m->line;
        x->column = m->column;
        memcpy(x->preview, m->preview, sizeof(x->preview));
        memcpy(x->fingerprint, m->fingerprint, sizeof(x->fingerprint));
        return 0;
}

static int setup(void **state)
{
        char *err = NULL;
        (void)state;
        if (secrets_rules_load(VIGIL_SOURCE_RULES "/secrets/rules.yml", &rules, &err) < 0) {
                fprintf(stderr, "%s\n", err ? err : "?");
                return -1;
        }
        if (secrets_engine_new(rules, &engine, &err) < 0) {
                fprintf(stderr, "%s\n", err ? err : "?");
                return -1;
        }
        return secrets_scratch_new(engine, &scratch);
}

static int teardown(void **state)
{
        (void)state;
        secrets_scratch_free(scratch);
        secrets_engine_free(engine);
        secrets_rules_free(rules);
        return 0;
}

static const hit_t *find_rule(const hits_t *h, const char *rule)
{
        for (size_t i = 0; i < h->n; i++)
                if (strcmp(h->v[i].rule, rule) == 0)
                        return &h->v[i];
        return NULL;
}

static void scan(const char *text, size_t len, hits_t *h)
{
        memset(h, 0, sizeof(*h));
        assert_int_equal(secrets_scan_buffer(engine, scratch, text, len, collect, h), 0);
}

/* Every rule's own examples: this is how a rule author tests a new rule. */
static void test_embedded_rule_tests(void **state)
{
        size_t n_pos = 0, n_neg = 0;
        (void)state;

        for (size_t i = 0; i < rules->n; i++) {
                const secrets_rule_t *r = &rules->rules[i];
                assert_true(r->tests_match.n > 0);
                for (size_t t = 0; t < r->tests_match.n; t++) {
                        uint64_t seed = hash_fnv1a(r->id, strlen(r->id)) + t;
                        _cleanup_free_ char *text = NULL;
                        size_t len, soff, slen;
                        const hit_t *hit = NULL;
                        hits_t *h = calloc(1, sizeof(*h));

                        assert_non_null(h);
                        assert_int_equal(secrets_rules_expand_test(r->tests_match.v[t], &seed,
                                                                   &text, &len, &soff, &slen),
                                         0);
                        scan(text, len, h);
                        for (size_t k = 0; k < h->n; k++)
                                if (strcmp(h->v[k].rule, r->id) == 0 && h->v[k].offset == soff)
                                        hit = &h->v[k];
                        if (!hit || (slen && hit->length != slen)) {
                                fprintf(stderr,
                                        "rule %s: positive test %zu not found at %zu+%zu "
                                        "in:\n%s\n",
                                        r->id, t + 1, soff, slen, text);
                                for (size_t k = 0; k < h->n; k++)
                                        fprintf(stderr, "  got %s at %llu+%zu\n", h->v[k].rule,
                                                (unsigned long long)h->v[k].offset, h->v[k].length);
                                fail();
                        }
                        n_pos++;
                        free(h);
                }
                for (size_t t = 0; t < r->tests_no_match.n; t++) {
                        uint64_t seed = hash_fnv1a(r->id, strlen(r->id)) + 1000 + t;
                        _cleanup_free_ char *text = NULL;
                        size_t len, soff, slen;
                        hits_t *h = calloc(1, sizeof(*h));

                        assert_non_null(h);
                        assert_int_equal(secrets_rules_expand_test(r->tests_no_match.v[t], &seed,
                                                                   &text, &len, &soff, &slen),
                                         0);
                        scan(text, len, h);
                        if (find_rule(h, r->id)) {
                                fprintf(stderr, "rule %s: negative test %zu matched:\n%s\n", r->id,
                                        t + 1, text);
                                fail();
                        }
                        n_neg++;
                        free(h);
                }
        }
        assert_true(n_pos >= rules->n);
        assert_true(n_neg > 0);
}

static void test_preview_and_entropy(void **state)
{
        char out[SECRETS_PREVIEW_MAX];
        (void)state;

        secrets_preview("AKIAABCDEFGHIJKLMNOP", 20, out);
        assert_string_equal(out, "AKIA\xe2\x80\xa6OP");
        secrets_preview("abcdefghijkl", 12, out);
        assert_string_equal(out, "ab\xe2\x80\xa6l");
        secrets_preview("abcdefgh", 8, out);
        assert_string_equal(out, "a\xe2\x80\xa6");
        secrets_preview("abcde", 5, out);
        assert_string_equal(out, "\xe2\x80\xa6");
        secrets_preview("ab\ncd\x01ghijklmnopq", 17, out);
        assert_string_equal(out, "ab?c\xe2\x80\xa6pq");

        assert_true(secrets_entropy("aaaaaaaa", 8) < 0.001);
        assert_true(secrets_entropy("abababab", 8) > 0.999 &&
                    secrets_entropy("abababab", 8) < 1.001);
        /* 16 distinct bytes once each: exactly 4 bits. */
        assert_true(secrets_entropy("0123456789abcdef", 16) > 3.999 &&
                    secrets_entropy("0123456789abcdef", 16) < 4.001);
        assert_true(secrets_entropy("", 0) == 0);
}

/* Placeholders and documented examples are never reported. */
static void test_placeholders(void **state)
{
        static const char *const texts[] = {
                "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
                "password=changeme\n",
                "password = \"<your-password-here>\"\n",
                "DB_PASSWORD=${DB_PASSWORD}\n",
                "api_key: xxxxxxxxxxxxxxxxxxxxxxxx\n",
                "secret = \"{{ vault_secret }}\"\n",
                "token: %(token)s\n",
                "password: REPLACE_WITH_REAL_PASSWORD\n",
                "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
                "client_secret = dummy-client-secret-value\n",
                "password: ENC[AES256_GCM,data:abc,iv:def]\n",
        };
        hits_t *h = calloc(1, sizeof(*h));
        (void)state;

        assert_non_null(h);
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                scan(texts[i], strlen(texts[i]), h);
                if (h->n)
                        fprintf(stderr, "placeholder %zu reported as %s\n", i, h->v[0].rule);
                assert_int_equal(h->n, 0);
        }
        free(h);
}

/* Line and column of a secret after multi-byte characters and on a long
 * line; the column counts characters, not bytes. */
static void test_positions(void **state)
{
        uint64_t seed = 7;
        _cleanup_free_ char *key = NULL, *text = NULL;
        size_t klen, soff, slen;
        hits_t *h = calloc(1, sizeof(*h));
        const hit_t *hit;
        (void)state;

        assert_non_null(h);
        assert_int_equal(
                secrets_rules_expand_test("AKIA{{base32:16}}", &seed, &key, &klen, &soff, &slen),
                0);
        /* Line 3; "é" and "→" are 2 and 3 bytes but one character each. */
        text = str_printf("first line\nsecond\n# é → key: %s\n", key);
        assert_non_null(text);
        scan(text, strlen(text), h);
        hit = find_rule(h, "aws-access-key-id");
        assert_non_null(hit);
        assert_int_equal(hit->line, 3);
        assert_int_equal(hit->column, 12);
        assert_int_equal(hit->offset, strstr(text, "AKIA") - text);
        assert_int_equal(hit->length, 20);
        free(h);
}

/* The same input scanned whole and in chunks (of a size that puts secrets
 * right across chunk edges) gives the same matches at the same places. */
static int cmp_hit(const void *a, const void *b)
{
        const hit_t *x = a, *y = b;
        if (x->offset != y->offset)
                return x->offset < y->offset ? -1 : 1;
        return strcmp(x->rule, y->rule);
}

static void test_chunks(void **state)
{
        const size_t chunk = SECRETS_OVERLAP + 32 * 1024;
        const size_t total = 4 * chunk;
        static const char *const tmpl[] = {
                "aws_access_key_id = AKIA{{base32:16}}\naws_secret_access_key = {{base64:40}}\n",
                "GITHUB_TOKEN=ghp_{{alnum:36}}\n",
                ("-----BEGIN RSA PRIVATE KEY-----\n{{base64:64}}\n{{base64:64}}\n{{base64:64}}\n"
                 "-----END RSA PRIVATE KEY-----\n"),
                "DB_PASSWORD={{alnum:20}}\n",
                "é ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI{{alnum:20}} secret={{alnum:30}}\n",
        };
        char *buf = malloc(total + 1);
        hits_t *whole = calloc(1, sizeof(*whole)), *parts = calloc(1, sizeof(*parts));
        uint64_t seed = 42;
        size_t len = 0, k = 0, pos = 0;
        (void)state;

        assert_non_null(buf);
        assert_non_null(whole);
        assert_non_null(parts);
        /* Filler lines, and secrets placed across the start of each chunk
         * and across the end of the one before (the two edges of each
         * overlap), and just inside them. */
        {
                size_t targets[256], nt = 0, ti = 0;
                const char *fill = "just some ordinary text that is not a secret at all\n";
                for (size_t e = chunk - SECRETS_OVERLAP; e + SECRETS_OVERLAP < total - 8192;
                     e += chunk - SECRETS_OVERLAP) {
                        assert_true(nt + 4 <= ELEMENTSOF(targets));
                        targets[nt++] = e - 20;
                        targets[nt++] = e + 300;
                        targets[nt++] = e + SECRETS_OVERLAP - 40;
                        targets[nt++] = e + SECRETS_OVERLAP - SECRETS_SLACK - 10;
                }
                while (len + 256 < total) {
                        _cleanup_free_ char *s = NULL;
                        size_t slen, so, sl;
                        if (ti < nt && len + strlen(fill) > targets[ti]) {
                                assert_int_equal(
                                        secrets_rules_expand_test(tmpl[k % ELEMENTSOF(tmpl)], &seed,
                                                                  &s, &slen, &so, &sl),
                                        0);
                                if (len + slen >= total)
                                        break;
                                memcpy(buf + len, s, slen);
                                len += slen;
                                k++;
                                ti++;
                                continue;
                        }
                        memcpy(buf + len, fill, strlen(fill));
                        len += strlen(fill);
                }
        }
        buf[len] = 0;
        scan(buf, len, whole);
        assert_true(whole->n >= k);

        memset(parts, 0, sizeof(*parts));
        secrets_scan_begin(scratch);
        for (;;) {
                size_t n = len - pos;
                bool last = n <= chunk;
                if (!last)
                        n = chunk;
                assert_int_equal(
                        secrets_scan_chunk(engine, scratch, buf + pos, n, last, collect, parts), 0);
                if (last)
                        break;
                pos += n - SECRETS_OVERLAP;
        }
        qsort(whole->v, whole->n, sizeof(hit_t), cmp_hit);
        qsort(parts->v, parts->n, sizeof(hit_t), cmp_hit);
        if (whole->n != parts->n)
                fprintf(stderr, "whole %zu matches, chunked %zu\n", whole->n, parts->n);
        assert_int_equal(whole->n, parts->n);
        for (size_t i = 0; i < whole->n; i++) {
                assert_string_equal(whole->v[i].rule, parts->v[i].rule);
                assert_int_equal(whole->v[i].offset, parts->v[i].offset);
                assert_int_equal(whole->v[i].line, parts->v[i].line);
                assert_int_equal(whole->v[i].column, parts->v[i].column);
                assert_string_equal(whole->v[i].fingerprint, parts->v[i].fingerprint);
        }
        /* A chunk that is too short (not the last) is refused. */
        secrets_scan_begin(scratch);
        assert_int_equal(secrets_scan_chunk(engine, scratch, buf, 100, false, collect, parts),
                         -EINVAL);
        free(buf);
        free(whole);
        free(parts);
}

/* No preview carries more than 6 characters of its secret, and the
 * fingerprint is the SHA-256 of the secret. */
static void test_preview_is_short(void **state)
{
        uint64_t seed = 99;
        _cleanup_free_ char *text = NULL;
        size_t len, so, sl;
        hits_t *h = calloc(1, sizeof(*h));
        (void)state;

        assert_non_null(h);
        assert_int_equal(secrets_rules_expand_test("x = 1\nDB_PASSWORD=[[{{alnum:24}}]]\n", &seed,
                                                   &text, &len, &so, &sl),
                         0);
        scan(text, len, h);
        assert_int_equal(h->n, 1);
        {
                uint8_t d[HASH_SHA256_LEN];
                char hex[HASH_SHA256_HEX];
                size_t shown = strlen(h->v[0].preview) - 3; /* minus the ellipsis */
                hash_sha256(text + so, sl, d);
                hash_hex(d, sizeof(d), hex);
                assert_string_equal(hex, h->v[0].fingerprint);
                assert_true(shown <= 6);
                assert_null(strstr(h->v[0].preview, text + so + 6));
        }
        free(h);
}

/* Broken rules are refused with the rule named. */
static void test_bad_patterns(void **state)
{
        static const struct {
                const char *yaml;
                const char *error;
        } cases[] = {
                { "version: 1\nrules:\n- {id: a, title: A, level: high, keywords: [x], "
                  "pattern: 'x(('}\n",
                  "rule 'a': pattern at offset 3" },
                { "version: 1\nrules:\n- {id: b, title: B, level: high, keywords: [x], "
                  "pattern: 'x[a-z]+'}\n",
                  "rule 'b': the expression can match more than" },
                { "version: 1\nrules:\n- {id: c, title: C, level: high, keywords: [x], "
                  "pattern: 'x?'}\n",
                  "rule 'c': the expression can match nothing" },
                { "version: 1\nrules:\n- {id: d, title: D, level: high, keywords: [x], "
                  "pattern: '(?<=x{300})y'}\n",
                  "rule 'd': pattern looks back more than" },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                secrets_rules_t *rs = NULL;
                secrets_engine_t *e = NULL;
                char *err = NULL;
                assert_int_equal(secrets_rules_parse(cases[i].yaml, strlen(cases[i].yaml), "t.yml",
                                                     &rs, &err),
                                 0);
                assert_int_equal(secrets_engine_new(rs, &e, &err), -EINVAL);
                assert_non_null(err);
                if (!strstr(err, cases[i].error))
                        fprintf(stderr, "case %zu: %s\n", i, err);
                assert_non_null(strstr(err, cases[i].error));
                free(err);
                secrets_rules_free(rs);
        }
}

/* Line and column against a plain count, for secrets at many places in
 * texts with long lines, short lines and multi-byte characters. */
static void test_positions_random(void **state)
{
        static const char *const pieces[] = {
                "a", "bc ", "\n", "é", "→", "日本", "x = 1\n", "                                ",
                "\t"
        };
        uint64_t seed = 5;
        hits_t *h = calloc(1, sizeof(*h));
        (void)state;

        assert_non_null(h);
        for (int round = 0; round < 200; round++) {
                _cleanup_free_ char *key = NULL;
                _cleanup_buf_ buf_t b = { 0 };
                size_t klen, so, sl, pieces_n = (size_t)(seed % 3000), at;
                uint64_t line = 1, col = 1;
                const hit_t *hit;

                buf_init(&b, 1 << 20);
                assert_int_equal(
                        secrets_rules_expand_test("ghp_{{alnum:36}}", &seed, &key, &klen, &so, &sl),
                        0);
                for (size_t i = 0; i < pieces_n; i++) {
                        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                        assert_int_equal(
                                buf_append_str(&b, pieces[(seed >> 33) % ELEMENTSOF(pieces)]), 0);
                }
                assert_int_equal(buf_append_str(&b, " "), 0);
                at = b.len;
                assert_int_equal(buf_append_str(&b, key), 0);
                assert_int_equal(buf_append_str(&b, " tail\n"), 0);
                for (size_t i = 0; i < at; i++) {
                        unsigned char c = (unsigned char)b.data[i];
                        if (c == '\n') {
                                line++;
                                col = 1;
                        } else if ((c & 0xC0) != 0x80)
                                col++;
                }
                scan(b.data, b.len, h);
                hit = find_rule(h, "github-token");
                assert_non_null(hit);
                assert_int_equal(hit->offset, at);
                assert_int_equal(hit->line, line);
                assert_int_equal(hit->column, col);
        }
        free(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_embedded_rule_tests),
                cmocka_unit_test(test_preview_and_entropy),
                cmocka_unit_test(test_placeholders),
                cmocka_unit_test(test_positions),
                cmocka_unit_test(test_positions_random),
                cmocka_unit_test(test_chunks),
                cmocka_unit_test(test_preview_is_short),
                cmocka_unit_test(test_bad_patterns),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
