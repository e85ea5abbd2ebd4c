/* The center's database: one interface over SQLite (embedded, the default)
 * and PostgreSQL (libpq, for large fleets and several center processes).
 *
 * Every query is written once, in the SQL both engines understand, with
 * PostgreSQL's "$1" placeholders; on SQLite they are rewritten to "?1"
 * when the statement is prepared. Each connection keeps its prepared
 * statements in a cache keyed by the SQL text, so a query is parsed once
 * per connection. Values cross the interface as 64-bit integers, doubles,
 * NUL-terminated UTF-8 text or NULL; there is no engine-specific type in the
 * schema (BIGINT, INTEGER, TEXT, DOUBLE PRECISION only).
 *
 * A cdb_t is a pool of connections shared by the threads of one process:
 * a thread takes a connection with cdb_acquire, uses it alone, and gives
 * it back with cdb_release. On SQLite, write transactions of one process
 * are serialised by a mutex (SQLite allows one writer; waiting on a mutex
 * is cheaper and fairer than SQLite's sleeping busy handler), and readers
 * go on in parallel thanks to WAL. On PostgreSQL nothing is shared between
 * processes except the database, so any number of center processes can use
 * the same one; uniqueness is enforced by the schema's constraints.
 *
 * Errors: -EEXIST a unique constraint was violated; -EAGAIN a transient
 * conflict (SQLite busy, PostgreSQL serialization failure or deadlock):
 * roll back and run the transaction again; -ECONNRESET the connection to
 * PostgreSQL was lost (it is re-established when next acquired); -EIO any
 * other database error (cdb_errmsg says which); -ENOMEM. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/macro.h"

typedef enum cdb_engine {
        CDB_SQLITE,
        CDB_POSTGRES,
} cdb_engine_t;

typedef struct cdb cdb_t;
typedef struct cdb_conn cdb_conn_t;
typedef struct cdb_res cdb_res_t;

typedef enum cdb_type {
        CDB_T_NULL,
        CDB_T_INT,
        CDB_T_REAL,
        CDB_T_TEXT,
} cdb_type_t;

/* One bound parameter. Text is borrowed and must stay valid until the call
 * that binds it returns (cdb_query copies what it needs). */
typedef struct cdb_param {
        cdb_type_t type;
        int64_t i;
        double d;
        const char *s;
} cdb_param_t;

#define CDB_INT(v)  ((cdb_param_t){ .type = CDB_T_INT, .i = (int64_t)(v) })
#define CDB_REAL(v) ((cdb_param_t){ .type = CDB_T_REAL, .d = (double)(v) })
#define CDB_NULL    ((cdb_param_t){ .type = CDB_T_NULL })
/* Text, or NULL when S is a NULL pointer. */
static inline cdb_param_t cdb_text(const char *s)
{
        return (cdb_param_t){ .type = s ? CDB_T_TEXT : CDB_T_NULL, .s = s };
}
#define CDB_TEXT(v) cdb_text(v)

/* The most parameters one statement may have (SQLite's default limit is
 * 32766; PostgreSQL's is 65535). */
#define CDB_MAX_PARAMS 32766

/* A versioned schema change: migrations are applied in order of VERSION,
 * each in its own transaction, and recorded in schema_migrations. SQL may
 * hold several statements separated by semicolons. */
typedef struct cdb_migration {
        int version;
        const char *name;
        const char *sql;
} cdb_migration_t;

/* Open the database named by URL with up to POOL_SIZE connections:
 *   "sqlite:PATH"          a SQLite file (created when missing; WAL mode)
 *   "sqlite::memory:"      a private in-memory database (pool of one)
 *   "postgres://..." or "postgresql://..."  a libpq connection URI
 *   "postgres:KEY=VALUE ..."                 a libpq conninfo string
 * One connection is opened at once to check the settings; the others when
 * first needed. SYNCHRONOUS_FULL (SQLite only) makes every commit durable
 * against power loss, not only against a crash of the process.
 * Returns 0, -EINVAL for a URL of no known kind, -EIO when the database
 * cannot be opened; *RET_ERROR then says why (caller frees). */
int cdb_open(const char *url, unsigned pool_size, bool synchronous_full, cdb_t **ret,
             char **ret_error);

/* Close every connection. The caller ensures none is acquired. Accepts
 * NULL. */
void cdb_close(cdb_t *db);
static inline void cdb_closep(cdb_t **db)
{
        cdb_close(*db);
}
#define _cleanup_cdb_ _cleanup_(cdb_closep)

cdb_engine_t cdb_engine(const cdb_t *db);
/* "sqlite" or "postgresql". */
const char *cdb_engine_name(const cdb_t *db);

/* Take a free connection, waiting for one when all are in use. Returns 0,
 * or -ECONNRESET / -EIO when a PostgreSQL connection could not be
 * (re)established, -ENOMEM. */
int cdb_acquire(cdb_t *db, cdb_conn_t **ret);
/* Give C back (a transaction left open is rolled back). Accepts NULL. */
void cdb_release(cdb_conn_t *c);
static inline void cdb_releasep(cdb_conn_t **c)
{
        cdb_release(*c);
}
#define _cleanup_conn_ _cleanup_(cdb_releasep)

cdb_t *cdb_conn_db(const cdb_conn_t *c);

/* Run SQL with N parameters, ignoring rows it returns. *RET_CHANGES (may be
 * NULL) gets the number of rows inserted, updated or deleted. Returns 0 or
 * an error as described above. */
int cdb_exec(cdb_conn_t *c, const char *sql, const cdb_param_t *p, size_t n, int64_t *ret_changes);

/* Run a query; read its rows with cdb_next and the column getters, then
 * cdb_res_free. Only one result per connection may be open at a time.
 * Returns 0 or an error. */
int cdb_query(cdb_conn_t *c, const char *sql, const cdb_param_t *p, size_t n, cdb_res_t **ret);
/* Step to the next row: 1 when there is one, 0 at the end, or an error. */
int cdb_next(cdb_res_t *r);
bool cdb_is_null(cdb_res_t *r, int col);
/* 0 for NULL; a non-numeric value gives 0 as well. */
int64_t cdb_get_int(cdb_res_t *r, int col);
double cdb_get_real(cdb_res_t *r, int col);
/* Borrowed until the next cdb_next or cdb_res_free; NULL for NULL. */
const char *cdb_get_text(cdb_res_t *r, int col);
void cdb_res_free(cdb_res_t *r);
static inline void cdb_res_freep(cdb_res_t **r)
{
        cdb_res_free(*r);
}
#define _cleanup_res_ _cleanup_(cdb_res_freep)

/* Run SQL and read one integer from the first column of the first row into
 * *RET. Returns 0, -ENOENT when there is no row, or an error. A NULL value
 * reads as 0. */
int cdb_query_int(cdb_conn_t *c, const char *sql, const cdb_param_t *p, size_t n, int64_t *ret);

/* Transactions. cdb_begin starts one that may write (SQLite: BEGIN
 * IMMEDIATE under the process's write mutex); cdb_begin_read a read-only
 * snapshot. Each returns 0 or an error. cdb_rollback accepts a connection
 * with no transaction open. */
int cdb_begin(cdb_conn_t *c);
int cdb_begin_read(cdb_conn_t *c);
int cdb_commit(cdb_conn_t *c);
void cdb_rollback(cdb_conn_t *c);
bool cdb_in_transaction(const cdb_conn_t *c);

/* The message of the last error on C (borrowed; empty when none). */
const char *cdb_errmsg(const cdb_conn_t *c);

/* Apply the migrations not yet recorded, in order, each in its own
 * transaction; several processes may call this at once on PostgreSQL (they
 * wait on an advisory lock). *RET_APPLIED (may be NULL) gets how many were
 * applied. Returns 0, -EPROTO when the database has a version beyond the
 * last one in M (written by a newer vigil), or an error with *RET_ERROR
 * (caller frees). */
int cdb_migrate(cdb_t *db, const cdb_migration_t *m, size_t n, unsigned *ret_applied,
                char **ret_error);

/* The highest applied migration version (0 for none) into *RET. */
int cdb_schema_version(cdb_conn_t *c, int *ret);

/* Append to SQL a VALUES list of ROWS tuples of COLS placeholders each,
 * numbered from FIRST: "($1, $2), ($3, $4)". Returns 0, -E2BIG, -ENOMEM. */
struct buf;
int cdb_values_list(struct buf *sql, size_t rows, size_t cols, size_t first);

/* Run BODY(C, USERDATA) inside a write transaction, retrying up to
 * ATTEMPTS times when it fails with -EAGAIN (the transaction is rolled
 * back before each new attempt). BODY returns 0 to commit, or a negative
 * errno to roll back and return it; a positive value rolls back and is
 * returned as is (for "nothing to do" outcomes). */
int cdb_transact(cdb_conn_t *c, int attempts, int (*body)(cdb_conn_t *c, void *userdata),
                 void *userdata);
