/* The feed store: vulnerability advisories imported from OSV and the Debian
 * security tracker, kept in STATE_DIR/feeds.db (SQLite, WAL, migrations in
 * PRAGMA user_version; the schema is documented in docs/feeds.md).
 *
 * Importers (osv.c, debtracker.c) turn feed text into feed_advisory_t
 * records whose strings live in an arena; feeddb_put stores one record,
 * replacing what the store held for the same (source, id), so importing a
 * feed twice never duplicates anything. The scanner reads the store through
 * feeddb_lookup (every affected entry for one package of one ecosystem) and
 * feeddb_advisory_info (what a finding shows). */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/macro.h"
#include "scan/vuln/fjson.h"

#define FEEDDB_FILE "feeds.db"

/* Advisory sources (the namespace an advisory id lives in). */
#define FEED_SOURCE_OSV     "osv"
#define FEED_SOURCE_TRACKER "debian-tracker"

typedef enum feed_event_kind {
        FEED_EV_INTRODUCED = 0,
        FEED_EV_FIXED = 1,
        FEED_EV_LAST_AFFECTED = 2,
        FEED_EV_LIMIT = 3,
} feed_event_kind_t;

typedef struct feed_event {
        feed_event_kind_t kind;
        const char *version;
} feed_event_t;

typedef enum feed_range_type {
        FEED_RANGE_ECOSYSTEM = 0,
        FEED_RANGE_SEMVER = 1,
} feed_range_type_t;

/* One range; events in the order the feed gave them (matching sorts them,
 * as the OSV specification asks). */
typedef struct feed_range {
        feed_range_type_t type;
        feed_event_t *events;
        size_t n_events;
} feed_range_t;

/* A severity score as the feed gave it: TYPE is "CVSS_V2", "CVSS_V3",
 * "CVSS_V4"; SCORE is the base score computed from VECTOR, or a negative
 * number when the vector could not be scored. */
typedef struct feed_severity {
        const char *type;
        const char *vector;
        double score;
} feed_severity_t;

typedef struct feed_affected {
        const char *ecosystem; /* normalised (ecosystem.h) */
        const char *name;      /* normalised for the ecosystem (PyPI, Packagist) */
        feed_range_t *ranges;
        size_t n_ranges;
        const char **versions; /* explicit affected versions */
        size_t n_versions;
        /* A severity word for this package only: Debian tracker urgency
         * ("low", "medium", "unimportant", ...), or NULL. */
        const char *severity;
        feed_severity_t *severities; /* affected[].severity of OSV */
        size_t n_severities;
        unsigned git_ranges;     /* GIT ranges, not stored (counted) */
        unsigned unknown_ranges; /* ranges of types vigil does not know, not stored */
} feed_affected_t;

typedef struct feed_ref {
        const char *type; /* "ADVISORY", "WEB", ... or NULL */
        const char *url;
} feed_ref_t;

typedef enum feed_alias_kind {
        FEED_ALIAS = 0,    /* aliases[] */
        FEED_RELATED = 1,  /* related[] */
        FEED_UPSTREAM = 2, /* upstream[] */
} feed_alias_kind_t;

typedef struct feed_alias {
        const char *id;
        feed_alias_kind_t kind;
} feed_alias_t;

/* One advisory as an importer read it. Timestamps are Unix seconds, 0 when
 * the feed did not give one. HASH identifies the feed text the record came
 * from, so re-importing unchanged text writes nothing. */
typedef struct feed_advisory {
        const char *source; /* FEED_SOURCE_* */
        const char *id;
        const char *summary; /* may be NULL */
        int64_t published;
        int64_t modified;
        bool withdrawn;
        int64_t withdrawn_at;
        /* An advisory-wide severity word (GHSA database_specific.severity,
         * Ubuntu priority), lower case, or NULL. */
        const char *severity;
        feed_severity_t *severities;
        size_t n_severities;
        feed_alias_t *aliases;
        size_t n_aliases;
        feed_ref_t *refs;
        size_t n_refs;
        feed_affected_t *affected;
        size_t n_affected;
        uint64_t hash;
} feed_advisory_t;

/* Why an entry could not be imported: WHERE names the field in the entry
 * ("affected[2].ranges[0].events[1]", empty for the entry itself) and POS
 * is the byte offset of the offending value in the feed text. */
typedef struct feed_error {
        size_t pos;
        char where[160];
        char msg[256];
} feed_error_t;

/* Fill ERR (when not NULL); returns -EINVAL for use as "return feed_fail(...)". */
int feed_fail(feed_error_t *err, size_t pos, const char *where, const char *fmt, ...)
        _printf_(4, 5);

/* Parse an RFC 3339 timestamp ("2024-01-02T03:04:05Z", fractions and
 * offsets allowed) into Unix seconds. Returns 0 or -EINVAL. */
int feed_parse_time(const char *s, int64_t *ret);

/* The ranges of an affected entry as stored: one line per range, its type
 * and then its events in feed order, tab-separated
 * ("ECOSYSTEM\tintroduced 0\tfixed 1.2-3"); versions never hold control
 * characters (the importers refuse them). Format into OUT (reset first);
 * parse TEXT into *RET (in A). Return 0, -E2BIG/-ENOMEM, or -EINVAL for
 * text that is not in this form. */
int feeddb_ranges_format(const feed_range_t *rg, size_t n, buf_t *out);
int feeddb_ranges_parse(fj_arena_t *a, const char *text, feed_range_t **ret, size_t *ret_n);

/* Open STATE_DIR/feeds.db, creating the directory and the database when
 * CREATE. PATH may also name a file directly with feeddb_open_path (":memory:"
 * for tests). Returns 0, -ENOENT when there is no store and !CREATE, or
 * another negative errno with *RET_ERROR set (caller frees). */
int feeddb_open(const char *state_dir, bool create, sqlite3 **ret, char **ret_error);
int feeddb_open_path(const char *path, bool create, sqlite3 **ret, char **ret_error);

/* Transactions around an import. Return 0 or -EIO. */
int feeddb_begin(sqlite3 *db);
int feeddb_commit(sqlite3 *db);
void feeddb_rollback(sqlite3 *db);
/* Move the write-ahead log into the database after an import (imports turn
 * automatic checkpoints off) and truncate it. */
void feeddb_checkpoint(sqlite3 *db);

/* The row of feed source NAME (created when missing) with FORMAT and
 * LOCATION (a URL or a file path). Returns 0 or -EIO/-ENOMEM. */
int feeddb_feed_get(sqlite3 *db, const char *name, const char *format, const char *location,
                    int64_t *ret_id);

/* Counts of one import, recorded with the feed source. */
typedef struct feed_counts {
        size_t entries;   /* advisories read */
        size_t imported;  /* new in the store */
        size_t updated;   /* replaced a stored one with different content */
        size_t unchanged; /* same content as stored */
        size_t skipped;   /* older than the stored one (by "modified") */
        size_t withdrawn; /* withdrawn advisories (stored without packages) */
        size_t errors;    /* malformed entries, not imported */
        size_t ignored;   /* parts not stored: GIT ranges, unknown range types,
                           * releases vigil does not map, "undetermined" */
        uint64_t bytes;
} feed_counts_t;

void feed_counts_add(feed_counts_t *to, const feed_counts_t *from);

/* Record a finished import of the feed source ID. ETAG and LAST_MODIFIED
 * (may be NULL) are kept for conditional downloads. */
int feeddb_feed_record(sqlite3 *db, int64_t id, const feed_counts_t *c, const char *etag,
                       const char *last_modified);
/* Remove feed source NAME when no import of it ever completed (a file that
 * was not a feed). Returns 0 or -EIO. */
int feeddb_feed_forget(sqlite3 *db, const char *name);
/* Note that feed NAME was checked now and had not changed (HTTP 304). */
int feeddb_feed_touch(sqlite3 *db, const char *name);
/* Stored validators for feed NAME; *RET_* are NULL when unknown (caller
 * frees). Returns 0 or -EIO/-ENOMEM. */
int feeddb_feed_validators(sqlite3 *db, const char *name, char **ret_etag,
                           char **ret_last_modified);

/* Writing advisories. */
typedef struct feeddb_writer feeddb_writer_t;

typedef enum feeddb_put_result {
        FEEDDB_NEW,
        FEEDDB_UPDATED,
        FEEDDB_UNCHANGED,
        FEEDDB_STALE,
} feeddb_put_result_t;

/* A writer with prepared statements for DB; FEED_ID (0: none) is recorded
 * with every advisory written. Returns 0, -EIO or -ENOMEM. Free with
 * feeddb_writer_free (before closing DB). */
int feeddb_writer_new(sqlite3 *db, int64_t feed_id, feeddb_writer_t **ret);
void feeddb_writer_free(feeddb_writer_t *w);
static inline void feeddb_writer_freep(feeddb_writer_t **w)
{
        feeddb_writer_free(*w);
}
#define _cleanup_feeddb_writer_ _cleanup_(feeddb_writer_freep)

/* Store ADV (inside the caller's transaction): a new advisory is inserted;
 * one already stored under (source, id) is replaced unless the stored one is
 * newer (STALE, nothing written) or has the same content (UNCHANGED). A
 * withdrawn advisory is stored without its packages, so it never matches.
 * Returns 0 and *RET, or -EIO (message from sqlite3_errmsg). */
int feeddb_put(feeddb_writer_t *w, const feed_advisory_t *adv, feeddb_put_result_t *ret);
/* The SQLite message for the last failure of W. */
const char *feeddb_writer_error(const feeddb_writer_t *w);

/* Reading for the matcher. */
typedef struct feeddb_reader feeddb_reader_t;

int feeddb_reader_new(sqlite3 *db, feeddb_reader_t **ret);
void feeddb_reader_free(feeddb_reader_t *r);
static inline void feeddb_reader_freep(feeddb_reader_t **r)
{
        feeddb_reader_free(*r);
}
#define _cleanup_feeddb_reader_ _cleanup_(feeddb_reader_freep)

/* One affected entry for a package; feeddb_advisory_info tells which
 * advisory it belongs to (only needed for the entries that match). */
typedef struct feeddb_hit {
        int64_t advisory_rowid;
        int64_t affected_rowid;
        feed_affected_t affected; /* ranges, versions and severity word */
} feeddb_hit_t;

/* Every affected entry of ECOSYSTEM/NAME from advisories that are not
 * withdrawn (one contiguous read: the table is clustered by package), into
 * A (*RET_HITS in A). Returns 0 or -EIO/-ENOMEM/-E2BIG. */
int feeddb_lookup(feeddb_reader_t *r, fj_arena_t *a, const char *ecosystem, const char *name,
                  feeddb_hit_t **ret_hits, size_t *ret_n);

/* What a finding needs to know about an advisory; strings in the arena. */
typedef struct feeddb_info {
        const char *source;
        const char *id;
        const char *summary;
        const char *severity; /* advisory-wide severity word, or NULL */
        int64_t published;
        int64_t modified;
        feed_alias_t *aliases;
        size_t n_aliases;
        feed_ref_t *refs;
        size_t n_refs;
        /* Severities of the advisory and those given for AFFECTED_ROWID. */
        feed_severity_t *severities;
        size_t n_severities;
        feed_severity_t *affected_severities;
        size_t n_affected_severities;
} feeddb_info_t;

int feeddb_advisory_info(feeddb_reader_t *r, fj_arena_t *a, int64_t advisory_rowid,
                         int64_t affected_rowid, feeddb_info_t *ret);

/* Summary of the store for `vigil feed status` and the scanner. */
typedef struct feeddb_eco_stat {
        char *ecosystem;
        long long advisories, packages, ranges;
} feeddb_eco_stat_t;

typedef struct feeddb_feed_stat {
        char *name;
        char *format;
        char *location;
        int64_t imported_at; /* 0: never completed */
        int64_t checked_at;
        long long entries, imported, updated, unchanged, skipped, withdrawn, errors;
        long long bytes;
} feeddb_feed_stat_t;

typedef struct feeddb_status {
        feeddb_eco_stat_t *ecosystems;
        size_t n_ecosystems;
        feeddb_feed_stat_t *feeds;
        size_t n_feeds;
        long long advisories; /* all stored, withdrawn included */
        long long withdrawn;
        int64_t newest_import;   /* latest imported_at, 0 when none */
        int64_t newest_modified; /* latest advisory "modified", 0 when none */
} feeddb_status_t;

int feeddb_status(sqlite3 *db, feeddb_status_t *ret);
void feeddb_status_clear(feeddb_status_t *s);

/* Does any advisory (not withdrawn) have packages in ECOSYSTEM? */
int feeddb_has_ecosystem(sqlite3 *db, const char *ecosystem, bool *ret);
/* Advisories that are not withdrawn, and the newest import time of any
 * feed (0 when none). Returns 0 or -EIO. */
int feeddb_summary(sqlite3 *db, long long *ret_advisories, int64_t *ret_newest_import);
/* The newest import time of any feed, 0 when none. */
int feeddb_newest_import(sqlite3 *db, int64_t *ret);
