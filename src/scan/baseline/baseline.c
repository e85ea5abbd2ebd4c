#include "scan/baseline/baseline.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/paths.h"
#include "core/report.h"
#include "core/text.h"
#include "scan/baseline/certs.h"
#include "scan/baseline/eval.h"
#include "scan/baseline/policy.h"

#define SCANNER "baseline"
/* Policy directories may hold other files; this many policy files at most. */
#define BASELINE_MAX_POLICY_FILES 256

bool baseline_policy_may_run_commands(const struct stat *st)
{
        return S_ISREG(st->st_mode) && st->st_uid == 0 && (st->st_mode & 022) == 0;
}

struct run {
        scan_ctx_t *ctx;
        eval_ctx_t ev;
        bool allow_commands;
        strv_t only; /* policy ids to run; empty: all */
        strv_t seen; /* policy ids already run */
        size_t passed, failed, na;
};

/* Report one loader message "PATH:LINE:COLUMN: text" as a warning whose
 * source is "PATH:LINE:COLUMN". */
static void note_diag(report_t *r, const char *path, const char *d)
{
        size_t plen = strlen(path);
        const char *p = d + plen, *msg = NULL;

        if (strncmp(d, path, plen) == 0 && *p == ':') {
                p++;
                p += strspn(p, "0123456789");
                if (*p == ':') {
                        p++;
                        p += strspn(p, "0123456789");
                        if (str_startswith(p, ": "))
                                msg = p + 2;
                }
        }
        if (msg) {
                _cleanup_free_ char *src = str_ndup(d, (size_t)(msg - 2 - d));
                report_note(r, REPORT_NOTE_WARNING, src ? src : path, "%s", msg);
        } else
                report_note(r, REPORT_NOTE_WARNING, path, "%s", d);
}

static bool is_path_type(rule_type_t t)
{
        return t == RULE_FILE || t == RULE_DIR || t == RULE_STAT || t == RULE_SSHD ||
               t == RULE_SYSCTL || t == RULE_BUILTIN;
}

static int add_finding(struct run *run, const policy_t *p, const policy_check_t *c,
                       const eval_outcome_t *o)
{
        _cleanup_free_ char *check = str_printf("%s:%s", p->id, c->id);
        _cleanup_finding_ finding_t *f = NULL;
        const rule_t *rule = o->rule >= 0 ? c->rules[o->rule] : NULL;
        report_t *rep = run->ctx->report;
        int r = 0;

        if (!check || !(f = finding_new(CAT_BASELINE, check, p->id, c->level)))
                return -ENOMEM;
        r = finding_set_title(f, "%s", c->title);
        if (r == 0 && (c->description || c->rationale))
                r = finding_set_detail(f, "%s%s%s", c->description ? c->description : "",
                                       c->description && c->rationale ? "\n\n" : "",
                                       c->rationale ? c->rationale : "");
        if (r == 0 && c->remediation)
                r = finding_set_remediation(f, "%s", c->remediation);
        if (r == 0)
                r = finding_add_evidence_str(f, "policy", p->id);
        if (r == 0)
                r = finding_add_evidence_str(f, "policy_file", p->path);
        if (r == 0)
                r = finding_add_evidence_str(f, "check", c->id);
        if (r == 0)
                r = finding_add_evidence_str(f, "condition", policy_condition_name(c->condition));
        if (r == 0 && rule)
                r = finding_add_evidence_str(f, "rule", rule->text);
        if (r == 0 && o->ev.path) {
                _cleanup_free_ char *shown = NULL;
                if (rule && is_path_type(rule->type) && o->ev.path[0] == '/')
                        shown = rootfs_display_path(run->ctx->root, o->ev.path);
                r = finding_add_evidence_str(
                        f, rule && rule->type == RULE_COMMAND ? "command" : "file",
                        shown ? shown : o->ev.path);
        }
        if (r == 0 && o->ev.line)
                r = finding_add_evidence_int(f, "line", (long long)o->ev.line);
        if (r == 0 && o->ev.text)
                r = finding_add_evidence_str(f, "matched", o->ev.text);
        if (r == 0 && o->ev.reason)
                r = finding_add_evidence_str(f, "reason", o->ev.reason);
        for (size_t i = 0; r == 0 && i < c->references.n; i++)
                r = finding_add_reference(f, c->references.v[i]);
        for (size_t i = 0; r == 0 && i < c->compliance.n; i++)
                r = finding_add_tag(f, c->compliance.v[i]);
        for (size_t i = 0; r == 0 && i < c->tags.n; i++)
                r = finding_add_tag(f, c->tags.v[i]);
        if (r < 0)
                return r;
        return report_add_finding(rep, TAKE_PTR(f));
}

static const char *na_counter(const policy_check_t *c, const eval_outcome_t *o)
{
        if (o->rule < 0)
                return "not_applicable.other";
        switch (c->rules[o->rule]->type) {
        case RULE_COMMAND:
                return "not_applicable.command";
        case RULE_PROCESS:
                return "not_applicable.process";
        case RULE_REGISTRY:
                return "not_applicable.registry";
        default:
                return "not_applicable.file";
        }
}

static void note_rate(report_t *rep, const char *name, size_t passed, size_t failed, size_t na)
{
        size_t n = passed + failed;

        if (n)
                report_note(rep, REPORT_NOTE_INFO, SCANNER,
                            "baseline: %s: %zu of %zu checks passed (%zu%%), %zu failed, %zu not "
                            "applicable",
                            name, passed, n, (200 * passed + n) / (2 * n), failed, na);
        else
                report_note(rep, REPORT_NOTE_INFO, SCANNER,
                            "baseline: %s: no applicable checks, %zu not applicable", name, na);
}

static size_t count_command_rules(const policy_t *p)
{
        size_t n = 0;
        for (size_t i = 0; i < p->n_checks; i++)
                for (size_t j = 0; j < p->checks[i].n_rules; j++)
                        n += p->checks[i].rules[j]->type == RULE_COMMAND;
        return n;
}

static int run_policy(struct run *run, const policy_t *p, bool trusted)
{
        report_t *rep = run->ctx->report;
        size_t passed = 0, failed = 0, na = 0, cmds = count_command_rules(p);
        eval_outcome_t o;
        int r;

        run->ev.allow_commands = run->allow_commands && trusted;
        if (cmds && run->ctx->root->is_host) {
                if (!run->allow_commands)
                        report_note(rep, REPORT_NOTE_INFO, SCANNER,
                                    "baseline: %s: %zu command rule(s) not run "
                                    "(baseline.allow_commands is off)",
                                    p->name, cmds);
                else if (!trusted)
                        report_note(rep, REPORT_NOTE_WARNING, p->path,
                                    "policy file is not root-owned or is group/world-writable; "
                                    "its %zu command rule(s) are not run",
                                    cmds);
        }
        if (p->has_requirements) {
                if ((r = eval_check(&run->ev, &p->requirements, &o)) < 0)
                        return r;
                if (o.result != EVAL_PASSED) {
                        report_note(rep, REPORT_NOTE_INFO, SCANNER,
                                    "baseline: %s: not applicable to this system: %s%s%s%s",
                                    p->name, p->requirements.title,
                                    o.ev.reason || o.result == EVAL_FAILED ? " (" : "",
                                    o.ev.reason               ? o.ev.reason
                                    : o.result == EVAL_FAILED ? "requirements not met"
                                                              : "",
                                    o.ev.reason || o.result == EVAL_FAILED ? ")" : "");
                        report_count(rep, SCANNER, "policies_not_applicable", 1);
                        eval_outcome_clear(&o);
                        return 0;
                }
                eval_outcome_clear(&o);
        }
        for (size_t i = 0; i < p->n_checks; i++) {
                const policy_check_t *c = &p->checks[i];
                if ((r = eval_check(&run->ev, c, &o)) < 0)
                        return r;
                switch (o.result) {
                case EVAL_PASSED:
                        passed++;
                        break;
                case EVAL_FAILED:
                        failed++;
                        r = add_finding(run, p, c, &o);
                        break;
                case EVAL_NOT_APPLICABLE:
                        na++;
                        report_count(rep, SCANNER, na_counter(c, &o), 1);
                        break;
                }
                eval_outcome_clear(&o);
                if (r < 0)
                        return r;
        }
        report_count(rep, SCANNER, "policies", 1);
        report_count(rep, SCANNER, "checks_passed", (long long)passed);
        report_count(rep, SCANNER, "checks_failed", (long long)failed);
        report_count(rep, SCANNER, "checks_not_applicable", (long long)na);
        run->passed += passed;
        run->failed += failed;
        run->na += na;
        note_rate(rep, p->name, passed, failed, na);
        return 0;
}

/* Read, load and run the policy at PATH. Problems with the file are notes;
 * only running out of memory is an error. */
static int run_file(struct run *run, const char *path)
{
        report_t *rep = run->ctx->report;
        _cleanup_(strv_clear) strv_t diags = { 0 };
        _cleanup_policy_ policy_t *p = NULL;
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t len;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0) {
                report_note(rep, REPORT_NOTE_WARNING, path, "cannot read policy: %s",
                            strerror(errno));
                report_count(rep, SCANNER, "policy_errors", 1);
                return 0;
        }
        r = rootfs_read_fd(fd, POLICY_MAX_SIZE, &data, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                report_note(rep, REPORT_NOTE_WARNING, path, "cannot read policy: %s",
                            r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
                report_count(rep, SCANNER, "policy_errors", 1);
                return 0;
        }
        r = policy_load(data, len, path, &p, &diags);
        if (r == -ENOMEM)
                return r;
        for (size_t i = 0; i < diags.n; i++)
                note_diag(rep, path, diags.v[i]);
        if (diags.n)
                report_count(rep, SCANNER, "policy_problems", (long long)diags.n);
        if (r < 0) {
                report_count(rep, SCANNER, "policy_errors", 1);
                return 0;
        }
        if (run->only.n && !strv_contains(&run->only, p->id))
                return 0;
        if (strv_contains(&run->seen, p->id)) {
                report_note(rep, REPORT_NOTE_WARNING, path,
                            "policy id '%s' was already loaded from another file; skipped", p->id);
                return 0;
        }
        if ((r = strv_push(&run->seen, p->id)) < 0)
                return r;
        return run_policy(run, p, baseline_policy_may_run_commands(&st));
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(report_t *rep, const char *dir, strv_t *files)
{
        _cleanup_(strv_clear) strv_t names = { 0 };
        DIR *d = opendir(dir);
        int r = 0;

        if (!d) {
                report_note(rep, REPORT_NOTE_WARNING, dir, "cannot read policy directory: %s",
                            strerror(errno));
                return 0;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.' ||
                    (!str_endswith(de->d_name, ".yml") && !str_endswith(de->d_name, ".yaml")))
                        continue;
                if (names.n >= BASELINE_MAX_POLICY_FILES) {
                        report_note(rep, REPORT_NOTE_WARNING, dir,
                                    "more than %d policy files; the rest are skipped",
                                    BASELINE_MAX_POLICY_FILES);
                        break;
                }
                if ((r = strv_push(&names, de->d_name)) < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < names.n; i++) {
                char *p = str_printf("%s/%s", dir, names.v[i]);
                if (!p || (r = strv_push_take(files, p)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int tls_finding(struct run *run, const cert_info_t *ci, const char *kind,
                       finding_level_t level, const char *title, const char *remediation)
{
        _cleanup_free_ char *check = str_printf("vigil-tls:%s", kind);
        _cleanup_free_ char *shown = rootfs_display_path(run->ctx->root, ci->path);
        _cleanup_finding_ finding_t *f = NULL;
        int r;

        if (!check || !shown || !(f = finding_new(CAT_BASELINE, check, shown, level)))
                return -ENOMEM;
        r = finding_set_title(f, "%s", title);
        if (r == 0)
                r = finding_set_detail(
                        f, "A TLS certificate that a server on this host uses or keeps: %s.",
                        ci->subject ? ci->subject : "(no subject)");
        if (r == 0)
                r = finding_set_remediation(f, "%s", remediation);
        if (r == 0)
                r = finding_add_evidence_str(f, "file", shown);
        if (r == 0 && ci->found_in)
                r = finding_add_evidence_str(f, "named_by", ci->found_in);
        if (r == 0 && ci->subject)
                r = finding_add_evidence_str(f, "subject", ci->subject);
        if (r == 0 && ci->not_after)
                r = finding_add_evidence_str(f, "not_after", ci->not_after);
        if (r == 0)
                r = finding_add_evidence_int(f, "days_left", ci->days_left);
        if (r == 0)
                r = finding_add_evidence_str(f, "key", ci->key_type);
        if (r == 0)
                r = finding_add_evidence_int(f, "key_bits", ci->key_bits);
        if (r == 0)
                r = finding_add_evidence_str(f, "signature", ci->sig_alg);
        for (const char *const *t = (const char *const[]){ "tls", "mlps2.0-l2:7.1.2.2",
                                                           "mlps2.0-l3:8.1.2.2", "gdpr:32", NULL };
             r == 0 && *t; t++)
                r = finding_add_tag(f, *t);
        if (r < 0)
                return r;
        return report_add_finding(run->ctx->report, TAKE_PTR(f));
}

static int run_tls(struct run *run)
{
        report_t *rep = run->ctx->report;
        _cleanup_(certs_list_clear) cert_list_t certs = { 0 };
        size_t passed = 0, failed = 0;
        int r = certs_collect(run->ctx->root, time(NULL), &certs);

        if (r < 0)
                return r;
        for (size_t i = 0; i < certs.problems.n; i++)
                report_note(rep, REPORT_NOTE_WARNING, SCANNER, "TLS certificate %s",
                            certs.problems.v[i]);
        for (size_t i = 0; i < certs.n; i++) {
                const cert_info_t *ci = &certs.v[i];
                char title[256];

                if (ci->expired) {
                        snprintf(title, sizeof(title), "TLS certificate expired on %.10s",
                                 ci->not_after);
                        r = tls_finding(run, ci, "expired", FINDING_MEDIUM, title,
                                        "Renew or replace the certificate (for Let's Encrypt: "
                                        "certbot renew), then reload the server that uses it "
                                        "(e.g. systemctl reload nginx).");
                } else if (ci->expiring) {
                        snprintf(title, sizeof(title),
                                 "TLS certificate expires in %lld day(s), on %.10s", ci->days_left,
                                 ci->not_after);
                        r = tls_finding(run, ci, "expiring", FINDING_LOW, title,
                                        "Renew the certificate before it expires (for Let's "
                                        "Encrypt: check that certbot.timer is enabled and run "
                                        "certbot renew), then reload the server.");
                }
                if (r < 0)
                        return r;
                (ci->expired || ci->expiring) ? failed++ : passed++;
                if (ci->weak_key) {
                        snprintf(title, sizeof(title),
                                 "TLS certificate has a weak %s key (%d bits)", ci->key_type,
                                 ci->key_bits);
                        r = tls_finding(run, ci, "weak-key", FINDING_MEDIUM, title,
                                        "Issue a new certificate with an RSA key of at least "
                                        "2048 bits or an EC P-256 key (openssl req -newkey "
                                        "rsa:3072 … or -newkey ec -pkeyopt "
                                        "ec_paramgen_curve:P-256).");
                        if (r < 0)
                                return r;
                        failed++;
                } else
                        passed++;
                if (ci->weak_signature) {
                        snprintf(title, sizeof(title), "TLS certificate is signed with %s",
                                 ci->sig_alg);
                        r = tls_finding(run, ci, "weak-signature", FINDING_MEDIUM, title,
                                        "Have the certificate reissued with a SHA-256 (or "
                                        "stronger) signature; clients reject SHA-1 and MD5 "
                                        "signatures.");
                        if (r < 0)
                                return r;
                        failed++;
                } else
                        passed++;
        }
        report_count(rep, SCANNER, "tls_certificates", (long long)certs.n);
        report_count(rep, SCANNER, "checks_passed", (long long)passed);
        report_count(rep, SCANNER, "checks_failed", (long long)failed);
        if (certs.n)
                note_rate(rep, "TLS certificates", passed, failed, 0);
        else
                report_note(rep, REPORT_NOTE_INFO, SCANNER,
                            "baseline: TLS certificates: none found");
        return 0;
}

int baseline_scan(scan_ctx_t *ctx)
{
        const config_t *cfg = ctx->config;
        struct run run = { .ctx = ctx };
        _cleanup_(strv_clear) strv_t files = { 0 }, dirs = { 0 };
        long long timeout = config_get_int(cfg, "baseline.command_timeout", 5);
        int r;

        eval_ctx_init(&run.ev, ctx->root);
        run.allow_commands = config_get_bool(cfg, "baseline.allow_commands", false);
        if (timeout < 1 || timeout > 300) {
                report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                            "baseline.command_timeout must be 1 to 300 seconds; using 5");
                timeout = 5;
        }
        run.ev.command_timeout_ms = (unsigned)timeout * 1000;
        r = config_get_strv(cfg, "baseline.policies", &run.only);
        if (r == -EINVAL)
                report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                            "baseline.policies must be a list of policy ids; ignored");
        else if (r < 0 && r != -ENOENT)
                goto out;

        if (config_get_bool(cfg, "baseline.builtin_policy", true)) {
                char *shipped = paths_rules_file(cfg, "policies/vigil-linux.yml");
                if (!shipped)
                        report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                                    "no rules directory found; vigil-linux.yml not run");
                else if ((r = strv_push_take(&files, shipped)) < 0)
                        goto out;
        }
        r = config_get_strv(cfg, "baseline.policy_dirs", &dirs);
        if (r == -EINVAL)
                report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                            "baseline.policy_dirs must be a list of directories; ignored");
        else if (r < 0 && r != -ENOENT)
                goto out;
        for (size_t i = 0; i < dirs.n; i++)
                if ((r = list_dir(ctx->report, dirs.v[i], &files)) < 0)
                        goto out;
        for (size_t i = 0; i < files.n; i++) {
                progress_update(ctx->progress, "baseline: policies", i, files.n);
                if ((r = run_file(&run, files.v[i])) < 0)
                        goto out;
        }
        if (config_get_bool(cfg, "baseline.tls_certificates", true)) {
                progress_update(ctx->progress, "baseline: TLS certificates", 0, 0);
                if ((r = run_tls(&run)) < 0)
                        goto out;
        }
        report_count(ctx->report, SCANNER, "files_read", (long long)run.ev.files_read);
        report_count(ctx->report, SCANNER, "commands_run", (long long)run.ev.commands_run);
        r = 0;
out:
        if (r < 0)
                report_note(ctx->report, REPORT_NOTE_ERROR, SCANNER, "baseline scan stopped: %s",
                            strerror(-r));
        eval_ctx_clear(&run.ev);
        strv_clear(&run.only);
        strv_clear(&run.seen);
        return r;
}
