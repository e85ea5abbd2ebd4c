/* Maven version order, as org.apache.maven.artifact.versioning.
 * ComparableVersion in Maven 3.8 orders versions.
 *
 * Maven lower-cases the string and cuts it into items: '.' ends an item, '-'
 * ends an item and opens a nested list, and a change between digits and
 * non-digits opens a nested list too. Each list holds some items and at most
 * one nested list, always last, so a version is a chain of lists. Numbers
 * compare as numbers (but a 10- to 18-digit number always beats a shorter
 * one and a longer one beats both, because Maven keeps them in int, long and
 * BigInteger items); words compare by qualifier rank (alpha < beta <
 * milestone < rc = cr < snapshot < "" = ga = final = release < sp < any other
 * word, other words among themselves alphabetically; a single a, b or m
 * directly followed by a digit means alpha, beta, milestone). At one
 * position a word sorts before a nested list, which sorts before a number.
 * Trailing "null" items (0, "", an empty list) are dropped from each list,
 * and when one list runs out the other's remaining items are compared with
 * "nothing": a zero or a release word ties with nothing, a number beats it,
 * alpha..snapshot lose to it.
 *
 * Maven builds this tree with allocations; here two readers walk the strings
 * in step and rebuild only what the comparison needs, so nothing is
 * allocated and any length is handled. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "inventory/version/vercmp_internal.h"

/* Rank of the qualifier "" (release); a word of rank 7 is not a qualifier
 * Maven knows and compares by its text. */
#define RANK_RELEASE 5
#define RANK_OTHER   7

/* One item as Maven's parser produces it, before normalisation. */
struct mvn_item {
        const char *s; /* digits of a number, or the word as written */
        size_t len;
        size_t index; /* position in the item stream */
        int depth;    /* which list of the chain holds it */
        bool is_int;
        bool null;           /* 0 or a release word */
        unsigned char rank;  /* words: 0..7 */
        unsigned char klass; /* numbers: 0 int, 1 long, 2 BigInteger */
};

/* The parser of one string, yielding items one at a time with exactly the
 * state Maven's parseVersion keeps. */
struct mvn_tok {
        const char *s;
        size_t len, i, start, count;
        int depth;
        bool is_digit, list_empty, done;
};

static void mvn_tok_init(struct mvn_tok *t, const char *s)
{
        *t = (struct mvn_tok){ .s = s, .len = strlen(s), .list_empty = true };
}

/* Does S..S+LEN spell WORD, ignoring ASCII case? */
static bool mvn_word(const char *s, size_t len, const char *word)
{
        if (strlen(word) != len)
                return false;
        for (size_t i = 0; i < len; i++)
                if (vc_tolower((unsigned char)s[i]) != (unsigned char)word[i])
                        return false;
        return true;
}

static unsigned char mvn_rank(const char *s, size_t len, bool followed_by_digit)
{
        static const char *const qualifiers[] = { "alpha",    "beta", "milestone", "rc",
                                                  "snapshot", "",     "sp" };

        if (followed_by_digit && len == 1) {
                switch (vc_tolower((unsigned char)s[0])) {
                case 'a':
                        return 0;
                case 'b':
                        return 1;
                case 'm':
                        return 2;
                default:
                        break;
                }
        }
        if (mvn_word(s, len, "ga") || mvn_word(s, len, "final") || mvn_word(s, len, "release"))
                return RANK_RELEASE;
        if (mvn_word(s, len, "cr"))
                return 3;
        for (unsigned char i = 0; i < sizeof(qualifiers) / sizeof(qualifiers[0]); i++)
                if (mvn_word(s, len, qualifiers[i]))
                        return i;
        return RANK_OTHER;
}

static void mvn_make(struct mvn_tok *t, struct mvn_item *it, bool is_int, size_t from, size_t to,
                     bool followed_by_digit)
{
        it->depth = t->depth;
        it->index = t->count++;
        it->is_int = is_int;
        if (from == to) {
                /* An empty item between separators is IntItem.ZERO. */
                it->s = "0";
                it->len = 1;
                it->is_int = true;
        } else {
                it->s = t->s + from;
                it->len = to - from;
        }
        if (it->is_int) {
                size_t n = it->len, z = 0;

                while (z < n && it->s[z] == '0')
                        z++;
                /* Maven strips leading zeros but keeps an all-zero string
                 * whole, and picks the item type by the remaining length. */
                if (z < n)
                        n -= z;
                it->klass = n <= 9 ? 0 : (n <= 18 ? 1 : 2);
                it->null = vc_numzero(it->s, it->len);
                it->rank = 0;
        } else {
                it->rank = mvn_rank(it->s, it->len, followed_by_digit);
                it->null = it->rank == RANK_RELEASE;
                it->klass = 0;
        }
        t->list_empty = false;
}

/* Produce the next item of T into *IT. Returns false at the end. */
static bool mvn_tok_next(struct mvn_tok *t, struct mvn_item *it)
{
        while (t->i < t->len) {
                size_t i = t->i++;
                unsigned char c = (unsigned char)t->s[i];

                if (c == '.' || c == '-') {
                        mvn_make(t, it, t->is_digit, t->start, i, false);
                        t->start = i + 1;
                        if (c == '-') {
                                t->depth++;
                                t->list_empty = true;
                        }
                        return true;
                }
                if (vc_isdigit(c)) {
                        if (!t->is_digit && i > t->start) {
                                if (!t->list_empty) {
                                        t->depth++;
                                        t->list_empty = true;
                                }
                                mvn_make(t, it, false, t->start, i, true);
                                t->start = i;
                                t->depth++;
                                t->list_empty = true;
                                t->is_digit = true;
                                return true;
                        }
                        t->is_digit = true;
                } else {
                        if (t->is_digit && i > t->start) {
                                mvn_make(t, it, true, t->start, i, false);
                                t->start = i;
                                t->depth++;
                                t->list_empty = true;
                                t->is_digit = false;
                                return true;
                        }
                        t->is_digit = false;
                }
        }
        if (!t->done) {
                t->done = true;
                if (t->len > t->start) {
                        if (!t->is_digit && !t->list_empty) {
                                t->depth++;
                                t->list_empty = true;
                        }
                        mvn_make(t, it, t->is_digit, t->start, t->len, false);
                        return true;
                }
        }
        return false;
}

/* What the normalised list at the reader's depth offers next. */
enum mvn_event { EV_ITEM, EV_CHILD, EV_END };

/* A reader of the normalised tree: the items of the list at DEPTH with its
 * trailing null items dropped, then its nested list if that is not empty. */
struct mvn_reader {
        struct mvn_tok tok;
        struct mvn_item cur; /* next raw item, valid when HAVE */
        bool have;
        int depth;
        int maxd;          /* depth of the last non-null item, -1 if none */
        size_t keep_until; /* null items before this index are not trailing */
};

static void mvn_reader_init(struct mvn_reader *r, const char *s)
{
        struct mvn_item it;

        /* A list is kept iff some non-null item lives in it or below it, and
         * depths only grow along the stream, so the depth of the last
         * non-null item says how deep the kept chain goes. */
        r->maxd = -1;
        mvn_tok_init(&r->tok, s);
        while (mvn_tok_next(&r->tok, &it))
                if (!it.null)
                        r->maxd = it.depth;

        mvn_tok_init(&r->tok, s);
        r->have = mvn_tok_next(&r->tok, &r->cur);
        r->depth = 0;
        r->keep_until = 0;
}

static void mvn_advance(struct mvn_reader *r)
{
        r->have = mvn_tok_next(&r->tok, &r->cur);
}

/* Is there a non-null item after the null item r->cur in the same list?
 * Remembers how far it looked so a run of nulls is scanned once. */
static bool mvn_null_is_inner(struct mvn_reader *r)
{
        struct mvn_tok look;
        struct mvn_item it;

        if (r->cur.index < r->keep_until)
                return true;
        look = r->tok;
        while (mvn_tok_next(&look, &it) && it.depth == r->cur.depth)
                if (!it.null) {
                        r->keep_until = it.index;
                        return true;
                }
        return false;
}

static enum mvn_event mvn_next_event(struct mvn_reader *r, struct mvn_item *ret)
{
        if (r->have && r->cur.depth == r->depth) {
                if (!r->cur.null || mvn_null_is_inner(r)) {
                        *ret = r->cur;
                        mvn_advance(r);
                        return EV_ITEM;
                }
                /* Trailing nulls: Maven's normalize() removes them. */
                while (r->have && r->cur.depth == r->depth)
                        mvn_advance(r);
        }
        return r->depth < r->maxd ? EV_CHILD : EV_END;
}

/* Item.compareTo(null). */
static int mvn_item_vs_null(const struct mvn_item *it)
{
        if (it->is_int)
                return it->null ? 0 : 1;
        return it->rank < RANK_RELEASE ? -1 : (it->rank > RANK_RELEASE ? 1 : 0);
}

/* Item.compareTo(Item) for two scalar items. */
static int mvn_item_cmp(const struct mvn_item *a, const struct mvn_item *b)
{
        if (a->is_int != b->is_int)
                return a->is_int ? 1 : -1;
        if (a->is_int) {
                if (a->klass != b->klass)
                        return a->klass < b->klass ? -1 : 1;
                return vc_numcmp(a->s, a->len, b->s, b->len);
        }
        if (a->rank != b->rank)
                return a->rank < b->rank ? -1 : 1;
        if (a->rank != RANK_OTHER)
                return 0;
        for (size_t i = 0; i < a->len && i < b->len; i++) {
                unsigned char x = vc_tolower((unsigned char)a->s[i]);
                unsigned char y = vc_tolower((unsigned char)b->s[i]);
                if (x != y)
                        return x < y ? -1 : 1;
        }
        return a->len == b->len ? 0 : (a->len < b->len ? -1 : 1);
}

/* ListItem.compareTo(null) over everything the reader has not consumed,
 * starting with FIRST when it is not NULL. Items that normalisation would
 * drop are null and so compare equal to nothing anyway, which is why the raw
 * stream can be used here. */
static int mvn_tail_vs_null(struct mvn_reader *r, const struct mvn_item *first)
{
        int c;

        if (first && (c = mvn_item_vs_null(first)) != 0)
                return c;
        for (; r->have; mvn_advance(r))
                if ((c = mvn_item_vs_null(&r->cur)) != 0)
                        return c;
        return 0;
}

int vercmp_maven(const char *a, const char *b)
{
        struct mvn_reader ra, rb;

        if (!a)
                a = "";
        if (!b)
                b = "";
        if (a == b || strcmp(a, b) == 0)
                return 0;
        mvn_reader_init(&ra, a);
        mvn_reader_init(&rb, b);

        for (;;) {
                struct mvn_item ia, ib;
                enum mvn_event ea = mvn_next_event(&ra, &ia);
                enum mvn_event eb = mvn_next_event(&rb, &ib);
                int c;

                if (ea == EV_ITEM && eb == EV_ITEM) {
                        c = mvn_item_cmp(&ia, &ib);
                        if (c != 0)
                                return c;
                        continue;
                }
                if (ea == EV_CHILD && eb == EV_CHILD) {
                        ra.depth++;
                        rb.depth++;
                        continue;
                }
                if (ea == EV_END && eb == EV_END)
                        return 0;
                /* A word sorts before a nested list, a number after it. */
                if (ea == EV_ITEM && eb == EV_CHILD)
                        return ia.is_int ? 1 : -1;
                if (ea == EV_CHILD && eb == EV_ITEM)
                        return ib.is_int ? -1 : 1;
                if (eb == EV_END)
                        return mvn_tail_vs_null(&ra, ea == EV_ITEM ? &ia : NULL);
                return -mvn_tail_vs_null(&rb, eb == EV_ITEM ? &ib : NULL);
        }
}

/* Maven orders any string, but only printable ASCII without white space is
 * ordered here exactly as Java does it: Java also lower-cases and classifies
 * digits beyond ASCII, which vigil does not imitate. */
int vercmp_check_maven(const char *v, size_t *ret_pos)
{
        size_t i;

        if (*v == '\0') {
                if (ret_pos)
                        *ret_pos = 0;
                return -EINVAL;
        }
        for (i = 0; v[i]; i++) {
                unsigned char c = (unsigned char)v[i];
                if (c <= ' ' || c >= 0x7f) {
                        if (ret_pos)
                                *ret_pos = i;
                        return -EINVAL;
                }
        }
        return 0;
}
