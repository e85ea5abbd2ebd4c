/* vigil fim: file integrity monitoring from the command line: build the
 * baseline of the critical files, check them (against the baseline and the
 * package digests), show the store's status, and watch in real time. The
 * work is done by src/detect/fim; docs/fim.md explains it. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "detect/fim/check.h"
#include "detect/fim/fim.h"
#include "detect/fim/watch.h"

enum fim_format { FORMAT_TEXT, FORMAT_JSON };

struct fim_args {
        const char *cmd;
        const char *root;
        enum fim_format format;
        bool update;
        bool progress;
        unsigned long long threads;
        unsigned long long duration; /* watch: seconds, 0 = until interrupted */
        unsigned long long count;    /* watch: stop after this many alerts, 0 = never */
};

static volatile sig_atomic_t fim_stop;

static void fim_help(FILE *f)
{
        fputs("Usage: vigil fim COMMAND [OPTIONS]\n"
              "\n"
              "Watch the critical files of this host (accounts, sudo, ssh, PAM, cron, systemd\n"
              "units, the dynamic linker, programs and libraries) for tampering.\n"
              "\n"
              "Commands:\n"
              "  init     record the baseline of the critical files in the state directory\n"
              "  check    compare the files with the baseline and verify package-owned files\n"
              "           against their package's digests (works without a baseline too)\n"
              "  status   what the baseline holds, its age, and what the watcher covers\n"
              "  watch    watch in real time and print alerts as JSON lines\n"
              "\n"
              "Options:\n"
              "  --root DIR        check a mounted image or chroot instead of /\n"
              "  --format FORMAT   text (default) or json\n"
              "  --update          check: accept every change into the baseline after reporting\n"
              "  -j, --threads N   hashing threads (default: fim.threads, else one per CPU)\n"
              "  --no-progress     do not draw the progress line on stderr\n"
              "  --duration N      watch: stop after N seconds (default: run until interrupted)\n"
              "  --count N         watch: stop after N alerts\n"
              "  --state DIR, --config FILE, -v, -q   see 'vigil --help'\n"
              "  -h, --help        print this help\n"
              "\n"
              "Exit status: 0 no tampering found, 1 tampering found, 2 usage or runtime error.\n",
              f);
}

static char *host_name(const rootfs_t *root)
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
        if (rootfs_read_file(root, "/etc/hostname", 4096, &data, &len) == 0)
                for (size_t i = 0; i < len && j < sizeof(name) - 1; i++) {
                        unsigned char c = (unsigned char)data[i];
                        if (c == '\n')
                                break;
                        if (c > 0x20 && c < 0x7f)
                                name[j++] = (char)c;
                }
        name[j] = 0;
        if (!name[0]) {
                const char *base = strrchr(root->path, '/');
                snprintf(name, sizeof(name), "%s", base && base[1] ? base + 1 : root->path);
        }
        return strdup(name);
}

static int sink_report(alert_t *a, void *userdata)
{
        return report_add_alert(userdata, a);
}

struct watch_sink {
        unsigned long long alerts;
};

static int sink_jsonl(alert_t *a, void *userdata)
{
        struct watch_sink *ws = userdata;
        json_t *j = alert_to_json(a);
        int r = 0;

        alert_free(a);
        if (!j)
                return -ENOMEM;
        if (json_dumpf(j, stdout, JSON_COMPACT) < 0 || fputc('\n', stdout) == EOF ||
            fflush(stdout) != 0)
                r = -EIO;
        json_decref(j);
        ws->alerts++;
        return r;
}

/* One "key=value" of a state object. */
static void put_state(FILE *out, const char *label, json_t *s)
{
        static const char *const keys[] = { "type", "sha256", "mode",  "owner",
                                            "size", "mtime",  "target" };

        if (!json_is_object(s))
                return;
        fprintf(out, "      %-8s", label);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_t *v = json_object_get(s, keys[i]);
                if (!v)
                        continue;
                fprintf(out, " %s=", keys[i]);
                if (json_is_integer(v))
                        fprintf(out, "%lld", (long long)json_integer_value(v));
                else
                        text_put_escaped(out, json_string_value(v) ? json_string_value(v) : "");
        }
        fputc('\n', out);
}

static void put_alert_text(FILE *out, const alert_t *a)
{
        json_t *ev = a->evidence, *v;

        fprintf(out, "  ▲ %-10s %-21s ", alert_level_name(a->level), a->rule);
        text_put_escaped(out, a->title ? a->title : a->subject);
        fputc('\n', out);
        if ((v = json_object_get(ev, "package"))) {
                fputs("      package  ", out);
                text_put_escaped(out, json_string_value(v));
                if ((v = json_object_get(ev, "package_version"))) {
                        fputc(' ', out);
                        text_put_escaped(out, json_string_value(v));
                }
                if ((v = json_object_get(ev, "expected_digest")))
                        fprintf(out, "  expected %s", json_string_value(v));
                if ((v = json_object_get(ev, "actual_digest")))
                        fprintf(out, "  found %s", json_string_value(v));
                fputc('\n', out);
        }
        put_state(out, "before", json_object_get(ev, "before"));
        put_state(out, "after", json_object_get(ev, "after"));
        if ((v = json_object_get(ev, "process"))) {
                json_t *comm = json_object_get(v, "comm"), *exe = json_object_get(v, "exe");
                fprintf(out, "      process  pid %lld",
                        (long long)json_integer_value(json_object_get(v, "pid")));
                if (comm) {
                        fputs(" (", out);
                        text_put_escaped(out, json_string_value(comm));
                        fputc(')', out);
                }
                if (exe) {
                        fputc(' ', out);
                        text_put_escaped(out, json_string_value(exe));
                }
                fputc('\n', out);
        }
        if (a->remediation) {
                const char *p = a->remediation;
                bool first = true;
                while (*p) {
                        size_t n = strcspn(p, "\n");
                        fputs(first ? "      fix      " : "               ", out);
                        text_put_escaped_n(out, p, n);
                        fputc('\n', out);
                        p += n + (p[n] ? 1 : 0);
                        first = false;
                }
        }
}

static void put_notes(FILE *out, const report_t *r, bool verbose)
{
        for (size_t i = 0; i < r->n_notes; i++) {
                const report_note_t *n = &r->notes[i];
                if (n->kind == REPORT_NOTE_INFO && !verbose)
                        continue;
                fputs(n->kind == REPORT_NOTE_ERROR     ? "error: "
                      : n->kind == REPORT_NOTE_WARNING ? "warning: "
                                                       : "note: ",
                      out);
                if (n->source) {
                        text_put_escaped(out, n->source);
                        fputs(": ", out);
                }
                text_put_escaped(out, n->message);
                fputc('\n', out);
        }
}

static void put_summary(FILE *out, const char *what, const report_t *r, const fimcheck_stats_t *s,
                        double secs)
{
        unsigned lv[4] = { 0 };

        fprintf(out, "vigil fim %s of ", what);
        text_put_escaped(out, r->host);
        if (strcmp(r->root, "/") != 0) {
                fputs(" (root ", out);
                text_put_escaped(out, r->root);
                fputc(')', out);
        }
        fputc('\n', out);
        fprintf(out,
                "%zu files, %zu directories, %zu symlinks: %zu hashed (%.1f MiB), %zu unchanged "
                "and skipped; %zu package-owned files verified; %.2f s\n",
                s->files, s->dirs, s->symlinks, s->hashed, (double)s->bytes_hashed / (1 << 20),
                s->skipped, s->package_files, secs);
        if (s->vanished || s->unreadable || s->too_big || s->timed_out)
                fprintf(out,
                        "%zu vanished, %zu unreadable, %zu over the size cap (metadata only), "
                        "%zu over the time cap\n",
                        s->vanished, s->unreadable, s->too_big, s->timed_out);
        if (s->deferred)
                fprintf(out, "%zu changes not judged: a package manager is running\n", s->deferred);
        for (size_t i = 0; i < r->n_alerts; i++)
                lv[r->alerts[i]->level]++;
        if (r->n_alerts)
                fprintf(out, "\nTampering: %zu alert(s): %u urgent, %u suspicious, %u reminder\n",
                        r->n_alerts, lv[ALERT_URGENT], lv[ALERT_SUSPICIOUS], lv[ALERT_REMINDER]);
        else
                fputs("\nNo tampering found.\n", out);
        for (size_t i = 0; i < r->n_alerts; i++)
                put_alert_text(out, r->alerts[i]);
}

static int parse_args(int argc, char **argv, cli_globals_t *g, struct fim_args *a)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "root", required_argument, NULL, 'r' },
                { "format", required_argument, NULL, 'f' },
                { "update", no_argument, NULL, 'U' },
                { "threads", required_argument, NULL, 'j' },
                { "no-progress", no_argument, NULL, 'P' },
                { "duration", required_argument, NULL, 'D' },
                { "count", required_argument, NULL, 'N' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int opt;

        opterr = 0;
        while (optind < argc) {
                opt = getopt_long(argc, argv, "+:vqhj:", longopts, NULL);
                if (opt == -1) {
                        if (a->cmd)
                                return cli_usage_error("fim", "unexpected argument '%s'",
                                                       argv[optind]);
                        a->cmd = argv[optind++];
                        continue;
                }
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'r':
                        a->root = optarg;
                        break;
                case 'f':
                        if (strcmp(optarg, "text") == 0)
                                a->format = FORMAT_TEXT;
                        else if (strcmp(optarg, "json") == 0)
                                a->format = FORMAT_JSON;
                        else
                                return cli_usage_error(
                                        "fim", "unknown format '%s' (use text or json)", optarg);
                        break;
                case 'U':
                        a->update = true;
                        break;
                case 'j':
                        if (str_to_u64(optarg, &a->threads) < 0 || a->threads == 0 ||
                            a->threads > 1024)
                                return cli_usage_error("fim",
                                                       "--threads takes a number from 1 to 1024");
                        break;
                case 'P':
                        a->progress = false;
                        break;
                case 'D':
                        if (str_to_u64(optarg, &a->duration) < 0 || a->duration > 86400 * 365)
                                return cli_usage_error("fim", "--duration takes seconds");
                        break;
                case 'N':
                        if (str_to_u64(optarg, &a->count) < 0)
                                return cli_usage_error("fim", "--count takes a number");
                        break;
                case 'h':
                        fim_help(stdout);
                        return EXIT_CLEAN;
                case ':':
                        return cli_usage_error("fim", "option '%s' needs a value",
                                               argv[optind - 1]);
                default:
                        return cli_usage_error("fim", "unknown option '%s'", argv[optind - 1]);
                }
        }
        if (!a->cmd)
                return cli_usage_error("fim", "missing command (init, check, status or watch)");
        return -1;
}

static int fim_status_command(cli_globals_t *g, const struct fim_args *a)
{
        _cleanup_free_ char *err = NULL;
        json_t *s = NULL, *w;
        int r = fim_status(g->state_dir, &s, &err);
        int64_t now = timeutil_now_us() / 1000000;

        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        if (a->format == FORMAT_JSON) {
                json_dumpf(s, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
                json_decref(s);
                return EXIT_CLEAN;
        }
        fputs("File integrity baseline ", stdout);
        text_put_escaped(stdout, json_string_value(json_object_get(s, "store")));
        fputc('\n', stdout);
        if (!json_is_true(json_object_get(s, "exists"))) {
                fputs("  none yet: run 'vigil fim init'\n", stdout);
                json_decref(s);
                return EXIT_CLEAN;
        }
        if (json_object_get(s, "root")) {
                fputs("  root:      ", stdout);
                text_put_escaped(stdout, json_string_value(json_object_get(s, "root")));
                fputc('\n', stdout);
        }
        printf("  files:     %lld\n", (long long)json_integer_value(json_object_get(s, "files")));
        {
                static const char *const keys[] = { "created_at", "updated_at", "checked_at" };
                static const char *const labels[] = { "built", "updated", "checked" };
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        json_t *v = json_object_get(s, keys[i]);
                        char when[TIMEUTIL_ISO_LEN];
                        if (!v)
                                continue;
                        timeutil_format_iso((int64_t)json_integer_value(v) * 1000000, when,
                                            sizeof(when));
                        printf("  %-9s  %s (%.1f days ago)\n", labels[i], when,
                               (double)(now - json_integer_value(v)) / 86400.0);
                }
        }
        w = json_object_get(s, "watch");
        if (w) {
                char when[TIMEUTIL_ISO_LEN];
                timeutil_format_iso(json_integer_value(json_object_get(w, "updated_at")) * 1000000,
                                    when, sizeof(when));
                printf("Real-time watcher (last status %s):\n", when);
                printf("  directories watched:  %lld of %lld (inotify limit %lld)\n",
                       (long long)json_integer_value(json_object_get(w, "watched_directories")),
                       (long long)json_integer_value(json_object_get(w, "directories")),
                       (long long)json_integer_value(json_object_get(w, "watch_limit")));
                printf("  unwatchable:          %lld directories, %lld files (checked every %lld "
                       "s instead)\n",
                       (long long)json_integer_value(json_object_get(w, "unwatched_directories")),
                       (long long)json_integer_value(json_object_get(w, "unwatched_files")),
                       (long long)json_integer_value(json_object_get(w, "periodic_seconds")));
                fputs("  fanotify:             ", stdout);
                text_put_escaped(stdout, json_string_value(json_object_get(w, "fanotify")));
                if (json_string_length(json_object_get(w, "fanotify_note"))) {
                        fputs(" (", stdout);
                        text_put_escaped(stdout,
                                         json_string_value(json_object_get(w, "fanotify_note")));
                        fputc(')', stdout);
                }
                fputc('\n', stdout);
        } else
                fputs("Real-time watcher: has not run ('vigil fim watch' or the agent)\n", stdout);
        json_decref(s);
        return EXIT_CLEAN;
}

static void on_signal(int sig)
{
        (void)sig;
        fim_stop = 1;
}

static int fim_watch_loop(fimcheck_t *check, const rootfs_t *root, const fim_config_t *fc,
                          fimdb_t *db, report_t *report, struct watch_sink *ws,
                          const struct fim_args *a)
{
        _cleanup_(fimwatch_freep) fimwatch_t *w = NULL;
        struct sigaction sa = { .sa_handler = on_signal };
        fimwatch_opts_t wo = {
                .check = check,
                .root = root,
                .policy = &fc->policy,
                .db = db,
                .report = report,
                .max_watches = fc->max_watches,
                .fanotify = fc->fanotify,
                .periodic_us = fc->periodic_interval * 1000000,
                .pm_grace_us = fc->pm_grace * 1000000,
                .host_processes = root->is_host,
        };
        int64_t end = a->duration ? timeutil_mono_us() + (int64_t)a->duration * 1000000 : 0;
        size_t shown = report->n_notes;
        fimwatch_status_t st;
        int r;

        r = fimwatch_new(&wo, &w);
        put_notes(stderr, report, true);
        if (r < 0) {
                log_error("cannot watch: %s", strerror(-r));
                return EXIT_TROUBLE;
        }
        shown = report->n_notes;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        fimwatch_get_status(w, &st);
        fprintf(stderr,
                "vigil: fim: watching %zu directories (%zu only periodically), fanotify %s\n",
                st.watched_dirs, st.unwatched_dirs, st.fanotify);
        while (!fim_stop && !(a->count && ws->alerts >= a->count)) {
                int64_t now = timeutil_mono_us(), next = fimwatch_next_tick(w), wait;
                struct pollfd pfd = { .fd = fimwatch_fd(w), .events = POLLIN };
                if (end && now >= end)
                        break;
                wait = next - now;
                if (end && end - now < wait)
                        wait = end - now;
                if (wait < 0)
                        wait = 0;
                r = poll(&pfd, 1, (int)MIN(wait / 1000 + 1, 60000));
                if (r < 0 && errno != EINTR) {
                        log_error("poll: %s", strerror(errno));
                        return EXIT_TROUBLE;
                }
                now = timeutil_mono_us();
                if (r > 0 && (r = fimwatch_dispatch(w, now)) < 0) {
                        log_error("reading file events: %s", strerror(-r));
                        return EXIT_TROUBLE;
                }
                if ((r = fimwatch_tick(w, now)) < 0) {
                        log_error("judging changes: %s", strerror(-r));
                        return EXIT_TROUBLE;
                }
                /* Notes the watcher added since (a periodic run, a note about
                 * a file) go to stderr as they come. */
                for (; shown < report->n_notes; shown++) {
                        const report_note_t *n = &report->notes[shown];
                        fputs("vigil: fim: ", stderr);
                        text_put_escaped(stderr, n->message);
                        fputc('\n', stderr);
                }
        }
        (void)fimwatch_save_status(w);
        return EXIT_CLEAN;
}

int cmd_fim(int argc, char **argv, cli_globals_t *g)
{
        struct fim_args a = { .root = "/", .progress = true };
        _cleanup_config_ config_t *config = NULL;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_fimdb_ fimdb_t *db = NULL;
        _cleanup_(fimcheck_freep) fimcheck_t *check = NULL;
        _cleanup_free_ char *err = NULL, *host = NULL, *dbpath = NULL;
        fim_config_t fc = { 0 };
        struct watch_sink ws = { 0 };
        fimcheck_mode_t mode;
        fimcheck_stats_t stats = { 0 };
        report_t *report = NULL;
        progress_t *progress = NULL;
        bool watch;
        int64_t t0;
        int r, status = EXIT_TROUBLE;

        r = parse_args(argc, argv, g, &a);
        if (r >= 0)
                return r;
        if (strcmp(a.cmd, "status") == 0)
                return fim_status_command(g, &a);
        watch = strcmp(a.cmd, "watch") == 0;
        if (strcmp(a.cmd, "init") == 0)
                mode = FIMCHECK_INIT;
        else if (strcmp(a.cmd, "check") == 0)
                mode = a.update ? FIMCHECK_UPDATE : FIMCHECK_CHECK;
        else if (watch)
                mode = FIMCHECK_UPDATE;
        else
                return cli_usage_error("fim",
                                       "unknown command '%s' (use init, check, status or "
                                       "watch)",
                                       a.cmd);

        config = cli_load_config(g);
        if (!config)
                return EXIT_TROUBLE;
        if (fim_config_load(config, &fc, &err) < 0) {
                log_error("%s: %s", config->path ? config->path : "configuration",
                          err ? err : "out of memory");
                return EXIT_TROUBLE;
        }
        r = rootfs_open(a.root, &root);
        if (r < 0) {
                log_error("cannot use '%s' as the root: %s", a.root, strerror(-r));
                goto out;
        }
        host = host_name(root);
        report = report_new(host ? host : "unknown", root->path);
        if (!host || !report) {
                log_error("out of memory");
                goto out;
        }
        if ((r = fimpolicy_expand_homes(&fc.policy, root, report)) < 0) {
                log_error("out of memory");
                goto out;
        }
        /* A check without a baseline reads nothing and writes nothing; every
         * other command keeps its state in the store. */
        dbpath = fim_db_path(g->state_dir);
        if (!dbpath) {
                log_error("out of memory");
                goto out;
        }
        if (mode != FIMCHECK_CHECK || access(dbpath, F_OK) == 0) {
                free(err);
                err = NULL;
                r = fim_db_open(g->state_dir, mode != FIMCHECK_CHECK, &db, &err);
                if (r < 0) {
                        log_error("%s", err ? err : strerror(-r));
                        goto out;
                }
        }
        if (!a.threads)
                a.threads = fc.threads;
        if (!a.threads) {
                long cpus = sysconf(_SC_NPROCESSORS_ONLN);
                a.threads = cpus > 0 ? (unsigned long long)cpus : 1;
        }
        progress = progress_new(a.progress && g->verbosity >= 0 && !watch);
        {
                fimcheck_opts_t o = {
                        .root = root,
                        .policy = &fc.policy,
                        .db = db,
                        .db_display = dbpath,
                        .report = report,
                        .sink = watch ? (alert_sink_t){ sink_jsonl, &ws }
                                      : (alert_sink_t){ sink_report, report },
                        .host = host,
                        .threads = (unsigned)a.threads,
                        .max_file_size = fc.max_file_size,
                        .max_hash_time_us = fc.max_hash_time_us,
                        .rehash_interval = fc.rehash_interval,
                        .verify_packages = fc.verify_packages,
                        .host_processes = root->is_host,
                        .progress = watch ? NULL : progress,
                };
                r = fimcheck_new(&o, &check);
                if (r < 0) {
                        log_error("cannot prepare the check: %s", strerror(-r));
                        goto out;
                }
        }
        t0 = timeutil_mono_us();
        r = fimcheck_run(check, mode, &stats);
        progress_free(progress);
        progress = NULL;
        if (r < 0) {
                put_notes(stderr, report, false);
                if (r != -EXDEV)
                        log_error("file integrity %s failed: %s", a.cmd, strerror(-r));
                goto out;
        }
        report->finished_us = timeutil_now_us();
        if (watch) {
                status = fim_watch_loop(check, root, &fc, db, report, &ws, &a);
                goto out;
        }
        report_sort(report);
        if (a.format == FORMAT_JSON) {
                if (report_write_json(report, stdout) < 0 || fflush(stdout) != 0) {
                        log_error("cannot write the report");
                        goto out;
                }
        } else {
                put_summary(stdout, a.cmd, report, &stats, (double)(timeutil_mono_us() - t0) / 1e6);
                if (mode == FIMCHECK_INIT)
                        printf("\nBaseline of %zu entries written to ", fimcheck_table(check)->n);
                if (mode == FIMCHECK_INIT) {
                        text_put_escaped(stdout, dbpath);
                        fputc('\n', stdout);
                }
                fflush(stdout);
                put_notes(stderr, report, g->verbosity > 0);
        }
        status = report->n_alerts ? EXIT_HIGH_RISK : EXIT_CLEAN;
out:
        progress_free(progress);
        report_free(report);
        fim_config_clear(&fc);
        return status;
}
