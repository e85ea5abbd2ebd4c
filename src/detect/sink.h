/* Where detectors send alerts. A detector never prints or stores: it hands
 * each alert to the sink of whoever runs it (vigil logscan prints, the agent
 * stores and ships). */
#pragma once

#include "core/alert.h"

/* Take ownership of ALERT (free it with alert_free when done, also on
 * error). Returns 0 or a negative errno; a detector passes an error on to
 * its caller and keeps its own state consistent either way. */
typedef int (*alert_sink_fn)(alert_t *alert, void *userdata);

typedef struct alert_sink {
        alert_sink_fn fn;
        void *userdata;
} alert_sink_t;

static inline int alert_sink_emit(const alert_sink_t *s, alert_t *a)
{
        if (!s || !s->fn) {
                alert_free(a);
                return 0;
        }
        return s->fn(a, s->userdata);
}
