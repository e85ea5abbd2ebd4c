/* Fuzz target for the rpm version order (inventory/version/vercmp_rpm.c). */
#define FUZZ_SCHEME     VERSION_RPM
#define FUZZ_TRANSITIVE 1
#include "fuzz_version.h"
