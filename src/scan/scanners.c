#include "scan/scanners.h"

#include <string.h>

#include "scan/baseline/baseline.h"
#include "scan/exposure/exposure.h"
#include "scan/vuln/vuln.h"
#include "scan/weakpass/weakpass.h"

static const scanner_t all_scanners[] = {
        { "vulnerability", "vulnerable OS packages and application components", vuln_scan },
        { "baseline",
          "configuration and compliance checks (SSH, passwords, audit, kernel, services, TLS "
          "certificates)",
          baseline_scan },
        { "weak_password", "weak or default passwords of accounts and services", weakpass_scan },
        { "exposure", "listening services reachable without authentication or restriction",
          exposure_scan },
        { NULL, NULL, NULL },
};

const scanner_t *scanners_all(size_t *ret_n)
{
        *ret_n = ELEMENTSOF(all_scanners) - 1;
        return all_scanners;
}

const scanner_t *scanner_find(const char *name)
{
        for (size_t i = 0; all_scanners[i].name; i++)
                if (strcmp(all_scanners[i].name, name) == 0)
                        return &all_scanners[i];
        return NULL;
}
