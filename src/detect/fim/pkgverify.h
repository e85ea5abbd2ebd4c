/* The digests package managers keep for the files they installed, so a
 * file can be checked against what its package shipped without any baseline
 * of vigil's: a replaced /usr/bin/ls is caught on the first run.
 *
 * Sources:
 * - dpkg: var/lib/dpkg/info/PKG[:ARCH].md5sums ("MD5  path" lines) of every
 *   package the status file lists as installed, with var/lib/dpkg/diversions
 *   applied (a diverted file is checked where it was moved to) and the
 *   package's conffiles (var/lib/dpkg/info/PKG.conffiles) left out: they
 *   belong to the admin and are expected to change; when they are among the
 *   critical files, vigil's own baseline covers them.
 * - apk: lib/apk/db/installed, the "Z:" checksum of each "R:" file of each
 *   "F:" directory: "Q1" + base64 SHA-1 (for a symlink, of its target),
 *   "Q2" + base64 SHA-256, or hex MD5/SHA-1 from old databases.
 * - rpm: the database (var/lib/rpm or usr/lib/sysimage/rpm) read with librpm
 *   in the inventory's helper process (inventory/os/rpmdb.h): the digest of
 *   every regular file in the algorithm the package names (MD5, SHA-1 or
 *   SHA-256; files of other algorithms are counted and noted), leaving out
 *   %config files (like dpkg's conffiles), %ghost files and files rpm did
 *   not install as shipped.
 *
 * Every path is canonicalised (fimpath) and kept only when the caller's
 * scope function accepts it, so the table holds the critical files only.
 * All of it is attacker-writable data on a compromised or foreign image:
 * sizes are capped, bad lines are counted and noted with file and line, and
 * parsing goes on with the next line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/report.h"
#include "core/rootfs.h"
#include "detect/fim/fimhash.h"
#include "detect/fim/fimpath.h"
#include "inventory/pkg.h"

/* Largest md5sums, conffiles or diversions file read. */
#define PKGVERIFY_MAX_LIST_SIZE (64 * MiB)
/* Largest apk installed database read. */
#define PKGVERIFY_MAX_APKDB_SIZE (512 * MiB)
/* Longest path in a package list. */
#define PKGVERIFY_PATH_MAX 4096
/* Bad lines noted one by one per file; the rest are only counted. */
#define PKGVERIFY_NOTES_PER_FILE 3

typedef struct pkgverify_pkg {
        pkg_kind_t kind; /* PKG_DPKG, PKG_APK or PKG_RPM */
        char *name;
        char *version; /* may be NULL */
} pkgverify_pkg_t;

typedef struct pkgverify_file {
        char *path;   /* canonical, inside the root */
        uint32_t pkg; /* index into pkgverify_t.pkgs */
        fimhash_algo_t algo;
        uint8_t digest[FIMHASH_MAX_LEN];
} pkgverify_file_t;

typedef struct pkgverify {
        pkgverify_pkg_t *pkgs;
        size_t n_pkgs, cap_pkgs;
        pkgverify_file_t *files;
        size_t n_files, cap_files;
        size_t *index; /* open addressing over files[] by path; slot = position + 1 */
        char *strings; /* after pkgverify_drop_files: the block holding every name and version */
        size_t index_cap;
        size_t lists_read;        /* md5sums files, apk databases or rpm packages read */
        size_t conffiles_skipped; /* md5sums lines naming a conffile, rpm %config files */
        size_t bad_lines;         /* lines that did not parse */
        size_t duplicates;        /* paths listed by more than one package (first kept) */
        bool have_dpkg, have_apk, have_rpm;
} pkgverify_t;

/* Decides whether a canonical PATH is worth keeping. */
typedef bool (*pkgverify_scope_fn)(const char *path, void *userdata);

/* Read every package database under ROOT (see above) into *RET. CANON
 * canonicalises paths; SCOPE (may be NULL: keep all) filters them. Problems
 * become notes in REPORT and statistics under "fim". Returns 0 (also when
 * there is no package database: an empty table) or -ENOMEM. Free with
 * pkgverify_free. */
int pkgverify_load(const rootfs_t *root, fimpath_t *canon, pkgverify_scope_fn scope, void *userdata,
                   report_t *report, pkgverify_t **ret);
void pkgverify_free(pkgverify_t *pv);
static inline void pkgverify_freep(pkgverify_t **pv)
{
        pkgverify_free(*pv);
}

/* Add the file at canonical PATH (copied) of package index PKG (which must
 * exist) with ALGO's DIGEST, unless PATH is there already (counted as a
 * duplicate). Returns 0, -EINVAL (no such package or algorithm), -ENOMEM. */
int pkgverify_add_file(pkgverify_t *pv, const char *path, uint32_t pkg, fimhash_algo_t algo,
                       const uint8_t *digest);
/* Free the files and their index but keep the package list (moved into one
 * block), for a caller that parks the files elsewhere (fimdb) and looks
 * them up one at a time. No more packages may be added afterwards; files
 * may. Accepts NULL. */
void pkgverify_drop_files(pkgverify_t *pv);

/* The package file at canonical PATH, or NULL. Borrowed. */
const pkgverify_file_t *pkgverify_lookup(const pkgverify_t *pv, const char *path);
static inline const pkgverify_pkg_t *pkgverify_pkg_of(const pkgverify_t *pv,
                                                      const pkgverify_file_t *f)
{
        return &pv->pkgs[f->pkg];
}
/* True when D holds F's algorithm and the digest is F's. */
bool pkgverify_matches(const pkgverify_file_t *f, const fimhash_digests_t *d);
/* "ALGO:HEX" of F's digest into OUT (at least PKGVERIFY_DIGEST_STR bytes). */
#define PKGVERIFY_DIGEST_STR (8 + 2 * FIMHASH_MAX_LEN + 1)
void pkgverify_digest_str(const pkgverify_file_t *f, char *out, size_t n);
/* The command that reinstalls F's package, e.g. "apt-get install
 * --reinstall coreutils". Caller frees; NULL when out of memory. */
char *pkgverify_reinstall_hint(const pkgverify_t *pv, const pkgverify_file_t *f);

/* Parsers, exposed for tests and fuzzing. Each calls FN for every good
 * record (FN returns 0 or a negative errno that stops the parse and is
 * returned); bad lines are counted into *RET_BAD (may be NULL) and the first
 * PKGVERIFY_NOTES_PER_FILE are noted in REPORT (may be NULL) as
 * "DISPLAY:LINE". They return 0, -ENOMEM, or FN's error. */

/* dpkg md5sums: "HEX32  PATH" (two spaces, or " *"), PATH relative to the
 * root. FN gets PATH as written (NUL-terminated, no NULs inside, at most
 * PKGVERIFY_PATH_MAX bytes) and the 16 digest bytes. */
typedef int (*pkgverify_md5sums_fn)(const char *path, const uint8_t md5[FIMHASH_MD5_LEN],
                                    void *userdata);
int pkgverify_parse_md5sums(const char *data, size_t n, const char *display, report_t *report,
                            pkgverify_md5sums_fn fn, void *userdata, size_t *ret_bad);

/* dpkg conffiles: one absolute path per line, optionally after a flag word
 * ("remove-on-upgrade /etc/x"). FN gets the path. */
typedef int (*pkgverify_path_fn)(const char *path, void *userdata);
int pkgverify_parse_conffiles(const char *data, size_t n, const char *display, report_t *report,
                              pkgverify_path_fn fn, void *userdata, size_t *ret_bad);

/* dpkg diversions: records of three lines (diverted path, where it went,
 * diverting package or ":" for a local diversion). */
typedef int (*pkgverify_diversion_fn)(const char *from, const char *to, const char *pkg,
                                      void *userdata);
int pkgverify_parse_diversions(const char *data, size_t n, const char *display, report_t *report,
                               pkgverify_diversion_fn fn, void *userdata, size_t *ret_bad);

/* apk installed database: FN gets each file that has a checksum. */
typedef struct pkgverify_apk_file {
        const char *pkg;     /* P: */
        const char *version; /* V:, may be "" */
        const char *path;    /* F: + "/" + R:, relative to the root */
        fimhash_algo_t algo;
        const uint8_t *digest; /* fimhash_algo_len(ALGO) bytes */
} pkgverify_apk_file_t;
typedef int (*pkgverify_apk_fn)(const pkgverify_apk_file_t *f, void *userdata);
int pkgverify_parse_apk(const char *data, size_t n, const char *display, report_t *report,
                        pkgverify_apk_fn fn, void *userdata, size_t *ret_bad);

/* The digest algorithm for rpm's algorithm number RPM_ALGO (RPMDB_DIGEST_*)
 * with a digest of DIGEST_LEN bytes. Returns 0 with *RET, -EOPNOTSUPP for an
 * algorithm vigil does not compute (SHA-384, SHA-512, SHA-224, unknown), or
 * -EINVAL when the length is not the algorithm's. */
int pkgverify_rpm_algo(unsigned rpm_algo, size_t digest_len, fimhash_algo_t *ret);

/* Decode an apk checksum ("Q1…", "Q2…", or 32/40 hex digits) of N bytes at
 * S. Returns 0 with *RET_ALGO and RET (FIMHASH_MAX_LEN bytes), or -EINVAL. */
int pkgverify_apk_checksum(const char *s, size_t n, fimhash_algo_t *ret_algo, uint8_t *ret);
