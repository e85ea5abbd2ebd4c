/* vigil scan: run the posture scanners once and print the report. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/scanctx.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "scan/scanners.h"

enum output_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

static void scan_help(FILE *f)
{
        size_t n;
        const scanner_t *s = scanners_all(&n);

        fputs("Usage: vigil scan [OPTIONS] [PATH...]\n"
              "\n"
              "Run the posture scanners once and print what is at risk and how to fix it.\n"
              "PATH arguments limit the file-content scanners (secret, malware) to those paths.\n"
              "\n"
              "Options:\n"
              "  --root DIR           scan a mounted image or chroot instead of /\n"
              "  --only LIST          comma-separated scanners to run (default: all)\n"
              "  --tag TAG            only report findings tagged TAG (e.g. cis, gdpr,\n"
              "                       mlps2.0-l3, or one item such as cis:5.2.10)\n"
              "  --format FORMAT      text (default), json or sarif\n"
              "  -o, --output FILE    write the report to FILE instead of standard output\n"
              "  --color WHEN         auto (default), always or never\n"
              "  --no-progress        do not draw the progress line on stderr\n"
              "  -j, --threads N      worker threads for scanners that use them (default: CPUs)\n"
              "  --state DIR, --config FILE, -v, -q   see 'vigil --help'\n"
              "  -h, --help           print this help\n"
              "\n"
              "Scanners:\n",
              f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "  %-16s %s\n", s[i].name, s[i].description);
        fputs("\n"
              "Exit status: 0 no high risk, 1 high risk found, 2 usage or runtime error.\n",
              f);
}

/* The host name for the report: this machine's, or the one recorded in the
 * scanned image. Only printable ASCII is kept; the name is attacker-written
 * in an image. */
static char *scan_host_name(const rootfs_t *root)
{
        _cleanup_free_ char *data = NULL;
        char name[256] = "";
        size_t len = 0, j = 0;

        if (root->is_host) {
                if (gethostname(name, sizeof(name) - 1) < 0)
                        snprintf(name, sizeof(name), "localhost");
                name[sizeof(name) - 1] = 0;
                return strdup(name);
        }
        if (rootfs_read_file(root, "/etc/hostname", 4096, &data, &len) == 0) {
                for (size_t i = 0; i < len && j < sizeof(name) - 1; i++) {
                        unsigned char c = (unsigned char)data[i];
                        if (c == '\n')
                                break;
                        if (c > 0x20 && c < 0x7f)
                                name[j++] = (char)c;
                }
                name[j] = 0;
        }
        if (!name[0]) {
                const char *base = strrchr(root->path, '/');
                snprintf(name, sizeof(name), "%s", base && base[1] ? base + 1 : root->path);
        }
        return strdup(name);
}

static int parse_only(const char *list, strv_t *ret)
{
        _cleanup_(strv_clear) strv_t parts = { 0 };
        int r;

        if ((r = strv_split(&parts, list, ",")) < 0)
                return r;
        if (parts.n == 0)
                return cli_usage_error("scan", "--only needs at least one scanner name");
        for (size_t i = 0; i < parts.n; i++) {
                const char *name = str_strip(parts.v[i]);
                if (!scanner_find(name)) {
                        size_t n;
                        const scanner_t *s = scanners_all(&n);
                        char avail[512] = "";
                        for (size_t k = 0; k < n; k++) {
                                strncat(avail, k ? ", " : "", sizeof(avail) - strlen(avail) - 1);
                                strncat(avail, s[k].name, sizeof(avail) - strlen(avail) - 1);
                        }
                        return cli_usage_error("scan",
                                               "unknown scanner '%s' in --only (available: %s)",
                                               name, avail);
                }
                if (!strv_contains(ret, name) && (r = strv_push(ret, name)) < 0)
                        return r;
        }
        return 0;
}

int cmd_scan(int argc, char **argv, cli_globals_t *g)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "root", required_argument, NULL, 'r' },
                { "only", required_argument, NULL, 'O' },
                { "format", required_argument, NULL, 'f' },
                { "output", required_argument, NULL, 'o' },
                { "color", required_argument, NULL, 'C' },
                { "colour", required_argument, NULL, 'C' },
                { "no-progress", no_argument, NULL, 'P' },
                { "threads", required_argument, NULL, 'j' },
                { "tag", required_argument, NULL, 'T' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_(strv_clear) strv_t only = { 0 }, paths = { 0 };
        _cleanup_config_ config_t *config = NULL;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_free_ char *host = NULL;
        _cleanup_fclose_ FILE *outfile = NULL;
        enum output_format format = FORMAT_TEXT;
        enum color_mode color = COLOR_AUTO;
        const char *root_path = "/", *output = NULL, *tag = NULL;
        bool show_progress = true;
        unsigned long long threads = 0;
        report_t *report = NULL;
        progress_t *progress = NULL;
        size_t n_scanners, ran = 0, failed = 0;
        const scanner_t *scanners;
        FILE *out = stdout;
        int opt, r, status;

        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":vqho:j:", longopts, NULL)) != -1) {
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'r':
                        root_path = optarg;
                        break;
                case 'O':
                        if ((r = parse_only(optarg, &only)) != 0)
                                return r < 0 ? (log_error("out of memory"), EXIT_TROUBLE) : r;
                        break;
                case 'f':
                        if (strcmp(optarg, "text") == 0)
                                format = FORMAT_TEXT;
                        else if (strcmp(optarg, "json") == 0)
                                format = FORMAT_JSON;
                        else if (strcmp(optarg, "sarif") == 0)
                                format = FORMAT_SARIF;
                        else
                                return cli_usage_error(
                                        "scan", "unknown format '%s' (use text, json or sarif)",
                                        optarg);
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'C':
                        if (strcmp(optarg, "auto") == 0)
                                color = COLOR_AUTO;
                        else if (strcmp(optarg, "always") == 0)
                                color = COLOR_ALWAYS;
                        else if (strcmp(optarg, "never") == 0)
                                color = COLOR_NEVER;
                        else
                                return cli_usage_error("scan",
                                                       "--color takes auto, always or never");
                        break;
                case 'T':
                        if (!*optarg)
                                return cli_usage_error("scan", "--tag needs a tag name");
                        tag = optarg;
                        break;
                case 'P':
                        show_progress = false;
                        break;
                case 'j':
                        if (str_to_u64(optarg, &threads) < 0 || threads == 0 || threads > 1024)
                                return cli_usage_error("scan",
                                                       "--threads takes a number from 1 to 1024");
                        break;
                case 'h':
                        scan_help(stdout);
                        return EXIT_CLEAN;
                case ':':
                        return cli_usage_error("scan", "option '%s' needs a value",
                                               argv[optind - 1]);
                default:
                        return cli_usage_error("scan", "unknown option '%s'", argv[optind - 1]);
                }
        }
        for (int i = optind; i < argc; i++)
                if (strv_push(&paths, argv[i]) < 0) {
                        log_error("out of memory");
                        return EXIT_TROUBLE;
                }

        config = cli_load_config(g);
        if (!config)
                return EXIT_TROUBLE;
        r = rootfs_open(root_path, &root);
        if (r < 0) {
                log_error("cannot use '%s' as the root to scan: %s", root_path, strerror(-r));
                return EXIT_TROUBLE;
        }
        if (output) {
                outfile = fopen(output, "we");
                if (!outfile) {
                        log_error("cannot write the report to '%s': %s", output, strerror(errno));
                        return EXIT_TROUBLE;
                }
                out = outfile;
        }
        if (!threads) {
                long cpus = sysconf(_SC_NPROCESSORS_ONLN);
                threads = cpus > 0 ? (unsigned long long)cpus : 1;
        }
        host = scan_host_name(root);
        report = report_new(host ? host : "unknown", root->path);
        progress = progress_new(show_progress && g->verbosity >= 0);
        if (!host || !report || !progress) {
                log_error("out of memory");
                report_free(report);
                progress_free(progress);
                return EXIT_TROUBLE;
        }

        scan_ctx_t ctx = {
                .root = root,
                .config = config,
                .state_dir = g->state_dir,
                .report = report,
                .progress = progress,
                .paths = &paths,
                .threads = (unsigned)threads,
        };
        scanners = scanners_all(&n_scanners);
        for (size_t i = 0; i < n_scanners; i++) {
                const scanner_t *s = &scanners[i];
                int64_t t0;
                if (only.n && !strv_contains(&only, s->name))
                        continue;
                progress_update(progress, s->name, 0, 0);
                t0 = timeutil_mono_us();
                r = s->run(&ctx);
                ran++;
                if (r < 0) {
                        failed++;
                        report_note(report, REPORT_NOTE_ERROR, s->name, "scanner failed: %s",
                                    strerror(-r));
                        /* The agent reads this to know the scanner did not
                         * complete (src/agent/scanproc.c). */
                        report_count(report, s->name, "failed", 1);
                }
                report_count(report, s->name, "elapsed_ms", (timeutil_mono_us() - t0) / 1000);
        }
        progress_free(progress);
        report->finished_us = timeutil_now_us();
        if (tag) {
                size_t removed = report_keep_tagged(report, tag);
                report_note(report, REPORT_NOTE_INFO, "scan",
                            "only findings tagged '%s' are shown (%zu others hidden)", tag,
                            removed);
        }
        report_sort(report);

        switch (format) {
        case FORMAT_JSON:
                r = report_write_json(report, out);
                break;
        case FORMAT_SARIF:
                r = report_write_sarif(report, out);
                break;
        default: {
                bool tty = isatty(fileno(out));
                const char *no_color = getenv("NO_COLOR");
                report_text_opts_t topts = {
                        .color = color == COLOR_ALWAYS ||
                                 (color == COLOR_AUTO && tty && !(no_color && *no_color)),
                        .verbose = g->verbosity > 0,
                };
                r = report_write_text(report, out, &topts);
        }
        }
        if (r == 0 && fflush(out) != 0)
                r = -EIO;
        if (r < 0) {
                log_error("cannot write the report: %s", strerror(-r));
                status = EXIT_TROUBLE;
        } else if (ran > 0 && failed == ran)
                status = EXIT_TROUBLE;
        else
                status = report_has_high(report) ? EXIT_HIGH_RISK : EXIT_CLEAN;
        report_free(report);
        return status;
}
