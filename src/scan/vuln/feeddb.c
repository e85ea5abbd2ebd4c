#include "scan/vuln/feeddb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/store.h"
#include "core/text.h"
#include "core/timeutil.h"

/* Schema of the feed store, one migration per element (docs/feeds.md
 * describes the tables). Never edit a migration that has shipped; add one. */
static const char *const migrations[] = {
        /* 1 */
        "CREATE TABLE feed ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  format TEXT NOT NULL,"
        "  location TEXT NOT NULL,"
        "  imported_at INTEGER NOT NULL DEFAULT 0,"
        "  checked_at INTEGER NOT NULL DEFAULT 0,"
        "  bytes INTEGER NOT NULL DEFAULT 0,"
        "  entries INTEGER NOT NULL DEFAULT 0,"
        "  imported INTEGER NOT NULL DEFAULT 0,"
        "  updated INTEGER NOT NULL DEFAULT 0,"
        "  unchanged INTEGER NOT NULL DEFAULT 0,"
        "  skipped INTEGER NOT NULL DEFAULT 0,"
        "  withdrawn INTEGER NOT NULL DEFAULT 0,"
        "  errors INTEGER NOT NULL DEFAULT 0,"
        "  ignored INTEGER NOT NULL DEFAULT 0,"
        "  etag TEXT,"
        "  last_modified TEXT);"
        "CREATE TABLE advisory ("
        "  id INTEGER PRIMARY KEY,"
        "  source TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  feed_id INTEGER REFERENCES feed(id) ON DELETE SET NULL,"
        "  summary TEXT,"
        "  severity TEXT,"
        "  published INTEGER NOT NULL DEFAULT 0,"
        "  modified INTEGER NOT NULL DEFAULT 0,"
        "  withdrawn INTEGER,"
        "  hash INTEGER NOT NULL,"
        "  UNIQUE (source, name));"
        "CREATE TABLE advisory_alias ("
        "  advisory_id INTEGER NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,"
        "  alias TEXT NOT NULL,"
        "  kind INTEGER NOT NULL,"
        "  PRIMARY KEY (advisory_id, alias)) WITHOUT ROWID;"
        "CREATE TABLE advisory_ref ("
        "  advisory_id INTEGER NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,"
        "  seq INTEGER NOT NULL,"
        "  type TEXT,"
        "  url TEXT NOT NULL,"
        "  PRIMARY KEY (advisory_id, seq)) WITHOUT ROWID;"
        /* Clustered by package, so the rows one lookup reads are next to
         * each other; ID is the advisory's rowid * 2^20 + the entry's
         * index in it. RANGES holds one line per range: its type, then its
         * events in feed order, tab-separated ("ECOSYSTEM\tintroduced
         * 0\tfixed 1.2-3"); VERSIONS the explicit versions, one a line
         * (the importers refuse control characters in both). */
        "CREATE TABLE affected ("
        "  ecosystem TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  id INTEGER NOT NULL,"
        "  advisory_id INTEGER NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,"
        "  severity TEXT,"
        "  ranges TEXT,"
        "  n_ranges INTEGER NOT NULL DEFAULT 0,"
        "  versions TEXT,"
        "  git_ranges INTEGER NOT NULL DEFAULT 0,"
        "  PRIMARY KEY (ecosystem, name, id)) WITHOUT ROWID;"
        "CREATE INDEX affected_by_advisory ON affected(advisory_id);"
        "CREATE TABLE severity ("
        "  advisory_id INTEGER NOT NULL REFERENCES advisory(id) ON DELETE CASCADE,"
        "  affected_id INTEGER,"
        "  type TEXT NOT NULL,"
        "  vector TEXT NOT NULL,"
        "  score REAL);"
        "CREATE INDEX severity_by_advisory ON severity(advisory_id);",
};

int feed_fail(feed_error_t *err, size_t pos, const char *where, const char *fmt, ...)
{
        va_list ap;

        if (err) {
                err->pos = pos;
                snprintf(err->where, sizeof(err->where), "%s", where ? where : "");
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int digits(const char *s, size_t n, int *ret)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

int feed_parse_time(const char *s, int64_t *ret)
{
        static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
        size_t i = 19;

        if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
            (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
                return -EINVAL;
        if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0 ||
            digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &sec) < 0)
                return -EINVAL;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
                return -EINVAL;
        if (s[i] == '.') {
                size_t k = ++i;
                while (s[i] >= '0' && s[i] <= '9')
                        i++;
                if (i == k || i - k > 12)
                        return -EINVAL;
        }
        if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == 0)
                sign = 0;
        else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 && s[i + 3] == ':' &&
                 digits(s + i + 1, 2, &oh) == 0 && digits(s + i + 4, 2, &om) == 0 && oh < 24 &&
                 om < 60)
                sign = s[i] == '+' ? 1 : -1;
        else
                return -EINVAL;
        *ret = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (sec > 59 ? 59 : sec) -
               sign * (oh * 3600 + om * 60);
        return 0;
}

void feed_counts_add(feed_counts_t *to, const feed_counts_t *from)
{
        to->entries += from->entries;
        to->imported += from->imported;
        to->updated += from->updated;
        to->unchanged += from->unchanged;
        to->skipped += from->skipped;
        to->withdrawn += from->withdrawn;
        to->errors += from->errors;
        to->ignored += from->ignored;
        to->bytes += from->bytes;
}

int feeddb_open_path(const char *path, bool create, sqlite3 **ret, char **ret_error)
{
        sqlite3 *db = NULL;
        int r;

        r = store_open(path, create, migrations, ELEMENTSOF(migrations), &db, ret_error);
        if (r < 0)
                return r;
        /* Statement and savepoint journals stay in memory: in temporary
         * files they cost dozens of writes per imported file. */
        sqlite3_exec(db, "PRAGMA temp_store=MEMORY;", NULL, NULL, NULL);
        *ret = db;
        return 0;
}

int feeddb_open(const char *state_dir, bool create, sqlite3 **ret, char **ret_error)
{
        _cleanup_free_ char *path = NULL;
        int r;

        *ret_error = NULL;
        if (create && (r = store_mkdir_p(state_dir)) < 0) {
                *ret_error = str_printf("cannot create the state directory %s: %s", state_dir,
                                        strerror(-r));
                return r;
        }
        path = str_printf("%s/%s", state_dir, FEEDDB_FILE);
        if (!path)
                return -ENOMEM;
        return feeddb_open_path(path, create, ret, ret_error);
}

int feeddb_begin(sqlite3 *db)
{
        /* An import writes far more than the default checkpoint interval
         * (1000 pages); checkpointing (and syncing) every few megabytes
         * costs more than the import itself on a slow disk. The write-ahead
         * log grows instead and is checkpointed once, in feeddb_checkpoint.
         * The table clustered by package is written out of order, so a
         * large page cache (128 MiB) keeps it in memory while it grows (a
         * scan keeps SQLite's small default).
         * Foreign-key checks cost a lookup per written row; the writer
         * deletes an advisory's rows itself (feeddb_put), so they are off
         * while importing and on again after (feeddb_commit, _rollback). */
        sqlite3_exec(db,
                     "PRAGMA wal_autocheckpoint=0; PRAGMA foreign_keys=OFF; "
                     "PRAGMA cache_size=-131072;",
                     NULL, NULL, NULL);
        return store_exec(db, "BEGIN IMMEDIATE;", NULL);
}

int feeddb_commit(sqlite3 *db)
{
        int r = store_exec(db, "COMMIT;", NULL);

        if (r == 0)
                sqlite3_exec(db, "PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
        return r;
}

void feeddb_checkpoint(sqlite3 *db)
{
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA wal_autocheckpoint=1000;", NULL,
                     NULL, NULL);
}

void feeddb_rollback(sqlite3 *db)
{
        sqlite3_exec(db, "ROLLBACK; PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret)
{
        return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL) == SQLITE_OK
                       ? 0
                       : -EIO;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
        if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, i);
}

/* Run a statement that returns no rows, then reset it. */
static int step_done(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -EIO;
}

static char *column_dup(sqlite3_stmt *st, int i)
{
        const unsigned char *s = sqlite3_column_text(st, i);
        return s ? strdup((const char *)s) : NULL;
}

int feeddb_feed_get(sqlite3 *db, const char *name, const char *format, const char *location,
                    int64_t *ret_id)
{
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(db,
                               "INSERT INTO feed(name, format, location) VALUES(?1, ?2, ?3) "
                               "ON CONFLICT(name) DO UPDATE SET format = ?2, location = ?3 "
                               "RETURNING id",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        bind_text(st, 1, name);
        bind_text(st, 2, format);
        bind_text(st, 3, location);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret_id = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int feeddb_feed_record(sqlite3 *db, int64_t id, const feed_counts_t *c, const char *etag,
                       const char *last_modified)
{
        sqlite3_stmt *st = NULL;
        int64_t now = timeutil_now_us() / 1000000;
        int r;

        if (sqlite3_prepare_v2(db,
                               "UPDATE feed SET imported_at = ?2, checked_at = ?2, bytes = ?3, "
                               "entries = ?4, imported = ?5, updated = ?6, unchanged = ?7, "
                               "skipped = ?8, withdrawn = ?9, errors = ?10, ignored = ?11, "
                               "etag = ?12, last_modified = ?13 WHERE id = ?1",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)c->bytes);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)c->entries);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)c->imported);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)c->updated);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)c->unchanged);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)c->skipped);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)c->withdrawn);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)c->errors);
        sqlite3_bind_int64(st, 11, (sqlite3_int64)c->ignored);
        bind_text(st, 12, etag);
        bind_text(st, 13, last_modified);
        r = step_done(st);
        sqlite3_finalize(st);
        return r;
}

int feeddb_feed_forget(sqlite3 *db, const char *name)
{
        sqlite3_stmt *st = NULL;
        int r;

        if (sqlite3_prepare_v2(db, "DELETE FROM feed WHERE name = ?1 AND imported_at = 0", -1, &st,
                               NULL) != SQLITE_OK)
                return -EIO;
        bind_text(st, 1, name);
        r = step_done(st);
        sqlite3_finalize(st);
        return r;
}

int feeddb_feed_touch(sqlite3 *db, const char *name)
{
        sqlite3_stmt *st = NULL;
        int r;

        if (sqlite3_prepare_v2(db, "UPDATE feed SET checked_at = ?2 WHERE name = ?1", -1, &st,
                               NULL) != SQLITE_OK)
                return -EIO;
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, timeutil_now_us() / 1000000);
        r = step_done(st);
        sqlite3_finalize(st);
        return r;
}

int feeddb_feed_validators(sqlite3 *db, const char *name, char **ret_etag, char **ret_last_modified)
{
        sqlite3_stmt *st = NULL;
        char *etag = NULL, *lm = NULL;
        int rc;

        if (sqlite3_prepare_v2(db,
                               "SELECT etag, last_modified FROM feed WHERE name = ?1 AND "
                               "imported_at > 0",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        bind_text(st, 1, name);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                etag = column_dup(st, 0);
                lm = column_dup(st, 1);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return -EIO;
        *ret_etag = etag;
        *ret_last_modified = lm;
        return 0;
}

/* ---- ranges as stored: a line per range, "TYPE\tKIND VERSION\t..." ---- */

static const char *const event_words[] = {
        [FEED_EV_INTRODUCED] = "introduced",
        [FEED_EV_FIXED] = "fixed",
        [FEED_EV_LAST_AFFECTED] = "last_affected",
        [FEED_EV_LIMIT] = "limit",
};

static const char *const range_words[] = {
        [FEED_RANGE_ECOSYSTEM] = "ECOSYSTEM",
        [FEED_RANGE_SEMVER] = "SEMVER",
};

int feeddb_ranges_format(const feed_range_t *rg, size_t n, buf_t *out)
{
        int r;

        buf_reset(out);
        for (size_t i = 0; i < n; i++) {
                if ((r = buf_printf(out, "%s%s", i ? "\n" : "", range_words[rg[i].type])) < 0)
                        return r;
                for (size_t k = 0; k < rg[i].n_events; k++)
                        if ((r = buf_printf(out, "\t%s %s", event_words[rg[i].events[k].kind],
                                            rg[i].events[k].version)) < 0)
                                return r;
        }
        return 0;
}

int feeddb_ranges_parse(fj_arena_t *a, const char *text, feed_range_t **ret, size_t *ret_n)
{
        size_t n_lines = 1, n_fields = 0, k = 0, e = 0;
        feed_range_t *rg;
        feed_event_t *ev;
        char *copy, *line, *next;

        *ret = NULL;
        *ret_n = 0;
        if (!text || !*text)
                return 0;
        for (const char *p = text; *p; p++) {
                n_lines += *p == '\n';
                n_fields += *p == '\t';
        }
        rg = fj_arena_alloc(a, n_lines * sizeof(*rg));
        ev = fj_arena_alloc(a, (n_fields ? n_fields : 1) * sizeof(*ev));
        copy = fj_arena_strdup(a, text);
        if (!rg || !ev || !copy)
                return -ENOMEM;
        for (line = copy; line; line = next) {
                char *field, *tab;
                size_t t;
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                tab = strchr(line, '\t');
                if (tab)
                        *tab = 0;
                for (t = 0; t < ELEMENTSOF(range_words); t++)
                        if (strcmp(line, range_words[t]) == 0)
                                break;
                if (t == ELEMENTSOF(range_words))
                        return -EINVAL;
                rg[k] = (feed_range_t){ (feed_range_type_t)t, ev + e, 0 };
                for (field = tab ? tab + 1 : NULL; field; field = tab ? tab + 1 : NULL) {
                        char *sp;
                        size_t kind;
                        tab = strchr(field, '\t');
                        if (tab)
                                *tab = 0;
                        sp = strchr(field, ' ');
                        if (!sp)
                                return -EINVAL;
                        *sp = 0;
                        for (kind = 0; kind < ELEMENTSOF(event_words); kind++)
                                if (strcmp(field, event_words[kind]) == 0)
                                        break;
                        if (kind == ELEMENTSOF(event_words))
                                return -EINVAL;
                        ev[e++] = (feed_event_t){ (feed_event_kind_t)kind, sp + 1 };
                        rg[k].n_events++;
                }
                k++;
        }
        *ret = rg;
        *ret_n = k;
        return 0;
}

/* ---- writing ---- */

struct feeddb_writer {
        sqlite3 *db;
        int64_t feed_id;
        sqlite3_stmt *find, *del[5], *ins_adv, *ins_alias, *ins_ref, *ins_aff, *ins_sev;
        buf_t versions;
        buf_t ranges;
};

void feeddb_writer_free(feeddb_writer_t *w)
{
        if (!w)
                return;
        sqlite3_finalize(w->find);
        for (size_t i = 0; i < ELEMENTSOF(w->del); i++)
                sqlite3_finalize(w->del[i]);
        sqlite3_finalize(w->ins_adv);
        sqlite3_finalize(w->ins_alias);
        sqlite3_finalize(w->ins_ref);
        sqlite3_finalize(w->ins_aff);
        sqlite3_finalize(w->ins_sev);
        buf_free(&w->versions);
        buf_free(&w->ranges);
        free(w);
}

int feeddb_writer_new(sqlite3 *db, int64_t feed_id, feeddb_writer_t **ret)
{
        feeddb_writer_t *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        w->db = db;
        w->feed_id = feed_id;
        /* Explicit version lists of one package stay well below this. */
        buf_init(&w->versions, 64 * MiB);
        buf_init(&w->ranges, 64 * MiB);
        if (prepare(db, "SELECT id, modified, hash FROM advisory WHERE source = ?1 AND name = ?2",
                    &w->find) < 0 ||
            prepare(db, "DELETE FROM severity WHERE advisory_id = ?1", &w->del[0]) < 0 ||
            prepare(db, "DELETE FROM affected WHERE advisory_id = ?1", &w->del[1]) < 0 ||
            prepare(db, "DELETE FROM advisory_alias WHERE advisory_id = ?1", &w->del[2]) < 0 ||
            prepare(db, "DELETE FROM advisory_ref WHERE advisory_id = ?1", &w->del[3]) < 0 ||
            prepare(db, "DELETE FROM advisory WHERE id = ?1", &w->del[4]) < 0 ||
            prepare(db,
                    "INSERT INTO advisory(source, name, feed_id, summary, severity, published, "
                    "modified, withdrawn, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    &w->ins_adv) < 0 ||
            prepare(db,
                    "INSERT OR IGNORE INTO advisory_alias(advisory_id, alias, kind) VALUES(?1, ?2, "
                    "?3)",
                    &w->ins_alias) < 0 ||
            prepare(db,
                    "INSERT INTO advisory_ref(advisory_id, seq, type, url) VALUES(?1, ?2, ?3, ?4)",
                    &w->ins_ref) < 0 ||
            prepare(db,
                    "INSERT INTO affected(ecosystem, name, id, advisory_id, severity, ranges, "
                    "n_ranges, versions, git_ranges) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    &w->ins_aff) < 0 ||
            prepare(db,
                    "INSERT INTO severity(advisory_id, affected_id, type, vector, score) "
                    "VALUES(?1, ?2, ?3, ?4, ?5)",
                    &w->ins_sev) < 0) {
                feeddb_writer_free(w);
                return -EIO;
        }
        *ret = w;
        return 0;
}

const char *feeddb_writer_error(const feeddb_writer_t *w)
{
        return sqlite3_errmsg(w->db);
}

static int put_severities(feeddb_writer_t *w, int64_t adv, int64_t aff, const feed_severity_t *s,
                          size_t n)
{
        for (size_t i = 0; i < n; i++) {
                sqlite3_bind_int64(w->ins_sev, 1, adv);
                if (aff)
                        sqlite3_bind_int64(w->ins_sev, 2, aff);
                else
                        sqlite3_bind_null(w->ins_sev, 2);
                bind_text(w->ins_sev, 3, s[i].type);
                bind_text(w->ins_sev, 4, s[i].vector);
                if (s[i].score >= 0)
                        sqlite3_bind_double(w->ins_sev, 5, s[i].score);
                else
                        sqlite3_bind_null(w->ins_sev, 5);
                if (step_done(w->ins_sev) < 0)
                        return -EIO;
        }
        return 0;
}

static int put_affected(feeddb_writer_t *w, int64_t adv, size_t index, const feed_affected_t *af)
{
        /* Unique without a counter: OSV_MAX_ITEMS entries fit in 20 bits. */
        int64_t aff = adv * ((int64_t)1 << 20) + (int64_t)index;
        int r;

        buf_reset(&w->versions);
        for (size_t i = 0; i < af->n_versions; i++)
                if ((i && (r = buf_append(&w->versions, "\n", 1)) < 0) ||
                    (r = buf_append_str(&w->versions, af->versions[i])) < 0)
                        return r;
        if ((r = feeddb_ranges_format(af->ranges, af->n_ranges, &w->ranges)) < 0)
                return r;
        bind_text(w->ins_aff, 1, af->ecosystem);
        bind_text(w->ins_aff, 2, af->name);
        sqlite3_bind_int64(w->ins_aff, 3, aff);
        sqlite3_bind_int64(w->ins_aff, 4, adv);
        bind_text(w->ins_aff, 5, af->severity);
        if (af->n_ranges)
                sqlite3_bind_text(w->ins_aff, 6, w->ranges.data, (int)w->ranges.len, SQLITE_STATIC);
        else
                sqlite3_bind_null(w->ins_aff, 6);
        sqlite3_bind_int64(w->ins_aff, 7, (sqlite3_int64)af->n_ranges);
        if (af->n_versions)
                sqlite3_bind_text(w->ins_aff, 8, w->versions.data, (int)w->versions.len,
                                  SQLITE_STATIC);
        else
                sqlite3_bind_null(w->ins_aff, 8);
        sqlite3_bind_int(w->ins_aff, 9, (int)af->git_ranges);
        if (step_done(w->ins_aff) < 0)
                return -EIO;
        return put_severities(w, adv, aff, af->severities, af->n_severities);
}

int feeddb_put(feeddb_writer_t *w, const feed_advisory_t *adv, feeddb_put_result_t *ret)
{
        feeddb_put_result_t result = FEEDDB_NEW;
        int64_t id;
        int rc, r;

        bind_text(w->find, 1, adv->source);
        bind_text(w->find, 2, adv->id);
        rc = sqlite3_step(w->find);
        if (rc == SQLITE_ROW) {
                int64_t old_id = sqlite3_column_int64(w->find, 0);
                int64_t old_modified = sqlite3_column_int64(w->find, 1);
                uint64_t old_hash = (uint64_t)sqlite3_column_int64(w->find, 2);
                sqlite3_reset(w->find);
                if (old_hash == adv->hash) {
                        *ret = FEEDDB_UNCHANGED;
                        return 0;
                }
                /* OSV: of two records with the same id, the one modified
                 * later is authoritative. */
                if (adv->modified && old_modified && adv->modified < old_modified) {
                        *ret = FEEDDB_STALE;
                        return 0;
                }
                /* Children first, in the order the foreign keys imply. */
                for (size_t i = 0; i < ELEMENTSOF(w->del); i++) {
                        sqlite3_bind_int64(w->del[i], 1, old_id);
                        if (step_done(w->del[i]) < 0)
                                return -EIO;
                }
                result = FEEDDB_UPDATED;
        } else {
                sqlite3_reset(w->find);
                if (rc != SQLITE_DONE)
                        return -EIO;
        }

        bind_text(w->ins_adv, 1, adv->source);
        bind_text(w->ins_adv, 2, adv->id);
        if (w->feed_id)
                sqlite3_bind_int64(w->ins_adv, 3, w->feed_id);
        else
                sqlite3_bind_null(w->ins_adv, 3);
        bind_text(w->ins_adv, 4, adv->summary);
        bind_text(w->ins_adv, 5, adv->severity);
        sqlite3_bind_int64(w->ins_adv, 6, adv->published);
        sqlite3_bind_int64(w->ins_adv, 7, adv->modified);
        if (adv->withdrawn)
                sqlite3_bind_int64(w->ins_adv, 8, adv->withdrawn_at);
        else
                sqlite3_bind_null(w->ins_adv, 8);
        sqlite3_bind_int64(w->ins_adv, 9, (sqlite3_int64)adv->hash);
        if (step_done(w->ins_adv) < 0)
                return -EIO;
        id = sqlite3_last_insert_rowid(w->db);

        for (size_t i = 0; i < adv->n_aliases; i++) {
                sqlite3_bind_int64(w->ins_alias, 1, id);
                bind_text(w->ins_alias, 2, adv->aliases[i].id);
                sqlite3_bind_int(w->ins_alias, 3, (int)adv->aliases[i].kind);
                if (step_done(w->ins_alias) < 0)
                        return -EIO;
        }
        for (size_t i = 0; i < adv->n_refs; i++) {
                sqlite3_bind_int64(w->ins_ref, 1, id);
                sqlite3_bind_int64(w->ins_ref, 2, (sqlite3_int64)i);
                bind_text(w->ins_ref, 3, adv->refs[i].type);
                bind_text(w->ins_ref, 4, adv->refs[i].url);
                if (step_done(w->ins_ref) < 0)
                        return -EIO;
        }
        if ((r = put_severities(w, id, 0, adv->severities, adv->n_severities)) < 0)
                return r;
        /* A withdrawn advisory is kept (so an older copy of it cannot come
         * back) but has no packages to match. */
        if (!adv->withdrawn)
                for (size_t i = 0; i < adv->n_affected; i++)
                        if ((r = put_affected(w, id, i, &adv->affected[i])) < 0)
                                return r;
        *ret = result;
        return 0;
}

/* ---- reading ---- */

struct feeddb_reader {
        sqlite3 *db;
        sqlite3_stmt *lookup, *info, *aliases, *refs, *sevs;
};

void feeddb_reader_free(feeddb_reader_t *r)
{
        if (!r)
                return;
        sqlite3_finalize(r->lookup);
        sqlite3_finalize(r->info);
        sqlite3_finalize(r->aliases);
        sqlite3_finalize(r->refs);
        sqlite3_finalize(r->sevs);
        free(r);
}

int feeddb_reader_new(sqlite3 *db, feeddb_reader_t **ret)
{
        feeddb_reader_t *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        r->db = db;
        if (prepare(db,
                    "SELECT id, advisory_id, severity, ranges, versions FROM affected "
                    "WHERE ecosystem = ?1 AND name = ?2",
                    &r->lookup) < 0 ||
            prepare(db,
                    "SELECT source, name, summary, severity, published, modified FROM advisory "
                    "WHERE id = ?1",
                    &r->info) < 0 ||
            prepare(db, "SELECT alias, kind FROM advisory_alias WHERE advisory_id = ?1",
                    &r->aliases) < 0 ||
            prepare(db, "SELECT type, url FROM advisory_ref WHERE advisory_id = ?1 ORDER BY seq",
                    &r->refs) < 0 ||
            prepare(db,
                    "SELECT affected_id, type, vector, score FROM severity WHERE advisory_id = ?1",
                    &r->sevs) < 0) {
                feeddb_reader_free(r);
                return -EIO;
        }
        *ret = r;
        return 0;
}

static const char *col_str(fj_arena_t *a, sqlite3_stmt *st, int i, int *r)
{
        const unsigned char *s = sqlite3_column_text(st, i);
        char *d;

        if (!s)
                return NULL;
        d = fj_arena_strndup(a, (const char *)s, (size_t)sqlite3_column_bytes(st, i));
        if (!d)
                *r = -ENOMEM;
        return d;
}

/* Split the '\n'-joined version list S into an array in A. */
static int split_versions(fj_arena_t *a, const char *s, feed_affected_t *af)
{
        size_t n = 1, k = 0;
        char *copy;

        if (!s || !*s)
                return 0;
        for (const char *p = s; *p; p++)
                n += *p == '\n';
        af->versions = fj_arena_alloc(a, n * sizeof(*af->versions));
        copy = fj_arena_strdup(a, s);
        if (!af->versions || !copy)
                return -ENOMEM;
        af->versions[k++] = copy;
        for (char *p = copy; *p; p++)
                if (*p == '\n') {
                        *p = 0;
                        af->versions[k++] = p + 1;
                }
        af->n_versions = k;
        return 0;
}

int feeddb_lookup(feeddb_reader_t *rd, fj_arena_t *a, const char *ecosystem, const char *name,
                  feeddb_hit_t **ret_hits, size_t *ret_n)
{
        feeddb_hit_t *hits = NULL;
        size_t n = 0, cap = 0;
        int rc, r = 0;

        bind_text(rd->lookup, 1, ecosystem);
        bind_text(rd->lookup, 2, name);
        while ((rc = sqlite3_step(rd->lookup)) == SQLITE_ROW) {
                feeddb_hit_t *h;
                if (n == cap) {
                        /* Grown in the arena; the old block stays until the
                         * arena is reset, which is cheap next to a lookup. */
                        size_t c = cap ? cap * 2 : 16;
                        feeddb_hit_t *v = fj_arena_alloc(a, c * sizeof(*v));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        if (n)
                                memcpy(v, hits, n * sizeof(*v));
                        hits = v;
                        cap = c;
                }
                h = &hits[n++];
                *h = (feeddb_hit_t){
                        .affected_rowid = sqlite3_column_int64(rd->lookup, 0),
                        .advisory_rowid = sqlite3_column_int64(rd->lookup, 1),
                        .affected = { .ecosystem = ecosystem, .name = name },
                };
                h->affected.severity = col_str(a, rd->lookup, 2, &r);
                /* Stored by this module; a row that does not parse (edited by
                 * hand) matches nothing rather than something. */
                if (r == 0 &&
                    feeddb_ranges_parse(a, (const char *)sqlite3_column_text(rd->lookup, 3),
                                        &h->affected.ranges, &h->affected.n_ranges) == -ENOMEM)
                        r = -ENOMEM;
                if (r == 0)
                        r = split_versions(a, (const char *)sqlite3_column_text(rd->lookup, 4),
                                           &h->affected);
                if (r < 0)
                        break;
        }
        sqlite3_reset(rd->lookup);
        if (r < 0)
                return r;
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                return -EIO;
        *ret_hits = hits;
        *ret_n = n;
        return 0;
}

int feeddb_advisory_info(feeddb_reader_t *rd, fj_arena_t *a, int64_t advisory_rowid,
                         int64_t affected_rowid, feeddb_info_t *ret)
{
        feeddb_info_t info = { 0 };
        size_t cap;
        int rc, r = 0;

        sqlite3_bind_int64(rd->info, 1, advisory_rowid);
        rc = sqlite3_step(rd->info);
        if (rc == SQLITE_ROW) {
                info.source = col_str(a, rd->info, 0, &r);
                info.id = col_str(a, rd->info, 1, &r);
                info.summary = col_str(a, rd->info, 2, &r);
                info.severity = col_str(a, rd->info, 3, &r);
                info.published = sqlite3_column_int64(rd->info, 4);
                info.modified = sqlite3_column_int64(rd->info, 5);
        }
        sqlite3_reset(rd->info);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        if (r < 0)
                return r;

        /* The lists are short; allocate generously in the arena as rows come. */
        cap = 0;
        sqlite3_bind_int64(rd->aliases, 1, advisory_rowid);
        while ((rc = sqlite3_step(rd->aliases)) == SQLITE_ROW && r == 0) {
                if (info.n_aliases == cap) {
                        size_t c = cap ? cap * 2 : 8;
                        feed_alias_t *v = fj_arena_alloc(a, c * sizeof(*v));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        if (info.n_aliases)
                                memcpy(v, info.aliases, info.n_aliases * sizeof(*v));
                        info.aliases = v;
                        cap = c;
                }
                info.aliases[info.n_aliases].id = col_str(a, rd->aliases, 0, &r);
                info.aliases[info.n_aliases].kind =
                        (feed_alias_kind_t)sqlite3_column_int(rd->aliases, 1);
                if (info.aliases[info.n_aliases].id)
                        info.n_aliases++;
        }
        sqlite3_reset(rd->aliases);
        if (r < 0 || (rc != SQLITE_DONE && rc != SQLITE_ROW))
                return r < 0 ? r : -EIO;

        cap = 0;
        sqlite3_bind_int64(rd->refs, 1, advisory_rowid);
        while ((rc = sqlite3_step(rd->refs)) == SQLITE_ROW && r == 0) {
                if (info.n_refs == cap) {
                        size_t c = cap ? cap * 2 : 8;
                        feed_ref_t *v = fj_arena_alloc(a, c * sizeof(*v));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        if (info.n_refs)
                                memcpy(v, info.refs, info.n_refs * sizeof(*v));
                        info.refs = v;
                        cap = c;
                }
                info.refs[info.n_refs].type = col_str(a, rd->refs, 0, &r);
                info.refs[info.n_refs].url = col_str(a, rd->refs, 1, &r);
                if (info.refs[info.n_refs].url)
                        info.n_refs++;
        }
        sqlite3_reset(rd->refs);
        if (r < 0 || (rc != SQLITE_DONE && rc != SQLITE_ROW))
                return r < 0 ? r : -EIO;

        size_t cap_a = 0, cap_f = 0;
        sqlite3_bind_int64(rd->sevs, 1, advisory_rowid);
        while ((rc = sqlite3_step(rd->sevs)) == SQLITE_ROW && r == 0) {
                bool whole = sqlite3_column_type(rd->sevs, 0) == SQLITE_NULL;
                feed_severity_t **arr = whole ? &info.severities : &info.affected_severities;
                size_t *n = whole ? &info.n_severities : &info.n_affected_severities;
                size_t *c = whole ? &cap_a : &cap_f;
                if (!whole && sqlite3_column_int64(rd->sevs, 0) != affected_rowid)
                        continue;
                if (*n == *c) {
                        size_t nc = *c ? *c * 2 : 4;
                        feed_severity_t *v = fj_arena_alloc(a, nc * sizeof(*v));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        if (*n)
                                memcpy(v, *arr, *n * sizeof(*v));
                        *arr = v;
                        *c = nc;
                }
                (*arr)[*n].type = col_str(a, rd->sevs, 1, &r);
                (*arr)[*n].vector = col_str(a, rd->sevs, 2, &r);
                (*arr)[*n].score = sqlite3_column_type(rd->sevs, 3) == SQLITE_NULL
                                           ? -1
                                           : sqlite3_column_double(rd->sevs, 3);
                if ((*arr)[*n].type && (*arr)[*n].vector)
                        (*n)++;
        }
        sqlite3_reset(rd->sevs);
        if (r < 0 || (rc != SQLITE_DONE && rc != SQLITE_ROW))
                return r < 0 ? r : -EIO;
        *ret = info;
        return 0;
}

/* ---- status ---- */

void feeddb_status_clear(feeddb_status_t *s)
{
        for (size_t i = 0; i < s->n_ecosystems; i++)
                free(s->ecosystems[i].ecosystem);
        free(s->ecosystems);
        for (size_t i = 0; i < s->n_feeds; i++) {
                free(s->feeds[i].name);
                free(s->feeds[i].format);
                free(s->feeds[i].location);
        }
        free(s->feeds);
        *s = (feeddb_status_t){ 0 };
}

int feeddb_status(sqlite3 *db, feeddb_status_t *ret)
{
        feeddb_status_t s = { 0 };
        sqlite3_stmt *st = NULL;
        size_t cap = 0;
        int rc, r = 0;

        if (sqlite3_prepare_v2(db,
                               "SELECT ecosystem, COUNT(DISTINCT advisory_id), COUNT(*), "
                               "SUM(n_ranges) FROM affected GROUP BY ecosystem ORDER BY ecosystem",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                feeddb_eco_stat_t *e;
                if (s.n_ecosystems == cap) {
                        size_t c = cap ? cap * 2 : 16;
                        feeddb_eco_stat_t *v = realloc(s.ecosystems, c * sizeof(*v));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        s.ecosystems = v;
                        cap = c;
                }
                e = &s.ecosystems[s.n_ecosystems];
                e->ecosystem = column_dup(st, 0);
                if (!e->ecosystem) {
                        r = -ENOMEM;
                        break;
                }
                e->advisories = sqlite3_column_int64(st, 1);
                e->packages = sqlite3_column_int64(st, 2);
                e->ranges = sqlite3_column_int64(st, 3);
                s.n_ecosystems++;
        }
        sqlite3_finalize(st);
        if (r < 0 || rc != SQLITE_DONE)
                goto fail;

        cap = 0;
        if (sqlite3_prepare_v2(db,
                               "SELECT name, format, location, imported_at, checked_at, entries, "
                               "imported, updated, unchanged, skipped, withdrawn, errors, bytes "
                               "FROM feed ORDER BY name",
                               -1, &st, NULL) != SQLITE_OK)
                goto fail;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                feeddb_feed_stat_t *f;
                if (s.n_feeds == cap) {
                        size_t c = cap ? cap * 2 : 8;
                        feeddb_feed_stat_t *v = realloc(s.feeds, c * sizeof(*v));
                        if (!v) {
                                r = -ENOMEM;
                                break;
                        }
                        s.feeds = v;
                        cap = c;
                }
                f = &s.feeds[s.n_feeds];
                *f = (feeddb_feed_stat_t){
                        .name = column_dup(st, 0),
                        .format = column_dup(st, 1),
                        .location = column_dup(st, 2),
                        .imported_at = sqlite3_column_int64(st, 3),
                        .checked_at = sqlite3_column_int64(st, 4),
                        .entries = sqlite3_column_int64(st, 5),
                        .imported = sqlite3_column_int64(st, 6),
                        .updated = sqlite3_column_int64(st, 7),
                        .unchanged = sqlite3_column_int64(st, 8),
                        .skipped = sqlite3_column_int64(st, 9),
                        .withdrawn = sqlite3_column_int64(st, 10),
                        .errors = sqlite3_column_int64(st, 11),
                        .bytes = sqlite3_column_int64(st, 12),
                };
                s.n_feeds++;
                if (!f->name || !f->format || !f->location) {
                        r = -ENOMEM;
                        break;
                }
        }
        sqlite3_finalize(st);
        if (r < 0 || rc != SQLITE_DONE)
                goto fail;

        if (sqlite3_prepare_v2(db,
                               "SELECT COUNT(*), COUNT(withdrawn), IFNULL(MAX(modified), 0), "
                               "(SELECT IFNULL(MAX(imported_at), 0) FROM feed) FROM advisory",
                               -1, &st, NULL) != SQLITE_OK)
                goto fail;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                s.advisories = sqlite3_column_int64(st, 0);
                s.withdrawn = sqlite3_column_int64(st, 1);
                s.newest_modified = sqlite3_column_int64(st, 2);
                s.newest_import = sqlite3_column_int64(st, 3);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
                goto fail;
        *ret = s;
        return 0;
fail:
        feeddb_status_clear(&s);
        return r < 0 ? r : -EIO;
}

int feeddb_has_ecosystem(sqlite3 *db, const char *ecosystem, bool *ret)
{
        sqlite3_stmt *st = NULL;
        int rc;

        /* Withdrawn advisories have no affected rows, so this sees live ones. */
        if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM affected WHERE ecosystem = ?1)",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        bind_text(st, 1, ecosystem);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0) != 0;
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int feeddb_summary(sqlite3 *db, long long *ret_advisories, int64_t *ret_newest_import)
{
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(db,
                               "SELECT (SELECT COUNT(*) FROM advisory WHERE withdrawn IS NULL), "
                               "(SELECT IFNULL(MAX(imported_at), 0) FROM feed)",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret_advisories = sqlite3_column_int64(st, 0);
                *ret_newest_import = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int feeddb_newest_import(sqlite3 *db, int64_t *ret)
{
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(db, "SELECT IFNULL(MAX(imported_at), 0) FROM feed", -1, &st, NULL) !=
            SQLITE_OK)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}
