/* String helpers: safe printing of untrusted text, prefix tests, bounded
 * formatting into fresh strings, and NULL-terminated string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/macro.h"

/* Write S to F with every byte that could steer a terminal (C0 controls, DEL,
 * and bytes of invalid UTF-8) shown as \xNN; valid UTF-8 passes through.
 * Tab and newline are escaped too, so one value stays on one line. */
void text_put_escaped(FILE *f, const char *s);

/* Same as text_put_escaped for a byte range of length N (may contain NULs). */
void text_put_escaped_n(FILE *f, const char *s, size_t n);

/* True when S begins with PREFIX. */
static inline bool str_startswith(const char *s, const char *prefix)
{
        for (; *prefix; s++, prefix++)
                if (*s != *prefix)
                        return false;
        return true;
}

bool str_endswith(const char *s, const char *suffix);

/* The value of hex digit C (either case), or -1 when C is none. */
static inline int str_hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Format into a newly allocated string. Returns NULL when out of memory.
 * Caller frees. */
char *str_printf(const char *fmt, ...) _printf_(1, 2);

/* Duplicate at most N bytes of S into a NUL-terminated string. Returns NULL
 * when out of memory. Caller frees. */
char *str_ndup(const char *s, size_t n);

/* Strip ASCII white space from both ends in place; returns S. */
char *str_strip(char *s);

/* Parse a decimal unsigned integer that must fill the whole string; returns
 * 0 or -EINVAL/-ERANGE. */
int str_to_u64(const char *s, unsigned long long *ret);

/* A NULL-terminated vector of owned strings. */
typedef struct strv {
        char **v;
        size_t n;
        size_t cap;
} strv_t;

/* Append a copy of S. Returns 0 or -ENOMEM. */
int strv_push(strv_t *sv, const char *s);
/* Append S, taking ownership (S is freed on failure). Returns 0 or -ENOMEM. */
int strv_push_take(strv_t *sv, char *s);
bool strv_contains(const strv_t *sv, const char *s);
/* Split S at each byte in SEPS, skipping empty parts. Returns 0 or -ENOMEM. */
int strv_split(strv_t *sv, const char *s, const char *seps);
/* Free all strings and the vector; the struct is left empty and reusable. */
void strv_clear(strv_t *sv);
