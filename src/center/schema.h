/* The center's schema: the versioned migrations applied by cdb_migrate,
 * written once for both SQLite and PostgreSQL (BIGINT, INTEGER, TEXT and
 * DOUBLE PRECISION columns only; every time is microseconds since the
 * epoch, UTC; JSON is stored as TEXT). Host ids are random integers below
 * 2^53, so they are exact in JavaScript too; alert, finding, event and
 * scan ids are the agent's own and unique per host, which is what makes
 * intake idempotent across processes: a second insert of the same
 * (host_id, id) is a conflict the statements turn into "nothing to do".
 *
 * To change the schema, append a migration with the next version; never
 * edit one that has shipped. */
#pragma once

#include <stddef.h>

#include "center/cdb.h"

extern const cdb_migration_t schema_migrations[];
extern const size_t schema_n_migrations;
