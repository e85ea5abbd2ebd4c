/* vigil logscan: read auth and service logs offline and print every login
 * event and every alert the login detectors raise. docs/logscan.md
 * describes the sources, formats and output. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alert.h"
#include "core/buf.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "detect/login/detectors.h"
#include "detect/login/evjson.h"
#include "detect/login/logparse.h"
#include "detect/login/logread.h"
#include "detect/login/sdjournal.h"
#include "detect/login/syslog.h"

enum out_format { OUT_TEXT, OUT_JSONL };

/* Distinct sources counted for the summary; beyond this new ones are only
 * counted as a total. */
#define SRC_TABLE_MAX (1u << 20)
#define OUT_BUF       (1 * MiB)
#define TOP_SOURCES   10
/* One alert's JSON line; the detectors' alerts take a few KiB. */
#define ALERT_JSON_MAX (16 * MiB)

typedef struct src_count {
        char *src; /* NULL = free slot */
        uint64_t failures, successes, total;
} src_count_t;

typedef struct logscan {
        enum out_format format;
        bool count_only;
        bool unmatched;
        bool no_alerts;   /* do not run the detectors */
        int64_t since_us; /* 0 = no filter */
        FILE *out;
        char *obuf; /* JSONL output buffer */
        size_t olen;
        buf_t abuf; /* one alert's JSON line */
        bool out_failed;
        login_detectors_t *detectors;
        uint64_t kinds[LOGEVENT_KIND__MAX];
        uint64_t events, alerts, skipped_since;
        src_count_t *srcs;
        size_t n_srcs, cap_srcs;
        bool srcs_full;
} logscan_t;

static void logscan_help(FILE *f)
{
        fputs("Usage: vigil logscan [OPTIONS] FILE...\n"
              "\n"
              "Read authentication and service logs and print every login event found (failed\n"
              "and accepted logins, invalid users, su/sudo, FTP and database logins) and every\n"
              "alert the login detectors raise.\n"
              "\n"
              "FILE may be a syslog file (auth.log, secure, messages; classic, ISO 8601 or\n"
              "RFC 5424 stamps), a daemon's own log (vsftpd, ProFTPD, MySQL/MariaDB,\n"
              "PostgreSQL), 'journalctl -o export' or '-o json' output, wtmp or btmp, any of\n"
              "them gzip-compressed, or '-' for standard input. Rotated files of one log\n"
              "(auth.log.2.gz auth.log.1 auth.log) are read oldest first.\n"
              "\n"
              "Options:\n"
              "  --format FORMAT   text (default) or jsonl (one JSON object per line)\n"
              "  --since TIME      only events at or after TIME: 2026-11-26, 2026-11-26T10:00,\n"
              "                    2026-11-26T10:00:00+01:00, or an age such as 90m, 12h, 7d\n"
              "  --year YYYY       year of the first classic (year-less) stamp of each file;\n"
              "                    default: inferred from the file's modification time\n"
              "  --utc             stamps without a zone are UTC (default: local time)\n"
              "  --service NAME    program that wrote lines without a syslog header, e.g.\n"
              "                    'sshd' for the output of 'sshd -E FILE'\n"
              "  --input KIND      auto (default), text, export, json, wtmp or btmp\n"
              "  --journal         read the local systemd journal (in addition to FILEs)\n"
              "  --journal-dir DIR read the journal files in DIR\n"
              "  --unmatched       also print lines of login programs that gave no event\n"
              "  --count           print only the counts, not each event\n"
              "  --no-alerts       only parse: do not run the login detectors\n"
              "  --state DIR, --config FILE, -v, -q   see 'vigil --help'\n"
              "  -h, --help        print this help\n"
              "\n"
              "Exit status: 0 when every input was read, 2 on a usage error or when an input\n"
              "could not be read (the others are still read).\n",
              f);
}

/* ---- output ---- */

static void out_flush(logscan_t *ls)
{
        if (ls->olen && fwrite(ls->obuf, 1, ls->olen, ls->out) != ls->olen)
                ls->out_failed = true;
        ls->olen = 0;
}

static void out_json(logscan_t *ls, json_t *o)
{
        char *s = json_dumps(o, JSON_COMPACT);

        if (!s) {
                ls->out_failed = true;
                return;
        }
        out_flush(ls);
        fputs(s, ls->out);
        fputc('\n', ls->out);
        free(s);
}

/* An escaped copy of S for the text table (cut to CAP - 1 bytes). */
static const char *esc(const char *s, char *buf, size_t cap)
{
        FILE *f;
        long len;

        buf[0] = 0;
        f = fmemopen(buf, cap, "w");
        if (!f)
                return "?";
        text_put_escaped(f, s);
        fflush(f);
        len = ftell(f);
        fclose(f);
        if (len < 0)
                len = 0;
        if ((size_t)len >= cap)
                len = (long)cap - 1;
        buf[len] = 0;
        return buf;
}

static void print_text_event(logscan_t *ls, const logevent_t *e)
{
        char when[TIMEUTIL_ISO_LEN] = "-", user[1100], target[1100], who[2300], src[1100];
        char file[1100], where[IPADDR_STR_MAX + 16];

        if (e->time_us)
                timeutil_format_iso(e->time_us, when, sizeof(when));
        esc(e->user[0] ? e->user : "-", user, sizeof(user));
        esc(e->target_user, target, sizeof(target));
        snprintf(who, sizeof(who), "%s%s%s%s", user, e->target_user[0] ? " -> " : "", target,
                 e->invalid_user ? " (invalid)" : "");
        esc(e->src[0] ? e->src : "-", src, sizeof(src));
        if (e->port)
                snprintf(where, sizeof(where), ":%u", e->port);
        else
                where[0] = 0;
        fprintf(ls->out, "%-27s %-9s %-13s %-24s %-24s %s%s  %s:%llu\n", when, e->service,
                logevent_kind_name(e->kind), e->method[0] ? e->method : "-", who, src, where,
                esc(e->file ? e->file : "-", file, sizeof(file)), (unsigned long long)e->line);
}

static void print_text_alert(logscan_t *ls, const alert_t *a)
{
        char when[TIMEUTIL_ISO_LEN], buf[2048];

        timeutil_format_iso(a->time_us, when, sizeof(when));
        fprintf(ls->out, "ALERT %-27s %-10s %s %s: %s\n", when, alert_level_name(a->level),
                alert_type_name(a->type), a->rule ? a->rule : "-",
                esc(a->title ? a->title : "", buf, sizeof(buf)));
}

/* The alert as a JSON line: {"kind":"alert", then the fields of
 * alert_to_json, written by alert_write_json (byte for byte what jansson
 * would print for that object, at a fraction of the cost). */
static void out_alert_json(logscan_t *ls, const alert_t *a)
{
        static const char prefix[] = "{\"kind\":\"alert\"";
        buf_t *b = &ls->abuf;

        buf_reset(b);
        if (buf_append(b, prefix, STRLEN(prefix)) < 0 || alert_write_json(a, b) < 0 ||
            buf_append(b, "\n", 1) < 0) {
                ls->out_failed = true;
                return;
        }
        /* The alert's own opening brace becomes the comma after "kind". */
        b->data[STRLEN(prefix)] = ',';
        if (ls->olen + b->len > OUT_BUF)
                out_flush(ls);
        if (b->len > OUT_BUF) {
                if (fwrite(b->data, 1, b->len, ls->out) != b->len)
                        ls->out_failed = true;
                return;
        }
        memcpy(ls->obuf + ls->olen, b->data, b->len);
        ls->olen += b->len;
}

static int on_alert(alert_t *a, void *userdata)
{
        logscan_t *ls = userdata;

        ls->alerts++;
        if (!ls->count_only) {
                if (ls->format == OUT_JSONL)
                        out_alert_json(ls, a);
                else
                        print_text_alert(ls, a);
        }
        alert_free(a);
        return 0;
}

/* ---- counting sources ---- */

static uint64_t hash_str(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
        return h;
}

static int src_grow(logscan_t *ls)
{
        size_t cap = ls->cap_srcs ? ls->cap_srcs * 2 : 1024;
        src_count_t *t = calloc(cap, sizeof(*t));

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < ls->cap_srcs; i++) {
                size_t k;
                if (!ls->srcs[i].src)
                        continue;
                k = hash_str(ls->srcs[i].src) & (cap - 1);
                while (t[k].src)
                        k = (k + 1) & (cap - 1);
                t[k] = ls->srcs[i];
        }
        free(ls->srcs);
        ls->srcs = t;
        ls->cap_srcs = cap;
        return 0;
}

static void src_count(logscan_t *ls, const logevent_t *e)
{
        size_t k;

        if (!e->src[0] || ls->srcs_full)
                return;
        if (ls->n_srcs * 2 >= ls->cap_srcs) {
                if (ls->n_srcs >= SRC_TABLE_MAX || src_grow(ls) < 0) {
                        ls->srcs_full = true;
                        return;
                }
        }
        k = hash_str(e->src) & (ls->cap_srcs - 1);
        while (ls->srcs[k].src && strcmp(ls->srcs[k].src, e->src) != 0)
                k = (k + 1) & (ls->cap_srcs - 1);
        if (!ls->srcs[k].src) {
                ls->srcs[k].src = strdup(e->src);
                if (!ls->srcs[k].src) {
                        ls->srcs_full = true;
                        return;
                }
                ls->n_srcs++;
        }
        ls->srcs[k].total++;
        if (e->kind == LOGEVENT_AUTH_SUCCESS)
                ls->srcs[k].successes++;
        else if (e->kind != LOGEVENT_PREAUTH_CLOSE && e->kind != LOGEVENT_SESSION_OPEN)
                ls->srcs[k].failures++;
}

static int cmp_src(const void *a, const void *b)
{
        const src_count_t *x = a, *y = b;

        if (x->failures != y->failures)
                return x->failures < y->failures ? 1 : -1;
        if (x->total != y->total)
                return x->total < y->total ? 1 : -1;
        return strcmp(x->src ? x->src : "", y->src ? y->src : "");
}

/* ---- reading ---- */

static int on_event(const logevent_t *e, void *userdata)
{
        logscan_t *ls = userdata;
        int r;

        if (ls->since_us && e->time_us && e->time_us < ls->since_us) {
                ls->skipped_since++;
                return 0;
        }
        ls->events++;
        ls->kinds[e->kind]++;
        if (ls->format == OUT_TEXT || ls->count_only)
                src_count(ls, e);
        if (!ls->count_only) {
                if (ls->format == OUT_JSONL) {
                        size_t need = evjson_max_len(e) + 1;
                        if (ls->olen + need > OUT_BUF)
                                out_flush(ls);
                        ls->olen += evjson_write(e, ls->obuf + ls->olen);
                        ls->obuf[ls->olen++] = '\n';
                } else
                        print_text_event(ls, e);
        }
        if (ls->no_alerts)
                return 0;
        r = login_detectors_feed(ls->detectors, e);
        return r < 0 ? r : 0;
}

static int on_unmatched(const char *file, uint64_t line, const char *text, size_t n, void *userdata)
{
        logscan_t *ls = userdata;

        if (ls->count_only)
                return 0;
        if (ls->format == OUT_JSONL) {
                json_t *o =
                        json_pack("{s:s, s:s?, s:I, s:o}", "kind", "unmatched", "file", file,
                                  "line", (json_int_t)line, "text", jsonx_string_lossy_n(text, n));
                if (!o) {
                        ls->out_failed = true;
                        return 0;
                }
                out_json(ls, o);
                json_decref(o);
        } else {
                char fb[1100];
                fprintf(ls->out, "unmatched %s:%llu: ", esc(file, fb, sizeof(fb)),
                        (unsigned long long)line);
                text_put_escaped_n(ls->out, text, n);
                fputc('\n', ls->out);
        }
        return 0;
}

/* Rotation index of PATH: "auth.log.2.gz" → 2 with base "auth.log", a
 * plain name → 0. */
static unsigned rotation_index(const char *path, size_t *ret_base_len)
{
        size_t n = strlen(path), end;
        unsigned idx = 0, mul = 1;

        if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
                n -= 3;
        end = n;
        while (n > 0 && path[n - 1] >= '0' && path[n - 1] <= '9' && end - n < 6) {
                idx += (unsigned)(path[n - 1] - '0') * mul;
                mul *= 10;
                n--;
        }
        if (n == end || n < 2 || path[n - 1] != '.') {
                *ret_base_len = end;
                return 0;
        }
        *ret_base_len = n - 1;
        return idx;
}

typedef struct file_arg {
        const char *path;
        size_t group; /* position of the first argument with the same base */
        unsigned idx;
        size_t pos;
} file_arg_t;

static int cmp_file(const void *a, const void *b)
{
        const file_arg_t *x = a, *y = b;

        if (x->group != y->group)
                return x->group < y->group ? -1 : 1;
        /* Oldest (highest index) first within one log. */
        if (x->idx != y->idx)
                return x->idx > y->idx ? -1 : 1;
        return x->pos < y->pos ? -1 : 1;
}

static file_arg_t *order_files(char **paths, size_t n)
{
        file_arg_t *f = calloc(n ? n : 1, sizeof(*f));
        size_t *base_len = calloc(n ? n : 1, sizeof(size_t));

        if (!f || !base_len) {
                free(f);
                free(base_len);
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                f[i].path = paths[i];
                f[i].pos = i;
                f[i].idx = rotation_index(paths[i], &base_len[i]);
                f[i].group = i;
                for (size_t k = 0; k < i; k++)
                        if (base_len[k] == base_len[i] &&
                            memcmp(paths[k], paths[i], base_len[i]) == 0) {
                                f[i].group = f[k].group;
                                break;
                        }
        }
        free(base_len);
        qsort(f, n, sizeof(*f), cmp_file);
        return f;
}

static int scan_one(logscan_t *ls, logparse_ctx_t *ctx, const char *path, logread_input_t input,
                    logread_stats_t *st)
{
        logread_cb_t cb = { .on_event = on_event, .userdata = ls };
        _cleanup_close_ int fd = -1;
        bool is_stdin = strcmp(path, "-") == 0;
        struct stat sb;
        int r;

        if (ls->unmatched)
                cb.on_unmatched = on_unmatched;
        if (is_stdin)
                fd = dup(STDIN_FILENO);
        else
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &sb) < 0)
                return -errno;
        if (S_ISDIR(sb.st_mode))
                return -EISDIR;
        if (!is_stdin && !S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode))
                return -EINVAL;
        if (!is_stdin) {
                /* Opened non-blocking so a FIFO without writer cannot hang
                 * the open; reads block again. */
                int fl = fcntl(fd, F_GETFL);
                if (fl >= 0)
                        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        }
        logparse_reset(ctx, S_ISREG(sb.st_mode) ? (int64_t)sb.st_mtim.tv_sec * 1000000 +
                                                          sb.st_mtim.tv_nsec / 1000
                                                : 0);
        if (input == LOGREAD_AUTO && !is_stdin)
                input = logread_input_for_path(path);
        r = logread_fd(fd, is_stdin ? "-" : path, input, ctx, &cb, st);
        return r;
}

/* "2026-11-26", "2026-11-26T10:00[:00][zone]", or an age "90m", "12h", "7d". */
static int parse_since(const char *s, int64_t *ret)
{
        size_t n = strlen(s), used;
        syslog_clock_t c;
        char buf[64];
        int64_t t;

        syslog_clock_init(&c, 0, 0, false);
        if (n >= 2 && n < 12 && s[0] >= '0' && s[0] <= '9' && strchr("smhd", s[n - 1]) &&
            strspn(s, "0123456789") == n - 1) {
                unsigned long long v;
                char num[16];
                static const int64_t unit[] = {
                        ['s' - 'd'] = 1, ['m' - 'd'] = 60, ['h' - 'd'] = 3600, [0] = 86400
                };
                memcpy(num, s, n - 1);
                num[n - 1] = 0;
                if (str_to_u64(num, &v) < 0 || v > 100000000ULL)
                        return -EINVAL;
                *ret = timeutil_now_us() - (int64_t)v * unit[s[n - 1] - 'd'] * 1000000;
                return 0;
        }
        if (n == 10) {
                snprintf(buf, sizeof(buf), "%sT00:00:00", s);
                s = buf;
                n = strlen(s);
        } else if (n == 16 || (n > 16 && (s[16] == 'Z' || s[16] == '+' || s[16] == '-'))) {
                snprintf(buf, sizeof(buf), "%.16s:00%s", s, s + 16);
                s = buf;
                n = strlen(s);
        }
        if (!syslog_parse_iso_time(&c, s, n, true, &used, &t) || used != n)
                return -EINVAL;
        *ret = t;
        return 0;
}

static void print_summary(logscan_t *ls, const logparse_stats_t *ps, uint64_t records,
                          uint64_t files, uint64_t oversized, uint64_t bad)
{
        FILE *f = ls->out;
        bool any = false;

        if (ls->format == OUT_JSONL) {
                json_t *o = json_object(), *kinds = json_object();
                if (!o || !kinds) {
                        json_decref(o);
                        json_decref(kinds);
                        return;
                }
                for (size_t k = 0; k < LOGEVENT_KIND__MAX; k++)
                        json_object_set_new(kinds, logevent_kind_name((logevent_kind_t)k),
                                            json_integer((json_int_t)ls->kinds[k]));
                json_object_set_new(o, "kind", json_string("summary"));
                json_object_set_new(o, "records", json_integer((json_int_t)records));
                json_object_set_new(o, "events", json_integer((json_int_t)ls->events));
                json_object_set_new(o, "alerts", json_integer((json_int_t)ls->alerts));
                json_object_set_new(o, "unmatched", json_integer((json_int_t)ps->unmatched));
                json_object_set_new(o, "oversized", json_integer((json_int_t)oversized));
                json_object_set_new(o, "bad", json_integer((json_int_t)bad));
                json_object_set_new(o, "by_event", kinds);
                out_json(ls, o);
                json_decref(o);
                return;
        }
        fprintf(f, "\n%llu record%s read from %llu input%s: %llu login event%s, %llu alert%s",
                (unsigned long long)records, records == 1 ? "" : "s", (unsigned long long)files,
                files == 1 ? "" : "s", (unsigned long long)ls->events, ls->events == 1 ? "" : "s",
                (unsigned long long)ls->alerts, ls->alerts == 1 ? "" : "s");
        fprintf(f, "; %llu line%s of login programs without an event",
                (unsigned long long)ps->unmatched, ps->unmatched == 1 ? "" : "s");
        if (oversized)
                fprintf(f, "; %llu line%s over %zu KiB skipped", (unsigned long long)oversized,
                        oversized == 1 ? "" : "s", LOGPARSE_LINE_MAX / KiB);
        if (bad)
                fprintf(f, "; %llu malformed record%s skipped", (unsigned long long)bad,
                        bad == 1 ? "" : "s");
        if (ls->skipped_since)
                fprintf(f, "; %llu event%s before --since", (unsigned long long)ls->skipped_since,
                        ls->skipped_since == 1 ? "" : "s");
        fputs("\n", f);
        for (size_t k = 0; k < LOGEVENT_KIND__MAX; k++) {
                if (!ls->kinds[k])
                        continue;
                fprintf(f, "%s%s %llu",
                        any ? ", " : "Events: ", logevent_kind_name((logevent_kind_t)k),
                        (unsigned long long)ls->kinds[k]);
                any = true;
        }
        if (any)
                fputc('\n', f);
        if (ls->n_srcs) {
                size_t n = 0;
                src_count_t *top = calloc(ls->n_srcs, sizeof(*top));
                if (!top)
                        return;
                for (size_t i = 0; i < ls->cap_srcs; i++)
                        if (ls->srcs[i].src)
                                top[n++] = ls->srcs[i];
                qsort(top, n, sizeof(*top), cmp_src);
                fprintf(f, "Top sources (%zu distinct%s):\n", ls->n_srcs,
                        ls->srcs_full ? ", table full" : "");
                for (size_t i = 0; i < n && i < TOP_SOURCES; i++) {
                        char b[1100];
                        fprintf(f, "  %-40s %8llu failed %8llu accepted %8llu events\n",
                                esc(top[i].src, b, sizeof(b)), (unsigned long long)top[i].failures,
                                (unsigned long long)top[i].successes,
                                (unsigned long long)top[i].total);
                }
                free(top);
        }
}

int cmd_logscan(int argc, char **argv, cli_globals_t *g)
{
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "format", required_argument, NULL, 'f' },
                { "since", required_argument, NULL, 'S' },
                { "year", required_argument, NULL, 'Y' },
                { "utc", no_argument, NULL, 'U' },
                { "service", required_argument, NULL, 's' },
                { "input", required_argument, NULL, 'i' },
                { "journal", no_argument, NULL, 'J' },
                { "journal-dir", required_argument, NULL, 'D' },
                { "unmatched", no_argument, NULL, 'u' },
                { "count", no_argument, NULL, 'c' },
                { "no-alerts", no_argument, NULL, 'N' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        logscan_t ls = { .format = OUT_TEXT, .out = stdout };
        logparse_opts_t po = { 0 };
        logread_input_t input = LOGREAD_AUTO;
        _cleanup_(config_freep) config_t *config = NULL;
        _cleanup_logparse_ logparse_ctx_t *ctx = NULL;
        _cleanup_free_ file_arg_t *files = NULL;
        _cleanup_free_ char *derr = NULL;
        const char *journal_dir = NULL;
        bool journal = false, failed = false;
        uint64_t records = 0, n_inputs = 0, oversized = 0, bad = 0;
        size_t nfiles;
        int opt, r, ret = EXIT_CLEAN;

        buf_init(&ls.abuf, ALERT_JSON_MAX);
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+hvq", longopts, NULL)) != -1) {
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case 'f':
                        if (strcmp(optarg, "text") == 0)
                                ls.format = OUT_TEXT;
                        else if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0)
                                ls.format = OUT_JSONL;
                        else
                                return cli_usage_error(
                                        "logscan", "unknown --format '%s' (text or jsonl)", optarg);
                        break;
                case 'S':
                        if (parse_since(optarg, &ls.since_us) < 0)
                                return cli_usage_error("logscan", "cannot read --since '%s'",
                                                       optarg);
                        break;
                case 'Y': {
                        unsigned long long y;
                        if (str_to_u64(optarg, &y) < 0 || y < 1970 || y > 9999)
                                return cli_usage_error("logscan", "--year needs a year, not '%s'",
                                                       optarg);
                        po.year = (int)y;
                        break;
                }
                case 'U':
                        po.utc = true;
                        break;
                case 's':
                        if (!*optarg || strlen(optarg) >= LOGEVENT_SERVICE_MAX ||
                            strchr(optarg, ' '))
                                return cli_usage_error("logscan", "bad --service '%s'", optarg);
                        po.service = optarg;
                        break;
                case 'i':
                        if (logread_input_from_name(optarg, &input) < 0)
                                return cli_usage_error("logscan",
                                                       "unknown --input '%s' (auto, text, export, "
                                                       "json, wtmp, btmp)",
                                                       optarg);
                        break;
                case 'J':
                        journal = true;
                        break;
                case 'D':
                        journal = true;
                        journal_dir = optarg;
                        break;
                case 'u':
                        ls.unmatched = true;
                        break;
                case 'c':
                        ls.count_only = true;
                        break;
                case 'N':
                        ls.no_alerts = true;
                        break;
                case 'h':
                        logscan_help(stdout);
                        return EXIT_CLEAN;
                default:
                        return cli_usage_error("logscan", "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        nfiles = (size_t)(argc - optind);
        if (nfiles == 0 && !journal)
                return cli_usage_error("logscan", "no FILE given (use '-' for standard input)");
        config = cli_load_config(g);
        if (!config)
                return EXIT_TROUBLE;
        ctx = logparse_new(&po);
        files = order_files(argv + optind, nfiles);
        ls.obuf = malloc(OUT_BUF);
        if (!ctx || !files || !ls.obuf) {
                log_error("out of memory");
                free(ls.obuf);
                return EXIT_TROUBLE;
        }
        {
                login_detectors_opts_t dopts = {
                        .config = config,
                        .state_dir = NULL,
                        .on_alert = on_alert,
                        .userdata = &ls,
                };
                r = login_detectors_new(&dopts, &ls.detectors, &derr);
                if (r < 0) {
                        log_error("login detectors: %s", derr ? derr : strerror(-r));
                        free(ls.obuf);
                        return EXIT_TROUBLE;
                }
        }
        if (ls.format == OUT_TEXT && !ls.count_only)
                fprintf(ls.out, "%-27s %-9s %-13s %-24s %-24s %s  %s\n", "TIME", "SERVICE", "EVENT",
                        "METHOD", "USER", "SOURCE", "FILE:LINE");

        for (size_t i = 0; i < nfiles; i++) {
                logread_stats_t st = { 0 };

                r = scan_one(&ls, ctx, files[i].path, input, &st);
                records += st.records;
                oversized += st.oversized;
                bad += st.bad;
                n_inputs++;
                if (r < 0) {
                        out_flush(&ls);
                        fflush(ls.out);
                        if (r == -EBADMSG)
                                log_error("%s: not a valid gzip stream (cut short or corrupt)",
                                          files[i].path);
                        else
                                log_error("%s: %s", files[i].path, strerror(-r));
                        failed = true;
                }
        }
        if (journal) {
                logread_cb_t cb = { .on_event = on_event, .userdata = &ls };
                sdjournal_opts_t jo = { .directory = journal_dir };
                logread_stats_t st = { 0 };

                if (ls.unmatched)
                        cb.on_unmatched = on_unmatched;
                logparse_reset(ctx, 0);
                r = sdjournal_read(&jo, journal_dir ? journal_dir : "journal", ctx, &cb, &st, NULL);
                records += st.records;
                oversized += st.oversized;
                n_inputs++;
                if (r < 0) {
                        out_flush(&ls);
                        if (r == -EOPNOTSUPP)
                                log_error("journal: libsystemd (libsystemd.so.0) is not available");
                        else
                                log_error("journal%s%s: %s", journal_dir ? " " : "",
                                          journal_dir ? journal_dir : "", strerror(-r));
                        failed = true;
                }
        }
        r = login_detectors_flush(ls.detectors);
        if (r < 0) {
                log_error("login detectors: %s", strerror(-r));
                failed = true;
        }
        out_flush(&ls);
        if (ls.format == OUT_TEXT || ls.count_only)
                print_summary(&ls, logparse_stats(ctx), records, n_inputs, oversized, bad);
        if (fflush(ls.out) != 0 || ls.out_failed) {
                log_error("cannot write the output: %s", strerror(errno ? errno : EIO));
                failed = true;
        }
        login_detectors_free(ls.detectors);
        for (size_t i = 0; i < ls.cap_srcs; i++)
                free(ls.srcs[i].src);
        free(ls.srcs);
        free(ls.obuf);
        buf_free(&ls.abuf);
        if (failed)
                ret = EXIT_TROUBLE;
        return ret;
}
