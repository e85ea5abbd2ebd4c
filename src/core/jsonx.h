/* jansson helpers for untrusted text: jansson only accepts valid UTF-8, and
 * data read from a host (file names, package fields, log lines) is not. */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* A JSON string from N bytes of S; every byte that is not part of valid
 * UTF-8 (and every NUL) becomes U+FFFD. Returns a new reference, or NULL when
 * out of memory. */
json_t *jsonx_string_lossy_n(const char *s, size_t n);
json_t *jsonx_string_lossy(const char *s);

/* Set KEY of OBJ to a lossy string of S (or null when S is NULL). Returns 0 or
 * -ENOMEM. */
int jsonx_set_str(json_t *obj, const char *key, const char *s);
