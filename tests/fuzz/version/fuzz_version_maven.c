/* Fuzz target for the maven version order (inventory/version/vercmp_maven.c). */
#define FUZZ_SCHEME VERSION_MAVEN
/* Maven's own order is not transitive (docs/versions.md), so only
 * reflexivity and antisymmetry are checked. */
#include "fuzz_version.h"
