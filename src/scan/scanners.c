#include "scan/scanners.h"

#include <string.h>

#include "scan/baseline/baseline.h"
#include "scan/exposure/exposure.h"
#include "scan/malware/malware.h"
#include "scan/process/process.h"
#include "scan/scannames.h"
#include "scan/secrets/secrets.h"
#include "scan/vuln/vuln.h"
#include "scan/weakpass/weakpass.h"

static const scanner_t all_scanners[] = {
        { SCANNAME_BASELINE,
          "configuration and compliance checks (SSH, passwords, audit, kernel, services, TLS "
          "certificates)",
          baseline_scan },
        { SCANNAME_EXPOSURE, "listening services reachable without authentication or restriction",
          exposure_scan },
        { SCANNAME_WEAK_PASSWORD, "weak or default passwords of accounts and services",
          weakpass_scan },
        { SCANNAME_VULNERABILITY, "vulnerable OS packages and application components", vuln_scan },
        { SCANNAME_SECRET,
          "leaked access keys, tokens, private keys and passwords in files and git history",
          secrets_scan },
        { SCANNAME_MALWARE, "webshells, coin miners, reverse shells, backdoors and known-bad files",
          malware_scan },
        { SCANNAME_PROCESS,
          "running processes: reverse shells, miners, deleted or temp-dir binaries, hidden "
          "processes, persistence",
          process_scan },
        { NULL, NULL, NULL },
};

/* The registry is built from scan/scannames.h, which code that must not link
 * the scanners uses instead; the same count here, and the same order checked
 * by a unit test, keep the two lists one. */
_Static_assert(ELEMENTSOF(all_scanners) - 1 == SCANNAMES_COUNT,
               "every scanner has its name in scan/scannames.h");

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
