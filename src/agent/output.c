#include "agent/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"

#define CONSUMERS_MAX 16

typedef struct jsonl {
        FILE *f;
        bool is_stdout;
        char *name;
} jsonl_t;

typedef struct consumer {
        shipper_t sh;
        char *name;
        int64_t cursor; /* in memory; mirrors the store for persistent ones */
        jsonl_t *jsonl; /* owned when this is a JSON lines writer */
} consumer_t;

struct output {
        astore_t *store;
        consumer_t c[CONSUMERS_MAX];
        size_t n;
};

output_t *output_new(astore_t *s)
{
        output_t *o = calloc(1, sizeof(*o));

        if (o)
                o->store = s;
        return o;
}

void output_free(output_t *o)
{
        if (!o)
                return;
        for (size_t i = 0; i < o->n; i++) {
                jsonl_t *j = o->c[i].jsonl;
                if (j) {
                        if (j->f && !j->is_stdout)
                                fclose(j->f);
                        else if (j->f)
                                fflush(j->f);
                        free(j->name);
                        free(j);
                }
                free(o->c[i].name);
        }
        free(o);
}

int output_add(output_t *o, const shipper_t *sh)
{
        consumer_t *c;
        int64_t cur;
        int r;

        if (!sh || !sh->name || !sh->deliver)
                return -EINVAL;
        for (size_t i = 0; i < o->n; i++)
                if (strcmp(o->c[i].name, sh->name) == 0)
                        return -EEXIST;
        if (o->n >= CONSUMERS_MAX)
                return -E2BIG;
        c = &o->c[o->n];
        memset(c, 0, sizeof(*c));
        c->sh = *sh;
        c->name = strdup(sh->name);
        if (!c->name)
                return -ENOMEM;
        c->sh.name = c->name;
        r = sh->persistent ? astore_consumer_get(o->store, c->name, &cur) : -ENOENT;
        if (r == -ENOENT) {
                /* A new consumer starts with the alerts stored from now on:
                 * the history is in the store for whoever wants it. */
                cur = astore_max_seq(o->store);
                if (sh->persistent && (r = astore_consumer_set(o->store, c->name, cur)) < 0) {
                        free(c->name);
                        return r;
                }
        } else if (r < 0) {
                free(c->name);
                return r;
        }
        c->cursor = cur;
        o->n++;
        return 0;
}

int output_alert_line(const char *json, size_t len, char **ret, size_t *ret_len)
{
        static const char head[] = "{\"kind\":\"alert\"";
        char *s;
        size_t n;
        bool empty;

        if (len < 2 || json[0] != '{' || json[len - 1] != '}')
                return -EINVAL;
        empty = len == 2;
        /* head + ("," unless empty) + members + "}\n" */
        n = STRLEN(head) + (empty ? 0 : 1) + (len - 2) + 2;
        s = malloc(n + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, head, STRLEN(head));
        n = STRLEN(head);
        if (!empty)
                s[n++] = ',';
        memcpy(s + n, json + 1, len - 2);
        n += len - 2;
        s[n++] = '}';
        s[n++] = '\n';
        s[n] = 0;
        *ret = s;
        *ret_len = n;
        return 0;
}

static int jsonl_deliver(void *userdata, int64_t seq, const char *json, size_t len)
{
        jsonl_t *j = userdata;
        _cleanup_free_ char *line = NULL;
        size_t n;
        int r;

        (void)seq;
        if ((r = output_alert_line(json, len, &line, &n)) < 0)
                return r == -EINVAL ? 0 : r; /* a damaged row is skipped */
        if (fwrite(line, 1, n, j->f) != n)
                return -EIO;
        return 0;
}

static int jsonl_flush(void *userdata)
{
        jsonl_t *j = userdata;

        return fflush(j->f) == 0 ? 0 : -EIO;
}

int output_add_jsonl(output_t *o, const char *path)
{
        jsonl_t *j = calloc(1, sizeof(*j));
        shipper_t sh = { .deliver = jsonl_deliver, .flush = jsonl_flush };
        int r;

        if (!j)
                return -ENOMEM;
        j->is_stdout = strcmp(path, "-") == 0;
        j->name = str_printf("jsonl:%s", j->is_stdout ? "stdout" : path);
        if (!j->name) {
                free(j);
                return -ENOMEM;
        }
        if (j->is_stdout)
                j->f = stdout;
        else {
                int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd < 0 || !(j->f = fdopen(fd, "a"))) {
                        r = -errno;
                        if (fd >= 0)
                                close(fd);
                        free(j->name);
                        free(j);
                        return r;
                }
        }
        sh.name = j->name;
        sh.persistent = !j->is_stdout;
        sh.userdata = j;
        r = output_add(o, &sh);
        if (r < 0) {
                if (!j->is_stdout)
                        fclose(j->f);
                free(j->name);
                free(j);
                return r;
        }
        o->c[o->n - 1].jsonl = j;
        return 0;
}

typedef struct pump_ctx {
        consumer_t *c;
        int64_t last;
        bool stopped;
} pump_ctx_t;

static int pump_one(int64_t seq, const char *json, size_t len, void *userdata)
{
        pump_ctx_t *p = userdata;
        int r = p->c->sh.deliver(p->c->sh.userdata, seq, json, len);

        if (r == -EAGAIN) {
                p->stopped = true;
                return -EAGAIN;
        }
        if (r < 0)
                return r;
        p->last = seq;
        return 0;
}

int output_pump(output_t *o, bool *ret_pending)
{
        int first = 0;
        bool pending = false;

        for (size_t i = 0; i < o->n; i++) {
                consumer_t *c = &o->c[i];
                for (;;) {
                        pump_ctx_t p = { .c = c, .last = c->cursor };
                        int64_t before = c->cursor;
                        int r = astore_alerts_after(o->store, c->cursor, OUTPUT_BATCH, pump_one, &p,
                                                    NULL);
                        if (r == -EAGAIN)
                                r = 0;
                        if (p.last != c->cursor) {
                                int k = c->sh.flush ? c->sh.flush(c->sh.userdata) : 0;
                                if (k < 0 && r == 0)
                                        r = k;
                                if (k == 0) {
                                        if (c->sh.persistent)
                                                k = astore_consumer_set(o->store, c->name, p.last);
                                        if (k == 0)
                                                c->cursor = p.last;
                                        else if (r == 0)
                                                r = k;
                                }
                        }
                        if (r < 0) {
                                if (!first)
                                        first = r;
                                pending = true;
                                break;
                        }
                        if (p.stopped) {
                                pending = true;
                                break;
                        }
                        /* A batch that moved the cursor may have more behind it. */
                        if (c->cursor == before)
                                break;
                }
        }
        if (ret_pending)
                *ret_pending = pending;
        return first;
}

int output_note(output_t *o, json_t *obj)
{
        _cleanup_free_ char *s = json_dumps(obj, JSON_COMPACT);
        int r = 0;

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < o->n; i++) {
                jsonl_t *j = o->c[i].jsonl;
                if (!j)
                        continue;
                if (fputs(s, j->f) < 0 || fputc('\n', j->f) == EOF || fflush(j->f) != 0)
                        r = -EIO;
        }
        return r;
}
