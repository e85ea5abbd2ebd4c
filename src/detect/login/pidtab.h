/* A small bounded table from a logging process (service, host, pid) to the
 * connection it serves: source address, port and user, learned from the
 * lines of that process that name them. sshd and PostgreSQL log some lines
 * without the client address ("Disconnecting: Too many authentication
 * failures [preauth]", "FATAL:  password authentication failed …"); the
 * earlier lines of the same process tell who it is talking to.
 *
 * The table is a set-associative cache: a key hashes to a bucket of
 * PIDTAB_WAYS slots, a new key takes a free slot or the least recently used
 * one. An entry expires PIDTAB_EXPIRE_US of log time after its last update
 * (a preauth connection lives at most LoginGraceTime, 2 minutes by default),
 * or after PIDTAB_EXPIRE_LINES lines when the log has no times, and is
 * dropped when the connection's last line is seen, so a reused pid does not
 * inherit an old address. Losing an entry (eviction, restart) only leaves a
 * later line without a source; it never gives it a wrong one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "detect/login/logevent.h"

#define PIDTAB_BUCKETS      64
#define PIDTAB_WAYS         8
#define PIDTAB_EXPIRE_US    (600LL * 1000000)
#define PIDTAB_EXPIRE_LINES 1000000

/* Flags a parser may keep per connection. */
#define PIDTAB_F_MAX_ATTEMPTS 1u /* a max_attempts event was already reported */

typedef struct pidtab_entry {
        uint64_t key; /* 0 = free */
        uint64_t seq; /* update counter when last touched */
        int64_t when; /* log time of the last update, 0 when unknown */
        bool has_ip;
        ipaddr_t ip;
        uint16_t port;
        unsigned flags; /* PIDTAB_F_*, cleared when the peer changes */
        char src[LOGEVENT_HOST_MAX];
        char user[LOGEVENT_USER_MAX]; /* "" when not known */
} pidtab_entry_t;

typedef struct pidtab {
        uint64_t seq;
        pidtab_entry_t slots[PIDTAB_BUCKETS * PIDTAB_WAYS];
} pidtab_t;

/* A new empty table, or NULL when out of memory. Free with free(). */
pidtab_t *pidtab_new(void);

/* The key of a process: SERVICE names the namespace ("sshd", "postgres"),
 * HOST (N bytes) the host the line came from. PID 0 gives key 0 (no key). */
uint64_t pidtab_key(const char *service, const char *host, size_t host_len, pid_t pid);

/* Remember E's source (and user, when E has one) for KEY at log time WHEN.
 * Does nothing for key 0 or an event without a source. */
void pidtab_learn(pidtab_t *t, uint64_t key, int64_t when, const logevent_t *e);

/* Copy the remembered source (and the user, when E has none) into E. Returns
 * true when a live entry was found. */
bool pidtab_fill(pidtab_t *t, uint64_t key, int64_t when, logevent_t *e);

/* Set FLAGS on a live entry for KEY; return the flags it had before (0
 * when there is no live entry, in which case nothing is stored). */
unsigned pidtab_set_flags(pidtab_t *t, uint64_t key, int64_t when, unsigned flags);

/* Forget KEY (the connection ended). */
void pidtab_forget(pidtab_t *t, uint64_t key);

/* Forget everything. */
void pidtab_clear(pidtab_t *t);
