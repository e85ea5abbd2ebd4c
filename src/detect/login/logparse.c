#include "detect/login/logparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/login/dbauth.h"
#include "detect/login/ftp.h"
#include "detect/login/pam.h"
#include "detect/login/pidtab.h"
#include "detect/login/privesc.h"
#include "detect/login/sshd.h"
#include "detect/login/syslog.h"

/* Invariant: PIDS is NULL until a parser first needs correlation, then
 * stays (or stays NULL when that allocation failed: correlation is then
 * off, which is safe). */
struct logparse_ctx {
        syslog_clock_t clock;
        char service[LOGEVENT_SERVICE_MAX]; /* "" when header-less lines are not read */
        pidtab_t *pids;
        bool pids_failed;
        logparse_stats_t stats;
};

logparse_ctx_t *logparse_new(const logparse_opts_t *opts)
{
        logparse_ctx_t *c = calloc(1, sizeof(*c));
        logparse_opts_t def = { 0 };

        if (!c)
                return NULL;
        if (!opts)
                opts = &def;
        syslog_clock_init(&c->clock, opts->ref_time_us, opts->year, opts->utc);
        if (opts->service)
                snprintf(c->service, sizeof(c->service), "%s", opts->service);
        return c;
}

void logparse_free(logparse_ctx_t *ctx)
{
        if (!ctx)
                return;
        free(ctx->pids);
        free(ctx);
}

void logparse_reset(logparse_ctx_t *ctx, int64_t ref_time_us)
{
        syslog_clock_init(&ctx->clock, ref_time_us, ctx->clock.fixed_year, ctx->clock.utc);
        if (ctx->pids)
                pidtab_clear(ctx->pids);
}

const logparse_stats_t *logparse_stats(const logparse_ctx_t *ctx)
{
        return &ctx->stats;
}

static pidtab_t *pids_of(logparse_ctx_t *ctx)
{
        if (!ctx->pids && !ctx->pids_failed) {
                ctx->pids = pidtab_new();
                ctx->pids_failed = !ctx->pids;
        }
        return ctx->pids;
}

/* Programs whose messages may be login events even when not recognised
 * (they count as unmatched, for rule debugging). */
static bool login_prog(const logmsg_t *m)
{
        return sshd_is_prog(m->prog, m->prog_len) || privesc_is_prog(m->prog, m->prog_len) ||
               ftp_is_prog(m->prog, m->prog_len) || dbauth_is_mysql_prog(m->prog, m->prog_len) ||
               dbauth_is_pg_prog(m->prog, m->prog_len);
}

/* Choose the parser by program tag. Returns 1 for an event in E. */
static int dispatch(logparse_ctx_t *ctx, const logmsg_t *m, logevent_t *e)
{
        if (m->prog_len == 0)
                return 0;
        if (sshd_is_prog(m->prog, m->prog_len))
                return sshd_parse(m, pids_of(ctx), e);
        if (pam_is_pam(m))
                return pam_parse(m, e);
        if (privesc_is_prog(m->prog, m->prog_len))
                return privesc_parse(m, e);
        if (ftp_is_prog(m->prog, m->prog_len))
                return ftp_parse(m, e);
        if (dbauth_is_mysql_prog(m->prog, m->prog_len))
                return dbauth_parse_mysql(&ctx->clock, m, e);
        if (dbauth_is_pg_prog(m->prog, m->prog_len))
                return dbauth_parse_pg(&ctx->clock, m, pids_of(ctx), e);
        return 0;
}

static int finish(logparse_ctx_t *ctx, const logmsg_t *m, int r, size_t *ret_n)
{
        if (r > 0) {
                ctx->stats.events++;
                *ret_n = 1;
                return LOGPARSE_EVENT;
        }
        *ret_n = 0;
        if (m && login_prog(m)) {
                ctx->stats.unmatched++;
                return LOGPARSE_UNMATCHED;
        }
        ctx->stats.other++;
        return LOGPARSE_OTHER;
}

int logparse_message(logparse_ctx_t *ctx, const logmsg_t *m, logevent_t *events, size_t max,
                     size_t *ret_n)
{
        if (max == 0)
                return -EINVAL;
        ctx->stats.lines++;
        if (m->len > LOGPARSE_LINE_MAX) {
                ctx->stats.oversized++;
                *ret_n = 0;
                return -E2BIG;
        }
        if (memchr(m->msg, 0, m->len)) {
                ctx->stats.binary++;
                return finish(ctx, NULL, 0, ret_n);
        }
        return finish(ctx, m, dispatch(ctx, m, &events[0]), ret_n);
}

int logparse_line(logparse_ctx_t *ctx, const char *line, size_t n, const char *file,
                  uint64_t lineno, logevent_t *events, size_t max, size_t *ret_n)
{
        logmsg_t m = { .file = file, .line = lineno };
        int r;

        if (max == 0)
                return -EINVAL;
        ctx->stats.lines++;
        if (n > LOGPARSE_LINE_MAX) {
                ctx->stats.oversized++;
                *ret_n = 0;
                return -E2BIG;
        }
        while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
                n--;
        /* After copytruncate a writer that does not append leaves a hole of
         * NULs in front of its next line. */
        while (n && line[0] == 0) {
                line++;
                n--;
        }
        if (n == 0 || memchr(line, 0, n)) {
                if (n)
                        ctx->stats.binary++;
                return finish(ctx, NULL, 0, ret_n);
        }
        if (syslog_parse_header(&ctx->clock, line, n, &m) != SYSLOG_FMT_NONE)
                return finish(ctx, &m, dispatch(ctx, &m, &events[0]), ret_n);

        /* The own formats of daemons that write their own files. */
        r = ftp_parse_line(&ctx->clock, line, n, file, lineno, &events[0]);
        if (r == -ENOMSG)
                r = dbauth_parse_line(&ctx->clock, pids_of(ctx), line, n, file, lineno, &events[0]);
        if (r != -ENOMSG) {
                if (r > 0) {
                        ctx->stats.events++;
                        *ret_n = 1;
                        return LOGPARSE_EVENT;
                }
                *ret_n = 0;
                ctx->stats.unmatched++;
                return LOGPARSE_UNMATCHED;
        }
        if (ctx->service[0]) {
                m.prog = ctx->service;
                m.prog_len = strlen(ctx->service);
                m.host = "";
                m.host_len = 0;
                m.pid = 0;
                m.time_us = 0;
                m.msg = line;
                m.len = n;
                return finish(ctx, &m, dispatch(ctx, &m, &events[0]), ret_n);
        }
        return finish(ctx, NULL, 0, ret_n);
}
