/* fjson: a small, fast reader for the large JSON documents vulnerability
 * feeds are made of (hundreds of megabytes of OSV records, the Debian
 * security tracker's single 100 MB object). It parses one value into an
 * arena: no allocation per node, no hash table per object, every value
 * remembers the byte offset it started at so an importer can name the exact
 * position of a malformed field. A reader walks the members of a top-level
 * array or object one at a time, so a document is never held as one tree.
 *
 * jansson (used everywhere else in vigil) parses feed-shaped JSON at about
 * 70 MB/s on the benchmark machine; this reader exists because importing
 * feeds has a throughput target (docs/feeds.md, bench/RESULTS.md).
 *
 * The grammar is RFC 8259, strictly: strings must be valid UTF-8 and may not
 * contain raw control characters, surrogate escapes must pair, numbers follow
 * the JSON grammar, nothing but white space may follow a document. Strings
 * containing U+0000 are refused (no feed field legitimately holds one and C
 * strings cannot). Duplicate keys are kept; lookups return the first. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

typedef enum fj_type {
        FJ_NULL,
        FJ_FALSE,
        FJ_TRUE,
        FJ_NUMBER,
        FJ_STRING,
        FJ_ARRAY,
        FJ_OBJECT,
} fj_type_t;

typedef struct fj_value fj_value_t;
typedef struct fj_member fj_member_t;

struct fj_value {
        fj_type_t type;
        size_t pos; /* byte offset of the value's first character in the input */
        /* FJ_STRING: bytes without the terminator; FJ_NUMBER: characters;
         * FJ_ARRAY: items; FJ_OBJECT: members; otherwise 0. */
        size_t n;
        union {
                const char *str;      /* FJ_STRING, FJ_NUMBER: NUL-terminated, in the arena */
                fj_value_t *items;    /* FJ_ARRAY */
                fj_member_t *members; /* FJ_OBJECT */
        } u;
};

struct fj_member {
        const char *key; /* NUL-terminated, in the arena */
        size_t key_len;
        fj_value_t value;
};

/* Where parsing stopped and why. POS is a byte offset into the input. */
typedef struct fj_error {
        size_t pos;
        char msg[128];
} fj_error_t;

/* The memory values live in. Reset it between documents to reuse its
 * chunks; everything parsed into it becomes invalid then. MAX caps the bytes
 * one document may take (values, copies of strings), so a hostile document
 * cannot exhaust memory: going over is -E2BIG. */
typedef struct fj_arena {
        struct fj_chunk *chunks; /* list; allocation proceeds through it in order */
        struct fj_chunk *cur;
        size_t used; /* bytes handed out since the last reset */
        size_t max;
        /* Scratch stacks for the children of open arrays and objects. */
        fj_value_t *vstack;
        size_t vtop, vcap;
        fj_member_t *mstack;
        size_t mtop, mcap;
} fj_arena_t;

#define FJ_DEFAULT_MAX_DEPTH 64

void fj_arena_init(fj_arena_t *a, size_t max);
void fj_arena_reset(fj_arena_t *a);
void fj_arena_free(fj_arena_t *a);
static inline void fj_arena_freep(fj_arena_t *a)
{
        fj_arena_free(a);
}
#define _cleanup_fj_arena_ _cleanup_(fj_arena_freep)

/* N bytes (aligned for any value) from the arena, or NULL when out of memory
 * or over the arena's cap. */
void *fj_arena_alloc(fj_arena_t *a, size_t n);
/* A NUL-terminated copy of N bytes of S in the arena, or NULL. */
char *fj_arena_strndup(fj_arena_t *a, const char *s, size_t n);
char *fj_arena_strdup(fj_arena_t *a, const char *s);

/* Parse the one JSON value that occupies P[OFF, OFF+LEN) (white space around
 * it allowed, nothing else); P is the whole input so that positions in
 * values and errors are offsets into it. MAX_DEPTH caps nesting (0: the
 * default). Returns 0 and *RET (in A), or -EINVAL with *ERR filled, -E2BIG
 * when the arena cap was reached, -ENOMEM. */
int fj_parse(fj_arena_t *a, const char *p, size_t off, size_t len, unsigned max_depth,
             fj_value_t **ret, fj_error_t *err);

/* Iterating a top-level array or object member by member. */
typedef struct fj_reader {
        const char *p;
        size_t end;     /* one past the last byte the reader may look at */
        size_t pos;     /* next byte to look at */
        fj_type_t type; /* FJ_ARRAY or FJ_OBJECT */
        unsigned max_depth;
        unsigned count; /* members returned so far */
        bool done;
} fj_reader_t;

/* Start reading the array or object at P[OFF, OFF+LEN). *RET_TYPE tells
 * which it is. Returns 0, or -EINVAL (*ERR filled) when the text does not
 * start with '[' or '{'. */
int fj_reader_open(fj_reader_t *r, const char *p, size_t off, size_t len, unsigned max_depth,
                   fj_type_t *ret_type, fj_error_t *err);

/* Parse the next member into A: *RET_KEY (objects; NULL for arrays, key in
 * A) and *RET_VALUE (in A). Returns 1 for a member, 0 at the end (after
 * checking that only white space follows the container), or a negative
 * errno as fj_parse. After an error the reader is done: the text after a
 * syntax error cannot be trusted to be split correctly. */
int fj_reader_next(fj_reader_t *r, fj_arena_t *a, const char **ret_key, fj_value_t **ret_value,
                   fj_error_t *err);

/* Like fj_reader_next but do not parse the value: check its structure
 * (strings, nesting) just enough to find its end, and return where it is.
 * The key is still decoded into A. */
int fj_reader_skip(fj_reader_t *r, fj_arena_t *a, const char **ret_key, size_t *ret_off,
                   size_t *ret_len, fj_error_t *err);

/* The 1-based line and column (in bytes) of byte offset POS of P. */
void fj_line_col(const char *p, size_t pos, size_t *ret_line, size_t *ret_col);

/* The member KEY of OBJ, or NULL when OBJ is not an object or has no such
 * member. Borrowed. */
const fj_value_t *fj_get(const fj_value_t *obj, const char *key);

/* The string of V, or NULL when V is NULL or not a string. */
static inline const char *fj_str(const fj_value_t *v)
{
        return v && v->type == FJ_STRING ? v->u.str : NULL;
}

/* The JSON type name of V, for messages ("string", "object", ...). */
const char *fj_type_name(const fj_value_t *v);
