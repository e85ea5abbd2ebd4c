/* Following one log file as it grows, across rotations and restarts: the
 * agent's "tail -F" with a memory. A tail hands out complete records
 * (newline-terminated lines, or fixed-size binary records for wtmp/btmp)
 * in file order and keeps a position that the caller saves with what it
 * did with those records; given that position back after a restart, it
 * goes on at the next record, so each record is handed out exactly once.
 *
 * A position names a file by identity, not by path: device and inode plus
 * a hash of its first bytes (up to TAIL_HEAD_MAX), so a file that was
 * rotated, replaced or truncated while nobody watched is recognised.
 *
 * - Rename rotation (logrotate "create", the default): the path now names
 *   a new file. The old one (still open) is read to its end first and kept
 *   open for a grace period, because the writer may append to it until it
 *   reopens its log; the new file is read from its start.
 * - copytruncate: the same file shrinks (or its first bytes change). The
 *   copy is looked for beside it (a sibling with the same first bytes) and
 *   read from the saved position to its end; then the file is read from 0.
 *   Lines written between the copy and the truncation are in neither file:
 *   no reader can see them (docs/agent.md).
 * - Rotated while the agent was down: at start the saved file is looked for
 *   among the siblings ("auth.log.1", "auth.log-20261126"; compressed ones
 *   cannot be read) by device, inode and first bytes, and read from the
 *   saved position before the new file.
 * - A partial last line is held (not handed out, not counted in the
 *   position) until its newline arrives; when its file is left behind for
 *   good (rotated and idle past the grace, or truncated) it is handed out
 *   flagged TAIL_REC_UNTERMINATED.
 * - A line longer than the cap is skipped whole and handed out as a
 *   zero-length record flagged TAIL_REC_OVERSIZED, so it is counted.
 *
 * The tail does no waiting of its own: the caller calls tail_poll when the
 * file may have changed (inotify) and on a periodic timer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

/* Bytes at the start of a file that identify it. */
#define TAIL_HEAD_MAX 1024
/* Default longest line (the parsers' cap, LOGPARSE_LINE_MAX). */
#define TAIL_LINE_MAX_DEFAULT (64 * KiB)
/* Largest record size for binary records. */
#define TAIL_RECORD_MAX 4096
/* At most this many directory entries are looked at to find a sibling. */
#define TAIL_SIBLINGS_MAX 4096

/* Where a file's reader stands. All zero means "no position". */
typedef struct tail_pos {
        uint64_t dev, ino;
        uint64_t offset;    /* bytes of complete records consumed */
        uint64_t lineno;    /* records consumed */
        uint64_t head_hash; /* FNV-1a of the first HEAD_LEN bytes */
        uint32_t head_len;  /* 0..TAIL_HEAD_MAX */
} tail_pos_t;

typedef enum tail_start {
        TAIL_START_END,       /* a file without a saved position: only what is added later */
        TAIL_START_BEGINNING, /* a file without a saved position: all of it */
} tail_start_t;

typedef struct tail_opts {
        const char *path;   /* copied */
        size_t record_size; /* 0: lines; else fixed records of this size (<= TAIL_RECORD_MAX) */
        size_t line_max;    /* 0: TAIL_LINE_MAX_DEFAULT */
        tail_start_t start; /* for a file that has no saved position at tail_new */
        int64_t grace_us;   /* keep a rotated file open this long after its last data (0: 10 s) */
} tail_opts_t;

enum {
        TAIL_REC_OVERSIZED = 1 << 0,    /* over the cap: not handed out, N is 0 */
        TAIL_REC_UNTERMINATED = 1 << 1, /* a last line whose newline never came */
};

/* What happened to a tail, for the caller's log. */
typedef enum tail_note {
        TAIL_NOTE_OPENED,      /* started reading a file */
        TAIL_NOTE_ROTATED,     /* the path names a new file; the old is drained */
        TAIL_NOTE_TRUNCATED,   /* the file shrank or was rewritten: read from 0 */
        TAIL_NOTE_FROM_COPY,   /* the rest of a truncated file is read from its copy */
        TAIL_NOTE_RESUMED,     /* a saved position was found again */
        TAIL_NOTE_LOST,        /* a saved file could not be found: its unread end is lost */
        TAIL_NOTE_CLOSED_PREV, /* a rotated file was read to its end and closed */
        TAIL_NOTE_ERROR,       /* a read or open failed (ERR is set) */
} tail_note_t;

typedef struct tail_cb {
        /* One record of FILE (borrowed, valid during the call): DATA is N
         * bytes without the newline; LINENO is its 1-based number in FILE.
         * A negative return stops tail_poll, which returns it; the record
         * then counts as not consumed. */
        int (*on_record)(const char *file, const char *data, size_t n, uint64_t lineno,
                         unsigned flags, void *userdata);
        /* May be NULL. FILE is the file concerned, ERR a negative errno or 0. */
        void (*on_note)(tail_note_t note, const char *file, int err, void *userdata);
        void *userdata;
} tail_cb_t;

typedef struct tail tail_t;

/* Create a tail of O->path. SAVED_CUR and SAVED_PREV (either may be NULL)
 * are the positions tail_positions returned before a restart. Nothing is
 * opened yet: the first tail_poll does that (and reports what it found
 * through the note callback). Returns 0, -EINVAL for bad options, -ENOMEM. */
int tail_new(const tail_opts_t *o, const tail_pos_t *saved_cur, const tail_pos_t *saved_prev,
             tail_t **ret);
void tail_free(tail_t *t);
static inline void tail_freep(tail_t **t)
{
        tail_free(*t);
}
#define _cleanup_tail_ _cleanup_(tail_freep)

/* Look at the file and hand out the complete records that are there,
 * reading at most BUDGET bytes (0: no limit) per open file. NOW_US is the
 * monotonic clock. *RET_MORE (may be NULL) is set when the budget ran out
 * before the end. Returns 0, or a negative return of on_record (the
 * position then stands before that record). Read errors are reported
 * through on_note and retried at the next poll; a missing file is not an
 * error. */
int tail_poll(tail_t *t, int64_t now_us, size_t budget, const tail_cb_t *cb, bool *ret_more);

/* Hand out what is held for good: a rotated file's unterminated last line
 * and any partial line of the current file. For a run that ends (--once
 * does not call this: an unterminated line may still be completed). */
int tail_flush_partial(tail_t *t, const tail_cb_t *cb);

/* The positions to save: the current file's and, while a rotated file is
 * still being read, that one's. A side without a file gets all zeros
 * (*RET_HAS_* false). */
void tail_positions(const tail_t *t, tail_pos_t *ret_cur, bool *ret_has_cur, tail_pos_t *ret_prev,
                    bool *ret_has_prev);

/* The path (borrowed). */
const char *tail_path(const tail_t *t);

/* The descriptor of the current file, or -1 (for diagnostics). */
int tail_fd(const tail_t *t);

/* Whether a rotated file is still open (the caller polls sooner then). */
bool tail_has_prev(const tail_t *t);

/* FNV-1a of the first min(N, TAIL_HEAD_MAX) bytes, as kept in positions. */
uint64_t tail_head_hash(const void *data, size_t n);

/* Whether NAME (a directory entry) could be a rotated copy of a file
 * named BASE: "BASE.1", "BASE-20261126", "BASE.old", not compressed
 * ("BASE.2.gz"). */
bool tail_is_sibling_name(const char *base, const char *name);
