#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include "agent/aconf.h"
#include "agent/astore.h"
#include "agent/cclient.h"
#include "agent/jsource.h"
#include "agent/output.h"
#include "agent/scanproc.h"
#include "agent/schedule.h"
#include "agent/ship.h"
#include "agent/spool.h"
#include "agent/tail.h"
#include "core/ipaddr.h"
#include "core/jsonx.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/scanctx.h"
#include "core/timeutil.h"
#include "detect/fim/fim.h"
#include "detect/fim/watch.h"
#include "detect/login/detectors.h"
#include "detect/login/logparse.h"
#include "detect/login/utmp.h"
#include "detect/netattack/block.h"
#include "detect/netattack/netattack.h"
#include "detect/sink.h"
#include "scan/malware/quarantine.h"
#include "scan/process/psconf.h"
#include "scan/process/pslist.h"
#include "scan/process/response.h"
#include "scan/scannames.h"

/* Timer periods. */
#define TICK_MS   (NETATTACK_TICK_SECONDS * 1000)
#define UPKEEP_MS (3600 * 1000)
/* A rotated file is polled this often while it is still open. */
#define PREV_POLL_MS 500
/* Journal entries handed to the parser per turn of the loop. */
#define JOURNAL_BATCH 2000
/* Alerts held while the store cannot be written; past this the sources
 * stop reading until it can (the records wait in their files). */
#define PENDING_MAX 10000
/* Retry a failed commit this often. */
#define RETRY_MS 1000

typedef enum source_kind {
        SRC_FILE,
        SRC_JOURNAL,
} source_kind_t;

typedef struct source {
        agent_t *agent;
        source_kind_t kind;
        char *name; /* key in the store: the path, or "journal" */
        agent_log_format_t format;
        tail_t *tail;
        jsource_t *journal;
        uv_poll_t jpoll;
        bool jpoll_on;
        logparse_ctx_t *parse;
        /* Not yet committed. */
        uint64_t records, events, oversized, alerts;
        bool dirty;
        bool more; /* the budget ran out: read again without waiting */
        bool note_missing;
} source_t;

/* One directory watched for the files followed in it. */
typedef struct dirwatch {
        agent_t *agent;
        uv_fs_event_t ev;
        char *dir;
} dirwatch_t;

typedef struct pending {
        alert_t *alert;
        char *source; /* may be NULL */
} pending_t;

/* One posture scan: a child `vigil scan` (agent/scanproc.h) that a worker
 * thread runs and waits for. Everything the worker reads is copied here
 * when the scan starts, so a configuration reload meanwhile is safe. */
typedef struct scan_job {
        uv_work_t req;
        agent_t *agent;
        char *key;
        strv_t only, completed;
        char *exe;         /* the vigil executable, NULL when it was not found */
        char *config_path; /* the file of the running configuration, or NULL */
        char *state_dir, *host;
        int nice;
        scanproc_child_t child;
        bool abandoned; /* the agent is stopping: the results are not wanted */
        report_t *report;
        int64_t started_us, finished_us;
} scan_job_t;

typedef struct fim_job {
        uv_work_t req;
        agent_t *agent;
        int result;
} fim_job_t;

struct agent {
        uv_loop_t loop;
        bool loop_ready;
        pthread_t loop_thread;
        agent_opts_t o;
        char *config_path, *state_dir, *output_path, *log_root;
        config_t *config;
        char *scan_exe; /* vigil, run for each scan; NULL when not found */
        char *scan_exe_error;
        agent_config_t ac;
        char host[256];
        astore_t *store;
        output_t *out;
        alert_sink_t sink;
        ship_t *ship; /* reporting to a center; NULL when not enrolled */

        login_detectors_t *login;
        netattack_t *net;
        netattack_config_t netcfg;
        bool netcfg_loaded;
        uv_poll_t net_poll;
        bool net_poll_on;
        blocker_t *blocker;

        source_t **src;
        size_t n_src;
        dirwatch_t **dirs;
        size_t n_dirs;

        uv_timer_t tick, poll, upkeep, scan_timer, retry, fim_timer;
        uv_idle_t drain;
        bool drain_on;
        uv_signal_t sig_term, sig_int, sig_hup;
        uv_async_t wake;
        bool handles_ready;

        pthread_mutex_t xlock;
        pending_t *xq; /* alerts raised on other threads */
        size_t n_xq, cap_xq;

        pending_t *pend;
        size_t n_pend, cap_pend;
        source_t *cur_source;
        bool commit_failed;
        int64_t last_commit_warn;
        int64_t last_login_save; /* monotonic µs of the latest login_detectors_save */

        scan_job_t *job;
        /* File integrity. */
        fim_config_t fimcfg;
        bool fimcfg_loaded;
        rootfs_t *fimroot;
        report_t *fimreport;
        size_t fim_notes_shown;
        fimdb_t *fimdb;
        fimcheck_t *fimcheck;
        fimwatch_t *fimwatch;
        fim_job_t *fimjob;
        uv_poll_t fim_poll;
        bool fim_poll_on;

        unsigned pending_closes;
        bool stopping, reload;
};

static void say(agent_t *a, agent_log_level_t level, const char *fmt, ...) _printf_(3, 4);

static void say(agent_t *a, agent_log_level_t level, const char *fmt, ...)
{
        char msg[2048];
        va_list ap;

        if (!a->o.log)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        a->o.log(level, msg, a->o.log_userdata);
}

/* ------------------------------------------------------------------ */
/* Alerts: the sink, the response, the batch                          */

static int pending_push(pending_t **v, size_t *n, size_t *cap, alert_t *al, const char *source)
{
        char *s = NULL;

        if (*n >= *cap) {
                size_t nc = *cap ? *cap * 2 : 64;
                pending_t *nv = realloc(*v, nc * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = nc;
        }
        if (source && !(s = strdup(source)))
                return -ENOMEM;
        (*v)[*n].alert = al;
        (*v)[*n].source = s;
        (*n)++;
        return 0;
}

/* Block the source of a brute force alert when response.block is on, and
 * record what was done in the alert's evidence ("response"). */
static void respond(agent_t *a, alert_t *al)
{
        const char *src;
        _cleanup_free_ char *cmd = NULL;
        const char *why = NULL;
        json_t *resp;
        ipaddr_t ip;
        char addr[IPADDR_STR_MAX];
        int r;

        if (!a->blocker || !block_enabled(a->blocker) || !al->rule ||
            (strcmp(al->rule, "login.brute_force") != 0 &&
             strcmp(al->rule, "login.brute_force_success") != 0))
                return;
        src = json_string_value(json_object_get(al->evidence, "src"));
        if (!src)
                return;
        resp = json_object();
        if (!resp)
                return;
        jsonx_set_str(resp, "action", "block");
        if (ipaddr_parse(src, &ip) < 0) {
                jsonx_set_str(resp, "target", src);
                jsonx_set_str(resp, "result", "not an address: nothing blocked");
                json_object_set_new(al->evidence, "response", resp);
                return;
        }
        ipaddr_format(&ip, addr);
        jsonx_set_str(resp, "target", addr);
        r = block_check(a->blocker, &ip, &why);
        if (r == -EPERM) {
                _cleanup_free_ char *m = str_printf("refused: %s", why ? why : "never blocked");
                jsonx_set_str(resp, "result", m ? m : "refused");
                say(a, AGENT_LOG_INFO, "response: not blocking %s (%s)", addr,
                    why ? why : "never blocked");
        } else {
                r = block_ip(a->blocker, &ip, 0, al->rule, &cmd);
                if (r == 0) {
                        jsonx_set_str(resp, "result",
                                      block_dry_run(a->blocker) ? "dry-run"
                                      : cmd                     ? "blocked"
                                                                : "already blocked");
                        if (cmd)
                                jsonx_set_str(resp, "command", cmd);
                        say(a, AGENT_LOG_INFO, "response: %s %s%s%s",
                            block_dry_run(a->blocker) ? "would block" : "blocked", addr,
                            cmd ? ": " : "", cmd ? cmd : " (already blocked)");
                } else {
                        _cleanup_free_ char *m = str_printf("error: %s", strerror(-r));
                        jsonx_set_str(resp, "result", m ? m : "error");
                        say(a, AGENT_LOG_WARN, "response: blocking %s failed: %s", addr,
                            strerror(-r));
                }
        }
        json_object_set_new(al->evidence, "response", resp);
}

static void wake_loop(agent_t *a)
{
        if (a->handles_ready)
                uv_async_send(&a->wake);
}

/* The one sink every detector sends to. On the loop thread the alert joins
 * the current batch; from a worker thread (the first file-integrity pass)
 * it is queued and the loop is woken to take it. */
static int on_alert(alert_t *al, void *userdata)
{
        agent_t *a = userdata;
        int r;

        if (!al->host && alert_set_host(al, a->host) < 0) {
                alert_free(al);
                return -ENOMEM;
        }
        if (!pthread_equal(pthread_self(), a->loop_thread)) {
                pthread_mutex_lock(&a->xlock);
                r = pending_push(&a->xq, &a->n_xq, &a->cap_xq, al, "fim");
                pthread_mutex_unlock(&a->xlock);
                if (r < 0) {
                        alert_free(al);
                        return r;
                }
                wake_loop(a);
                return 0;
        }
        respond(a, al);
        r = pending_push(&a->pend, &a->n_pend, &a->cap_pend, al,
                         a->cur_source ? a->cur_source->name : NULL);
        if (r < 0) {
                alert_free(al);
                return r;
        }
        if (a->cur_source)
                a->cur_source->alerts++;
        return 0;
}

static int on_login_alert(alert_t *al, void *userdata)
{
        return on_alert(al, userdata);
}

static void record_responses(agent_t *a)
{
        for (size_t i = 0; i < a->n_pend; i++) {
                alert_t *al = a->pend[i].alert;
                json_t *r = json_object_get(al->evidence, "response");
                if (!r)
                        continue;
                (void)astore_put_response(a->store, al->id, "block",
                                          json_string_value(json_object_get(r, "target")),
                                          json_string_value(json_object_get(r, "command")),
                                          json_string_value(json_object_get(r, "result")));
        }
}

static void on_retry(uv_timer_t *h);

/* Store the batch: the pending alerts and the positions and counters of
 * every source that moved, in one transaction. On failure everything is
 * kept to be tried again; the sources' positions only move forward, so a
 * later commit covers this batch too. */
static int commit(agent_t *a)
{
        bool any = a->n_pend > 0;
        int r;

        for (size_t i = 0; i < a->n_src && !any; i++)
                any = a->src[i]->dirty;
        if (!any)
                return 0;
        if ((r = astore_begin(a->store)) < 0)
                goto fail;
        for (size_t i = 0; i < a->n_pend; i++) {
                r = astore_put_alert(a->store, a->pend[i].alert, a->pend[i].source, NULL);
                if (r < 0 && r != -E2BIG)
                        goto fail;
        }
        record_responses(a);
        for (size_t i = 0; i < a->n_src; i++) {
                source_t *s = a->src[i];
                if (!s->dirty)
                        continue;
                if (s->kind == SRC_FILE) {
                        tail_pos_t cur, prev;
                        bool hc, hp;
                        tail_positions(s->tail, &cur, &hc, &prev, &hp);
                        if ((r = astore_put_pos(a->store, s->name, 0, hc ? &cur : NULL)) < 0 ||
                            (r = astore_put_pos(a->store, s->name, 1, hp ? &prev : NULL)) < 0)
                                goto fail;
                } else if (s->journal && jsource_cursor(s->journal) &&
                           (r = astore_put_cursor(a->store, s->name, jsource_cursor(s->journal))) <
                                   0)
                        goto fail;
                if ((r = astore_add_counts(a->store, s->name,
                                           s->kind == SRC_FILE ? agent_log_format_name(s->format)
                                                               : "journal",
                                           s->records, s->events, s->oversized, s->alerts)) < 0)
                        goto fail;
        }
        if ((r = astore_commit(a->store)) < 0)
                goto fail;
        for (size_t i = 0; i < a->n_pend; i++) {
                alert_free(a->pend[i].alert);
                free(a->pend[i].source);
        }
        a->n_pend = 0;
        for (size_t i = 0; i < a->n_src; i++) {
                source_t *s = a->src[i];
                s->records = s->events = s->oversized = s->alerts = 0;
                s->dirty = false;
        }
        if (a->commit_failed)
                say(a, AGENT_LOG_INFO, "the store can be written again");
        a->commit_failed = false;
        /* The positions are stored: now the login detectors' windows that
         * the lines up to them fed, so a crash loses neither (at most once
         * a second; the tick saves too). */
        if (a->login && timeutil_mono_us() - a->last_login_save >= 1000000) {
                a->last_login_save = timeutil_mono_us();
                r = login_detectors_save(a->login);
                if (r < 0)
                        say(a, AGENT_LOG_WARN, "saving the login detectors' state: %s",
                            strerror(-r));
        }
        if (a->out) {
                r = output_pump(a->out, NULL);
                if (r < 0)
                        say(a, AGENT_LOG_WARN, "writing alerts out: %s", strerror(-r));
        }
        return 0;
fail:
        astore_rollback(a->store);
        if (!a->commit_failed || timeutil_mono_us() - a->last_commit_warn > 60 * 1000000LL) {
                say(a, AGENT_LOG_ERROR, "cannot write the store: %s (%s); retrying", strerror(-r),
                    astore_errmsg(a->store));
                a->last_commit_warn = timeutil_mono_us();
        }
        a->commit_failed = true;
        if (a->handles_ready && !uv_is_active((uv_handle_t *)&a->retry))
                uv_timer_start(&a->retry, on_retry, RETRY_MS, 0);
        return r;
}

/* Whether sources may read: not while the store refuses batches and many
 * alerts wait. */
static bool may_read(agent_t *a)
{
        return !a->stopping && !(a->commit_failed && a->n_pend >= PENDING_MAX);
}

/* ------------------------------------------------------------------ */
/* Sources                                                             */

static int feed_event(source_t *s, const logevent_t *e)
{
        int r;

        s->events++;
        s->agent->cur_source = s;
        r = login_detectors_feed(s->agent->login, e);
        s->agent->cur_source = NULL;
        return r;
}

static int on_record(const char *file, const char *data, size_t n, uint64_t lineno, unsigned flags,
                     void *userdata)
{
        source_t *s = userdata;
        logevent_t ev;
        size_t k = 0;
        int r;

        s->records++;
        s->dirty = true;
        if (flags & TAIL_REC_OVERSIZED) {
                s->oversized++;
                return 0;
        }
        if (s->format != AGENT_LOG_TEXT) {
                r = utmp_parse_record((const uint8_t *)data, n, s->format == AGENT_LOG_BTMP, file,
                                      lineno, &ev);
                return r == 1 ? feed_event(s, &ev) : 0;
        }
        r = logparse_line(s->parse, data, n, file, lineno, &ev, 1, &k);
        if (r == -E2BIG) {
                s->oversized++;
                return 0;
        }
        if (r == LOGPARSE_EVENT && k)
                return feed_event(s, &ev);
        return 0;
}

static void on_tail_note(tail_note_t note, const char *file, int err, void *userdata)
{
        source_t *s = userdata;
        agent_t *a = s->agent;

        switch (note) {
        case TAIL_NOTE_OPENED:
                say(a, AGENT_LOG_DEBUG, "%s: following", file);
                break;
        case TAIL_NOTE_RESUMED:
                say(a, AGENT_LOG_DEBUG, "%s: resuming at the saved position", file);
                break;
        case TAIL_NOTE_ROTATED:
                say(a, AGENT_LOG_INFO, "%s: rotated; reading the old file to its end", file);
                break;
        case TAIL_NOTE_TRUNCATED:
                say(a, AGENT_LOG_INFO, "%s: truncated; reading it from the start", file);
                break;
        case TAIL_NOTE_FROM_COPY:
                say(a, AGENT_LOG_INFO, "%s: reading the rest of the truncated log from this copy",
                    file);
                break;
        case TAIL_NOTE_LOST:
                say(a, AGENT_LOG_WARN,
                    "%s: the file read before was rotated away and cannot be found (compressed "
                    "or deleted); lines written to it after the last run are not read",
                    file);
                break;
        case TAIL_NOTE_CLOSED_PREV:
                say(a, AGENT_LOG_DEBUG, "%s: rotated file read to its end", file);
                break;
        case TAIL_NOTE_ERROR:
                say(a, AGENT_LOG_WARN, "%s: %s", file, strerror(-err));
                break;
        }
}

static int on_journal_msg(const logmsg_t *m, void *userdata)
{
        source_t *s = userdata;
        logevent_t ev;
        size_t k = 0;
        int r;

        s->records++;
        s->dirty = true;
        r = logparse_message(s->parse, m, &ev, 1, &k);
        if (r == -E2BIG) {
                s->oversized++;
                return 0;
        }
        if (r == LOGPARSE_EVENT && k)
                return feed_event(s, &ev);
        return 0;
}

static void update_drain(agent_t *a);

/* Read what SOURCE has (one budget), then store the batch. */
static void read_source(source_t *s)
{
        agent_t *a = s->agent;
        int r = 0;

        if (!may_read(a))
                return;
        s->more = false;
        if (s->kind == SRC_FILE) {
                tail_cb_t cb = { .on_record = on_record, .on_note = on_tail_note, .userdata = s };
                tail_pos_t c0, p0, c1, p1;
                bool hc0, hp0, hc1, hp1;
                tail_positions(s->tail, &c0, &hc0, &p0, &hp0);
                r = tail_poll(s->tail, timeutil_mono_us(), a->ac.batch, &cb, &s->more);
                /* A rotation or truncation moves the positions without a
                 * record; save that too. */
                tail_positions(s->tail, &c1, &hc1, &p1, &hp1);
                if (hc0 != hc1 || hp0 != hp1 || c0.ino != c1.ino || c0.offset != c1.offset ||
                    c0.head_len != c1.head_len || p0.ino != p1.ino || p0.offset != p1.offset)
                        s->dirty = true;
        } else if (s->journal) {
                r = jsource_read(s->journal, JOURNAL_BATCH, on_journal_msg, s, &s->more);
                if (r > 0)
                        r = 0;
        }
        if (r < 0) {
                /* A detector or the memory failed mid-batch: what was
                 * handled is committed below; the rest is read again. */
                say(a, AGENT_LOG_WARN, "%s: %s", s->name, strerror(-r));
                s->more = true;
        }
        (void)commit(a);
        update_drain(a);
}

static void read_all(agent_t *a)
{
        for (size_t i = 0; i < a->n_src; i++)
                read_source(a->src[i]);
}

static void on_drain(uv_idle_t *h)
{
        agent_t *a = h->data;

        for (size_t i = 0; i < a->n_src; i++)
                if (a->src[i]->more)
                        read_source(a->src[i]);
        update_drain(a);
}

static void update_drain(agent_t *a)
{
        bool more = false;

        if (!a->handles_ready)
                return;
        for (size_t i = 0; i < a->n_src && !more; i++)
                more = a->src[i]->more;
        more = more && may_read(a);
        if (more && !a->drain_on) {
                uv_idle_start(&a->drain, on_drain);
                a->drain_on = true;
        } else if (!more && a->drain_on) {
                uv_idle_stop(&a->drain);
                a->drain_on = false;
        }
}

static void on_dir_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
        dirwatch_t *d = h->data;
        agent_t *a = d->agent;

        (void)events;
        if (status < 0)
                return;
        for (size_t i = 0; i < a->n_src; i++) {
                source_t *s = a->src[i];
                const char *path, *base;
                size_t dl = strlen(d->dir);
                if (s->kind != SRC_FILE)
                        continue;
                path = tail_path(s->tail);
                if (strncmp(path, d->dir, dl) != 0 || path[dl] != '/')
                        continue;
                base = path + dl + 1;
                /* The file itself, or a sibling (a rotation renames it). */
                if (!filename || strcmp(filename, base) == 0 ||
                    tail_is_sibling_name(base, filename))
                        read_source(s);
        }
}

static void on_poll_timer(uv_timer_t *h)
{
        agent_t *a = h->data;

        read_all(a);
}

static void on_journal_readable(uv_poll_t *h, int status, int events)
{
        source_t *s = h->data;

        (void)events;
        if (status < 0)
                return;
        if (jsource_process(s->journal) < 0)
                return;
        read_source(s);
}

static void source_free(source_t *s)
{
        if (!s)
                return;
        tail_free(s->tail);
        jsource_free(s->journal);
        logparse_free(s->parse);
        free(s->name);
        free(s);
}

static int add_source(agent_t *a, source_t *s)
{
        source_t **v = realloc(a->src, (a->n_src + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        a->src = v;
        a->src[a->n_src++] = s;
        return 0;
}

static int open_file_source(agent_t *a, const agent_log_t *l)
{
        source_t *s = calloc(1, sizeof(*s));
        logparse_opts_t po = { .service = l->service };
        tail_pos_t cur, prev;
        bool hc, hp;
        tail_opts_t to = {
                .path = l->path,
                .record_size = l->format == AGENT_LOG_TEXT ? 0 : UTMP_RECORD_SIZE,
                .start = a->o.once ? TAIL_START_BEGINNING : a->ac.start,
        };
        int r;

        if (!s)
                return -ENOMEM;
        s->agent = a;
        s->kind = SRC_FILE;
        s->format = l->format;
        s->name = strdup(l->path);
        s->parse = logparse_new(&po);
        if (!s->name || !s->parse) {
                source_free(s);
                return -ENOMEM;
        }
        hc = astore_get_pos(a->store, l->path, 0, &cur) == 0;
        hp = astore_get_pos(a->store, l->path, 1, &prev) == 0;
        if ((r = tail_new(&to, hc ? &cur : NULL, hp ? &prev : NULL, &s->tail)) < 0 ||
            (r = add_source(a, s)) < 0) {
                source_free(s);
                return r;
        }
        return 0;
}

static int open_journal_source(agent_t *a)
{
        source_t *s = calloc(1, sizeof(*s));
        _cleanup_free_ char *cursor = NULL;
        jsource_opts_t jo = {
                .directory = a->ac.journal_dir,
                .from_start = a->o.once || a->ac.start == TAIL_START_BEGINNING,
        };
        int r;

        if (!s)
                return -ENOMEM;
        s->agent = a;
        s->kind = SRC_JOURNAL;
        s->name = strdup("journal");
        s->parse = logparse_new(NULL);
        if (!s->name || !s->parse) {
                source_free(s);
                return -ENOMEM;
        }
        if (astore_get_cursor(a->store, s->name, &cursor) == 0)
                jo.after_cursor = cursor;
        r = jsource_open(&jo, &s->journal);
        if (r < 0) {
                say(a, AGENT_LOG_WARN, "journal: %s; the journal is not read",
                    r == -EOPNOTSUPP ? "libsystemd (libsystemd.so.0) is not available"
                                     : strerror(-r));
                source_free(s);
                return 0;
        }
        if ((r = add_source(a, s)) < 0) {
                source_free(s);
                return r;
        }
        /* Save where reading starts, so entries written before the next
         * start are not skipped then. */
        s->dirty = jsource_cursor(s->journal) != NULL;
        return 0;
}

static void on_closed(uv_handle_t *h)
{
        agent_t *a = h->loop->data;

        a->pending_closes--;
}

static void close_handle(agent_t *a, uv_handle_t *h)
{
        if (uv_is_closing(h))
                return;
        a->pending_closes++;
        uv_close(h, on_closed);
}

static int watch_dir(agent_t *a, const char *path)
{
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/');
        dirwatch_t *d, **v;
        int r;

        if (!slash)
                return 0;
        dir = str_ndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (!dir)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_dirs; i++)
                if (strcmp(a->dirs[i]->dir, dir) == 0)
                        return 0;
        d = calloc(1, sizeof(*d));
        v = realloc(a->dirs, (a->n_dirs + 1) * sizeof(*v));
        if (!d || !v) {
                free(d);
                if (v)
                        a->dirs = v;
                return -ENOMEM;
        }
        a->dirs = v;
        d->agent = a;
        d->dir = TAKE_PTR(dir);
        uv_fs_event_init(&a->loop, &d->ev);
        d->ev.data = d;
        r = uv_fs_event_start(&d->ev, on_dir_event, d->dir, 0);
        if (r < 0)
                say(a, AGENT_LOG_WARN,
                    "%s: cannot watch for changes (%s); polling every %lld ms instead", d->dir,
                    uv_strerror(r), (long long)(a->ac.poll_us / 1000));
        a->dirs[a->n_dirs++] = d;
        return 0;
}

static int start_sources(agent_t *a)
{
        int r;

        for (size_t i = 0; i < a->ac.n_logs; i++)
                if ((r = open_file_source(a, &a->ac.logs[i])) < 0)
                        return r;
        if (a->ac.journal && (r = open_journal_source(a)) < 0)
                return r;
        if (a->o.once)
                return 0;
        for (size_t i = 0; i < a->n_src; i++) {
                source_t *s = a->src[i];
                if (s->kind == SRC_FILE && (r = watch_dir(a, tail_path(s->tail))) < 0)
                        return r;
                if (s->kind == SRC_JOURNAL) {
                        int fd = jsource_fd(s->journal);
                        if (fd >= 0 && uv_poll_init(&a->loop, &s->jpoll, fd) == 0) {
                                s->jpoll.data = s;
                                uv_poll_start(&s->jpoll, UV_READABLE, on_journal_readable);
                                s->jpoll_on = true;
                        }
                }
        }
        return 0;
}

static void stop_sources(agent_t *a)
{
        for (size_t i = 0; i < a->n_dirs; i++)
                close_handle(a, (uv_handle_t *)&a->dirs[i]->ev);
        for (size_t i = 0; i < a->n_src; i++)
                if (a->src[i]->jpoll_on)
                        close_handle(a, (uv_handle_t *)&a->src[i]->jpoll);
}

static void free_sources(agent_t *a)
{
        for (size_t i = 0; i < a->n_src; i++)
                source_free(a->src[i]);
        free(a->src);
        a->src = NULL;
        a->n_src = 0;
        for (size_t i = 0; i < a->n_dirs; i++) {
                free(a->dirs[i]->dir);
                free(a->dirs[i]);
        }
        free(a->dirs);
        a->dirs = NULL;
        a->n_dirs = 0;
}

/* ------------------------------------------------------------------ */
/* Network attacks                                                     */

static void on_net_readable(uv_poll_t *h, int status, int events)
{
        agent_t *a = h->data;
        int r;

        (void)events;
        if (status < 0)
                return;
        r = netattack_on_readable(a->net);
        if (r < 0) {
                say(a, AGENT_LOG_WARN,
                    "packet capture failed (%s); port scans are not seen "
                    "until the agent is restarted",
                    strerror(-r));
                uv_poll_stop(&a->net_poll);
        }
        (void)commit(a);
}

static int start_netattack(agent_t *a)
{
        _cleanup_free_ char *err = NULL;
        int r, fd;

        if (!a->ac.netattack)
                return 0;
        if ((r = netattack_config_load(a->config, &a->netcfg, &err)) < 0) {
                say(a, AGENT_LOG_ERROR, "%s", err ? err : strerror(-r));
                return r;
        }
        a->netcfg_loaded = true;
        if ((r = netattack_new(&a->netcfg, &a->sink, &a->net)) < 0)
                return r;
        free(err);
        err = NULL;
        r = netattack_start_capture(a->net, &err);
        if (r < 0) {
                say(a, AGENT_LOG_WARN,
                    "packet capture: %s; port scans are not detected (the agent needs "
                    "CAP_NET_RAW); everything else runs",
                    err ? err : strerror(-r));
                return 0;
        }
        fd = netattack_fd(a->net);
        if (fd >= 0 && uv_poll_init(&a->loop, &a->net_poll, fd) == 0) {
                a->net_poll.data = a;
                uv_poll_start(&a->net_poll, UV_READABLE, on_net_readable);
                a->net_poll_on = true;
        }
        return 0;
}

/* ------------------------------------------------------------------ */
/* File integrity                                                      */

static void fim_notes(agent_t *a)
{
        if (!a->fimreport)
                return;
        for (; a->fim_notes_shown < a->fimreport->n_notes; a->fim_notes_shown++) {
                const report_note_t *n = &a->fimreport->notes[a->fim_notes_shown];
                if (n->kind == REPORT_NOTE_INFO)
                        continue;
                say(a, AGENT_LOG_WARN, "fim: %s%s%s", n->source ? n->source : "",
                    n->source ? ": " : "", n->message);
        }
}

static void on_fim_timer(uv_timer_t *h);

static void fim_arm_timer(agent_t *a)
{
        int64_t next, now;

        if (!a->fimwatch || a->stopping)
                return;
        next = fimwatch_next_tick(a->fimwatch);
        now = timeutil_mono_us();
        uv_timer_start(&a->fim_timer, on_fim_timer,
                       (uint64_t)MIN(next > now ? (next - now) / 1000 + 1 : 0, 60000), 0);
}

static void on_fim_timer(uv_timer_t *h)
{
        agent_t *a = h->data;
        int r;

        if (!a->fimwatch)
                return;
        r = fimwatch_tick(a->fimwatch, timeutil_mono_us());
        if (r < 0)
                say(a, AGENT_LOG_WARN, "fim: %s", strerror(-r));
        fim_notes(a);
        (void)commit(a);
        fim_arm_timer(a);
}

static void on_fim_readable(uv_poll_t *h, int status, int events)
{
        agent_t *a = h->data;
        int r;

        (void)events;
        if (status < 0 || !a->fimwatch)
                return;
        r = fimwatch_dispatch(a->fimwatch, timeutil_mono_us());
        if (r < 0)
                say(a, AGENT_LOG_WARN, "fim: reading file events: %s", strerror(-r));
        fim_arm_timer(a);
}

static void fim_work(uv_work_t *req)
{
        fim_job_t *j = req->data;
        fimcheck_stats_t st;

        /* The first pass hashes the covered files: keep it gentle. */
        (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), j->agent->ac.scan_nice);
        j->result = fimcheck_run(j->agent->fimcheck, FIMCHECK_UPDATE, &st);
}

static void fim_done(uv_work_t *req, int status)
{
        fim_job_t *j = req->data;
        agent_t *a = j->agent;
        fimwatch_opts_t wo;
        int r;

        a->fimjob = NULL;
        if (status < 0 || j->result < 0 || a->stopping) {
                if (!a->stopping)
                        say(a, AGENT_LOG_WARN, "fim: the first pass failed: %s",
                            strerror(status < 0 ? EINTR : -j->result));
                free(j);
                fim_notes(a);
                return;
        }
        free(j);
        /* The first pass hashed every covered file on a worker thread:
         * give the memory it freed back before idling. */
        malloc_trim(0);
        memset(&wo, 0, sizeof(wo));
        wo.check = a->fimcheck;
        wo.root = a->fimroot;
        wo.policy = &a->fimcfg.policy;
        wo.db = a->fimdb;
        wo.report = a->fimreport;
        wo.max_watches = a->fimcfg.max_watches;
        wo.fanotify = a->fimcfg.fanotify;
        wo.periodic_us = a->fimcfg.periodic_interval * 1000000;
        wo.pm_grace_us = a->fimcfg.pm_grace * 1000000;
        wo.host_processes = a->fimroot->is_host;
        r = fimwatch_new(&wo, &a->fimwatch);
        fim_notes(a);
        if (r < 0) {
                say(a, AGENT_LOG_WARN, "fim: cannot watch: %s", strerror(-r));
                return;
        }
        if (uv_poll_init(&a->loop, &a->fim_poll, fimwatch_fd(a->fimwatch)) == 0) {
                a->fim_poll.data = a;
                uv_poll_start(&a->fim_poll, UV_READABLE, on_fim_readable);
                a->fim_poll_on = true;
        }
        {
                fimwatch_status_t st;
                fimwatch_get_status(a->fimwatch, &st);
                say(a, AGENT_LOG_INFO, "fim: watching %zu directories (%zu only periodically)",
                    st.watched_dirs, st.unwatched_dirs);
        }
        (void)commit(a);
        fim_arm_timer(a);
}

static int start_fim(agent_t *a)
{
        _cleanup_free_ char *err = NULL;
        fimcheck_opts_t co;
        int r;

        if (!a->ac.fim)
                return 0;
        if (a->fimjob) {
                /* Reloaded during the first pass: that pass goes on with the
                 * settings it started with. */
                say(a, AGENT_LOG_INFO,
                    "fim: its first pass is still running; the new "
                    "settings apply at the next start");
                return 0;
        }
        if ((r = fim_config_load(a->config, &a->fimcfg, &err)) < 0) {
                say(a, AGENT_LOG_ERROR, "%s", err ? err : strerror(-r));
                return r;
        }
        a->fimcfg_loaded = true;
        if ((r = rootfs_open("/", &a->fimroot)) < 0 || !(a->fimreport = report_new(a->host, "/"))) {
                say(a, AGENT_LOG_WARN, "fim: cannot start: %s", strerror(r < 0 ? -r : ENOMEM));
                return 0;
        }
        if ((r = fimpolicy_expand_homes(&a->fimcfg.policy, a->fimroot, a->fimreport)) < 0)
                return r;
        if ((r = fim_db_open(a->state_dir, true, &a->fimdb, &err)) < 0) {
                say(a, AGENT_LOG_WARN, "fim: %s; file integrity is not watched",
                    err ? err : strerror(-r));
                return 0;
        }
        memset(&co, 0, sizeof(co));
        co.root = a->fimroot;
        co.policy = &a->fimcfg.policy;
        co.db = a->fimdb;
        co.db_display = "fim.db";
        co.report = a->fimreport;
        co.sink = a->sink;
        co.host = a->host;
        co.threads = 1;
        co.max_file_size = a->fimcfg.max_file_size;
        co.max_hash_time_us = a->fimcfg.max_hash_time_us;
        co.rehash_interval = a->fimcfg.rehash_interval;
        co.verify_packages = a->fimcfg.verify_packages;
        co.host_processes = a->fimroot->is_host;
        if ((r = fimcheck_new(&co, &a->fimcheck)) < 0) {
                fim_notes(a);
                say(a, AGENT_LOG_WARN, "fim: cannot prepare the check: %s", strerror(-r));
                return 0;
        }
        a->fimjob = calloc(1, sizeof(*a->fimjob));
        if (!a->fimjob)
                return -ENOMEM;
        a->fimjob->agent = a;
        a->fimjob->req.data = a->fimjob;
        if ((r = uv_queue_work(&a->loop, &a->fimjob->req, fim_work, fim_done)) < 0) {
                free(a->fimjob);
                a->fimjob = NULL;
                say(a, AGENT_LOG_WARN, "fim: %s", uv_strerror(r));
        }
        return 0;
}

static void stop_fim(agent_t *a)
{
        if (a->fim_poll_on) {
                close_handle(a, (uv_handle_t *)&a->fim_poll);
                a->fim_poll_on = false;
        }
        if (a->fimwatch) {
                (void)fimwatch_save_status(a->fimwatch);
                fimwatch_free(a->fimwatch);
                a->fimwatch = NULL;
        }
}

/* Free what file integrity holds; not while its first pass runs. */
static void free_fim(agent_t *a)
{
        if (a->fimjob)
                return;
        fimcheck_free(a->fimcheck);
        a->fimcheck = NULL;
        fimdb_close(a->fimdb);
        a->fimdb = NULL;
        report_free(a->fimreport);
        a->fimreport = NULL;
        a->fim_notes_shown = 0;
        rootfs_free(a->fimroot);
        a->fimroot = NULL;
        if (a->fimcfg_loaded)
                fim_config_clear(&a->fimcfg);
        a->fimcfg_loaded = false;
}

/* ------------------------------------------------------------------ */
/* Scheduled scans                                                     */

static void arm_scan_timer(agent_t *a);

/* The scan runs in a child process (it gets the scan's nice value and the
 * idle I/O class there); this worker thread only waits for it and reads
 * its report. A scan that fails still leaves a report, with an error note
 * saying why and no scanner completed, so it is recorded like a run and
 * the schedule does not retry it at once. */
static void scan_work(uv_work_t *req)
{
        scan_job_t *j = req->data;
        scanproc_opts_t o = {
                .exe = j->exe,
                .config_path = j->config_path,
                .state_dir = j->state_dir,
                .only = &j->only,
                .nice = j->nice,
        };
        _cleanup_free_ char *err = NULL;
        int r;

        j->started_us = timeutil_now_us();
        if (j->exe)
                r = scanproc_run(&o, &j->child, &j->report, &j->completed, &err);
        else {
                r = -ENOENT;
                err = str_printf("the vigil executable was not found: %s",
                                 j->agent->scan_exe_error ? j->agent->scan_exe_error : "unknown");
        }
        j->finished_us = timeutil_now_us();
        if (r < 0) {
                strv_clear(&j->completed);
                j->report = report_new(j->host, "/");
                if (!j->report)
                        return;
                j->report->started_us = j->started_us;
                j->report->finished_us = j->finished_us;
                (void)report_note(j->report, REPORT_NOTE_ERROR, "agent", "the scan failed: %s",
                                  err ? err : strerror(-r));
        }
}

static void scan_job_free(scan_job_t *j)
{
        if (!j)
                return;
        free(j->key);
        strv_clear(&j->only);
        strv_clear(&j->completed);
        free(j->exe);
        free(j->config_path);
        free(j->state_dir);
        free(j->host);
        scanproc_child_destroy(&j->child);
        report_free(j->report);
        free(j);
}

/* A secret that a scan finds for the first time on this host is a leak
 * that just happened, not only a standing risk: the agent raises a
 * data_leak alert for it, at the alert level that matches the finding's
 * (high: urgent). "First time" is asked of the store before the scan's
 * results are stored: no row, or one that was fixed since. The alert
 * carries the finding's redacted evidence only; the secret itself never
 * reaches the finding. */
static bool secret_is_new(agent_t *a, const finding_t *f)
{
        sqlite3_stmt *st = NULL;
        bool fresh = true;

        if (sqlite3_prepare_v2(astore_db(a->store), "SELECT status FROM findings WHERE id = ?", -1,
                               &st, NULL) != SQLITE_OK)
                return false;
        sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
                const char *status = (const char *)sqlite3_column_text(st, 0);
                fresh = status && strcmp(status, "fixed") == 0;
        }
        sqlite3_finalize(st);
        return fresh;
}

/* Whether a completed scan of this host's secrets is on record. */
static bool secret_scanned_before(agent_t *a)
{
        sqlite3_stmt *st = NULL;
        bool seen = false;

        if (sqlite3_prepare_v2(astore_db(a->store),
                               "SELECT 1 FROM scans WHERE ',' || completed || ',' LIKE '%,secret,%'"
                               " LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK)
                return false;
        seen = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        return seen;
}

static void raise_secret_alert(agent_t *a, const finding_t *f, int64_t now_us)
{
        static const alert_level_t level_of[] = {
                [FINDING_LOW] = ALERT_REMINDER,
                [FINDING_MEDIUM] = ALERT_SUSPICIOUS,
                [FINDING_HIGH] = ALERT_URGENT,
        };
        alert_level_t level = f->level >= FINDING_LOW && f->level <= FINDING_HIGH
                                      ? level_of[f->level]
                                      : ALERT_SUSPICIOUS;
        alert_t *al = alert_new(ALERT_DATA_LEAK, f->check, f->object, level, now_us);
        const char *key;
        json_t *v;

        if (!al)
                return;
        if (alert_set_title(al, "New secret found: %s", f->title ? f->title : f->check) < 0 ||
            (f->remediation && alert_set_remediation(al, "%s", f->remediation) < 0) ||
            alert_add_evidence_str(al, "finding_id", f->id) < 0) {
                alert_free(al);
                return;
        }
        json_object_foreach (f->evidence, key, v) {
                if (json_is_string(v))
                        (void)alert_add_evidence_str(al, key, json_string_value(v));
                else if (json_is_integer(v))
                        (void)alert_add_evidence_int(al, key, (long long)json_integer_value(v));
        }
        (void)on_alert(al, a);
}

static void scan_done(uv_work_t *req, int status)
{
        scan_job_t *j = req->data;
        agent_t *a = j->agent;
        astore_scan_result_t res = { 0 };
        int r;

        a->job = NULL;
        if (j->abandoned) {
                say(a, AGENT_LOG_INFO, "scan %s stopped", j->key);
                scan_job_free(j);
                return;
        }
        if (status < 0 || !j->report) {
                say(a, AGENT_LOG_WARN, "scan %s did not run", j->key);
                scan_job_free(j);
                arm_scan_timer(a);
                return;
        }
        /* Which secrets are new, asked before the results replace what the
         * store knew. The first secret scan on a host only learns: what it
         * finds was there before the agent, and is reported as findings. */
        _cleanup_free_ bool *fresh =
                secret_scanned_before(a) ? calloc(j->report->n_findings + 1, sizeof(*fresh)) : NULL;
        for (size_t i = 0; fresh && i < j->report->n_findings; i++)
                fresh[i] = j->report->findings[i]->category == CAT_SECRET &&
                           secret_is_new(a, j->report->findings[i]);
        astore_scan_t sc = {
                .schedule = j->key,
                .scanners = &j->only,
                .completed = &j->completed,
                .started_us = j->started_us,
                .finished_us = j->finished_us,
        };
        r = astore_put_scan(a->store, &sc, j->report, &res);
        if (r < 0)
                say(a, AGENT_LOG_ERROR, "cannot store the scan results: %s", strerror(-r));
        else {
                json_t *o;
                say(a, AGENT_LOG_INFO,
                    "scan %s done in %.1f s: %zu findings (%zu new, %zu fixed), %zu alerts", j->key,
                    (double)(j->finished_us - j->started_us) / 1e6, res.findings, res.new_open,
                    res.fixed, res.alerts);
                o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "kind", "scan", "id",
                              (json_int_t)res.id, "schedule", j->key, "findings",
                              (json_int_t)res.findings, "new", (json_int_t)res.new_open, "fixed",
                              (json_int_t)res.fixed, "alerts", (json_int_t)res.alerts, "seconds",
                              (json_int_t)((j->finished_us - j->started_us) / 1000000));
                for (size_t i = 0; fresh && i < j->report->n_findings; i++)
                        if (fresh[i])
                                raise_secret_alert(a, j->report->findings[i], j->finished_us);
                (void)commit(a);
                if (o && a->out)
                        (void)output_note(a->out, o);
                json_decref(o);
                if (a->out)
                        (void)output_pump(a->out, NULL);
                if (a->ship) {
                        _cleanup_free_ char *sid = str_printf("s%lld-%lld", (long long)res.id,
                                                              (long long)j->started_us);
                        r = sid ? ship_put_scan(a->ship, sid, j->report, &j->completed,
                                                j->started_us, j->finished_us)
                                : -ENOMEM;
                        if (r < 0)
                                say(a, AGENT_LOG_WARN, "cannot spool the scan for the center: %s",
                                    strerror(-r));
                }
        }
        for (size_t i = 0; i < j->report->n_notes; i++)
                if (j->report->notes[i].kind == REPORT_NOTE_ERROR)
                        say(a, AGENT_LOG_WARN, "scan %s: %s: %s", j->key,
                            j->report->notes[i].source ? j->report->notes[i].source : "",
                            j->report->notes[i].message);
        scan_job_free(j);
        /* A scan may leave a lot of freed memory behind; give it back. */
        malloc_trim(0);
        arm_scan_timer(a);
}

/* PATH made absolute when it can be, so the child finds the same file
 * whatever its working directory; else a copy. Caller frees. */
static char *absolute_path(const char *path)
{
        char *p = path[0] == '/' ? NULL : realpath(path, NULL);

        return p ? p : strdup(path);
}

static int start_scan(agent_t *a, const schedule_entry_t *e)
{
        scan_job_t *j = calloc(1, sizeof(*j));
        int r;

        if (!j)
                return -ENOMEM;
        j->agent = a;
        j->req.data = j;
        scanproc_child_init(&j->child);
        j->key = strdup(e->key);
        j->state_dir = absolute_path(a->state_dir);
        j->host = strdup(a->host);
        j->exe = a->scan_exe ? strdup(a->scan_exe) : NULL;
        /* The child reads the file the running configuration came from;
         * without one it finds none either (the default path is missing). */
        j->config_path = a->config->path ? absolute_path(a->config->path) : NULL;
        j->nice = a->ac.scan_nice;
        for (size_t i = 0; i < e->only.n; i++)
                if (strv_push(&j->only, e->only.v[i]) < 0) {
                        scan_job_free(j);
                        return -ENOMEM;
                }
        if (!j->key || !j->state_dir || !j->host || (a->scan_exe && !j->exe) ||
            (a->config->path && !j->config_path)) {
                scan_job_free(j);
                return -ENOMEM;
        }
        if ((r = uv_queue_work(&a->loop, &j->req, scan_work, scan_done)) < 0) {
                scan_job_free(j);
                return -EIO;
        }
        a->job = j;
        say(a, AGENT_LOG_INFO, "scan %s started", e->key);
        return 0;
}

static void on_scan_timer(uv_timer_t *h)
{
        agent_t *a = h->data;
        int64_t now = timeutil_now_us() / 1000000;

        if (a->job || a->stopping)
                return;
        for (size_t i = 0; i < a->ac.scans.n; i++) {
                const schedule_entry_t *e = &a->ac.scans.v[i];
                int64_t last = 0;
                if (astore_last_scan(a->store, e->key, &last) == 0)
                        last /= 1000000;
                if (schedule_next_due(e, last, now) <= now) {
                        if (start_scan(a, e) < 0)
                                say(a, AGENT_LOG_WARN, "cannot start scan %s", e->key);
                        return;
                }
        }
        arm_scan_timer(a);
}

static void arm_scan_timer(agent_t *a)
{
        int64_t now = timeutil_now_us() / 1000000, next = INT64_MAX;

        if (!a->handles_ready || a->stopping || a->job || a->ac.scans.n == 0)
                return;
        for (size_t i = 0; i < a->ac.scans.n; i++) {
                const schedule_entry_t *e = &a->ac.scans.v[i];
                int64_t last = 0;
                if (astore_last_scan(a->store, e->key, &last) == 0)
                        last /= 1000000;
                next = MIN(next, schedule_next_due(e, last, now));
        }
        /* Look again at least hourly: the clock or the zone may change. */
        next = MAX(0, MIN(next - now, 3600));
        uv_timer_start(&a->scan_timer, on_scan_timer, (uint64_t)next * 1000, 0);
}

/* ------------------------------------------------------------------ */
/* Timers, signals                                                     */

static void on_tick(uv_timer_t *h)
{
        agent_t *a = h->data;
        int64_t now = timeutil_now_us();
        int r;

        if (a->login && (r = login_detectors_tick(a->login, now)) < 0)
                say(a, AGENT_LOG_WARN, "login detectors: %s", strerror(-r));
        if (a->net && (r = netattack_on_tick(a->net, now)) < 0 && r != -EIO)
                say(a, AGENT_LOG_DEBUG, "network detectors: %s", strerror(-r));
        for (size_t i = 0; i < a->n_src; i++)
                if (a->src[i]->kind == SRC_JOURNAL && a->src[i]->journal)
                        (void)jsource_process(a->src[i]->journal);
        (void)commit(a);
        fim_notes(a);
}

static void on_upkeep(uv_timer_t *h)
{
        agent_t *a = h->data;
        int64_t deleted = 0;
        int r;

        r = astore_prune(a->store, timeutil_now_us() - a->ac.retention_s * 1000000,
                         a->ac.max_alerts, &deleted);
        /* Commands the center has acknowledged are remembered as long as
         * alerts are, so a late second delivery is still recognised. */
        if (r == 0)
                r = spool_cmd_prune(a->store, timeutil_now_us() - a->ac.retention_s * 1000000);
        if (r < 0)
                say(a, AGENT_LOG_WARN, "store upkeep: %s", strerror(-r));
        else if (deleted)
                say(a, AGENT_LOG_INFO, "store upkeep: %lld old alerts deleted", (long long)deleted);
}

static void on_retry(uv_timer_t *h)
{
        agent_t *a = h->data;

        if (commit(a) == 0)
                read_all(a);
        update_drain(a);
}

static void on_wake(uv_async_t *h)
{
        agent_t *a = h->data;
        pending_t *q;
        size_t n;

        pthread_mutex_lock(&a->xlock);
        q = a->xq;
        n = a->n_xq;
        a->xq = NULL;
        a->n_xq = a->cap_xq = 0;
        pthread_mutex_unlock(&a->xlock);
        for (size_t i = 0; i < n; i++) {
                respond(a, q[i].alert);
                if (pending_push(&a->pend, &a->n_pend, &a->cap_pend, q[i].alert, q[i].source) < 0)
                        alert_free(q[i].alert);
                free(q[i].source);
        }
        free(q);
        (void)commit(a);
}

static void on_signal(uv_signal_t *h, int signum)
{
        agent_t *a = h->data;

        if (signum == SIGHUP) {
                if (!a->config_path) {
                        say(a, AGENT_LOG_WARN, "SIGHUP: no configuration file to reload");
                        return;
                }
                say(a, AGENT_LOG_INFO, "SIGHUP: reloading %s", a->config_path);
                a->reload = true;
        } else
                say(a, AGENT_LOG_INFO, "%s: stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
        a->stopping = true;
        uv_stop(&a->loop);
}

/* ------------------------------------------------------------------ */
/* Commands from the center                                            */

static ship_cmd_status_t cmd_result(json_t **ret, ship_cmd_status_t st, const char *key,
                                    const char *fmt, ...) _printf_(4, 5);
static ship_cmd_status_t cmd_result(json_t **ret, ship_cmd_status_t st, const char *key,
                                    const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        *ret = json_pack("{s:s}", key, msg);
        return st;
}

#define REFUSE(ret, ...) cmd_result(ret, SHIP_CMD_REFUSED, "reason", __VA_ARGS__)
#define FAIL(ret, ...)   cmd_result(ret, SHIP_CMD_FAILED, "error", __VA_ARGS__)

static ship_cmd_status_t cmd_scan(agent_t *a, const strv_t *only, json_t **ret)
{
        char key[] = "center:scan_now";
        schedule_entry_t e = { .key = key, .every = 1 };
        json_t *names;
        int r;

        if (a->job)
                return FAIL(ret, "a scan is already running; send the command again later");
        if (a->stopping)
                return FAIL(ret, "the agent is stopping");
        e.only = *only;
        r = start_scan(a, &e);
        if (r < 0)
                return FAIL(ret, "the scan could not start: %s", strerror(-r));
        names = json_array();
        for (size_t i = 0; names && i < only->n; i++)
                json_array_append_new(names, json_string(only->v[i]));
        *ret = json_pack("{s:b, s:o}", "started", 1, "scanners", names ? names : json_array());
        return SHIP_CMD_DONE;
}

static ship_cmd_status_t cmd_scan_now(agent_t *a, json_t *args, json_t **ret)
{
        json_t *cats = json_object_get(args, "categories"), *c;
        _cleanup_(strv_clear) strv_t only = { 0 };
        size_t i, n;

        if (!a->ac.cmd_scan_now)
                return REFUSE(ret, "agent.commands.scan_now is off on this host");
        if (json_array_size(cats) > 0) {
                json_array_foreach (cats, i, c) {
                        const char *name = json_string_value(c);
                        if (!name || !scannames_known(name))
                                return FAIL(ret, "categories[%zu]: not a scanner", i);
                        if (!strv_contains(&only, name) && strv_push(&only, name) < 0)
                                return FAIL(ret, "out of memory");
                }
        } else {
                const char *const *all = scannames_all(&n);
                for (i = 0; i < n; i++)
                        if (strv_push(&only, all[i]) < 0)
                                return FAIL(ret, "out of memory");
        }
        return cmd_scan(a, &only, ret);
}

/* Verify a finding: scan its category again. */
static ship_cmd_status_t cmd_verify(agent_t *a, json_t *args, json_t **ret)
{
        const char *fid = json_string_value(json_object_get(args, "finding_id"));
        _cleanup_(strv_clear) strv_t only = { 0 };
        sqlite3_stmt *st = NULL;
        int r = -ENOENT;

        if (!a->ac.cmd_scan_now)
                return REFUSE(ret, "agent.commands.scan_now is off on this host");
        if (!fid)
                return FAIL(ret, "finding_id is missing");
        if (sqlite3_prepare_v2(astore_db(a->store), "SELECT category FROM findings WHERE id = ?",
                               -1, &st, NULL) != SQLITE_OK)
                return FAIL(ret, "the store cannot be read");
        sqlite3_bind_text(st, 1, fid, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                r = strv_push(&only, (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (r == -ENOENT)
                return FAIL(ret, "no finding with this id on this host");
        if (r < 0 || !scannames_known(only.v[0]))
                return FAIL(ret, "the finding's category cannot be scanned");
        return cmd_scan(a, &only, ret);
}

static ship_cmd_status_t cmd_update_rules(agent_t *a, json_t **ret)
{
        if (!a->ac.cmd_update_rules)
                return REFUSE(ret, "agent.commands.update_rules is off on this host");
        if (!a->config_path)
                return FAIL(ret, "the agent runs without a configuration file to reload");
        say(a, AGENT_LOG_INFO, "center: reloading the configuration and rules");
        a->reload = true;
        a->stopping = true;
        uv_stop(&a->loop);
        *ret = json_pack("{s:b}", "reloading", 1);
        return SHIP_CMD_DONE;
}

static ship_cmd_status_t cmd_block_ip(agent_t *a, int64_t id, json_t *args, json_t **ret)
{
        const char *ip = json_string_value(json_object_get(args, "ip"));
        const char *dur = json_string_value(json_object_get(args, "duration"));
        _cleanup_free_ char *cmd = NULL, *reason = NULL;
        char addr[IPADDR_STR_MAX];
        const char *why = NULL, *res;
        int64_t secs = 0;
        ipaddr_t ipa;
        int r;

        if (!a->ac.cmd_block_ip)
                return REFUSE(ret, "agent.commands.block_ip is off on this host");
        if (!a->blocker || !block_enabled(a->blocker))
                return REFUSE(ret, "response.block.enabled is off on this host");
        if (!ip || ipaddr_parse(ip, &ipa) < 0)
                return FAIL(ret, "not an IP address");
        if (dur && schedule_parse_every(dur, &secs) < 0)
                return FAIL(ret, "duration: not a duration like 24h");
        if (secs > (int64_t)UINT32_MAX)
                secs = UINT32_MAX;
        ipaddr_format(&ipa, addr);
        r = block_check(a->blocker, &ipa, &why);
        if (r == -EPERM)
                return REFUSE(ret, "%s is never blocked here: %s", addr, why ? why : "protected");
        reason = str_printf("center command %lld", (long long)id);
        r = block_ip(a->blocker, &ipa, (unsigned)secs, reason ? reason : "center", &cmd);
        if (r == -ERANGE)
                return FAIL(ret, "the duration is longer than response.block.max_duration");
        if (r < 0)
                return FAIL(ret, "blocking %s failed: %s", addr, strerror(-r));
        res = block_dry_run(a->blocker) ? "dry-run" : cmd ? "blocked" : "already blocked";
        (void)astore_put_response(a->store, NULL, "block", addr, cmd, res);
        say(a, AGENT_LOG_INFO, "center: %s %s", res, addr);
        *ret = json_pack("{s:s, s:s, s:s?, s:I}", "ip", addr, "result", res, "command", cmd,
                         "seconds", (json_int_t)secs);
        return SHIP_CMD_DONE;
}

static ship_cmd_status_t cmd_quarantine(agent_t *a, int64_t id, json_t *args, json_t **ret)
{
        const char *path = json_string_value(json_object_get(args, "path"));
        _cleanup_quarantine_ quarantine_t *q = NULL;
        _cleanup_quarantine_entry_ quarantine_entry_t *e = NULL;
        _cleanup_free_ char *reason = NULL;
        int r;

        if (!a->ac.cmd_quarantine)
                return REFUSE(ret, "agent.commands.quarantine is off on this host");
        if (!path || path[0] != '/')
                return FAIL(ret, "path must be absolute");
        r = quarantine_open(a->state_dir, true, NULL, NULL, &q);
        if (r < 0)
                return FAIL(ret, "the quarantine vault cannot be opened: %s", strerror(-r));
        reason = str_printf("center command %lld", (long long)id);
        r = quarantine_add(q, path, reason, QUARANTINE_STOP_NONE, &e);
        if (r < 0)
                return FAIL(ret, "%s",
                            r == -EINVAL  ? "not a regular file"
                            : r == -ELOOP ? "a symbolic link"
                                          : strerror(-r));
        (void)astore_put_response(a->store, NULL, "quarantine", path, NULL, "quarantined");
        say(a, AGENT_LOG_INFO, "center: quarantined a file as %s", e->id);
        *ret = json_pack("{s:s, s:s, s:s, s:I}", "path", path, "quarantine_id", e->id, "sha256",
                         e->sha256, "size", (json_int_t)e->size);
        return SHIP_CMD_DONE;
}

static ship_cmd_status_t cmd_kill(agent_t *a, json_t *args, json_t **ret)
{
        json_t *pidj = json_object_get(args, "pid"), *stj = json_object_get(args, "start_time");
        _cleanup_close_ int pfd = -1;
        pslist_opts_t po = { 0 };
        psconf_t pc = { 0 };
        ps_entry_t e;
        response_outcome_t o;
        ship_cmd_status_t st;
        int err = 0, r;

        if (!a->ac.cmd_kill)
                return REFUSE(ret, "agent.commands.kill is off on this host");
        if (!json_is_integer(pidj) || json_integer_value(pidj) <= 1 ||
            json_integer_value(pidj) > 4194304)
                return FAIL(ret, "pid must be a process id above 1");
        pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return FAIL(ret, "/proc cannot be opened");
        r = pslist_read_pid(pfd, (pid_t)json_integer_value(pidj), &po, &e);
        if (r == -ESRCH)
                return FAIL(ret, "no such process");
        if (r < 0)
                return FAIL(ret, "%s", strerror(-r));
        if (json_is_integer(stj) && (unsigned long long)json_integer_value(stj) != e.start_time) {
                ps_entry_done(&e);
                return FAIL(ret, "gone: the pid belongs to another process now");
        }
        if (psconf_load(a->config, NULL, &pc) < 0) {
                ps_entry_done(&e);
                return FAIL(ret, "out of memory");
        }
        response_target_t t = { .pid = e.pid,
                                .start_time = e.start_time,
                                .kthread = e.kthread,
                                .exe = e.exe,
                                .comm = e.comm };
        o = response_kill(pfd, &t, &pc.kill_allowlist, &err);
        st = o == RESPONSE_KILLED                                   ? SHIP_CMD_DONE
             : o == RESPONSE_ALLOWLISTED || o == RESPONSE_PROTECTED ? SHIP_CMD_REFUSED
                                                                    : SHIP_CMD_FAILED;
        *ret = json_pack("{s:I, s:s, s:s?, s:s}", "pid", (json_int_t)e.pid, "outcome",
                         response_outcome_name(o), "exe", e.exe, "comm", e.comm);
        if (*ret && st == SHIP_CMD_REFUSED)
                jsonx_set_str(*ret, "reason",
                              o == RESPONSE_ALLOWLISTED ? "on process.response.allowlist"
                                                        : "a protected process");
        if (*ret && o == RESPONSE_FAILED)
                jsonx_set_str(*ret, "error", strerror(err));
        if (o == RESPONSE_KILLED) {
                char target[32];
                snprintf(target, sizeof(target), "%d", (int)e.pid);
                (void)astore_put_response(a->store, NULL, "kill", target, NULL, "killed");
                say(a, AGENT_LOG_INFO, "center: killed process %d", (int)e.pid);
        }
        ps_entry_done(&e);
        psconf_done(&pc);
        return st;
}

/* The shipper's command callback. */
static ship_cmd_status_t on_command(void *userdata, int64_t id, const char *kind, json_t *args,
                                    json_t **ret)
{
        agent_t *a = userdata;

        if (strcmp(kind, "scan_now") == 0)
                return cmd_scan_now(a, args, ret);
        if (strcmp(kind, "verify") == 0)
                return cmd_verify(a, args, ret);
        if (strcmp(kind, "update_rules") == 0)
                return cmd_update_rules(a, ret);
        if (strcmp(kind, "block_ip") == 0)
                return cmd_block_ip(a, id, args, ret);
        if (strcmp(kind, "quarantine") == 0)
                return cmd_quarantine(a, id, args, ret);
        if (strcmp(kind, "kill") == 0)
                return cmd_kill(a, args, ret);
        return REFUSE(ret, "unknown command");
}

/* Report to the center when enrolled (STATE/center.json) and not turned
 * off. A damaged credential is reported; the agent runs on without it. */
static int start_center(agent_t *a)
{
        _cleanup_free_ char *err = NULL;
        cclient_cred_t cred = { 0 };
        cclient_identity_t id;
        shipper_t sh;
        int r;

        if (!a->ac.center)
                return 0;
        r = cclient_cred_load(a->state_dir, &cred, &err);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                say(a, AGENT_LOG_ERROR, "center: %s; not reporting to a center",
                    err ? err : strerror(-r));
                return 0;
        }
        cclient_identity(NULL, &id);
        snprintf(id.hostname, sizeof(id.hostname), "%.253s", a->host);
        ship_opts_t so = {
                .loop = a->handles_ready ? &a->loop : NULL,
                .store = a->store,
                .cred = &cred,
                .ca_file = a->ac.center_ca,
                .identity = &id,
                .batch_items = a->ac.batch_items,
                .batch_bytes = a->ac.batch_bytes,
                .spool_max = a->ac.spool_max,
                .heartbeat_ms = a->ac.heartbeat_ms,
                .commands_ms = a->ac.commands_ms,
                .retry_max_ms = a->ac.retry_max_ms,
                .timeout_ms = a->ac.timeout_ms,
                .log = a->o.log,
                .log_userdata = a->o.log_userdata,
                .command = on_command,
                .command_userdata = a,
        };
        r = ship_new(&so, &a->ship);
        if (r == 0) {
                ship_consumer(a->ship, &sh);
                r = output_add(a->out, &sh);
                if (r < 0) {
                        ship_free(a->ship);
                        a->ship = NULL;
                }
        }
        if (r < 0)
                say(a, AGENT_LOG_ERROR, "center: cannot start reporting: %s", strerror(-r));
        else
                say(a, AGENT_LOG_INFO, "center: reporting to %s as agent %lld%s", cred.url,
                    (long long)cred.agent_id, so.loop ? "" : " (spooling only)");
        cclient_cred_clear(&cred);
        return r;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static int init_handles(agent_t *a)
{
        int r;

        if (a->handles_ready)
                return 0;
        if ((r = uv_loop_init(&a->loop)) < 0)
                return -EIO;
        a->loop_ready = true;
        a->loop.data = a;
        uv_timer_init(&a->loop, &a->tick);
        uv_timer_init(&a->loop, &a->poll);
        uv_timer_init(&a->loop, &a->upkeep);
        uv_timer_init(&a->loop, &a->scan_timer);
        uv_timer_init(&a->loop, &a->retry);
        uv_timer_init(&a->loop, &a->fim_timer);
        uv_idle_init(&a->loop, &a->drain);
        uv_signal_init(&a->loop, &a->sig_term);
        uv_signal_init(&a->loop, &a->sig_int);
        uv_signal_init(&a->loop, &a->sig_hup);
        uv_async_init(&a->loop, &a->wake, on_wake);
        a->tick.data = a->poll.data = a->upkeep.data = a->scan_timer.data = a->retry.data = a;
        a->fim_timer.data = a->drain.data = a->sig_term.data = a->sig_int.data = a;
        a->sig_hup.data = a->wake.data = a;
        uv_signal_start(&a->sig_term, on_signal, SIGTERM);
        uv_signal_start(&a->sig_int, on_signal, SIGINT);
        uv_signal_start(&a->sig_hup, on_signal, SIGHUP);
        a->handles_ready = true;
        return 0;
}

static int start_detectors(agent_t *a)
{
        _cleanup_free_ char *err = NULL;
        login_detectors_opts_t lo = {
                .config = a->config,
                .state_dir = a->state_dir,
                .host = a->host,
                .on_alert = on_login_alert,
                .userdata = a,
        };
        int r;

        r = login_detectors_new(&lo, &a->login, &err);
        if (r < 0) {
                say(a, AGENT_LOG_ERROR, "login detectors: %s", err ? err : strerror(-r));
                return r;
        }
        if (a->o.once)
                return 0;
        free(err);
        err = NULL;
        r = block_new_from_config(a->config, &a->blocker, &err);
        if (r < 0) {
                say(a, AGENT_LOG_WARN, "response.block: %s; nothing is blocked",
                    err            ? err
                    : r == -ENOENT ? "nft is not installed"
                                   : strerror(-r));
                a->blocker = NULL;
        } else if (block_enabled(a->blocker))
                say(a, AGENT_LOG_INFO, "response: brute force sources are blocked%s",
                    block_dry_run(a->blocker) ? " (dry run)" : "");
        return 0;
}

/* Start everything the configuration asks for. */
static int start_all(agent_t *a)
{
        const char *out = a->output_path ? a->output_path : a->ac.output;
        int r;

        a->stopping = a->reload = false;
        a->out = output_new(a->store);
        if (!a->out)
                return -ENOMEM;
        if (out && (r = output_add_jsonl(a->out, out)) < 0) {
                say(a, AGENT_LOG_ERROR, "%s: %s", out, strerror(-r));
                return r;
        }
        if ((r = start_center(a)) < 0)
                return r;
        if ((r = start_detectors(a)) < 0 || (r = start_sources(a)) < 0)
                return r;
        if (a->o.once)
                return 0;
        if ((r = start_netattack(a)) < 0 || (r = start_fim(a)) < 0)
                return r;
        uv_timer_start(&a->tick, on_tick, TICK_MS, TICK_MS);
        uv_timer_start(&a->poll, on_poll_timer, 0, (uint64_t)MAX(a->ac.poll_us / 1000, 100));
        uv_timer_start(&a->upkeep, on_upkeep, 60 * 1000, UPKEEP_MS);
        arm_scan_timer(a);
        return 0;
}

/* Stop everything and store what is left: the detectors' final alerts,
 * the positions, the login state. */
static void stop_all(agent_t *a)
{
        int64_t now = timeutil_now_us();

        a->stopping = true;
        if (a->handles_ready) {
                uv_timer_stop(&a->tick);
                uv_timer_stop(&a->poll);
                uv_timer_stop(&a->upkeep);
                uv_timer_stop(&a->scan_timer);
                uv_timer_stop(&a->retry);
                uv_timer_stop(&a->fim_timer);
                if (a->drain_on)
                        uv_idle_stop(&a->drain);
                a->drain_on = false;
        }
        if (a->job && !a->reload) {
                /* Stopping for good: the scan's child goes now; agent_free
                 * waits for the worker thread to reap it. A reload lets it
                 * run on. */
                a->job->abandoned = true;
                scanproc_stop(&a->job->child);
        }
        stop_sources(a);
        stop_fim(a);
        if (a->net_poll_on) {
                close_handle(a, (uv_handle_t *)&a->net_poll);
                a->net_poll_on = false;
        }
        if (a->net)
                (void)netattack_flush(a->net, now);
        if (a->login) {
                /* tick, not flush: held publickey failures stay held and
                 * are saved with the windows for the next start. */
                (void)login_detectors_tick(a->login, now);
        }
        (void)commit(a);
        if (a->login) {
                login_detectors_free(a->login);
                a->login = NULL;
        }
        netattack_free(a->net);
        a->net = NULL;
        if (a->netcfg_loaded)
                netattack_config_clear(&a->netcfg);
        a->netcfg_loaded = false;
        block_free(a->blocker);
        a->blocker = NULL;
        /* Let the closed handles finish before their memory goes. */
        while (a->pending_closes > 0 && a->loop_ready)
                uv_run(&a->loop, UV_RUN_NOWAIT);
        free_sources(a);
        free_fim(a);
        output_free(a->out);
        a->out = NULL;
        /* After the output: its last pump may have spooled. */
        ship_free(a->ship);
        a->ship = NULL;
}

static int run_once(agent_t *a)
{
        bool more;
        int r;

        do {
                more = false;
                for (size_t i = 0; i < a->n_src; i++) {
                        read_source(a->src[i]);
                        more = more || a->src[i]->more;
                }
                if (a->commit_failed)
                        return -EIO;
        } while (more);
        if ((r = login_detectors_flush(a->login)) < 0)
                say(a, AGENT_LOG_WARN, "login detectors: %s", strerror(-r));
        if ((r = commit(a)) < 0)
                return r;
        return 0;
}

/* Whether the detectors accept configuration C: a reload must not stop the
 * agent over a bad value. *RET_ERROR names it (caller frees). */
static int drop_alert(alert_t *al, void *userdata)
{
        (void)userdata;
        alert_free(al);
        return 0;
}

static int validate_config(agent_t *a, const config_t *c, char **ret_error)
{
        login_detectors_opts_t lo = { .config = c, .host = a->host, .on_alert = drop_alert };
        login_detectors_t *ld = NULL;
        netattack_config_t nc;
        block_config_t bc;
        fim_config_t fc;
        int r;

        if ((r = login_detectors_new(&lo, &ld, ret_error)) < 0)
                return r;
        login_detectors_free(ld);
        if ((r = netattack_config_load(c, &nc, ret_error)) < 0)
                return r;
        netattack_config_clear(&nc);
        if ((r = block_config_load(c, &bc, ret_error)) < 0)
                return r;
        block_config_clear(&bc);
        if ((r = fim_config_load(c, &fc, ret_error)) < 0)
                return r;
        fim_config_clear(&fc);
        return 0;
}

static int reload_config(agent_t *a)
{
        _cleanup_free_ char *err = NULL;
        config_t *c = NULL;
        agent_config_t ac;
        int r;

        r = config_load(a->config_path, a->o.config_must_exist, &c, &err);
        if (r < 0) {
                say(a, AGENT_LOG_ERROR, "reload: %s; keeping the running configuration",
                    err ? err : strerror(-r));
                return r;
        }
        r = agent_config_load(c, a->log_root, &ac, &err);
        if (r == 0 && (r = validate_config(a, c, &err)) < 0)
                agent_config_clear(&ac);
        if (r < 0) {
                say(a, AGENT_LOG_ERROR, "reload: %s; keeping the running configuration",
                    err ? err : strerror(-r));
                config_free(c);
                return r;
        }
        agent_config_clear(&a->ac);
        a->ac = ac;
        /* A running scan has its own copy of what it needs (scan_job_t). */
        config_free(a->config);
        a->config = c;
        return 0;
}

int agent_run(agent_t *a)
{
        int r;

        a->loop_thread = pthread_self();
        if (a->o.once) {
                r = start_all(a);
                if (r == 0)
                        r = run_once(a);
                stop_all(a);
                return r;
        }
        if ((r = init_handles(a)) < 0)
                return r;
        for (;;) {
                r = start_all(a);
                if (r < 0) {
                        stop_all(a);
                        return r;
                }
                /* The first look at every source (a log seen for the first
                 * time gets its start position now), then wait for events. */
                read_all(a);
                say(a, AGENT_LOG_INFO, "running: %zu source%s, %zu scheduled scan%s", a->n_src,
                    a->n_src == 1 ? "" : "s", a->ac.scans.n, a->ac.scans.n == 1 ? "" : "s");
                uv_run(&a->loop, UV_RUN_DEFAULT);
                stop_all(a);
                if (!a->reload)
                        break;
                (void)reload_config(a);
        }
        return 0;
}

int agent_new(const agent_opts_t *o, config_t *config, agent_t **ret, char **ret_error)
{
        agent_t *a = calloc(1, sizeof(*a));
        int r;

        *ret_error = NULL;
        if (!a) {
                config_free(config);
                return -ENOMEM;
        }
        pthread_mutex_init(&a->xlock, NULL);
        a->o = *o;
        a->config = config;
        a->loop_thread = pthread_self();
        a->sink = (alert_sink_t){ on_alert, a };
        a->state_dir = strdup(o->state_dir);
        a->config_path = o->config_path ? strdup(o->config_path) : NULL;
        a->output_path = o->output ? strdup(o->output) : NULL;
        a->log_root = o->log_root ? strdup(o->log_root) : NULL;
        if (!a->state_dir || (o->config_path && !a->config_path) ||
            (o->output && !a->output_path) || (o->log_root && !a->log_root)) {
                agent_free(a);
                return -ENOMEM;
        }
        a->o.config_path = a->o.output = a->o.state_dir = a->o.log_root = a->o.scan_exe = NULL;
        if (gethostname(a->host, sizeof(a->host) - 1) < 0 || !a->host[0])
                snprintf(a->host, sizeof(a->host), "localhost");
        if ((r = agent_config_load(config, a->log_root, &a->ac, ret_error)) < 0) {
                agent_free(a);
                return r;
        }
        /* A scan that cannot find vigil fails with this reason, recorded
         * in its report; the rest of the agent works without it. */
        if ((r = scanproc_find_exe(o->scan_exe, &a->scan_exe)) < 0) {
                a->scan_exe_error = strdup(strerror(-r));
                a->scan_exe = NULL;
        }
        /* curl's global state, once, before any worker thread. */
        if (cclient_global_init() < 0) {
                agent_free(a);
                return -EIO;
        }
        if ((r = astore_open(a->state_dir, true, &a->store, ret_error)) < 0) {
                agent_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static void walk_close(uv_handle_t *h, void *arg)
{
        (void)arg;
        if (!uv_is_closing(h))
                uv_close(h, NULL);
}

void agent_free(agent_t *a)
{
        bool busy;

        if (!a)
                return;
        if (a->job && a->loop_ready) {
                /* Stop the scan's child and let the worker thread reap it;
                 * scan_done then drops the job (bounded: the child gets
                 * SIGKILL SCANPROC_KILL_GRACE_MS after the SIGTERM). */
                a->job->abandoned = true;
                scanproc_stop(&a->job->child);
                while (a->job)
                        uv_run(&a->loop, UV_RUN_ONCE);
        }
        busy = a->job || a->fimjob;
        for (size_t i = 0; i < a->n_pend; i++) {
                alert_free(a->pend[i].alert);
                free(a->pend[i].source);
        }
        free(a->pend);
        for (size_t i = 0; i < a->n_xq; i++) {
                alert_free(a->xq[i].alert);
                free(a->xq[i].source);
        }
        free(a->xq);
        if (busy) {
                /* A worker thread still uses the configuration, the store
                 * directory and the agent itself: leave them to the
                 * process's exit. */
                return;
        }
        if (a->handles_ready) {
                uv_walk(&a->loop, walk_close, NULL);
        }
        if (a->loop_ready) {
                uv_run(&a->loop, UV_RUN_DEFAULT);
                (void)uv_loop_close(&a->loop);
        }
        astore_close(a->store);
        agent_config_clear(&a->ac);
        config_free(a->config);
        free(a->scan_exe);
        free(a->scan_exe_error);
        free(a->state_dir);
        free(a->config_path);
        free(a->output_path);
        free(a->log_root);
        pthread_mutex_destroy(&a->xlock);
        free(a);
}

int agent_status(const char *state_dir, json_t **ret, char **ret_error)
{
        _cleanup_astore_ astore_t *s = NULL;
        json_t *j;
        int r;

        *ret_error = NULL;
        r = astore_open(state_dir, false, &s, ret_error);
        if (r < 0)
                return r;
        j = astore_status(s);
        if (j) {
                _cleanup_free_ char *cerr = NULL;
                cclient_cred_t cred = { 0 };
                json_t *c = NULL;
                if (cclient_cred_load(state_dir, &cred, &cerr) == 0)
                        c = json_pack("{s:s, s:I}", "url", cred.url, "agent_id",
                                      (json_int_t)cred.agent_id);
                else
                        c = json_pack("{s:n, s:s?}", "url", "error", cerr);
                cclient_cred_clear(&cred);
                if (c)
                        json_object_set_new(c, "spool", ship_status(s));
                json_object_set_new(j, "center", c);
        }
        if (!j) {
                *ret_error = str_printf("%s/%s: %s", state_dir, ASTORE_FILE, astore_errmsg(s));
                return -EIO;
        }
        *ret = j;
        return 0;
}
