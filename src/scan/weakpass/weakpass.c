#include "scan/weakpass/weakpass.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "scan/weakpass/crack.h"
#include "scan/weakpass/services.h"
#include "scan/weakpass/shadow.h"
#include "scan/weakpass/wpcommon.h"

/* Password hashes checked per scan. Real systems have a few dozen; the cap
 * bounds memory for a hostile account file with hundreds of thousands. */
#define MAX_HASHES 10000

#define SHADOW_PATH "/etc/shadow"
#define PASSWD_PATH "/etc/passwd"

/* One account whose password field decides how it logs in: the shadow
 * entry, or the passwd entry when passwd does not defer to shadow. All
 * strings are borrowed from the parsed databases. */
typedef struct account {
        const char *name;
        const char *field;
        const char *file; /* path inside the root */
        size_t line;
        shadow_state_t state;
        long long uid; /* -1 when unknown */
        const char *shell;
} account_t;

/* pam_unix reads the shadow entry only when the passwd field is "x" or
 * "##NAME"; any other passwd field is the password itself. */
static bool passwd_defers(const shadow_entry_t *p)
{
        return strcmp(p->password, "x") == 0 ||
               (str_startswith(p->password, "##") && strcmp(p->password + 2, p->name) == 0);
}

static const char *remediation_for(const char *name, char *buf, size_t n)
{
        snprintf(buf, n,
                 "Set a strong password with `passwd %s`, or lock the account if nobody uses it: "
                 "`passwd -l %s`. Enforce a password quality policy with pam_pwquality "
                 "(`minlen = 8` and `minclass = 3` in /etc/security/pwquality.conf).",
                 name, name);
        return buf;
}

static int add_account_evidence(finding_t *f, const account_t *a, const char *shown)
{
        if (finding_add_evidence_str(f, "account", a->name) < 0 ||
            finding_add_evidence_str(f, "path", shown) < 0 ||
            finding_add_evidence_int(f, "line", (long long)a->line) < 0)
                return -ENOMEM;
        if (a->uid >= 0 && finding_add_evidence_int(f, "uid", a->uid) < 0)
                return -ENOMEM;
        if (a->shell && finding_add_evidence_str(f, "shell", a->shell) < 0)
                return -ENOMEM;
        return 0;
}

static int report_empty(wp_t *w, const account_t *a)
{
        _cleanup_free_ char *shown = wp_display(w, a->file), *title = NULL, *detail = NULL;
        char fix[1024];
        finding_t *f;

        if (!shown)
                return -ENOMEM;
        title = str_printf("Account '%s' has no password", a->name);
        detail = str_printf("The password field of '%s' in %s (line %zu) is empty: anyone can "
                            "log in as this account without a password wherever password "
                            "logins are allowed (console, su, and SSH when "
                            "PermitEmptyPasswords is on).",
                            a->name, shown, a->line);
        if (!title || !detail)
                return -ENOMEM;
        f = wp_finding("account.empty-password", a->name, FINDING_HIGH, title, detail,
                       remediation_for(a->name, fix, sizeof(fix)));
        if (!f || add_account_evidence(f, a, shown) < 0 ||
            finding_add_evidence_str(f, "matched_list", "empty") < 0 ||
            finding_add_evidence_str(f, "hint", "empty") < 0) {
                finding_free(f);
                return -ENOMEM;
        }
        return wp_report(w, f);
}

static const char *list_label(const dict_t *d, const crack_result_t *res)
{
        switch (res->kind) {
        case DICT_KIND_EMPTY:
                return "empty";
        case DICT_KIND_NAME_VARIANT:
                return "account name variant";
        default:
                return dict_source_label(d, res->source);
        }
}

static int report_weak(wp_t *w, const account_t *a, const crack_result_t *res)
{
        _cleanup_free_ char *shown = wp_display(w, a->file), *title = NULL, *detail = NULL;
        const char *type = shadow_hash_type(a->field), *list = list_label(w->dict, res);
        char fix[1024];
        finding_t *f;

        if (!shown)
                return -ENOMEM;
        if (res->kind == DICT_KIND_EMPTY) {
                title = str_printf("Account '%s' has an empty password", a->name);
                detail = str_printf("The %s hash of '%s' in %s (line %zu) is the hash of the "
                                    "empty password: anyone can log in as this account by "
                                    "pressing Enter at the password prompt.",
                                    type, a->name, shown, a->line);
        } else {
                title = str_printf("Account '%s' has a weak password (%s)", a->name, list);
                detail = str_printf("The %s hash of '%s' in %s (line %zu) matches a candidate "
                                    "password from: %s (hint: %s). Anyone who tries common "
                                    "passwords, as every SSH brute-force bot does, gets in.",
                                    type, a->name, shown, a->line, list, res->hint);
        }
        if (!title || !detail)
                return -ENOMEM;
        f = wp_finding("account.weak-password", a->name, FINDING_HIGH, title, detail,
                       remediation_for(a->name, fix, sizeof(fix)));
        if (!f || add_account_evidence(f, a, shown) < 0 ||
            finding_add_evidence_str(f, "hash_type", type) < 0 ||
            finding_add_evidence_str(f, "matched_list", list) < 0 ||
            finding_add_evidence_str(f, "hint", res->hint) < 0) {
                finding_free(f);
                return -ENOMEM;
        }
        return wp_report(w, f);
}

static int note_result(wp_t *w, const account_t *a, const crack_result_t *res)
{
        _cleanup_free_ char *where = NULL, *shown = wp_display(w, a->file);
        report_t *rep = w->ctx->report;

        if (!shown || !(where = str_printf("%s:%zu", shown, a->line)))
                return -ENOMEM;
        if (res->status == CRACK_UNSUPPORTED)
                return report_note(rep, REPORT_NOTE_WARNING, where,
                                   "account '%s': hash type %s cannot be computed by libcrypt; "
                                   "its password was not checked",
                                   a->name, shadow_hash_type(a->field));
        if (res->status == CRACK_INCOMPLETE)
                return report_note(rep, REPORT_NOTE_INFO, WP_SCANNER,
                                   "%s: account '%s' (%s): %s time budget used up after "
                                   "checking %zu of %zu candidates",
                                   where, a->name, shadow_hash_type(a->field),
                                   res->total_budget ? "the scan's" : "the per-hash", res->checked,
                                   res->total);
        return 0;
}

static int read_db(wp_t *w, const char *path, bool passwd, shadow_db_t *db, bool *ret_found)
{
        _cleanup_free_ char *data = NULL, *shown = NULL;
        size_t len;
        int r;

        *ret_found = false;
        r = wp_read(w, path, &data, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        *ret_found = true;
        shown = wp_display(w, path);
        if (!shown)
                return -ENOMEM;
        r = passwd ? shadow_parse_passwd(data, len, shown, w->ctx->report, db)
                   : shadow_parse(data, len, shown, w->ctx->report, db);
        explicit_bzero(data, len);
        return r;
}

static int check_accounts(wp_t *w)
{
        _cleanup_(shadow_db_clear) shadow_db_t pw = { 0 }, sh = { 0 };
        _cleanup_free_ account_t *acc = NULL;
        _cleanup_free_ crack_target_t *targets = NULL;
        _cleanup_free_ crack_result_t *results = NULL;
        _cleanup_free_ size_t *target_acc = NULL;
        report_t *rep = w->ctx->report;
        size_t n = 0, nt = 0, locked = 0, disabled = 0, checked = 0, skipped = 0;
        bool have_pw, have_sh;
        int r;

        if ((r = read_db(w, PASSWD_PATH, true, &pw, &have_pw)) < 0 ||
            (r = read_db(w, SHADOW_PATH, false, &sh, &have_sh)) < 0)
                return r;
        if (!have_pw && !have_sh)
                return 0;
        acc = calloc(sh.n + pw.n + 1, sizeof(*acc));
        if (!acc)
                return -ENOMEM;
        for (size_t i = 0; i < sh.n; i++) {
                const shadow_entry_t *e = &sh.entries[i];
                const shadow_entry_t *p = shadow_db_find(&pw, e->name);
                if (p && !passwd_defers(p))
                        continue;
                acc[n++] = (account_t){ e->name,  e->password,     SHADOW_PATH,        e->line,
                                        e->state, p ? p->uid : -1, p ? p->shell : NULL };
        }
        for (size_t i = 0; i < pw.n; i++) {
                const shadow_entry_t *p = &pw.entries[i];
                if (passwd_defers(p))
                        continue;
                acc[n++] = (account_t){ p->name,  p->password, PASSWD_PATH, p->line,
                                        p->state, p->uid,      p->shell };
        }
        (void)report_count(rep, WP_SCANNER, "accounts", (long long)n);

        targets = calloc(n + 1, sizeof(*targets));
        target_acc = calloc(n + 1, sizeof(*target_acc));
        if (!targets || !target_acc)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                switch (acc[i].state) {
                case SHADOW_EMPTY:
                        if ((r = report_empty(w, &acc[i])) < 0)
                                return r;
                        break;
                case SHADOW_LOCKED:
                        locked++;
                        break;
                case SHADOW_DISABLED:
                        disabled++;
                        break;
                case SHADOW_HASH:
                        if (nt == MAX_HASHES) {
                                skipped++;
                                break;
                        }
                        target_acc[nt] = i;
                        targets[nt++] = (crack_target_t){ acc[i].field, acc[i].name };
                        break;
                }
        }
        (void)report_count(rep, WP_SCANNER, "accounts_locked", (long long)locked);
        (void)report_count(rep, WP_SCANNER, "accounts_without_password_login", (long long)disabled);
        (void)report_count(rep, WP_SCANNER, "hashes", (long long)nt);
        if (skipped && report_note(rep, REPORT_NOTE_WARNING, WP_SCANNER,
                                   "more than %d password hashes; %zu were not checked", MAX_HASHES,
                                   skipped) < 0)
                return -ENOMEM;
        if (nt == 0)
                return 0;

        const dict_t *dict = wp_dict(w);
        if (!dict)
                return 0;
        crack_opts_t opts = {
                .threads = w->ctx->threads,
                .budget_per_hash_us = w->cfg.budget_hash_us,
                .budget_total_us = w->cfg.budget_total_us,
                .progress = w->ctx->progress,
                .progress_stage = "weak_password: checking password hashes",
        };
        results = calloc(nt, sizeof(*results));
        if (!results)
                return -ENOMEM;
        if ((r = crack_run(dict, targets, nt, &opts, results)) < 0) {
                (void)report_note(rep, REPORT_NOTE_ERROR, WP_SCANNER,
                                  "cannot check password hashes: %s", strerror(-r));
                return r == -ENOMEM ? r : 0;
        }
        for (size_t k = 0; k < nt; k++) {
                const account_t *a = &acc[target_acc[k]];
                const crack_result_t *res = &results[k];
                checked += res->checked;
                if (res->status == CRACK_FOUND) {
                        (void)report_count(rep, WP_SCANNER, "weak_passwords", 1);
                        r = report_weak(w, a, res);
                } else {
                        if (res->status == CRACK_INCOMPLETE)
                                (void)report_count(rep, WP_SCANNER, "hashes_incomplete", 1);
                        if (res->status == CRACK_UNSUPPORTED)
                                (void)report_count(rep, WP_SCANNER, "hashes_unsupported", 1);
                        r = note_result(w, a, res);
                }
                if (r < 0)
                        return r;
        }
        (void)report_count(rep, WP_SCANNER, "candidates_checked", (long long)checked);
        explicit_bzero(results, nt * sizeof(*results));
        return 0;
}

int weakpass_scan(scan_ctx_t *ctx)
{
        wp_t w;
        int r;

        if ((r = wp_init(&w, ctx)) < 0)
                goto out;
        if (w.cfg.shadow && (r = check_accounts(&w)) < 0)
                goto out;
        if (w.cfg.redis && (r = services_check_redis(&w)) < 0)
                goto out;
        if (w.cfg.mysql && ctx->root->is_host && (r = services_check_mysql(&w)) < 0)
                goto out;
        if (w.cfg.postgresql && (r = services_check_postgresql(&w)) < 0)
                goto out;
        if (w.cfg.ftp && (r = services_check_ftp(&w)) < 0)
                goto out;
out:
        if (r < 0)
                (void)report_note(ctx->report, REPORT_NOTE_ERROR, WP_SCANNER, "%s", strerror(-r));
        wp_done(&w);
        return r;
}
