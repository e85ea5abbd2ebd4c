#include "scan/scannames.h"

#include <string.h>

#include "core/macro.h"

static const char *const names[] = {
        SCANNAME_BASELINE, SCANNAME_EXPOSURE, SCANNAME_WEAK_PASSWORD, SCANNAME_VULNERABILITY,
        SCANNAME_SECRET,   SCANNAME_MALWARE,  SCANNAME_PROCESS,
};

_Static_assert(ELEMENTSOF(names) == SCANNAMES_COUNT, "SCANNAMES_COUNT is the number of names");

const char *const *scannames_all(size_t *ret_n)
{
        *ret_n = ELEMENTSOF(names);
        return names;
}

bool scannames_known(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}
