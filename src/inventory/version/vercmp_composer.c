/* Packagist version order: Composer's VersionParser::normalize (composer/
 * semver 3.x) followed by PHP's version_compare, which is what Composer's
 * constraint matching does with two versions.
 *
 * normalize trims the string, drops an "X as Y" alias, an "@stability" flag
 * and "+build" metadata, and rewrites what is left: "v1.2" becomes
 * "1.2.0.0", "1.2-b3" becomes "1.2.0.0-beta3", "1.2-RC1-dev" becomes
 * "1.2.0.0-RC1-dev", dates like "2020-01-31" become "2020.01.31", branch
 * names like "1.x-dev" become "1.9999999.9999999.9999999-dev" and anything
 * starting with "dev-" stays a named branch. version_compare then splits the
 * result into numbers and words and compares them in turn: numbers as
 * numbers (saturating at 2^63 - 1, as PHP's strtol does), words by rank (any
 * unknown word < dev < alpha = a < beta = b < RC = rc < a number < pl = p,
 * and "patch" counts as p); when one side runs out, a following number makes
 * the longer side greater, a following word compares with the rank of a
 * number.
 *
 * What normalize rejects sorts before everything else, byte by byte among
 * itself; named branches ("dev-...") come next, byte by byte, since Composer
 * itself never orders a branch against anything (PHP's version_compare would
 * give a meaningless answer there). Strings longer than COMPOSER_MAX_INPUT
 * bytes count as rejected: normalisation works in a fixed buffer. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "core/macro.h"
#include "inventory/version/vercmp_internal.h"

#define COMPOSER_MAX_INPUT 256
#define COMPOSER_BUF       (COMPOSER_MAX_INPUT + 64)

enum composer_kind { C_INVALID, C_BRANCH, C_VERSION };

/* A normalised version in BUF (NUL-terminated). */
struct composer {
        enum composer_kind kind;
        size_t len;
        size_t bad; /* offset of the first offending byte when C_INVALID */
        char buf[COMPOSER_BUF];
};

/* Output buffer with a hard size: appending past it marks it overflowed,
 * which turns the whole version invalid rather than truncating it. */
struct obuf {
        char *p;
        size_t len, cap;
        bool over;
};

static void ob_put(struct obuf *o, const char *s, size_t n)
{
        if (o->over || o->len + n >= o->cap) {
                o->over = true;
                return;
        }
        memcpy(o->p + o->len, s, n);
        o->len += n;
        o->p[o->len] = '\0';
}

static void ob_puts(struct obuf *o, const char *s)
{
        ob_put(o, s, strlen(s));
}

/* PHP trim()'s default set. */
static inline bool php_trim_char(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == 0x0b;
}

/* PCRE's \s without Unicode properties. */
static inline bool pcre_space(unsigned char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r');
}

/* PCRE's "$" without the D modifier: the end, or just before a final
 * newline. */
static inline bool pcre_eol(const char *p, const char *e)
{
        return p == e || (p + 1 == e && *p == '\n');
}

/* Does P..E start with WORD, ignoring ASCII case? */
static bool ci_prefix(const char *p, const char *e, const char *word)
{
        size_t n = strlen(word);

        if ((size_t)(e - p) < n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (vc_tolower((unsigned char)p[i]) != vc_tolower((unsigned char)word[i]))
                        return false;
        return true;
}

/* The captures of Composer's modifier regex:
 * [._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?
 * Empty ranges (S == E) stand for groups that matched nothing. */
struct modifier {
        const char *w, *we; /* stability word */
        const char *n, *ne; /* its number part */
        const char *d, *de; /* dev part */
};

/* Match the modifier at P followed by the end of the string, trying the
 * alternatives in the order PCRE's backtracking does. */
static bool match_modifier(const char *p, const char *e, struct modifier *m, const char **far)
{
        static const char *const words[] = { "stable", "beta",  "b",  "RC", "alpha",
                                             "a",      "patch", "pl", "p" };
        bool sep = p < e && (*p == '.' || *p == '_' || *p == '-');

        for (int s1 = sep ? 1 : 0; s1 >= 0; s1--) {
                const char *q = p + s1;

                /* The stability group, then without it. */
                for (size_t w = 0; w <= ELEMENTSOF(words); w++) {
                        const char *r = q;

                        *m = (struct modifier){ q, q, q, q, q, q };
                        if (w < ELEMENTSOF(words)) {
                                if (!ci_prefix(q, e, words[w]))
                                        continue;
                                r = q + strlen(words[w]);
                                m->w = q;
                                m->we = r;
                                /* (?:[.-]?\d+)*+ : possessive, as long as it goes. */
                                m->n = r;
                                for (;;) {
                                        const char *t = r;
                                        if (t < e && (*t == '.' || *t == '-'))
                                                t++;
                                        if (t >= e || !vc_isdigit((unsigned char)*t))
                                                break;
                                        r = t + vc_digits(t, e);
                                }
                                m->ne = r;
                        }
                        if (r > *far)
                                *far = r;
                        /* ([.-]?dev)? then $ */
                        for (int s2 = (r < e && (*r == '.' || *r == '-')) ? 1 : 0; s2 >= 0; s2--) {
                                if (ci_prefix(r + s2, e, "dev") && pcre_eol(r + s2 + 3, e)) {
                                        m->d = r;
                                        m->de = r + s2 + 3;
                                        return true;
                                }
                        }
                        if (pcre_eol(r, e)) {
                                m->d = m->de = r;
                                return true;
                        }
                }
        }
        return false;
}

/* Append what Composer appends for the modifier M: "-stability[number]" and
 * "-dev". When the stability is written exactly "stable" nothing is
 * appended, not even "-dev": Composer returns early there. */
static void put_modifier(struct obuf *o, const struct modifier *m)
{
        if (m->w != m->we) {
                char word[8];
                size_t n = (size_t)(m->we - m->w);
                const char *n_s = m->n, *exp;

                if (n == 6 && memcmp(m->w, "stable", 6) == 0)
                        return;
                for (size_t i = 0; i < n; i++)
                        word[i] = (char)vc_tolower((unsigned char)m->w[i]);
                word[n] = '\0';
                if (strcmp(word, "a") == 0)
                        exp = "alpha";
                else if (strcmp(word, "b") == 0)
                        exp = "beta";
                else if (strcmp(word, "p") == 0 || strcmp(word, "pl") == 0)
                        exp = "patch";
                else if (strcmp(word, "rc") == 0)
                        exp = "RC";
                else
                        exp = word;
                ob_puts(o, "-");
                ob_puts(o, exp);
                while (n_s < m->ne && (*n_s == '.' || *n_s == '-'))
                        n_s++;
                ob_put(o, n_s, (size_t)(m->ne - n_s));
        }
        if (m->d != m->de)
                ob_puts(o, "-dev");
}

/* ^v?(\d{1,5})(\.\d++)?(\.\d++)?(\.\d++)? modifier $ */
static bool match_classical(const char *s, const char *e, struct obuf *o, const char **far)
{
        const char *p = s, *grp[3][2];
        struct modifier m;
        size_t n;

        if (p < e && (*p == 'v' || *p == 'V'))
                p++;
        n = vc_digits(p, e);
        /* A shorter major would leave a digit no later group can take. */
        if (n == 0 || n > 5)
                return false;
        const char *major = p;
        p += n;
        for (int i = 0; i < 3; i++) {
                grp[i][0] = grp[i][1] = NULL;
                if (p + 1 < e && *p == '.' && vc_isdigit((unsigned char)p[1])) {
                        grp[i][0] = p;
                        p += 1 + vc_digits(p + 1, e);
                        grp[i][1] = p;
                }
        }
        if (p > *far)
                *far = p;
        if (!match_modifier(p, e, &m, far))
                return false;
        ob_put(o, major, n);
        for (int i = 0; i < 3; i++) {
                if (grp[i][0])
                        ob_put(o, grp[i][0], (size_t)(grp[i][1] - grp[i][0]));
                else
                        ob_puts(o, ".0");
        }
        put_modifier(o, &m);
        return true;
}

/* Try the modifier after the date part ending at END_OF_DATE; on success
 * write the date with every non-digit turned into '.'. */
static bool date_try(const char *start, const char *end_of_date, const char *e, struct obuf *o,
                     const char **far)
{
        struct modifier m;

        if (!match_modifier(end_of_date, e, &m, far))
                return false;
        for (const char *q = start; q < end_of_date; q++)
                ob_put(o, vc_isdigit((unsigned char)*q) ? q : ".", 1);
        put_modifier(o, &m);
        return true;
}

static inline bool date_sep(const char *p, const char *e)
{
        return p < e && (*p == '.' || *p == ':' || *p == '-');
}

/* ^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?) modifier $ */
static bool match_date(const char *s, const char *e, struct obuf *o, const char **far)
{
        const char *p = s, *rep[7];
        int reps = 0;

        if (p < e && (*p == 'v' || *p == 'V'))
                p++;
        s = p; /* the 'v' is outside the captured date */
        if (vc_digits(p, e) < 4)
                return false;
        p += 4;
        rep[0] = p;
        while (reps < 6) {
                const char *q = rep[reps];
                if (date_sep(q, e))
                        q++;
                if (vc_digits(q, e) < 2)
                        break;
                rep[++reps] = q + 2;
        }
        for (int r = reps; r >= 1; r--) {
                const char *q = rep[r];

                if (q > *far)
                        *far = q;
                /* (?:[.:-]?\d{1,3})? : with the separator, then without,
                 * then not at all; more digits first. */
                for (int sep = date_sep(q, e) ? 1 : 0; sep >= 0; sep--) {
                        size_t n = vc_digits(q + sep, e);
                        for (size_t k = MIN(n, (size_t)3); k >= 1; k--)
                                if (date_try(s, q + sep + k, e, o, far))
                                        return true;
                }
                if (date_try(s, q, e, o, far))
                        return true;
        }
        return false;
}

/* Composer's normalizeBranch for the part before "-dev": a numeric branch
 * like "1.2.x" becomes "1.2.9999999.9999999-dev". Returns false for any
 * other name (which Composer then rejects). */
static bool normalize_branch(const char *s, const char *e, struct obuf *o)
{
        const char *p, *grp[3][2];
        size_t n;

        while (s < e && php_trim_char((unsigned char)*s))
                s++;
        while (e > s && php_trim_char((unsigned char)e[-1]))
                e--;
        p = s;
        if (p < e && (*p == 'v' || *p == 'V'))
                p++;
        n = vc_digits(p, e);
        if (n == 0)
                return false;
        const char *major = p;
        p += n;
        for (int i = 0; i < 3; i++) {
                grp[i][0] = grp[i][1] = NULL;
                if (p + 1 < e && *p == '.') {
                        if (vc_isdigit((unsigned char)p[1])) {
                                grp[i][0] = p;
                                p += 1 + vc_digits(p + 1, e);
                                grp[i][1] = p;
                        } else if (p[1] == 'x' || p[1] == 'X' || p[1] == '*') {
                                grp[i][0] = p;
                                p += 2;
                                grp[i][1] = p;
                        }
                }
        }
        if (!pcre_eol(p, e))
                return false;
        ob_put(o, major, n);
        for (int i = 0; i < 3; i++) {
                if (!grp[i][0] ||
                    (grp[i][1] - grp[i][0] == 2 && !vc_isdigit((unsigned char)grp[i][0][1])))
                        ob_puts(o, ".9999999");
                else
                        ob_put(o, grp[i][0], (size_t)(grp[i][1] - grp[i][0]));
        }
        ob_puts(o, "-dev");
        return true;
}

/* (.*?)[.-]?dev$ searched anywhere, then normalizeBranch on the capture. */
static bool match_dev_branch(const char *s, const char *e, struct obuf *o)
{
        const char *end = (e > s && e[-1] == '\n') ? e - 1 : e, *dev, *cap_end, *cap;

        if (end - s < 3 || !ci_prefix(end - 3, end, "dev"))
                return false;
        dev = end - 3;
        cap_end = (dev > s && (dev[-1] == '.' || dev[-1] == '-')) ? dev - 1 : dev;
        /* '.' does not match a newline, so the match starts after the last
         * newline before the capture ends. */
        cap = s;
        for (const char *q = s; q < cap_end; q++)
                if (*q == '\n')
                        cap = q + 1;
        return normalize_branch(cap, cap_end, o);
}

static void composer_normalize(const char *str, struct composer *c)
{
        const char *s = str, *e = str + strlen(str), *far, *x;
        struct obuf o = { .p = c->buf, .cap = sizeof(c->buf) };
        size_t n;

        c->kind = C_INVALID;
        c->buf[0] = '\0';
        c->len = 0;
        if ((size_t)(e - s) > COMPOSER_MAX_INPUT) {
                c->bad = COMPOSER_MAX_INPUT;
                return;
        }
        while (s < e && php_trim_char((unsigned char)*s))
                s++;
        while (e > s && php_trim_char((unsigned char)e[-1]))
                e--;

        /* ^([^,\s]++) ++as ++([^,\s]++)$ keeps the part before " as ". */
        for (x = s; x < e && *x != ',' && !pcre_space((unsigned char)*x); x++)
                ;
        if (x > s && x < e && *x == ' ') {
                const char *q = x;
                while (q < e && *q == ' ')
                        q++;
                if (e - q >= 2 && q[0] == 'a' && q[1] == 's' && q + 2 < e && q[2] == ' ') {
                        q += 2;
                        while (q < e && *q == ' ')
                                q++;
                        const char *y = q;
                        while (q < e && *q != ',' && !pcre_space((unsigned char)*q))
                                q++;
                        if (q > y && pcre_eol(q, e))
                                e = x;
                }
        }

        /* @(?:stable|RC|beta|alpha|dev)$ (the string cannot end in a newline
         * here: trim took it). */
        {
                static const char *const flags[] = { "@stable", "@RC", "@beta", "@alpha", "@dev" };
                for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
                        size_t fl = strlen(flags[i]);
                        if ((size_t)(e - s) >= fl && ci_prefix(e - fl, e, flags[i])) {
                                e -= fl;
                                break;
                        }
                }
        }

        n = (size_t)(e - s);
        if ((n == 6 && memcmp(s, "master", 6) == 0) || (n == 5 && memcmp(s, "trunk", 5) == 0) ||
            (n == 7 && memcmp(s, "default", 7) == 0)) {
                ob_puts(&o, "dev-");
                ob_put(&o, s, n);
                goto branch;
        }
        if (ci_prefix(s, e, "dev-")) {
                ob_puts(&o, "dev-");
                ob_put(&o, s + 4, n - 4);
                goto branch;
        }

        /* ^([^,\s+]++)\+[^\s]++$ drops build metadata. */
        for (x = s; x < e && *x != ',' && *x != '+' && !pcre_space((unsigned char)*x); x++)
                ;
        if (x > s && x < e && *x == '+') {
                const char *q = x + 1;
                while (q < e && !pcre_space((unsigned char)*q))
                        q++;
                if (q > x + 1 && pcre_eol(q, e))
                        e = x;
        }

        far = s;
        if (match_classical(s, e, &o, &far) || (o.len = 0, match_date(s, e, &o, &far)) ||
            (o.len = 0, match_dev_branch(s, e, &o))) {
                if (o.over)
                        goto too_long;
                c->kind = C_VERSION;
                c->len = o.len;
                return;
        }
        c->bad = (size_t)(far - str);
        return;

branch:
        if (o.over)
                goto too_long;
        c->kind = C_BRANCH;
        c->len = o.len;
        return;
too_long:
        c->kind = C_INVALID;
        c->bad = COMPOSER_MAX_INPUT;
}

/* PHP's compare_special_version_forms rank of the element S..S+LEN. */
static int php_form(const char *s, size_t len)
{
        static const struct {
                const char *name;
                int order;
        } forms[] = { { "dev", 0 }, { "alpha", 1 }, { "a", 1 }, { "beta", 2 }, { "b", 2 },
                      { "RC", 3 },  { "rc", 3 },    { "#", 4 }, { "pl", 5 },   { "p", 5 } };

        for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                size_t n = strlen(forms[i].name);
                if (len >= n && memcmp(s, forms[i].name, n) == 0)
                        return forms[i].order;
        }
        return -1;
}

#define PHP_NUMBER_RANK 4

/* strtol of a digit run, saturating like PHP's on LONG_MAX. */
static long long php_strtol(const char *s, size_t len)
{
        unsigned long long v = 0;

        for (size_t i = 0; i < len; i++) {
                v = v * 10 + (unsigned long long)(s[i] - '0');
                if (v > LLONG_MAX)
                        return LLONG_MAX;
        }
        return (long long)v;
}

/* The next element of a normalised version (a run of digits or of letters)
 * at *P, skipping separators. Returns false at the end. */
static bool php_element(const char **p, const char *e, const char **ret, size_t *ret_len,
                        bool *ret_digit)
{
        const char *q = *p, *start;

        while (q < e && !vc_isalnum((unsigned char)*q))
                q++;
        if (q >= e) {
                *p = q;
                return false;
        }
        start = q;
        *ret_digit = vc_isdigit((unsigned char)*q);
        while (q < e && vc_isalnum((unsigned char)*q) &&
               vc_isdigit((unsigned char)*q) == *ret_digit)
                q++;
        *ret = start;
        *ret_len = (size_t)(q - start);
        *p = q;
        return true;
}

/* php_version_compare on two normalised versions. */
static int php_version_compare(const char *a, size_t alen, const char *b, size_t blen)
{
        const char *p = a, *pe = a + alen, *q = b, *qe = b + blen;

        for (;;) {
                const char *x, *y;
                size_t xl, yl;
                bool xd, yd, hx, hy;
                int r;

                hx = php_element(&p, pe, &x, &xl, &xd);
                hy = php_element(&q, qe, &y, &yl, &yd);
                if (!hx && !hy)
                        return 0;
                if (!hy)
                        return xd ? 1 : vc_sign(php_form(x, xl) - PHP_NUMBER_RANK);
                if (!hx)
                        return yd ? -1 : vc_sign(PHP_NUMBER_RANK - php_form(y, yl));
                if (xd && yd) {
                        long long l1 = php_strtol(x, xl), l2 = php_strtol(y, yl);
                        r = l1 < l2 ? -1 : (l1 > l2 ? 1 : 0);
                } else if (!xd && !yd) {
                        r = vc_sign(php_form(x, xl) - php_form(y, yl));
                } else {
                        r = xd ? vc_sign(PHP_NUMBER_RANK - php_form(y, yl))
                               : vc_sign(php_form(x, xl) - PHP_NUMBER_RANK);
                }
                if (r != 0)
                        return r;
        }
}

int vercmp_composer(const char *a, const char *b)
{
        struct composer ca, cb;

        if (!a)
                a = "";
        if (!b)
                b = "";
        if (a == b || strcmp(a, b) == 0)
                return 0;
        composer_normalize(a, &ca);
        composer_normalize(b, &cb);
        if (ca.kind != cb.kind)
                return ca.kind < cb.kind ? -1 : 1;
        switch (ca.kind) {
        case C_INVALID:
                return vc_sign(strcmp(a, b));
        case C_BRANCH:
                return vc_bytecmp(ca.buf, ca.len, cb.buf, cb.len);
        case C_VERSION:
                break;
        }
        return php_version_compare(ca.buf, ca.len, cb.buf, cb.len);
}

int vercmp_check_composer(const char *v, size_t *ret_pos)
{
        struct composer c;

        composer_normalize(v, &c);
        if (c.kind != C_INVALID)
                return 0;
        if (ret_pos)
                *ret_pos = c.bad;
        return -EINVAL;
}

int vercmp_composer_normalize(const char *v, char *buf, size_t size)
{
        struct composer c;

        composer_normalize(v, &c);
        if (c.kind == C_INVALID || c.len >= size)
                return -EINVAL;
        memcpy(buf, c.buf, c.len + 1);
        return c.kind == C_VERSION ? 1 : 2;
}
