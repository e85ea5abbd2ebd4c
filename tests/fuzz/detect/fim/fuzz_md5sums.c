/* Fuzz target: a dpkg md5sums file through the md5sums parser (and, from
 * the same bytes, the conffiles and diversions parsers, which read the same
 * dpkg info folder). Every path handed out must be NUL-terminated, within
 * the cap, and is tidied the way the loader does. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/fim/fimpath.h"
#include "detect/fim/pkgverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_md5(const char *path, const uint8_t md5[FIMHASH_MD5_LEN], void *userdata)
{
        char *tidy = NULL;
        size_t n = strlen(path);

        (void)md5;
        (void)userdata;
        if (n == 0 || n > PKGVERIFY_PATH_MAX)
                abort();
        if (fimpath_tidy(path, n, &tidy) == 0) {
                if (tidy[0] != '/' || strstr(tidy, "//"))
                        abort();
                free(tidy);
        }
        return 0;
}

static int on_path(const char *path, void *userdata)
{
        (void)userdata;
        if (strlen(path) > PKGVERIFY_PATH_MAX)
                abort();
        return 0;
}

static int on_div(const char *from, const char *to, const char *pkg, void *userdata)
{
        (void)userdata;
        if (from[0] != '/' || to[0] != '/' || strlen(pkg) > PKGVERIFY_PATH_MAX)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        size_t bad = 0;

        if (!r)
                return 0;
        (void)pkgverify_parse_md5sums((const char *)data, size, "md5sums", r, on_md5, NULL, &bad);
        (void)pkgverify_parse_conffiles((const char *)data, size, "conffiles", r, on_path, NULL,
                                        &bad);
        (void)pkgverify_parse_diversions((const char *)data, size, "diversions", r, on_div, NULL,
                                         &bad);
        report_free(r);
        return 0;
}
