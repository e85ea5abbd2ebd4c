#include "scan/vuln/fjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

/* Arena chunks: at least this big, so a document of small values costs a
 * handful of mallocs. */
#define CHUNK_MIN (64 * KiB)
#define ALIGN     16

struct fj_chunk {
        struct fj_chunk *next;
        size_t size;
        size_t used;
        _Alignas(ALIGN) unsigned char data[];
};

void fj_arena_init(fj_arena_t *a, size_t max)
{
        *a = (fj_arena_t){ .max = max };
}

void fj_arena_reset(fj_arena_t *a)
{
        for (struct fj_chunk *c = a->chunks; c; c = c->next)
                c->used = 0;
        a->cur = a->chunks;
        a->used = 0;
        a->vtop = 0;
        a->mtop = 0;
}

void fj_arena_free(fj_arena_t *a)
{
        struct fj_chunk *c = a->chunks;

        while (c) {
                struct fj_chunk *next = c->next;
                free(c);
                c = next;
        }
        free(a->vstack);
        free(a->mstack);
        *a = (fj_arena_t){ .max = a->max };
}

static int arena_alloc(fj_arena_t *a, size_t n, void **ret)
{
        struct fj_chunk *c, *last = NULL;
        size_t size;

        n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        if (n > a->max || a->used > a->max - n)
                return -E2BIG;
        if (!a->cur)
                a->cur = a->chunks;
        /* Move forward through the chunks kept from earlier documents until
         * one has room; the remainder of skipped chunks stays unused until
         * the next reset. */
        for (c = a->cur; c; c = c->next) {
                if (c->size - c->used >= n)
                        break;
                last = c;
        }
        if (!c) {
                for (last = a->cur ? a->cur : a->chunks; last && last->next; last = last->next)
                        ;
                size = n > CHUNK_MIN ? n : CHUNK_MIN;
                c = malloc(sizeof(*c) + size);
                if (!c)
                        return -ENOMEM;
                c->next = NULL;
                c->size = size;
                c->used = 0;
                if (last)
                        last->next = c;
                else
                        a->chunks = c;
        }
        a->cur = c;
        *ret = c->data + c->used;
        c->used += n;
        a->used += n;
        return 0;
}

void *fj_arena_alloc(fj_arena_t *a, size_t n)
{
        void *p;

        return arena_alloc(a, n ? n : 1, &p) < 0 ? NULL : p;
}

char *fj_arena_strndup(fj_arena_t *a, const char *s, size_t n)
{
        char *d = fj_arena_alloc(a, n + 1);

        if (!d)
                return NULL;
        memcpy(d, s, n);
        d[n] = 0;
        return d;
}

char *fj_arena_strdup(fj_arena_t *a, const char *s)
{
        return fj_arena_strndup(a, s, strlen(s));
}

typedef struct parser {
        fj_arena_t *a;
        const char *p;
        size_t pos;
        size_t end;
        unsigned depth;
        unsigned max_depth;
        fj_error_t *err;
} parser_t;

static int fail(parser_t *ps, size_t pos, const char *fmt, ...) _printf_(3, 4);
static int fail(parser_t *ps, size_t pos, const char *fmt, ...)
{
        va_list ap;

        if (ps->err) {
                ps->err->pos = pos;
                va_start(ap, fmt);
                vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int fail_oom(parser_t *ps, int r)
{
        if (ps->err) {
                ps->err->pos = ps->pos;
                snprintf(ps->err->msg, sizeof(ps->err->msg), "%s",
                         r == -E2BIG ? "value too large" : "out of memory");
        }
        return r;
}

static void skip_ws(parser_t *ps)
{
        while (ps->pos < ps->end) {
                char c = ps->p[ps->pos];
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
                        break;
                ps->pos++;
        }
}

/* A printable character for messages about the byte at POS. */
static const char *describe(parser_t *ps, size_t pos, char buf[8])
{
        unsigned char c;

        if (pos >= ps->end)
                return "end of input";
        c = (unsigned char)ps->p[pos];
        if (c >= 0x21 && c < 0x7f)
                snprintf(buf, 8, "'%c'", c);
        else
                snprintf(buf, 8, "0x%02x", c);
        return buf;
}

static int read_hex4(parser_t *ps, size_t i, unsigned *ret)
{
        unsigned v = 0;

        if (i + 4 > ps->end)
                return fail(ps, i, "truncated \\u escape");
        for (size_t k = 0; k < 4; k++) {
                int h = str_hexval(ps->p[i + k]);
                if (h < 0)
                        return fail(ps, i + k, "bad hex digit in \\u escape");
                v = v * 16 + (unsigned)h;
        }
        *ret = v;
        return 0;
}

/* Length of the valid UTF-8 sequence at P[I] (a byte >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *p, size_t i, size_t end)
{
        unsigned char c = p[i];
        size_t n;
        unsigned lo = 0x80, hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf)
                n = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                if (c == 0xe0)
                        lo = 0xa0; /* no overlong forms */
                else if (c == 0xed)
                        hi = 0x9f; /* no UTF-16 surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f; /* nothing above U+10FFFF */
        } else
                return 0;
        if (i + n > end)
                return 0;
        if (p[i + 1] < lo || p[i + 1] > hi)
                return 0;
        for (size_t k = 2; k < n; k++)
                if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                        return 0;
        return n;
}

static size_t put_utf8(char *d, unsigned cp)
{
        if (cp < 0x80) {
                d[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                d[0] = (char)(0xc0 | (cp >> 6));
                d[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                d[0] = (char)(0xe0 | (cp >> 12));
                d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                d[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        d[0] = (char)(0xf0 | (cp >> 18));
        d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

/* Find the closing quote of the string whose opening quote is at START - 1;
 * only escapes are interpreted here. One linear pass. */
static int string_end(parser_t *ps, size_t start, size_t *ret_end)
{
        for (size_t i = start; i < ps->end; i++) {
                char c = ps->p[i];
                if (c == '"') {
                        *ret_end = i;
                        return 0;
                }
                if (c == '\\')
                        i++;
        }
        return fail(ps, start - 1, "unterminated string");
}

/* A NUL-terminated copy of N bytes of S in the parser's arena. */
static int copy_str(parser_t *ps, const char *s, size_t n, char **ret)
{
        char *d;
        int r;

        if ((r = arena_alloc(ps->a, n + 1, (void **)&d)) < 0)
                return fail_oom(ps, r);
        memcpy(d, s, n);
        d[n] = 0;
        *ret = d;
        return 0;
}

/* Does any byte of W need the slow path: '"', '\\', < 0x20 or >= 0x80?
 * (Bitwise tests on eight bytes at once; a byte b is "zero" in x ^ c when
 * b == c, and "less than n" when (b - n) borrows into its high bit.) */
static inline bool special_bytes(uint64_t w)
{
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t has_q = (q - ones) & ~q & highs;
        uint64_t has_b = (b - ones) & ~b & highs;
        uint64_t has_ctl = (w - ones * 0x20) & ~w & highs;

        return (has_q | has_b | has_ctl | (w & highs)) != 0;
}

/* Decode the string whose opening quote is at ps->pos into the arena. */
static int parse_string(parser_t *ps, const char **ret, size_t *ret_len)
{
        const unsigned char *p = (const unsigned char *)ps->p;
        size_t start = ps->pos + 1, i = start, end = 0, n = 0;
        char *d;
        int r;

        /* Fast path: printable ASCII up to the closing quote, eight bytes a
         * step while none of them is special (a quote, a backslash, a
         * control character or a byte >= 0x80). */
        while (i + 8 <= ps->end) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (special_bytes(w))
                        break;
                i += 8;
        }
        while (i < ps->end && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
                i++;
        if (i < ps->end && p[i] == '"') {
                if ((r = copy_str(ps, ps->p + start, i - start, &d)) < 0)
                        return r;
                ps->pos = i + 1;
                *ret = d;
                *ret_len = i - start;
                return 0;
        }
        if ((r = string_end(ps, start, &end)) < 0)
                return r;
        /* Decoding never makes a string longer than its source text. */
        if ((r = arena_alloc(ps->a, end - start + 1, (void **)&d)) < 0)
                return fail_oom(ps, r);
        for (i = start; i < end;) {
                unsigned char c = p[i];
                if (c == '\\') {
                        unsigned cp, lo;
                        char e = ps->p[i + 1];
                        switch (e) {
                        case '"':
                        case '\\':
                        case '/':
                                d[n++] = e;
                                i += 2;
                                continue;
                        case 'b':
                                d[n++] = '\b';
                                i += 2;
                                continue;
                        case 'f':
                                d[n++] = '\f';
                                i += 2;
                                continue;
                        case 'n':
                                d[n++] = '\n';
                                i += 2;
                                continue;
                        case 'r':
                                d[n++] = '\r';
                                i += 2;
                                continue;
                        case 't':
                                d[n++] = '\t';
                                i += 2;
                                continue;
                        case 'u':
                                break;
                        default:
                                return fail(ps, i, "bad escape in string");
                        }
                        if ((r = read_hex4(ps, i + 2, &cp)) < 0)
                                return r;
                        if (cp >= 0xdc00 && cp <= 0xdfff)
                                return fail(ps, i, "unpaired UTF-16 surrogate in string");
                        if (cp >= 0xd800 && cp <= 0xdbff) {
                                if (i + 12 > end || p[i + 6] != '\\' || p[i + 7] != 'u')
                                        return fail(ps, i, "unpaired UTF-16 surrogate in string");
                                if ((r = read_hex4(ps, i + 8, &lo)) < 0)
                                        return r;
                                if (lo < 0xdc00 || lo > 0xdfff)
                                        return fail(ps, i, "unpaired UTF-16 surrogate in string");
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                i += 6;
                        }
                        if (cp == 0)
                                return fail(ps, i, "string contains a NUL character");
                        n += put_utf8(d + n, cp);
                        i += 6;
                } else if (c < 0x20) {
                        return fail(ps, i, "control character in string");
                } else if (c < 0x80) {
                        d[n++] = (char)c;
                        i++;
                } else {
                        size_t k = utf8_len(p, i, end);
                        if (!k)
                                return fail(ps, i, "invalid UTF-8 in string");
                        memcpy(d + n, p + i, k);
                        n += k;
                        i += k;
                }
        }
        d[n] = 0;
        ps->pos = end + 1;
        *ret = d;
        *ret_len = n;
        return 0;
}

static int parse_number(parser_t *ps, fj_value_t *v)
{
        const char *p = ps->p;
        size_t i = ps->pos, start = ps->pos;
        char *d;
        int r;

#define DIGIT(k) ((k) < ps->end && p[k] >= '0' && p[k] <= '9')
        if (i < ps->end && p[i] == '-')
                i++;
        if (i < ps->end && p[i] == '0')
                i++;
        else if (DIGIT(i))
                while (DIGIT(i))
                        i++;
        else
                return fail(ps, i, "bad number");
        if (i < ps->end && p[i] == '.') {
                i++;
                if (!DIGIT(i))
                        return fail(ps, i, "bad number");
                while (DIGIT(i))
                        i++;
        }
        if (i < ps->end && (p[i] == 'e' || p[i] == 'E')) {
                i++;
                if (i < ps->end && (p[i] == '+' || p[i] == '-'))
                        i++;
                if (!DIGIT(i))
                        return fail(ps, i, "bad number");
                while (DIGIT(i))
                        i++;
        }
#undef DIGIT
        if ((r = copy_str(ps, p + start, i - start, &d)) < 0)
                return r;
        v->type = FJ_NUMBER;
        v->n = i - start;
        v->u.str = d;
        ps->pos = i;
        return 0;
}

static int literal(parser_t *ps, const char *word, fj_type_t type, fj_value_t *v)
{
        size_t n = strlen(word);

        if (ps->end - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0) {
                char buf[8];
                return fail(ps, ps->pos, "unexpected %s", describe(ps, ps->pos, buf));
        }
        v->type = type;
        ps->pos += n;
        return 0;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
        size_t c = *cap ? *cap : 64;
        void *n;

        if (need <= *cap)
                return 0;
        while (c < need)
                c *= 2;
        n = realloc(*v, c * size);
        if (!n)
                return -ENOMEM;
        *v = n;
        *cap = c;
        return 0;
}

static int parse_value(parser_t *ps, fj_value_t *v);

static int parse_array(parser_t *ps, fj_value_t *v)
{
        fj_arena_t *a = ps->a;
        size_t base = a->vtop, n;
        int r;

        ps->pos++; /* '[' */
        skip_ws(ps);
        if (ps->pos < ps->end && ps->p[ps->pos] == ']') {
                ps->pos++;
                goto done;
        }
        for (;;) {
                fj_value_t item;
                char buf[8];
                skip_ws(ps);
                if ((r = parse_value(ps, &item)) < 0)
                        return r;
                if ((r = grow((void **)&a->vstack, &a->vcap, a->vtop + 1, sizeof(*a->vstack))) < 0)
                        return fail_oom(ps, r);
                a->vstack[a->vtop++] = item;
                skip_ws(ps);
                if (ps->pos < ps->end && ps->p[ps->pos] == ',') {
                        ps->pos++;
                        continue;
                }
                if (ps->pos < ps->end && ps->p[ps->pos] == ']') {
                        ps->pos++;
                        break;
                }
                return fail(ps, ps->pos, "expected ',' or ']' in array, found %s",
                            describe(ps, ps->pos, buf));
        }
done:
        n = a->vtop - base;
        v->type = FJ_ARRAY;
        v->n = n;
        v->u.items = NULL;
        if (n) {
                if ((r = arena_alloc(a, n * sizeof(fj_value_t), (void **)&v->u.items)) < 0)
                        return fail_oom(ps, r);
                memcpy(v->u.items, a->vstack + base, n * sizeof(fj_value_t));
        }
        a->vtop = base;
        return 0;
}

static int parse_key(parser_t *ps, const char **ret, size_t *ret_len)
{
        char buf[8];

        if (ps->pos >= ps->end || ps->p[ps->pos] != '"')
                return fail(ps, ps->pos, "expected a string key, found %s",
                            describe(ps, ps->pos, buf));
        return parse_string(ps, ret, ret_len);
}

static int expect_colon(parser_t *ps)
{
        char buf[8];

        skip_ws(ps);
        if (ps->pos >= ps->end || ps->p[ps->pos] != ':')
                return fail(ps, ps->pos, "expected ':' after key, found %s",
                            describe(ps, ps->pos, buf));
        ps->pos++;
        skip_ws(ps);
        return 0;
}

static int parse_object(parser_t *ps, fj_value_t *v)
{
        fj_arena_t *a = ps->a;
        size_t base = a->mtop, n;
        int r;

        ps->pos++; /* '{' */
        skip_ws(ps);
        if (ps->pos < ps->end && ps->p[ps->pos] == '}') {
                ps->pos++;
                goto done;
        }
        for (;;) {
                fj_member_t m;
                char buf[8];
                skip_ws(ps);
                if ((r = parse_key(ps, &m.key, &m.key_len)) < 0 || (r = expect_colon(ps)) < 0 ||
                    (r = parse_value(ps, &m.value)) < 0)
                        return r;
                if ((r = grow((void **)&a->mstack, &a->mcap, a->mtop + 1, sizeof(*a->mstack))) < 0)
                        return fail_oom(ps, r);
                a->mstack[a->mtop++] = m;
                skip_ws(ps);
                if (ps->pos < ps->end && ps->p[ps->pos] == ',') {
                        ps->pos++;
                        continue;
                }
                if (ps->pos < ps->end && ps->p[ps->pos] == '}') {
                        ps->pos++;
                        break;
                }
                return fail(ps, ps->pos, "expected ',' or '}' in object, found %s",
                            describe(ps, ps->pos, buf));
        }
done:
        n = a->mtop - base;
        v->type = FJ_OBJECT;
        v->n = n;
        v->u.members = NULL;
        if (n) {
                if ((r = arena_alloc(a, n * sizeof(fj_member_t), (void **)&v->u.members)) < 0)
                        return fail_oom(ps, r);
                memcpy(v->u.members, a->mstack + base, n * sizeof(fj_member_t));
        }
        a->mtop = base;
        return 0;
}

static int parse_value(parser_t *ps, fj_value_t *v)
{
        char buf[8];
        int r;

        *v = (fj_value_t){ .pos = ps->pos };
        if (ps->pos >= ps->end)
                return fail(ps, ps->pos, "unexpected end of input");
        switch (ps->p[ps->pos]) {
        case '{':
        case '[':
                if (ps->depth >= ps->max_depth)
                        return fail(ps, ps->pos, "nesting deeper than %u levels", ps->max_depth);
                ps->depth++;
                r = ps->p[ps->pos] == '{' ? parse_object(ps, v) : parse_array(ps, v);
                ps->depth--;
                return r;
        case '"':
                v->type = FJ_STRING;
                return parse_string(ps, &v->u.str, &v->n);
        case 't':
                return literal(ps, "true", FJ_TRUE, v);
        case 'f':
                return literal(ps, "false", FJ_FALSE, v);
        case 'n':
                return literal(ps, "null", FJ_NULL, v);
        case '-':
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
                return parse_number(ps, v);
        default:
                return fail(ps, ps->pos, "unexpected %s", describe(ps, ps->pos, buf));
        }
}

static void skip_bom(parser_t *ps)
{
        if (ps->end - ps->pos >= 3 && memcmp(ps->p + ps->pos, "\xef\xbb\xbf", 3) == 0)
                ps->pos += 3;
}

int fj_parse(fj_arena_t *a, const char *p, size_t off, size_t len, unsigned max_depth,
             fj_value_t **ret, fj_error_t *err)
{
        parser_t ps = {
                .a = a,
                .p = p,
                .pos = off,
                .end = off + len,
                .max_depth = max_depth ? max_depth : FJ_DEFAULT_MAX_DEPTH,
                .err = err,
        };
        fj_value_t *v;
        char buf[8];
        int r;

        if ((r = arena_alloc(a, sizeof(*v), (void **)&v)) < 0)
                return fail_oom(&ps, r);
        skip_bom(&ps);
        skip_ws(&ps);
        if ((r = parse_value(&ps, v)) < 0)
                return r;
        skip_ws(&ps);
        if (ps.pos != ps.end)
                return fail(&ps, ps.pos, "unexpected %s after the value",
                            describe(&ps, ps.pos, buf));
        *ret = v;
        return 0;
}

int fj_reader_open(fj_reader_t *r, const char *p, size_t off, size_t len, unsigned max_depth,
                   fj_type_t *ret_type, fj_error_t *err)
{
        parser_t ps = { .p = p, .pos = off, .end = off + len, .err = err };
        char buf[8];

        skip_bom(&ps);
        skip_ws(&ps);
        if (ps.pos >= ps.end || (p[ps.pos] != '[' && p[ps.pos] != '{'))
                return fail(&ps, ps.pos, "expected a JSON array or object, found %s",
                            describe(&ps, ps.pos, buf));
        *r = (fj_reader_t){
                .p = p,
                .end = off + len,
                .pos = ps.pos + 1,
                .type = p[ps.pos] == '[' ? FJ_ARRAY : FJ_OBJECT,
                .max_depth = max_depth ? max_depth : FJ_DEFAULT_MAX_DEPTH,
        };
        if (ret_type)
                *ret_type = r->type;
        return 0;
}

/* Skip one value without building it: enough structure to find its end. */
static int skip_value(parser_t *ps)
{
        /* Open brackets, one bit per level: 1 for '{', 0 for '['. */
        uint64_t stack[(1024 + 63) / 64] = { 0 };
        unsigned depth = 0;
        char buf[8];
        int r;

        if (ps->max_depth > 1024)
                ps->max_depth = 1024;
        do {
                size_t end = 0;
                char c;
                skip_ws(ps);
                if (ps->pos >= ps->end)
                        return fail(ps, ps->pos, "unexpected end of input");
                c = ps->p[ps->pos];
                switch (c) {
                case '{':
                case '[':
                        if (ps->depth + depth >= ps->max_depth)
                                return fail(ps, ps->pos, "nesting deeper than %u levels",
                                            ps->max_depth);
                        if (c == '{')
                                stack[depth / 64] |= (uint64_t)1 << (depth % 64);
                        else
                                stack[depth / 64] &= ~((uint64_t)1 << (depth % 64));
                        depth++;
                        ps->pos++;
                        break;
                case '}':
                case ']':
                        if (!depth || ((stack[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1) !=
                                              (uint64_t)(c == '}'))
                                return fail(ps, ps->pos, "unexpected %s",
                                            describe(ps, ps->pos, buf));
                        depth--;
                        ps->pos++;
                        break;
                case '"':
                        if ((r = string_end(ps, ps->pos + 1, &end)) < 0)
                                return r;
                        ps->pos = end + 1;
                        break;
                case ',':
                case ':':
                        if (!depth)
                                return fail(ps, ps->pos, "unexpected %s",
                                            describe(ps, ps->pos, buf));
                        ps->pos++;
                        break;
                default:
                        /* A number or literal: up to the next delimiter. */
                        while (ps->pos < ps->end) {
                                c = ps->p[ps->pos];
                                if (c == ',' || c == ']' || c == '}' || c == ':' || c == ' ' ||
                                    c == '\n' || c == '\r' || c == '\t' || c == '"' || c == '[' ||
                                    c == '{')
                                        break;
                                ps->pos++;
                        }
                        break;
                }
        } while (depth);
        return 0;
}

static int reader_member(fj_reader_t *r, fj_arena_t *a, const char **ret_key, bool skip,
                         fj_value_t **ret_value, size_t *ret_off, size_t *ret_len, fj_error_t *err)
{
        parser_t ps = {
                .a = a,
                .p = r->p,
                .pos = r->pos,
                .end = r->end,
                .depth = 1,
                .max_depth = r->max_depth,
                .err = err,
        };
        char close = r->type == FJ_ARRAY ? ']' : '}';
        const char *key = NULL;
        size_t key_len, start;
        char buf[8];
        int ret;

        if (r->done)
                return 0;
        r->done = true; /* until this member is read successfully */
        skip_ws(&ps);
        if (r->count > 0) {
                if (ps.pos < ps.end && ps.p[ps.pos] == ',') {
                        size_t comma = ps.pos++;
                        skip_ws(&ps);
                        if (ps.pos < ps.end && ps.p[ps.pos] == close)
                                return fail(&ps, comma, "trailing comma");
                } else if (ps.pos >= ps.end || ps.p[ps.pos] != close)
                        return fail(&ps, ps.pos, "expected ',' or '%c', found %s", close,
                                    describe(&ps, ps.pos, buf));
        }
        if (ps.pos < ps.end && ps.p[ps.pos] == close) {
                ps.pos++;
                skip_ws(&ps);
                if (ps.pos != ps.end)
                        return fail(&ps, ps.pos, "unexpected %s after the document",
                                    describe(&ps, ps.pos, buf));
                r->pos = ps.pos;
                return 0;
        }
        if (r->type == FJ_OBJECT) {
                if ((ret = parse_key(&ps, &key, &key_len)) < 0 || (ret = expect_colon(&ps)) < 0)
                        return ret;
        }
        start = ps.pos;
        if (skip) {
                if ((ret = skip_value(&ps)) < 0)
                        return ret;
                *ret_off = start;
                *ret_len = ps.pos - start;
        } else {
                fj_value_t *v;
                if ((ret = arena_alloc(a, sizeof(*v), (void **)&v)) < 0)
                        return fail_oom(&ps, ret);
                if ((ret = parse_value(&ps, v)) < 0)
                        return ret;
                *ret_value = v;
        }
        if (ret_key)
                *ret_key = key;
        r->pos = ps.pos;
        r->count++;
        r->done = false;
        return 1;
}

int fj_reader_next(fj_reader_t *r, fj_arena_t *a, const char **ret_key, fj_value_t **ret_value,
                   fj_error_t *err)
{
        return reader_member(r, a, ret_key, false, ret_value, NULL, NULL, err);
}

int fj_reader_skip(fj_reader_t *r, fj_arena_t *a, const char **ret_key, size_t *ret_off,
                   size_t *ret_len, fj_error_t *err)
{
        return reader_member(r, a, ret_key, true, NULL, ret_off, ret_len, err);
}

void fj_line_col(const char *p, size_t pos, size_t *ret_line, size_t *ret_col)
{
        size_t line = 1, bol = 0;

        for (size_t i = 0; i < pos; i++)
                if (p[i] == '\n') {
                        line++;
                        bol = i + 1;
                }
        *ret_line = line;
        *ret_col = pos - bol + 1;
}

const fj_value_t *fj_get(const fj_value_t *obj, const char *key)
{
        size_t n;

        if (!obj || obj->type != FJ_OBJECT)
                return NULL;
        n = strlen(key);
        for (size_t i = 0; i < obj->n; i++) {
                const fj_member_t *m = &obj->u.members[i];
                if (m->key_len == n && memcmp(m->key, key, n) == 0)
                        return &m->value;
        }
        return NULL;
}

const char *fj_type_name(const fj_value_t *v)
{
        static const char *const names[] = {
                [FJ_NULL] = "null",     [FJ_FALSE] = "false",   [FJ_TRUE] = "true",
                [FJ_NUMBER] = "number", [FJ_STRING] = "string", [FJ_ARRAY] = "array",
                [FJ_OBJECT] = "object",
        };
        return v ? names[v->type] : "nothing";
}
