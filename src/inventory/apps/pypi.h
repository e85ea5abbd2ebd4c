/* Python distributions: the METADATA file of a *.dist-info directory and the
 * PKG-INFO of an *.egg-info directory (or an *.egg-info file, which is the
 * PKG-INFO itself). Both are RFC 822 style headers followed by a body; only
 * the "Name" and "Version" headers of the header block are read. Names are
 * normalised as PEP 503 says (lowercase, each run of "-", "_" and "." as one
 * "-"), versions are kept as written. */
#pragma once

#include <stddef.h>

#include "inventory/apps/appnote.h"
#include "inventory/pkg.h"

/* Largest METADATA or PKG-INFO read; the body holds the project's whole
 * README, which is sometimes large. */
#define PYPI_METADATA_MAX (16 * MiB)

/* Parse METADATA or PKG-INFO held in DATA (LEN bytes, no NUL needed) and
 * append one PKG_PYPI component to OUT with LOCATION and MANIFEST (may be
 * NULL). Returns 0, -EBADMSG when Name or Version is missing or unusable (a
 * note is written), or -ENOMEM. */
int pypi_parse_metadata(const char *data, size_t len, const char *location, const char *manifest,
                        pkg_list_t *out, appnote_t *notes);

/* The PEP 503 form of NAME (N bytes). Returns a new string (caller frees) or
 * NULL when out of memory. */
char *pypi_normalize_name(const char *name, size_t n);
