/* vigil feed: vulnerability data in the local store. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_feed(int argc, char **argv, cli_globals_t *g)
{
        (void)argc;
        (void)argv;
        (void)g;
        return cli_usage_error("feed", "not built yet");
}
