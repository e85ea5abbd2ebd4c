/* Helpers shared by the center's unit tests: the database they run on.
 * By default a fresh SQLite file in a temporary directory; with
 * VIGIL_TEST_PG set to a libpq URL (tests/integration/center/center-unit-pg.py
 * starts a PostgreSQL and sets it), the same tests run on PostgreSQL, whose
 * public schema is emptied before each test. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "center/cdb.h"
#include "center/center.h"
#include "center/schema.h"
#include "core/text.h"

static char ctest_dir[64];
static char ctest_url[512];

static inline const char *ctest_pg(void)
{
        const char *pg = getenv("VIGIL_TEST_PG");
        return pg && *pg ? pg : NULL;
}

/* A fresh, empty database; returns its URL (static storage). */
static inline const char *ctest_fresh_db(void)
{
        const char *pg = ctest_pg();

        if (pg) {
                cdb_t *db = NULL;
                cdb_conn_t *c = NULL;
                char *err = NULL;
                assert_int_equal(cdb_open(pg, 1, false, &db, &err), 0);
                assert_int_equal(cdb_acquire(db, &c), 0);
                assert_int_equal(cdb_exec(c, "DROP SCHEMA public CASCADE", NULL, 0, NULL), 0);
                assert_int_equal(cdb_exec(c, "CREATE SCHEMA public", NULL, 0, NULL), 0);
                cdb_release(c);
                cdb_close(db);
                snprintf(ctest_url, sizeof(ctest_url), "%s", pg);
                return ctest_url;
        }
        if (!ctest_dir[0]) {
                snprintf(ctest_dir, sizeof(ctest_dir), "/tmp/vigil-center-ut.XXXXXX");
                assert_non_null(mkdtemp(ctest_dir));
        }
        {
                static int n;
                char path[128];
                snprintf(path, sizeof(path), "%s/db%d.sqlite", ctest_dir, ++n);
                unlink(path);
                snprintf(ctest_url, sizeof(ctest_url), "sqlite:%s", path);
        }
        return ctest_url;
}

static inline void ctest_cleanup(void)
{
        char cmd[128];

        if (ctest_dir[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ctest_dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", ctest_dir);
        }
}

/* A migrated database with a pool of N connections. */
static inline cdb_t *ctest_open_db(unsigned n)
{
        cdb_t *db = NULL;
        char *err = NULL;

        assert_int_equal(cdb_open(ctest_fresh_db(), n, false, &db, &err), 0);
        assert_int_equal(cdb_migrate(db, schema_migrations, schema_n_migrations, NULL, &err), 0);
        return db;
}

/* A center on a fresh database, not listening. */
static inline center_t *ctest_center(const char *yaml_center_keys)
{
        center_config_t cfg;
        center_t *c = NULL;
        char *err = NULL;
        const char *url = ctest_fresh_db();

        assert_int_equal(center_config_load(NULL, "/nonexistent", &cfg, &err), 0);
        free(cfg.db_url);
        cfg.db_url = strdup(url);
        cfg.db_pool = 4;
        (void)yaml_center_keys;
        if (center_open(&cfg, NULL, NULL, &c, &err) < 0) {
                fprintf(stderr, "center_open: %s\n", err ? err : "?");
                fail();
        }
        center_config_clear(&cfg);
        return c;
}
