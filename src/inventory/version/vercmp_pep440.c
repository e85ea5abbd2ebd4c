/* PyPI version order: PEP 440 as the "packaging" library (23.x, the parser
 * pip uses) implements it.
 *
 * A version is [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], with the
 * alternate spellings packaging accepts: any letter case, a leading 'v',
 * surrounding white space, '-', '_' or '.' (or nothing) before and after the
 * pre/post/dev words, alpha/beta/c/pre/preview for a/b/rc, rev/r for post,
 * "-N" for a post-release and a missing number for 0. Versions compare by
 * epoch, then release with trailing zeros ignored, then pre-release (a
 * version with only a dev part sorts before its pre-releases, a final one
 * after them), then post-release (none first), then dev-release (none last),
 * then local version (none first; segments numeric above alphanumeric,
 * numbers as numbers, words case-insensitively, a prefix first).
 *
 * packaging rejects everything else. Here such strings sort before every
 * valid version and among themselves byte by byte. The parser below tries
 * the alternatives of packaging's regular expression in the order Python's
 * backtracking matcher tries them, so an ambiguous spelling ("1.0a-1") is
 * read the way packaging reads it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/macro.h"
#include "inventory/version/vercmp_internal.h"

enum { PRE_A, PRE_B, PRE_RC };

/* A parsed version; numbers are digit runs (unbounded) into the string. */
struct pep440 {
        bool valid;
        const char *epoch;
        size_t epoch_len;
        const char *rel, *rel_end; /* "N(.N)*" */
        bool has_pre, has_post, has_dev, has_local;
        int pre_kind;
        const char *pre_n, *post_n, *dev_n;
        size_t pre_len, post_len, dev_len;
        const char *local, *local_end;
        const char *far; /* furthest point the matcher reached */
};

struct pep_ctx {
        const char *s, *e;
        struct pep440 *v;
};

static void pep_reach(struct pep_ctx *c, const char *p)
{
        if (p > c->v->far)
                c->v->far = p;
}

/* Length of the Python str.isspace() character at P (what \s matches in a
 * str pattern), or 0. */
static size_t py_space(const unsigned char *p, const unsigned char *e)
{
        size_t n = (size_t)(e - p);

        if (n == 0)
                return 0;
        if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r') || (p[0] >= 0x1c && p[0] <= 0x1f))
                return 1;
        if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
                return 2;
        if (n < 3)
                return 0;
        if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
            (p[0] == 0xe2 && p[1] == 0x80 &&
             ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) ||
            (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
            (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
                return 3;
        return 0;
}

static inline bool pep_sep(const char *p, const char *e)
{
        return p < e && (*p == '-' || *p == '_' || *p == '.');
}

/* Does P start with WORD (lower case), ignoring ASCII case? */
static bool pep_word(const char *p, const char *e, const char *word)
{
        size_t n = strlen(word);

        if ((size_t)(e - p) < n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (vc_tolower((unsigned char)p[i]) != (unsigned char)word[i])
                        return false;
        return true;
}

/* \s*$ */
static bool pep_end(struct pep_ctx *c, const char *p)
{
        size_t n;

        while ((n = py_space((const unsigned char *)p, (const unsigned char *)c->e)) > 0)
                p += n;
        pep_reach(c, p);
        return p == c->e;
}

/* (?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))? then the end. */
static bool pep_local(struct pep_ctx *c, const char *p)
{
        if (p < c->e && *p == '+') {
                const char *q = p + 1;

                for (;;) {
                        const char *start = q;

                        while (q < c->e && vc_isalnum((unsigned char)*q))
                                q++;
                        if (q == start) {
                                /* Back to before the separator (or '+'). */
                                q = start - 1;
                                break;
                        }
                        if (!pep_sep(q, c->e) || q + 1 >= c->e || !vc_isalnum((unsigned char)q[1]))
                                break;
                        q++;
                }
                if (q > p + 1 && pep_end(c, q)) {
                        c->v->has_local = true;
                        c->v->local = p + 1;
                        c->v->local_end = q;
                        return true;
                }
        }
        c->v->has_local = false;
        return pep_end(c, p);
}

/* The digits at P, if any: their length. */
static size_t pep_num(const char *p, const char *e)
{
        return vc_digits(p, e);
}

/* ([-_.]?dev[-_.]?N?)? then local. */
static bool pep_dev(struct pep_ctx *c, const char *p)
{
        for (int s1 = pep_sep(p, c->e) ? 1 : 0; s1 >= 0; s1--) {
                const char *q = p + s1;

                if (!pep_word(q, c->e, "dev"))
                        continue;
                q += 3;
                pep_reach(c, q);
                for (int s2 = pep_sep(q, c->e) ? 1 : 0; s2 >= 0; s2--) {
                        const char *r = q + s2;
                        size_t n = pep_num(r, c->e);

                        for (int take = n > 0 ? 1 : 0; take >= 0; take--) {
                                c->v->has_dev = true;
                                c->v->dev_n = r;
                                c->v->dev_len = take ? n : 0;
                                if (pep_local(c, r + (take ? n : 0)))
                                        return true;
                        }
                }
        }
        c->v->has_dev = false;
        return pep_local(c, p);
}

/* (-N | [-_.]?(post|rev|r)[-_.]?N?)? then dev. */
static bool pep_post(struct pep_ctx *c, const char *p)
{
        static const char *const words[] = { "post", "rev", "r" };

        if (p < c->e && *p == '-') {
                size_t n = pep_num(p + 1, c->e);

                if (n > 0) {
                        c->v->has_post = true;
                        c->v->post_n = p + 1;
                        c->v->post_len = n;
                        if (pep_dev(c, p + 1 + n))
                                return true;
                }
        }
        for (int s1 = pep_sep(p, c->e) ? 1 : 0; s1 >= 0; s1--) {
                for (size_t w = 0; w < ELEMENTSOF(words); w++) {
                        const char *q = p + s1;

                        if (!pep_word(q, c->e, words[w]))
                                continue;
                        q += strlen(words[w]);
                        pep_reach(c, q);
                        for (int s2 = pep_sep(q, c->e) ? 1 : 0; s2 >= 0; s2--) {
                                const char *r = q + s2;
                                size_t n = pep_num(r, c->e);

                                for (int take = n > 0 ? 1 : 0; take >= 0; take--) {
                                        c->v->has_post = true;
                                        c->v->post_n = r;
                                        c->v->post_len = take ? n : 0;
                                        if (pep_dev(c, r + (take ? n : 0)))
                                                return true;
                                }
                        }
                }
        }
        c->v->has_post = false;
        return pep_dev(c, p);
}

/* ([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?N?)? then post. */
static bool pep_pre(struct pep_ctx *c, const char *p)
{
        static const struct {
                const char *word;
                int kind;
        } words[] = {
                { "a", PRE_A },     { "b", PRE_B },    { "c", PRE_RC },   { "rc", PRE_RC },
                { "alpha", PRE_A }, { "beta", PRE_B }, { "pre", PRE_RC }, { "preview", PRE_RC },
        };

        for (int s1 = pep_sep(p, c->e) ? 1 : 0; s1 >= 0; s1--) {
                for (size_t w = 0; w < ELEMENTSOF(words); w++) {
                        const char *q = p + s1;

                        if (!pep_word(q, c->e, words[w].word))
                                continue;
                        q += strlen(words[w].word);
                        pep_reach(c, q);
                        for (int s2 = pep_sep(q, c->e) ? 1 : 0; s2 >= 0; s2--) {
                                const char *r = q + s2;
                                size_t n = pep_num(r, c->e);

                                for (int take = n > 0 ? 1 : 0; take >= 0; take--) {
                                        c->v->has_pre = true;
                                        c->v->pre_kind = words[w].kind;
                                        c->v->pre_n = r;
                                        c->v->pre_len = take ? n : 0;
                                        if (pep_post(c, r + (take ? n : 0)))
                                                return true;
                                }
                        }
                }
        }
        c->v->has_pre = false;
        return pep_post(c, p);
}

static void pep440_parse(const char *str, struct pep440 *v)
{
        struct pep_ctx c = { .s = str, .e = str + strlen(str), .v = v };
        const char *p = str;
        size_t n;

        *v = (struct pep440){ .far = str };
        while ((n = py_space((const unsigned char *)p, (const unsigned char *)c.e)) > 0)
                p += n;
        if (p < c.e && (*p == 'v' || *p == 'V'))
                p++;
        pep_reach(&c, p);
        /* (N!)? */
        n = pep_num(p, c.e);
        if (n > 0 && p + n < c.e && p[n] == '!') {
                v->epoch = p;
                v->epoch_len = n;
                p += n + 1;
        }
        pep_reach(&c, p);
        /* N(.N)* */
        n = pep_num(p, c.e);
        if (n == 0)
                return;
        v->rel = p;
        p += n;
        while (p + 1 < c.e && *p == '.' && vc_isdigit((unsigned char)p[1]))
                p += 1 + pep_num(p + 1, c.e);
        v->rel_end = p;
        pep_reach(&c, p);
        v->valid = pep_pre(&c, p);
}

/* Next release component at *P (before END): its digits, or "0" past the
 * end, so shorter releases compare as if padded with zeros. */
static void pep_component(const char **p, const char *end, const char **ret, size_t *ret_len)
{
        if (*p >= end) {
                *ret = "0";
                *ret_len = 1;
                return;
        }
        *ret = *p;
        *ret_len = vc_digits(*p, end);
        *p += *ret_len + 1;
}

static int pep_release_cmp(const struct pep440 *a, const struct pep440 *b)
{
        const char *p = a->rel, *q = b->rel;

        while (p < a->rel_end || q < b->rel_end) {
                const char *x, *y;
                size_t xl, yl;
                int r;

                pep_component(&p, a->rel_end, &x, &xl);
                pep_component(&q, b->rel_end, &y, &yl);
                r = vc_numcmp(x, xl, y, yl);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* One local segment at *P: digits (numeric) or letters and digits. */
static void pep_local_seg(const char **p, const char *end, const char **ret, size_t *ret_len,
                          bool *ret_num)
{
        const char *s = *p, *q = s;

        while (q < end && vc_isalnum((unsigned char)*q))
                q++;
        *ret = s;
        *ret_len = (size_t)(q - s);
        *ret_num = vc_digits(s, q) == *ret_len;
        *p = q < end ? q + 1 : q;
}

static int pep_local_cmp(const struct pep440 *a, const struct pep440 *b)
{
        const char *p = a->local, *q = b->local;

        if (!a->has_local || !b->has_local)
                return a->has_local == b->has_local ? 0 : (a->has_local ? 1 : -1);
        for (;;) {
                const char *x, *y;
                size_t xl, yl;
                bool xn, yn;
                int r;

                if (p >= a->local_end || q >= b->local_end)
                        return p >= a->local_end ? (q >= b->local_end ? 0 : -1) : 1;
                pep_local_seg(&p, a->local_end, &x, &xl, &xn);
                pep_local_seg(&q, b->local_end, &y, &yl, &yn);
                if (xn != yn)
                        return xn ? 1 : -1;
                if (xn) {
                        r = vc_numcmp(x, xl, y, yl);
                } else {
                        r = 0;
                        for (size_t i = 0; i < xl && i < yl && r == 0; i++) {
                                unsigned char cx = vc_tolower((unsigned char)x[i]);
                                unsigned char cy = vc_tolower((unsigned char)y[i]);
                                r = cx < cy ? -1 : (cx > cy ? 1 : 0);
                        }
                        if (r == 0)
                                r = xl == yl ? 0 : (xl < yl ? -1 : 1);
                }
                if (r != 0)
                        return r;
        }
}

/* Where a version stands in the pre-release slot of packaging's sort key:
 * 0 for "dev only" (below every pre-release), 1 for a pre-release (then by
 * kind and number), 2 for none. */
static int pep_pre_slot(const struct pep440 *v)
{
        if (!v->has_pre && !v->has_post && v->has_dev)
                return 0;
        return v->has_pre ? 1 : 2;
}

static int pep440_cmp(const struct pep440 *a, const struct pep440 *b)
{
        int r, sa, sb;

        r = vc_numcmp(a->epoch, a->epoch_len, b->epoch, b->epoch_len);
        if (r != 0)
                return r;
        r = pep_release_cmp(a, b);
        if (r != 0)
                return r;
        sa = pep_pre_slot(a);
        sb = pep_pre_slot(b);
        if (sa != sb)
                return sa < sb ? -1 : 1;
        if (sa == 1) {
                if (a->pre_kind != b->pre_kind)
                        return a->pre_kind < b->pre_kind ? -1 : 1;
                r = vc_numcmp(a->pre_n, a->pre_len, b->pre_n, b->pre_len);
                if (r != 0)
                        return r;
        }
        if (a->has_post != b->has_post)
                return a->has_post ? 1 : -1;
        if (a->has_post && (r = vc_numcmp(a->post_n, a->post_len, b->post_n, b->post_len)) != 0)
                return r;
        if (a->has_dev != b->has_dev)
                return a->has_dev ? -1 : 1;
        if (a->has_dev && (r = vc_numcmp(a->dev_n, a->dev_len, b->dev_n, b->dev_len)) != 0)
                return r;
        return pep_local_cmp(a, b);
}

int vercmp_pep440(const char *a, const char *b)
{
        struct pep440 va, vb;

        if (!a)
                a = "";
        if (!b)
                b = "";
        if (a == b || strcmp(a, b) == 0)
                return 0;
        pep440_parse(a, &va);
        pep440_parse(b, &vb);
        if (!va.valid || !vb.valid) {
                if (va.valid != vb.valid)
                        return va.valid ? 1 : -1;
                return vc_sign(strcmp(a, b));
        }
        return pep440_cmp(&va, &vb);
}

int vercmp_check_pep440(const char *v, size_t *ret_pos)
{
        struct pep440 p;

        pep440_parse(v, &p);
        if (p.valid)
                return 0;
        if (ret_pos)
                *ret_pos = (size_t)(p.far - v);
        return -EINVAL;
}
