/* Fuzz target: a policy file (YAML) into the baseline policy loader. It
 * must never crash, and every problem it reports must carry a position
 * ("FILE:LINE:COLUMN: ..."). */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/baseline/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_position(const char *d)
{
        const char *p = d;

        if (strncmp(p, "f.yml:", 6) != 0)
                abort();
        p += 6;
        if (!isdigit((unsigned char)*p))
                abort();
        while (isdigit((unsigned char)*p))
                p++;
        if (*p++ != ':' || !isdigit((unsigned char)*p))
                abort();
        while (isdigit((unsigned char)*p))
                p++;
        if (strncmp(p, ": ", 2) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        strv_t diags = { 0 };
        policy_t *p = NULL;
        int r = policy_load((const char *)data, size, "f.yml", &p, &diags);

        for (size_t i = 0; i < diags.n; i++)
                check_position(diags.v[i]);
        /* A refused file always says why. */
        if (r == -EINVAL && diags.n == 0)
                abort();
        policy_free(p);
        strv_clear(&diags);
        return 0;
}
