/* The console's static files (src/center/web/), embedded into the binary
 * at build time: meson runs web/embed.py over them and compiles the C
 * array it writes (console_assets_data.c in the build directory). Nothing
 * is read from disk at run time, so the pages served are always the ones
 * built with the code that serves the API they call. */
#pragma once

#include <stddef.h>

typedef struct console_asset {
        const char *name;         /* file name, e.g. "app.js" */
        const char *content_type; /* chosen by extension at build time */
        const unsigned char *data;
        size_t size;
} console_asset_t;

extern const console_asset_t console_assets[];
extern const size_t console_n_assets;
