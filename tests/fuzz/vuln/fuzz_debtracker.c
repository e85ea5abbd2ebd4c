/* libFuzzer target: a Debian security tracker document through the
 * importer into an in-memory feed store. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scan/vuln/feeddb.h"
#include "scan/vuln/feedimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static unsigned runs;
        feedimport_opts_t o;
        feed_counts_t c = { 0 };
        feeddb_status_t st;
        char *err = NULL;

        if (!db && feeddb_open_path(":memory:", true, &db, &err) < 0)
                abort();
        feedimport_opts_default(&o);
        o.format = FEED_FORMAT_TRACKER;
        o.max_entry_size = 1 << 20;
        feedimport_buffer(db, 0, "fuzz", (const char *)data, size, &o, &c);
        if (c.imported + c.updated + c.unchanged + c.skipped > c.entries)
                abort(); /* a stored entry is counted once */
        if (feeddb_status(db, &st) == 0)
                feeddb_status_clear(&st);
        if (++runs % 256 == 0)
                sqlite3_exec(db, "DELETE FROM advisory", NULL, NULL, NULL);
        return 0;
}
