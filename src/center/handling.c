#include "center/handling.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "center/auth.h"
#include "center/center.h"
#include "center/commands.h"
#include "center/cutil.h"
#include "center/hosts.h"
#include "core/alert.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"

#define BODY_MAX      (16 * KiB)
#define AUDIT_DEFAULT 100
#define AUDIT_MAX     500

static const char *const op_names[] = {
        [HANDLING_EQUALS] = "equals",     [HANDLING_NOT_EQUALS] = "not_equals",
        [HANDLING_CONTAINS] = "contains", [HANDLING_NOT_CONTAINS] = "not_contains",
        [HANDLING_REGEX] = "regex",
};

static const char *const alert_levels[4] = { "", "reminder", "suspicious", "urgent" };

/* ---- rules ---- */

int handling_op_from_name(const char *op, handling_op_t *ret)
{
        for (size_t i = 0; op && i < ELEMENTSOF(op_names); i++)
                if (strcmp(op, op_names[i]) == 0) {
                        *ret = (handling_op_t)i;
                        return 0;
                }
        return -EINVAL;
}

const char *handling_op_name(handling_op_t op)
{
        return (size_t)op < ELEMENTSOF(op_names) ? op_names[op] : "unknown";
}

static bool valid_field(const char *f)
{
        static const char *const plain[] = { "type", "rule", "subject", "title", "level" };
        size_t n;

        for (size_t i = 0; i < ELEMENTSOF(plain); i++)
                if (strcmp(f, plain[i]) == 0)
                        return true;
        if (!str_startswith(f, "evidence."))
                return false;
        f += STRLEN("evidence.");
        n = strlen(f);
        return n >= 1 && n <= HANDLING_EVIDENCE_KEY &&
               strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int rule_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int rule_error(char **ret_error, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        *ret_error = strdup(msg);
        return -EINVAL;
}

void handling_rule_clear(handling_rule_t *rule)
{
        if (!rule)
                return;
        free(rule->field);
        free(rule->value);
        pcre2_match_data_free(rule->md);
        pcre2_match_context_free(rule->mctx);
        pcre2_code_free(rule->re);
        memset(rule, 0, sizeof(*rule));
}

int handling_rule_compile(const char *field, const char *op, const char *value,
                          handling_rule_t *ret, char **ret_error)
{
        handling_rule_t r = { 0 };
        handling_op_t o;
        size_t n;

        *ret_error = NULL;
        if (!field || !valid_field(field))
                return rule_error(ret_error,
                                  "field must be type, rule, subject, title, level or "
                                  "evidence.KEY (KEY: 1-%d of A-Z a-z 0-9 _ . -)",
                                  HANDLING_EVIDENCE_KEY);
        if (handling_op_from_name(op, &o) < 0)
                return rule_error(ret_error, "operator must be equals, not_equals, contains, "
                                             "not_contains or regex");
        n = value ? strlen(value) : 0;
        if (n == 0 || n > HANDLING_VALUE_MAX)
                return rule_error(ret_error, "value must be 1-%d bytes", HANDLING_VALUE_MAX);
        r.op = o;
        r.field = strdup(field);
        r.value = strdup(value);
        if (!r.field || !r.value) {
                handling_rule_clear(&r);
                return -ENOMEM;
        }
        if (o == HANDLING_REGEX) {
                PCRE2_SIZE off;
                int code;

                r.re = pcre2_compile((PCRE2_SPTR)value, n, PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
                                     &code, &off, NULL);
                if (!r.re) {
                        PCRE2_UCHAR msg[256];
                        pcre2_get_error_message(code, msg, sizeof(msg));
                        handling_rule_clear(&r);
                        return rule_error(ret_error,
                                          "value is not a valid regular expression: %s "
                                          "at offset %zu",
                                          (const char *)msg, (size_t)off);
                }
                r.md = pcre2_match_data_create_from_pattern(r.re, NULL);
                r.mctx = pcre2_match_context_create(NULL);
                if (!r.md || !r.mctx) {
                        handling_rule_clear(&r);
                        return -ENOMEM;
                }
                /* A pattern written to backtrack without end stops here. */
                pcre2_set_match_limit(r.mctx, HANDLING_MATCH_LIMIT);
                pcre2_set_depth_limit(r.mctx, HANDLING_DEPTH_LIMIT);
        }
        *ret = r;
        return 0;
}

/* The text of the rule's field in A: borrowed, or written into TMP. */
static const char *field_value(const handling_rule_t *rule, const handling_alert_t *a, char *tmp,
                               size_t tmpsize)
{
        const char *f = rule->field;
        json_t *v;

        if (strcmp(f, "type") == 0)
                return a->type ? a->type : "";
        if (strcmp(f, "rule") == 0)
                return a->rule ? a->rule : "";
        if (strcmp(f, "subject") == 0)
                return a->subject ? a->subject : "";
        if (strcmp(f, "title") == 0)
                return a->title ? a->title : "";
        if (strcmp(f, "level") == 0)
                return a->level >= 1 && a->level <= 3 ? alert_levels[a->level] : "";
        /* evidence.KEY */
        v = json_object_get(a->evidence, f + STRLEN("evidence."));
        if (json_is_string(v))
                return json_string_value(v);
        if (json_is_integer(v)) {
                snprintf(tmp, tmpsize, "%lld", (long long)json_integer_value(v));
                return tmp;
        }
        if (json_is_real(v)) {
                snprintf(tmp, tmpsize, "%.17g", json_real_value(v));
                return tmp;
        }
        if (json_is_boolean(v))
                return json_is_true(v) ? "true" : "false";
        return "";
}

bool handling_rule_match(const handling_rule_t *rule, const handling_alert_t *a)
{
        char tmp[64];
        const char *s = field_value(rule, a, tmp, sizeof(tmp));

        switch (rule->op) {
        case HANDLING_EQUALS:
                return strcmp(s, rule->value) == 0;
        case HANDLING_NOT_EQUALS:
                return strcmp(s, rule->value) != 0;
        case HANDLING_CONTAINS:
                return strstr(s, rule->value) != NULL;
        case HANDLING_NOT_CONTAINS:
                return strstr(s, rule->value) == NULL;
        case HANDLING_REGEX:
                /* Errors, the match limits included, are no match: an
                 * alert is kept open rather than silenced by a rule that
                 * could not decide. */
                return rule->re && pcre2_match(rule->re, (PCRE2_SPTR)s, strlen(s), 0, 0, rule->md,
                                               rule->mctx) >= 0;
        }
        return false;
}

void handling_rules_free(handling_rule_t *rules, size_t n)
{
        for (size_t i = 0; rules && i < n; i++)
                handling_rule_clear(&rules[i]);
        free(rules);
}

int handling_rules_load(cdb_conn_t *c, int64_t host_id, handling_rule_t **ret, size_t *ret_n)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        handling_rule_t *v = NULL;
        size_t n = 0, cap = 0;
        cdb_param_t p[] = { CDB_INT(host_id), CDB_INT(HANDLING_MAX_RULES) };
        int r;

        r = cdb_query(c,
                      "SELECT id, host_id, field, op, value FROM allowlist_rules"
                      " WHERE host_id IS NULL OR host_id = $1 ORDER BY id LIMIT $2",
                      p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                handling_rule_t rule;
                char *err = NULL;
                r = 0;
                if (handling_rule_compile(cdb_get_text(res, 2), cdb_get_text(res, 3),
                                          cdb_get_text(res, 4), &rule, &err) < 0) {
                        /* Written by an older or newer vigil with other
                         * rules: it cannot decide here. */
                        free(err);
                        continue;
                }
                rule.id = cdb_get_int(res, 0);
                rule.host_id = cdb_is_null(res, 1) ? 0 : cdb_get_int(res, 1);
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        handling_rule_t *nv = realloc(v, ncap * sizeof(*v));
                        if (!nv) {
                                handling_rule_clear(&rule);
                                r = -ENOMEM;
                                break;
                        }
                        v = nv;
                        cap = ncap;
                }
                v[n++] = rule;
        }
        if (r < 0) {
                handling_rules_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static const handling_rule_t *first_match(const handling_rule_t *rules, size_t n,
                                          const handling_alert_t *a)
{
        for (size_t i = 0; i < n; i++)
                if (handling_rule_match(&rules[i], a))
                        return &rules[i];
        return NULL;
}

static bool rules_use_evidence(const handling_rule_t *rules, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (str_startswith(rules[i].field, "evidence."))
                        return true;
        return false;
}

int handling_intake_allowlist(cdb_conn_t *c, int64_t host_id, const intake_batch_t *b,
                              int64_t now_us, unsigned open_alerts[4], size_t *ret_n)
{
        handling_rule_t *rules = NULL;
        size_t n_rules = 0, done = 0;
        bool evidence;
        int r;

        if (ret_n)
                *ret_n = 0;
        if (b->n_alerts == 0)
                return 0;
        r = handling_rules_load(c, host_id, &rules, &n_rules);
        if (r < 0)
                return r;
        evidence = rules_use_evidence(rules, n_rules);
        for (size_t i = 0; r == 0 && n_rules > 0 && i < b->n_alerts; i++) {
                const intake_alert_t *ia = &b->alerts[i];
                handling_alert_t a = { .type = ia->type,
                                       .rule = ia->rule,
                                       .subject = ia->subject,
                                       .title = ia->title,
                                       .level = ia->level };
                const handling_rule_t *m;
                char reason[64];
                int64_t level = 0;

                if (evidence)
                        a.evidence = json_loads(ia->evidence, 0, NULL);
                m = first_match(rules, n_rules, &a);
                json_decref(a.evidence);
                if (!m)
                        continue;
                snprintf(reason, sizeof(reason), "allowlist rule %lld", (long long)m->id);
                /* Only alerts this batch stored: received now and still
                 * open. A replayed alert already stored keeps its status. */
                cdb_param_t p[] = { CDB_INT(host_id), CDB_TEXT(ia->id), CDB_INT(now_us),
                                    CDB_TEXT(reason) };
                r = cdb_query_int(c,
                                  "UPDATE alerts SET status = 'allowlisted', status_reason = $4,"
                                  " updated_at = $3 WHERE host_id = $1 AND id = $2"
                                  " AND status = 'open' AND received = $3 RETURNING level",
                                  p, ELEMENTSOF(p), &level);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r < 0)
                        break;
                if (level >= 1 && level <= 3 && open_alerts[level] > 0)
                        open_alerts[level]--;
                done++;
        }
        handling_rules_free(rules, n_rules);
        if (r == 0 && ret_n)
                *ret_n = done;
        return r;
}

/* ---- audit ---- */

static char *state_text(json_t *j)
{
        char *s;

        if (!j)
                return NULL;
        s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (s && strlen(s) > HANDLING_AUDIT_STATE_MAX) {
                free(s);
                s = strdup("{\"truncated\":true}");
        }
        return s;
}

int handling_audit(cdb_conn_t *c, const http_principal_t *who, const char *remote,
                   const char *action, const char *target_type, const char *target, int64_t host_id,
                   json_t *before, json_t *after, const char *reason, int64_t now_us)
{
        _cleanup_free_ char *b = NULL, *a = NULL;
        int64_t id;
        int r;

        if (!action || !*action || !target_type || !target)
                return -EINVAL;
        b = state_text(before);
        a = state_text(after);
        if ((before && !b) || (after && !a))
                return -ENOMEM;
        r = cutil_random_id(&id);
        if (r < 0)
                return r;
        cdb_param_t p[] = {
                CDB_INT(id),
                CDB_INT(now_us),
                CDB_TEXT(who && who->name[0] ? who->name : "system"),
                CDB_TEXT(who ? auth_role_name(who->kind) : "none"),
                CDB_TEXT(remote),
                CDB_TEXT(action),
                CDB_TEXT(target_type),
                CDB_TEXT(target),
                host_id > 0 ? CDB_INT(host_id) : CDB_NULL,
                CDB_TEXT(b),
                CDB_TEXT(a),
                CDB_TEXT(reason),
        };
        return cdb_exec(c,
                        "INSERT INTO audit_log (id, time, actor, role, remote, action,"
                        " target_type, target, host_id, before_state, after_state, reason)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                        p, ELEMENTSOF(p), NULL);
}

/* ---- request helpers ---- */

/* Positive outcomes of transaction bodies (cdb_transact rolls back and
 * returns them). */
enum {
        NO_HOST = 1,
        NO_ITEM,
        UNCHANGED,
        BAD_REQUEST,
};

static bool text_ok(const char *s, size_t len, size_t max)
{
        if (len == 0 || len > max || strlen(s) != len)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* The body as a JSON object with only the keys in ALLOWED; an empty body
 * is {}. NULL with RESP set on a bad body. */
static json_t *body_object(const http_req_t *req, http_resp_t *resp, const char *const *allowed)
{
        json_error_t jerr;
        const char *key;
        json_t *body, *v;

        if (req->body_len == 0)
                return json_object();
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(body)) {
                json_decref(body);
                http_resp_error(resp, 400, "invalid_json", "the body must be a JSON object");
                return NULL;
        }
        json_object_foreach (body, key, v) {
                bool ok = false;
                for (size_t i = 0; allowed[i]; i++)
                        if (strcmp(key, allowed[i]) == 0)
                                ok = true;
                if (!ok) {
                        http_resp_error(resp, 400, "invalid_request", "unknown field '%s'", key);
                        json_decref(body);
                        return NULL;
                }
        }
        return body;
}

/* A text member of 1..MAX printable characters. */
static int get_text(json_t *body, const char *key, size_t max, bool required, const char **ret,
                    http_resp_t *resp)
{
        json_t *j = json_object_get(body, key);

        *ret = NULL;
        if (!j || json_is_null(j)) {
                if (!required)
                        return 0;
                http_resp_error(resp, 400, "invalid_request", "%s is required", key);
                return -EINVAL;
        }
        if (!json_is_string(j) || !text_ok(json_string_value(j), json_string_length(j), max)) {
                http_resp_error(resp, 400, "invalid_request",
                                "%s must be a string of 1-%zu printable characters", key, max);
                return -EINVAL;
        }
        *ret = json_string_value(j);
        return 0;
}

static int db_fail(center_t *c, http_resp_t *resp, cdb_conn_t *conn, int r)
{
        center_log(c, CENTER_LOG_ERROR, "handling: %s", conn ? cdb_errmsg(conn) : strerror(-r));
        http_resp_error(resp, 503, "unavailable", "the database is unavailable");
        http_resp_header(resp, "Retry-After", "5");
        return r;
}

/* Path parameter I as a host id; a 404 when it is not one. */
static int host_param(const http_req_t *req, size_t i, http_resp_t *resp, int64_t *ret)
{
        if (cutil_parse_id(req->params[i], ret) < 0) {
                http_resp_error(resp, 404, "not_found", "no such host");
                return -ENOENT;
        }
        return 0;
}

/* Lock HOST's row first, as intake does, so changes to one host's results
 * happen one after the other in every process and cannot deadlock. */
static int lock_host(cdb_conn_t *c, int64_t host, int64_t now)
{
        int64_t n = 0;
        cdb_param_t p[] = { CDB_INT(host), CDB_INT(now) };
        int r = cdb_exec(c, "UPDATE hosts SET updated_at = $2 WHERE id = $1", p, ELEMENTSOF(p), &n);

        if (r < 0)
                return r;
        return n ? 0 : NO_HOST;
}

static json_t *status_json(const char *status, const char *reason)
{
        return json_pack("{s:s, s:o}", "status", status ? status : "", "status_reason",
                         reason ? jsonx_string_lossy(reason) : json_null());
}

/* ---- status changes of findings and alerts ---- */

struct status_op {
        bool finding;
        const char *to;     /* the new status */
        const char *action; /* audit action */
        bool need_reason;
        const char *from[4]; /* statuses it may change; NULL-terminated, empty: any */
};

static const struct status_op op_alert_ignore = { false, "ignored", "alert.ignore", true, { 0 } };
static const struct status_op op_alert_handle = { false, "handled", "alert.handle", false, { 0 } };
static const struct status_op op_alert_reopen = { false, "open", "alert.reopen", false, { 0 } };
static const struct status_op op_finding_ignore = {
        true, "ignored", "finding.ignore", true, { "open", "fixed", NULL }
};
static const struct status_op op_finding_reopen = {
        true, "open", "finding.reopen", false, { "ignored", NULL }
};

struct status_ctx {
        const struct status_op *op;
        const http_req_t *req;
        int64_t host, now;
        const char *id, *reason;
        char old[16];
        int score;
};

static int status_body(cdb_conn_t *c, void *userdata)
{
        struct status_ctx *s = userdata;
        const struct status_op *op = s->op;
        _cleanup_res_ cdb_res_t *res = NULL;
        _cleanup_free_ char *old_reason = NULL, *target = NULL;
        json_t *before, *after;
        bool allowed;
        int r;

        r = lock_host(c, s->host, s->now);
        if (r != 0)
                return r;
        cdb_param_t p[] = { CDB_INT(s->host), CDB_TEXT(s->id) };
        r = cdb_query(c,
                      op->finding ? "SELECT status, status_reason FROM findings"
                                    " WHERE host_id = $1 AND id = $2"
                                  : "SELECT status, status_reason FROM alerts"
                                    " WHERE host_id = $1 AND id = $2",
                      p, ELEMENTSOF(p), &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return NO_ITEM;
        snprintf(s->old, sizeof(s->old), "%s", cdb_get_text(res, 0) ? cdb_get_text(res, 0) : "");
        if (cdb_get_text(res, 1) && !(old_reason = strdup(cdb_get_text(res, 1))))
                return -ENOMEM;
        cdb_res_free(TAKE_PTR(res));
        if (strcmp(s->old, op->to) == 0)
                return UNCHANGED;
        allowed = !op->from[0];
        for (size_t i = 0; op->from[i]; i++)
                if (strcmp(s->old, op->from[i]) == 0)
                        allowed = true;
        if (!allowed)
                return BAD_REQUEST;
        cdb_param_t u[] = { CDB_INT(s->host), CDB_TEXT(s->id), CDB_TEXT(op->to),
                            CDB_TEXT(s->reason), CDB_INT(s->now) };
        r = cdb_exec(c,
                     op->finding ? "UPDATE findings SET status = $3, status_reason = $4,"
                                   " updated_at = $5 WHERE host_id = $1 AND id = $2"
                                 : "UPDATE alerts SET status = $3, status_reason = $4,"
                                   " updated_at = $5 WHERE host_id = $1 AND id = $2",
                     u, ELEMENTSOF(u), NULL);
        if (r == 0)
                r = hosts_recount(c, s->host, s->now, &s->score);
        if (r < 0)
                return r;
        target = str_printf("%lld:%s", (long long)s->host, s->id);
        before = status_json(s->old, old_reason);
        after = status_json(op->to, s->reason);
        r = target && before && after
                    ? handling_audit(c, &s->req->principal, s->req->remote, op->action,
                                     op->finding ? "finding" : "alert", target, s->host, before,
                                     after, s->reason, s->now)
                    : -ENOMEM;
        json_decref(before);
        json_decref(after);
        return r;
}

static int change_status(center_t *c, http_req_t *req, http_resp_t *resp,
                         const struct status_op *op)
{
        static const char *const keys[] = { "reason", NULL };
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        struct status_ctx s = { .op = op, .req = req, .now = timeutil_now_us() };
        json_t *body;
        int r;

        if (host_param(req, 0, resp, &s.host) < 0)
                return 0;
        s.id = req->params[1];
        if (!cutil_valid_id(s.id, INTAKE_ID_MAX))
                return http_resp_error(resp, 404, "not_found", "no such %s",
                                       op->finding ? "finding" : "alert");
        body = body_object(req, resp, keys);
        if (!body)
                return 0;
        if (get_text(body, "reason", HANDLING_REASON_MAX, op->need_reason, &s.reason, resp) < 0) {
                json_decref(body);
                return 0;
        }
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_transact(conn, 5, status_body, &s);
        if (r < 0) {
                json_decref(body);
                return db_fail(c, resp, conn, r);
        }
        if (r == NO_HOST || r == NO_ITEM) {
                json_decref(body);
                return http_resp_error(resp, 404, "not_found", "no such %s",
                                       r == NO_HOST  ? "host"
                                       : op->finding ? "finding"
                                                     : "alert");
        }
        if (r == BAD_REQUEST) {
                json_decref(body);
                return http_resp_error(resp, 409, "conflict", "a %s finding cannot be %s", s.old,
                                       op->to);
        }
        if (r == UNCHANGED) {
                /* Asking twice is not an error: the state is what was
                 * asked for. Nothing is written, so nothing is audited. */
                int64_t score = 0;
                cdb_param_t p[] = { CDB_INT(s.host) };
                if (cdb_query_int(conn, "SELECT score FROM hosts WHERE id = $1", p, 1, &score) < 0)
                        score = -1;
                s.score = (int)score;
        }
        r = http_resp_json(resp, 200,
                           json_pack("{s:I, s:s, s:s, s:b, s:i}", "host_id", (json_int_t)s.host,
                                     "id", s.id, "status", op->to, "changed", r != UNCHANGED,
                                     "score", s.score));
        json_decref(body);
        return r;
}

static int h_alert_ignore(void *app, http_req_t *req, http_resp_t *resp)
{
        return change_status(app, req, resp, &op_alert_ignore);
}

static int h_alert_handle(void *app, http_req_t *req, http_resp_t *resp)
{
        return change_status(app, req, resp, &op_alert_handle);
}

static int h_alert_reopen(void *app, http_req_t *req, http_resp_t *resp)
{
        return change_status(app, req, resp, &op_alert_reopen);
}

static int h_finding_ignore(void *app, http_req_t *req, http_resp_t *resp)
{
        return change_status(app, req, resp, &op_finding_ignore);
}

static int h_finding_reopen(void *app, http_req_t *req, http_resp_t *resp)
{
        return change_status(app, req, resp, &op_finding_reopen);
}

/* ---- commands: verify, block IP, quarantine, kill ---- */

struct cmd_ctx {
        const http_req_t *req;
        center_t *c;
        int64_t host, now;
        const char *kind, *action, *reason;
        const char *finding_id; /* verify */
        const char *alert_id;   /* optional: the alert this handles */
        json_t *args;           /* borrowed; for verify built in the body */
        int64_t command_id;
        bool alert_changed;
        char *error; /* commands_validate's message */
};

/* Mark the alert handled by command CMD (inside the transaction). */
static int handle_alert_by_command(cdb_conn_t *c, struct cmd_ctx *s)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        _cleanup_free_ char *old = NULL, *old_reason = NULL, *reason = NULL, *target = NULL;
        json_t *before, *after;
        int r;

        cdb_param_t p[] = { CDB_INT(s->host), CDB_TEXT(s->alert_id) };
        r = cdb_query(c, "SELECT status, status_reason FROM alerts WHERE host_id = $1 AND id = $2",
                      p, ELEMENTSOF(p), &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return NO_ITEM;
        old = strdup(cdb_get_text(res, 0) ? cdb_get_text(res, 0) : "");
        if (!old || (cdb_get_text(res, 1) && !(old_reason = strdup(cdb_get_text(res, 1)))))
                return -ENOMEM;
        cdb_res_free(TAKE_PTR(res));
        if (strcmp(old, "handled") == 0)
                return 0;
        reason = s->reason ? strdup(s->reason)
                           : str_printf("%s (command %lld)", s->kind, (long long)s->command_id);
        target = str_printf("%lld:%s", (long long)s->host, s->alert_id);
        if (!reason || !target)
                return -ENOMEM;
        cdb_param_t u[] = { CDB_INT(s->host), CDB_TEXT(s->alert_id), CDB_TEXT(reason),
                            CDB_INT(s->now) };
        r = cdb_exec(c,
                     "UPDATE alerts SET status = 'handled', status_reason = $3, updated_at = $4"
                     " WHERE host_id = $1 AND id = $2",
                     u, ELEMENTSOF(u), NULL);
        if (r == 0)
                r = hosts_recount(c, s->host, s->now, NULL);
        if (r < 0)
                return r;
        s->alert_changed = true;
        before = status_json(old, old_reason);
        after = status_json("handled", reason);
        r = before && after
                    ? handling_audit(c, &s->req->principal, s->req->remote, "alert.handle", "alert",
                                     target, s->host, before, after, reason, s->now)
                    : -ENOMEM;
        json_decref(before);
        json_decref(after);
        return r;
}

static int cmd_body(cdb_conn_t *c, void *userdata)
{
        struct cmd_ctx *s = userdata;
        _cleanup_free_ char *target = NULL;
        json_t *args = s->args, *after;
        int r;

        free(s->error);
        s->error = NULL;
        s->alert_changed = false;
        r = lock_host(c, s->host, s->now);
        if (r != 0)
                return r;
        if (s->finding_id) {
                _cleanup_res_ cdb_res_t *res = NULL;
                cdb_param_t p[] = { CDB_INT(s->host), CDB_TEXT(s->finding_id) };
                r = cdb_query(c, "SELECT category FROM findings WHERE host_id = $1 AND id = $2", p,
                              ELEMENTSOF(p), &res);
                if (r == 0)
                        r = cdb_next(res);
                if (r < 0)
                        return r;
                if (r == 0)
                        return NO_ITEM;
                json_decref(s->args);
                s->args = args = json_pack("{s:[s]}", "categories", cdb_get_text(res, 0));
                if (!args)
                        return -ENOMEM;
        }
        r = commands_create(c, s->host, s->kind, args, s->req->principal.name,
                            s->c->cfg.command_ttl_us, s->now, &s->command_id, &s->error);
        if (r == -ENOENT)
                return NO_HOST;
        if (r == -EINVAL)
                return BAD_REQUEST;
        if (r < 0)
                return r;
        if (s->finding_id)
                target = str_printf("%lld:%s", (long long)s->host, s->finding_id);
        else
                target = str_printf("%lld", (long long)s->host);
        after = json_pack("{s:I, s:s, s:O}", "command_id", (json_int_t)s->command_id, "kind",
                          s->kind, "args", args ? args : json_object());
        r = target && after ? handling_audit(c, &s->req->principal, s->req->remote, s->action,
                                             s->finding_id ? "finding" : "host", target, s->host,
                                             NULL, after, s->reason, s->now)
                            : -ENOMEM;
        json_decref(after);
        if (r == 0 && s->alert_id)
                r = handle_alert_by_command(c, s);
        return r;
}

static int run_command(center_t *c, http_req_t *req, http_resp_t *resp, struct cmd_ctx *s)
{
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        int r;

        s->c = c;
        s->req = req;
        s->now = timeutil_now_us();
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_transact(conn, 5, cmd_body, s);
        if (r < 0)
                r = db_fail(c, resp, conn, r);
        else if (r == NO_HOST)
                r = http_resp_error(resp, 404, "not_found", "no such host (or it is revoked)");
        else if (r == NO_ITEM)
                r = http_resp_error(resp, 404, "not_found", "no such %s",
                                    s->finding_id ? "finding" : "alert");
        else if (r == BAD_REQUEST)
                r = http_resp_error(resp, 400, "invalid_request", "%s",
                                    s->error ? s->error : "invalid arguments");
        else {
                metrics_add(c->metrics, METRIC_COMMANDS_CREATED, 1);
                r = http_resp_json(resp, 202,
                                   json_pack("{s:I, s:I, s:s, s:O, s:b}", "command_id",
                                             (json_int_t)s->command_id, "host_id",
                                             (json_int_t)s->host, "kind", s->kind, "args",
                                             s->args ? s->args : json_object(), "alert_handled",
                                             s->alert_changed));
        }
        free(s->error);
        return r;
}

static int h_finding_verify(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "reason", NULL };
        struct cmd_ctx s = { .kind = "scan_now", .action = "finding.verify" };
        json_t *body;
        int r;

        if (host_param(req, 0, resp, &s.host) < 0)
                return 0;
        s.finding_id = req->params[1];
        if (!cutil_valid_id(s.finding_id, INTAKE_ID_MAX))
                return http_resp_error(resp, 404, "not_found", "no such finding");
        body = body_object(req, resp, keys);
        if (!body)
                return 0;
        if (get_text(body, "reason", HANDLING_REASON_MAX, false, &s.reason, resp) == 0)
                r = run_command(app, req, resp, &s);
        else
                r = 0;
        json_decref(s.args);
        json_decref(body);
        return r;
}

/* block-ip, quarantine, kill: the body holds the command's arguments
 * (ARG_KEYS) plus optional "alert_id" and "reason". */
static int host_action(void *app, http_req_t *req, http_resp_t *resp, const char *kind,
                       const char *action, const char *const *keys, size_t n_arg_keys)
{
        struct cmd_ctx s = { .kind = kind, .action = action };
        json_t *body, *args = NULL;
        int r = 0;

        if (host_param(req, 0, resp, &s.host) < 0)
                return 0;
        body = body_object(req, resp, keys);
        if (!body)
                return 0;
        if (get_text(body, "reason", HANDLING_REASON_MAX, false, &s.reason, resp) < 0 ||
            get_text(body, "alert_id", INTAKE_ID_MAX, false, &s.alert_id, resp) < 0)
                goto out;
        if (s.alert_id && !cutil_valid_id(s.alert_id, INTAKE_ID_MAX)) {
                http_resp_error(resp, 404, "not_found", "no such alert");
                goto out;
        }
        args = json_object();
        if (!args) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n_arg_keys; i++) {
                json_t *v = json_object_get(body, keys[i]);
                if (v && !json_is_null(v))
                        json_object_set(args, keys[i], v);
        }
        s.args = args;
        r = run_command(app, req, resp, &s);
out:
        json_decref(args);
        json_decref(body);
        return r;
}

static int h_block_ip(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "ip", "duration", "alert_id", "reason", NULL };
        return host_action(app, req, resp, "block_ip", "host.block_ip", keys, 2);
}

static int h_quarantine(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "path", "alert_id", "reason", NULL };
        return host_action(app, req, resp, "quarantine", "host.quarantine", keys, 1);
}

static int h_kill(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "pid", "start_time", "alert_id", "reason", NULL };
        return host_action(app, req, resp, "kill", "host.kill", keys, 2);
}

/* ---- allowlist ---- */

static json_t *rule_json(cdb_res_t *res)
{
        const char *note = cdb_get_text(res, 5), *by = cdb_get_text(res, 7);

        return json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "id",
                         (json_int_t)cdb_get_int(res, 0), "host_id",
                         cdb_is_null(res, 1) ? json_null() : json_integer(cdb_get_int(res, 1)),
                         "field", cdb_get_text(res, 2) ? cdb_get_text(res, 2) : "", "operator",
                         cdb_get_text(res, 3) ? cdb_get_text(res, 3) : "", "value",
                         jsonx_string_lossy(cdb_get_text(res, 4) ? cdb_get_text(res, 4) : ""),
                         "note", note ? jsonx_string_lossy(note) : json_null(), "created_at",
                         cutil_json_time(cdb_get_int(res, 6)), "created_by",
                         by ? jsonx_string_lossy(by) : json_null());
}

#define RULE_COLUMNS "id, host_id, field, op, value, note, created_at, created_by"

static int h_allowlist_list(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        const char *hs = http_req_query(req, "host");
        json_t *arr = json_array();
        int64_t host = 0;
        int r;

        if (!arr)
                return -ENOMEM;
        if (hs && cutil_parse_id(hs, &host) < 0) {
                json_decref(arr);
                return http_resp_error(resp, 400, "invalid_filter", "host: not a host id");
        }
        cdb_param_t p[] = { CDB_INT(host), CDB_INT(HANDLING_MAX_RULES) };
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_query(conn,
                              host ? "SELECT " RULE_COLUMNS " FROM allowlist_rules"
                                     " WHERE host_id IS NULL OR host_id = $1"
                                     " ORDER BY created_at, id LIMIT $2"
                                   : "SELECT " RULE_COLUMNS " FROM allowlist_rules"
                                     " WHERE $1 = 0 ORDER BY created_at, id LIMIT $2",
                              p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o = rule_json(res);
                r = o && json_array_append_new(arr, o) == 0 ? 0 : -ENOMEM;
        }
        if (r < 0) {
                json_decref(arr);
                return db_fail(c, resp, conn, r);
        }
        return http_resp_json(resp, 200, json_pack("{s:o}", "items", arr));
}

struct allow_ctx {
        const http_req_t *req;
        int64_t now, host; /* host 0: every host */
        const char *field, *op, *value, *note;
        bool apply;
        handling_rule_t *rule;
        int64_t id;
        size_t applied;
        bool truncated;
        char *error;
};

struct hit {
        int64_t host;
        char *id;
};

static int cmp_hit(const void *a, const void *b)
{
        const struct hit *x = a, *y = b;

        return x->host < y->host ? -1 : x->host > y->host;
}

static void hits_free(struct hit *h, size_t n)
{
        for (size_t i = 0; h && i < n; i++)
                free(h[i].id);
        free(h);
}

/* Open alerts in the rule's scope that it matches, into *RET. */
static int collect_hits(cdb_conn_t *c, struct allow_ctx *s, struct hit **ret, size_t *ret_n)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        struct hit *v = NULL;
        size_t n = 0, cap = 0, seen = 0;
        bool evidence = str_startswith(s->rule->field, "evidence.");
        cdb_param_t p[] = { CDB_INT(s->host), CDB_INT(HANDLING_APPLY_MAX + 1) };
        int r;

        r = cdb_query(c,
                      s->host ? "SELECT host_id, id, type, rule, subject, title, level, evidence"
                                " FROM alerts WHERE status = 'open' AND host_id = $1 LIMIT $2"
                              : "SELECT host_id, id, type, rule, subject, title, level, evidence"
                                " FROM alerts WHERE status = 'open' AND $1 = 0 LIMIT $2",
                      p, ELEMENTSOF(p), &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                handling_alert_t a = { .type = cdb_get_text(res, 2),
                                       .rule = cdb_get_text(res, 3),
                                       .subject = cdb_get_text(res, 4),
                                       .title = cdb_get_text(res, 5),
                                       .level = (int)cdb_get_int(res, 6) };
                bool m;
                r = 0;
                if (++seen > HANDLING_APPLY_MAX) {
                        s->truncated = true;
                        continue; /* read to the end (PostgreSQL) */
                }
                if (evidence && cdb_get_text(res, 7))
                        a.evidence = json_loads(cdb_get_text(res, 7), 0, NULL);
                m = handling_rule_match(s->rule, &a);
                json_decref(a.evidence);
                if (!m)
                        continue;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 64;
                        struct hit *nv = realloc(v, ncap * sizeof(*v));
                        if (!nv) {
                                r = -ENOMEM;
                                break;
                        }
                        v = nv;
                        cap = ncap;
                }
                v[n].host = cdb_get_int(res, 0);
                v[n].id = strdup(cdb_get_text(res, 1) ? cdb_get_text(res, 1) : "");
                if (!v[n++].id) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r < 0) {
                hits_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int apply_existing(cdb_conn_t *c, struct allow_ctx *s)
{
        struct hit *hits = NULL;
        size_t n = 0;
        char reason[64];
        int r;

        r = collect_hits(c, s, &hits, &n);
        if (r < 0)
                return r;
        qsort(hits, n, sizeof(*hits), cmp_hit);
        snprintf(reason, sizeof(reason), "allowlist rule %lld", (long long)s->id);
        /* Hosts in order, each locked before its alerts change (the order
         * intake and the other handlers use). */
        for (size_t i = 0; r == 0 && i < n; i++) {
                int64_t changed = 0;
                if (i == 0 || hits[i].host != hits[i - 1].host) {
                        r = lock_host(c, hits[i].host, s->now);
                        if (r == NO_HOST)
                                r = 0;
                        if (r < 0)
                                break;
                }
                cdb_param_t p[] = { CDB_INT(hits[i].host), CDB_TEXT(hits[i].id), CDB_TEXT(reason),
                                    CDB_INT(s->now) };
                r = cdb_exec(c,
                             "UPDATE alerts SET status = 'allowlisted', status_reason = $3,"
                             " updated_at = $4 WHERE host_id = $1 AND id = $2 AND status = 'open'",
                             p, ELEMENTSOF(p), &changed);
                s->applied += (size_t)changed;
                if (r == 0 && (i + 1 == n || hits[i + 1].host != hits[i].host)) {
                        r = hosts_recount(c, hits[i].host, s->now, NULL);
                        if (r == -ENOENT)
                                r = 0;
                }
        }
        hits_free(hits, n);
        return r;
}

static int allow_body(cdb_conn_t *c, void *userdata)
{
        struct allow_ctx *s = userdata;
        _cleanup_free_ char *target = NULL;
        int64_t count = 0;
        json_t *after;
        int r;

        s->applied = 0;
        s->truncated = false;
        if (s->host) {
                r = lock_host(c, s->host, s->now);
                if (r != 0)
                        return r;
        }
        r = cdb_query_int(c, "SELECT count(*) FROM allowlist_rules", NULL, 0, &count);
        if (r < 0)
                return r;
        if (count >= HANDLING_MAX_RULES)
                return BAD_REQUEST;
        r = cutil_random_id(&s->id);
        if (r < 0)
                return r;
        cdb_param_t p[] = { CDB_INT(s->id),     s->host ? CDB_INT(s->host) : CDB_NULL,
                            CDB_TEXT(s->field), CDB_TEXT(s->op),
                            CDB_TEXT(s->value), CDB_TEXT(s->note),
                            CDB_INT(s->now),    CDB_TEXT(s->req->principal.name) };
        r = cdb_exec(c,
                     "INSERT INTO allowlist_rules (id, host_id, field, op, value, note,"
                     " created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     p, ELEMENTSOF(p), NULL);
        if (r < 0)
                return r;
        if (s->apply) {
                r = apply_existing(c, s);
                if (r < 0)
                        return r;
        }
        target = str_printf("%lld", (long long)s->id);
        after = json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:I}", "id", (json_int_t)s->id, "host_id",
                          s->host ? json_integer(s->host) : json_null(), "field", s->field,
                          "operator", s->op, "value", s->value, "note",
                          s->note ? json_string(s->note) : json_null(), "applied",
                          (json_int_t)s->applied);
        r = target && after ? handling_audit(c, &s->req->principal, s->req->remote,
                                             "allowlist.create", "allowlist_rule", target, s->host,
                                             NULL, after, s->note, s->now)
                            : -ENOMEM;
        json_decref(after);
        return r;
}

static int h_allowlist_create(void *app, http_req_t *req, http_resp_t *resp)
{
        static const char *const keys[] = { "field", "operator",       "value", "host_id",
                                            "note",  "apply_existing", NULL };
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_free_ char *err = NULL;
        struct allow_ctx s = { .req = req, .now = timeutil_now_us() };
        handling_rule_t rule = { 0 };
        json_t *body, *j;
        int r = 0;

        body = body_object(req, resp, keys);
        if (!body)
                return 0;
        if (get_text(body, "field", 128, true, &s.field, resp) < 0 ||
            get_text(body, "operator", 32, true, &s.op, resp) < 0 ||
            get_text(body, "note", HANDLING_REASON_MAX, false, &s.note, resp) < 0)
                goto out;
        j = json_object_get(body, "value");
        if (!json_is_string(j) || strlen(json_string_value(j)) != json_string_length(j)) {
                http_resp_error(resp, 400, "invalid_request", "value must be a string");
                goto out;
        }
        s.value = json_string_value(j);
        j = json_object_get(body, "host_id");
        if (j && !json_is_null(j) &&
            (!json_is_integer(j) || json_integer_value(j) < 1 ||
             json_integer_value(j) >= CUTIL_ID_MAX)) {
                http_resp_error(resp, 400, "invalid_request",
                                "host_id must be a host id, or null for every host");
                goto out;
        }
        s.host = json_is_integer(j) ? json_integer_value(j) : 0;
        j = json_object_get(body, "apply_existing");
        if (j && !json_is_boolean(j)) {
                http_resp_error(resp, 400, "invalid_request", "apply_existing must be a boolean");
                goto out;
        }
        s.apply = json_is_true(j);
        r = handling_rule_compile(s.field, s.op, s.value, &rule, &err);
        if (r == -EINVAL) {
                r = http_resp_error(resp, 400, "invalid_rule", "%s", err);
                goto out;
        }
        if (r < 0)
                goto out;
        s.rule = &rule;
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_transact(conn, 5, allow_body, &s);
        if (r < 0)
                r = db_fail(c, resp, conn, r);
        else if (r == NO_HOST)
                r = http_resp_error(resp, 404, "not_found", "no such host");
        else if (r == BAD_REQUEST)
                r = http_resp_error(resp, 409, "too_many_rules",
                                    "there are %d allowlist rules already; remove some first",
                                    HANDLING_MAX_RULES);
        else
                r = http_resp_json(resp, 201,
                                   json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:I, s:b}", "id",
                                             (json_int_t)s.id, "host_id",
                                             s.host ? json_integer(s.host) : json_null(), "field",
                                             s.field, "operator", s.op, "value", s.value, "note",
                                             s.note ? json_string(s.note) : json_null(), "applied",
                                             (json_int_t)s.applied, "truncated", s.truncated));
out:
        handling_rule_clear(&rule);
        json_decref(body);
        return r;
}

struct del_ctx {
        const http_req_t *req;
        int64_t id, now;
};

static int del_body(cdb_conn_t *c, void *userdata)
{
        struct del_ctx *s = userdata;
        _cleanup_res_ cdb_res_t *res = NULL;
        json_t *before;
        int64_t host;
        int r;

        cdb_param_t p[] = { CDB_INT(s->id) };
        r = cdb_query(c, "SELECT " RULE_COLUMNS " FROM allowlist_rules WHERE id = $1", p, 1, &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return NO_ITEM;
        before = rule_json(res);
        host = cdb_is_null(res, 1) ? 0 : cdb_get_int(res, 1);
        cdb_res_free(TAKE_PTR(res));
        if (!before)
                return -ENOMEM;
        r = cdb_exec(c, "DELETE FROM allowlist_rules WHERE id = $1", p, 1, NULL);
        if (r == 0)
                r = handling_audit(c, &s->req->principal, s->req->remote, "allowlist.delete",
                                   "allowlist_rule", s->req->params[0], host, before, NULL, NULL,
                                   s->now);
        json_decref(before);
        return r;
}

static int h_allowlist_delete(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        struct del_ctx s = { .req = req, .now = timeutil_now_us() };
        int r;

        if (cutil_parse_id(req->params[0], &s.id) < 0)
                return http_resp_error(resp, 404, "not_found", "no such allowlist rule");
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_transact(conn, 5, del_body, &s);
        if (r < 0)
                return db_fail(c, resp, conn, r);
        if (r == NO_ITEM)
                return http_resp_error(resp, 404, "not_found", "no such allowlist rule");
        return http_resp_json(resp, 200,
                              json_pack("{s:I, s:b}", "id", (json_int_t)s.id, "deleted", 1));
}

/* ---- the audit log ---- */

static json_t *stored_json(const char *s)
{
        json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

        return j ? j : json_null();
}

static json_t *text_or_null(const char *s)
{
        return s ? jsonx_string_lossy(s) : json_null();
}

static int audit_bad(http_resp_t *resp, const char *what)
{
        http_resp_error(resp, 400, "invalid_filter", "%s", what);
        return 0;
}

static int h_audit(void *app, http_req_t *req, http_resp_t *resp)
{
        center_t *c = app;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        _cleanup_res_ cdb_res_t *res = NULL;
        _cleanup_buf_ buf_t sql;
        const char *ls = http_req_query(req, "limit"), *ss = http_req_query(req, "since"),
                   *us = http_req_query(req, "until"), *actor = http_req_query(req, "actor"),
                   *action = http_req_query(req, "action"), *hs = http_req_query(req, "host"),
                   *tt = http_req_query(req, "target_type"), *cur = http_req_query(req, "cursor");
        cdb_param_t p[10];
        size_t np = 0, n = 0;
        unsigned long long limit = AUDIT_DEFAULT;
        int64_t t, host, ct = 0, cid = 0, last_t = 0, last_id = 0;
        json_t *items;
        int r;

        buf_init(&sql, 4 * KiB);
        r = buf_append_str(&sql, "SELECT id, time, actor, role, remote, action, target_type,"
                                 " target, host_id, before_state, after_state, reason"
                                 " FROM audit_log WHERE 1 = 1");
        if (ls && (str_to_u64(ls, &limit) < 0 || limit < 1 || limit > AUDIT_MAX))
                return audit_bad(resp, "limit: must be from 1 to 500");
        if (ss) {
                if (cutil_parse_time_param(ss, &t) < 0)
                        return audit_bad(resp, "since: must be an ISO 8601 time or seconds");
                p[np++] = CDB_INT(t);
                if (r == 0)
                        r = buf_printf(&sql, " AND time >= $%zu", np);
        }
        if (us) {
                if (cutil_parse_time_param(us, &t) < 0)
                        return audit_bad(resp, "until: must be an ISO 8601 time or seconds");
                p[np++] = CDB_INT(t);
                if (r == 0)
                        r = buf_printf(&sql, " AND time < $%zu", np);
        }
        if (actor) {
                if (strlen(actor) > 200)
                        return audit_bad(resp, "actor: too long");
                p[np++] = CDB_TEXT(actor);
                if (r == 0)
                        r = buf_printf(&sql, " AND actor = $%zu", np);
        }
        if (action) {
                if (strlen(action) > 64)
                        return audit_bad(resp, "action: too long");
                p[np++] = CDB_TEXT(action);
                if (r == 0)
                        r = buf_printf(&sql, " AND action = $%zu", np);
        }
        if (tt) {
                if (strlen(tt) > 64)
                        return audit_bad(resp, "target_type: too long");
                p[np++] = CDB_TEXT(tt);
                if (r == 0)
                        r = buf_printf(&sql, " AND target_type = $%zu", np);
        }
        if (hs) {
                if (cutil_parse_id(hs, &host) < 0)
                        return audit_bad(resp, "host: not a host id");
                p[np++] = CDB_INT(host);
                if (r == 0)
                        r = buf_printf(&sql, " AND host_id = $%zu", np);
        }
        if (cur) {
                _cleanup_free_ char *raw = NULL;
                size_t len;
                json_t *k;
                if (cutil_b64url_decode(cur, 256, &raw, &len) < 0)
                        return audit_bad(resp, "cursor: not a cursor from this API");
                k = json_loadb(raw, len, 0, NULL);
                if (!json_is_array(k) || json_array_size(k) != 2 ||
                    !json_is_integer(json_array_get(k, 0)) ||
                    !json_is_integer(json_array_get(k, 1))) {
                        json_decref(k);
                        return audit_bad(resp, "cursor: not a cursor from this API");
                }
                ct = json_integer_value(json_array_get(k, 0));
                cid = json_integer_value(json_array_get(k, 1));
                json_decref(k);
                p[np++] = CDB_INT(ct);
                p[np++] = CDB_INT(cid);
                if (r == 0)
                        r = buf_printf(&sql, " AND (time, id) < ($%zu, $%zu)", np - 1, np);
        }
        p[np++] = CDB_INT((int64_t)limit + 1);
        if (r == 0)
                r = buf_printf(&sql, " ORDER BY time DESC, id DESC LIMIT $%zu", np);
        if (r < 0)
                return r;
        items = json_array();
        if (!items)
                return -ENOMEM;
        r = cdb_acquire(c->db, &conn);
        if (r == 0)
                r = cdb_query(conn, sql.data, p, np, &res);
        while (r == 0 && (r = cdb_next(res)) > 0) {
                json_t *o;
                if (n == limit)
                        break; /* one more row: there is a next page */
                last_t = cdb_get_int(res, 1);
                last_id = cdb_get_int(res, 0);
                o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
                              (json_int_t)last_id, "time", cutil_json_time(last_t), "actor",
                              text_or_null(cdb_get_text(res, 2)), "role",
                              text_or_null(cdb_get_text(res, 3)), "remote",
                              text_or_null(cdb_get_text(res, 4)), "action",
                              text_or_null(cdb_get_text(res, 5)), "target_type",
                              text_or_null(cdb_get_text(res, 6)), "target",
                              text_or_null(cdb_get_text(res, 7)), "host_id",
                              cdb_is_null(res, 8) ? json_null() : json_integer(cdb_get_int(res, 8)),
                              "before", stored_json(cdb_get_text(res, 9)), "after",
                              stored_json(cdb_get_text(res, 10)), "reason",
                              text_or_null(cdb_get_text(res, 11)));
                if (!o || json_array_append_new(items, o) < 0) {
                        r = -ENOMEM;
                        break;
                }
                n++;
                r = 0;
        }
        if (r < 0) {
                json_decref(items);
                return db_fail(c, resp, conn, r);
        }
        {
                json_t *next = json_null();
                if (r > 0) {
                        _cleanup_free_ char *key =
                                str_printf("[%lld,%lld]", (long long)last_t, (long long)last_id);
                        _cleanup_free_ char *enc =
                                key ? cutil_b64url_encode(key, strlen(key)) : NULL;
                        next = enc ? json_string(enc) : NULL;
                }
                return http_resp_json(resp, 200,
                                      json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
        }
}

const http_route_t handling_routes[] = {
        { "POST", "/api/v1/hosts/{}/alerts/{}/ignore", HTTP_AUTH_ADMIN, BODY_MAX, h_alert_ignore },
        { "POST", "/api/v1/hosts/{}/alerts/{}/handle", HTTP_AUTH_ADMIN, BODY_MAX, h_alert_handle },
        { "POST", "/api/v1/hosts/{}/alerts/{}/reopen", HTTP_AUTH_ADMIN, BODY_MAX, h_alert_reopen },
        { "POST", "/api/v1/hosts/{}/findings/{}/ignore", HTTP_AUTH_ADMIN, BODY_MAX,
          h_finding_ignore },
        { "POST", "/api/v1/hosts/{}/findings/{}/reopen", HTTP_AUTH_ADMIN, BODY_MAX,
          h_finding_reopen },
        { "POST", "/api/v1/hosts/{}/findings/{}/verify", HTTP_AUTH_ADMIN, BODY_MAX,
          h_finding_verify },
        { "POST", "/api/v1/hosts/{}/block-ip", HTTP_AUTH_ADMIN, BODY_MAX, h_block_ip },
        { "POST", "/api/v1/hosts/{}/quarantine", HTTP_AUTH_ADMIN, BODY_MAX, h_quarantine },
        { "POST", "/api/v1/hosts/{}/kill", HTTP_AUTH_ADMIN, BODY_MAX, h_kill },
        { "GET", "/api/v1/allowlist", HTTP_AUTH_VIEWER, 0, h_allowlist_list },
        { "POST", "/api/v1/allowlist", HTTP_AUTH_ADMIN, BODY_MAX, h_allowlist_create },
        { "DELETE", "/api/v1/allowlist/{}", HTTP_AUTH_ADMIN, 0, h_allowlist_delete },
        { "GET", "/api/v1/audit", HTTP_AUTH_VIEWER, 0, h_audit },
};
const size_t handling_n_routes = ELEMENTSOF(handling_routes);
