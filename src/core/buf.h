/* A growable byte buffer with a hard size cap chosen by its user. Going over
 * the cap is an error (-E2BIG), never a silent truncation. The content is
 * always NUL-terminated so it can be used as a C string when it holds text. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "core/macro.h"

typedef struct buf {
        char *data; /* NULL until the first append; NUL-terminated after */
        size_t len; /* bytes of content, not counting the terminator */
        size_t cap; /* bytes allocated */
        size_t max; /* content never grows beyond this many bytes */
} buf_t;

/* Initialise an empty buffer that may hold at most MAX bytes. */
void buf_init(buf_t *b, size_t max);

/* Append N bytes. Returns 0, -E2BIG when the cap would be passed (nothing is
 * appended then), or -ENOMEM. */
int buf_append(buf_t *b, const void *p, size_t n);
int buf_append_str(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) _printf_(2, 3);

/* Forget the content, keep the allocation. */
void buf_reset(buf_t *b);

/* Hand the content over as a NUL-terminated string (an empty string for an
 * empty buffer); the buffer is left empty. Returns NULL when out of memory.
 * Caller frees. */
char *buf_take(buf_t *b);

/* Free the content; the buffer is left empty and reusable. Accepts a buffer
 * that was only initialised. */
void buf_free(buf_t *b);

static inline void buf_freep(buf_t *b)
{
        buf_free(b);
}
#define _cleanup_buf_ _cleanup_(buf_freep)
