/* OSV records (the schema of osv.dev, version 1.x) turned into feed
 * records. A record is checked field by field: a field of the wrong JSON
 * type, an event object with zero or two kinds, a range without an
 * "introduced" event, a string with control characters or over its cap make
 * the whole record malformed (an error naming the field and its position),
 * because storing half of an advisory could hide a vulnerable range. Parts
 * vigil cannot use are counted and left out: GIT ranges (commit hashes, not
 * versions), range types the schema does not define, affected entries
 * without a package. */
#pragma once

#include <stdbool.h>

#include "scan/vuln/feeddb.h"
#include "scan/vuln/fjson.h"

/* Caps on one record; more is an error, not a truncation. */
#define OSV_MAX_STRING  4096 /* ids, versions, names, vectors */
#define OSV_MAX_URL     8192
#define OSV_MAX_SUMMARY 65536
#define OSV_MAX_ITEMS   200000 /* items of any one array */

/* Parse the OSV record V into *RET (strings and arrays in A; the record
 * borrows strings from V, so V must stay valid while RET is used).
 * RET->hash is left 0 for the caller to set. *RET_IGNORED (may be NULL) gets
 * the number of parts left out. Returns 0, -EINVAL with *ERR filled for a
 * malformed record, -ENOMEM/-E2BIG. */
int osv_parse_record(fj_arena_t *a, const fj_value_t *v, feed_advisory_t *ret,
                     unsigned *ret_ignored, feed_error_t *err);

/* Is KEY one of the top-level fields an OSV record has? Used to tell an OSV
 * record from a Debian tracker document by its first key. */
bool osv_is_record_field(const char *key);
