/* Alpine version order, as apk-tools (2.14 and 3.x) compares versions.
 *
 * A version is digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]. It is
 * read as a run of tokens; each token's kind must be allowed after the kind
 * before it, otherwise the rest is one INVALID token. Two versions are walked
 * token by token while the kinds agree: numbers compare as numbers (a dotted
 * component with a leading zero compares as a string instead), letters as
 * bytes, suffixes by rank (alpha < beta < pre < rc < no suffix < cvs < svn <
 * git < hg < p), commit hashes as strings. At the first difference in kind a
 * pre-release suffix loses; otherwise the token of the later kind loses
 * (kinds in the order digit, letter, suffix, suffix number, hash, revision,
 * end, invalid), so "1.0" < "1.0.1" and "1.0-r1" > "1.0" but "1.0_rc1" <
 * "1.0". Two versions that both turn invalid at the same point compare equal
 * from there on. apk compares any string this way, and so does vigil. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "inventory/version/vercmp_internal.h"

/* Token kinds; the numeric order is part of the comparison. */
enum apk_token {
        TOK_INITIAL_DIGIT,
        TOK_DIGIT,
        TOK_LETTER,
        TOK_SUFFIX,
        TOK_SUFFIX_NO,
        TOK_COMMIT_HASH,
        TOK_REVISION_NO,
        TOK_END,
        TOK_INVALID,
};

/* Suffix ranks; everything below SUF_NONE is a pre-release. */
enum apk_suffix {
        SUF_INVALID,
        SUF_ALPHA,
        SUF_BETA,
        SUF_PRE,
        SUF_RC,
        SUF_NONE,
        SUF_CVS,
        SUF_SVN,
        SUF_GIT,
        SUF_HG,
        SUF_P,
};

/* The reader's position in one version string and the token it stands on.
 * VALUE..VALUE+LEN is the token's text (digits, the letter, the suffix word
 * or the hash); NUMBER is its numeric value where it has one, wrapped modulo
 * 2^64 exactly as apk's unsigned accumulator wraps. */
struct apk_reader {
        const char *p, *end;
        enum apk_token token;
        enum apk_suffix suffix;
        uint64_t number;
        const char *value;
        size_t len;
};

static enum apk_suffix apk_suffix_value(const char *s, size_t len)
{
        static const struct {
                const char *word;
                enum apk_suffix rank;
        } words[] = {
                { "alpha", SUF_ALPHA }, { "beta", SUF_BETA }, { "pre", SUF_PRE },
                { "rc", SUF_RC },       { "cvs", SUF_CVS },   { "svn", SUF_SVN },
                { "git", SUF_GIT },     { "hg", SUF_HG },     { "p", SUF_P },
        };

        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strlen(words[i].word) == len && memcmp(words[i].word, s, len) == 0)
                        return words[i].rank;
        return SUF_INVALID;
}

static void apk_parse_digits(struct apk_reader *r)
{
        const char *start = r->p;

        r->number = 0;
        while (r->p < r->end && vc_isdigit((unsigned char)*r->p))
                r->number = r->number * 10 + (uint64_t)(*r->p++ - '0');
        r->value = start;
        r->len = (size_t)(r->p - start);
        if (r->len == 0)
                r->token = TOK_INVALID;
}

static void apk_first(struct apk_reader *r, const char *s)
{
        r->p = s;
        r->end = s + strlen(s);
        r->token = TOK_INITIAL_DIGIT;
        r->suffix = SUF_INVALID;
        apk_parse_digits(r);
}

static inline bool apk_hex(unsigned char c)
{
        return vc_isdigit(c) || (c >= 'a' && c <= 'f');
}

/* Step to the next token, checking that its kind may follow the current
 * one. */
static void apk_next(struct apk_reader *r)
{
        unsigned char c;

        if (r->p >= r->end) {
                r->token = TOK_END;
                return;
        }
        c = (unsigned char)*r->p;
        if (vc_islower(c)) {
                if (r->token > TOK_DIGIT)
                        goto invalid;
                r->value = r->p++;
                r->len = 1;
                r->token = TOK_LETTER;
                return;
        }
        if (c == '.' || vc_isdigit(c)) {
                if (c == '.') {
                        if (r->token > TOK_DIGIT)
                                goto invalid;
                        r->p++;
                }
                if (r->token == TOK_INITIAL_DIGIT || r->token == TOK_DIGIT)
                        r->token = TOK_DIGIT;
                else if (r->token == TOK_SUFFIX)
                        r->token = TOK_SUFFIX_NO;
                else
                        goto invalid;
                apk_parse_digits(r);
                return;
        }
        switch (c) {
        case '_':
                if (r->token > TOK_SUFFIX_NO)
                        goto invalid;
                r->value = ++r->p;
                while (r->p < r->end && vc_islower((unsigned char)*r->p))
                        r->p++;
                r->len = (size_t)(r->p - r->value);
                r->suffix = apk_suffix_value(r->value, r->len);
                if (r->suffix == SUF_INVALID)
                        goto invalid;
                r->token = TOK_SUFFIX;
                return;
        case '~':
                if (r->token >= TOK_COMMIT_HASH)
                        goto invalid;
                r->value = ++r->p;
                while (r->p < r->end && apk_hex((unsigned char)*r->p))
                        r->p++;
                r->len = (size_t)(r->p - r->value);
                if (r->len == 0)
                        goto invalid;
                r->token = TOK_COMMIT_HASH;
                return;
        case '-':
                if (r->token >= TOK_REVISION_NO)
                        goto invalid;
                if (r->end - r->p < 2 || r->p[1] != 'r')
                        goto invalid;
                r->p += 2;
                r->token = TOK_REVISION_NO;
                apk_parse_digits(r);
                return;
        default:
                break;
        }
invalid:
        r->token = TOK_INVALID;
}

/* Compare the values of two tokens of the same kind. */
static int apk_token_cmp(const struct apk_reader *a, const struct apk_reader *b)
{
        uint64_t x, y;

        switch (a->token) {
        case TOK_DIGIT:
                /* apk sorts a dotted component with a leading zero (on either
                 * side) as a string, the way Gentoo does. */
                if (a->value[0] == '0' || b->value[0] == '0')
                        return vc_bytecmp(a->value, a->len, b->value, b->len);
                x = a->number;
                y = b->number;
                break;
        case TOK_INITIAL_DIGIT:
        case TOK_SUFFIX_NO:
        case TOK_REVISION_NO:
                x = a->number;
                y = b->number;
                break;
        case TOK_LETTER:
                x = (unsigned char)a->value[0];
                y = (unsigned char)b->value[0];
                break;
        case TOK_SUFFIX:
                x = a->suffix;
                y = b->suffix;
                break;
        default:
                return vc_bytecmp(a->value, a->len, b->value, b->len);
        }
        return x < y ? -1 : (x > y ? 1 : 0);
}

int vercmp_apk(const char *a, const char *b)
{
        struct apk_reader ra, rb;

        if (!a)
                a = "";
        if (!b)
                b = "";
        if (a == b || strcmp(a, b) == 0)
                return 0;
        for (apk_first(&ra, a), apk_first(&rb, b); ra.token == rb.token && ra.token < TOK_END;
             apk_next(&ra), apk_next(&rb)) {
                int r = apk_token_cmp(&ra, &rb);
                if (r != 0)
                        return r;
        }
        if (ra.token == rb.token)
                return 0;
        if (ra.token == TOK_SUFFIX && ra.suffix < SUF_NONE)
                return -1;
        if (rb.token == TOK_SUFFIX && rb.suffix < SUF_NONE)
                return 1;
        return ra.token > rb.token ? -1 : 1;
}

int vercmp_check_apk(const char *v, size_t *ret_pos)
{
        struct apk_reader r;
        const char *before = v;

        for (apk_first(&r, v); r.token < TOK_END; before = r.p, apk_next(&r))
                ;
        if (r.token == TOK_END)
                return 0;
        /* The offending token starts where the last good one ended. */
        if (ret_pos)
                *ret_pos = (size_t)(before - v);
        return -EINVAL;
}
