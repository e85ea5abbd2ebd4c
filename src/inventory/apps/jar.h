/* Java archives (jar, war, ear and the jars nested in them) as Maven
 * components. An archive is read with libarchive from a descriptor or from
 * memory; nothing is ever extracted to disk. Inside it, every
 * META-INF/maven/<groupId>/<artifactId>/pom.properties is one component (a
 * shaded jar holds several); an archive without one is identified from
 * META-INF/MANIFEST.MF, and as a last resort from its file name. Members whose
 * names end in .jar, .war, .ear, .hpi or .jpi are read into memory and
 * scanned the same way, down to a nesting limit.
 *
 * Maven names are "groupId:artifactId". When the groupId cannot be known
 * (a manifest without Implementation-Vendor-Id, a bare file name) the name is
 * the artifactId alone, without a colon: the colon is the mark that the
 * groupId is known.
 *
 * Archives are attacker-written: the bytes inflated from one outer archive
 * and everything nested in it, the members listed, the size of a nested
 * archive held in memory and the size of a text member are all capped.
 * Problems (corrupt or truncated archives, encrypted members, caps reached)
 * become notes naming the member chain ("a.war!/WEB-INF/lib/b.jar"), and the
 * scan goes on with what could be read. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "inventory/apps/appnote.h"
#include "inventory/pkg.h"

typedef struct jar_limits {
        unsigned max_depth; /* nesting levels read; the outer archive is level 1 */
        unsigned long long
                max_inflated;   /* bytes inflated from one outer archive, nested included */
        size_t max_members;     /* members listed in one outer archive, nested included */
        size_t max_nested_size; /* a nested archive is held in memory up to this size */
        size_t max_text_size;   /* pom.properties and MANIFEST.MF */
} jar_limits_t;

/* Depth 4, 1 GiB inflated, 1,000,000 members, nested archives up to 128 MiB,
 * text members up to 1 MiB. */
void jar_limits_default(jar_limits_t *l);

/* Counters added to (never reset) by the scan functions. */
typedef struct jar_stats {
        size_t archives;             /* archives opened, outer and nested */
        size_t members;              /* members listed */
        unsigned long long inflated; /* bytes inflated */
        size_t bad;                  /* archives with at least one problem */
} jar_stats_t;

/* Scan the archive open on FD (a regular file; read from its current
 * content, the offset does not matter), known to the user as LOCATION.
 * Components are appended to OUT with LOCATION, "!/" and the member they were
 * read from as location, and the archive holding them as manifest. Problems
 * go to NOTES. LIM NULL means jar_limits_default; STATS may be NULL.
 * Returns 0 (also for a bad archive) or -ENOMEM. */
int jar_scan_fd(int fd, const char *location, const jar_limits_t *lim, pkg_list_t *out,
                appnote_t *notes, jar_stats_t *stats);

/* The same for an archive held in memory (DATA, LEN bytes; borrowed). */
int jar_scan_buffer(const void *data, size_t len, const char *location, const jar_limits_t *lim,
                    pkg_list_t *out, appnote_t *notes, jar_stats_t *stats);

/* The attributes of a manifest's main section that identify a component;
 * NULL when absent. Strings are owned. */
typedef struct jar_manifest {
        char *impl_title;
        char *impl_vendor_id;
        char *impl_version;
        char *bundle_name;  /* Bundle-SymbolicName without its ";" directives */
        char *bundle_title; /* Bundle-Name */
        char *bundle_version;
} jar_manifest_t;

/* Parse the main section of META-INF/MANIFEST.MF (LEN bytes of DATA, no NUL
 * needed): "Name: value" lines, continuation lines starting with one space,
 * CR, LF or CRLF line ends, names compared without case. Fills *RET (cleared
 * first). Returns 0 or -ENOMEM. */
int jar_parse_manifest(const char *data, size_t len, jar_manifest_t *ret);
void jar_manifest_clear(jar_manifest_t *m);

/* The coordinates in a pom.properties; NULL when absent. Strings are owned. */
typedef struct jar_pom {
        char *group_id;
        char *artifact_id;
        char *version;
} jar_pom_t;

/* Parse a pom.properties in java.util.Properties syntax (comments "#" and
 * "!", separators "=", ":" or blanks, backslash continuations and escapes,
 * \uXXXX written as UTF-8). Fills *RET (cleared first). Returns 0 or
 * -ENOMEM. */
int jar_parse_pom_properties(const char *data, size_t len, jar_pom_t *ret);
void jar_pom_clear(jar_pom_t *p);

/* Split an archive file name (a base name, "log4j-core-2.14.1.jar") into the
 * artifactId and version Maven gives its files: the name up to the first "-"
 * that is followed by a digit, and the rest without the extension. Returns
 * 0 with both strings set (caller frees), -EINVAL when the name does not
 * have that shape, or -ENOMEM. */
int jar_name_from_filename(const char *filename, char **ret_artifact, char **ret_version);

/* Choose a component name and version from a manifest, using FILENAME (the
 * archive's base name, may be NULL) to help: see docs/inventory-apps.md.
 * Returns 0 with both strings set (caller frees), -ENOENT when the manifest
 * does not identify a component, or -ENOMEM. */
int jar_identify_manifest(const jar_manifest_t *m, const char *filename, char **ret_name,
                          char **ret_version);
