#include "scan/secrets/engine.h"

#include <errno.h>
#include <hs/hs.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* PCRE2 gives up on a single match after this much backtracking; patterns
 * are bounded, so only hostile input gets near it. */
#define PCRE2_MATCH_LIMIT 200000
#define PCRE2_DEPTH_LIMIT 20000
#define JIT_STACK_MAX     (512 * KiB)

typedef struct compiled_rule {
        const secrets_rule_t *rule;
        pcre2_code *pattern;
        uint32_t secret_group; /* 0: the whole match */
        unsigned width;        /* Hyperscan's maximum match width of the trigger or pattern */
        unsigned pwidth;       /* maximum width of a trigger rule's pattern; 0 if unbounded */
        bool jit;              /* the pattern has JIT code */
        pcre2_code **ign_secret;
        size_t n_ign_secret;
        pcre2_code **ign_match;
        size_t n_ign_match;
} compiled_rule_t;

struct secrets_engine {
        const secrets_rules_t *rules;
        compiled_rule_t *cr;
        size_t n;
        pcre2_code **ph_regex;
        size_t n_ph_regex;
        hs_database_t *db;
        uint32_t max_pairs; /* largest capture count + 1 over all patterns */
};

/* A position in the input with its line and column, so that line numbers
 * can be found by counting forward from the last one instead of from the
 * start of a file. */
typedef struct lpos {
        uint64_t off;
        uint64_t line;
        uint64_t col;
} lpos_t;

struct secrets_scratch {
        hs_scratch_t *hs;
        pcre2_match_data *md;  /* for patterns */
        pcre2_match_data *md2; /* for filters, which run while md is in use */
        pcre2_match_context *mctx;
        pcre2_jit_stack *jit;
        size_t n;
        /* Per rule, in input offsets: every match start before cursor has
         * been looked at; triggers ending at or before tcursor are done. */
        uint64_t *cursor;
        uint64_t *tcursor;
        char *norm; /* normalised secret */
        secrets_engine_stats_t stats;

        /* The chunk being scanned. */
        const secrets_engine_t *e;
        const char *data;
        size_t len;
        uint64_t base; /* input offset of data[0] */
        size_t floor;  /* matches may not start before data + floor */
        bool last;
        bool started;
        lpos_t cur;   /* moves forward */
        lpos_t cbase; /* position of data[0] */
        secrets_match_fn fn;
        void *userdata;
        int err;
};

const secrets_rules_t *secrets_engine_rules(const secrets_engine_t *e)
{
        return e->rules;
}

static void free_codes(pcre2_code **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pcre2_code_free(v[i]);
        free(v);
}

void secrets_engine_free(secrets_engine_t *e)
{
        if (!e)
                return;
        for (size_t i = 0; e->cr && i < e->n; i++) {
                pcre2_code_free(e->cr[i].pattern);
                free_codes(e->cr[i].ign_secret, e->cr[i].n_ign_secret);
                free_codes(e->cr[i].ign_match, e->cr[i].n_ign_match);
        }
        free(e->cr);
        free_codes(e->ph_regex, e->n_ph_regex);
        hs_free_database(e->db);
        free(e);
}

static int compile_pcre(const char *re, const char *what, const char *rule_id, pcre2_code **ret,
                        char **ret_error)
{
        PCRE2_UCHAR msg[256];
        PCRE2_SIZE erroff;
        int errcode;
        pcre2_code *code;
        uint32_t lookbehind = 0;

        code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE, &errcode,
                             &erroff, NULL);
        if (!code) {
                if (errcode == PCRE2_ERROR_NOMEMORY)
                        return -ENOMEM;
                pcre2_get_error_message(errcode, msg, sizeof(msg));
                *ret_error = str_printf("rule '%s': %s at offset %zu: %s", rule_id, what,
                                        (size_t)erroff, (const char *)msg);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        if (pcre2_pattern_info(code, PCRE2_INFO_MAXLOOKBEHIND, &lookbehind) == 0 &&
            lookbehind > SECRETS_SLACK) {
                pcre2_code_free(code);
                *ret_error = str_printf("rule '%s': %s looks back more than %d bytes", rule_id,
                                        what, SECRETS_SLACK);
                return *ret_error ? -EINVAL : -ENOMEM;
        }
        /* Without JIT (an unsupported CPU) the interpreter still works. */
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
        *ret = code;
        return 0;
}

static int compile_list(const strv_t *sv, const char *what, const char *rule_id, pcre2_code ***ret,
                        size_t *ret_n, char **ret_error)
{
        pcre2_code **v;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (!sv->n)
                return 0;
        v = calloc(sv->n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < sv->n; i++) {
                r = compile_pcre(sv->v[i], what, rule_id, &v[i], ret_error);
                if (r < 0) {
                        free_codes(v, i);
                        return r;
                }
        }
        *ret = v;
        *ret_n = sv->n;
        return 0;
}

/* The Hyperscan flags an expression compiles with: exact when Hyperscan
 * supports all of it, else in prefilter mode (a superset of the matches,
 * e.g. for lookarounds), which PCRE2 then narrows down. The width must be
 * bounded so PCRE2 knows where to look. */
static int hs_check(const char *expr, const char *rule_id, unsigned *ret_flags, unsigned *ret_width,
                    char **ret_error)
{
        const unsigned base = HS_FLAG_MULTILINE;
        const unsigned tries[] = { base, base | HS_FLAG_PREFILTER };
        const char *why = "cannot be compiled";
        hs_compile_error_t *cerr = NULL;
        hs_expr_info_t *info = NULL;
        char why_buf[256];

        for (size_t i = 0; i < ELEMENTSOF(tries); i++) {
                if (hs_expression_info(expr, tries[i], &info, &cerr) != HS_SUCCESS) {
                        snprintf(why_buf, sizeof(why_buf), "%s", cerr ? cerr->message : "?");
                        why = why_buf;
                        hs_free_compile_error(cerr);
                        cerr = NULL;
                        continue;
                }
                if (info->min_width == 0) {
                        free(info);
                        *ret_error = str_printf("rule '%s': the expression can match nothing "
                                                "(an empty match)",
                                                rule_id);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
                if (info->max_width > SECRETS_MAX_WIDTH) {
                        free(info);
                        *ret_error = str_printf("rule '%s': the expression can match more than "
                                                "%d bytes; bound its repeats ({m,n})",
                                                rule_id, SECRETS_MAX_WIDTH);
                        return *ret_error ? -EINVAL : -ENOMEM;
                }
                *ret_width = info->max_width;
                *ret_flags = tries[i];
                free(info);
                return 0;
        }
        *ret_error = str_printf("rule '%s': Hyperscan: %s", rule_id, why);
        return *ret_error ? -EINVAL : -ENOMEM;
}

/* An upper bound on the match width of a PCRE2 pattern, from Hyperscan's
 * analysis of a superset of it; 0 when unbounded or not analysable. */
static unsigned pattern_width(const char *re)
{
        hs_compile_error_t *cerr = NULL;
        hs_expr_info_t *info = NULL;
        unsigned w = 0;

        if (hs_expression_info(re, HS_FLAG_MULTILINE | HS_FLAG_PREFILTER, &info, &cerr) !=
            HS_SUCCESS) {
                hs_free_compile_error(cerr);
                return 0;
        }
        if (info->max_width <= SECRETS_RULES_MAX_WINDOW)
                w = info->max_width;
        free(info);
        return w;
}

int secrets_engine_new(const secrets_rules_t *rules, secrets_engine_t **ret, char **ret_error)
{
        _cleanup_free_ const char **exprs = NULL;
        _cleanup_free_ unsigned *flags = NULL, *ids = NULL;
        hs_compile_error_t *cerr = NULL;
        secrets_engine_t *e;
        int r;

        *ret_error = NULL;
        if (!rules->n || rules->n > SECRETS_RULES_MAX)
                return -EINVAL;
        e = calloc(1, sizeof(*e));
        exprs = calloc(rules->n, sizeof(*exprs));
        flags = calloc(rules->n, sizeof(*flags));
        ids = calloc(rules->n, sizeof(*ids));
        if (!e || !exprs || !flags || !ids) {
                free(e);
                return -ENOMEM;
        }
        e->rules = rules;
        e->cr = calloc(rules->n, sizeof(*e->cr));
        if (!e->cr) {
                r = -ENOMEM;
                goto fail;
        }
        e->n = rules->n;
        e->max_pairs = 1;
        for (size_t i = 0; i < rules->n; i++) {
                const secrets_rule_t *rule = &rules->rules[i];
                compiled_rule_t *cr = &e->cr[i];
                uint32_t captures = 0;
                int named;

                cr->rule = rule;
                exprs[i] = rule->trigger ? rule->trigger : rule->pattern;
                ids[i] = (unsigned)i;
                if ((r = compile_pcre(rule->pattern, "pattern", rule->id, &cr->pattern,
                                      ret_error)) < 0 ||
                    (r = hs_check(exprs[i], rule->id, &flags[i], &cr->width, ret_error)) < 0 ||
                    (r = compile_list(&rule->ignore_secret, "ignore_secret", rule->id,
                                      &cr->ign_secret, &cr->n_ign_secret, ret_error)) < 0 ||
                    (r = compile_list(&rule->ignore_match, "ignore_match", rule->id, &cr->ign_match,
                                      &cr->n_ign_match, ret_error)) < 0)
                        goto fail;
                if (rule->trigger)
                        cr->pwidth = pattern_width(rule->pattern);
                {
                        size_t jitsize = 0;
                        cr->jit = pcre2_pattern_info(cr->pattern, PCRE2_INFO_JITSIZE, &jitsize) ==
                                          0 &&
                                  jitsize > 0;
                }
                pcre2_pattern_info(cr->pattern, PCRE2_INFO_CAPTURECOUNT, &captures);
                named = pcre2_substring_number_from_name(cr->pattern, (PCRE2_SPTR) "secret");
                cr->secret_group = named > 0 ? (uint32_t)named : captures > 0 ? 1 : 0;
                if (captures + 1 > e->max_pairs)
                        e->max_pairs = captures + 1;
        }
        if ((r = compile_list(&rules->ph_regex, "placeholder regex", "placeholders", &e->ph_regex,
                              &e->n_ph_regex, ret_error)) < 0)
                goto fail;
        if (hs_compile_multi(exprs, flags, ids, (unsigned)rules->n, HS_MODE_BLOCK, NULL, &e->db,
                             &cerr) != HS_SUCCESS) {
                if (cerr && cerr->expression >= 0 && (size_t)cerr->expression < rules->n)
                        *ret_error = str_printf("rule '%s': Hyperscan: %s",
                                                rules->rules[cerr->expression].id, cerr->message);
                else
                        *ret_error = str_printf("Hyperscan: %s", cerr ? cerr->message : "?");
                hs_free_compile_error(cerr);
                r = *ret_error ? -EINVAL : -ENOMEM;
                goto fail;
        }
        *ret = e;
        return 0;
fail:
        secrets_engine_free(e);
        return r;
}

void secrets_scratch_free(secrets_scratch_t *s)
{
        if (!s)
                return;
        hs_free_scratch(s->hs);
        pcre2_match_data_free(s->md);
        pcre2_match_data_free(s->md2);
        pcre2_match_context_free(s->mctx);
        pcre2_jit_stack_free(s->jit);
        free(s->cursor);
        free(s->tcursor);
        free(s->norm);
        free(s);
}

int secrets_scratch_new(const secrets_engine_t *e, secrets_scratch_t **ret)
{
        secrets_scratch_t *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->n = e->n;
        s->md = pcre2_match_data_create(e->max_pairs, NULL);
        s->md2 = pcre2_match_data_create(4, NULL);
        s->mctx = pcre2_match_context_create(NULL);
        s->jit = pcre2_jit_stack_create(32 * KiB, JIT_STACK_MAX, NULL);
        s->cursor = calloc(e->n, sizeof(*s->cursor));
        s->tcursor = calloc(e->n, sizeof(*s->tcursor));
        s->norm = malloc(SECRETS_MAX_SECRET);
        if (!s->md || !s->md2 || !s->mctx || !s->jit || !s->cursor || !s->tcursor || !s->norm ||
            hs_alloc_scratch(e->db, &s->hs) != HS_SUCCESS) {
                secrets_scratch_free(s);
                return -ENOMEM;
        }
        pcre2_set_match_limit(s->mctx, PCRE2_MATCH_LIMIT);
        pcre2_set_depth_limit(s->mctx, PCRE2_DEPTH_LIMIT);
        pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
        *ret = s;
        return 0;
}

void secrets_scratch_stats(const secrets_scratch_t *s, secrets_engine_stats_t *ret)
{
        *ret = s->stats;
}

/* log2 without libm: split off the exponent, then the atanh series for the
 * mantissa in [1, 2), which converges fast enough for an entropy test. */
static double log2_approx(double x)
{
        const double ln2 = 0.69314718055994530942;
        double z, z2, term, sum;
        int e = 0;

        if (x <= 0)
                return 0;
        while (x >= 2) {
                x /= 2;
                e++;
        }
        while (x < 1) {
                x *= 2;
                e--;
        }
        z = (x - 1) / (x + 1);
        z2 = z * z;
        term = z;
        sum = 0;
        for (int k = 1; k < 24; k += 2) {
                sum += term / k;
                term *= z2;
        }
        return e + 2 * sum / ln2;
}

double secrets_entropy(const char *s, size_t n)
{
        uint32_t counts[256] = { 0 };
        unsigned char seen[256];
        size_t distinct = 0;
        double sum = 0;

        if (!n)
                return 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (!counts[c]++)
                        seen[distinct++] = c;
        }
        /* H = log2(n) - (1/n) * sum(c * log2(c)) over the byte counts. */
        for (size_t i = 0; i < distinct; i++) {
                uint32_t c = counts[seen[i]];
                if (c > 1)
                        sum += (double)c * log2_approx((double)c);
        }
        return log2_approx((double)n) - sum / (double)n;
}

void secrets_preview(const char *secret, size_t n, char out[SECRETS_PREVIEW_MAX])
{
        size_t head, tail, o = 0;

        if (n >= 16) {
                head = 4;
                tail = 2;
        } else if (n >= 10) {
                head = 2;
                tail = 1;
        } else if (n >= 6) {
                head = 1;
                tail = 0;
        } else
                head = tail = 0;
        for (size_t i = 0; i < head; i++) {
                unsigned char c = (unsigned char)secret[i];
                out[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
        }
        memcpy(out + o, "\xe2\x80\xa6", 3); /* U+2026 HORIZONTAL ELLIPSIS */
        o += 3;
        for (size_t i = n - tail; i < n; i++) {
                unsigned char c = (unsigned char)secret[i];
                out[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
        }
        out[o] = 0;
}

/* Line and column bookkeeping counts newlines and UTF-8 lead bytes over
 * every chunk of a big file, so it must be cheap: 16 bytes at a time with
 * SSE2 (always there on x86-64), else 8 at a time in a 64-bit word. */
#if defined(__SSE2__)
#include <emmintrin.h>

/* Add up, per 16-byte lane, the bytes where the comparison held (0xFF),
 * flushing the 8-bit lane counters before they can wrap. */
#define COUNT_LANES(p, n, cmp_expr, result)                                                        \
        do {                                                                                       \
                size_t _i = 0;                                                                     \
                uint64_t _total = 0;                                                               \
                while (_i + 16 <= (n)) {                                                           \
                        __m128i _acc = _mm_setzero_si128();                                        \
                        for (unsigned _k = 0; _k < 255 && _i + 16 <= (n); _k++, _i += 16) {        \
                                __m128i x = _mm_loadu_si128((const __m128i *)((p) + _i));          \
                                _acc = _mm_sub_epi8(_acc, (cmp_expr));                             \
                        }                                                                          \
                        _acc = _mm_sad_epu8(_acc, _mm_setzero_si128());                            \
                        _total += (uint64_t)_mm_cvtsi128_si32(_acc) +                              \
                                  (uint64_t)_mm_extract_epi16(_acc, 4);                            \
                }                                                                                  \
                (result) = _total;                                                                 \
                (p) += _i;                                                                         \
                (n) -= _i;                                                                         \
        } while (0)
#endif

/* Count bytes equal to C in [P, P+N). */
static uint64_t count_byte(const char *p, size_t n, unsigned char c)
{
        uint64_t count = 0;

#if defined(__SSE2__)
        {
                const __m128i pat = _mm_set1_epi8((char)c);
                COUNT_LANES(p, n, _mm_cmpeq_epi8(x, pat), count);
        }
#endif
        for (size_t i = 0; i < n; i++)
                count += (unsigned char)p[i] == c;
        return count;
}

/* Characters in [P, P+N): bytes that do not continue a UTF-8 sequence. */
static uint64_t count_chars(const char *p, size_t n)
{
        uint64_t cont = 0;
        size_t total = n;

#if defined(__SSE2__)
        {
                /* Continuation bytes 0x80..0xBF are -128..-65 as signed bytes. */
                const __m128i lim = _mm_set1_epi8(-64);
                COUNT_LANES(p, n, _mm_cmplt_epi8(x, lim), cont);
        }
#endif
        for (size_t i = 0; i < n; i++)
                cont += ((unsigned char)p[i] & 0xC0) == 0x80;
        return total - cont;
}

/* Move P forward to input offset TO; both lie in the current chunk. */
static void lpos_advance(const secrets_scratch_t *s, lpos_t *p, uint64_t to)
{
        const char *a = s->data + (p->off - s->base), *b = s->data + (to - s->base);
        const char *nl;
        size_t n = (size_t)(b - a);

        if (!n)
                return;
        nl = memrchr(a, '\n', n);
        if (nl) {
                p->line += count_byte(a, (size_t)(nl - a) + 1, '\n');
                p->col = 1 + count_chars(nl + 1, (size_t)(b - nl - 1));
        } else
                p->col += count_chars(a, n);
        p->off = to;
}

/* Line and column of input offset T in the current chunk. */
static lpos_t lpos_at(secrets_scratch_t *s, uint64_t t)
{
        lpos_t p;
        const char *a, *b, *nl;

        if (t >= s->cur.off) {
                lpos_advance(s, &s->cur, t);
                return s->cur;
        }
        /* Backwards (matches of different rules come in end order, not
         * start order): count the lines between T and the cursor. */
        a = s->data + (t - s->base);
        b = s->data + (s->cur.off - s->base);
        p.off = t;
        p.line = s->cur.line - count_byte(a, (size_t)(b - a), '\n');
        nl = t > s->base ? memrchr(s->data, '\n', (size_t)(t - s->base)) : NULL;
        if (nl && (uint64_t)(nl - s->data) + s->base >= s->cbase.off)
                p.col = 1 + count_chars(nl + 1, (size_t)(a - nl - 1));
        else
                p.col = s->cbase.col + count_chars(s->data, (size_t)(t - s->base));
        return p;
}

static char lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Whether the N letters at P are written the way a word is: all lower
 * case, all upper case, or capitalised. Random keys mix cases, so "XXxx"
 * inside a key is no "xxxx" placeholder. */
static bool word_cased(const char *p, size_t n)
{
        size_t upper = 0, lower_n = 0;
        bool first_upper = false, first = true;

        for (size_t i = 0; i < n; i++) {
                char c = p[i];
                if (c >= 'A' && c <= 'Z') {
                        upper++;
                        if (first)
                                first_upper = true;
                } else if (c >= 'a' && c <= 'z')
                        lower_n++;
                else
                        continue;
                first = false;
        }
        return upper == 0 || lower_n == 0 || (upper == 1 && first_upper);
}

/* Case-insensitive search of an ASCII NEEDLE, where the text found must be
 * written as a word (see word_cased). */
static bool memmem_ci(const char *hay, size_t hn, const char *needle, size_t nn)
{
        char first;

        if (!nn)
                return true;
        if (nn > hn)
                return false;
        first = lower(needle[0]);
        for (size_t i = 0; i + nn <= hn; i++) {
                size_t k = 1;
                if (lower(hay[i]) != first)
                        continue;
                while (k < nn && lower(hay[i + k]) == lower(needle[k]))
                        k++;
                if (k == nn && word_cased(hay + i, nn))
                        return true;
        }
        return false;
}

static bool regex_hits(secrets_scratch_t *s, pcre2_code *const *codes, size_t n, const char *p,
                       size_t len)
{
        for (size_t i = 0; i < n; i++) {
                int rc = pcre2_match(codes[i], (PCRE2_SPTR)p, len, 0, 0, s->md2, s->mctx);
                if (rc >= 0)
                        return true;
                if (rc != PCRE2_ERROR_NOMATCH)
                        s->stats.regex_limits++;
        }
        return false;
}

static bool is_placeholder(secrets_scratch_t *s, const char *p, size_t n)
{
        const secrets_rules_t *rs = s->e->rules;

        for (size_t i = 0; i < rs->ph_exact.n; i++)
                if (strlen(rs->ph_exact.v[i]) == n && memcmp(rs->ph_exact.v[i], p, n) == 0)
                        return true;
        if (n <= rs->ph_contains_max_len)
                for (size_t i = 0; i < rs->ph_contains.n; i++)
                        if (memmem_ci(p, n, rs->ph_contains.v[i], strlen(rs->ph_contains.v[i])))
                                return true;
        if (rs->ph_min_distinct) {
                bool seen[256] = { false };
                unsigned distinct = 0;
                for (size_t i = 0; i < n && distinct < rs->ph_min_distinct; i++)
                        if (!seen[(unsigned char)p[i]]) {
                                seen[(unsigned char)p[i]] = true;
                                distinct++;
                        }
                if (distinct < rs->ph_min_distinct)
                        return true;
        }
        return regex_hits(s, s->e->ph_regex, s->e->n_ph_regex, p, n);
}

static unsigned char_classes(const char *p, size_t n)
{
        bool up = false, low = false, dig = false, other = false;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c >= 'A' && c <= 'Z')
                        up = true;
                else if (c >= 'a' && c <= 'z')
                        low = true;
                else if (c >= '0' && c <= '9')
                        dig = true;
                else
                        other = true;
        }
        return (unsigned)up + low + dig + other;
}

/* Copy the secret without white space and without "\n"/"\r" escapes (a
 * PEM key inside a JSON string), so one key has one fingerprint wherever it
 * is stored. Returns the new length. */
static size_t normalize(const char *p, size_t n, char *out)
{
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                char c = p[i];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
                        continue;
                if (c == '\\' && i + 1 < n && (p[i + 1] == 'n' || p[i + 1] == 'r')) {
                        i++;
                        continue;
                }
                out[o++] = c;
        }
        return o;
}

/* Confirm the PCRE2 match in s->md for rule ID and report it. */
static void emit(secrets_scratch_t *s, size_t id)
{
        const compiled_rule_t *cr = &s->e->cr[id];
        const secrets_rule_t *rule = cr->rule;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        uint32_t pairs = pcre2_get_ovector_count(s->md);
        size_t ms = ov[0], me = ov[1], ss, se, slen;
        const char *sec;
        uint8_t digest[HASH_SHA256_LEN];
        secrets_match_t m;
        lpos_t pos;
        int r;

        if (cr->secret_group >= pairs || ov[2 * cr->secret_group] == PCRE2_UNSET)
                return;
        ss = ov[2 * cr->secret_group];
        se = ov[2 * cr->secret_group + 1];
        if (se <= ss || se - ss > SECRETS_MAX_SECRET)
                return;
        s->stats.candidates++;
        if (rule->normalize) {
                slen = normalize(s->data + ss, se - ss, s->norm);
                sec = s->norm;
        } else {
                slen = se - ss;
                sec = s->data + ss;
        }
        if (!slen)
                return;
        if ((rule->entropy > 0 && secrets_entropy(sec, slen) < rule->entropy) ||
            (rule->min_classes && char_classes(sec, slen) < rule->min_classes) ||
            regex_hits(s, cr->ign_secret, cr->n_ign_secret, sec, slen) ||
            regex_hits(s, cr->ign_match, cr->n_ign_match, s->data + ms, me - ms)) {
                s->stats.filtered++;
                return;
        }
        if (rule->placeholders && is_placeholder(s, sec, slen)) {
                s->stats.placeholders++;
                return;
        }
        pos = lpos_at(s, s->base + ss);
        memset(&m, 0, sizeof(m));
        m.rule = rule;
        m.rule_index = id;
        m.offset = s->base + ss;
        m.length = se - ss;
        m.line = pos.line;
        m.column = pos.col;
        m.secret = sec;
        m.secret_len = slen;
        hash_sha256(sec, slen, digest);
        hash_hex(digest, HASH_SHA256_LEN, m.fingerprint);
        secrets_preview(sec, slen, m.preview);
        s->stats.reported++;
        r = s->fn(&m, s->userdata);
        if (r < 0 && !s->err)
                s->err = r;
}

static int run_pcre(secrets_scratch_t *s, const pcre2_code *code, bool jit, size_t end, size_t pos)
{
        /* pcre2_jit_match skips the checks pcre2_match does on every call. */
        int rc = jit ? pcre2_jit_match(code, (PCRE2_SPTR)s->data, end, pos, 0, s->md, s->mctx)
                     : pcre2_match(code, (PCRE2_SPTR)s->data, end, pos, 0, s->md, s->mctx);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
                s->stats.regex_limits++;
        return rc;
}

/* A rule without trigger: Hyperscan saw a match of the pattern end at TO. */
static void confirm_direct(secrets_scratch_t *s, size_t id, size_t to)
{
        const compiled_rule_t *cr = &s->e->cr[id];
        uint64_t abs_to = s->base + to;
        size_t start, end, pos;

        if (abs_to <= s->cursor[id])
                return;
        start = to > cr->width ? to - cr->width : 0;
        if (s->cursor[id] > s->base && s->cursor[id] - s->base > start)
                start = (size_t)(s->cursor[id] - s->base);
        if (start < s->floor)
                start = s->floor;
        if (start >= to)
                return;
        end = to + cr->width + SECRETS_SLACK;
        if (end > s->len)
                end = s->len;
        pos = start;
        for (;;) {
                PCRE2_SIZE *ov;
                size_t ms, me;
                int rc = run_pcre(s, cr->pattern, cr->jit, end, pos);

                if (rc < 0) {
                        /* No match starts in [pos, to]: those that would fit. */
                        if (s->base + to + 1 > s->cursor[id])
                                s->cursor[id] = s->base + to + 1;
                        return;
                }
                ov = pcre2_get_ovector_pointer(s->md);
                ms = ov[0];
                me = ov[1];
                if (me + SECRETS_SLACK > end && !(end == s->len && s->last)) {
                        /* It may be cut short by the end of what we looked
                         * at; a later report or chunk sees all of it. */
                        s->cursor[id] = s->base + ms;
                        return;
                }
                emit(s, id);
                pos = me > ms ? me : me + 1;
                s->cursor[id] = s->base + pos;
                if (pos > to || pos >= end || s->err)
                        return;
        }
}

/* A rule with a trigger that Hyperscan saw end at TO: search the pattern in
 * the window of lines around it. */
static void confirm_window(secrets_scratch_t *s, size_t id, size_t to)
{
        const compiled_rule_t *cr = &s->e->cr[id];
        const secrets_rule_t *rule = cr->rule;
        uint64_t abs_to = s->base + to;
        size_t tstart, ws, we, lim, end, pos;
        const char *p;

        if (abs_to <= s->tcursor[id])
                return;
        tstart = to > cr->width ? to - cr->width : 0;
        /* Back to the start of the trigger's line, then LINES_BEFORE more. */
        lim = tstart > rule->window_bytes ? tstart - rule->window_bytes : 0;
        ws = to;
        for (unsigned k = 0; k <= rule->lines_before && ws > lim; k++) {
                p = memrchr(s->data + lim, '\n', (k == 0 ? to : ws - 1) - lim);
                if (!p) {
                        ws = lim;
                        break;
                }
                ws = (size_t)(p - s->data) + 1;
        }
        if (ws > tstart || rule->window_at_trigger)
                ws = tstart;
        if (ws < lim)
                ws = lim;
        /* Forward to the end of the line, then LINES_AFTER more. */
        lim = to + rule->window_bytes < s->len ? to + rule->window_bytes : s->len;
        we = to;
        for (unsigned k = 0; k <= rule->lines_after && we < lim; k++) {
                p = memchr(s->data + (k == 0 ? we : we + 1), '\n', lim - (k == 0 ? we : we + 1));
                if (!p) {
                        we = lim;
                        break;
                }
                we = (size_t)(p - s->data);
        }
        if (ws < s->floor)
                return; /* done in the previous chunk, which held all of it */
        if (we + SECRETS_SLACK > s->len && !s->last)
                return; /* the next chunk holds all of it */
        s->tcursor[id] = abs_to;
        /* Matches must lie in the window; PCRE2 gets to see past it only
         * for its lookahead. A window that ends at a newline needs just
         * that byte; without this, every search would also run through
         * the next lines. */
        if (we < s->len && s->data[we] == '\n')
                end = we + 1;
        else
                end = we + SECRETS_SLACK < s->len ? we + SECRETS_SLACK : s->len;
        pos = ws;
        if (s->cursor[id] > s->base + pos)
                pos = (size_t)(s->cursor[id] - s->base);
        while (pos < we && !s->err) {
                PCRE2_SIZE *ov;
                size_t ms, me;

                if (run_pcre(s, cr->pattern, cr->jit, end, pos) < 0) {
                        /* No match starts where one would fit in the
                         * window: later triggers need not look there. */
                        if (cr->pwidth && we > pos + cr->pwidth &&
                            s->base + we - cr->pwidth > s->cursor[id])
                                s->cursor[id] = s->base + we - cr->pwidth;
                        return;
                }
                ov = pcre2_get_ovector_pointer(s->md);
                ms = ov[0];
                me = ov[1];
                if (me > we)
                        return;
                emit(s, id);
                pos = me > ms ? me : me + 1;
                s->cursor[id] = s->base + pos;
        }
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *ctx)
{
        secrets_scratch_t *s = ctx;

        (void)from;
        (void)flags;
        if (id >= s->n || to > s->len)
                return 0;
        if (s->e->cr[id].rule->trigger)
                confirm_window(s, id, (size_t)to);
        else
                confirm_direct(s, id, (size_t)to);
        return s->err ? 1 : 0;
}

void secrets_scan_begin(secrets_scratch_t *s)
{
        memset(s->cursor, 0, s->n * sizeof(*s->cursor));
        memset(s->tcursor, 0, s->n * sizeof(*s->tcursor));
        s->base = 0;
        s->started = false;
        s->cur = (lpos_t){ 0, 1, 1 };
        s->cbase = s->cur;
        s->err = 0;
}

int secrets_scan_chunk(const secrets_engine_t *e, secrets_scratch_t *s, const char *data,
                       size_t len, bool last, secrets_match_fn fn, void *userdata)
{
        hs_error_t hr;

        if (!last && len <= SECRETS_OVERLAP)
                return -EINVAL;
        if (len > UINT_MAX)
                return -EFBIG;
        s->e = e;
        s->data = data;
        s->len = len;
        s->last = last;
        s->floor = s->started ? SECRETS_SLACK : 0;
        s->fn = fn;
        s->userdata = userdata;
        s->err = 0;
        s->stats.bytes += s->started ? (len > SECRETS_OVERLAP ? len - SECRETS_OVERLAP : 0) : len;
        s->started = true;
        s->cbase = s->cur;
        if (len)
                hr = hs_scan(e->db, data, (unsigned)len, 0, s->hs, on_hs_match, s);
        else
                hr = HS_SUCCESS;
        if (s->err)
                return s->err;
        if (hr != HS_SUCCESS)
                return -EIO;
        if (!last) {
                /* The next chunk starts SECRETS_OVERLAP bytes before our
                 * end; carry the line count there. */
                uint64_t next = s->base + len - SECRETS_OVERLAP;
                if (s->cur.off < next)
                        lpos_advance(s, &s->cur, next);
                else
                        s->cur = lpos_at(s, next);
                s->base = next;
        }
        return 0;
}

int secrets_scan_buffer(const secrets_engine_t *e, secrets_scratch_t *s, const char *data,
                        size_t len, secrets_match_fn fn, void *userdata)
{
        secrets_scan_begin(s);
        return secrets_scan_chunk(e, s, data, len, true, fn, userdata);
}
