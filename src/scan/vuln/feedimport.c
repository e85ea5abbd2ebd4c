#include "scan/vuln/feedimport.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/text.h"
#include "scan/vuln/debtracker.h"
#include "scan/vuln/osv.h"

/* Memory one entry may take once parsed (values, copies of strings). */
#define ENTRY_ARENA_MAX (1 * GiB)
/* Files smaller than this are read; larger ones are mapped. */
#define READ_LIMIT    (4 * MiB)
#define DIR_MAX_DEPTH 32
/* Parsed entries waiting for the writing thread, handed over in batches
 * (a lock and a wake-up per entry cost more than writing it). */
#define NSLOTS 128
#define BATCH  32

void feedimport_opts_default(feedimport_opts_t *o)
{
        *o = (feedimport_opts_t){
                .format = FEED_FORMAT_AUTO,
                .max_entry_size = 64 * MiB,
                .max_file_size = 4 * (uint64_t)GiB,
                .max_zip_total = 16 * (uint64_t)GiB,
                .max_errors_reported = 20,
        };
}

/* A 64-bit hash of feed text, to notice that a record changed. It reads
 * eight bytes per step (FNV-1a's byte loop was a measurable part of an
 * import); it is not meant to resist a chosen collision, and needs not:
 * whoever writes the feed decides its content anyway. */
static uint64_t text_hash(const char *p, size_t n)
{
        uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n, w;

        while (n >= 8) {
                memcpy(&w, p, 8);
                h = (h ^ w) * 0xff51afd7ed558ccdULL;
                h ^= h >> 29;
                p += 8;
                n -= 8;
        }
        w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
        return h ^ (h >> 32);
}

/* An entry on its way from the reading side to the writing side: a parsed
 * advisory with the arena its values live in. */
typedef struct slot {
        fj_arena_t arena;
        feed_advisory_t adv;
} slot_t;

/* The import of one input. The reading side (files, zips, parsing) and the
 * writing side (SQLite) run in two threads when o->threads >= 2, joined by
 * a ring of NSLOTS slots; with one thread, every entry is written as soon
 * as it is parsed. Each side keeps its own counts and its own arenas; only
 * the ring (and the failure flag) is shared, under LOCK. */
typedef struct importer {
        sqlite3 *db;
        feeddb_writer_t *w;
        const feedimport_opts_t *o;

        /* reading side */
        feed_counts_t *counts; /* entries, errors, ignored, bytes */
        fj_arena_t *arena;     /* the reserved slot's arena */
        fj_arena_t scratch;    /* for looking at a document's first key */
        size_t reported;       /* errors reported for the current input */
        const char *display;   /* current input */
        size_t progress_step;

        /* writing side */
        feed_counts_t wcounts; /* imported, updated, unchanged, skipped, withdrawn */
        const char *top_display;

        /* the ring: slot i % NSLOTS holds the i-th entry */
        bool threaded;
        size_t filled;    /* reading side: entries filled so far */
        size_t seen_done; /* reading side: last value of DONE it looked at */
        pthread_mutex_t lock;
        pthread_cond_t not_full, not_empty;
        slot_t slots[NSLOTS];
        size_t published; /* entries the writing side may take (<= filled) */
        size_t done;      /* entries the writing side has finished */
        bool reading_done;
        bool writer_failed;
} importer_t;

static void report(importer_t *im, const char *fmt, ...) _printf_(2, 3);
static void report(importer_t *im, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        if (!im->o->on_error)
                return;
        if (im->reported == im->o->max_errors_reported) {
                im->reported++;
                im->o->on_error(im->display, "further errors in this input are only counted",
                                im->o->userdata);
                return;
        }
        if (im->reported > im->o->max_errors_reported)
                return;
        im->reported++;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        im->o->on_error(im->display, msg, im->o->userdata);
}

/* An error at byte POS of TEXT, with line and column. */
static void report_at(importer_t *im, const char *text, size_t pos, const char *where,
                      const char *msg)
{
        size_t line = 0, col = 0;

        if (im->reported <= im->o->max_errors_reported)
                fj_line_col(text, pos, &line, &col);
        report(im, "byte %zu (line %zu, column %zu): %s%s%s", pos, line, col, where,
               *where ? ": " : "", msg);
}

static void tick(importer_t *im)
{
        if (im->o->progress && ++im->progress_step % 1024 == 0)
                progress_update(im->o->progress, im->display, im->counts->entries, 0);
}

/* Writing side: store one parsed advisory. Returns 0 or -EIO. */
static int store(importer_t *im, const feed_advisory_t *adv)
{
        feed_counts_t *c = &im->wcounts;
        feeddb_put_result_t res;
        char msg[600];

        if (feeddb_put(im->w, adv, &res) < 0) {
                /* Fatal for the import: report it without the reading
                 * side's error budget, which this thread must not touch. */
                if (im->o->on_error) {
                        snprintf(msg, sizeof(msg), "cannot store %s: %s", adv->id,
                                 feeddb_writer_error(im->w));
                        im->o->on_error(im->top_display, msg, im->o->userdata);
                }
                return -EIO;
        }
        switch (res) {
        case FEEDDB_NEW:
                c->imported++;
                break;
        case FEEDDB_UPDATED:
                c->updated++;
                break;
        case FEEDDB_UNCHANGED:
                c->unchanged++;
                break;
        case FEEDDB_STALE:
                c->skipped++;
                break;
        }
        if (adv->withdrawn && res != FEEDDB_STALE && res != FEEDDB_UNCHANGED)
                c->withdrawn++;
        return 0;
}

static int consume(importer_t *im, slot_t *s)
{
        return store(im, &s->adv);
}

/* Reading side: make everything filled visible to the writing side.
 * Returns 0 or -EIO (the writing side failed). */
static int flush(importer_t *im)
{
        int r = 0;

        if (!im->threaded)
                return 0;
        pthread_mutex_lock(&im->lock);
        if (im->writer_failed)
                r = -EIO;
        else if (im->published != im->filled) {
                im->published = im->filled;
                pthread_cond_signal(&im->not_empty);
        }
        im->seen_done = im->done;
        pthread_mutex_unlock(&im->lock);
        return r;
}

/* Reading side: take the slot the next entry is parsed into (its arena
 * becomes im->arena, empty). Waits while every slot is taken. Returns NULL
 * when the writing side failed: the reading side must stop. */
static slot_t *reserve(importer_t *im)
{
        slot_t *s;

        if (!im->threaded)
                s = &im->slots[0];
        else {
                if (im->filled - im->seen_done == NSLOTS) {
                        pthread_mutex_lock(&im->lock);
                        im->published = im->filled;
                        pthread_cond_signal(&im->not_empty);
                        while (im->filled - im->done == NSLOTS && !im->writer_failed)
                                pthread_cond_wait(&im->not_full, &im->lock);
                        im->seen_done = im->done;
                        if (im->writer_failed) {
                                pthread_mutex_unlock(&im->lock);
                                return NULL;
                        }
                        pthread_mutex_unlock(&im->lock);
                }
                s = &im->slots[im->filled % NSLOTS];
        }
        fj_arena_reset(&s->arena);
        im->arena = &s->arena;
        return s;
}

/* Reading side: the reserved slot is filled. Returns 0 or -EIO (the
 * writing side failed). */
static int publish(importer_t *im, slot_t *s)
{
        if (!im->threaded)
                return consume(im, s);
        im->filled++;
        if (im->filled - im->published >= BATCH)
                return flush(im);
        return 0;
}

/* Reading side: queue ADV (its strings in the reserved slot's arena). */
static int emit(importer_t *im, const feed_advisory_t *adv, unsigned ignored)
{
        slot_t *s = &im->slots[im->threaded ? im->filled % NSLOTS : 0];

        im->counts->ignored += ignored;
        s->adv = *adv;
        return publish(im, s);
}

/* Writing side: write what the reading side queues until it is done,
 * a batch at a time. After a failure the rest is drained unwritten.
 * Returns 0 or -EIO. */
static int write_queued(importer_t *im)
{
        size_t next = 0, end;
        int result = 0;

        for (;;) {
                pthread_mutex_lock(&im->lock);
                while (im->published == next && !im->reading_done)
                        pthread_cond_wait(&im->not_empty, &im->lock);
                end = im->published;
                pthread_mutex_unlock(&im->lock);
                if (end == next)
                        return result; /* reading is done and everything written */
                for (; next < end; next++)
                        if (result == 0 && consume(im, &im->slots[next % NSLOTS]) < 0)
                                result = -EIO;
                pthread_mutex_lock(&im->lock);
                im->done = next;
                if (result < 0)
                        im->writer_failed = true;
                pthread_cond_signal(&im->not_full);
                pthread_mutex_unlock(&im->lock);
        }
}

/* One OSV record at TEXT[off, off+len) already parsed into V. */
static int import_osv_value(importer_t *im, const char *text, const fj_value_t *v, size_t off,
                            size_t len)
{
        feed_advisory_t adv;
        feed_error_t err = { 0 };
        unsigned ignored = 0;
        int r;

        im->counts->entries++;
        tick(im);
        r = osv_parse_record(im->arena, v, &adv, &ignored, &err);
        if (r < 0) {
                const fj_value_t *id = fj_get(v, "id");
                char where[sizeof(err.where) + 300];
                if (id && id->type == FJ_STRING && id->n < 256)
                        snprintf(where, sizeof(where), "record \"%s\"%s%s", id->u.str,
                                 *err.where ? " " : "", err.where);
                else
                        snprintf(where, sizeof(where), "%s", err.where);
                im->counts->errors++;
                report_at(im, text, err.pos ? err.pos : off, where, err.msg);
                return r == -EINVAL ? 0 : r;
        }
        adv.hash = text_hash(text + off, len);
        return emit(im, &adv, ignored);
}

/* The text is one OSV record or an array of them. */
static int import_osv_text(importer_t *im, const char *text, size_t n)
{
        fj_reader_t rd;
        fj_type_t type;
        fj_error_t jerr;
        int r;

        if (fj_reader_open(&rd, text, 0, n, 0, &type, &jerr) < 0) {
                report_at(im, text, jerr.pos, "", jerr.msg);
                im->counts->errors++;
                return -EINVAL;
        }
        if (type == FJ_OBJECT) {
                fj_value_t *v;
                if (!reserve(im))
                        return -EIO;
                if (n > im->o->max_entry_size) {
                        report(im, "record larger than %zu bytes", im->o->max_entry_size);
                        im->counts->errors++;
                        return 0;
                }
                if ((r = fj_parse(im->arena, text, 0, n, 0, &v, &jerr)) < 0) {
                        report_at(im, text, jerr.pos, "", jerr.msg);
                        im->counts->errors++;
                        return r == -EINVAL || r == -E2BIG ? 0 : r;
                }
                return import_osv_value(im, text, v, v->pos, n - v->pos);
        }
        for (;;) {
                fj_value_t *v;
                size_t start;
                if (!reserve(im))
                        return -EIO;
                r = fj_reader_next(&rd, im->arena, NULL, &v, &jerr);
                if (r == 0)
                        return 0;
                if (r < 0) {
                        /* The rest of the array cannot be split reliably. */
                        report_at(im, text, jerr.pos, "", jerr.msg);
                        im->counts->errors++;
                        return r == -EINVAL || r == -E2BIG ? 0 : r;
                }
                start = v->pos;
                if (rd.pos - start > im->o->max_entry_size) {
                        report_at(im, text, start, "", "record larger than the entry size cap");
                        im->counts->errors++;
                        continue;
                }
                if ((r = import_osv_value(im, text, v, start, rd.pos - start)) < 0)
                        return r;
        }
}

/* ---- Debian tracker ---- */

typedef struct tracker_entry {
        const char *cve;
        const char *package;
        size_t package_pos;
        size_t off, len;
        size_t seq;
} tracker_entry_t;

static int cmp_entry(const void *a, const void *b)
{
        const tracker_entry_t *x = a, *y = b;
        int c = strcmp(x->cve, y->cve);

        if (c)
                return c;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Pass 1: where every (package, CVE) entry is. Keys go to KEYS. */
static int tracker_index(importer_t *im, const char *text, size_t n, fj_arena_t *keys,
                         tracker_entry_t **ret, size_t *ret_n)
{
        _cleanup_free_ tracker_entry_t *v = NULL;
        size_t nv = 0, cap = 0;
        fj_reader_t top;
        fj_error_t jerr;
        int r;

        if (fj_reader_open(&top, text, 0, n, 0, NULL, &jerr) < 0) {
                report_at(im, text, jerr.pos, "", jerr.msg);
                im->counts->errors++;
                return -EINVAL;
        }
        if (top.type != FJ_OBJECT) {
                report_at(im, text, 0, "",
                          "a Debian tracker document is an object of source packages");
                im->counts->errors++;
                return -EINVAL;
        }
        for (;;) {
                const char *pkg;
                size_t off, len, pkg_pos = top.pos;
                fj_reader_t sub;
                r = fj_reader_skip(&top, keys, &pkg, &off, &len, &jerr);
                if (r == 0)
                        break;
                if (r < 0)
                        goto syntax;
                if (fj_reader_open(&sub, text, off, len, 0, NULL, &jerr) < 0 ||
                    sub.type != FJ_OBJECT) {
                        report_at(im, text, off, pkg, "expected an object of CVE entries");
                        im->counts->errors++;
                        continue;
                }
                for (;;) {
                        const char *cve;
                        size_t coff, clen;
                        r = fj_reader_skip(&sub, keys, &cve, &coff, &clen, &jerr);
                        if (r == 0)
                                break;
                        if (r < 0)
                                goto syntax;
                        if (nv == cap) {
                                size_t c = cap ? cap * 2 : 4096;
                                tracker_entry_t *nvv = realloc(v, c * sizeof(*nvv));
                                if (!nvv)
                                        return -ENOMEM;
                                v = nvv;
                                cap = c;
                        }
                        v[nv] = (tracker_entry_t){ cve, pkg, pkg_pos, coff, clen, nv };
                        nv++;
                }
        }
        *ret = TAKE_PTR(v);
        *ret_n = nv;
        return 0;
syntax:
        /* Entries found before the error are still imported. */
        report_at(im, text, jerr.pos, "", jerr.msg);
        im->counts->errors++;
        if (r != -EINVAL && r != -E2BIG)
                return r;
        *ret = TAKE_PTR(v);
        *ret_n = nv;
        return 0;
}

static int import_tracker_text(importer_t *im, const char *text, size_t n)
{
        _cleanup_fj_arena_ fj_arena_t keys;
        _cleanup_free_ tracker_entry_t *entries = NULL;
        _cleanup_free_ debtracker_part_t *parts = NULL;
        size_t n_entries = 0, cap_parts = 0;
        int r;

        fj_arena_init(&keys, ENTRY_ARENA_MAX);
        if ((r = tracker_index(im, text, n, &keys, &entries, &n_entries)) < 0)
                return r;
        if (n_entries)
                qsort(entries, n_entries, sizeof(*entries), cmp_entry);
        for (size_t i = 0; i < n_entries;) {
                size_t j = i, np = 0;
                feed_advisory_t adv;
                feed_error_t err = { 0 };
                unsigned ignored = 0;
                uint64_t h = 1469598103934665603ULL;
                bool bad = false;

                while (j < n_entries && strcmp(entries[j].cve, entries[i].cve) == 0)
                        j++;
                if (j - i > cap_parts) {
                        debtracker_part_t *p = realloc(parts, (j - i) * sizeof(*p));
                        if (!p)
                                return -ENOMEM;
                        parts = p;
                        cap_parts = j - i;
                }
                if (!reserve(im))
                        return -EIO;
                im->counts->entries++;
                tick(im);
                for (size_t k = i; k < j && !bad; k++) {
                        const tracker_entry_t *e = &entries[k];
                        fj_value_t *v;
                        fj_error_t jerr;
                        if (e->len > im->o->max_entry_size) {
                                report_at(im, text, e->off, e->cve,
                                          "entry larger than the entry size cap");
                                bad = true;
                                break;
                        }
                        r = fj_parse(im->arena, text, e->off, e->len, 0, &v, &jerr);
                        if (r < 0) {
                                char where[600];
                                if (r != -EINVAL && r != -E2BIG)
                                        return r;
                                snprintf(where, sizeof(where), "%s.%s", e->package, e->cve);
                                report_at(im, text, jerr.pos, where, jerr.msg);
                                bad = true;
                                break;
                        }
                        /* The record is written later, by the other thread
                         * perhaps, after KEYS is gone: its names are copied
                         * into the entry's own arena. */
                        const char *pkg = fj_arena_strdup(im->arena, e->package);
                        if (!pkg)
                                return -ENOMEM;
                        parts[np++] = (debtracker_part_t){ pkg, e->package_pos, v };
                        h = (h ^ text_hash(e->package, strlen(e->package))) * 1099511628211ULL;
                        h = (h ^ text_hash(text + e->off, e->len)) * 1099511628211ULL;
                }
                if (!bad) {
                        const char *cve = fj_arena_strdup(im->arena, entries[i].cve);
                        if (!cve)
                                return -ENOMEM;
                        r = debtracker_parse_cve(im->arena, cve, parts, np, &adv, &ignored, &err);
                        if (r < 0 && r != -EINVAL)
                                return r;
                        if (r < 0) {
                                report_at(im, text, err.pos, err.where, err.msg);
                                bad = true;
                        }
                }
                if (bad)
                        im->counts->errors++;
                else {
                        adv.hash = h;
                        if ((r = emit(im, &adv, ignored)) < 0)
                                return r;
                }
                i = j;
        }
        return 0;
}

/* What kind of JSON feed TEXT is: by its first character and first key. */
static int detect(importer_t *im, const char *text, size_t n, feed_format_t *ret)
{
        fj_reader_t rd;
        fj_type_t type;
        fj_error_t jerr;
        const char *key = NULL;
        size_t off, len;
        int r;

        if (fj_reader_open(&rd, text, 0, n, 0, &type, &jerr) < 0) {
                report_at(im, text, jerr.pos, "", "not a feed: expected a JSON object or array");
                return -EINVAL;
        }
        if (type == FJ_ARRAY) {
                *ret = FEED_FORMAT_OSV;
                return 0;
        }
        fj_arena_reset(&im->scratch);
        r = fj_reader_skip(&rd, &im->scratch, &key, &off, &len, &jerr);
        if (r < 0) {
                report_at(im, text, jerr.pos, "", jerr.msg);
                return r;
        }
        if (r == 0) {
                report(im, "an empty JSON object is neither an OSV record nor a tracker document");
                return -EINVAL;
        }
        if (osv_is_record_field(key))
                *ret = FEED_FORMAT_OSV;
        else if (text[off] == '{')
                *ret = FEED_FORMAT_TRACKER;
        else {
                report(im, "not a feed: neither an OSV record (no \"id\", \"affected\", ...) nor "
                           "a Debian tracker document (source package -> CVE entries)");
                return -EINVAL;
        }
        return 0;
}

static int import_text(importer_t *im, const char *text, size_t n, feed_format_t format,
                       feed_format_t *ret_format)
{
        int r;

        im->counts->bytes += n;
        if (format == FEED_FORMAT_AUTO && (r = detect(im, text, n, &format)) < 0) {
                im->counts->errors++;
                return r;
        }
        if (ret_format)
                *ret_format = format;
        if (format == FEED_FORMAT_TRACKER)
                return import_tracker_text(im, text, n);
        return import_osv_text(im, text, n);
}

static int importer_init(importer_t *im, sqlite3 *db, int64_t feed_id, const feedimport_opts_t *o,
                         feed_counts_t *counts)
{
        *im = (importer_t){ .db = db, .o = o, .counts = counts };
        fj_arena_init(&im->scratch, 1 * MiB);
        for (size_t i = 0; i < NSLOTS; i++)
                fj_arena_init(&im->slots[i].arena, ENTRY_ARENA_MAX);
        pthread_mutex_init(&im->lock, NULL);
        pthread_cond_init(&im->not_full, NULL);
        pthread_cond_init(&im->not_empty, NULL);
        return feeddb_writer_new(db, feed_id, &im->w);
}

/* Fold the writing side's counts into the caller's and free everything. */
static void importer_done(importer_t *im)
{
        feed_counts_add(im->counts, &im->wcounts);
        feeddb_writer_free(im->w);
        fj_arena_free(&im->scratch);
        for (size_t i = 0; i < NSLOTS; i++)
                fj_arena_free(&im->slots[i].arena);
        pthread_mutex_destroy(&im->lock);
        pthread_cond_destroy(&im->not_full);
        pthread_cond_destroy(&im->not_empty);
}

int feedimport_buffer(sqlite3 *db, int64_t feed_id, const char *display, const char *data, size_t n,
                      const feedimport_opts_t *o, feed_counts_t *ret)
{
        importer_t im;
        int r;

        if ((r = importer_init(&im, db, feed_id, o, ret)) < 0) {
                importer_done(&im);
                return r;
        }
        im.display = display;
        im.top_display = display;
        if ((r = feeddb_begin(db)) < 0) {
                report(&im, "cannot start a transaction: %s", sqlite3_errmsg(db));
                importer_done(&im);
                return r;
        }
        r = import_text(&im, data, n, o->format, NULL);
        if (r == -EIO || r == -ENOMEM)
                feeddb_rollback(db);
        else if (feeddb_commit(db) < 0) {
                report(&im, "cannot commit: %s", sqlite3_errmsg(db));
                feeddb_rollback(db);
                r = -EIO;
        }
        feeddb_checkpoint(db);
        importer_done(&im);
        return r;
}

/* ---- files, zips, directories ---- */

static bool is_zip(const char *p, size_t n)
{
        return n >= 4 && p[0] == 'P' && p[1] == 'K' &&
               ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

/* The content of an open file: read when small, mapped when large. */
typedef struct content {
        char *data;
        size_t len;
        bool mapped;
} content_t;

static void content_free(content_t *c)
{
        if (c->mapped)
                munmap(c->data, c->len);
        else
                free(c->data);
        *c = (content_t){ 0 };
}

static int content_load(int fd, uint64_t max, content_t *ret)
{
        struct stat st;
        size_t len, got = 0;
        char *p;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t)st.st_size > READ_LIMIT) {
                /* Large: a zip is streamed, never loaded (-E2BIG tells the
                 * caller); JSON is mapped, up to MAX. */
                char magic[4];
                if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
                    is_zip(magic, sizeof(magic)))
                        return -E2BIG;
        }
        if ((uint64_t)st.st_size > max)
                return -EFBIG;
        len = (size_t)st.st_size;
        if (len == 0) {
                *ret = (content_t){ NULL, 0, false };
                return 0;
        }
        if (len > READ_LIMIT) {
                p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
                if (p == MAP_FAILED)
                        return -errno;
                madvise(p, len, MADV_SEQUENTIAL);
                *ret = (content_t){ p, len, true };
                return 0;
        }
        p = malloc(len);
        if (!p)
                return -ENOMEM;
        while (got < len) {
                ssize_t k = read(fd, p + got, len - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        int e = k < 0 ? -errno : -EIO;
                        free(p);
                        return e;
                }
                got += (size_t)k;
        }
        *ret = (content_t){ p, len, false };
        return 0;
}

static int import_zip(importer_t *im, int fd)
{
        _cleanup_buf_ buf_t member;
        _cleanup_free_ char *display = NULL;
        const char *zip_display = im->display;
        struct archive *ar = archive_read_new();
        struct archive_entry *e;
        uint64_t total = 0;
        int r = 0, ar_rc;

        buf_init(&member, im->o->max_entry_size);
        if (!ar)
                return -ENOMEM;
        archive_read_support_format_zip(ar);
        if (archive_read_open_fd(ar, fd, 64 * KiB) != ARCHIVE_OK) {
                report(im, "not a readable zip archive: %s", archive_error_string(ar));
                im->counts->errors++;
                archive_read_free(ar);
                return -EINVAL;
        }
        while ((ar_rc = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                la_ssize_t k = 0;
                char chunk[64 * KiB];
                bool too_big = false;

                if (archive_entry_filetype(e) != AE_IFREG)
                        continue;
                if (!name || !str_endswith(name, ".json")) {
                        im->counts->ignored++;
                        continue;
                }
                free(display);
                display = str_printf("%s!%s", zip_display, name);
                if (!display) {
                        r = -ENOMEM;
                        break;
                }
                im->display = display;
                im->reported = 0;
                buf_reset(&member);
                if (archive_entry_size_is_set(e) &&
                    (uint64_t)archive_entry_size(e) > im->o->max_entry_size)
                        too_big = true;
                while (!too_big && (k = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
                        int ra = buf_append(&member, chunk, (size_t)k);
                        total += (uint64_t)k;
                        if (ra == -E2BIG)
                                too_big = true;
                        else if (ra < 0) {
                                r = ra;
                                break;
                        }
                }
                if (r < 0)
                        break;
                if (!too_big && k < 0) {
                        report(im, "cannot read the member: %s", archive_error_string(ar));
                        im->counts->errors++;
                        r = 0;
                        goto next;
                }
                if (too_big) {
                        report(im, "member larger than %zu bytes, skipped", im->o->max_entry_size);
                        im->counts->errors++;
                        goto next;
                }
                if (total > im->o->max_zip_total) {
                        report(im, "more than %llu bytes inflated from the archive; stopping",
                               (unsigned long long)im->o->max_zip_total);
                        im->counts->errors++;
                        break;
                }
                if (!member.len) {
                        report(im, "empty member");
                        im->counts->errors++;
                        goto next;
                }
                /* The members of osv.dev's archives are OSV records. */
                r = import_text(im, member.data, member.len,
                                im->o->format == FEED_FORMAT_TRACKER ? FEED_FORMAT_TRACKER
                                                                     : FEED_FORMAT_OSV,
                                NULL);
                if (r == -EIO || r == -ENOMEM)
                        break;
                r = 0;
        next:
                im->display = zip_display;
        }
        im->display = zip_display;
        if (r == 0 && ar_rc != ARCHIVE_EOF && ar_rc != ARCHIVE_OK) {
                report(im, "damaged zip archive: %s", archive_error_string(ar));
                im->counts->errors++;
        }
        archive_read_free(ar);
        return r;
}

/* Import one file (JSON or zip) inside the caller's transaction. */
static int import_file(importer_t *im, int dirfd, const char *name, bool follow,
                       const char **ret_format)
{
        content_t c = { 0 };
        feed_format_t fmt = im->o->format;
        int fd, r;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
        if (fd < 0) {
                r = -errno;
                report(im, "cannot open: %s", strerror(errno));
                im->counts->errors++;
                return r;
        }
        /* Zips are read through libarchive from the descriptor; everything
         * else is loaded (read when small, mapped when large). A small
         * file's magic is checked in what was read, which saves a system
         * call per file when importing a directory of records. */
        r = content_load(fd, im->o->max_file_size, &c);
        if (r == -E2BIG || (r == 0 && c.len >= 4 && is_zip(c.data, c.len))) {
                content_free(&c);
                if (ret_format)
                        *ret_format = "osv-zip";
                if (lseek(fd, 0, SEEK_SET) < 0)
                        r = -errno;
                else
                        r = import_zip(im, fd);
                close(fd);
                return r;
        }
        close(fd);
        if (r < 0) {
                if (r == -EFBIG)
                        report(im, "file larger than %llu bytes",
                               (unsigned long long)im->o->max_file_size);
                else if (r == -EINVAL)
                        report(im, "not a regular file");
                else
                        report(im, "cannot read: %s", strerror(-r));
                im->counts->errors++;
                return r;
        }
        if (!c.len) {
                report(im, "empty file");
                im->counts->errors++;
                return -EINVAL;
        }
        r = import_text(im, c.data, c.len, fmt, &fmt);
        content_free(&c);
        if (ret_format)
                *ret_format = fmt == FEED_FORMAT_TRACKER ? "debian-tracker" : "osv";
        return r;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct dirwalk {
        importer_t *im;
        size_t files;
} dirwalk_t;

static int walk_dir(dirwalk_t *dw, int dfd, const char *path, unsigned depth)
{
        importer_t *im = dw->im;
        _cleanup_(strv_clear) strv_t names = { 0 };
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > DIR_MAX_DEPTH) {
                report(im, "%s: directories nested deeper than %d, not read", path, DIR_MAX_DEPTH);
                im->counts->errors++;
                close(dfd);
                return 0;
        }
        d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                close(dfd);
                return r;
        }
        /* Each name is kept with its type from readdir (one byte in front
         * of the name), so a directory of records costs no stat per file. */
        while ((de = readdir(d))) {
                char *entry;
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                entry = str_printf("%c%s",
                                   de->d_type == DT_REG       ? 'f'
                                   : de->d_type == DT_DIR     ? 'd'
                                   : de->d_type == DT_UNKNOWN ? '?'
                                                              : 'o',
                                   de->d_name);
                if (!entry || strv_push_take(&names, entry) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        /* Sorted, so an import is the same on every run. */
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                const char *name = names.v[i] + 1;
                char type = names.v[i][0];
                _cleanup_free_ char *child = str_printf("%s/%s", path, name);
                struct stat st;
                if (!child) {
                        r = -ENOMEM;
                        break;
                }
                if (type == '?') {
                        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        type = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : 'o';
                }
                if (type == 'd') {
                        int sub = openat(dirfd(d), name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                im->display = child;
                                report(im, "cannot open the directory: %s", strerror(errno));
                                im->counts->errors++;
                                continue;
                        }
                        r = walk_dir(dw, sub, child, depth + 1);
                        continue;
                }
                if (type != 'f' || (!str_endswith(name, ".json") && !str_endswith(name, ".zip")))
                        continue;
                im->display = child;
                im->reported = 0;
                r = import_file(im, dirfd(d), name, false, NULL);
                if (r == -EIO || r == -ENOMEM)
                        break;
                r = 0;
                dw->files++;
        }
        closedir(d);
        return r;
}

/* What the reading side does with one input. */
typedef struct reading {
        importer_t *im;
        const char *path;
        bool is_dir;
        const char *format;
        int result;
} reading_t;

static void read_input(reading_t *rd)
{
        importer_t *im = rd->im;

        if (rd->is_dir) {
                dirwalk_t dw = { .im = im };
                int dfd = open(rd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                rd->format = "directory";
                if (dfd < 0) {
                        rd->result = -errno;
                        report(im, "cannot open the directory: %s", strerror(errno));
                } else
                        rd->result = walk_dir(&dw, dfd, rd->path, 0); /* closes DFD */
                im->display = im->top_display;
                im->reported = 0;
                if (rd->result == 0 && dw.files == 0)
                        report(im, "no *.json or *.zip files in the directory");
        } else
                rd->result = import_file(im, AT_FDCWD, rd->path, true, &rd->format);
}

static void *reading_thread(void *arg)
{
        reading_t *rd = arg;
        importer_t *im = rd->im;

        read_input(rd);
        pthread_mutex_lock(&im->lock);
        im->published = im->filled;
        im->reading_done = true;
        pthread_cond_signal(&im->not_empty);
        pthread_mutex_unlock(&im->lock);
        return NULL;
}

int feedimport_path(sqlite3 *db, int64_t feed_id, const char *path, const feedimport_opts_t *o,
                    feed_counts_t *ret, const char **ret_format)
{
        importer_t im;
        reading_t rd = { .im = &im, .path = path, .format = "osv" };
        struct stat st;
        pthread_t thread;
        int r, w = 0;

        if ((r = importer_init(&im, db, feed_id, o, ret)) < 0) {
                importer_done(&im);
                return r;
        }
        im.display = im.top_display = o->display ? o->display : path;
        if (stat(path, &st) < 0) {
                r = -errno;
                report(&im, "%s", strerror(errno));
                importer_done(&im);
                return r;
        }
        rd.is_dir = S_ISDIR(st.st_mode);
        if ((r = feeddb_begin(db)) < 0) {
                report(&im, "cannot start a transaction: %s", sqlite3_errmsg(db));
                importer_done(&im);
                return r;
        }
        /* Reading, inflating and parsing in one thread, SQLite in this one:
         * they take about the same time, so two cores import twice as fast. */
        im.threaded = o->threads >= 2 && pthread_create(&thread, NULL, reading_thread, &rd) == 0;
        if (im.threaded) {
                w = write_queued(&im);
                pthread_join(thread, NULL);
        } else
                read_input(&rd);
        r = w < 0 ? w : rd.result;
        if (r == -EIO || r == -ENOMEM) {
                feeddb_rollback(db);
                if (r == -ENOMEM)
                        report(&im, "out of memory");
        } else if (feeddb_commit(db) < 0) {
                report(&im, "cannot commit: %s", sqlite3_errmsg(db));
                feeddb_rollback(db);
                r = -EIO;
        }
        feeddb_checkpoint(db);
        if (ret_format)
                *ret_format = rd.format;
        importer_done(&im);
        return r;
}
