/* journald entries in the two text forms `journalctl` writes: the export
 * format (`-o export`: "FIELD=value" lines, binary fields as "FIELD\n",
 * a little-endian 64-bit size, the bytes and "\n"; an empty line ends an
 * entry) and JSON lines (`-o json`: one object per entry, a field's value a
 * string, an array of byte values for non-UTF-8 data, or null when it was
 * too big). Both become journal_entry_t, which journal_entry_to_msg turns
 * into the logmsg_t the message parsers read.
 *
 * Only the fields vigil uses are kept (MESSAGE, _COMM, SYSLOG_IDENTIFIER,
 * _PID, SYSLOG_PID, _HOSTNAME, __REALTIME_TIMESTAMP, __CURSOR), each with a
 * cap; an entry with a bigger one is skipped and counted. The program is the
 * trusted _COMM that journald itself records for the sending process, not
 * SYSLOG_IDENTIFIER which any local process can set (`logger -t sshd`);
 * SYSLOG_IDENTIFIER is used only when an entry has no _COMM. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "detect/login/logmsg.h"

#define JOURNAL_MESSAGE_MAX (64 * KiB)
#define JOURNAL_FIELD_MAX   512

/* One entry. Strings point into the parser's buffers and live until the
 * next entry; lengths are exact (values may hold any byte). */
typedef struct journal_entry {
        buf_t message, comm, ident, pid, syslog_pid, hostname, realtime, cursor;
        bool has_message, oversized;
} journal_entry_t;

void journal_entry_init(journal_entry_t *e);
void journal_entry_reset(journal_entry_t *e);
void journal_entry_free(journal_entry_t *e);

/* Fill M from E (FILE and LINE are set by the caller). Returns false when
 * the entry has no message. */
bool journal_entry_to_msg(const journal_entry_t *e, logmsg_t *m);

/* Called for every complete entry; a negative return stops the parser and
 * is passed back. */
typedef int (*journal_entry_fn)(const journal_entry_t *e, void *userdata);

/* A push parser for the export format. */
typedef struct journal_export journal_export_t;

journal_export_t *journal_export_new(journal_entry_fn fn, void *userdata);
void journal_export_free(journal_export_t *jx);

/* Feed the next N bytes (any split). Returns 0, a negative return of the
 * callback, or -ENOMEM. Malformed input does not fail: the parser skips to
 * the next empty line and counts it (journal_export_errors). */
int journal_export_feed(journal_export_t *jx, const char *data, size_t n);
/* End of input: the last entry may lack its empty line. */
int journal_export_finish(journal_export_t *jx);
/* Entries skipped as malformed or over a cap. */
uint64_t journal_export_errors(const journal_export_t *jx);

/* Parse one `journalctl -o json` line into E (reset first). Returns 0,
 * -EBADMSG when the line is not a JSON object, -E2BIG when a kept field is
 * over its cap. */
int journal_json_line(const char *line, size_t n, journal_entry_t *e);
