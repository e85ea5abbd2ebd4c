/* A one-line progress indicator on stderr for long work ("vulnerability:
 * matching 1203/2410 packages"). It draws only when stderr is a terminal,
 * at most ten times a second, and clears its line when done, so it never
 * mixes with the report on stdout or with redirected logs. Thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct progress progress_t;

/* Create a progress line; when ENABLED is false (or stderr is not a
 * terminal) every call is a cheap no-op. Returns NULL when out of memory. */
progress_t *progress_new(bool enabled);
void progress_free(progress_t *p);

/* Show STAGE with DONE of TOTAL (TOTAL 0: no count shown). */
void progress_update(progress_t *p, const char *stage, size_t done, size_t total);
/* Erase the line (before printing anything else on stderr). */
void progress_clear(progress_t *p);
