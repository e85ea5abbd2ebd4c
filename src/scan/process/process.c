#include "scan/process/process.h"

#include <errno.h>
#include <string.h>

#include "scan/process/sweep.h"

static int add_to_report(alert_t *a, void *userdata)
{
        return report_add_alert(userdata, a);
}

int process_scan(scan_ctx_t *ctx)
{
        _cleanup_psweep_ psweep_t *s = NULL;
        psweep_opts_t o = {
                .root = ctx->root,
                .config = ctx->config,
                .state_dir = ctx->state_dir,
                .host = ctx->report->host,
                /* A one-shot scan probes every pid for hidden processes
                 * unless process.hidden.probe_window says otherwise. */
                .probe_window = 0,
        };
        psweep_stats_t st = { 0 };
        int r;

        r = psweep_new(&o, ctx->report, &s);
        if (r < 0) {
                report_note(ctx->report, REPORT_NOTE_ERROR, "process",
                            "the process sweep could not start: %s",
                            r == -ENOENT ? "/proc is not mounted" : strerror(-r));
                return r;
        }
        r = psweep_run(s, ctx->report, add_to_report, ctx->report, &st);
        psweep_stats_report(ctx->report, "process", &st);
        if (r < 0)
                report_note(ctx->report, REPORT_NOTE_ERROR, "process", "the sweep failed: %s",
                            strerror(-r));
        return r;
}
