/* Fuzz target: a buffer through the secret engine with the shipped rules.
 * Besides crashes, it checks the engine's promises on every match: the
 * secret lies inside the input, its position is sane, the fingerprint is
 * the SHA-256 of the secret, and the preview shows at most 6 characters of
 * it. The input is also scanned in two chunks to cover chunk handling. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "scan/secrets/engine.h"
#include "scan/secrets/rules.h"

#ifndef VIGIL_SOURCE_RULES
#define VIGIL_SOURCE_RULES "rules"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static secrets_rules_t *rules;
static secrets_engine_t *engine;
static secrets_scratch_t *scratch;

struct input {
        const char *data;
        size_t len;
};

static int check(const secrets_match_t *m, void *userdata)
{
        const struct input *in = userdata;
        uint8_t d[HASH_SHA256_LEN];
        char hex[HASH_SHA256_HEX];
        size_t shown = strlen(m->preview);

        if (m->offset + m->length > in->len || m->line < 1 || m->column < 1 || !m->secret_len ||
            m->secret_len > SECRETS_MAX_SECRET)
                abort();
        hash_sha256(m->secret, m->secret_len, d);
        hash_hex(d, sizeof(d), hex);
        if (strcmp(hex, m->fingerprint) != 0)
                abort();
        /* The preview is at most 6 characters of the secret and "…" (3
         * bytes), and never the whole of a short secret. */
        if (shown < 3 || shown - 3 > 6 || !strstr(m->preview, "\xe2\x80\xa6"))
                abort();
        if (shown - 3 >= m->secret_len)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct input in = { (const char *)data, size };
        char *err = NULL;

        if (!engine) {
                if (secrets_rules_load(VIGIL_SOURCE_RULES "/secrets/rules.yml", &rules, &err) < 0 ||
                    secrets_engine_new(rules, &engine, &err) < 0 ||
                    secrets_scratch_new(engine, &scratch) < 0) {
                        fprintf(stderr, "fuzz_secrets_scan: %s\n", err ? err : "setup failed");
                        abort();
                }
        }
        if (secrets_scan_buffer(engine, scratch, in.data, in.len, check, &in) < 0)
                abort();
        /* Now and then, the input repeated past the overlap and scanned as
         * two chunks, to reach the chunk code (costly, so not every time). */
        if (size > 16 && size < 4096 && (data[0] & 15) == 0) {
                size_t big = SECRETS_OVERLAP + 8192, n = 0;
                char *buf = malloc(big * 2);
                struct input whole = { buf, big * 2 };
                if (!buf)
                        return 0;
                while (n < big * 2) {
                        size_t k = size < big * 2 - n ? size : big * 2 - n;
                        memcpy(buf + n, data, k);
                        n += k;
                }
                secrets_scan_begin(scratch);
                if (secrets_scan_chunk(engine, scratch, buf, big + SECRETS_OVERLAP, false, check,
                                       &whole) < 0 ||
                    secrets_scan_chunk(engine, scratch, buf + big, big, true, check, &whole) < 0)
                        abort();
                free(buf);
        }
        return 0;
}
