/* Time helpers: the clock in microseconds and ISO 8601 formatting in UTC. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* "2026-11-26T23:15:10.128954Z" plus terminator. */
#define TIMEUTIL_ISO_LEN 32

/* Wall-clock time in microseconds since the epoch. */
int64_t timeutil_now_us(void);
/* Monotonic time in microseconds, for measuring durations. */
int64_t timeutil_mono_us(void);

/* Format T (microseconds since the epoch) as ISO 8601 UTC into OUT; the
 * fraction is printed only when it is not zero. */
void timeutil_format_iso(int64_t t_us, char *out, size_t n);
