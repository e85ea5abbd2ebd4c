/* wtmp and btmp: the binary login records of glibc's `struct utmp` on
 * x86_64 (384 bytes each, little-endian), read from bytes at fixed offsets,
 * never by casting the file's data to the struct.
 *
 *   offset  field           size
 *        0  ut_type         2   (7 = USER_PROCESS, 6 = LOGIN_PROCESS, …)
 *        4  ut_pid          4
 *        8  ut_line        32   ("pts/0", "ssh:notty")
 *       44  ut_user        32
 *       76  ut_host       256
 *      340  ut_tv           8   (32-bit seconds, 32-bit microseconds)
 *      348  ut_addr_v6     16   (IPv4 in the first 4 bytes)
 *
 * In wtmp a USER_PROCESS record from a remote host (an address, or a host
 * name that is not a local display such as ":0" or "tmux(…)") is a
 * successful login; in btmp every record with a user is a failed one
 * (sshd writes one per failed attempt, with line "ssh:notty"). The service
 * is "sshd" when the line starts with "ssh:", else "login". Strings in a
 * record need not be NUL-terminated; they are read up to their field size. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/login/logevent.h"

#define UTMP_RECORD_SIZE 384

/* Parse the record at REC (N bytes, must be UTMP_RECORD_SIZE). BTMP tells
 * which file it came from; FILE and RECNO (1-based) go into the event.
 * Returns 1 when E was filled, 0 when the record is not a login event,
 * -EINVAL for a record that is not a valid utmp record. */
int utmp_parse_record(const uint8_t *rec, size_t n, bool btmp, const char *file, uint64_t recno,
                      logevent_t *e);

/* True when DATA (N bytes) starts with something shaped like utmp records
 * (N a multiple of the record size, a known type, sane time fields). */
bool utmp_looks_like(const uint8_t *data, size_t n);
