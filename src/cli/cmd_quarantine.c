/* vigil quarantine: move malicious files into the vault under the state
 * directory, list them, put them back or delete them for good. The vault
 * format and its crash guarantees are described in
 * src/scan/malware/quarantine.h and docs/malware.md. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "scan/malware/quarantine.h"

static void quarantine_help(FILE *f)
{
        fputs("Usage: vigil quarantine COMMAND [OPTIONS] [ARGS...]\n"
              "\n"
              "Move malicious files out of reach, keeping what is needed to put them back.\n"
              "\n"
              "Commands:\n"
              "  add PATH...      move each file into the vault (copy, verify, then remove)\n"
              "  list             the files in the vault\n"
              "  restore ID       put a file back with its owner, mode and times\n"
              "  delete ID        remove a file from the vault for good\n"
              "\n"
              "Options:\n"
              "  --reason TEXT    add: why the file is quarantined (kept in the manifest)\n"
              "  --force          restore: replace a file that is now at the original path\n"
              "  --json           list: print JSON\n"
              "  --state DIR, --config FILE, -v, -q   see 'vigil --help'\n"
              "  -h, --help       print this help\n"
              "\n"
              "ID may be shortened to a unique prefix of at least 4 characters. The vault is\n"
              "STATE_DIR/quarantine/ (mode 0700). Exit status: 0 ok, 2 on any error.\n",
              f);
}

static void print_warning(const char *source, const char *message, void *userdata)
{
        log_warn("%s: %s", source, message);
}

static int open_vault(const cli_globals_t *g, bool create, quarantine_t **ret)
{
        int r = quarantine_open(g->state_dir, create, print_warning, NULL, ret);

        if (r == -ENOENT && !create)
                return r;
        if (r == -EPERM)
                log_error("%s/" QUARANTINE_SUBDIR " belongs to another user; run vigil as its "
                          "owner (root)",
                          g->state_dir);
        else if (r < 0)
                log_error("cannot open the quarantine in %s: %s", g->state_dir,
                          r == -EBUSY ? "another vigil command holds it" : strerror(-r));
        return r;
}

static const char *add_error(int r)
{
        switch (r) {
        case -EINVAL:
                return "not a regular file";
        case -ELOOP:
                return "is a symbolic link; quarantine the file it points to";
        case -EBUSY:
                return "changed while it was copied; nothing was removed, try again";
        case -EIO:
                return "the copy in the vault did not read back right; nothing was removed";
        case -E2BIG:
                return "the reason is longer than 4096 bytes";
        default:
                return strerror(-r);
        }
}

static int do_add(int argc, char **argv, const cli_globals_t *g, const char *reason)
{
        _cleanup_quarantine_ quarantine_t *q = NULL;
        bool failed = false;

        if (argc == 0)
                return cli_usage_error("quarantine", "add needs at least one PATH");
        if (open_vault(g, true, &q) < 0)
                return EXIT_TROUBLE;
        for (int i = 0; i < argc; i++) {
                _cleanup_quarantine_entry_ quarantine_entry_t *e = NULL;
                int r = quarantine_add(q, argv[i], reason, QUARANTINE_STOP_NONE, &e);

                if (r < 0) {
                        log_error("%s: %s", argv[i], add_error(r));
                        failed = true;
                        continue;
                }
                if (g->verbosity >= 0) {
                        printf("%s  ", e->id);
                        text_put_escaped(stdout, e->path);
                        printf("  (%llu bytes, sha256 %s)\n", (unsigned long long)e->size,
                               e->sha256);
                }
                if (e->nlink > 1)
                        log_warn("%s had %llu other hard links, which still hold the content",
                                 argv[i], (unsigned long long)e->nlink - 1);
        }
        return failed ? EXIT_TROUBLE : EXIT_CLEAN;
}

static json_t *entry_json(const quarantine_entry_t *e)
{
        _cleanup_free_ char *text = quarantine_manifest_format(e);
        json_t *j = text ? json_loads(text, 0, NULL) : NULL;

        if (j)
                json_object_del(j, "format");
        return j;
}

static int do_list(const cli_globals_t *g, bool as_json)
{
        _cleanup_quarantine_ quarantine_t *q = NULL;
        quarantine_entry_t **v = NULL;
        size_t n = 0;
        int r;

        r = open_vault(g, false, &q);
        if (r == -ENOENT) {
                if (as_json)
                        puts("[]");
                else if (g->verbosity >= 0)
                        puts("The quarantine is empty.");
                return EXIT_CLEAN;
        }
        if (r < 0)
                return EXIT_TROUBLE;
        r = quarantine_list(q, &v, &n);
        if (r < 0) {
                log_error("cannot list the quarantine: %s", strerror(-r));
                return EXIT_TROUBLE;
        }
        if (as_json) {
                json_t *arr = json_array();
                char *text;
                for (size_t i = 0; arr && i < n; i++)
                        json_array_append_new(arr, entry_json(v[i]));
                text = arr ? json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
                json_decref(arr);
                if (!text) {
                        quarantine_entries_free(v, n);
                        log_error("out of memory");
                        return EXIT_TROUBLE;
                }
                puts(text);
                free(text);
        } else if (n == 0) {
                if (g->verbosity >= 0)
                        puts("The quarantine is empty.");
        } else {
                printf("%-12s  %-20s  %12s  %-6s  %s\n", "ID", "QUARANTINED", "SIZE", "MODE",
                       "PATH");
                for (size_t i = 0; i < n; i++) {
                        char when[TIMEUTIL_ISO_LEN];
                        timeutil_format_iso(v[i]->quarantined_at * 1000000, when, sizeof(when));
                        printf("%.12s  %-20s  %12llu  %04o    ", v[i]->id, when,
                               (unsigned long long)v[i]->size, v[i]->mode);
                        text_put_escaped(stdout, v[i]->path);
                        if (v[i]->reason) {
                                fputs("  (", stdout);
                                text_put_escaped(stdout, v[i]->reason);
                                fputc(')', stdout);
                        }
                        fputc('\n', stdout);
                }
        }
        quarantine_entries_free(v, n);
        return EXIT_CLEAN;
}

static int do_restore_delete(int argc, char **argv, const cli_globals_t *g, bool restore,
                             bool force)
{
        _cleanup_quarantine_ quarantine_t *q = NULL;
        _cleanup_quarantine_entry_ quarantine_entry_t *e = NULL;
        const char *what = restore ? "restore" : "delete";
        int r;

        if (argc != 1)
                return cli_usage_error("quarantine", "%s needs exactly one ID", what);
        r = open_vault(g, false, &q);
        if (r == -ENOENT) {
                log_error("no quarantined file with id '%s' (the quarantine is empty)", argv[0]);
                return EXIT_TROUBLE;
        }
        if (r < 0)
                return EXIT_TROUBLE;
        r = quarantine_find(q, argv[0], &e);
        if (r < 0) {
                if (r == -ENOTUNIQ)
                        log_error("id '%s' is ambiguous; give more of it", argv[0]);
                else if (r == -EINVAL)
                        log_error("'%s' is not an id (4 to 32 hex digits)", argv[0]);
                else
                        log_error("no quarantined file with id '%s'", argv[0]);
                return EXIT_TROUBLE;
        }
        r = restore ? quarantine_restore(q, e->id, force) : quarantine_delete(q, e->id);
        if (r < 0) {
                const char *why = r == -EEXIST    ? "a file is at the original path (use --force)"
                                  : r == -EBADMSG ? "the vault copy does not match its SHA-256"
                                  : r == -EPERM   ? "cannot set the owner; run as root"
                                  : r == -ENOENT  ? "the original directory does not exist"
                                                  : strerror(-r);
                fprintf(stderr, "vigil: error: cannot %s ", what);
                text_put_escaped(stderr, e->path);
                fprintf(stderr, ": %s\n", why);
                return EXIT_TROUBLE;
        }
        if (g->verbosity >= 0) {
                printf("%s ", restore ? "restored" : "deleted");
                text_put_escaped(stdout, e->path);
                fputc('\n', stdout);
        }
        return EXIT_CLEAN;
}

int cmd_quarantine(int argc, char **argv, cli_globals_t *g)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "reason", required_argument, NULL, 'r' },
                { "force", no_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *reason = NULL, *sub;
        bool force = false, as_json = false;
        int opt;

        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":vqhf", longopts, NULL)) != -1) {
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'r':
                        reason = optarg;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'J':
                        as_json = true;
                        break;
                case 'h':
                        quarantine_help(stdout);
                        return EXIT_CLEAN;
                case ':':
                        return cli_usage_error("quarantine", "option '%s' needs a value",
                                               argv[optind - 1]);
                default:
                        return cli_usage_error("quarantine", "unknown option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind >= argc) {
                quarantine_help(stderr);
                return EXIT_TROUBLE;
        }
        sub = argv[optind++];
        argc -= optind;
        argv += optind;
        if (strcmp(sub, "add") == 0)
                return do_add(argc, argv, g, reason);
        if (strcmp(sub, "list") == 0) {
                if (argc)
                        return cli_usage_error("quarantine", "list takes no arguments");
                return do_list(g, as_json);
        }
        if (strcmp(sub, "restore") == 0)
                return do_restore_delete(argc, argv, g, true, force);
        if (strcmp(sub, "delete") == 0)
                return do_restore_delete(argc, argv, g, false, false);
        return cli_usage_error("quarantine", "unknown command '%s'", sub);
}
