#include "scan/weakpass/dict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/text.h"

/* Produced at build time from rules/passwords/builtin.txt by
 * embed-list.py (see meson.build). */
extern const char dict_builtin_data[];
extern const size_t dict_builtin_size;

/* One word: its bytes are at arena + off, followed by a NUL. */
typedef struct dict_entry {
        uint32_t off;
        uint16_t len;
        uint8_t source;
        uint8_t unused;
} dict_entry_t;

typedef struct dict_source {
        dict_kind_t kind;
        char *label;
} dict_source_t;

/* Invariants: every entry's bytes lie inside arena[0..arena_len); table has
 * table_size slots (a power of two, at least twice n_entries) holding an
 * entry index + 1 or 0 for an empty slot. */
struct dict {
        char *arena;
        size_t arena_len, arena_cap;
        dict_entry_t *entries;
        size_t n_entries, cap_entries;
        uint32_t *table;
        size_t table_size;
        dict_source_t sources[DICT_MAX_SOURCES];
        size_t n_sources;
        size_t max_bytes;  /* cap on bytes read from lists */
        size_t bytes_read; /* bytes read so far */
};

int dict_new(size_t max_bytes, dict_t **ret)
{
        dict_t *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        d->table_size = 1024;
        d->table = calloc(d->table_size, sizeof(*d->table));
        if (!d->table) {
                free(d);
                return -ENOMEM;
        }
        d->max_bytes = max_bytes;
        *ret = d;
        return 0;
}

void dict_free(dict_t *d)
{
        if (!d)
                return;
        /* One of the words may be somebody's password. */
        if (d->arena)
                explicit_bzero(d->arena, d->arena_cap);
        free(d->arena);
        free(d->entries);
        free(d->table);
        for (size_t i = 0; i < d->n_sources; i++)
                free(d->sources[i].label);
        free(d);
}

int dict_add_source(dict_t *d, dict_kind_t kind, const char *label, unsigned *ret_id)
{
        char *copy;

        if (d->n_sources >= DICT_MAX_SOURCES)
                return -E2BIG;
        copy = strdup(label);
        if (!copy)
                return -ENOMEM;
        d->sources[d->n_sources] = (dict_source_t){ kind, copy };
        *ret_id = (unsigned)d->n_sources++;
        return 0;
}

dict_kind_t dict_source_kind(const dict_t *d, unsigned source)
{
        return source < d->n_sources ? d->sources[source].kind : DICT_KIND_CUSTOM;
}

const char *dict_source_label(const dict_t *d, unsigned source)
{
        return source < d->n_sources ? d->sources[source].label : "unknown list";
}

size_t dict_size(const dict_t *d)
{
        return d->n_entries;
}

const char *dict_word(const dict_t *d, size_t i, size_t *ret_len, unsigned *ret_source)
{
        const dict_entry_t *e = &d->entries[i];

        if (ret_len)
                *ret_len = e->len;
        if (ret_source)
                *ret_source = e->source;
        return d->arena + e->off;
}

/* The slot holding W, or the empty slot where it would go. */
static size_t table_slot(const dict_t *d, const char *w, size_t n, uint64_t h)
{
        size_t mask = d->table_size - 1, i = (size_t)h & mask;

        for (;;) {
                uint32_t v = d->table[i];
                if (v == 0)
                        return i;
                const dict_entry_t *e = &d->entries[v - 1];
                if (e->len == n && memcmp(d->arena + e->off, w, n) == 0)
                        return i;
                i = (i + 1) & mask;
        }
}

static int table_grow(dict_t *d)
{
        size_t size = d->table_size * 2, mask = size - 1;
        uint32_t *t = calloc(size, sizeof(*t));

        if (!t)
                return -ENOMEM;
        for (size_t k = 0; k < d->n_entries; k++) {
                const dict_entry_t *e = &d->entries[k];
                size_t i = (size_t)hash_fnv1a(d->arena + e->off, e->len) & mask;
                while (t[i])
                        i = (i + 1) & mask;
                t[i] = (uint32_t)(k + 1);
        }
        free(d->table);
        d->table = t;
        d->table_size = size;
        return 0;
}

bool dict_find(const dict_t *d, const char *w, size_t n, size_t *ret_index)
{
        size_t slot;

        if (n == 0 || n > DICT_WORD_MAX)
                return false;
        slot = table_slot(d, w, n, hash_fnv1a(w, n));
        if (d->table[slot] == 0)
                return false;
        if (ret_index)
                *ret_index = d->table[slot] - 1;
        return true;
}

/* Grow the arena to hold NEED more bytes. The old block is wiped before it
 * is freed, for the same reason dict_free wipes. */
static int arena_reserve(dict_t *d, size_t need)
{
        size_t cap;
        char *p;

        if (d->arena_cap - d->arena_len >= need)
                return 0;
        cap = d->arena_cap ? d->arena_cap : 64 * KiB;
        while (cap - d->arena_len < need)
                cap *= 2;
        if (cap > UINT32_MAX)
                return -E2BIG;
        p = malloc(cap);
        if (!p)
                return -ENOMEM;
        if (d->arena) {
                memcpy(p, d->arena, d->arena_len);
                explicit_bzero(d->arena, d->arena_cap);
                free(d->arena);
        }
        d->arena = p;
        d->arena_cap = cap;
        return 0;
}

int dict_add_word(dict_t *d, unsigned source, const char *w, size_t n)
{
        uint64_t h;
        size_t slot;
        int r;

        if (n == 0 || n > DICT_WORD_MAX || memchr(w, 0, n) || memchr(w, '\n', n))
                return -EINVAL;
        h = hash_fnv1a(w, n);
        slot = table_slot(d, w, n, h);
        if (d->table[slot])
                return 0;
        if (d->n_entries >= DICT_MAX_WORDS)
                return -E2BIG;
        if (d->n_entries == d->cap_entries) {
                size_t cap = d->cap_entries ? d->cap_entries * 2 : 4096;
                dict_entry_t *v = realloc(d->entries, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                d->entries = v;
                d->cap_entries = cap;
        }
        if ((r = arena_reserve(d, n + 1)) < 0)
                return r;
        memcpy(d->arena + d->arena_len, w, n);
        d->arena[d->arena_len + n] = 0;
        d->entries[d->n_entries] = (dict_entry_t){
                .off = (uint32_t)d->arena_len,
                .len = (uint16_t)n,
                .source = (uint8_t)source,
        };
        d->arena_len += n + 1;
        d->n_entries++;
        /* Keep the table at most half full so probes stay short. */
        if (d->n_entries * 2 > d->table_size) {
                if ((r = table_grow(d)) < 0) {
                        d->n_entries--;
                        d->arena_len -= n + 1;
                        return r;
                }
                slot = table_slot(d, w, n, h);
        }
        d->table[slot] = (uint32_t)d->n_entries;
        return 1;
}

/* Take one complete line (without its "\n") as a candidate. */
static int add_line(dict_t *d, unsigned source, const char *p, size_t n, dict_load_stats_t *st)
{
        int r;

        if (n > 0 && p[n - 1] == '\r')
                n--;
        if (n == 0 || (n >= STRLEN("#!comment") && memcmp(p, "#!comment", 9) == 0))
                return 0;
        st->lines++;
        if (n > DICT_WORD_MAX) {
                st->too_long++;
                return 0;
        }
        if (memchr(p, 0, n)) {
                st->binary++;
                return 0;
        }
        r = dict_add_word(d, source, p, n);
        if (r == 1)
                st->added++;
        else if (r == 0)
                st->duplicates++;
        else if (r != -EINVAL)
                return r;
        return 0;
}

/* Line splitting shared by the buffer and the descriptor loaders. A line
 * that is longer than DICT_WORD_MAX is not buffered: only its being too long
 * is remembered until its end. */
typedef struct line_state {
        char buf[DICT_WORD_MAX + 2]; /* room for a trailing "\r" and one byte over */
        size_t len;
        bool overlong;
} line_state_t;

static int feed(dict_t *d, unsigned source, line_state_t *ls, const char *p, size_t n,
                dict_load_stats_t *st)
{
        int r;

        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t part = nl ? (size_t)(nl - p) : n;

                if (!ls->overlong) {
                        if (ls->len + part > sizeof(ls->buf)) {
                                ls->overlong = true;
                        } else {
                                memcpy(ls->buf + ls->len, p, part);
                                ls->len += part;
                        }
                }
                if (!nl)
                        return 0;
                if (ls->overlong) {
                        st->lines++;
                        st->too_long++;
                } else if ((r = add_line(d, source, ls->buf, ls->len, st)) < 0)
                        return r;
                ls->len = 0;
                ls->overlong = false;
                p = nl + 1;
                n -= part + 1;
        }
        return 0;
}

static int finish(dict_t *d, unsigned source, line_state_t *ls, dict_load_stats_t *st)
{
        int r = 0;

        if (ls->overlong) {
                st->lines++;
                st->too_long++;
        } else if (ls->len > 0)
                r = add_line(d, source, ls->buf, ls->len, st);
        explicit_bzero(ls, sizeof(*ls));
        return r;
}

int dict_load_buffer(dict_t *d, unsigned source, const char *data, size_t len,
                     dict_load_stats_t *st)
{
        line_state_t ls = { .len = 0 };
        size_t room = d->max_bytes - d->bytes_read;
        bool capped = len > room;
        int r;

        if (capped)
                len = room;
        d->bytes_read += len;
        st->bytes += len;
        r = feed(d, source, &ls, data, len, st);
        /* A list cut by the cap loses its partial last line rather than
         * adding a fragment of a word. */
        if (r == 0 && !capped)
                r = finish(d, source, &ls, st);
        explicit_bzero(&ls, sizeof(ls));
        if (r == 0 && capped)
                r = -E2BIG;
        return r;
}

int dict_load_fd(dict_t *d, unsigned source, int fd, dict_load_stats_t *st)
{
        line_state_t ls = { .len = 0 };
        char *chunk;
        int r = 0;

        chunk = malloc(64 * KiB);
        if (!chunk)
                return -ENOMEM;
        for (;;) {
                size_t room = d->max_bytes - d->bytes_read;
                ssize_t got;

                if (room == 0) {
                        /* Reaching the cap exactly at the end of the file is
                         * not an overflow; find out with a one-byte read. */
                        char probe;
                        got = read(fd, &probe, 1);
                        if (got < 0 && errno == EINTR)
                                continue;
                        r = got < 0 ? -errno : got > 0 ? -E2BIG : 0;
                        if (r == 0)
                                r = finish(d, source, &ls, st);
                        break;
                }
                got = read(fd, chunk, MIN(room, 64 * KiB));
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (got == 0) {
                        r = finish(d, source, &ls, st);
                        break;
                }
                d->bytes_read += (size_t)got;
                st->bytes += (size_t)got;
                if ((r = feed(d, source, &ls, chunk, (size_t)got, st)) < 0)
                        break;
        }
        explicit_bzero(chunk, 64 * KiB);
        free(chunk);
        explicit_bzero(&ls, sizeof(ls));
        return r;
}

int dict_load_builtin(dict_t *d, dict_load_stats_t *st)
{
        line_state_t ls = { .len = 0 };
        unsigned id;
        int r;

        if ((r = dict_add_source(d, DICT_KIND_BUILTIN, "built-in common passwords", &id)) < 0)
                return r;
        st->bytes += dict_builtin_size;
        r = feed(d, id, &ls, dict_builtin_data, dict_builtin_size, st);
        if (r == 0)
                r = finish(d, id, &ls, st);
        return r;
}

/* Code points in PW, or -1 when it is not valid UTF-8. */
static long utf8_count(const char *pw, size_t n)
{
        size_t i = 0;
        long chars = 0;

        while (i < n) {
                unsigned char c = (unsigned char)pw[i];
                size_t len = c < 0x80             ? 1
                             : (c & 0xe0) == 0xc0 ? 2
                             : (c & 0xf0) == 0xe0 ? 3
                             : (c & 0xf8) == 0xf0 ? 4
                                                  : 0;
                if (len == 0 || i + len > n)
                        return -1;
                for (size_t k = 1; k < len; k++)
                        if (((unsigned char)pw[i + k] & 0xc0) != 0x80)
                                return -1;
                i += len;
                chars++;
        }
        return chars;
}

size_t dict_char_count(const char *pw, size_t n)
{
        long c = utf8_count(pw, n);
        return c < 0 ? n : (size_t)c;
}

unsigned dict_password_weakness(const dict_t *d, const char *pw, size_t n, unsigned *ret_source)
{
        bool lower = false, upper = false, digit = false, other = false;
        unsigned weak = 0, classes;
        size_t idx;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)pw[i];
                if (c >= 'a' && c <= 'z')
                        lower = true;
                else if (c >= 'A' && c <= 'Z')
                        upper = true;
                else if (c >= '0' && c <= '9')
                        digit = true;
                else
                        other = true;
        }
        classes = (unsigned)lower + (unsigned)upper + (unsigned)digit + (unsigned)other;
        if (dict_char_count(pw, n) < 8)
                weak |= DICT_WEAK_SHORT;
        if (classes < 3)
                weak |= DICT_WEAK_CLASSES;
        if (d && n > 0 && n <= DICT_WORD_MAX) {
                bool found = dict_find(d, pw, n, &idx);
                if (!found) {
                        char low[DICT_WORD_MAX];
                        for (size_t i = 0; i < n; i++)
                                low[i] =
                                        (pw[i] >= 'A' && pw[i] <= 'Z') ? (char)(pw[i] + 32) : pw[i];
                        found = dict_find(d, low, n, &idx);
                        explicit_bzero(low, n);
                }
                if (found) {
                        weak |= DICT_WEAK_LISTED;
                        if (ret_source)
                                dict_word(d, idx, NULL, ret_source);
                }
        }
        return weak;
}

void dict_mask_hint(const char *pw, size_t n, char *out, size_t outlen)
{
        long count = utf8_count(pw, n);
        size_t chars = count < 0 ? n : (size_t)count, stars;
        unsigned char first = n ? (unsigned char)pw[0] : 0;
        const char *unit = count < 0 ? "byte" : "character";
        char masked[24];
        size_t j = 0;

        if (n == 0) {
                snprintf(out, outlen, "empty");
                return;
        }
        if (chars >= 6 && first > 0x20 && first < 0x7f)
                masked[j++] = (char)first;
        stars = MIN(chars, sizeof(masked) - 1) - j;
        memset(masked + j, '*', stars);
        masked[j + stars] = 0;
        snprintf(out, outlen, "%s (%zu %s%s)", masked, chars, unit, chars == 1 ? "" : "s");
}
