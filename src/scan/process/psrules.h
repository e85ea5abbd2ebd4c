/* The per-process tests of the process sweep, as pure functions over what
 * was read about one process: is it a shell or an interpreter, does its
 * command line look like a coin miner's, does it run from a temporary
 * directory. The sweep (sweep.h) reads /proc and the socket tables and
 * turns these answers into alerts; keeping the tests apart lets them be
 * unit-tested and fuzzed on any input.
 *
 * Command lines are attacker-written: they are scanned as bytes (NUL and
 * space both separate words, since a process may rewrite its arguments
 * into one string), every word is capped, and what is quoted back in
 * evidence is escaped and cut to a short excerpt. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/text.h"

/* Words of a command line looked at (the rest is not scanned). */
#define PSRULES_MAX_WORDS 4096
/* Bytes of a word quoted in a reason. */
#define PSRULES_QUOTE_MAX 120

/* The name of the shell or interpreter PATH_OR_NAME is (its base name,
 * version suffixes allowed: "python3.11", "perl5.36", "lua5.4"), or NULL.
 * EXTRA holds more base names from the configuration (may be NULL). */
const char *psrules_interpreter_name(const char *path_or_name, const strv_t *extra);

/* The shell or interpreter a process is: by the base name of its
 * executable; for busybox (one binary for every applet) by COMM or ARGV0.
 * Returns the name or NULL (borrowed: a static string or from EXTRA). */
const char *psrules_interpreter(const char *exe, const char *comm, const char *argv0,
                                const strv_t *extra);

/* What the miner test found in a command line. */
typedef struct psrules_miner {
        unsigned strong; /* signs that are enough alone (a stratum URL, --donate-level, …) */
        unsigned weak;   /* signs that count only two together (--cpu-priority, -o … -u …) */
        strv_t reasons;  /* one escaped line per sign, e.g. "pool URL stratum+tcp://…" */
} psrules_miner_t;

/* Test the command line CMDLINE (LEN bytes, NUL-separated arguments) and
 * the names EXE and COMM (may be NULL) for miner signs, adding to *RET
 * (zeroed by the caller; clear with psrules_miner_clear). Returns 0 or
 * -ENOMEM. */
int psrules_miner_scan(const char *cmdline, size_t len, const char *exe, const char *comm,
                       psrules_miner_t *ret);
/* True when the signs in M make a miner: one strong sign, or two weak. */
bool psrules_miner_verdict(const psrules_miner_t *m);
void psrules_miner_clear(psrules_miner_t *m);

/* True when PATH lies inside one of DIRS (each an absolute directory
 * without a trailing slash; "/" never matches). */
bool psrules_in_dirs(const char *path, const strv_t *dirs);

/* A printable copy of N bytes at S for evidence: NUL becomes a space,
 * other control bytes, DEL and bytes >= 0x80 become \xNN, backslash
 * becomes \\. At most MAX bytes of S are used; a longer input ends with
 * "…[+K bytes]". Caller frees; NULL when out of memory. */
char *psrules_escape(const char *s, size_t n, size_t max);

/* The base name of PATH (after the last '/'; PATH itself without one). */
const char *psrules_basename(const char *path);
