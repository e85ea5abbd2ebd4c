/* Fuzz target for the composer version order (inventory/version/vercmp_composer.c). */
#define FUZZ_SCHEME     VERSION_COMPOSER
#define FUZZ_TRANSITIVE 1
#include "fuzz_version.h"
