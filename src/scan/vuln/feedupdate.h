/* Downloading feeds with libcurl and importing them: HTTPS with certificate
 * and host name verification, only http and https (redirects from https
 * stay on https), timeouts, a cap on the bytes written, and conditional
 * requests (If-None-Match / If-Modified-Since with the validators stored
 * from the last successful import), so an unchanged feed costs one request.
 * The body goes to a private temporary file in the state directory, which
 * is imported (feedimport.h) and removed. */
#pragma once

#include <sqlite3.h>
#include <stdint.h>

#include "core/text.h"
#include "scan/vuln/feedimport.h"

/* osv.dev publishes one archive per ecosystem here: BASE/<Ecosystem>/all.zip. */
#define FEEDUPDATE_OSV_BASE       "https://osv-vulnerabilities.storage.googleapis.com"
#define FEEDUPDATE_DEBIAN_TRACKER "https://security-tracker.debian.org/tracker/data/json"

typedef struct feed_source {
        char *name;
        char *url;
        feed_format_t format;
} feed_source_t;

typedef struct feed_source_list {
        feed_source_t *v;
        size_t n;
} feed_source_list_t;

void feed_source_list_clear(feed_source_list_t *l);
static inline void feed_source_list_clearp(feed_source_list_t *l)
{
        feed_source_list_clear(l);
}
#define _cleanup_feed_sources_ _cleanup_(feed_source_list_clearp)

/* Append a source (strings copied). Returns 0 or -ENOMEM. */
int feed_source_list_add(feed_source_list_t *l, const char *name, const char *url,
                         feed_format_t format);

/* The default sources for a host whose OS packages are in the (normalised)
 * OSV ecosystem OS_ECOSYSTEM (NULL when unknown): osv.dev's archive of that
 * OS ("Debian", "Ubuntu", "Alpine", "Rocky Linux", "AlmaLinux", "Red Hat",
 * "SUSE", "openSUSE"), the Debian security tracker on Debian, and the
 * application ecosystems Maven, npm, PyPI and Packagist. Returns 0 or
 * -ENOMEM. */
int feedupdate_default_sources(const char *os_ecosystem, feed_source_list_t *ret);

typedef struct feedupdate_opts {
        uint64_t max_size;    /* bytes written for one download */
        long connect_timeout; /* seconds */
        long timeout;         /* seconds for the whole transfer */
        long low_speed_time;  /* abort after this many seconds below 1 KiB/s */
        const char *ca_file;  /* CA bundle instead of the system's; may be NULL */
        const feedimport_opts_t *import;
} feedupdate_opts_t;

/* Defaults: 4 GiB, 30 s to connect, 1 hour per transfer, 60 s stalled. */
void feedupdate_opts_default(feedupdate_opts_t *o, const feedimport_opts_t *import);

typedef enum feedupdate_result {
        FEEDUPDATE_IMPORTED,
        FEEDUPDATE_NOT_MODIFIED,
} feedupdate_result_t;

/* Download SRC into a temporary file in STATE_DIR and import it into DB
 * under feed SRC->name. Returns 0 with *RET (and *RET_COUNTS for an import),
 * or a negative errno with *RET_ERROR (caller frees) saying what failed:
 * the transfer (curl's message, the HTTP status, the size cap) or the
 * import (malformed entries are not a failure: they are in RET_COUNTS and
 * were reported through the import options' callback). */
int feedupdate_fetch(sqlite3 *db, const char *state_dir, const feed_source_t *src,
                     const feedupdate_opts_t *o, feed_counts_t *ret_counts,
                     feedupdate_result_t *ret, char **ret_error);
