/* Fuzz target: pg_hba.conf parsing and address classification. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scan/weakpass/pghba.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_rule(const pghba_rule_t *rule, const char *where, void *userdata)
{
        size_t *n = userdata;
        /* Touch every field so a dangling pointer shows up. */
        *n += strlen(rule->type) + strlen(rule->database) + strlen(rule->user) +
              strlen(rule->method) + (rule->address ? strlen(rule->address) : 0) + strlen(where);
        return 0;
}

static int on_include(pghba_include_kind_t kind, const char *path, const char *where,
                      void *userdata)
{
        size_t *n = userdata;
        *n += (size_t)kind + strlen(path) + strlen(where);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        size_t n = 0;

        if (!r)
                return 0;
        (void)pghba_parse((const char *)data, size, "pg_hba.conf", r, on_rule, on_include, &n);
        report_free(r);
        return 0;
}
