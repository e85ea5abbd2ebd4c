/* Small helpers the center's modules share: ISO 8601 times and durations
 * as written in requests and the configuration, random ids and secrets,
 * SHA-256 of secrets with a constant-time comparison, and base64url for
 * opaque pagination cursors. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USEC_PER_SEC  1000000LL
#define USEC_PER_HOUR (3600LL * USEC_PER_SEC)
#define USEC_PER_DAY  (24LL * USEC_PER_HOUR)

/* Host ids and command ids are below this (2^53), so JSON readers that
 * use doubles (JavaScript) see them exactly. */
#define CUTIL_ID_MAX ((int64_t)1 << 53)

/* Parse an ISO 8601 time of N bytes: "2026-11-26T23:15:10Z", with an
 * optional fraction of up to 9 digits and "Z" or "+HH:MM"/"-HH:MM" as the
 * zone; years 1970-9999. *RET gets microseconds since the epoch. Returns 0
 * or -EINVAL. */
int cutil_parse_time(const char *s, size_t n, int64_t *ret);

/* A time in a query string: ISO 8601 as above, or whole seconds since the
 * epoch. Returns 0 or -EINVAL. */
int cutil_parse_time_param(const char *s, int64_t *ret);

/* A duration: a whole number with a unit s, m, h, d or w ("10m", "180d"),
 * or a bare number of seconds. Must be positive and below 100 years.
 * Returns 0 or -EINVAL. */
int cutil_parse_duration(const char *s, int64_t *ret_us);

/* The time as an ISO 8601 JSON string; JSON null for T <= 0. New reference
 * or NULL when out of memory. */
json_t *cutil_json_time(int64_t t_us);

/* N random bytes from the system's CSPRNG as 2N lowercase hex characters
 * into OUT (room for 2N+1). Returns 0 or -EIO. */
int cutil_random_hex(char *out, size_t nbytes);

/* A random id in [1, CUTIL_ID_MAX). Returns 0 or -EIO. */
int cutil_random_id(int64_t *ret);

/* Lowercase hex SHA-256 of the string S into OUT (65 bytes). */
void cutil_sha256_hex(const char *s, char out[65]);

/* Compare two NUL-terminated strings in time that depends only on their
 * lengths. */
bool cutil_equal_ct(const char *a, const char *b);

/* True when S is 1..MAX characters of [A-Za-z0-9._:-], starting with a
 * letter or digit: the form of item, batch and scan ids. */
bool cutil_valid_id(const char *s, size_t max);

/* Parse a decimal id in [1, CUTIL_ID_MAX). Returns 0 or -EINVAL. */
int cutil_parse_id(const char *s, int64_t *ret);

/* base64url without padding of N bytes. Caller frees; NULL when out of
 * memory. */
char *cutil_b64url_encode(const void *p, size_t n);
/* Decode S; *RET (caller frees, NUL-terminated) and *RET_LEN. Returns 0,
 * -EINVAL for bad input or input over MAX bytes decoded, -ENOMEM. */
int cutil_b64url_decode(const char *s, size_t max, char **ret, size_t *ret_len);

/* The hour that T falls in, as microseconds (T rounded down). */
static inline int64_t cutil_hour(int64_t t_us)
{
        return t_us - (t_us % USEC_PER_HOUR + USEC_PER_HOUR) % USEC_PER_HOUR;
}
