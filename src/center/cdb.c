#include "center/cdb.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/text.h"
#include "core/timeutil.h"

/* Prepared statements kept per connection. When the cache is full it is
 * emptied: queries are a small fixed set, so this only happens when a
 * caller builds SQL with a varying shape (multi-row VALUES lists), and
 * those come in few sizes. */
#define STMT_CACHE_SLOTS 512
#define STMT_CACHE_MAX   384

/* An advisory lock key that only vigil's migrations take. */
#define MIGRATION_LOCK_KEY 7340921847109LL

struct stmt {
        uint64_t hash;
        char *sql;
        sqlite3_stmt *lite; /* SQLite */
        unsigned pg_id;     /* PostgreSQL: prepared as "v<pg_id>" */
};

struct cdb_conn {
        cdb_t *db;
        sqlite3 *lite;
        PGconn *pg;
        bool in_use;
        bool in_tx;
        bool holds_wlock; /* SQLite: this connection holds db->wlock */
        bool broken;      /* PostgreSQL: reset before the next use */
        bool res_open;
        struct stmt *cache; /* STMT_CACHE_SLOTS slots, open addressing */
        size_t n_cache;
        unsigned next_pg_id;
        char errmsg[512];
};

struct cdb {
        cdb_engine_t engine;
        char *target; /* SQLite path or libpq conninfo */
        bool sync_full;
        pthread_mutex_t lock; /* guards the pool */
        pthread_cond_t cond;
        cdb_conn_t **conns;
        size_t n_conns, pool_size;
        pthread_mutex_t wlock; /* SQLite: one writing transaction at a time */
};

struct cdb_res {
        cdb_conn_t *c;
        sqlite3_stmt *lite;
        PGresult *pg;
        int row, rows;
};

static void set_err(cdb_conn_t *c, const char *fmt, ...) _printf_(2, 3);
static void set_err(cdb_conn_t *c, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
        va_end(ap);
        /* One line: PostgreSQL's messages carry newlines and details. */
        for (char *p = c->errmsg; *p; p++)
                if (*p == '\n' || *p == '\r' || *p == '\t')
                        *p = ' ';
}

cdb_engine_t cdb_engine(const cdb_t *db)
{
        return db->engine;
}

const char *cdb_engine_name(const cdb_t *db)
{
        return db->engine == CDB_SQLITE ? "sqlite" : "postgresql";
}

cdb_t *cdb_conn_db(const cdb_conn_t *c)
{
        return c->db;
}

const char *cdb_errmsg(const cdb_conn_t *c)
{
        return c->errmsg;
}

bool cdb_in_transaction(const cdb_conn_t *c)
{
        return c->in_tx;
}

/* ---- statement cache ---- */

static void stmt_drop(cdb_conn_t *c, struct stmt *s)
{
        if (s->lite)
                sqlite3_finalize(s->lite);
        free(s->sql);
        memset(s, 0, sizeof(*s));
}

static void cache_clear(cdb_conn_t *c)
{
        if (!c->cache)
                return;
        for (size_t i = 0; i < STMT_CACHE_SLOTS; i++)
                if (c->cache[i].sql)
                        stmt_drop(c, &c->cache[i]);
        c->n_cache = 0;
        /* PostgreSQL forgets prepared statements with its session, and after
         * DEALLOCATE ALL; the ids simply continue. */
        if (c->pg && !c->broken)
                PQclear(PQexec(c->pg, "DEALLOCATE ALL"));
}

/* Rewrite PostgreSQL placeholders ($1) to SQLite's numbered form (?1),
 * leaving quoted text alone. Caller frees. */
static char *sql_for_sqlite(const char *sql)
{
        size_t n = strlen(sql);
        char *out = malloc(n + 1), *o = out;
        char quote = 0;

        if (!out)
                return NULL;
        for (const char *p = sql; *p; p++) {
                if (quote) {
                        if (*p == quote)
                                quote = 0;
                } else if (*p == '\'' || *p == '"') {
                        quote = *p;
                } else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
                        *o++ = '?';
                        continue;
                }
                *o++ = *p;
        }
        *o = 0;
        return out;
}

static int map_sqlite_error(cdb_conn_t *c, int rc)
{
        int ext = sqlite3_extended_errcode(c->lite);

        set_err(c, "%s", sqlite3_errmsg(c->lite));
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
                return -EEXIST;
        if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
                return -EAGAIN;
        if ((rc & 0xff) == SQLITE_NOMEM)
                return -ENOMEM;
        return -EIO;
}

static int map_pg_result(cdb_conn_t *c, PGresult *res)
{
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);

        set_err(c, "%s", msg && *msg ? msg : "PostgreSQL error");
        if (PQstatus(c->pg) != CONNECTION_OK) {
                c->broken = true;
                return -ECONNRESET;
        }
        if (!state)
                return -EIO;
        if (strcmp(state, "23505") == 0)
                return -EEXIST;
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
            strcmp(state, "55P03") == 0)
                return -EAGAIN;
        return -EIO;
}

/* Find or prepare the statement for SQL. */
static int stmt_get(cdb_conn_t *c, const char *sql, size_t nparams, struct stmt **ret)
{
        size_t len = strlen(sql);
        uint64_t h = hash_fnv1a(sql, len);
        size_t i = h & (STMT_CACHE_SLOTS - 1);
        struct stmt *s;

        if (nparams > CDB_MAX_PARAMS) {
                set_err(c, "too many parameters (%zu)", nparams);
                return -E2BIG;
        }
        if (!c->cache) {
                c->cache = calloc(STMT_CACHE_SLOTS, sizeof(*c->cache));
                if (!c->cache)
                        return -ENOMEM;
        }
        for (;;) {
                s = &c->cache[i];
                if (!s->sql)
                        break;
                if (s->hash == h && strcmp(s->sql, sql) == 0) {
                        *ret = s;
                        return 0;
                }
                i = (i + 1) & (STMT_CACHE_SLOTS - 1);
        }
        if (c->n_cache >= STMT_CACHE_MAX) {
                cache_clear(c);
                i = h & (STMT_CACHE_SLOTS - 1);
                s = &c->cache[i];
        }
        s->sql = strdup(sql);
        if (!s->sql)
                return -ENOMEM;
        s->hash = h;
        if (c->lite) {
                _cleanup_free_ char *lsql = sql_for_sqlite(sql);
                int rc;

                if (!lsql) {
                        stmt_drop(c, s);
                        return -ENOMEM;
                }
                rc = sqlite3_prepare_v3(c->lite, lsql, -1, SQLITE_PREPARE_PERSISTENT, &s->lite,
                                        NULL);
                if (rc != SQLITE_OK) {
                        int r = map_sqlite_error(c, rc);
                        stmt_drop(c, s);
                        return r;
                }
        } else {
                char name[32];
                PGresult *res;

                s->pg_id = ++c->next_pg_id;
                snprintf(name, sizeof(name), "v%u", s->pg_id);
                res = PQprepare(c->pg, name, sql, 0, NULL);
                if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
                        int r = map_pg_result(c, res);
                        PQclear(res);
                        stmt_drop(c, s);
                        return r;
                }
                PQclear(res);
        }
        c->n_cache++;
        *ret = s;
        return 0;
}

/* ---- binding and running ---- */

static int lite_bind(cdb_conn_t *c, sqlite3_stmt *st, const cdb_param_t *p, size_t n, bool copy)
{
        for (size_t i = 0; i < n; i++) {
                int rc = SQLITE_OK, k = (int)i + 1;

                switch (p[i].type) {
                case CDB_T_NULL:
                        rc = sqlite3_bind_null(st, k);
                        break;
                case CDB_T_INT:
                        rc = sqlite3_bind_int64(st, k, p[i].i);
                        break;
                case CDB_T_REAL:
                        rc = sqlite3_bind_double(st, k, p[i].d);
                        break;
                case CDB_T_TEXT:
                        rc = sqlite3_bind_text(st, k, p[i].s, -1,
                                               copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
                        break;
                }
                if (rc != SQLITE_OK)
                        return map_sqlite_error(c, rc);
        }
        return 0;
}

/* Parameters as PostgreSQL text values; numbers are printed into SCRATCH,
 * which must have room for 32 bytes per parameter. */
static void pg_values(const cdb_param_t *p, size_t n, const char **values, char *scratch)
{
        for (size_t i = 0; i < n; i++) {
                char *slot = scratch + i * 32;

                switch (p[i].type) {
                case CDB_T_NULL:
                        values[i] = NULL;
                        break;
                case CDB_T_INT:
                        snprintf(slot, 32, "%" PRId64, p[i].i);
                        values[i] = slot;
                        break;
                case CDB_T_REAL:
                        snprintf(slot, 32, "%.17g", p[i].d);
                        values[i] = slot;
                        break;
                case CDB_T_TEXT:
                        values[i] = p[i].s;
                        break;
                }
        }
}

static int pg_run(cdb_conn_t *c, struct stmt *s, const cdb_param_t *p, size_t n, PGresult **ret)
{
        _cleanup_free_ const char **values = NULL;
        _cleanup_free_ char *scratch = NULL;
        char name[32];
        PGresult *res;
        ExecStatusType st;

        if (n > 0) {
                values = calloc(n, sizeof(*values));
                scratch = malloc(n * 32);
                if (!values || !scratch)
                        return -ENOMEM;
                pg_values(p, n, values, scratch);
        }
        snprintf(name, sizeof(name), "v%u", s->pg_id);
        res = PQexecPrepared(c->pg, name, (int)n, values, NULL, NULL, 0);
        st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                int r = map_pg_result(c, res);
                PQclear(res);
                return r;
        }
        *ret = res;
        return 0;
}

/* SQLite: a statement that writes and runs outside a transaction takes the
 * write mutex for its one step, like a transaction would. */
static bool lite_needs_wlock(cdb_conn_t *c, sqlite3_stmt *st)
{
        return !c->in_tx && !sqlite3_stmt_readonly(st);
}

int cdb_exec(cdb_conn_t *c, const char *sql, const cdb_param_t *p, size_t n, int64_t *ret_changes)
{
        struct stmt *s;
        int r;

        if (c->res_open) {
                set_err(c, "a result is still open on this connection");
                return -EBUSY;
        }
        r = stmt_get(c, sql, n, &s);
        if (r < 0)
                return r;
        if (c->lite) {
                bool lock = lite_needs_wlock(c, s->lite);
                int rc;

                r = lite_bind(c, s->lite, p, n, false);
                if (r == 0) {
                        if (lock)
                                pthread_mutex_lock(&c->db->wlock);
                        while ((rc = sqlite3_step(s->lite)) == SQLITE_ROW)
                                ;
                        if (rc != SQLITE_DONE)
                                r = map_sqlite_error(c, rc);
                        else if (ret_changes)
                                *ret_changes = sqlite3_changes64(c->lite);
                        if (lock)
                                pthread_mutex_unlock(&c->db->wlock);
                }
                sqlite3_reset(s->lite);
                sqlite3_clear_bindings(s->lite);
                return r;
        } else {
                PGresult *res;
                r = pg_run(c, s, p, n, &res);
                if (r < 0)
                        return r;
                if (ret_changes) {
                        const char *t = PQcmdTuples(res);
                        *ret_changes = t && *t ? strtoll(t, NULL, 10) : 0;
                }
                PQclear(res);
                return 0;
        }
}

int cdb_query(cdb_conn_t *c, const char *sql, const cdb_param_t *p, size_t n, cdb_res_t **ret)
{
        _cleanup_free_ cdb_res_t *res = NULL;
        struct stmt *s;
        int r;

        if (c->res_open) {
                set_err(c, "a result is still open on this connection");
                return -EBUSY;
        }
        r = stmt_get(c, sql, n, &s);
        if (r < 0)
                return r;
        res = calloc(1, sizeof(*res));
        if (!res)
                return -ENOMEM;
        res->c = c;
        res->row = -1;
        if (c->lite) {
                r = lite_bind(c, s->lite, p, n, true);
                if (r < 0) {
                        sqlite3_reset(s->lite);
                        sqlite3_clear_bindings(s->lite);
                        return r;
                }
                res->lite = s->lite;
        } else {
                r = pg_run(c, s, p, n, &res->pg);
                if (r < 0)
                        return r;
                res->rows = PQntuples(res->pg);
        }
        c->res_open = true;
        *ret = TAKE_PTR(res);
        return 0;
}

int cdb_next(cdb_res_t *r)
{
        if (r->lite) {
                bool lock = lite_needs_wlock(r->c, r->lite) && r->row < 0;
                int rc;

                /* A writing statement with RETURNING steps under the write
                 * mutex; the first step does the whole write. */
                if (lock)
                        pthread_mutex_lock(&r->c->db->wlock);
                rc = sqlite3_step(r->lite);
                if (lock)
                        pthread_mutex_unlock(&r->c->db->wlock);
                r->row++;
                if (rc == SQLITE_ROW)
                        return 1;
                if (rc == SQLITE_DONE)
                        return 0;
                return map_sqlite_error(r->c, rc);
        }
        if (r->row + 1 >= r->rows)
                return 0;
        r->row++;
        return 1;
}

bool cdb_is_null(cdb_res_t *r, int col)
{
        if (r->lite)
                return sqlite3_column_type(r->lite, col) == SQLITE_NULL;
        return PQgetisnull(r->pg, r->row, col);
}

int64_t cdb_get_int(cdb_res_t *r, int col)
{
        const char *t;

        if (r->lite)
                return sqlite3_column_int64(r->lite, col);
        if (PQgetisnull(r->pg, r->row, col))
                return 0;
        t = PQgetvalue(r->pg, r->row, col);
        /* sum() and avg() give numeric in PostgreSQL: "12" or "12.5". */
        if (strchr(t, '.') || strchr(t, 'e'))
                return (int64_t)strtod(t, NULL);
        return strtoll(t, NULL, 10);
}

double cdb_get_real(cdb_res_t *r, int col)
{
        if (r->lite)
                return sqlite3_column_double(r->lite, col);
        if (PQgetisnull(r->pg, r->row, col))
                return 0;
        return strtod(PQgetvalue(r->pg, r->row, col), NULL);
}

const char *cdb_get_text(cdb_res_t *r, int col)
{
        if (r->lite)
                return (const char *)sqlite3_column_text(r->lite, col);
        if (PQgetisnull(r->pg, r->row, col))
                return NULL;
        return PQgetvalue(r->pg, r->row, col);
}

void cdb_res_free(cdb_res_t *r)
{
        if (!r)
                return;
        if (r->lite) {
                sqlite3_reset(r->lite);
                sqlite3_clear_bindings(r->lite);
        }
        PQclear(r->pg);
        r->c->res_open = false;
        free(r);
}

int cdb_query_int(cdb_conn_t *c, const char *sql, const cdb_param_t *p, size_t n, int64_t *ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        int r;

        r = cdb_query(c, sql, p, n, &res);
        if (r < 0)
                return r;
        r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = cdb_get_int(res, 0);
        return 0;
}

/* Run SQL text that may hold several statements and takes no parameters. */
static int exec_script(cdb_conn_t *c, const char *sql)
{
        if (c->lite) {
                char *msg = NULL;
                int rc = sqlite3_exec(c->lite, sql, NULL, NULL, &msg);
                if (rc != SQLITE_OK) {
                        int r = map_sqlite_error(c, rc);
                        if (msg)
                                set_err(c, "%s", msg);
                        sqlite3_free(msg);
                        return r;
                }
                return 0;
        } else {
                PGresult *res = PQexec(c->pg, sql);
                ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
                int r = 0;

                if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                        r = map_pg_result(c, res);
                PQclear(res);
                return r;
        }
}

/* ---- transactions ---- */

int cdb_begin(cdb_conn_t *c)
{
        int r;

        if (c->in_tx) {
                set_err(c, "a transaction is already open");
                return -EBUSY;
        }
        if (c->lite) {
                pthread_mutex_lock(&c->db->wlock);
                c->holds_wlock = true;
                r = exec_script(c, "BEGIN IMMEDIATE");
                if (r < 0) {
                        c->holds_wlock = false;
                        pthread_mutex_unlock(&c->db->wlock);
                        return r;
                }
        } else {
                r = exec_script(c, "BEGIN");
                if (r < 0)
                        return r;
        }
        c->in_tx = true;
        return 0;
}

int cdb_begin_read(cdb_conn_t *c)
{
        int r;

        if (c->in_tx) {
                set_err(c, "a transaction is already open");
                return -EBUSY;
        }
        r = exec_script(c, c->lite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        if (r < 0)
                return r;
        c->in_tx = true;
        return 0;
}

static void end_tx(cdb_conn_t *c)
{
        c->in_tx = false;
        if (c->holds_wlock) {
                c->holds_wlock = false;
                pthread_mutex_unlock(&c->db->wlock);
        }
}

int cdb_commit(cdb_conn_t *c)
{
        int r;

        if (!c->in_tx)
                return 0;
        r = exec_script(c, "COMMIT");
        if (r < 0) {
                /* SQLite keeps the transaction open when COMMIT is busy;
                 * PostgreSQL has ended it. Either way roll back. */
                cdb_rollback(c);
                return r;
        }
        end_tx(c);
        return 0;
}

void cdb_rollback(cdb_conn_t *c)
{
        if (!c->in_tx)
                return;
        if (c->lite) {
                if (!sqlite3_get_autocommit(c->lite))
                        sqlite3_exec(c->lite, "ROLLBACK", NULL, NULL, NULL);
        } else if (!c->broken) {
                PQclear(PQexec(c->pg, "ROLLBACK"));
        }
        end_tx(c);
}

int cdb_transact(cdb_conn_t *c, int attempts, int (*body)(cdb_conn_t *c, void *userdata),
                 void *userdata)
{
        int r = -EAGAIN;

        for (int i = 0; i < attempts && r == -EAGAIN; i++) {
                r = cdb_begin(c);
                if (r < 0)
                        continue;
                r = body(c, userdata);
                if (r == 0)
                        r = cdb_commit(c);
                else
                        cdb_rollback(c);
        }
        return r;
}

/* ---- connections and the pool ---- */

static void conn_free(cdb_conn_t *c)
{
        if (!c)
                return;
        if (c->cache) {
                for (size_t i = 0; i < STMT_CACHE_SLOTS; i++)
                        if (c->cache[i].sql)
                                stmt_drop(c, &c->cache[i]);
                free(c->cache);
        }
        if (c->lite)
                sqlite3_close(c->lite);
        if (c->pg)
                PQfinish(c->pg);
        free(c);
}

/* libpq prints server notices on stderr by default; a library keeps quiet. */
static void pg_notice(void *arg, const char *message)
{
}

static int conn_open(cdb_t *db, cdb_conn_t **ret, char **ret_error)
{
        cdb_conn_t *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->db = db;
        if (db->engine == CDB_SQLITE) {
                int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
                char pragmas[256];

                if (sqlite3_open_v2(db->target, &c->lite, flags, NULL) != SQLITE_OK) {
                        /* SQLite's own message ("unable to open database
                         * file") does not say why; the system's error does. */
                        int e = c->lite ? sqlite3_system_errno(c->lite) : 0;
                        if (ret_error)
                                *ret_error = str_printf(
                                        "%s: %s%s%s", db->target,
                                        c->lite ? sqlite3_errmsg(c->lite) : "out of memory",
                                        e > 0 ? ": " : "", e > 0 ? strerror(e) : "");
                        conn_free(c);
                        return -EIO;
                }
                sqlite3_busy_timeout(c->lite, 10000);
                /* WAL lets readers go on while one connection writes. In
                 * WAL, synchronous=NORMAL survives a crash of the process
                 * (kill -9) without loss; FULL also survives power loss at
                 * the cost of an fsync per commit. */
                snprintf(pragmas, sizeof(pragmas),
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
                         " PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"
                         " PRAGMA cache_size=-8192;",
                         db->sync_full ? "FULL" : "NORMAL");
                if (exec_script(c, pragmas) < 0) {
                        if (ret_error)
                                *ret_error = str_printf("%s: %s", db->target, c->errmsg);
                        conn_free(c);
                        return -EIO;
                }
        } else {
                c->pg = PQconnectdb(db->target);
                if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
                        if (ret_error)
                                *ret_error =
                                        str_printf("PostgreSQL: %s",
                                                   c->pg ? PQerrorMessage(c->pg) : "out of memory");
                        if (ret_error && *ret_error)
                                str_strip(*ret_error);
                        conn_free(c);
                        return -EIO;
                }
                PQsetNoticeProcessor(c->pg, pg_notice, NULL);
                if (PQsetClientEncoding(c->pg, "UTF8") != 0 ||
                    exec_script(c, "SET TIME ZONE 'UTC'") < 0) {
                        if (ret_error)
                                *ret_error = str_printf("PostgreSQL: %s", c->errmsg);
                        conn_free(c);
                        return -EIO;
                }
        }
        *ret = c;
        return 0;
}

int cdb_open(const char *url, unsigned pool_size, bool synchronous_full, cdb_t **ret,
             char **ret_error)
{
        cdb_t *db;
        cdb_conn_t *first = NULL;
        int r;

        *ret_error = NULL;
        db = calloc(1, sizeof(*db));
        if (!db)
                return -ENOMEM;
        pthread_mutex_init(&db->lock, NULL);
        pthread_cond_init(&db->cond, NULL);
        pthread_mutex_init(&db->wlock, NULL);
        db->sync_full = synchronous_full;
        db->pool_size = pool_size ? pool_size : 1;
        if (str_startswith(url, "sqlite:")) {
                db->engine = CDB_SQLITE;
                db->target = strdup(url + STRLEN("sqlite:"));
                if (db->target && strcmp(db->target, ":memory:") == 0)
                        db->pool_size = 1;
        } else if (str_startswith(url, "postgres://") || str_startswith(url, "postgresql://")) {
                db->engine = CDB_POSTGRES;
                db->target = strdup(url);
        } else if (str_startswith(url, "postgres:")) {
                db->engine = CDB_POSTGRES;
                db->target = strdup(url + STRLEN("postgres:"));
        } else {
                *ret_error = str_printf("unknown database '%s': use sqlite:PATH or "
                                        "postgres://USER@HOST:PORT/DB",
                                        url);
                cdb_close(db);
                return -EINVAL;
        }
        if (!db->target || !*db->target) {
                r = db->target ? -EINVAL : -ENOMEM;
                *ret_error = str_printf("database '%s' names no file or server", url);
                cdb_close(db);
                return r;
        }
        db->conns = calloc(db->pool_size, sizeof(*db->conns));
        if (!db->conns) {
                cdb_close(db);
                return -ENOMEM;
        }
        r = conn_open(db, &first, ret_error);
        if (r < 0) {
                cdb_close(db);
                return r;
        }
        db->conns[db->n_conns++] = first;
        *ret = db;
        return 0;
}

void cdb_close(cdb_t *db)
{
        if (!db)
                return;
        for (size_t i = 0; i < db->n_conns; i++)
                conn_free(db->conns[i]);
        free(db->conns);
        free(db->target);
        pthread_mutex_destroy(&db->lock);
        pthread_cond_destroy(&db->cond);
        pthread_mutex_destroy(&db->wlock);
        free(db);
}

int cdb_acquire(cdb_t *db, cdb_conn_t **ret)
{
        cdb_conn_t *c = NULL;
        int r;

        pthread_mutex_lock(&db->lock);
        for (;;) {
                for (size_t i = 0; i < db->n_conns; i++)
                        if (!db->conns[i]->in_use) {
                                c = db->conns[i];
                                break;
                        }
                if (c)
                        break;
                if (db->n_conns < db->pool_size) {
                        /* Opened under the pool lock: this happens at most
                         * pool_size times in the life of the process. */
                        r = conn_open(db, &c, NULL);
                        if (r < 0) {
                                pthread_mutex_unlock(&db->lock);
                                return r;
                        }
                        db->conns[db->n_conns++] = c;
                        break;
                }
                pthread_cond_wait(&db->cond, &db->lock);
        }
        c->in_use = true;
        pthread_mutex_unlock(&db->lock);

        if (c->pg && (c->broken || PQstatus(c->pg) != CONNECTION_OK)) {
                cache_clear(c);
                c->broken = false;
                PQreset(c->pg);
                if (PQstatus(c->pg) != CONNECTION_OK) {
                        set_err(c, "%s", PQerrorMessage(c->pg));
                        c->broken = true;
                        cdb_release(c);
                        return -ECONNRESET;
                }
                PQsetClientEncoding(c->pg, "UTF8");
                exec_script(c, "SET TIME ZONE 'UTC'");
                /* The old session's statements are gone with it. */
                for (size_t i = 0; c->cache && i < STMT_CACHE_SLOTS; i++)
                        if (c->cache[i].sql)
                                stmt_drop(c, &c->cache[i]);
                c->n_cache = 0;
        }
        c->errmsg[0] = 0;
        *ret = c;
        return 0;
}

void cdb_release(cdb_conn_t *c)
{
        cdb_t *db;

        if (!c)
                return;
        db = c->db;
        if (c->in_tx)
                cdb_rollback(c);
        pthread_mutex_lock(&db->lock);
        c->in_use = false;
        pthread_cond_signal(&db->cond);
        pthread_mutex_unlock(&db->lock);
}

/* ---- migrations ---- */

int cdb_schema_version(cdb_conn_t *c, int *ret)
{
        int64_t v = 0;
        int r;

        r = cdb_query_int(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, 0,
                          &v);
        if (r < 0)
                return r;
        *ret = (int)v;
        return 0;
}

int cdb_migrate(cdb_t *db, const cdb_migration_t *m, size_t n, unsigned *ret_applied,
                char **ret_error)
{
        _cleanup_conn_ cdb_conn_t *c = NULL;
        unsigned applied = 0;
        int version = 0, r;
        bool locked = false;

        *ret_error = NULL;
        r = cdb_acquire(db, &c);
        if (r < 0) {
                *ret_error = str_printf("cannot connect to the database");
                return r;
        }
        if (c->pg) {
                char sql[96];
                snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", MIGRATION_LOCK_KEY);
                r = exec_script(c, sql);
                if (r < 0)
                        goto fail;
                locked = true;
        }
        r = exec_script(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                           " applied_at BIGINT NOT NULL)");
        if (r < 0)
                goto fail;
        r = cdb_schema_version(c, &version);
        if (r < 0)
                goto fail;
        if (n > 0 && version > m[n - 1].version) {
                *ret_error = str_printf("the database has schema version %d, newer than this "
                                        "vigil knows (%d): upgrade vigil",
                                        version, m[n - 1].version);
                r = -EPROTO;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                if (m[i].version <= version)
                        continue;
                r = cdb_begin(c);
                if (r < 0)
                        goto fail;
                r = exec_script(c, m[i].sql);
                if (r == 0) {
                        cdb_param_t p[] = { CDB_INT(m[i].version), CDB_TEXT(m[i].name),
                                            CDB_INT(timeutil_now_us()) };
                        r = cdb_exec(c,
                                     "INSERT INTO schema_migrations (version, name, applied_at)"
                                     " VALUES ($1, $2, $3)",
                                     p, ELEMENTSOF(p), NULL);
                }
                if (r == 0)
                        r = cdb_commit(c);
                if (r < 0) {
                        cdb_rollback(c);
                        *ret_error = str_printf("schema migration %d (%s) failed: %s", m[i].version,
                                                m[i].name, c->errmsg);
                        goto out;
                }
                applied++;
        }
        r = 0;
        if (ret_applied)
                *ret_applied = applied;
        goto out;
fail:
        *ret_error = str_printf("schema migrations: %s", c->errmsg);
out:
        if (locked) {
                char sql[96];
                snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", MIGRATION_LOCK_KEY);
                exec_script(c, sql);
        }
        return r;
}

int cdb_values_list(struct buf *sql, size_t rows, size_t cols, size_t first)
{
        size_t k = first;
        int r;

        for (size_t i = 0; i < rows; i++) {
                r = buf_append_str(sql, i ? ", (" : "(");
                if (r < 0)
                        return r;
                for (size_t j = 0; j < cols; j++) {
                        r = buf_printf(sql, j ? ", $%zu" : "$%zu", k++);
                        if (r < 0)
                                return r;
                }
                r = buf_append_str(sql, ")");
                if (r < 0)
                        return r;
        }
        return 0;
}
