/* Time-based one-time passwords for the console's second factor: HOTP
 * (RFC 4226) over HMAC-SHA-1 and TOTP (RFC 6238) with 30-second steps and
 * 6 digits, which is what every authenticator app speaks, plus the base32
 * form (RFC 4648, no padding) in which the shared secret is shown to the
 * person and stored in the users table.
 *
 * A code is accepted for the current step and one step either side (the
 * phone's clock may be a little off), and never for a step at or before
 * the last one accepted, so a code seen over a shoulder cannot be used a
 * second time. Functions take the time as an argument; nothing here reads
 * the clock. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define USERS_TOTP_STEP_S    30
#define USERS_TOTP_DIGITS    6
#define USERS_TOTP_KEY_BYTES 20 /* 160 bits, as RFC 4226 recommends */
#define USERS_TOTP_MAX_KEY   64
/* Base32 of USERS_TOTP_KEY_BYTES: 32 characters and a NUL. */
#define USERS_TOTP_SECRET_LEN 32

/* The HOTP value of KEY (KEY_LEN bytes, 1..USERS_TOTP_MAX_KEY) for
 * COUNTER, reduced to DIGITS (6..8) decimal digits, into *RET. Returns 0,
 * -EINVAL for a bad key length or digit count, -EIO when HMAC fails. */
int users_totp_hotp(const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits,
                    uint32_t *ret);

/* The TOTP step of UNIX_TIME (seconds): floor(t / 30). */
int64_t users_totp_step(int64_t unix_time);

/* Encode N bytes of P as base32 (upper case, no padding) into OUT of
 * OUT_SIZE bytes. Returns 0 or -ENOBUFS. */
int users_totp_base32_encode(const uint8_t *p, size_t n, char *out, size_t out_size);
/* Decode base32 S (either case; spaces and '=' padding ignored) into OUT
 * of CAP bytes; *RET_LEN gets the length. Returns 0, -EINVAL for a
 * character outside the alphabet, -ENOBUFS when it does not fit. */
int users_totp_base32_decode(const char *s, uint8_t *out, size_t cap, size_t *ret_len);

/* A new random secret in base32 (USERS_TOTP_SECRET_LEN characters) into
 * RET. Returns 0 or -EIO. */
int users_totp_new_secret(char ret[USERS_TOTP_SECRET_LEN + 1]);

/* Check CODE (6 decimal digits) against SECRET (base32) at UNIX_TIME,
 * allowing one step of clock skew either way and only steps after
 * LAST_STEP. Returns 0 with *RET_STEP (the step matched, to be stored as
 * the new last step), -EACCES when the code is wrong, malformed or
 * replayed, -EINVAL for a bad secret, -EIO. */
int users_totp_check(const char *secret, const char *code, int64_t unix_time, int64_t last_step,
                     int64_t *ret_step);
