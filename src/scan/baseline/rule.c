#include "scan/baseline/rule.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "scan/baseline/osregex.h"

/* Backtracking limits for every match: a policy pattern runs over
 * attacker-written lines, so a pathological pattern/line pair must end
 * quickly (the match then counts as "no match"). */
#define RULE_MATCH_LIMIT 1000000
#define RULE_DEPTH_LIMIT 10000

static const struct {
        const char *name;
        rule_type_t type;
} rule_types[] = {
        { "f", RULE_FILE },        { "d", RULE_DIR },      { "p", RULE_PROCESS },
        { "c", RULE_COMMAND },     { "r", RULE_REGISTRY }, { "stat", RULE_STAT },
        { "sysctl", RULE_SYSCTL }, { "sshd", RULE_SSHD },  { "x", RULE_BUILTIN },
};

const char *const rule_builtins[] = {
        "duplicate_uids",
        "duplicate_gids",
        "duplicate_user_names",
        "duplicate_group_names",
};
const size_t rule_n_builtins = ELEMENTSOF(rule_builtins);

const char *rule_type_name(rule_type_t type)
{
        for (size_t i = 0; i < ELEMENTSOF(rule_types); i++)
                if (rule_types[i].type == type)
                        return rule_types[i].name;
        return "?";
}

static void test_clear(rule_test_t *t)
{
        if (!t)
                return;
        pcre2_match_data_free(t->md);
        pcre2_match_context_free(t->mctx);
        pcre2_code_free(t->re);
        free(t->text);
        strv_clear(&t->names);
}

void rule_free(rule_t *r)
{
        if (!r)
                return;
        if (r->name) {
                test_clear(r->name);
                free(r->name);
        }
        for (size_t i = 0; i < r->n_tests; i++)
                test_clear(&r->tests[i]);
        free(r->tests);
        free(r->text);
        free(r->target);
        free(r->warning);
        strv_clear(&r->targets);
        free(r);
}

static int set_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int set_error(char **ret_error, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                vsnprintf(msg, sizeof(msg), fmt, ap);
                va_end(ap);
                *ret_error = strdup(msg);
        }
        return -EINVAL;
}

/* Compile PATTERN (already in PCRE2 syntax) into T. A pattern that does not
 * compile leaves T->re NULL and records a warning in R: Wazuh treats such a
 * test as "no match", and so do we. */
static int compile_into(rule_t *r, rule_test_t *t, const char *pattern, uint32_t options,
                        const char *as_written)
{
        PCRE2_SIZE erroff;
        int errcode;

        t->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &errcode,
                              &erroff, NULL);
        if (!t->re) {
                PCRE2_UCHAR msg[160];
                pcre2_get_error_message(errcode, msg, sizeof(msg));
                if (!r->warning) {
                        r->warning = str_printf("pattern '%s' does not compile (%s at offset "
                                                "%zu); it never matches",
                                                as_written, (const char *)msg, (size_t)erroff);
                        if (!r->warning)
                                return -ENOMEM;
                }
                return 0;
        }
        /* JIT is an optimisation only; the interpreter is used without it. */
        (void)pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE);
        t->md = pcre2_match_data_create_from_pattern(t->re, NULL);
        t->mctx = pcre2_match_context_create(NULL);
        if (!t->md || !t->mctx)
                return -ENOMEM;
        pcre2_set_match_limit(t->mctx, RULE_MATCH_LIMIT);
        pcre2_set_depth_limit(t->mctx, RULE_DEPTH_LIMIT);
        return 0;
}

/* Compile a pattern written in DIALECT. */
static int compile_dialect(rule_t *r, rule_test_t *t, const char *pattern, rule_dialect_t dialect,
                           char **ret_error)
{
        _cleanup_free_ char *translated = NULL;
        const char *why = NULL;
        int rc;

        if (dialect == RULE_DIALECT_PCRE2)
                return compile_into(r, t, pattern, 0, pattern);
        rc = osregex_to_pcre2(pattern, &translated, &why);
        if (rc == -ENOMEM)
                return rc;
        if (rc < 0) {
                /* OS_Regex would refuse it too; Wazuh then counts the test as
                 * not matching. Keep the rule, warn once. */
                if (!r->warning) {
                        r->warning = str_printf("OS_Regex pattern '%s' is invalid (%s); it "
                                                "never matches",
                                                pattern, why ? why : "?");
                        if (!r->warning)
                                return -ENOMEM;
                }
                (void)ret_error;
                return 0;
        }
        return compile_into(r, t, translated, PCRE2_CASELESS, pattern);
}

/* Parse the comparison after " compare " the way Wazuh does: the operator is
 * found by looking for "==" at the start, then "!=", "<=", ">=", "<", ">"
 * anywhere; the number is the first run of digits. */
static int parse_comparison(const char *s, rule_op_t *op, long long *value)
{
        const char *d;

        if (s[0] == '=')
                *op = RULE_OP_EQ;
        else if (strstr(s, "!="))
                *op = RULE_OP_NE;
        else if (strstr(s, "<="))
                *op = RULE_OP_LE;
        else if (strstr(s, ">="))
                *op = RULE_OP_GE;
        else if (strchr(s, '<'))
                *op = RULE_OP_LT;
        else if (strchr(s, '>'))
                *op = RULE_OP_GT;
        else
                return -EINVAL;
        for (d = s; *d && !isdigit((unsigned char)*d); d++)
                ;
        if (!*d)
                return -EINVAL;
        errno = 0;
        *value = strtoll(d, NULL, 10);
        return errno ? -EINVAL : 0;
}

static int parse_stat_op(const char *s, rule_op_t *op, const char **rest)
{
        static const struct {
                const char *text;
                rule_op_t op;
        } ops[] = {
                { "<=", RULE_OP_LE }, { ">=", RULE_OP_GE }, { "==", RULE_OP_EQ },
                { "!=", RULE_OP_NE }, { "<", RULE_OP_LT },  { ">", RULE_OP_GT },
        };
        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                if (str_startswith(s, ops[i].text)) {
                        *op = ops[i].op;
                        *rest = s + strlen(ops[i].text);
                        return 0;
                }
        return -EINVAL;
}

/* "mode <= 0640", "uid == 0", "group == root|shadow". */
static int parse_stat_test(rule_test_t *t, const char *s, char **ret_error)
{
        static const struct {
                const char *name;
                rule_stat_field_t field;
        } fields[] = {
                { "mode", RULE_STAT_MODE }, { "uid", RULE_STAT_UID },     { "gid", RULE_STAT_GID },
                { "user", RULE_STAT_USER }, { "group", RULE_STAT_GROUP },
        };
        const char *p = s, *rest;
        size_t i, n;

        while (*p == ' ')
                p++;
        for (n = 0; isalpha((unsigned char)p[n]); n++)
                ;
        for (i = 0; i < ELEMENTSOF(fields); i++)
                if (strlen(fields[i].name) == n && strncasecmp(p, fields[i].name, n) == 0)
                        break;
        if (i == ELEMENTSOF(fields))
                return set_error(ret_error,
                                 "unknown stat test '%s' (use mode, uid, gid, user or group)", s);
        t->field = fields[i].field;
        p += n;
        while (*p == ' ')
                p++;
        if (parse_stat_op(p, &t->op, &rest) < 0)
                return set_error(ret_error, "stat test '%s' needs an operator (< <= == != >= >)",
                                 s);
        while (*rest == ' ')
                rest++;
        if (!*rest)
                return set_error(ret_error, "stat test '%s' needs a value", s);
        if (t->field == RULE_STAT_USER || t->field == RULE_STAT_GROUP) {
                if (t->op != RULE_OP_EQ && t->op != RULE_OP_NE)
                        return set_error(ret_error,
                                         "stat test '%s': names compare with == or !=", s);
                if (strv_split(&t->names, rest, "| ") < 0)
                        return -ENOMEM;
                return t->names.n ? 0 : set_error(ret_error, "stat test '%s' needs a name", s);
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(rest, &end, t->field == RULE_STAT_MODE ? 8 : 10);
        while (*end == ' ')
                end++;
        if (errno || *end || end == rest || (t->field == RULE_STAT_MODE && v > 07777) ||
            v > 0xffffffffULL)
                return set_error(ret_error, "stat test '%s' has a bad number", s);
        t->value = (long long)v;
        return 0;
}

/* Parse one test (between && separators) of a content expression. */
static int parse_test(rule_t *r, rule_test_t *t, const char *s, rule_dialect_t dialect,
                      char **ret_error)
{
        if (*s == '!') {
                t->negate = true;
                s++;
        }
        if (!(t->text = strdup(s)))
                return -ENOMEM;
        if (r->type == RULE_STAT) {
                t->kind = RULE_TEST_STAT;
                return parse_stat_test(t, s, ret_error);
        }
        if (strncasecmp(s, "r:", 2) == 0) {
                t->kind = RULE_TEST_REGEX;
                return compile_dialect(r, t, s + 2, dialect, ret_error);
        }
        if (strncasecmp(s, "n:", 2) == 0) {
                _cleanup_free_ char *pat = NULL;
                const char *cmp = strstr(s + 2, " compare ");
                int rc;

                t->kind = RULE_TEST_NUMERIC;
                if (!cmp)
                        return set_error(ret_error, "numeric test '%s' needs 'compare OP NUMBER'",
                                         s);
                if (parse_comparison(cmp + 9, &t->op, &t->value) < 0)
                        return set_error(ret_error,
                                         "numeric test '%s': use compare <, <=, ==, !=, >= or > "
                                         "with a number",
                                         s);
                if (!(pat = str_ndup(s + 2, (size_t)(cmp - (s + 2)))))
                        return -ENOMEM;
                if ((rc = compile_dialect(r, t, pat, dialect, ret_error)) < 0)
                        return rc;
                if (t->re) {
                        uint32_t groups = 0;
                        pcre2_pattern_info(t->re, PCRE2_INFO_CAPTURECOUNT, &groups);
                        if (groups < 1)
                                return set_error(ret_error,
                                                 "numeric test '%s' needs a capture group "
                                                 "around the number, e.g. (\\d+)",
                                                 s);
                }
                return 0;
        }
        t->kind = RULE_TEST_LITERAL;
        return 0;
}

/* Split S at each " && " into tests of R. */
static int parse_content(rule_t *r, const char *s, rule_dialect_t dialect, char **ret_error)
{
        size_t n = 1;
        const char *p;
        int rc;

        for (p = s; (p = strstr(p, " && ")); p += 4)
                n++;
        if (n > RULE_MAX_TESTS)
                return set_error(ret_error, "more than 32 tests joined with && in '%s'", s);
        r->tests = calloc(n, sizeof(rule_test_t));
        if (!r->tests)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *end = strstr(s, " && ");
                _cleanup_free_ char *one = str_ndup(s, end ? (size_t)(end - s) : strlen(s));
                if (!one)
                        return -ENOMEM;
                r->n_tests = i + 1;
                if (!*one)
                        return set_error(ret_error, "empty test in '%s'", r->text);
                if ((rc = parse_test(r, &r->tests[i], one, dialect, ret_error)) < 0)
                        return rc;
                s = end ? end + 4 : s + strlen(s);
        }
        return 0;
}

/* Replace every variable in S, longest names first so "$a_b" is not eaten
 * by "$a". Returns a new string or NULL when out of memory. */
static char *expand_vars(const char *s, const rule_vars_t *vars)
{
        _cleanup_buf_ buf_t b;

        buf_init(&b, RULE_MAX_LEN * 16);
        if (!vars || vars->names.n == 0)
                return strdup(s);
        while (*s) {
                size_t best = 0, best_len = 0;
                if (*s == '$')
                        for (size_t i = 0; i < vars->names.n; i++) {
                                size_t l = strlen(vars->names.v[i]);
                                if (l > best_len && strncmp(s, vars->names.v[i], l) == 0) {
                                        best = i;
                                        best_len = l;
                                }
                        }
                if (best_len) {
                        if (buf_append_str(&b, vars->values.v[best]) < 0)
                                return NULL;
                        s += best_len;
                } else {
                        if (buf_append(&b, s, 1) < 0)
                                return NULL;
                        s++;
                }
        }
        return buf_take(&b);
}

static int split_targets(rule_t *r)
{
        _cleanup_(strv_clear) strv_t parts = { 0 };
        int rc;

        if ((rc = strv_split(&parts, r->target, ",")) < 0)
                return rc;
        for (size_t i = 0; i < parts.n; i++) {
                const char *t = str_strip(parts.v[i]);
                if (*t && (rc = strv_push(&r->targets, t)) < 0)
                        return rc;
        }
        return 0;
}

int rule_parse(const char *text, rule_dialect_t dialect, const rule_vars_t *vars, rule_t **ret,
               char **ret_error)
{
        _cleanup_rule_ rule_t *r = NULL;
        _cleanup_free_ char *type = NULL, *value = NULL;
        const char *p = text, *colon, *arrow;
        size_t i;
        int rc;

        if (ret_error)
                *ret_error = NULL;
        if (strlen(text) > RULE_MAX_LEN)
                return set_error(ret_error, "rule longer than %d bytes", RULE_MAX_LEN);
        if (!(r = calloc(1, sizeof(*r))) || !(r->text = strdup(text)))
                return -ENOMEM;
        if (strncmp(p, "not ", 4) == 0 || strncmp(p, "NOT ", 4) == 0) {
                r->negate = true;
                p += 4;
        }
        colon = strchr(p, ':');
        if (!colon)
                return set_error(ret_error, "rule '%s' has no TYPE: prefix", text);
        /* Wazuh accepts and ignores a '!' before the type. */
        if (*p == '!')
                p++;
        if (!(type = str_ndup(p, (size_t)(colon - p))))
                return -ENOMEM;
        for (i = 0; i < ELEMENTSOF(rule_types); i++)
                if (strcmp(type, rule_types[i].name) == 0)
                        break;
        if (i == ELEMENTSOF(rule_types))
                return set_error(ret_error,
                                 "unknown rule type '%s:' (f, d, p, c, r, stat, sysctl, sshd, x)",
                                 type);
        r->type = rule_types[i].type;
        p = colon + 1;

        if (r->type == RULE_PROCESS) {
                /* The whole value is a test on the process name, as in Wazuh. */
                if (!*p)
                        return set_error(ret_error, "rule '%s' names no process", text);
                if (!(r->target = strdup(p)))
                        return -ENOMEM;
                return (rc = parse_content(r, p, dialect, ret_error)) < 0 ? rc
                                                                          : (*ret = TAKE_PTR(r), 0);
        }

        arrow = strstr(p, " -> ");
        if (!(value = str_ndup(p, arrow ? (size_t)(arrow - p) : strlen(p))))
                return -ENOMEM;
        if (!(r->target = expand_vars(value, vars)))
                return -ENOMEM;
        if (!*str_strip(r->target) && r->type != RULE_BUILTIN)
                return set_error(ret_error, "rule '%s' has an empty target", text);
        if (r->type == RULE_FILE || r->type == RULE_DIR || r->type == RULE_STAT) {
                if ((rc = split_targets(r)) < 0)
                        return rc;
                if (r->targets.n == 0)
                        return set_error(ret_error, "rule '%s' names no path", text);
                for (i = 0; i < r->targets.n; i++)
                        if (r->targets.v[i][0] != '/')
                                return set_error(ret_error,
                                                 "path '%s' is not absolute (a variable that "
                                                 "is not defined?)",
                                                 r->targets.v[i]);
        }
        if (r->type == RULE_BUILTIN) {
                for (i = 0; i < ELEMENTSOF(rule_builtins); i++)
                        if (strcmp(r->target, rule_builtins[i]) == 0)
                                break;
                if (i == ELEMENTSOF(rule_builtins))
                        return set_error(ret_error,
                                         "unknown built-in check 'x:%s' (duplicate_uids, "
                                         "duplicate_gids, duplicate_user_names, "
                                         "duplicate_group_names)",
                                         r->target);
        }
        if (!arrow) {
                if (r->type == RULE_STAT || r->type == RULE_SYSCTL || r->type == RULE_SSHD)
                        return set_error(ret_error, "rule '%s' needs ' -> ' and a test", text);
                *ret = TAKE_PTR(r);
                return 0;
        }
        p = arrow + 4;
        if (r->type == RULE_DIR) {
                const char *arrow2 = strstr(p, " -> ");
                _cleanup_free_ char *name = str_ndup(p, arrow2 ? (size_t)(arrow2 - p) : strlen(p));
                if (!name || !(r->name = calloc(1, sizeof(*r->name))))
                        return -ENOMEM;
                if (!(r->name->text = strdup(name)))
                        return -ENOMEM;
                if (strncasecmp(name, "r:", 2) == 0) {
                        r->name->kind = RULE_TEST_REGEX;
                        rc = compile_dialect(r, r->name, name + 2, dialect, ret_error);
                } else {
                        _cleanup_free_ char *pat = NULL;
                        /* A plain name is an OS_Match pattern. */
                        r->name->kind = RULE_TEST_REGEX;
                        if ((rc = osmatch_to_pcre2(name, &pat)) < 0)
                                return rc;
                        rc = compile_into(r, r->name, pat, PCRE2_CASELESS, name);
                }
                if (rc < 0)
                        return rc;
                if (!arrow2) {
                        *ret = TAKE_PTR(r);
                        return 0;
                }
                p = arrow2 + 4;
        }
        if (!*p)
                return set_error(ret_error, "rule '%s' has an empty test after ' -> '", text);
        if ((rc = parse_content(r, p, dialect, ret_error)) < 0)
                return rc;
        *ret = TAKE_PTR(r);
        return 0;
}

/* Run T's pattern on LINE. Returns the match count (>0), 0 for no match. */
static int run_re(const rule_test_t *t, const char *line, size_t n)
{
        int rc;

        if (!t->re)
                return 0;
        rc = pcre2_match(t->re, (PCRE2_SPTR)line, n, 0, 0, t->md, t->mctx);
        /* rc == 0 would mean the ovector was too small, which cannot happen
         * with match data made from the pattern; errors (limits) are no match. */
        return rc > 0 ? rc : 0;
}

static bool compare(rule_op_t op, long long a, long long b)
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

static bool test_positive(const rule_test_t *t, const char *line, size_t n)
{
        switch (t->kind) {
        case RULE_TEST_LITERAL:
                return strlen(t->text) == n && strncasecmp(t->text, line, n) == 0;
        case RULE_TEST_REGEX:
                return run_re(t, line, n) > 0;
        case RULE_TEST_NUMERIC: {
                PCRE2_SIZE *ov;
                char num[64];
                size_t len;
                char *end;
                long long v;

                if (run_re(t, line, n) < 2)
                        return false;
                ov = pcre2_get_ovector_pointer(t->md);
                if (ov[2] == PCRE2_UNSET || ov[3] < ov[2])
                        return false;
                len = ov[3] - ov[2];
                if (len == 0 || len >= sizeof(num))
                        return false;
                memcpy(num, line + ov[2], len);
                num[len] = 0;
                errno = 0;
                v = strtoll(num, &end, 10);
                if (errno || end == num)
                        return false;
                return compare(t->op, v, t->value);
        }
        case RULE_TEST_STAT:
                return false;
        }
        return false;
}

bool rule_test_line(const rule_test_t *t, const char *line, size_t n)
{
        return test_positive(t, line, n) != t->negate;
}

bool rule_match_line(const rule_t *r, const char *line, size_t n)
{
        for (size_t i = 0; i < r->n_tests; i++)
                if (!rule_test_line(&r->tests[i], line, n))
                        return false;
        return true;
}
