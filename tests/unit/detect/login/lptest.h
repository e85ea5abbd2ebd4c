/* Helpers shared by the login parser unit tests: parse one line through a
 * fresh or given context and describe the event in one short string. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "detect/login/logparse.h"

/* "KIND method=M user=U src=S port=P [invalid] [target=T]" or "none". */
static inline const char *lp_describe(const logevent_t *e, char *buf, size_t cap)
{
        snprintf(buf, cap, "%s method=%s user=%s src=%s%s port=%u%s%s%s",
                 logevent_kind_name(e->kind), e->method, e->user, e->src,
                 e->src[0] && !e->has_ip ? "(name)" : "", e->port,
                 e->invalid_user ? " invalid" : "", e->target_user[0] ? " target=" : "",
                 e->target_user);
        return buf;
}

/* Parse LINE with CTX; describe the event or return "none"/"unmatched". */
static inline const char *lp_parse(logparse_ctx_t *ctx, const char *line, char *buf, size_t cap)
{
        logevent_t e;
        size_t n = 0;
        int r = logparse_line(ctx, line, strlen(line), "test.log", 1, &e, 1, &n);

        if (r == LOGPARSE_EVENT && n == 1)
                return lp_describe(&e, buf, cap);
        snprintf(buf, cap, "%s", r == LOGPARSE_UNMATCHED ? "unmatched" : r < 0 ? "error" : "none");
        return buf;
}

static inline logparse_ctx_t *lp_ctx(const char *service)
{
        logparse_opts_t o = {
                .ref_time_us = 1795000000LL * 1000000, .year = 2026, .utc = true, .service = service
        };
        return logparse_new(&o);
}

typedef struct lp_case {
        const char *line;
        const char *want;
} lp_case_t;

/* Parse each line with a fresh context (no header-less service) and
 * compare the description; fails with both on a difference. */
#define LP_RUN_CASES(cases)                                                                        \
        do {                                                                                       \
                for (size_t i_ = 0; i_ < sizeof(cases) / sizeof((cases)[0]); i_++) {               \
                        logparse_ctx_t *ctx_ = lp_ctx(NULL);                                       \
                        char buf_[2048];                                                           \
                        const char *got_ = lp_parse(ctx_, (cases)[i_].line, buf_, sizeof(buf_));   \
                        logparse_free(ctx_);                                                       \
                        if (strcmp(got_, (cases)[i_].want) != 0)                                   \
                                fail_msg("line: %s\n got: %s\nwant: %s", (cases)[i_].line, got_,   \
                                         (cases)[i_].want);                                        \
                }                                                                                  \
        } while (0)
