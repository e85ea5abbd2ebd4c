#include "detect/login/journal.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void journal_entry_init(journal_entry_t *e)
{
        memset(e, 0, sizeof(*e));
        buf_init(&e->message, JOURNAL_MESSAGE_MAX);
        buf_init(&e->comm, JOURNAL_FIELD_MAX);
        buf_init(&e->ident, JOURNAL_FIELD_MAX);
        buf_init(&e->pid, JOURNAL_FIELD_MAX);
        buf_init(&e->syslog_pid, JOURNAL_FIELD_MAX);
        buf_init(&e->hostname, JOURNAL_FIELD_MAX);
        buf_init(&e->realtime, JOURNAL_FIELD_MAX);
        buf_init(&e->cursor, JOURNAL_FIELD_MAX);
}

void journal_entry_reset(journal_entry_t *e)
{
        buf_reset(&e->message);
        buf_reset(&e->comm);
        buf_reset(&e->ident);
        buf_reset(&e->pid);
        buf_reset(&e->syslog_pid);
        buf_reset(&e->hostname);
        buf_reset(&e->realtime);
        buf_reset(&e->cursor);
        e->has_message = false;
        e->oversized = false;
}

void journal_entry_free(journal_entry_t *e)
{
        buf_free(&e->message);
        buf_free(&e->comm);
        buf_free(&e->ident);
        buf_free(&e->pid);
        buf_free(&e->syslog_pid);
        buf_free(&e->hostname);
        buf_free(&e->realtime);
        buf_free(&e->cursor);
}

/* The buffer of a kept field, or NULL. */
static buf_t *field_buf(journal_entry_t *e, const char *name, size_t n)
{
        switch (n) {
        case 4:
                if (memcmp(name, "_PID", 4) == 0)
                        return &e->pid;
                break;
        case 5:
                if (memcmp(name, "_COMM", 5) == 0)
                        return &e->comm;
                break;
        case 7:
                if (memcmp(name, "MESSAGE", 7) == 0) {
                        e->has_message = true;
                        return &e->message;
                }
                break;
        case 8:
                if (memcmp(name, "__CURSOR", 8) == 0)
                        return &e->cursor;
                break;
        case 9:
                if (memcmp(name, "_HOSTNAME", 9) == 0)
                        return &e->hostname;
                break;
        case 10:
                if (memcmp(name, "SYSLOG_PID", 10) == 0)
                        return &e->syslog_pid;
                break;
        case 17:
                if (memcmp(name, "SYSLOG_IDENTIFIER", 17) == 0)
                        return &e->ident;
                break;
        case 20:
                if (memcmp(name, "__REALTIME_TIMESTAMP", 20) == 0)
                        return &e->realtime;
                break;
        }
        return NULL;
}

static int field_append(journal_entry_t *e, buf_t *b, const char *s, size_t n)
{
        int r;

        if (!b || e->oversized)
                return 0;
        r = buf_append(b, s, n);
        if (r == -E2BIG) {
                e->oversized = true;
                return 0;
        }
        return r;
}

static bool parse_u64(const buf_t *b, uint64_t *ret)
{
        uint64_t v = 0;

        if (b->len == 0 || b->len > 19)
                return false;
        for (size_t i = 0; i < b->len; i++) {
                if (b->data[i] < '0' || b->data[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(b->data[i] - '0');
        }
        *ret = v;
        return true;
}

bool journal_entry_to_msg(const journal_entry_t *e, logmsg_t *m)
{
        const buf_t *prog = e->comm.len ? &e->comm : &e->ident;
        const buf_t *pid = e->pid.len ? &e->pid : &e->syslog_pid;
        uint64_t v;

        if (!e->has_message)
                return false;
        m->msg = e->message.data ? e->message.data : "";
        m->len = e->message.len;
        m->prog = prog->data ? prog->data : "";
        m->prog_len = prog->len;
        m->host = e->hostname.data ? e->hostname.data : "";
        m->host_len = e->hostname.len;
        m->pid = 0;
        if (parse_u64(pid, &v) && v > 0 && v < 1u << 30)
                m->pid = (pid_t)v;
        m->time_us = 0;
        if (parse_u64(&e->realtime, &v) && v < (uint64_t)INT64_MAX)
                m->time_us = (int64_t)v;
        return true;
}

/* ---- export format ---- */

enum export_state {
        X_LINE, /* collecting a field line */
        X_SIZE, /* 8 size bytes of a binary field */
        X_DATA, /* the binary field's bytes */
        X_NL,   /* the newline after them */
        X_SKIP, /* malformed: skip to the next empty line */
};

struct journal_export {
        journal_entry_fn fn;
        void *userdata;
        enum export_state state;
        buf_t line;     /* the current field line (name=value) */
        bool line_over; /* the current line passed its cap */
        bool skip_nl;   /* in X_SKIP: the last byte was a newline */
        uint8_t size[8];
        size_t size_got;
        uint64_t left; /* bytes of binary data still to read */
        buf_t *target; /* kept field being filled, or NULL */
        journal_entry_t entry;
        bool in_entry; /* a field was seen since the last entry */
        uint64_t errors;
};

journal_export_t *journal_export_new(journal_entry_fn fn, void *userdata)
{
        journal_export_t *jx = calloc(1, sizeof(*jx));

        if (!jx)
                return NULL;
        jx->fn = fn;
        jx->userdata = userdata;
        /* A field name plus the largest kept value. */
        buf_init(&jx->line, JOURNAL_MESSAGE_MAX + 256);
        journal_entry_init(&jx->entry);
        return jx;
}

void journal_export_free(journal_export_t *jx)
{
        if (!jx)
                return;
        buf_free(&jx->line);
        journal_entry_free(&jx->entry);
        free(jx);
}

uint64_t journal_export_errors(const journal_export_t *jx)
{
        return jx->errors;
}

static int end_entry(journal_export_t *jx)
{
        int r = 0;

        if (jx->in_entry) {
                if (jx->entry.oversized)
                        jx->errors++;
                else
                        r = jx->fn(&jx->entry, jx->userdata);
        }
        journal_entry_reset(&jx->entry);
        jx->in_entry = false;
        return r;
}

static void malformed(journal_export_t *jx)
{
        jx->errors++;
        journal_entry_reset(&jx->entry);
        jx->in_entry = false;
        jx->state = X_SKIP;
        jx->skip_nl = false;
}

/* A complete field line (without its newline). */
static int line_done(journal_export_t *jx)
{
        const char *s = jx->line.data ? jx->line.data : "";
        size_t n = jx->line.len;
        const char *eq;
        int r = 0;

        if (jx->line_over) {
                /* Longer than any kept value: a field vigil does not keep,
                 * or an oversized message. */
                jx->entry.oversized = true;
                jx->in_entry = true;
                goto out;
        }
        if (n == 0) {
                r = end_entry(jx);
                goto out;
        }
        jx->in_entry = true;
        eq = memchr(s, '=', n);
        if (eq) {
                buf_t *b = field_buf(&jx->entry, s, (size_t)(eq - s));
                if (b) {
                        buf_reset(b);
                        r = field_append(&jx->entry, b, eq + 1, n - (size_t)(eq - s) - 1);
                }
        } else {
                /* A binary field: its name, then the size. */
                jx->target = field_buf(&jx->entry, s, n);
                if (jx->target)
                        buf_reset(jx->target);
                jx->state = X_SIZE;
                jx->size_got = 0;
        }
out:
        buf_reset(&jx->line);
        jx->line_over = false;
        return r;
}

int journal_export_feed(journal_export_t *jx, const char *data, size_t n)
{
        size_t i = 0;
        int r;

        while (i < n) {
                switch (jx->state) {
                case X_LINE: {
                        const char *nl = memchr(data + i, '\n', n - i);
                        size_t take = nl ? (size_t)(nl - data) - i : n - i;

                        if (!jx->line_over) {
                                r = buf_append(&jx->line, data + i, take);
                                if (r == -E2BIG)
                                        jx->line_over = true;
                                else if (r < 0)
                                        return r;
                        }
                        i += take;
                        if (nl) {
                                i++;
                                r = line_done(jx);
                                if (r < 0)
                                        return r;
                        }
                        break;
                }
                case X_SIZE:
                        jx->size[jx->size_got++] = (uint8_t)data[i++];
                        if (jx->size_got == 8) {
                                uint64_t v = 0;
                                for (int k = 7; k >= 0; k--)
                                        v = v << 8 | jx->size[k];
                                /* journald caps an entry's data far below
                                 * this; a bigger size is garbage. */
                                if (v > 768 * MiB) {
                                        malformed(jx);
                                        break;
                                }
                                jx->left = v;
                                jx->state = v ? X_DATA : X_NL;
                        }
                        break;
                case X_DATA: {
                        size_t take = (size_t)MIN((uint64_t)(n - i), jx->left);
                        r = field_append(&jx->entry, jx->target, data + i, take);
                        if (r < 0)
                                return r;
                        i += take;
                        jx->left -= take;
                        if (jx->left == 0)
                                jx->state = X_NL;
                        break;
                }
                case X_NL:
                        if (data[i++] != '\n') {
                                malformed(jx);
                                break;
                        }
                        jx->target = NULL;
                        jx->state = X_LINE;
                        break;
                case X_SKIP:
                        /* Until an empty line: "\n\n". */
                        if (data[i] == '\n') {
                                if (jx->skip_nl) {
                                        jx->state = X_LINE;
                                        buf_reset(&jx->line);
                                        jx->line_over = false;
                                }
                                jx->skip_nl = true;
                        } else
                                jx->skip_nl = false;
                        i++;
                        break;
                }
        }
        return 0;
}

int journal_export_finish(journal_export_t *jx)
{
        int r = 0;

        if (jx->state == X_LINE && jx->line.len) {
                r = line_done(jx);
                if (r < 0)
                        return r;
        } else if (jx->state != X_LINE && jx->state != X_SKIP) {
                /* Cut off inside a binary field. */
                jx->errors++;
                journal_entry_reset(&jx->entry);
                jx->in_entry = false;
        }
        r = end_entry(jx);
        jx->state = X_LINE;
        return r;
}

/* ---- JSON lines ---- */

static int json_field(journal_entry_t *e, buf_t *b, json_t *v)
{
        int r = 0;

        buf_reset(b);
        if (json_is_string(v))
                r = field_append(e, b, json_string_value(v), json_string_length(v));
        else if (json_is_array(v)) {
                /* Non-UTF-8 data as an array of byte values; a field seen
                 * more than once as an array of strings (first one kept). */
                size_t i;
                json_t *x;
                json_array_foreach (v, i, x) {
                        if (json_is_integer(x)) {
                                json_int_t c = json_integer_value(x);
                                char ch = (char)(unsigned char)c;
                                if (c < 0 || c > 255)
                                        return -EBADMSG;
                                r = field_append(e, b, &ch, 1);
                        } else if (json_is_string(x) && i == 0) {
                                r = field_append(e, b, json_string_value(x), json_string_length(x));
                                break;
                        } else
                                return -EBADMSG;
                        if (r < 0)
                                return r;
                }
        } else if (json_is_null(v))
                e->oversized = true; /* journalctl writes null for big fields */
        return r;
}

int journal_json_line(const char *line, size_t n, journal_entry_t *e)
{
        json_t *o, *v;
        const char *k;
        int r = 0;

        journal_entry_reset(e);
        if (n > JOURNAL_MESSAGE_MAX * 8)
                return -E2BIG;
        o = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
        if (!o)
                return -EBADMSG;
        if (!json_is_object(o)) {
                json_decref(o);
                return -EBADMSG;
        }
        json_object_foreach (o, k, v) {
                buf_t *b = field_buf(e, k, strlen(k));
                if (b && (r = json_field(e, b, v)) < 0)
                        break;
        }
        json_decref(o);
        if (r < 0)
                return r;
        return e->oversized ? -E2BIG : 0;
}
