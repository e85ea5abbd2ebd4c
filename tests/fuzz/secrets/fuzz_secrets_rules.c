/* Fuzz target: the secret rules loader. A file that loads is also
 * compiled into an engine (when small enough that Hyperscan compiles it in
 * a moment) and its embedded tests are expanded and scanned. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/secrets/engine.h"
#include "scan/secrets/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore(const secrets_match_t *m, void *userdata)
{
        (void)m;
        (void)userdata;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        secrets_rules_t *rs = NULL;
        secrets_engine_t *e = NULL;
        secrets_scratch_t *s = NULL;
        char *err = NULL;
        size_t bytes = 0;

        if (secrets_rules_parse((const char *)data, size, "fuzz.yml", &rs, &err) < 0) {
                free(err);
                return 0;
        }
        for (size_t i = 0; i < rs->n; i++)
                bytes += strlen(rs->rules[i].pattern) +
                         (rs->rules[i].trigger ? strlen(rs->rules[i].trigger) : 0);
        if (rs->n <= 4 && bytes <= 256 && secrets_engine_new(rs, &e, &err) == 0 &&
            secrets_scratch_new(e, &s) == 0) {
                for (size_t i = 0; i < rs->n; i++)
                        for (size_t t = 0; t < rs->rules[i].tests_match.n; t++) {
                                uint64_t seed = t;
                                char *text = NULL;
                                size_t len, so, sl;
                                if (secrets_rules_expand_test(rs->rules[i].tests_match.v[t], &seed,
                                                              &text, &len, &so, &sl) == 0)
                                        secrets_scan_buffer(e, s, text, len, ignore, NULL);
                                free(text);
                        }
        }
        free(err);
        secrets_scratch_free(s);
        secrets_engine_free(e);
        secrets_rules_free(rs);
        return 0;
}
