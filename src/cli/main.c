/* vigil: host security for Linux servers. This file parses the global
 * options and hands over to one subcommand. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/text.h"

struct command {
        const char *name;
        int (*run)(int argc, char **argv, cli_globals_t *g);
        const char *summary;
};

static const struct command commands[] = {
#ifndef VIGIL_AGENT_ONLY
        { "scan", cmd_scan, "run the posture scanners once and print the report" },
        { "feed", cmd_feed, "import, update and inspect vulnerability feeds" },
        { "logscan", cmd_logscan, "read auth and service logs: login events and alerts" },
        { "quarantine", cmd_quarantine, "move malicious files out of reach; list, restore" },
        { "fim", cmd_fim, "file integrity: baseline, check and watch the critical files" },
#endif
        { "agent", cmd_agent, "the daemon: real-time detectors, scheduled scans, local store" },
#ifndef VIGIL_AGENT_ONLY
        { "center", cmd_center, "the server agents report to: intake, storage, REST API" },
#endif
};

static void print_help(FILE *f)
{
        fputs("Usage: vigil [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
              "\n"
              "vigil finds the security risks of a Linux server and tells you how to fix them.\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fputs("\n"
              "Global options (also accepted after the command):\n"
              "  --state DIR    state directory (feeds, baselines); default $VIGIL_STATE_DIR\n"
              "                 or " STATE_DIR_DEFAULT "\n"
              "  --config FILE  configuration file; default " CONFIG_DEFAULT_PATH "\n"
              "  -v, --verbose  say more (repeat for debug output)\n"
              "  -q, --quiet    only print errors\n"
              "  --version      print the version and exit\n"
              "  -h, --help     print this help and exit\n"
              "\n"
              "Run 'vigil COMMAND --help' for the options of a command.\n",
              f);
}

#ifndef VIGIL_AGENT_ONLY
/* The daemon runs as vigil-agent, a second executable built from the same
 * sources with only the agent in it: it does not map the scanners' and the
 * center's libraries (Hyperscan, YARA, librpm, libmicrohttpd, libpq ...),
 * which keeps an idle agent small; its scans run as child `vigil scan`
 * processes. `vigil agent` replaces itself with vigil-agent from the same
 * directory (same pid, same arguments), so units and scripts only ever name
 * `vigil agent`. VIGIL_AGENT_EXE names another file, or "in-process" to run
 * the agent in this binary (tests of the fallback); when vigil-agent is not
 * there the agent runs in-process too. */
static void exec_agent_binary(char **argv)
{
        const char *env = getenv("VIGIL_AGENT_EXE");
        char self[4096], path[4096 + 32];
        ssize_t n;
        char *slash;

        if (env && strcmp(env, "in-process") == 0)
                return;
        if (env && *env) {
                if (snprintf(path, sizeof(path), "%s", env) >= (int)sizeof(path))
                        return;
        } else {
                n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (n <= 0 || (size_t)n >= sizeof(self) - 1)
                        return;
                self[n] = '\0';
                slash = strrchr(self, '/');
                if (!slash)
                        return;
                *slash = '\0';
                snprintf(path, sizeof(path), "%s/vigil-agent", self);
        }
        if (access(path, X_OK) < 0) {
                log_debug("no %s (%s): the agent runs in this process", path, strerror(errno));
                return;
        }
        execv(path, argv);
        log_warn("cannot run %s: %s; the agent runs in this process", path, strerror(errno));
}
#endif

bool cli_global_option(cli_globals_t *g, int opt, const char *arg)
{
        switch (opt) {
        case CLI_OPT_STATE:
                g->state_dir = arg;
                return true;
        case CLI_OPT_CONFIG:
                g->config_path = arg;
                g->config_given = true;
                return true;
        case 'v':
                g->verbosity++;
                log_set_level(g->verbosity >= 2 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
                return true;
        case 'q':
                g->verbosity = -1;
                log_set_level(LOG_LEVEL_ERROR);
                return true;
        }
        return false;
}

config_t *cli_load_config(const cli_globals_t *g)
{
        _cleanup_free_ char *err = NULL;
        config_t *c = NULL;
        int r;

        r = config_load(g->config_path, g->config_given, &c, &err);
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                return NULL;
        }
        return c;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_error("%s", msg);
        fprintf(stderr, "Try 'vigil %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
        return EXIT_TROUBLE;
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        cli_globals_t g = {
                .state_dir = getenv("VIGIL_STATE_DIR"),
                .config_path = CONFIG_DEFAULT_PATH,
        };
        int opt;

        if (!g.state_dir || !*g.state_dir)
                g.state_dir = STATE_DIR_DEFAULT;
        /* "+" stops at the first non-option: the command name. */
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+vqhV", longopts, NULL)) != -1) {
                if (cli_global_option(&g, opt, optarg))
                        continue;
                switch (opt) {
                case 'h':
                        print_help(stdout);
                        return EXIT_CLEAN;
                case 'V':
                        printf("vigil %s\n", VIGIL_VERSION);
                        return EXIT_CLEAN;
                default:
                        return cli_usage_error(NULL, "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind >= argc) {
                print_help(stderr);
                return EXIT_TROUBLE;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(argv[optind], commands[i].name) == 0) {
                        /* The command sees its own name as argv[0]. */
                        {
                                int sub_argc = argc - optind;
#ifndef VIGIL_AGENT_ONLY
                                if (commands[i].run == cmd_agent)
                                        exec_agent_binary(argv);
#endif
                                char **sub_argv = argv + optind;
                                optind = 0;
                                return commands[i].run(sub_argc, sub_argv, &g);
                        }
                }
        return cli_usage_error(NULL, "unknown command '%s'", argv[optind]);
}
