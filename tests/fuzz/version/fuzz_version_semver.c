/* Fuzz target for the semver version order (inventory/version/vercmp_semver.c). */
#define FUZZ_SCHEME     VERSION_SEMVER
#define FUZZ_TRANSITIVE 1
#include "fuzz_version.h"
