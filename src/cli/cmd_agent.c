/* vigil agent: the daemon (real-time detectors, scheduled scans, local
 * store and JSON lines output), and `vigil agent status`. docs/agent.md
 * describes it. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/cclient.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/store.h"
#include "core/text.h"

static void agent_help(FILE *f)
{
        fputs("Usage: vigil agent [OPTIONS]\n"
              "       vigil agent status [--format text|json]\n"
              "       vigil agent enroll URL TOKEN|- [--ca FILE] [--force]\n"
              "\n"
              "Run vigil's daemon: follow the authentication logs (and the journal), watch for\n"
              "port scans, floods and changes to critical files, run the scheduled posture\n"
              "scans, and keep alerts and findings in the local store (STATE/agent.db), also\n"
              "written as JSON lines with --output or agent.output.\n"
              "\n"
              "'vigil agent status' shows the sources, where each stands, and the counts of\n"
              "alerts, findings and scans in the store, and the spool for the center.\n"
              "\n"
              "'vigil agent enroll URL TOKEN' enrolls this host with the vigil center at URL\n"
              "(https://..., or http:// to a loopback address) using an enrollment token\n"
              "('-': read it from standard input), and keeps the agent's credential in\n"
              "STATE/center.json (mode 0600). The running agent reports there after a\n"
              "restart or SIGHUP. --ca FILE: the CA of the center's certificate; --force:\n"
              "enroll again when already enrolled.\n"
              "\n"
              "Options:\n"
              "  --output FILE|-   write each alert as a JSON line to FILE or standard output\n"
              "  --once            read the configured logs to their end, store and print\n"
              "                    the alerts, and exit (no capture, no scans)\n"
              "  --foreground      accepted for service files; the agent never forks\n"
              "  --format FORMAT   status output: text (default) or json\n"
              "  --state DIR, --config FILE, -v, -q   see 'vigil --help'\n"
              "  -h, --help        print this help\n"
              "\n"
              "Signals: SIGTERM/SIGINT stop after storing everything, SIGHUP reloads the\n"
              "configuration.\n"
              "Exit status: 0 after a clean stop, 2 on a usage or runtime error.\n",
              f);
}

static void on_log(agent_log_level_t level, const char *msg, void *userdata)
{
        (void)userdata;
        switch (level) {
        case AGENT_LOG_ERROR:
                log_error("agent: %s", msg);
                break;
        case AGENT_LOG_WARN:
                log_warn("agent: %s", msg);
                break;
        case AGENT_LOG_INFO:
                log_info("agent: %s", msg);
                break;
        default:
                log_debug("agent: %s", msg);
                break;
        }
}

static long long jint(json_t *o, const char *k)
{
        return (long long)json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "-";
}

static void print_status(FILE *f, json_t *st)
{
        json_t *srcs = json_object_get(st, "sources"), *al = json_object_get(st, "alerts");
        json_t *fi = json_object_get(st, "findings"), *scans = json_object_get(st, "scans");
        json_t *open = json_object_get(fi, "open"), *v, *p;
        size_t i, k;

        fputs("Store: ", f);
        text_put_escaped(f, jstr(st, "store"));
        fputs("\n\nSources:\n", f);
        if (!json_array_size(srcs))
                fputs("  (none yet)\n", f);
        json_array_foreach (srcs, i, v) {
                fputs("  ", f);
                text_put_escaped(f, jstr(v, "source"));
                fprintf(f, " (%s): %lld records, %lld events, %lld alerts", jstr(v, "kind"),
                        jint(v, "records"), jint(v, "events"), jint(v, "alerts"));
                if (jint(v, "oversized"))
                        fprintf(f, ", %lld oversized", jint(v, "oversized"));
                json_array_foreach (json_object_get(v, "positions"), k, p)
                        fprintf(f, "; %s at byte %lld, line %lld",
                                jint(p, "slot") ? "rotated" : "file", jint(p, "offset"),
                                jint(p, "line"));
                if (json_object_get(v, "cursor"))
                        fputs("; cursor saved", f);
                fprintf(f, "; updated %s\n", jstr(v, "updated"));
        }
        fprintf(f, "\nAlerts: %lld (urgent %lld, suspicious %lld, reminder %lld)\n",
                jint(al, "total"), jint(al, "urgent"), jint(al, "suspicious"),
                jint(al, "reminder"));
        json_array_foreach (json_object_get(al, "latest"), i, v) {
                fprintf(f, "  %s %-10s %s: ", jstr(v, "time"), jstr(v, "level"), jstr(v, "rule"));
                text_put_escaped(f, jstr(v, "title"));
                fputc('\n', f);
        }
        fprintf(f, "\nFindings open: high %lld, medium %lld, low %lld; fixed %lld, ignored %lld\n",
                jint(open, "high"), jint(open, "medium"), jint(open, "low"), jint(fi, "fixed"),
                jint(fi, "ignored"));
        fputs("\nScans:\n", f);
        if (!json_array_size(scans))
                fputs("  (none yet)\n", f);
        json_array_foreach (scans, i, v)
                fprintf(f, "  %s %s: %lld findings (%lld new, %lld fixed), %lld alerts\n",
                        jstr(v, "started"), jstr(v, "schedule"), jint(v, "findings"),
                        jint(v, "new"), jint(v, "fixed"), jint(v, "alerts"));
        fprintf(f, "\nResponses taken: %lld\n", jint(st, "responses"));
        v = json_object_get(st, "center");
        fputs("\nCenter: ", f);
        if (json_string_value(json_object_get(v, "url"))) {
                json_t *sp = json_object_get(v, "spool");
                text_put_escaped(f, jstr(v, "url"));
                fprintf(f, " (agent %lld)\n", jint(v, "agent_id"));
                fprintf(f,
                        "  spool: %lld items, %lld bytes; shipped %lld, dropped %lld, "
                        "rejected %lld; %lld command acks pending\n",
                        jint(sp, "items"), jint(sp, "bytes"), jint(sp, "shipped"),
                        jint(sp, "dropped"), jint(sp, "rejected"), jint(sp, "commands_unacked"));
        } else if (json_string_value(json_object_get(v, "error"))) {
                text_put_escaped(f, jstr(v, "error"));
                fputc('\n', f);
        } else
                fputs("not enrolled\n", f);
}

static int agent_status_command(int argc, char **argv, cli_globals_t *g)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_free_ char *err = NULL;
        json_t *st = NULL;
        bool json = false;
        int opt, r;

        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+hvq", longopts, NULL)) != -1) {
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'f':
                        if (strcmp(optarg, "json") == 0)
                                json = true;
                        else if (strcmp(optarg, "text") != 0)
                                return cli_usage_error("agent", "unknown --format '%s'", optarg);
                        break;
                case 'h':
                        agent_help(stdout);
                        return EXIT_CLEAN;
                default:
                        return cli_usage_error("agent", "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cli_usage_error("agent", "unexpected argument '%s'", argv[optind]);
        r = agent_status(g->state_dir, &st, &err);
        if (r == -ENOENT) {
                log_error("the agent has not run with state directory %s", g->state_dir);
                return EXIT_TROUBLE;
        }
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        if (json)
                r = json_dumpf(st, stdout, JSON_INDENT(2)) == 0 && fputc('\n', stdout) != EOF
                            ? 0
                            : -EIO;
        else
                print_status(stdout, st);
        json_decref(st);
        if (fflush(stdout) != 0 || r < 0) {
                log_error("cannot write the status");
                return EXIT_TROUBLE;
        }
        return EXIT_CLEAN;
}

static int agent_enroll_command(int argc, char **argv, cli_globals_t *g)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "ca", required_argument, NULL, 'c' },
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_free_ char *err = NULL, *url = NULL;
        const char *ca = NULL;
        char token[256], secret[CCLIENT_SECRET_HEX + 1];
        cclient_cred_t cred = { 0 };
        cclient_identity_t id;
        bool force = false;
        int64_t agent_id;
        int opt, r;

        /* Options may follow URL and TOKEN (getopt permutes); 0 makes
         * glibc's getopt start afresh after main's "+" parsing. */
        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "hvq", longopts, NULL)) != -1) {
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'c':
                        if (optarg[0] != '/')
                                return cli_usage_error("agent", "--ca needs an absolute file name");
                        if (access(optarg, R_OK) < 0)
                                return cli_usage_error("agent", "--ca: cannot read %s", optarg);
                        ca = optarg;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'h':
                        agent_help(stdout);
                        return EXIT_CLEAN;
                default:
                        return cli_usage_error("agent", "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (argc - optind != 2)
                return cli_usage_error("agent", "enroll needs the center's URL and a token");
        url = strdup(argv[optind]);
        if (!url)
                return EXIT_TROUBLE;
        /* The base URL without trailing slashes: paths are appended. */
        for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
                url[n - 1] = 0;
        if (cclient_check_url(url, &err) < 0)
                return cli_usage_error("agent", "%s", err ? err : "bad URL");
        if (strcmp(argv[optind + 1], "-") == 0) {
                if (!fgets(token, sizeof(token), stdin)) {
                        log_error("no token on standard input");
                        return EXIT_TROUBLE;
                }
                token[strcspn(token, "\r\n")] = 0;
        } else if (strlen(argv[optind + 1]) < sizeof(token))
                snprintf(token, sizeof(token), "%s", argv[optind + 1]);
        else
                return cli_usage_error("agent", "the token is too long");
        if (!token[0])
                return cli_usage_error("agent", "the token is empty");
        r = cclient_cred_load(g->state_dir, &cred, &err);
        if (r == 0 && !force) {
                log_error("already enrolled with %s as agent %lld (--force enrolls again)",
                          cred.url, (long long)cred.agent_id);
                cclient_cred_clear(&cred);
                return EXIT_TROUBLE;
        }
        cclient_cred_clear(&cred);
        free(err);
        err = NULL;
        if ((r = store_mkdir_p(g->state_dir)) < 0) {
                log_error("%s: %s", g->state_dir, strerror(-r));
                return EXIT_TROUBLE;
        }
        if (cclient_global_init() < 0) {
                log_error("cannot initialise libcurl");
                return EXIT_TROUBLE;
        }
        cclient_identity(NULL, &id);
        r = cclient_enroll(url, token, ca, &id, &agent_id, secret, &err);
        explicit_bzero(token, sizeof(token));
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        free(err);
        err = NULL;
        cred.url = url;
        cred.agent_id = agent_id;
        memcpy(cred.secret, secret, sizeof(secret));
        cred.ca_file = (char *)ca;
        r = cclient_cred_save(g->state_dir, &cred, &err);
        explicit_bzero(secret, sizeof(secret));
        explicit_bzero(cred.secret, sizeof(cred.secret));
        if (r < 0) {
                log_error("enrolled as agent %lld, but the credential could not be saved: %s",
                          (long long)agent_id, err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        printf("enrolled with %s as agent %lld; credential in %s/%s\n", url, (long long)agent_id,
               g->state_dir, CCLIENT_CRED_FILE);
        if (fflush(stdout) != 0)
                return EXIT_TROUBLE;
        return EXIT_CLEAN;
}

int cmd_agent(int argc, char **argv, cli_globals_t *g)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "output", required_argument, NULL, 'o' },
                { "once", no_argument, NULL, '1' },
                { "foreground", no_argument, NULL, 'F' },
                { "log-root", required_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        agent_opts_t o = { .log = on_log };
        _cleanup_free_ char *err = NULL;
        agent_t *a = NULL;
        config_t *config;
        int opt, r;

        if (argc > 1 && strcmp(argv[1], "status") == 0)
                return agent_status_command(argc - 1, argv + 1, g);
        if (argc > 1 && strcmp(argv[1], "enroll") == 0)
                return agent_enroll_command(argc - 1, argv + 1, g);
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+hvq", longopts, NULL)) != -1) {
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'o':
                        if (!*optarg)
                                return cli_usage_error("agent", "--output needs a file or '-'");
                        o.output = optarg;
                        break;
                case '1':
                        o.once = true;
                        break;
                case 'F':
                        break;
                case 'R':
                        /* Undocumented: where the default logs are looked
                         * for (tests). */
                        o.log_root = optarg;
                        break;
                case 'h':
                        agent_help(stdout);
                        return EXIT_CLEAN;
                default:
                        return cli_usage_error("agent", "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cli_usage_error("agent", "unexpected argument '%s'", argv[optind]);
        /* A daemon says what it does unless told to be quiet. */
        if (g->verbosity == 0)
                log_set_level(LOG_LEVEL_INFO);
        config = cli_load_config(g);
        if (!config)
                return EXIT_TROUBLE;
        o.config_path = g->config_path;
        o.config_must_exist = g->config_given;
        o.state_dir = g->state_dir;
        r = agent_new(&o, config, &a, &err);
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        r = agent_run(a);
        agent_free(a);
        if (fflush(stdout) != 0) {
                log_error("cannot write the output");
                return EXIT_TROUBLE;
        }
        return r < 0 ? EXIT_TROUBLE : EXIT_CLEAN;
}
