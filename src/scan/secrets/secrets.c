#include "scan/secrets/secrets.h"

#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/jsonx.h"
#include "core/paths.h"
#include "scan/secrets/engine.h"
#include "scan/secrets/filescan.h"
#include "scan/secrets/gitscan.h"
#include "scan/secrets/rules.h"
#include "scan/secrets/webroots.h"

#define SCANNER "secret"
/* Places kept per secret (all are counted). */
#define MAX_LOCATIONS 1000
/* Places listed in a finding's evidence. */
#define EVIDENCE_LOCATIONS 20
/* Distinct secrets kept per scan; more are counted and noted. */
#define MAX_SECRETS 100000

static const char *const default_paths[] = { "/etc",     "/root", "/home",      "/srv",
                                             "/var/www", "/opt",  "/usr/local", "/tmp" };

typedef struct loc {
        char *path; /* inside the root; for history: the file's path in the working tree */
        uint64_t line, col;
        char *commit;   /* hex commit id for a history hit, else NULL */
        char *git_path; /* path inside the repository, history hits only */
        char *repo;     /* working tree (or git dir) of the repository, history hits only */
        const char *webroot;
} loc_t;

typedef struct entry {
        char fp[HASH_SHA256_HEX];
        size_t rule;
        char preview[SECRETS_PREVIEW_MAX];
        loc_t *locs;
        size_t n, cap;
        uint64_t total;
        struct entry *next; /* hash chain */
} entry_t;

typedef struct repo {
        char *worktree; /* NULL for a bare repository */
        char *gitdir;
} repo_t;

typedef struct state {
        scan_ctx_t *ctx;
        const secrets_rules_t *rules;
        const secrets_engine_t *engine;
        secrets_webroots_t webroots;
        strv_t allow_fp, allow_rules, allow_paths;
        uint64_t max_file_size;
        secrets_git_opts_t git_opts;
        bool git_enabled;

        pthread_mutex_t lock;
        entry_t **table;
        size_t table_size, n_entries;
        uint64_t allowlisted, dropped;
        repo_t *repos;
        size_t n_repos, cap_repos;
        int oom;
} state_t;

/* ------------------------------------------------------------ configuration */

static int config_strv(state_t *st, const char *key, strv_t *ret)
{
        int r = config_get_strv(st->ctx->config, key, ret);

        if (r == -ENOENT)
                return 0;
        if (r == -EINVAL)
                report_note(st->ctx->report, REPORT_NOTE_ERROR, SCANNER,
                            "configuration: %s must be a list of strings", key);
        return r;
}

static int config_u64(state_t *st, const char *key, bool size, uint64_t def, uint64_t *ret)
{
        unsigned long long v;
        json_t *j = config_get(st->ctx->config, key);

        *ret = def;
        if (!j)
                return 0;
        if (size) {
                if (config_get_size(st->ctx->config, key, &v) == 0 && v > 0) {
                        *ret = v;
                        return 0;
                }
        } else if (json_is_integer(j) && json_integer_value(j) > 0) {
                *ret = (uint64_t)json_integer_value(j);
                return 0;
        }
        report_note(st->ctx->report, REPORT_NOTE_ERROR, SCANNER,
                    "configuration: %s must be a positive %s", key,
                    size ? "size (like 64MiB)" : "integer");
        return -EINVAL;
}

static int load_config(state_t *st)
{
        json_t *git_en = config_get(st->ctx->config, "secret.git.enabled");
        int r;

        if ((r = config_u64(st, "secret.max_file_size", true, SECRETS_DEFAULT_MAX_FILE_SIZE,
                            &st->max_file_size)) < 0 ||
            (r = config_u64(st, "secret.git.max_commits", false, 100000,
                            &st->git_opts.max_commits)) < 0 ||
            (r = config_u64(st, "secret.git.max_bytes", true, 1 * GiB,
                            &st->git_opts.max_total_bytes)) < 0 ||
            (r = config_u64(st, "secret.git.max_seconds", false, 300, &st->git_opts.max_seconds)) <
                    0 ||
            (r = config_strv(st, "secret.allowlist.fingerprints", &st->allow_fp)) < 0 ||
            (r = config_strv(st, "secret.allowlist.rules", &st->allow_rules)) < 0 ||
            (r = config_strv(st, "secret.allowlist.paths", &st->allow_paths)) < 0)
                return r;
        st->git_opts.max_blob_size = st->max_file_size;
        if (git_en && !json_is_boolean(git_en)) {
                report_note(st->ctx->report, REPORT_NOTE_ERROR, SCANNER,
                            "configuration: secret.git.enabled must be true or false");
                return -EINVAL;
        }
        st->git_enabled = !git_en || json_is_true(git_en);
        for (size_t i = 0; i < st->allow_fp.n; i++) {
                char *f = st->allow_fp.v[i];
                size_t n = strlen(f);
                if (strncmp(f, "sha256:", 7) == 0)
                        memmove(f, f + 7, (n -= 7) + 1);
                for (size_t k = 0; k < n; k++)
                        if (f[k] >= 'A' && f[k] <= 'F')
                                f[k] = (char)(f[k] + 32);
                if (n < 12 || n > 64 || strspn(f, "0123456789abcdef") != n) {
                        report_note(st->ctx->report, REPORT_NOTE_ERROR, SCANNER,
                                    "configuration: secret.allowlist.fingerprints entry %zu is "
                                    "not 12 to 64 hex digits",
                                    i + 1);
                        return -EINVAL;
                }
        }
        for (size_t i = 0; i < st->allow_rules.n; i++)
                if (!secrets_rules_find(st->rules, st->allow_rules.v[i]))
                        report_note(st->ctx->report, REPORT_NOTE_WARNING, SCANNER,
                                    "configuration: secret.allowlist.rules names unknown rule "
                                    "'%s'",
                                    st->allow_rules.v[i]);
        return 0;
}

/* ------------------------------------------------------------ allowlists */

static bool path_allowlisted(const state_t *st, const char *path)
{
        _cleanup_free_ char *shown = NULL;

        if (!st->allow_paths.n)
                return false;
        shown = rootfs_display_path(st->ctx->root, path);
        for (size_t i = 0; i < st->allow_paths.n; i++) {
                const char *g = st->allow_paths.v[i];
                if (fnmatch(g, path, 0) == 0 || (shown && fnmatch(g, shown, 0) == 0))
                        return true;
        }
        return false;
}

static bool skip_cb(const char *path, bool is_dir, void *userdata)
{
        (void)is_dir;
        return path_allowlisted(userdata, path);
}

static bool secret_allowlisted(const state_t *st, const secrets_match_t *m)
{
        if (strv_contains(&st->allow_rules, m->rule->id))
                return true;
        for (size_t i = 0; i < st->allow_fp.n; i++)
                if (strncmp(m->fingerprint, st->allow_fp.v[i], strlen(st->allow_fp.v[i])) == 0)
                        return true;
        return false;
}

/* ------------------------------------------------------------ aggregation */

static void loc_free(loc_t *l)
{
        free(l->path);
        free(l->commit);
        free(l->git_path);
        free(l->repo);
}

static bool loc_same(const loc_t *a, const loc_t *b)
{
        return a->line == b->line && a->col == b->col && strcmp(a->path, b->path) == 0 &&
               !a->commit == !b->commit && (!a->commit || strcmp(a->commit, b->commit) == 0);
}

/* Record a secret seen at L (taken over in every case). */
static int record(state_t *st, const secrets_match_t *m, loc_t *l)
{
        size_t slot;
        entry_t *e;
        int r = 0;

        pthread_mutex_lock(&st->lock);
        slot = (size_t)hash_fnv1a(m->fingerprint, HASH_SHA256_HEX - 1) & (st->table_size - 1);
        for (e = st->table[slot]; e; e = e->next)
                if (memcmp(e->fp, m->fingerprint, HASH_SHA256_HEX) == 0)
                        break;
        if (!e) {
                if (st->n_entries >= MAX_SECRETS) {
                        st->dropped++;
                        goto done;
                }
                e = calloc(1, sizeof(*e));
                if (!e) {
                        r = -ENOMEM;
                        goto done;
                }
                memcpy(e->fp, m->fingerprint, HASH_SHA256_HEX);
                e->rule = m->rule_index;
                memcpy(e->preview, m->preview, SECRETS_PREVIEW_MAX);
                e->next = st->table[slot];
                st->table[slot] = e;
                st->n_entries++;
        }
        /* The same secret found by two rules: the earlier rule is the more
         * specific one. */
        if (m->rule_index < e->rule)
                e->rule = m->rule_index;
        for (size_t i = 0; i < e->n; i++)
                if (loc_same(&e->locs[i], l))
                        goto done;
        e->total++;
        if (e->n >= MAX_LOCATIONS)
                goto done;
        if (e->n == e->cap) {
                size_t cap = e->cap ? e->cap * 2 : 4;
                loc_t *v = realloc(e->locs, cap * sizeof(*v));
                if (!v) {
                        r = -ENOMEM;
                        goto done;
                }
                e->locs = v;
                e->cap = cap;
        }
        e->locs[e->n++] = *l;
        l = NULL;
done:
        pthread_mutex_unlock(&st->lock);
        if (l)
                loc_free(l);
        return r;
}

static int on_file_match(const char *path, const secrets_match_t *m, void *userdata)
{
        state_t *st = userdata;
        loc_t l = { 0 };

        if (secret_allowlisted(st, m)) {
                pthread_mutex_lock(&st->lock);
                st->allowlisted++;
                pthread_mutex_unlock(&st->lock);
                return 0;
        }
        l.path = strdup(path);
        if (!l.path)
                return -ENOMEM;
        l.line = m->line;
        l.col = m->column;
        l.webroot = secrets_webroots_match(&st->webroots, path);
        return record(st, m, &l);
}

static void on_repo(const char *worktree, const char *gitdir, void *userdata)
{
        state_t *st = userdata;
        repo_t r = { 0 };

        if (st->oom)
                return;
        if (st->n_repos == st->cap_repos) {
                size_t cap = st->cap_repos ? st->cap_repos * 2 : 8;
                repo_t *v = realloc(st->repos, cap * sizeof(*v));
                if (!v) {
                        st->oom = -ENOMEM;
                        return;
                }
                st->repos = v;
                st->cap_repos = cap;
        }
        r.worktree = worktree ? strdup(worktree) : NULL;
        r.gitdir = strdup(gitdir);
        if ((worktree && !r.worktree) || !r.gitdir) {
                free(r.worktree);
                free(r.gitdir);
                st->oom = -ENOMEM;
                return;
        }
        st->repos[st->n_repos++] = r;
}

/* ------------------------------------------------------------ git history */

struct git_job {
        state_t *st;
        const repo_t *repo;
        const secrets_git_blob_t *blob;
        const char *webroot;
        secrets_scratch_t *scratch;
};

static int on_git_match(const secrets_match_t *m, void *userdata)
{
        struct git_job *j = userdata;
        state_t *st = j->st;
        const char *base = j->repo->worktree ? j->repo->worktree : j->repo->gitdir;
        loc_t l = { 0 };

        if (secret_allowlisted(st, m)) {
                pthread_mutex_lock(&st->lock);
                st->allowlisted++;
                pthread_mutex_unlock(&st->lock);
                return 0;
        }
        l.path = str_printf("%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", j->blob->path);
        l.commit = strdup(j->blob->commit);
        l.git_path = strdup(j->blob->path);
        l.repo = strdup(base);
        if (!l.path || !l.commit || !l.git_path || !l.repo) {
                loc_free(&l);
                return -ENOMEM;
        }
        if (path_allowlisted(st, l.path)) {
                loc_free(&l);
                return 0;
        }
        l.line = m->line;
        l.col = m->column;
        l.webroot = j->webroot ? j->webroot : secrets_webroots_match(&st->webroots, l.path);
        return record(st, m, &l);
}

static int on_git_blob(const char *data, size_t len, const secrets_git_blob_t *b, void *userdata)
{
        struct git_job *j = userdata;

        j->blob = b;
        return secrets_scan_buffer(j->st->engine, j->scratch, data, len, on_git_match, j);
}

struct git_pool {
        state_t *st;
        atomic_size_t next;
        atomic_int err;
        pthread_mutex_t lock; /* stats */
        secrets_git_stats_t total;
        uint64_t repos_done, repos_failed, repos_truncated;
};

static void scan_repo(struct git_pool *pool, secrets_scratch_t *scratch, const repo_t *repo)
{
        state_t *st = pool->st;
        struct git_job job = { .st = st, .repo = repo, .scratch = scratch };
        _cleanup_free_ char *problem = NULL, *shown = NULL;
        secrets_git_stats_t gs;
        int r;

        /* A repository whose .git sits in a served directory gives its
         * whole history to whoever asks for it. */
        job.webroot = secrets_webroots_match(&st->webroots, repo->gitdir);
        r = secrets_git_scan(st->ctx->root, repo->gitdir, &st->git_opts, on_git_blob, &job, &gs,
                             &problem);
        shown = rootfs_display_path(st->ctx->root, repo->gitdir);
        pthread_mutex_lock(&pool->lock);
        pool->total.commits += gs.commits;
        pool->total.trees += gs.trees;
        pool->total.blobs_scanned += gs.blobs_scanned;
        pool->total.blobs_binary += gs.blobs_binary;
        pool->total.blobs_too_large += gs.blobs_too_large;
        pool->total.bytes += gs.bytes;
        pool->total.objects_missing += gs.objects_missing;
        pool->total.objects_corrupt += gs.objects_corrupt;
        pool->repos_done++;
        if (r == -ENOTSUP)
                pool->repos_failed++;
        if (gs.truncated)
                pool->repos_truncated++;
        pthread_mutex_unlock(&pool->lock);
        if (r == -ENOTSUP)
                report_note(st->ctx->report, REPORT_NOTE_WARNING, shown ? shown : repo->gitdir,
                            "git history not scanned: %s", problem ? problem : "unsupported");
        else if (r < 0) {
                int zero = 0;
                atomic_compare_exchange_strong(&pool->err, &zero, r);
        } else if (gs.truncated)
                report_note(st->ctx->report, REPORT_NOTE_WARNING, shown ? shown : repo->gitdir,
                            "git history only partly scanned: the %s cap was reached "
                            "(secret.git.max_%s)",
                            gs.truncated_by,
                            strcmp(gs.truncated_by, "time") == 0 ? "seconds" : gs.truncated_by);
        else if (gs.objects_missing || gs.objects_corrupt)
                report_note(st->ctx->report, REPORT_NOTE_INFO, shown ? shown : repo->gitdir,
                            "git history: %llu missing and %llu unreadable objects skipped",
                            (unsigned long long)gs.objects_missing,
                            (unsigned long long)gs.objects_corrupt);
}

static void *git_worker(void *arg)
{
        struct git_pool *pool = arg;
        state_t *st = pool->st;
        secrets_scratch_t *scratch = NULL;

        if (secrets_scratch_new(st->engine, &scratch) < 0) {
                int zero = 0;
                atomic_compare_exchange_strong(&pool->err, &zero, -ENOMEM);
                return NULL;
        }
        for (;;) {
                size_t i = atomic_fetch_add(&pool->next, 1);
                if (i >= st->n_repos || atomic_load(&pool->err))
                        break;
                progress_update(st->ctx->progress, "secret: git history", i, st->n_repos);
                scan_repo(pool, scratch, &st->repos[i]);
        }
        secrets_scratch_free(scratch);
        return NULL;
}

static int scan_git(state_t *st)
{
        struct git_pool pool = { .st = st };
        unsigned n = st->ctx->threads ? st->ctx->threads : 1, started = 0;
        pthread_t *threads;
        report_t *rep = st->ctx->report;

        if (!st->n_repos)
                return 0;
        if (n > st->n_repos)
                n = (unsigned)st->n_repos;
        threads = calloc(n, sizeof(*threads));
        if (!threads)
                return -ENOMEM;
        pthread_mutex_init(&pool.lock, NULL);
        for (unsigned i = 0; i < n; i++)
                if (pthread_create(&threads[i], NULL, git_worker, &pool) == 0)
                        started++;
        if (!started)
                git_worker(&pool);
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        free(threads);
        pthread_mutex_destroy(&pool.lock);
        report_count(rep, SCANNER, "git_repositories", (long long)pool.repos_done);
        report_count(rep, SCANNER, "git_repositories_unsupported", (long long)pool.repos_failed);
        report_count(rep, SCANNER, "git_repositories_truncated", (long long)pool.repos_truncated);
        report_count(rep, SCANNER, "git_commits", (long long)pool.total.commits);
        report_count(rep, SCANNER, "git_blobs_scanned", (long long)pool.total.blobs_scanned);
        report_count(rep, SCANNER, "git_blobs_binary", (long long)pool.total.blobs_binary);
        report_count(rep, SCANNER, "git_blobs_too_large", (long long)pool.total.blobs_too_large);
        report_count(rep, SCANNER, "git_bytes_scanned", (long long)pool.total.bytes);
        report_count(rep, SCANNER, "git_objects_missing", (long long)pool.total.objects_missing);
        report_count(rep, SCANNER, "git_objects_corrupt", (long long)pool.total.objects_corrupt);
        return atomic_load(&pool.err);
}

/* ------------------------------------------------------------ findings */

static int cmp_loc(const void *a, const void *b)
{
        const loc_t *x = a, *y = b;
        int c;

        if (!x->commit != !y->commit)
                return x->commit ? 1 : -1;
        if ((c = strcmp(x->path, y->path)))
                return c;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        if (x->col != y->col)
                return x->col < y->col ? -1 : 1;
        return x->commit ? strcmp(x->commit, y->commit) : 0;
}

static finding_level_t raise(finding_level_t l)
{
        return l == FINDING_LOW ? FINDING_MEDIUM : FINDING_HIGH;
}

static char *loc_string(const state_t *st, const loc_t *l)
{
        _cleanup_free_ char *shown = rootfs_display_path(st->ctx->root, l->path);

        if (!shown)
                return NULL;
        if (l->commit)
                return str_printf("%s:%llu:%llu (git commit %.12s)", shown,
                                  (unsigned long long)l->line, (unsigned long long)l->col,
                                  l->commit);
        return str_printf("%s:%llu:%llu", shown, (unsigned long long)l->line,
                          (unsigned long long)l->col);
}

static int build_remediation(const state_t *st, const secrets_rule_t *rule, const entry_t *e,
                             const loc_t *first_file, const loc_t *first_git, const char *webroot,
                             finding_t *f)
{
        _cleanup_buf_ buf_t b = { 0 };
        int r = 0;

        buf_init(&b, 64 * KiB);
        if (rule->remediation)
                r = buf_printf(&b, "%s\n", rule->remediation);
        if (!r && first_file) {
                _cleanup_free_ char *shown = rootfs_display_path(st->ctx->root, first_file->path);
                if (!shown)
                        return -ENOMEM;
                r = buf_printf(&b,
                               "Then take it out of %s (line %llu)%s and load it from the "
                               "environment or a secret store; a file that must keep a "
                               "credential should be readable by its owner only: chmod 600 %s\n",
                               shown, (unsigned long long)first_file->line,
                               e->total > 1 ? " and the other places listed" : "", shown);
        }
        if (!r && webroot) {
                _cleanup_free_ char *shown = rootfs_display_path(st->ctx->root, webroot);
                if (!shown)
                        return -ENOMEM;
                r = buf_printf(&b,
                               "It lies under %s, which the web server serves: anyone can "
                               "download it, so rotate it first, then move it out of the served "
                               "directory.\n",
                               shown);
        }
        if (!r && first_git) {
                _cleanup_free_ char *repo = rootfs_display_path(st->ctx->root, first_git->repo);
                if (!repo)
                        return -ENOMEM;
                r = buf_printf(&b,
                               "It is in the git history of %s (commit %.12s, %s): deleting the "
                               "file does not remove it from the history. Rotating the secret is "
                               "the fix; rewriting the history (git filter-repo --invert-paths "
                               "--path %s, then force-push and re-clone) only stops further "
                               "copies.\n",
                               repo, first_git->commit, first_git->git_path, first_git->git_path);
                if (!r && first_git->webroot)
                        r = buf_printf(&b, "The repository's .git directory is served by the web "
                                           "server: deny it (nginx: location ~ /\\.git { deny all; "
                                           "}, Apache: RedirectMatch 404 /\\.git) and move the "
                                           "repository out of the web root.\n");
        }
        if (r < 0)
                return r;
        while (b.len && b.data[b.len - 1] == '\n')
                b.data[--b.len] = 0;
        return finding_set_remediation(f, "%s", b.data ? b.data : "");
}

static int emit_finding(state_t *st, entry_t *e)
{
        const secrets_rule_t *rule = &st->rules->rules[e->rule];
        const loc_t *first = &e->locs[0], *first_file = NULL, *first_git = NULL;
        const char *webroot = NULL;
        _cleanup_free_ char *shown = NULL;
        finding_level_t level = rule->level;
        json_t *locs = json_array();
        finding_t *f;
        int r = 0;

        if (!locs)
                return -ENOMEM;
        qsort(e->locs, e->n, sizeof(*e->locs), cmp_loc);
        first = &e->locs[0];
        for (size_t i = 0; i < e->n; i++) {
                const loc_t *l = &e->locs[i];
                if (!l->commit && !first_file)
                        first_file = l;
                if (l->commit && !first_git)
                        first_git = l;
                if (l->webroot && !webroot)
                        webroot = l->webroot;
                if (i < EVIDENCE_LOCATIONS) {
                        char *s = loc_string(st, l);
                        if (!s || json_array_append_new(locs, jsonx_string_lossy(s)) < 0) {
                                free(s);
                                json_decref(locs);
                                return -ENOMEM;
                        }
                        free(s);
                }
        }
        if (webroot)
                level = raise(level);
        f = finding_new(CAT_SECRET, rule->id, e->fp, level);
        shown = rootfs_display_path(st->ctx->root, first->path);
        if (!f || !shown) {
                finding_free(f);
                json_decref(locs);
                return -ENOMEM;
        }
        if (e->total > 1)
                r = finding_set_title(f, "%s in %s and %llu other place%s", rule->title, shown,
                                      (unsigned long long)(e->total - 1), e->total > 2 ? "s" : "");
        else
                r = finding_set_title(f, "%s in %s", rule->title, shown);
        if (!r)
                r = finding_set_detail(
                        f, "%s%s%s", rule->description ? rule->description : rule->title,
                        webroot ? " It is in a directory served by the web server (data leak)."
                                : "",
                        first_git ? " It is in the git history of the repository." : "");
        if (!r)
                r = finding_add_evidence_str(f, "path", shown);
        if (!r)
                r = finding_add_evidence_int(f, "line", (long long)first->line);
        if (!r)
                r = finding_add_evidence_int(f, "column", (long long)first->col);
        if (!r)
                r = finding_add_evidence_str(f, "rule", rule->id);
        if (!r)
                r = finding_add_evidence_str(f, "preview", e->preview);
        if (!r)
                r = finding_add_evidence_str(f, "fingerprint", e->fp);
        if (!r)
                r = finding_add_evidence_int(f, "locations_count", (long long)e->total);
        if (!r && json_object_set_new(f->evidence, "locations", locs) < 0)
                r = -ENOMEM;
        locs = NULL;
        if (!r && json_object_set_new(f->evidence, "in_webroot", json_boolean(webroot != NULL)) < 0)
                r = -ENOMEM;
        if (!r && webroot) {
                _cleanup_free_ char *w = rootfs_display_path(st->ctx->root, webroot);
                r = w ? finding_add_evidence_str(f, "webroot", w) : -ENOMEM;
        }
        if (!r && first_git) {
                _cleanup_free_ char *repo = rootfs_display_path(st->ctx->root, first_git->repo);
                r = repo ? finding_add_evidence_str(f, "git_repository", repo) : -ENOMEM;
                if (!r)
                        r = finding_add_evidence_str(f, "git_commit", first_git->commit);
                if (!r)
                        r = finding_add_evidence_str(f, "git_path", first_git->git_path);
        }
        if (!r)
                r = build_remediation(st, rule, e, first_file, first_git, webroot, f);
        for (size_t i = 0; !r && i < rule->references.n; i++)
                r = finding_add_reference(f, rule->references.v[i]);
        if (!r)
                r = finding_add_tag(f, "secret");
        if (!r && webroot)
                r = finding_add_tag(f, "data_leak");
        if (!r && first_git)
                r = finding_add_tag(f, "git-history");
        if (r < 0) {
                json_decref(locs);
                finding_free(f);
                return r;
        }
        return report_add_finding(st->ctx->report, f);
}

/* ------------------------------------------------------------ start paths */

/* A PATH argument as a path inside the root: relative paths are taken from
 * the current directory on the host, or from the top of a --root image;
 * a path that names the image from outside ("/mnt/img/srv") is understood. */
static char *start_in_root(const rootfs_t *root, const char *p)
{
        _cleanup_free_ char *cwd = NULL;
        size_t rl = strlen(root->path);

        if (root->is_host) {
                if (p[0] == '/')
                        return strdup(p);
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return NULL;
                return str_printf("%s/%s", cwd, p);
        }
        if (strncmp(p, root->path, rl) == 0 && (p[rl] == '/' || p[rl] == 0))
                return strdup(p[rl] ? p + rl : "/");
        return str_printf("/%s", p);
}

/* Lexically normalised: no "//", ".", ".." or trailing '/'. */
static char *normalize(const char *p)
{
        _cleanup_buf_ buf_t b = { 0 };

        buf_init(&b, 16 * KiB);
        while (*p) {
                size_t n;
                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (!n)
                        break;
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *s = b.len ? strrchr(b.data, '/') : NULL;
                        if (s) {
                                b.len = (size_t)(s - b.data);
                                b.data[b.len] = 0;
                        }
                } else if (!(n == 1 && p[0] == '.')) {
                        if (buf_append(&b, "/", 1) < 0 || buf_append(&b, p, n) < 0)
                                return NULL;
                }
                p += n;
        }
        if (!b.len && buf_append(&b, "/", 1) < 0)
                return NULL;
        return buf_take(&b);
}

static bool path_under(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        if (strcmp(dir, "/") == 0)
                return true;
        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static int start_paths(state_t *st, strv_t *ret)
{
        const scan_ctx_t *ctx = st->ctx;
        _cleanup_(strv_clear) strv_t cfg = { 0 }, raw = { 0 };
        int r;

        if (ctx->paths && ctx->paths->n) {
                for (size_t i = 0; i < ctx->paths->n; i++) {
                        char *p = start_in_root(ctx->root, ctx->paths->v[i]);
                        if (!p || (r = strv_push_take(&raw, p)) < 0)
                                return -ENOMEM;
                }
        } else {
                if ((r = config_strv(st, "secret.paths", &cfg)) < 0)
                        return r;
                for (size_t i = 0; i < (cfg.n ? cfg.n : ELEMENTSOF(default_paths)); i++)
                        if ((r = strv_push(&raw, cfg.n ? cfg.v[i] : default_paths[i])) < 0)
                                return r;
        }
        for (size_t i = 0; i < raw.n; i++) {
                char *p = normalize(raw.v[i]);
                bool covered = false;

                if (!p)
                        return -ENOMEM;
                if (ctx->root->is_host &&
                    (path_under(p, "/proc") || path_under(p, "/sys") || path_under(p, "/dev"))) {
                        report_note(ctx->report, REPORT_NOTE_WARNING, p,
                                    "not scanned: pseudo file systems hold no files at rest");
                        free(p);
                        continue;
                }
                for (size_t k = 0; k < ret->n && !covered; k++)
                        covered = path_under(p, ret->v[k]);
                if (covered) {
                        free(p);
                        continue;
                }
                /* Drop earlier starts that this one covers. */
                for (size_t k = 0; k < ret->n;) {
                        if (path_under(ret->v[k], p)) {
                                free(ret->v[k]);
                                memmove(&ret->v[k], &ret->v[k + 1], (ret->n - k) * sizeof(char *));
                                ret->n--;
                        } else
                                k++;
                }
                if ((r = strv_push_take(ret, p)) < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------ entry point */

static void count_file_stats(report_t *rep, const secrets_filescan_stats_t *s)
{
        report_count(rep, SCANNER, "files_scanned", (long long)s->files_scanned);
        report_count(rep, SCANNER, "bytes_scanned", (long long)s->bytes_scanned);
        report_count(rep, SCANNER, "binary_skipped", (long long)s->binary_skipped);
        report_count(rep, SCANNER, "too_large_skipped", (long long)s->too_large);
        report_count(rep, SCANNER, "empty_files", (long long)s->empty);
        report_count(rep, SCANNER, "special_skipped", (long long)s->special_skipped);
        report_count(rep, SCANNER, "symlinks_skipped", (long long)s->symlinks_skipped);
        report_count(rep, SCANNER, "excluded", (long long)s->excluded);
        report_count(rep, SCANNER, "vanished", (long long)s->vanished);
        report_count(rep, SCANNER, "changed", (long long)s->changed);
        report_count(rep, SCANNER, "unreadable", (long long)s->unreadable);
        report_count(rep, SCANNER, "walk_errors", (long long)s->walk_errors);
        report_count(rep, SCANNER, "directories", (long long)s->dirs);
        report_count(rep, SCANNER, "candidates", (long long)s->engine.candidates);
        report_count(rep, SCANNER, "placeholders", (long long)s->engine.placeholders);
        report_count(rep, SCANNER, "filtered", (long long)s->engine.filtered);
        report_count(rep, SCANNER, "regex_limits", (long long)s->engine.regex_limits);
}

static void state_clear(state_t *st)
{
        for (size_t i = 0; st->table && i < st->table_size; i++) {
                entry_t *e = st->table[i];
                while (e) {
                        entry_t *next = e->next;
                        for (size_t k = 0; k < e->n; k++)
                                loc_free(&e->locs[k]);
                        free(e->locs);
                        free(e);
                        e = next;
                }
        }
        free(st->table);
        for (size_t i = 0; i < st->n_repos; i++) {
                free(st->repos[i].worktree);
                free(st->repos[i].gitdir);
        }
        free(st->repos);
        strv_clear(&st->allow_fp);
        strv_clear(&st->allow_rules);
        strv_clear(&st->allow_paths);
        secrets_webroots_clear(&st->webroots);
        pthread_mutex_destroy(&st->lock);
}

static int cmp_entry(const void *a, const void *b)
{
        const entry_t *x = *(entry_t *const *)a, *y = *(entry_t *const *)b;
        return memcmp(x->fp, y->fp, HASH_SHA256_HEX);
}

static int emit_all(state_t *st)
{
        _cleanup_free_ entry_t **v = calloc(st->n_entries ? st->n_entries : 1, sizeof(*v));
        size_t n = 0;
        int r;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < st->table_size; i++)
                for (entry_t *e = st->table[i]; e; e = e->next)
                        if (e->n)
                                v[n++] = e;
        qsort(v, n, sizeof(*v), cmp_entry);
        for (size_t i = 0; i < n; i++)
                if ((r = emit_finding(st, v[i])) < 0)
                        return r;
        report_count(st->ctx->report, SCANNER, "secrets_found", (long long)n);
        return 0;
}

int secrets_scan(scan_ctx_t *ctx)
{
        _cleanup_free_ char *rules_path = NULL, *error = NULL;
        _cleanup_secrets_rules_ secrets_rules_t *rules = NULL;
        _cleanup_secrets_engine_ secrets_engine_t *engine = NULL;
        _cleanup_(strv_clear) strv_t starts = { 0 };
        const char *cfg_rules = config_get_str(ctx->config, "secret.rules_file", NULL);
        secrets_filescan_stats_t fstats;
        secrets_filescan_opts_t fo;
        state_t st = { .ctx = ctx };
        int r;

        pthread_mutex_init(&st.lock, NULL);
        rules_path =
                cfg_rules ? strdup(cfg_rules) : paths_rules_file(ctx->config, "secrets/rules.yml");
        if (!rules_path) {
                report_note(ctx->report, REPORT_NOTE_ERROR, SCANNER,
                            "no rules directory found (set rules_dir or VIGIL_RULES_DIR)");
                r = -ENOENT;
                goto out;
        }
        r = secrets_rules_load(rules_path, &rules, &error);
        if (r < 0) {
                report_note(ctx->report, REPORT_NOTE_ERROR, SCANNER, "%s",
                            error ? error : strerror(-r));
                goto out;
        }
        r = secrets_engine_new(rules, &engine, &error);
        if (r < 0) {
                report_note(ctx->report, REPORT_NOTE_ERROR, SCANNER, "%s: %s", rules_path,
                            error ? error : strerror(-r));
                goto out;
        }
        st.rules = rules;
        st.engine = engine;
        if ((r = load_config(&st)) < 0)
                goto out;
        st.table_size = 4096;
        st.table = calloc(st.table_size, sizeof(*st.table));
        if (!st.table) {
                r = -ENOMEM;
                goto out;
        }
        if ((r = secrets_webroots_find(ctx->root, ctx->report, &st.webroots)) < 0)
                goto out;
        report_count(ctx->report, SCANNER, "web_roots", (long long)st.webroots.roots.n);
        if ((r = start_paths(&st, &starts)) < 0)
                goto out;
        fo = (secrets_filescan_opts_t){
                .root = ctx->root,
                .engine = engine,
                .max_file_size = st.max_file_size,
                .threads = ctx->threads ? ctx->threads : 1,
                .report = ctx->report,
                .progress = ctx->progress,
                .on_match = on_file_match,
                .skip = st.allow_paths.n ? skip_cb : NULL,
                .on_repo = st.git_enabled ? on_repo : NULL,
                .userdata = &st,
        };
        r = secrets_filescan_run(&fo, &starts, &fstats);
        count_file_stats(ctx->report, &fstats);
        if (r == 0 && st.oom)
                r = st.oom;
        if (r == 0 && st.git_enabled)
                r = scan_git(&st);
        if (r < 0)
                goto out;
        r = emit_all(&st);
        report_count(ctx->report, SCANNER, "allowlisted", (long long)st.allowlisted);
        if (st.dropped)
                report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                            "more than %d distinct secrets: %llu more were not reported",
                            MAX_SECRETS, (unsigned long long)st.dropped);
out:
        if (r < 0 && r != -EINVAL && r != -ENOENT)
                report_note(ctx->report, REPORT_NOTE_ERROR, SCANNER, "secret scan failed: %s",
                            strerror(-r));
        state_clear(&st);
        return r;
}
