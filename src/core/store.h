/* Opening vigil's SQLite databases in the state directory: WAL journal,
 * foreign keys on, a busy timeout, and versioned schema migrations kept in
 * PRAGMA user_version. Each store (feeds, agent state, center) owns its own
 * list of migrations. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>

#include "core/macro.h"

/* Open (creating when CREATE) the database at PATH and apply MIGRATIONS[i]
 * for every i >= the stored version, each in its own transaction. Returns 0,
 * -ENOENT (missing and !CREATE), -EPROTO when the file was written by a newer
 * vigil (a version beyond N), -EIO for a corrupt database; *RET_ERROR gets a
 * message (caller frees) on failure. */
int store_open(const char *path, bool create, const char *const *migrations, unsigned n,
               sqlite3 **ret, char **ret_error);

/* Close DB; accepts NULL. */
void store_close(sqlite3 *db);
static inline void store_closep(sqlite3 **db)
{
        store_close(*db);
}
#define _cleanup_store_ _cleanup_(store_closep)

/* Run SQL that returns no rows. Returns 0 or -EIO (message in *RET_ERROR when
 * RET_ERROR is not NULL; caller frees). */
int store_exec(sqlite3 *db, const char *sql, char **ret_error);

/* Create DIR (and parents) with mode 0700 when missing. Returns 0 or -errno. */
int store_mkdir_p(const char *dir);
