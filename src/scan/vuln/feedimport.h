/* Importing feed files into the feed store: OSV records (one JSON object
 * per file, or a JSON array of them), directories of such files, .zip
 * archives as osv.dev publishes them per ecosystem (members read in memory,
 * never extracted), and the Debian security tracker's JSON. The format is
 * told by content, not by file name.
 *
 * Each argument (a file, a zip, a whole directory) is imported in one
 * transaction, so a failure writing the store never leaves it half-applied:
 * the transaction is rolled back and what was stored before is kept. A malformed entry is reported
 * through the error callback with the input name and position (zip member,
 * byte offset, line and column, JSON path), counted, and skipped; the rest
 * of the file is imported. A syntax error that makes the rest of a file
 * impossible to split ends that file, keeping what was read before it. */
#pragma once

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/progress.h"
#include "scan/vuln/feeddb.h"

typedef enum feed_format {
        FEED_FORMAT_AUTO,
        FEED_FORMAT_OSV,
        FEED_FORMAT_TRACKER,
} feed_format_t;

/* Called once per problem: INPUT names the file (and zip member, as
 * "all.zip!GHSA-xxxx.json"), MESSAGE says where in it and what is wrong. */
typedef void (*feedimport_error_fn)(const char *input, const char *message, void *userdata);

typedef struct feedimport_opts {
        feed_format_t format;       /* FEED_FORMAT_AUTO: by content */
        size_t max_entry_size;      /* bytes of one zip member or array element */
        uint64_t max_file_size;     /* bytes of one JSON file */
        uint64_t max_zip_total;     /* inflated bytes read from one zip */
        size_t max_errors_reported; /* per input; more are only counted */
        /* 2 or more: read and parse in a second thread while this one
         * writes the store (feedimport_path only); 0 or 1: one thread. */
        unsigned threads;
        progress_t *progress;         /* may be NULL */
        const char *display;          /* name for the input in messages (NULL: its path) */
        feedimport_error_fn on_error; /* may be NULL */
        void *userdata;
} feedimport_opts_t;

/* Defaults: members and elements up to 64 MiB, JSON files up to 4 GiB,
 * 16 GiB inflated per zip, 20 errors reported per input. */
void feedimport_opts_default(feedimport_opts_t *o);

/* Import PATH (a JSON file, a .zip, or a directory walked for *.json and
 * *.zip without following symbolic links) into DB, recording FEED_ID with
 * every advisory. *RET (added to, not reset) gets the counts; *RET_FORMAT
 * (may be NULL) a static name of what PATH was: "osv", "osv-zip",
 * "debian-tracker" or "directory". Returns 0 when PATH was read (malformed
 * entries are in RET->errors), or a negative errno when it could not be
 * imported at all (also reported through on_error): -ENOENT, -EINVAL (not a
 * feed), -EFBIG, -EIO (store failure: the file's transaction was rolled
 * back). */
int feedimport_path(sqlite3 *db, int64_t feed_id, const char *path, const feedimport_opts_t *o,
                    feed_counts_t *ret, const char **ret_format);

/* Import N bytes of JSON feed text named DISPLAY (as feedimport_path does
 * for one file, in one transaction). */
int feedimport_buffer(sqlite3 *db, int64_t feed_id, const char *display, const char *data, size_t n,
                      const feedimport_opts_t *o, feed_counts_t *ret);
