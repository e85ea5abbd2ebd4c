#include "agent/ship.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent/spool.h"
#include "core/finding.h"
#include "core/jsonx.h"
#include "core/timeutil.h"

#define BACKOFF_MIN_MS 1000
/* Repeated failures are logged at most this often. */
#define WARN_EVERY_US (60 * 1000000LL)
/* The center keeps at most this much of a command's result. */
#define RESULT_MAX (16 * 1024)

typedef enum job_kind {
        JOB_BATCH,
        JOB_PULL,
        JOB_ACK,
} job_kind_t;

/* One request on a worker thread. It owns copies of everything the
 * request reads, so the shipper may go away while it runs. */
typedef struct job {
        uv_work_t req;
        ship_t *owner; /* NULL once the shipper is gone */
        job_kind_t kind;
        char *base, *bearer, *ca, *path, *body;
        size_t len;
        bool gzip;
        long timeout_s;
        spool_batch_t batch; /* JOB_BATCH */
        bool heartbeat;      /* JOB_BATCH: one rides along */
        int64_t cmd_id;      /* JOB_ACK */
        int r;
        cclient_resp_t resp;
} job_t;

struct ship {
        uv_loop_t *loop;
        astore_t *store;
        cclient_cred_t cred;
        char *ca;
        char *bearer; /* "ID.SECRET" */
        cclient_identity_t id;
        size_t batch_items, batch_bytes;
        uint64_t spool_max;
        int64_t heartbeat_us, commands_us, retry_max_us, timeout_us;
        agent_log_fn log;
        void *log_userdata;
        ship_command_fn command;
        void *command_userdata;

        uv_timer_t timer;
        bool timer_ready;
        job_t *job;
        bool closing;

        /* Spooling. */
        bool in_tx, tx_failed;
        bool cap_warned;

        /* Sending; times are monotonic microseconds. */
        size_t cur_items; /* halved while the center refuses batches */
        int64_t next_pull, next_heartbeat, backoff_until;
        unsigned failures;
        int64_t last_warn;
};

static void say(ship_t *s, agent_log_level_t level, const char *fmt, ...) _printf_(3, 4);
static void say(ship_t *s, agent_log_level_t level, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        if (!s->log)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        s->log(level, msg, s->log_userdata);
}

/* The center's error message of an answer, made printable, or "". */
static void answer_message(const cclient_resp_t *resp, char *out, size_t n)
{
        json_t *j = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
        const char *m = json_string_value(json_object_get(j, "message"));

        snprintf(out, n, "%s", m ? m : "");
        for (char *p = out; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
                        *p = '?';
        json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Spooling                                                            */

static int sp_deliver(void *userdata, int64_t seq, const char *json, size_t len)
{
        ship_t *s = userdata;
        int r;

        (void)seq;
        if (!s->in_tx) {
                if ((r = astore_begin(s->store)) < 0)
                        return r;
                s->in_tx = true;
                s->tx_failed = false;
        }
        r = spool_put_alert(s->store, json, len);
        if (r == -EINVAL || r == -E2BIG) {
                /* A stored alert the center could never take: skip it. */
                say(s, AGENT_LOG_WARN, "center: alert %lld not spooled: %s", (long long)seq,
                    r == -E2BIG ? "too large" : "not an alert object");
                return 0;
        }
        if (r < 0) {
                astore_rollback(s->store);
                s->in_tx = false;
                s->tx_failed = true;
                return r;
        }
        return 0;
}

static void cap_warn(ship_t *s, uint64_t dropped)
{
        spool_stats_t st;

        if (dropped > 0 && !s->cap_warned) {
                say(s, AGENT_LOG_WARN,
                    "center: the spool is over its cap (agent.center.spool_max, %llu bytes): "
                    "%llu of the oldest lowest-level items dropped; drops are counted in "
                    "heartbeats (spool_dropped) and this is said once",
                    (unsigned long long)s->spool_max, (unsigned long long)dropped);
                s->cap_warned = true;
        } else if (s->cap_warned && spool_stats(s->store, &st) == 0 &&
                   st.bytes < s->spool_max / 2) {
                s->cap_warned = false;
        }
}

static int sp_flush(void *userdata)
{
        ship_t *s = userdata;
        uint64_t dropped = 0;
        int r;

        if (s->tx_failed) {
                s->tx_failed = false;
                return -EIO;
        }
        if (!s->in_tx)
                return 0;
        r = spool_enforce_cap(s->store, s->spool_max, &dropped);
        if (r == 0)
                r = astore_commit(s->store);
        else
                astore_rollback(s->store);
        s->in_tx = false;
        if (r < 0)
                return r;
        cap_warn(s, dropped);
        ship_kick(s);
        return 0;
}

void ship_consumer(ship_t *s, shipper_t *ret)
{
        *ret = (shipper_t){
                .name = "center",
                .persistent = true,
                .deliver = sp_deliver,
                .flush = sp_flush,
                .userdata = s,
        };
}

static int finding_prio(finding_level_t l)
{
        return l == FINDING_HIGH     ? SPOOL_PRIO_HIGH
               : l == FINDING_MEDIUM ? SPOOL_PRIO_MEDIUM
                                     : SPOOL_PRIO_LOW;
}

int ship_put_scan(ship_t *s, const char *scan_id, const report_t *rep, const strv_t *completed,
                  int64_t started_us, int64_t finished_us)
{
        char started[TIMEUTIL_ISO_LEN], finished[TIMEUTIL_ISO_LEN];
        uint64_t dropped = 0;
        json_t *cats;
        int r;

        timeutil_format_iso(started_us, started, sizeof(started));
        timeutil_format_iso(finished_us, finished, sizeof(finished));
        if ((r = astore_begin(s->store)) < 0)
                return r;
        for (size_t i = 0; i < rep->n_findings; i++) {
                const finding_t *f = rep->findings[i];
                json_t *o = finding_to_json(f);
                _cleanup_free_ char *text = NULL;
                if (!o || json_object_set_new(o, "kind", json_string("finding")) < 0 ||
                    jsonx_set_str(o, "scan_id", scan_id) < 0 ||
                    jsonx_set_str(o, "time", finished) < 0 ||
                    !(text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
                        json_decref(o);
                        r = -ENOMEM;
                        goto fail;
                }
                json_decref(o);
                r = spool_put(s->store, "finding", f->id, finding_prio(f->level), text,
                              strlen(text));
                if (r == -E2BIG || r == -EINVAL)
                        continue; /* the center could never take it */
                if (r < 0)
                        goto fail;
        }
        cats = json_array();
        for (size_t i = 0; cats && completed && i < completed->n; i++) {
                finding_category_t fc;
                if (finding_category_from_name(completed->v[i], &fc) == 0)
                        json_array_append_new(cats, json_string(completed->v[i]));
        }
        {
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I}", "kind", "scan_result", "id",
                                      scan_id, "started", started, "finished", finished,
                                      "categories", cats ? cats : json_array(), "findings",
                                      (json_int_t)rep->n_findings);
                _cleanup_free_ char *text =
                        o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
                json_decref(o);
                if (!text) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = spool_put(s->store, "scan_result", scan_id, SPOOL_PRIO_EXPENDABLE, text,
                              strlen(text));
                if (r < 0)
                        goto fail;
        }
        if ((r = spool_enforce_cap(s->store, s->spool_max, &dropped)) < 0 ||
            (r = astore_commit(s->store)) < 0)
                goto fail;
        cap_warn(s, dropped);
        ship_kick(s);
        return 0;
fail:
        astore_rollback(s->store);
        return r;
}

json_t *ship_status(astore_t *store)
{
        spool_stats_t st;
        sqlite3_stmt *q = NULL;
        int64_t unacked = 0;

        if (spool_stats(store, &st) < 0)
                return NULL;
        if (sqlite3_prepare_v2(astore_db(store),
                               "SELECT COUNT(*) FROM center_commands WHERE acked = 0", -1, &q,
                               NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
                unacked = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "items", (json_int_t)st.items,
                         "bytes", (json_int_t)st.bytes, "shipped", (json_int_t)st.shipped,
                         "dropped", (json_int_t)st.dropped, "rejected", (json_int_t)st.rejected,
                         "batches", (json_int_t)st.batches, "commands_unacked",
                         (json_int_t)unacked);
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

static void step(ship_t *s);

static void on_timer(uv_timer_t *h)
{
        step(h->data);
}

static void arm(ship_t *s, int64_t delay_us)
{
        if (!s->timer_ready || s->closing)
                return;
        if (delay_us < 0)
                delay_us = 0;
        uv_timer_start(&s->timer, on_timer, (uint64_t)((delay_us + 999) / 1000), 0);
}

void ship_kick(ship_t *s)
{
        if (!s || !s->loop || s->closing || s->job)
                return;
        arm(s, 0);
}

static void job_free(job_t *j)
{
        if (!j)
                return;
        free(j->base);
        if (j->bearer) {
                explicit_bzero(j->bearer, strlen(j->bearer));
                free(j->bearer);
        }
        free(j->ca);
        free(j->path);
        free(j->body);
        spool_batch_clear(&j->batch);
        cclient_resp_clear(&j->resp);
        free(j);
}

static void job_work(uv_work_t *req)
{
        job_t *j = req->data;
        cclient_req_t rq = {
                .base = j->base,
                .path = j->path,
                .method = j->body ? "POST" : "GET",
                .bearer = j->bearer,
                .ca_file = j->ca,
                .body = j->body,
                .len = j->len,
                .gzip = j->gzip,
                .timeout_s = j->timeout_s,
        };

        j->r = cclient_request(&rq, &j->resp);
}

static void job_done(uv_work_t *req, int status);

static job_t *job_new(ship_t *s, job_kind_t kind, const char *path)
{
        job_t *j = calloc(1, sizeof(*j));

        if (!j)
                return NULL;
        j->owner = s;
        j->kind = kind;
        j->req.data = j;
        j->timeout_s = (long)MAX(1, s->timeout_us / 1000000);
        j->base = strdup(s->cred.url);
        j->bearer = strdup(s->bearer);
        j->ca = s->ca ? strdup(s->ca) : NULL;
        j->path = strdup(path);
        if (!j->base || !j->bearer || (s->ca && !j->ca) || !j->path) {
                job_free(j);
                return NULL;
        }
        return j;
}

static int job_start(ship_t *s, job_t *j)
{
        if (uv_queue_work(s->loop, &j->req, job_work, job_done) < 0) {
                job_free(j);
                return -EIO;
        }
        s->job = j;
        return 0;
}

static void backoff(ship_t *s, const job_t *j, const char *what)
{
        int64_t now = timeutil_mono_us(), delay;
        char msg[256] = "";
        uint32_t rnd = 0;
        spool_stats_t st = { 0 };
        bool denied = j->r == 0 && (j->resp.status == 401 || j->resp.status == 403);

        s->failures++;
        delay = (int64_t)BACKOFF_MIN_MS * 1000 << MIN(s->failures - 1, 20u);
        if (delay > s->retry_max_us || delay <= 0)
                delay = s->retry_max_us;
        /* Jitter: 75% to 125%, so a fleet that lost its center does not
         * come back in step. */
        (void)getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
        delay = delay * 3 / 4 + (int64_t)(rnd % (uint32_t)MAX(delay / 2, 1));
        if (denied)
                delay = s->retry_max_us;
        if (j->r == 0 && j->resp.retry_after_s > 0)
                delay = MAX(delay, (int64_t)j->resp.retry_after_s * 1000000);
        s->backoff_until = now + delay;
        if (s->failures > 1 && now - s->last_warn < WARN_EVERY_US)
                return;
        s->last_warn = now;
        (void)spool_stats(s->store, &st);
        if (j->r < 0)
                snprintf(msg, sizeof(msg), "%s",
                         j->resp.error[0] ? j->resp.error : strerror(-j->r));
        else {
                char m[160];
                answer_message(&j->resp, m, sizeof(m));
                snprintf(msg, sizeof(msg), "HTTP %ld%s%s", j->resp.status, m[0] ? ": " : "", m);
        }
        if (denied)
                say(s, AGENT_LOG_ERROR,
                    "center: %s refused: the center does not accept this agent's credential "
                    "(%s); enroll again if it was revoked; %llu items wait in the spool",
                    what, msg, (unsigned long long)st.items);
        else
                say(s, AGENT_LOG_WARN,
                    "center: %s failed (%s); retrying in %.0f s; %llu items wait in the spool",
                    what, msg, (double)delay / 1e6, (unsigned long long)st.items);
}

static void recovered(ship_t *s)
{
        if (s->failures > 0)
                say(s, AGENT_LOG_INFO, "center: reachable again");
        s->failures = 0;
        s->backoff_until = 0;
}

static json_t *heartbeat_json(ship_t *s)
{
        char now[TIMEUTIL_ISO_LEN];
        spool_stats_t st = { 0 };

        (void)spool_stats(s->store, &st);
        timeutil_format_iso(timeutil_now_us(), now, sizeof(now));
        return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s?, s:s?, s:s?}", "kind",
                         "heartbeat", "time", now, "spool_items", (json_int_t)st.items,
                         "spool_bytes", (json_int_t)st.bytes, "spool_dropped",
                         (json_int_t)st.dropped, "spool_rejected", (json_int_t)st.rejected,
                         "spool_shipped", (json_int_t)st.shipped, "agent_version", VIGIL_VERSION,
                         "hostname", s->id.hostname, "os", s->id.os[0] ? s->id.os : NULL,
                         "os_version", s->id.os_version[0] ? s->id.os_version : NULL, "kernel",
                         s->id.kernel[0] ? s->id.kernel : NULL);
}

static void run_command(ship_t *s, json_t *cmd)
{
        json_t *idj = json_object_get(cmd, "id"), *args = json_object_get(cmd, "args");
        const char *kind = json_string_value(json_object_get(cmd, "kind"));
        json_t *result = NULL;
        _cleanup_free_ char *text = NULL;
        ship_cmd_status_t st;
        const char *status;
        bool acked = false;
        int64_t id;
        int r;

        if (!json_is_integer(idj) || json_integer_value(idj) < 1)
                return;
        id = json_integer_value(idj);
        r = spool_cmd_get(s->store, id, NULL, NULL, &acked);
        if (r == 0) {
                /* Seen before: never run twice. Handed out again means the
                 * center did not get the acknowledgement: send it again. */
                if (acked)
                        (void)spool_cmd_set_acked(s->store, id, false);
                return;
        }
        if (r != -ENOENT)
                return;
        if (!kind || strlen(kind) > 64) {
                (void)spool_cmd_put(s->store, id, "?", "failed",
                                    "{\"error\":\"malformed command\"}");
                return;
        }
        /* Recorded before it runs: if the agent dies while it runs, it is
         * reported as interrupted, not run again. */
        if (spool_cmd_put(s->store, id, kind, "running", NULL) < 0) {
                say(s, AGENT_LOG_WARN, "center: cannot record command %lld; not run",
                    (long long)id);
                return;
        }
        if (args && !json_is_object(args))
                args = NULL;
        {
                json_t *empty = json_object();
                st = s->command ? s->command(s->command_userdata, id, kind, args ? args : empty,
                                             &result)
                                : SHIP_CMD_REFUSED;
                json_decref(empty);
        }
        if (!json_is_object(result)) {
                json_decref(result);
                result = json_object();
        }
        if (st == SHIP_CMD_REFUSED) {
                json_object_set_new(result, "refused", json_true());
                if (!json_object_get(result, "reason"))
                        jsonx_set_str(result, "reason", "not supported by this agent");
        }
        status = st == SHIP_CMD_DONE ? "done" : "failed";
        text = result ? json_dumps(result, JSON_COMPACT) : NULL;
        if (text && strlen(text) > RESULT_MAX) {
                free(text);
                text = strdup("{\"error\":\"the result was too large to report\"}");
        }
        json_decref(result);
        (void)spool_cmd_put(s->store, id, kind, status, text ? text : "{}");
        say(s, AGENT_LOG_INFO, "center: command %lld (%s): %s", (long long)id, kind,
            st == SHIP_CMD_REFUSED ? "refused" : status);
}

static void done_batch(ship_t *s, job_t *j)
{
        int64_t now = timeutil_mono_us();
        long st = j->resp.status;
        char m[256];

        if (j->r == 0 && st >= 200 && st < 300) {
                json_t *ans = j->resp.body ? json_loadb(j->resp.body, j->resp.len, 0, NULL) : NULL;
                json_t *cmds = json_object_get(ans, "commands");
                if (spool_ack(s->store, &j->batch) < 0)
                        say(s, AGENT_LOG_WARN, "center: cannot mark batch %s as sent: %s",
                            j->batch.batch_id, astore_errmsg(s->store));
                if (json_is_integer(cmds) && json_integer_value(cmds) > 0)
                        s->next_pull = now;
                json_decref(ans);
                if (j->heartbeat)
                        s->next_heartbeat = now + s->heartbeat_us;
                s->cur_items = MIN(s->batch_items, s->cur_items * 2);
                recovered(s);
                return;
        }
        if (j->r == 0 && st >= 400 && st < 500 && st != 401 && st != 403 && st != 408 &&
            st != 429) {
                /* The center will never take this batch as it is. */
                answer_message(&j->resp, m, sizeof(m));
                recovered(s);
                if (j->batch.n > 1) {
                        s->cur_items = MAX((size_t)1, j->batch.n / 2);
                        say(s, AGENT_LOG_WARN,
                            "center: a batch of %zu items was refused (HTTP %ld: %s); sending "
                            "smaller batches to find the item",
                            j->batch.n, st, m);
                } else if (j->batch.n == 1) {
                        say(s, AGENT_LOG_WARN,
                            "center: an item was refused (HTTP %ld: %s); it is set aside and "
                            "counted as rejected",
                            st, m);
                        if (spool_reject(s->store, &j->batch) < 0)
                                s->backoff_until = now + s->retry_max_us;
                        s->cur_items = s->batch_items;
                } else {
                        say(s, AGENT_LOG_WARN, "center: a heartbeat was refused (HTTP %ld: %s)", st,
                            m);
                        s->next_heartbeat = now + s->heartbeat_us;
                }
                return;
        }
        backoff(s, j, "sending a batch");
}

static void done_pull(ship_t *s, job_t *j)
{
        json_t *ans, *cmds, *c;
        size_t i;

        if (j->r < 0 || j->resp.status != 200) {
                backoff(s, j, "pulling commands");
                return;
        }
        recovered(s);
        s->next_pull = timeutil_mono_us() + s->commands_us;
        ans = j->resp.body ? json_loadb(j->resp.body, j->resp.len, 0, NULL) : NULL;
        cmds = json_object_get(ans, "commands");
        json_array_foreach (cmds, i, c) {
                if (s->closing)
                        break;
                if (json_is_object(c))
                        run_command(s, c);
        }
        json_decref(ans);
}

static void done_ack(ship_t *s, job_t *j)
{
        long st = j->resp.status;

        if (j->r == 0 && (st == 200 || st == 404 || st == 409 || st == 400)) {
                /* 404/409: unknown, expired or acknowledged already; 400:
                 * the center will never take it. Either way it is done. */
                if (st != 200)
                        say(s, AGENT_LOG_DEBUG, "center: ack of command %lld: HTTP %ld",
                            (long long)j->cmd_id, st);
                (void)spool_cmd_set_acked(s->store, j->cmd_id, true);
                recovered(s);
                return;
        }
        backoff(s, j, "acknowledging a command");
}

static void job_done(uv_work_t *req, int status)
{
        job_t *j = req->data;
        ship_t *s = j->owner;

        if (!s) {
                job_free(j);
                return;
        }
        s->job = NULL;
        if (status == 0) {
                switch (j->kind) {
                case JOB_BATCH:
                        done_batch(s, j);
                        break;
                case JOB_PULL:
                        done_pull(s, j);
                        break;
                case JOB_ACK:
                        done_ack(s, j);
                        break;
                }
        }
        job_free(j);
        step(s);
}

static int start_ack(ship_t *s)
{
        _cleanup_free_ char *status = NULL, *result = NULL, *path = NULL;
        json_t *body, *res;
        job_t *j;
        int64_t id;
        int r;

        r = spool_cmd_next_unacked(s->store, &id, &status, &result);
        if (r < 0)
                return r;
        path = str_printf("/api/v1/agent/commands/%lld/ack", (long long)id);
        if (!path)
                return -ENOMEM;
        res = json_loads(result, 0, NULL);
        if (!json_is_object(res)) {
                json_decref(res);
                res = json_object();
        }
        body = res ? json_pack("{s:s, s:o}", "status", status, "result", res) : NULL;
        j = body ? job_new(s, JOB_ACK, path) : NULL;
        if (j && !(j->body = json_dumps(body, JSON_COMPACT))) {
                job_free(j);
                j = NULL;
        }
        json_decref(body);
        if (!j)
                return -ENOMEM;
        j->len = strlen(j->body);
        j->cmd_id = id;
        return job_start(s, j);
}

static int start_pull(ship_t *s)
{
        job_t *j = job_new(s, JOB_PULL, "/api/v1/agent/commands");

        if (!j)
                return -ENOMEM;
        return job_start(s, j);
}

/* Returns 0 when a batch went out, -ENOENT when there was nothing. */
static int start_batch(ship_t *s, bool heartbeat)
{
        json_t *hb = heartbeat ? heartbeat_json(s) : NULL;
        spool_batch_t b;
        job_t *j;
        int r;

        r = spool_next_batch(s->store, s->cred.agent_id, s->cur_items, s->batch_bytes, hb, &b);
        json_decref(hb);
        if (r < 0)
                return r;
        j = job_new(s, JOB_BATCH, "/api/v1/agent/batch");
        if (!j) {
                spool_batch_clear(&b);
                return -ENOMEM;
        }
        j->body = TAKE_PTR(b.json);
        j->len = b.len;
        j->gzip = true;
        j->batch = b;
        j->heartbeat = heartbeat;
        return job_start(s, j);
}

/* Decide what to send next: acknowledgements first (they are small and
 * the center waits for them), then due command pulls, then batches (with
 * a heartbeat when one is due), else sleep until the next due time. */
static void step(ship_t *s)
{
        int64_t now = timeutil_mono_us();
        bool hb;
        int r;

        if (s->closing || s->job)
                return;
        if (now < s->backoff_until) {
                arm(s, s->backoff_until - now);
                return;
        }
        r = start_ack(s);
        if (r == 0)
                return;
        if (r != -ENOENT)
                goto fail;
        if (now >= s->next_pull) {
                if ((r = start_pull(s)) == 0)
                        return;
                goto fail;
        }
        hb = now >= s->next_heartbeat;
        r = start_batch(s, hb);
        if (r == 0)
                return;
        if (r != -ENOENT)
                goto fail;
        arm(s, MIN(s->next_pull, s->next_heartbeat) - now);
        return;
fail:
        say(s, AGENT_LOG_WARN, "center: %s (%s)", strerror(-r), astore_errmsg(s->store));
        s->backoff_until = now + s->retry_max_us;
        arm(s, s->retry_max_us);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static void ship_release(ship_t *s)
{
        cclient_cred_clear(&s->cred);
        free(s->ca);
        if (s->bearer) {
                explicit_bzero(s->bearer, strlen(s->bearer));
                free(s->bearer);
        }
        free(s);
}

int ship_new(const ship_opts_t *o, ship_t **ret)
{
        ship_t *s;

        if (!o->store || !o->cred || !o->cred->url || o->batch_items < 1 || o->batch_bytes < 1 ||
            o->spool_max < 1)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->loop = o->loop;
        s->store = o->store;
        s->cred.url = strdup(o->cred->url);
        s->cred.agent_id = o->cred->agent_id;
        memcpy(s->cred.secret, o->cred->secret, sizeof(s->cred.secret));
        if (o->ca_file)
                s->ca = strdup(o->ca_file);
        else if (o->cred->ca_file)
                s->ca = strdup(o->cred->ca_file);
        s->bearer = str_printf("%lld.%s", (long long)o->cred->agent_id, o->cred->secret);
        if (o->identity)
                s->id = *o->identity;
        s->batch_items = s->cur_items = o->batch_items;
        s->batch_bytes = o->batch_bytes;
        s->spool_max = o->spool_max;
        s->heartbeat_us = o->heartbeat_ms * 1000;
        s->commands_us = o->commands_ms * 1000;
        s->retry_max_us = o->retry_max_ms * 1000;
        s->timeout_us = o->timeout_ms * 1000;
        s->log = o->log;
        s->log_userdata = o->log_userdata;
        s->command = o->command;
        s->command_userdata = o->command_userdata;
        if (!s->cred.url || !s->bearer || ((o->ca_file || o->cred->ca_file) && !s->ca)) {
                ship_release(s);
                return -ENOMEM;
        }
        if (s->loop) {
                uv_timer_init(s->loop, &s->timer);
                s->timer.data = s;
                s->timer_ready = true;
                /* A heartbeat and a command pull right away. */
                s->next_pull = s->next_heartbeat = timeutil_mono_us();
                arm(s, 0);
        }
        *ret = s;
        return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
        ship_release(h->data);
}

void ship_free(ship_t *s)
{
        if (!s)
                return;
        if (s->in_tx) {
                astore_rollback(s->store);
                s->in_tx = false;
        }
        s->closing = true;
        if (s->job) {
                s->job->owner = NULL;
                s->job = NULL;
        }
        if (s->timer_ready) {
                uv_timer_stop(&s->timer);
                uv_close((uv_handle_t *)&s->timer, on_timer_closed);
                return;
        }
        ship_release(s);
}
