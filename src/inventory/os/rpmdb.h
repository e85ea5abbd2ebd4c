/* The files of the packages in an rpm database, with the digests rpm
 * recorded for them, read through the same librpm helper process as the
 * package inventory (rpmdb_read in ospkg.h). File integrity monitoring uses
 * them to check package-owned files without a baseline of its own.
 *
 * The helper streams one record per installed package and one per file of
 * it; this module checks every byte of that stream (a helper subverted by a
 * hostile database could send anything): lengths and counts are capped, a
 * malformed stream is rejected as a whole before any record is handed on,
 * and a record with bad content (a name that is not an rpm word, a digest
 * that is not hex, a relative path) is skipped and counted. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "core/text.h"

/* rpm's digest algorithm numbers (RPMTAG_FILEDIGESTALGO, PGPHASHALGO_*). A
 * package without the tag uses MD5. */
#define RPMDB_DIGEST_MD5    1
#define RPMDB_DIGEST_SHA1   2
#define RPMDB_DIGEST_SHA256 8
#define RPMDB_DIGEST_SHA384 9
#define RPMDB_DIGEST_SHA512 10
#define RPMDB_DIGEST_SHA224 11

/* rpm's file flags (RPMTAG_FILEFLAGS) that matter here. */
#define RPMDB_FILE_CONFIG (1u << 0) /* %config */
#define RPMDB_FILE_GHOST  (1u << 6) /* %ghost: not in the payload */
/* rpm's file states (RPMTAG_FILESTATES): only a "normal" file is on disk as
 * the package shipped it (the others were not installed, were replaced by
 * another package, or are shared over the network). */
#define RPMDB_STATE_NORMAL 0

/* Longest file path accepted from the helper. */
#define RPMDB_PATH_MAX 4096
/* Longest package name, version or release accepted. */
#define RPMDB_WORD_MAX 256
/* Longest digest (SHA-512) in bytes. */
#define RPMDB_DIGEST_MAX 64
/* Most file records one database may hold: far above the ~400k of a large
 * desktop install. */
#define RPMDB_MAX_FILES (8u * 1024 * 1024)
/* Most librpm messages kept from one read. */
#define RPMDB_MAX_LOG 64

typedef struct rpmdb_file {
        const char *pkg;       /* package name */
        const char *evr;       /* "[EPOCH:]VERSION-RELEASE" */
        const char *path;      /* absolute, as packaged; no NULs, at most RPMDB_PATH_MAX bytes */
        unsigned algo;         /* RPMDB_DIGEST_* (or another number rpm uses) */
        const uint8_t *digest; /* DIGEST_LEN bytes; NULL when rpm has none (dirs, links) */
        size_t digest_len;
        uint32_t mode;  /* st_mode as packaged */
        uint32_t flags; /* RPMDB_FILE_* bits (and others of rpm's) */
        uint32_t state; /* RPMDB_STATE_NORMAL or another of rpm's states */
} rpmdb_file_t;

/* Called for each good file record; everything in F is borrowed for the
 * call. Returns 0 or a negative errno that stops the read and is returned. */
typedef int (*rpmdb_file_fn)(const rpmdb_file_t *f, void *userdata);

/* Read the files of every package in the rpm database under ROOT (the same
 * places and back ends as rpmdb_read; an image's database is copied out
 * first) and call FN for each. Problems (librpm messages, a failed helper,
 * bad records) become notes in REPORT (may be NULL); the number of bad
 * records goes to *RET_BAD (may be NULL). Returns 0, -ENOENT (no rpm
 * database), -EIO (it could not be read; noted), -ENOMEM, or FN's error. */
int rpmdb_read_files(const rootfs_t *root, rpmdb_file_fn fn, void *userdata, report_t *report,
                     size_t *ret_bad);

/* The parent's side of the stream, exposed for tests and fuzzing: check N
 * bytes at DATA as a whole, then call FN (may be NULL) for each good file
 * record. librpm messages are appended to LOG (may be NULL; at most
 * RPMDB_MAX_LOG kept); bad records are added to *RET_BAD (may be NULL).
 * Returns the helper's own result (0 or a negative errno), -EIO for a
 * malformed stream (FN not called), -E2BIG past RPMDB_MAX_FILES, -ENOMEM,
 * or FN's error. */
int rpmdb_parse_files(const char *data, size_t n, rpmdb_file_fn fn, void *userdata, strv_t *log,
                      size_t *ret_bad);

/* Stream writers, for tests and seed corpora: append a package record, a
 * file record (DIGEST_HEX may be NULL) and the final result record to B.
 * Return 0 or -ENOMEM/-E2BIG from the buffer. */
int rpmdb_put_package(buf_t *b, uint32_t hnum, const uint64_t *epoch, const char *name,
                      const char *version, const char *release);
int rpmdb_put_file(buf_t *b, unsigned algo, uint32_t flags, uint32_t mode, uint32_t state,
                   const char *path, const char *digest_hex);
int rpmdb_put_end(buf_t *b, int32_t result);
