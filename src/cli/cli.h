/* Shared parts of the command line: global options, loading the config,
 * and the entry points of the subcommands (one file each). */
#pragma once

#include <stdbool.h>

#include "core/config.h"

/* Exit statuses (DESIGN.md): 0 no high risk, 1 high risk found, 2 usage or
 * runtime error. */
enum {
        EXIT_CLEAN = 0,
        EXIT_HIGH_RISK = 1,
        EXIT_TROUBLE = 2,
};

#define STATE_DIR_DEFAULT "/var/lib/vigil"

typedef struct cli_globals {
        const char *state_dir;   /* --state, $VIGIL_STATE_DIR, or the default */
        const char *config_path; /* --config or the default */
        bool config_given;       /* the user named a config file: it must exist */
        int verbosity;           /* -v raises, -q lowers */
} cli_globals_t;

/* getopt_long entries for the global options, to splice into a command's
 * own table; values of .val are CLI_OPT_*. */
enum {
        CLI_OPT_STATE = 0x1000,
        CLI_OPT_CONFIG,
};
#define CLI_GLOBAL_LONGOPTS                                                                        \
        { "state", required_argument, NULL, CLI_OPT_STATE },                                       \
                { "config", required_argument, NULL, CLI_OPT_CONFIG },                             \
                { "verbose", no_argument, NULL, 'v' },                                             \
        {                                                                                          \
                "quiet", no_argument, NULL, 'q'                                                    \
        }

/* Handle a global option returned by getopt_long. Returns true when OPT was
 * one of them. */
bool cli_global_option(cli_globals_t *g, int opt, const char *arg);

/* Load the configuration named by G; on failure logs the error and returns
 * NULL. */
config_t *cli_load_config(const cli_globals_t *g);

/* Print "Try 'vigil CMD --help'." after a usage error; returns EXIT_TROUBLE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cmd_scan(int argc, char **argv, cli_globals_t *g);
int cmd_feed(int argc, char **argv, cli_globals_t *g);
int cmd_logscan(int argc, char **argv, cli_globals_t *g);
int cmd_quarantine(int argc, char **argv, cli_globals_t *g);
int cmd_fim(int argc, char **argv, cli_globals_t *g);
int cmd_agent(int argc, char **argv, cli_globals_t *g);
int cmd_center(int argc, char **argv, cli_globals_t *g);
