/* Fuzz target for the dpkg version order (inventory/version/vercmp_dpkg.c). */
#define FUZZ_SCHEME     VERSION_DPKG
#define FUZZ_TRANSITIVE 1
#include "fuzz_version.h"
