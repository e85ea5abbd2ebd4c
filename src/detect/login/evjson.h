/* A fast writer of one login event as a compact JSON object, byte for byte
 * what json_dumps(logevent_to_json(e), JSON_COMPACT) prints (same keys in
 * the same order, same escapes, invalid UTF-8 shown as U+FFFD), but without
 * building a jansson tree. `vigil logscan --format jsonl` writes every event
 * through it, which is what lets it keep up with a million lines a second;
 * the unit tests compare it with logevent_to_json. */
#pragma once

#include <stddef.h>

#include "core/timeutil.h"
#include "detect/login/logevent.h"

/* An upper bound of the bytes evjson_write writes for E. */
size_t evjson_max_len(const logevent_t *e);

/* Write E as JSON into OUT, which has room for evjson_max_len(E) bytes (no
 * NUL is added). Returns the number of bytes written. */
size_t evjson_write(const logevent_t *e, char *out);

/* T_US as timeutil_format_iso(T_US, OUT, TIMEUTIL_ISO_LEN) writes it
 * ("2026-11-26T23:15:10.128954Z"), without its gmtime_r and snprintf: the
 * login detectors stamp their alerts' evidence with it. */
void evjson_format_time(int64_t t_us, char out[TIMEUTIL_ISO_LEN]);
