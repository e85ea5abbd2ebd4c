/* The "process" entry of `vigil scan`: one sweep of the running processes
 * (scan/process/sweep.h) whose results are alerts of type abnormal_process
 * in the report's alerts list, not findings. With --root only the
 * persistence rules and the image's ld.so.preload are checked. The state of
 * the "new since the last sweep" rules lives in STATE_DIR/process.db.
 *
 * It lives in the scan layer, next to the other scanners, because the
 * registry of `vigil scan` (scan/scanners.c) can only reach this layer and
 * because the YARA miner check uses the malware engine of scan/malware;
 * the agent, which sits above both scan and detect, calls the same sweep on
 * a schedule and for each exec event of detect/process/execwatch.h. */
#pragma once

#include "core/scanctx.h"

/* Run the sweep once. Returns 0 when it ran (alerts, notes and counters are
 * in ctx->report), or a negative errno when it could not run at all (an
 * error note says why). */
int process_scan(scan_ctx_t *ctx);
