/* The file integrity baseline in the state directory: STATE_DIR/fim.db, a
 * SQLite database (core/store: WAL, versioned migrations) with one row per
 * file (path, the stat tuple, SHA-256, where the expected state comes from,
 * the package and digest it was checked against, when it was hashed and is
 * due again) and a small key/value table of facts about the baseline (the
 * root it describes, when it was built and updated, the patterns it covers,
 * the last state of the real-time watcher).
 *
 * The rows are read back with the same suspicion as any input: the file may
 * have been damaged or edited. A row whose values do not make sense (a path
 * that is not absolute, a digest of the wrong length, a negative size, an
 * unknown file type) is skipped, noted and counted, and the rest is used.
 *
 * A running check may also park its package digests here (a TEMP table,
 * private to the connection and dropped when it closes), so that a
 * long-lived watcher looks them up one path at a time instead of holding
 * them all in memory. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/report.h"
#include "detect/fim/fimtab.h"
#include "detect/fim/pkgverify.h"

#define FIMDB_FILE "fim.db"
/* Rows noted one by one when they are bad; the rest are only counted. */
#define FIMDB_NOTES_MAX 5
/* Longest package name and digest string accepted from a row. */
#define FIMDB_PKG_MAX    256
#define FIMDB_DIGEST_MAX 80
/* Longest meta value accepted. */
#define FIMDB_META_MAX (1 * MiB)

/* Meta keys. */
#define FIMDB_META_ROOT    "root"       /* the root the baseline describes */
#define FIMDB_META_CREATED "created_at" /* seconds since the epoch */
#define FIMDB_META_UPDATED "updated_at"
#define FIMDB_META_CHECKED "checked_at"
#define FIMDB_META_INCLUDE "include" /* JSON array of include patterns covered */
#define FIMDB_META_EXCLUDE "exclude" /* JSON array of exclude patterns */
#define FIMDB_META_WATCH   "watch"   /* JSON object: the watcher's last status */

typedef struct fimdb fimdb_t;

/* Open (creating when CREATE) the baseline database at PATH; ":memory:"
 * gives a private in-memory one. Returns 0, -ENOENT (missing, !CREATE),
 * -EPROTO (written by a newer vigil), -EIO; *RET_ERROR gets a message on
 * failure (caller frees). Close with fimdb_close (accepts NULL). */
int fimdb_open(const char *path, bool create, fimdb_t **ret, char **ret_error);
void fimdb_close(fimdb_t *db);
static inline void fimdb_closep(fimdb_t **db)
{
        fimdb_close(*db);
}
#define _cleanup_fimdb_ _cleanup_(fimdb_closep)

/* The SQLite handle (borrowed), for tests and fuzzing. */
sqlite3 *fimdb_sqlite(fimdb_t *db);
/* The last SQLite error message (borrowed). */
const char *fimdb_errmsg(fimdb_t *db);

/* Transactions. Each returns 0 or -EIO. */
int fimdb_begin(fimdb_t *db);
int fimdb_commit(fimdb_t *db);
void fimdb_rollback(fimdb_t *db);

/* Remove every file row and every meta key but none of the schema. */
int fimdb_clear(fimdb_t *db);
/* Insert or replace the row of E->path. Returns 0 or -EIO. */
int fimdb_put(fimdb_t *db, const fimtab_entry_t *e);
/* Delete the row of PATH (no row is not an error). Returns 0 or -EIO. */
int fimdb_delete(fimdb_t *db, const char *path);
/* Number of file rows. Returns 0 or -EIO. */
int fimdb_count(fimdb_t *db, int64_t *ret);

/* Read every row into TAB (entries are added; a path already there is
 * replaced). Bad rows are skipped, the first FIMDB_NOTES_MAX noted in
 * REPORT (may be NULL) with source DISPLAY, and all counted in *RET_BAD (may
 * be NULL). Returns 0, -ENOMEM or -EIO (a database that cannot be read at
 * all). */
int fimdb_load(fimdb_t *db, const char *display, fimtab_t *tab, report_t *report, size_t *ret_bad);

/* Decode one row (the column order of the files table) into a new entry.
 * Returns 0 with *RET (caller frees), -EINVAL with a static reason in
 * *RET_WHY for a bad row, or -ENOMEM. */
int fimdb_decode_row(sqlite3_stmt *st, fimtab_entry_t **ret, const char **ret_why);

/* The row of PATH. Returns 0 with *RET (caller frees), -ENOENT when there
 * is none or it is bad (fimdb_load skips the same rows), -ENOMEM or -EIO. */
int fimdb_get(fimdb_t *db, const char *path, fimtab_entry_t **ret);
/* 1 when PATH has a good row, 0 when not, or a negative errno. */
int fimdb_has(fimdb_t *db, const char *path);

/* Calls FN with the path and mode of every good row at directory DIR or
 * below it ("/": every row), in path order. FN returns 0, or a negative
 * errno that stops the iteration and is returned. FN must not write to the
 * store. Returns 0, -ENOMEM, -EIO or FN's error. */
typedef int (*fimdb_row_fn)(const char *path, uint32_t mode, void *userdata);
int fimdb_foreach_under(fimdb_t *db, const char *dir, fimdb_row_fn fn, void *userdata);

/* Replace the parked package digests with the files of PV (NULL: none);
 * PV's package list stays with the caller, rows refer to it by index.
 * Returns 0 or -EIO. */
int fimdb_pkgfiles_set(fimdb_t *db, const pkgverify_t *pv);
/* The parked digest of PATH into *RET (its path member NULL). Returns 0,
 * -ENOENT (none parked, or a bad row) or -EIO. The caller checks RET->pkg
 * against its package list. */
int fimdb_pkgfile_get(fimdb_t *db, const char *path, pkgverify_file_t *ret);
/* Calls FN for every parked file at directory DIR or below it, in path
 * order; F->path is valid during the call only. FN returns 0 or a negative
 * errno that stops the iteration and is returned. FN must not write to the
 * store. Returns 0, -ENOMEM, -EIO or FN's error. */
typedef int (*fimdb_pkgfile_fn)(const pkgverify_file_t *f, void *userdata);
int fimdb_pkgfiles_foreach_under(fimdb_t *db, const char *dir, fimdb_pkgfile_fn fn, void *userdata);

/* Meta values. get returns 0 with *RET (caller frees), -ENOENT, -EIO, or
 * -EINVAL for a value that is not text of at most FIMDB_META_MAX bytes. */
int fimdb_meta_set(fimdb_t *db, const char *key, const char *value);
int fimdb_meta_get(fimdb_t *db, const char *key, char **ret);
int fimdb_meta_set_int(fimdb_t *db, const char *key, int64_t value);
/* Returns 0, -ENOENT, -EIO, or -EINVAL when the value is not an integer. */
int fimdb_meta_get_int(fimdb_t *db, const char *key, int64_t *ret);
