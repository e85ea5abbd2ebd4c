/* Time zones from the system's compiled zone files (TZif, RFC 8536,
 * versions 1 to 4), so that a time of day "in Europe/Berlin" can be turned
 * into an instant without touching the process-wide TZ variable that
 * localtime_r reads (switching it is not thread-safe). A loaded zone is an
 * immutable value: its transition table (the 64-bit data block of version 2
 * and later files, the 32-bit block of version 1 files) and the POSIX TZ
 * rule of the footer ("CET-1CEST,M3.5.0,M10.5.0/3"), which gives the offset
 * for instants after the last transition. Any number of threads may ask
 * for offsets at once; there is no global state.
 *
 * Every byte of a zone file is treated as hostile: the counts are checked
 * against the size before anything is read, every type index is checked,
 * transition times must increase, and the footer is parsed strictly (date
 * rules Jn, n and Mm.w.d; offsets within 24 hours; rule times within the
 * +-167 hours of RFC 8536 version 3). Leap second records are checked for
 * shape and otherwise ignored: offsets are civil time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TZIF_DIR      "/usr/share/zoneinfo"
#define TZIF_NAME_MAX 64           /* "America/Argentina/ComodRivadavia" is 32 */
#define TZIF_FILE_MAX (256 * 1024) /* real zone files are under 4 KiB */

typedef struct tzif tzif_t;

/* True when NAME may name a zone file: 1 to TZIF_NAME_MAX bytes of
 * [A-Za-z0-9_+-/] (no '.', so no ".."), no leading or trailing "/", no
 * empty component. */
bool tzif_valid_name(const char *name);

/* Parse the zone file in DATA (LEN bytes). Returns 0 with *RET (free with
 * tzif_free), -EINVAL for anything malformed, -E2BIG over TZIF_FILE_MAX,
 * -ENOMEM. */
int tzif_parse(const void *data, size_t len, tzif_t **ret);

/* Load the zone NAME from DIR (NULL for TZIF_DIR). Symlinks are followed
 * only inside DIR. Returns 0 with *RET (free with tzif_free), -EINVAL for a
 * name tzif_valid_name refuses or a malformed file, -ENOENT when there is
 * no such zone, -EFBIG over TZIF_FILE_MAX, or another negative errno from
 * opening or reading. */
int tzif_load(const char *dir, const char *name, tzif_t **ret);

/* The offset from UTC (seconds east, e.g. 3600 for CET) of local time in TZ
 * at UTC_SECONDS. Returns 0 with *RET_OFFSET_S, or -ERANGE for an instant
 * more than about 35 million years from 1970. Thread-safe. */
int tzif_offset(const tzif_t *tz, int64_t utc_seconds, int *ret_offset_s);

/* Whether TZ is on daylight saving time at UTC_SECONDS (the is-DST flag of
 * the type in effect). Returns 0 with *RET_DST or -ERANGE. */
int tzif_is_dst(const tzif_t *tz, int64_t utc_seconds, bool *ret_dst);

/* Accepts NULL. */
void tzif_free(tzif_t *tz);
static inline void tzif_freep(tzif_t **tz)
{
        tzif_free(*tz);
}
#define _cleanup_tzif_ __attribute__((cleanup(tzif_freep)))
