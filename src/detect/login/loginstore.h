/* The login detectors' memory: what each account's successful logins taught
 * (sources and countries, how often each was seen, when it was last
 * alerted on), a few host-wide values (when learning started, the log time
 * reached), and snapshots of the detectors' sliding windows so that an
 * attack that straddles a restart of the agent is still one attack.
 *
 * It lives in STATE_DIR/login.db (SQLite through store_open, WAL, versioned
 * migrations) or, without a state directory, in an in-memory SQLite
 * database with the same schema, so both modes run the same code. Writes
 * are grouped in one open transaction that loginstore_commit ends (the
 * detectors call it on flush, on tick and when freed), which keeps
 * `vigil logscan` over a long log from paying one fsync per login.
 *
 * Rows of learned history are capped (LOGINSTORE_KNOWN_MAX); past the cap
 * the rows seen least recently are dropped first, so forged "Accepted"
 * lines cannot grow the file without bound. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

#define LOGINSTORE_FILE      "login.db"
#define LOGINSTORE_KNOWN_MAX 100000
/* A snapshot value larger than this is refused. */
#define LOGINSTORE_BLOB_MAX (64 * 1024)

typedef struct loginstore loginstore_t;

/* What a row of learned history holds. */
typedef enum loginstore_kind {
        LOGINSTORE_SOURCE = 0,  /* VALUE: an address or network ("198.51.100.0/24") */
        LOGINSTORE_COUNTRY = 1, /* VALUE: an ISO 3166 code */
        LOGINSTORE_ROOTPW = 2,  /* VALUE: a source; only ALERTED is used */
} loginstore_kind_t;

typedef struct loginstore_known {
        int64_t count;   /* successful logins seen */
        int64_t first;   /* log time of the first, µs */
        int64_t last;    /* log time of the latest, µs */
        int64_t alerted; /* log time of the latest alert about it, 0 = never */
        bool usual;      /* learned during a learning period */
} loginstore_known_t;

/* Open STATE_DIR/login.db (creating the directory and the file), or an
 * in-memory store when STATE_DIR is NULL. Returns 0 or a negative errno
 * with *RET_ERROR set (caller frees). */
int loginstore_open(const char *state_dir, loginstore_t **ret, char **ret_error);
/* Commit and close; accepts NULL. */
void loginstore_close(loginstore_t *s);
static inline void loginstore_closep(loginstore_t **s)
{
        loginstore_close(*s);
}
#define _cleanup_loginstore_ _cleanup_(loginstore_closep)

/* A host-wide value. Returns 0, -ENOENT when never set, -EIO. */
int loginstore_get_meta(loginstore_t *s, const char *key, int64_t *ret);
int loginstore_set_meta(loginstore_t *s, const char *key, int64_t value);

/* The row (ACCOUNT, KIND, VALUE). Returns 0, -ENOENT, -EIO. */
int loginstore_known_get(loginstore_t *s, const char *account, loginstore_kind_t kind,
                         const char *value, loginstore_known_t *ret);
/* Insert or replace the row. Returns 0 or -EIO. */
int loginstore_known_put(loginstore_t *s, const char *account, loginstore_kind_t kind,
                         const char *value, const loginstore_known_t *k);
/* Rows held now. */
int64_t loginstore_known_count(loginstore_t *s);

/* Replace snapshot table TAB with what PUT calls add. loginstore_snap_clear
 * drops the old rows; loginstore_snap_put adds one (key and value are
 * opaque bytes). Returns 0, -E2BIG or -EIO. */
int loginstore_snap_clear(loginstore_t *s, int tab);
int loginstore_snap_put(loginstore_t *s, int tab, const void *key, size_t klen, const void *value,
                        size_t vlen);
/* Delete the row KEY of snapshot table TAB, if there is one (loginstore_snap_put
 * replaces a row with the same key: together they update a snapshot in
 * place). Returns 0 or -EIO. */
int loginstore_snap_del(loginstore_t *s, int tab, const void *key, size_t klen);
/* Call FN for every row of snapshot table TAB; FN's negative return stops
 * and is returned. */
typedef int (*loginstore_snap_fn)(const void *key, size_t klen, const void *value, size_t vlen,
                                  void *userdata);
int loginstore_snap_load(loginstore_t *s, int tab, loginstore_snap_fn fn, void *userdata);

/* End the open write transaction, if any. Returns 0 or -EIO. */
int loginstore_commit(loginstore_t *s);
