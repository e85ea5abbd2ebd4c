#include "scan/baseline/eval.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/text.h"
#include "core/walk.h"
#include "inventory/host/proc.h"
#include "scan/baseline/cmdexec.h"

struct eval_file {
        char *path;
        char *data; /* NULL when the read failed */
        size_t len;
        int err;
};

struct eval_cmd {
        char *command;
        char *output; /* NULL when the command could not run */
        size_t len;
        int err;
        int status;
};

void eval_evidence_clear(eval_evidence_t *ev)
{
        free(ev->path);
        free(ev->text);
        free(ev->reason);
        memset(ev, 0, sizeof(*ev));
}

void eval_outcome_clear(eval_outcome_t *o)
{
        eval_evidence_clear(&o->ev);
        o->rule = -1;
}

const char *eval_result_name(eval_result_t r)
{
        return r == EVAL_PASSED ? "passed" : r == EVAL_FAILED ? "failed" : "not applicable";
}

void eval_ctx_init(eval_ctx_t *ctx, const rootfs_t *root)
{
        memset(ctx, 0, sizeof(*ctx));
        ctx->root = root;
        ctx->command_timeout_ms = CMDEXEC_DEFAULT_TIMEOUT_MS;
        ctx->procs_err = 1;
        ctx->sshd_err = 1;
}

void eval_ctx_clear(eval_ctx_t *ctx)
{
        for (size_t i = 0; i < ctx->n_files; i++) {
                free(ctx->files[i].path);
                free(ctx->files[i].data);
        }
        free(ctx->files);
        for (size_t i = 0; i < ctx->n_cmds; i++) {
                free(ctx->cmds[i].command);
                free(ctx->cmds[i].output);
        }
        free(ctx->cmds);
        if (ctx->procs) {
                proc_list_clear(ctx->procs);
                free(ctx->procs);
        }
        sshdcfg_clear(&ctx->sshd);
        sysctlcfg_clear(&ctx->sysctl);
        memset(ctx, 0, sizeof(*ctx));
}

/* A copy of N bytes of S fit for evidence: at most EVAL_MAX_EVIDENCE bytes,
 * NUL and other control bytes shown as '?', tabs as spaces. */
static char *clean_text(const char *s, size_t n)
{
        char *t;

        if (n > EVAL_MAX_EVIDENCE)
                n = EVAL_MAX_EVIDENCE;
        if (!(t = malloc(n + 1)))
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                t[i] = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        t[n] = 0;
        return t;
}

/* Replace the evidence with PATH/LINE/TEXT/REASON (each may be NULL). */
static int ev_set(eval_evidence_t *ev, const char *path, unsigned long line, const char *text,
                  size_t tlen, const char *reason)
{
        eval_evidence_clear(ev);
        if (path && !(ev->path = clean_text(path, strlen(path))))
                return -ENOMEM;
        if (text && !(ev->text = clean_text(text, tlen)))
                return -ENOMEM;
        if (reason && !(ev->reason = strdup(reason)))
                return -ENOMEM;
        ev->line = line;
        return 0;
}

static int ev_setf(eval_evidence_t *ev, const char *path, const char *fmt, ...) _printf_(3, 4);
static int ev_setf(eval_evidence_t *ev, const char *path, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return ev_set(ev, path, 0, NULL, 0, msg);
}

/* The content of PATH inside the root. *DATA is borrowed from the cache, or
 * owned by *OWNED when the cache is full (caller frees *OWNED). Returns 0 or
 * the negative errno of the read (cached as well). */
static int file_get(eval_ctx_t *ctx, const char *path, const char **data, size_t *len, char **owned)
{
        struct eval_file *f;
        char *buf = NULL;
        size_t n = 0;
        int r;

        *owned = NULL;
        for (size_t i = 0; i < ctx->n_files; i++)
                if (strcmp(ctx->files[i].path, path) == 0) {
                        f = &ctx->files[i];
                        *data = f->data;
                        *len = f->len;
                        return f->err;
                }
        r = rootfs_read_file(ctx->root, path, EVAL_MAX_FILE, &buf, &n);
        if (r == -ENOMEM)
                return r;
        ctx->files_read++;
        if (r == 0 && ctx->cached_bytes + n > EVAL_MAX_CACHE) {
                *data = *owned = buf;
                *len = n;
                return 0;
        }
        if (ctx->n_files == ctx->cap_files) {
                size_t cap = ctx->cap_files ? ctx->cap_files * 2 : 32;
                struct eval_file *v = realloc(ctx->files, cap * sizeof(*v));
                if (!v) {
                        free(buf);
                        return -ENOMEM;
                }
                ctx->files = v;
                ctx->cap_files = cap;
        }
        f = &ctx->files[ctx->n_files];
        if (!(f->path = strdup(path))) {
                free(buf);
                return -ENOMEM;
        }
        f->data = buf;
        f->len = n;
        f->err = r;
        ctx->n_files++;
        ctx->cached_bytes += n;
        *data = buf;
        *len = n;
        return r;
}

/* Find the first line of DATA that satisfies R's tests. Lines end at '\n';
 * a trailing '\r' is not part of the line; a final line without newline
 * counts. */
static bool find_line(const rule_t *r, const char *data, size_t len, unsigned long *ret_line,
                      const char **ret_text, size_t *ret_tlen)
{
        size_t pos = 0;
        unsigned long lineno = 0;

        while (pos < len) {
                const char *line = data + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;

                pos += n + 1;
                lineno++;
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                if (rule_match_line(r, line, n)) {
                        *ret_line = lineno;
                        *ret_text = line;
                        *ret_tlen = n;
                        return true;
                }
        }
        return false;
}

static bool missing_errno(int e)
{
        return e == -ENOENT || e == -ENOTDIR;
}

/* One file of an f: rule (or a file found by a d: rule): existence when the
 * rule has no tests, otherwise content. */
static int check_file(eval_ctx_t *ctx, const rule_t *r, const char *path, eval_evidence_t *ev)
{
        _cleanup_free_ char *owned = NULL;
        const char *data, *text;
        unsigned long line;
        size_t len, tlen;
        struct stat st;
        int e;

        e = rootfs_stat(ctx->root, path, true, &st);
        if (missing_errno(e)) {
                /* Wazuh: a missing file is "not found" for an existence test
                 * but makes a content test impossible ("invalid"). */
                int rc = ev_setf(ev, path, "%s does not exist", path);
                return rc < 0                                 ? rc
                       : r->n_tests && !ctx->missing_no_match ? EVAL_INVALID
                                                              : EVAL_NOT_FOUND;
        }
        if (e < 0) {
                int rc = ev_setf(ev, path, "cannot open %s: %s", path, strerror(-e));
                return rc < 0 ? rc : EVAL_INVALID;
        }
        if (!S_ISREG(st.st_mode)) {
                int rc = ev_setf(ev, path, "%s is not a regular file", path);
                return rc < 0 ? rc : EVAL_INVALID;
        }
        if (r->n_tests == 0) {
                int rc = ev_set(ev, path, 0, NULL, 0, NULL);
                return rc < 0 ? rc : EVAL_FOUND;
        }
        e = file_get(ctx, path, &data, &len, &owned);
        if (e == -ENOMEM)
                return e;
        if (e < 0) {
                int rc = e == -EFBIG ? ev_setf(ev, path, "%s is larger than %zu MiB, not read",
                                               path, EVAL_MAX_FILE / MiB)
                                     : ev_setf(ev, path, "cannot read %s: %s", path, strerror(-e));
                return rc < 0 ? rc : EVAL_INVALID;
        }
        if (find_line(r, data, len, &line, &text, &tlen)) {
                int rc = ev_set(ev, path, line, text, tlen, NULL);
                return rc < 0 ? rc : EVAL_FOUND;
        }
        e = ev_setf(ev, path, "no line of %s matches", path);
        return e < 0 ? e : EVAL_NOT_FOUND;
}

/* Combine per-item results of a list the way Wazuh does: the first "found"
 * ends the list; otherwise "invalid" if any item was invalid. The evidence
 * kept is that of the found item, else of the first invalid one, else of the
 * last one examined. */
struct acc {
        int status;
        eval_evidence_t keep;
        bool have_invalid;
};

static void acc_init(struct acc *a)
{
        memset(a, 0, sizeof(*a));
        a->status = EVAL_NOT_FOUND;
}

static void acc_add(struct acc *a, int status, eval_evidence_t *ev)
{
        if (status == EVAL_FOUND) {
                a->status = EVAL_FOUND;
                eval_evidence_clear(&a->keep);
                a->keep = *ev;
                memset(ev, 0, sizeof(*ev));
                return;
        }
        if (status == EVAL_INVALID) {
                a->status = EVAL_INVALID;
                if (a->have_invalid) {
                        eval_evidence_clear(ev);
                        return;
                }
                a->have_invalid = true;
        } else if (a->have_invalid) {
                eval_evidence_clear(ev);
                return;
        }
        eval_evidence_clear(&a->keep);
        a->keep = *ev;
        memset(ev, 0, sizeof(*ev));
}

static int eval_files(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        struct acc a;

        acc_init(&a);
        for (size_t i = 0; i < r->targets.n && a.status != EVAL_FOUND; i++) {
                eval_evidence_t one = { 0 };
                int s = check_file(ctx, r, r->targets.v[i], &one);
                if (s < 0) {
                        eval_evidence_clear(&one);
                        eval_evidence_clear(&a.keep);
                        return s;
                }
                acc_add(&a, s, &one);
        }
        eval_evidence_clear(ev);
        *ev = a.keep;
        return a.status;
}

struct dirwalk {
        eval_ctx_t *ctx;
        const rule_t *r;
        struct acc acc;
        int err;
};

static int dir_entry(const walk_entry_t *e, void *userdata)
{
        struct dirwalk *w = userdata;
        eval_evidence_t one = { 0 };
        int s;

        if (S_ISDIR(e->st->st_mode))
                return WALK_CONTINUE;
        if (!rule_test_line(w->r->name, e->name, strlen(e->name)))
                return WALK_CONTINUE;
        s = check_file(w->ctx, w->r, e->path, &one);
        if (s < 0) {
                eval_evidence_clear(&one);
                return s;
        }
        acc_add(&w->acc, s, &one);
        return w->acc.status == EVAL_FOUND ? WALK_STOP : WALK_CONTINUE;
}

static void dir_error(const char *path, int err, void *userdata)
{
        struct dirwalk *w = userdata;
        eval_evidence_t one = { 0 };

        if (ev_setf(&one, path, "cannot read %s: %s", path, strerror(-err)) < 0) {
                w->err = -ENOMEM;
                return;
        }
        acc_add(&w->acc, EVAL_INVALID, &one);
}

static int eval_dirs(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        struct acc a;

        acc_init(&a);
        for (size_t i = 0; i < r->targets.n && a.status != EVAL_FOUND; i++) {
                const char *dir = r->targets.v[i];
                eval_evidence_t one = { 0 };
                struct stat st;
                int e = rootfs_stat(ctx->root, dir, true, &st), s, rc = 0;

                if (e == 0 && S_ISDIR(st.st_mode) && !r->name) {
                        s = EVAL_FOUND;
                        rc = ev_set(&one, dir, 0, NULL, 0, NULL);
                } else if (missing_errno(e)) {
                        s = r->name && !ctx->missing_no_match ? EVAL_INVALID : EVAL_NOT_FOUND;
                        rc = ev_setf(&one, dir, "%s does not exist", dir);
                } else if (e < 0) {
                        s = EVAL_INVALID;
                        rc = ev_setf(&one, dir, "cannot open %s: %s", dir, strerror(-e));
                } else if (!S_ISDIR(st.st_mode)) {
                        s = EVAL_INVALID;
                        rc = ev_setf(&one, dir, "%s is not a directory", dir);
                } else {
                        struct dirwalk w = { .ctx = ctx, .r = r };
                        walk_opts_t opts = {
                                .max_depth = EVAL_MAX_DIR_DEPTH,
                                .max_entries = EVAL_MAX_DIR_ITEMS,
                                .on_error = dir_error,
                        };
                        acc_init(&w.acc);
                        e = walk_tree(ctx->root, dir, &opts, dir_entry, &w, NULL);
                        if (e == -ENOMEM || w.err == -ENOMEM) {
                                eval_evidence_clear(&w.acc.keep);
                                eval_evidence_clear(&a.keep);
                                return -ENOMEM;
                        }
                        if (e < 0 && w.acc.status != EVAL_INVALID) {
                                eval_evidence_clear(&w.acc.keep);
                                w.acc.status = EVAL_INVALID;
                                rc = ev_setf(&w.acc.keep, dir, "cannot read %s: %s", dir,
                                             strerror(-e));
                        } else if (w.acc.status == EVAL_NOT_FOUND && !w.acc.keep.path)
                                rc = ev_setf(&w.acc.keep, dir, "no file in %s matches '%s'", dir,
                                             r->name->text);
                        s = w.acc.status;
                        one = w.acc.keep;
                }
                if (rc < 0) {
                        eval_evidence_clear(&one);
                        eval_evidence_clear(&a.keep);
                        return rc;
                }
                acc_add(&a, s, &one);
        }
        eval_evidence_clear(ev);
        *ev = a.keep;
        return a.status;
}

static int eval_command(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        struct eval_cmd *c = NULL;
        const char *text;
        unsigned long line;
        size_t tlen;
        int e;

        if (!ctx->root->is_host) {
                e = ev_setf(ev, r->target, "commands do not run when scanning an image (--root)");
                return e < 0 ? e : EVAL_INVALID;
        }
        if (!ctx->allow_commands) {
                e = ev_setf(ev, r->target,
                            "command rules are not allowed for this policy (needs "
                            "baseline.allow_commands: true and a root-owned policy file that is "
                            "not group- or world-writable)");
                return e < 0 ? e : EVAL_INVALID;
        }
        if (r->n_tests == 0) {
                /* Wazuh does not run a command that has nothing to test. */
                e = ev_set(ev, r->target, 0, NULL, 0, NULL);
                return e < 0 ? e : EVAL_FOUND;
        }
        for (size_t i = 0; i < ctx->n_cmds; i++)
                if (strcmp(ctx->cmds[i].command, r->target) == 0)
                        c = &ctx->cmds[i];
        if (!c) {
                _cleanup_(strv_clear) strv_t argv = { 0 };
                cmdexec_opts_t opts = { .timeout_ms = ctx->command_timeout_ms };

                if (ctx->n_cmds == ctx->cap_cmds) {
                        size_t cap = ctx->cap_cmds ? ctx->cap_cmds * 2 : 16;
                        struct eval_cmd *v = realloc(ctx->cmds, cap * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        ctx->cmds = v;
                        ctx->cap_cmds = cap;
                }
                c = &ctx->cmds[ctx->n_cmds];
                memset(c, 0, sizeof(*c));
                if (!(c->command = strdup(r->target)))
                        return -ENOMEM;
                ctx->n_cmds++;
                c->err = cmdexec_split(r->target, &argv);
                if (c->err == 0) {
                        c->err = cmdexec_run(argv.v, &opts, &c->output, &c->len, &c->status);
                        ctx->commands_run++;
                }
                if (c->err == -ENOMEM)
                        return -ENOMEM;
        }
        if (c->err < 0) {
                const char *why = c->err == -ETIMEDOUT ? "it did not finish in time"
                                  : c->err == -E2BIG   ? "its output is over the cap"
                                  : c->err == -ENOENT  ? "no such program"
                                  : c->err == -EINVAL  ? "it cannot be split into words"
                                                       : strerror(-c->err);
                e = ev_setf(ev, r->target, "cannot run '%s': %s", r->target, why);
                return e < 0 ? e : EVAL_INVALID;
        }
        if (find_line(r, c->output, c->len, &line, &text, &tlen)) {
                e = ev_set(ev, r->target, line, text, tlen, NULL);
                return e < 0 ? e : EVAL_FOUND;
        }
        e = ev_setf(ev, r->target, "no line of the output of '%s' matches", r->target);
        return e < 0 ? e : EVAL_NOT_FOUND;
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static bool proc_matches(const rule_t *r, const proc_info_t *p)
{
        const char *cand[5] = { p->comm, p->exe, p->exe ? base_name(p->exe) : NULL, NULL, NULL };
        _cleanup_free_ char *argv0 = NULL, *full = NULL;

        if (p->cmdline && p->cmdline_len) {
                argv0 = str_ndup(p->cmdline, strnlen(p->cmdline, p->cmdline_len));
                cand[3] = argv0 ? base_name(argv0) : NULL;
                full = proc_cmdline_string(p);
                cand[4] = full;
        }
        for (size_t i = 0; i < ELEMENTSOF(cand); i++)
                if (cand[i] && rule_match_line(r, cand[i], strlen(cand[i])))
                        return true;
        return argv0 && rule_match_line(r, argv0, strlen(argv0));
}

static int eval_process(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        int e;

        if (!ctx->root->is_host) {
                e = ev_setf(ev, r->target,
                            "the process list is not available when scanning an image (--root)");
                return e < 0 ? e : EVAL_INVALID;
        }
        if (ctx->procs_err == 1) {
                if (!(ctx->procs = calloc(1, sizeof(*ctx->procs))))
                        return -ENOMEM;
                ctx->procs_err = proc_list_read(ctx->procs);
                if (ctx->procs_err == -ENOMEM)
                        return -ENOMEM;
        }
        if (ctx->procs_err < 0) {
                e = ev_setf(ev, r->target, "cannot read the process list: %s",
                            strerror(-ctx->procs_err));
                return e < 0 ? e : EVAL_INVALID;
        }
        for (size_t i = 0; i < ctx->procs->n; i++) {
                const proc_info_t *p = &ctx->procs->v[i];
                if (proc_matches(r, p)) {
                        char where[64];
                        snprintf(where, sizeof(where), "pid %d", (int)p->pid);
                        e = ev_set(ev, where, 0, p->comm ? p->comm : "",
                                   p->comm ? strlen(p->comm) : 0, NULL);
                        return e < 0 ? e : EVAL_FOUND;
                }
        }
        e = ev_setf(ev, NULL, "no running process matches '%s'", r->target);
        return e < 0 ? e : EVAL_NOT_FOUND;
}

/* The name of ID in the root's passwd or group file (FILE), or NULL. */
static const char *id_name(eval_ctx_t *ctx, const char *file, unsigned long id, char *buf,
                           size_t size)
{
        _cleanup_free_ char *owned = NULL;
        const char *data;
        size_t len, pos = 0;

        if (file_get(ctx, file, &data, &len, &owned) < 0)
                return NULL;
        while (pos < len) {
                const char *line = data + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                const char *c1 = memchr(line, ':', n), *c2, *c3;

                pos += n + 1;
                if (!c1 || !(c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line))))
                        continue;
                c3 = memchr(c2 + 1, ':', n - (size_t)(c2 + 1 - line));
                if (!c3)
                        c3 = line + n;
                char num[24];
                size_t nl2 = (size_t)(c3 - c2 - 1);
                if (nl2 == 0 || nl2 >= sizeof(num))
                        continue;
                memcpy(num, c2 + 1, nl2);
                num[nl2] = 0;
                unsigned long long v;
                if (str_to_u64(num, &v) < 0 || v != id)
                        continue;
                if ((size_t)(c1 - line) >= size)
                        continue;
                memcpy(buf, line, (size_t)(c1 - line));
                buf[c1 - line] = 0;
                return buf;
        }
        return NULL;
}

static bool cmp_op(rule_op_t op, long long a, long long b)
{
        switch (op) {
        case RULE_OP_LT:
                return a < b;
        case RULE_OP_LE:
                return a <= b;
        case RULE_OP_EQ:
                return a == b;
        case RULE_OP_NE:
                return a != b;
        case RULE_OP_GE:
                return a >= b;
        case RULE_OP_GT:
                return a > b;
        }
        return false;
}

static bool stat_test(eval_ctx_t *ctx, const rule_test_t *t, const struct stat *st)
{
        long long mode = st->st_mode & 07777;
        char name[256];
        const char *n;
        bool ok = false;

        switch (t->field) {
        case RULE_STAT_MODE:
                /* "<=" and ">=" compare as sets of permission bits: 0640 is
                 * not "<= 0604" even though it is numerically smaller. */
                switch (t->op) {
                case RULE_OP_LE:
                        ok = (mode & ~t->value) == 0;
                        break;
                case RULE_OP_LT:
                        ok = (mode & ~t->value) == 0 && mode != t->value;
                        break;
                case RULE_OP_GE:
                        ok = (t->value & ~mode) == 0;
                        break;
                case RULE_OP_GT:
                        ok = (t->value & ~mode) == 0 && mode != t->value;
                        break;
                default:
                        ok = cmp_op(t->op, mode, t->value);
                }
                break;
        case RULE_STAT_UID:
                ok = cmp_op(t->op, (long long)st->st_uid, t->value);
                break;
        case RULE_STAT_GID:
                ok = cmp_op(t->op, (long long)st->st_gid, t->value);
                break;
        case RULE_STAT_USER:
        case RULE_STAT_GROUP:
                n = t->field == RULE_STAT_USER
                            ? id_name(ctx, "/etc/passwd", st->st_uid, name, sizeof(name))
                            : id_name(ctx, "/etc/group", st->st_gid, name, sizeof(name));
                if (!n) {
                        snprintf(name, sizeof(name), "%lu",
                                 (unsigned long)(t->field == RULE_STAT_USER ? st->st_uid
                                                                            : st->st_gid));
                        n = name;
                }
                ok = strv_contains(&t->names, n);
                if (t->op == RULE_OP_NE)
                        ok = !ok;
                break;
        }
        return ok != t->negate;
}

static int eval_stat(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        bool any = false;
        int e;

        for (size_t i = 0; i < r->targets.n; i++) {
                const char *path = r->targets.v[i];
                struct stat st;
                char desc[128];

                e = rootfs_stat(ctx->root, path, true, &st);
                if (missing_errno(e))
                        continue;
                if (e < 0) {
                        e = ev_setf(ev, path, "cannot open %s: %s", path, strerror(-e));
                        return e < 0 ? e : EVAL_INVALID;
                }
                any = true;
                snprintf(desc, sizeof(desc), "mode %04o uid %lu gid %lu",
                         (unsigned)(st.st_mode & 07777), (unsigned long)st.st_uid,
                         (unsigned long)st.st_gid);
                for (size_t k = 0; k < r->n_tests; k++)
                        if (!stat_test(ctx, &r->tests[k], &st)) {
                                e = ev_set(ev, path, 0, desc, strlen(desc), NULL);
                                return e < 0 ? e : EVAL_NOT_FOUND;
                        }
                if ((e = ev_set(ev, path, 0, desc, strlen(desc), NULL)) < 0)
                        return e;
        }
        if (!any) {
                e = ev_setf(ev, r->targets.v[0], "%s does not exist", r->target);
                return e < 0 ? e : ctx->missing_no_match ? EVAL_NOT_FOUND : EVAL_INVALID;
        }
        return EVAL_FOUND;
}

static int eval_sysctl(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        _cleanup_free_ char *value = NULL, *source = NULL, *shown = NULL;
        int e = sysctlcfg_get(ctx->root, &ctx->sysctl, r->target, &value, &source);

        if (e == -ENOMEM)
                return e;
        if (e == -ENOENT && !ctx->root->is_host) {
                e = ev_setf(ev, "/etc/sysctl.conf",
                            "%s is not set in the image's sysctl configuration", r->target);
                return e < 0 ? e : EVAL_NOT_FOUND;
        }
        if (e < 0) {
                e = ev_setf(ev, r->target, "the kernel has no parameter %s", r->target);
                return e < 0 ? e : EVAL_INVALID;
        }
        if (!(shown = str_printf("%s = %s", r->target, value)))
                return -ENOMEM;
        e = ev_set(ev, source, 0, shown, strlen(shown), NULL);
        if (e < 0)
                return e;
        return rule_match_line(r, value, strlen(value)) ? EVAL_FOUND : EVAL_NOT_FOUND;
}

static int eval_sshd(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        const sshdcfg_entry_t *en;
        const char *value;
        _cleanup_free_ char *shown = NULL;
        int e;

        if (ctx->sshd_err == 1) {
                ctx->sshd_err = sshdcfg_read(ctx->root, NULL, &ctx->sshd);
                if (ctx->sshd_err == -ENOMEM)
                        return -ENOMEM;
        }
        if (ctx->sshd_err == -ENOENT) {
                e = ev_setf(ev, SSHDCFG_PATH,
                            "the OpenSSH server is not configured (%s does not exist)",
                            SSHDCFG_PATH);
                return e < 0 ? e : EVAL_INVALID;
        }
        if (ctx->sshd_err < 0) {
                e = ev_setf(ev, SSHDCFG_PATH, "cannot read %s: %s", SSHDCFG_PATH,
                            strerror(-ctx->sshd_err));
                return e < 0 ? e : EVAL_INVALID;
        }
        en = sshdcfg_get(&ctx->sshd, r->target);
        value = en ? en->value : sshdcfg_default(r->target);
        if (!value) {
                e = ev_setf(ev, SSHDCFG_PATH, "%s is not set and has no known default", r->target);
                return e < 0 ? e : EVAL_NOT_FOUND;
        }
        if (!(shown = str_printf("%s %s%s", en ? en->keyword : r->target, value,
                                 en ? "" : " (not set; OpenSSH default)")))
                return -ENOMEM;
        e = ev_set(ev, en ? en->file : SSHDCFG_PATH, en ? en->line : 0, shown, strlen(shown), NULL);
        if (e < 0)
                return e;
        return rule_match_line(r, value, strlen(value)) ? EVAL_FOUND : EVAL_NOT_FOUND;
}

struct field_ref {
        const char *v; /* into the file data */
        size_t n;
        unsigned long line;
        const char *text;
        size_t tlen;
};

static int cmp_field(const void *a, const void *b)
{
        const struct field_ref *x = a, *y = b;
        size_t n = MIN(x->n, y->n);
        int c = memcmp(x->v, y->v, n);
        if (c)
                return c;
        if (x->n != y->n)
                return x->n < y->n ? -1 : 1;
        return x->line < y->line ? -1 : x->line > y->line;
}

/* x:duplicate_*: FOUND when two entries of FILE share field FIELD. */
static int eval_duplicates(eval_ctx_t *ctx, const char *file, unsigned field, const char *what,
                           eval_evidence_t *ev)
{
        _cleanup_free_ char *owned = NULL;
        _cleanup_free_ struct field_ref *refs = NULL;
        size_t len, pos = 0, n = 0, cap = 0;
        unsigned long lineno = 0;
        const char *data;
        int e = file_get(ctx, file, &data, &len, &owned);

        if (e == -ENOMEM)
                return e;
        if (e < 0) {
                e = ev_setf(ev, file, "cannot read %s: %s", file, strerror(-e));
                return e < 0 ? e : EVAL_INVALID;
        }
        while (pos < len) {
                const char *line = data + pos, *nl = memchr(line, '\n', len - pos);
                size_t ln = nl ? (size_t)(nl - line) : len - pos;
                const char *f = line, *end = line + ln;

                pos += ln + 1;
                lineno++;
                /* Comments, blank lines and NIS "+"/"-" entries are skipped. */
                if (ln == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-')
                        continue;
                for (unsigned k = 0; k < field && f; k++) {
                        f = memchr(f, ':', (size_t)(end - f));
                        f = f ? f + 1 : NULL;
                }
                if (!f)
                        continue;
                const char *fe = memchr(f, ':', (size_t)(end - f));
                if (!fe)
                        fe = end;
                if (n == cap) {
                        size_t nc = cap ? cap * 2 : 256;
                        struct field_ref *v = realloc(refs, nc * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        refs = v;
                        cap = nc;
                }
                refs[n++] = (struct field_ref){ f, (size_t)(fe - f), lineno, line, ln };
        }
        if (n > 1)
                qsort(refs, n, sizeof(*refs), cmp_field);
        for (size_t i = 1; i < n; i++)
                if (refs[i].n == refs[i - 1].n &&
                    memcmp(refs[i].v, refs[i - 1].v, refs[i].n) == 0) {
                        char msg[200], val[64];
                        size_t vn = MIN(refs[i].n, sizeof(val) - 1);
                        memcpy(val, refs[i].v, vn);
                        val[vn] = 0;
                        snprintf(msg, sizeof(msg), "%s %s is used again (first at line %lu)", what,
                                 val, refs[i - 1].line);
                        e = ev_set(ev, file, refs[i].line, refs[i].text, refs[i].tlen, msg);
                        return e < 0 ? e : EVAL_FOUND;
                }
        e = ev_setf(ev, file, "every %s in %s is unique", what, file);
        return e < 0 ? e : EVAL_NOT_FOUND;
}

static int eval_builtin(eval_ctx_t *ctx, const rule_t *r, eval_evidence_t *ev)
{
        if (strcmp(r->target, "duplicate_uids") == 0)
                return eval_duplicates(ctx, "/etc/passwd", 2, "uid", ev);
        if (strcmp(r->target, "duplicate_gids") == 0)
                return eval_duplicates(ctx, "/etc/group", 2, "gid", ev);
        if (strcmp(r->target, "duplicate_user_names") == 0)
                return eval_duplicates(ctx, "/etc/passwd", 0, "user name", ev);
        if (strcmp(r->target, "duplicate_group_names") == 0)
                return eval_duplicates(ctx, "/etc/group", 0, "group name", ev);
        return ev_setf(ev, NULL, "unknown built-in check %s", r->target) < 0 ? -ENOMEM
                                                                             : EVAL_INVALID;
}

int eval_rule(eval_ctx_t *ctx, const rule_t *rule, eval_evidence_t *ev)
{
        int s;

        switch (rule->type) {
        case RULE_FILE:
                s = eval_files(ctx, rule, ev);
                break;
        case RULE_DIR:
                s = eval_dirs(ctx, rule, ev);
                break;
        case RULE_COMMAND:
                s = eval_command(ctx, rule, ev);
                break;
        case RULE_PROCESS:
                s = eval_process(ctx, rule, ev);
                break;
        case RULE_STAT:
                s = eval_stat(ctx, rule, ev);
                break;
        case RULE_SYSCTL:
                s = eval_sysctl(ctx, rule, ev);
                break;
        case RULE_SSHD:
                s = eval_sshd(ctx, rule, ev);
                break;
        case RULE_BUILTIN:
                s = eval_builtin(ctx, rule, ev);
                break;
        case RULE_REGISTRY:
        default:
                s = ev_setf(ev, rule->target, "registry rules apply to Windows only") < 0
                            ? -ENOMEM
                            : EVAL_INVALID;
                break;
        }
        if (s >= 0 && s != EVAL_INVALID && rule->negate)
                s = s == EVAL_FOUND ? EVAL_NOT_FOUND : EVAL_FOUND;
        return s;
}

int eval_check(eval_ctx_t *ctx, const policy_check_t *check, eval_outcome_t *out)
{
        int g = check->condition == POLICY_ALL ? EVAL_FOUND : EVAL_NOT_FOUND;
        long decided = -1, first_invalid = -1, last = -1;
        eval_evidence_t invalid_ev = { 0 }, first_ev = { 0 }, last_ev = { 0 };

        memset(out, 0, sizeof(*out));
        out->rule = -1;
        ctx->missing_no_match = check->missing_no_match;
        for (size_t i = 0; i < check->n_rules; i++) {
                eval_evidence_t ev = { 0 };
                int s = eval_rule(ctx, check->rules[i], &ev);

                if (s < 0) {
                        eval_evidence_clear(&ev);
                        eval_evidence_clear(&invalid_ev);
                        eval_evidence_clear(&first_ev);
                        eval_evidence_clear(&last_ev);
                        return s;
                }
                if ((check->condition == POLICY_ALL && s == EVAL_NOT_FOUND) ||
                    (check->condition != POLICY_ALL && s == EVAL_FOUND)) {
                        g = s;
                        decided = (long)i;
                        out->ev = ev;
                        break;
                }
                if (s == EVAL_INVALID) {
                        g = EVAL_INVALID;
                        if (first_invalid < 0) {
                                first_invalid = (long)i;
                                invalid_ev = ev;
                                continue;
                        }
                } else if (i == 0 && check->condition == POLICY_ANY) {
                        /* An "any" check that fails is explained by its
                         * first rule. */
                        first_ev = ev;
                        continue;
                }
                /* A check that passes without a deciding rule is explained
                 * by the last rule it evaluated. */
                eval_evidence_clear(&last_ev);
                last_ev = ev;
                last = (long)i;
        }
        if (check->condition == POLICY_NONE && g != EVAL_INVALID)
                g = g == EVAL_FOUND ? EVAL_NOT_FOUND : EVAL_FOUND;

        if (g == EVAL_INVALID) {
                eval_evidence_clear(&out->ev);
                out->result = EVAL_NOT_APPLICABLE;
                out->rule = first_invalid;
                out->ev = invalid_ev;
                eval_evidence_clear(&first_ev);
                eval_evidence_clear(&last_ev);
                return 0;
        }
        eval_evidence_clear(&invalid_ev);
        out->result = g == EVAL_FOUND ? EVAL_PASSED : EVAL_FAILED;
        if (decided >= 0)
                out->rule = decided;
        else if (out->result == EVAL_FAILED) {
                /* only an "any" check fails without a deciding rule */
                out->rule = 0;
                out->ev = first_ev;
                memset(&first_ev, 0, sizeof(first_ev));
        } else if (last >= 0) {
                out->rule = last;
                out->ev = last_ev;
                memset(&last_ev, 0, sizeof(last_ev));
        }
        eval_evidence_clear(&first_ev);
        eval_evidence_clear(&last_ev);
        return 0;
}
