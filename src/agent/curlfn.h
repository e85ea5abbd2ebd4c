/* libcurl, loaded only when the agent talks to a center. The agent daemon
 * must idle in a few megabytes, and Debian's libcurl pulls in GnuTLS (via
 * librtmp), Kerberos, LDAP, libssh2 and more, whose constructors cost about
 * 4 MB of resident memory even when curl is never called. So the agent is
 * compiled against curl's headers only and dlopen's "libcurl.so.4" the first
 * time a center is involved (an enrolled agent starting, `vigil agent
 * enroll`, `vigil agent status`); an agent with no center never maps it.
 *
 * The table holds one pointer per curl function the agent calls, declared
 * with the very prototypes of curl's headers (__typeof__), so a mismatch
 * cannot compile. Callers go through the table's members (cf->easy_setopt),
 * never through curl's own names: curl's typecheck-gcc.h turns
 * curl_easy_setopt/curl_easy_getinfo into macros that would call the real,
 * unlinked functions. Those checks are lost here, so every setopt argument
 * must have the type curl documents for its option (long, curl_off_t,
 * pointer).
 *
 * The library is loaded and curl_global_init'ed at most once per process,
 * from whichever thread comes first (pthread_once), and never unloaded. */
#pragma once

#include <curl/curl.h>
#include <stdbool.h>

/* The libcurl ABI the agent was written against and loads. */
#define CURLFN_SONAME "libcurl.so.4"
/* The oldest libcurl whose features cclient uses (CURLOPT_PROTOCOLS_STR). */
#define CURLFN_MIN_VERSION     0x075500
#define CURLFN_MIN_VERSION_STR "7.85.0"

typedef struct curlfn {
        __typeof__(curl_global_init) *global_init;
        __typeof__(curl_version_info) *version_info;
        __typeof__(curl_easy_init) *easy_init;
        __typeof__(curl_easy_setopt) *easy_setopt; /* variadic, as curl's */
        __typeof__(curl_easy_perform) *easy_perform;
        __typeof__(curl_easy_getinfo) *easy_getinfo; /* variadic, as curl's */
        __typeof__(curl_easy_cleanup) *easy_cleanup;
        __typeof__(curl_easy_strerror) *easy_strerror;
        __typeof__(curl_slist_append) *slist_append;
        __typeof__(curl_slist_free_all) *slist_free_all;
        __typeof__(curl_url) *url;
        __typeof__(curl_url_set) *url_set;
        __typeof__(curl_url_get) *url_get;
        __typeof__(curl_url_cleanup) *url_cleanup;
        __typeof__(curl_free) *free;
} curlfn_t;

/* Load libcurl.so.4 (once per process; later calls return the first
 * outcome at once), resolve every function of curlfn_t, check the version
 * and run curl_global_init. Returns 0; -ELIBACC when the library cannot be
 * loaded; -ENOSYS when a function is missing or the library is older than
 * CURLFN_MIN_VERSION; -EIO when curl_global_init fails; -ENOMEM. On
 * failure *RET_ERROR gets a one-line message for a person (caller frees;
 * NULL only when memory ran out), e.g. "libcurl.so.4 not found: install
 * libcurl4 (...)". Thread-safe. */
int curlfn_load(char **ret_error);

/* The table after a successful curlfn_load, NULL before one (and in a
 * process that never loaded libcurl). Borrowed: valid for the life of the
 * process. Never loads anything itself. */
const curlfn_t *curlfn_get(void);

/* Load the shared library SONAME, resolve the table into *RET and check
 * the version, without touching the process-wide state and without
 * curl_global_init: the part of curlfn_load that tests can aim at other
 * files. Returns 0 (the library then stays loaded), -ELIBACC, -ENOSYS,
 * -ENOMEM, with *RET_ERROR as for curlfn_load. */
int curlfn_open(const char *soname, curlfn_t *ret, char **ret_error);
