/* Fuzz target for the center's intake: a batch body (gzip when it starts
 * with the gzip magic) goes through decompression, validation and, when
 * valid, into an in-memory SQLite store, where it must be stored without
 * error and a replay must be a duplicate. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "center/cdb.h"
#include "center/enroll.h"
#include "center/intake.h"
#include "center/schema.h"

#define NOW 1800000000000000LL

static cdb_t *db;
static int64_t host;
static unsigned runs;

static void setup(void)
{
        cdb_conn_t *c;
        char *err = NULL, *token = NULL, id[17], secret[65];
        const char *reason;
        enroll_info_t info = { .hostname = "fuzz" };

        cdb_close(db);
        db = NULL;
        if (cdb_open("sqlite::memory:", 1, false, &db, &err) < 0 ||
            cdb_migrate(db, schema_migrations, schema_n_migrations, NULL, &err) < 0 ||
            cdb_acquire(db, &c) < 0)
                abort();
        if (enroll_token_create(c, 1, 3600000000LL, NULL, "fuzz", NOW, &token, id) < 0 ||
            enroll_agent(c, token, &info, NOW, &host, secret, &reason) < 0)
                abort();
        free(token);
        cdb_release(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const intake_limits_t lim = { .max_json = 1 << 20, .max_items = 200 };
        const char *json = (const char *)data;
        char *inflated = NULL, *err = NULL;
        size_t len = size;
        intake_batch_t *b = NULL;
        intake_result_t res;
        cdb_conn_t *c;

        if (!db || ++runs % 2000 == 0)
                setup();
        if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
                if (intake_gunzip(json, size, lim.max_json, &inflated, &len) < 0)
                        return 0;
                json = inflated;
        }
        if (intake_parse(json, len, &lim, NOW, &b, &err) == 0) {
                if (cdb_acquire(db, &c) < 0)
                        abort();
                /* Stored as the enrolled host, whatever agent_id says. */
                if (intake_store(c, host, b, "192.0.2.1", NOW, &res) < 0)
                        abort();
                if (intake_store(c, host, b, "192.0.2.1", NOW, &res) < 0 || !res.duplicate)
                        abort();
                cdb_release(c);
                intake_batch_free(b);
        } else if (!err) {
                /* Every refusal says why (except running out of memory). */
                abort();
        }
        free(err);
        free(inflated);
        return 0;
}
