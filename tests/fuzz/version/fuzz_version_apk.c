/* Fuzz target for the apk version order (inventory/version/vercmp_apk.c). */
#define FUZZ_SCHEME     VERSION_APK
#define FUZZ_TRANSITIVE 1
#include "fuzz_version.h"
