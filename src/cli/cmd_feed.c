/* vigil feed: vulnerability data in the local store (import, update,
 * status). The store is STATE_DIR/feeds.db; docs/feeds.md describes the
 * formats, the default sources and the schema. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/rootfs.h"
#include "core/store.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "inventory/os/osinfo.h"
#include "scan/vuln/ecosystem.h"
#include "scan/vuln/feeddb.h"
#include "scan/vuln/feedimport.h"
#include "scan/vuln/feedupdate.h"

/* A feed older than this gets a warning in `vigil feed status`. */
#define FEED_MAX_AGE_DAYS 7

static void feed_help(FILE *f)
{
        fputs("Usage: vigil feed COMMAND [OPTIONS] [ARGS...]\n"
              "\n"
              "Manage the vulnerability data that 'vigil scan' matches packages against.\n"
              "\n"
              "Commands:\n"
              "  import FILE...   import OSV records (JSON files, JSON arrays, directories of\n"
              "                   them, osv.dev all.zip archives) or the Debian security\n"
              "                   tracker's JSON; the format is told by content\n"
              "  update [NAME...] download the configured sources (feeds.sources in the\n"
              "                   configuration; defaults for this host's OS) and import them\n"
              "  status           what the store holds, per ecosystem and per source\n"
              "\n"
              "Options:\n"
              "  --format FORMAT  import: auto (default), osv or debian-tracker\n"
              "  --json           status: print JSON instead of a table\n"
              "  --state DIR, --config FILE, -v, -q   see 'vigil --help'\n"
              "  -h, --help       print this help\n"
              "\n"
              "The store is STATE_DIR/" FEEDDB_FILE ". Exit status: 0 ok, 2 on any error (a\n"
              "malformed entry is reported with its file and position; the rest is imported).\n",
              f);
}

/* Imports read and parse in one thread and write in another when there is
 * more than one CPU. */
static unsigned import_threads(void)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        return cpus >= 2 ? 2 : 1;
}

static void print_error(const char *input, const char *message, void *userdata)
{
        progress_t *p = userdata;

        progress_clear(p);
        log_error("%s: %s", input, message);
}

static void print_counts(FILE *out, const char *name, const feed_counts_t *c)
{
        fprintf(out,
                "%s: %zu entries: %zu new, %zu updated, %zu unchanged, %zu older than stored, "
                "%zu withdrawn, %zu error%s",
                name, c->entries, c->imported, c->updated, c->unchanged, c->skipped, c->withdrawn,
                c->errors, c->errors == 1 ? "" : "s");
        if (c->ignored)
                fprintf(out, "; %zu part%s not used (GIT ranges, unknown releases, undetermined)",
                        c->ignored, c->ignored == 1 ? "" : "s");
        fputc('\n', out);
}

static int open_store(const cli_globals_t *g, bool create, sqlite3 **ret)
{
        _cleanup_free_ char *err = NULL;
        int r = feeddb_open(g->state_dir, create, ret, &err);

        if (r == -ENOENT)
                return r;
        if (r < 0)
                log_error("cannot open the feed store: %s", err ? err : strerror(-r));
        return r;
}

static int feed_import(int argc, char **argv, cli_globals_t *g, feed_format_t format)
{
        _cleanup_(store_closep) sqlite3 *db = NULL;
        feed_counts_t total = { 0 };
        feedimport_opts_t o;
        progress_t *progress;
        bool failed = false;

        if (argc == 0)
                return cli_usage_error("feed", "import needs at least one FILE");
        if (open_store(g, true, &db) < 0)
                return EXIT_TROUBLE;
        progress = progress_new(g->verbosity >= 0);
        feedimport_opts_default(&o);
        o.progress = progress;
        o.on_error = print_error;
        o.userdata = progress;
        o.format = format;
        o.threads = import_threads();
        for (int i = 0; i < argc; i++) {
                char abs[PATH_MAX];
                const char *name = realpath(argv[i], abs) ? abs : argv[i];
                feed_counts_t c = { 0 };
                const char *fmt = "osv";
                int64_t id = 0;
                int r;

                if (feeddb_feed_get(db, name, "osv", name, &id) < 0) {
                        log_error("cannot record the feed source: %s", sqlite3_errmsg(db));
                        failed = true;
                        break;
                }
                r = feedimport_path(db, id, argv[i], &o, &c, &fmt);
                progress_clear(progress);
                if (r >= 0) {
                        /* The source row remembers what the file was. */
                        feeddb_feed_get(db, name, fmt, name, &id);
                        if (feeddb_feed_record(db, id, &c, NULL, NULL) < 0)
                                log_warn("cannot record the import of %s: %s", argv[i],
                                         sqlite3_errmsg(db));
                } else
                        feeddb_feed_forget(db, name);
                if (r < 0 || c.errors)
                        failed = true;
                if (r >= 0 && g->verbosity >= 0)
                        print_counts(stdout, argv[i], &c);
                feed_counts_add(&total, &c);
                if (r == -EIO || r == -ENOMEM)
                        break; /* the store itself is in trouble */
        }
        progress_free(progress);
        if (argc > 1 && g->verbosity >= 0)
                print_counts(stdout, "total", &total);
        return failed ? EXIT_TROUBLE : EXIT_CLEAN;
}

static void format_age(int64_t seconds, char *out, size_t n)
{
        if (seconds < 0)
                seconds = 0;
        if (seconds < 3600)
                snprintf(out, n, "%lld min", (long long)(seconds / 60));
        else if (seconds < 2 * 86400)
                snprintf(out, n, "%lld h", (long long)(seconds / 3600));
        else
                snprintf(out, n, "%lld days", (long long)(seconds / 86400));
}

static int feed_status(cli_globals_t *g, bool json)
{
        _cleanup_(store_closep) sqlite3 *db = NULL;
        _cleanup_(feeddb_status_clear) feeddb_status_t s = { 0 };
        int64_t now = timeutil_now_us() / 1000000;
        int r;

        r = open_store(g, false, &db);
        if (r == -ENOENT || (r == 0 && feeddb_status(db, &s) == 0 && s.advisories == 0)) {
                if (json) {
                        printf("{\"state_dir\":");
                        json_t *sd = json_string(g->state_dir);
                        json_dumpf(sd ? sd : json_null(), stdout, JSON_ENCODE_ANY);
                        json_decref(sd);
                        printf(",\"advisories\":0,\"ecosystems\":[],\"feeds\":[]}\n");
                } else
                        printf("No vulnerability feed in %s.\n"
                               "Get one with 'vigil feed update' (downloads the default sources "
                               "for this host) or 'vigil feed import FILE'.\n",
                               g->state_dir);
                return EXIT_CLEAN;
        }
        if (r < 0)
                return EXIT_TROUBLE;
        if (s.advisories == 0 && feeddb_status(db, &s) < 0) {
                log_error("cannot read the feed store: %s", sqlite3_errmsg(db));
                return EXIT_TROUBLE;
        }

        if (json) {
                json_t *doc = json_object(), *ecos = json_array(), *feeds = json_array();
                for (size_t i = 0; i < s.n_ecosystems; i++)
                        json_array_append_new(
                                ecos, json_pack("{s:s,s:I,s:I,s:I}", "ecosystem",
                                                s.ecosystems[i].ecosystem, "advisories",
                                                (json_int_t)s.ecosystems[i].advisories, "packages",
                                                (json_int_t)s.ecosystems[i].packages, "ranges",
                                                (json_int_t)s.ecosystems[i].ranges));
                for (size_t i = 0; i < s.n_feeds; i++) {
                        const feeddb_feed_stat_t *f = &s.feeds[i];
                        json_t *o = json_pack(
                                "{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "name",
                                f->name, "format", f->format, "location", f->location,
                                "imported_at", (json_int_t)f->imported_at, "checked_at",
                                (json_int_t)f->checked_at, "age_seconds",
                                (json_int_t)(f->imported_at ? now - f->imported_at : -1), "entries",
                                (json_int_t)f->entries, "imported", (json_int_t)f->imported,
                                "updated", (json_int_t)f->updated, "unchanged",
                                (json_int_t)f->unchanged, "errors", (json_int_t)f->errors, "bytes",
                                (json_int_t)f->bytes, "stale",
                                !f->imported_at ||
                                        now - f->imported_at > FEED_MAX_AGE_DAYS * 86400);
                        if (!o || json_array_append_new(feeds, o) < 0) {
                                log_error("out of memory");
                                json_decref(doc);
                                json_decref(ecos);
                                json_decref(feeds);
                                return EXIT_TROUBLE;
                        }
                }
                json_object_set_new(doc, "state_dir", json_string(g->state_dir));
                json_object_set_new(doc, "advisories", json_integer(s.advisories));
                json_object_set_new(doc, "withdrawn", json_integer(s.withdrawn));
                json_object_set_new(doc, "ecosystems", ecos);
                json_object_set_new(doc, "feeds", feeds);
                json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
                json_decref(doc);
                return EXIT_CLEAN;
        }

        printf("Vulnerability feed store %s/%s: %lld advisories (%lld withdrawn)\n\n", g->state_dir,
               FEEDDB_FILE, s.advisories, s.withdrawn);
        printf("%-28s %11s %9s %9s\n", "ECOSYSTEM", "ADVISORIES", "PACKAGES", "RANGES");
        for (size_t i = 0; i < s.n_ecosystems; i++) {
                fputs("", stdout);
                text_put_escaped(stdout, s.ecosystems[i].ecosystem);
                printf("%*s %11lld %9lld %9lld\n",
                       (int)(28 > strlen(s.ecosystems[i].ecosystem)
                                     ? 28 - strlen(s.ecosystems[i].ecosystem)
                                     : 0),
                       "", s.ecosystems[i].advisories, s.ecosystems[i].packages,
                       s.ecosystems[i].ranges);
        }
        printf("\n%-15s %8s %10s  %s\n", "FORMAT", "ENTRIES", "AGE", "SOURCE");
        for (size_t i = 0; i < s.n_feeds; i++) {
                const feeddb_feed_stat_t *f = &s.feeds[i];
                char age[32];
                if (f->imported_at)
                        format_age(now - f->imported_at, age, sizeof(age));
                else
                        snprintf(age, sizeof(age), "never");
                printf("%-15s %8lld %10s  ", f->format, f->entries, age);
                text_put_escaped(stdout, f->name);
                fputc('\n', stdout);
        }
        for (size_t i = 0; i < s.n_feeds; i++) {
                const feeddb_feed_stat_t *f = &s.feeds[i];
                if (f->imported_at && now - f->imported_at <= FEED_MAX_AGE_DAYS * 86400)
                        continue;
                fflush(stdout);
                if (f->imported_at)
                        log_warn("feed '%s' is %lld days old (more than %d); run 'vigil feed "
                                 "update'",
                                 f->name, (long long)((now - f->imported_at) / 86400),
                                 FEED_MAX_AGE_DAYS);
                else
                        log_warn("feed '%s' was never imported completely; run 'vigil feed update'",
                                 f->name);
        }
        return EXIT_CLEAN;
}

/* The OSV ecosystem of this host's OS packages (normalised), or NULL. */
static char *host_ecosystem(void)
{
        _cleanup_rootfs_ rootfs_t *root = NULL;
        _cleanup_free_ char *err = NULL, *eco = NULL;
        char norm[ECOSYSTEM_MAX + 1];
        osinfo_t os = { 0 };

        if (rootfs_open("/", &root) < 0 || osinfo_read(root, &os, &err) < 0)
                return NULL;
        eco = osinfo_osv_ecosystem(&os);
        osinfo_clear(&os);
        if (!eco || ecosystem_normalise(eco, norm, sizeof(norm)) < 0)
                return NULL;
        return strdup(norm);
}

/* feeds.sources from the configuration: a list of {name, url, format}. */
static int config_sources(const config_t *config, feed_source_list_t *ret)
{
        json_t *list = config_get(config, "feeds.sources"), *e;
        size_t i;

        if (!list)
                return 0;
        if (!json_is_array(list)) {
                log_error("%s: feeds.sources must be a list of {name, url, format}",
                          config->path ? config->path : "configuration");
                return -EINVAL;
        }
        json_array_foreach (list, i, e) {
                const char *url = json_string_value(json_object_get(e, "url"));
                const char *name = json_string_value(json_object_get(e, "name"));
                const char *fmt = json_string_value(json_object_get(e, "format"));
                feed_format_t format = FEED_FORMAT_AUTO;
                if (!json_is_object(e) || !url || !*url) {
                        log_error("%s: feeds.sources[%zu] needs a \"url\"",
                                  config->path ? config->path : "configuration", i);
                        return -EINVAL;
                }
                if (!fmt || strcmp(fmt, "auto") == 0)
                        format = FEED_FORMAT_AUTO;
                else if (strcmp(fmt, "osv") == 0)
                        format = FEED_FORMAT_OSV;
                else if (strcmp(fmt, "debian-tracker") == 0)
                        format = FEED_FORMAT_TRACKER;
                else {
                        log_error("%s: feeds.sources[%zu]: unknown format '%s' (use auto, osv or "
                                  "debian-tracker)",
                                  config->path ? config->path : "configuration", i, fmt);
                        return -EINVAL;
                }
                if (feed_source_list_add(ret, name && *name ? name : url, url, format) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int feed_update_command(cli_globals_t *g, const config_t *config, const strv_t *names)
{
        _cleanup_(store_closep) sqlite3 *db = NULL;
        _cleanup_feed_sources_ feed_source_list_t sources = { 0 };
        _cleanup_free_ char *eco = NULL;
        feedimport_opts_t io;
        feedupdate_opts_t uo;
        unsigned long long size;
        progress_t *progress;
        bool failed = false;
        int r;

        if ((r = config_sources(config, &sources)) < 0)
                return EXIT_TROUBLE;
        if (!config_get(config, "feeds.sources")) {
                eco = host_ecosystem();
                if (feedupdate_default_sources(eco, &sources) < 0) {
                        log_error("out of memory");
                        return EXIT_TROUBLE;
                }
                if (!eco)
                        log_warn("this host's OS is not one vigil knows feeds for; only the "
                                 "application ecosystems are updated");
        }
        for (size_t i = 0; i < names->n; i++) {
                bool known = false;
                for (size_t k = 0; k < sources.n && !known; k++)
                        known = strcmp(sources.v[k].name, names->v[i]) == 0;
                if (!known)
                        return cli_usage_error("feed",
                                               "no feed source named '%s' (see feeds.sources "
                                               "or 'vigil feed status')",
                                               names->v[i]);
        }
        if (open_store(g, true, &db) < 0)
                return EXIT_TROUBLE;

        progress = progress_new(g->verbosity >= 0);
        feedimport_opts_default(&io);
        io.progress = progress;
        io.on_error = print_error;
        io.userdata = progress;
        io.threads = import_threads();
        feedupdate_opts_default(&uo, &io);
        if (config_get_size(config, "feeds.max_download_size", &size) == 0)
                uo.max_size = size;
        uo.timeout = config_get_int(config, "feeds.timeout", uo.timeout);
        uo.connect_timeout = config_get_int(config, "feeds.connect_timeout", uo.connect_timeout);
        uo.ca_file = config_get_str(config, "feeds.ca_file", NULL);

        curl_global_init(CURL_GLOBAL_DEFAULT);
        for (size_t i = 0; i < sources.n; i++) {
                const feed_source_t *src = &sources.v[i];
                _cleanup_free_ char *err = NULL;
                feed_counts_t c = { 0 };
                feedupdate_result_t res;
                if (names->n && !strv_contains(names, src->name))
                        continue;
                progress_update(progress, src->name, 0, 0);
                r = feedupdate_fetch(db, g->state_dir, src, &uo, &c, &res, &err);
                progress_clear(progress);
                if (r < 0) {
                        log_error("%s", err ? err : strerror(-r));
                        failed = true;
                        continue;
                }
                if (c.errors)
                        failed = true;
                if (g->verbosity < 0)
                        continue;
                if (res == FEEDUPDATE_NOT_MODIFIED)
                        printf("%s: not modified since the last update\n", src->name);
                else
                        print_counts(stdout, src->name, &c);
        }
        curl_global_cleanup();
        progress_free(progress);
        return failed ? EXIT_TROUBLE : EXIT_CLEAN;
}

int cmd_feed(int argc, char **argv, cli_globals_t *g)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "format", required_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_config_ config_t *config = NULL;
        feed_format_t format = FEED_FORMAT_AUTO;
        const char *cmd = NULL;
        _cleanup_(strv_clear) strv_t args = { 0 };
        bool json = false;
        int opt;

        /* Options may come before or after the command word. */
        opterr = 0;
        while (optind < argc) {
                opt = getopt_long(argc, argv, "+:vqh", longopts, NULL);
                if (opt == -1) {
                        if (!cmd)
                                cmd = argv[optind];
                        else if (strv_push(&args, argv[optind]) < 0) {
                                log_error("out of memory");
                                return EXIT_TROUBLE;
                        }
                        optind++;
                        continue;
                }
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'f':
                        if (strcmp(optarg, "auto") == 0)
                                format = FEED_FORMAT_AUTO;
                        else if (strcmp(optarg, "osv") == 0)
                                format = FEED_FORMAT_OSV;
                        else if (strcmp(optarg, "debian-tracker") == 0)
                                format = FEED_FORMAT_TRACKER;
                        else
                                return cli_usage_error("feed",
                                                       "unknown format '%s' (use auto, osv or "
                                                       "debian-tracker)",
                                                       optarg);
                        break;
                case 'J':
                        json = true;
                        break;
                case 'h':
                        feed_help(stdout);
                        return EXIT_CLEAN;
                case ':':
                        return cli_usage_error("feed", "option '%s' needs a value",
                                               argv[optind - 1]);
                default:
                        return cli_usage_error("feed", "unknown option '%s'", argv[optind - 1]);
                }
        }
        if (!cmd)
                return cli_usage_error("feed", "missing command (import, update or status)");
        config = cli_load_config(g);
        if (!config)
                return EXIT_TROUBLE;
        /* libarchive converts every zip member's DOS time with mktime(),
         * and glibc stats /etc/localtime on each call when TZ is unset: two
         * system calls per record of an osv.dev archive. Naming the same
         * zone explicitly makes glibc read it once. */
        if (!getenv("TZ"))
                setenv("TZ", ":/etc/localtime", 0);
        if (strcmp(cmd, "import") == 0)
                return feed_import((int)args.n, args.v, g, format);
        if (strcmp(cmd, "status") == 0) {
                if (args.n)
                        return cli_usage_error("feed", "status takes no arguments");
                return feed_status(g, json);
        }
        if (strcmp(cmd, "update") == 0)
                return feed_update_command(g, config, &args);
        return cli_usage_error("feed", "unknown command '%s' (use import, update or status)", cmd);
}
