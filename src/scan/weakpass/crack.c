#include "scan/weakpass/crack.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "scan/weakpass/bcrypt.h"
#include "scan/weakpass/md5crypt.h"

/* Hashes sharing a setting are checked together, but only this many, so a
 * hostile file with thousands of accounts on one DES salt cannot make every
 * crypt call compare against all of them. */
#define GROUP_MAX_MEMBERS 16
/* A worker takes as many candidates as it can check in about this long, so
 * budgets are kept to within a chunk and bookkeeping stays negligible. */
#define CHUNK_TARGET_US 20000
#define CHUNK_MAX       4096
/* md5crypt batches candidates of one length, so its chunks must be big
 * enough to fill batches. */
#define MD5_MIN_CHUNK 256

/* ------------------------------------------------------------------ */
/* Name variants */

static int variant_push(strv_t *sv, const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > DICT_WORD_MAX || sv->n >= CRACK_MAX_VARIANTS || strv_contains(sv, s))
                return 0;
        return strv_push(sv, s);
}

/* BASE followed by SUFFIX, or nothing when it would be too long. */
static int variant_join(strv_t *sv, const char *prefix, const char *base, const char *suffix)
{
        char buf[DICT_WORD_MAX + 1];
        int n = snprintf(buf, sizeof(buf), "%s%s%s", prefix, base, suffix);
        int r = 0;

        if (n > 0 && (size_t)n < sizeof(buf))
                r = variant_push(sv, buf);
        explicit_bzero(buf, sizeof(buf));
        return r;
}

int crack_name_variants(const char *name, strv_t *ret)
{
        static const char *const suffixes[] = {
                "1",    "12",   "123",  "1234", "12345", "123456", "!",     "1!",
                "123!", "@123", "#123", "_123", "01",    "@1234",  "2020",  "2021",
                "2022", "2023", "2024", "2025", "2026",  "@2024",  "@2025", "@2026",
        };
        static const char *const cap_suffixes[] = {
                "1", "123", "!", "1!", "123!", "@123", "2024", "2025", "2026",
        };
        size_t n = strlen(name);
        char cap[DICT_WORD_MAX + 1], upper[DICT_WORD_MAX + 1], rev[DICT_WORD_MAX + 1],
                leet[DICT_WORD_MAX + 1];
        int r = 0;

        if (n == 0 || n > DICT_WORD_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                upper[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
                cap[i] = i == 0 ? upper[i] : c;
                rev[i] = name[n - 1 - i];
                leet[i] = c == 'a'   ? '@'
                          : c == 'o' ? '0'
                          : c == 'e' ? '3'
                          : c == 'i' ? '1'
                          : c == 's' ? '$'
                                     : c;
        }
        cap[n] = upper[n] = rev[n] = leet[n] = 0;

        if ((r = variant_push(ret, name)) < 0 || (r = variant_push(ret, cap)) < 0 ||
            (r = variant_push(ret, upper)) < 0 || (r = variant_push(ret, rev)) < 0 ||
            (r = variant_join(ret, "", name, name)) < 0)
                goto out;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if ((r = variant_join(ret, "", name, suffixes[i])) < 0)
                        goto out;
        for (size_t i = 0; i < ELEMENTSOF(cap_suffixes); i++)
                if ((r = variant_join(ret, "", cap, cap_suffixes[i])) < 0)
                        goto out;
        if ((r = variant_join(ret, "123", name, "")) < 0 ||
            (r = variant_join(ret, "", upper, "123")) < 0 ||
            (r = variant_join(ret, "", rev, "123")) < 0 || (r = variant_push(ret, leet)) < 0 ||
            (r = variant_join(ret, "", leet, "123")) < 0 ||
            (r = variant_join(ret, "", leet, "!")) < 0)
                goto out;
out:
        explicit_bzero(cap, sizeof(cap));
        explicit_bzero(upper, sizeof(upper));
        explicit_bzero(rev, sizeof(rev));
        explicit_bzero(leet, sizeof(leet));
        return r;
}

/* ------------------------------------------------------------------ */
/* Grouping by setting */

/* Length of the part of HASH that selects scheme, cost and salt; 0 when not
 * known, which gives the hash a group of its own. A wrong answer here could
 * only group hashes that do not really share a setting, so the rules are
 * strict: bcrypt's fixed 29 characters, the "$id$...$" schemes up to their
 * last '$' (the crypt alphabet has no '$'), BSDi's 9, and DES's 2. */
static size_t setting_len(const char *h)
{
        size_t n = strlen(h);
        const char *last;

        if (h[0] == '$' && h[1] == '2' && h[2] && strchr("abxy", h[2]) && h[3] == '$')
                return n == 60 ? 29 : 0;
        if (h[0] == '$') {
                last = strrchr(h, '$');
                return last > h ? (size_t)(last - h) + 1 : 0;
        }
        if (h[0] == '_')
                return n == 20 ? 9 : 0;
        return n == 13 ? 2 : 0;
}

/* How a group's candidates are hashed: libxcrypt's crypt_rn one at a time,
 * or vigil's own multi-lane code for the schemes where libxcrypt is well
 * behind John the Ripper (bench/RESULTS.md). */
typedef enum engine {
        ENGINE_CRYPT,
        ENGINE_BCRYPT,
        ENGINE_MD5CRYPT,
} engine_t;

typedef struct group {
        const char *setting; /* hash of the first member, given to crypt_rn */
        engine_t engine;
        bcrypt_setting_t bf;
        uint8_t bf_digest[GROUP_MAX_MEMBERS][BCRYPT_DIGEST];
        md5crypt_setting_t md5;
        size_t members[GROUP_MAX_MEMBERS];
        size_t n_members;
        strv_t variants; /* index 0 is the empty password */
        size_t *skip;    /* dict indices that are also variants, sorted */
        size_t n_skip;
        size_t total;          /* variants + dict words */
        atomic_size_t next;    /* next candidate index to hand out */
        atomic_size_t checked; /* candidates finished */
        atomic_size_t chunk;   /* candidates per chunk */
        _Atomic int64_t started_us;
        _Atomic int64_t last_end_us;
        atomic_bool closed; /* no more work: all found, out of budget, or unsupported */
        atomic_bool unsupported;
        atomic_bool expired; /* its own budget ran out */
        unsigned n_found;    /* under run.lock */
} group_t;

typedef struct run {
        const dict_t *dict;
        const crack_target_t *targets;
        crack_result_t *results;
        bool *found; /* per target, under lock */
        group_t *groups;
        size_t n_groups;
        atomic_size_t first_open; /* groups before it have no work left */
        atomic_size_t done;       /* candidates finished over all groups */
        size_t total;
        int64_t budget_hash_us;
        int64_t deadline_us; /* 0: none */
        atomic_bool out_of_time;
        progress_t *progress;
        const char *stage;
        pthread_mutex_t lock;
} run_t;

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;
        return x < y ? -1 : x > y;
}

typedef struct order {
        const char *hash;
        size_t slen;
        size_t index;
} order_t;

static int cmp_order(const void *a, const void *b)
{
        const order_t *x = a, *y = b;
        int c;

        /* Unknown settings (slen 0) never share a group. */
        if (x->slen != y->slen)
                return x->slen < y->slen ? -1 : 1;
        if (x->slen > 0 && (c = memcmp(x->hash, y->hash, x->slen)) != 0)
                return c;
        return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_group_first(const void *a, const void *b)
{
        const group_t *x = a, *y = b;
        return x->members[0] < y->members[0] ? -1 : x->members[0] > y->members[0];
}

static bool same_setting(const order_t *a, const order_t *b)
{
        return a->slen > 0 && a->slen == b->slen && memcmp(a->hash, b->hash, a->slen) == 0;
}

/* Use the own code for a group only when libxcrypt would write exactly the
 * stored setting back: a hand-made hash with, say, a non-canonical salt
 * character can never match at login, and must not match here either. */
static void pick_engine(const run_t *run, group_t *g)
{
        struct crypt_data *cd;
        const char *out;
        bool ok = true;

        g->engine = ENGINE_CRYPT;
        if (bcrypt_parse(g->setting, &g->bf, NULL) == 0) {
                for (size_t m = 0; ok && m < g->n_members; m++)
                        ok = bcrypt_parse(run->targets[g->members[m]].hash, &g->bf,
                                          g->bf_digest[m]) == 0;
                if (ok)
                        g->engine = ENGINE_BCRYPT;
        } else if (md5crypt_parse(g->setting, &g->md5) == 0) {
                md5crypt_setting_t other;
                for (size_t m = 0; ok && m < g->n_members; m++)
                        ok = md5crypt_parse(run->targets[g->members[m]].hash, &other) == 0;
                if (ok)
                        g->engine = ENGINE_MD5CRYPT;
        }
        if (g->engine == ENGINE_CRYPT)
                return;
        cd = calloc(1, sizeof(*cd));
        if (!cd) {
                g->engine = ENGINE_CRYPT;
                return;
        }
        out = crypt_rn("", g->setting, cd, (int)sizeof(*cd));
        if (!out || strncmp(out, g->setting, g->engine == ENGINE_BCRYPT ? 29 : g->md5.prefix_len))
                g->engine = ENGINE_CRYPT;
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
}

static int build_groups(run_t *run, size_t n)
{
        _cleanup_free_ order_t *ord = calloc(n, sizeof(*ord));
        size_t g = 0;
        int r;

        run->groups = calloc(n, sizeof(*run->groups));
        if (!ord || !run->groups)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                ord[i] = (order_t){ run->targets[i].hash, setting_len(run->targets[i].hash), i };
        qsort(ord, n, sizeof(*ord), cmp_order);
        for (size_t i = 0; i < n; i++) {
                group_t *cur = g ? &run->groups[g - 1] : NULL;
                if (!cur || !same_setting(&ord[i - 1], &ord[i]) ||
                    cur->n_members == GROUP_MAX_MEMBERS) {
                        cur = &run->groups[g++];
                        cur->setting = ord[i].hash;
                }
                cur->members[cur->n_members++] = ord[i].index;
        }
        run->n_groups = g;
        /* Work through hashes in the order they were given. */
        qsort(run->groups, g, sizeof(*run->groups), cmp_group_first);

        for (size_t k = 0; k < g; k++) {
                group_t *gr = &run->groups[k];
                if ((r = strv_push(&gr->variants, "")) < 0)
                        return r;
                for (size_t m = 0; m < gr->n_members; m++) {
                        const char *acct = run->targets[gr->members[m]].account;
                        _cleanup_(strv_clear) strv_t v = { 0 };
                        if (!acct)
                                continue;
                        if ((r = crack_name_variants(acct, &v)) < 0)
                                return r;
                        for (size_t j = 0; j < v.n; j++)
                                if (!strv_contains(&gr->variants, v.v[j]) &&
                                    (r = strv_push(&gr->variants, v.v[j])) < 0)
                                        return r;
                }
                gr->skip = calloc(gr->variants.n, sizeof(*gr->skip));
                if (!gr->skip)
                        return -ENOMEM;
                for (size_t j = 1; j < gr->variants.n; j++) {
                        size_t idx;
                        if (dict_find(run->dict, gr->variants.v[j], strlen(gr->variants.v[j]),
                                      &idx))
                                gr->skip[gr->n_skip++] = idx;
                }
                qsort(gr->skip, gr->n_skip, sizeof(*gr->skip), cmp_size);
                gr->total = gr->variants.n + dict_size(run->dict);
                pick_engine(run, gr);
                atomic_init(&gr->next, 0);
                atomic_init(&gr->checked, 0);
                atomic_init(&gr->chunk, gr->engine == ENGINE_BCRYPT     ? BCRYPT_LANES
                                        : gr->engine == ENGINE_MD5CRYPT ? MD5_MIN_CHUNK
                                                                        : 1);
                atomic_init(&gr->started_us, 0);
                atomic_init(&gr->last_end_us, 0);
                atomic_init(&gr->closed, false);
                atomic_init(&gr->unsupported, false);
                atomic_init(&gr->expired, false);
                run->total += gr->total;
        }
        return 0;
}

static void free_groups(run_t *run)
{
        if (!run->groups)
                return;
        for (size_t k = 0; k < run->n_groups; k++) {
                group_t *gr = &run->groups[k];
                for (size_t j = 0; j < gr->variants.n; j++)
                        explicit_bzero(gr->variants.v[j], strlen(gr->variants.v[j]));
                strv_clear(&gr->variants);
                free(gr->skip);
        }
        free(run->groups);
        run->groups = NULL;
}

/* ------------------------------------------------------------------ */
/* Workers */

static bool is_skipped(const group_t *g, size_t dict_index)
{
        size_t lo = 0, hi = g->n_skip;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (g->skip[mid] == dict_index)
                        return true;
                if (g->skip[mid] < dict_index)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

/* The next chunk of work: [*START, *END) of group *RET. NULL when no group
 * has anything left or the run is out of time. */
static group_t *take_chunk(run_t *run, size_t *ret_start, size_t *ret_end)
{
        int64_t now = timeutil_mono_us();

        if (run->deadline_us && now >= run->deadline_us) {
                atomic_store(&run->out_of_time, true);
                return NULL;
        }
        for (size_t gi = atomic_load(&run->first_open); gi < run->n_groups; gi++) {
                group_t *g = &run->groups[gi];
                int64_t started, zero = 0;
                size_t chunk, start;

                if (atomic_load(&g->closed) || atomic_load(&g->next) >= g->total) {
                        size_t expect = gi;
                        atomic_compare_exchange_strong(&run->first_open, &expect, gi + 1);
                        continue;
                }
                atomic_compare_exchange_strong(&g->started_us, &zero, now);
                started = atomic_load(&g->started_us);
                if (run->budget_hash_us && now - started >= run->budget_hash_us) {
                        atomic_store(&g->expired, true);
                        atomic_store(&g->closed, true);
                        continue;
                }
                chunk = atomic_load(&g->chunk);
                start = atomic_fetch_add(&g->next, chunk);
                if (start >= g->total)
                        continue;
                *ret_start = start;
                *ret_end = MIN(start + chunk, g->total);
                return g;
        }
        return NULL;
}

static void record_match(run_t *run, group_t *g, size_t member, const char *cand, size_t len,
                         dict_kind_t kind, unsigned source)
{
        crack_result_t *res = &run->results[member];

        pthread_mutex_lock(&run->lock);
        if (!run->found[member]) {
                run->found[member] = true;
                res->status = CRACK_FOUND;
                res->kind = kind;
                res->source = source;
                dict_mask_hint(cand, len, res->hint, sizeof(res->hint));
                if (++g->n_found == g->n_members)
                        atomic_store(&g->closed, true);
        }
        pthread_mutex_unlock(&run->lock);
}

/* One candidate waiting in a batch of the own hash code. */
typedef struct item {
        const char *cand;
        size_t len;
        dict_kind_t kind;
        unsigned source;
} item_t;

/* What a worker thread owns: libxcrypt's scratch space and the batches. */
typedef struct worker_state {
        struct crypt_data cd;
        item_t bf[BCRYPT_LANES];
        size_t n_bf;
        item_t md5[MD5CRYPT_MAX_LEN + 1][MD5CRYPT_LANES];
        size_t n_md5[MD5CRYPT_MAX_LEN + 1];
} worker_state_t;

static void flush_bcrypt(run_t *run, group_t *g, worker_state_t *ws)
{
        const char *pw[BCRYPT_LANES];
        size_t len[BCRYPT_LANES];
        uint8_t out[BCRYPT_LANES][BCRYPT_DIGEST];

        if (ws->n_bf == 0)
                return;
        for (size_t k = 0; k < ws->n_bf; k++) {
                pw[k] = ws->bf[k].cand;
                len[k] = ws->bf[k].len;
        }
        bcrypt_hash(&g->bf, pw, len, ws->n_bf, out);
        for (size_t k = 0; k < ws->n_bf; k++)
                for (size_t m = 0; m < g->n_members; m++)
                        if (memcmp(out[k], g->bf_digest[m], BCRYPT_DIGEST) == 0)
                                record_match(run, g, g->members[m], ws->bf[k].cand, ws->bf[k].len,
                                             ws->bf[k].kind, ws->bf[k].source);
        explicit_bzero(out, sizeof(out));
        ws->n_bf = 0;
}

static void flush_md5(run_t *run, group_t *g, worker_state_t *ws, size_t len)
{
        const char *pw[MD5CRYPT_LANES];
        char out[MD5CRYPT_LANES][MD5CRYPT_ENCODED];
        size_t n = ws->n_md5[len];

        if (n == 0)
                return;
        for (size_t k = 0; k < n; k++)
                pw[k] = ws->md5[len][k].cand;
        md5crypt_hash(&g->md5, pw, len, n, out);
        for (size_t k = 0; k < n; k++)
                for (size_t m = 0; m < g->n_members; m++) {
                        const char *h = run->targets[g->members[m]].hash + g->md5.prefix_len;
                        if (memcmp(out[k], h, MD5CRYPT_ENCODED) == 0)
                                record_match(run, g, g->members[m], ws->md5[len][k].cand, len,
                                             ws->md5[len][k].kind, ws->md5[len][k].source);
                }
        explicit_bzero(out, sizeof(out));
        ws->n_md5[len] = 0;
}

/* Hash one candidate with libxcrypt. Returns false when crypt_rn cannot
 * handle the setting at all. */
static bool check_crypt(run_t *run, group_t *g, worker_state_t *ws, const item_t *it)
{
        const char *out = crypt_rn(it->cand, g->setting, &ws->cd, (int)sizeof(ws->cd));

        if (!out || out[0] == '*')
                return false;
        for (size_t m = 0; m < g->n_members; m++) {
                size_t t = g->members[m];
                if (strcmp(out, run->targets[t].hash) == 0)
                        record_match(run, g, t, it->cand, it->len, it->kind, it->source);
        }
        return true;
}

static void check_chunk(run_t *run, group_t *g, size_t start, size_t end, worker_state_t *ws)
{
        size_t nv = g->variants.n, done = 0;
        int64_t t0 = timeutil_mono_us(), t1, last;

        for (size_t i = start; i < end; i++) {
                item_t it = { .source = 0 };

                if (atomic_load_explicit(&g->closed, memory_order_relaxed))
                        break;
                done++;
                if (i < nv) {
                        it.cand = g->variants.v[i];
                        it.len = strlen(it.cand);
                        it.kind = i == 0 ? DICT_KIND_EMPTY : DICT_KIND_NAME_VARIANT;
                } else {
                        if (is_skipped(g, i - nv))
                                continue;
                        it.cand = dict_word(run->dict, i - nv, &it.len, &it.source);
                        it.kind = dict_source_kind(run->dict, it.source);
                }
                if (g->engine == ENGINE_BCRYPT && bcrypt_supported(it.cand, it.len)) {
                        ws->bf[ws->n_bf++] = it;
                        if (ws->n_bf == BCRYPT_LANES)
                                flush_bcrypt(run, g, ws);
                        continue;
                }
                if (g->engine == ENGINE_MD5CRYPT && md5crypt_supported(it.len)) {
                        ws->md5[it.len][ws->n_md5[it.len]++] = it;
                        if (ws->n_md5[it.len] == MD5CRYPT_LANES)
                                flush_md5(run, g, ws, it.len);
                        continue;
                }
                if (!check_crypt(run, g, ws, &it)) {
                        /* crypt_rn fails only for settings it cannot handle
                         * (our candidates are short enough), so no other
                         * candidate would fare better. */
                        atomic_store(&g->unsupported, true);
                        atomic_store(&g->closed, true);
                        break;
                }
        }
        /* Partly filled batches are computed at the end of the chunk, so a
         * chunk is always finished work. */
        flush_bcrypt(run, g, ws);
        for (size_t len = 0; len <= MD5CRYPT_MAX_LEN; len++)
                flush_md5(run, g, ws, len);
        t1 = timeutil_mono_us();
        atomic_fetch_add(&g->checked, done);
        atomic_fetch_add(&run->done, done);
        last = atomic_load(&g->last_end_us);
        while (last < t1 && !atomic_compare_exchange_weak(&g->last_end_us, &last, t1))
                ;
        if (done > 0) {
                int64_t per = (t1 - t0) / (int64_t)done;
                size_t chunk = per > 0 ? (size_t)(CHUNK_TARGET_US / per) : CHUNK_MAX;
                chunk = MAX((size_t)1, MIN(chunk, (size_t)CHUNK_MAX));
                if (g->engine == ENGINE_BCRYPT)
                        chunk = (chunk + BCRYPT_LANES - 1) / BCRYPT_LANES * BCRYPT_LANES;
                else if (g->engine == ENGINE_MD5CRYPT)
                        chunk = MAX(chunk, (size_t)MD5_MIN_CHUNK);
                atomic_store(&g->chunk, chunk);
        }
        progress_update(run->progress, run->stage, atomic_load(&run->done), run->total);
}

static void *worker(void *userdata)
{
        run_t *run = userdata;
        worker_state_t *ws = calloc(1, sizeof(*ws));
        size_t start, end;
        group_t *g;

        if (!ws)
                return NULL;
        while ((g = take_chunk(run, &start, &end)))
                check_chunk(run, g, start, end, ws);
        /* The buffer held every candidate's hash and crypt's scratch state. */
        explicit_bzero(ws, sizeof(*ws));
        free(ws);
        return NULL;
}

int crack_run(const dict_t *dict, const crack_target_t *targets, size_t n, const crack_opts_t *opts,
              crack_result_t *results)
{
        run_t run = {
                .dict = dict,
                .targets = targets,
                .results = results,
                .budget_hash_us = opts->budget_per_hash_us,
                .progress = opts->progress,
                .stage = opts->progress_stage ? opts->progress_stage : "password hashes",
        };
        unsigned nthreads = MAX(1u, MIN(opts->threads, 256u));
        pthread_t tids[256];
        unsigned started = 0;
        int r = 0;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                results[i] = (crack_result_t){ .status = CRACK_NOT_FOUND };
        run.found = calloc(n, sizeof(*run.found));
        if (!run.found)
                return -ENOMEM;
        atomic_init(&run.first_open, 0);
        atomic_init(&run.done, 0);
        atomic_init(&run.out_of_time, false);
        if ((r = build_groups(&run, n)) < 0)
                goto out;
        if (opts->budget_total_us > 0)
                run.deadline_us = timeutil_mono_us() + opts->budget_total_us;
        pthread_mutex_init(&run.lock, NULL);
        for (unsigned t = 0; t < nthreads; t++) {
                int e = pthread_create(&tids[t], NULL, worker, &run);
                if (e != 0) {
                        if (started == 0)
                                r = -e;
                        break;
                }
                started++;
        }
        for (unsigned t = 0; t < started; t++)
                pthread_join(tids[t], NULL);
        pthread_mutex_destroy(&run.lock);
        if (r < 0)
                goto out;

        for (size_t k = 0; k < run.n_groups; k++) {
                group_t *g = &run.groups[k];
                size_t checked = atomic_load(&g->checked);
                int64_t s = atomic_load(&g->started_us), e = atomic_load(&g->last_end_us);
                bool unsupported = atomic_load(&g->unsupported);
                for (size_t m = 0; m < g->n_members; m++) {
                        crack_result_t *res = &results[g->members[m]];
                        res->checked = checked;
                        res->total = g->total;
                        res->elapsed_us = s && e > s ? e - s : 0;
                        if (res->status == CRACK_FOUND)
                                continue;
                        if (unsupported)
                                res->status = CRACK_UNSUPPORTED;
                        else if (checked >= g->total)
                                res->status = CRACK_NOT_FOUND;
                        else {
                                res->status = CRACK_INCOMPLETE;
                                res->total_budget = !atomic_load(&g->expired);
                        }
                }
        }
out:
        free_groups(&run);
        free(run.found);
        return r;
}
