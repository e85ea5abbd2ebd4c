/* Fuzz target: the journald export parser fed in two pieces (the first
 * byte chooses where to cut), and the JSON-lines form on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/login/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_entry(const journal_entry_t *e, void *userdata)
{
        logmsg_t m = { 0 };
        (void)userdata;
        if (journal_entry_to_msg(e, &m) &&
            (m.len > JOURNAL_MESSAGE_MAX || m.prog_len > JOURNAL_FIELD_MAX))
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        journal_export_t *jx;
        journal_entry_t e;
        size_t cut;

        if (size < 1)
                return 0;
        cut = size > 1 ? data[0] % size : 0;
        jx = journal_export_new(on_entry, NULL);
        if (!jx)
                abort();
        if (journal_export_feed(jx, (const char *)data + 1, cut ? cut - 1 : 0) < 0 ||
            journal_export_feed(jx, (const char *)data + (cut ? cut : 1), size - (cut ? cut : 1)) <
                    0 ||
            journal_export_finish(jx) < 0)
                abort();
        journal_export_free(jx);
        journal_entry_init(&e);
        (void)journal_json_line((const char *)data, size, &e);
        journal_entry_free(&e);
        return 0;
}
