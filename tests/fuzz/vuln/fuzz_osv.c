/* libFuzzer target: one OSV document (a record or an array of records)
 * through the importer into an in-memory feed store, then looked up and
 * matched, so every stored shape is also read back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/vuln/feeddb.h"
#include "scan/vuln/feedimport.h"
#include "scan/vuln/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;

static void read_back(void)
{
        static const char *const packages[][2] = {
                { "Debian:12", "openssl" },
                { "Maven", "g:a" },
                { "npm", "a" },
                { "PyPI", "a" },
        };
        static const char *const versions[] = { "0", "1.0", "1.0-1", "2.14.1", "1:1.0~rc1" };
        feeddb_reader_t *rd = NULL;
        fj_arena_t a;

        if (feeddb_reader_new(db, &rd) < 0)
                abort();
        fj_arena_init(&a, 64 << 20);
        for (size_t i = 0; i < sizeof(packages) / sizeof(packages[0]); i++) {
                feeddb_hit_t *hits;
                size_t n;
                fj_arena_reset(&a);
                if (feeddb_lookup(rd, &a, packages[i][0], packages[i][1], &hits, &n) < 0)
                        continue;
                for (size_t k = 0; k < n; k++) {
                        feeddb_info_t info;
                        for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
                                match_result_t res;
                                match_affected(VERSION_DPKG, versions[v], &hits[k].affected, &res,
                                               NULL);
                                match_affected(VERSION_SEMVER, versions[v], &hits[k].affected, &res,
                                               NULL);
                        }
                        feeddb_advisory_info(rd, &a, hits[k].advisory_rowid, hits[k].affected_rowid,
                                             &info);
                }
        }
        fj_arena_free(&a);
        feeddb_reader_free(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static unsigned runs;
        feedimport_opts_t o;
        feed_counts_t c = { 0 };
        char *err = NULL;

        if (!db && feeddb_open_path(":memory:", true, &db, &err) < 0)
                abort();
        feedimport_opts_default(&o);
        o.format = FEED_FORMAT_OSV;
        o.max_entry_size = 1 << 20;
        feedimport_buffer(db, 0, "fuzz", (const char *)data, size, &o, &c);
        read_back();
        /* Keep the store small across millions of runs. */
        if (++runs % 256 == 0)
                sqlite3_exec(db, "DELETE FROM advisory", NULL, NULL, NULL);
        return 0;
}
