/* Fuzz target: reading a report back from its JSON (report_from_json, and
 * finding_from_json for each finding), as the agent reads the output of a
 * child `vigil scan`. What was read is written again, to check that
 * everything the reader accepted is a report the writers can print. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_error_t jerr;
        json_t *doc = json_loadb((const char *)data, size, 0, &jerr), *again;
        report_t *r = NULL;
        char *err = NULL;

        if (!doc)
                return 0;
        if (report_from_json(doc, &r, &err) == 0) {
                again = report_to_json(r);
                if (!again)
                        abort();
                json_decref(again);
                report_free(r);
        }
        free(err);
        json_decref(doc);
        return 0;
}
