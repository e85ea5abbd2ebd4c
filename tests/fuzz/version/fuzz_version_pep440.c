/* Fuzz target for the pep440 version order (inventory/version/vercmp_pep440.c). */
#define FUZZ_SCHEME     VERSION_PEP440
#define FUZZ_TRANSITIVE 1
#include "fuzz_version.h"
