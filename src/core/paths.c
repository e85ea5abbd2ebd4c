#include "core/paths.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "core/text.h"

#ifndef VIGIL_DATADIR
#define VIGIL_DATADIR "/usr/local/share/vigil"
#endif
#ifndef VIGIL_SOURCE_RULES
#define VIGIL_SOURCE_RULES ""
#endif

static int is_dir(const char *p)
{
        struct stat st;
        return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *paths_rules_dir(const config_t *config)
{
        const char *c = config_get_str(config, "rules_dir", NULL);
        const char *e = getenv("VIGIL_RULES_DIR");

        if (c)
                return is_dir(c) ? c : NULL;
        if (e && *e)
                return is_dir(e) ? e : NULL;
        if (is_dir(VIGIL_DATADIR "/rules"))
                return VIGIL_DATADIR "/rules";
        if (is_dir(VIGIL_SOURCE_RULES))
                return VIGIL_SOURCE_RULES;
        return NULL;
}

char *paths_rules_file(const config_t *config, const char *sub)
{
        const char *dir = paths_rules_dir(config);
        return dir ? str_printf("%s/%s", dir, sub) : NULL;
}
